"""The command line as users run it: a real subprocess, real exit codes, real output."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from cli_runner import dagcheck
from sources import WELL_RUN_DAG

from dagcheck import __version__

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "airflow"

CLEAN_DAG = """\
    import pendulum
    from airflow import DAG
    from airflow.providers.standard.operators.bash import BashOperator

    with DAG("nightly_export", schedule="@daily", start_date=pendulum.datetime(2024, 1, 1),
             max_active_runs=1):
        extract = BashOperator(task_id="extract", bash_command="echo extract", retries=2)
        load = BashOperator(task_id="load", bash_command="echo load")
        extract >> load
"""
# The same DAG, written to pass the whole checklist.


@pytest.fixture
def dags(tmp_path: Path) -> Path:
    folder = tmp_path / "dags"
    folder.mkdir()
    (folder / "nightly_export.py").write_text(textwrap.dedent(CLEAN_DAG))
    (folder / "notes.py").write_text("print('no pipelines here')\n")
    # Tagged DAGs with nothing to report: most DAGs of the tree are tagged, so DC501 asks.
    # Their owner is Airflow's default, as nightly_export's: no owner convention (DC502).
    for dag_id in ("orders_export", "stock_export"):
        clean = textwrap.dedent(WELL_RUN_DAG).replace('"nightly_export"', f'"{dag_id}"')
        (folder / f"{dag_id}.py").write_text(clean.replace('"exports"', '"airflow"'))
    return folder


@pytest.fixture
def checked_dags(tmp_path: Path) -> Path:
    folder = tmp_path / "checked"
    folder.mkdir()
    (folder / "nightly_export.py").write_text(textwrap.dedent(WELL_RUN_DAG))
    return folder


def test_version() -> None:
    result = dagcheck("--version")
    assert result.returncode == 0
    assert result.stdout.strip() == f"dagcheck, version {__version__}"


@pytest.mark.parametrize("command", [[], ["check"], ["model"]], ids=["group", "check", "model"])
def test_help_on_every_command(command: list[str]) -> None:
    result = dagcheck(*command, "--help")
    assert result.returncode == 0
    assert "Usage: dagcheck" in result.stdout


def test_check_clean_folder_exits_0(checked_dags: Path) -> None:
    result = dagcheck("check", checked_dags)
    assert (result.returncode, result.stdout) == (0, "All checks passed!\n")
    assert result.stderr == ""


def test_check_reports_unparsable_file_and_exits_1(checked_dags: Path) -> None:
    broken = checked_dags / "broken.py"
    broken.write_text("from airflow.sdk import DAG\n\nwith DAG('x') as dag\n    pass\n")
    result = dagcheck("check", checked_dags)
    assert result.returncode == 1
    first_line = result.stdout.splitlines()[0]
    assert first_line == f"{broken.as_posix()}:3:21: DC001 cannot parse file: expected ':'"
    assert result.stdout.endswith("Found 1 finding (1 error).\n")
    assert "Traceback" not in result.stdout + result.stderr


def test_check_json_output(checked_dags: Path) -> None:
    (checked_dags / "broken.py").write_text("import airflow\nx = (\n")
    result = dagcheck("check", "--output-format", "json", checked_dags)
    assert result.returncode == 1
    [finding] = json.loads(result.stdout)
    assert finding["code"] == "DC001"
    assert finding["severity"] == "error"
    assert finding["path"].endswith("broken.py")
    assert finding["location"]["line"] >= 2


@pytest.mark.parametrize(
    "args",
    [["check", "does/not/exist"], ["check"], ["model", "--format", "yaml", "."], ["lint", "."]],
    ids=["missing-path", "no-path", "bad-choice", "unknown-command"],
)
def test_usage_errors_exit_2_with_a_message(args: list[str]) -> None:
    result = dagcheck(*args)
    assert result.returncode == 2
    assert "Error" in result.stderr
    assert "Traceback" not in result.stderr


def test_model_json_lists_pipelines_tasks_edges_and_provenance(dags: Path) -> None:
    result = dagcheck("model", "--format", "json", dags / "nightly_export.py", dags / "notes.py")
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["dagcheck_version"] == __version__
    [file] = document["files"]  # notes.py never mentions a framework: not even parsed
    [pipeline] = file["pipelines"]
    assert pipeline["id"] == "nightly_export"
    assert pipeline["kind"] == "dag-context"
    assert pipeline["settings"]["schedule"]["value"] == "@daily"
    assert pipeline["settings"]["schedule"]["provenance"] == "dag"
    assert pipeline["settings"]["catchup"] == {
        "value": False,
        "provenance": "default",
        "origin": "static",
        "text": "",
        "span": None,
    }
    tasks = {task["id"]: task for task in pipeline["tasks"]}
    assert tasks["extract"]["settings"]["retries"]["value"] == 2
    assert tasks["extract"]["settings"]["retries"]["provenance"] == "task"
    assert tasks["extract"]["settings"]["retries"]["span"] == {
        "line": 7,
        "column": 84,
        "end_line": 7,
        "end_column": 85,
    }
    assert tasks["load"]["settings"]["retries"]["provenance"] == "default"
    assert tasks["extract"]["span"]["line"] == 7
    assert [(e["upstream"], e["downstream"]) for e in pipeline["edges"]] == [("extract", "load")]


def test_model_text_shows_explicit_settings_with_provenance(dags: Path) -> None:
    result = dagcheck("model", dags / "nightly_export.py")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].endswith("nightly_export.py:5: airflow nightly_export (dag-context)")
    assert '  schedule = "@daily"  [dag]' in lines
    assert (
        "    extract: bash, airflow.providers.standard.operators.bash.BashOperator, line 7" in lines
    )
    assert "      retries = 2  [task]" in lines
    assert "    extract >> load" in lines
    assert "retry_delay" not in result.stdout  # defaults only with --show-defaults
    with_defaults = dagcheck("model", "--show-defaults", dags / "nightly_export.py")
    assert '      retry_delay = {"timedelta_seconds": 300.0}  [default]' in with_defaults.stdout


def test_check_bundled_fixtures_finds_only_the_broken_file() -> None:
    result = dagcheck("check", "--select", "DC0", FIXTURES)
    codes = [line.split(": ", 1)[1].split(" ")[0] for line in result.stdout.splitlines()[:-1]]
    assert result.returncode == 1
    assert codes == ["DC001"]
    assert "broken/syntax_error.py" in result.stdout


def test_exclude_skips_matching_files() -> None:
    result = dagcheck("check", "--select", "DC0", "--exclude", "broken", FIXTURES)
    assert (result.returncode, result.stdout) == (0, "All checks passed!\n")


def test_a_project_template_is_not_checked(tmp_path: Path) -> None:
    # cookiecutter's placeholders make the template's files Jinja text, not Python yet.
    template = tmp_path / "templates" / "{{ cookiecutter.pipeline }}"
    template.mkdir(parents=True)
    (template / "flow.py").write_text("from prefect import flow\n{{ cookiecutter.body }}\n")
    (tmp_path / "templates" / "{{ cookiecutter.name }}.py").write_text("import airflow\n{{ x }\n")
    (tmp_path / "broken.py").write_text("import airflow\ndef (\n")

    result = dagcheck("check", "--select", "DC0", tmp_path)

    assert result.returncode == 1
    assert [line.split(":")[0] for line in result.stdout.splitlines()[:-1]] == [
        (tmp_path / "broken.py").as_posix()
    ]


def test_wheel_ships_the_checklist_and_every_module(tmp_path: Path) -> None:
    root = Path(__file__).resolve().parent.parent
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", tmp_path, root],
        check=True,
        capture_output=True,
        timeout=300,
    )
    [wheel] = tmp_path.glob("dagcheck-*.whl")
    import zipfile

    names = set(zipfile.ZipFile(wheel).namelist())
    assert "dagcheck/checklist_data/dagcheck.yaml" in names
    # Every module of the package, so that a non-editable install (pre-commit's) works.
    modules = {path.relative_to(root / "src").as_posix() for path in (root / "src").rglob("*.py")}
    assert modules <= names


def test_check_reports_the_checklist_in_rule_order_per_line(dags: Path) -> None:
    result = dagcheck("check", dags)
    assert result.returncode == 1
    path = (dags / "nightly_export.py").as_posix()
    lines = result.stdout.splitlines()
    assert [line.split(": ", 1)[1].split(" ")[0] for line in lines[:-1]] == [
        "DC401", "DC402", "DC501", "DC504", "DC601", "DC702", "DC201",
    ]  # fmt: skip
    assert (
        f"{path}:8:12: DC201 task 'load' in DAG 'nightly_export' has no retries (none on the "
        "task or in default_args); set retries >= 1"
    ) in lines
    assert lines[-1] == "Found 7 findings (4 warnings, 3 info)."  # DC203 is opt-in


@pytest.mark.parametrize(
    ("args", "codes"),
    [
        (["--select", "DC2"], ["DC203", "DC201"]),
        (["--select", "DC4,DC5", "--ignore", "DC40"], ["DC501", "DC504"]),
        (["--ignore", "DC4,DC5,DC6,DC7,DC203"], ["DC201"]),
        (["--select", "dc201"], ["DC201"]),
    ],
    ids=["area-prefix", "select-and-ignore", "ignore-areas", "lower-case"],
)
def test_select_and_ignore_by_prefix(dags: Path, args: list[str], codes: list[str]) -> None:
    result = dagcheck("check", *args, dags)
    assert [
        line.split(": ", 1)[1].split(" ")[0] for line in result.stdout.splitlines()[:-1]
    ] == codes


@pytest.mark.parametrize(
    ("args", "exit_code"),
    [([], 1), (["--fail-on", "error"], 0), (["--fail-on", "info"], 1), (["--exit-zero"], 0)],
    ids=["default-warning", "fail-on-error", "fail-on-info", "exit-zero"],
)
def test_exit_code_follows_fail_on(dags: Path, args: list[str], exit_code: int) -> None:
    assert dagcheck("check", *args, dags).returncode == exit_code


def test_info_findings_alone_do_not_fail_by_default(dags: Path) -> None:
    result = dagcheck("check", "--select", "DC402,DC501", dags)
    assert (result.returncode, result.stdout.splitlines()[-1]) == (0, "Found 2 findings (2 info).")


def test_noqa_on_the_line_and_for_the_file(dags: Path) -> None:
    source = (dags / "nightly_export.py").read_text()
    source = source.replace(
        'load = BashOperator(task_id="load", bash_command="echo load")',
        'load = BashOperator(task_id="load", bash_command="echo load")  # noqa: DC201',
    )
    (dags / "nightly_export.py").write_text(source)
    codes = [
        line.split(": ", 1)[1].split(" ")[0]
        for line in dagcheck("check", dags).stdout.splitlines()[:-1]
    ]
    assert "DC201" not in codes and "DC401" in codes

    (dags / "nightly_export.py").write_text("# dagcheck: noqa: DC4, DC5\n" + source)
    codes = [
        line.split(": ", 1)[1].split(" ")[0]
        for line in dagcheck("check", dags).stdout.splitlines()[:-1]
    ]
    assert codes == ["DC601", "DC702"]

    (dags / "nightly_export.py").write_text("# dagcheck: noqa\n" + source)
    assert dagcheck("check", dags).stdout == "All checks passed!\n"


def test_rules_lists_every_rule_and_explain_renders_one() -> None:
    listing = dagcheck("rules")
    assert listing.returncode == 0
    assert any(
        line.startswith("DC201  task-without-retries") for line in listing.stdout.splitlines()
    )
    as_json = json.loads(dagcheck("rules", "--format", "json").stdout)
    assert {"code": "DC201", "severity": "warning"}.items() <= as_json[
        [r["code"] for r in as_json].index("DC201")
    ].items()
    explained = dagcheck("explain", "DC201")
    assert explained.returncode == 0
    assert explained.stdout.startswith("DC201 task-without-retries (retry, warning)\n")
    assert "\nWhy\n" in explained.stdout
    # A rule of both frameworks shows each one's example and fix.
    for label in ("Example (Airflow)", "Use instead (Airflow)", "Use instead (Prefect)"):
        assert f"\n{label}\n" in explained.stdout
    airflow_only = dagcheck("explain", "DC203").stdout
    assert "\nUse instead\n" in airflow_only and "(Prefect)" not in airflow_only
    assert dagcheck("explain", "task-without-retries").stdout == explained.stdout
    unknown = dagcheck("explain", "DC999")
    assert unknown.returncode == 2 and "no rule 'DC999'" in unknown.stderr


def test_full_output_underlines_the_source(dags: Path) -> None:
    result = dagcheck("check", "--output-format", "full", "--select", "DC201", dags)
    path = (dags / "nightly_export.py").as_posix()
    assert result.stdout == (
        f"{path}:8:12: DC201 task 'load' in DAG 'nightly_export' has no retries (none on the "
        "task or in default_args); set retries >= 1\n"
        "  |\n"
        '8 |     load = BashOperator(task_id="load", bash_command="echo load")\n'
        "  |            " + "^" * 54 + "\n"
        "\n"
        "Found 1 finding (1 warning).\n"
    )


def test_statistics_count_findings_per_rule(dags: Path) -> None:
    result = dagcheck("check", "--statistics", "--select", "DC2,DC4", dags)
    assert result.stdout.splitlines() == [
        "     1  DC201  task-without-retries",
        "     1  DC203  retries-without-backoff",
        "     1  DC401  task-without-execution-timeout",
        "     1  DC402  dag-without-dagrun-timeout",
    ]
    assert result.returncode == 1


NESTED_DAG = """\
from datetime import datetime

from airflow.providers.standard.operators.bash import BashOperator
from airflow.sdk import DAG
from common.defaults import DEFAULT_ARGS

with DAG("team_etl", schedule="@daily", start_date=datetime(2024, 1, 1), default_args=DEFAULT_ARGS):
    BashOperator(task_id="load", bash_command="load.sh")
    BashOperator(task_id="report", bash_command="report.sh")
"""


@pytest.mark.parametrize(("retries", "expected"), [(', "retries": 2', []), ("", ["DC201"])])
def test_a_named_file_reads_modules_from_parent_folders_of_the_project(
    tmp_path: Path, retries: str, expected: list[str]
) -> None:
    # As pre-commit runs it: one file named, its default_args two folders up in dags/common.
    (tmp_path / ".git").mkdir()
    (tmp_path / "dags" / "common").mkdir(parents=True)
    (tmp_path / "dags" / "team").mkdir()
    (tmp_path / "dags" / "common" / "defaults.py").write_text(
        f'DEFAULT_ARGS = {{"owner": "etl"{retries}}}\n'
    )
    (tmp_path / "dags" / "team" / "etl.py").write_text(NESTED_DAG)
    named = dagcheck(
        "check", "--select", "DC201", "--output-format", "json", "dags/team/etl.py", cwd=tmp_path
    )
    assert [f["code"] for f in json.loads(named.stdout)] == expected
