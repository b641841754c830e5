"""Slack threads in storage: the conversation <-> thread mapping kept in
``Conversation.attributes["slack_thread"]``, the thread work already queued, and the
offers already sent to an agent as a DM."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import select

from bot.core.errors import NotFoundError
from bot.storage.models import Agent, Conversation, OutboxItem
from bot.storage.uow import Tx

THREAD_KEY = "slack_thread"
"""``Conversation.attributes`` key: the conversation's thread (``channel`` and ``ts``)."""
OFFER_NOTIFIED = "slack_offer_notified"
"""``Conversation.attributes`` key: the agent whose offer was already sent as a DM."""


def thread_channel(attributes: dict[str, Any]) -> str | None:
    """The Slack channel of the thread kept in a conversation's ``attributes``, when any."""
    stored = attributes.get(THREAD_KEY)
    return str(stored["channel"]) if isinstance(stored, dict) and stored.get("channel") else None


async def stored_thread(tx: Tx, conversation_id: int) -> Any:
    """What the conversation keeps under :data:`THREAD_KEY` (None when nothing, or no
    such conversation)."""
    attributes = await tx.session.scalar(
        select(Conversation.attributes).where(Conversation.id == conversation_id)
    )
    return (attributes or {}).get(THREAD_KEY)


async def conversation_of_thread(tx: Tx, channel: str, thread_ts: str) -> int | None:
    """The conversation whose thread is ``thread_ts`` in ``channel``."""
    thread = Conversation.attributes[THREAD_KEY]
    return await tx.session.scalar(
        select(Conversation.id)
        .where(thread["ts"].as_string() == thread_ts, thread["channel"].as_string() == channel)
        .limit(1)
    )


async def save_thread(tx: Tx, conversation_id: int, channel: str, thread_ts: str) -> None:
    """Keep the conversation's thread (the row locked for the read-modify-write)."""
    row = await tx.session.scalar(
        select(Conversation).where(Conversation.id == conversation_id).with_for_update()
    )
    if row is None:
        raise NotFoundError(f"conversation {conversation_id} not found")
    row.attributes = {**(row.attributes or {}), THREAD_KEY: {"channel": channel, "ts": thread_ts}}


async def read_ahead_keys(tx: Tx, keys: Iterable[str]) -> None:
    """Read in one query which of ``keys`` outbox items have, for :func:`queued_before`."""
    wanted = [key for key in dict.fromkeys(keys) if key not in tx.read_ahead.outbox_keys]
    if not wanted:
        return
    found = set(
        await tx.session.scalars(
            select(OutboxItem.idempotency_key).where(OutboxItem.idempotency_key.in_(wanted))
        )
    )
    tx.read_ahead.outbox_keys.update({key: key in found for key in wanted})


async def queued_before(tx: Tx, key: str) -> bool:
    """Whether an outbox item with idempotency key ``key`` exists (answered from what
    :func:`read_ahead_keys` read, when it read the key)."""
    known = tx.read_ahead.outbox_keys.get(key)
    if known is not None:
        return known
    seen = await tx.session.scalar(
        select(OutboxItem.id).where(OutboxItem.idempotency_key == key).limit(1)
    )
    return seen is not None


async def claim_offer_notice(tx: Tx, conversation_id: int, offered: Any) -> str | None:
    """Mark the offer of the conversation to agent ``offered`` as sent, under a row lock;
    the agent's Slack id, or None when it was marked before or the agent has no Slack id.

    The conversation is looked up by id (free when the transaction has read it) and read
    again locked: its attributes are read-modify-write."""
    row = await tx.session.get(Conversation, conversation_id)
    if row is None:
        raise NotFoundError(f"conversation {conversation_id} not found")
    await tx.session.refresh(row, with_for_update=True)
    attributes = dict(row.attributes or {})
    if attributes.get(OFFER_NOTIFIED) == offered:
        return None
    agent = await tx.session.scalar(select(Agent).where(Agent.id == int(offered)))
    if agent is None or not agent.slack_user_id:
        return None
    attributes[OFFER_NOTIFIED] = offered
    row.attributes = attributes
    return agent.slack_user_id
