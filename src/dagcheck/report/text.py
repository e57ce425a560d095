"""ruff-style text: ``path:line:col: CODE message``, then a one-line summary."""

from __future__ import annotations

from typing import TextIO

from dagcheck.findings import Finding


def write_text(findings: list[Finding], out: TextIO) -> None:
    for finding in findings:
        location = f"{finding.path.as_posix()}:{finding.span.line}:{finding.span.column}"
        out.write(f"{location}: {finding.code} {finding.message}\n")
    if findings:
        noun = "finding" if len(findings) == 1 else "findings"
        out.write(f"Found {len(findings)} {noun}.\n")
    else:
        out.write("All checks passed!\n")
