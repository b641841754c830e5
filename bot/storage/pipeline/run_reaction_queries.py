"""What reactions to a conversation's events read: its waiting runs, the message that
answers one, and the agent who took the conversation."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from sqlalchemy import Select, select

from bot.storage.models import Agent, Message
from bot.storage.pipeline.run_records import RUN_COLUMNS, RUNS, RunRecord, waiting_in
from bot.storage.uow import Tx


@dataclass(frozen=True, slots=True)
class RunMessage:
    """A stored message as the runs waiting in its conversation read it."""

    id: int
    text: str | None
    payload: str | None
    extra: dict[str, Any]


@cache
def _waiting_runs(waiting_for: tuple[str, ...]) -> Select[Any]:
    return select(*RUN_COLUMNS).where(waiting_in(waiting_for)).order_by(RUNS.c.id)


async def waiting_run_records(
    tx: Tx, conversation_ids: list[int], waiting_for: tuple[str, ...]
) -> list[RunRecord]:
    """The runs of these conversations waiting for one of ``waiting_for``, oldest first,
    in one query."""
    rows = await tx.session.execute(
        _waiting_runs(waiting_for), {"conversation_ids": sorted(conversation_ids)}
    )
    return [RunRecord.of(row) for row in rows]


async def run_message(tx: Tx, message_id: int) -> RunMessage | None:
    """The stored message ``message_id``, None when there is none."""
    row = await tx.session.get(Message, message_id)
    if row is None:
        return None
    return RunMessage(row.id, row.text, row.payload, dict(row.extra or {}))


async def agent_name(tx: Tx, agent_id: int) -> str | None:
    """The agent's name, None when there is no such agent."""
    agent = await tx.session.get(Agent, agent_id)
    return agent.name if agent is not None else None
