"""Domain events into Slack work: threads opened, messages mirrored, headers refreshed, DMs.

The subscriber only writes outbox items, so it is quick, and the work survives a crash;
a redelivered event queues nothing twice. The events of different conversations that
arrive while a transaction is under way share the next one (group commit), so a burst of
new conversations costs a few transactions, not several per conversation. What agents
wrote in Slack (``Message.extra["source"] == "slack"``) is never posted back.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from bot.core.errors import ConfigError
from bot.core.group_commit import GroupCommit
from bot.domain.console_store import SOURCE
from bot.domain.replies import MESSAGE_SENT
from bot.domain.thread_work import ThreadWork, ThreadWorkStore
from bot.pipeline.events import DomainEvent
from integrations.slack.threads import route, routes_by_team
from workflows.event_names import EventType

logger = logging.getLogger(__name__)

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


def event_key(event: DomainEvent) -> str:
    """The idempotency key of what ``event`` queues for its thread (a redelivered event
    queues nothing twice)."""
    return f"slack:event:{event.id}"


class ThreadMirror:
    """An :class:`bot.pipeline.events.EventDispatcher` subscriber."""

    def __init__(
        self,
        store: ThreadWorkStore,
        inbox_channel: str | None,
        routes: Mapping[str, str] | None = None,
    ) -> None:
        self.store = store
        self.inbox_channel = inbox_channel
        self.routes = dict(routes or {})
        self._by_team = routes_by_team(self.routes)
        self._group: GroupCommit[DomainEvent, None] = GroupCommit(self.mirror_together)

    async def __call__(self, event: DomainEvent) -> None:
        if event.conversation_id is None:
            return
        try:
            await self._group.submit(event)
        except Exception:
            logger.warning("mirroring event %s with others failed; mirroring it alone", event.id)
            await self.mirror_together([event])

    async def mirror_together(self, events: list[DomainEvent]) -> list[None]:
        """Queue the thread work of ``events`` (at most one per conversation: each
        conversation's events come one at a time) in one transaction."""
        ids = [event.conversation_id for event in events if event.conversation_id is not None]
        messages = [event.message_id for event in events if event.message_id is not None]
        keys = [event_key(event) for event in events]
        async with self.store.open_many(ids, message_ids=messages, keys=keys) as works:
            for event in events:
                work = works.get(event.conversation_id) if event.conversation_id else None
                if work is None:
                    continue
                try:
                    await self._handle(work, event)
                    await self._offer(work, event)
                except ConfigError as exc:  # raised before anything of the event is queued
                    logger.warning(
                        "slack mirror: %s", exc, extra={"conversation_id": event.conversation_id}
                    )
        return [None] * len(events)

    async def _channel(self, work: ThreadWork) -> str:
        """The thread's channel; until it is opened, the one its routes pick (the
        conversation is summarized only when a route names a team and it has one)."""
        existing = work.thread_channel
        if existing is not None:
            return existing
        team = (await work.summary()).team if self._by_team and work.has_team else None
        return route(work.channel, team, self.routes, self.inbox_channel)

    async def _handle(self, work: ThreadWork, event: DomainEvent) -> None:
        key = event_key(event)
        if event.type == EventType.CONVERSATION_CREATED:
            channel = await self._channel(work)
            await work.enqueue("open", channel, key=key, channel=channel)
        elif event.type in (EventType.MESSAGE_RECEIVED, MESSAGE_SENT):
            await self._message(work, event, key)
        elif event.type == EventType.CONVERSATION_ASSIGNED:
            await self._assigned(work, event, key)
        elif event.type in HEADER_EVENTS:
            await work.enqueue("header", await self._channel(work), key=key)

    async def _message(self, work: ThreadWork, event: DomainEvent, key: str) -> None:
        message = await work.message(event.message_id) if event.message_id else None
        if message is None or message.source == SOURCE:
            return
        if message.direction == "in":
            sender = message.author or ""
        elif message.sender_kind == "agent":
            sender = message.author or "Agent"
        elif message.sender_kind == "bot":
            sender = "Bot"
        else:
            return
        text = message.text or "(attachment)"
        await work.enqueue("post", await self._channel(work), key=key, sender=sender, text=text)

    async def _assigned(self, work: ThreadWork, event: DomainEvent, key: str) -> None:
        await work.enqueue("header", await self._channel(work), key=key)
        agent_id = event.data.get("agent_id")
        slack_user_id = await work.agent_slack_id(int(agent_id)) if agent_id is not None else None
        if slack_user_id:
            await work.enqueue("assigned", slack_user_id, key=f"{key}:dm", user=slack_user_id)

    async def _offer(self, work: ThreadWork, event: DomainEvent) -> None:
        """A workflow offered the conversation (assign_to with a timeout): DM a Claim button once."""
        slack_user_id = await work.offer_to_notify()
        if slack_user_id is not None:
            await work.enqueue(
                "offer", slack_user_id, key=f"slack:event:{event.id}:offer", user=slack_user_id
            )
