"""``relaybot workflows ...``: validate, import, list, enable, disable, versions, diff,
rollback, replay, split, promote, logs, graph, schema."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bot.app.commands import with_services
from bot.app.replay_cli import add_replay
from bot.app.split_cli import add_split_commands
from bot.core.config import Settings
from bot.core.errors import NotFoundError, ValidationFailed
from bot.pipeline.services import Services
from workflows.flowchart import chart, mermaid
from workflows.flowchart_svg import html, svg
from workflows.loader import json_schema_text, load_file, load_files
from workflows.problems import WorkflowLoadError
from workflows.schema import Workflow


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("workflows", help="manage workflow definitions and read their logs")
    commands = parser.add_subparsers(dest="workflow_command", required=True)
    validate = commands.add_parser("validate", help="check workflow files; print every problem")
    validate.add_argument("paths", nargs="+")
    validate.set_defaults(command=_validate)
    load = commands.add_parser("import", help="store files (a new version when one changed)")
    load.add_argument("paths", nargs="+")
    load.set_defaults(command=with_services(_import))
    commands.add_parser("list", help="workflows with status and version").set_defaults(
        command=with_services(_list)
    )
    for name, enabled in (("enable", True), ("disable", False)):
        toggle = commands.add_parser(name, help=f"{name} a workflow")
        toggle.add_argument("name")
        toggle.set_defaults(command=with_services(_toggle), enabled=enabled)
    versions = commands.add_parser("versions", help="a workflow's versions, newest first")
    versions.add_argument("name")
    versions.set_defaults(command=with_services(_versions))
    diff = commands.add_parser("diff", help="the unified diff of two versions' YAML")
    diff.add_argument("name")
    diff.add_argument("old", metavar="FROM", type=int)
    diff.add_argument("new", metavar="TO", type=int)
    diff.set_defaults(command=with_services(_diff))
    rollback = commands.add_parser(
        "rollback", help="make an older version current (new runs start on it; audited)"
    )
    rollback.add_argument("name")
    rollback.add_argument("version", type=int)
    rollback.set_defaults(command=with_services(_rollback))
    add_replay(commands)
    add_split_commands(commands)
    logs = commands.add_parser("logs", help="recent runs: trigger, conditions, steps, errors")
    logs.add_argument("name", nargs="?")
    logs.add_argument("--failed", action="store_true", help="failed runs only")
    logs.add_argument("--run", type=int, help="one run by id")
    logs.add_argument("--limit", type=int, default=10)
    logs.set_defaults(command=with_services(_logs))
    graph = commands.add_parser("graph", help="a flowchart of a workflow (name or file)")
    graph.add_argument("name")
    graph.add_argument(
        "--format",
        choices=("mermaid", "svg", "html"),
        default="mermaid",
        help="Mermaid text (default), an SVG picture, or an HTML page with the picture",
    )
    graph.add_argument("--output", "-o", help="write to this file instead of the terminal")
    graph.set_defaults(command=_graph_command)
    commands.add_parser("schema", help="the JSON Schema of workflow files").set_defaults(
        command=lambda args, settings: _print(json_schema_text(), end="")
    )


def _print(*parts: object, end: str = "\n") -> int:
    print(*parts, end=end)
    return 0


def _validate(args: argparse.Namespace, settings: Settings) -> int:
    from bot.app.workflow_checks import known_for_validation
    from bot.domain.workflow_store import workflow_files

    paths = workflow_files(args.paths)
    known, note = known_for_validation(settings)
    try:
        workflows = load_files(paths, known)
    except WorkflowLoadError as exc:
        print(exc, file=sys.stderr)
        return 1
    for workflow in workflows:
        print(f"ok  {workflow.name}  ({len(workflow.steps)} steps, on {workflow.trigger.event})")
    if note:
        print(note)
    return 0


async def _import(args: argparse.Namespace, services: Services) -> int:
    from bot.app.workflow_checks import known_from_database
    from bot.domain.workflow_store import import_files, workflow_files

    known = await known_from_database(services.settings, services.uow)
    try:
        results = await import_files(services.uow, workflow_files(args.paths), known)
    except WorkflowLoadError as exc:
        print(exc, file=sys.stderr)
        return 1
    for result in results:
        print(f"{result.action:<9} {result.name}  v{result.version}")
    return 0


async def _list(args: argparse.Namespace, services: Services) -> int:
    from bot.domain.workflow_store import list_workflows

    rows = await list_workflows(services.uow)
    if not rows:
        print("no workflows yet: relaybot workflows import examples/workflows")
    for row in rows:
        state = "enabled " if row.enabled else "disabled"
        print(f"{state}  {row.name:<32} v{row.version:<3} on {row.trigger:<26} {row.runs} runs")
    return 0


async def _toggle(args: argparse.Namespace, services: Services) -> int:
    from bot.domain.audit import CLI
    from bot.domain.workflow_store import set_enabled

    try:
        changed = await set_enabled(services.uow, args.name, args.enabled, CLI)
    except NotFoundError as exc:
        print(exc, file=sys.stderr)
        return 1
    word = "enabled" if args.enabled else "disabled"
    print(f"{args.name} {word}" if changed else f"{args.name} was already {word}")
    return 0


async def _versions(args: argparse.Namespace, services: Services) -> int:
    from bot.domain.workflow_versions import workflow_detail

    try:
        detail = await workflow_detail(services.uow, args.name)
    except NotFoundError as exc:
        print(exc, file=sys.stderr)
        return 1
    for v in detail.versions:
        mark = "current" if v.current else ""
        print(
            f"v{v.number:<4} {v.created_at:%Y-%m-%d %H:%M}  {v.checksum[:12]}  "
            f"{v.runs:>5} runs  {mark}".rstrip()
        )
    return 0


async def _diff(args: argparse.Namespace, services: Services) -> int:
    from bot.domain.workflow_versions import compare

    try:
        found = await compare(services.uow, args.name, args.old, args.new)
    except NotFoundError as exc:
        print(exc, file=sys.stderr)
        return 1
    return _print(found.text or f"v{args.old} and v{args.new} are the same\n", end="")


async def _rollback(args: argparse.Namespace, services: Services) -> int:
    from bot.domain.audit import CLI
    from bot.domain.workflow_versions import roll_back

    try:
        done = await roll_back(services.uow, args.name, args.version, CLI)
    except (NotFoundError, ValidationFailed) as exc:
        print(exc, file=sys.stderr)
        return 1
    print(f"{done.name}: v{done.new} is current (was v{done.old}); new runs start on it")
    return 0


async def _logs(args: argparse.Namespace, services: Services) -> int:
    from bot.domain.run_logs import recent_runs, render_skip, render_text, run_count, skipped

    try:
        runs = await recent_runs(
            services.uow,
            workflow=args.name,
            failed_only=args.failed,
            run_id=args.run,
            limit=args.limit,
        )
    except NotFoundError as exc:
        print(exc, file=sys.stderr)
        return 1
    for view in runs:
        print(render_text(view))
    skips = []
    if args.name and not args.failed and args.run is None:
        skips = await skipped(services.uow, args.name, limit=args.limit)
    for line in skips:
        print(render_skip(line))
    if runs or skips:
        return 0
    if args.run is not None:
        print(f"no run {args.run}" + (f" of {args.name}" if args.name else ""))
        return 1
    total = await run_count(services.uow, args.name)
    if args.failed and total:
        print(f"{total} run{'s' if total != 1 else ''}, none failed")
    else:
        print("no runs yet")
    return 0


def _graph_command(args: argparse.Namespace, settings: Settings) -> int:
    if Path(args.name).is_file():
        try:
            workflow = load_file(args.name)  # alone: the workflows it starts are not needed
        except WorkflowLoadError as exc:
            print(exc, file=sys.stderr)
            return 1
        return _write_graph(args, workflow)
    return with_services(_graph)(args, settings)


async def _graph(args: argparse.Namespace, services: Services) -> int:
    from bot.domain.catalog import Catalog

    catalog = Catalog(services.db)
    await catalog.refresh()
    entry = catalog.by_name.get(args.name)
    if entry is None:
        print(f"no workflow named {args.name!r}", file=sys.stderr)
        return 1
    return _write_graph(args, entry.definition)


def _write_graph(args: argparse.Namespace, workflow: Workflow) -> int:
    """Print or write the chart in the format asked for."""
    if args.format == "svg":
        text = svg(chart(workflow), workflow.name)
    elif args.format == "html":
        text = html(chart(workflow), f"workflow {workflow.name}")
    else:
        text = mermaid(workflow)
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
        print(f"wrote {args.output}")
        return 0
    return _print(text, end="")
