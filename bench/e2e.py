"""End to end: a signed Telegram update in, the support flow's greeting and question out at a fake Bot API.

    .venv/bin/python bench/e2e.py --messages 2000                       # SQLite, one process
    .venv/bin/python bench/e2e.py --messages 2000 --rate 500            # latency at a fixed rate
    .venv/bin/python bench/e2e.py --db postgres --processes 2 --messages 2000
    .venv/bin/python bench/e2e.py --slack --messages 500 --wait 1200   # with the Slack console

Starts N real ``relaybot serve`` processes (free ports; PostgreSQL for N > 1) with only
``support.yaml`` (and the survey it calls) imported, and a lean fake Telegram Bot API in
this process. Each message opens a new chat, so each one starts the support flow, which
sends a greeting and then asks a question: a user is answered when both have arrived at
the fake. Latency is webhook sent -> question received. Messages are spread round-robin
over the processes. The servers' CPU time (from ``/proc``) is reported per message.

Unless ``--no-bare``, the same load then drives ``relay_server.py`` (the same webhook in
and the same two sends out, with no database or workflow: the machine's ceiling) in the
same invocation, and the JSON holds both and ``ratio_to_bare``. ``--bare`` drives only
that. Prints JSON.

``--slack`` runs the same load with the Slack console on (one inbox channel) against a
fake Slack Web API in this process (``fake_slack.py``), which answers 429 with
``Retry-After`` when a channel gets more than one post a second, and then the same load
without Slack, in the same invocation: the JSON holds the customer sends' figures of
both and ``ratio_to_no_slack``. Each conversation gets a thread header and three mirror
lines (the customer's message, the greeting, the question); the bench waits (bounded by
``--wait`` after the last webhook) until every line is posted and reports how many were,
when the last one was (seconds from the first webhook) and whether all were.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
from aiohttp import web
from fake_slack import FakeSlack
from serving import LocalApp, free_port

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "123456:BENCH-token"
SECRET = "bench-secret"
GREETING = "Hi "
QUESTION = "What can I help"
DEFAULT_POSTGRES = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
FIRST_CHAT = 10_000_000
MIRROR_LINES = 3
"""Mirror lines per conversation: the customer's message, the greeting, the question."""


class FakeTelegram(LocalApp):
    """The few Bot API methods the support flow calls; records when each greeting and
    each question arrived, per chat."""

    def __init__(self) -> None:
        super().__init__()
        self.greetings: dict[int, list[float]] = {}
        self.questions: dict[int, list[float]] = {}
        self.calls = 0
        self.arrived = asyncio.Event()
        self._ids = itertools.count(1)

    def routes(self, app: web.Application) -> None:
        app.router.add_route("*", "/bot{token}/{method}", self._handle)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/bot"

    async def _handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        if method == "getMe":
            return _ok(
                {"id": 123456, "is_bot": True, "first_name": "Relay", "username": "relay_bot"}
            )
        if method != "sendMessage":
            return _ok(True)
        if request.content_type == "application/json":
            args: dict[str, Any] = await request.json()
        else:
            args = dict(await request.post())
        chat_id, text = int(args.get("chat_id", 0)), str(args.get("text", ""))
        self.calls += 1
        if text.startswith(GREETING):
            self.greetings.setdefault(chat_id, []).append(time.perf_counter())
        elif text.startswith(QUESTION):
            self.questions.setdefault(chat_id, []).append(time.perf_counter())
            self.arrived.set()
        return _ok(
            {
                "message_id": next(self._ids),
                "date": 1767603600,
                "text": text,
                "chat": {"id": chat_id, "type": "private"},
                "from": {"id": 123456, "is_bot": True, "first_name": "Relay"},
            }
        )


def _ok(result: Any) -> web.Response:
    return web.json_response({"ok": True, "result": result})


def update(update_id: int, chat_id: int) -> dict[str, Any]:
    """A private text message from a new user, as Telegram posts it."""
    sender = {"id": chat_id, "is_bot": False, "first_name": "Ada", "last_name": "Lovelace"}
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "date": 1767603600,
            "text": "hello",
            "chat": {"id": chat_id, "type": "private", "first_name": "Ada"},
            "from": sender,
        },
    }


@contextlib.contextmanager
def workflows_folder() -> Iterator[Path]:
    with tempfile.TemporaryDirectory() as tmp:
        for name in ("support.yaml", "support-survey.yaml"):
            shutil.copy(ROOT / "examples" / "workflows" / name, Path(tmp) / name)
        yield Path(tmp)


@contextlib.asynccontextmanager
async def database(
    kind: str, postgres_url: str, tmp: Path, bare: bool = False
) -> AsyncIterator[str]:
    """A fresh, migrated database URL (a temporary PostgreSQL database is dropped after);
    none for the ``bare`` relay."""
    if bare:
        yield ""
        return
    if kind == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp / 'bench.db'}"
        _migrate(url)
        yield url
        return
    name = f"relaybot_bench_{uuid.uuid4().hex[:10]}"
    dsn = postgres_url.replace("postgresql+asyncpg://", "postgresql://")
    conn = await asyncpg.connect(dsn)
    await conn.execute(f'CREATE DATABASE "{name}"')
    await conn.close()
    url = f"{postgres_url.rpartition('/')[0]}/{name}"
    try:
        _migrate(url)
        yield url
    finally:
        conn = await asyncpg.connect(dsn)
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.close()


def _migrate(url: str) -> None:
    subprocess.run(
        [sys.executable, "-m", "bot.app.cli", "migrate"],
        check=True,
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": url, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.DEVNULL,
    )


@contextlib.asynccontextmanager
async def servers(
    count: int,
    url: str,
    fake: FakeTelegram,
    folder: Path,
    extra_env: dict[str, str],
    bare: bool = False,
) -> AsyncIterator[tuple[list[str], list[int]]]:
    """Start ``count`` ``relaybot serve`` processes (``bare``: ``relay_server.py``, the
    machine's ceiling) and wait until each answers /healthz; their URLs and pids."""
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "DATABASE_URL": url,
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_WEBHOOK_SECRET": SECRET,
        "TELEGRAM_API_BASE_URL": fake.base_url,
        "RELAYBOT_WORKFLOWS_DIR": str(folder),
        "RELAYBOT_LOG_LEVEL": "WARNING",
        **extra_env,
    }
    procs: list[asyncio.subprocess.Process] = []
    bases: list[str] = []
    try:
        for _ in range(count):
            port = free_port()
            command = (
                [str(ROOT / "bench" / "relay_server.py"), str(port)]
                if bare
                else ["-m", "bot.app.cli", "serve", "--host", "127.0.0.1", "--port", str(port)]
            )
            procs.append(
                await asyncio.create_subprocess_exec(
                    sys.executable,
                    *command,
                    cwd=ROOT,
                    env=env,
                    stdout=subprocess.DEVNULL,
                )
            )
            bases.append(f"http://127.0.0.1:{port}")
        async with aiohttp.ClientSession() as session:
            for base, proc in zip(bases, procs, strict=True):
                await _wait_healthy(session, base, proc)
        yield bases, [proc.pid for proc in procs]
    finally:
        for proc in procs:
            if proc.returncode is None:
                proc.terminate()
        for proc in procs:
            try:
                await asyncio.wait_for(proc.wait(), 15)
            except TimeoutError:
                proc.kill()
                await proc.wait()


async def _wait_healthy(
    session: aiohttp.ClientSession, base: str, proc: asyncio.subprocess.Process
) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.returncode is not None:
            raise RuntimeError(f"relaybot serve at {base} exited with {proc.returncode}")
        with contextlib.suppress(aiohttp.ClientError):
            async with session.get(f"{base}/healthz") as response:
                if response.status == 200:
                    return
        await asyncio.sleep(0.1)
    raise RuntimeError(f"relaybot serve at {base} did not become healthy")


def cpu_seconds(pids: list[int]) -> float:
    """User and system CPU seconds the processes have used so far (``/proc/PID/stat``)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15)
    return total / ticks


async def load(
    bases: list[str],
    pids: list[int],
    fake: FakeTelegram,
    messages: int,
    rate: float | None,
    concurrency: int,
    wait: float,
    slack: FakeSlack | None = None,
) -> dict[str, Any]:
    """Send the updates, wait until every chat has its greeting and question (and, with
    ``slack``, every mirror line is posted), and summarise."""
    sent_at: dict[int, float] = {}
    failed = 0
    headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
    connector = aiohttp.TCPConnector(limit=concurrency)
    cpu_before = cpu_seconds(pids)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def send(i: int) -> None:
            nonlocal failed
            chat_id = FIRST_CHAT + i
            base = bases[i % len(bases)]
            sent_at[chat_id] = time.perf_counter()
            try:
                async with session.post(
                    f"{base}/webhooks/telegram", json=update(i + 1, chat_id), headers=headers
                ) as response:
                    await response.read()
                    if response.status != 200:
                        failed += 1
            except aiohttp.ClientError:
                failed += 1

        started = time.perf_counter()
        if rate is None:
            queue = iter(range(messages))

            async def worker() -> None:
                for i in queue:
                    await send(i)

            await asyncio.gather(*(worker() for _ in range(concurrency)))
        else:
            tasks = []
            for i in range(messages):
                delay = started + i / rate - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
                tasks.append(asyncio.create_task(send(i)))
            await asyncio.gather(*tasks)
        sent_done = time.perf_counter()
        deadline = sent_done + wait
        while len(fake.questions) < messages - failed and time.perf_counter() < deadline:
            fake.arrived.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(fake.arrived.wait(), 0.5)
        cpu_used = cpu_seconds(pids) - cpu_before
        # a short grace period so late duplicates are counted too
        await asyncio.sleep(min(1.0, wait))
        if slack is not None:
            expected_lines = MIRROR_LINES * (messages - failed)
            while len(slack.lines) < expected_lines and time.perf_counter() < deadline:
                slack.posted.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(slack.posted.wait(), 0.5)
    answered_chats = [chat for chat in fake.questions if chat in fake.greetings]
    finished = max((fake.questions[chat][0] for chat in answered_chats), default=sent_done)
    latencies = sorted(fake.questions[chat][0] - sent_at[chat] for chat in answered_chats)
    elapsed = finished - started
    answered = len(answered_chats)
    duplicates = sum(len(t) - 1 for t in fake.greetings.values()) + sum(
        len(t) - 1 for t in fake.questions.values()
    )
    mirror = {} if slack is None else slack_figures(slack, messages - failed, started)
    return {
        "sent": messages,
        "failed_requests": failed,
        "answered": answered,
        "duplicates": duplicates,
        "seconds": round(elapsed, 3),
        "send_seconds": round(sent_done - started, 3),
        "messages_per_second": round(answered / elapsed, 1) if elapsed > 0 else None,
        "p50_ms": round(statistics.median(latencies) * 1000, 2) if latencies else None,
        "p99_ms": round(latencies[max(0, int(len(latencies) * 0.99) - 1)] * 1000, 2)
        if latencies
        else None,
        "server_cpu_ms_per_message": round(cpu_used * 1000 / answered, 2) if answered else None,
        **mirror,
    }


def slack_figures(slack: FakeSlack, conversations: int, started: float) -> dict[str, Any]:
    """What reached the fake Slack: headers, mirror lines, posts, 429s, and when."""
    expected = MIRROR_LINES * conversations
    last = max(slack.lines.values(), default=None)
    return {
        "slack_headers_posted": len(slack.headers),
        "slack_mirror_lines_expected": expected,
        "slack_mirror_lines_posted": len(slack.lines),
        "slack_all_mirror_lines_posted": len(slack.lines) >= expected,
        "slack_last_mirror_line_seconds": round(last - started, 1) if last else None,
        "slack_thread_posts": slack.thread_posts,
        "slack_lines_per_thread_post": round(len(slack.lines) / slack.thread_posts, 2)
        if slack.thread_posts
        else None,
        "slack_duplicate_lines": slack.duplicate_lines,
        "slack_429s": slack.rate_limited,
    }


async def measure(args: argparse.Namespace, bare: bool, slack: bool = False) -> dict[str, Any]:
    """One load against relaybot (or, ``bare``, against the bare relay) with a fresh fake
    (and, ``slack``, the Slack console on against a fresh fake Slack)."""
    fake = FakeTelegram()
    await fake.start()
    extra_env = {"RELAYBOT_POLL_INTERVAL": str(args.poll_interval)}
    fake_slack = FakeSlack() if slack else None
    if fake_slack is not None:
        await fake_slack.start()
        extra_env.update(fake_slack.env())
    processes = 1 if bare else args.processes
    try:
        with tempfile.TemporaryDirectory() as tmp, workflows_folder() as folder:
            async with (
                database(args.db, args.postgres_url, Path(tmp), bare=bare) as url,
                servers(processes, url, fake, folder, extra_env, bare=bare) as (bases, pids),
            ):
                result = await load(
                    bases,
                    pids,
                    fake,
                    args.messages,
                    args.rate,
                    args.concurrency,
                    args.wait,
                    fake_slack,
                )
    finally:
        await fake.stop()
        if fake_slack is not None:
            await fake_slack.stop()
    return {
        "server": "relay_server.py (no relaybot: the machine's ceiling)"
        if bare
        else "relaybot serve",
        "database": None if bare else args.db,
        "slack_console": slack,
        "processes": processes,
        **result,
    }


async def run(args: argparse.Namespace) -> dict[str, Any]:
    head = {
        "benchmark": "e2e.telegram_greeting_and_question",
        "rate": args.rate or "unlimited",
        "concurrency": args.concurrency,
    }
    if args.bare:
        return {**head, **await measure(args, bare=True)}
    result = {**head, **await measure(args, bare=False, slack=args.slack)}
    if args.slack:
        without = await measure(args, bare=False)
        ratio = None
        if result["messages_per_second"] and without["messages_per_second"]:
            ratio = round(result["messages_per_second"] / without["messages_per_second"], 3)
        result = {**result, "ratio_to_no_slack": ratio, "no_slack": without}
    if args.no_bare:
        return result
    bare = await measure(args, bare=True)
    ratio = None
    if result["messages_per_second"] and bare["messages_per_second"]:
        ratio = round(result["messages_per_second"] / bare["messages_per_second"], 3)
    return {**result, "ratio_to_bare": ratio, "bare": bare}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--processes", type=int, default=1)
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument(
        "--rate", type=float, default=None, help="offered messages/s (default: unlimited)"
    )
    parser.add_argument(
        "--concurrency", type=int, default=32, help="requests in flight when unlimited"
    )
    parser.add_argument(
        "--wait", type=float, default=120.0, help="seconds to wait for the last questions"
    )
    parser.add_argument("--poll-interval", type=float, default=1.0, help="RELAYBOT_POLL_INTERVAL")
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("RELAYBOT_TEST_POSTGRES_URL") or DEFAULT_POSTGRES,
        help="server to create the temporary database on",
    )
    parser.add_argument(
        "--slack",
        action="store_true",
        help="the Slack console on, against a fake Slack that keeps 1 post/s per channel;"
        " then the same load without it",
    )
    group = parser.add_mutually_exclusive_group()
    group.add_argument(
        "--bare",
        action="store_true",
        help="drive only bench/relay_server.py: the same sends with no database or workflow",
    )
    group.add_argument(
        "--no-bare", action="store_true", help="drive only relaybot (no bare relay after it)"
    )
    args = parser.parse_args()
    if args.processes > 1 and args.db == "sqlite":
        parser.error("several processes need --db postgres")
    if args.slack and args.bare:
        parser.error("--slack drives relaybot, not the bare relay")
    print(json.dumps(asyncio.run(run(args))))


if __name__ == "__main__":
    main()
