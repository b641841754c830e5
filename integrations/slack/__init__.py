"""Slack as the agents' console: threads per conversation, ``/relay``, buttons and logs."""

from integrations.slack.app import SLACK_CONSOLE, SLACK_EVENTS_PATH, setup_slack
from integrations.slack.console import SlackConsole
from integrations.slack.ports import ConsoleBackend, ThreadRegistry

__all__ = [
    "SLACK_CONSOLE",
    "SLACK_EVENTS_PATH",
    "ConsoleBackend",
    "SlackConsole",
    "ThreadRegistry",
    "setup_slack",
]
