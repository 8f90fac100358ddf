"""Renders deploy/nginx.conf.template for the production profile.

Used by scripts/run_prod.sh and the reliability tests, so both run the same
nginx configuration.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import List

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "deploy" / "nginx.conf.template"


def web_root() -> Path:
    """web/dist when the widget has been built, else web/."""
    dist = ROOT / "web" / "dist"
    return dist if (dist / "index.html").exists() else ROOT / "web"


def render(
    port: int,
    rasa_ports: List[int],
    run_dir: Path,
    rate_limit: str = "5r/s",
    rate_burst: int = 20,
    conn_limit: int = 20,
) -> Path:
    """Writes run_dir/nginx.conf and returns its path."""
    run_dir = run_dir.resolve()
    for sub in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (run_dir / "nginx-tmp" / sub).mkdir(parents=True, exist_ok=True)
    servers = "\n".join(
        f"    server 127.0.0.1:{p} max_fails=1 fail_timeout=5s;" for p in rasa_ports
    )
    text = TEMPLATE.read_text()
    for key, value in {
        "RUN_DIR": str(run_dir),
        "PORT": str(port),
        "WEB_ROOT": str(web_root()),
        "RASA_SERVERS": servers,
        "RATE_LIMIT": rate_limit,
        "RATE_BURST": str(rate_burst),
        "CONN_LIMIT": str(conn_limit),
    }.items():
        text = text.replace("{{" + key + "}}", value)
    conf = run_dir / "nginx.conf"
    conf.write_text(text)
    return conf


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--rasa-ports", default="5005,5006")
    parser.add_argument("--run-dir", default="var/prod")
    parser.add_argument("--rate-limit", default="5r/s")
    parser.add_argument("--rate-burst", type=int, default=20)
    parser.add_argument("--conn-limit", type=int, default=20)
    args = parser.parse_args()
    ports = [int(p) for p in args.rasa_ports.split(",") if p]
    print(render(args.port, ports, Path(args.run_dir), args.rate_limit, args.rate_burst,
                 args.conn_limit))


if __name__ == "__main__":
    main()
