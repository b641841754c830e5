"""Performing the engine's calls: the domain changes a step asks for, with their results."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from bot.core.errors import RelaybotError, ValidationFailed
from bot.domain import agents, conversations, leads
from bot.storage.pipeline.run_call_records import (
    NamedAgent,
    agent_by_ref,
    conversation_to_change,
    set_contact_field,
    tag_lead,
)
from bot.storage.uow import Tx
from workflows.actions import ActionContext, ActionRegistry
from workflows.effects import (
    AddTag,
    Assign,
    Call,
    ChangeLeadStage,
    CloseConversation,
    RemoveTag,
    RunAction,
    SetContactField,
)
from workflows.inputs import CallResult

logger = logging.getLogger(__name__)

CONTACT_COLUMNS = {"name", "email", "phone", "locale"}
ACTION_TIMEOUT_S = 60.0


def ok(**data: Any) -> CallResult:
    return CallResult(outcome="success", data=data)


def declined(reason: str, **data: Any) -> CallResult:
    return CallResult(outcome="declined", reason=reason, data=data)


def failed(reason: str) -> CallResult:
    return CallResult(outcome="failure", reason=reason)


async def perform_domain_call(
    tx: Tx,
    call: AddTag | RemoveTag | ChangeLeadStage | SetContactField | Assign | CloseConversation,
    *,
    conversation_id: int | None,
    lead_id: int | None,
    pipeline: leads.Pipeline,
    by: str,
) -> CallResult:
    """A change inside our own database, in the run's transaction."""
    try:
        return await _domain_call(tx, call, conversation_id, lead_id, pipeline, by)
    except RelaybotError as exc:
        return failed(str(exc))


async def _domain_call(
    tx: Tx,
    call: Call,
    conversation_id: int | None,
    lead_id: int | None,
    pipeline: leads.Pipeline,
    by: str,
) -> CallResult:
    if isinstance(call, AddTag | RemoveTag):
        return await _tag(tx, call, conversation_id, lead_id, by)
    if isinstance(call, ChangeLeadStage):
        if lead_id is None:
            return failed("there is no lead for this conversation")
        changed = await leads.change_stage(tx, pipeline, lead_id, call.stage, by=by)
        return ok(changed=changed, stage=call.stage)
    if isinstance(call, SetContactField):
        return await _set_contact_field(tx, call, conversation_id)
    if conversation_id is None:
        return failed("this run has no conversation")
    if isinstance(call, CloseConversation):
        return ok(changed=await conversations.close(tx, conversation_id, by=by))
    assert isinstance(call, Assign)
    return await _assign(tx, call, conversation_id, by)


async def _tag(
    tx: Tx, call: AddTag | RemoveTag, conversation_id: int | None, lead_id: int | None, by: str
) -> CallResult:
    if conversation_id is not None:
        if isinstance(call, AddTag):
            return ok(changed=await conversations.add_tag(tx, conversation_id, call.tag, by=by))
        return ok(changed=await conversations.remove_tag(tx, conversation_id, call.tag, by=by))
    if lead_id is None:
        return failed("nothing to tag: no conversation and no lead")
    changed = await tag_lead(tx, lead_id, call.tag, add=isinstance(call, AddTag))
    if changed is None:
        return failed(f"lead {lead_id} not found")
    return ok(changed=changed)


async def _set_contact_field(
    tx: Tx, call: SetContactField, conversation_id: int | None
) -> CallResult:
    if conversation_id is None:
        return failed("this run has no conversation, so no contact")
    conversation = await conversations.get_record(tx, conversation_id)
    await set_contact_field(
        tx,
        conversation.contact_id,
        call.field,
        call.value,
        column=call.field in CONTACT_COLUMNS,
    )
    return ok(field=call.field)


async def find_agent(tx: Tx, ref: str) -> NamedAgent | None:
    """An agent by id, e-mail, Slack user id or name."""
    return await agent_by_ref(tx, ref.strip().lstrip("@"))


async def _assign(tx: Tx, call: Assign, conversation_id: int, by: str) -> CallResult:
    conversation = await conversation_to_change(tx, conversation_id)
    assert conversation is not None
    if call.ai_agent is not None:
        conversation.hand_to_ai(call.ai_agent)
        return ok(agent=f"ai:{call.ai_agent}", ai_agent=call.ai_agent)
    team_id: int | None = None
    if call.team is not None:
        team = await agents.team_by_name(tx, call.team)
        if team is None:
            return failed(f"no team named {call.team!r}")
        team_id = team.id
    if call.agent is not None:
        named = await find_agent(tx, call.agent)
        if named is None:
            return failed(f"no agent {call.agent!r}")
        if not named.available:
            return declined(f"{named.name} is away")
        agent_id, agent_name = named.id, named.name
    else:
        chosen = await agents.select_agent(
            tx, strategy=call.strategy or "round_robin", team_id=team_id
        )
        if chosen is None:
            where = f" in team {call.team}" if call.team else ""
            return declined(f"no available agent with spare capacity{where}")
        agent_id, agent_name = chosen.id, chosen.name
    if call.offer_timeout_seconds:
        conversation.offer(agent_id, team_id)
        return ok(offered=True, agent=agent_name, agent_id=agent_id)
    await conversations.assign(tx, conversation_id, agent_id, team_id=team_id, by=by)
    return ok(agent=agent_name, agent_id=agent_id)


async def perform_action(
    registry: ActionRegistry, call: RunAction, context: ActionContext
) -> CallResult:
    """An integration action (network I/O: run outside any transaction)."""
    action = registry.get(call.action)
    if action is None:
        return failed(f"unknown action {call.action!r}; known: {', '.join(registry.names())}")
    try:
        result = await asyncio.wait_for(action(call.inputs, context), ACTION_TIMEOUT_S)
    except TimeoutError:
        return failed(f"{call.action} took longer than {ACTION_TIMEOUT_S:.0f}s")
    except (RelaybotError, ValidationFailed, ValueError) as exc:
        return failed(f"{call.action}: {exc}")
    except Exception as exc:
        logger.exception("action %s crashed", call.action, extra={"run_id": context.run_id})
        return failed(f"{call.action} crashed: {type(exc).__name__}")
    return CallResult(outcome=result.outcome, data=result.data, reason=result.reason)
