"""Validates data/services/*.yml against the factsheet and loads the directory.

    .venv/bin/python scripts/load_services.py [--check] [--database-url URL] [FILE ...]

SERVICES_DATABASE_URL (default sqlite:///var/services.db) picks the database.
Exits 1, naming each bad record and field, if any record is invalid; then
nothing is loaded. Without the factsheet (FACTSHEET_PATH, or ../shared/ beside
the repo: a deployed clone), the committed records are loaded with format checks
only, so `make run` works; `--check` needs the factsheet.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from actions import service_directory as directory  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="*", type=Path, help="default: data/services/*.yml")
    parser.add_argument("--database-url", help="default: SERVICES_DATABASE_URL or var/services.db")
    parser.add_argument("--check", action="store_true", help="validate only, load nothing")
    args = parser.parse_args()
    files = args.files or directory.default_data_files()
    try:
        if args.check:
            source = directory.find_factsheet().read_text(encoding="utf-8")
            count = len(directory.read_records(files, source))
            print(f"{count} service records are valid.")
            return 0
        engine = directory.make_engine(args.database_url)
        check_source = directory.factsheet_path().is_file()
        if not check_source:
            print(f"Factsheet not found at {directory.factsheet_path()}: loading the committed "
                  "records without the word-for-word check (`make test` runs it).")
        count = directory.load_services(engine, files, check_source=check_source)
    except directory.ServiceDataError as error:
        print(error, file=sys.stderr)
        return 1
    print(f"Loaded {count} services into {engine.url.render_as_string(hide_password=True)}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
