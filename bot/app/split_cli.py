"""``relaybot workflows split NAME`` (A/B test results) and ``relaybot workflows promote
NAME STEP BRANCH`` (publish the winner without the split)."""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict
from datetime import timedelta

from bot.app.commands import with_services
from bot.core.errors import NotFoundError, ValidationFailed
from bot.domain.audit import CLI
from bot.domain.split_promotion import promote_branch
from bot.domain.split_results import SplitResult, split_results
from bot.pipeline.services import Services


def add_split_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``split`` and ``promote`` to the ``workflows`` commands."""
    split = commands.add_parser("split", help="A/B test results of a workflow's split steps")
    split.add_argument("name")
    split.add_argument("--days", type=float, default=30, help="the period, up to now")
    split.add_argument("--json", action="store_true")
    split.set_defaults(command=with_services(_split))
    promote = commands.add_parser(
        "promote", help="publish a version without a split, going where BRANCH went (audited)"
    )
    promote.add_argument("name")
    promote.add_argument("step")
    promote.add_argument("branch")
    promote.set_defaults(command=with_services(_promote))


async def _split(args: argparse.Namespace, services: Services) -> int:
    now = services.clock.now()
    results = await split_results(services.uow, args.name, now - timedelta(days=args.days), now)
    if args.json:
        print(json.dumps([asdict(r) for r in results], indent=2))
    elif not results:
        print(f"no split of {args.name} was passed in the last {args.days:g} days")
    else:
        print("\n\n".join(render(r) for r in results))
    return 0


def render(result: SplitResult) -> str:
    """One split's table: each branch's runs, goals, rate and 95 % interval."""
    goal = result.goal
    if goal is None:
        heading = f"{result.step_id}: no goal set"
    else:
        tag = f" {goal['tag']}" if goal.get("tag") else ""
        heading = f"{result.step_id}: goal {goal['event']}{tag} within {goal.get('within', '7d')}"
    lines = [heading]
    for b in result.branches:
        if b.rate is None or b.low is None or b.high is None:
            lines.append(f"  {b.name:<16} {b.runs:>6} runs")
        else:
            lines.append(
                f"  {b.name:<16} {b.runs:>6} runs {b.goals:>6} goals  {b.rate:6.1%}"
                f"  (95 % {b.low:.1%} to {b.high:.1%})"
            )
    return "\n".join(lines)


async def _promote(args: argparse.Namespace, services: Services) -> int:
    try:
        done = await promote_branch(services.uow, args.name, args.step, args.branch, CLI)
    except (NotFoundError, ValidationFailed) as exc:
        print(exc if isinstance(exc, NotFoundError) else exc.reason, file=sys.stderr)
        return 1
    print(f"{done.workflow} v{done.version}: {done.step_id} promoted to {done.branch}")
    return 0
