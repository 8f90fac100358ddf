"""Bad input through the REST webhook and socket.io: 4xx or a fixed reply, never 5xx."""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any, Dict, List, Tuple

import pytest
import requests

from components.channels import rest_conversation_id
from tests.reliability.figures import add, record
from tests.reliability.sio import MiniSocketIO, SocketIOError, replies
from tests.support import ROOT, Servers, is_crisis

LONG_TEXT = "Thank you for the information about carers. " * 60  # > 2,000, plainly no risk
# A risk phrase at the very end of a long message: the risk screen runs first.
LONG_RISK_TEXT = LONG_TEXT + " and now she says she wants to kill herself tonight"

ODD_TEXTS = [
    "",
    "   ",
    "\n\t ",
    "😀🙏💔" * 10,
    "مرحبا، ابني يؤذي نفسه",  # Arabic (RTL)
    "שלום, הבן שלי פוגע בעצמו",  # Hebrew (RTL)
    "\u202eevil\u202c mixed direction",
    "'; DROP TABLE events; --",
    "1' OR '1'='1",
    "<script>alert('x')</script>",
    '"><img src=x onerror=alert(1)>',
    "{{7*7}} ${7*7}",
    "/greet",
    "/nonexistent_intent",
    '/greet{"x": "y"}',
    "\x00\x01\x02",
    "a" * 2001,
    "x" * 15_000,  # under the 16 KB body limit; NLU reads only a window of it
]
# A body must name a random sender of at least 16 characters.
SENDER = "bad-input-" + uuid.uuid4().hex


def _post(servers: Servers, body: Any, raw: bool = False) -> requests.Response:
    data = body if raw else json.dumps(body)
    return requests.post(
        f"{servers.rasa_url}/webhooks/rest/webhook",
        data=data,
        headers={"Content-Type": "application/json"},
        timeout=120,
    )


def _check(response: requests.Response) -> str:
    """'4xx', 'reply' or a failure description."""
    if 400 <= response.status_code < 500:
        return "4xx"
    if response.status_code != 200:
        return f"status {response.status_code}"
    messages = response.json()
    if not isinstance(messages, list) or not any(m.get("text") for m in messages):
        return "silent (200 without a reply)"
    return "reply"


@pytest.mark.parametrize("text", ODD_TEXTS, ids=range(len(ODD_TEXTS)))
def test_odd_messages_get_a_reply(servers: Servers, text: str) -> None:
    response = _post(servers, {"sender": f"odd-{uuid.uuid4().hex}", "message": text})
    outcome = _check(response)
    add("bad_input_requests")
    add("bad_input_5xx", int(response.status_code >= 500))
    assert outcome == "reply", outcome


BAD_BODIES: List[Tuple[str, Any, bool]] = [
    ("missing sender", {"message": "hi"}, False),
    ("null sender", {"sender": None, "message": "hi"}, False),
    ("empty sender", {"sender": "", "message": "hi"}, False),
    ("numeric sender", {"sender": 12, "message": "hi"}, False),
    ("huge sender", {"sender": "s" * 1000, "message": "hi"}, False),
    ("short sender", {"sender": "a1b2c3d4e5f6g7h", "message": "hi"}, False),
    ("message a number", {"sender": SENDER, "message": 42}, False),
    ("message a list", {"sender": SENDER, "message": ["hi"]}, False),
    ("message null", {"sender": SENDER, "message": None}, False),
    ("metadata a string", {"sender": SENDER, "message": "hi", "metadata": "m"}, False),
    ("body a list", ["hi"], False),
    ("body a string", "hi", False),
    ("invalid JSON", b"{sender: x", True),
    ("invalid UTF-8", b'{"sender": "' + SENDER.encode() + b'", "message": "\xff\xfe"}', True),
    ("empty body", b"", True),
    ("deeply nested JSON", json.dumps({"sender": SENDER, "message": "hi", "metadata": "M"})
     .replace('"M"', "[" * 5000 + "]" * 5000), True),
    ("nested past 32", {"sender": SENDER, "message": "hi",
                        "metadata": json.loads("[" * 40 + "]" * 40)}, False),
    ("body over 16 KB", json.dumps({"sender": SENDER, "message": "y" * 17_000}), True),
    ("oversized body", json.dumps({"sender": SENDER, "message": "y" * 300_000}), True),
]


@pytest.mark.parametrize("body,raw", [(b, r) for _, b, r in BAD_BODIES],
                         ids=[name for name, _, _ in BAD_BODIES])
def test_malformed_requests_get_4xx(servers: Servers, body: Any, raw: bool) -> None:
    response = _post(servers, body, raw=raw)
    add("bad_input_requests")
    add("bad_input_5xx", int(response.status_code >= 500))
    assert 400 <= response.status_code < 500, response.status_code
    assert "error" in response.json()


def test_long_message_gets_fixed_reply(servers: Servers) -> None:
    messages = servers.send(f"long-{uuid.uuid4().hex}", LONG_TEXT)
    texts = " ".join(m.get("text") or "" for m in messages)
    assert "too long" in texts and not is_crisis(messages)


def test_long_message_with_risk_gets_crisis_reply(servers: Servers) -> None:
    config = (ROOT / "config.yml").read_text()
    if "risk_screen" not in config:
        pytest.skip("the risk screen is not in the pipeline yet")
    messages = servers.send(f"longrisk-{uuid.uuid4().hex}", LONG_RISK_TEXT)
    assert is_crisis(messages)
    assert "too long" not in " ".join(m.get("text") or "" for m in messages)


def test_retry_with_same_message_id_is_handled_once(servers: Servers) -> None:
    import sqlalchemy as sa

    sender = f"retry-{uuid.uuid4().hex}"
    body = {"sender": sender, "message": "hello",
            "metadata": {"message_id": "m-1", "email": "jo@example.com"}}
    first = _post(servers, body)
    second = _post(servers, body)
    assert first.status_code == second.status_code == 200
    assert first.json() and [m.get("text") for m in first.json()] == [
        m.get("text") for m in second.json()
    ]
    assert second.headers.get("X-Repeated-Message") == "1"
    engine = sa.create_engine(servers.database_url)
    with engine.connect() as conn:
        count = conn.execute(
            sa.text("SELECT COUNT(*) FROM events WHERE sender_id=:s AND type_name='user'"),
            {"s": rest_conversation_id(sender)},
        ).scalar()
        stored = "\n".join(r[0] for r in conn.execute(
            sa.text("SELECT data FROM events WHERE sender_id=:s"),
            {"s": rest_conversation_id(sender)}))
    assert count == 1
    # Client metadata is not stored, apart from the message id.
    assert "m-1" in stored and "jo@example.com" not in stored and '"email"' not in stored


def test_api_refused_without_token(servers: Servers) -> None:
    calls = [
        ("GET", "/status"), ("GET", "/version"), ("GET", "/domain"),
        ("POST", "/model/parse"), ("PUT", "/model"), ("POST", "/model/train"),
        ("GET", "/conversations/someone/tracker"),
        ("POST", "/conversations/someone/messages"),
        ("DELETE", "/model"),
    ]
    refused = 0
    for method, path in calls:
        response = requests.request(method, servers.rasa_url + path, json={}, timeout=10)
        assert response.status_code in (401, 403, 404, 405), (path, response.status_code)
        refused += 1
    record("api_calls_refused_embedded", refused)


# ----- socket.io -----

async def _socketio_exchange(url: str, origin: str, payloads: List[Any]) -> List[List[Dict]]:
    client = await MiniSocketIO.connect(url, origin)
    session_id = (await client.session())["session_id"]
    results = []
    for payload in payloads:
        if isinstance(payload, dict) and payload.get("session_id") == "SESSION":
            payload = {**payload, "session_id": session_id}
        await client.emit("user_uttered", payload)
        results.append(replies(await client.collect(60, until="bot_uttered")))
    await client.close()
    return results


def test_socketio_odd_payloads_get_a_reply(servers: Servers) -> None:
    """Why this once failed (not reproduced; the cause the code shows): the
    100,000-character message held the server's event loop in NLU
    (featurisers, risk screen and redaction read all of it, seconds on a busy
    2-core machine). engine.io closes a socket whose pong is more than 20 s
    overdue when it next sends (``check_ping_timeout``), and the pong could
    not be read while the loop was held ("Client is gone"). Now frames over
    16 KB close the connection by design, NLU reads a bounded window, and the
    longest payload here is just under the limit: it must get its reply.
    """
    payloads = [
        {"message": "hello", "session_id": "SESSION"},
        {"message": "", "session_id": "SESSION"},
        {"message": 42, "session_id": "SESSION"},
        {"message": "hi"},  # no session id: the connection's own conversation
        "just a string",
        None,
        {"message": "x" * 15_000, "session_id": "SESSION"},
        {"message": "<script>alert(1)</script>", "session_id": "SESSION",
         "metadata": "{not json"},
        {"message": "😀 مرحبا", "session_id": "SESSION"},
    ]
    results = asyncio.run(
        _socketio_exchange(servers.rasa_url, "http://localhost:8080", payloads)
    )
    silent = [p for p, r in zip(payloads, results, strict=True) if not r]
    assert not silent, f"no reply to {silent!r:.200}"


def test_socketio_foreign_origin_refused(servers: Servers) -> None:
    url = f"{servers.rasa_url}/socket.io/?EIO=4&transport=polling"
    foreign = requests.get(url, headers={"Origin": "https://evil.example"}, timeout=10)
    assert foreign.status_code == 400
    page = requests.get(url, headers={"Origin": "http://localhost:8080"}, timeout=10)
    assert page.status_code == 200
    # One Access-Control-Allow-Origin header, or browsers reject the response.
    assert page.raw.headers.getlist("Access-Control-Allow-Origin") == ["http://localhost:8080"]

    async def websocket_from(origin: str) -> bool:
        try:
            client = await MiniSocketIO.connect(servers.rasa_url, origin)
        except SocketIOError:
            return False
        await client.close()
        return True

    assert asyncio.run(websocket_from("http://localhost:8080"))
    assert not asyncio.run(websocket_from("https://evil.example"))
    record("socketio_foreign_origin_refused", True)
