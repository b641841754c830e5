"""The message path's targets, each a ratio measured side by side in one invocation.

    .venv/bin/python bench/targets.py                 # every target, medians of three
    .venv/bin/python bench/targets.py --only bare,cpu --repeat 1

Each round drives the same load as ``e2e.py`` (a signed Telegram update in, the support
flow's greeting and question out at a fake Bot API) in these shapes, one after another:

- ``bare``: relaybot on SQLite at full load beside the bare relay (``relay_server.py``,
  the machine's ceiling): ``ratio_to_bare`` (target at least 0.5).
- ``cpu``: 300 messages offered at 20 a second: the server's CPU milliseconds per message
  (target at most 3) beside the bare relay's at the same rate.
- ``latency``: the full-load rate just measured, halved and offered: p99 from webhook to
  question (target at most 50 ms).
- ``postgres``: SQLite, PostgreSQL with one process and with ``--processes`` processes:
  ``pg1_to_sqlite`` (target at least 0.5) and ``pgN_to_pg1`` (at least 1.3 for two).
- ``slack``: the load with the Slack console on, against a fake Slack that keeps one post
  a second per channel, beside the same load without it: ``ratio_to_no_slack`` (target at
  least 0.8).

Each figure is the median of ``--repeat`` rounds; every round's figures are kept in the
JSON too. Needs ``RELAYBOT_TEST_POSTGRES_URL`` (or ``--postgres-url``) for ``postgres``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
from collections.abc import Awaitable, Callable
from typing import Any

from e2e import DEFAULT_POSTGRES, measure

Figures = dict[str, Any]
SHAPES = ("bare", "cpu", "latency", "postgres", "slack")


def _options(base: argparse.Namespace, **changes: Any) -> argparse.Namespace:
    return argparse.Namespace(**{**vars(base), **changes})


def _ratio(top: float | None, bottom: float | None) -> float | None:
    return round(top / bottom, 3) if top and bottom else None


async def bare_round(args: argparse.Namespace) -> Figures:
    relay = await measure(_options(args, rate=None), bare=False)
    bare = await measure(_options(args, rate=None), bare=True)
    return {
        "relaybot_per_s": relay["messages_per_second"],
        "bare_per_s": bare["messages_per_second"],
        "ratio_to_bare": _ratio(relay["messages_per_second"], bare["messages_per_second"]),
        "lost_or_doubled": relay["sent"] - relay["answered"] + relay["duplicates"],
    }


async def cpu_round(args: argparse.Namespace) -> Figures:
    quiet = _options(args, rate=20.0, messages=300)
    relay = await measure(quiet, bare=False)
    bare = await measure(quiet, bare=True)
    return {
        "cpu_ms_per_message": relay["server_cpu_ms_per_message"],
        "bare_cpu_ms_per_message": bare["server_cpu_ms_per_message"],
        "p50_ms_at_20": relay["p50_ms"],
        "p99_ms_at_20": relay["p99_ms"],
    }


async def latency_round(args: argparse.Namespace) -> Figures:
    full = await measure(_options(args, rate=None), bare=False)
    half = round(full["messages_per_second"] / 2, 1)
    offered = await measure(_options(args, rate=half), bare=False)
    return {
        "max_per_s": full["messages_per_second"],
        "half_rate": half,
        "served_per_s": offered["messages_per_second"],
        "p50_ms_at_half": offered["p50_ms"],
        "p99_ms_at_half": offered["p99_ms"],
    }


async def postgres_round(args: argparse.Namespace) -> Figures:
    full = _options(args, rate=None)
    sqlite = await measure(_options(full, db="sqlite", processes=1), bare=False)
    one = await measure(_options(full, db="postgres", processes=1), bare=False)
    many = await measure(_options(full, db="postgres"), bare=False)
    return {
        "sqlite_per_s": sqlite["messages_per_second"],
        "pg1_per_s": one["messages_per_second"],
        f"pg{args.processes}_per_s": many["messages_per_second"],
        "pg1_to_sqlite": _ratio(one["messages_per_second"], sqlite["messages_per_second"]),
        f"pg{args.processes}_to_pg1": _ratio(
            many["messages_per_second"], one["messages_per_second"]
        ),
        "lost_or_doubled": sum(
            r["sent"] - r["answered"] + r["duplicates"] for r in (sqlite, one, many)
        ),
    }


async def slack_round(args: argparse.Namespace) -> Figures:
    load = _options(args, rate=None, messages=args.slack_messages, wait=20.0)
    with_slack = await measure(load, bare=False, slack=True)
    without = await measure(load, bare=False)
    return {
        "with_slack_per_s": with_slack["messages_per_second"],
        "without_slack_per_s": without["messages_per_second"],
        "ratio_to_no_slack": _ratio(
            with_slack["messages_per_second"], without["messages_per_second"]
        ),
        "mirror_lines_posted": with_slack["slack_mirror_lines_posted"],
        "mirror_lines_expected": with_slack["slack_mirror_lines_expected"],
    }


ROUNDS: dict[str, Callable[[argparse.Namespace], Awaitable[Figures]]] = {
    "bare": bare_round,
    "cpu": cpu_round,
    "latency": latency_round,
    "postgres": postgres_round,
    "slack": slack_round,
}


def medians(rounds: list[Figures]) -> Figures:
    """Each figure's median over the rounds (numbers only)."""
    summary: Figures = {}
    for key in rounds[0]:
        values = [r[key] for r in rounds if isinstance(r.get(key), int | float)]
        if values:
            summary[key] = round(statistics.median(values), 3)
    return summary


async def run(args: argparse.Namespace) -> dict[str, Any]:
    shapes = [s for s in args.only.split(",") if s] if args.only else list(SHAPES)
    result: dict[str, Any] = {"benchmark": "e2e.targets", "messages": args.messages}
    for shape in shapes:
        rounds = [await ROUNDS[shape](args) for _ in range(args.repeat)]
        result[shape] = {"median": medians(rounds), "rounds": rounds}
    return result


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--messages", type=int, default=2000, help="messages at full load")
    parser.add_argument("--repeat", type=int, default=3, help="rounds of each shape")
    parser.add_argument("--only", default="", help=f"comma-separated shapes of {SHAPES}")
    parser.add_argument("--processes", type=int, default=2, help="PostgreSQL processes")
    parser.add_argument("--slack-messages", type=int, default=500)
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("RELAYBOT_TEST_POSTGRES_URL") or DEFAULT_POSTGRES,
    )
    args = parser.parse_args()
    for shape in (args.only or "").split(","):
        if shape and shape not in ROUNDS:
            parser.error(f"unknown shape {shape!r}; choose from {', '.join(SHAPES)}")
    defaults = {"db": "sqlite", "rate": None, "concurrency": 32, "wait": 120.0}
    defaults |= {"poll_interval": 1.0}
    print(json.dumps(asyncio.run(run(_options(args, **defaults)))))


if __name__ == "__main__":
    main()
