"""``relaybot workflows replay FILE --last N``: what a changed workflow file would have
done with the last N runs of the stored workflow of its name, before it is imported."""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict
from typing import Any

from bot.app.commands import with_services
from bot.core.errors import NotFoundError
from bot.domain.workflow_replay import ReplayReport, replay_last
from bot.pipeline.services import Services
from workflows.loader import load_file
from workflows.problems import WorkflowLoadError
from workflows.replay import Outcome

LABELS = {
    "same": "same path",
    "differs": "differ",
    "fails": "fail",
    "would_not_start": "would not start",
    "not_comparable": "not comparable",
}


def add_replay(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``replay`` to the ``workflows`` commands."""
    replay = commands.add_parser(
        "replay",
        help="run a workflow file against the last runs of the stored workflow (no side effects)",
    )
    replay.add_argument("file", help="the changed workflow file (its name picks the runs)")
    replay.add_argument("--last", type=int, default=100, help="how many runs, newest first")
    replay.add_argument("--json", action="store_true", help="every outcome as JSON")
    replay.add_argument(
        "--show", type=int, default=20, help="how many differing runs to describe (text)"
    )
    replay.set_defaults(command=with_services(_replay))


async def _replay(args: argparse.Namespace, services: Services) -> int:
    try:
        draft = load_file(args.file)
    except WorkflowLoadError as exc:
        print(exc, file=sys.stderr)
        return 2
    try:
        report = await replay_last(services.uow, draft, args.last, services.clock.now())
    except NotFoundError as exc:
        print(f"{exc}: nothing to replay against", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(report_json(report), indent=2, default=str))
    else:
        print(render(report, args.file, args.show))
    return 0


def render(report: ReplayReport, source: str, show: int) -> str:
    """The report as text: the counts, then each run that would not go the same way."""
    counts = ", ".join(
        f"{n} {LABELS[verdict]}" for verdict, n in report.counts.items() if n or verdict == "same"
    )
    lines = [
        f"replayed {source} against {len(report.outcomes)} runs of {report.workflow}"
        f" in {report.seconds:.2f} s: {counts}"
    ]
    others = [o for o in report.outcomes if o.verdict != "same"]
    for outcome in others[:show]:
        lines.append(_describe(outcome))
    if len(others) > show:
        lines.append(f"... and {len(others) - show} more (--show, or --json for all)")
    return "\n".join(lines)


def _describe(outcome: Outcome) -> str:
    where = f" at {outcome.step_id}" if outcome.step_id else ""
    text = [f"run {outcome.run_id}: {LABELS[outcome.verdict]}{where}: {outcome.reason}"]
    for index, check in enumerate(outcome.checks):
        before = outcome.recorded_checks[index] if index < len(outcome.recorded_checks) else None
        was = "" if before is None else f" (recorded: {_result(before)})"
        text.append(
            f"    {check.get('field')} {check.get('op')} {check.get('expected')!r}:"
            f" value {check.get('actual')!r} -> {_result(check)}{was}"
        )
    if outcome.verdict == "differs":
        text.append(f"    recorded: {' > '.join(map(str, outcome.recorded_path)) or '-'}")
        text.append(f"    draft:    {' > '.join(map(str, outcome.replayed_path)) or '-'}")
    return "\n".join(text)


def _result(check: dict[str, Any]) -> str:
    return "true" if check.get("result") else "false"


def report_json(report: ReplayReport) -> dict[str, Any]:
    """The report as JSON values (the CLI's --json and the API)."""
    return {
        "workflow": report.workflow,
        "runs": len(report.outcomes),
        "seconds": round(report.seconds, 4),
        "counts": report.counts,
        "outcomes": [
            asdict(o)
            | {
                "recorded_path": [str(s) for s in o.recorded_path],
                "replayed_path": [str(s) for s in o.replayed_path],
            }
            for o in report.outcomes
        ],
    }
