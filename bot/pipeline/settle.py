"""Run everything due now by hand: journaled webhooks, events, outbound items, timers (terminal chat, tests)."""

from __future__ import annotations

from bot.pipeline.services import Services


class NotSettledError(RuntimeError):
    """Work kept arriving: the system did not come to rest."""


async def settle(services: Services, rounds: int = 100) -> None:
    """Deliver events, outbound items and due timers until nothing is left to do now."""
    for _ in range(rounds):
        await services.journal_processor.drain()
        await services.events.drain()
        sent = await services.outbox.run_once()
        fired = await services.scheduler.run_once()
        if not sent and not fired and not await services.events.pending():
            return
    raise NotSettledError(f"still busy after {rounds} rounds")
