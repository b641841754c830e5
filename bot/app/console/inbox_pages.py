"""The inbox: conversations for teams without Slack."""

from __future__ import annotations

from bot.app.console.http import PageRoute

ADMIN_PAGES: tuple[PageRoute, ...] = ()
SIGNED_IN_PAGES: tuple[PageRoute, ...] = ()
