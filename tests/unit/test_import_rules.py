"""The project's import rules, read from the code's own imports (every ``import`` counts,
also those inside functions and under ``TYPE_CHECKING``).

- ``workflows`` is the pure engine: it imports nothing of ``bot``, ``channels`` or
  ``integrations``, and no I/O library (no database, HTTP server or event loop).
- ``channels`` and ``integrations`` do not import each other; they meet in ``bot``, and
  only ``bot.app`` (the wiring) imports them.
- ``bot`` is layered, lowest first: ``core`` (the shared words, no storage), ``storage``,
  ``domain``, ``pipeline``, ``app``; a layer imports only itself and the layers below.
- No import circles: a part that needs something of the part above it declares what it
  needs as a small protocol (the run helpers' drivers in ``bot/pipeline/run_*.py``).
- SQLAlchemy and the database drivers only in ``bot.storage``: everything else uses its
  repositories, which hand out plain values; no ORM row class and no ``tx.session``
  outside it.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("bot", "channels", "workflows", "integrations")

IO_LIBRARIES = {"sqlalchemy", "aiohttp", "asyncio", "asyncpg", "aiosqlite", "sqlite3", "socket"}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


@cache
def modules() -> dict[str, Path]:
    return {
        module_name(path): path
        for package in PACKAGES
        for path in sorted((ROOT / package).rglob("*.py"))
    }


def imported_names(path: Path) -> Iterator[str]:
    """Every module ``path`` imports, relative imports resolved, ``from m import x``
    counted as ``m.x`` when that is a module of ours."""
    package = module_name(path) if path.name == "__init__.py" else module_name(path.parent)
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            yield base
            for alias in node.names:
                if f"{base}.{alias.name}" in modules():
                    yield f"{base}.{alias.name}"


def project_imports(name: str) -> set[str]:
    """Modules of ours that ``name`` imports; its own parent packages are not counted
    (``from . import sibling`` names the package, but reads the sibling)."""
    return {
        target
        for target in imported_names(modules()[name])
        if target in modules() and not name.startswith(f"{target}.")
    }


def top(name: str) -> str:
    return name.split(".")[0]


def test_the_import_graph_is_read() -> None:
    assert "bot.pipeline.runner" in modules()
    assert "workflows.engine" in project_imports("bot.pipeline.runner")
    assert len(modules()) > 100


def test_the_engine_imports_nothing_of_the_rest_and_no_io() -> None:
    wrong = sorted(
        f"{name} imports {target}"
        for name, path in modules().items()
        if top(name) == "workflows"
        for target in imported_names(path)
        if top(target) in {"bot", "channels", "integrations"} or top(target) in IO_LIBRARIES
    )
    assert not wrong


LAYERS = ("bot.core", "bot.storage", "bot.domain", "bot.pipeline", "bot.app")
"""The folders of ``bot``, lowest first: each imports only its own and those below it."""


def layer(name: str) -> int | None:
    return next(
        (i for i, prefix in enumerate(LAYERS) if name == prefix or name.startswith(f"{prefix}.")),
        None,
    )


def test_every_module_of_bot_sits_in_a_layer() -> None:
    loose = sorted(
        name for name in modules() if top(name) == "bot" and name != "bot" and layer(name) is None
    )
    assert not loose
    assert {name.split(".")[1] for name in modules() if layer(name) is not None} == {
        prefix.split(".")[1] for prefix in LAYERS
    }


def test_the_layers_of_bot_import_only_downwards() -> None:
    upward = sorted(
        f"{name} imports {target}"
        for name in modules()
        if (own := layer(name)) is not None
        for target in project_imports(name)
        if (theirs := layer(target)) is not None and theirs > own
    )
    assert not upward


def test_only_the_app_knows_channels_and_integrations() -> None:
    wrong = sorted(
        f"{name} imports {target}"
        for name in modules()
        if top(name) == "bot" and not name.startswith("bot.app.")
        for target in project_imports(name)
        if top(target) in {"channels", "integrations"}
    )
    assert not wrong


def test_the_shared_words_hold_no_storage() -> None:
    wrong = sorted(
        f"{name} imports {target}"
        for name, path in modules().items()
        if name.startswith("bot.core.")
        for target in imported_names(path)
        if top(target) in {"sqlalchemy", "asyncpg", "aiosqlite", "sqlite3"}
    )
    assert not wrong


def test_channels_and_integrations_do_not_import_each_other() -> None:
    apart = {"channels": "integrations", "integrations": "channels"}
    wrong = sorted(
        f"{name} imports {target}"
        for name in modules()
        if top(name) in apart
        for target in project_imports(name)
        if top(target) == apart[top(name)]
    )
    assert not wrong


def circles(graph: dict[str, set[str]]) -> list[set[str]]:
    """The strongly connected parts of ``graph`` with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[set[str]] = []
    counter = 0

    def visit(node: str) -> None:
        nonlocal counter
        index[node] = low[node] = counter
        counter += 1
        stack.append(node)
        on_stack.add(node)
        for target in graph[node]:
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            part: set[str] = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                part.add(member)
                if member == node:
                    break
            if len(part) > 1:
                found.append(part)

    for name in graph:
        if name not in index:
            visit(name)
    return found


def test_no_import_circle() -> None:
    graph = {name: project_imports(name) for name in modules()}
    assert [sorted(part) for part in circles(graph)] == []


def test_the_circle_finder_finds_circles_and_only_them() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": {"d"}, "f": {"f"}}
    assert circles(graph) == [{"a", "b", "c"}]


def sqlalchemy_users(names: list[str]) -> list[str]:
    """Those of ``names`` that import SQLAlchemy."""
    return sorted(
        name
        for name in names
        if any(top(target) == "sqlalchemy" for target in imported_names(modules()[name]))
    )


def outside_storage() -> list[str]:
    names = [
        name for name in modules() if name != "bot.storage" and not name.startswith("bot.storage.")
    ]
    assert {"bot.domain.agents", "bot.pipeline.outbox", "channels.widget.store"} <= set(names)
    return names


def test_sqlalchemy_only_in_storage() -> None:
    assert sqlalchemy_users(outside_storage()) == []
    assert "bot.storage.uow" in sqlalchemy_users(list(modules()))  # the test sees imports


def test_no_database_driver_outside_storage() -> None:
    drivers = {"asyncpg", "aiosqlite", "sqlite3"}
    wrong = sorted(
        f"{name} imports {target}"
        for name in outside_storage()
        for target in imported_names(modules()[name])
        if top(target) in drivers
    )
    assert not wrong


def test_orm_rows_stay_in_storage() -> None:
    """Repositories hand out plain values: the ORM classes are storage's own."""
    wrong = sorted(
        name for name in outside_storage() if "bot.storage.models" in project_imports(name)
    )
    assert not wrong


def session_uses(path: Path) -> list[int]:
    """Lines where ``path`` reaches for a unit of work's SQLAlchemy session (``tx.session``)."""
    return [
        node.lineno
        for node in ast.walk(ast.parse(path.read_text(), str(path)))
        if isinstance(node, ast.Attribute)
        and node.attr == "session"
        and isinstance(node.value, ast.Name)
        and node.value.id == "tx"
    ]


def test_no_session_outside_storage() -> None:
    wrong = sorted(
        f"{name}:{line}" for name in outside_storage() for line in session_uses(modules()[name])
    )
    assert not wrong
    assert session_uses(modules()["bot.storage.pipeline.inbox_store"])  # the test sees uses


def slack_console() -> list[str]:
    names = [name for name in modules() if name.startswith("integrations.slack")]
    assert {"integrations.slack.component", "integrations.slack.mirror"} <= set(names)
    return names


def test_the_slack_console_holds_no_orm_row_session_or_unit_of_work() -> None:
    storage = {"bot.storage.models", "bot.storage.db", "bot.storage.uow"}
    wrong = sorted(
        f"{name} imports {target}"
        for name in slack_console()
        for target in project_imports(name)
        if target in storage
    )
    assert not wrong
