"""Prints the figures of the last reliability run (reports/reliability.json)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, Dict

REPORT = Path(__file__).resolve().parent.parent / "reports" / "reliability.json"


def summary(figures: Dict[str, Any]) -> Dict[str, Any]:
    load = figures.get("load_kill_one_server", {})
    pg = figures.get("postgres_restart", {})
    fuzz = figures.get("fuzz", {})
    redaction = figures.get("redaction", {})
    return {
        "conversations under load": load.get("conversations"),
        "turns under load (kill one of two servers)": load.get("turns"),
        "turns lost (kill)": load.get("turns_lost"),
        "store mismatches (missing/duplicate/out of order)": load.get("stored_mismatches"),
        "errors clients saw and retried (kill)": load.get("client_errors_seen_then_retried"),
        "conversations resumed after restarting all servers":
            figures.get("restart_all", {}).get("resumed_same_session"),
        "PostgreSQL restart: turns / lost / silently dropped":
            f"{pg.get('turns')} / {pg.get('turns_lost_client_saw_error')} / "
            f"{pg.get('silently_dropped')}",
        "PostgreSQL restart: errors clients saw": pg.get("errors_seen_by_client"),
        "5xx (fuzz + bad input)": (fuzz.get("5xx") or 0) + (figures.get("bad_input_5xx") or 0),
        "5xx during PostgreSQL restart (reported to client, retried)":
            sum(v for k, v in (pg.get("errors_seen_by_client") or {}).items()
                if k.startswith("http_5")),
        "fuzz inputs tried": fuzz.get("inputs_tried"),
        "fuzz silent replies": fuzz.get("silent_replies"),
        "bad-input requests": figures.get("bad_input_requests"),
        "redaction hits / misses / false hits":
            f"{redaction.get('hits')} / {redaction.get('misses')} / "
            f"{redaction.get('false_hits')}",
        "redaction recall per kind (labelled set)":
            figures.get("redaction_recall", {}).get("recall"),
        "flooding client: crisis reply to another client (s)":
            figures.get("flood", {}).get("crisis_reply_s"),
        "API calls refused": (figures.get("api_calls_refused_prod") or 0)
        + (figures.get("api_calls_refused_embedded") or 0),
        "Redis down (local locks)": figures.get("redis_down_local_locks"),
        "action server down": figures.get("action_server_down"),
        "log files with message text": figures.get("log_files_with_message_text"),
    }


def main() -> None:
    if not REPORT.exists():
        sys.exit("No reports/reliability.json: run `make reliability-report`.")
    figures = json.loads(REPORT.read_text())
    print("Reliability figures (reports/reliability.json)")
    for key, value in summary(figures).items():
        print(f"  {key:<58} {value}")


if __name__ == "__main__":
    main()
