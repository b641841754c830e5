"""The ``relaybot`` command."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from aiohttp import web

from bot.app.commands import Command, Registrar
from bot.core.config import Settings, load_settings
from bot.core.errors import ConfigError, RelaybotError
from bot.core.log_redaction import configure_logging

logger = logging.getLogger("relaybot")


def _serve(args: argparse.Namespace, settings: Settings) -> int:
    from bot.app.access_log import RefusalSamplingAccessLogger
    from bot.app.app import create_app

    app = create_app(settings)
    app.on_startup.append(_tune_gc)
    print(f"relaybot serving on http://{args.host}:{args.port}  (database: {_safe_url(settings)})")
    web.run_app(
        app,
        host=args.host,
        port=args.port,
        print=None,
        shutdown_timeout=10,
        access_log_class=RefusalSamplingAccessLogger,
    )
    return 0


async def _tune_gc(_app: web.Application) -> None:
    """Garbage collection set for serving once start-up is done (:mod:`bot.app.gc_tuning`)."""
    from bot.app.gc_tuning import tune_for_serving

    tune_for_serving()


def _migrate(args: argparse.Namespace, settings: Settings) -> int:
    from bot.app.migrate import upgrade

    upgrade(settings.database_url, args.revision)
    print(f"database at {args.revision}: {_safe_url(settings)}")
    return 0


def _safe_url(settings: Settings) -> str:
    url = settings.database_url
    if "@" in url:
        scheme, _, rest = url.partition("://")
        return f"{scheme}://***@{rest.split('@', 1)[1]}"
    return url


def _register_core(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    serve = sub.add_parser("serve", help="run the HTTP server (webhooks, widget, Slack, API)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8080)
    serve.set_defaults(command=_serve)
    migrate = sub.add_parser("migrate", help="upgrade the database schema")
    migrate.add_argument("revision", nargs="?", default="head")
    migrate.set_defaults(command=_migrate)


def registrars() -> list[Registrar]:
    """Every part that adds commands."""
    from bot.app.cli_commands import REGISTRARS

    return [_register_core, *REGISTRARS]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="relaybot", description=__doc__)
    sub = parser.add_subparsers(dest="name", required=True)
    for register in registrars():
        register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = load_settings()
        configure_logging(settings)
        command: Command = args.command
        return command(args, settings)
    except ConfigError as exc:
        print(f"relaybot: {exc}", file=sys.stderr)
        return 2
    except RelaybotError as exc:
        print(f"relaybot: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
