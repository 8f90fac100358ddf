"""The production profile under faults: nginx, two Rasa servers, PostgreSQL, Redis.

Tests run in file order on one stack (module fixture): API and origin checks,
the fuzzer, then the faults (kill a server under load, restart all,
PostgreSQL restart under load, action server down) and the log check.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional

import pytest
import requests
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from components.channels import rest_conversation_id
from tests.reliability.figures import FIGURES, add, record
from tests.reliability.sio import MiniSocketIO, SocketIOError, replies
from tests.reliability.stack import ProdStack, postgres_available
from tests.support import ROOT, is_crisis

pytestmark = pytest.mark.skipif(not postgres_available(), reason="needs PostgreSQL")

CONVERSATIONS = 30
TURNS = 10
# Deterministic turns (button payloads and plain small talk): none needs the
# action server, so a lost turn can only be the platform's fault.
SCRIPT = ["hello", "/show_menu", "/bot_challenge", "/greet", "are you a real person?",
          "/show_menu", "/greet", "/bot_challenge", "/show_menu", "/greet"]
FUZZ_EXAMPLES = 2000


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ProdStack]:
    running = ProdStack(tmp_path_factory.mktemp("prod")).start()
    try:
        yield running
    finally:
        running.stop_all()
        running.cleanup_rows()
        ensure_postgres_running()


def ensure_postgres_running() -> None:
    if subprocess.run(["pg_isready", "-q", "-h", "127.0.0.1"], check=False).returncode != 0:
        version = sorted(p.name for p in Path("/etc/postgresql").iterdir())[-1]
        subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "start"],
                       check=False)


# ----- load client -----

@dataclass
class LoadResult:
    turns_ok: int = 0
    turns_lost: List[str] = field(default_factory=list)
    errors_seen: Dict[str, int] = field(default_factory=dict)
    retries: int = 0
    done: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def error(self, kind: str) -> None:
        with self.lock:
            self.errors_seen[kind] = self.errors_seen.get(kind, 0) + 1


def converse(url: str, sender: str, turns: List[str], first_turn: int,
             result: LoadResult, attempts: int = 8) -> None:
    """Sends turns in order; a failed turn is retried with the same message id."""
    session = requests.Session()
    for offset, text in enumerate(turns):
        message_id = f"{sender}-{first_turn + offset}"
        for attempt in range(attempts):
            try:
                response = session.post(
                    f"{url}/webhooks/rest/webhook",
                    json={"sender": sender, "message": text,
                          "metadata": {"message_id": message_id}},
                    timeout=90,
                )
                if response.status_code == 200 and any(m.get("text") for m in response.json()):
                    with result.lock:
                        result.turns_ok += 1
                        result.done += 1
                    break
                result.error(f"http_{response.status_code}"
                             + ("_empty" if response.status_code == 200 else ""))
            except requests.RequestException as error:
                result.error(type(error).__name__)
            with result.lock:
                result.retries += 1
            time.sleep(min(0.5 * 2**attempt, 5))
        else:
            with result.lock:
                result.turns_lost.append(message_id)
                result.done += 1


def run_load(stack: ProdStack, senders: List[str], turns: List[str], first_turn: int,
             during: Optional[Any] = None, trigger_at: int = 0) -> LoadResult:
    result = LoadResult()
    with ThreadPoolExecutor(max_workers=len(senders)) as pool:
        futures = [pool.submit(converse, stack.url, s, turns, first_turn, result)
                   for s in senders]
        if during is not None:
            while result.done < trigger_at and not all(f.done() for f in futures):
                time.sleep(0.05)
            during()
        for future in futures:
            future.result()
    return result


def stored_message_ids(stack: ProdStack, sender: str) -> List[str]:
    engine = sa.create_engine(stack.database_url)
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text("SELECT data FROM events WHERE sender_id=:s AND type_name='user' "
                    "ORDER BY id"), {"s": rest_conversation_id(sender)}).fetchall()
    engine.dispose()
    return [json.loads(r[0]).get("message_id") for r in rows]


# ----- API, origins -----

def test_api_refused_through_nginx_and_direct(stack: ProdStack) -> None:
    calls = [("GET", "/status"), ("GET", "/version"), ("POST", "/model/parse"),
             ("PUT", "/model"), ("DELETE", "/model"), ("POST", "/model/train"),
             ("GET", "/conversations/x/tracker"), ("POST", "/conversations/x/messages"),
             ("GET", "/domain")]
    bases = [stack.url] + [f"http://127.0.0.1:{p}" for p in stack.rasa_ports]
    refused = 0
    for base in bases:
        for method, path in calls:
            response = requests.request(method, base + path, json={}, timeout=10)
            assert response.status_code in (401, 403, 404, 405), (base, path)
            refused += 1
    record("api_calls_refused_prod", refused)


def test_web_page_and_socketio_through_nginx(stack: ProdStack) -> None:
    page = requests.get(stack.url + "/", timeout=10)
    assert page.status_code == 200 and "chat_route=" in page.headers.get("Set-Cookie", "")

    async def exchange(origin: str) -> List[Dict]:
        client = await MiniSocketIO.connect(stack.url, origin)
        await client.session()
        await client.emit("user_uttered", {"message": "hello"})
        got = replies(await client.collect(60, until="bot_uttered"))
        await client.close()
        return got

    assert asyncio.run(exchange(stack.url)), "the page's origin gets replies"
    with pytest.raises(SocketIOError):
        asyncio.run(exchange("https://evil.example"))


def test_rate_limit_per_ip(stack: ProdStack) -> None:
    """The production defaults (5 r/s, burst 20) answer 429 to a flood from one IP."""
    from render_nginx import render

    from tests.support import free_port, wait_http

    port = free_port()
    conf = render(port, stack.rasa_ports, stack.tmp / "nginx-limited")
    proc = subprocess.Popen(["/usr/sbin/nginx", "-c", str(conf), "-p", str(conf.parent)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_http(f"http://127.0.0.1:{port}/", proc=proc, timeout=20)
        statuses = [
            requests.post(f"http://127.0.0.1:{port}/webhooks/rest/webhook",
                          json={"message": "hi"}, timeout=30).status_code
            for _ in range(40)
        ]
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    record("rate_limit", {"requests": len(statuses), "429": statuses.count(429)})
    assert statuses.count(429) >= 10 and 500 not in statuses


def test_rate_limit_counts_the_real_client_behind_a_proxy(stack: ProdStack) -> None:
    """Behind a TLS proxy (here: 127.0.0.1) nginx limits each forwarded client."""
    from render_nginx import render

    from tests.support import free_port, wait_http

    port = free_port()
    conf = render(port, stack.rasa_ports, stack.tmp / "nginx-proxied")
    proc = subprocess.Popen(["/usr/sbin/nginx", "-c", str(conf), "-p", str(conf.parent)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/webhooks/rest/webhook"
    try:
        wait_http(f"http://127.0.0.1:{port}/", proc=proc, timeout=20)
        many = [requests.post(url, json={"message": "hi"}, timeout=30,
                              headers={"X-Forwarded-For": f"203.0.113.{i}"}).status_code
                for i in range(40)]
        one = [requests.post(url, json={"message": "hi"}, timeout=30,
                             headers={"X-Forwarded-For": "198.51.100.7"}).status_code
               for _ in range(40)]
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    assert 429 not in many, "40 clients behind one proxy are not one client"
    assert one.count(429) >= 10


SECURITY_HEADERS = ("Content-Security-Policy", "Strict-Transport-Security",
                    "X-Content-Type-Options", "X-Frame-Options", "Referrer-Policy")


def test_nginx_serves_only_the_page_with_security_headers(stack: ProdStack) -> None:
    served = {path: requests.get(stack.url + path, timeout=10)
              for path in ("/", "/index.html", "/page.css", "/dist/carer-chat.js",
                           "/dist/carer-chat.css")}
    hidden = {path: requests.get(stack.url + path, timeout=10)
              for path in ("/src/carer-chat.js", "/src/linkify.js", "/package.json",
                           "/package-lock.json", "/node_modules/socket.io-client/package.json",
                           "/dist/.stamp", "/.git/config", "/web/index.html")}
    assert {p: r.status_code for p, r in served.items()} == dict.fromkeys(served, 200)
    assert {p: r.status_code for p, r in hidden.items()} == dict.fromkeys(hidden, 404)
    api = requests.post(stack.url + "/webhooks/rest/webhook", json={}, timeout=10)
    for path, response in {**served, **hidden, "webhook": api}.items():
        missing = [h for h in SECURITY_HEADERS if h not in response.headers]
        assert not missing, (path, missing)
        csp = response.headers["Content-Security-Policy"]
        assert "frame-ancestors 'none'" in csp and "default-src 'none'" in csp
    assert "Secure" in served["/"].headers.get("Set-Cookie", "")


def test_body_size_limit(stack: ProdStack) -> None:
    # nginx refuses bodies over 16 KB before they reach Rasa.
    for size in (200_000, 17_000):
        body = json.dumps({"sender": stack.sender_prefix + "big", "message": "x" * size})
        response = requests.post(stack.url + "/webhooks/rest/webhook", data=body,
                                 headers={"Content-Type": "application/json"}, timeout=30)
        assert response.status_code == 413, size
    # 12 KB still reaches the assistant, which asks for a shorter message.
    body = {"sender": stack.sender_prefix + "big", "message": "word " * 2_400}
    response = requests.post(stack.url + "/webhooks/rest/webhook", json=body, timeout=60)
    assert response.status_code == 200 and "too long" in response.text


# ----- fuzzing -----

ODD = ["", " ", "\u200b", "😀" * 50, "مرحبا", "שלום", "'; DROP TABLE events;--",
       "<script>alert(1)</script>", "/greet", "/restart", "/session_start", "\\", "%s%n",
       "\x00", "a" * 2500]


def _fuzz_bodies(prefix: str) -> st.SearchStrategy:
    scalars = st.one_of(st.none(), st.booleans(), st.integers(),
                        st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=40))
    anything = st.recursive(scalars, lambda c: st.one_of(
        st.lists(c, max_size=4), st.dictionaries(st.text(max_size=8), c, max_size=4)),
        max_leaves=10)
    valid_sender = st.builds(lambda s: prefix + "f-" + s, st.text(max_size=20))
    # Mostly well-formed requests (odd text), the rest malformed in every way.
    sender = st.one_of(valid_sender, valid_sender, valid_sender, valid_sender,
                       st.none(), st.integers(), st.just(""), st.just("   "))
    message = st.one_of(st.text(max_size=400), st.text(max_size=400),
                        st.sampled_from(ODD), anything)
    request = st.fixed_dictionaries(
        {"sender": sender, "message": message},
        optional={"metadata": st.one_of(anything, st.fixed_dictionaries(
            {"message_id": st.text(max_size=70)}))},
    ).map(lambda d: json.dumps(d).encode())
    raw = st.one_of(st.binary(max_size=200), anything.map(lambda a: json.dumps(a).encode()),
                    st.just(b'{"sender": "' + prefix.encode() + b'x", "message": "\\ud800"}'))
    return st.one_of(request, request, request, raw)


def test_fuzz_webhook(stack: ProdStack) -> None:
    tried = {"n": 0, "5xx": 0, "silent": 0, "4xx": 0, "replies": 0}
    session = requests.Session()

    @settings(max_examples=FUZZ_EXAMPLES, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(body=_fuzz_bodies(stack.sender_prefix))
    def check(body: bytes) -> None:
        response = session.post(stack.url + "/webhooks/rest/webhook", data=body,
                                headers={"Content-Type": "application/json"}, timeout=60)
        tried["n"] += 1
        status = response.status_code
        if status >= 500:
            tried["5xx"] += 1
        assert status < 500, (status, body[:200])
        if status == 200:
            messages = response.json()
            assert isinstance(messages, list)
            if not any(m.get("text") for m in messages):
                tried["silent"] += 1
            assert any(m.get("text") for m in messages), ("silent reply", body[:200])
            tried["replies"] += 1
        else:
            tried["4xx"] += 1
            assert 400 <= status < 500 and "error" in response.json()

    try:
        check()
    finally:
        record("fuzz", {"inputs_tried": tried["n"], "5xx": tried["5xx"],
                        "silent_replies": tried["silent"], "4xx": tried["4xx"],
                        "replies": tried["replies"]})
        add("five_xx_total", tried["5xx"])
    assert tried["n"] >= FUZZ_EXAMPLES


# ----- faults -----

def test_kill_one_server_under_load(stack: ProdStack) -> None:
    senders = [f"{stack.sender_prefix}load-{i}" for i in range(CONVERSATIONS)]
    killed = {}

    def kill_first_server() -> None:
        killed["at"] = time.monotonic()
        stack.stop("rasa0", kill=True)

    started = time.monotonic()
    result = run_load(stack, senders, SCRIPT[:TURNS], 0, during=kill_first_server,
                      trigger_at=CONVERSATIONS * TURNS // 3)
    elapsed = time.monotonic() - started
    bad = {}
    for sender in senders:
        expected = [f"{sender}-{i}" for i in range(TURNS)]
        stored = stored_message_ids(stack, sender)
        if stored != expected:
            bad[sender] = stored
    record("load_kill_one_server", {
        "conversations": CONVERSATIONS, "turns": CONVERSATIONS * TURNS,
        "turns_ok": result.turns_ok, "turns_lost": len(result.turns_lost),
        "client_errors_seen_then_retried": result.errors_seen, "retries": result.retries,
        "stored_mismatches": len(bad), "seconds": round(elapsed, 1),
    })
    assert "at" in killed
    assert not result.turns_lost, result.turns_lost
    assert not bad, f"store differs from what was sent: {dict(list(bad.items())[:3])}"


def test_restart_all_servers_resumes_conversations(stack: ProdStack) -> None:
    for index in range(stack.rasa_count):
        stack.stop(f"rasa{index}")
    for index in range(stack.rasa_count):
        stack.start_rasa(index, wait=False)
    for index in range(stack.rasa_count):
        stack.wait_rasa(index)
    time.sleep(6)  # nginx's fail_timeout for the server killed before
    senders = [f"{stack.sender_prefix}load-{i}" for i in range(CONVERSATIONS)]
    result = run_load(stack, senders, ["/bot_challenge"], TURNS)
    assert not result.turns_lost
    engine = sa.create_engine(stack.database_url)
    resumed = 0
    with engine.connect() as conn:
        for sender in senders:
            ids = stored_message_ids(stack, sender)
            sessions = conn.execute(
                sa.text("SELECT COUNT(*) FROM events WHERE sender_id=:s "
                        "AND type_name='session_started'"),
                {"s": rest_conversation_id(sender)}).scalar()
            if ids == [f"{sender}-{i}" for i in range(TURNS + 1)] and sessions == 1:
                resumed += 1
    engine.dispose()
    record("restart_all", {"conversations": len(senders), "resumed_same_session": resumed})
    assert resumed == len(senders)


def test_postgres_restart_under_load(stack: ProdStack) -> None:
    senders = [f"{stack.sender_prefix}pg-{i}" for i in range(CONVERSATIONS)]
    turns = SCRIPT[:6]
    version = sorted(p.name for p in Path("/etc/postgresql").iterdir())[-1]
    restart: Dict[str, Any] = {}

    def restart_postgres() -> None:
        started = time.monotonic()
        done = subprocess.run(
            ["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "restart"],
            capture_output=True, text=True, check=False, timeout=120)
        restart["rc"] = done.returncode
        restart["seconds"] = round(time.monotonic() - started, 1)

    try:
        result = run_load(stack, senders, turns, 0, during=restart_postgres,
                          trigger_at=CONVERSATIONS * len(turns) // 3)
    finally:
        ensure_postgres_running()
    mismatches = {}
    for sender in senders:
        expected = [f"{sender}-{i}" for i in range(len(turns))
                    if f"{sender}-{i}" not in result.turns_lost]
        stored = stored_message_ids(stack, sender)
        if [m for m in stored if m not in result.turns_lost] != expected or \
                len(stored) != len(set(stored)):
            mismatches[sender] = stored
    record("postgres_restart", {
        "conversations": CONVERSATIONS, "turns": CONVERSATIONS * len(turns),
        "turns_ok": result.turns_ok, "turns_lost_client_saw_error": len(result.turns_lost),
        "errors_seen_by_client": result.errors_seen, "retries": result.retries,
        "silently_dropped": len(mismatches), "restart_rc": restart.get("rc"),
        "restart_seconds": restart.get("seconds"),
    })
    add("five_xx_total", sum(v for k, v in result.errors_seen.items() if k.startswith("http_5")))
    assert restart.get("rc") == 0
    assert not mismatches, dict(list(mismatches.items())[:3])
    assert not result.turns_lost, "servers recovered without a restart of their own"


def test_action_server_down(stack: ProdStack) -> None:
    stack.stop("actions")
    sender = stack.sender_prefix + "noactions"
    has_risk_screen = "risk_screen" in (ROOT / "config.yml").read_text()
    crisis_ok = 0
    for text in ["I want to kill myself", "my son has taken an overdose",
                 "she says she wants to die"]:
        response = requests.post(stack.url + "/webhooks/rest/webhook",
                                 json={"sender": sender + uuid.uuid4().hex[:4],
                                       "message": text}, timeout=60)
        assert response.status_code == 200
        if has_risk_screen:
            assert is_crisis(response.json()), text
            crisis_ok += 1
    silent = []
    for text in ["/find_service", "I need a helpline near me", "hello",
                 "what is a carer's assessment"]:
        response = requests.post(stack.url + "/webhooks/rest/webhook",
                                 json={"sender": sender + uuid.uuid4().hex[:4],
                                       "message": text}, timeout=60)
        assert response.status_code < 500
        if not any(m.get("text") for m in response.json()):
            silent.append(text)
    record("action_server_down", {"crisis_replies": crisis_ok, "silent_topics": silent})
    assert not silent, f"silence without the action server: {silent}"


def test_info_logs_hold_no_message_text(stack: ProdStack) -> None:
    marker = f"quokka{uuid.uuid4().hex[:6]}"
    for text in (f"hello {marker}", f"/find_service {marker}", f"my email {marker}@x.org"):
        requests.post(stack.url + "/webhooks/rest/webhook",
                      json={"sender": stack.sender_prefix + "logs", "message": text},
                      timeout=60)
    time.sleep(1)
    leaking = [name for name, text in stack.logs().items() if marker in text]
    nginx_logs = (stack.tmp / "nginx").glob("*.log")
    leaking += [p.name for p in nginx_logs if marker in p.read_text(errors="replace")]
    record("log_files_with_message_text", leaking)
    assert not leaking
    assert FIGURES  # the report has something to say
