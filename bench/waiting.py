"""Many runs waiting at once: the process's memory, and how fast due timers fire.

    .venv/bin/python bench/waiting.py --waiting 1000000 --due 100000

1. Three real runs of a "wait 24h, then send a message" workflow are made through the
   inbox and the runner; their rows (contact, identity, conversation, run, timer) are
   cloned in SQL to ``--waiting`` runs, and to ``--baseline`` runs in a second database.
2. Memory: ``relaybot serve`` is started on each database, idles, then takes a few
   admin API requests (lists of conversations); its RSS is read from /proc. Waiting runs live in the
   database, so the two figures should be close.
3. Timers: ``--due`` of the waiting runs are made due now; the real scheduler and
   runner fire them in-process (each resume writes the run's next step and its
   outbound message). Reports timers/s and checks that each fired exactly once.
4. The ceiling: the rows that firing wrote (timers marked fired, runs' new states, the
   messages, outbox items and log lines) are written again with plain ``sqlite3``
   into a copy of the database as it was before, in transactions of as many timers as
   the scheduler claims at once, with the server's pragmas. ``ratio_to_insert`` is
   the timers' rate over that rate.

Prints JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import inspect
import json
import os
import shutil
import sqlite3
import tempfile
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

from serving import RELAYBOT, free_port, start, stop

from bot.app.app import create_app
from bot.app.gc_tuning import tune_for_serving
from bot.app.migrate import upgrade_async
from bot.core.clock import SystemClock
from bot.core.config import Settings
from bot.core.messages import InboundMessage, SenderProfile
from bot.pipeline.services import build_services
from bot.pipeline.settle import settle

FLOW = """\
name: follow-up
trigger:
  event: message.received
steps:
  - id: pause
    type: wait
    duration: 24h
  - id: nudge
    type: send_message
    text: "Still there? We are happy to help."
"""
STAMP = "%Y-%m-%d %H:%M:%S.%f"


async def make_template(folder: Path) -> Path:
    """A database holding three real waiting runs made by the runner."""
    db = folder / "template.db"
    url = f"sqlite+aiosqlite:///{db}"
    await upgrade_async(url)
    (folder / "workflows").mkdir()
    (folder / "workflows" / "follow-up.yaml").write_text(FLOW)
    settings = Settings(
        _env_file=None, DATABASE_URL=url, RELAYBOT_WORKFLOWS_DIR=str(folder / "workflows")
    )  # type: ignore[call-arg]
    services = build_services(settings, SystemClock())
    app = create_app(settings, services=services, background=False, migrate=False)
    for startup in app.on_startup:
        await startup(app)
    for i in range(3):
        await services.inbox.receive(
            InboundMessage(
                channel="telegram",
                external_conversation_id=f"template-{i}",
                external_message_id=f"template-{i}",
                sender=SenderProfile(external_id=f"template-{i}"),
                text="hi",
            )
        )
    await settle(services)
    for cleanup in app.on_cleanup:
        await cleanup(app)
    return db


def clone(template: Path, target: Path, runs: int, due_at: datetime) -> None:
    """Copy the template's first waiting run ``runs`` times (ids above the template's)."""
    shutil.copy(template, target)
    due = due_at.strftime(STAMP)
    with sqlite3.connect(target) as conn:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=OFF")
        numbers = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?) "
        base = 1000
        conn.execute(
            numbers + "INSERT INTO contacts (id, attributes, unreachable, created_at, updated_at) "
            "SELECT ? + i, attributes, unreachable, created_at, updated_at FROM n, contacts WHERE contacts.id = 1",
            (runs, base),
        )
        conn.execute(
            numbers
            + "INSERT INTO contact_identities (id, contact_id, channel, external_id, profile, created_at) "
            "SELECT ? + i, ? + i, channel, 'bench-' || i, profile, created_at FROM n, contact_identities WHERE id = 1",
            (runs, base, base),
        )
        conn.execute(
            numbers
            + "INSERT INTO conversations (id, contact_id, channel, external_id, status, message_count, "
            "attributes, created_at, last_activity_at, last_customer_message_at) "
            "SELECT ? + i, ? + i, channel, 'bench-' || i, status, message_count, attributes, created_at, "
            "last_activity_at, last_customer_message_at FROM n, conversations WHERE id = 1",
            (runs, base, base),
        )
        conn.execute(
            numbers
            + "INSERT INTO workflow_runs (id, workflow_id, version_id, conversation_id, trigger_key, "
            "trigger_event_id, depth, status, waiting_for, state, lock_version, started_at, updated_at) "
            "SELECT ? + i, workflow_id, version_id, ? + i, 'bench:' || i, trigger_event_id, depth, status, "
            'waiting_for, replace(replace(state, \'"run_id": "1"\', \'"run_id": "\' || (? + i) || \'"\'), '
            "'\"timer_token\": \"1:', '\"timer_token\": \"' || (? + i) || ':'), lock_version, started_at, updated_at "
            "FROM n, workflow_runs WHERE id = 1",
            (runs, base, base, base, base),
        )
        conn.execute(
            numbers + "INSERT INTO timers (id, kind, key, due_at, payload, status, created_at) "
            "SELECT ? + i, kind, 'run:' || (? + i) || ':' || (? + i) || ':pause:1:timer', ?, "
            "json_object('run_id', ? + i, 'token', (? + i) || ':pause:1:timer'), status, created_at "
            "FROM n, timers WHERE id = 1",
            (runs, base, base, base, due, base, base),
        )
        # the template's own three runs wait as long as the clones
        conn.execute("UPDATE timers SET due_at = ? WHERE id <= 3", (due,))
        conn.commit()


def rss_of_server(db: Path, workflows: Path, idle_s: float) -> int:
    """RSS in KiB of ``relaybot serve`` on ``db`` after start-up, an idle spell and 200 requests."""
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite+aiosqlite:///{db}",
        "RELAYBOT_WORKFLOWS_DIR": str(workflows),
        "RELAYBOT_LOG_LEVEL": "WARNING",
        "RELAYBOT_ADMIN_TOKEN": "bench",
    }
    proc = start(
        [RELAYBOT, "serve", "--host", "127.0.0.1", "--port", str(port)],
        env,
        f"http://127.0.0.1:{port}/healthz",
    )
    try:
        time.sleep(idle_s)
        for _ in range(200):
            request = urllib.request.Request(
                f"http://127.0.0.1:{port}/api/conversations?limit=20",
                headers={"Authorization": "Bearer bench"},
            )
            with urllib.request.urlopen(request, timeout=10) as answer:
                answer.read()
        status = Path(f"/proc/{proc.pid}/status").read_text()
        return int(
            next(line.split()[1] for line in status.splitlines() if line.startswith("VmRSS"))
        )
    finally:
        stop(proc)


WRITTEN = ("messages", "outbox", "run_logs")
"""The tables firing a timer inserts into (besides updating its timer and its run)."""


def newest_ids(db: Path) -> dict[str, int]:
    """The highest id of each table firing inserts into."""
    with sqlite3.connect(db) as conn:
        return {
            table: conn.execute(f"SELECT coalesce(max(id), 0) FROM {table}").fetchone()[0]
            for table in WRITTEN
        }


def insert_ceiling(fired: Path, before: Path, since: dict[str, int], batch: int) -> float:
    """Timers per second when the rows firing wrote into ``fired`` are written into
    ``before`` (its copy from before firing) with plain sqlite3, ``batch`` timers per
    transaction, with the server's pragmas."""
    with sqlite3.connect(fired) as source:
        timers = source.execute(
            "SELECT id, status FROM timers WHERE status = 'fired' ORDER BY id"
        ).fetchall()
        run_ids = [
            row[0]
            for row in source.execute(
                "SELECT json_extract(payload, '$.run_id') FROM timers "
                "WHERE status = 'fired' ORDER BY id"
            )
        ]
        runs = {
            row[-1]: row[:-1]
            for row in source.execute(
                "SELECT status, waiting_for, state, lock_version, updated_at, finished_at, id "
                "FROM workflow_runs WHERE status = 'completed'"
            )
        }
        inserted: dict[str, tuple[str, list[tuple[object, ...]]]] = {}
        for table in WRITTEN:
            cursor = source.execute(f"SELECT * FROM {table} WHERE id > ?", (since[table],))
            columns = ", ".join(d[0] for d in cursor.description)
            marks = ", ".join("?" * len(cursor.description))
            inserted[table] = (
                f"INSERT INTO {table} ({columns}) VALUES ({marks})",
                cursor.fetchall(),
            )
    with sqlite3.connect(before, isolation_level=None) as conn:
        for pragma in ("PRAGMA journal_mode=WAL", "PRAGMA synchronous=NORMAL"):
            conn.execute(pragma)
        started = time.perf_counter()
        for start in range(0, len(timers), batch):
            chunk = slice(start, start + batch)
            conn.execute("BEGIN IMMEDIATE")
            conn.executemany(
                "UPDATE timers SET status = ? WHERE id = ?",
                [(status, timer_id) for timer_id, status in timers[chunk]],
            )
            conn.executemany(
                "UPDATE workflow_runs SET status = ?, waiting_for = ?, state = ?, "
                "lock_version = ?, updated_at = ?, finished_at = ? WHERE id = ?",
                [
                    (*runs[int(run_id)], int(run_id))
                    for run_id in run_ids[chunk]
                    if int(run_id) in runs
                ],
            )
            end = min(start + batch, len(timers))
            for statement, rows in inserted.values():  # each timer's share, in order
                share = slice(start * len(rows) // len(timers), end * len(rows) // len(timers))
                conn.executemany(statement, rows[share])
            conn.execute("COMMIT")
        elapsed = time.perf_counter() - started
    return len(timers) / elapsed


async def fire_due(db: Path, workflows: Path, due: int) -> dict[str, object]:
    """Make ``due`` timers due now and fire them with the real scheduler and runner; then
    write what they wrote again with plain sqlite3 (the ceiling)."""
    with sqlite3.connect(db) as conn:
        past = (datetime.now(UTC) - timedelta(seconds=1)).strftime(STAMP)
        conn.execute(
            "UPDATE timers SET due_at = ? WHERE id IN (SELECT id FROM timers ORDER BY id LIMIT ?)",
            (past, due),
        )
        conn.commit()
    since = newest_ids(db)
    before = db.with_name("before-firing.db")
    shutil.copy(db, before)
    settings = Settings(
        _env_file=None,
        DATABASE_URL=f"sqlite+aiosqlite:///{db}",
        RELAYBOT_WORKFLOWS_DIR=str(workflows),
    )  # type: ignore[call-arg]
    services = build_services(settings, SystemClock())
    claim = inspect.signature(services.scheduler.run_once).parameters["limit"].default
    app = create_app(settings, services=services, background=False, migrate=False)
    for startup in app.on_startup:
        await startup(app)
    tune_for_serving()  # as ``relaybot serve`` does once started
    started = time.perf_counter()
    fired = await services.scheduler.drain()
    elapsed = time.perf_counter() - started
    for cleanup in app.on_cleanup:
        await cleanup(app)
    with sqlite3.connect(db) as conn:
        fired_rows = conn.execute("SELECT count(*) FROM timers WHERE status = 'fired'").fetchone()[
            0
        ]
        finished = conn.execute(
            "SELECT count(*) FROM workflow_runs WHERE status = 'completed'"
        ).fetchone()[0]
        nudges = conn.execute("SELECT count(*) FROM outbox WHERE kind = 'channel.send'").fetchone()[
            0
        ]
    ceiling = insert_ceiling(db, before, since, claim)
    before.unlink()
    return {
        "due": due,
        "fired": fired,
        "seconds": round(elapsed, 2),
        "timers_per_s": round(fired / elapsed, 1),
        "timer_rows_fired": fired_rows,
        "runs_completed": finished,
        "messages_queued": nudges,
        "each_once": fired_rows == due and finished == due and nudges == due,
        "insert_timers_per_s": round(ceiling, 1),
        "ratio_to_insert": round(fired / elapsed / ceiling, 3),
    }


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--waiting", type=int, default=1_000_000)
    parser.add_argument("--baseline", type=int, default=1_000)
    parser.add_argument("--due", type=int, default=100_000)
    parser.add_argument(
        "--idle", type=float, default=5.0, help="seconds the server idles before RSS is read"
    )
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="relaybot-waiting-"))
    try:
        template = await make_template(folder)
        later = datetime.now(UTC) + timedelta(hours=24)
        small, large = folder / "small.db", folder / "large.db"
        started = time.perf_counter()
        clone(template, small, args.baseline - 3, later)
        clone(template, large, args.waiting - 3, later)
        build_s = time.perf_counter() - started
        rss_small = rss_of_server(small, folder / "workflows", args.idle)
        rss_large = rss_of_server(large, folder / "workflows", args.idle)
        timers = await fire_due(large, folder / "workflows", args.due)
        print(
            json.dumps(
                {
                    "benchmark": "waiting",
                    "database": "sqlite",
                    "clone_seconds": round(build_s, 1),
                    "memory": {
                        "waiting_baseline": args.baseline,
                        "rss_mib_baseline": round(rss_small / 1024, 1),
                        "waiting": args.waiting,
                        "rss_mib": round(rss_large / 1024, 1),
                        "growth_mib": round((rss_large - rss_small) / 1024, 1),
                        "within_50_mib": rss_large - rss_small <= 50 * 1024,
                    },
                    "timers": timers,
                },
                indent=2,
            )
        )
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    asyncio.run(main())
