"""A finding: one rule's verdict on one place in one file."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from pathlib import Path

from dagcheck.model.pipeline import Span


class Severity(str, enum.Enum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"

    @property
    def rank(self) -> int:
        return {"error": 3, "warning": 2, "info": 1}[self.value]


@dataclass(frozen=True)
class TextEdit:
    """Replace the text from ``start`` to ``end`` (1-based line and column, the end
    exclusive) with ``text``."""

    start: tuple[int, int]
    end: tuple[int, int]
    text: str


@dataclass(frozen=True)
class ProposedFix:
    """What ``dagcheck fix`` would do about a finding: how safe it is, and its edits."""

    safety: str  # "safe" | "unsafe"
    edits: tuple[TextEdit, ...]


@dataclass(frozen=True)
class Finding:
    code: str
    message: str
    path: Path
    span: Span
    severity: Severity
    pipeline: str | None = None
    task: str | None = None
    # Filled in when a report shows fixes (SARIF, review): not part of what the finding is.
    fix: ProposedFix | None = field(default=None, compare=False)
    # For a rule whose verdict depends on the framework's version: the version it was
    # checked against, and why ("Airflow 2.9.3 (requirements.txt: ...)").
    target: str | None = field(default=None, compare=False)
    # A Prefect task defined in another file ("path:name"): one finding per run is enough.
    origin: str | None = field(default=None, compare=False, repr=False)
    # The task's code is in another file ("path:name"): nothing here to fix.
    created_in: str | None = field(default=None, compare=False, repr=False)

    @property
    def sort_key(self) -> tuple[str, int, int, str]:
        return (self.path.as_posix(), self.span.line, self.span.column, self.code)
