"""JUnit XML, for CI systems that show test reports (GitLab ``artifacts: reports: junit:``,
Jenkins ``junit``): one test suite "dagcheck", one failed test case per finding.

One case per finding rather than one per file: Jenkins reads only the first ``<failure>`` of a
case, so a file's other findings would vanish. Cases are grouped by file through their
classname, as Python test reports are (``dags/etl.py`` -> ``dags.etl``).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import PurePosixPath
from typing import TextIO

from dagcheck.checklist import load_checklist
from dagcheck.findings import Finding
from dagcheck.fingerprints import relative_path
from dagcheck.report import ReportContext
from dagcheck.text_safety import printable

# Characters XML 1.0 cannot hold at all, not even as references, that remain once control
# characters are made printable: lone surrogates from undecodable file names.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def write_junit(findings: list[Finding], out: TextIO, context: ReportContext) -> None:
    count = str(max(1, len(findings)))
    failures = str(len(findings))
    suites = ET.Element("testsuites", name="dagcheck", tests=count, failures=failures)
    suite = ET.SubElement(
        suites, "testsuite", name="dagcheck", tests=count, failures=failures, errors="0"
    )
    docs = load_checklist()
    for finding in findings:
        path = _xml(relative_path(finding.path, context.root))
        message = _xml(finding.message)
        doc = docs.get(finding.code)
        rule = f"{finding.code} {doc.name}" if doc is not None else finding.code
        span = finding.span
        case = ET.SubElement(
            suite,
            "testcase",
            classname=_classname(path),
            name=f"{rule} (line {span.line})",
            file=path,  # GitLab's test report shows it
            line=str(span.line),
        )
        failure = ET.SubElement(case, "failure", type=finding.code, message=message)
        failure.text = f"{path}:{span.line}:{span.column}: {finding.code} {message}"
    if not findings:
        # A report without a single test fails Jenkins' junit step ("None of the test reports
        # contained any result") unless allowEmptyResults is set: a clean run is one pass.
        ET.SubElement(suite, "testcase", classname="dagcheck", name="no findings")
    ET.indent(suites)
    # ASCII with character references: true to the declaration whatever the stream's encoding.
    text = ET.tostring(suites, encoding="us-ascii").decode("ascii")
    out.write(f'<?xml version="1.0" encoding="UTF-8"?>\n{text}\n')


def _xml(text: str) -> str:
    return _NOT_XML.sub("\ufffd", printable(text))


def _classname(path: str) -> str:
    # Dots make Jenkins' package/class tree: dags.etl is class etl in package dags.
    relative = PurePosixPath(path)
    parts = [*relative.parent.parts, relative.stem]
    return ".".join(part for part in parts if part not in ("/", ".", ".."))
