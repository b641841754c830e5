"""Header and DM buttons, the user picker, the tag modal, the workflow toggles."""

from __future__ import annotations

import json
from typing import Any

from integrations.slack.blocks import Actions
from integrations.slack.ports import ThreadRef
from tests.integration.slack.conftest import ADMIN, AGENT, STRANGER, SlackEnv

THREAD = ThreadRef("CINBOX", "1700000000.000009")


async def test_claim_button_claims_and_dms(env: SlackEnv) -> None:
    await env.registry.save("42", THREAD)
    status, _ = await env.slack.click(Actions.CLAIM, value="42")
    assert status == 200
    await env.backend.wait_called("claim")
    assert env.backend.called("claim") == [("42", AGENT)]
    opened = await env.fake.wait_calls("conversations.open")
    assert opened[0]["users"] == AGENT
    dm = (await env.fake.wait_calls("chat.postMessage"))[0]
    assert dm["channel"] == f"D{AGENT}"
    dm_blocks = json.dumps(dm["blocks"])
    assert "Open thread" in dm_blocks
    assert "https://fake.slack.test/archives/CINBOX/p1700000000000009" in dm_blocks
    assert Actions.UNASSIGN in dm_blocks
    header = (await env.fake.wait_calls("chat.update"))[0]
    assert header["channel"] == "CINBOX"
    assert f"<@{AGENT}>" in json.dumps(header["blocks"])
    reply = (await env.fake.wait_responses())[0]
    assert reply["response_type"] == "ephemeral"
    assert "You claimed #42" in reply["text"]


async def test_claim_button_by_non_agent(env: SlackEnv) -> None:
    await env.slack.click(Actions.CLAIM, user_id=STRANGER, value="42")
    reply = (await env.fake.wait_responses())[0]
    assert "not set up as a relaybot agent" in reply["text"]
    assert env.backend.called("claim") == []


async def test_claim_taken_conversation_is_refused(env: SlackEnv) -> None:
    await env.slack.click(Actions.CLAIM, user_id=ADMIN, value="42")
    await env.fake.wait_responses(1)
    await env.slack.click(Actions.CLAIM, user_id=AGENT, value="42")
    replies = await env.fake.wait_responses(2)
    assert "already assigned" in replies[1]["text"]


async def test_user_picker_assigns(env: SlackEnv) -> None:
    await env.slack.click(
        Actions.ASSIGN, block_id="conv:42", type="users_select", selected_user=ADMIN
    )
    await env.backend.wait_called("assign")
    assert env.backend.called("assign") == [("42", ADMIN, AGENT)]
    opened = await env.fake.wait_calls("conversations.open")
    assert opened[0]["users"] == ADMIN


async def test_close_and_unassign_buttons(env: SlackEnv) -> None:
    await env.slack.click(Actions.CLOSE, value="42")
    await env.backend.wait_called("close")
    await env.slack.click(Actions.UNASSIGN, value="42")
    await env.backend.wait_called("unassign")
    replies = await env.fake.wait_responses(2)
    assert {r["text"].split()[0] for r in replies} == {"Closed", "Unassigned"}


async def test_tag_button_opens_modal_and_submission_tags(env: SlackEnv) -> None:
    await env.slack.click(Actions.TAG, value="42")
    opened = (await env.fake.wait_calls("views.open"))[0]
    assert opened["view"]["callback_id"] == Actions.TAG_MODAL
    assert opened["view"]["private_metadata"] == "42"
    submission: dict[str, Any] = {
        "type": "view_submission",
        "user": {"id": AGENT},
        "view": {
            "type": "modal",
            "id": "V1",
            "callback_id": Actions.TAG_MODAL,
            "private_metadata": "42",
            "state": {
                "values": {
                    Actions.TAG_INPUT_BLOCK: {
                        Actions.TAG_INPUT: {"type": "plain_text_input", "value": " VIP "}
                    }
                }
            },
        },
    }
    status, body = await env.slack.interaction(submission)
    assert status == 200
    assert body == ""
    assert env.backend.conversations["42"].tags == ("billing", "VIP")


async def test_empty_tag_shows_error_in_modal(env: SlackEnv) -> None:
    submission: dict[str, Any] = {
        "type": "view_submission",
        "user": {"id": AGENT},
        "view": {
            "type": "modal",
            "id": "V1",
            "callback_id": Actions.TAG_MODAL,
            "private_metadata": "42",
            "state": {"values": {Actions.TAG_INPUT_BLOCK: {Actions.TAG_INPUT: {"value": ""}}}},
        },
    }
    status, body = await env.slack.interaction(submission)
    assert status == 200
    assert json.loads(body) == {
        "response_action": "errors",
        "errors": {Actions.TAG_INPUT_BLOCK: "Enter a tag."},
    }
    assert env.backend.called("tag") == []


async def test_workflow_toggle_checks_admin_again(env: SlackEnv) -> None:
    await env.slack.click(Actions.WORKFLOW_DISABLE, user_id=AGENT, value="welcome")
    refused = (await env.fake.wait_responses())[0]
    assert "Only relaybot admins" in refused["text"]
    assert env.backend.workflow_items["welcome"].enabled

    await env.slack.click(Actions.WORKFLOW_DISABLE, user_id=ADMIN, value="welcome")
    updated = (await env.fake.wait_responses(2))[1]
    assert updated["replace_original"] is True
    assert Actions.WORKFLOW_ENABLE in json.dumps(updated["blocks"])
    assert not env.backend.workflow_items["welcome"].enabled


async def test_open_thread_link_is_just_acknowledged(env: SlackEnv) -> None:
    status, _ = await env.slack.click(Actions.OPEN_THREAD, url="https://fake.slack.test/x")
    assert status == 200
