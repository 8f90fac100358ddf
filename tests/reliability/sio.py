"""A minimal socket.io client over a raw websocket (Engine.IO 4 / Socket.IO 5).

python-socketio's AsyncClient needs a newer aiohttp than Rasa pins, so the
tests speak the few frames they need themselves, with any Origin header.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any, Dict, List, Optional, Tuple

import websockets


class SocketIOError(RuntimeError):
    pass


class MiniSocketIO:
    def __init__(self, ws: Any) -> None:
        self.ws = ws
        self.events: List[Tuple[str, Any]] = []

    @classmethod
    async def connect(cls, base_url: str, origin: str) -> MiniSocketIO:
        url = base_url.replace("http://", "ws://") + "/socket.io/?EIO=4&transport=websocket"
        try:
            ws = await websockets.connect(url, origin=origin, open_timeout=10, ping_interval=None,
                                          max_size=2**22)
        except (websockets.exceptions.InvalidStatusCode, OSError) as error:
            raise SocketIOError(str(error)) from error
        client = cls(ws)
        opening = await asyncio.wait_for(ws.recv(), 10)
        if not str(opening).startswith("0"):
            raise SocketIOError(f"unexpected open frame {opening!r}")
        await ws.send("40")
        while True:
            frame = str(await asyncio.wait_for(ws.recv(), 10))
            if frame.startswith("40"):
                return client
            if frame.startswith("44"):
                raise SocketIOError(f"connect refused: {frame}")

    async def emit(self, event: str, data: Any) -> None:
        await self.ws.send("42" + json.dumps([event, data]))

    async def collect(self, seconds: float, until: Optional[str] = None) -> List[Tuple[str, Any]]:
        """Events received within ``seconds`` (stops early 0.5 s after ``until``)."""
        got: List[Tuple[str, Any]] = []
        loop = asyncio.get_running_loop()
        deadline = loop.time() + seconds
        while loop.time() < deadline:
            try:
                frame = str(await asyncio.wait_for(self.ws.recv(), deadline - loop.time()))
            except asyncio.TimeoutError:
                break
            if frame == "2":
                await self.ws.send("3")
            elif frame.startswith("42"):
                name, *args = json.loads(frame[2:])
                got.append((name, args[0] if args else None))
                if until and name == until:
                    deadline = min(deadline, loop.time() + 0.7)
        return got

    async def closed_by_server(self, seconds: float) -> bool:
        """True when the server closes the websocket within ``seconds``."""
        try:
            await self.collect(seconds)
        except websockets.exceptions.ConnectionClosed:
            return True
        return False

    async def session(self, token: Optional[str] = None) -> Dict[str, str]:
        """Asks for a conversation (resumed when ``token`` is a valid one).

        The server answers {"session_id": ..., "token": ...}; the events that
        came before the confirmation stay in ``self.events``.
        """
        await self.emit("session_request", {"token": token} if token else {})
        for name, data in await self.collect(10, until="session_confirm"):
            if name == "session_confirm":
                return dict(data)
            self.events.append((name, data))
        raise SocketIOError("no session_confirm")

    async def close(self) -> None:
        await self.ws.close()


def replies(events: List[Tuple[str, Any]]) -> List[Dict[str, Any]]:
    return [data for name, data in events if name in ("bot_uttered", "chat_error")]
