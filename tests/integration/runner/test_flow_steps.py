"""wait, date_time, jump_to, trigger_workflow, send_notification and send_webhook."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.pipeline.services import Services, build_services
from tests.harness import Harness
from tests.integration.runner.flows import exits, outbox, start, write_flows
from workflows.problems import WorkflowLoadError

WAIT = """
name: later
trigger: {event: conversation.created}
steps:
  - {type: send_message, text: before}
  - {type: wait, %s}
  - {type: send_message, text: after}
"""


async def test_wait_duration(services: Services, tmp_path: Path) -> None:
    bot = await start(services, tmp_path, WAIT % "duration: 2h")
    await bot.say("hi")
    assert bot.take() == ["before"]
    (run,) = await bot.runs()
    assert run.status == "waiting" and run.waiting_for == "timer"
    bot.clock.advance(timedelta(minutes=119))
    await bot.settle()
    assert bot.take() == []
    bot.clock.advance(timedelta(minutes=1))
    await bot.settle()
    assert bot.take() == ["after"]


async def test_wait_until(services: Services, tmp_path: Path) -> None:
    bot = await start(services, tmp_path, WAIT % 'until: "2026-01-05T12:30:00+01:00"')
    await bot.say("hi")  # the clock says 09:00 UTC
    bot.clock.set(datetime(2026, 1, 5, 11, 29, tzinfo=UTC))
    await bot.settle()
    assert bot.take() == ["before"]
    bot.clock.set(datetime(2026, 1, 5, 11, 30, tzinfo=UTC))
    await bot.settle()
    assert bot.take() == ["after"]


async def test_wait_fires_once_after_restart(services: Services, tmp_path: Path) -> None:
    bot = await Harness.start(services, *write_flows(tmp_path, WAIT % "duration: 1d"))
    await bot.say("hi")
    assert bot.take() == ["before"]
    await services.close()
    restarted = build_services(services.settings, bot.clock)
    try:
        again = await Harness.start(restarted)
        bot.clock.advance(timedelta(days=1))
        await again.settle()
        assert again.take() == ["after"]
        bot.clock.advance(timedelta(days=3))
        await again.settle()
        assert again.take() == []
        (run,) = await again.runs()
        assert run.status == "completed"
    finally:
        await restarted.close()


HOURS = """
name: hours
trigger: {event: conversation.created}
steps:
  - id: check
    type: date_time
    timezone: Europe/Berlin
    hours: {mon: ["09:00-17:00"], tue: ["09:00-17:00"]}
    holidays: ["2026-01-06"]
    exits: {closed: shut}
  - {type: send_message, text: open, next: end}
  - {id: shut, type: send_message, text: "back {{ vars.next_open }}"}
"""


async def test_date_time_open(services: Services, tmp_path: Path) -> None:
    bot = await start(services, tmp_path, HOURS)
    await bot.say("hi")  # Monday 10:00 in Berlin
    assert bot.take() == ["open"]
    (run,) = await bot.runs()
    assert ("check", "open") in exits(await bot.logs(run.id))
    assert run.state["engine"]["variables"]["is_open"] is True


async def test_date_time_closed_sets_next_open(services: Services, tmp_path: Path) -> None:
    bot = await start(services, tmp_path, HOURS)
    bot.clock.set(datetime(2026, 1, 5, 17, 30, tzinfo=UTC))  # Monday 18:30 in Berlin
    await bot.say("hi")
    # Tuesday is a holiday; Wednesday has no hours: next Monday 09:00 Berlin
    assert bot.take() == ["back 2026-01-12T09:00:00+01:00"]
    (run,) = await bot.runs()
    assert ("check", "closed") in exits(await bot.logs(run.id))
    assert run.state["engine"]["variables"]["next_open"] == "2026-01-12T09:00:00+01:00"


async def test_jump_to_loops_then_exhausted(services: Services, tmp_path: Path) -> None:
    bot = await start(
        services,
        tmp_path,
        """
        name: loop
        trigger: {event: conversation.created}
        steps:
          - {id: top, type: send_message, text: loop}
          - {id: again, type: jump_to, target: top, max_jumps: 2, exits: {exhausted: done}}
          - {id: done, type: send_message, text: done}
        """,
    )
    await bot.say("hi")
    assert bot.take() == ["loop", "loop", "loop", "done"]
    (run,) = await bot.runs()
    assert exits(await bot.logs(run.id)).count(("again", "exhausted")) == 1


async def test_trigger_workflow_with_variables(services: Services, tmp_path: Path) -> None:
    bot = await start(
        services,
        tmp_path,
        """
        name: parent
        trigger: {event: conversation.created}
        steps:
          - {type: trigger_workflow, workflow: child, variables: {who: "{{ contact.name }}", n: 2}}
          - {type: send_message, text: "parent done"}
        """,
        """
        name: child
        enabled: true
        trigger: {event: lead.created}
        steps:
          - {type: send_message, text: "child for {{ vars.who }} x{{ vars.n }}"}
        """,
    )
    await bot.say("hi", name="Ada")
    assert bot.take() == ["child for Ada x2", "parent done"]
    parent, child = await bot.runs()
    assert child.parent_run_id == parent.id and child.depth == 1
    assert child.state["engine"]["variables"] == {"who": "Ada", "n": 2}
    (trigger,) = [log for log in await bot.logs(child.id) if log.kind == "trigger"]
    assert trigger.message == "started by trigger_workflow"


async def test_trigger_workflow_depth_limit(services: Services, tmp_path: Path) -> None:
    chain = [
        f"""
        name: level{n}
        trigger: {{event: {"conversation.created" if n == 0 else "lead.created"}}}
        steps:
          - {{type: trigger_workflow, workflow: level{n + 1}}}
        """
        for n in range(6)
    ]
    chain.append("""
        name: level6
        trigger: {event: lead.created}
        steps:
          - {type: set_variable, name: deepest, value: "1"}
        """)
    bot = await start(services, tmp_path, *chain)
    await bot.say("hi")
    runs = await bot.runs()
    assert [r.depth for r in runs] == [0, 1, 2, 3, 4, 5]
    deepest = runs[-1]
    assert deepest.status == "failed"
    assert deepest.error is not None and "more than the limit of 5" in deepest.error
    errors = [log.message for log in await bot.logs(deepest.id) if log.kind == "error"]
    assert any("nesting depth would be 6" in e for e in errors)


async def test_unknown_child_workflow_is_refused_at_load(
    services: Services, tmp_path: Path
) -> None:
    with pytest.raises(WorkflowLoadError, match="unknown workflow 'nobody'"):
        await start(
            services,
            tmp_path,
            """
            name: parent
            trigger: {event: conversation.created}
            steps:
              - {type: trigger_workflow, workflow: nobody}
            """,
        )


async def test_send_notification_without_slack_goes_dead_with_reason(
    services: Services, tmp_path: Path
) -> None:
    bot = await start(
        services,
        tmp_path,
        """
        name: tell
        trigger: {event: conversation.created}
        steps:
          - id: ping
            type: send_notification
            to: {team: sales}
            via: [slack]
            text: "New chat from {{ contact.name }}"
        """,
    )
    await bot.say("hi")
    (item,) = await outbox(bot, "notify")
    assert item.payload == {"to": {"team": "sales"}, "via": ["slack"], "text": "New chat from Ada"}
    assert item.status == "dead" and item.step_id == "ping"
    (run,) = await bot.runs()
    assert run.status == "completed"
    errors = [log.message for log in await bot.logs(run.id) if log.kind == "error"]
    assert errors == [
        "notify failed for good: Slack notifications are not configured "
        "(set SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET)"
    ]


async def test_send_webhook_queues_a_signed_item(services: Services, tmp_path: Path) -> None:
    bot = await start(
        services,
        tmp_path,
        """
        name: hook
        trigger: {event: conversation.created}
        steps:
          - id: hook
            type: send_webhook
            url: "https://hooks.example.com/chat"
            body: {contact: "{{ contact.name }}", channel: "{{ conversation.channel }}"}
            headers: {X-Source: relaybot}
            secret: s3cret
        """,
    )
    await bot.say("hi")
    (item,) = await outbox(bot, "webhook")
    payload = item.payload
    assert payload["url"] == "https://hooks.example.com/chat"
    assert payload["body"] == {"contact": "Ada", "channel": "test"}
    assert payload["headers"] == {"X-Source": "relaybot"}
    assert payload["secret"] == "s3cret"
    assert payload["delivery_id"] and item.idempotency_key == f"webhook:{payload['delivery_id']}"
    (run,) = await bot.runs()
    assert item.run_id == run.id and item.step_id == "hook"
    (step,) = [
        log for log in await bot.logs(run.id) if log.step_id == "hook" and log.kind == "step"
    ]
    assert step.data["delivery_id"] == payload["delivery_id"]
