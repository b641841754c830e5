"""The runner's side of holds (see :mod:`bot.domain.holds`): ask, wait, then clear or decline.

Confirmation: the customer gets the question with Yes / No buttons, and their next message
answers it. Three unclear answers, an undeliverable question, or the time limit decline.
Approval (:mod:`bot.pipeline.run_approvals`): the Slack console posts Approve / Reject and records
the decision; without the console (Slack not configured) approval is not possible and the
step is declined at once.

Everything is stored with the run (the hold, its timer, the grants given so far), so a
restart loses nothing, and a re-call after a grant or a crash uses the same idempotency key.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any, Protocol

from bot.domain.catalog import Catalog
from bot.domain.holds import (
    APPROVAL,
    HOLD_TIMER,
    MAX_ATTEMPTS,
    YES_NO,
    Decision,
    Grants,
    Hold,
    Requested,
    action_key,
    declined,
    grant,
    new_hold,
    question_text,
    yes_or_no,
)
from bot.domain.replies import queue_reply
from bot.pipeline.run_approvals import ApprovalKeeper, request_approval
from bot.pipeline.run_store import Also, StoredRun, add_log, save, timer_key
from bot.pipeline.scheduler import DueTimer
from bot.pipeline.services import Services
from bot.storage.pipeline.run_reaction_queries import RunMessage
from bot.storage.pipeline.run_records import conversation_to_reply
from bot.storage.uow import Tx
from workflows import engine
from workflows.effects import RunAction
from workflows.inputs import CallResult
from workflows.schema import Workflow
from workflows.state import Transition

logger = logging.getLogger(__name__)

WHO = {"confirmation": "the customer's confirmation", "approval": "an agent's approval"}


class HoldDriver(Protocol):
    """What holds need of the runner that drives the runs they hold."""

    services: Services
    catalog: Catalog

    async def context(self, run: StoredRun) -> dict[str, Any]: ...

    async def drive(
        self,
        run: StoredRun,
        definition: Workflow,
        transition: Transition,
        *,
        resumed: bool = False,
        also: Also | None = None,
    ) -> None: ...

    async def with_run(self, run_id: int, work: Callable[[StoredRun], Awaitable[None]]) -> None: ...


class HoldKeeper:
    """Starts holds for the runner and ends them on answers, decisions, timers and failures."""

    def __init__(self, runner: HoldDriver) -> None:
        self.runner = runner
        self.services = runner.services
        self.approvals = ApprovalKeeper(self)

    async def with_run(self, run_id: int, work: Callable[[StoredRun], Awaitable[None]]) -> None:
        """Run ``work`` on the freshly loaded run, serialized with its conversation."""
        await self.runner.with_run(run_id, work)

    # ------------------------------------------------------------------ starting

    async def begin(
        self, run: StoredRun, call: RunAction, request: Requested, result: CallResult
    ) -> CallResult | None:
        """Hold ``call`` (None: the run now waits), or the decline when asking is not possible."""
        key = action_key(call)
        if (
            run.grants is not None
            and run.grants.call_key == key
            and (request.context_key in run.grants.records)
        ):
            return declined(
                request.kind,
                request.summary,
                "unavailable",
                f"{call.action} asked again for {WHO[request.kind]} it was given",
            )
        if request.kind == "approval" and not self.services.outbox.handles(APPROVAL):
            return declined(
                "approval",
                request.summary,
                "unavailable",
                f"{request.summary} needs an agent's approval, which is not possible: "
                "Slack is not configured",
            )
        if request.kind == "confirmation" and run.conversation_id is None:
            return declined(
                "confirmation",
                request.summary,
                "unavailable",
                f"{request.summary} needs the customer's confirmation, but the run has no conversation",
            )
        token = f"{request.kind}:{run.state.steps_total}"
        due_at = self.services.clock.now() + timedelta(seconds=request.timeout_s)
        hold = new_hold(request, result.data["pending"], key=key, token=token, due_at=due_at)
        run.hold = hold
        async with self.services.uow() as tx:
            await tx.schedule(
                HOLD_TIMER, timer_key(run.id, token), due_at, {"run_id": run.id, "token": token}
            )
            if hold.kind == "confirmation":
                await self._ask(tx, run, question_text(hold))
            else:
                request_approval(tx, run, hold)
            add_log(
                tx,
                run_id=run.id,
                workflow_id=run.workflow_id,
                kind="call",
                step_id=call.step_id,
                message=f"{call.kind}: waiting for {WHO[hold.kind]}",
                data={"summary": hold.summary, "due_at": due_at, "details": hold.details},
            )
            await save(tx, run, Transition(state=run.state, call=call))
        return None

    async def _ask(self, tx: Tx, run: StoredRun, text: str) -> None:
        assert run.conversation_id is not None
        conversation = await conversation_to_reply(tx, run.conversation_id)
        assert conversation is not None
        await queue_reply(
            tx,
            conversation,
            text,
            sender_kind="bot",
            choices=YES_NO,
            input_type="yes_no",
            run_id=run.id,
            step_id=run.state.cursor,
        )

    # ------------------------------------------------------------------ confirmation

    async def answer(self, run: StoredRun, message: RunMessage) -> None:
        """The customer wrote while the run waits for their confirmation (under the run's lock)."""
        hold = run.hold
        assert hold is not None
        said = yes_or_no(message.text, message.payload)
        if said is True:
            await self.clear(
                run, hold, by="customer", note=f"{hold.summary}: the customer confirmed"
            )
            return
        if said is False:
            await self.decline(run, hold, "no", "the customer said no")
            return
        hold.attempts += 1
        if hold.attempts >= MAX_ATTEMPTS:
            await self.decline(run, hold, "unclear", "no clear yes or no from the customer")
            return
        async with self.services.uow() as tx:
            await self._ask(tx, run, f"Please answer yes or no. {question_text(hold)}")
            add_log(
                tx,
                run_id=run.id,
                workflow_id=run.workflow_id,
                kind="info",
                step_id=run.state.cursor,
                message="confirmation: answer was not yes or no, asked again",
                data={"answer": message.text or message.payload, "attempt": hold.attempts},
            )
            await save(tx, run, Transition(state=run.state, call=run.call))

    async def undelivered(self, run: StoredRun, reason: str) -> None:
        """The confirmation question could not be delivered (under the run's lock)."""
        assert run.hold is not None
        await self.decline(
            run, run.hold, "undelivered", f"the question could not be delivered: {reason}"
        )

    # ------------------------------------------------------------------ time limit

    async def on_timer(self, timer: DueTimer) -> None:
        """A hold's time limit."""
        token = str(timer.payload.get("token"))

        async def expire(run: StoredRun) -> None:
            hold = run.hold
            if hold is None or hold.token != token:
                return
            if hold.kind == "approval":
                await self.approvals.expire(run, hold)
                return
            await self.decline(run, hold, "timeout", "no answer from the customer in time")

        await self.runner.with_run(int(timer.payload["run_id"]), expire)

    # ------------------------------------------------------------------ ending

    async def clear(
        self, run: StoredRun, hold: Hold, *, by: str, note: str, also: Also | None = None
    ) -> None:
        """Store the grant and call the action again (same call, same idempotency key)."""
        call = run.call
        assert isinstance(call, RunAction)
        grants = run.grants if run.grants and run.grants.call_key == hold.key else None
        grants = grants or Grants(call_key=hold.key)
        grants.records[hold.context_key] = grant(hold, by=by)
        run.grants, run.hold = grants, None
        definition = await self.runner.catalog.version(run.version_id)

        async def cleared(tx: Tx) -> None:
            await tx.cancel_timer(timer_key(run.id, hold.token))
            add_log(
                tx,
                run_id=run.id,
                workflow_id=run.workflow_id,
                kind="info",
                step_id=run.state.cursor,
                message=note,
                data={"by": by},
            )
            if also is not None:
                await also(tx)

        await self.runner.drive(
            run, definition, Transition(state=run.state, call=call), also=cleared
        )

    async def decline(
        self,
        run: StoredRun,
        hold: Hold,
        decision: Decision,
        reason: str,
        *,
        by: str | None = None,
        also: Also | None = None,
    ) -> None:
        """The step takes ``declined``, with the reason in the run log."""
        definition = await self.runner.catalog.version(run.version_id)
        ctx = await self.runner.context(run)
        step_id = run.state.cursor
        result = declined(hold.kind, hold.summary, decision, reason, by)
        transition = engine.advance(definition, run.state, result, ctx, self.services.clock.now())
        run.hold = None

        async def ended(tx: Tx) -> None:
            await tx.cancel_timer(timer_key(run.id, hold.token))
            add_log(
                tx,
                run_id=run.id,
                workflow_id=run.workflow_id,
                kind="info",
                step_id=step_id,
                message=f"{hold.summary}: {reason}",
                data={"decision": decision, "by": by},
            )
            if also is not None:
                await also(tx)

        await self.runner.drive(run, definition, transition, also=ended)
