"""The action server (rasa-sdk) with limits, bound to 127.0.0.1 by default.

``rasa run actions`` listens on 0.0.0.0, accepts Sanic's default 100 MB
bodies, inflates ``Content-Encoding: deflate`` bodies without a limit (a
306 KB request took it from 133 MB to 760 MB) and answers deeply nested JSON
with a 500 that echoes the body. This runs the same rasa-sdk app with:

* ``ACTIONS_HOST`` (default 127.0.0.1; rasa-sdk's ``SANIC_HOST`` also works);
* Sanic's ``REQUEST_MAX_SIZE`` at ``ACTIONS_MAX_BODY`` (default 1 MB: Rasa
  sends the tracker, bounded to about 30 events by the tracker store);
* deflate bodies inflated in bounded steps, refused with 413 past that size;
* 400 for a body that is not JSON or nests too deeply to decode (a 500
  before, with the body echoed back).

Usage: python scripts/action_server.py [--port 5055] [--actions actions]
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import zlib
from pathlib import Path
from typing import Any, Optional

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sanic import Sanic, response  # noqa: E402
from sanic.exceptions import PayloadTooLarge  # noqa: E402
from sanic.request import Request  # noqa: E402
from sanic.response import HTTPResponse  # noqa: E402

MAX_BODY = int(os.environ.get("ACTIONS_MAX_BODY", str(1024 * 1024)))

logger = logging.getLogger("action_server")


def inflate_bounded(body: bytes, limit: int = MAX_BODY) -> Optional[bytes]:
    """The inflated body, or None when it would be larger than ``limit``."""
    inflater = zlib.decompressobj()
    data = inflater.decompress(body, limit + 1)
    if len(data) > limit or inflater.unconsumed_tail:
        return None
    return data


def add_limits(app: Sanic) -> None:
    app.config.REQUEST_MAX_SIZE = MAX_BODY

    async def too_large(request: Request, error: Exception) -> HTTPResponse:
        return response.json({"error": "request too large"}, status=413)

    app.error_handler.add(PayloadTooLarge, too_large)

    @app.middleware("request")
    async def check_body(request: Request) -> Optional[HTTPResponse]:
        if request.method != "POST":
            return None
        body = request.body or b""
        if request.headers.get("Content-Encoding") == "deflate":
            try:
                inflated = inflate_bounded(body)
            except zlib.error:
                return response.json({"error": "bad deflate body"}, status=400)
            if inflated is None:
                return response.json({"error": "request too large"}, status=413)
            body = inflated
        try:
            json.loads(body or b"null")
        except RecursionError:
            return response.json({"error": "JSON nested too deeply"}, status=400)
        except ValueError:
            return response.json({"error": "body must be JSON"}, status=400)
        return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=int(os.environ.get("ACTIONS_PORT", 5055)))
    parser.add_argument("--actions", default="actions")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")

    from rasa_sdk.endpoint import create_app

    host = os.environ.get("ACTIONS_HOST") or os.environ.get("SANIC_HOST") or "127.0.0.1"
    # Only Rasa calls the action server: no browser origin needs CORS.
    app: Any = create_app(args.actions, cors_origins="")
    add_limits(app)
    logger.info("Action server on http://%s:%s", host, args.port)
    app.run(host, args.port, workers=1, access_log=False)


if __name__ == "__main__":
    main()
