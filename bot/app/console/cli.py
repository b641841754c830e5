"""``relaybot users ...`` (console accounts) and ``relaybot audit`` (the audit log).

Changes made here are audited with the actor ``cli``. The first admin of a fresh install
is created with ``relaybot users create EMAIL --role admin``.
"""

from __future__ import annotations

import argparse
import getpass
import json
from datetime import UTC, datetime
from pathlib import Path

from bot.app.commands import with_services
from bot.core.errors import ValidationFailed
from bot.domain import accounts, audit
from bot.domain.accounts import ROLES
from bot.domain.audit import CLI, AuditFilter
from bot.pipeline.services import Services


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    users = sub.add_parser(
        "users", help="console accounts: create, list, set-role, set-password, disable"
    )
    commands = users.add_subparsers(dest="users_command", required=True)
    create = commands.add_parser("create", help="create an account (asks for its password)")
    create.add_argument("email")
    create.add_argument("--role", choices=ROLES, required=True)
    create.add_argument("--agent", type=int, help="the agent record's id (default: by e-mail)")
    create.add_argument(
        "--password-file", type=Path, help="read the password from this file's first line"
    )
    create.set_defaults(command=with_services(_create))
    commands.add_parser("list", help="every account with its role").set_defaults(
        command=with_services(_list)
    )
    role = commands.add_parser("set-role", help="change an account's role (ends its sessions)")
    role.add_argument("email")
    role.add_argument("role", choices=ROLES)
    role.add_argument("--agent", type=int, help="the agent record's id, for the agent role")
    role.set_defaults(command=with_services(_set_role))
    password = commands.add_parser(
        "set-password", help="give an account a new password (ends its sessions)"
    )
    password.add_argument("email")
    password.add_argument(
        "--password-file", type=Path, help="read the password from this file's first line"
    )
    password.set_defaults(command=with_services(_set_password))
    disable = commands.add_parser("disable", help="disable an account (ends its sessions)")
    disable.add_argument("email")
    disable.set_defaults(command=with_services(_disable))

    log = sub.add_parser("audit", help="the audit log, newest first")
    log.add_argument("--actor", help="an account's e-mail, cli, a Slack user id, api-token")
    log.add_argument("--action", choices=audit.ACTIONS)
    log.add_argument("--since", type=_time, help="ISO 8601 time (UTC unless it says)")
    log.add_argument("--until", type=_time, help="ISO 8601 time (UTC unless it says)")
    log.add_argument("--limit", type=int, default=50)
    log.add_argument("--json", action="store_true", help="one JSON object a line")
    log.set_defaults(command=with_services(_audit))


def _time(value: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not an ISO 8601 time: {value!r}") from exc
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def read_password(path: Path | None) -> str:
    """The first line of ``path``, or typed twice at a prompt."""
    if path is not None:
        lines = path.read_text(encoding="utf-8").splitlines()
        return lines[0] if lines else ""
    first = getpass.getpass("Password: ")
    if getpass.getpass("Password again: ") != first:
        raise ValidationFailed("password", "the two entries differ")
    return first


async def _create(args: argparse.Namespace, services: Services) -> int:
    password = read_password(args.password_file)
    account = await accounts.create_account(
        services.uow, args.email, password, args.role, CLI, agent_id=args.agent
    )
    link = f", agent {account.agent_id}" if account.agent_id is not None else ""
    print(f"created {account.email} ({account.role}{link})")
    return 0


async def _list(args: argparse.Namespace, services: Services) -> int:
    found = await accounts.list_accounts(services.uow)
    if not found:
        print("no accounts yet: relaybot users create EMAIL --role admin")
    for account in found:
        state = "disabled" if account.disabled else "active  "
        agent = f"agent {account.agent_id}" if account.agent_id is not None else ""
        print(f"{state}  {account.role:<6} {account.email:<40} {agent}".rstrip())
    return 0


async def _set_role(args: argparse.Namespace, services: Services) -> int:
    account = await accounts.set_role(services.uow, args.email, args.role, CLI, agent_id=args.agent)
    print(f"{account.email} is now {account.role}")
    return 0


async def _set_password(args: argparse.Namespace, services: Services) -> int:
    account = await accounts.set_password(
        services.uow, args.email, read_password(args.password_file), CLI
    )
    print(f"{account.email}: password changed, sessions ended")
    return 0


async def _disable(args: argparse.Namespace, services: Services) -> int:
    account = await accounts.disable(services.uow, args.email, CLI)
    print(f"{account.email} disabled")
    return 0


async def _audit(args: argparse.Namespace, services: Services) -> int:
    where = AuditFilter(actor=args.actor, action=args.action, since=args.since, until=args.until)
    page = await audit.read(services.uow, where, max(1, min(args.limit, 1000)))
    if not page.lines and not args.json:
        print("no audit lines")
    for line in page.lines:
        if args.json:
            print(
                json.dumps(
                    {
                        "id": line.id,
                        "at": line.at.isoformat(),
                        "actor": line.actor,
                        "source": line.source,
                        "action": line.action,
                        "target": line.target,
                        "details": line.details,
                        "client_address": line.client_address,
                    },
                    sort_keys=True,
                )
            )
            continue
        where_from = line.source + (f" {line.client_address}" if line.client_address else "")
        details = f"  {json.dumps(line.details, sort_keys=True)}" if line.details else ""
        print(
            f"{line.at:%Y-%m-%d %H:%M:%S}  {line.actor:<24} {line.action:<20} "
            f"{line.target or '-':<24} {where_from}{details}"
        )
    return 0
