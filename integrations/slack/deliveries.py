"""Outbox handlers for Slack: ``slack.dm``, ``slack.post`` and ``slack.thread``.

Slack failures arrive here already mapped to :mod:`bot.core.errors` (see
:mod:`integrations.slack.senders`), so a 429 holds its channel back for its Retry-After.
Each kind is paced per channel; mirror lines of one thread that wait together go out in
one post (:func:`thread_lines`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from bot.core.errors import (
    ConfigError,
    NotFoundError,
    PermanentDeliveryError,
    RetryableDeliveryError,
)
from bot.domain.thread_outbox import THREAD_KIND
from bot.pipeline.notify import SLACK_DM, SLACK_POST
from bot.pipeline.outbox import Outbox
from bot.storage.pipeline.outbox_items import Delivery
from integrations.slack import senders
from integrations.slack.blocks import conversation_title, offer_dm
from integrations.slack.console import SlackConsole
from integrations.slack.ports import ConversationSummary

ConsoleGetter = Callable[[], SlackConsole | None]
MAX_LINES = 40
"""Mirror lines one post carries at most (Slack takes up to 50 blocks a message)."""


def thread_lines(first: Delivery, later: Sequence[Delivery]) -> list[Delivery]:
    """The outbox ``merge`` of ``slack.thread``: when ``first`` mirrors a line into a
    thread, the later queued lines of the same thread go with it, in order (the thread's
    order is kept; other threads' items of the channel keep theirs)."""
    if first.payload.get("op") != "post":
        return []
    conversation = first.payload.get("conversation_id")
    same_thread = [
        d
        for d in later
        if d.kind == THREAD_KIND
        and d.payload.get("op") == "post"
        and d.payload.get("conversation_id") == conversation
    ]
    return same_thread[: MAX_LINES - 1]


def started_console(console: ConsoleGetter) -> SlackConsole:
    """The console built at startup; until then, a retryable delivery error."""
    built = console()
    if built is None:
        raise RetryableDeliveryError("slack: the console is not started yet")
    return built


class SlackDeliveries:
    """Delivers queued Slack work with the console built at startup."""

    def __init__(self, console: ConsoleGetter) -> None:
        self._console = console

    def register(self, outbox: Outbox, *, pace_seconds: float = 1.0) -> None:
        outbox.register(SLACK_DM, self.dm, min_interval=pace_seconds)
        outbox.register(SLACK_POST, self.post, min_interval=pace_seconds)
        outbox.register(THREAD_KIND, self.thread, min_interval=pace_seconds, merge=thread_lines)

    @property
    def console(self) -> SlackConsole:
        return started_console(self._console)

    async def dm(self, delivery: Delivery) -> None:
        p = delivery.payload
        await senders.send_dm(self.console.client, str(p["user"]), str(p["text"]), p.get("blocks"))

    async def post(self, delivery: Delivery) -> None:
        p = delivery.payload
        await senders.post_message(
            self.console.client, str(p["channel"]), str(p["text"]), p.get("blocks")
        )

    async def thread(self, delivery: Delivery) -> None:
        try:
            await self._thread(delivery)
        except (ConfigError, NotFoundError) as exc:
            raise PermanentDeliveryError(f"slack: {exc}") from exc

    async def _thread(self, delivery: Delivery) -> None:
        p = delivery.payload
        console, op, conversation_id = self.console, str(p["op"]), str(p["conversation_id"])
        if op == "post":
            lines = [
                (str(d.payload["sender"]), str(d.payload["text"]))
                for d in (delivery, *delivery.merged)
            ]
            await console.threads.post_lines(conversation_id, lines)
            return
        summary = await self._summary(console, conversation_id)
        if op == "open":
            channel = p.get("channel")
            await console.threads.open_thread(summary, str(channel) if channel else None)
        elif op == "header":
            await console.threads.update_header(summary)
        elif op == "assigned":
            if summary.assignee_slack_id == p.get("user"):  # else: reassigned meanwhile
                await console.notify_assignment(summary)
        elif op == "offer":
            if summary.assignee_slack_id is None and summary.status != "closed":
                url = await console.threads.thread_url(conversation_id)
                text = f"{conversation_title(summary)} is offered to you"
                await senders.send_dm(console.client, str(p["user"]), text, offer_dm(summary, url))
        else:
            raise PermanentDeliveryError(f"slack: unknown thread operation {op!r}")

    @staticmethod
    async def _summary(console: SlackConsole, conversation_id: str) -> ConversationSummary:
        summary = await console.backend.conversation(conversation_id)
        if summary is None:
            raise NotFoundError(f"conversation {conversation_id} not found")
        return summary
