"""Deletes conversations with no activity for RETENTION_DAYS days (default 30).

Works on the tracker store's database: DATABASE_URL (PostgreSQL) or the SQLite
file under var/. A conversation is every row of one sender; it is deleted
whole once its newest event is older than the cut-off.

    make purge-old                     # RETENTION_DAYS=30
    RETENTION_DAYS=7 .venv/bin/python scripts/purge_conversations.py
    .venv/bin/python scripts/purge_conversations.py --every 86400   # make run

In production a scheduler runs it once a day (deploy/README.md: systemd
timer, cron or a Kubernetes CronJob).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from components.tracker_store import database_url, engine_for  # noqa: E402


def purge(url: str, days: float, now: float | None = None) -> int:
    """Deletes conversations idle for more than ``days``; returns how many."""
    cutoff = (now if now is not None else time.time()) - days * 86400
    engine = engine_for(url)
    with engine.begin() as conn:
        if not sa.inspect(conn).has_table("events"):
            return 0
        old = [
            row[0]
            for row in conn.execute(
                sa.text(
                    "SELECT sender_id FROM events GROUP BY sender_id "
                    "HAVING MAX(timestamp) < :cutoff"
                ),
                {"cutoff": cutoff},
            )
        ]
        for start in range(0, len(old), 500):
            conn.execute(
                sa.text("DELETE FROM events WHERE sender_id IN :ids").bindparams(
                    sa.bindparam("ids", expanding=True)
                ),
                {"ids": old[start : start + 500]},
            )
    engine.dispose()
    return len(old)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--days", type=float, default=float(os.environ.get("RETENTION_DAYS", "30"))
    )
    parser.add_argument("--db", default=None, help="SQLite file when DATABASE_URL is unset")
    parser.add_argument(
        "--every", type=float, default=0,
        help="seconds between purges, forever (make run: 86400); 0 purges once",
    )
    args = parser.parse_args()
    while True:
        try:
            count = purge(database_url(args.db), args.days)
            print(f"Deleted {count} conversation(s) idle for more than {args.days:g} days.",
                  flush=True)
        except sa.exc.SQLAlchemyError as error:
            if not args.every:
                raise
            # The database may be down for a moment: try again next round.
            print(f"Purge failed ({type(error).__name__}); retrying later.", flush=True)
        if not args.every:
            return
        time.sleep(args.every)


if __name__ == "__main__":
    main()
