"""assign_to, close_conversation, tags, lead stages, variables and branch through the runner."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from bot.domain import conversations
from bot.pipeline.services import Services
from bot.storage.models import Conversation, Lead
from tests.harness import Harness
from tests.integration.runner.flows import add_agent, add_lead, exits, start

ASSIGN = """
name: route
trigger: {event: conversation.created}
steps:
  - id: assign
    type: assign_to
    FIELDS
    exits: {unavailable: nobody, timeout: too_slow}
  - {type: send_message, text: "{{ vars.assigned_agent }} has it", next: end}
  - {id: nobody, type: send_message, text: "nobody", next: end}
  - {id: too_slow, type: send_message, text: "too slow"}
"""


def assign_flow(*fields: str) -> str:
    return ASSIGN.replace("FIELDS", "\n    ".join(fields))


async def assignee(bot: Harness, chat_id: int = 1) -> tuple[int | None, int | None]:
    async with bot.services.db.session() as session:
        row = await session.get(Conversation, chat_id)
        assert row is not None
        return row.assignee_id, row.team_id


async def test_assign_to_named_agent(services: Services, tmp_path: Path) -> None:
    bot = await start(services, tmp_path, assign_flow("agent: Sam"))
    sam = await add_agent(bot, "Sam")
    await bot.say("hi")
    assert bot.take() == ["Sam has it"]
    assert await assignee(bot) == (sam, None)
    (run,) = await bot.runs()
    assert ("assign", "assigned") in exits(await bot.logs(run.id))


async def test_assign_to_named_agent_who_is_away(services: Services, tmp_path: Path) -> None:
    bot = await start(services, tmp_path, assign_flow("agent: Sam"))
    await add_agent(bot, "Sam", available=False)
    await bot.say("hi")
    assert bot.take() == ["nobody"]
    (run,) = await bot.runs()
    logs = await bot.logs(run.id)
    assert ("assign", "unavailable") in exits(logs)
    assert "Sam is away" in [log.message for log in logs if log.kind == "error"]


async def test_round_robin_takes_turns(services: Services, tmp_path: Path) -> None:
    bot = await start(services, tmp_path, assign_flow("strategy: round_robin"))
    await add_agent(bot, "Sam")
    await add_agent(bot, "Kim")
    for chat in ("c1", "c2", "c3"):
        await bot.say("hi", chat=chat)
        bot.clock.advance(timedelta(seconds=1))
    assert bot.take() == ["Sam has it", "Kim has it", "Sam has it"]


async def test_least_busy(services: Services, tmp_path: Path) -> None:
    bot = await start(services, tmp_path, assign_flow("strategy: least_busy"))
    await add_agent(bot, "Sam")
    await add_agent(bot, "Kim")
    await bot.say("hi", chat="c1")
    bot.clock.advance(timedelta(seconds=1))
    await bot.say("hi", chat="c2")
    assert bot.take() == ["Sam has it", "Kim has it"]
    async with services.uow() as tx:  # Kim's chat ends: Kim has 0 open, Sam 1
        await conversations.close(tx, 2, by="agent")
    await bot.settle()
    bot.clock.advance(timedelta(seconds=1))
    await bot.say("hi", chat="c3")  # round robin would pick Sam (assigned longest ago)
    assert bot.take() == ["Kim has it"]


async def test_team_and_capacity(services: Services, tmp_path: Path) -> None:
    bot = await start(services, tmp_path, assign_flow("team: billing", "strategy: least_busy"))
    await add_agent(bot, "Outsider")
    kim = await add_agent(bot, "Kim", team="billing", capacity=1)
    await bot.say("hi", chat="c1")
    assert bot.take() == ["Kim has it"]
    assigned, team = await assignee(bot)
    assert assigned == kim and team is not None
    await bot.say("hi", chat="c2")  # Kim is full; the outsider is not in the team
    assert bot.take() == ["nobody"]


async def test_unknown_team_is_unavailable(services: Services, tmp_path: Path) -> None:
    bot = await start(services, tmp_path, assign_flow("team: ghosts"))
    await bot.say("hi")
    assert bot.take() == ["nobody"]


async def test_offer_accepted(services: Services, tmp_path: Path) -> None:
    bot = await start(services, tmp_path, assign_flow("strategy: round_robin", "timeout: 5m"))
    sam = await add_agent(bot, "Sam")
    await bot.say("hi")
    assert bot.take() == []
    (run,) = await bot.runs()
    assert run.status == "waiting" and run.waiting_for == "assignment"
    async with services.uow() as tx:
        await conversations.assign(tx, 1, sam, by="slack")
    await bot.settle()
    assert bot.take() == ["Sam has it"]  # the name, as when assigned directly
    (run,) = await bot.runs()
    assert run.status == "completed"
    assert ("assign", "assigned") in exits(await bot.logs(run.id))
    bot.clock.advance(timedelta(minutes=10))
    await bot.settle()
    assert bot.take() == []


async def test_offer_times_out(services: Services, tmp_path: Path) -> None:
    bot = await start(services, tmp_path, assign_flow("strategy: round_robin", "timeout: 5m"))
    await add_agent(bot, "Sam")
    await bot.say("hi")
    bot.clock.advance(timedelta(minutes=4))
    await bot.settle()
    assert bot.take() == []
    bot.clock.advance(timedelta(minutes=2))
    await bot.settle()
    assert bot.take() == ["too slow"]
    (run,) = await bot.runs()
    assert ("assign", "timeout") in exits(await bot.logs(run.id))


async def test_close_conversation(services: Services, tmp_path: Path) -> None:
    bot = await start(
        services,
        tmp_path,
        """
        name: bye
        trigger: {event: message.received, text_contains: bye}
        steps:
          - {type: close_conversation}
        """,
    )
    await bot.say("bye")
    async with services.db.session() as session:
        row = await session.get(Conversation, 1)
    assert row is not None and row.status == "closed"
    (run,) = await bot.runs()
    assert run.status == "completed"


async def test_add_and_remove_tag(services: Services, tmp_path: Path) -> None:
    bot = await start(
        services,
        tmp_path,
        """
        name: tagger
        trigger: {event: conversation.created}
        steps:
          - {type: add_tag, tag: VIP}
          - {type: add_tag, tag: new}
          - {type: remove_tag, tag: new}
          - {type: send_message, text: "{{ conversation.tags }}"}
        """,
    )
    await bot.say("hi")
    async with services.uow() as tx:
        assert await conversations.tags_of(tx, 1) == ["VIP"]
    (run,) = await bot.runs()
    assert run.status == "completed"


async def test_tags_on_a_lead_without_conversation(services: Services, tmp_path: Path) -> None:
    bot = await start(
        services,
        tmp_path,
        """
        name: lead-tags
        trigger: {event: lead.created}
        steps:
          - {type: add_tag, tag: inbound}
          - {type: add_tag, tag: cold}
          - {type: remove_tag, tag: cold}
        """,
    )
    lead_id = await add_lead(bot)
    async with services.db.session() as session:
        lead = await session.get(Lead, lead_id)
    assert lead is not None and lead.tags == ["inbound"]


async def test_change_lead_stage(services: Services, tmp_path: Path) -> None:
    bot = await start(
        services,
        tmp_path,
        """
        name: qualify
        trigger: {event: lead.created}
        conditions: {all: [{field: lead.expected_amount, op: gte, value: 1000}]}
        steps:
          - {type: change_lead_stage, stage: qualified}
        """,
    )
    lead_id = await add_lead(bot, amount="1500")
    async with services.db.session() as session:
        lead = await session.get(Lead, lead_id)
    assert lead is not None and lead.stage == "qualified"


async def test_change_lead_stage_to_unknown_stage_is_logged(
    services: Services, tmp_path: Path
) -> None:
    bot = await start(
        services,
        tmp_path,
        """
        name: qualify
        trigger: {event: lead.created}
        steps:
          - {type: change_lead_stage, stage: golden}
          - {type: set_variable, name: after, value: "1"}
        """,
    )
    await add_lead(bot)
    (run,) = await bot.runs()
    errors = [log.message for log in await bot.logs(run.id) if log.kind == "error"]
    assert any("unknown stage 'golden'" in e for e in errors), errors


async def test_change_lead_stage_without_lead_is_logged(services: Services, tmp_path: Path) -> None:
    bot = await start(
        services,
        tmp_path,
        """
        name: qualify
        trigger: {event: conversation.created}
        steps:
          - {type: change_lead_stage, stage: qualified}
        """,
    )
    await bot.say("hi")
    (run,) = await bot.runs()
    errors = [log.message for log in await bot.logs(run.id) if log.kind == "error"]
    assert any("no lead" in e for e in errors), errors


async def test_set_variable_templated_and_used_later(services: Services, tmp_path: Path) -> None:
    bot = await start(
        services,
        tmp_path,
        """
        name: vars
        trigger: {event: conversation.created}
        steps:
          - {type: set_variable, name: greeting, value: "Hello {{ contact.name }}"}
          - {type: set_variable, name: limit, value: 3}
          - {type: send_message, text: "{{ vars.greeting }} ({{ vars.limit }})"}
        """,
    )
    await bot.say("hi")
    assert bot.take() == ["Hello Ada (3)"]
    (run,) = await bot.runs()
    assert run.state["engine"]["variables"] == {"greeting": "Hello Ada", "limit": 3}


@pytest.mark.parametrize(
    ("text", "reply"), [("refund", "money"), ("order", "parcel"), ("hey", "other")]
)
async def test_branch_cases_and_else(
    services: Services, tmp_path: Path, text: str, reply: str
) -> None:
    bot = await start(
        services,
        tmp_path,
        """
        name: triage
        trigger: {event: message.received}
        steps:
          - type: branch
            cases:
              - when: {all: [{field: message.text, op: eq, value: refund}]}
                goto: money
              - when: {any: [{field: message.text, op: contains, value: order}]}
                goto: parcel
            else: other
          - {id: money, type: send_message, text: money, next: end}
          - {id: parcel, type: send_message, text: parcel, next: end}
          - {id: other, type: send_message, text: other}
        """,
    )
    await bot.say(text)
    assert bot.take() == [reply]
    (run,) = await bot.runs()
    checks = [
        log for log in await bot.logs(run.id) if log.kind == "condition" and log.step_id == "step-1"
    ]
    assert checks and all("checks" in log.data for log in checks)
