"""Everything the widget endpoints share, built once per channel."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from aiohttp import web

from bot.core.clock import Clock
from channels.widget.errors import OriginRefused
from channels.widget.hub import ConnectionHub
from channels.widget.limits import RateLimiter
from channels.widget.origins import OriginPolicy, normalize_origin
from channels.widget.protocol import Hello
from channels.widget.service import FrameHandler, History, public_message
from channels.widget.session import SessionIssuer, VisitorSession

logger = logging.getLogger(__name__)

TYPING_FOR = timedelta(seconds=8)


def own_origin(request: web.Request) -> str:
    """This server's origin as the browser addressed it (``Host``; a proxy in front may differ)."""
    return normalize_origin(f"{request.scheme}://{request.host}")


@dataclass
class WidgetCore:
    clock: Clock
    origins: OriginPolicy
    sessions: SessionIssuer
    frames: FrameHandler
    hub: ConnectionHub
    history: History
    session_rate: RateLimiter
    trust_proxy: bool = False
    history_limit: int = 200
    typing_until: dict[str, datetime] = field(default_factory=dict)
    _warned_untrusted_proxy: bool = field(default=False, init=False)

    def allows(self, request: web.Request) -> bool:
        """The configured origins, plus pages this server serves itself (the demo at ``/``)."""
        origin = request.headers.get("Origin")
        if self.origins.allows(origin):
            return True
        return origin is not None and normalize_origin(origin) == own_origin(request)

    def check_origin(self, request: web.Request) -> str | None:
        origin = request.headers.get("Origin")
        if not self.allows(request):
            raise OriginRefused(f"The origin {origin} may not use this chat widget.")
        return origin

    def client_ip(self, request: web.Request) -> str:
        """The address new sessions are rate-limited by.

        With ``RELAYBOT_TRUST_PROXY`` on, the last ``X-Forwarded-For`` entry: the one the
        trusted proxy added (earlier entries come from the client and prove nothing).
        Otherwise the connection's peer.
        """
        forwarded = request.headers.get("X-Forwarded-For")
        if self.trust_proxy and forwarded and forwarded.split(",")[-1].strip():
            return forwarded.split(",")[-1].strip()
        if forwarded and not self._warned_untrusted_proxy:
            self._warned_untrusted_proxy = True
            logger.warning(
                "widget requests carry X-Forwarded-For but RELAYBOT_TRUST_PROXY is off: new"
                " sessions are rate-limited by the proxy's address %s, so all visitors behind"
                " it share one limit; set RELAYBOT_TRUST_PROXY=true behind a trusted proxy",
                request.remote,
            )
        return request.remote or "unknown"

    def open_session(self, request: web.Request, hello: Hello) -> tuple[VisitorSession, str]:
        """Open a session; only brand-new visitors spend the per-IP session budget."""
        if hello.token is None and hello.user is None:
            self.session_rate.take(self.client_ip(request))
        return self.sessions.open(hello)

    async def messages(self, session: VisitorSession) -> list[dict[str, Any]]:
        """The visitor's stored conversation, newest ``history_limit`` messages."""
        stored = await self.history(session.visitor_id)
        return [public_message(m, session.visitor_id) for m in stored[-self.history_limit :]]

    async def welcome(self, session: VisitorSession, token: str) -> dict[str, Any]:
        return {
            "type": "welcome",
            "visitor_id": session.visitor_id,
            "token": token,
            "identified": session.user_id is not None,
            "history": await self.messages(session),
        }

    def is_typing(self, visitor_id: str) -> bool:
        until = self.typing_until.get(visitor_id)
        return until is not None and until > self.clock.now()
