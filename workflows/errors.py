"""Errors raised by the workflow engine and loader."""

from __future__ import annotations


class WorkflowError(Exception):
    """Something is wrong with a workflow or a run."""


class DuplicateStepTypeError(WorkflowError):
    """A step type with this name is already registered."""


class InvalidDurationError(WorkflowError, ValueError):
    """A duration is neither `90s`/`30m`/`24h`/`7d` nor ISO 8601 like `PT2H`."""
