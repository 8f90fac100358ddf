"""Serves the charity's demo page (web/) and the built chat widget on 127.0.0.1.

Only the page, its stylesheet and the widget bundle (web/dist/, built by
scripts/build_web.sh) are served; everything else under web/ (node_modules,
sources) is a 404. The page's one config object gets the Rasa server URL, and
a Content-Security-Policy lets the page talk to that server and nothing else.
"""

from __future__ import annotations

import argparse
import functools
import http.server
import json
from pathlib import Path
from urllib.parse import urlsplit

WEB_DIR = Path(__file__).resolve().parent.parent / "web"
PAGE = WEB_DIR / "index.html"
STATIC = {
    "/page.css": "page.css",
    "/dist/carer-chat.js": "dist/carer-chat.js",
    "/dist/carer-chat.css": "dist/carer-chat.css",
}


def socket_origins(rasa_url: str) -> str:
    """The http(s) and ws(s) origins of the Rasa server, for connect-src."""
    parts = urlsplit(rasa_url)
    secure = parts.scheme == "https"
    return f"{parts.scheme}://{parts.netloc} {'wss' if secure else 'ws'}://{parts.netloc}"


def content_security_policy(rasa_url: str) -> str:
    return "; ".join(
        [
            "default-src 'none'",
            "script-src 'self'",
            "style-src 'self'",
            "img-src 'self'",
            f"connect-src 'self' {socket_origins(rasa_url)}",
            "base-uri 'none'",
            "form-action 'none'",
            "frame-ancestors 'none'",
        ]
    )


def render_page(rasa_url: str) -> bytes:
    """index.html with the server URL put into its JSON config object."""
    value = json.dumps(rasa_url)[1:-1].replace("<", "\\u003c").replace(">", "\\u003e")
    return PAGE.read_text(encoding="utf-8").replace("{{CHAT_SERVER_URL}}", value).encode()


class WebHandler(http.server.SimpleHTTPRequestHandler):
    """The page, its static files and /config.js; nothing else."""

    rasa_url = "http://localhost:5005"

    def send_body(self, body: bytes, content_type: str, cache: str = "no-store") -> None:
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Cache-Control", cache)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        path = urlsplit(self.path).path
        if path in ("/", "/index.html"):
            self.send_body(render_page(self.rasa_url), "text/html; charset=utf-8")
        elif path == "/config.js":
            body = f"window.CHAT_SERVER_URL = {json.dumps(self.rasa_url)};\n".encode()
            self.send_body(body, "text/javascript; charset=utf-8")
        elif path in STATIC:
            self.path = "/" + STATIC[path]
            super().do_GET()
        else:
            self.send_error(404)

    def do_HEAD(self) -> None:  # noqa: N802
        self.send_error(405)

    def end_headers(self) -> None:
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Referrer-Policy", "no-referrer")
        self.send_header("Content-Security-Policy", content_security_policy(self.rasa_url))
        self.send_header("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        super().end_headers()

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass  # no request log: paths are not needed and stay private


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--rasa-url", default="http://localhost:5005")
    args = parser.parse_args()
    if not (WEB_DIR / "dist" / "carer-chat.js").is_file():
        print("web/dist/ is missing: run scripts/build_web.sh (make setup does).", flush=True)
    WebHandler.rasa_url = args.rasa_url
    handler = functools.partial(WebHandler, directory=str(WEB_DIR))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", args.port), handler)
    server.serve_forever()


if __name__ == "__main__":
    main()
