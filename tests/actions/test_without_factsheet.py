"""Signposting works in a clone with nothing beside it (FACTSHEET_PATH points nowhere).

The factsheet is a reference for the tests and the content review, never a
run-time dependency: the action server loads the committed service records on
first use without reading it, and `make run`'s loader does the same.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any, Dict

import pytest
import requests
import yaml
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import service_directory as directory
from actions.signposting import ActionShowServices
from tests.support import ROOT, free_port, start_action_server

DOMAIN: Dict[str, Any] = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))


@pytest.fixture
def nowhere(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """FACTSHEET_PATH set to a file that does not exist; a fresh services database."""
    missing = tmp_path / "no-shared" / directory.FACTSHEET_NAME
    monkeypatch.setenv("FACTSHEET_PATH", str(missing))
    monkeypatch.setenv("SERVICES_DATABASE_URL", f"sqlite:///{tmp_path / 'services.db'}")
    return missing


def night_tracker(sender: str = "no-factsheet") -> Tracker:
    latest = {"text": "someone to talk to at 3am",
              "intent": {"name": "find_service_night", "confidence": 1.0}, "entities": []}
    return Tracker(sender, {}, latest, [{"event": "user", "text": latest["text"],
                                         "parse_data": latest}],
                   False, None, {}, "action_listen")


def test_factsheet_path_pointing_nowhere_is_not_found(nowhere: Path) -> None:
    assert directory.factsheet_path() == nowhere
    with pytest.raises(FileNotFoundError, match="FACTSHEET_PATH"):
        directory.find_factsheet()


def test_action_shows_services_without_the_factsheet(nowhere: Path) -> None:
    dispatcher = CollectingDispatcher()
    asyncio.run(ActionShowServices().run(dispatcher, night_tracker(), DOMAIN))
    responses = [m["response"] for m in dispatcher.messages]
    assert "utter_services_national" not in responses
    cards = [m["text"] for m in dispatcher.messages if m.get("text")]
    assert cards and cards[0].startswith("Samaritans") and "116 123" in cards[0]


def test_records_are_still_format_checked_without_the_factsheet(nowhere: Path) -> None:
    bad = Path(__file__).resolve().parents[1] / "services" / "fixtures"
    with pytest.raises(directory.ServiceDataError):
        directory.read_records([bad / "self_injury_support_empty.yml"], None)
    assert len(directory.read_records(directory.default_data_files(), None)) == 25


def test_loader_command_loads_without_the_factsheet(nowhere: Path, tmp_path: Path) -> None:
    script = ROOT / "scripts" / "load_services.py"
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    ok = subprocess.run([sys.executable, str(script), "--database-url", url],
                        capture_output=True, text=True, cwd=ROOT, env=dict(os.environ))
    assert ok.returncode == 0, ok.stderr
    assert "Factsheet not found" in ok.stdout and "Loaded 25 services" in ok.stdout
    check = subprocess.run([sys.executable, str(script), "--check"],
                           capture_output=True, text=True, cwd=ROOT, env=dict(os.environ))
    assert check.returncode != 0  # the word-for-word check itself needs the factsheet


def test_action_server_signposts_with_factsheet_path_pointing_nowhere(
    nowhere: Path, tmp_path: Path
) -> None:
    port = free_port()
    proc = start_action_server(port, tmp_path, dict(os.environ))
    try:
        tracker = night_tracker(uuid.uuid4().hex)
        body = {
            "next_action": "action_show_services",
            "sender_id": tracker.sender_id,
            "version": "3.6.0",
            "domain": DOMAIN,
            "tracker": {
                "sender_id": tracker.sender_id, "slots": {},
                "latest_message": tracker.latest_message, "events": tracker.events,
                "paused": False, "followup_action": None, "active_loop": {},
                "latest_action_name": "action_listen",
            },
        }
        reply = requests.post(f"http://127.0.0.1:{port}/webhook", json=body, timeout=60)
        reply.raise_for_status()
        messages = reply.json()["responses"]
    finally:
        proc.terminate()
        proc.wait(timeout=20)
    assert "utter_services_national" not in [m.get("response") for m in messages]
    texts = [m.get("text") or "" for m in messages]
    assert any(t.startswith("Samaritans") and "116 123" in t for t in texts), texts


def test_make_test_stops_at_once_with_one_line_without_the_sources(tmp_path: Path) -> None:
    env = {**os.environ, "FACTSHEET_PATH": str(tmp_path / "nowhere.txt"),
           "PEER_TESTS_DIR": str(tmp_path / "no-peer-tests")}
    done = subprocess.run(["make", "--no-print-directory", "check-sources"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode != 0
    lines = [line for line in (done.stdout + done.stderr).splitlines() if line.strip()]
    assert len(lines) == 1, lines
    assert "nowhere.txt: missing" in lines[0] and "no-peer-tests: missing" in lines[0]
    assert "FACTSHEET_PATH=" in lines[0] and "PEER_TESTS_DIR=" in lines[0]
    ok = subprocess.run(["make", "--no-print-directory", "check-sources"], cwd=ROOT,
                        capture_output=True, text=True, timeout=60)
    assert ok.returncode == 0, ok.stderr  # ../shared/ (or the caller's settings) is there
