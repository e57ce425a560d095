"""[tool.dagcheck] in pyproject.toml, as a team sets it up, and the errors a typo gets."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from cli_runner import dagcheck

DAG_SOURCE = """\
from datetime import datetime

from airflow.providers.standard.operators.bash import BashOperator
from airflow.sdk import DAG

with DAG("sales_daily", schedule="@daily", start_date=datetime(2024, 1, 1), tags=["sales"]):
    BashOperator(task_id="load", bash_command="load.sh", retries=2)
"""


def project(tmp_path: Path, config: str) -> Path:
    (tmp_path / "pyproject.toml").write_text(textwrap.dedent(config))
    dags = tmp_path / "dags"
    (dags / "legacy").mkdir(parents=True)
    (dags / "sales.py").write_text(DAG_SOURCE)
    (dags / "legacy" / "old.py").write_text(DAG_SOURCE.replace("sales_daily", "old_sales"))
    return dags


def codes_by_file(output: str) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for line in output.splitlines()[:-1]:
        location, rest = line.split(": ", 1)
        found.setdefault(Path(location.split(":")[0]).name, []).append(rest.split(" ")[0])
    return found


def test_team_config_is_found_above_the_paths_and_applied(tmp_path: Path) -> None:
    dags = project(
        tmp_path,
        """
        [tool.dagcheck]
        select = ["DC2", "DC5"]
        ignore = ["DC502"]
        extend-select = ["DC401"]
        min-retries = 3
        required-tags = ["team:*"]
        fail-on = "error"
        exclude = ["dags/legacy/*"]

        [tool.dagcheck.severity]
        DC202 = "error"

        [tool.dagcheck.per-file-ignores]
        "dags/sales.py" = ["DC501"]
        """,
    )
    result = dagcheck("check", "dags", cwd=tmp_path)
    assert codes_by_file(result.stdout) == {
        "sales.py": ["DC504", "DC503", "DC203", "DC401", "DC202"]
    }
    assert result.stdout.splitlines()[-1] == "Found 5 findings (1 error, 2 warnings, 2 info)."
    assert result.returncode == 1  # DC202 raised to error, fail-on = error
    assert dags.exists()


def test_command_line_overrides_the_config(tmp_path: Path) -> None:
    project(tmp_path, '[tool.dagcheck]\nselect = ["DC2"]\nmin-retries = 2\n')
    result = dagcheck("check", "--select", "DC501", "--fail-on", "info", "dags", cwd=tmp_path)
    assert (result.returncode, result.stdout) == (0, "All checks passed!\n")  # tags are set


def test_explicit_config_path(tmp_path: Path) -> None:
    dags = project(tmp_path, "[project]\nname = 'x'\n")
    team = tmp_path / "team.toml"
    team.write_text('[tool.dagcheck]\nselect = ["DC202"]\nmin-retries = 3\n')
    result = dagcheck("check", "--config", team, dags, cwd=tmp_path)
    assert codes_by_file(result.stdout) == {"old.py": ["DC202"], "sales.py": ["DC202"]}


BAD_CONFIGS = [
    ('selct = ["DC2"]', "[tool.dagcheck] selct: unknown key"),
    ('select = "DC2"', "[tool.dagcheck] select: expected a list of rule codes"),
    ('select = ["E501"]', "[tool.dagcheck] select: expected a list of rule codes"),
    ('fail-on = "fatal"', "[tool.dagcheck] fail-on: expected error, warning or info"),
    ('target-airflow = "4"', '[tool.dagcheck] target-airflow: expected "auto", "2" or "3"'),
    ("target-prefect = 1", '[tool.dagcheck] target-prefect: expected "auto", "2" or "3"'),
    ("min-retries = -1", "[tool.dagcheck] min-retries: expected a whole number >= 0"),
    ('severity = { DC201 = "loud" }', "[tool.dagcheck] severity.DC201: expected error"),
    ("select = [", "not valid TOML"),
    ('failure-callback = "notify"', 'failure-callback: expected an importable "module.name"'),
    ("deadline-callback = 3", 'deadline-callback: expected an importable "module.name"'),
    ('fix-start-date = "last monday"', "fix-start-date: expected a date such as 2024-01-01"),
    ("fix-max-retry-delay = 0", "fix-max-retry-delay: expected a whole number >= 1"),
    ('respect-airflowignore = "yes"', "respect-airflowignore: expected true or false"),
]


@pytest.mark.parametrize(("line", "message"), BAD_CONFIGS, ids=[c[0] for c in BAD_CONFIGS])
def test_bad_config_is_a_clear_error_with_exit_2(tmp_path: Path, line: str, message: str) -> None:
    project(tmp_path, f"[tool.dagcheck]\n{line}\n")
    result = dagcheck("check", "dags", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stdout == ""
    assert message in result.stderr
    assert "pyproject.toml" in result.stderr
    assert "Traceback" not in result.stderr


def test_allowed_tags_and_target_airflow_from_the_config(tmp_path: Path) -> None:
    project(
        tmp_path,
        """
        [tool.dagcheck]
        select = ["DC503", "DC703"]
        allowed-tags = ["finance", "team:revenue"]
        target-airflow = "2"
        """,
    )
    (tmp_path / "dags" / "sales.py").write_text(
        DAG_SOURCE.replace("from airflow.sdk import DAG", "from airflow import DAG").replace(
            'schedule="@daily"', 'schedule_interval="@daily"'
        )
    )
    result = dagcheck("check", "dags/sales.py", cwd=tmp_path)
    lines = result.stdout.splitlines()
    assert [line.split(": ", 1)[1] for line in lines[:-1]] == [
        "DC703 DAG 'sales_daily' uses schedule_interval=, which is deprecated since Airflow "
        "2.4; use schedule= instead",
        "DC503 DAG 'sales_daily' has tags outside allowed-tags: sales",
    ]
    assert lines[-1] == "Found 2 findings (2 warnings)."


PREFECT_LEGACY = """\
from prefect import flow, task
from prefect.deployments import Deployment


@task(cache_policy=None)
def extract(): ...


@flow
def etl():
    extract()
"""


@pytest.mark.parametrize(
    ("config", "option", "expected"),
    [
        ('target-prefect = "3"', (), ["DC807"]),
        ('target-prefect = "2"', (), ["DC806"]),  # no cache_policy on Prefect 2's @task
        ('target-prefect = "2"', ("--target-prefect", "3"), ["DC807"]),  # the option wins
    ],
)
def test_target_prefect_from_the_config_and_the_option(
    tmp_path: Path, config: str, option: tuple[str, ...], expected: list[str]
) -> None:
    project(tmp_path, f'[tool.dagcheck]\nselect = ["DC8"]\n{config}\n')
    (tmp_path / "dags" / "etl.py").write_text(PREFECT_LEGACY)
    result = dagcheck("check", *option, "dags/etl.py", cwd=tmp_path)
    assert [line.split(": ", 1)[1].split()[0] for line in result.stdout.splitlines()[:-1]] == (
        expected
    )
