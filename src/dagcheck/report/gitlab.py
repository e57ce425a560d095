"""GitLab Code Quality: a JSON array of Code Climate issues, for
``artifacts: reports: codequality:``. GitLab shows them in the merge request widget, new and
fixed ones compared by fingerprint, so each fingerprint survives unrelated edits."""

from __future__ import annotations

import json
from typing import Any, TextIO

from dagcheck.findings import Finding, Severity
from dagcheck.fingerprints import fingerprints, relative_path
from dagcheck.report import ReportContext
from dagcheck.text_safety import printable

# GitLab gives the five levels no meaning beyond their order, and draws them as info, low,
# medium, high and critical. An error (a DAG that breaks or runs wrong) is high; a warning (a
# gap that bites on a bad day: no retries, no timeout) is medium, where minor would rank it
# with style nits.
_SEVERITIES = {Severity.ERROR: "critical", Severity.WARNING: "major", Severity.INFO: "info"}
# blocker is for files dagcheck could not check at all: nothing else in them was looked for,
# and a file that does not parse does not load in the scheduler either.
_UNCHECKED_FILE = {"DC000", "DC001", "DC003"}


def write_gitlab(findings: list[Finding], out: TextIO, context: ReportContext) -> None:
    prints = fingerprints(findings, context.root)
    issues = [
        _issue(f, fingerprint, context) for f, fingerprint in zip(findings, prints, strict=True)
    ]
    json.dump(issues, out, indent=2)
    out.write("\n")


def _issue(finding: Finding, fingerprint: str, context: ReportContext) -> dict[str, Any]:
    severity = _SEVERITIES[finding.severity]
    if finding.code in _UNCHECKED_FILE and finding.severity is Severity.ERROR:
        severity = "blocker"
    return {
        # GitLab shows it as text in the merge request: printable, as the path.
        "description": printable(finding.message),
        "check_name": finding.code,
        "fingerprint": fingerprint,
        "severity": severity,
        "location": {
            "path": printable(relative_path(finding.path, context.root)),
            "lines": {"begin": finding.span.line},
        },
    }
