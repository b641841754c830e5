"""Which process takes which work: a terminal chat keeps its conversations' work.

``relaybot chat`` talks through the ``console`` channel, which exists only in its own
process. The events, outbound items and timers of console conversations are therefore
claimed by the chat process alone (:attr:`ClaimScope.TERMINAL`); every other process
(:attr:`ClaimScope.SERVER`, the default) leaves them, so a server on the same database
neither runs a terminal customer's workflows nor fails their messages for want of the
channel. Timers belong to a conversation through the run named by their ``run_id``.
"""

from __future__ import annotations

from enum import Enum
from typing import Any

from sqlalchemy import BigInteger, ColumnElement, SQLColumnExpression, cast, or_, select

from bot.storage.models import Conversation, Timer, WorkflowRun

CONSOLE_CHANNEL = "console"


class ClaimScope(Enum):
    """The part of the work a process claims."""

    SERVER = "server"
    """Everything but the console conversations' work."""
    TERMINAL = "terminal"
    """Only the console conversations' work."""


def _console_conversations() -> ColumnElement[bool]:
    return Conversation.channel == CONSOLE_CHANNEL


def of_conversation(
    conversation_id: SQLColumnExpression[Any], scope: ClaimScope
) -> ColumnElement[bool]:
    """Rows with this ``conversation_id`` column that ``scope`` takes (no conversation: the server's)."""
    console = select(Conversation.id).where(_console_conversations())
    if scope is ClaimScope.TERMINAL:
        return conversation_id.in_(console)
    return or_(conversation_id.is_(None), conversation_id.not_in(console))


def timers_in(scope: ClaimScope) -> ColumnElement[bool]:
    """Timers that ``scope`` takes: those of runs on console conversations are the terminal's."""
    run_id = cast(Timer.payload["run_id"].as_string(), BigInteger)
    console_runs = (
        select(WorkflowRun.id)
        .join(Conversation, Conversation.id == WorkflowRun.conversation_id)
        .where(_console_conversations())
    )
    if scope is ClaimScope.TERMINAL:
        return run_id.in_(console_runs)
    return or_(run_id.is_(None), run_id.not_in(console_runs))
