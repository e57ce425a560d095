"""ruff-style text: ``path:line:col: CODE message`` (``full``: with the source line
underlined), then a one-line summary. What comes from the checked file (its path, ids in
messages, its source) is shown printable, and its secrets masked."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import TextIO

from dagcheck.findings import Finding, Severity
from dagcheck.model.positions import source_lines
from dagcheck.report import ReportContext
from dagcheck.text_safety import Redactor, printable, printable_source


def write_text(findings: list[Finding], out: TextIO, context: ReportContext) -> None:
    for finding in findings:
        out.write(_headline(finding))
    _write_summary(findings, out)


def write_full(findings: list[Finding], out: TextIO, context: ReportContext) -> None:
    """Each finding with the source line it points at, underlined."""
    lines_by_path: dict[Path, list[str]] = {}
    for finding in findings:
        out.write(_headline(finding))
        if finding.path not in lines_by_path:
            try:
                text = finding.path.read_text(encoding="utf-8", errors="replace")
            except OSError:
                text = ""
            lines_by_path[finding.path] = source_lines(text)
        out.write(_excerpt(lines_by_path[finding.path], finding, context.redact))
    _write_summary(findings, out)


def _headline(finding: Finding) -> str:
    location = f"{finding.path.as_posix()}:{finding.span.line}:{finding.span.column}"
    return printable(f"{location}: {finding.code} {finding.message}") + "\n"


def _excerpt(lines: list[str], finding: Finding, redact: Redactor) -> str:
    span = finding.span
    if not 1 <= span.line <= len(lines):
        return "\n"
    source = lines[span.line - 1]
    end = span.end_column if span.end_line == span.line else len(source) + 1
    before, marked, after = (
        printable_source(redact(part))
        for part in (
            source[: span.column - 1],
            source[span.column - 1 : end - 1],
            source[end - 1 :],
        )
    )
    width = len(str(span.line))
    gutter = " " * width
    # The underline copies the line's tabs, so that it stays under the code it marks.
    indent = "".join(char if char == "\t" else " " for char in before)
    marker = indent + "^" * max(1, len(marked))
    return f"{gutter} |\n{span.line} | {before}{marked}{after}\n{gutter} | {marker}\n\n"


def _write_summary(findings: list[Finding], out: TextIO) -> None:
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
