"""The framework-neutral pipeline model and the builders that produce it."""

from dagcheck.model.pipeline import (
    Edge,
    Pipeline,
    Provenance,
    Setting,
    Span,
    Task,
    TaskGroup,
    TaskKind,
    Unknown,
)

__all__ = [
    "Edge",
    "Pipeline",
    "Provenance",
    "Setting",
    "Span",
    "Task",
    "TaskGroup",
    "TaskKind",
    "Unknown",
]
