"""A finding: one rule's verdict on one place in one file."""

from __future__ import annotations

import enum
from dataclasses import dataclass
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
class Finding:
    code: str
    message: str
    path: Path
    span: Span
    severity: Severity
    pipeline: str | None = None
    task: str | None = None

    @property
    def sort_key(self) -> tuple[str, int, int, str]:
        return (self.path.as_posix(), self.span.line, self.span.column, self.code)
