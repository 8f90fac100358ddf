"""Shared test helpers: the trained model, an in-process agent, real servers."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional

import requests

from actions.service_directory import factsheet_path

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
MODELS_DIR = Path(os.environ.get("MODELS_DIR", ROOT / "models"))
FACTSHEET = factsheet_path()


def newest_model() -> Path:
    """Trains if needed (fast no-op when up to date), then returns the newest model."""
    subprocess.run(
        ["bash", str(ROOT / "scripts" / "train.sh")],
        cwd=ROOT,
        check=True,
        env={**os.environ, "MODELS_DIR": str(MODELS_DIR)},
        stdout=subprocess.DEVNULL,
    )
    models = sorted(MODELS_DIR.glob("*.tar.gz"), key=lambda p: p.stat().st_mtime)
    assert models, f"no model in {MODELS_DIR}"
    return models[-1]


# The PostgreSQL server every machine runs (trust auth, database `test`).
TEST_POSTGRES_URL = os.environ.get(
    "TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)


def postgres_reachable(url: str = TEST_POSTGRES_URL) -> bool:
    import sqlalchemy as sa

    try:
        engine = sa.create_engine(url, connect_args={"connect_timeout": 3})
        with engine.connect():
            pass
        engine.dispose()
        return True
    except sa.exc.OperationalError:
        return False


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class InProcessBot:
    """The trained model in this process: NLU parse plus dialogue, no servers.

    No action server and an in-memory tracker store, so tests show what the
    Rasa server alone does (the crisis path must never need anything else).
    """

    def __init__(self, model_path: Path) -> None:
        from rasa.core.agent import Agent

        self.loop = asyncio.new_event_loop()
        self.agent = Agent.load(str(model_path))

    def parse(self, text: str) -> Dict[str, Any]:
        return self.loop.run_until_complete(self.agent.parse_message(text))

    def send(self, text: str, sender: Optional[str] = None) -> List[Dict[str, Any]]:
        sender = sender or uuid.uuid4().hex
        result = self.loop.run_until_complete(
            self.agent.handle_text(text, sender_id=sender)
        )
        return result or []

    def tracker(self, sender: str) -> Any:
        return self.loop.run_until_complete(self.agent.tracker_store.retrieve(sender))


def is_crisis(messages: List[Dict[str, Any]]) -> bool:
    """True when the replies carry the crisis custom payload."""
    return any((m.get("custom") or {}).get("crisis") is True for m in messages)


def reply_texts(messages: List[Dict[str, Any]]) -> List[str]:
    return [m["text"] for m in messages if m.get("text")]


@dataclass
class Servers:
    """Real Rasa + action servers on free 127.0.0.1 ports."""

    rasa_url: str
    actions_url: str
    database_url: str
    procs: Dict[str, subprocess.Popen] = field(default_factory=dict)
    log_dir: Optional[Path] = None  # rasa-<port>.log / actions-<port>.log live here

    def send(self, sender: str, message: Any, timeout: float = 30) -> List[Dict[str, Any]]:
        response = requests.post(
            f"{self.rasa_url}/webhooks/rest/webhook",
            json={"sender": sender, "message": message},
            timeout=timeout,
        )
        response.raise_for_status()
        return response.json()

    def stop(self, name: str) -> None:
        proc = self.procs.pop(name, None)
        if proc and proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()


def wait_http(url: str, timeout: float = 180, proc: Optional[subprocess.Popen] = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"process for {url} exited with {proc.returncode}")
        try:
            requests.get(url, timeout=2)
            return
        except requests.RequestException:
            time.sleep(0.5)
    raise TimeoutError(f"{url} did not come up in {timeout}s")


def start_action_server(port: int, log_dir: Path, env: Dict[str, str]) -> subprocess.Popen:
    log = open(log_dir / f"actions-{port}.log", "w")  # noqa: SIM115 (lives with the process)
    proc = subprocess.Popen(
        [str(VENV_BIN / "python"), str(ROOT / "scripts" / "action_server.py"),
         "--port", str(port)],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    wait_http(f"http://127.0.0.1:{port}/health", proc=proc)
    return proc


def start_rasa_server(
    port: int, model: Path, endpoints: Path, log_dir: Path, env: Dict[str, str],
    cors_origin: str = "http://localhost:8080",
) -> subprocess.Popen:
    log = open(log_dir / f"rasa-{port}.log", "w")  # noqa: SIM115 (lives with the process)
    proc = subprocess.Popen(
        [
            str(VENV_BIN / "rasa"), "run", "--model", str(model),
            "--endpoints", str(endpoints), "--credentials", str(ROOT / "credentials.yml"),
            "--interface", "127.0.0.1", "--port", str(port), "--cors", cors_origin,
        ],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    wait_http(f"http://127.0.0.1:{port}/", proc=proc)
    return proc


@contextmanager
def running_servers(
    tmp_dir: Path, database_url: Optional[str] = None, with_actions: bool = True,
    cors_origin: Optional[str] = None,
) -> Iterator[Servers]:
    """Starts an action server and a Rasa server on free ports; stops them after.

    ``cors_origin`` is the one web page origin allowed to call the Rasa server
    (HTTP CORS and the socket.io Origin check); http://localhost:8080 if None.
    """
    model = newest_model()
    rasa_port, actions_port = free_port(), free_port()
    database_url = database_url or f"sqlite:///{tmp_dir / 'conversations.db'}"
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
        "RASA_TELEMETRY_ENABLED": "false",
        "TF_CPP_MIN_LOG_LEVEL": "2",
        # The action server's service directory: its own SQLite file, loaded on
        # first use (actions/service_directory.py), unless the caller set one.
        "SERVICES_DATABASE_URL": os.environ.get(
            "SERVICES_DATABASE_URL", f"sqlite:///{tmp_dir / 'services.db'}"
        ),
    }
    if cors_origin:
        env["CHAT_ALLOWED_ORIGINS"] = cors_origin  # components/channels.py's socket.io check
    endpoints = tmp_dir / "endpoints.yml"
    endpoints.write_text(
        (ROOT / "endpoints.yml").read_text().replace(
            "http://localhost:5055/webhook", f"http://127.0.0.1:{actions_port}/webhook"
        )
    )
    servers = Servers(
        rasa_url=f"http://127.0.0.1:{rasa_port}",
        actions_url=f"http://127.0.0.1:{actions_port}",
        database_url=database_url,
        log_dir=tmp_dir,
    )
    try:
        if with_actions:
            servers.procs["actions"] = start_action_server(actions_port, tmp_dir, env)
        servers.procs["rasa"] = start_rasa_server(
            rasa_port, model, endpoints, tmp_dir, env,
            cors_origin=cors_origin or "http://localhost:8080",
        )
        yield servers
    finally:
        for name in list(servers.procs):
            servers.stop(name)
