"""Reporters turn findings into output; each is small and registered by name."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from dagcheck.config import RuleOptions
from dagcheck.findings import Finding
from dagcheck.text_safety import Redactor


@dataclass(frozen=True)
class ReportContext:
    """What some reporters need beyond the findings."""

    # Paths in reports are relative to it (the git root, or --project-root).
    root: Path = field(default_factory=Path.cwd)
    # SARIF runs.automationDetails.id, for repositories that upload several analyses.
    category: str | None = None
    # Findings hidden by noqa comments, for reporters that can show them as suppressed.
    suppressed: tuple[Finding, ...] = ()
    # The team's policy, for reporters that show fixes (the values they would write).
    policy: RuleOptions = field(default_factory=RuleOptions)
    # Masks the checked files' secrets, for reporters that show their source.
    redact: Redactor = field(default_factory=Redactor)
    # The framework versions the run checked against, and why ("Airflow 2.9.3 (...)").
    targets: tuple[str, ...] = ()


Reporter = Callable[[list[Finding], TextIO, ReportContext], None]

# name -> (module, function); modules are imported on demand to keep start-up fast.
_REGISTRY: dict[str, tuple[str, str]] = {
    "text": ("dagcheck.report.text", "write_text"),
    "full": ("dagcheck.report.text", "write_full"),
    "json": ("dagcheck.report.json", "write_json"),
    "sarif": ("dagcheck.report.sarif", "write_sarif"),
    "github": ("dagcheck.report.github", "write_github"),
    "gitlab": ("dagcheck.report.gitlab", "write_gitlab"),
    "junit": ("dagcheck.report.junit", "write_junit"),
}
REPORTERS = tuple(_REGISTRY)


def reporter(name: str) -> Reporter:
    """The reporter registered under ``name``."""
    module, function = _REGISTRY[name]
    return getattr(importlib.import_module(module), function)  # type: ignore[no-any-return]
