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
from bot.domain.audit import Actor
from bot.domain.conversation_summaries import summarize
from bot.domain.replies import queue_reply
from bot.domain.run_log_views import load_run_logs
from bot.storage.domain import console_records
from bot.storage.domain.console_records import ConsoleAgent, ConsoleConversation
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


async def current(tx: Tx, conversation_id_: int) -> ConsoleConversation:
    """The conversation as it stands in the transaction (after the changes made in it)."""
    conversation = await console_records.conversation(tx, conversation_id_)
    if conversation is None:
        raise NotFoundError(f"conversation {conversation_id_} not found")
    return conversation


class StorageConsoleBackend:
    """Every console operation is one transaction; the events it records do the rest.

    An operation that changes the conversation summarizes it as it stands after the
    change: read again by id, which the transaction answers without a query.
    """

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
            found = await console_records.conversation(tx, number)
            return None if found is None else await summarize(tx, found)

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
            number = conversation_id(conversation_id_)
            before = await conversations.get_record(tx, number, lock=True)
            if before.status == "closed":
                raise ValidationFailed("conversation", "it is closed; reopen it first")
            if before.assignee_id is not None and before.assignee_id != agent.id:
                holder = await console_records.agent_name(tx, before.assignee_id)
                taken_by = "someone" if holder is None else holder
                raise ValidationFailed("conversation", f"already taken by {taken_by}")
            await conversations.assign(tx, number, agent.id, by=SOURCE)
            return await summarize(tx, await current(tx, number))

    async def assign(
        self, conversation_id_: str, target_slack_user_id: str, by: str
    ) -> ConversationSummary:
        async with self.uow() as tx:
            agent = await agent_by_slack_id(tx, target_slack_user_id)
            number = conversation_id(conversation_id_)
            before = await conversations.get_record(tx, number, lock=True)
            if before.status == "closed":
                raise ValidationFailed("conversation", "it is closed; reopen it first")
            await conversations.assign(tx, number, agent.id, by=SOURCE)
            return await summarize(tx, await current(tx, number))

    async def unassign(self, conversation_id_: str, by: str) -> ConversationSummary:
        number = conversation_id(conversation_id_)
        async with self.uow() as tx:
            unassigned = await conversations.unassign(tx, number, by=SOURCE)
            after = await current(tx, number)
            if unassigned:
                thread_outbox.refresh_header(tx, after)
            return await summarize(tx, after)

    async def close(self, conversation_id_: str, by: str) -> ConversationSummary:
        number = conversation_id(conversation_id_)
        async with self.uow() as tx:
            await conversations.close(tx, number, by=SOURCE)
            return await summarize(tx, await current(tx, number))

    async def reopen(self, conversation_id_: str, by: str) -> ConversationSummary:
        number = conversation_id(conversation_id_)
        async with self.uow() as tx:
            await conversations.reopen(tx, number, by=SOURCE)
            return await summarize(tx, await current(tx, number))

    async def tag(self, conversation_id_: str, tag: str, by: str) -> ConversationSummary:
        number = conversation_id(conversation_id_)
        async with self.uow() as tx:
            await conversations.get_record(tx, number)  # an unknown conversation before a bad tag
            await conversations.add_tag(tx, number, tag, by=SOURCE)
            return await summarize(tx, await current(tx, number))

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

    async def set_workflow_enabled(
        self, name: str, enabled: bool, by: str | None = None
    ) -> WorkflowSummary:
        actor = Actor.slack_user(by) if by else None
        await workflow_store.set_enabled(self.uow, name, enabled, actor)
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
            conversation = await current(tx, conversation_id(conversation_id_))
            await queue_reply(
                tx, conversation, text, sender_kind="agent", agent_id=agent.id, source=SOURCE
            )

    async def internal_note(self, conversation_id_: str, slack_user_id: str, text: str) -> None:
        async with self.uow() as tx:
            agent = await agent_by_slack_id(tx, slack_user_id)
            conversation = await current(tx, conversation_id(conversation_id_))
            console_records.add_note(tx, conversation.id, agent.id, text, source=SOURCE)
