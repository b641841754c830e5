"""Workflows switched on and off in Slack (``/relay disable`` and the list's buttons),
through the real slack-bolt app against the fake Slack, leave audit lines naming the
Slack user; a refused attempt leaves none."""

from __future__ import annotations

from pathlib import Path

from bot.domain import audit
from bot.domain.workflow_store import import_files, list_workflows
from integrations.slack.blocks import Actions
from tests.integration.console.support import audit_lines
from tests.integration.slack.storage_env import ADMIN, AGENT, SlackApp, slack_app, workflow_dir

__all__ = ["slack_app", "workflow_dir"]
EXAMPLES = Path(__file__).resolve().parents[3] / "examples" / "workflows"


async def test_slack_toggles_are_audited_with_the_slack_user(slack_app: SlackApp) -> None:
    await import_files(
        slack_app.services.uow, [EXAMPLES / "support.yaml", EXAMPLES / "support-survey.yaml"]
    )
    await slack_app.slack.command("disable support", user_id=AGENT)  # not an admin
    answer = (await slack_app.fake.wait_responses(1))[-1]
    assert "Only relaybot admins" in answer["text"]
    await slack_app.slack.command("disable support", user_id=ADMIN)
    answer = (await slack_app.fake.wait_responses(2))[-1]
    assert "is now disabled" in answer["text"]
    await slack_app.slack.click(Actions.WORKFLOW_ENABLE, user_id=ADMIN, value="support")
    await slack_app.fake.wait_responses(3)
    assert {w.name: w.enabled for w in await list_workflows(slack_app.services.uow)}["support"]
    lines = [
        (x.actor, x.actor_kind, x.source, x.action, x.target, x.details)
        for x in await audit_lines(slack_app.services)
    ]
    assert lines == [
        (ADMIN, "slack", "slack", audit.WORKFLOW_DISABLED, "support", {"changed": True}),
        (ADMIN, "slack", "slack", audit.WORKFLOW_ENABLED, "support", {"changed": True}),
    ]
