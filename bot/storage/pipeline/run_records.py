"""Workflow run rows: reading runs as plain records, storing their new states.

Runs are read and updated through Core statements built once: an ORM update would look
through the session for copies, and ORM objects cost more to build than the query takes.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    ARRAY,
    BigInteger,
    DateTime,
    Integer,
    Text,
    and_,
    bindparam,
    func,
    select,
    text,
    update,
)
from sqlalchemy.sql import ColumnElement

from bot.core import json_codec
from bot.core.clock import Clock
from bot.storage.db import Database
from bot.storage.domain.conversation_records import ConversationRow, conversation_row
from bot.storage.models import Conversation, Message, WorkflowRun
from bot.storage.sql import execute_many, table_of
from bot.storage.uow import Tx

RUNS = table_of(WorkflowRun)


@dataclass(frozen=True, slots=True)
class RunRecord:
    """A stored run's columns the runner works with (``state`` is the stored envelope)."""

    id: int
    workflow_id: int
    version_id: int
    conversation_id: int | None
    state: dict[str, Any] | None
    lock_version: int

    @classmethod
    def of(cls, row: Any) -> RunRecord:
        """From a row of :data:`RUN_COLUMNS` or a ``WorkflowRun``."""
        return cls(
            row.id,
            row.workflow_id,
            row.version_id,
            row.conversation_id,
            row.state,
            row.lock_version,
        )


class StaleRunError(RuntimeError):
    """Another worker advanced this run first; this transition is dropped."""


def waiting_in(waiting_for: Iterable[str]) -> ColumnElement[bool]:
    """Runs of the conversations given as the ``conversation_ids`` parameter that wait for
    one of ``waiting_for`` (for statements built once)."""
    return and_(
        RUNS.c.conversation_id.in_(bindparam("conversation_ids", expanding=True)),
        RUNS.c.status == "waiting",
        RUNS.c.waiting_for.in_(list(waiting_for)),
    )


RUN_COLUMNS = (
    RUNS.c.id,
    RUNS.c.workflow_id,
    RUNS.c.version_id,
    RUNS.c.conversation_id,
    RUNS.c.state,
    RUNS.c.lock_version,
)
"""The columns of a :class:`RunRecord`, for reads of many runs that need no ORM objects."""

_RUNS_BY_ID = (
    select(*RUN_COLUMNS)
    .where(RUNS.c.id.in_(bindparam("run_ids", expanding=True)))
    .order_by(RUNS.c.id)
)
_CONVERSATIONS_OF_RUNS = (
    select(RUNS.c.id, RUNS.c.conversation_id)
    .where(RUNS.c.id.in_(bindparam("run_ids", expanding=True)))
    .order_by(RUNS.c.id)
)


@asynccontextmanager
async def run_reader(db: Database, clock: Clock) -> AsyncIterator[Tx]:
    """A transaction for reading only (commits nothing), for the reads of runs and their
    contexts outside the unit of work."""
    async with db.read() as session:
        yield Tx(session, clock.now())


async def runs_with_state(tx: Tx, run_ids: Iterable[int]) -> list[RunRecord]:
    """The runs with these ids that have a state, in id order, in one query."""
    wanted = sorted(set(run_ids))
    if not wanted:
        return []
    rows = await tx.session.execute(_RUNS_BY_ID, {"run_ids": wanted})
    return [RunRecord.of(row) for row in rows if row.state]


async def conversations_of_runs(tx: Tx, run_ids: Iterable[int]) -> list[tuple[int, int | None]]:
    """Each existing run's id and conversation id, in id order, in one query."""
    wanted = sorted(set(run_ids))
    if not wanted:
        return []
    rows = await tx.session.execute(_CONVERSATIONS_OF_RUNS, {"run_ids": wanted})
    return [(int(run_id), conversation_id) for run_id, conversation_id in rows]


async def calling_runs(tx: Tx) -> list[RunRecord]:
    """Runs a stopped process left in the middle of a call."""
    rows = await tx.session.scalars(select(WorkflowRun).where(WorkflowRun.status == "calling"))
    return [RunRecord.of(row) for row in rows]


RUN_UPDATE = (
    update(RUNS)
    .where(RUNS.c.id == bindparam("b_id"), RUNS.c.lock_version == bindparam("b_seen"))
    .values(
        {
            name: bindparam(f"v_{name}")
            for name in (
                "state",
                "status",
                "waiting_for",
                "lock_version",
                "updated_at",
                "error",
                "finished_at",
            )
        }
    )
)
"""One run's new state, if its lock version is still the one it was loaded with: rows of
``b_id``, ``b_seen`` and ``v_<column>`` for each column set."""


_PG_RUNS_UPDATE = text(
    """
    UPDATE workflow_runs AS runs
    SET state = CAST(new.state AS JSONB), status = new.status, waiting_for = new.waiting_for,
        lock_version = new.lock_version, updated_at = new.updated_at, error = new.error,
        finished_at = new.finished_at
    FROM unnest(:ids, :seen, :states, :statuses, :waiting, :versions, :updated, :errors,
                :finished)
        AS new(id, seen, state, status, waiting_for, lock_version, updated_at, error,
               finished_at)
    WHERE runs.id = new.id AND runs.lock_version = new.seen
    RETURNING runs.id
    """
).bindparams(
    bindparam("ids", type_=ARRAY(BigInteger)),
    bindparam("seen", type_=ARRAY(Integer)),
    bindparam("states", type_=ARRAY(Text)),
    bindparam("statuses", type_=ARRAY(Text)),
    bindparam("waiting", type_=ARRAY(Text)),
    bindparam("versions", type_=ARRAY(Integer)),
    bindparam("updated", type_=ARRAY(DateTime(timezone=True))),
    bindparam("errors", type_=ARRAY(Text)),
    bindparam("finished", type_=ARRAY(DateTime(timezone=True))),
)
"""PostgreSQL: :data:`RUN_UPDATE` for many runs in one statement (one column array per
parameter, the state as JSON text): the ids of the runs it changed."""


async def write_runs(tx: Tx, rows: list[dict[str, Any]]) -> None:
    """Store runs' new states (rows of :data:`RUN_UPDATE`'s parameters); StaleRunError if
    one changed meanwhile."""
    if not rows:
        return
    connection = await tx.session.connection()
    if connection.dialect.name == "postgresql":
        # asyncpg counts no executemany's rows: one statement over arrays instead of a
        # round trip per run
        result = await connection.execute(_PG_RUNS_UPDATE, _as_arrays(rows))
        written = list(result.scalars())
        if len(written) != len(rows):
            stale = sorted({row["b_id"] for row in rows} - set(written))
            raise StaleRunError(
                f"{len(rows) - len(written)} of {len(rows)} runs changed under us: {stale}"
            )
        return
    changed = await execute_many(tx.session, RUN_UPDATE, rows) or 0
    if changed != len(rows):
        raise StaleRunError(f"{len(rows) - changed} of {len(rows)} runs changed under us")


def _as_arrays(rows: list[dict[str, Any]]) -> dict[str, list[Any]]:
    """:data:`RUN_UPDATE`'s rows as :data:`_PG_RUNS_UPDATE`'s column arrays."""
    return {
        "ids": [row["b_id"] for row in rows],
        "seen": [row["b_seen"] for row in rows],
        "states": [json_codec.dumps(row["v_state"]) for row in rows],
        "statuses": [row["v_status"] for row in rows],
        "waiting": [row["v_waiting_for"] for row in rows],
        "versions": [row["v_lock_version"] for row in rows],
        "updated": [row["v_updated_at"] for row in rows],
        "errors": [row["v_error"] for row in rows],
        "finished": [row["v_finished_at"] for row in rows],
    }


_MESSAGES = table_of(Message)
_LAST_MESSAGE_IDS = (
    select(_MESSAGES.c.conversation_id, func.max(_MESSAGES.c.id))
    .where(_MESSAGES.c.conversation_id.in_(bindparam("conversation_ids", expanding=True)))
    .group_by(_MESSAGES.c.conversation_id)
)


async def newest_message_ids(tx: Tx, conversation_ids: list[int]) -> dict[int, int]:
    """The newest stored message id of each of these conversations that has one, in one
    query (none for an empty list)."""
    if not conversation_ids:
        return {}
    rows = await tx.session.execute(_LAST_MESSAGE_IDS, {"conversation_ids": conversation_ids})
    return {conversation_id: int(newest) for conversation_id, newest in rows}


async def conversation_to_reply(tx: Tx, conversation_id: int) -> ConversationRow | None:
    """The conversation a run's message goes to: the one read ahead into
    ``tx.read_ahead.conversations``, else the stored one (None if there is none)."""
    known: ConversationRow | None = tx.read_ahead.conversations.get(conversation_id)
    if known is not None:
        return known
    row = await tx.session.get(Conversation, conversation_id)
    return conversation_row(row) if row is not None else None


@contextmanager
def without_autoflush(tx: Tx) -> Iterator[None]:
    """Within the block, reads in ``tx`` do not flush pending ORM changes first (runs
    saved together write nothing through the ORM until the end)."""
    with tx.session.no_autoflush:
        yield
