"""How bot messages reach the web chat over socket.io.

Rasa 3.6's ``SocketIOOutput.send_custom_json`` calls
``sio.emit("bot_uttered", **custom)``: a custom payload such as the crisis
reply's ``{"crisis": true, "kind": "self"}`` becomes unknown keyword arguments
to ``AsyncServer.emit`` and raises ``TypeError``, so the crisis card never
reaches the page and the rest of that turn is not sent. This output sends it
as ``{"custom": {...}}`` instead, the same key the REST channel uses.
"""

from __future__ import annotations

from typing import Any, Dict

from rasa.core.channels.socketio import SocketIOOutput


class WebChatSocketIOOutput(SocketIOOutput):
    """Rasa's socket.io output with custom payloads under a ``custom`` key."""

    async def send_custom_json(
        self, recipient_id: str, json_message: Dict[str, Any], **kwargs: Any
    ) -> None:
        await self._send_message(recipient_id, {"custom": dict(json_message)})
