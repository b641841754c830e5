"""What the Slack console needs from the rest of relaybot, and the shapes it gets back
(plain values of :mod:`bot.core.console_views`).

The console never touches storage or the engine directly: it talks to a
:class:`ConsoleBackend` and keeps its thread bookkeeping in a
:class:`ThreadRegistry`. Both are protocols so the storage-backed versions and
the in-memory test twins are interchangeable.

Backends signal refusals with :mod:`bot.core.errors`: ``NotFoundError`` for an
unknown conversation, workflow or agent, ``ValidationFailed`` for an action that
is not allowed in the current state (claiming a closed conversation, ...).
"""

from __future__ import annotations

from typing import Protocol

from bot.core.console_views import (
    AgentRef,
    ConditionCheck,
    ConversationStatus,
    ConversationSummary,
    RunLogView,
    RunStatus,
    SlackRequest,
    StepLog,
    ThreadRef,
    Verdict,
    WorkflowSummary,
)

__all__ = [
    "AgentRef",
    "ApprovalDesk",
    "ConditionCheck",
    "ConsoleBackend",
    "ConversationStatus",
    "ConversationSummary",
    "ReceiptStore",
    "RunLogView",
    "RunStatus",
    "SlackRequest",
    "StepLog",
    "ThreadRef",
    "ThreadRegistry",
    "Verdict",
    "WorkflowSummary",
]


class ConsoleBackend(Protocol):
    """The domain operations the Slack console drives. Agents are named by Slack user id."""

    async def resolve_agent(self, slack_user_id: str, email: str | None = None) -> AgentRef | None:
        """The agent behind a Slack user: by Slack id, else by ``email`` (then remember the id)."""
        ...

    async def conversation(self, conversation_id: str) -> ConversationSummary | None: ...

    async def queue(self, limit: int = 20) -> list[ConversationSummary]:
        """Open conversations nobody is assigned to, oldest first."""
        ...

    async def mine(self, slack_user_id: str, limit: int = 20) -> list[ConversationSummary]: ...

    async def claim(self, conversation_id: str, slack_user_id: str) -> ConversationSummary: ...

    async def assign(
        self, conversation_id: str, target_slack_user_id: str, by: str
    ) -> ConversationSummary: ...

    async def unassign(self, conversation_id: str, by: str) -> ConversationSummary: ...

    async def close(self, conversation_id: str, by: str) -> ConversationSummary: ...

    async def reopen(self, conversation_id: str, by: str) -> ConversationSummary: ...

    async def tag(self, conversation_id: str, tag: str, by: str) -> ConversationSummary: ...

    async def set_availability(self, slack_user_id: str, available: bool) -> AgentRef: ...

    async def workflows(self) -> list[WorkflowSummary]: ...

    async def set_workflow_enabled(
        self, name: str, enabled: bool, by: str | None = None
    ) -> WorkflowSummary:
        """Switch a workflow on or off; ``by`` (a Slack user id) is written to the audit log."""
        ...

    async def run_logs(
        self, workflow: str | None = None, failed_only: bool = False, limit: int = 5
    ) -> list[RunLogView]: ...

    async def agent_reply(self, conversation_id: str, slack_user_id: str, text: str) -> None:
        """Relay an agent's thread reply to the customer on their channel."""
        ...

    async def internal_note(self, conversation_id: str, slack_user_id: str, text: str) -> None:
        """Store a note agents see and the customer never does."""
        ...


class ApprovalDesk(Protocol):
    """Records decisions on approval requests (the runner acts on them)."""

    async def decide(
        self,
        run_id: int,
        key: str,
        *,
        approve: bool,
        slack_user_id: str,
        agent_name: str,
        where: tuple[str, str] | None = None,
    ) -> Verdict:
        """Record the first decision on an open request; later ones change nothing."""
        ...


class ThreadRegistry(Protocol):
    """Conversation id <-> Slack thread, in both directions."""

    async def get(self, conversation_id: str) -> ThreadRef | None: ...

    async def find(self, channel: str, thread_ts: str) -> str | None:
        """The conversation id whose thread is ``(channel, thread_ts)``."""
        ...

    async def save(self, conversation_id: str, ref: ThreadRef) -> None: ...


class ReceiptStore(Protocol):
    """Where Slack requests are committed before they are acknowledged.

    Every method raises when the store cannot be reached; the caller answers Slack
    with an error so that it sends the request again.
    """

    async def store(self, request: SlackRequest) -> bool:
        """Commit ``request``, claimed by this process; False when its key is already known."""
        ...

    async def done(self, key: str) -> None:
        """The request's work is done."""
        ...

    async def failed(self, key: str, error: str, *, give_up: bool) -> None:
        """The work failed: try again later, or (``give_up``) set it aside with ``error``."""
        ...

    async def claim_due(self, limit: int) -> list[SlackRequest]:
        """Claim requests whose work is not done and whose last claim has run out."""
        ...

    async def prune(self) -> int:
        """Forget requests done long ago (Slack no longer repeats them); how many."""
        ...
