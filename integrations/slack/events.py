"""Thread replies from agents: relayed to the customer, or kept as an internal note."""

from __future__ import annotations

import logging
import re
from typing import Any

from slack_bolt.async_app import AsyncApp, AsyncBoltContext

from bot.core.errors import DeliveryError, NotFoundError, ValidationFailed
from integrations.slack import senders
from integrations.slack.console import SlackConsole

logger = logging.getLogger(__name__)

NOTE = re.compile(r"^\s*note:\s*", re.IGNORECASE)
HUMAN_SUBTYPES = frozenset({None, "thread_broadcast"})


def is_human_thread_reply(event: dict[str, Any], bot_user_id: str | None) -> bool:
    """A person's new message inside a thread: no bots (ours or others), no edits or joins."""
    if event.get("type") != "message" or event.get("subtype") not in HUMAN_SUBTYPES:
        return False
    if event.get("bot_id") or event.get("bot_profile") or not event.get("user"):
        return False
    if bot_user_id and event.get("user") == bot_user_id:
        return False
    thread_ts = event.get("thread_ts")
    return bool(thread_ts) and thread_ts != event.get("ts") and bool(event.get("text"))


def split_note(text: str) -> tuple[bool, str]:
    """``(True, rest)`` for ``note: rest`` (any case), else ``(False, text)``."""
    match = NOTE.match(text)
    return (True, text[match.end() :]) if match else (False, text)


async def handle_message(
    console: SlackConsole, event: dict[str, Any], bot_user_id: str | None
) -> None:
    if not is_human_thread_reply(event, bot_user_id):
        return
    channel, thread_ts = str(event["channel"]), str(event["thread_ts"])
    conversation_id = await console.registry.find(channel, thread_ts)
    if conversation_id is None:
        return
    user, (is_note, text) = str(event["user"]), split_note(str(event["text"]))
    if await console.agents.resolve(user) is None:
        await _tell(
            console,
            channel,
            user,
            thread_ts,
            "Not sent to the customer: you are not a relaybot agent.",
        )
        return
    try:
        if is_note:
            await console.backend.internal_note(conversation_id, user, text)
        else:
            await console.backend.agent_reply(conversation_id, user, text)
    except (NotFoundError, ValidationFailed) as exc:
        await _tell(console, channel, user, thread_ts, f":warning: Not sent: {exc}")


async def _tell(console: SlackConsole, channel: str, user: str, thread_ts: str, text: str) -> None:
    try:
        await senders.post_ephemeral(console.client, channel, user, text, thread_ts=thread_ts)
    except DeliveryError:
        logger.exception("could not tell %s in %s", user, channel)


def register(app: AsyncApp, console: SlackConsole) -> None:
    async def on_message(event: dict[str, Any], context: AsyncBoltContext) -> None:
        await handle_message(console, event, context.bot_user_id)

    async def on_mention(event: dict[str, Any]) -> None:
        user, channel = event.get("user"), event.get("channel")
        if user and channel:
            thread_ts = event.get("thread_ts") or event.get("ts")
            await _tell(console, str(channel), str(user), str(thread_ts), "Try `/relay help`.")

    app.event("message")(on_message)
    app.event("app_mention")(on_mention)
