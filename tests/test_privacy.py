"""Privacy: redaction before storage, "delete my conversation", retention, logs."""

from __future__ import annotations

import asyncio
import json
import os
import time
import uuid
from pathlib import Path
from typing import Iterator, List

import pytest
import sqlalchemy as sa

from tests.reliability.figures import record
from tests.support import Servers, postgres_reachable

PG_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")

# Personal details as people type them: (message, the detail that must go).
PII_SAMPLES = [
    ("my email is jo.bloggs@example.com", "jo.bloggs@example.com"),
    ("email me: Sam_Smith+carer@mail.example.co.uk please", "Sam_Smith+carer@mail"),
    ("JANE.DOE@EXAMPLE.ORG", "JANE.DOE@EXAMPLE.ORG"),
    ("call me on 07700 900123", "900123"),
    ("my mobile is 07700900123", "07700900123"),
    ("ring +44 7700 900123", "7700 900123"),
    ("+44 (0)20 7946 0958 is home", "7946 0958"),
    ("020 7946 0958", "7946 0958"),
    ("0117 496 0123", "496 0123"),
    ("01632 960001", "960001"),
    ("0161-496-0000", "496-0000"),
    ("(020) 7946 0958", "7946 0958"),
    ("0044 20 7946 0958", "7946 0958"),
    ("we live at SW1A 1AA", "SW1A 1AA"),
    ("postcode sw1a1aa", "sw1a1aa"),
    ("M1 1AE", "M1 1AE"),
    ("it's b33 8th", "b33 8th"),
    ("CR2 6XH near here", "CR2 6XH"),
    ("DN55 1PT", "DN55 1PT"),
    ("EC1A 1BB", "EC1A 1BB"),
    ("my number is 07911 123456 and email a@b.co", "123456"),
    ("my number is 07911 123456 and email a@b.co", "a@b.co"),
]
# Ordinary text, helpline numbers and times must stay as typed.
CLEAN_SAMPLES = [
    "my son is 15 and he cuts his arms",
    "Samaritans is 116 123",
    "I called 111 last night",
    "she has been doing it since 2019",
    "it happened at 10:30 on 12/03",
    "what is a carer's assessment",
    "we spoke for 45 minutes",
    "ring 999 now",
]


def test_redaction_corpus() -> None:
    from components.privacy import redact_text

    misses = [(text, secret) for text, secret in PII_SAMPLES if secret in redact_text(text)[0]]
    false_hits = [text for text in CLEAN_SAMPLES if redact_text(text)[1]]
    record("redaction", {
        "pii_samples": len(PII_SAMPLES), "hits": len(PII_SAMPLES) - len(misses),
        "misses": len(misses), "clean_samples": len(CLEAN_SAMPLES),
        "false_hits": len(false_hits),
    })
    assert not misses, misses
    assert not false_hits, false_hits


PII_SET = Path(__file__).resolve().parent / "pii" / "personal_details.yml"
# Kinds that must always be caught; the others have a floor.
MUST_CATCH = ("email", "phone", "postcode", "nhs_number")
RECALL_FLOOR = 0.9


def test_redaction_recall_per_kind() -> None:
    """Recall per kind on >= 200 labelled messages (tests/pii/personal_details.yml)."""
    import yaml

    from components.privacy import redact_text

    messages = yaml.safe_load(PII_SET.read_text(encoding="utf-8"))["messages"]
    assert len(messages) >= 200
    found: dict = {}
    missed: List[tuple] = []
    for message in messages:
        redacted = redact_text(message["text"])[0]
        for kind, details in message["details"].items():
            for detail in details:
                total, caught = found.get(kind, (0, 0))
                gone = detail not in redacted
                found[kind] = (total + 1, caught + gone)
                if not gone:
                    missed.append((kind, message["text"]))
    recall = {kind: round(caught / total, 3) for kind, (total, caught) in found.items()}
    record("redaction_recall", {"messages": len(messages), "recall": recall,
                                "details": {k: t for k, (t, _) in found.items()}})
    assert all(recall[kind] == 1.0 for kind in MUST_CATCH), missed
    assert all(r >= RECALL_FLOOR for r in recall.values()), missed


def test_every_stored_event_type_is_redacted() -> None:
    """Backstop: user metadata, parse data, slot values and session metadata."""
    from components.privacy import redact_event

    user = redact_event({
        "event": "user", "text": "I'm Jo, 07700 900123",
        "metadata": {"message_id": "m-1", "email": "jo@example.com", "ip": "203.0.113.9"},
        "parse_data": {"text": "I'm Jo, 07700 900123", "metadata": {"name": "Jo"},
                       "entities": [{"entity": "x", "value": "jo@example.com"}]},
    })
    assert user["metadata"] == {"message_id": "m-1"}
    assert "07700" not in json.dumps(user) and "Jo" not in json.dumps(user)
    assert "jo@example.com" not in json.dumps(user)
    slot = redact_event({"event": "slot", "name": "note", "value": "call 07700 900123"})
    assert slot["value"] == "call [phone]"
    assert redact_event({"event": "slot", "name": "age_group", "value": "25_to_55"})[
        "value"] == "25_to_55"
    session = redact_event({"event": "session_started", "metadata": {"email": "a@b.co"}})
    assert session["metadata"] == {}
    bot = {"event": "bot", "text": "Samaritans: 116 123, jo@samaritans.org"}
    assert redact_event(bot) == bot


def _user_texts(url: str, sender: str) -> List[str]:
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text("SELECT data FROM events WHERE sender_id=:s AND type_name='user' ORDER BY id"),
            {"s": sender},
        ).fetchall()
    engine.dispose()
    return [json.loads(r[0])["text"] for r in rows]


def _all_rows(url: str, sender: str) -> List[str]:
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text("SELECT data FROM events WHERE sender_id=:s ORDER BY id"), {"s": sender}
        ).fetchall()
    engine.dispose()
    return [r[0] for r in rows]


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'privacy.db'}"
        return
    if not postgres_reachable(PG_URL):
        pytest.skip(f"PostgreSQL not reachable at {PG_URL}")
    yield PG_URL


@pytest.fixture()
def agent_on(store_url: str, model_path: Path, monkeypatch: pytest.MonkeyPatch):  # noqa: ANN201
    """The trained model in-process, storing in ``store_url`` via our tracker store."""
    from rasa.core.agent import Agent

    from components.tracker_store import ConversationTrackerStore

    monkeypatch.setenv("DATABASE_URL", store_url)
    loop = asyncio.new_event_loop()
    store = ConversationTrackerStore()
    agent = Agent.load(str(model_path), tracker_store=store)
    senders: List[str] = []

    def send(sender: str, text: str) -> list:
        senders.append(sender)
        return loop.run_until_complete(agent.handle_text(text, sender_id=sender)) or []

    yield send
    engine = sa.create_engine(store_url)
    with engine.begin() as conn:
        for sender in senders:
            conn.execute(sa.text("DELETE FROM events WHERE sender_id=:s"), {"s": sender})
    engine.dispose()
    loop.close()


def test_user_text_redacted_bot_replies_kept(agent_on, store_url: str) -> None:
    sender = f"privacy-{uuid.uuid4().hex}"
    agent_on(sender, "hello")
    replies = agent_on(sender, "my email is jo@example.com, mobile 07700 900123, postcode SW1A 1AA")
    assert replies, "the live conversation still answers"
    # The conversation carries on after a redacted turn.
    assert agent_on(sender, "are you a real person?")
    rows = "\n".join(_all_rows(store_url, sender))
    for secret in ("jo@example.com", "07700 900123", "SW1A 1AA", "07700"):
        assert secret not in rows
    texts = _user_texts(store_url, sender)
    assert texts[1] == "my email is [email], mobile [phone], postcode [postcode]"
    # Bot replies are stored as sent (the fallback reply quotes Samaritans' number).
    bot_rows = [json.loads(r) for r in _all_rows(store_url, sender)]
    bot_texts = " ".join(e.get("text") or "" for e in bot_rows if e.get("event") == "bot")
    assert bot_texts and "[phone]" not in bot_texts


def test_delete_my_conversation(agent_on, store_url: str) -> None:
    sender = f"delete-{uuid.uuid4().hex}"
    other = f"keep-{uuid.uuid4().hex}"
    agent_on(other, "hello")
    agent_on(sender, "hello")
    agent_on(sender, "are you a bot?")
    assert len(_user_texts(store_url, sender)) == 2
    replies = agent_on(sender, "please delete my conversation")
    assert any("deleted" in (m.get("text") or "") for m in replies)
    assert _all_rows(store_url, sender) == [], "every row of the sender is gone"
    assert _user_texts(store_url, other) == ["hello"], "other conversations stay"
    # The button payload does the same, and a new conversation starts clean.
    agent_on(sender, "hello")
    agent_on(sender, "/delete_conversation")
    assert _all_rows(store_url, sender) == []
    agent_on(sender, "hello")
    assert _user_texts(store_url, sender) == ["hello"]


def test_purge_old_conversations(store_url: str) -> None:
    from components.tracker_store import ConversationTrackerStore
    from scripts.purge_conversations import purge

    old, recent = f"old-{uuid.uuid4().hex}", f"recent-{uuid.uuid4().hex}"
    os.environ["DATABASE_URL"] = store_url
    try:
        ConversationTrackerStore()  # creates the table
    finally:
        del os.environ["DATABASE_URL"]
    engine = sa.create_engine(store_url)
    now = time.time()
    with engine.begin() as conn:
        for sender, age_days in ((old, 45), (old, 31), (recent, 40), (recent, 2)):
            conn.execute(
                sa.text(
                    "INSERT INTO events (sender_id, type_name, timestamp, data) "
                    "VALUES (:s, 'user', :t, '{}')"
                ),
                {"s": sender, "t": now - age_days * 86400},
            )
    try:
        assert purge(store_url, 30, now=now) >= 1
        with engine.connect() as conn:
            left = dict(
                conn.execute(
                    sa.text(
                        "SELECT sender_id, COUNT(*) FROM events WHERE sender_id IN (:a, :b) "
                        "GROUP BY sender_id"
                    ),
                    {"a": old, "b": recent},
                ).fetchall()
            )
        assert old not in left and left.get(recent) == 2
    finally:
        with engine.begin() as conn:
            conn.execute(sa.text("DELETE FROM events WHERE sender_id IN (:a, :b)"),
                         {"a": old, "b": recent})
        engine.dispose()


def test_info_logs_hold_no_message_text(servers: Servers) -> None:
    marker = f"zebra{uuid.uuid4().hex[:8]}"
    for text in (f"hello {marker}", f"my son {marker} hurts himself", f"{marker} " * 20):
        servers.send(f"logcheck-{uuid.uuid4().hex}", text)
    time.sleep(1)
    assert servers.log_dir is not None
    logs = {p.name: p.read_text(errors="replace") for p in servers.log_dir.glob("*.log")}
    assert any(name.startswith("rasa-") for name in logs)
    leaking = [name for name, text in logs.items() if marker in text]
    assert not leaking, f"message text found in {leaking}"


def test_make_run_purges_on_start_and_then_repeatedly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """make run starts the purge with --every 86400; here every 1 s."""
    import subprocess
    import sys

    from components.tracker_store import ConversationTrackerStore

    monkeypatch.delenv("DATABASE_URL", raising=False)
    db = tmp_path / "conversations.db"
    ConversationTrackerStore(db=str(db))  # creates the table
    url = f"sqlite:///{db}"
    engine = sa.create_engine(url)

    def add(sender: str, age_days: float) -> None:
        with engine.begin() as conn:
            conn.execute(sa.text("INSERT INTO events (sender_id, type_name, timestamp, data) "
                                 "VALUES (:s, 'user', :t, '{}')"),
                         {"s": sender, "t": time.time() - age_days * 86400})

    def senders() -> set:
        with engine.connect() as conn:
            return {r[0] for r in conn.execute(sa.text("SELECT DISTINCT sender_id FROM events"))}

    def wait_until_gone(sender: str) -> bool:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if sender not in senders():
                return True
            time.sleep(0.2)
        return False

    add("old-1", 31)
    add("recent", 2)
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    root = Path(__file__).resolve().parent.parent
    proc = subprocess.Popen(
        [sys.executable, str(root / "scripts" / "purge_conversations.py"), "--db", str(db),
         "--every", "1"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        assert wait_until_gone("old-1"), "purged on start"
        add("old-2", 45)
        assert wait_until_gone("old-2"), "purged again later"
        assert "recent" in senders()
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        engine.dispose()
    run_sh = (root / "scripts" / "run.sh").read_text()
    assert "purge_conversations.py --every 86400" in run_sh
