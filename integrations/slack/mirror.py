"""Domain events into Slack work: threads opened, messages mirrored, headers refreshed, DMs.

The subscriber only writes outbox items (in one transaction per event), so it is quick,
and the work survives a crash; a redelivered event queues nothing twice. What agents
wrote in Slack (``Message.extra["source"] == "slack"``) is never posted back.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from sqlalchemy import select

from bot.contact_names import display_name, friendly_name
from bot.errors import ConfigError
from bot.events import DomainEvent
from bot.models import Agent, Contact, Conversation, Message
from bot.replies import MESSAGE_SENT
from bot.uow import Tx, UnitOfWork
from integrations.slack import summaries, thread_ops
from integrations.slack.message_text import shown_text
from integrations.slack.storage_backend import SOURCE
from integrations.slack.threads import pick_channel
from workflows.event_names import EventType

logger = logging.getLogger(__name__)

OFFER_NOTIFIED = "slack_offer_notified"
HEADER_EVENTS = frozenset(
    {
        EventType.CONVERSATION_CLOSED,
        EventType.CONVERSATION_REOPENED,
        EventType.TAG_ADDED,
        EventType.TAG_REMOVED,
        EventType.LEAD_CREATED,
        EventType.LEAD_STAGE_CHANGED,
    }
)


class ThreadMirror:
    """An :class:`bot.events.EventDispatcher` subscriber."""

    def __init__(
        self, uow: UnitOfWork, inbox_channel: str | None, routes: Mapping[str, str] | None = None
    ) -> None:
        self.uow = uow
        self.inbox_channel = inbox_channel
        self.routes = dict(routes or {})

    async def __call__(self, event: DomainEvent) -> None:
        if event.conversation_id is None:
            return
        try:
            async with self.uow() as tx:
                row = await tx.session.get(Conversation, event.conversation_id)
                if row is None:
                    return
                await self._handle(tx, event, row)
                await self._offer(tx, event, row)
        except ConfigError as exc:
            logger.warning(
                "slack mirror: %s", exc, extra={"conversation_id": event.conversation_id}
            )

    async def _channel(self, tx: Tx, row: Conversation) -> str:
        existing = thread_ops.thread_channel(row)
        if existing is not None:
            return existing
        return pick_channel(await summaries.summarize(tx, row), self.routes, self.inbox_channel)

    async def _handle(self, tx: Tx, event: DomainEvent, row: Conversation) -> None:
        key = f"slack:event:{event.id}"
        if event.type == EventType.CONVERSATION_CREATED:
            await thread_ops.enqueue(tx, "open", row.id, await self._channel(tx, row), key=key)
        elif event.type in (EventType.MESSAGE_RECEIVED, MESSAGE_SENT):
            await self._message(tx, event, row, key)
        elif event.type == EventType.CONVERSATION_ASSIGNED:
            await self._assigned(tx, event, row, key)
        elif event.type in HEADER_EVENTS:
            await thread_ops.enqueue(tx, "header", row.id, await self._channel(tx, row), key=key)

    async def _message(self, tx: Tx, event: DomainEvent, row: Conversation, key: str) -> None:
        message = await tx.session.get(Message, event.message_id) if event.message_id else None
        if message is None or (message.extra or {}).get("source") == SOURCE:
            return
        if message.direction == "in":
            contact = await tx.session.get(Contact, row.contact_id)
            sender = display_name(contact) if contact else friendly_name(row.contact_id)
        elif message.sender_kind == "agent":
            agent = await tx.session.get(Agent, message.agent_id) if message.agent_id else None
            sender = agent.name if agent else "Agent"
        elif message.sender_kind == "bot":
            sender = "Bot"
        else:
            return
        text = await shown_text(tx, message) or "(attachment)"
        channel = await self._channel(tx, row)
        await thread_ops.enqueue(tx, "post", row.id, channel, key=key, sender=sender, text=text)

    async def _assigned(self, tx: Tx, event: DomainEvent, row: Conversation, key: str) -> None:
        await thread_ops.enqueue(tx, "header", row.id, await self._channel(tx, row), key=key)
        agent_id = event.data.get("agent_id")
        agent = await tx.session.get(Agent, int(agent_id)) if agent_id is not None else None
        if agent is not None and agent.slack_user_id:
            await thread_ops.enqueue(
                tx,
                "assigned",
                row.id,
                agent.slack_user_id,
                key=f"{key}:dm",
                user=agent.slack_user_id,
            )

    async def _offer(self, tx: Tx, event: DomainEvent, row: Conversation) -> None:
        """A workflow offered the conversation (assign_to with a timeout): DM a Claim button once."""
        offered = (row.attributes or {}).get("offered_to")
        if offered is None or row.assignee_id is not None:
            return
        await tx.session.refresh(row, with_for_update=True)  # attributes are read-modify-write
        attributes = dict(row.attributes or {})
        if attributes.get(OFFER_NOTIFIED) == offered:
            return
        agent = await tx.session.scalar(select(Agent).where(Agent.id == int(offered)))
        if agent is None or not agent.slack_user_id:
            return
        attributes[OFFER_NOTIFIED] = offered
        row.attributes = attributes
        await thread_ops.enqueue(
            tx,
            "offer",
            row.id,
            agent.slack_user_id,
            key=f"slack:event:{event.id}:offer",
            user=agent.slack_user_id,
        )
