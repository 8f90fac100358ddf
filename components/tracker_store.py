"""Conversation tracker store: Rasa's SQLTrackerStore on one URL setting.

SQLite under var/ by default; ``DATABASE_URL`` switches the same store to
PostgreSQL. Unlike the stock store it never blocks start-up forever when the
database is down: Rasa wraps every tracker store in FailSafeTrackerStore, so
the assistant keeps answering (crisis replies included) and writes resume
once the database is back.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any, Dict, Optional

import sqlalchemy as sa
from rasa.core.brokers.broker import EventBroker
from rasa.core.tracker_store import SQLTrackerStore, TrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.trackers import DialogueStateTracker

logger = logging.getLogger(__name__)

DEFAULT_SQLITE_PATH = "var/conversations.db"


def database_url(db: Optional[str] = None) -> str:
    """The tracker database URL: ``DATABASE_URL`` or an SQLite file."""
    url = os.environ.get("DATABASE_URL")
    if url:
        # SQLAlchemy 1.4 only knows the long scheme name.
        return url.replace("postgres://", "postgresql://", 1)
    return f"sqlite:///{db or DEFAULT_SQLITE_PATH}"


def engine_for(url: str) -> sa.engine.Engine:
    """An engine that fails fast and heals itself after a database restart."""
    kwargs: Dict[str, Any] = {"pool_pre_ping": True}
    if url.startswith("sqlite:///"):
        Path(url[len("sqlite:///") :]).parent.mkdir(parents=True, exist_ok=True)
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
        """Stores new events, creating the tables first if start-up could not."""
        self._ensure_tables()
        await super().save(tracker)
