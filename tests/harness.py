"""Drive the real inbox, events, runner, outbox and scheduler without a server or sleeps."""

from __future__ import annotations

import itertools
from pathlib import Path

from sqlalchemy import select

from bot.app.engine_component import build_runner
from bot.core.clock import FakeClock
from bot.core.messages import InboundMessage, SenderProfile
from bot.domain.workflow_store import import_files, workflow_files
from bot.pipeline.runner import WorkflowRunner
from bot.pipeline.services import Services
from bot.pipeline.settle import settle
from bot.storage.models import RunLog, WorkflowRun
from channels.testing import RecordingChannel

EXAMPLES = Path(__file__).resolve().parent.parent / "examples" / "workflows"


class Harness:
    """A customer on a recording channel talking to the enabled workflows."""

    def __init__(
        self, services: Services, channel: RecordingChannel, runner: WorkflowRunner
    ) -> None:
        self.services = services
        self.channel = channel
        self.runner = runner
        clock = services.clock
        assert isinstance(clock, FakeClock)
        self.clock = clock
        self._ids = itertools.count(1)

    @classmethod
    async def start(
        cls, services: Services, *workflow_paths: Path, channel: str = "test"
    ) -> Harness:
        recording = RecordingChannel(channel)
        services.add_channel(recording)
        from bot.pipeline.delivery import ChannelSender

        ChannelSender(services).register()
        runner = build_runner(services)
        if workflow_paths:
            await import_files(services.uow, workflow_files([str(p) for p in workflow_paths]))
        await runner.catalog.refresh()
        services.events.interest.seal()  # as the app's event loop does once every part subscribed
        return cls(services, recording, runner)

    async def say(
        self,
        text: str | None = None,
        *,
        payload: str | None = None,
        chat: str = "c1",
        name: str = "Ada",
    ) -> None:
        """The customer writes (or presses a button); everything it causes runs."""
        message = InboundMessage(
            channel=self.channel.name,
            external_conversation_id=chat,
            external_message_id=f"m{next(self._ids)}",
            sender=SenderProfile(external_id=chat, name=name),
            kind="button" if payload else "text",
            text=text,
            payload=payload,
        )
        await self.services.inbox.receive(message)
        await self.settle()

    async def settle(self) -> None:
        """Deliver events, outbound items and due timers until nothing is left to do now."""
        await settle(self.services)

    def replies(self, chat: str | None = None) -> list[str]:
        return self.channel.texts(chat)

    def take(self) -> list[str]:
        """Replies since the last take."""
        texts = [m.text for m in self.channel.sent]
        new = texts[getattr(self, "_taken", 0) :]
        self._taken = len(texts)
        return new

    async def runs(self) -> list[WorkflowRun]:
        async with self.services.db.session() as session:
            return list(await session.scalars(select(WorkflowRun).order_by(WorkflowRun.id)))

    async def logs(self, run_id: int | None = None) -> list[RunLog]:
        async with self.services.db.session() as session:
            query = select(RunLog).order_by(RunLog.id)
            if run_id is not None:
                query = query.where(RunLog.run_id == run_id)
            return list(await session.scalars(query))
