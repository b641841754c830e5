"""Kill a real relaybot server with SIGKILL under load and check that nothing was lost.

    .venv/bin/python bench/crash.py --kills 25 --messages 3000

The longer twin of ``tests/reliability/test_crash.py`` (same code: ``tests/reliability/crashkit.py``).
Prints JSON: the counts, restart time, duplicate sends, and ``problems`` (empty when every
check held); exits 1 when a check failed.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.reliability.crashkit import CrashPlan, run_crash


def main() -> int:
    defaults = CrashPlan()
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--messages", type=int, default=3000, help="signed updates to send")
    parser.add_argument(
        "--kills", type=int, default=25, help="SIGKILLs (each followed by a restart)"
    )
    parser.add_argument(
        "--chats", type=int, default=200, help="conversations the updates spread over"
    )
    parser.add_argument(
        "--rate", type=float, default=100.0, help="updates per second while the server is up"
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=defaults.workers,
        help="RELAYBOT_DISPATCHER_WORKERS of the server",
    )
    parser.add_argument("--seed", type=int, default=defaults.seed, help="seed of the kill moments")
    parser.add_argument(
        "--settle-limit",
        type=float,
        default=180.0,
        help="seconds to wait for the server to finish its work",
    )
    parser.add_argument("--keep", action="store_true", help="keep the database and server log")
    args = parser.parse_args()
    plan = CrashPlan(
        messages=args.messages,
        kills=args.kills,
        chats=args.chats,
        rate=args.rate,
        workers=args.workers,
        seed=args.seed,
        settle_limit=args.settle_limit,
    )
    workdir = Path(tempfile.mkdtemp(prefix="relaybot-crash-"))
    result = asyncio.run(run_crash(plan, workdir))
    print(result.to_json())
    if args.keep:
        print(f"kept in {workdir}", file=sys.stderr)
    else:
        import shutil

        shutil.rmtree(workdir, ignore_errors=True)
    return 1 if result.problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
