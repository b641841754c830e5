"""The list of parts the app factory plugs in (channels, console, integrations, engine)."""

from __future__ import annotations

from collections.abc import Callable

from aiohttp import web

from bot.app.console.routes import setup_console
from bot.app.demo_agent import setup_demo
from bot.app.engine_component import setup_engine
from bot.pipeline.services import Services
from channels.component import setup_channels
from channels.widget.component import setup_widget
from integrations.component import setup_integrations
from integrations.slack.component import setup_slack_component

Component = Callable[[web.Application, Services], None]
"""A part of the app: it adds its routes and start-up hooks when its settings are present."""

COMPONENTS: list[Component] = [
    setup_integrations,
    setup_engine,
    setup_channels,
    setup_widget,
    setup_slack_component,
    setup_demo,
    setup_console,
]
