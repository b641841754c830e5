"""Which web pages may talk to the widget endpoints."""

from __future__ import annotations

from urllib.parse import urlsplit

from bot.core.config import Settings

DEMO_ORIGINS = ("http://127.0.0.1:8080", "http://localhost:8080")
"""Where ``make run`` serves the demo; allowed only in demo mode (``RELAYBOT_DEMO``)."""


def normalize_origin(value: str) -> str:
    """``scheme://host[:port]`` in lower case, without a trailing slash or path."""
    parts = urlsplit(value.strip())
    if not parts.scheme or not parts.netloc:
        return value.strip().rstrip("/").lower()
    return f"{parts.scheme}://{parts.netloc}".lower()


class OriginPolicy:
    """``RELAYBOT_WIDGET_ALLOWED_ORIGINS``; empty means the public URL only (and the local
    demo addresses in demo mode)."""

    def __init__(self, settings: Settings) -> None:
        configured = [normalize_origin(o) for o in settings.widget_allowed_origins]
        self.allow_all = "*" in configured
        if not configured:
            demo = DEMO_ORIGINS if settings.demo else ()
            configured = [normalize_origin(settings.public_url), *demo]
        self.allowed = frozenset(configured)

    def allows(self, origin: str | None) -> bool:
        """Requests without an ``Origin`` header are not from another web page: allowed."""
        if origin is None or self.allow_all:
            return True
        return normalize_origin(origin) in self.allowed
