"""Redis lock store that keeps answering when Redis is down.

Rasa's RedisLockStore raises ``LockError`` for every message while Redis is
unreachable; the REST channel turns that into an empty 200 reply (the message
is silently dropped) and socket.io users get nothing at all, crisis replies
included. This store takes the lock from Redis when it can and, while Redis is
down, from this process's memory instead:

* no message is lost: it is handled and stored as usual;
* no message is answered twice: one message is handled by one process, and
  messages of one conversation are still serialised inside that process
  (socket.io traffic is sticky per browser, and the web widget and REST
  clients send one message at a time, waiting for the reply);
* what is lost is only cross-process serialisation of two messages of the
  same conversation sent at the same time to two servers, for the length of
  the outage. ``on_redis_down: refuse`` fails closed instead (every message
  gets a clear 503 from the REST channel and nothing is handled).

Configure in endpoints.prod.yml::

    lock_store:
      type: components.lock_store.FallbackRedisLockStore
      url: 127.0.0.1
      port: 6379
"""

from __future__ import annotations

import logging
import os
import time
from contextlib import asynccontextmanager
from typing import Any, AsyncGenerator, Optional

from rasa.core.lock import TicketLock
from rasa.core.lock_store import (
    LOCK_LIFETIME,
    InMemoryLockStore,
    LockError,
    LockStore,
    RedisLockStore,
)
from rasa.utils.endpoints import EndpointConfig

logger = logging.getLogger(__name__)

# After Redis failed, use the local lock for this long before trying Redis again.
RETRY_REDIS_AFTER_SECONDS = 5.0


class RedisUnavailableError(LockError):
    """Redis is down and the store is configured to refuse messages."""


class FallbackRedisLockStore(LockStore):
    """Ticket locks in Redis, in local memory while Redis is unreachable."""

    def __init__(self, endpoint_config: Optional[EndpointConfig] = None, **kwargs: Any) -> None:
        import redis

        settings = {**(endpoint_config.kwargs if endpoint_config else {}), **kwargs}
        host = (endpoint_config.url if endpoint_config else None) or settings.get("host")
        self.on_redis_down = str(settings.get("on_redis_down", "local"))
        # The password comes from the environment, never from a committed file.
        password = settings.get("password") or os.environ.get("REDIS_PASSWORD") or None
        self.redis_store = RedisLockStore(
            host=host or "localhost",
            port=int(settings.get("port", 6379)),
            db=int(settings.get("db", 1)),
            password=password,
            key_prefix=settings.get("key_prefix"),
        )
        # Fail in about a second, not Rasa's 10 s, when Redis is unreachable.
        self.redis_store.red = redis.StrictRedis(
            host=host or "localhost",
            port=int(settings.get("port", 6379)),
            db=int(settings.get("db", 1)),
            password=password,
            socket_timeout=float(settings.get("socket_timeout", 2)),
            socket_connect_timeout=float(settings.get("socket_connect_timeout", 1)),
        )
        self.local_store = InMemoryLockStore()
        self._redis_failed_at: Optional[float] = None
        super().__init__()

    # The plain LockStore interface (used by Rasa outside message handling).
    def get_lock(self, conversation_id: str) -> Optional[TicketLock]:
        return self._store().get_lock(conversation_id)

    def delete_lock(self, conversation_id: str) -> None:
        self._store().delete_lock(conversation_id)

    def save_lock(self, lock: TicketLock) -> None:
        self._store().save_lock(lock)

    def _store(self) -> LockStore:
        if self._redis_failed_at is None:
            return self.redis_store
        if time.monotonic() - self._redis_failed_at > RETRY_REDIS_AFTER_SECONDS:
            return self.redis_store
        return self.local_store

    def _redis_failed(self, error: Exception) -> None:
        if self._redis_failed_at is None:
            logger.error(
                "Redis lock store unreachable (%s); %s.",
                type(error).__name__,
                "refusing messages" if self.on_redis_down == "refuse"
                else "using this process's local locks until it is back",
            )
        self._redis_failed_at = time.monotonic()

    @asynccontextmanager
    async def lock(
        self,
        conversation_id: str,
        lock_lifetime: float = LOCK_LIFETIME,
        wait_time_in_seconds: float = 1,
    ) -> AsyncGenerator[TicketLock, None]:
        """One ticket from one store (Redis, or local memory while Redis is down)."""
        store = self._store()
        try:
            ticket = store.issue_ticket(conversation_id, lock_lifetime)
            if store is self.redis_store and self._redis_failed_at is not None:
                logger.warning("Redis lock store is back.")
                self._redis_failed_at = None
        except LockError as error:
            if store is not self.redis_store:
                raise
            self._redis_failed(error)
            if self.on_redis_down == "refuse":
                raise RedisUnavailableError("Redis lock store unreachable") from error
            store = self.local_store
            ticket = store.issue_ticket(conversation_id, lock_lifetime)
        try:
            yield await store._acquire_lock(conversation_id, ticket, wait_time_in_seconds)
        finally:
            try:
                store.cleanup(conversation_id, ticket)
            except Exception as error:  # noqa: BLE001 (the ticket expires on its own)
                self._redis_failed(error)
