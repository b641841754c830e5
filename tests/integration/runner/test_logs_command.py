"""`relaybot workflows logs`: what it prints for runs, skipped starts, waits and durations."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from bot.app.cli import build_parser
from bot.app.workflow_cli import _logs
from bot.pipeline.services import Services
from tests.integration.runner.flows import start


async def logs(services: Services, capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    args = build_parser().parse_args(["workflows", "logs", *argv])
    assert await _logs(args, services) == 0
    return capsys.readouterr().out


async def test_failed_filter_says_there_are_runs_but_none_failed(
    services: Services, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bot = await start(
        services,
        tmp_path,
        """
        name: hello
        trigger: {event: conversation.created}
        steps:
          - {type: send_message, text: hello}
        """,
    )
    assert await logs(services, capsys, "hello", "--failed") == "no runs yet\n"
    await bot.say("hi")
    await bot.say("hi", chat="c2")
    assert await logs(services, capsys, "hello", "--failed") == "2 runs, none failed\n"


async def test_a_skipped_start_is_shown_with_its_values_and_no_claim_of_no_runs(
    services: Services, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bot = await start(
        services,
        tmp_path,
        """
        name: big-spender
        trigger: {event: message.received}
        conditions:
          all:
            - {field: message.text, op: contains, value: invoice}
        steps:
          - {type: send_message, text: hello}
        """,
    )
    await bot.say("where is my order")
    out = await logs(services, capsys, "big-spender")
    assert "no runs" not in out
    skipped, *details = out.splitlines()
    assert skipped.startswith("skipped  2026-01-05 09:00:00  not started on message.received #")
    assert skipped.endswith(": conditions false")
    assert "            NO message.text contains 'invoice' (was 'where is my order')" in details
    assert any(line.startswith("            event: ") for line in details)


async def test_steps_show_duration_wait_deadline_and_missing_variables(
    services: Services, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bot = await start(
        services,
        tmp_path,
        """
        name: nudge
        trigger: {event: conversation.created}
        steps:
          - {id: hello, type: send_message, text: "Hi {{ contact.nickname }}"}
          - {id: pause, type: wait, duration: 2h}
          - {id: ask, type: ask_question, question: "Still there?", timeout: 30m}
        """,
    )
    await bot.say("hi")
    bot.clock.advance(timedelta(hours=2))
    await bot.settle()
    out = await logs(services, capsys, "nudge")
    assert (
        "  info      [hello] template variables without a value rendered empty: contact.nickname\n"
        in out
    )
    assert "  step      [hello] send_message: message queued (took 0 ms)\n" in out
    assert "  step      [pause] wait: waiting  until 2026-01-05 11:00:00 UTC (took 2 h)\n" in out
    assert (
        "  step      [ask] ask_question: question sent  until 2026-01-05 11:30:00 UTC"
        " (waiting since 2026-01-05 11:00:00)\n"
    ) in out
