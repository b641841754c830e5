"""Acknowledged Telegram webhooks per second, side by side with a bare aiohttp server.

    apt-get install wrk      # the load generator (Debian package)
    .venv/bin/python bench/ingest.py --duration 10 --connections 64

Starts ``relaybot serve`` on a fresh SQLite file (one process) and ``bench/hello_server.py``,
then drives both with the same ``wrk`` script: signed Telegram text updates with unique ids
over ``--conversations`` chats. A 200 from relaybot means the update is committed. After the
run it waits until the journal is processed, and counts the stored messages, the
entries left and the entries set aside with an error. Prints JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from serving import RELAYBOT, ROOT, free_port, start, stop

LUA = ROOT / "bench" / "telegram_updates.lua"
SECRET = "bench-secret"


def wrk(url: str, args: argparse.Namespace, base: int) -> dict[str, float]:
    env = {
        **os.environ,
        "WRK_THREADS": str(args.threads),
        "BENCH_CONVERSATIONS": str(args.conversations),
        "BENCH_SECRET": SECRET,
        "BENCH_BASE": str(base),
    }
    out = subprocess.run(
        [
            "wrk",
            f"-t{args.threads}",
            f"-c{args.connections}",
            f"-d{args.duration}s",
            "--timeout",
            "10s",
            "-s",
            str(LUA),
            url,
        ],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    match = re.search(r"^JSON (\{.*\})$", out, re.MULTILINE)
    if match is None:
        raise RuntimeError(f"wrk printed no summary:\n{out}")
    result: dict[str, float] = json.loads(match.group(1))
    result["requests_per_s"] = round(result["requests"] / result["seconds"], 1)
    return result


def stored_messages(db: Path) -> int:
    """Inbound messages of the measured run (the warm-up's ids are ten digits long)."""
    with sqlite3.connect(db) as conn:
        query = "SELECT count(*) FROM messages WHERE direction = 'in' AND length(text) < 18"
        return int(conn.execute(query).fetchone()[0])


def journal_pending(db: Path) -> int:
    with sqlite3.connect(db) as conn:
        query = "SELECT count(*) FROM inbound_journal WHERE processed_at IS NULL"
        return int(conn.execute(query).fetchone()[0])


def journal_errors(db: Path) -> int:
    with sqlite3.connect(db) as conn:
        return int(
            conn.execute("SELECT count(*) FROM inbound_journal WHERE error IS NOT NULL").fetchone()[
                0
            ]
        )


def measure_relaybot(args: argparse.Namespace, tmp: Path) -> dict[str, object]:
    port = free_port()
    db = tmp / "ingest.db"
    (tmp / "workflows").mkdir()
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite+aiosqlite:///{db}",
        "TELEGRAM_BOT_TOKEN": "123:bench",
        "TELEGRAM_WEBHOOK_SECRET": SECRET,
        "TELEGRAM_API_BASE_URL": f"http://127.0.0.1:{free_port()}/bot",
        "RELAYBOT_WORKFLOWS_DIR": str(args.workflows or tmp / "workflows"),
        "RELAYBOT_LOG_LEVEL": "WARNING",
    }
    proc = start(
        [RELAYBOT, "serve", "--host", "127.0.0.1", "--port", str(port)],
        env,
        f"http://127.0.0.1:{port}/healthz",
    )
    try:
        wrk(
            f"http://127.0.0.1:{port}",
            argparse.Namespace(**{**vars(args), "duration": 2}),
            base=10**9,
        )
        result = wrk(f"http://127.0.0.1:{port}", args, base=1)
        acknowledged = int(result["requests"] - result["non2xx"])
        started = time.monotonic()
        while journal_pending(db) and time.monotonic() - started < 300:
            time.sleep(0.2)
        return {
            **result,
            "acknowledged": acknowledged,
            "stored": stored_messages(db),
            "processing_after_load_s": round(time.monotonic() - started, 1),
            "journal_pending": journal_pending(db),
            "journal_errors": journal_errors(db),
        }
    finally:
        stop(proc)


def measure_hello(args: argparse.Namespace) -> dict[str, float]:
    port = free_port()
    proc = start(
        [sys.executable, str(ROOT / "bench" / "hello_server.py"), str(port)],
        dict(os.environ),
        f"http://127.0.0.1:{port}/",
    )
    try:
        wrk(f"http://127.0.0.1:{port}", argparse.Namespace(**{**vars(args), "duration": 2}), base=0)
        return wrk(f"http://127.0.0.1:{port}", args, base=0)
    finally:
        stop(proc)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--threads", type=int, default=1, help="wrk threads")
    parser.add_argument("--conversations", type=int, default=1000)
    parser.add_argument(
        "--workflows", type=Path, default=None, help="workflows to import (default none)"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        relaybot = measure_relaybot(args, Path(tmp))
    hello = measure_hello(args)
    print(
        json.dumps(
            {
                "benchmark": "ingest",
                "database": "sqlite",
                "connections": args.connections,
                "duration_s": args.duration,
                "relaybot": relaybot,
                "bare_aiohttp": hello,
                "ratio": round(float(relaybot["requests_per_s"]) / hello["requests_per_s"], 3),  # type: ignore[arg-type]
                # requests still in flight when wrk stops are stored but not counted by wrk
                "all_acknowledged_stored": relaybot["stored"] >= relaybot["acknowledged"]
                and relaybot["journal_pending"] == 0
                and relaybot["journal_errors"] == 0,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
