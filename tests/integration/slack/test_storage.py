"""The storage-backed registry and backend on every database: threads, agents, run logs."""

from __future__ import annotations

import json
from pathlib import Path

from bot.models import Agent
from bot.services import Services
from integrations.slack.blocks import conversation_header
from integrations.slack.logview import run_logs
from integrations.slack.ports import ThreadRef
from integrations.slack.storage_backend import StorageConsoleBackend
from integrations.slack.storage_registry import AttributeThreadRegistry
from tests.harness import Harness

VIP = """
name: vip-greeting
trigger: {event: message.received}
conditions:
  all:
    - {field: message.text, op: contains, value: refund}
steps:
  - {id: tag, type: add_tag, tag: refund}
  - {id: hello, type: send_message, text: "We are looking into your refund."}
"""


async def test_thread_registry_both_directions(services: Services, tmp_path: Path) -> None:
    bot = await Harness.start(services)
    await bot.say("hi")
    registry = AttributeThreadRegistry(services.uow)
    assert await registry.get("1") is None
    await registry.save("1", ThreadRef("CINBOX", "1700000000.000001"))
    assert await registry.get("1") == ThreadRef("CINBOX", "1700000000.000001")
    assert await registry.find("CINBOX", "1700000000.000001") == "1"
    assert await registry.find("COTHER", "1700000000.000001") is None
    await registry.save("1", ThreadRef("CINBOX", "1700000000.000009"))
    assert await registry.find("CINBOX", "1700000000.000001") is None


async def test_resolve_agent_by_email_remembers_slack_id(services: Services) -> None:
    async with services.uow() as tx:
        tx.session.add(Agent(name="Eve", email="eve@example.com", roles=[]))
    backend = StorageConsoleBackend(services)
    assert await backend.resolve_agent("UEVE") is None
    found = await backend.resolve_agent("UEVE", "eve@example.com")
    assert found is not None and found.slack_user_id == "UEVE"
    assert await backend.resolve_agent("UEVE") == found


async def test_run_logs_show_trigger_conditions_and_steps(
    services: Services, tmp_path: Path
) -> None:
    path = tmp_path / "vip.yaml"
    path.write_text(VIP, encoding="utf-8")
    bot = await Harness.start(services, path)
    await bot.say("Where is my refund?", name="Jane Doe")
    backend = StorageConsoleBackend(services)
    (run,) = await backend.run_logs("vip-greeting")
    assert run.status == "completed" and run.trigger_event == "message.received"
    (check,) = run.conditions
    assert (check.field, check.op, check.expected, check.actual, check.result) == (
        "message.text",
        "contains",
        "refund",
        "Where is my refund?",
        True,
    )
    assert [(s.id, s.type) for s in run.steps] == [("tag", "add_tag"), ("hello", "send_message")]
    blocks = run_logs([run], "Recent runs of vip-greeting")
    assert "Where is my refund?" in json.dumps(blocks)
    assert await backend.run_logs("vip-greeting", failed_only=True) == []
    summary = await backend.conversation("1")
    assert summary is not None and summary.tags == ("refund",)
    assert "Jane Doe" in json.dumps(conversation_header(summary))
