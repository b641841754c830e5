"""The Dockerfile and compose.yaml the deployment guide uses, read as Docker would.

Base images cannot be pulled here, so the files are parsed and checked for what the
guide promises: a multi-stage build, a non-root user, a health check on ``/healthz``,
and the documented commands (``relaybot migrate``, then ``relaybot serve``).
"""

from __future__ import annotations

import json
import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[3]


@dataclass
class Stage:
    """One ``FROM`` section of a Dockerfile: its instructions in order."""

    base: str
    name: str | None
    instructions: list[tuple[str, str]] = field(default_factory=list)

    def last(self, keyword: str) -> str | None:
        found = [args for key, args in self.instructions if key == keyword]
        return found[-1] if found else None


def parse_dockerfile(text: str) -> list[Stage]:
    """Stages of a Dockerfile, with continuation lines joined and comments dropped."""
    joined = re.sub(r"\\\n", " ", text)
    stages: list[Stage] = []
    for raw in joined.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        keyword, _, args = line.partition(" ")
        keyword = keyword.upper()
        if keyword == "FROM":
            words = args.split()
            name = words[2] if len(words) == 3 and words[1].upper() == "AS" else None
            stages.append(Stage(base=words[0], name=name))
        else:
            assert stages, f"{keyword} before the first FROM"
            stages[-1].instructions.append((keyword, args.strip()))
    return stages


def exec_form(args: str) -> list[str]:
    """A JSON-array (exec form) argument list, as Docker reads CMD and HEALTHCHECK."""
    value = json.loads(args)
    assert isinstance(value, list)
    return [str(item) for item in value]


def command_words(command: Any) -> list[str]:
    return [str(item) for item in command] if isinstance(command, list) else shlex.split(command)


def load_compose() -> dict[str, Any]:
    data = yaml.safe_load((ROOT / "compose.yaml").read_text())
    assert isinstance(data, dict)
    return data


def test_the_image_is_built_in_two_stages_and_copies_only_what_exists() -> None:
    stages = parse_dockerfile((ROOT / "Dockerfile").read_text())
    assert len(stages) >= 2
    build, final = stages[0], stages[-1]
    assert build.name
    copies = [args for key, args in final.instructions if key == "COPY"]
    assert any(f"--from={build.name}" in args for args in copies), (
        "the final stage copies the build"
    )
    for stage in stages:
        for key, args in stage.instructions:
            if key != "COPY" or "--from=" in args:
                continue
            sources = [word for word in args.split()[:-1] if not word.startswith("--")]
            for source in sources:
                assert (ROOT / source).exists(), f"COPY {source}: no such path in the repository"


def test_the_image_runs_as_an_unprivileged_user() -> None:
    final = parse_dockerfile((ROOT / "Dockerfile").read_text())[-1]
    user = final.last("USER")
    assert user is not None
    assert user.split(":")[0] not in {"root", "0"}
    assert any(key == "RUN" and user in args for key, args in final.instructions), (
        "the user is created in the final stage"
    )


def test_the_image_serves_and_checks_its_health() -> None:
    final = parse_dockerfile((ROOT / "Dockerfile").read_text())[-1]
    cmd = final.last("CMD")
    assert cmd is not None
    assert exec_form(cmd)[:2] == ["relaybot", "serve"]
    assert "0.0.0.0" in exec_form(cmd)
    healthcheck = final.last("HEALTHCHECK")
    assert healthcheck is not None
    probe = exec_form(healthcheck[healthcheck.index("CMD") + len("CMD") :].strip())
    assert "/healthz" in " ".join(probe)


def test_compose_migrates_once_then_serves_on_postgresql() -> None:
    services = load_compose()["services"]
    migrate, server = services["migrate"], services["relaybot"]
    assert command_words(migrate["command"]) == ["relaybot", "migrate"]
    assert command_words(server["command"])[:2] == ["relaybot", "serve"]
    assert migrate["image"] == server["image"]
    assert migrate.get("build") == "."
    assert server["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert migrate["depends_on"]["db"]["condition"] == "service_healthy"
    for service in (migrate, server):
        assert service["environment"]["DATABASE_URL"].startswith("postgresql+asyncpg://")
        assert "@db:5432/" in service["environment"]["DATABASE_URL"]
    assert "/healthz" in " ".join(command_words(server["healthcheck"]["test"]))
    assert "healthcheck" in services["db"]


def test_the_deployment_guide_uses_these_files_as_they_are() -> None:
    guide = (ROOT / "docs" / "deploy.md").read_text()
    assert "compose.yaml" in guide
    assert "docker compose up" in guide
    assert "image: relaybot:latest" not in guide, "the guide points at compose.yaml instead"
