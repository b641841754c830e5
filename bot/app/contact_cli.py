"""``relaybot contacts export ID [--output FILE]`` and ``relaybot contacts erase ID --yes``:
a person's data as JSON, or erased (see :mod:`bot.domain.contact_privacy`), audited with
the actor ``cli``."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path

from bot.app.commands import with_services
from bot.domain import contact_privacy
from bot.domain.audit import CLI
from bot.pipeline.services import Services


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    contacts = sub.add_parser("contacts", help="a person's data: export it or erase it")
    commands = contacts.add_subparsers(dest="contacts_command", required=True)
    export = commands.add_parser("export", help="everything stored about a contact, as JSON")
    export.add_argument("id", type=int, help="the contact's id")
    export.add_argument("--output", type=Path, help="write to this file (default: stdout)")
    export.set_defaults(command=with_services(_export))
    erase = commands.add_parser(
        "erase", help="erase a contact's personal data (keeps counts, runs and log lines)"
    )
    erase.add_argument("id", type=int, help="the contact's id")
    erase.add_argument("--yes", action="store_true", help="confirm: this cannot be undone")
    erase.set_defaults(command=with_services(_erase))


async def _export(args: argparse.Namespace, services: Services) -> int:
    return await run_export(services, args.id, args.output)


async def _erase(args: argparse.Namespace, services: Services) -> int:
    return await run_erase(services, args.id, yes=args.yes)


async def run_export(services: Services, contact_id: int, output: Path | None) -> int:
    """Write the contact's export to ``output`` (stdout when None)."""
    document = await contact_privacy.export(services.uow, contact_id, CLI)
    text = json.dumps(document, ensure_ascii=False, indent=2) + "\n"
    if output is None:
        sys.stdout.write(text)
    else:
        await asyncio.to_thread(output.write_text, text, encoding="utf-8")
        print(f"contact {contact_id} exported to {output}", file=sys.stderr)
    return 0


async def run_erase(services: Services, contact_id: int, *, yes: bool) -> int:
    """Erase the contact's personal data; refused (1) without ``yes``."""
    if not yes:
        print(
            f"relaybot: erasing contact {contact_id} cannot be undone: add --yes",
            file=sys.stderr,
        )
        return 1
    erased = await contact_privacy.erase(services.uow, contact_id, CLI, str(contact_id))
    counts = ", ".join(f"{n} {name.replace('_', ' ')}" for name, n in vars(erased).items() if n)
    print(f"contact {contact_id} erased ({counts})")
    return 0
