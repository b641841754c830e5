"""The ``/relay`` command: parse, check rights, call the backend, say what happened."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp

from bot.core.errors import NotFoundError, ValidationFailed
from integrations.slack import commands
from integrations.slack.blocks import conversation_list, conversation_title
from integrations.slack.console import Reply, SlackConsole
from integrations.slack.logview import run_logs, workflow_list

logger = logging.getLogger(__name__)

NOT_ADMIN = (
    ":no_entry: Only relaybot admins can do that. Ask one of them, or see `/relay workflows`."
)
NOT_AGENT = (
    ":wave: You are not set up as a relaybot agent yet. An admin can add you "
    "with your Slack user id or the e-mail on your Slack profile."
)
AGENT_COMMANDS = frozenset(
    {"mine", "claim", "assign", "close", "reopen", "tag", "available", "away"}
)


async def run(console: SlackConsole, user_id: str, text: str) -> Reply:
    """Run one ``/relay`` invocation for ``user_id``; every outcome is a reply."""
    try:
        command = commands.parse(text)
    except commands.UsageError as exc:
        prefix = f"{exc.problem} " if exc.problem else ""
        return Reply(f"{prefix}Usage: `{exc.usage}`")
    if command.admin_only and not console.is_admin(user_id):
        return Reply(NOT_ADMIN)
    if command.name in AGENT_COMMANDS and await console.agents.resolve(user_id) is None:
        return Reply(NOT_AGENT)
    try:
        return await _execute(console, user_id, command)
    except (NotFoundError, ValidationFailed) as exc:
        return Reply(f":warning: {exc}")


async def _execute(console: SlackConsole, user: str, cmd: commands.Command) -> Reply:
    backend = console.backend
    conv = cmd.conversation_id or ""
    if cmd.name == "help":
        return Reply(commands.help_text())
    if cmd.name in {"mine", "queue"}:
        mine = cmd.name == "mine"
        items = await (backend.mine(user) if mine else backend.queue())
        title = "Your conversations" if mine else "Unassigned conversations"
        return Reply(f"{title}: {len(items)}", conversation_list(title, items, claimable=not mine))
    if cmd.name == "claim":
        summary = await backend.claim(conv, user)
        await console.changed(summary, assigned=True)
        return Reply(f"You claimed {conversation_title(summary)}.")
    if cmd.name == "assign":
        target = cmd.target_user or ""
        if await console.agents.resolve(target) is None:
            return Reply(f"<@{target}> is not a relaybot agent.")
        summary = await backend.assign(conv, target, user)
        await console.changed(summary, assigned=True)
        return Reply(f"Assigned {conversation_title(summary)} to <@{target}>.")
    if cmd.name in {"close", "reopen"}:
        op = backend.close if cmd.name == "close" else backend.reopen
        summary = await op(conv, user)
        await console.changed(summary)
        return Reply(f"{conversation_title(summary)} is now {summary.status}.")
    if cmd.name == "tag":
        summary = await backend.tag(conv, cmd.tag or "", user)
        await console.changed(summary)
        return Reply(f"Tagged {conversation_title(summary)} with `{cmd.tag}`.")
    if cmd.name in {"available", "away"}:
        agent = await backend.set_availability(user, cmd.name == "available")
        state = "available for new conversations" if agent.available else "away"
        return Reply(f"You are now {state}.")
    return await _workflow_command(console, user, cmd)


async def _workflow_command(console: SlackConsole, user: str, cmd: commands.Command) -> Reply:
    backend = console.backend
    if cmd.name == "workflows":
        items = await backend.workflows()
        return Reply(f"{len(items)} workflows", workflow_list(items, admin=console.is_admin(user)))
    if cmd.name in {"enable", "disable"}:
        wf = await backend.set_workflow_enabled(cmd.workflow or "", cmd.name == "enable", by=user)
        return Reply(f"Workflow `{wf.name}` is now {'enabled' if wf.enabled else 'disabled'}.")
    runs = await backend.run_logs(cmd.workflow, cmd.failed_only)
    title = "Failed runs" if cmd.failed_only else "Recent runs"
    if cmd.workflow:
        title += f" of {cmd.workflow}"
    return Reply(f"{title}: {len(runs)}", run_logs(runs, title))


def register(app: AsyncApp, console: SlackConsole, command: str = "/relay") -> None:
    """Acknowledge at once; the work and the answer (via ``response_url``) come after."""

    async def on_command(ack: AsyncAck, body: dict[str, Any]) -> None:
        await ack()
        reply = await run(console, str(body.get("user_id", "")), str(body.get("text", "")))
        await console.reply(body.get("response_url"), reply)

    app.command(command)(on_command)
