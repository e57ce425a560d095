"""The CI reporters: GitHub workflow commands, GitLab Code Quality and JUnit XML.

Most tests build findings directly; one end-to-end run per format goes through the command line
on a small DAG, as users run it in CI.
"""

from __future__ import annotations

import io
import json
import textwrap
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from cli_runner import dagcheck

from dagcheck.findings import Finding, Severity
from dagcheck.model.pipeline import Span
from dagcheck.report import ReportContext, reporter

DAG = """\
    import pendulum
    from airflow.sdk import DAG
    from airflow.providers.standard.operators.bash import BashOperator

    with DAG("nightly_export", schedule="@daily", start_date=pendulum.datetime(2024, 1, 1)):
        extract = BashOperator(task_id="extract", bash_command="echo extract", retries=2)
        load = BashOperator(task_id="load", bash_command="echo load")
        extract >> load
"""
# Where the engine puts task 'load': its BashOperator(...) call, columns 12 to 65 of line 7
# (the end column is exclusive).
LOAD_TASK = Span(7, 12, 7, 66)


def finding(
    root: Path,
    code: str = "DC201",
    message: str = "task 'load' has no retries",
    *,
    path: str = "dags/nightly_export.py",
    span: Span = LOAD_TASK,
    severity: Severity = Severity.WARNING,
) -> Finding:
    return Finding(code, message, root / path, span, severity, "nightly_export", "load")


def render(output_format: str, findings: list[Finding], root: Path) -> str:
    out = io.StringIO()
    reporter(output_format)(findings, out, ReportContext(root))
    return out.getvalue()


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A repository with one DAG: paths in reports are relative to its root."""
    (tmp_path / ".git").mkdir()
    (tmp_path / "dags").mkdir()
    (tmp_path / "dags" / "nightly_export.py").write_text(textwrap.dedent(DAG))
    return tmp_path


# GitHub Actions


def parse_workflow_command(line: str) -> tuple[str, dict[str, str], str]:
    """What the Actions runner reads from a line (ActionCommand.TryParseV2 and its unescaping),
    so that the tests check what GitHub will show, not only what we wrote."""
    assert line.startswith("::")
    end = line.index("::", 2)
    command, _, properties = line[2:end].partition(" ")
    data_escapes = [("%0D", "\r"), ("%0A", "\n"), ("%25", "%")]
    property_escapes = [("%0D", "\r"), ("%0A", "\n"), ("%3A", ":"), ("%2C", ","), ("%25", "%")]

    def unescape(text: str, escapes: list[tuple[str, str]]) -> str:
        for escaped, character in escapes:
            text = text.replace(escaped, character)
        return text

    fields = dict(item.split("=", 1) for item in properties.split(",") if item)
    parsed = {key: unescape(value, property_escapes) for key, value in fields.items()}
    return command, parsed, unescape(line[end + 2 :], data_escapes)


def test_github_one_annotation_per_finding_with_level_title_and_inclusive_end(
    tmp_path: Path,
) -> None:
    findings = [
        finding(tmp_path, "DC802", "the dependencies form a cycle", severity=Severity.ERROR),
        finding(tmp_path),
        finding(tmp_path, "DC501", "no tags", span=Span(5, 6, 5, 88), severity=Severity.INFO),
    ]
    assert render("github", findings, tmp_path).splitlines() == [
        "::error file=dags/nightly_export.py,line=7,col=12,endLine=7,endColumn=65,"
        "title=DC802 dependency-cycle::the dependencies form a cycle",
        "::warning file=dags/nightly_export.py,line=7,col=12,endLine=7,endColumn=65,"
        "title=DC201 task-without-retries::task 'load' has no retries",
        "::notice file=dags/nightly_export.py,line=5,col=6,endLine=5,endColumn=87,"
        "title=DC501 dag-without-tags::no tags",
    ]


def test_github_columns_only_on_one_line_and_never_before_the_start(tmp_path: Path) -> None:
    whole_file = finding(tmp_path, "DC001", "cannot read file", span=Span(1, 1, 1, 1))
    several_lines = finding(tmp_path, span=Span(7, 12, 9, 5))
    unknown_rule = finding(tmp_path, "DC999", "from a newer checklist")
    lines = render("github", [whole_file, several_lines, unknown_rule], tmp_path).splitlines()
    assert [parse_workflow_command(line)[1] for line in lines] == [
        {
            "file": "dags/nightly_export.py",
            "line": "1",
            "col": "1",
            "endLine": "1",
            "endColumn": "1",
            "title": "DC001 file-cannot-be-parsed",
        },
        {
            "file": "dags/nightly_export.py",
            "line": "7",
            "endLine": "9",
            "title": "DC201 task-without-retries",
        },
        {
            "file": "dags/nightly_export.py",
            "line": "7",
            "col": "12",
            "endLine": "7",
            "endColumn": "65",
            "title": "DC999",
        },
    ]


def test_github_escapes_message_and_properties_as_the_toolkit_does(tmp_path: Path) -> None:
    message = "100% of runs: retries=0, timeout=none\r\nsee %0A docs"
    odd = finding(tmp_path, message=message, path="dags/a, b: 50%.py")
    [line] = render("github", [odd], tmp_path).splitlines()
    assert line == (
        "::warning file=dags/a%2C b%3A 50%25.py,line=7,col=12,endLine=7,endColumn=65,"
        "title=DC201 task-without-retries"
        "::100%25 of runs: retries=0, timeout=none\\r\\nsee %250A docs"
    )
    command, properties, data = parse_workflow_command(line)
    # A line break from the checked file is shown as what it is, not obeyed.
    shown = message.replace("\r\n", "\\r\\n")
    assert (command, properties["file"], data) == ("warning", "dags/a, b: 50%.py", shown)


def test_github_paths_are_relative_to_the_root_with_slashes(tmp_path: Path) -> None:
    nested = finding(tmp_path / "repo", path="team/dags/etl.py")
    [line] = render("github", [nested], tmp_path / "repo").splitlines()
    assert parse_workflow_command(line)[1]["file"] == "team/dags/etl.py"


def test_github_writes_nothing_without_findings(tmp_path: Path) -> None:
    assert render("github", [], tmp_path) == ""


# GitLab Code Quality


@pytest.mark.parametrize(
    ("code", "severity", "expected"),
    [
        ("DC802", Severity.ERROR, "critical"),
        ("DC201", Severity.WARNING, "major"),
        ("DC501", Severity.INFO, "info"),
        ("DC001", Severity.ERROR, "blocker"),  # the file was not checked at all
        ("DC000", Severity.ERROR, "blocker"),
    ],
)
def test_gitlab_severity(tmp_path: Path, code: str, severity: Severity, expected: str) -> None:
    [issue] = json.loads(render("gitlab", [finding(tmp_path, code, severity=severity)], tmp_path))
    assert issue["severity"] == expected


def test_gitlab_issue_fields(tmp_path: Path) -> None:
    message = '100% of runs: retries=0, timeout=none\nsee <docs> & "notes"'
    odd = finding(tmp_path / "repo", message=message, path="dags/a, b: 50%.py")
    [issue] = json.loads(render("gitlab", [odd], tmp_path / "repo"))
    fingerprint = issue.pop("fingerprint")
    assert issue == {
        "description": message.replace("\n", "\\n"),
        "check_name": "DC201",
        "severity": "major",
        "location": {"path": "dags/a, b: 50%.py", "lines": {"begin": 7}},
    }
    assert isinstance(fingerprint, str) and fingerprint


def test_gitlab_fingerprints_are_unique_and_survive_a_line_inserted_above(tmp_path: Path) -> None:
    source = textwrap.dedent(DAG)
    before, after = tmp_path / "before", tmp_path / "after"
    for root, text in [(before, source), (after, "# Owned by the exports team.\n" + source)]:
        (root / "dags").mkdir(parents=True)
        (root / "dags" / "nightly_export.py").write_text(text)

    def findings(root: Path, shift: int) -> list[Finding]:
        dag = Span(5 + shift, 6, 5 + shift, 88)
        return [
            finding(root, "DC401", "no execution_timeout", span=dag),
            finding(root, "DC502", "no owner", span=dag),  # same line, another rule
            finding(root, span=Span(7 + shift, 12, 7 + shift, 66)),
            finding(root, span=Span(7 + shift, 12, 7 + shift, 66)),  # the same finding twice
        ]

    def prints(root: Path, shift: int) -> list[str]:
        issues = json.loads(render("gitlab", findings(root, shift), root))
        return [issue["fingerprint"] for issue in issues]

    assert len(set(prints(before, 0))) == 4
    assert prints(after, 1) == prints(before, 0)


def test_gitlab_without_findings_is_an_empty_array(tmp_path: Path) -> None:
    output = render("gitlab", [], tmp_path)
    assert json.loads(output) == []
    assert output == "[]\n"


# JUnit XML


def test_junit_one_failed_case_per_finding_counts_match(tmp_path: Path) -> None:
    findings = [
        finding(tmp_path, "DC802", "cycle", path="dags/etl.py", severity=Severity.ERROR),
        finding(tmp_path, "DC501", "no tags", path="dags/etl.py", severity=Severity.INFO),
        finding(tmp_path / "team", path="dags/sub/load.py"),
    ]
    root = ET.fromstring(render("junit", findings, tmp_path))
    assert root.tag == "testsuites"
    [suite] = root
    assert suite.get("name") == "dagcheck"
    cases = suite.findall("testcase")
    assert len(cases) == 3
    for element in (root, suite):
        assert (element.get("tests"), element.get("failures")) == ("3", "3")
    assert [len(case.findall("failure")) for case in cases] == [1, 1, 1]
    assert [(case.get("classname"), case.get("name"), case.get("file")) for case in cases] == [
        ("dags.etl", "DC802 dependency-cycle (line 7)", "dags/etl.py"),
        ("dags.etl", "DC501 dag-without-tags (line 7)", "dags/etl.py"),
        ("team.dags.sub.load", "DC201 task-without-retries (line 7)", "team/dags/sub/load.py"),
    ]
    failure = cases[2].find("failure")
    assert failure is not None
    assert failure.get("type") == "DC201"
    assert failure.get("message") == "task 'load' has no retries"
    assert failure.text == "team/dags/sub/load.py:7:12: DC201 task 'load' has no retries"


def test_junit_escapes_markup_newlines_and_characters_xml_cannot_hold(tmp_path: Path) -> None:
    message = 'retries < 1 & "no" <delay>\nsee 100%, é \x1b[0m'
    output = render("junit", [finding(tmp_path, message=message, path="dags/a&b.py")], tmp_path)
    assert output.startswith('<?xml version="1.0" encoding="UTF-8"?>\n')
    output.encode("ascii")  # non-ASCII as character references: any stream encoding works
    failure = ET.fromstring(output).find("testsuite/testcase/failure")
    assert failure is not None
    # Control characters as escapes: a CI page shows them as text, never obeys them.
    shown = message.replace("\x1b", "\\x1b").replace("\n", "\\n")
    assert failure.get("message") == shown
    assert failure.text == f"dags/a&b.py:7:12: DC201 {shown}"


def test_junit_clean_run_is_one_passing_case(tmp_path: Path) -> None:
    root = ET.fromstring(render("junit", [], tmp_path))
    [suite] = root
    assert (suite.get("tests"), suite.get("failures"), suite.get("errors")) == ("1", "0", "0")
    [case] = suite
    assert case.tag == "testcase"
    assert list(case) == []  # no failure, error or skipped: a pass


# End to end, as CI runs it


def test_cli_github(project: Path) -> None:
    result = dagcheck("check", "--output-format", "github", "dags/", cwd=project)
    assert result.returncode == 1, result.stderr
    commands = [parse_workflow_command(line) for line in result.stdout.splitlines()]
    assert commands
    assert {properties["file"] for _, properties, _ in commands} == {"dags/nightly_export.py"}
    assert {command for command, _, _ in commands} == {"warning", "notice"}
    [(_, load, message)] = [c for c in commands if c[1]["title"].startswith("DC201 ")]
    assert load == {
        "file": "dags/nightly_export.py",
        "line": "7",
        "col": "12",
        "endLine": "7",
        "endColumn": "65",
        "title": "DC201 task-without-retries",
    }
    assert "'load'" in message


def test_cli_gitlab_fingerprints_survive_an_edit_above(project: Path) -> None:
    (project / "dags" / "broken.py").write_text("from airflow.sdk import DAG\nwith DAG('x')\n")
    result = dagcheck("check", "--output-format", "gitlab", "dags/", cwd=project)
    assert result.returncode == 1, result.stderr
    issues = json.loads(result.stdout)
    by_check = {issue["check_name"]: issue for issue in issues}
    assert by_check["DC001"]["severity"] == "blocker"
    assert by_check["DC001"]["location"]["path"] == "dags/broken.py"
    assert by_check["DC201"]["severity"] == "major"
    assert by_check["DC201"]["location"] == {
        "path": "dags/nightly_export.py",
        "lines": {"begin": 7},
    }
    assert len({issue["fingerprint"] for issue in issues}) == len(issues)

    dag = project / "dags" / "nightly_export.py"
    dag.write_text("# Owned by the exports team.\n" + dag.read_text())
    edited = json.loads(dagcheck("check", "--output-format", "gitlab", "dags/", cwd=project).stdout)
    assert {issue["check_name"]: issue for issue in edited}["DC201"]["location"]["lines"] == {
        "begin": 8
    }
    assert sorted(issue["fingerprint"] for issue in edited) == sorted(
        issue["fingerprint"] for issue in issues
    )


def test_cli_junit(project: Path) -> None:
    result = dagcheck("check", "--output-format", "junit", "dags/", cwd=project)
    assert result.returncode == 1, result.stderr
    findings = json.loads(dagcheck("check", "--output-format", "json", "dags/", cwd=project).stdout)
    [suite] = ET.fromstring(result.stdout)
    cases = suite.findall("testcase")
    assert (
        len(cases) == len(findings) == int(suite.get("tests", "")) == int(suite.get("failures", ""))
    )
    assert {case.get("file") for case in cases} == {"dags/nightly_export.py"}

    clean = dagcheck("check", "--select", "DC802", "--output-format", "junit", "dags/", cwd=project)
    assert clean.returncode == 0, clean.stderr
    [suite] = ET.fromstring(clean.stdout)
    assert (suite.get("tests"), suite.get("failures")) == ("1", "0")


def test_the_command_line_offers_every_registered_reporter() -> None:
    from dagcheck.cli import OUTPUT_FORMATS
    from dagcheck.report import REPORTERS

    assert list(REPORTERS) == OUTPUT_FORMATS
