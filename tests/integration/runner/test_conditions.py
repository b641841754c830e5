"""Every condition operator, evaluated by the runner against a real conversation."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.pipeline.services import Services
from tests.integration.runner.flows import add_lead, start, tag

GATED = """
name: gated
trigger: {{event: {event}}}
conditions:
  all:
    - {condition}
steps:
  - {{type: set_variable, name: ran, value: "1"}}
"""


def gated(condition: dict[str, object], event: str = "message.received") -> str:
    return GATED.format(event=event, condition=json.dumps(condition))


CASES = [
    ({"field": "conversation.channel", "op": "eq", "value": "test"}, True),
    ({"field": "conversation.channel", "op": "eq", "value": "whatsapp"}, False),
    ({"field": "conversation.channel", "op": "ne", "value": "whatsapp"}, True),
    ({"field": "conversation.channel", "op": "ne", "value": "test"}, False),
    ({"field": "conversation.message_count", "op": "gt", "value": 0}, True),
    ({"field": "conversation.message_count", "op": "gt", "value": 1}, False),
    ({"field": "conversation.message_count", "op": "gte", "value": 1}, True),
    ({"field": "conversation.message_count", "op": "gte", "value": 2}, False),
    ({"field": "conversation.message_count", "op": "lt", "value": 2}, True),
    ({"field": "conversation.message_count", "op": "lt", "value": 1}, False),
    ({"field": "conversation.message_count", "op": "lte", "value": 1}, True),
    ({"field": "conversation.message_count", "op": "lte", "value": 0}, False),
    ({"field": "message.text", "op": "contains", "value": "world"}, True),
    ({"field": "message.text", "op": "contains", "value": "pizza"}, False),
    ({"field": "message.text", "op": "not_contains", "value": "pizza"}, True),
    ({"field": "message.text", "op": "not_contains", "value": "world"}, False),
    ({"field": "conversation.channel", "op": "in", "value": ["web", "test"]}, True),
    ({"field": "conversation.channel", "op": "in", "value": ["web", "whatsapp"]}, False),
    ({"field": "conversation.channel", "op": "not_in", "value": ["web", "whatsapp"]}, True),
    ({"field": "conversation.channel", "op": "not_in", "value": ["test"]}, False),
    ({"field": "message.text", "op": "starts_with", "value": "hello"}, True),
    ({"field": "message.text", "op": "starts_with", "value": "world"}, False),
    ({"field": "message.text", "op": "ends_with", "value": "world"}, True),
    ({"field": "message.text", "op": "ends_with", "value": "hello"}, False),
    ({"field": "message.text", "op": "matches", "value": "^h\\w+ w"}, True),
    ({"field": "message.text", "op": "matches", "value": "^\\d+$"}, False),
    ({"field": "contact.name", "op": "exists"}, True),
    ({"field": "contact.email", "op": "exists"}, False),
    ({"field": "lead.stage", "op": "exists", "value": False}, True),
]


@pytest.mark.parametrize(("condition", "holds"), CASES, ids=lambda c: str(c))
async def test_operator(
    services: Services, tmp_path: Path, condition: dict[str, object], holds: bool
) -> None:
    bot = await start(services, tmp_path, gated(condition))
    await bot.say("hello world")
    runs = await bot.runs()
    assert len(runs) == (1 if holds else 0)
    if not holds:
        (skip,) = [log for log in await bot.logs() if log.kind == "skip"]
        assert "conditions false" in skip.message
        (check,) = skip.data["checks"]
        assert check["field"] == condition["field"] and check["op"] == condition["op"]
        assert "actual" in check


async def test_channel_equals(services: Services, tmp_path: Path) -> None:
    """Seed: "source equals WhatsApp" (our recording channel is called test)."""
    bot = await start(
        services,
        tmp_path,
        gated(
            {"field": "conversation.source", "op": "eq", "value": "test"}, "conversation.created"
        ),
    )
    await bot.say("hi")
    assert len(await bot.runs()) == 1


async def test_tag_contains_vip(services: Services, tmp_path: Path) -> None:
    """Seed: "tag contains VIP"."""
    bot = await start(
        services, tmp_path, gated({"field": "conversation.tags", "op": "contains", "value": "VIP"})
    )
    await bot.say("hi")
    assert await bot.runs() == []
    await tag(bot, 1, "VIP")
    await bot.say("hi again")
    assert len(await bot.runs()) == 1


@pytest.mark.parametrize(
    ("amount", "holds"), [("7500.50", True), ("5000.00", False), (None, False)]
)
async def test_expected_amount_above_5000(
    services: Services, tmp_path: Path, amount: str | None, holds: bool
) -> None:
    """Seed: "expected billing amount > 5000", a Decimal column compared as a number."""
    bot = await start(
        services,
        tmp_path,
        gated({"field": "lead.expected_amount", "op": "gt", "value": 5000}, "lead.created"),
    )
    await add_lead(bot, amount=amount)
    assert len(await bot.runs()) == (1 if holds else 0)


async def test_at_least_three_messages(services: Services, tmp_path: Path) -> None:
    """Seed: "conversation has at least 3 messages"."""
    bot = await start(
        services, tmp_path, gated({"field": "conversation.message_count", "op": "gte", "value": 3})
    )
    await bot.say("one")
    await bot.say("two")
    assert await bot.runs() == []
    await bot.say("three")
    assert len(await bot.runs()) == 1


async def test_nested_any_inside_all(services: Services, tmp_path: Path) -> None:
    bot = await start(
        services,
        tmp_path,
        """
        name: nested
        trigger: {event: message.received}
        conditions:
          all:
            - {field: conversation.channel, op: eq, value: test}
            - any:
                - {field: message.text, op: contains, value: refund}
                - {field: message.text, op: contains, value: invoice}
        steps:
          - {type: set_variable, name: ran, value: "1"}
        """,
    )
    await bot.say("where is my order")
    await bot.say("need an invoice")
    assert len(await bot.runs()) == 1


async def test_conditions_false_logs_values_compared(services: Services, tmp_path: Path) -> None:
    bot = await start(
        services, tmp_path, gated({"field": "conversation.message_count", "op": "gte", "value": 3})
    )
    await bot.say("one")
    (skip,) = [log for log in await bot.logs() if log.kind == "skip"]
    assert skip.run_id is None
    assert (
        skip.message.startswith("not started on message.received")
        and "conditions false" in skip.message
    )
    (check,) = skip.data["checks"]
    assert check["field"] == "conversation.message_count"
    assert check["expected"] == 3 and check["actual"] == 1 and check["result"] is False


async def test_conditions_held_are_logged_on_the_run(services: Services, tmp_path: Path) -> None:
    bot = await start(
        services, tmp_path, gated({"field": "message.text", "op": "contains", "value": "hi"})
    )
    await bot.say("hi")
    (run,) = await bot.runs()
    (condition,) = [log for log in await bot.logs(run.id) if log.kind == "condition"]
    assert condition.data["checks"][0]["actual"] == "hi"
    assert condition.data["checks"][0]["result"] is True
