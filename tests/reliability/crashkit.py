"""Kill a real relaybot server with SIGKILL under a steady load of signed Telegram updates.

Shared by ``tests/reliability/test_crash.py`` (10 kills) and ``bench/crash.py`` (25 kills).

The server is ``python -m bot.app.cli serve`` on a SQLite file, with the support example
workflows imported and Telegram pointed at :class:`tests.fakes.telegram.TelegramFake`,
which runs in the calling process and outlives every server. Updates go out at a steady
rate over many chats, each chat's updates in order; a request that fails or does not
answer 200 is sent again, as Telegram does. At seeded random moments the server is
killed and started again. Once every update is acknowledged the server is left to
settle and the database and the fake are checked (:mod:`tests.reliability.crash_checks`).

A *duplicate send* is one outbox item that reached the fake more than once: for each
(chat, text) pair, the ``sendMessage`` calls the fake recorded beyond the number of
``channel.send`` outbox items with that chat and text. Delivery is at least once: a
kill between a send and the record that it was done repeats that send. A kill can
interrupt as many sends as the dispatcher has under way (``RELAYBOT_DISPATCHER_WORKERS``),
so duplicates may not exceed kills x workers; with one worker (the default plan) that
is at most one repeated send per kill.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import shutil
import signal
import socket
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp

from tests.fakes.telegram import TelegramFake, message_update, signed_headers
from tests.reliability.crash_checks import CrashResult, check, settle

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples" / "workflows"
WORKFLOWS = ("support.yaml", "support-survey.yaml")
SECRET = "crash-secret"
SCRIPT = ("hello", "billing", "no", "5")
"""What each customer writes, over and over: hi, billing, nothing else, rating 5 (closes).

The topic is named, not numbered: after a restart a customer who waited in vain writes
the next line anyway, and a line that lands in the survey must not read as a low rating,
whose branch notifies Slack, which this scenario does not configure."""


@dataclass(frozen=True)
class CrashPlan:
    """How hard to push: ``messages`` updates over ``chats`` chats at ``rate`` per second."""

    messages: int = 300
    kills: int = 10
    chats: int = 50
    rate: float = 60.0
    seed: int = 8
    reply_wait: float = 2.0
    workers: int = 1
    """RELAYBOT_DISPATCHER_WORKERS: how many sends a kill can interrupt at once."""
    min_uptime: float = 0.3
    jitter: float = 0.6
    settle_limit: float = 90.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class ServerProcess:
    """``relaybot serve`` in a child process; its output is appended to ``log``."""

    def __init__(self, workdir: Path, env: dict[str, str]) -> None:
        self.workdir = workdir
        self.env = env
        self.port = 0
        self.log = workdir / "server.log"
        self._process: asyncio.subprocess.Process | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self, session: aiohttp.ClientSession, limit: float = 30.0) -> None:
        """Start and wait until ``/healthz`` answers 200."""
        self.port = free_port()
        with self.log.open("ab") as log:
            self._process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "bot.app.cli",
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                cwd=self.workdir,
                env=self.env,
                stdout=log,
                stderr=asyncio.subprocess.STDOUT,
            )
        deadline = time.monotonic() + limit
        while time.monotonic() < deadline:
            if self._process.returncode is not None:
                raise RuntimeError(f"server exited with {self._process.returncode}:\n{self.tail()}")
            with contextlib.suppress(aiohttp.ClientError, TimeoutError):
                async with session.get(f"{self.url}/healthz") as response:
                    if response.status == 200:
                        return
            await asyncio.sleep(0.05)
        raise RuntimeError(f"server not healthy after {limit}s:\n{self.tail()}")

    async def kill(self) -> None:
        """SIGKILL: no shutdown code runs."""
        assert self._process is not None
        self._process.send_signal(signal.SIGKILL)
        await self._process.wait()

    async def stop(self) -> None:
        """A graceful stop (SIGTERM), for the end of a run."""
        if self._process is None or self._process.returncode is not None:
            return
        self._process.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(self._process.wait(), 15)
        except TimeoutError:
            await self.kill()

    def tail(self, lines: int = 30) -> str:
        if not self.log.exists():
            return ""
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])


class Load:
    """Signed updates, each chat's in order, paced to a steady rate, retried until acknowledged."""

    def __init__(
        self,
        plan: CrashPlan,
        server: ServerProcess,
        session: aiohttp.ClientSession,
        fake: TelegramFake,
    ) -> None:
        self.plan = plan
        self.server = server
        self.session = session
        self.fake = fake
        self.acknowledged: set[int] = set()
        self.retries = 0
        self.progress = asyncio.Event()
        self.finished = False
        self._next_slot = 0.0
        self._slot_lock = asyncio.Lock()

    def updates(self, chat_index: int) -> list[dict[str, Any]]:
        chat_id = 10_000 + chat_index
        ids = range(chat_index + 1, self.plan.messages + 1, self.plan.chats)
        return [
            message_update(update_id, chat_id=chat_id, text=SCRIPT[n % len(SCRIPT)])
            for n, update_id in enumerate(ids)
        ]

    async def run(self) -> None:
        try:
            await asyncio.gather(*(self._chat(i) for i in range(self.plan.chats)))
        finally:
            self.finished = True
            self.progress.set()

    async def reached(self, count: int) -> None:
        """Wait until ``count`` updates are acknowledged (or the load ended)."""
        while len(self.acknowledged) < count and not self.finished:
            self.progress.clear()
            await self.progress.wait()

    async def _slot(self) -> None:
        async with self._slot_lock:
            now = time.monotonic()
            self._next_slot = max(self._next_slot + 1 / self.plan.rate, now)
            wait = self._next_slot - now
        if wait > 0:
            await asyncio.sleep(wait)  # load pacing (wall time), not business time

    async def _chat(self, chat_index: int) -> None:
        chat = str(10_000 + chat_index)
        for update in self.updates(chat_index):
            await self._slot()
            seen = self.fake.sent_to[chat]
            while not await self._post(update):
                self.retries += 1
                await asyncio.sleep(0.3)
            self.acknowledged.add(int(update["update_id"]))
            self.progress.set()
            await self._reply(chat, seen)

    async def _reply(self, chat: str, seen: int) -> None:
        """Like a customer, wait a little for the bot to answer before writing again."""
        for _ in range(int(self.plan.reply_wait / 0.05)):
            if self.fake.sent_to[chat] > seen:
                return
            await asyncio.sleep(0.05)

    async def _post(self, update: dict[str, Any]) -> bool:
        try:
            async with self.session.post(
                f"{self.server.url}/webhooks/telegram", json=update, headers=signed_headers(SECRET)
            ) as response:
                return response.status == 200
        except (aiohttp.ClientError, TimeoutError):
            return False


async def run_crash(plan: CrashPlan, workdir: Path) -> CrashResult:
    """Run the whole scenario in ``workdir`` (a fresh directory) and check the outcome."""
    result = CrashResult(messages=plan.messages, chats=plan.chats)
    database = workdir / "relaybot.db"
    workflows = workdir / "workflows"
    workflows.mkdir()
    for name in WORKFLOWS:
        shutil.copy(EXAMPLES / name, workflows / name)
    rng = random.Random(plan.seed)
    fake = TelegramFake()
    await fake.start()
    timeout = aiohttp.ClientTimeout(total=10)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        server = ServerProcess(workdir, _server_env(plan, database, workflows, fake))
        try:
            await server.start(session)
            load = Load(plan, server, session, fake)
            started = time.monotonic()
            sending = asyncio.create_task(load.run())
            restarts = await _killer(plan, rng, server, load, session)
            await sending
            result.load_seconds = round(time.monotonic() - started, 2)
            result.kills = len(restarts)
            result.duplicate_bound = result.kills * plan.workers
            result.restart_seconds_p50 = (
                round(sorted(restarts)[len(restarts) // 2], 2) if restarts else 0.0
            )
            result.acknowledged = len(load.acknowledged)
            result.retried_requests = load.retries
            started = time.monotonic()
            settled = await settle(database, fake, plan.settle_limit)
            result.settle_seconds = round(time.monotonic() - started, 2)
            if not settled:
                result.problems.append(f"not settled within {plan.settle_limit}s")
        finally:
            await server.stop()
            await fake.stop()
    check(database, fake, load.acknowledged, result)
    if result.problems:
        result.problems.append("server log tail:\n" + server.tail())
    return result


def _server_env(
    plan: CrashPlan, database: Path, workflows: Path, fake: TelegramFake
) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(
            ("RELAYBOT_", "TELEGRAM_", "TWILIO_", "SLACK_", "SMTP_", "SHOPIFY_", "STRIPE_", "AI_")
        )
    }
    env.update(
        {
            "DATABASE_URL": f"sqlite+aiosqlite:///{database}",
            "RELAYBOT_WORKFLOWS_DIR": str(workflows),
            "RELAYBOT_POLL_INTERVAL": "0.2",
            "RELAYBOT_OUTBOX_LEASE": "1",
            "RELAYBOT_DISPATCHER_WORKERS": str(plan.workers),
            "RELAYBOT_OUTBOX_BASE_BACKOFF": "0.2",
            "RELAYBOT_LOG_LEVEL": "WARNING",
            "TELEGRAM_BOT_TOKEN": fake.token,
            "TELEGRAM_WEBHOOK_SECRET": SECRET,
            "TELEGRAM_API_BASE_URL": fake.base_url,
        }
    )
    env["PYTHONPATH"] = str(ROOT)
    return env


async def _killer(
    plan: CrashPlan,
    rng: random.Random,
    server: ServerProcess,
    load: Load,
    session: aiohttp.ClientSession,
) -> list[float]:
    """Kill and restart ``plan.kills`` times at seeded random points of the load.

    Each kill waits until a random number of updates is acknowledged (5-90 % of the
    load, so every kill falls while updates still arrive), the server has been up for
    ``min_uptime``, and a further random moment of up to ``jitter`` seconds.
    """
    restarts: list[float] = []
    points = sorted(rng.sample(range(plan.messages // 20, plan.messages * 9 // 10), plan.kills))
    for point in points:
        up_since = time.monotonic()
        await load.reached(point)
        uptime = time.monotonic() - up_since
        await asyncio.sleep(max(0.0, plan.min_uptime - uptime) + rng.uniform(0, plan.jitter))
        await server.kill()
        started = time.monotonic()
        await server.start(session)
        restarts.append(time.monotonic() - started)
    return restarts
