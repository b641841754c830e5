"""``relaybot users ...``, ``relaybot audit`` and ``relaybot workflows enable|disable`` on a
fresh SQLite file, through the command's own entry point: what they print, their exit
codes and their audit lines (actor ``cli``)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from bot.app.cli import main
from bot.core.config import load_settings
from bot.pipeline.services import build_services
from tests.integration.console.support import PASSWORD, add_agent_record

EXAMPLES = Path(__file__).resolve().parents[3] / "examples" / "workflows"


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh SQLite file that the commands create and migrate themselves."""
    path = tmp_path / "cli.db"
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{path}")
    monkeypatch.chdir(tmp_path)  # no .env of the working tree is read
    return path


@pytest.fixture
def password_file(tmp_path: Path) -> Path:
    path = tmp_path / "password.txt"
    path.write_text(PASSWORD + "\n", encoding="utf-8")
    return path


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def audit_json(capsys: pytest.CaptureFixture[str], *filters: str) -> list[dict[str, object]]:
    code, out, _ = run(capsys, "audit", "--json", *filters)
    assert code == 0
    return [json.loads(line) for line in reversed(out.splitlines())]


def add_agent(email: str) -> int:
    async def add() -> int:
        services = build_services(load_settings())
        try:
            return await add_agent_record(services, email)
        finally:
            await services.close()

    return asyncio.run(add())


def test_the_first_admin_is_created_on_a_fresh_install(
    database: Path, password_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert not database.exists()
    code, out, _ = run(capsys, "users", "list")
    assert code == 0 and "no accounts yet" in out
    code, out, _ = run(
        capsys,
        "users",
        "create",
        "Adam@Example.com",
        "--role",
        "admin",
        "--password-file",
        str(password_file),
    )
    assert (code, out) == (0, "created adam@example.com (admin)\n")
    code, out, _ = run(capsys, "users", "list")
    assert out.split() == ["active", "admin", "adam@example.com"]
    [line] = audit_json(capsys)
    assert (line["actor"], line["source"], line["action"], line["target"]) == (
        "cli",
        "cli",
        "account.created",
        "adam@example.com",
    )


def test_the_password_is_asked_twice(
    database: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    answers = iter([PASSWORD, PASSWORD + "?"])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))
    code, _, err = run(capsys, "users", "create", "adam@example.com", "--role", "admin")
    assert code == 1 and "differ" in err
    answers = iter([PASSWORD, PASSWORD])
    code, _, _ = run(capsys, "users", "create", "adam@example.com", "--role", "admin")
    assert code == 0


def test_roles_and_disabling_from_the_command_line(
    database: Path, password_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pw = ("--password-file", str(password_file))
    assert run(capsys, "users", "create", "adam@example.com", "--role", "admin", *pw)[0] == 0
    code, _, err = run(capsys, "users", "create", "ana@example.com", "--role", "agent", *pw)
    assert code == 1 and "agent: no agent with the e-mail ana@example.com" in err
    agent_id = add_agent("ana@example.com")
    code, out, _ = run(capsys, "users", "create", "ana@example.com", "--role", "agent", *pw)
    assert (code, out) == (0, f"created ana@example.com (agent, agent {agent_id})\n")
    assert run(capsys, "users", "set-role", "ana@example.com", "admin") == (
        0,
        "ana@example.com is now admin\n",
        "",
    )
    assert run(capsys, "users", "set-role", "ana@example.com", "agent")[0] == 0
    code, _, err = run(capsys, "users", "disable", "adam@example.com")
    assert code == 1 and "last admin" in err
    code, out, _ = run(capsys, "users", "set-password", "ana@example.com", *pw)
    assert (code, out) == (0, "ana@example.com: password changed, sessions ended\n")
    assert run(capsys, "users", "disable", "ana@example.com")[1] == "ana@example.com disabled\n"
    code, out, _ = run(capsys, "users", "list")
    assert [line.split()[:3] for line in out.splitlines()] == [
        ["active", "admin", "adam@example.com"],
        ["disabled", "agent", "ana@example.com"],
    ]
    assert run(capsys, "users", "disable", "ghost@example.com")[0] == 1
    actions = [(x["action"], x["target"]) for x in audit_json(capsys)]
    assert actions == [
        ("account.created", "adam@example.com"),
        ("account.created", "ana@example.com"),
        ("account.role_changed", "ana@example.com"),
        ("account.role_changed", "ana@example.com"),
        ("account.password_changed", "ana@example.com"),
        ("account.disabled", "ana@example.com"),
    ]


def test_workflow_toggles_from_the_command_line_are_audited(
    database: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    files = [str(EXAMPLES / "support.yaml"), str(EXAMPLES / "support-survey.yaml")]
    assert run(capsys, "workflows", "import", *files)[0] == 0
    assert run(capsys, "workflows", "disable", "support")[1] == "support disabled\n"
    assert run(capsys, "workflows", "disable", "support")[1] == "support was already disabled\n"
    assert run(capsys, "workflows", "enable", "support")[1] == "support enabled\n"
    assert run(capsys, "workflows", "enable", "nope")[0] == 1
    lines = audit_json(capsys)
    assert [(x["actor"], x["source"], x["action"], x["target"], x["details"]) for x in lines] == [
        ("cli", "cli", "workflow.disabled", "support", {"changed": True}),
        ("cli", "cli", "workflow.disabled", "support", {"changed": False}),
        ("cli", "cli", "workflow.enabled", "support", {"changed": True}),
    ]
    code, out, _ = run(capsys, "audit", "--action", "workflow.enabled")
    assert code == 0
    [line] = out.splitlines()
    assert "cli" in line and "workflow.enabled" in line and "support" in line
    assert run(capsys, "audit", "--actor", "someone-else") == (0, "no audit lines\n", "")
