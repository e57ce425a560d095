"""The framework version a project runs, read from the files that pin it; the rules whose
verdict depends on it say which version they assumed when nothing says."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from dagcheck.cli import cli
from dagcheck.model import airflow as airflow_model
from dagcheck.model import prefect as prefect_model
from dagcheck.targets import project_targets

# A DAG written for Airflow 2: an sla=, schedule_interval= and an airflow.operators import.
AIRFLOW_2_DAG = """\
from datetime import datetime, timedelta
from airflow import DAG
from airflow.operators.bash import BashOperator

with DAG("legacy", start_date=datetime(2024, 1, 1), schedule_interval="@daily",
         catchup=False, tags=["x"]) as dag:
    BashOperator(task_id="load", bash_command="echo", sla=timedelta(hours=1))
"""

# No import that says which Airflow: only a version-dependent sla=.
NEUTRAL_DAG = """\
from datetime import timedelta
import pendulum
from airflow import DAG
from airflow.models.baseoperator import BaseOperator

with DAG("neutral", start_date=pendulum.datetime(2024, 1, 1), schedule="@daily",
         catchup=False, tags=["x"]) as dag:
    BaseOperator(task_id="load", sla=timedelta(hours=1))
"""


def project(tmp_path: Path, files: dict[str, str]) -> Path:
    (tmp_path / ".git").mkdir(parents=True)
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text, encoding="utf-8")
    return tmp_path


def invoke(*args: str | Path) -> Result:
    return CliRunner().invoke(cli, [str(arg) for arg in args])


@pytest.fixture
def nothing_installed(monkeypatch: pytest.MonkeyPatch) -> None:
    """As in a pre-commit environment: neither Airflow nor Prefect installed."""
    monkeypatch.setattr(airflow_model, "installed_airflow_version", lambda: None)
    monkeypatch.setattr(prefect_model, "installed_prefect_version", lambda: None)


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        ("requirements.txt", "apache-airflow[celery]==2.9.3  # pinned\n", "2.9.3"),
        ("requirements-prod.txt", "apache-airflow>=2.7,<3\n", "2"),
        ("requirements.txt", "apache-airflow>=2.7\n", None),  # 2 or 3
        ("requirements.txt", "apache-airflow\n", None),
        ("requirements.txt", "apache-airflow-providers-amazon==9.0\n", None),  # a provider
        ("requirements.txt", "apache-airflow-core~=3.1.0\n", "3"),
        (
            "requirements.txt",
            "-c https://raw.githubusercontent.com/apache/airflow/constraints-2.10.5/"
            "constraints-3.11.txt\n",
            "2.10.5",
        ),
        ("constraints.txt", "apache-airflow==3.0.2\n", "3.0.2"),
        ("pyproject.toml", '[project]\ndependencies = ["apache-airflow==2.8.1"]\n', "2.8.1"),
        (
            "pyproject.toml",
            '[tool.poetry.dependencies]\napache-airflow = {version = "^2.9", extras = ["s3"]}\n',
            "2",
        ),
        ("pyproject.toml", '[dependency-groups]\ndev = ["apache-airflow<3.0"]\n', "2"),
        ("pyproject.toml", "[project\nbroken", None),
        ("Pipfile", '[packages]\napache-airflow = "==2.6.3"\n', "2.6.3"),
        ("Pipfile", '[packages]\napache-airflow = "*"\n', None),
        ("setup.cfg", "[options]\ninstall_requires =\n    apache-airflow==2.5.0\n", "2.5.0"),
        ("Dockerfile", "FROM apache/airflow:2.9.3-python3.11\n", "2.9.3"),
        (
            "Dockerfile.prod",
            "ARG AIRFLOW_VERSION=3.0.1\nFROM apache/airflow:${AIRFLOW_VERSION}\n",
            "3.0.1",
        ),
        (
            "docker-compose.yaml",
            "image: ${AIRFLOW_IMAGE_NAME:-apache/airflow:slim-2.10.2}\n",
            "2.10.2",
        ),
        ("poetry.lock", '[[package]]\nname = "apache-airflow"\nversion = "2.7.3"\n', "2.7.3"),
        ("README.md", "apache-airflow==2.9.3\n", None),  # not a pin file
    ],
)
def test_the_airflow_version_is_read_from_the_projects_pins(
    tmp_path: Path, name: str, text: str, expected: str | None
) -> None:
    root = project(tmp_path, {name: text, "dags/a.py": ""})

    target = project_targets(root / "dags", root).get("airflow")

    assert (target.version if target else None) == expected
    if target is not None:
        assert target.source == name


def test_the_nearest_pin_wins_and_prefect_is_read_alike(tmp_path: Path) -> None:
    root = project(
        tmp_path,
        {
            "requirements.txt": "apache-airflow==2.9.3\nprefect==2.19.0\n",
            "team/requirements.txt": "apache-airflow==3.0.6\n",
            "team/dags/a.py": "",
        },
    )

    targets = project_targets(root / "team" / "dags", root)

    assert targets["airflow"].describe() == (
        "Airflow 3.0.6 (team/requirements.txt: apache-airflow==3.0.6)"
    )
    assert targets["prefect"].describe() == "Prefect 2.19.0 (requirements.txt: prefect==2.19.0)"


def test_a_pin_file_is_never_read_through_a_link_or_above_the_project(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "requirements.txt").write_text("apache-airflow==2.9.3\n", encoding="utf-8")
    root = project(tmp_path / "repo", {"dags/a.py": ""})
    os.symlink(outside / "requirements.txt", root / "requirements.txt")
    (tmp_path / "requirements.txt").write_text("apache-airflow==2.1.0\n", encoding="utf-8")

    assert project_targets(root / "dags", root) == {}


def test_an_airflow_2_project_gets_airflow_2_verdicts_and_says_why(tmp_path: Path) -> None:
    root = project(
        tmp_path, {"requirements.txt": "apache-airflow==2.9.3\n", "dags/legacy.py": AIRFLOW_2_DAG}
    )

    text = invoke("check", "--select", "DC3,DC703", root / "dags")
    findings = json.loads(
        invoke("check", "--select", "DC703", "--output-format", "json", root / "dags").stdout
    )
    sarif = json.loads(invoke("check", "--output-format", "sarif", root / "dags").stdout)

    assert "DC301" not in text.output  # sla= works on Airflow 2
    assert "DC302" in text.output
    assert "schedule_interval=, which is deprecated since Airflow 2.4" in text.output
    why = "Airflow 2.9.3 (requirements.txt: apache-airflow==2.9.3)"
    assert text.stderr == f"Target: {why}\n"
    assert [(f["code"], f["severity"], f["target"]) for f in findings] == [
        ("DC703", "warning", why)
    ]
    assert sarif["runs"][0]["properties"] == {"targets": [why]}


def test_the_setting_wins_over_the_pins(tmp_path: Path) -> None:
    root = project(
        tmp_path, {"requirements.txt": "apache-airflow==2.9.3\n", "dags/legacy.py": AIRFLOW_2_DAG}
    )

    result = invoke("check", "--select", "DC301", "--target-airflow", "3", root / "dags")

    assert "sets sla=, which Airflow 3 ignores" in result.output
    assert result.stderr == "Target: Airflow 3 (target-airflow)\n"


@pytest.mark.usefixtures("nothing_installed")
def test_when_nothing_says_a_version_dependent_finding_is_a_warning_that_says_so(
    tmp_path: Path,
) -> None:
    root = project(tmp_path, {"dags/neutral.py": NEUTRAL_DAG})

    [finding] = json.loads(
        invoke("check", "--select", "DC301", "--output-format", "json", root / "dags").stdout
    )

    assert finding["severity"] == "warning"  # an error when the project pins Airflow 3
    assert finding["message"].endswith(
        "(Airflow 3 assumed: nothing in the project pins it; set target-airflow)"
    )
    text = invoke("check", "--select", "DC5", root / "dags")
    assert text.stderr == "Target: Airflow 3 (assumed: nothing in the project says which)\n"


@pytest.mark.usefixtures("nothing_installed")
def test_when_nothing_is_pinned_airflow_2_code_is_read_as_airflow_2(tmp_path: Path) -> None:
    root = project(tmp_path, {"dags/legacy.py": AIRFLOW_2_DAG})

    result = invoke("check", "--select", "DC3,DC703", root / "dags")

    assert "DC301" not in result.output
    assert "deprecated since Airflow 2.4" in result.output
    assert result.stderr == "Target: Airflow 2 (code: imports airflow.operators.bash)\n"


@pytest.mark.usefixtures("nothing_installed")
def test_a_checkout_without_git_is_the_project_it_is_checked_from(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # An unpacked release or a CI workspace copied without .git: the pins at the folder the
    # run starts from apply to the DAGs below it, a named file included (as pre-commit runs).
    (tmp_path / "requirements.txt").write_text("apache-airflow==2.9.3\n", encoding="utf-8")
    (tmp_path / "dags").mkdir()
    (tmp_path / "dags" / "legacy.py").write_text(AIRFLOW_2_DAG, encoding="utf-8")
    monkeypatch.chdir(tmp_path)

    folder = invoke("check", "--select", "DC3,DC703", "dags")
    named = invoke("check", "--select", "DC3,DC703", "dags/legacy.py")

    why = "Target: Airflow 2.9.3 (requirements.txt: apache-airflow==2.9.3)\n"
    assert (folder.stderr, named.stderr) == (why, why)
    assert "DC301" not in folder.output


@pytest.mark.usefixtures("nothing_installed")
def test_a_pinned_project_is_checked_as_pinned_with_nothing_installed(tmp_path: Path) -> None:
    root = project(
        tmp_path,
        {
            "pyproject.toml": '[project]\ndependencies = ["apache-airflow>=3.0,<4"]\n',
            "dags/neutral.py": NEUTRAL_DAG,
        },
    )

    [finding] = json.loads(
        invoke("check", "--select", "DC301", "--output-format", "json", root / "dags").stdout
    )

    assert finding["severity"] == "error"
    assert "assumed" not in finding["message"]


def test_a_version_pinned_by_several_files_is_named_once(tmp_path: Path) -> None:
    files = {"uv.lock": '[[package]]\nname = "apache-airflow"\nversion = "3.0.6"\n'}
    for team in ("a", "b", "c"):
        files[f"{team}/pyproject.toml"] = '[project]\ndependencies = ["apache-airflow==3.0.6"]\n'
        files[f"{team}/dag.py"] = NEUTRAL_DAG.replace('"neutral"', f'"{team}"')
    files["dag.py"] = NEUTRAL_DAG
    root = project(tmp_path, files)

    result = invoke("check", "--select", "DC301", root)

    assert result.stderr == (
        "Target: Airflow 3.0.6 (a/pyproject.toml: apache-airflow==3.0.6) and 3 other files\n"
    )


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        # pip upgrades the image's 2.13 to the newest prefect>=2.20: 2 or 3.
        (
            {
                "Dockerfile": "FROM prefecthq/prefect:2.13.0\n",
                "requirements.txt": "prefect>=2.20\n",
            },
            None,
        ),
        ({"requirements.txt": "prefect==2.19\n", "requirements-v3.txt": "prefect==3.1\n"}, None),
        (
            {"Dockerfile": "FROM prefecthq/prefect:3.1.0\n", "requirements.txt": "prefect~=3.1\n"},
            "3.1.0",
        ),
        (
            {
                "pyproject.toml": '[project]\ndependencies = ["prefect>=2"]\n',
                "uv.lock": '[[package]]\nname = "prefect"\nversion = "3.4.9"\n',
            },
            "3.4.9",
        ),
    ],
    ids=["image-and-open-range", "two-majors", "agreeing", "lock-decides"],
)
def test_pins_of_one_folder_that_disagree_leave_the_target_unknown(
    tmp_path: Path, files: dict[str, str], expected: str | None
) -> None:
    root = project(tmp_path, {**files, "flows/a.py": ""})

    target = project_targets(root / "flows", root).get("prefect")

    assert (target.version if target else None) == expected


def test_an_opt_in_rule_runs_only_when_named_by_its_code_or_area(tmp_path: Path) -> None:
    no_sla = AIRFLOW_2_DAG.replace(", sla=timedelta(hours=1)", "")
    pins = {"requirements.txt": "apache-airflow==2.9.3\n", "dags/a.py": no_sla}
    plain = project(tmp_path / "plain", pins)
    configured = project(
        tmp_path / "configured",
        {**pins, "pyproject.toml": '[tool.dagcheck]\nextend-select = ["DC303"]\n'},
    )

    by_default = invoke("check", plain / "dags")
    by_area = invoke("check", "--select", "DC3", plain / "dags")
    by_config = invoke("check", configured / "dags")

    assert "DC401" in by_default.output  # the other rules ran
    assert "DC303" not in by_default.output  # most DAGs need no SLA: selected by name only
    assert "DC303 DAG 'legacy' defines no SLA" in by_area.output
    assert "DC303" in by_config.output
    assert "(opt-in)" in invoke("rules").output
