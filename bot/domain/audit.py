"""The audit log: who changed what, when, and from where.

Every change an operator makes (signing in and out, accounts, workflows switched on or
off, agents created or changed) is recorded in the transaction that makes it, so a line
exists exactly when the change does.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from bot.storage.app import audit_records
from bot.storage.app.audit_records import AuditFilter, AuditLine
from bot.storage.uow import Tx, UnitOfWork

__all__ = ["Actor", "AuditFilter", "AuditLine", "AuditPage", "read", "record"]

ActorKind = Literal["account", "cli", "slack", "api-token"]
Source = Literal["console", "api", "cli", "slack"]

SIGN_IN_OK = "sign_in.ok"
SIGN_IN_FAILED = "sign_in.failed"
SIGN_IN_LOCKED = "sign_in.locked"
SIGN_OUT = "sign_out"
ACCOUNT_CREATED = "account.created"
ACCOUNT_ROLE_CHANGED = "account.role_changed"
ACCOUNT_DISABLED = "account.disabled"
ACCOUNT_PASSWORD_CHANGED = "account.password_changed"
WORKFLOW_ENABLED = "workflow.enabled"
WORKFLOW_DISABLED = "workflow.disabled"
AGENT_CREATED = "agent.created"
AGENT_CHANGED = "agent.changed"
WORKFLOW_ROLLED_BACK = "workflow.rolled_back"
WORKFLOW_SPLIT_PROMOTED = "workflow.split_promoted"
TEAM_CREATED = "team.created"
TEAM_CHANGED = "team.changed"
CONTACT_EXPORTED = "contact.exported"
CONTACT_ERASED = "contact.erased"
CONVERSATION_ASSIGNED = "conversation.assigned"
WORKFLOW_DRAFT_SAVED = "workflow.draft_saved"
WORKFLOW_PUBLISHED = "workflow.published"

ACTIONS = (
    SIGN_IN_OK,
    SIGN_IN_FAILED,
    SIGN_IN_LOCKED,
    SIGN_OUT,
    ACCOUNT_CREATED,
    ACCOUNT_ROLE_CHANGED,
    ACCOUNT_DISABLED,
    ACCOUNT_PASSWORD_CHANGED,
    WORKFLOW_ENABLED,
    WORKFLOW_DISABLED,
    AGENT_CREATED,
    AGENT_CHANGED,
    WORKFLOW_ROLLED_BACK,
    WORKFLOW_SPLIT_PROMOTED,
    TEAM_CREATED,
    TEAM_CHANGED,
    CONTACT_EXPORTED,
    CONTACT_ERASED,
    CONVERSATION_ASSIGNED,
    WORKFLOW_DRAFT_SAVED,
    WORKFLOW_PUBLISHED,
)
"""Every action recorded, for filters and documentation."""


@dataclass(frozen=True)
class Actor:
    """Who acts: an account's e-mail, ``cli``, a Slack user id or ``api-token``; through
    which door (``source``) and from which client address, when there is one."""

    name: str
    kind: ActorKind
    source: Source
    address: str | None = None

    @staticmethod
    def account(email: str, source: Source, address: str | None) -> Actor:
        return Actor(email, "account", source, address)

    @staticmethod
    def slack_user(user_id: str) -> Actor:
        return Actor(user_id, "slack", "slack")

    @staticmethod
    def api_token(address: str | None) -> Actor:
        return Actor("api-token", "api-token", "api", address)


CLI = Actor("cli", "cli", "cli")
"""Someone at the server's command line."""


async def record(
    tx: Tx,
    actor: Actor,
    action: str,
    target: str | None = None,
    details: dict[str, Any] | None = None,
) -> None:
    """Add a line to the audit log, stored with the rest of ``tx``."""
    await audit_records.append(
        tx,
        actor=actor.name,
        actor_kind=actor.kind,
        source=actor.source,
        action=action,
        target=target,
        details=details or {},
        client_address=actor.address,
    )


@dataclass(frozen=True)
class AuditPage:
    """One page of lines, newest first; ``next_before`` continues below the last."""

    lines: list[AuditLine]
    next_before: int | None


async def read(uow: UnitOfWork, where: AuditFilter, limit: int = 50) -> AuditPage:
    """The newest ``limit`` lines matching ``where`` and where the next page starts."""
    async with uow() as tx:
        found = await audit_records.lines(tx, where, limit + 1)
    page = found[:limit]
    more = len(found) > limit
    return AuditPage(page, page[-1].id if more and page else None)
