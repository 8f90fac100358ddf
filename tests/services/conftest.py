"""Fixtures for the service directory: the factsheet and a database per backend.

``engine`` runs each test on SQLite and on the real PostgreSQL at
127.0.0.1:5432 (database ``test``, schema of its own, dropped afterwards), and
skips PostgreSQL only when the server is unreachable.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path
from typing import Iterator

import pytest
import sqlalchemy as sa

from actions import service_directory as directory
from tests.support import postgres_reachable

POSTGRES_URL = os.environ.get(
    "SERVICES_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)
FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(scope="session")
def factsheet_text() -> str:
    return directory.find_factsheet().read_text(encoding="utf-8")


@pytest.fixture(
    params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[sa.engine.Engine]:
    """An empty services database on each backend."""
    if request.param == "sqlite":
        engine = directory.make_engine(f"sqlite:///{tmp_path / 'services.db'}")
        yield engine
        engine.dispose()
        return
    if not postgres_reachable(POSTGRES_URL):
        pytest.skip(f"PostgreSQL not reachable at {POSTGRES_URL}")
    schema = f"services_test_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(POSTGRES_URL)
    with admin.begin() as connection:
        connection.execute(sa.text(f"CREATE SCHEMA {schema}"))
    engine = directory.make_engine(POSTGRES_URL, schema=schema)
    try:
        yield engine
    finally:
        engine.dispose()
        with admin.begin() as connection:
            connection.execute(sa.text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


@pytest.fixture
def loaded_engine(engine: sa.engine.Engine) -> sa.engine.Engine:
    """The real directory (data/services/) loaded into ``engine``."""
    directory.load_services(engine)
    return engine
