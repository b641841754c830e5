"""``InMemoryConsoleBackend``: the console's backend as dictionaries, recording every call."""

from __future__ import annotations

import asyncio
from dataclasses import replace

from bot.core.errors import NotFoundError, ValidationFailed
from integrations.slack.ports import AgentRef, ConversationSummary, RunLogView, WorkflowSummary


class InMemoryConsoleBackend:
    def __init__(self) -> None:
        self.agents: dict[str, AgentRef] = {}
        self.conversations: dict[str, ConversationSummary] = {}
        self.workflow_items: dict[str, WorkflowSummary] = {}
        self.runs: list[RunLogView] = []
        self.replies: list[tuple[str, str, str]] = []
        self.notes: list[tuple[str, str, str]] = []
        self.calls: list[tuple[str, tuple[object, ...]]] = []
        self._called = asyncio.Event()

    # setup helpers

    def add_agent(
        self,
        agent_id: str,
        name: str,
        *,
        slack_user_id: str | None = None,
        email: str | None = None,
    ) -> AgentRef:
        agent = AgentRef(agent_id, name, slack_user_id=slack_user_id, email=email)
        self.agents[agent_id] = agent
        return agent

    def add_conversation(self, conversation: ConversationSummary) -> ConversationSummary:
        self.conversations[conversation.id] = conversation
        return conversation

    def _record(self, name: str, *args: object) -> None:
        self.calls.append((name, args))
        self._called.set()

    def called(self, name: str) -> list[tuple[object, ...]]:
        return [args for n, args in self.calls if n == name]

    async def wait_called(self, name: str, count: int = 1) -> list[tuple[object, ...]]:
        """Wait until ``name`` was called ``count`` times (listeners run after the ack)."""

        async def enough() -> list[tuple[object, ...]]:
            while len(self.called(name)) < count:
                self._called.clear()
                await self._called.wait()
            return self.called(name)

        async with asyncio.timeout(10):
            return await enough()

    def _agent(self, slack_user_id: str) -> AgentRef:
        for agent in self.agents.values():
            if agent.slack_user_id == slack_user_id:
                return agent
        raise NotFoundError(f"no agent for Slack user {slack_user_id}")

    def _conversation(self, conversation_id: str) -> ConversationSummary:
        try:
            return self.conversations[conversation_id]
        except KeyError:
            raise NotFoundError(f"conversation {conversation_id} not found") from None

    def _save(self, conversation: ConversationSummary) -> ConversationSummary:
        self.conversations[conversation.id] = conversation
        return conversation

    # ConsoleBackend

    async def resolve_agent(self, slack_user_id: str, email: str | None = None) -> AgentRef | None:
        self._record("resolve_agent", slack_user_id, email)
        for agent in self.agents.values():
            if agent.slack_user_id == slack_user_id:
                return agent
        for agent in self.agents.values():
            if email and agent.email == email:
                linked = replace(agent, slack_user_id=slack_user_id)
                self.agents[agent.id] = linked
                return linked
        return None

    async def conversation(self, conversation_id: str) -> ConversationSummary | None:
        return self.conversations.get(conversation_id)

    async def queue(self, limit: int = 20) -> list[ConversationSummary]:
        self._record("queue")
        items = [
            c
            for c in self.conversations.values()
            if c.status != "closed" and c.assignee_slack_id is None
        ]
        return items[:limit]

    async def mine(self, slack_user_id: str, limit: int = 20) -> list[ConversationSummary]:
        self._record("mine", slack_user_id)
        return [c for c in self.conversations.values() if c.assignee_slack_id == slack_user_id][
            :limit
        ]

    async def claim(self, conversation_id: str, slack_user_id: str) -> ConversationSummary:
        self._record("claim", conversation_id, slack_user_id)
        c = self._conversation(conversation_id)
        if c.status == "closed":
            raise ValidationFailed("conversation", "is closed")
        if c.assignee_slack_id not in (None, slack_user_id):
            raise ValidationFailed("conversation", "is already assigned")
        agent = self._agent(slack_user_id)
        return self._save(replace(c, assignee_slack_id=slack_user_id, assignee_name=agent.name))

    async def assign(
        self, conversation_id: str, target_slack_user_id: str, by: str
    ) -> ConversationSummary:
        self._record("assign", conversation_id, target_slack_user_id, by)
        c = self._conversation(conversation_id)
        agent = self._agent(target_slack_user_id)
        return self._save(
            replace(c, assignee_slack_id=target_slack_user_id, assignee_name=agent.name)
        )

    async def unassign(self, conversation_id: str, by: str) -> ConversationSummary:
        self._record("unassign", conversation_id, by)
        c = self._conversation(conversation_id)
        return self._save(replace(c, assignee_slack_id=None, assignee_name=None))

    async def close(self, conversation_id: str, by: str) -> ConversationSummary:
        self._record("close", conversation_id, by)
        return self._save(replace(self._conversation(conversation_id), status="closed"))

    async def reopen(self, conversation_id: str, by: str) -> ConversationSummary:
        self._record("reopen", conversation_id, by)
        return self._save(replace(self._conversation(conversation_id), status="open"))

    async def tag(self, conversation_id: str, tag: str, by: str) -> ConversationSummary:
        self._record("tag", conversation_id, tag, by)
        c = self._conversation(conversation_id)
        tags = c.tags if tag in c.tags else (*c.tags, tag)
        return self._save(replace(c, tags=tags))

    async def set_availability(self, slack_user_id: str, available: bool) -> AgentRef:
        self._record("set_availability", slack_user_id, available)
        agent = replace(self._agent(slack_user_id), available=available)
        self.agents[agent.id] = agent
        return agent

    async def workflows(self) -> list[WorkflowSummary]:
        self._record("workflows")
        return sorted(self.workflow_items.values(), key=lambda w: w.name)

    async def set_workflow_enabled(
        self, name: str, enabled: bool, by: str | None = None
    ) -> WorkflowSummary:
        self._record("set_workflow_enabled", name, enabled)
        if name not in self.workflow_items:
            raise NotFoundError(f"workflow {name} not found")
        wf = replace(self.workflow_items[name], enabled=enabled)
        self.workflow_items[name] = wf
        return wf

    async def run_logs(
        self, workflow: str | None = None, failed_only: bool = False, limit: int = 5
    ) -> list[RunLogView]:
        self._record("run_logs", workflow, failed_only, limit)
        runs = [
            r
            for r in self.runs
            if workflow in (None, r.workflow) and (not failed_only or r.status == "failed")
        ]
        return runs[:limit]

    async def agent_reply(self, conversation_id: str, slack_user_id: str, text: str) -> None:
        self._record("agent_reply", conversation_id, slack_user_id, text)
        if self._conversation(conversation_id).status == "closed":
            raise ValidationFailed("conversation", "is closed")
        self.replies.append((conversation_id, slack_user_id, text))

    async def internal_note(self, conversation_id: str, slack_user_id: str, text: str) -> None:
        self._record("internal_note", conversation_id, slack_user_id, text)
        self.notes.append((conversation_id, slack_user_id, text))
