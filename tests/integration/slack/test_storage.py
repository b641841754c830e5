"""The console's storage contracts, run against the in-memory twins and against storage on
every database: threads, stored Slack requests and agents; then run logs on storage."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.core.clock import FakeClock
from bot.core.errors import NotFoundError
from bot.domain.console_store import StorageConsoleBackend
from bot.domain.slack_receipts import LEASE, RETRY_AFTER, StorageReceiptStore
from bot.domain.thread_registry import AttributeThreadRegistry
from bot.pipeline.services import Services, build_services
from bot.storage.models import Agent
from integrations.slack.blocks import conversation_header
from integrations.slack.logview import run_logs
from integrations.slack.memory import InMemoryReceiptStore, InMemoryThreadRegistry
from integrations.slack.ports import (
    AgentRef,
    ConsoleBackend,
    ReceiptStore,
    SlackRequest,
    ThreadRef,
    ThreadRegistry,
)
from tests.conftest import fresh_postgres_url, make_settings
from tests.db_support import PostgresDatabase, SqliteTemplate
from tests.harness import Harness
from tests.unit.slack.backend import InMemoryConsoleBackend

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


@pytest.fixture(params=["memory", "sqlite", "postgres"])
async def stored(
    request: pytest.FixtureRequest,
    sqlite_template: SqliteTemplate,
    postgres_database: PostgresDatabase | None,
    clock: FakeClock,
) -> AsyncIterator[Services | None]:
    """None for the in-memory twins; else services on a migrated, empty database."""
    if request.param == "memory":
        yield None
        return
    if request.param == "sqlite":
        url = sqlite_template.fresh_url()
    else:
        url = await fresh_postgres_url(postgres_database)
    services = build_services(make_settings(url), clock)
    try:
        yield services
    finally:
        await services.close()


@pytest.fixture
async def registry(stored: Services | None) -> ThreadRegistry:
    """A thread registry that knows conversations 1 and 2."""
    if stored is None:
        return InMemoryThreadRegistry()
    bot = await Harness.start(stored)
    await bot.say("hi", chat="c1")
    await bot.say("hello", chat="c2")
    return AttributeThreadRegistry(stored.uow)


@pytest.fixture
def receipts(stored: Services | None, clock: FakeClock) -> ReceiptStore:
    return InMemoryReceiptStore() if stored is None else StorageReceiptStore(stored.db, clock)


class AgentAdder:
    """A console backend and a way to put an agent (name, e-mail, no Slack id) behind it."""

    def __init__(self, backend: ConsoleBackend, stored: Services | None) -> None:
        self.backend = backend
        self.stored = stored

    async def add(self, name: str, email: str) -> None:
        if isinstance(self.backend, InMemoryConsoleBackend):
            self.backend.add_agent(name.lower(), name, email=email)
            return
        assert self.stored is not None
        async with self.stored.uow() as tx:
            tx.session.add(Agent(name=name, email=email, roles=[]))


@pytest.fixture
def console(stored: Services | None) -> AgentAdder:
    backend = InMemoryConsoleBackend() if stored is None else StorageConsoleBackend(stored.uow)
    return AgentAdder(backend, stored)


async def test_thread_registry_both_directions(registry: ThreadRegistry) -> None:
    assert await registry.get("1") is None
    assert await registry.find("CINBOX", "1700000000.000001") is None
    await registry.save("1", ThreadRef("CINBOX", "1700000000.000001"))
    await registry.save("2", ThreadRef("CTEAM", "1700000000.000002"))
    assert await registry.get("1") == ThreadRef("CINBOX", "1700000000.000001")
    assert await registry.find("CINBOX", "1700000000.000001") == "1"
    assert await registry.find("CTEAM", "1700000000.000002") == "2"
    assert await registry.find("COTHER", "1700000000.000001") is None
    await registry.save("1", ThreadRef("CINBOX", "1700000000.000009"))
    assert await registry.find("CINBOX", "1700000000.000001") is None
    assert await registry.find("CINBOX", "1700000000.000009") == "1"
    assert await registry.get("2") == ThreadRef("CTEAM", "1700000000.000002")


def request(key: str) -> SlackRequest:
    return SlackRequest(key, "application/json", json.dumps({"key": key}))


async def test_a_request_is_stored_once(receipts: ReceiptStore) -> None:
    assert await receipts.store(request("r1")) is True
    assert await receipts.store(request("r1")) is False
    assert await receipts.store(request("r2")) is True


async def test_failed_work_is_claimed_again_and_done_work_never(
    receipts: ReceiptStore, clock: FakeClock
) -> None:
    for key in ("done", "retry", "given-up"):
        assert await receipts.store(request(key))
    await receipts.done("done")
    await receipts.failed("retry", "slack said no", give_up=False)
    await receipts.failed("given-up", "unreadable", give_up=True)
    clock.advance(RETRY_AFTER + LEASE)
    (claimed,) = await receipts.claim_due(10)
    assert claimed == SlackRequest("retry", "application/json", '{"key": "retry"}', attempts=1)
    assert await receipts.claim_due(10) == []
    await receipts.done("retry")
    clock.advance(LEASE * 2)
    assert await receipts.claim_due(10) == []
    await receipts.prune()
    assert await receipts.store(request("retry")) is False


async def test_claims_take_at_most_the_limit(receipts: ReceiptStore, clock: FakeClock) -> None:
    for key in ("a", "b", "c"):
        await receipts.store(request(key))
        await receipts.failed(key, "try later", give_up=False)
    clock.advance(RETRY_AFTER)
    first = await receipts.claim_due(2)
    rest = await receipts.claim_due(2)
    assert len(first) == 2 and len(rest) == 1
    assert {r.key for r in first + rest} == {"a", "b", "c"}


async def test_resolve_agent_by_email_remembers_slack_id(console: AgentAdder) -> None:
    backend = console.backend
    await console.add("Eve", "eve@example.com")
    assert await backend.resolve_agent("UEVE") is None
    found = await backend.resolve_agent("UEVE", "eve@example.com")
    assert found is not None
    assert (found.name, found.slack_user_id, found.email) == ("Eve", "UEVE", "eve@example.com")
    assert await backend.resolve_agent("UEVE") == found
    assert await backend.resolve_agent("UOTHER", "nobody@example.com") is None


async def test_availability_is_kept_per_agent(console: AgentAdder) -> None:
    backend = console.backend
    await console.add("Eve", "eve@example.com")
    await backend.resolve_agent("UEVE", "eve@example.com")
    away = await backend.set_availability("UEVE", False)
    assert isinstance(away, AgentRef) and away.available is False
    assert await backend.resolve_agent("UEVE") == away
    with pytest.raises(NotFoundError):
        await backend.set_availability("UNOBODY", True)


async def test_an_unknown_conversation_is_none(console: AgentAdder) -> None:
    assert await console.backend.conversation("nope") is None
    assert await console.backend.conversation("999") is None


async def test_run_logs_show_trigger_conditions_and_steps(
    services: Services, tmp_path: Path
) -> None:
    path = tmp_path / "vip.yaml"
    path.write_text(VIP, encoding="utf-8")
    bot = await Harness.start(services, path)
    await bot.say("Where is my refund?", name="Jane Doe")
    backend = StorageConsoleBackend(services.uow)
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
