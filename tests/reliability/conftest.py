"""Reliability suites: real processes on 127.0.0.1, run by `make test-reliability`.

Collected only with RELIABILITY=1 (they take minutes); figures go to
reports/reliability.json at the end of the run.
"""

from __future__ import annotations

import os

import pytest

from tests.reliability.figures import FIGURES, write_report

if os.environ.get("RELIABILITY") != "1":
    collect_ignore_glob = ["test_*.py"]


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if os.environ.get("RELIABILITY") == "1" and FIGURES:
        write_report()
