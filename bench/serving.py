"""Starting and stopping the servers a benchmark measures: free ports, readiness, shutdown."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from aiohttp import web

ROOT = Path(__file__).resolve().parent.parent
RELAYBOT = str(Path(sys.executable).parent / "relaybot")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_ready(url: str, deadline_s: float = 60.0) -> None:
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer in {deadline_s:.0f}s")


def start(cmd: list[str], env: dict[str, str], ready_url: str) -> subprocess.Popen[bytes]:
    """Run ``cmd`` and wait until ``ready_url`` answers; its stderr is shown if it dies."""
    proc = subprocess.Popen(
        cmd, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    try:
        wait_ready(ready_url)
    except RuntimeError:
        proc.kill()
        raise RuntimeError(proc.stderr.read().decode() if proc.stderr else "server died") from None
    return proc


def stop(proc: subprocess.Popen[bytes]) -> None:
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(30)
    except subprocess.TimeoutExpired:
        proc.kill()


class LocalApp:
    """An aiohttp app served on a free port of 127.0.0.1 in the bench's own process (the
    fakes a benchmark drives relaybot against)."""

    def __init__(self) -> None:
        self._runner: web.AppRunner | None = None
        self.port = 0

    def routes(self, app: web.Application) -> None:
        """Add the app's routes."""
        raise NotImplementedError

    async def start(self) -> None:
        app = web.Application()
        self.routes(app)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = self._runner.addresses[0][1]

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
