"""Load problems: each names the file, where (step id, trigger, conditions), field, reason."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from workflows.errors import WorkflowError


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a workflow file."""

    file: str
    where: str
    field: str
    reason: str

    def __str__(self) -> str:
        field = f" {self.field}:" if self.field else ""
        return f"{self.file}: {self.where}:{field} {self.reason}"


class WorkflowLoadError(WorkflowError):
    """One or more workflow files are invalid; ``problems`` lists every one of them."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = list(problems)
        super().__init__(self._describe())

    def _describe(self) -> str:
        count = len(self.problems)
        lines = [f"{count} problem{'s' if count != 1 else ''} in workflow definitions:"]
        lines.extend(f"  - {problem}" for problem in self.problems)
        return "\n".join(lines)
