"""Persisting runs: state envelopes, log lines, and the effects each transition asks for."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from pydantic import TypeAdapter

from bot.domain.holds import Grants, Hold, LastApproval, action_key
from bot.domain.replies import queue_reply
from bot.storage.pipeline.run_context_queries import conversations_by_id
from bot.storage.pipeline.run_records import StaleRunError as StaleRunError
from bot.storage.pipeline.run_records import (
    conversation_to_reply,
    newest_message_ids,
    runs_with_state,
)
from bot.storage.pipeline.run_records import write_runs as write_runs
from bot.storage.uow import Tx
from workflows.effects import (
    Call,
    CancelTimer,
    Effect,
    Notify,
    RunAction,
    ScheduleTimer,
    SendMessage,
    Webhook,
)
from workflows.state import LogEntry, RunState, Transition

logger = logging.getLogger(__name__)

RUN_TIMER = "run.timer"
AI_REPLY = "ai.reply"
NOTIFY = "notify"
WEBHOOK = "webhook"
ASKS_CUSTOMER = ("answer", "confirmation")

Also = Callable[[Tx], Awaitable[None]]
"""More work for the transaction that stores a run's transition."""
"""What a run may wait for that the customer's next message answers."""


@dataclass
class StoredRun:
    """A run row's parts the runner works with."""

    id: int
    workflow_id: int
    version_id: int
    conversation_id: int | None
    lead_id: int | None
    state: RunState
    asked_after_message_id: int
    lock_version: int
    call: Call | None = None
    hold: Hold | None = None
    grants: Grants | None = None
    last_approval: LastApproval | None = None

    @property
    def lock_key(self) -> str:
        """The key that serializes work on this run with its conversation's."""
        return lock_key(self.conversation_id, self.lead_id, self.id)


def lock_key(conversation_id: int | None, lead_id: int | None, run_id: int | None = None) -> str:
    """Work on a conversation (else a lead, else one run) is serialized under this key."""
    if conversation_id is not None:
        return f"conversation:{conversation_id}"
    if lead_id is not None:
        return f"lead:{lead_id}"
    return f"run:{run_id}"


CALL_ADAPTER: TypeAdapter[Call] = TypeAdapter(Call)


def envelope(
    state: RunState,
    *,
    lead_id: int | None,
    asked_after: int,
    call: Call | None = None,
    hold: Hold | None = None,
    grants: Grants | None = None,
    last_approval: LastApproval | None = None,
) -> dict[str, Any]:
    """What a run row stores: the engine's state plus what the runner needs to resume."""
    return {
        "engine": state.model_dump(mode="json"),
        "lead_id": lead_id,
        "asked_after": asked_after,
        "pending_call": call.model_dump(mode="json") if call is not None else None,
        "hold": hold.model_dump(mode="json") if hold is not None else None,
        "grants": grants.model_dump(mode="json") if grants is not None else None,
        "last_approval": last_approval.model_dump(mode="json") if last_approval else None,
    }


class RunRow(Protocol):
    """What :func:`unpack` reads of a run: a stored run's record (or its ORM row)."""

    @property
    def id(self) -> int: ...
    @property
    def workflow_id(self) -> int: ...
    @property
    def version_id(self) -> int: ...
    @property
    def conversation_id(self) -> int | None: ...
    @property
    def state(self) -> dict[str, Any] | None: ...
    @property
    def lock_version(self) -> int: ...


async def load_runs(tx: Tx, run_ids: Iterable[int]) -> list[StoredRun]:
    """The runs with these ids that have a state, in id order, in one query."""
    return [unpack(record) for record in await runs_with_state(tx, run_ids)]


def pending_call(row: RunRow) -> Call | None:
    """The call a run was making when its process stopped (None if none)."""
    raw = (row.state or {}).get("pending_call")
    return CALL_ADAPTER.validate_python(raw) if raw else None


def unpack(row: RunRow) -> StoredRun:
    data = row.state or {}
    hold, grants, last = data.get("hold"), data.get("grants"), data.get("last_approval")
    return StoredRun(
        id=row.id,
        workflow_id=row.workflow_id,
        version_id=row.version_id,
        conversation_id=row.conversation_id,
        lead_id=data.get("lead_id"),
        state=RunState.model_validate(data["engine"]),
        asked_after_message_id=int(data.get("asked_after", 0)),
        lock_version=row.lock_version,
        call=pending_call(row),
        hold=Hold.model_validate(hold) if hold else None,
        grants=Grants.model_validate(grants) if grants else None,
        last_approval=LastApproval.model_validate(last) if last else None,
    )


def held(row: RunRow) -> Hold | None:
    """The hold a stored run waits on, if any."""
    raw = (row.state or {}).get("hold")
    return Hold.model_validate(raw) if raw else None


def timer_key(run_id: int, token: str) -> str:
    return f"run:{run_id}:{token}"


def log_rows(tx: Tx, entries: list[LogEntry], *, run_id: int | None, workflow_id: int) -> None:
    for entry in entries:
        tx.writes.add_run_log(
            {
                "run_id": run_id,
                "workflow_id": workflow_id,
                "kind": entry.kind,
                "step_id": entry.step_id,
                "message": entry.message,
                "data": _jsonable(entry.data),
                "duration_ms": None,
                "created_at": tx.now,
            }
        )


def add_log(
    tx: Tx,
    *,
    run_id: int | None,
    workflow_id: int,
    kind: str,
    message: str,
    step_id: str | None = None,
    data: dict[str, Any] | None = None,
    duration_ms: float | None = None,
) -> None:
    tx.writes.add_run_log(
        {
            "run_id": run_id,
            "workflow_id": workflow_id,
            "kind": kind,
            "step_id": step_id,
            "message": message,
            "data": _jsonable(data or {}),
            "duration_ms": duration_ms,
            "created_at": tx.now,
        }
    )


_PLAIN = frozenset({str, int, float, bool, type(None)})


def _jsonable(value: Any) -> Any:
    if type(value) in _PLAIN:  # most values are: answered before any isinstance
        return value
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [_jsonable(v) for v in value]
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


async def last_message_id(tx: Tx, conversation_id: int) -> int:
    """The id of the conversation's newest stored message (0 for none); read ahead by
    :func:`read_last_message_ids` when a batch asked for it."""
    if conversation_id not in tx.read_ahead.last_message_ids:
        await read_last_message_ids(tx, [conversation_id])
    return tx.read_ahead.last_message_ids.pop(conversation_id)


async def read_last_message_ids(tx: Tx, conversation_ids: Iterable[int | None]) -> None:
    """Read the newest stored message id of many conversations in one query, for
    :func:`last_message_id` to use once each."""
    wanted = sorted({i for i in conversation_ids if i is not None})
    if not wanted:
        return
    newest = await newest_message_ids(tx, wanted)
    tx.read_ahead.last_message_ids.update({i: 0 for i in wanted})
    tx.read_ahead.last_message_ids.update(newest)


async def save(
    tx: Tx, run: StoredRun, transition: Transition, *, deferred: list[dict[str, Any]] | None = None
) -> None:
    """Write the transition's state, log and effects in the caller's transaction.

    A run with a hold is stored as waiting for the hold's kind (the engine still sees the
    call under way); grants are kept only while the same action call is pending. With
    ``deferred``, the run's row update is added to that list, for :func:`write_runs` to
    store with others in one statement.
    """
    state, call = transition.state, transition.call
    if state.status != "calling":
        run.hold = None
    elif call is None:
        call = run.call  # an input the engine ignored: the call under way stays
    if run.grants is not None and not (
        isinstance(call, RunAction) and action_key(call) == run.grants.call_key
    ):
        run.grants = None
    for effect in transition.effects:
        await _apply_effect(tx, run, effect)
    asks = state.status == "waiting" and state.waiting_for == "answer"
    if (asks or (run.hold is not None and run.hold.kind == "confirmation")) and run.conversation_id:
        run.asked_after_message_id = await last_message_id(tx, run.conversation_id)
    log_rows(tx, transition.log, run_id=run.id, workflow_id=run.workflow_id)
    status: str = state.status
    waiting_for: str | None = state.waiting_for
    if run.hold is not None:
        status, waiting_for = "waiting", run.hold.kind
    row: dict[str, Any] = {
        "b_id": run.id,
        "b_seen": run.lock_version,
        "v_state": envelope(
            state,
            lead_id=run.lead_id,
            asked_after=run.asked_after_message_id,
            call=call,
            hold=run.hold,
            grants=run.grants,
            last_approval=run.last_approval,
        ),
        "v_status": status,
        "v_waiting_for": waiting_for,
        "v_lock_version": run.lock_version + 1,
        "v_updated_at": tx.now,
        "v_error": state.error,
        "v_finished_at": tx.now if state.finished else None,
    }
    if deferred is not None:
        deferred.append(row)
    else:
        await write_runs(tx, [row])
    run.lock_version += 1
    run.state = state
    run.call = call


async def load_conversations(tx: Tx, conversation_ids: Iterable[int | None]) -> None:
    """Read conversations ahead (plain rows) for the replies of the runs saved in ``tx``,
    which then find them without a read each; those already read ahead (as
    :func:`~bot.pipeline.run_context.build_contexts` leaves them) are not read again."""
    known = tx.read_ahead.conversations
    missing = {i for i in conversation_ids if i is not None} - known.keys()
    known.update(await conversations_by_id(tx, missing))


async def _apply_effect(tx: Tx, run: StoredRun, effect: Effect) -> None:
    if isinstance(effect, ScheduleTimer):
        await tx.schedule(
            RUN_TIMER,
            timer_key(run.id, effect.token),
            effect.due_at,
            {"run_id": run.id, "token": effect.token},
        )
    elif isinstance(effect, CancelTimer):
        await tx.cancel_timer(timer_key(run.id, effect.token))
    elif isinstance(effect, SendMessage):
        await _send(tx, run, effect)
    elif isinstance(effect, Notify):
        tx.writes.enqueue(
            NOTIFY,
            {"to": effect.to, "via": effect.via, "text": effect.text},
            key=f"run:{run.id}:{effect.step_id}:notify:{run.state.steps_total}",
            conversation_id=run.conversation_id,
            run_id=run.id,
            step_id=effect.step_id,
        )
    elif isinstance(effect, Webhook):
        tx.writes.enqueue(
            WEBHOOK,
            {
                "url": effect.url,
                "body": _jsonable(effect.body),
                "headers": effect.headers,
                "secret": effect.secret,
                "delivery_id": effect.delivery_id,
            },
            key=f"webhook:{effect.delivery_id}",
            conversation_id=run.conversation_id,
            run_id=run.id,
            step_id=effect.step_id,
        )
    else:
        raise TypeError(f"unknown effect {effect!r}")


async def _send(tx: Tx, run: StoredRun, effect: SendMessage) -> None:
    if run.conversation_id is None:
        add_log(
            tx,
            run_id=run.id,
            workflow_id=run.workflow_id,
            kind="error",
            step_id=effect.step_id,
            message="send_message: this run has no conversation to send to",
        )
        return
    conversation = await conversation_to_reply(tx, run.conversation_id)
    assert conversation is not None
    if effect.ai is not None:
        tx.writes.enqueue(
            AI_REPLY,
            {
                "conversation_id": conversation.id,
                "instructions": effect.ai.instructions,
                "fallback": effect.ai.fallback or effect.text,
                "choices": [c.model_dump() for c in effect.choices],
            },
            destination=f"ai:{conversation.id}",
            conversation_id=conversation.id,
            run_id=run.id,
            step_id=effect.step_id,
        )
        return
    await queue_reply(
        tx,
        conversation,
        effect.text,
        sender_kind="bot",
        choices=effect.choices,
        media_url=effect.media_url,
        template=effect.template,
        input_type=effect.input_type,
        run_id=run.id,
        step_id=effect.step_id,
    )
