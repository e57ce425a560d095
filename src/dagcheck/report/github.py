"""GitHub Actions workflow commands: one ``::error``/``::warning``/``::notice`` line per
finding, which the runner turns into an annotation on the file and line.

GitHub shows at most 10 error and 10 warning annotations per step, and 50 per job; the rest
are only in the log. Code scanning (the SARIF report) shows them all.
"""

from __future__ import annotations

from typing import TextIO

from dagcheck.checklist import load_checklist
from dagcheck.findings import Finding, Severity
from dagcheck.fingerprints import relative_path
from dagcheck.report import ReportContext
from dagcheck.text_safety import printable

_LEVELS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}


def write_github(findings: list[Finding], out: TextIO, context: ReportContext) -> None:
    docs = load_checklist()
    for finding in findings:
        doc = docs.get(finding.code)
        title = f"{finding.code} {doc.name}" if doc is not None else finding.code
        properties = {
            # The runner reads file relative to the workspace, that is, the repository root.
            "file": relative_path(finding.path, context.root),
            **_position(finding),
            "title": title,
        }
        fields = ",".join(f"{key}={_escape_property(value)}" for key, value in properties.items())
        message = _escape_data(printable(finding.message))
        out.write(f"::{_LEVELS[finding.severity]} {fields}::{message}\n")


def _position(finding: Finding) -> dict[str, str]:
    span = finding.span
    if span.end_line != span.line:
        # Columns are for one line only: the runner drops them from a multi-line annotation.
        return {"line": str(span.line), "endLine": str(span.end_line)}
    # GitHub's endColumn is the last column (inclusive), ours is one past it; an empty span
    # (a whole-file finding at 1:1) still needs endColumn >= col or the runner drops both.
    end_column = max(span.column, span.end_column - 1)
    return {
        "line": str(span.line),
        "col": str(span.column),
        "endLine": str(span.end_line),
        "endColumn": str(end_column),
    }


# As @actions/core escapes them: the runner splits a command at newlines, its properties at
# "," and its properties from its message at "::", and unescapes these sequences afterwards.
# Control characters are made printable first: the log shows ESC sequences to the reader's
# terminal or browser, and the runner would turn an escaped newline back into a real one.
def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(printable(text)).replace(":", "%3A").replace(",", "%2C")
