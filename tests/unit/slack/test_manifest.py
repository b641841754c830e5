"""The app manifest: one URL for everything, and every scope the console calls need."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

import integrations.slack

MANIFEST = Path(integrations.slack.__file__).parent / "manifest.yml"
URL = "https://YOUR_HOST/slack/events"


def load() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(MANIFEST.read_text())
    return data


def test_every_url_is_the_events_endpoint() -> None:
    manifest = load()
    settings = manifest["settings"]
    assert settings["event_subscriptions"]["request_url"] == URL
    assert settings["interactivity"] == {"is_enabled": True, "request_url": URL}
    (command,) = manifest["features"]["slash_commands"]
    assert command["command"] == "/relay"
    assert command["url"] == URL
    assert command["should_escape"] is True  # mentions arrive as <@U123|name>


def test_scopes_and_events() -> None:
    manifest = load()
    scopes = set(manifest["oauth_config"]["scopes"]["bot"])
    needed = {
        "chat:write",  # chat.postMessage, chat.update, chat.postEphemeral
        "chat:write.public",
        "im:write",  # conversations.open for assignment DMs
        "users:read",
        "users:read.email",  # matching agents by e-mail
        "channels:history",
        "groups:history",  # thread replies in public and private inbox channels
        "commands",
        "app_mentions:read",
    }
    assert needed <= scopes
    events = set(manifest["settings"]["event_subscriptions"]["bot_events"])
    assert {"message.channels", "message.groups", "app_mention"} <= events
