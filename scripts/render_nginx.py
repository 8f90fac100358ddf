"""Renders deploy/nginx.conf.template for the production profile.

Used by scripts/run_prod.sh and the reliability tests, so both run the same
nginx configuration.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import List

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "deploy" / "nginx.conf.template"
sys.path.insert(0, str(ROOT / "scripts"))


def web_root() -> Path:
    """web/: nginx serves only index.html, page.css and the bundle in dist/ from it."""
    return ROOT / "web"


def security_headers(public_origin: str) -> str:
    """The headers every nginx location sends (CSP as scripts/serve_web.py's)."""
    from serve_web import content_security_policy

    headers = {
        "Content-Security-Policy": content_security_policy(public_origin),
        # Only meaningful over HTTPS (the TLS proxy in front); browsers ignore
        # it on plain http://localhost.
        "Strict-Transport-Security": "max-age=31536000; includeSubDomains",
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": "DENY",
        "Referrer-Policy": "no-referrer",
        "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
        "Cross-Origin-Opener-Policy": "same-origin",
    }
    return "\n".join(
        f'      add_header {name} "{value}" always;' for name, value in headers.items()
    )


def render(
    port: int,
    rasa_ports: List[int],
    run_dir: Path,
    rate_limit: str = "5r/s",
    rate_burst: int = 20,
    conn_limit: int = 20,
    public_origin: str = "",
    real_ip_from: str = "",
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
        "SECURITY_HEADERS": security_headers(public_origin or f"http://127.0.0.1:{port}"),
        # Addresses of the proxies allowed to say who the client is.
        "REAL_IP_FROM": "\n".join(
            f"  set_real_ip_from {cidr};"
            for cidr in (real_ip_from or os.environ.get("REAL_IP_FROM", "127.0.0.1")).split(",")
            if cidr.strip()
        ),
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
    parser.add_argument("--public-origin", default=os.environ.get("PUBLIC_ORIGIN", ""))
    parser.add_argument("--real-ip-from", default=os.environ.get("REAL_IP_FROM", ""),
                        help="comma-separated addresses/CIDRs of trusted proxies")
    args = parser.parse_args()
    ports = [int(p) for p in args.rasa_ports.split(",") if p]
    print(render(args.port, ports, Path(args.run_dir), args.rate_limit, args.rate_burst,
                 args.conn_limit, args.public_origin, args.real_ip_from))


if __name__ == "__main__":
    main()
