"""Parsing ``/relay`` text into a :class:`Command` (pure; no Slack calls here)."""

from __future__ import annotations

import re
from dataclasses import dataclass

USAGE: dict[str, str] = {
    "help": "/relay help",
    "mine": "/relay mine",
    "queue": "/relay queue",
    "claim": "/relay claim ID",
    "assign": "/relay assign ID @user",
    "close": "/relay close ID",
    "reopen": "/relay reopen ID",
    "tag": "/relay tag ID TAG",
    "available": "/relay available",
    "away": "/relay away",
    "workflows": "/relay workflows",
    "enable": "/relay enable NAME",
    "disable": "/relay disable NAME",
    "logs": "/relay logs [NAME] [--failed]",
}
ADMIN_ONLY = frozenset({"enable", "disable"})
HELP_LINES = {
    "help": "this help",
    "mine": "conversations assigned to you",
    "queue": "open conversations nobody has taken",
    "claim": "take a conversation",
    "assign": "give a conversation to someone",
    "close": "close a conversation",
    "reopen": "reopen a closed conversation",
    "tag": "add a tag",
    "available": "receive new assignments",
    "away": "stop receiving new assignments",
    "workflows": "list workflows and whether they are on",
    "enable": "turn a workflow on (admins)",
    "disable": "turn a workflow off (admins)",
    "logs": "recent workflow runs, optionally only failed ones",
}
MENTION = re.compile(r"^<@([UW][A-Z0-9]+)(?:\|[^>]*)?>$")
RAW_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")


class UsageError(ValueError):
    """The command text does not match any usage; ``usage`` says what would."""

    def __init__(self, usage: str, problem: str = "") -> None:
        super().__init__(problem or usage)
        self.usage = usage
        self.problem = problem


@dataclass(frozen=True)
class Command:
    name: str
    conversation_id: str | None = None
    target_user: str | None = None
    tag: str | None = None
    workflow: str | None = None
    failed_only: bool = False

    @property
    def admin_only(self) -> bool:
        return self.name in ADMIN_ONLY


def help_text() -> str:
    lines = [f"`{USAGE[name]}` — {about}" for name, about in HELP_LINES.items()]
    return "*relaybot commands*\n" + "\n".join(lines)


def parse_user(token: str) -> str | None:
    """A Slack user id from ``<@U123|name>``, ``<@U123>`` or a bare ``U123``."""
    match = MENTION.match(token)
    if match:
        return match.group(1)
    return token if RAW_USER_ID.match(token) else None


def _conversation_id(token: str) -> str:
    return token.lstrip("#")


def parse(text: str) -> Command:
    """``/relay`` text to a command; raises :class:`UsageError` with a usage line."""
    words = text.split()
    if not words:
        return Command("help")
    name, args = words[0].lower(), words[1:]
    if name not in USAGE:
        raise UsageError("/relay help", f"Unknown command `{name}`.")
    usage = USAGE[name]
    if name in {"help", "mine", "queue", "available", "away", "workflows"}:
        if args:
            raise UsageError(usage)
        return Command(name)
    if name in {"claim", "close", "reopen"}:
        if len(args) != 1:
            raise UsageError(usage)
        return Command(name, conversation_id=_conversation_id(args[0]))
    if name == "assign":
        user = parse_user(args[1]) if len(args) == 2 else None
        if user is None:
            raise UsageError(usage)
        return Command(name, conversation_id=_conversation_id(args[0]), target_user=user)
    if name == "tag":
        if len(args) != 2:
            raise UsageError(usage)
        return Command(name, conversation_id=_conversation_id(args[0]), tag=args[1])
    if name in {"enable", "disable"}:
        if len(args) != 1:
            raise UsageError(usage)
        return Command(name, workflow=args[0])
    return _parse_logs(args, usage)


def _parse_logs(args: list[str], usage: str) -> Command:
    failed = "--failed" in args
    rest = [a for a in args if a != "--failed"]
    if len(rest) > 1 or any(a.startswith("-") for a in rest):
        raise UsageError(usage)
    return Command("logs", workflow=rest[0] if rest else None, failed_only=failed)
