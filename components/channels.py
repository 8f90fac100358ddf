"""Input channels that refuse bad input, never drop a message and keep text private.

``SafeRestInput`` replaces Rasa's REST channel on the same path
(``/webhooks/rest/webhook``):

* 400 for a body that is not UTF-8 JSON, not an object, without a usable
  ``sender`` (Rasa would fall back to one shared "default" conversation) or
  with a ``message`` that is not a string; 413 for an oversized body.
* ``metadata.message_id`` (or nginx's ``X-Request-Id``) makes a retry safe:
  checked under the conversation lock, a message already handled is not
  handled again; its stored replies are sent back instead.
* 503 (with any replies) when the reply could not be stored or the lock store
  refused, instead of Rasa's empty 200; the client knows to retry.
* No message text in logs.

``OriginCheckedSocketIOInput`` is Rasa's socket.io channel with the page's
origin enforced (Rasa passes ``cors_allowed_origins=[]``, which makes
python-engineio skip the Origin check entirely, so any web site could open a
websocket to the assistant), unreadable payloads answered instead of crashing
the handler, and the same retry safety.

Conversations belong to whoever started them:

* socket.io: the server issues the conversation id (``web:`` + 128 random
  bits) and keeps it in python-socketio's own session for the connection;
  ``user_uttered`` never reads a client-supplied id. Resuming after a reload
  needs the token issued with it (an HMAC-SHA256 of the id, keyed by
  ``CHAT_SESSION_KEY``; a random per-process key when unset).
* REST: a sender id of at least 16 characters, stored as ``rest:<sender>``,
  so no REST call can reach a web conversation; ``application/json`` only,
  and the Origin (when a browser sends one) must be the page's.

No one client can stall everyone: bodies and socket.io frames over 16 KB are
refused, NLU reads at most a bounded window of the text (the head and the
tail; still over the message guard's limit, so long text keeps its "too long"
reply while a risk phrase in the window still wins), each connection has a
token bucket for messages and a cap on new conversations, and deeply nested
JSON is a 400 (or a dropped frame), not a 500.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import re
import secrets
import time
import warnings
from dataclasses import dataclass, field
from typing import Any, Awaitable, Callable, Dict, List, Optional, Tuple

from rasa.core.agent import Agent
from rasa.core.channels.channel import (
    CollectingOutputChannel,
    InputChannel,
    OutputChannel,
    UserMessage,
)
from rasa.core.channels.rest import RestInput
from rasa.core.channels.socketio import SocketBlueprint, SocketIOInput
from rasa.core.lock_store import LockError
from rasa.shared.core.events import BotUttered, UserUttered
from sanic import Blueprint, Sanic, response
from sanic.exceptions import PayloadTooLarge
from sanic.request import Request
from sanic.response import HTTPResponse
from socketio import AsyncServer

from components.socketio_output import WebChatSocketIOOutput
from components.tracker_store import STORE_HEALTH, StoreHealth

logger = logging.getLogger(__name__)

# A chat message is small: REST bodies and socket.io frames over 16 KB are refused.
MAX_BODY_BYTES = 16 * 1024
MAX_SENDER_CHARS = 128
# REST senders are the only secret a REST conversation has: long and random.
MIN_REST_SENDER_CHARS = 16
# Stored conversation ids: one namespace per channel.
REST_PREFIX = "rest:"
WEB_PREFIX = "web:"
# NLU (featurisers, risk screen) reads at most the first MAX_TEXT_CHARS and the
# last TAIL_CHARS of a message. MAX_TEXT_CHARS is the message guard's
# max_chars (config.yml): the window of a longer text is itself longer than
# that, so the guard still gives "too long", unless the risk screen matched.
MAX_TEXT_CHARS = 2000
TAIL_CHARS = 1000
WINDOW_JOIN = " \u2026 "
MAX_JSON_DEPTH = 32
# Per socket.io connection: a burst of BUCKET_SIZE tokens, refilled at
# MESSAGES_PER_SECOND; a message costs one token per started 1,000 characters
# (NLU time grows with length), at most BUCKET_SIZE. At most MAX_SESSIONS
# conversations per connection.
BUCKET_SIZE = 5
MESSAGES_PER_SECOND = 1.0
MAX_SESSIONS_PER_CONNECTION = 3
SESSION_KEY_ENV = "CHAT_SESSION_KEY"
SENDER_PATTERN = re.compile(r"^[^\x00-\x1f\x7f]+$")
MESSAGE_ID_PATTERN = re.compile(r"^[A-Za-z0-9_.:\-]{1,64}$")
# Rasa's built-in commands, typed: they would run silently (no reply).
RESERVED_COMMAND = re.compile(r"^\s*/(session_start|restart|back)\b")
DEFAULT_ALLOWED_ORIGINS = ["http://localhost:8080", "http://127.0.0.1:8080"]


def hide_typed_text_in_warnings() -> None:
    """Rasa warns with the whole typed line when "/intent ..." text does not parse."""
    warnings.filterwarnings("ignore", message="Failed to parse arguments in line")


hide_typed_text_in_warnings()


class BadInputError(ValueError):
    """The request cannot be handled; the text is safe to show to the client."""


def valid_sender(sender: Any, min_chars: int = 1) -> Optional[str]:
    """The sender id if usable (a printable string of min_chars to 128), else None."""
    if not isinstance(sender, str) or not sender.strip():
        return None
    if not min_chars <= len(sender) <= MAX_SENDER_CHARS or not SENDER_PATTERN.match(sender):
        return None
    return sender


def rest_conversation_id(sender: str) -> str:
    """Where a REST sender's conversation is stored (never a web conversation)."""
    return REST_PREFIX + sender


def bounded_text(text: str) -> str:
    """The part of a message NLU reads: all of it, or its head and tail.

    A cut text is longer than MAX_TEXT_CHARS, so the message guard still
    answers "too long" (and the risk screen, which runs first, still sees a
    risk phrase at either end).
    """
    if len(text) <= MAX_TEXT_CHARS:
        return text
    return text[:MAX_TEXT_CHARS] + WINDOW_JOIN + text[-TAIL_CHARS:]


def json_depth(value: Any) -> int:
    """Nesting depth of a decoded JSON value (iterative: no recursion limit)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            item = list(item.values())
        if isinstance(item, list):
            deepest = max(deepest, depth)
            stack.extend((child, depth + 1) for child in item)
    return deepest


def loads_bounded(data: Any) -> Any:
    """json.loads that raises ValueError for nesting deeper than MAX_JSON_DEPTH."""
    try:
        value = json.loads(data)
    except RecursionError as error:
        raise ValueError("JSON nested too deeply") from error
    if json_depth(value) > MAX_JSON_DEPTH:
        raise ValueError("JSON nested too deeply")
    return value


class BoundedJson:
    """The json module python-socketio and engineio use, with nesting bounded.

    A frame that fails to decode is dropped by python-socketio (logged without
    its content); the connection and the server go on.
    """

    @staticmethod
    def dumps(*args: Any, **kwargs: Any) -> str:
        return json.dumps(*args, **kwargs)

    @staticmethod
    def loads(data: Any, *args: Any, **kwargs: Any) -> Any:
        return loads_bounded(data)


def kept_metadata(message_id: Optional[str]) -> Dict[str, Any]:
    """The only client metadata stored with a message: its retry id."""
    return {"message_id": message_id} if message_id else {}


_SESSION_KEY: Optional[bytes] = None


def session_key() -> bytes:
    """HMAC key for resume tokens: CHAT_SESSION_KEY, else random for this process.

    Without the variable, tokens do not survive a restart and are not
    accepted by a second server (run_prod.sh sets one for its two servers).
    """
    global _SESSION_KEY
    configured = os.environ.get(SESSION_KEY_ENV, "")
    if configured:
        if len(configured) < 32:
            logger.warning("%s is shorter than 32 characters.", SESSION_KEY_ENV)
        return configured.encode("utf-8")
    if _SESSION_KEY is None:
        _SESSION_KEY = secrets.token_bytes(32)
        logger.warning(
            "%s is not set: using a random key; web chats cannot resume after a restart.",
            SESSION_KEY_ENV,
        )
    return _SESSION_KEY


def new_web_session_id() -> str:
    return WEB_PREFIX + secrets.token_hex(16)


def _mac(session_id: str, key: bytes) -> str:
    return hmac.new(key, session_id.encode("utf-8"), hashlib.sha256).hexdigest()


def session_token(session_id: str, key: Optional[bytes] = None) -> str:
    """A resume token for a web conversation id: ``<id>.<hmac>``."""
    return f"{session_id}.{_mac(session_id, key or session_key())}"


WEB_SESSION_ID = re.compile(r"^web:[0-9a-f]{32}$")


def verify_session_token(token: Any, key: Optional[bytes] = None) -> Optional[str]:
    """The conversation id a token was issued for, or None for anything else."""
    if not isinstance(token, str) or len(token) > 200 or "." not in token:
        return None
    session_id, _, mac = token.rpartition(".")
    if not WEB_SESSION_ID.match(session_id):
        return None
    if not hmac.compare_digest(mac, _mac(session_id, key or session_key())):
        return None
    return session_id


@dataclass
class TokenBucket:
    """Messages one connection may send: a burst, then a steady rate."""

    size: float = BUCKET_SIZE
    rate: float = MESSAGES_PER_SECOND
    tokens: float = BUCKET_SIZE
    stamp: float = field(default_factory=time.monotonic)

    def take(self, cost: float = 1, now: Optional[float] = None) -> bool:
        now = time.monotonic() if now is None else now
        self.tokens = min(self.size, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        cost = min(cost, self.size)
        if self.tokens < cost:
            return False
        self.tokens -= cost
        return True


def message_cost(text: str) -> int:
    """Tokens a message costs: one per started 1,000 characters."""
    return 1 + len(text) // 1000


def valid_message_id(message_id: Any) -> Optional[str]:
    if isinstance(message_id, str) and MESSAGE_ID_PATTERN.match(message_id):
        return message_id
    return None


def parse_rest_body(body: bytes) -> Tuple[str, str, Dict[str, Any]]:
    """Sender, text and metadata from a REST request body, or ``BadInputError``."""
    try:
        payload = loads_bounded(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as error:
        raise BadInputError("body must be UTF-8 JSON, nested at most 32 deep") from error
    if not isinstance(payload, dict):
        raise BadInputError("body must be a JSON object")
    sender = valid_sender(payload.get("sender"), MIN_REST_SENDER_CHARS)
    if sender is None:
        raise BadInputError(
            f"'sender' must be a random string of {MIN_REST_SENDER_CHARS} to "
            f"{MAX_SENDER_CHARS} characters"
        )
    text = payload.get("message")
    if not isinstance(text, str):
        raise BadInputError("'message' must be a string")
    if RESERVED_COMMAND.match(text):
        raise BadInputError("this command is reserved")
    metadata = payload.get("metadata")
    if metadata is None:
        metadata = {}
    if not isinstance(metadata, dict):
        raise BadInputError("'metadata' must be an object")
    return sender, text, metadata


def _stored_replies(tracker: Any, message_id: str) -> Optional[List[Dict[str, Any]]]:
    """The bot replies stored after the user message ``message_id``, or None."""
    if tracker is None:
        return None
    found = False
    replies: List[Dict[str, Any]] = []
    for event in tracker.events:
        if isinstance(event, UserUttered):
            if found:
                break
            found = event.message_id == message_id
        elif found and isinstance(event, BotUttered):
            data = {k: v for k, v in (event.data or {}).items() if v is not None}
            replies.append({"text": event.text, **data})
    return replies if found else None


async def handle_once(
    agent: Agent, message: UserMessage, message_id: Optional[str]
) -> Tuple[bool, StoreHealth]:
    """Handles a message under the conversation lock, unless it already was.

    Returns whether it was a repeat (its stored replies are sent again to the
    output channel) and what went wrong with the store, if anything.
    """
    health = StoreHealth()
    token = STORE_HEALTH.set(health)
    try:
        async with agent.lock_store.lock(message.sender_id):
            if message_id is not None:
                tracker = await agent.tracker_store.retrieve(message.sender_id)
                replies = _stored_replies(tracker, message_id)
                if replies is not None:
                    for reply in replies:
                        await message.output_channel.send_response(message.sender_id, reply)
                    return True, health
            await agent.processor.handle_message(message)  # type: ignore[union-attr]
            return False, health
    finally:
        STORE_HEALTH.reset(token)


def allowed_origins(configured: Any) -> List[str]:
    """Origins from CHAT_ALLOWED_ORIGINS / WEB_ORIGIN, else credentials.yml."""
    env = os.environ.get("CHAT_ALLOWED_ORIGINS") or os.environ.get("WEB_ORIGIN")
    if env:
        return [o.strip().rstrip("/") for o in env.split(",") if o.strip()]
    if isinstance(configured, str):
        configured = configured.split(",")
    origins = [str(o).strip().rstrip("/") for o in (configured or []) if str(o).strip()]
    return origins or list(DEFAULT_ALLOWED_ORIGINS)


def media_type(request: Request) -> str:
    return (request.headers.get("content-type") or "").split(";")[0].strip().lower()


def limit_request_size(app: Sanic) -> None:
    """Sanic's own body limit (default 100 MB) down to the channels' 16 KB.

    Sanic refuses a larger body before reading it; the refusal is JSON like
    every other error the channels send.
    """
    app.config.REQUEST_MAX_SIZE = MAX_BODY_BYTES

    async def too_large(request: Request, error: Exception) -> HTTPResponse:
        return response.json({"error": "request too large"}, status=413)

    app.error_handler.add(PayloadTooLarge, too_large)


class SafeRestInput(RestInput):
    """Rasa's REST channel, strict about input and honest about failures."""

    allowed_origins: List[str] = DEFAULT_ALLOWED_ORIGINS

    @classmethod
    def name(cls) -> str:
        return "rest"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[str, Any]]) -> InputChannel:
        channel = cls()
        channel.allowed_origins = allowed_origins((credentials or {}).get("allowed_origins"))
        return channel

    def blueprint(
        self, on_new_message: Callable[[UserMessage], Awaitable[Any]]
    ) -> Blueprint:
        hide_typed_text_in_warnings()
        webhook = Blueprint("safe_rest_webhook", __name__)

        @webhook.listener("before_server_start")
        async def limits(app: Sanic, _: Any) -> None:
            limit_request_size(app)

        @webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            if len(request.body or b"") > MAX_BODY_BYTES:
                return response.json({"error": "request too large"}, status=413)
            # No cross-site form posts: browsers send those as form or text types.
            if media_type(request) != "application/json":
                return response.json({"error": "Content-Type must be application/json"},
                                     status=415)
            origin = request.headers.get("origin")
            if origin is not None and origin.rstrip("/") not in self.allowed_origins:
                return response.json({"error": "origin not allowed"}, status=403)
            try:
                sender, text, metadata = parse_rest_body(request.body or b"")
            except BadInputError as error:
                return response.json({"error": str(error)}, status=400)
            message_id = valid_message_id(metadata.get("message_id")) or valid_message_id(
                request.headers.get("x-request-id")
            )
            agent: Agent = request.app.ctx.agent
            if agent is None or not agent.is_ready():
                return response.json({"error": "assistant not ready"}, status=503)
            collector = CollectingOutputChannel()
            message = UserMessage(
                bounded_text(text),
                collector,
                rest_conversation_id(sender),
                input_channel=self.name(),
                message_id=message_id,
                metadata=kept_metadata(message_id),
            )
            try:
                repeat, store = await handle_once(agent, message, message_id)
            except LockError as error:
                logger.error("Message refused: %s", type(error).__name__)
                return response.json(
                    {"error": "temporarily unavailable, please retry"}, status=503
                )
            except Exception as error:  # noqa: BLE001 (logged without user text)
                logger.error("Message failed: %s", type(error).__name__, exc_info=False)
                return response.json(
                    {"error": "temporarily unavailable, please retry",
                     "messages": collector.messages},
                    status=503,
                )
            if store.failed:
                # Replies (crisis replies included) go out, but the client must
                # know the message is not stored so it can send it again.
                return response.json(
                    {"error": "reply not saved, please retry", "messages": collector.messages},
                    status=503,
                )
            headers = {"X-Repeated-Message": "1"} if repeat else None
            return response.json(collector.messages, headers=headers)

        return webhook


class _AppSocketBlueprint(SocketBlueprint):
    """Remembers the Sanic app, so socket.io handlers can reach the agent."""

    def register(self, app: Sanic, options: Dict[str, Any]) -> None:
        self.ctx.app = app
        super().register(app, options)


class OriginCheckedSocketIOInput(SocketIOInput):
    """Rasa's socket.io channel: the page's origin only, server-issued sessions."""

    allowed_origins: List[str] = DEFAULT_ALLOWED_ORIGINS

    @classmethod
    def name(cls) -> str:
        return "socketio"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[str, Any]]) -> InputChannel:
        credentials = credentials or {}
        channel = super().from_credentials(credentials)
        channel.allowed_origins = allowed_origins(credentials.get("allowed_origins"))
        return channel

    def get_output_channel(self) -> Optional[OutputChannel]:
        """Same custom-payload handling for messages Rasa sends outside a turn."""
        if self.sio is None:
            return super().get_output_channel()
        return WebChatSocketIOOutput(self.sio, self.bot_message_evt)

    def blueprint(
        self, on_new_message: Callable[[UserMessage], Awaitable[Any]]
    ) -> Blueprint:
        sio = AsyncServer(
            async_mode="sanic",
            cors_allowed_origins=list(self.allowed_origins),
            max_http_buffer_size=MAX_BODY_BYTES,
            json=BoundedJson,
        )
        # engineio now checks the Origin (handshake and websocket) itself; the
        # CORS response headers stay with Rasa's --cors (Sanic-CORS), else
        # polling responses would carry Access-Control-Allow-Origin twice,
        # which browsers reject.
        sio.eio._cors_headers = lambda environ: []
        webhook = _AppSocketBlueprint(sio, self.socketio_path, "socketio_webhook", __name__)
        self.sio = sio
        buckets: Dict[str, TokenBucket] = {}
        key = session_key()  # read once: a random key must not change per call

        @webhook.listener("before_server_start")
        async def limits(app: Sanic, _: Any) -> None:
            limit_request_size(app)

        @webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @sio.on("connect", namespace=self.namespace)
        async def connect(sid: str, environ: Dict, auth: Optional[Dict]) -> bool:
            if self.jwt_key:
                import rasa.core.channels.channel as channel_module

                token = auth.get("token") if isinstance(auth, dict) else None
                return bool(
                    token
                    and channel_module.decode_bearer_token(token, self.jwt_key, self.jwt_algorithm)
                )
            return True

        @sio.on("disconnect", namespace=self.namespace)
        async def disconnect(sid: str) -> None:
            buckets.pop(sid, None)

        async def start_session(sid: str, token: Any) -> Optional[str]:
            """The connection's conversation: resumed by a valid token, else new.

            None when the connection has already started too many.
            """
            state = await sio.get_session(sid, namespace=self.namespace)
            started = int(state.get("sessions", 0))
            if started >= MAX_SESSIONS_PER_CONNECTION:
                return None
            session_id = verify_session_token(token, key) or new_web_session_id()
            previous = state.get("session_id")
            if previous and previous != session_id:
                sio.leave_room(sid, previous, namespace=self.namespace)
            # Rasa's output sends to a room named after the conversation.
            sio.enter_room(sid, session_id, namespace=self.namespace)
            state.update(session_id=session_id, sessions=started + 1)
            await sio.save_session(sid, state, namespace=self.namespace)
            await sio.emit(
                "session_confirm",
                {"session_id": session_id, "token": session_token(session_id, key)},
                room=sid, namespace=self.namespace,
            )
            return session_id

        @sio.on("session_request", namespace=self.namespace)
        async def session_request(sid: str, data: Any) -> None:
            token = data.get("token") if isinstance(data, dict) else None
            try:
                started = await start_session(sid, token)
            except KeyError:
                return  # the connection is already gone
            if started is None:
                await sio.emit("chat_error", {"error": "too many conversations"}, room=sid)

        @sio.on(self.user_message_evt, namespace=self.namespace)
        async def handle_message(sid: str, data: Any) -> None:
            data = data if isinstance(data, dict) else {}
            # An unreadable message becomes an empty one: the assistant gives
            # its fixed "didn't follow" reply instead of silence.
            text = data.get("message")
            text = text if isinstance(text, str) and not RESERVED_COMMAND.match(text) else ""
            if not buckets.setdefault(sid, TokenBucket()).take(message_cost(text)):
                await sio.emit("chat_error", {"error": "too many messages, please wait"},
                               room=sid)
                return
            # The sender is the conversation this connection was issued; a
            # session_id in the payload is ignored (it could be anyone's).
            try:
                state = await sio.get_session(sid, namespace=self.namespace)
                sender = state.get("session_id") or await start_session(sid, None)
            except KeyError:
                return  # the connection is already gone
            if sender is None:
                await sio.emit("chat_error", {"error": "too many conversations"}, room=sid)
                return
            # Custom payloads (the crisis card) as {"custom": ...}: see socketio_output.
            output: OutputChannel = WebChatSocketIOOutput(sio, self.bot_message_evt)
            metadata = data.get(self.metadata_key) or {}
            if isinstance(metadata, str):
                try:
                    metadata = loads_bounded(metadata)
                except ValueError:
                    metadata = {}
            metadata = metadata if isinstance(metadata, dict) else {}
            message_id = valid_message_id(data.get("message_id")) or valid_message_id(
                metadata.get("message_id")
            )
            message = UserMessage(
                bounded_text(text), output, sender, input_channel=self.name(),
                message_id=message_id, metadata=kept_metadata(message_id),
            )
            try:
                _, store = await handle_once(webhook.ctx.app.ctx.agent, message, message_id)
                if store.failed:
                    await sio.emit("chat_error", {"error": "reply not saved"}, room=sid)
            except Exception as error:  # noqa: BLE001 (logged without user text)
                logger.error("Socket.io message failed: %s", type(error).__name__)
                await sio.emit("chat_error", {"error": "temporarily unavailable"}, room=sid)

        return webhook
