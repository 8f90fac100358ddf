"""Bounded history: Rasa reads only recent events, yet every event is stored once."""

from __future__ import annotations

import asyncio
import json
import os
import uuid
from pathlib import Path
from typing import Iterator, List

import pytest
import sqlalchemy as sa
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    BotUttered,
    SessionStarted,
    SlotSet,
    UserUttered,
)

import components.tracker_store as tracker_store_module
from components.tracker_store import ConversationTrackerStore
from tests.support import ROOT

PG_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
WINDOW = 12


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[ConversationTrackerStore]:
    url = f"sqlite:///{tmp_path / 'bounded.db'}" if request.param == "sqlite" else PG_URL
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setattr(tracker_store_module, "RECENT_EVENTS", WINDOW)
    store = ConversationTrackerStore(domain=Domain.load(str(ROOT / "domain.yml")))
    yield store
    store.engine.dispose()


def stored(store: ConversationTrackerStore, sender: str) -> List[dict]:
    with store.engine.connect() as conn:
        rows = conn.execute(
            sa.text("SELECT data FROM events WHERE sender_id=:s ORDER BY id"), {"s": sender}
        ).fetchall()
    return [json.loads(row[0]) for row in rows]


def cleanup(store: ConversationTrackerStore, sender: str) -> None:
    with store.engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM events WHERE sender_id=:s"), {"s": sender})


def turn(number: int) -> list:
    return [
        UserUttered(f"message {number}", {"name": "greet", "confidence": 1.0}),
        ActionExecuted("utter_greet"),
        BotUttered(f"reply {number}"),
        ActionExecuted("action_listen"),
    ]


def test_long_conversation_is_read_bounded_and_stored_whole(
    store: ConversationTrackerStore,
) -> None:
    loop = asyncio.new_event_loop()
    sender = f"bounded-{uuid.uuid4().hex}"
    try:
        tracker = loop.run_until_complete(store.get_or_create_tracker(sender))
        tracker.update(ActionExecuted("action_session_start"))
        tracker.update(SessionStarted())
        tracker.update(SlotSet("region", "Gloucestershire"))
        tracker.update(ActionExecuted("action_listen"))
        loop.run_until_complete(store.save(tracker))
        for number in range(30):
            tracker = loop.run_until_complete(store.retrieve(sender))
            # Rasa sees a bounded window, with the old slot value carried over.
            assert len(tracker.events) <= WINDOW + 1
            assert tracker.get_slot("region") == "Gloucestershire"
            for event in turn(number):
                tracker.update(event)
            loop.run_until_complete(store.save(tracker))

        events = stored(store, sender)
        users = [e["text"] for e in events if e["event"] == "user"]
        # Every message stored, once, in order; nothing re-inserted by a bounded save.
        assert users == [f"message {n}" for n in range(30)]
        assert len(events) == 5 + 30 * 4  # opening listen, session start and slot, turns
    finally:
        cleanup(store, sender)
        loop.close()


def test_slot_reset_by_restart_is_not_carried_over(store: ConversationTrackerStore) -> None:
    from rasa.shared.core.events import Restarted

    loop = asyncio.new_event_loop()
    sender = f"bounded-{uuid.uuid4().hex}"
    try:
        tracker = loop.run_until_complete(store.get_or_create_tracker(sender))
        tracker.update(SlotSet("region", "Gloucestershire"))
        tracker.update(Restarted())
        for number in range(10):
            for event in turn(number):
                tracker.update(event)
        loop.run_until_complete(store.save(tracker))
        again = loop.run_until_complete(store.retrieve(sender))
        assert len(again.events) <= WINDOW
        assert again.get_slot("region") is None
    finally:
        cleanup(store, sender)
        loop.close()


def test_cached_event_lookup_reads_events_as_rasa_does() -> None:
    from rasa.shared.core.events import ActiveLoop, Restarted
    from rasa.shared.core.events import deserialise_events as rasa_deserialise

    from components.tracker_store import deserialise_events

    samples = [
        UserUttered("hi", {"name": "greet", "confidence": 1.0}),
        BotUttered("hello", {"buttons": [{"title": "Menu", "payload": "/show_menu"}]}),
        ActionExecuted("utter_greet"),
        SlotSet("region", "Gloucestershire"),
        ActiveLoop("signposting_form"),
        SessionStarted(),
        Restarted(),
    ]
    as_dicts = [event.as_dict() for event in samples]
    ours = deserialise_events(as_dicts)
    assert ours == rasa_deserialise(as_dicts)
    assert [type(event) for event in ours] == [type(event) for event in samples]
