"""Every command and code block in README.md and docs/ that can run here, run.

Shell lines are run as written (``relaybot ...`` with the project's own command, against
a fresh SQLite database and the fake Telegram Bot API); workflow YAML is loaded by the
workflow loader (a fragment is placed in a minimal workflow first); Python snippets are
executed against the code they describe. What cannot run on a test machine (``make``,
``sudo``, ``systemctl``, ``docker``) is listed in :data:`NOT_HERE` with the reason, and a
new command in the docs that is neither run nor listed fails the suite.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import os
import re
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from channels.widget.tokens import verify_identity
from integrations.webhook import sign
from tests.fakes.telegram import TelegramFake
from tests.served import RELAYBOT, ROOT, served
from workflows.loader import parse_data

DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.S | re.M)

NOT_HERE = {
    "make ": "the two set-up commands: `make test` is this suite; `make run` serves until stopped",
    "sudo ": "system service set-up on a production host",
    "systemctl ": "system service set-up on a production host",
    "docker ": "no Docker engine on a test machine; tests/unit/packaging reads the files",
    "cp .env.example .env": "copies the example settings into the working tree",
}


@dataclass(frozen=True)
class Block:
    """One fenced code block: where it is, its language tag and its text."""

    where: str
    lang: str
    text: str


def blocks(*langs: str) -> list[Block]:
    found = []
    for path in DOCS:
        text = path.read_text()
        for match in FENCE.finditer(text):
            if match.group(1) in langs:
                line = text[: match.start()].count("\n") + 1
                found.append(
                    Block(f"{path.relative_to(ROOT)}:{line}", match.group(1), match.group(2))
                )
    return found


def shell_lines() -> Iterator[tuple[str, str]]:
    """Commands from ``sh`` blocks: comments dropped, ``$ `` prompts kept, output lines skipped."""
    for block in blocks("sh"):
        prompted = any(line.startswith("$ ") for line in block.text.splitlines())
        for raw in block.text.splitlines():
            if prompted and not raw.startswith("$ "):
                continue
            line = raw.removeprefix("$ ").split("  #", 1)[0].strip()
            if line and not line.startswith("#"):
                yield block.where, line


SETTING = re.compile(r"^([A-Z][A-Z0-9_]+)=")


def test_every_setting_the_docs_show_is_in_env_example() -> None:
    example = (ROOT / ".env.example").read_text()
    known = set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]+)=", example, re.M))
    shown = {(where, m.group(1)) for where, line in shell_lines() if (m := SETTING.match(line))}
    assert shown
    unknown = sorted(f"{where}: {name}" for where, name in shown if name not in known)
    assert not unknown


def commands() -> list[tuple[str, str]]:
    return [(where, line) for where, line in shell_lines() if not SETTING.match(line)]


def test_every_command_in_the_docs_runs_here_or_says_why_not() -> None:
    unclassified = [
        f"{where}: {line}"
        for where, line in commands()
        if not line.startswith(("relaybot ", "python ", "curl "))
        and not any(line.startswith(prefix) for prefix in NOT_HERE)
    ]
    assert not unclassified


async def run(line: str, env: dict[str, str], stdin: bytes = b"") -> tuple[int, str]:
    words = line.split()
    if words[0] == "relaybot":
        words[0] = str(RELAYBOT)
    elif words[0] == "python":
        words = [sys.executable, words[1], " ".join(words[2:]).strip("\"'")]
    process = await asyncio.create_subprocess_exec(
        *words,
        cwd=ROOT,
        env=env,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await asyncio.wait_for(process.communicate(stdin), timeout=120)
    assert process.returncode is not None
    return process.returncode, out.decode()


@pytest.fixture
async def telegram() -> Any:
    fake = TelegramFake()
    await fake.start()
    yield fake
    await fake.stop()


def command_env(tmp_path: Path, telegram: TelegramFake) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RELAYBOT_", "TELEGRAM_"))}
    env.update(
        DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'docs.db'}",
        RELAYBOT_WORKFLOWS_DIR=str(ROOT / "examples" / "workflows"),
        RELAYBOT_PUBLIC_URL="https://support.example.com",
        TELEGRAM_BOT_TOKEN=telegram.token,
        TELEGRAM_WEBHOOK_SECRET="docs-secret",
        TELEGRAM_API_BASE_URL=telegram.base_url,
    )
    return env


async def test_the_documented_commands_run(tmp_path: Path, telegram: TelegramFake) -> None:
    env = command_env(tmp_path, telegram)
    code, out = await run("relaybot migrate", env)
    assert code == 0, out
    ran = 0
    for where, line in commands():
        if any(line.startswith(prefix) for prefix in NOT_HERE):
            continue
        if line.startswith("relaybot serve"):
            assert {"--host", "--port"} <= set(line.split()), line
            async with served(env) as server:
                assert server.health["status"] == "ok"
                assert server.health["database"] == "up"
        elif line.startswith("curl "):
            path = line.split()[-1].removeprefix("http://127.0.0.1:8080")
            async with served(env) as server:
                code, out = await run(f"curl -s --max-time 30 {server.url}{path}", env)
                assert code == 0, out
                assert json.loads(out)["status"] == "ok"
        else:
            code, out = await run(line, env, stdin=b"hello\n/quit\n")
            assert code == 0, f"{where}: `{line}` exited {code}:\n{out}"
            assert out.strip(), f"{where}: `{line}` printed nothing"
        ran += 1
    assert ran >= 8
    assert telegram.calls("setWebhook"), "`relaybot telegram set-webhook` reached the Bot API"
    assert telegram.calls("setWebhook")[0]["url"] == "https://support.example.com/webhooks/telegram"


def workflow_blocks() -> list[Block]:
    return blocks("yaml")


@pytest.mark.parametrize("block", workflow_blocks(), ids=lambda b: b.where)
def test_every_workflow_snippet_loads(block: Block) -> None:
    data = yaml.safe_load(block.text.replace("[...]", "[Yes, No]"))
    workflow = as_workflow(data)
    _, problems = parse_data(workflow, source=block.where)
    assert not problems, [str(p) for p in problems]


def as_workflow(data: Any) -> dict[str, Any]:
    """A snippet as a whole workflow: full ones as they are, fragments placed in one."""
    base: dict[str, Any] = {"name": "docs-example", "trigger": {"event": "message.received"}}
    if isinstance(data, dict) and {"steps", "trigger"} & set(data):
        return {**base, "steps": [{"type": "close_conversation"}], **data}
    if isinstance(data, dict) and set(data) <= {"conditions"}:
        return {**base, **data, "steps": [{"type": "close_conversation"}]}
    assert isinstance(data, list), "a snippet is a workflow, its conditions, or a list of steps"
    ids = {step.get("id") for step in data}
    targets = {t for step in data for t in (step.get("exits") or {}).values()} - ids - {"end"}
    stubs = [{"id": target, "type": "close_conversation"} for target in sorted(targets)]
    return {**base, "steps": [*data, *stubs]}


def python_blocks() -> dict[str, str]:
    return {block.where: block.text for block in blocks("python")}


def test_the_webhook_receiver_snippet_verifies_what_relaybot_signs() -> None:
    (snippet,) = [text for text in python_blocks().values() if "def verify(" in text]
    scope: dict[str, Any] = {}
    exec(snippet, scope)
    body = b'{"lead": "7"}'
    now = int(time.time())
    header = sign("s3cret", now, body)
    assert scope["verify"]("s3cret", header, body) is True
    assert scope["verify"]("other", header, body) is False
    assert scope["verify"]("s3cret", header, body + b" ") is False
    assert scope["verify"]("s3cret", sign("s3cret", now - 3600, body), body) is False


def test_the_identity_hash_snippet_is_what_the_widget_accepts() -> None:
    (snippet,) = [text for text in python_blocks().values() if "user_hash =" in text]
    scope: dict[str, Any] = {"IDENTITY_SECRET": "shared-with-your-backend", "user_id": "42"}
    exec(snippet, scope)
    verify_identity("42", scope["user_hash"], "shared-with-your-backend")
    assert (
        scope["user_hash"]
        == hmac.new(b"shared-with-your-backend", b"42", hashlib.sha256).hexdigest()
    )


def test_the_token_generator_snippet_prints_a_long_random_secret() -> None:
    lines = [line for _, line in commands() if line.startswith("python -c")]
    assert lines
    for line in lines:
        code = line.split(" ", 2)[2].strip("\"'")
        printed = exec_printing(code)
        assert len(printed[0]) >= 32


def exec_printing(code: str) -> list[str]:
    """What ``code`` prints, one string per ``print`` call."""
    printed: list[str] = []
    exec(code, {"print": lambda *a: printed.append(" ".join(map(str, a)))})
    return printed
