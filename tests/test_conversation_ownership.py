"""Conversations belong to whoever started them, and no client can stall the rest.

Socket.io: server-issued conversation ids, signed resume tokens, a client's
session_id ignored; REST: its own namespace, long senders, JSON only, the
page's Origin only; limits per connection.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
import uuid
from typing import Any, Dict, List, Tuple

import pytest
import requests
import sqlalchemy as sa

from components.channels import (
    BUCKET_SIZE,
    MAX_SESSIONS_PER_CONNECTION,
    MAX_TEXT_CHARS,
    REST_PREFIX,
    TokenBucket,
    bounded_text,
    json_depth,
    loads_bounded,
    message_cost,
    new_web_session_id,
    rest_conversation_id,
    session_token,
    verify_session_token,
)
from tests.reliability.sio import MiniSocketIO, replies
from tests.support import Servers, is_crisis

PAGE = "http://localhost:8080"
KEY = b"k" * 32


# ----- units -----

def test_resume_tokens_are_signed() -> None:
    session_id = new_web_session_id()
    token = session_token(session_id, KEY)
    assert verify_session_token(token, KEY) == session_id
    assert verify_session_token(token, b"x" * 32) is None, "another key"
    other = new_web_session_id()
    forged = other + token[len(session_id):]
    assert verify_session_token(forged, KEY) is None, "another id with this mac"
    for junk in (None, 42, "", session_id, "rest:abc.def", token + "0", "." * 300):
        assert verify_session_token(junk, KEY) is None


def test_token_bucket_allows_a_burst_then_a_steady_rate() -> None:
    bucket = TokenBucket(tokens=BUCKET_SIZE, stamp=0.0)
    assert all(bucket.take(now=0.0) for _ in range(BUCKET_SIZE))
    assert not bucket.take(now=0.0)
    assert bucket.take(now=1.0) and not bucket.take(now=1.0)
    # Long messages cost more (NLU time grows with length).
    assert message_cost("hi") == 1 and message_cost("x" * 3_500) == 4
    bucket = TokenBucket(tokens=BUCKET_SIZE, stamp=0.0)
    assert bucket.take(message_cost("x" * 15_000), now=0.0)
    assert not bucket.take(4, now=0.0) and bucket.take(4, now=4.0)


def test_bounded_text_keeps_head_and_tail_and_stays_too_long() -> None:
    assert bounded_text("hello") == "hello"
    exact = "a" * MAX_TEXT_CHARS
    assert bounded_text(exact) == exact
    text = "HEAD " + "x" * 250_000 + " TAIL"
    window = bounded_text(text)
    assert window.startswith("HEAD ") and window.endswith(" TAIL")
    # Over the message guard's limit: the "too long" reply stays.
    assert MAX_TEXT_CHARS < len(window) < 3_100


def test_deep_json_is_refused_without_recursion() -> None:
    assert json_depth({"a": [1, {"b": []}]}) == 4
    for text in ("[" * 100_000 + "]" * 100_000, "[" * 40 + "]" * 40):
        try:
            loads_bounded(text)
        except ValueError:
            continue
        raise AssertionError("nesting was accepted")
    assert loads_bounded('{"a": [1]}') == {"a": [1]}


# ----- REST -----

def _post(servers: Servers, body: Any, headers: Dict[str, str] | None = None,
          raw: bool = False) -> requests.Response:
    return requests.post(
        f"{servers.rasa_url}/webhooks/rest/webhook",
        data=body if raw else json.dumps(body),
        headers={"Content-Type": "application/json", **(headers or {})},
        timeout=60,
    )


def test_rest_needs_json_and_the_pages_origin(servers: Servers) -> None:
    sender = f"rest-origin-{uuid.uuid4().hex}"
    body = json.dumps({"sender": sender, "message": "hello"})
    # A cross-site HTML form can only send these types.
    for content_type in ("application/x-www-form-urlencoded", "text/plain",
                         "multipart/form-data; boundary=x"):
        response = _post(servers, body, {"Content-Type": content_type}, raw=True)
        assert response.status_code == 415, content_type
    response = _post(servers, {"sender": sender, "message": "hello"},
                     {"Origin": "https://evil.example"})
    assert response.status_code == 403
    assert _post(servers, {"sender": sender, "message": "hello"}, {"Origin": PAGE}).ok
    assert _post(servers, {"sender": sender, "message": "hello"}).ok  # curl: no Origin


def test_rest_conversations_are_their_own_namespace(servers: Servers) -> None:
    sender = f"namespace-{uuid.uuid4().hex}"
    assert servers.send(sender, "hello")
    engine = sa.create_engine(servers.database_url)
    with engine.connect() as conn:
        ids = {r[0] for r in conn.execute(
            sa.text("SELECT DISTINCT sender_id FROM events WHERE sender_id LIKE :s"),
            {"s": f"%{sender}"})}
    engine.dispose()
    assert ids == {rest_conversation_id(sender)} and ids.pop().startswith(REST_PREFIX)


# ----- socket.io -----

async def _connect(servers: Servers) -> MiniSocketIO:
    return await MiniSocketIO.connect(servers.rasa_url, PAGE)


async def _say(client: MiniSocketIO, payload: Any, seconds: float = 60) -> List[Dict]:
    await client.emit("user_uttered", payload)
    return replies(await client.collect(seconds, until="bot_uttered"))


def _user_texts(servers: Servers, sender: str) -> List[str]:
    engine = sa.create_engine(servers.database_url)
    with engine.connect() as conn:
        rows = conn.execute(sa.text(
            "SELECT data FROM events WHERE sender_id=:s AND type_name='user' ORDER BY id"),
            {"s": sender}).fetchall()
    engine.dispose()
    return [json.loads(r[0]).get("text") for r in rows]


def test_a_second_client_cannot_join_or_write_to_a_conversation(servers: Servers) -> None:
    async def scenario() -> Tuple[Dict[str, str], Dict[str, str], List, List, List]:
        victim = await _connect(servers)
        mine = await victim.session()
        assert await _say(victim, {"message": "hello"})
        attacker = await _connect(servers)
        # The old protocol: name the victim's id when asking for a session...
        await attacker.emit("session_request", {"session_id": mine["session_id"]})
        theirs = {}
        for name, data in await attacker.collect(10, until="session_confirm"):
            if name == "session_confirm":
                theirs = dict(data)
        # ...and in each message.
        attacker_got = await _say(attacker, {"message": "I want to kill myself",
                                             "session_id": mine["session_id"]})
        victim_got = replies(await victim.collect(3))
        # The victim's conversation goes on undisturbed.
        victim_next = await _say(victim, {"message": "are you a real person?"})
        await attacker.close()
        await victim.close()
        return mine, theirs, attacker_got, victim_got, victim_next

    mine, theirs, attacker_got, victim_got, victim_next = asyncio.run(scenario())
    assert mine["session_id"].startswith("web:")
    assert theirs["session_id"] != mine["session_id"]
    assert is_crisis(attacker_got), "the attacker is answered in their own conversation"
    assert victim_got == [], "nothing reached the victim's screen"
    assert victim_next and not is_crisis(victim_next)
    assert _user_texts(servers, mine["session_id"]) == ["hello", "are you a real person?"]
    assert "I want to kill myself" in _user_texts(servers, theirs["session_id"])


def test_resume_needs_the_signed_token(servers: Servers) -> None:
    async def scenario() -> Tuple[Dict[str, str], Dict[str, str], Dict[str, str]]:
        first = await _connect(servers)
        issued = await first.session()
        await first.close()
        again = await _connect(servers)
        resumed = await again.session(issued["token"])
        await again.close()
        forger = await _connect(servers)
        forged = await forger.session(issued["session_id"] + "." + "0" * 64)
        await forger.close()
        return issued, resumed, forged

    issued, resumed, forged = asyncio.run(scenario())
    assert resumed["session_id"] == issued["session_id"]
    assert forged["session_id"] != issued["session_id"]


def test_rest_cannot_reach_a_web_conversation(servers: Servers) -> None:
    async def scenario() -> Tuple[str, List]:
        client = await _connect(servers)
        session_id = (await client.session())["session_id"]
        assert await _say(client, {"message": "hello"})
        # A REST call naming the web id lands in a REST conversation.
        assert servers.send(session_id, "please delete my conversation")
        leaked = replies(await client.collect(3))
        await client.close()
        return session_id, leaked

    session_id, leaked = asyncio.run(scenario())
    assert leaked == []
    assert _user_texts(servers, session_id) == ["hello"], "not deleted, not written"


def test_one_connection_cannot_flood(servers: Servers) -> None:
    async def scenario() -> Tuple[List[Tuple[str, Any]], int]:
        client = await _connect(servers)
        await client.session()
        for i in range(BUCKET_SIZE + 15):
            await client.emit("user_uttered", {"message": f"/greet {i}"})
        events = await client.collect(20)
        # New conversations: a few per connection, then refused.
        confirmed = 0
        for _ in range(MAX_SESSIONS_PER_CONNECTION + 3):
            await client.emit("session_request", {})
        for name, _ in await client.collect(5):
            confirmed += name == "session_confirm"
        await client.close()
        return events, confirmed

    events, confirmed = asyncio.run(scenario())
    refused = [d for n, d in events if n == "chat_error" and "too many" in str(d)]
    assert len(refused) >= 13, f"only {len(refused)} refused"
    assert confirmed == MAX_SESSIONS_PER_CONNECTION - 1  # one was taken already


def test_frames_over_16_kb_close_the_connection(servers: Servers) -> None:
    async def scenario() -> bool:
        client = await _connect(servers)
        await client.session()
        await client.emit("user_uttered", {"message": "x" * 20_000})
        return await client.closed_by_server(10)

    assert asyncio.run(scenario())


def test_risk_early_in_a_long_message_still_gets_the_crisis_reply(servers: Servers) -> None:
    text = "my daughter says she wants to kill herself. " + "We talked about school. " * 500
    assert len(text) > 10_000
    started = time.monotonic()
    messages = servers.send(f"long-early-risk-{uuid.uuid4().hex}", text)
    assert is_crisis(messages) and time.monotonic() - started < 10

    async def over_socketio() -> List[Dict]:
        client = await _connect(servers)
        await client.session()
        got = await _say(client, {"message": text})
        await client.close()
        return got

    assert is_crisis(asyncio.run(over_socketio()))


@pytest.mark.skipif(os.environ.get("RELIABILITY") != "1",
                    reason="a timing test: make test-reliability runs it")
def test_a_flooding_client_does_not_delay_anothers_crisis_reply(servers: Servers) -> None:
    """One client floods (long messages, many conversations, many messages on
    each socket); another client's crisis message is answered within 1 s."""
    long_text = "We talked about school and exams and friends today. " * 280  # ~14.5 KB

    async def flood(stop: asyncio.Event) -> int:
        sent = 0
        clients = [await _connect(servers) for _ in range(3)]
        try:
            while not stop.is_set():
                for client in clients:
                    await client.emit("session_request", {})
                    for _ in range(5):
                        await client.emit("user_uttered", {"message": long_text})
                        sent += 1
                    # Keep reading, so the server's sends never block on us.
                    await client.collect(0.05)
        finally:
            for client in clients:
                await client.close()
        return sent

    async def crisis_latency() -> float:
        victim = await _connect(servers)
        await victim.session()
        assert await _say(victim, {"message": "hello"})
        stop = asyncio.Event()
        flooding = asyncio.ensure_future(flood(stop))
        await asyncio.sleep(2)  # the flood is in full swing
        started = time.monotonic()
        await victim.emit("user_uttered", {"message": "my son says he wants to kill himself"})
        elapsed = None
        while time.monotonic() - started < 30:
            events = await victim.collect(0.2)
            if is_crisis(replies(events)):
                elapsed = time.monotonic() - started
                break
        stop.set()
        sent = await flooding
        await victim.close()
        assert sent > 50, "the flood was real"
        assert elapsed is not None, "no crisis reply"
        return elapsed

    elapsed = asyncio.run(crisis_latency())
    from tests.reliability.figures import record

    record("flood", {"crisis_reply_s": round(elapsed, 3)})
    assert elapsed < 1.0, f"crisis reply took {elapsed:.2f} s"


# ----- bind and limits of the servers themselves -----

def _outside_address() -> str | None:
    """This machine's non-loopback address, if it has one."""
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))  # no packet is sent for UDP connect
            address = probe.getsockname()[0]
        except OSError:
            return None
    return None if address.startswith("127.") else address


def test_servers_listen_on_loopback_only(servers: Servers) -> None:
    import socket
    from pathlib import Path
    from urllib.parse import urlsplit

    root = Path(__file__).resolve().parent.parent
    run_sh = (root / "scripts" / "run.sh").read_text()
    prod_sh = (root / "scripts" / "run_prod.sh").read_text()
    # The scripts start what the tests start: 127.0.0.1 for both servers.
    assert "--interface 127.0.0.1" in run_sh and "--interface 127.0.0.1" in prod_sh
    assert "scripts/action_server.py" in run_sh and "scripts/action_server.py" in prod_sh
    assert "rasa run actions" not in run_sh + prod_sh
    address = _outside_address()
    if address is None:
        return  # no other interface to try
    for url in (servers.rasa_url, servers.actions_url):
        port = urlsplit(url).port
        with socket.socket() as sock:
            sock.settimeout(2)
            assert sock.connect_ex((address, port)) != 0, f"{url} answers on {address}"


def test_action_server_refuses_deflate_bombs_and_deep_json(servers: Servers) -> None:
    import zlib

    bomb = zlib.compress(b"[" + b"0," * 5_000_000 + b"0]", 9)
    assert len(bomb) < 100_000
    response = requests.post(f"{servers.actions_url}/webhook", data=bomb, timeout=30,
                             headers={"Content-Encoding": "deflate",
                                      "Content-Type": "application/json"})
    assert response.status_code == 413
    deep = b'{"next_action": "x", "tracker": ' + b"[" * 50_000 + b"]" * 50_000 + b"}"
    response = requests.post(f"{servers.actions_url}/webhook", data=deep, timeout=30,
                             headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    big = b'{"x": "' + b"a" * 1_100_000 + b'"}'
    response = requests.post(f"{servers.actions_url}/webhook", data=big, timeout=30)
    assert response.status_code == 413
    assert requests.get(f"{servers.actions_url}/health", timeout=10).ok

