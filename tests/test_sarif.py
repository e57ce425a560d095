"""SARIF output: valid against the official SARIF 2.1.0 schema, and acceptable to GitHub code
scanning (its documented requirements and limits), on our fixtures and on Airflow's own
example DAGs."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from cli_runner import dagcheck

ROOT = Path(__file__).resolve().parent.parent
SCHEMA = ROOT.parent / "shared" / "sarif" / "sarif-schema-2.1.0.json"
FIXTURES = ROOT / "fixtures"
# GitHub code scanning limits for one upload (docs: "SARIF support for code scanning").
MAX_RESULTS = 25_000
MAX_GZIPPED_BYTES = 10 * 1024 * 1024
LEVELS = {"error", "warning", "note"}

DAG = """\
from datetime import datetime

from airflow.providers.standard.operators.bash import BashOperator
from airflow.sdk import DAG

with DAG("sales_daily", schedule="@daily", start_date=datetime(2024, 1, 1)):
    BashOperator(task_id="load", bash_command="load.sh")
    BashOperator(task_id="report", bash_command="report.sh")  # noqa: DC201
    BashOperator(task_id="publish", bash_command="publish.sh", retries=2)
"""


def sarif_of(*args: str, cwd: Path) -> dict[str, Any]:
    result = dagcheck("check", "--output-format", "sarif", "--exit-zero", *args, cwd=cwd)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft4Validator:
    checker = jsonschema.FormatChecker()
    # Without a URI checker installed, "format": "uri" would pass anything.
    assert "uri" in checker.checkers and "uri-reference" in checker.checkers
    return jsonschema.Draft4Validator(json.loads(SCHEMA.read_text()), format_checker=checker)


def assert_valid_for_github(document: dict[str, Any], validator: Any) -> None:
    errors = sorted(validator.iter_errors(document), key=lambda e: list(e.path))
    assert [f"{list(e.path)}: {e.message}" for e in errors] == []
    assert not _nulls(document)
    assert document["version"] == "2.1.0" and len(document["runs"]) == 1
    [run] = document["runs"]
    driver = run["tool"]["driver"]
    assert driver["name"] == "dagcheck" and driver["version"] and driver["semanticVersion"]
    rules = driver["rules"]
    for rule in rules:
        assert rule["shortDescription"]["text"].strip()
        assert 0 < len(rule["fullDescription"]["text"]) <= 1024
        assert rule["help"]["text"].strip() and rule["help"]["markdown"].strip()
        assert rule["defaultConfiguration"]["level"] in LEVELS
        assert rule["properties"]["tags"] and rule["properties"]["precision"]
        if "security-severity" in rule["properties"]:
            assert 0 <= float(rule["properties"]["security-severity"]) <= 10
            assert isinstance(rule["properties"]["security-severity"], str)
    results = run["results"]
    assert len(results) <= MAX_RESULTS
    assert len(gzip.compress(json.dumps(document).encode())) <= MAX_GZIPPED_BYTES
    for result in results:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
        assert result["level"] in LEVELS  # explicit, never inherited from the rule
        assert result["message"]["text"].strip()
        [location] = result["locations"]
        artifact = location["physicalLocation"]["artifactLocation"]
        assert artifact["uriBaseId"] == "%SRCROOT%"
        assert not artifact["uri"].startswith("/") and "\\" not in artifact["uri"]
        region = location["physicalLocation"]["region"]
        assert 1 <= region["startLine"] <= region["endLine"]
        if region["startLine"] == region["endLine"]:
            assert region["startColumn"] <= region["endColumn"]
        assert result["partialFingerprints"]["dagcheck/v1"]


def _nulls(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, dict):
        return any(_nulls(item) for item in value.values())
    if isinstance(value, list):
        return any(_nulls(item) for item in value)
    return False


def test_fixtures_give_valid_sarif(validator: Any) -> None:
    document = sarif_of("fixtures", cwd=ROOT)
    assert_valid_for_github(document, validator)
    results = document["runs"][0]["results"]
    assert {r["ruleId"] for r in results} >= {"DC001", "DC201", "DC806", "DC705"}
    # A warning says so explicitly, though "warning" is SARIF's default level.
    assert any(r["level"] == "warning" for r in results)
    uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in results}
    assert "fixtures/prefect/prefect.yaml" in uris  # repository-relative, from the git root


def test_airflow_example_dags_give_valid_sarif(validator: Any, tmp_path: Path) -> None:
    import airflow

    examples = Path(airflow.__file__).parent / "example_dags"
    document = sarif_of("--project-root", str(examples.parent), str(examples), cwd=tmp_path)
    assert_valid_for_github(document, validator)
    results = document["runs"][0]["results"]
    assert len(results) > 100
    assert all(
        r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].startswith("example_dags/")
        for r in results
    )


def test_fingerprints_survive_lines_added_above(tmp_path: Path) -> None:
    dag = tmp_path / "dags" / "sales.py"
    dag.parent.mkdir()
    dag.write_text(DAG)
    before = sarif_of("dags", cwd=tmp_path)["runs"][0]["results"]
    dag.write_text("# Sales, daily.\n\nimport os\n" + DAG)
    after = sarif_of("dags", cwd=tmp_path)["runs"][0]["results"]

    def prints(results: list[dict[str, Any]]) -> dict[str, str]:
        return {r["partialFingerprints"]["dagcheck/v1"]: r["ruleId"] for r in results}

    assert prints(before) == prints(after)
    assert [r["locations"][0]["physicalLocation"]["region"]["startLine"] for r in after] == [
        r["locations"][0]["physicalLocation"]["region"]["startLine"] + 3 for r in before
    ]


def test_category_suppressed_findings_output_file_and_project_root(
    tmp_path: Path, validator: Any
) -> None:
    dag = tmp_path / "repo" / "dags" / "sales.py"
    dag.parent.mkdir(parents=True)
    dag.write_text(DAG)
    repo = tmp_path / "repo"
    plain = sarif_of("--select", "DC201", "dags", cwd=repo)["runs"][0]
    assert "automationDetails" not in plain
    assert [r.get("suppressions") for r in plain["results"]] == [None]

    report = repo / "dagcheck.sarif"
    result = dagcheck(
        "check",
        "--select",
        "DC201",
        "--output-format",
        "sarif",
        "--output-file",
        str(report),
        "--sarif-category",
        "dagcheck/dags",
        "--include-suppressed",
        "--project-root",
        str(tmp_path),
        "dags",
        cwd=repo,
    )
    assert result.returncode == 1  # the unsuppressed finding still fails the run
    assert result.stdout == ""
    document = json.loads(report.read_text())
    assert_valid_for_github(document, validator)
    run = document["runs"][0]
    assert run["automationDetails"] == {"id": "dagcheck/dags"}
    by_task = {r["properties"]["task"]: r for r in run["results"]}
    assert by_task["report"]["suppressions"] == [{"kind": "inSource"}]
    assert "suppressions" not in by_task["load"]
    uri = by_task["load"]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert uri == "repo/dags/sales.py"


def test_security_rules_carry_a_security_severity() -> None:
    from dagcheck.report import ReportContext
    from dagcheck.report.sarif import sarif_log, to_json

    document = to_json(sarif_log([], ReportContext(root=ROOT)))
    rules = {rule["id"]: rule for rule in document["runs"][0]["tool"]["driver"]["rules"]}
    assert rules["DC903"]["properties"]["security-severity"] == "7.5"
    assert "security" in rules["DC903"]["properties"]["tags"]
    assert "security-severity" not in rules["DC201"]["properties"]
    assert document["runs"][0]["results"] == []


def test_a_fixable_finding_carries_its_fix_as_replacements(tmp_path: Path, validator: Any) -> None:
    dag = tmp_path / "dags" / "legacy.py"
    dag.parent.mkdir()
    source = (
        "from airflow import DAG\n"
        "from airflow.operators.dummy import DummyOperator\n"
        "\n"
        "with DAG('legacy', schedule_interval='@daily'):\n"
        "    DummyOperator(task_id='start')\n"
    )
    dag.write_text(source)
    document = sarif_of("--select", "DC703,DC803,DC504", "dags", cwd=tmp_path)
    assert_valid_for_github(document, validator)
    by_rule = {r["ruleId"]: r for r in document["runs"][0]["results"]}
    assert "fixes" not in by_rule["DC504"]  # no fix for that rule

    lines = source.splitlines(keepends=True)
    for code in ("DC703", "DC803"):
        [fix] = by_rule[code]["fixes"]
        assert fix["description"]["text"].endswith("(safe fix)")
        [change] = fix["artifactChanges"]
        assert change["artifactLocation"]["uri"] == "dags/legacy.py"
        # Apply the replacements, last first, as a SARIF viewer would.
        for replacement in sorted(
            change["replacements"],
            key=lambda r: (r["deletedRegion"]["startLine"], r["deletedRegion"]["startColumn"]),
            reverse=True,
        ):
            region = replacement["deletedRegion"]
            start = sum(map(len, lines[: region["startLine"] - 1])) + region["startColumn"] - 1
            end = sum(map(len, lines[: region["endLine"] - 1])) + region["endColumn"] - 1
            text = "".join(lines)
            lines = (text[:start] + replacement["insertedContent"]["text"] + text[end:]).splitlines(
                keepends=True
            )
    fixed = dagcheck("fix", "--select", "DC703,DC803", "dags", cwd=tmp_path)
    assert fixed.returncode == 0
    assert "".join(lines) == dag.read_text()
