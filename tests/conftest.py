"""Session fixtures shared by every pytest suite."""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pytest

from tests.support import InProcessBot, Servers, newest_model, running_servers


@pytest.fixture(scope="session")
def model_path() -> Path:
    return newest_model()


@pytest.fixture(scope="session")
def bot(model_path: Path) -> InProcessBot:
    """The trained assistant in-process (no action server, in-memory tracker)."""
    return InProcessBot(model_path)


@pytest.fixture(scope="session")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Servers]:
    """Real Rasa and action servers on free ports, with their own SQLite store."""
    with running_servers(tmp_path_factory.mktemp("servers")) as running:
        yield running
