"""Buttons, the user picker and the tag modal."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp

from bot.core.errors import DeliveryError, NotFoundError, ValidationFailed
from integrations.slack import senders
from integrations.slack.blocks import Actions, conversation_title, tag_modal
from integrations.slack.console import Reply, SlackConsole
from integrations.slack.logview import workflow_list
from integrations.slack.ports import ConversationSummary
from integrations.slack.relay import NOT_ADMIN, NOT_AGENT

logger = logging.getLogger(__name__)
Operation = Callable[[str, str], Awaitable[ConversationSummary]]


def _user(body: dict[str, Any]) -> str:
    return str((body.get("user") or {}).get("id", ""))


def _conversation_id(action: dict[str, Any]) -> str:
    """From the button's value, or from the ``conv:ID`` block id for the user picker."""
    value = action.get("value")
    if value:
        return str(value)
    block_id = str(action.get("block_id", ""))
    return block_id.split(":", 1)[1] if ":" in block_id else ""


async def _act(
    console: SlackConsole,
    body: dict[str, Any],
    conversation_id: str,
    op: Callable[[], Awaitable[ConversationSummary]],
    done: Callable[[ConversationSummary], str],
    *,
    assigned: bool = False,
) -> None:
    user = _user(body)
    if await console.agents.resolve(user) is None:
        reply = Reply(NOT_AGENT)
    else:
        try:
            summary = await op()
        except (NotFoundError, ValidationFailed) as exc:
            reply = Reply(f":warning: {exc}")
        else:
            await console.changed(summary, assigned=assigned)
            reply = Reply(done(summary))
    logger.info("slack action on %s by %s: %s", conversation_id, user, reply.text)
    await console.reply(body.get("response_url"), reply)


def register(app: AsyncApp, console: SlackConsole) -> None:
    backend = console.backend

    async def claim(ack: AsyncAck, body: dict[str, Any], action: dict[str, Any]) -> None:
        await ack()
        conv, user = _conversation_id(action), _user(body)
        await _act(
            console,
            body,
            conv,
            lambda: backend.claim(conv, user),
            lambda c: f"You claimed {conversation_title(c)}.",
            assigned=True,
        )

    async def assign(ack: AsyncAck, body: dict[str, Any], action: dict[str, Any]) -> None:
        await ack()
        conv, user, target = _conversation_id(action), _user(body), str(action.get("selected_user"))
        if await console.agents.resolve(target) is None:
            await console.reply(
                body.get("response_url"), Reply(f"<@{target}> is not a relaybot agent.")
            )
            return
        await _act(
            console,
            body,
            conv,
            lambda: backend.assign(conv, target, user),
            lambda c: f"Assigned {conversation_title(c)} to <@{target}>.",
            assigned=True,
        )

    def simple(op: Operation, verb: str) -> Callable[..., Awaitable[None]]:
        async def handler(ack: AsyncAck, body: dict[str, Any], action: dict[str, Any]) -> None:
            await ack()
            conv, user = _conversation_id(action), _user(body)
            await _act(
                console,
                body,
                conv,
                lambda: op(conv, user),
                lambda c: f"{verb} {conversation_title(c)}.",
            )

        return handler

    async def open_tag_modal(ack: AsyncAck, body: dict[str, Any], action: dict[str, Any]) -> None:
        await ack()
        try:
            await senders.call(
                console.client.views_open(
                    trigger_id=str(body.get("trigger_id")), view=tag_modal(_conversation_id(action))
                )
            )
        except DeliveryError:
            logger.exception("views.open failed")

    async def tag_submitted(ack: AsyncAck, body: dict[str, Any], view: dict[str, Any]) -> None:
        """The modal shows problems in place, so this answers after the (quick) backend call."""
        values = view.get("state", {}).get("values", {})
        field = values.get(Actions.TAG_INPUT_BLOCK, {}).get(Actions.TAG_INPUT, {})
        tag = str(field.get("value") or "").strip()
        conv, user = str(view.get("private_metadata", "")), _user(body)
        summary, problem = None, "Enter a tag." if not tag else None
        if problem is None and await console.agents.resolve(user) is None:
            problem = NOT_AGENT
        if problem is None:
            try:
                summary = await backend.tag(conv, tag, user)
            except (NotFoundError, ValidationFailed) as exc:
                problem = str(exc)
        if summary is None:
            await ack(
                response_action="errors",
                errors={Actions.TAG_INPUT_BLOCK: problem or "Could not tag."},
            )
            return
        await ack()
        await console.changed(summary)

    async def workflow_toggle(ack: AsyncAck, body: dict[str, Any], action: dict[str, Any]) -> None:
        await ack()
        user = _user(body)
        if not console.is_admin(user):
            await console.reply(body.get("response_url"), Reply(NOT_ADMIN))
            return
        enabled = action.get("action_id") == Actions.WORKFLOW_ENABLE
        try:
            await backend.set_workflow_enabled(str(action.get("value")), enabled, by=user)
        except NotFoundError as exc:
            await console.reply(body.get("response_url"), Reply(f":warning: {exc}"))
            return
        items = await backend.workflows()
        reply = Reply(f"{len(items)} workflows", workflow_list(items, admin=True))
        await console.reply(body.get("response_url"), reply, replace_original=True)

    async def just_ack(ack: AsyncAck) -> None:
        await ack()

    app.action(Actions.CLAIM)(claim)
    app.action(Actions.ASSIGN)(assign)
    app.action(Actions.UNASSIGN)(simple(backend.unassign, "Unassigned"))
    app.action(Actions.CLOSE)(simple(backend.close, "Closed"))
    app.action(Actions.REOPEN)(simple(backend.reopen, "Reopened"))
    app.action(Actions.TAG)(open_tag_modal)
    app.action(Actions.OPEN_THREAD)(just_ack)
    app.action(Actions.WORKFLOW_ENABLE)(workflow_toggle)
    app.action(Actions.WORKFLOW_DISABLE)(workflow_toggle)
    app.view(Actions.TAG_MODAL)(tag_submitted)
