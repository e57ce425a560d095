"""ruff-style text: ``path:line:col: CODE message``, then a one-line summary."""

from __future__ import annotations

from collections import Counter
from typing import TextIO

from dagcheck.findings import Finding, Severity


def write_text(findings: list[Finding], out: TextIO) -> None:
    for finding in findings:
        location = f"{finding.path.as_posix()}:{finding.span.line}:{finding.span.column}"
        out.write(f"{location}: {finding.code} {finding.message}\n")
    if not findings:
        out.write("All checks passed!\n")
        return
    counts = Counter(finding.severity for finding in findings)
    by_severity = ", ".join(
        _count(counts[severity], severity) for severity in Severity if counts[severity]
    )
    noun = "finding" if len(findings) == 1 else "findings"
    out.write(f"Found {len(findings)} {noun} ({by_severity}).\n")


def _count(number: int, severity: Severity) -> str:
    plural = "s" if number > 1 and severity is not Severity.INFO else ""
    return f"{number} {severity.value}{plural}"
