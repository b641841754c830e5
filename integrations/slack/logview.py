"""Block Kit for admins: the workflow list and readable run logs."""

from __future__ import annotations

from integrations.slack.blocks import Actions
from integrations.slack.mrkdwn import Block, button, capped, code, context, escape, section
from integrations.slack.ports import ConditionCheck, RunLogView, StepLog, WorkflowSummary

RUN_ICONS = {
    "completed": ":white_check_mark:",
    "failed": ":x:",
    "running": ":arrow_forward:",
    "waiting": ":hourglass:",
    "cancelled": ":no_entry_sign:",
}


def workflow_list(items: list[WorkflowSummary], *, admin: bool) -> list[Block]:
    """``/relay workflows``: status of each workflow, with on/off buttons for admins."""
    if not items:
        return [section("*Workflows*\nNo workflows are loaded.")]
    blocks: list[Block] = [section(f"*Workflows* ({len(items)})")]
    for wf in items:
        state = ":large_green_circle: enabled" if wf.enabled else ":white_circle: disabled"
        text = f"*{escape(wf.name)}* v{wf.version} · {state}\ntrigger {code(wf.trigger)}"
        if wf.description:
            text += f"\n_{escape(wf.description)}_"
        if admin:
            accessory = (
                button("Disable", Actions.WORKFLOW_DISABLE, wf.name, "danger")
                if wf.enabled
                else button("Enable", Actions.WORKFLOW_ENABLE, wf.name, "primary")
            )
            blocks.append(section(text, accessory=accessory))
        else:
            blocks.append(section(text))
    return capped(blocks)


def condition_line(check: ConditionCheck) -> str:
    mark = ":white_check_mark:" if check.result else ":x:"
    return (
        f"{mark} {code(check.field)} {escape(check.op)} {code(check.expected)}"
        f" — actual {code(check.actual)}"
    )


def step_line(number: int, step: StepLog) -> str:
    line = f"{number}. {code(step.id)} {escape(step.type)}"
    if step.exit:
        line += f" → {escape(step.exit)}"
    if step.duration_ms is not None:
        line += f" ({step.duration_ms:.0f} ms)"
    if step.error:
        line += f"\n      :warning: {escape(step.error)}"
    return line


def run_log(run: RunLogView) -> list[Block]:
    """One run: what triggered it, the conditions with the values compared, steps, errors."""
    icon = RUN_ICONS.get(run.status, "")
    meta = [f"{icon} *{run.status}*", f"trigger {code(run.trigger_event)}"]
    if run.conversation_id:
        meta.append(f"conversation {code(run.conversation_id)}")
    if run.started_at:
        meta.append(escape(run.started_at))
    blocks: list[Block] = [
        section(f"*{escape(run.workflow)}* · run {code(run.run_id)}"),
        context(*meta),
    ]
    if run.conditions:
        lines = "\n".join(condition_line(c) for c in run.conditions)
        blocks.append(section(f"*Conditions*\n{lines}"))
    else:
        blocks.append(section("*Conditions*\nnone (the trigger alone starts this workflow)"))
    if run.steps:
        lines = "\n".join(step_line(i, s) for i, s in enumerate(run.steps, start=1))
        blocks.append(section(f"*Steps*\n{lines}"))
    if run.errors:
        lines = "\n".join(f"• {escape(e)}" for e in run.errors)
        blocks.append(section(f"*Errors*\n{lines}"))
    return blocks


def run_logs(runs: list[RunLogView], title: str) -> list[Block]:
    """``/relay logs``: recent runs, newest first, separated by dividers."""
    if not runs:
        return [section(f"*{escape(title)}*\nNo runs found.")]
    blocks: list[Block] = [section(f"*{escape(title)}* ({len(runs)})")]
    for run in runs:
        blocks.append({"type": "divider"})
        blocks.extend(run_log(run))
    return capped(blocks)
