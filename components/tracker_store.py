"""Conversation tracker store: Rasa's SQLTrackerStore on one URL setting.

SQLite under var/ by default; ``DATABASE_URL`` switches the same store to
PostgreSQL. Unlike the stock store it never blocks start-up forever when the
database is down: Rasa wraps every tracker store in FailSafeTrackerStore, so
the assistant keeps answering (crisis replies included) and writes resume
once the database is back.
"""

from __future__ import annotations

import asyncio
import functools
import itertools
import json
import logging
import os
import time
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Awaitable, Callable, Dict, Iterator, List, Optional, Set, Type, TypeVar

import sqlalchemy as sa
from rasa.core.brokers.broker import EventBroker
from rasa.core.tracker_store import SQLTrackerStore, TrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, Event, SessionStarted
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.utils.common import all_subclasses

from components.privacy import redact_event

logger = logging.getLogger(__name__)

T = TypeVar("T")

# ===== Reliability and privacy (production profile) =====
# "Delete my conversation": when this response has just run, the store deletes
# every row of the sender instead of saving (Rasa re-saves the in-memory
# tracker after each turn, so deleting anywhere else would be undone).
DELETE_MARKER_ACTION = "utter_conversation_deleted"
# Database errors worth retrying: connection lost/refused, SQLite busy.
RETRYABLE = (sa.exc.OperationalError, sa.exc.InterfaceError)
RETRY_DELAYS = (0.25, 0.5, 1.0, 2.0)
# After a failure that outlived every retry, fail fast for this long so a
# database outage does not hold each reply (crisis replies included).
FAIL_FAST_SECONDS = 10.0


@dataclass
class StoreHealth:
    """What went wrong with the store while one message was handled.

    Input channels put a fresh one in ``STORE_HEALTH`` per message; Rasa's
    FailSafeTrackerStore swallows store errors, so this is how a channel
    learns that a reply was sent but not stored (and tells the client).
    """

    unread_senders: Set[str] = field(default_factory=set)
    failed: bool = False


STORE_HEALTH: ContextVar[Optional[StoreHealth]] = ContextVar("store_health", default=None)
# ===== end Reliability and privacy =====

DEFAULT_SQLITE_PATH = "var/conversations.db"

# ===== Bounded history (performance) =====
# Rules and memoization (max_history 3) look back a few turns only, so Rasa is
# handed the newest events plus the state older events carry (slots, the
# active form) instead of the whole session: the cost of a turn stays flat as
# a conversation grows. Every event is still stored; only reading is bounded.
RECENT_EVENTS = int(os.environ.get("TRACKER_RECENT_EVENTS", "30"))
STATE_EVENT_TYPES = ("slot", "active_loop", "restart")
# How many stored rows the retrieved tracker stands for, so save() knows which
# of its events are new.
ROWS_READ = "_carer_rows_read"


@functools.lru_cache(maxsize=1)
def event_classes() -> Dict[str, Type[Event]]:
    """Event type name -> class, in Rasa's own lookup order.

    Rasa's Event.resolve_by_type walks every Event subclass for each stored
    event; looked up once, reading a tracker costs a few times less.
    """
    classes: Dict[str, Type[Event]] = {}
    for cls in all_subclasses(Event):
        classes.setdefault(cls.type_name, cls)
    return classes


def deserialise_events(rows: List[Dict[str, Any]]) -> List[Event]:
    """Like rasa.shared.core.events.deserialise_events, with the cached lookup."""
    classes = event_classes()
    events = []
    for data in rows:
        cls = classes.get(data.get("event", ""))
        event = cls._from_parameters(data) if cls else Event.from_parameters(data)
        if event:
            events.append(event)
    return events


def database_url(db: Optional[str] = None) -> str:
    """The tracker database URL: ``DATABASE_URL`` or an SQLite file."""
    url = os.environ.get("DATABASE_URL")
    if url:
        # SQLAlchemy 1.4 only knows the long scheme name.
        return url.replace("postgres://", "postgresql://", 1)
    return f"sqlite:///{db or DEFAULT_SQLITE_PATH}"


def engine_for(url: str) -> sa.engine.Engine:
    """An engine that fails fast and heals itself after a database restart."""
    # hide_parameters: database errors are logged; their SQL parameters can
    # hold what people typed.
    kwargs: Dict[str, Any] = {"pool_pre_ping": True, "hide_parameters": True}
    if url.startswith("sqlite:///"):
        try:
            Path(url[len("sqlite:///") :]).parent.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            # An unwritable folder must not stop the server: replies (crisis
            # replies included) go on, FailSafeTrackerStore keeps them in memory.
            logger.error("Tracker database folder not usable (%s).", type(error).__name__)
        # Several Rasa/action processes may share the file.
        kwargs["connect_args"] = {"timeout": 5, "check_same_thread": False}
    elif url.startswith("postgresql"):
        # A slow or unreachable database must not hold a conversation for long.
        kwargs["connect_args"] = {
            "connect_timeout": 3,
            "options": "-c statement_timeout=5000",
        }
        kwargs["pool_size"] = int(os.environ.get("SQL_POOL_SIZE", "10"))
        kwargs["max_overflow"] = int(os.environ.get("SQL_POOL_OVERFLOW", "10"))
    return sa.create_engine(url, **kwargs)


class ConversationTrackerStore(SQLTrackerStore):
    """SQLTrackerStore configured from ``DATABASE_URL`` (SQLite by default)."""

    def __init__(
        self,
        domain: Optional[Domain] = None,
        host: Optional[str] = None,
        db: str = DEFAULT_SQLITE_PATH,
        event_broker: Optional[EventBroker] = None,
        **kwargs: Any,
    ) -> None:
        url = database_url(db)
        self.engine = engine_for(url)
        self.sessionmaker = sa.orm.session.sessionmaker(bind=self.engine)
        self._tables_ready = False
        self._last_outage = -FAIL_FAST_SECONDS
        self._ensure_tables()
        logger.info(
            "Tracker store on %s", self.engine.url.render_as_string(hide_password=True)
        )
        TrackerStore.__init__(self, domain, event_broker, **kwargs)

    def _ensure_tables(self) -> None:
        if self._tables_ready:
            return
        try:
            self.Base.metadata.create_all(self.engine)
            self._tables_ready = True
        except sa.exc.SQLAlchemyError as error:
            # Start anyway: answers (and crisis replies) must not wait on the DB.
            logger.error(
                "Tracker database not ready (%s); will retry on next save.",
                type(error).__name__,
            )

    async def save(self, tracker: DialogueStateTracker) -> None:
        """Stores new events, creating the tables first if start-up could not.

        User text is redacted before it is written; a just-run delete request
        deletes the conversation instead. A tracker that could not be read
        this turn is not saved: its event count would not match the rows.
        """
        health = STORE_HEALTH.get()
        if health is not None and tracker.sender_id in health.unread_senders:
            health.failed = True
            raise StoreUnavailableError("conversation was not read; not saving a partial copy")
        try:
            await self._retrying(lambda: self._save_once(tracker))
        except sa.exc.SQLAlchemyError:
            if health is not None:
                health.failed = True
            raise

    async def _save_once(self, tracker: DialogueStateTracker) -> None:
        self._ensure_tables()
        await self.stream_events(tracker)
        with self.session_scope() as session:
            events = list(self._additional_events(session, tracker))
            if any(
                isinstance(event, ActionExecuted) and event.action_name == DELETE_MARKER_ACTION
                for event in events
            ):
                session.query(self.SQLEvent).filter(
                    self.SQLEvent.sender_id == tracker.sender_id
                ).delete(synchronize_session=False)
                session.commit()
                logger.info("Conversation deleted at the user's request.")
                return
            for event in events:
                data = redact_event(event.as_dict())
                intent = (data.get("parse_data") or {}).get("intent") or {}
                session.add(
                    self.SQLEvent(
                        sender_id=tracker.sender_id,
                        type_name=event.type_name,
                        timestamp=data.get("timestamp"),
                        intent_name=intent.get("name"),
                        action_name=data.get("name"),
                        data=json.dumps(data),
                    )
                )
            session.commit()

    async def _retrieve(
        self, sender_id: str, fetch_events_from_all_sessions: bool
    ) -> Optional[DialogueStateTracker]:
        if fetch_events_from_all_sessions or RECENT_EVENTS <= 0:
            return await super()._retrieve(sender_id, fetch_events_from_all_sessions)
        with self.session_scope() as session:
            rows = self._bounded_rows(session, sender_id)
            if not rows or not self.domain:
                return None
            tracker = DialogueStateTracker.from_events(
                sender_id,
                deserialise_events([json.loads(row.data) for row in rows]),
                self.domain.slots,
            )
            rows_now = self._session_row_count(session, sender_id)
            setattr(tracker, ROWS_READ, (len(tracker.events), rows_now))
            return tracker

    def _session_query(self, session: sa.orm.Session, sender_id: str) -> sa.orm.Query:
        """Rows of the sender's latest session (Rasa's own rule: from its start)."""
        start = (
            session.query(sa.func.max(self.SQLEvent.id))
            .filter(
                self.SQLEvent.sender_id == sender_id,
                self.SQLEvent.type_name == SessionStarted.type_name,
            )
            .scalar()
        )
        query = session.query(self.SQLEvent).filter(self.SQLEvent.sender_id == sender_id)
        return query if start is None else query.filter(self.SQLEvent.id >= start)

    def _session_row_count(self, session: sa.orm.Session, sender_id: str) -> int:
        return self._session_query(session, sender_id).count()

    def _bounded_rows(self, session: sa.orm.Session, sender_id: str) -> List[Any]:
        """The newest RECENT_EVENTS rows, led by the state older rows still carry."""
        query = self._session_query(session, sender_id)
        recent = query.order_by(self.SQLEvent.id.desc()).limit(RECENT_EVENTS).all()[::-1]
        if len(recent) < RECENT_EVENTS:
            return recent
        older = (
            query.filter(
                self.SQLEvent.id < recent[0].id,
                self.SQLEvent.type_name.in_(STATE_EVENT_TYPES),
            )
            .order_by(self.SQLEvent.id)
            .all()
        )
        # The newest value of each slot and of the active form, since the last restart.
        state: Dict[str, Any] = {}
        for row in older:
            if row.type_name == "restart":
                state.clear()
                continue
            key = row.type_name
            if key == "slot":
                key = f"slot:{json.loads(row.data)['name']}"
            state.pop(key, None)
            state[key] = row
        return sorted(state.values(), key=lambda row: row.id) + recent

    def _additional_events(
        self, session: sa.orm.Session, tracker: DialogueStateTracker
    ) -> Iterator[Event]:
        """Events not stored yet; a bounded tracker knows how many rows it stands for."""
        read = getattr(tracker, ROWS_READ, None)
        if read is None:
            return super()._additional_events(session, tracker)
        events_read, rows_then = read
        if self._session_row_count(session, tracker.sender_id) != rows_then:
            # Someone else wrote meanwhile (should not happen under the lock store):
            # fall back to Rasa's count, which is right for unbounded trackers.
            logger.warning("Conversation changed while it was handled; saving by count.")
            return super()._additional_events(session, tracker)
        return itertools.islice(tracker.events, events_read, len(tracker.events))

    async def retrieve(self, sender_id: str) -> Optional[DialogueStateTracker]:
        """The latest session, retried over a short database outage."""
        try:
            parent_retrieve = super().retrieve
            return await self._retrying(lambda: parent_retrieve(sender_id))
        except sa.exc.SQLAlchemyError:
            health = STORE_HEALTH.get()
            if health is not None:
                health.unread_senders.add(sender_id)
                health.failed = True
            raise

    async def _retrying(self, operation: Callable[[], Awaitable[T]]) -> T:
        """Runs a database operation, retrying connection errors with backoff."""
        delays = RETRY_DELAYS
        if time.monotonic() - self._last_outage < FAIL_FAST_SECONDS:
            delays = ()
        for delay in (*delays, None):
            try:
                result = await operation()
                self._last_outage = -FAIL_FAST_SECONDS
                return result
            except RETRYABLE as error:
                if delay is None:
                    self._last_outage = time.monotonic()
                    logger.error("Tracker database unavailable (%s).", type(error).__name__)
                    raise
                await asyncio.sleep(delay)
        raise AssertionError("unreachable")


class StoreUnavailableError(sa.exc.SQLAlchemyError):
    """The conversation could not be read or written this turn."""
