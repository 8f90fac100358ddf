"""Redis down: Rasa's lock store drops every message; ours keeps answering.

Redis is "down" by pointing the servers at a closed port (127.0.0.1:6390),
never by stopping the machine's Redis.
"""

from __future__ import annotations

import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Iterator, List

import pytest
import requests

from tests.reliability.figures import record
from tests.reliability.stack import ProdStack, postgres_available
from tests.reliability.test_production import stored_message_ids

CLOSED_PORT = 6390
pytestmark = pytest.mark.skipif(not postgres_available(), reason="needs PostgreSQL")


def test_stock_redis_lock_store_raises_on_every_message() -> None:
    from rasa.core.lock_store import LockError, RedisLockStore

    store = RedisLockStore(host="127.0.0.1", port=CLOSED_PORT, socket_timeout=1)
    with pytest.raises(LockError):
        store.issue_ticket("someone")


@pytest.fixture(scope="module")
def redis_down(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ProdStack]:
    stack = ProdStack(tmp_path_factory.mktemp("redisdown"), redis_port=CLOSED_PORT,
                      rasa_count=2)
    refuse = stack.tmp / "endpoints-refuse.yml"
    refuse.write_text(stack.endpoints.read_text().replace(
        "on_redis_down: local", "on_redis_down: refuse"))
    stack.start_rasa(0, wait=False)
    stack.start_rasa(1, wait=False, endpoints=refuse)
    stack.wait_rasa(0)
    stack.wait_rasa(1)
    try:
        yield stack
    finally:
        stack.stop_all()
        stack.cleanup_rows()


def _send(port: int, sender: str, text: str, message_id: str) -> requests.Response:
    return requests.post(
        f"http://127.0.0.1:{port}/webhooks/rest/webhook",
        json={"sender": sender, "message": text, "metadata": {"message_id": message_id}},
        timeout=60,
    )


def test_local_fallback_answers_once_and_stores_once(redis_down: ProdStack) -> None:
    port = redis_down.rasa_ports[0]
    senders = [f"{redis_down.sender_prefix}r-{i}" for i in range(5)]
    turns = ["hello", "/show_menu", "/bot_challenge", "/greet"]

    def converse(sender: str) -> List[int]:
        statuses = []
        for i, text in enumerate(turns):
            response = _send(port, sender, text, f"{sender}-{i}")
            statuses.append(response.status_code if response.json() else 204)
        # A client retry of the last message is answered from the store, not again.
        again = _send(port, sender, turns[-1], f"{sender}-{len(turns) - 1}")
        statuses.append(200 if again.headers.get("X-Repeated-Message") == "1" else 0)
        return statuses

    started = time.monotonic()
    with ThreadPoolExecutor(len(senders)) as pool:
        results = list(pool.map(converse, senders))
    stored_ok = sum(
        stored_message_ids(redis_down, s) == [f"{s}-{i}" for i in range(len(turns))]
        for s in senders
    )
    record("redis_down_local_locks", {
        "conversations": len(senders), "turns": len(senders) * len(turns),
        "replied": sum(r[:-1].count(200) for r in results),
        "repeats_answered_from_store": sum(r[-1] == 200 for r in results),
        "stored_exactly_once_in_order": stored_ok,
        "seconds": round(time.monotonic() - started, 1),
    })
    assert all(r == [200] * (len(turns) + 1) for r in results), results
    assert stored_ok == len(senders)
    log = (redis_down.tmp / f"rasa-{port}.log").read_text()
    assert "Redis lock store unreachable" in log


def test_refuse_mode_fails_closed_with_clear_error(redis_down: ProdStack) -> None:
    port = redis_down.rasa_ports[1]
    sender = f"{redis_down.sender_prefix}refuse-{uuid.uuid4().hex[:6]}"
    response = _send(port, sender, "hello", "m-1")
    assert response.status_code == 503
    assert "retry" in response.json()["error"]
    assert stored_message_ids(redis_down, sender) == []
    record("redis_down_refuse_mode", {"status": response.status_code, "stored": 0})
