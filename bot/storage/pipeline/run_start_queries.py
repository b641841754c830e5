"""Starting runs: run rows inserted many at once."""

from __future__ import annotations

from functools import cache
from typing import Any

from bot.storage.pipeline.run_records import RUNS
from bot.storage.sql import dialect_insert
from bot.storage.uow import Tx


async def insert_run_rows(tx: Tx, rows: list[dict[str, Any]]) -> dict[tuple[int, str], int]:
    """Insert run rows (every column but ``id``) in one statement, skipping those whose
    workflow has a run for the trigger key already; the new ids by (workflow id, trigger key)."""
    if not rows:
        return {}
    connection = await tx.session.connection()
    # executed with many parameter sets, the statement is compiled once and sent as one
    # multi-row INSERT (SQLAlchemy's "insertmanyvalues"); the rows come back in any order
    result = await connection.execute(_run_insert(connection.dialect.name), rows)
    return {(w, k): i for i, w, k in result.all()}


@cache
def _run_insert(dialect: str) -> Any:
    """INSERT a run unless its workflow already has one for the trigger key; returns it."""
    return (
        dialect_insert(dialect, RUNS)
        .on_conflict_do_nothing(index_elements=["workflow_id", "trigger_key"])
        .returning(RUNS.c.id, RUNS.c.workflow_id, RUNS.c.trigger_key)
    )
