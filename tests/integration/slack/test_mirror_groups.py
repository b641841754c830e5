"""The thread mirror queues the work of many conversations' events in one transaction.

A burst of new conversations must cost the mirror a few transactions, not several per
conversation; each conversation's thread still gets its header and its lines, once and
in order, and an event whose conversation is gone is passed over without failing the
others in its group.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.core.clock import FakeClock
from bot.core.messages import InboundMessage, SenderProfile
from bot.domain.thread_work import ThreadWorkStore
from bot.pipeline.events import DomainEvent
from bot.pipeline.settle import settle
from bot.storage.models import Message, OutboxItem
from integrations.slack.mirror import ThreadMirror
from tests.engine_events import statements
from tests.integration.slack.test_delivery_lanes import PACE, Lanes, open_lanes
from workflows.event_names import EventType

CHATS = 12


@pytest.fixture
async def lanes(sqlite_url: str, clock: FakeClock) -> AsyncIterator[Lanes]:
    async with open_lanes(sqlite_url, clock) as opened:
        yield opened


async def thread_items(lanes: Lanes) -> list[tuple[int | None, str]]:
    """Every queued thread operation as (conversation id, op), in queue order."""
    async with lanes.services.db.read() as session:
        rows = await session.execute(
            select(OutboxItem.conversation_id, OutboxItem.payload)
            .where(OutboxItem.kind == "slack.thread")
            .order_by(OutboxItem.id)
        )
        return [(conversation_id, str(payload["op"])) for conversation_id, payload in rows]


async def test_a_burst_of_new_conversations_gets_one_thread_each_with_its_lines(
    lanes: Lanes,
) -> None:
    async def write(chat: int) -> None:
        await lanes.services.inbox.receive(
            InboundMessage(
                channel="telegram",
                external_conversation_id=str(2000 + chat),
                external_message_id=f"burst-{chat}",
                sender=SenderProfile(external_id=str(2000 + chat), name=f"Customer {chat}"),
                text=f"question {chat}",
            )
        )

    await asyncio.gather(*(write(chat) for chat in range(CHATS)))
    await settle(lanes.services)
    for _ in range(2 * CHATS + 2):  # one Slack post a second in the one inbox channel
        lanes.clock.advance(timedelta(seconds=PACE))
        await settle(lanes.services)

    items = await thread_items(lanes)
    conversations = {conversation_id for conversation_id, _ in items}
    assert len(conversations) == CHATS
    for conversation_id in conversations:
        ops = [op for cid, op in items if cid == conversation_id]
        assert ops == ["open", "post"]  # once each, the thread before its line
    headers = [m for m in lanes.slack.messages if m.get("thread_ts") is None]
    lines = [m for m in lanes.slack.messages if m.get("thread_ts")]
    assert len(headers) == CHATS
    assert sorted(json.dumps(m["blocks"]).count("question") for m in lines) == [1] * CHATS


async def test_events_of_several_conversations_go_in_one_group(lanes: Lanes) -> None:
    first = await lanes.customer_reply("3001", "hello")
    second = await lanes.customer_reply("3002", "hello")
    await settle(lanes.services)
    before = await thread_items(lanes)
    mirror = ThreadMirror(ThreadWorkStore(lanes.services.uow), "CINBOX")
    now = lanes.clock.now()
    events = [
        DomainEvent(9001, EventType.CONVERSATION_CLOSED, now, conversation_id=first),
        DomainEvent(9002, EventType.CONVERSATION_CLOSED, now, conversation_id=424242),  # gone
        DomainEvent(9003, EventType.CONVERSATION_CLOSED, now, conversation_id=second),
    ]

    assert await mirror.mirror_together(events) == [None, None, None]

    added = (await thread_items(lanes))[len(before) :]
    assert added == [(first, "header"), (second, "header")]
    await mirror.mirror_together(events)  # delivered again: nothing is queued twice
    assert (await thread_items(lanes))[len(before) :] == added


async def test_a_group_reads_ahead_instead_of_a_query_per_event(lanes: Lanes) -> None:
    """What a group's events need (conversations, contacts, messages, which keys were
    queued) is read with one query per table, however many events the group holds."""
    conversations = [await lanes.customer_reply(str(3100 + n), f"hello {n}") for n in range(8)]
    await settle(lanes.services)
    async with lanes.services.db.read() as session:
        rows = await session.execute(
            select(Message.id, Message.conversation_id).where(
                Message.conversation_id.in_(conversations), Message.direction == "in"
            )
        )
        message_of = {conversation_id: message_id for message_id, conversation_id in rows}
    now = lanes.clock.now()
    events = [
        DomainEvent(
            9100 + n,
            EventType.MESSAGE_RECEIVED,
            now,
            conversation_id=conversation_id,
            message_id=message_of[conversation_id],
        )
        for n, conversation_id in enumerate(conversations)
    ]
    before = await thread_items(lanes)
    with statements(lanes.services, reads=False) as executed:
        await ThreadMirror(ThreadWorkStore(lanes.services.uow), "CINBOX").mirror_together(events)

    added = (await thread_items(lanes))[len(before) :]
    assert added == [(conversation_id, "post") for conversation_id in conversations]
    assert len(executed) <= 8, executed
