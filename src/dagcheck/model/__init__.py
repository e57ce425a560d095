"""The framework-neutral pipeline model and the builders that produce it."""

from dagcheck.model.pipeline import (
    Edge,
    ObjectValue,
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
    "ObjectValue",
    "Pipeline",
    "Provenance",
    "Setting",
    "Span",
    "Task",
    "TaskGroup",
    "TaskKind",
    "Unknown",
]
