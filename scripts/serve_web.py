"""Serves the charity's demo page (web/) on 127.0.0.1, with the Rasa URL injected."""

from __future__ import annotations

import argparse
import functools
import http.server
from pathlib import Path

WEB_DIR = Path(__file__).resolve().parent.parent / "web"


class WebHandler(http.server.SimpleHTTPRequestHandler):
    """Static files plus /config.js, so the page finds the Rasa server."""

    rasa_url = "http://localhost:5005"

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        if self.path.split("?")[0] == "/config.js":
            body = f"window.CHAT_SERVER_URL = {self.rasa_url!r};\n".encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/javascript; charset=utf-8")
            self.send_header("Cache-Control", "no-store")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        super().do_GET()

    def end_headers(self) -> None:
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Referrer-Policy", "no-referrer")
        super().end_headers()

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass  # no request log: paths are not needed and stay private


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--rasa-url", default="http://localhost:5005")
    args = parser.parse_args()
    WebHandler.rasa_url = args.rasa_url
    handler = functools.partial(WebHandler, directory=str(WEB_DIR))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", args.port), handler)
    server.serve_forever()


if __name__ == "__main__":
    main()
