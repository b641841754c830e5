"""Durations, templates, triggers."""

from __future__ import annotations

from datetime import timedelta

import pytest

from workflows.durations import parse_duration
from workflows.errors import InvalidDurationError
from workflows.templates import render, template_problems

from .helpers import context


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("90s", timedelta(seconds=90)),
        ("30m", timedelta(minutes=30)),
        ("24h", timedelta(hours=24)),
        ("7d", timedelta(days=7)),
        ("2w", timedelta(weeks=2)),
        ("1.5h", timedelta(minutes=90)),
        ("PT2H", timedelta(hours=2)),
        ("P1DT30M", timedelta(days=1, minutes=30)),
        ("PT45S", timedelta(seconds=45)),
        (120, timedelta(minutes=2)),
    ],
)
def test_durations(text: str | int, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["soon", "", "P", "PT", "0s", "-5m", "5 years", "P1Y"])
def test_bad_durations(text: str) -> None:
    with pytest.raises(InvalidDurationError):
        parse_duration(text)


def test_templates_substitute_paths_filters_and_defaults() -> None:
    ctx = context(vars={"items": ["a", "b"], "flag": True})
    rendered = render(
        '{{contact.name}} {{ contact.name | upper }} {{ contact.email | default: "n/a" }} '
        "{{ vars.items }} {{ vars.items.1 }} {{ vars.flag }} {{ lead.expected_amount }}",
        ctx,
    )
    assert rendered.text == "Ada ADA n/a a, b b yes 7500"
    assert rendered.missing == []


@pytest.mark.parametrize(
    "template",
    [
        "{{ contact.__class__ }}",
        "{{ __import__('os').system('echo hi') }}",
        "{{ contact.name.__len__() }}",
        "{{ 7*7 }}",
        "{{ contact['name'] }}",
    ],
)
def test_templates_never_execute_code(template: str) -> None:
    rendered = render(template, context())
    assert rendered.text == ""
    assert rendered.missing


def test_template_problems_find_bad_paths_and_filters() -> None:
    assert template_problems("{{ contact.name | default: 'x' | lower }}") == []
    assert len(template_problems("{{ 1+1 }} {{ contact.name | evil }}")) == 2


def test_missing_values_render_empty_and_are_reported() -> None:
    rendered = render("Hi {{ contact.nickname }}, {{ nothing.here }}", context())
    assert rendered.text == "Hi , "
    assert rendered.missing == ["contact.nickname", "nothing.here"]
