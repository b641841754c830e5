"""Settings and .env.example agree; bad settings name the variable."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.core.config import Settings, load_settings
from bot.core.errors import ConfigError

EXAMPLE = Path(__file__).resolve().parents[2] / ".env.example"


def documented() -> dict[str, str]:
    """Variable -> the comment block above it in .env.example."""
    found: dict[str, str] = {}
    comment: list[str] = []
    for line in EXAMPLE.read_text().splitlines():
        if line.startswith("#"):
            text = line.lstrip("# ").strip()
            match = re.match(r"^([A-Z][A-Z0-9_]+)=", text)
            if match and not text.startswith(match.group(1) + "= "):
                found[match.group(1)] = " ".join(comment)
                comment = []
            else:
                comment.append(text)
        elif "=" in line:
            found[line.split("=", 1)[0].strip()] = " ".join(comment)
            comment = []
        else:
            comment = []
    return found


def test_every_setting_is_in_env_example_with_a_comment() -> None:
    aliases = {field.alias for field in Settings.model_fields.values()}
    variables = documented()
    assert aliases == set(variables), (
        f"missing from .env.example: {sorted(aliases - set(variables))}; "
        f"unknown in .env.example: {sorted(set(variables) - aliases)}"
    )
    assert [name for name, comment in variables.items() if not comment] == []


def test_invalid_setting_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SMTP_PORT", "not-a-port")
    with pytest.raises(ConfigError, match="SMTP_PORT"):
        load_settings(_env_file=None)


def test_comma_lists(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLACK_ADMIN_USER_IDS", "U1, U2")
    assert load_settings(_env_file=None).slack_admin_user_ids == ["U1", "U2"]
