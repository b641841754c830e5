"""The agents' console over relaybot's storage: the Slack console's
:class:`~integrations.slack.ports.ConsoleBackend`, handing out :mod:`bot.core.console_views`."""

from __future__ import annotations

from dataclasses import replace

from bot.core.console_views import (
    AgentRef,
    ConversationSummary,
    RunLogView,
    WorkflowSummary,
)
from bot.core.errors import NotFoundError, ValidationFailed
from bot.domain import agents, conversations, thread_outbox, workflow_store
from bot.domain.conversation_summaries import summarize
from bot.domain.replies import queue_reply
from bot.domain.run_log_views import load_run_logs
from bot.storage import console_records
from bot.storage.console_records import ConsoleAgent
from bot.storage.uow import Tx, UnitOfWork

SOURCE = "slack"
"""``Message.extra["source"]`` of what agents wrote in Slack (never mirrored back)."""


def agent_ref(agent: ConsoleAgent) -> AgentRef:
    return AgentRef(
        id=str(agent.id),
        name=agent.name,
        slack_user_id=agent.slack_user_id,
        email=agent.email,
        available=agent.available,
    )


def conversation_id(value: str) -> int:
    cleaned = value.strip().lstrip("#")
    if not cleaned.isdigit():
        raise NotFoundError(f"conversation {value!r} not found")
    return int(cleaned)


async def agent_by_slack_id(tx: Tx, slack_user_id: str) -> ConsoleAgent:
    agent = await console_records.agent_with_slack_id(tx, slack_user_id)
    if agent is None:
        raise NotFoundError(f"<@{slack_user_id}> is not a relaybot agent")
    return agent


class StorageConsoleBackend:
    """Every console operation is one transaction; the events it records do the rest."""

    def __init__(self, uow: UnitOfWork) -> None:
        self.uow = uow

    async def resolve_agent(self, slack_user_id: str, email: str | None = None) -> AgentRef | None:
        async with self.uow() as tx:
            agent = await console_records.link_slack_user(tx, slack_user_id, email)
            return None if agent is None else agent_ref(agent)

    async def conversation(self, conversation_id_: str) -> ConversationSummary | None:
        try:
            number = conversation_id(conversation_id_)
        except NotFoundError:
            return None
        async with self.uow() as tx:
            row = await console_records.conversation_row(tx, number)
            return None if row is None else await summarize(tx, row)

    async def queue(self, limit: int = 20) -> list[ConversationSummary]:
        async with self.uow() as tx:
            return [
                await summarize(tx, c) for c in await console_records.unassigned_open(tx, limit)
            ]

    async def mine(self, slack_user_id: str, limit: int = 20) -> list[ConversationSummary]:
        async with self.uow() as tx:
            agent = await agent_by_slack_id(tx, slack_user_id)
            held = await console_records.held_by(tx, agent.id, limit)
            return [await summarize(tx, c) for c in held]

    async def claim(self, conversation_id_: str, slack_user_id: str) -> ConversationSummary:
        async with self.uow() as tx:
            agent = await agent_by_slack_id(tx, slack_user_id)
            row = await conversations.get(tx, conversation_id(conversation_id_), lock=True)
            if row.status == "closed":
                raise ValidationFailed("conversation", "it is closed; reopen it first")
            if row.assignee_id is not None and row.assignee_id != agent.id:
                holder = await console_records.agent_name(tx, row.assignee_id)
                taken_by = "someone" if holder is None else holder
                raise ValidationFailed("conversation", f"already taken by {taken_by}")
            await conversations.assign(tx, row.id, agent.id, by=SOURCE)
            return await summarize(tx, row)

    async def assign(
        self, conversation_id_: str, target_slack_user_id: str, by: str
    ) -> ConversationSummary:
        async with self.uow() as tx:
            agent = await agent_by_slack_id(tx, target_slack_user_id)
            row = await conversations.get(tx, conversation_id(conversation_id_), lock=True)
            if row.status == "closed":
                raise ValidationFailed("conversation", "it is closed; reopen it first")
            await conversations.assign(tx, row.id, agent.id, by=SOURCE)
            return await summarize(tx, row)

    async def unassign(self, conversation_id_: str, by: str) -> ConversationSummary:
        async with self.uow() as tx:
            row = await conversations.get(tx, conversation_id(conversation_id_))
            if await conversations.unassign(tx, row.id, by=SOURCE):
                thread_outbox.refresh_header(tx, row)
            return await summarize(tx, row)

    async def close(self, conversation_id_: str, by: str) -> ConversationSummary:
        async with self.uow() as tx:
            row = await conversations.get(tx, conversation_id(conversation_id_))
            await conversations.close(tx, row.id, by=SOURCE)
            return await summarize(tx, row)

    async def reopen(self, conversation_id_: str, by: str) -> ConversationSummary:
        async with self.uow() as tx:
            row = await conversations.get(tx, conversation_id(conversation_id_))
            await conversations.reopen(tx, row.id, by=SOURCE)
            return await summarize(tx, row)

    async def tag(self, conversation_id_: str, tag: str, by: str) -> ConversationSummary:
        async with self.uow() as tx:
            row = await conversations.get(tx, conversation_id(conversation_id_))
            await conversations.add_tag(tx, row.id, tag, by=SOURCE)
            return await summarize(tx, row)

    async def set_availability(self, slack_user_id: str, available: bool) -> AgentRef:
        async with self.uow() as tx:
            agent = await agent_by_slack_id(tx, slack_user_id)
            await agents.set_availability(tx, agent.id, available)
            return agent_ref(replace(agent, available=available))

    async def workflows(self) -> list[WorkflowSummary]:
        return [
            WorkflowSummary(
                name=w.name,
                enabled=w.enabled,
                trigger=w.trigger,
                version=w.version,
                description=w.description or None,
            )
            for w in await workflow_store.list_workflows(self.uow)
        ]

    async def set_workflow_enabled(self, name: str, enabled: bool) -> WorkflowSummary:
        await workflow_store.set_enabled(self.uow, name, enabled)
        for item in await self.workflows():
            if item.name == name:
                return item
        raise NotFoundError(f"no workflow named {name!r}")

    async def run_logs(
        self, workflow: str | None = None, failed_only: bool = False, limit: int = 5
    ) -> list[RunLogView]:
        async with self.uow() as tx:
            return await load_run_logs(tx, workflow, failed_only=failed_only, limit=limit)

    async def agent_reply(self, conversation_id_: str, slack_user_id: str, text: str) -> None:
        if not text.strip():
            raise ValidationFailed("text", "empty reply")
        async with self.uow() as tx:
            agent = await agent_by_slack_id(tx, slack_user_id)
            row = await conversations.get(tx, conversation_id(conversation_id_))
            await queue_reply(tx, row, text, sender_kind="agent", agent_id=agent.id, source=SOURCE)

    async def internal_note(self, conversation_id_: str, slack_user_id: str, text: str) -> None:
        async with self.uow() as tx:
            agent = await agent_by_slack_id(tx, slack_user_id)
            row = await conversations.get(tx, conversation_id(conversation_id_))
            console_records.add_note(tx, row.id, agent.id, text, source=SOURCE)
