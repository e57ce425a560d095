"""Findings as a JSON array, one object per finding, in output order."""

from __future__ import annotations

import json
from typing import Any, TextIO

from dagcheck.findings import Finding
from dagcheck.model.dump import span_as_dict
from dagcheck.report import ReportContext


def finding_as_dict(finding: Finding) -> dict[str, Any]:
    data = {
        "code": finding.code,
        "message": finding.message,
        "severity": finding.severity.value,
        "path": finding.path.as_posix(),
        "location": span_as_dict(finding.span),
        "pipeline": finding.pipeline,
        "task": finding.task,
    }
    if finding.target is not None:  # the version a version-dependent verdict is for
        data["target"] = finding.target
    return data


def write_json(findings: list[Finding], out: TextIO, context: ReportContext) -> None:
    json.dump([finding_as_dict(f) for f in findings], out, indent=2)
    out.write("\n")
