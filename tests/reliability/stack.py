"""The production profile as test processes: nginx, two Rasa servers, actions.

Same pieces as scripts/run_prod.sh (endpoints.prod.yml, the rendered nginx
template), on free 127.0.0.1 ports, with PostgreSQL and Redis key prefixes
unique to the run so nothing collides with other people's data.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional

import sqlalchemy as sa

from components.channels import rest_conversation_id
from tests.support import ROOT, VENV_BIN, free_port, newest_model, wait_http

sys.path.insert(0, str(ROOT / "scripts"))
from render_nginx import render  # noqa: E402

PG_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
NGINX = "/usr/sbin/nginx"


def postgres_available() -> bool:
    try:
        engine = sa.create_engine(PG_URL, connect_args={"connect_timeout": 3})
        engine.connect().close()
        engine.dispose()
        return True
    except sa.exc.OperationalError:
        return False


@dataclass
class ProdStack:
    tmp: Path
    database_url: str = PG_URL
    redis_port: int = 6379
    rate_limit: str = "1000r/s"
    rate_burst: int = 2000
    on_redis_down: str = "local"
    rasa_count: int = 2
    run_id: str = field(default_factory=lambda: uuid.uuid4().hex[:10])
    port: int = field(default_factory=free_port)
    actions_port: int = field(default_factory=free_port)
    rasa_ports: List[int] = field(default_factory=list)
    procs: Dict[str, subprocess.Popen] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.rasa_ports = [free_port() for _ in range(self.rasa_count)]
        self.model = newest_model()
        self.env = {
            **os.environ,
            "DATABASE_URL": self.database_url,
            "CHAT_ALLOWED_ORIGINS": f"http://127.0.0.1:{self.port}",
            # Both Rasa servers accept each other's resume tokens.
            "CHAT_SESSION_KEY": "reliability-" + "k" * 40,
            "TICKET_LOCK_LIFETIME": "15",
            "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
            "RASA_TELEMETRY_ENABLED": "false",
            "TF_CPP_MIN_LOG_LEVEL": "2",
        }
        self.endpoints = self.tmp / "endpoints.yml"
        self.endpoints.write_text(
            (ROOT / "endpoints.prod.yml").read_text()
            .replace("http://127.0.0.1:5055/webhook",
                     f"http://127.0.0.1:{self.actions_port}/webhook")
            .replace("  port: 6379", f"  port: {self.redis_port}")
            .replace("key_prefix: carerguide", f"key_prefix: rel{self.run_id}")
            .replace("on_redis_down: local", f"on_redis_down: {self.on_redis_down}")
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def sender_prefix(self) -> str:
        # REST senders must be at least 16 characters long.
        return f"reliability-{self.run_id}-"

    def _popen(self, name: str, args: List[str]) -> subprocess.Popen:
        log = open(self.tmp / f"{name}.log", "a")  # noqa: SIM115 (lives with the process)
        return subprocess.Popen(args, cwd=ROOT, env=self.env, stdout=log,
                                stderr=subprocess.STDOUT)

    def start_actions(self) -> None:
        self.procs["actions"] = proc = self._popen(
            "actions",
            [str(VENV_BIN / "python"), str(ROOT / "scripts" / "action_server.py"),
             "--port", str(self.actions_port)],
        )
        wait_http(f"http://127.0.0.1:{self.actions_port}/health", proc=proc)

    def start_rasa(self, index: int, wait: bool = True,
                   endpoints: Optional[Path] = None) -> None:
        port = self.rasa_ports[index]
        self.procs[f"rasa{index}"] = self._popen(
            f"rasa-{port}",
            [str(VENV_BIN / "rasa"), "run", "--model", str(self.model),
             "--endpoints", str(endpoints or self.endpoints),
             "--credentials", str(ROOT / "credentials.yml"),
             "--interface", "127.0.0.1", "--port", str(port), "--cors", self.url],
        )
        if wait:
            self.wait_rasa(index)

    def wait_rasa(self, index: int) -> None:
        wait_http(f"http://127.0.0.1:{self.rasa_ports[index]}/",
                  proc=self.procs[f"rasa{index}"])

    def start_nginx(self) -> None:
        conf = render(self.port, self.rasa_ports, self.tmp / "nginx",
                      self.rate_limit, self.rate_burst, conn_limit=1000)
        self.procs["nginx"] = proc = self._popen(
            "nginx-stdout", [NGINX, "-c", str(conf), "-p", str(self.tmp / "nginx")]
        )
        wait_http(self.url + "/", proc=proc, timeout=20)

    def start(self, with_nginx: bool = True) -> ProdStack:
        self.start_actions()
        for index in range(self.rasa_count):
            self.start_rasa(index, wait=False)
        for index in range(self.rasa_count):
            self.wait_rasa(index)
        if with_nginx:
            self.start_nginx()
        return self

    def stop(self, name: str, kill: bool = False) -> None:
        proc = self.procs.pop(name, None)
        if proc is None or proc.poll() is not None:
            return
        proc.send_signal(signal.SIGKILL if kill else signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)

    def stop_all(self) -> None:
        for name in list(self.procs):
            self.stop(name)

    def logs(self) -> Dict[str, str]:
        return {p.name: p.read_text(errors="replace") for p in self.tmp.glob("*.log")}

    def user_texts(self, sender: str) -> List[str]:
        import json

        engine = sa.create_engine(self.database_url)
        with engine.connect() as conn:
            rows = conn.execute(
                sa.text("SELECT data FROM events WHERE sender_id=:s AND type_name='user' "
                        "ORDER BY id"), {"s": rest_conversation_id(sender)},
            ).fetchall()
        engine.dispose()
        return [json.loads(r[0]).get("text") for r in rows]

    def cleanup_rows(self) -> None:
        engine = sa.create_engine(self.database_url)
        with engine.begin() as conn:
            conn.execute(sa.text("DELETE FROM events WHERE sender_id LIKE :p"),
                         {"p": rest_conversation_id(self.sender_prefix) + "%"})
        engine.dispose()

