"""What happens in a conversation to the runs waiting in it.

A customer's message answers the question a run asked (or the confirmation a hold
asked for); an agent taking the conversation resumes runs waiting for an assignment
and ends open questions, as an agent's reply does; a message that could not be
delivered ends the question it carried. The runner calls these with the
conversation's lock held.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from typing import Protocol

from bot.domain.replies import MESSAGE_SENT
from bot.pipeline.events import DomainEvent
from bot.pipeline.run_holds import HoldKeeper
from bot.pipeline.run_store import StoredRun, unpack
from bot.pipeline.services import Services
from bot.storage.pipeline.run_reaction_queries import (
    RunMessage,
    agent_name,
    run_message,
    waiting_run_records,
)
from bot.storage.pipeline.run_records import run_reader
from bot.storage.uow import Tx
from workflows.event_names import EventType
from workflows.inputs import Answer, Assigned, DeliveryFailed, HumanTookOver, RunInput


async def waiting_runs(
    services: Services, conversation_id: int, *waiting_for: str
) -> list[StoredRun]:
    """The conversation's runs waiting for one of ``waiting_for``, oldest first."""
    return (await waiting_runs_of(services, [conversation_id], *waiting_for)).get(
        conversation_id, []
    )


async def waiting_runs_of(
    services: Services, conversation_ids: list[int], *waiting_for: str
) -> dict[int, list[StoredRun]]:
    """:func:`waiting_runs` for several conversations, in one query."""
    async with run_reader(services.db, services.clock) as reader:
        return await waiting_runs_in(reader, conversation_ids, *waiting_for)


async def waiting_runs_in(
    tx: Tx, conversation_ids: Iterable[int], *waiting_for: str
) -> dict[int, list[StoredRun]]:
    """The runs of these conversations waiting for one of ``waiting_for``, oldest first, by
    conversation, read in ``tx`` in one query (none asked: no query)."""
    wanted = list(set(conversation_ids))
    if not wanted:
        return {}
    records = await waiting_run_records(tx, wanted, waiting_for)
    found: dict[int, list[StoredRun]] = {}
    for record in records:
        found.setdefault(int(record.conversation_id or 0), []).append(unpack(record))
    return found


class ReactionDriver(Protocol):
    """What reacting to a conversation's events needs of the runner that drives its runs."""

    services: Services
    holds: HoldKeeper

    async def load(self, run_id: int) -> StoredRun | None: ...

    async def with_run(self, run_id: int, work: Callable[[StoredRun], Awaitable[None]]) -> None: ...

    async def resume(self, run_id: int, run_input: RunInput, *, locked: bool = False) -> None: ...


class RunReactions:
    """Feeds a conversation's events and failed deliveries to its waiting runs."""

    def __init__(self, runner: ReactionDriver) -> None:
        self.runner = runner
        self.services = runner.services

    async def on_event(self, event: DomainEvent) -> None:
        """React to ``event`` (the caller holds the conversation's lock). A customer's
        message goes to the runs waiting for it through :meth:`answer`."""
        if event.conversation_id is None:
            return
        if event.type == EventType.CONVERSATION_ASSIGNED and not str(
            event.data.get("by", "")
        ).startswith("workflow:"):
            await self._human_assigned(event)
        elif event.type == MESSAGE_SENT and event.data.get("sender_kind") == "agent":
            await self._stop_questions(event.conversation_id, "an agent replied")

    async def on_delivery_failed(
        self, message_id: int, conversation_id: int | None, reason: str
    ) -> None:
        """A message that could not be delivered ends the question or confirmation it carried."""
        async with self.services.uow() as tx:
            message = await run_message(tx, message_id)
            extra = message.extra if message is not None else {}
        run_id, step_id = extra.get("run_id"), extra.get("step_id")
        if run_id is None:
            return
        run = await self.runner.load(int(run_id))
        if run is None or run.state.cursor != step_id:
            return
        if run.hold is not None and run.hold.kind == "confirmation":
            await self.runner.with_run(
                run.id, lambda held: self._undelivered(held, step_id, reason)
            )
        elif run.state.waiting_for == "answer":
            await self.runner.resume(run.id, DeliveryFailed(reason=reason))

    async def _undelivered(self, run: StoredRun, step_id: str | None, reason: str) -> None:
        if run.hold is not None and run.hold.kind == "confirmation" and run.state.cursor == step_id:
            await self.runner.holds.undelivered(run, reason)

    async def answer(self, run: StoredRun, message: RunMessage) -> None:
        """Give the customer's ``message`` to ``run``, which waits for their answer (the
        caller holds the conversation's lock)."""
        if run.hold is not None:
            await self.runner.holds.answer(run, message)
            return
        answer = Answer(text=message.text, payload=message.payload, message_id=str(message.id))
        await self.runner.resume(run.id, answer, locked=True)

    async def _human_assigned(self, event: DomainEvent) -> None:
        assert event.conversation_id is not None
        agent = await self._agent_name(event.data.get("agent_id"))
        for run in await waiting_runs(self.services, event.conversation_id, "assignment"):
            await self.runner.resume(run.id, Assigned(agent=agent), locked=True)
        await self._stop_questions(event.conversation_id, "an agent took the conversation")

    async def _agent_name(self, agent_id: int | str | None) -> str:
        """Who accepted an offer, as assign_to names them (the agent's name, else the id)."""
        async with self.services.uow() as tx:
            name = await agent_name(tx, int(agent_id)) if agent_id is not None else None
        return name if name is not None else str(agent_id)

    async def _stop_questions(self, conversation_id: int, reason: str) -> None:
        for run in await waiting_runs(self.services, conversation_id, "answer"):
            await self.runner.resume(run.id, HumanTookOver(reason=reason), locked=True)
