"""Small helpers for Slack's mrkdwn and Block Kit limits."""

from __future__ import annotations

import json
from typing import Any

Block = dict[str, Any]

SECTION_LIMIT = 3000
FIELD_LIMIT = 2000
BUTTON_LIMIT = 75
MAX_BLOCKS = 50


def escape(text: str) -> str:
    """Escape the three characters Slack treats as markup (``&``, ``<``, ``>``)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def clip(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters, with an ellipsis when it was longer."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def code(value: object, limit: int = 80) -> str:
    """A value as inline code: JSON for data, the text itself for strings."""
    shown = value if isinstance(value, str) else json.dumps(value, default=str)
    return "`" + clip(escape(shown).replace("`", "'"), limit) + "`"


def mention(slack_user_id: str | None, fallback: str | None = None) -> str:
    if slack_user_id:
        return f"<@{slack_user_id}>"
    return escape(fallback) if fallback else "_nobody_"


def plain(text: str, limit: int = BUTTON_LIMIT) -> dict[str, Any]:
    return {"type": "plain_text", "text": clip(text, limit), "emoji": True}


def section(text: str, **extra: Any) -> Block:
    return {
        "type": "section",
        "text": {"type": "mrkdwn", "text": clip(text, SECTION_LIMIT)},
        **extra,
    }


def fields(*pairs: tuple[str, str]) -> Block:
    return {
        "type": "section",
        "fields": [
            {"type": "mrkdwn", "text": clip(f"*{label}*\n{value}", FIELD_LIMIT)}
            for label, value in pairs[:10]
        ],
    }


def context(*parts: str) -> Block:
    return {
        "type": "context",
        "elements": [{"type": "mrkdwn", "text": clip(" · ".join(parts), SECTION_LIMIT)}],
    }


def button(text: str, action_id: str, value: str, style: str | None = None) -> Block:
    element: Block = {"type": "button", "text": plain(text), "action_id": action_id, "value": value}
    if style:
        element["style"] = style
    return element


def url_button(text: str, action_id: str, url: str) -> Block:
    return {"type": "button", "text": plain(text), "action_id": action_id, "url": url}


def capped(blocks: list[Block]) -> list[Block]:
    """At most the 50 blocks Slack accepts in one message."""
    if len(blocks) <= MAX_BLOCKS:
        return blocks
    return [*blocks[: MAX_BLOCKS - 1], context(f"…and {len(blocks) - MAX_BLOCKS + 1} more blocks")]
