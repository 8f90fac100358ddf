"""Least privilege at run time: the tracker store's database role, Redis's password."""

from __future__ import annotations

import asyncio
import re
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.support import TEST_POSTGRES_URL, postgres_reachable

ROLES_SQL = Path(__file__).resolve().parent.parent / "deploy" / "postgres-roles.sql"


def test_redis_password_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    from components.lock_store import FallbackRedisLockStore

    monkeypatch.setenv("REDIS_PASSWORD", "from-the-environment")
    store = FallbackRedisLockStore(host="127.0.0.1", port=6379)
    kwargs = store.redis_store.red.connection_pool.connection_kwargs
    assert kwargs["password"] == "from-the-environment"
    monkeypatch.delenv("REDIS_PASSWORD")
    store = FallbackRedisLockStore(host="127.0.0.1", port=6379)
    assert store.redis_store.red.connection_pool.connection_kwargs["password"] is None


def _statements(role: str) -> list:
    text = re.sub(r"--[^\n]*", "", ROLES_SQL.read_text())
    return [s.strip().replace("carer_app", role) for s in text.split(";")
            if s.strip() and ":'" not in s]


@pytest.mark.postgres
def test_runtime_database_role_reads_inserts_and_deletes_only(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    if not postgres_reachable():
        pytest.skip("no PostgreSQL at " + TEST_POSTGRES_URL)
    from rasa.shared.core.events import SessionStarted, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    from components.tracker_store import ConversationTrackerStore

    # The owner creates the table (as the first start does), then the role.
    monkeypatch.setenv("DATABASE_URL", TEST_POSTGRES_URL)
    ConversationTrackerStore()
    role = f"carer_app_test_{uuid.uuid4().hex[:8]}"
    owner = sa.create_engine(TEST_POSTGRES_URL)
    with owner.begin() as conn:
        for statement in _statements(role):
            conn.execute(sa.text(statement))
    app_url = TEST_POSTGRES_URL.replace("postgres@", f"{role}@", 1)
    sender = f"rest:least-privilege-{uuid.uuid4().hex}"
    try:
        monkeypatch.setenv("DATABASE_URL", app_url)
        store = ConversationTrackerStore()  # starts without DDL: the table exists
        from rasa.shared.core.domain import Domain

        store.domain = Domain.empty()
        tracker = DialogueStateTracker.from_events(
            sender, [SessionStarted(), UserUttered("hello", {"name": "greet"})])
        asyncio.run(store.save(tracker))
        assert asyncio.run(store.retrieve(sender)) is not None
        app = sa.create_engine(app_url)
        for forbidden in ("CREATE TABLE least_privilege_probe (id int)",
                          "DROP TABLE events", "ALTER TABLE events ADD COLUMN x int",
                          f"UPDATE events SET data = '' WHERE sender_id = '{sender}'"):
            with pytest.raises(sa.exc.ProgrammingError), app.begin() as conn:
                conn.execute(sa.text(forbidden))
        # Deleting a conversation (the purge's and "delete my conversation"'s
        # statement) works with the same role. Only this test's rows: the
        # database is shared with other suites.
        with app.begin() as conn:
            deleted = conn.execute(sa.text("DELETE FROM events WHERE sender_id = :s"),
                                   {"s": sender}).rowcount
        app.dispose()
        assert deleted >= 2
        assert asyncio.run(store.retrieve(sender)) is None
        store.engine.dispose()
    finally:
        with owner.begin() as conn:
            conn.execute(sa.text("DELETE FROM events WHERE sender_id = :s"), {"s": sender})
            conn.execute(sa.text(f'DROP OWNED BY "{role}"'))
            conn.execute(sa.text(f'DROP ROLE "{role}"'))
        owner.dispose()
