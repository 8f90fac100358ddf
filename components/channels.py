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
"""

from __future__ import annotations

import json
import logging
import os
import re
import uuid
import warnings
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
from sanic.request import Request
from sanic.response import HTTPResponse
from socketio import AsyncServer

from components.socketio_output import WebChatSocketIOOutput
from components.tracker_store import STORE_HEALTH, StoreHealth

logger = logging.getLogger(__name__)

MAX_BODY_BYTES = 256 * 1024
MAX_SENDER_CHARS = 128
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


def valid_sender(sender: Any) -> Optional[str]:
    """The sender id if usable (a short printable string), else None."""
    if not isinstance(sender, str) or not sender.strip():
        return None
    if len(sender) > MAX_SENDER_CHARS or not SENDER_PATTERN.match(sender):
        return None
    return sender


def valid_message_id(message_id: Any) -> Optional[str]:
    if isinstance(message_id, str) and MESSAGE_ID_PATTERN.match(message_id):
        return message_id
    return None


def parse_rest_body(body: bytes) -> Tuple[str, str, Dict[str, Any]]:
    """Sender, text and metadata from a REST request body, or ``BadInputError``."""
    try:
        payload = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as error:
        raise BadInputError("body must be UTF-8 JSON") from error
    if not isinstance(payload, dict):
        raise BadInputError("body must be a JSON object")
    sender = valid_sender(payload.get("sender"))
    if sender is None:
        raise BadInputError(f"'sender' must be a string of 1 to {MAX_SENDER_CHARS} chars")
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


class SafeRestInput(RestInput):
    """Rasa's REST channel, strict about input and honest about failures."""

    @classmethod
    def name(cls) -> str:
        return "rest"

    def blueprint(
        self, on_new_message: Callable[[UserMessage], Awaitable[Any]]
    ) -> Blueprint:
        hide_typed_text_in_warnings()
        webhook = Blueprint("safe_rest_webhook", __name__)

        @webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            if len(request.body or b"") > MAX_BODY_BYTES:
                return response.json({"error": "request too large"}, status=413)
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
                text,
                collector,
                sender,
                input_channel=self.name(),
                message_id=message_id,
                metadata=metadata,
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


def allowed_origins(configured: Any) -> List[str]:
    """Origins from CHAT_ALLOWED_ORIGINS / WEB_ORIGIN, else credentials.yml."""
    env = os.environ.get("CHAT_ALLOWED_ORIGINS") or os.environ.get("WEB_ORIGIN")
    if env:
        return [o.strip().rstrip("/") for o in env.split(",") if o.strip()]
    if isinstance(configured, str):
        configured = configured.split(",")
    origins = [str(o).strip().rstrip("/") for o in (configured or []) if str(o).strip()]
    return origins or list(DEFAULT_ALLOWED_ORIGINS)


class OriginCheckedSocketIOInput(SocketIOInput):
    """Rasa's socket.io channel, accepting only the page's origin."""

    @classmethod
    def name(cls) -> str:
        return "socketio"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[str, Any]]) -> InputChannel:
        credentials = credentials or {}
        channel = super().from_credentials(credentials)
        channel.allowed_origins = allowed_origins(credentials.get("allowed_origins"))
        return channel

    allowed_origins: List[str] = DEFAULT_ALLOWED_ORIGINS

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
        )
        # engineio now checks the Origin (handshake and websocket) itself; the
        # CORS response headers stay with Rasa's --cors (Sanic-CORS), else
        # polling responses would carry Access-Control-Allow-Origin twice,
        # which browsers reject.
        sio.eio._cors_headers = lambda environ: []
        webhook = _AppSocketBlueprint(sio, self.socketio_path, "socketio_webhook", __name__)
        self.sio = sio

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

        @sio.on("session_request", namespace=self.namespace)
        async def session_request(sid: str, data: Any) -> None:
            session_id = valid_sender(data.get("session_id")) if isinstance(data, dict) else None
            session_id = session_id or uuid.uuid4().hex
            if self.session_persistence:
                sio.enter_room(sid, session_id)
            await sio.emit("session_confirm", session_id, room=sid)

        @sio.on(self.user_message_evt, namespace=self.namespace)
        async def handle_message(sid: str, data: Any) -> None:
            # Custom payloads (the crisis card) as {"custom": ...}: see socketio_output.
            output: OutputChannel = WebChatSocketIOOutput(sio, self.bot_message_evt)
            data = data if isinstance(data, dict) else {}
            sender = sid
            if self.session_persistence:
                # Rasa drops a message without session_id; the socket id is
                # private to this connection, so use it rather than drop.
                sender = valid_sender(data.get("session_id")) or sid
            # An unreadable message becomes an empty one: the assistant gives
            # its fixed "didn't follow" reply instead of silence.
            text = data.get("message")
            text = text if isinstance(text, str) and not RESERVED_COMMAND.match(text) else ""
            metadata = data.get(self.metadata_key) or {}
            if isinstance(metadata, str):
                try:
                    metadata = json.loads(metadata)
                except ValueError:
                    metadata = {}
            metadata = metadata if isinstance(metadata, dict) else {}
            message_id = valid_message_id(data.get("message_id")) or valid_message_id(
                metadata.get("message_id")
            )
            message = UserMessage(
                text, output, sender, input_channel=self.name(),
                message_id=message_id, metadata=metadata,
            )
            try:
                _, store = await handle_once(webhook.ctx.app.ctx.agent, message, message_id)
                if store.failed:
                    await sio.emit("chat_error", {"error": "reply not saved"}, room=sid)
            except Exception as error:  # noqa: BLE001 (logged without user text)
                logger.error("Socket.io message failed: %s", type(error).__name__)
                await sio.emit("chat_error", {"error": "temporarily unavailable"}, room=sid)

        return webhook
