"""`relaybot workflows validate`: one report with every problem, stages and roles included."""

from __future__ import annotations

import asyncio
import textwrap
from pathlib import Path

import pytest

from bot.app.cli import build_parser
from bot.app.migrate import upgrade
from bot.pipeline.services import build_services
from bot.storage.models import Agent
from tests.conftest import make_settings

PARENT = """
name: parent
trigger: {event: lead.stage_changed, to_stage: hot}
steps:
  - {id: promote, type: change_lead_stage, stage: qualified}
  - {id: demote, type: change_lead_stage, stage: lukewarm}
  - {id: tell, type: send_notification, to: {role: sales_manager}, via: [email], text: "Lead moved"}
  - {id: child, type: trigger_workflow, workflow: broken-child}
  - {id: lost, type: trigger_workflow, workflow: nobody}
"""
BROKEN_CHILD = """
name: broken-child
trigger: {event: conversation.created}
steps:
  - {id: oops, type: send_message}
"""


def validate(tmp_path: Path, url: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    (tmp_path / "parent.yaml").write_text(textwrap.dedent(PARENT))
    (tmp_path / "child.yaml").write_text(textwrap.dedent(BROKEN_CHILD))
    args = build_parser().parse_args(["workflows", "validate", str(tmp_path)])
    code = args.command(args, make_settings(url, RELAYBOT_LEAD_STAGES="new,qualified,won,lost"))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def add_agent(url: str, roles: list[str]) -> None:
    async def add() -> None:
        services = build_services(make_settings(url))
        try:
            async with services.uow() as tx:
                tx.session.add(Agent(name="Sam", email="sam@example.com", roles=roles))
        finally:
            await services.close()

    asyncio.run(add())


def test_one_report_names_every_problem_with_file_step_and_field(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/relaybot.db"
    upgrade(url)
    add_agent(url, ["support_lead"])
    flows = tmp_path / "flows"
    flows.mkdir()
    code, out, err = validate(flows, url, capsys)
    assert code == 1 and out == ""
    parent, child = flows / "parent.yaml", flows / "child.yaml"
    assert err.splitlines() == [
        "5 problems in workflow definitions:",
        f"  - {child}: step oops: send_message needs text, media_url, template or ai",
        f"  - {parent}: step lost: workflow: unknown workflow 'nobody'",
        f"  - {parent}: trigger: to_stage: unknown lead stage 'hot'; RELAYBOT_LEAD_STAGES: new, qualified, won, lost",
        f"  - {parent}: step demote: stage: unknown lead stage 'lukewarm'; "
        "RELAYBOT_LEAD_STAGES: new, qualified, won, lost",
        f"  - {parent}: step tell: to.role: no agent has the role 'sales_manager' "
        "(roles agents have: support_lead)",
    ]


def test_roles_are_not_checked_before_there_are_agents(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/relaybot.db"
    flows = tmp_path / "flows"
    flows.mkdir()
    (flows / "tell.yaml").write_text(
        textwrap.dedent("""
        name: tell
        trigger: {event: conversation.created}
        steps:
          - {type: send_notification, to: {role: sales_manager}, via: [email], text: hi}
        """)
    )
    args = build_parser().parse_args(["workflows", "validate", str(flows)])
    assert args.command(args, make_settings(url)) == 0
    assert capsys.readouterr().out.splitlines() == [
        "ok  tell  (1 steps, on conversation.created)",
        "roles not checked: no database yet",
    ]
    upgrade(url)
    assert args.command(args, make_settings(url)) == 0
    assert capsys.readouterr().out.splitlines()[-1] == "roles not checked: no agents yet"
    add_agent(url, ["sales_manager"])
    assert args.command(args, make_settings(url)) == 0
    assert capsys.readouterr().out.splitlines() == ["ok  tell  (1 steps, on conversation.created)"]
