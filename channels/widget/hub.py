"""The open browser sockets of this process, by visitor."""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from typing import Any

from aiohttp import web

logger = logging.getLogger(__name__)


class Peer:
    """One browser socket. Frames pushed before its welcome is sent wait in ``pending``."""

    def __init__(self, ws: web.WebSocketResponse) -> None:
        self.ws = ws
        self.ready = False
        self.pending: list[dict[str, Any]] = []

    async def send(self, frame: dict[str, Any]) -> None:
        if not self.ready:
            self.pending.append(frame)
            return
        await self.ws.send_json(frame)

    async def start(self, welcome: dict[str, Any]) -> None:
        """Send the welcome, then whatever was pushed while it was being built."""
        await self.ws.send_json(welcome)
        self.ready = True
        pending, self.pending = self.pending, []
        for frame in pending:
            await self.ws.send_json(frame)


class ConnectionHub:
    """Tracks each visitor's sockets (several tabs) and pushes frames to all of them."""

    def __init__(self, max_per_visitor: int = 20) -> None:
        self._peers: dict[str, set[Peer]] = defaultdict(set)
        self.max_per_visitor = max_per_visitor

    def add(self, visitor_id: str, peer: Peer) -> bool:
        """Register a socket; False when the visitor already has too many."""
        peers = self._peers[visitor_id]
        if len(peers) >= self.max_per_visitor:
            return False
        peers.add(peer)
        return True

    def remove(self, visitor_id: str, peer: Peer) -> None:
        peers = self._peers.get(visitor_id)
        if peers is None:
            return
        peers.discard(peer)
        if not peers:
            del self._peers[visitor_id]

    def count(self, visitor_id: str | None = None) -> int:
        if visitor_id is None:
            return sum(len(p) for p in self._peers.values())
        return len(self._peers.get(visitor_id, ()))

    async def push(
        self, visitor_id: str, frame: dict[str, Any], exclude: Peer | None = None
    ) -> int:
        """Send ``frame`` to every open socket of the visitor; how many got it."""
        delivered = 0
        for peer in list(self._peers.get(visitor_id, ())):
            if peer is exclude:
                continue
            if peer.ws.closed:
                self.remove(visitor_id, peer)
                continue
            try:
                await peer.send(frame)
            except (ConnectionError, RuntimeError):
                logger.info("widget socket gone while pushing", extra={"visitor_id": visitor_id})
                self.remove(visitor_id, peer)
            else:
                delivered += 1
        return delivered

    async def close_all(self, code: int = 1001, message: bytes = b"server shutting down") -> None:
        """Close every socket (clients reconnect with backoff)."""
        peers = [peer for group in self._peers.values() for peer in group]
        self._peers.clear()
        await asyncio.gather(*(p.ws.close(code=code, message=message) for p in peers))
