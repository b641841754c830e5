"""``relaybot serve`` as its own process, the way an operator starts it, for tests that read
what the real command does (its log, its answers)."""

from __future__ import annotations

import asyncio
import json
import socket
import sys
import tempfile
import urllib.request
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
RELAYBOT = Path(sys.executable).with_name("relaybot")


def free_port() -> int:
    """A port nobody listens on right now, on 127.0.0.1."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Served:
    """A running server: its address, its first ``/healthz`` answer, and (after) its output."""

    url: str
    health: dict[str, Any]
    output: list[str] = field(default_factory=list)


@asynccontextmanager
async def served(env: dict[str, str], port: int | None = None) -> AsyncIterator[Served]:
    """``relaybot serve`` on 127.0.0.1 until the block ends; its output in ``output`` after."""
    port = port or free_port()
    with tempfile.TemporaryFile() as log:
        server = await asyncio.create_subprocess_exec(
            str(RELAYBOT),
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=asyncio.subprocess.STDOUT,
        )
        result = Served(f"http://127.0.0.1:{port}", {})
        try:
            result.health = await _wait_for_health(server, log, f"{result.url}/healthz")
            yield result
        finally:
            if server.returncode is None:
                server.terminate()
            await server.wait()
            result.output[:] = _read(log).splitlines()


def _read(log: IO[bytes]) -> str:
    log.seek(0)
    return log.read().decode(errors="replace")


async def _wait_for_health(
    server: asyncio.subprocess.Process, log: IO[bytes], url: str
) -> dict[str, Any]:
    """The first answer of ``url`` once the server listens; its output if it exits first."""
    for _ in range(600):
        if server.returncode is not None:
            pytest.fail(f"relaybot serve exited {server.returncode}:\n{_read(log)}")
        try:
            return await asyncio.to_thread(_fetch_json, url)
        except OSError:
            await asyncio.sleep(0.1)
    pytest.fail(f"{url} never answered")


def _fetch_json(url: str) -> dict[str, Any]:
    with urllib.request.urlopen(url, timeout=5) as response:
        answer: dict[str, Any] = json.loads(response.read())
        return answer
