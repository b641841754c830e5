"""Safe `{{ contact.name }}` substitution: dotted paths and a few filters, never code.

`{{ contact.name | default: "there" }}` renders "there" when the name is missing or empty.
Other filters: `upper`, `lower`, `title`. A missing variable renders empty and is reported.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from workflows.paths import MISSING, resolve

_EXPR = re.compile(r"\{\{\s*(.*?)\s*\}\}", re.DOTALL)
_PATH = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)*$")
_FILTER = re.compile(r"^(?P<name>[a-z_]+)\s*(?::\s*(?P<arg>\"[^\"]*\"|'[^']*'|[^\s]+))?$")
_SIMPLE_FILTERS = {"upper": str.upper, "lower": str.lower, "title": str.title}


@dataclass
class Rendered:
    """The rendered text and the expressions that had no value (for the run log)."""

    text: str
    missing: list[str] = field(default_factory=list)


def render(template: str, ctx: dict[str, Any]) -> Rendered:
    """Substitute every `{{ ... }}` in ``template`` from ``ctx``."""
    missing: list[str] = []

    def substitute(match: re.Match[str]) -> str:
        value = _evaluate(match.group(1), ctx, missing)
        return format_value(value)

    return Rendered(_EXPR.sub(substitute, template), missing)


def render_value(value: Any, ctx: dict[str, Any], missing: list[str]) -> Any:
    """Render strings inside dicts and lists. A string that is exactly one expression keeps
    the native type of what it refers to (a number stays a number)."""
    if isinstance(value, str):
        whole = _EXPR.fullmatch(value.strip())
        if whole:
            result = _evaluate(whole.group(1), ctx, missing)
            return None if result is MISSING else result
        rendered = render(value, ctx)
        missing.extend(rendered.missing)
        return rendered.text
    if isinstance(value, dict):
        return {k: render_value(v, ctx, missing) for k, v in value.items()}
    if isinstance(value, list):
        return [render_value(v, ctx, missing) for v in value]
    return value


def template_problems(template: str) -> list[str]:
    """What is wrong with the expressions in ``template`` (for the loader)."""
    problems = []
    for match in _EXPR.finditer(template):
        path, *filters = (part.strip() for part in match.group(1).split("|"))
        if not _PATH.match(path):
            problems.append(f"{{{{ {match.group(1)} }}}}: {path!r} is not a dotted variable path")
        for raw in filters:
            spec = _FILTER.match(raw)
            if not spec or (spec["name"] != "default" and spec["name"] not in _SIMPLE_FILTERS):
                problems.append(f"{{{{ {match.group(1)} }}}}: unknown filter {raw!r}")
    return problems


def format_value(value: Any) -> str:
    """How a value looks inside a message."""
    if value is MISSING or value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return ", ".join(format_value(v) for v in value)
    return str(value)


def _evaluate(expression: str, ctx: dict[str, Any], missing: list[str]) -> Any:
    path, *filters = (part.strip() for part in expression.split("|"))
    value = resolve(ctx, path) if _PATH.match(path) else MISSING
    if _empty(value):
        has_default = any(f.startswith("default") for f in filters)
        if not has_default:
            missing.append(path)
    for raw in filters:
        spec = _FILTER.match(raw)
        if spec is None:
            missing.append(raw)
            continue
        name, arg = spec["name"], spec["arg"]
        if name == "default":
            if _empty(value):
                value = _literal(arg)
        elif name in _SIMPLE_FILTERS:
            if value is not MISSING and value is not None:
                value = _SIMPLE_FILTERS[name](format_value(value))
        else:
            missing.append(raw)
    return value


def _empty(value: Any) -> bool:
    return value is MISSING or value is None or value == "" or value == [] or value == {}


def _literal(arg: str | None) -> Any:
    if arg is None:
        return ""
    if arg[:1] in "\"'" and arg[-1:] == arg[:1]:
        return arg[1:-1]
    return arg
