"""Adopting dagcheck on an existing repository: record today's findings in a baseline, fail
only on new ones, survive unrelated edits, and say when entries have gone stale."""

from __future__ import annotations

import json
from pathlib import Path

from cli_runner import dagcheck

DAG = """\
from datetime import datetime

from airflow.providers.standard.operators.bash import BashOperator
from airflow.sdk import DAG

with DAG("sales_daily", schedule="@daily", start_date=datetime(2024, 1, 1), tags=["sales"]):
    BashOperator(task_id="load", bash_command="load.sh")
    BashOperator(task_id="report", bash_command="report.sh")
    BashOperator(task_id="publish", bash_command="publish.sh", retries=2)
"""


def project(tmp_path: Path) -> Path:
    (tmp_path / ".git").mkdir()  # the project root
    dags = tmp_path / "dags"
    dags.mkdir()
    (dags / "sales.py").write_text(DAG)
    return dags / "sales.py"


def codes_and_tasks(stdout: str) -> list[str]:
    return [f"{f['code']} {f['task']}" for f in json.loads(stdout)] if stdout else []


def check(tmp_path: Path, *args: str) -> tuple[int, list[str], str]:
    result = dagcheck(
        "check", "--select", "DC201", "--output-format", "json", *args, "dags", cwd=tmp_path
    )
    return result.returncode, codes_and_tasks(result.stdout), result.stderr


def test_baseline_hides_recorded_findings_and_fails_only_on_new_ones(tmp_path: Path) -> None:
    dag = project(tmp_path)
    written = dagcheck(
        "check", "--select", "DC201", "--write-baseline", ".dagcheck-baseline.json", "dags",
        cwd=tmp_path,
    )  # fmt: skip
    assert written.returncode == 0
    assert "Wrote 2 findings to the baseline" in written.stderr
    baseline = json.loads((tmp_path / ".dagcheck-baseline.json").read_text())
    assert [(e["code"], e["path"], e["task"]) for e in baseline["findings"]] == [
        ("DC201", "dags/sales.py", "load"),
        ("DC201", "dags/sales.py", "report"),
    ]

    assert check(tmp_path, "--baseline", ".dagcheck-baseline.json") == (0, [], "")

    # Unrelated lines above move every finding: they stay hidden. A new task is new.
    dag.write_text(
        '"""Daily sales."""\n\nimport os\n'
        + DAG
        + '    BashOperator(task_id="archive", bash_command="archive.sh")\n'
    )
    assert check(tmp_path, "--baseline", ".dagcheck-baseline.json") == (
        1,
        ["DC201 archive"],
        "",
    )


def test_fixed_findings_leave_stale_entries_that_are_counted(tmp_path: Path) -> None:
    dag = project(tmp_path)
    dagcheck(
        "check", "--write-baseline", "baseline.json", "--select", "DC201", "dags", cwd=tmp_path
    )
    dag.write_text(DAG.replace('"load.sh")', '"load.sh", retries=2)'))
    status, found, stderr = check(tmp_path, "--baseline", "baseline.json")
    assert (status, found) == (0, [])
    assert "1 baseline entries in baseline.json no longer match a finding" in stderr
    # Checking another file says nothing about the entries of this one.
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "clean.py").write_text("import airflow\n")
    other = dagcheck("check", "--baseline", "baseline.json", "other", cwd=tmp_path)
    assert other.returncode == 0 and "no longer match" not in other.stderr


def test_baseline_from_the_config_and_a_broken_baseline(tmp_path: Path) -> None:
    project(tmp_path)
    dagcheck("check", "--write-baseline", "dc.json", "--select", "DC201", "dags", cwd=tmp_path)
    (tmp_path / "pyproject.toml").write_text('[tool.dagcheck]\nbaseline = "dc.json"\n')
    assert check(tmp_path) == (0, [], "")

    (tmp_path / "dc.json").write_text("[1, 2")
    status, _, stderr = check(tmp_path)
    assert status == 2
    assert "dc.json: not a dagcheck baseline" in stderr and "Traceback" not in stderr
