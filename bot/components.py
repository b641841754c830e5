"""The list of parts the app factory plugs in (channels, console, integrations, engine)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.demo_agent import setup_demo
from bot.engine_component import setup_engine
from channels.component import setup_channels
from channels.widget.component import setup_widget
from integrations.component import setup_integrations
from integrations.slack.component import setup_slack_component

if TYPE_CHECKING:
    from bot.app import Component

COMPONENTS: list[Component] = [
    setup_integrations,
    setup_engine,
    setup_channels,
    setup_widget,
    setup_slack_component,
    setup_demo,
]
