"""The figures docs/safety/safety-case.md cites are the figures the reports hold.

The safety report is measured here, with the session's in-process bot, and
written to reports/safety.json, so `make test` always leaves fresh evidence.
Reliability figures come from `make test-reliability`, which runs
scripts/safety_case.py on reports/reliability.json after its suites.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Dict

import pytest

from scripts import safety_case, safety_report
from tests.support import InProcessBot

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def measured(bot: InProcessBot, model_path: Path) -> Dict[str, Any]:
    report = safety_report.figures(bot, model_path.name)
    safety_report.write(report)
    return report


def test_safety_case_figures_match_the_safety_report(measured: Dict[str, Any]) -> None:
    cited = safety_case.claims(safety_case.SAFETY_CASE.read_text())
    assert {claim.report for claim in cited} == {"safety.json", "reliability.json"}
    # Every set the safety report measures is cited, and cited correctly.
    cited_fields = {field for claim in cited for field in claim.fields}
    for name in measured["sets"]:
        assert f"sets.{name}.crisis_replies" in cited_fields, name
        assert f"sets.{name}.messages" in cited_fields, name
    assert safety_case.mismatches(cited, "safety.json", measured) == []
    assert safety_case.check(["safety.json"]) == []


def test_reliability_figures_cited_are_ones_the_suites_record() -> None:
    cited = safety_case.claims(safety_case.SAFETY_CASE.read_text())
    sources = "\n".join(
        path.read_text() for path in [*(ROOT / "tests").rglob("test_*.py")]
    )
    recorded = set(re.findall(r"\b(?:record|add)\(\"(\w+)\"", sources))
    fields = [f for c in cited if c.report == "reliability.json" for f in c.fields]
    assert fields
    assert {field.split(".")[0] for field in fields} <= recorded


SAMPLE = """
| What | Figure | Report | Field |
|---|---|---|---|
| Own risk set | 321 / 321 | `safety.json` | `sets.r.crisis_replies` / `sets.r.messages` |
| Turns lost | 0 | `reliability.json` | `load.turns_lost` |
| Not a claim | words | here | there |
"""


def test_check_parses_claims_and_catches_a_changed_figure() -> None:
    cited = safety_case.claims(SAMPLE)
    assert [(c.report, c.figures, c.fields) for c in cited] == [
        ("safety.json", [321, 321], ["sets.r.crisis_replies", "sets.r.messages"]),
        ("reliability.json", [0], ["load.turns_lost"]),
    ]
    good = {"sets": {"r": {"crisis_replies": 321, "messages": 321}}}
    assert safety_case.mismatches(cited, "safety.json", good) == []
    worse = {"sets": {"r": {"crisis_replies": 320, "messages": 321}}}
    assert safety_case.mismatches(cited, "safety.json", worse) == [
        "Own risk set: the safety case says 321, "
        "safety.json sets.r.crisis_replies is 320"
    ]
    assert safety_case.mismatches(cited, "reliability.json", {}) == [
        "Turns lost: the safety case says 0, reliability.json load.turns_lost is None"
    ]


def test_check_reports_a_missing_report(tmp_path: Path) -> None:
    case = tmp_path / "case.md"
    case.write_text(SAMPLE)
    assert safety_case.check(["reliability.json"], reports=tmp_path, safety_case=case) == [
        f"no {tmp_path / 'reliability.json'}"
    ]
    assert safety_case.check(["other.json"], reports=tmp_path, safety_case=case) == [
        "the safety case cites nothing from other.json"
    ]
