"""Several real ``relaybot serve`` processes on one fresh PostgreSQL database."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg

from tests.db_support import PostgresDatabase
from tests.fakes.telegram import signed_headers

ROOT = Path(__file__).resolve().parents[2]
SECRET = "scaleout-secret_1"
STARTUP_LIMIT = 60.0  # seconds for a process to answer /healthz (a safety net)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Server:
    """One ``relaybot serve`` process."""

    base: str
    proc: asyncio.subprocess.Process
    log: Path

    @property
    def alive(self) -> bool:
        return self.proc.returncode is None

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)

    def pause(self) -> None:
        self.proc.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        self.proc.send_signal(signal.SIGCONT)


@dataclass
class Cluster:
    """The processes, the database they share, and one client session for the test."""

    db: PostgresDatabase
    servers: list[Server]
    http: aiohttp.ClientSession
    dsn: str
    extra: dict[str, Any] = field(default_factory=dict)

    async def post_update(self, server: Server, update: dict[str, Any]) -> int:
        """POST a signed Telegram update to ``server``; the HTTP status (0 when unreachable)."""
        try:
            async with self.http.post(
                f"{server.base}/webhooks/telegram", json=update, headers=signed_headers(SECRET)
            ) as response:
                await response.read()
                return response.status
        except (aiohttp.ClientError, OSError):
            return 0

    async def sql(self, query: str, *args: Any) -> list[asyncpg.Record]:
        conn = await asyncpg.connect(self.dsn)
        try:
            return list(await conn.fetch(query, *args))
        finally:
            await conn.close()

    async def scalar(self, query: str, *args: Any) -> Any:
        rows = await self.sql(query, *args)
        return rows[0][0] if rows else None

    async def metric(self, server: Server, name: str) -> float:
        """The sum of a Prometheus counter's samples on ``server``."""
        async with self.http.get(f"{server.base}/metrics") as response:
            body = await response.text()
        return sum(
            float(line.rsplit(" ", 1)[1])
            for line in body.splitlines()
            if line.startswith(name + "{") or line.startswith(name + " ")
        )


async def _healthy(http: aiohttp.ClientSession, server: Server) -> None:
    async def poll() -> None:
        while True:
            if not server.alive:
                raise RuntimeError(f"{server.base} exited; see {server.log}")
            with contextlib.suppress(aiohttp.ClientError, OSError):
                async with http.get(f"{server.base}/healthz") as response:
                    if response.status == 200:
                        return
            await asyncio.sleep(0.1)  # start-up poll, not a timing assumption

    await asyncio.wait_for(poll(), STARTUP_LIMIT)


@contextlib.asynccontextmanager
async def cluster(
    base_url: str,
    count: int,
    telegram_url: str,
    token: str,
    workflows: Path,
    logs: Path,
    **env: str,
) -> AsyncIterator[Cluster]:
    """A fresh database migrated once (``relaybot migrate``), then ``count`` processes on it."""
    db = PostgresDatabase(base_url)
    await db.create()
    environment = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "DATABASE_URL": db.url,
        "TELEGRAM_BOT_TOKEN": token,
        "TELEGRAM_WEBHOOK_SECRET": SECRET,
        "TELEGRAM_API_BASE_URL": telegram_url,
        "RELAYBOT_WORKFLOWS_DIR": str(workflows),
        "RELAYBOT_SECRET_KEY": "scaleout-secret-key",
        "RELAYBOT_LOG_LEVEL": "WARNING",
        "RELAYBOT_POLL_INTERVAL": "0.5",
        **env,
    }
    servers: list[Server] = []
    try:
        migrate = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot.app.cli",
            "migrate",
            cwd=ROOT,
            env=environment,
            stdout=subprocess.DEVNULL,
        )
        assert await migrate.wait() == 0
        for index in range(count):
            port = free_port()
            log = logs / f"serve-{index}.log"
            with log.open("wb") as out:
                proc = await asyncio.create_subprocess_exec(
                    sys.executable,
                    "-m",
                    "bot.app.cli",
                    "serve",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(port),
                    cwd=ROOT,
                    env=environment,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                )
            servers.append(Server(f"http://127.0.0.1:{port}", proc, log))
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=200)) as http:
            for server in servers:
                await _healthy(http, server)
            yield Cluster(
                db, servers, http, db.url.replace("postgresql+asyncpg://", "postgresql://")
            )
    finally:
        for server in servers:
            if server.alive:
                server.resume()
                server.proc.terminate()
        for server in servers:
            try:
                await asyncio.wait_for(server.proc.wait(), 15)
            except TimeoutError:
                server.kill()
                await server.proc.wait()
        await db.drop()
