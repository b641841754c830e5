"""Every trigger event and trigger filter, driven through the runner."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.domain import conversations
from bot.pipeline.services import Services
from tests.integration.runner.flows import add_agent, add_lead, change_stage, messages, start, tag

REPLY = """
name: {name}
trigger: {trigger}
steps:
  - {{type: send_message, text: "{name} ran"}}
"""

SET = """
name: {name}
trigger: {trigger}
steps:
  - {{type: set_variable, name: ran, value: yes}}
"""


def reply(name: str, trigger: str) -> str:
    return REPLY.format(name=name, trigger=trigger)


async def test_conversation_created_starts_once_per_conversation(
    services: Services, tmp_path: Path
) -> None:
    bot = await start(services, tmp_path, reply("hello", "{event: conversation.created}"))
    await bot.say("hi")
    await bot.say("again")
    assert bot.take() == ["hello ran"]
    (run,) = await bot.runs()
    assert run.status == "completed"


async def test_conversation_assigned(services: Services, tmp_path: Path) -> None:
    bot = await start(services, tmp_path, reply("assigned", "{event: conversation.assigned}"))
    await bot.say("hi")
    assert bot.take() == []
    agent = await add_agent(bot, "Sam")
    async with services.uow() as tx:
        await conversations.assign(tx, 1, agent, by="slack")
    await bot.settle()
    assert bot.take() == ["assigned ran"]


async def test_conversation_closed(services: Services, tmp_path: Path) -> None:
    bot = await start(services, tmp_path, reply("closed", "{event: conversation.closed}"))
    await bot.say("hi")
    async with services.uow() as tx:
        await conversations.close(tx, 1, by="agent")
    await bot.settle()
    (run,) = await bot.runs()
    assert run.status == "completed" and run.conversation_id == 1


@pytest.mark.parametrize(
    ("trigger", "text", "starts"),
    [
        ("{event: message.received}", "anything", True),
        ("{event: message.received, text_contains: refund}", "I want a REFUND now", True),
        ("{event: message.received, text_contains: refund}", "where is my order", False),
        ("{event: message.received, text_matches: '#\\d{4}'}", "order #1234 is late", True),
        ("{event: message.received, text_matches: '#\\d{4}'}", "order 12 is late", False),
        ("{event: message.received, channel: test}", "hi", True),
        ("{event: message.received, channel: [whatsapp, test]}", "hi", True),
        ("{event: message.received, channel: whatsapp}", "hi", False),
    ],
)
async def test_message_received_filters(
    services: Services, tmp_path: Path, trigger: str, text: str, starts: bool
) -> None:
    bot = await start(services, tmp_path, reply("msg", trigger))
    await bot.say(text)
    assert bot.take() == (["msg ran"] if starts else [])
    if not starts:
        skips = messages(await bot.logs(), "skip")
        assert len(skips) == 1 and "not started on message.received" in skips[0]


async def test_message_received_starts_per_message(services: Services, tmp_path: Path) -> None:
    bot = await start(services, tmp_path, reply("msg", "{event: message.received}"))
    await bot.say("one")
    await bot.say("two")
    assert bot.take() == ["msg ran", "msg ran"]


async def test_tag_added_with_tag_filter(services: Services, tmp_path: Path) -> None:
    bot = await start(
        services,
        tmp_path,
        reply("vip", "{event: tag.added, tag: VIP}"),
        reply("anytag", "{event: tag.added}"),
    )
    await bot.say("hi")
    await tag(bot, 1, "billing")
    assert bot.take() == ["anytag ran"]
    await tag(bot, 1, "VIP")
    assert sorted(bot.take()) == ["anytag ran", "vip ran"]
    skips = messages(await bot.logs(), "skip")
    assert any("tag is 'billing', not 'VIP'" in s for s in skips)


async def test_lead_created_without_conversation(services: Services, tmp_path: Path) -> None:
    bot = await start(services, tmp_path, SET.format(name="lead", trigger="{event: lead.created}"))
    await add_lead(bot)
    (run,) = await bot.runs()
    assert run.status == "completed" and run.conversation_id is None
    assert run.state["engine"]["variables"] == {"ran": "yes"}


async def test_lead_created_with_to_stage(services: Services, tmp_path: Path) -> None:
    bot = await start(
        services,
        tmp_path,
        SET.format(name="lead", trigger="{event: lead.created, to_stage: qualified}"),
    )
    await add_lead(bot)
    assert await bot.runs() == []
    await add_lead(bot, stage="qualified")
    assert len(await bot.runs()) == 1


async def test_lead_stage_changed_from_and_to(services: Services, tmp_path: Path) -> None:
    bot = await start(
        services,
        tmp_path,
        SET.format(name="to-qualified", trigger="{event: lead.stage_changed, to_stage: qualified}"),
        SET.format(
            name="won-from-proposal",
            trigger="{event: lead.stage_changed, from_stage: proposal, to_stage: won}",
        ),
    )
    lead = await add_lead(bot)
    await change_stage(bot, lead, "contacted")
    assert await bot.runs() == []
    await change_stage(bot, lead, "qualified")
    assert len(await bot.runs()) == 1
    await change_stage(bot, lead, "won")  # from qualified, not proposal
    assert len(await bot.runs()) == 1
    await change_stage(bot, lead, "proposal")
    await change_stage(bot, lead, "won")
    runs = await bot.runs()
    assert len(runs) == 2 and all(r.status == "completed" for r in runs)
    skips = messages(await bot.logs(), "skip")
    assert any("from_stage is 'qualified', not 'proposal'" in s for s in skips)


@pytest.mark.parametrize(
    "event", ["visitor.rage_click", "visitor.idle", "visitor.form_frustration"]
)
async def test_visitor_events(services: Services, tmp_path: Path, event: str) -> None:
    bot = await start(
        services,
        tmp_path,
        """
        name: proactive
        trigger: {event: EVENT}
        conditions: {all: [{field: event.element, op: eq, value: checkout}]}
        steps:
          - {type: send_message, text: "Need a hand with {{ event.element }}?"}
        """.replace("EVENT", event),
    )
    await services.inbox.visitor_event("test", "web1", event, {"element": "checkout"})
    await bot.settle()
    await services.inbox.visitor_event("test", "web1", event, {"element": "footer"})
    await bot.settle()
    assert bot.take() == ["Need a hand with checkout?"]
    assert bot.replies("web1") == ["Need a hand with checkout?"]
