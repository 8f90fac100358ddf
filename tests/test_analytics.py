"""`make analytics`: exact counts from a seeded tracker store, files, no text or ids out.

The seed is written through the real tracker store (ConversationTrackerStore)
with real Rasa events at fixed UTC times, on SQLite and on PostgreSQL (a
database of its own, dropped afterwards). One end-to-end test talks to real
Rasa and action servers over REST and counts what they stored.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import sqlite3
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any, Dict, Iterator, List, Tuple

import pytest
import sqlalchemy as sa
from rasa.shared.core.events import (
    ActionExecuted,
    BotUttered,
    Event,
    SessionStarted,
    UserUtteranceReverted,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.utils.io import read_yaml_file

from components.tracker_store import ConversationTrackerStore
from scripts import analytics
from tests.support import ROOT, Servers, postgres_reachable

PG_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
RUN = f"{uuid.uuid4().hex[:8]}"
# Distinctive sender ids and words: none of them may appear in any output file.
SENDERS = {name: f"seedsender-{name}-{RUN}" for name in ("ann", "bob", "cat", "dan", "eve", "fay")}
SECRET_WORD = f"quokkamarmalade{RUN}"
D1, D2, D3, D4 = "2026-03-01", "2026-03-02", "2026-03-03", "2026-03-04"


def at(day: str, hh: int, mm: int = 0, ss: int = 0) -> float:
    """Epoch seconds of a UTC time."""
    d = dt.date.fromisoformat(day)
    return dt.datetime(d.year, d.month, d.day, hh, mm, ss, tzinfo=dt.timezone.utc).timestamp()


# ===== The seed =====
class Conversation:
    """Builds one sender's events, one second apart, like Rasa stores them."""

    def __init__(self) -> None:
        self.events: List[Event] = []
        self.t = 0.0

    def _tick(self) -> float:
        self.t += 1
        return self.t

    def session(self, start: float) -> Conversation:
        self.t = start
        self.events += [
            ActionExecuted("action_session_start", timestamp=start),
            SessionStarted(timestamp=start),
            ActionExecuted("action_listen", timestamp=start),
        ]
        return self

    def user(self, intent: str, *actions: str) -> Conversation:
        t = self._tick()
        self.events.append(
            UserUttered(f"{SECRET_WORD} {intent} words", {"name": intent, "confidence": 0.9},
                        timestamp=t)
        )
        for action in actions:
            self.events.append(ActionExecuted(action, timestamp=t + 0.1))
            self.events.append(BotUttered(f"reply from {action}", timestamp=t + 0.1))
        self.events.append(ActionExecuted("action_listen", timestamp=t + 0.2))
        return self

    def core_fallback(self, intent: str) -> Conversation:
        """Rasa's core fallback turn: action_default_fallback sends utter_default, reverts."""
        t = self._tick()
        self.events += [
            UserUttered(f"{SECRET_WORD} unclear", {"name": intent, "confidence": 0.4}, timestamp=t),
            ActionExecuted("action_default_fallback", timestamp=t + 0.1),
            BotUttered("reply from utter_default", timestamp=t + 0.1),
            UserUtteranceReverted(timestamp=t + 0.1),
            ActionExecuted("action_listen", timestamp=t + 0.2),
        ]
        return self

    def at(self, t: float) -> Conversation:
        self.t = t - 1
        return self


def seed_conversations() -> Dict[str, List[Event]]:
    ann = (
        Conversation()
        .session(at(D1, 10))
        .user("greet", "utter_greet", "utter_menu")
        .user("topic_reacting", "utter_reacting")
        .user("risk_someone_else", "utter_crisis_someone_else")
        .user("feedback_helpful", "utter_feedback_helpful")
        # A second session (conversation) on the next day.
        .session(at(D2, 9))
        .user("topic_scars", "utter_scars")
        .user("nlu_fallback", "utter_default", "utter_menu")
    )
    bob = (
        Conversation()
        .session(at(D1, 11))
        .user("topic_reacting", "utter_reacting")
        .user("find_service", "signposting_form")
        .core_fallback("out_of_scope")
        .user("feedback_not_helpful", "utter_feedback_not_helpful")
    )
    # Starts 30 s before midnight: a D1 conversation whose messages fall on D2.
    cat = (
        Conversation()
        .session(at(D1, 23, 59, 30))
        .at(at(D2, 0, 0, 10))
        .user("topic_self_care", "utter_self_care")
        .user("risk_danger_now", "utter_crisis_danger_now")
    )
    dan = (
        Conversation()
        .session(at(D2, 14))
        .user("greet", "utter_greet")
        .user("topic_helping", "utter_helping")
        .user("topic_helping", "utter_helping")
        .user("nlu_fallback", "utter_default", "utter_menu")
        .user("feedback_helpful", "utter_feedback_helpful")
    )
    # D3 has nothing at all.
    eve = (
        Conversation()
        .session(at(D4, 8))
        .user("i_self_harm", "utter_i_self_harm")
        .user("risk_check", "utter_crisis_check")  # the gentle crisis reply: a check-in
        .user("risk_self", "utter_crisis_self")
    )
    # No session_started (not what Rasa writes): a topic, but no conversation.
    fay = Conversation().at(at(D4, 12)).user("topic_helping", "utter_helping")
    return {
        SENDERS["ann"]: ann.events,
        SENDERS["bob"]: bob.events,
        SENDERS["cat"]: cat.events,
        SENDERS["dan"]: dan.events,
        SENDERS["eve"]: eve.events,
        SENDERS["fay"]: fay.events,
    }


# What the seed must give, worked out by hand from the conversations above.
# D1: ann#1 (4 messages), bob (4), cat (2, started at 23:59:30) -> median 4.
# D2: ann#2 (2), dan (5) -> median 3.5. D3: nothing. D4: eve (3) -> median 3.
# All: 2, 2, 3, 4, 4, 5 -> median 3.5.
EXPECTED_DAYS = {
    D1: {"conversations": 3, "user_messages": 10, "median_conversation_length": 4.0,
         "topics_chosen": 3, "crisis_replies": 1, "safety_checkins": 0, "fallback_replies": 1,
         "helpful_yes": 1, "helpful_no": 1},
    D2: {"conversations": 2, "user_messages": 7, "median_conversation_length": 3.5,
         "topics_chosen": 4, "crisis_replies": 1, "safety_checkins": 0, "fallback_replies": 2,
         "helpful_yes": 1, "helpful_no": 0},
    D3: {"conversations": 0, "user_messages": 0, "median_conversation_length": None,
         "topics_chosen": 0, "crisis_replies": 0, "safety_checkins": 0, "fallback_replies": 0,
         "helpful_yes": 0, "helpful_no": 0},
    D4: {"conversations": 1, "user_messages": 3, "median_conversation_length": 3.0,
         "topics_chosen": 2, "crisis_replies": 2, "safety_checkins": 1, "fallback_replies": 0,
         "helpful_yes": 0, "helpful_no": 0},
}
EXPECTED_TOPICS = [
    (D1, "topic_reacting", 2),
    (D1, "find_service", 1),
    (D2, "topic_helping", 2),
    (D2, "topic_self_care", 1),
    (D2, "topic_scars", 1),
    (D4, "topic_helping", 1),
    (D4, "i_self_harm", 1),
]
EXPECTED_CRISIS = [
    (D1, "someone_else", 1), (D2, "danger_now", 1), (D4, "self", 1), (D4, "check", 1),
]


def seed(url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Writes the seed through the project's tracker store (redaction and all)."""
    monkeypatch.setenv("DATABASE_URL", url)
    store = ConversationTrackerStore()
    loop = asyncio.new_event_loop()
    try:
        for sender, events in seed_conversations().items():
            tracker = DialogueStateTracker.from_events(sender, events)
            loop.run_until_complete(store.save(tracker))
    finally:
        loop.close()
        store.engine.dispose()
    monkeypatch.delenv("DATABASE_URL")


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty tracker database: an SQLite file, or a fresh PostgreSQL database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'conversations.db'}"
        return
    if not postgres_reachable(PG_URL):
        pytest.skip(f"PostgreSQL not reachable at {PG_URL}")
    name = f"analytics_test_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield sa.engine.make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def seeded_url(store_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    seed(store_url, monkeypatch)
    return store_url


def day_figures(result: analytics.Analytics) -> Dict[str, Dict[str, Any]]:
    return {
        figures.date: {k: v for k, v in vars(figures).items() if k != "date"}
        for figures in result.days
    }


def output_files(out: Path) -> List[Path]:
    return sorted(path for path in out.iterdir() if path.is_file())


def assert_nothing_personal(out: Path, senders: List[str], words: List[str]) -> None:
    for path in output_files(out):
        content = path.read_bytes()
        for secret in [*senders, *words]:
            assert secret.encode() not in content, f"{secret!r} leaked into {path.name}"


# ===== Counts =====
def test_counts_per_day_topic_and_kind_are_exact(seeded_url: str) -> None:
    result = analytics.compute_analytics(seeded_url)

    assert result.store_found
    figures_text = repr(result.as_dict())
    assert SECRET_WORD not in figures_text
    assert not any(sender in figures_text for sender in SENDERS.values())
    assert [figures.date for figures in result.days] == [D1, D2, D3, D4]
    assert day_figures(result) == EXPECTED_DAYS
    assert result.topics == EXPECTED_TOPICS
    assert result.crisis == EXPECTED_CRISIS
    assert result.median_conversation_length == 3.5
    assert result.total("conversations") == 6
    assert result.crisis_totals() == {
        "danger_now": 1, "someone_else": 1, "self": 1, "urgent_help": 0, "check": 1, "followup": 0,
    }
    # Every menu topic is listed, chosen or not.
    totals = result.topic_totals()
    assert totals["topic_reacting"] == 2 and totals["topic_helping"] == 3
    assert totals["topic_further_reading"] == 0
    assert sum(totals.values()) == 9


def test_since_and_until_keep_only_those_days(seeded_url: str) -> None:
    result = analytics.compute_analytics(
        seeded_url, since=dt.date.fromisoformat(D2), until=dt.date.fromisoformat(D2)
    )

    # cat's conversation started on D1, so it is not a D2 conversation, but its
    # topic and crisis reply happened on D2 and count there.
    assert day_figures(result) == {D2: EXPECTED_DAYS[D2]}
    assert result.topics == [row for row in EXPECTED_TOPICS if row[0] == D2]
    assert result.crisis == [(D2, "danger_now", 1)]
    assert result.median_conversation_length == 3.5


def test_median_of_counts() -> None:
    assert analytics.median_from_counts({}) is None
    assert analytics.median_from_counts({7: 1}) == 7
    assert analytics.median_from_counts({1: 1, 2: 1, 10: 1}) == 2
    assert analytics.median_from_counts({1: 1, 2: 1, 3: 1, 10: 1}) == 2.5
    assert analytics.median_from_counts({2: 2, 9: 2}) == 5.5
    assert analytics.median_from_counts({4: 3, 1: 1}) == 4


def test_topics_and_crisis_kinds_come_from_the_domain() -> None:
    domain = read_yaml_file(str(ROOT / "domain.yml"))["responses"]
    definitions = analytics.load_definitions()

    menu_payloads = [b["payload"] for b in domain["utter_menu"][0]["buttons"]]
    assert [f"/{topic}" for topic in definitions.topics] == menu_payloads
    for name, kind in definitions.crisis_kinds.items():
        assert domain[name][0]["custom"] == {"crisis": True, "kind": kind}
    assert definitions.crisis_kinds["utter_crisis_check"] == "check"
    assert sorted(definitions.crisis_kinds) == sorted(
        name for name in domain if name.startswith("utter_crisis_")
    )


# ===== Files, and nothing personal in them =====
def test_reports_are_written_without_text_or_sender_ids(seeded_url: str, tmp_path: Path) -> None:
    out = tmp_path / "out"
    paths = analytics.write_reports(analytics.compute_analytics(seeded_url), out)

    assert {path.name for path in paths} == {
        "daily.csv", "topics.csv", "crisis.csv", *analytics.CHARTS,
    }
    assert sorted(paths) == output_files(out)
    daily = (out / "daily.csv").read_text().splitlines()
    assert daily[0] == ",".join(analytics.DAILY_FIELDS)
    assert daily[1:] == [
        f"{D1},3,10,4,3,1,0,1,1,1",
        f"{D2},2,7,3.5,4,1,0,2,1,0",
        f"{D3},0,0,,0,0,0,0,0,0",
        f"{D4},1,3,3,2,2,1,0,0,0",
    ]
    topics = (out / "topics.csv").read_text().splitlines()
    assert topics[0] == "date,topic,label,count"
    assert topics[1] == f'{D1},topic_reacting,I\'ve just found out,2'
    assert len(topics) == 1 + len(EXPECTED_TOPICS)
    assert (out / "crisis.csv").read_text().splitlines() == [
        "date,kind,count", *(f"{d},{k},{n}" for d, k, n in EXPECTED_CRISIS)
    ]
    for name in analytics.CHARTS:
        data = (out / name).read_bytes()
        assert data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) > 5000, name
    assert_nothing_personal(out, list(SENDERS.values()), [SECRET_WORD, "words", "unclear"])


def test_the_stored_text_really_was_there(seeded_url: str) -> None:
    """The leak check above can fail: the seed's words and ids are in the database."""
    engine = sa.create_engine(seeded_url)
    with engine.connect() as conn:
        data = " ".join(row[0] for row in conn.execute(sa.text("SELECT data FROM events")))
        senders = {row[0] for row in conn.execute(sa.text("SELECT sender_id FROM events"))}
    engine.dispose()
    assert SECRET_WORD in data
    assert senders == set(SENDERS.values())


def test_the_data_column_is_never_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 'conversations.db'}"
    seed(url, monkeypatch)
    denied: List[Tuple[str, str]] = []

    def authorizer(action: int, arg1: Any, arg2: Any, *_: Any) -> int:
        # SQLite asks before every column read: refuse the event text.
        if action == sqlite3.SQLITE_READ and (arg1, arg2) == ("events", "data"):
            denied.append((arg1, arg2))
            return sqlite3.SQLITE_DENY
        return sqlite3.SQLITE_OK

    engine_for = analytics.engine_for

    def guarded_engine(url: str) -> sa.engine.Engine:
        engine = engine_for(url)
        sa.event.listen(
            engine, "connect", lambda conn, _record: conn.set_authorizer(authorizer)
        )
        return engine

    monkeypatch.setattr(analytics, "engine_for", guarded_engine)
    result = analytics.compute_analytics(url)
    assert denied == []
    assert day_figures(result) == EXPECTED_DAYS
    # The guard works: reading the column through it fails.
    engine = guarded_engine(url)
    with pytest.raises(sa.exc.DatabaseError), engine.connect() as conn:
        conn.execute(sa.text("SELECT data FROM events")).fetchall()
    engine.dispose()
    assert denied


# ===== A fresh clone: no database yet =====
@pytest.mark.parametrize("state", ["no file", "no table"])
def test_no_conversations_yet_gives_header_only_files(tmp_path: Path, state: str) -> None:
    db = tmp_path / "var" / "conversations.db"
    if state == "no table":
        db.parent.mkdir()
        sqlite3.connect(db).close()
    out = tmp_path / "reports" / "analytics"
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "analytics.py"),
         "--database-url", f"sqlite:///{db}", "--out", str(out)],
        cwd=tmp_path, capture_output=True, text=True, timeout=300,
        env={**os.environ, "DATABASE_URL": ""},
    )

    assert result.returncode == 0, result.stderr
    assert "No conversations stored yet" in result.stdout
    assert (out / "daily.csv").read_text().splitlines() == [",".join(analytics.DAILY_FIELDS)]
    assert (out / "topics.csv").read_text().splitlines() == ["date,topic,label,count"]
    assert (out / "crisis.csv").read_text().splitlines() == ["date,kind,count"]
    assert all((out / name).stat().st_size > 0 for name in analytics.CHARTS)
    # Reading never creates the database.
    assert db.exists() == (state == "no table")


def test_command_line_on_a_seeded_store(seeded_url: str, tmp_path: Path) -> None:
    out = tmp_path / "cli"
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "analytics.py"),
         "--database-url", seeded_url, "--out", str(out), "--since", D1, "--until", D4],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert "6 conversation(s), median length 3.5" in result.stdout
    assert str(out / "daily.csv") in result.stdout
    assert SECRET_WORD not in result.stdout + result.stderr
    assert not any(sender in result.stdout for sender in SENDERS.values())
    assert_nothing_personal(out, list(SENDERS.values()), [SECRET_WORD])


# ===== End to end: real servers, real conversations =====
def _snapshot(url: str) -> Dict[str, Any]:
    result = analytics.compute_analytics(url)
    names = ("conversations", "user_messages", "topics_chosen", "crisis_replies",
             "safety_checkins", "fallback_replies", "helpful_yes", "helpful_no")
    return {
        **{name: result.total(name) for name in names},
        "topics": result.topic_totals(),
        "crisis": result.crisis_totals(),
    }


def test_conversations_over_rest_are_counted(servers: Servers, tmp_path: Path) -> None:
    responses = read_yaml_file(str(ROOT / "domain.yml"))["responses"]
    fallback_text = responses["utter_default"][0]["text"]
    guide, worried = f"e2e-guide-{uuid.uuid4().hex}", f"e2e-worried-{uuid.uuid4().hex}"
    nonsense = f"zxqv wubblefrump {RUN}"
    # The shared servers may hold other tests' conversations: compare before/after.
    before = _snapshot(servers.database_url)

    assert servers.send(guide, "/greet")
    assert servers.send(guide, "/topic_reacting")
    assert servers.send(guide, "/feedback_helpful")
    replies = servers.send(guide, nonsense)
    assert fallback_text in [reply.get("text") for reply in replies]
    # The gentle crisis reply the risk screen forces on a weak risk signal.
    check_in = servers.send(worried, "/risk_check")
    assert [reply.get("custom") for reply in check_in if reply.get("custom")] == [
        {"crisis": True, "kind": "check"}
    ]
    crisis = servers.send(worried, "my son has taken an overdose")
    kinds = [(reply.get("custom") or {}).get("kind") for reply in crisis if reply.get("custom")]
    assert len(kinds) == 1 and kinds[0] in analytics.load_definitions().kinds

    after = _snapshot(servers.database_url)
    assert after["conversations"] - before["conversations"] == 2
    assert after["user_messages"] - before["user_messages"] == 6
    assert after["topics_chosen"] - before["topics_chosen"] == 1
    assert after["topics"]["topic_reacting"] - before["topics"]["topic_reacting"] == 1
    assert after["crisis_replies"] - before["crisis_replies"] == 2
    assert after["crisis"][kinds[0]] - before["crisis"][kinds[0]] == 1
    assert after["crisis"]["check"] - before["crisis"].get("check", 0) == 1
    assert after["safety_checkins"] - before["safety_checkins"] == 1
    assert after["fallback_replies"] - before["fallback_replies"] == 1
    assert after["helpful_yes"] - before["helpful_yes"] == 1
    assert after["helpful_no"] == before["helpful_no"]

    out = tmp_path / "e2e"
    analytics.write_reports(analytics.compute_analytics(servers.database_url), out)
    assert_nothing_personal(out, [guide, worried], [nonsense, "overdose"])
