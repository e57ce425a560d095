"""The pre-commit hook as users run it: the real `pre-commit try-repo`, in a scratch git
repository, with pre-commit choosing the files and passing their names to dagcheck.

try-repo builds the hook's environment afresh on every run, with pip, in a temporary store of
its own: these tests need the package index (or a pip configured with local wheels) and take
about 7 s each.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="pre-commit needs git")

# Only the rules these tests are about, so that the DAGs below stay short.
CONFIG = """\
    [tool.dagcheck]
    select = ["DC201", "DC705", "DC805"]
"""

DAG_WITHOUT_RETRIES = """\
    import pendulum
    from airflow.sdk import DAG
    from airflow.providers.standard.operators.bash import BashOperator

    with DAG("nightly_export", schedule="@daily", start_date=pendulum.datetime(2024, 1, 1)):
        extract = BashOperator(task_id="extract", bash_command="echo extract")
        load = BashOperator(task_id="load", bash_command="echo load")
        extract >> load
"""

DAG_WITH_RETRIES = """\
    import pendulum
    from airflow.sdk import DAG
    from airflow.providers.standard.operators.bash import BashOperator

    with DAG(
        "{dag_id}",
        schedule="@daily",
        start_date=pendulum.datetime(2024, 1, 1),
        default_args={{"retries": 2}},
    ):
        extract = BashOperator(task_id="extract", bash_command="echo extract")
        load = BashOperator(task_id="load", bash_command="echo load")
        extract >> load
"""

DEFAULTS_MODULE = """\
    from datetime import timedelta

    TEAM_DEFAULTS = {"owner": "exports", "retries": 2, "retry_delay": timedelta(minutes=5)}
    NO_RETRIES = {"owner": "exports"}
"""

DAG_WITH_IMPORTED_DEFAULTS = """\
    import pendulum
    from airflow.sdk import DAG
    from airflow.providers.standard.operators.bash import BashOperator

    from common.defaults import {name}

    with DAG(
        "{dag_id}",
        schedule="@daily",
        start_date=pendulum.datetime(2024, 1, 1),
        default_args={name},
    ):
        BashOperator(task_id="export", bash_command="echo export")
"""

PREFECT_PROJECT = """\
    name: exports
    prefect-version: 3.4.0
    deployments:
    - name: nightly
      entrypoint: flows/export.py:export
      schedules:
      - cron: "0 3 * * *"
      work_pool:
        name: default
"""


# A finding as the text output prints it: path:line:column: code message
FINDING = re.compile(r"^(?P<path>\S+?):\d+:\d+: (?P<code>DC\d{3}) ", re.MULTILINE)


def findings(output: str) -> set[tuple[str, str]]:
    """(path, code) of each finding in the hook's output."""
    return {(match["path"], match["code"]) for match in FINDING.finditer(output)}


def git(*args: str, cwd: Path) -> None:
    subprocess.run(["git", *args], cwd=cwd, env=_clean_env(), check=True, capture_output=True)


def _clean_env() -> dict[str, str]:
    """This process's environment without git's variables: run from a git hook, GIT_DIR or
    GIT_INDEX_FILE would point the commands below at the wrong repository."""
    return {key: value for key, value in os.environ.items() if not key.startswith("GIT_")}


@pytest.fixture(scope="session")
def hook_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A one-commit copy of this repository's working tree: what the hook is installed from.

    try-repo on a checkout with uncommitted changes commits only the changed tracked files and
    the staged ones (`git add -u`): a file not yet added, such as a new module, would be left
    out. The copy holds every file that is not ignored, as the working tree has it.
    """
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        env=_clean_env(),
        capture_output=True,
    )
    if listed.returncode != 0:
        pytest.skip("the hook is tried from a git checkout of dagcheck")
    repo = tmp_path_factory.mktemp("dagcheck-repo")
    for name in listed.stdout.decode().split("\0"):
        source = ROOT / name
        if name and source.is_file():  # not a tracked file deleted from the working tree
            (repo / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, repo / name)
    git("init", "--quiet", cwd=repo)
    git("add", "--all", cwd=repo)
    identity = ["-c", "user.name=dagcheck tests", "-c", "user.email=tests@dagcheck.invalid"]
    git(*identity, "-c", "commit.gpgsign=false", "commit", "--quiet", "-m", "snapshot", cwd=repo)
    return repo


@pytest.fixture(scope="session")
def hook_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """pre-commit's, pip's and virtualenv's caches in a temporary folder: no user cache is
    read or written."""
    caches = tmp_path_factory.mktemp("caches")
    return {
        **_clean_env(),
        "PRE_COMMIT_HOME": str(caches / "pre-commit"),
        "PIP_CACHE_DIR": str(caches / "pip"),
        "VIRTUALENV_OVERRIDE_APP_DATA": str(caches / "virtualenv"),
    }


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A scratch git repository with a [tool.dagcheck] table; pre-commit needs no commit."""
    git("init", "--quiet", cwd=tmp_path)
    (tmp_path / "pyproject.toml").write_text(textwrap.dedent(CONFIG))
    return tmp_path


def write(project: Path, files: dict[str, str]) -> None:
    for name, source in files.items():
        path = project / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(source))
    git("add", "--all", cwd=project)


def run_hook(
    project: Path, hook_repo: Path, hook_env: dict[str, str], *files: str, hook: str = "dagcheck"
) -> subprocess.CompletedProcess[str]:
    command = ["try-repo", str(hook_repo), hook, "--color", "never", "--files", *files]
    return subprocess.run(
        [sys.executable, "-m", "pre_commit", *command],
        cwd=project,
        env=hook_env,
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_a_dag_with_findings_fails_the_hook(project, hook_repo, hook_env):
    write(project, {"dags/nightly_export.py": DAG_WITHOUT_RETRIES})

    result = run_hook(project, hook_repo, hook_env, "dags/nightly_export.py")

    assert result.returncode == 1, result.stdout + result.stderr
    assert "dagcheck....." in result.stdout and "Failed" in result.stdout
    assert findings(result.stdout) == {("dags/nightly_export.py", "DC201")}
    assert "deprecated" not in result.stdout + result.stderr  # stage names, for one


def test_a_clean_dag_passes_the_hook(project, hook_repo, hook_env):
    write(project, {"dags/sales.py": DAG_WITH_RETRIES.format(dag_id="sales_daily")})

    result = run_hook(project, hook_repo, hook_env, "dags/sales.py")

    assert result.returncode == 0, result.stdout + result.stderr
    assert "Passed" in result.stdout


def test_default_args_imported_from_a_module_that_is_not_passed(project, hook_repo, hook_env):
    """pre-commit passes the changed DAG files, not the module their default_args come from:
    dagcheck reads that module itself. A DAG importing defaults with retries is clean; one
    importing defaults without them is reported, so the module was read, not skipped."""
    write(
        project,
        {
            "dags/common/defaults.py": DEFAULTS_MODULE,
            "dags/exports.py": DAG_WITH_IMPORTED_DEFAULTS.format(
                name="TEAM_DEFAULTS", dag_id="exports"
            ),
            "dags/adhoc.py": DAG_WITH_IMPORTED_DEFAULTS.format(name="NO_RETRIES", dag_id="adhoc"),
        },
    )

    result = run_hook(project, hook_repo, hook_env, "dags/exports.py", "dags/adhoc.py")

    assert result.returncode == 1, result.stdout + result.stderr
    assert findings(result.stdout) == {("dags/adhoc.py", "DC201")}


def test_a_duplicate_dag_id_in_a_file_that_is_not_passed_is_not_reported(
    project, hook_repo, hook_env
):
    """Only the files pre-commit passes are checked: a DAG id repeated in an unchanged file
    cannot be seen, and no DC805 is guessed. Given both files, dagcheck reports it."""
    dag = DAG_WITH_RETRIES.format(dag_id="sales_daily")
    write(project, {"dags/sales.py": dag, "dags/sales_backfill.py": dag})

    result = run_hook(project, hook_repo, hook_env, "dags/sales.py")

    assert result.returncode == 0, result.stdout + result.stderr
    assert findings(result.stdout) == set()
    both = subprocess.run(
        [sys.executable, "-m", "dagcheck", "check", "dags/sales.py", "dags/sales_backfill.py"],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert findings(both.stdout) == {("dags/sales_backfill.py", "DC805")}


def test_the_hook_is_given_python_files_and_prefect_yaml_only(project, hook_repo, hook_env):
    """A prefect.yaml is checked (its cron schedule has no timezone: DC705); other YAML and
    text files are not passed, even when they mention Airflow."""
    write(
        project,
        {
            "deploy/prefect.yaml": PREFECT_PROJECT,
            "deploy/values.yaml": "image: apache/airflow:3.1.0\n",
            "notes.txt": "airflow upgrade notes\n",
        },
    )

    result = run_hook(
        project, hook_repo, hook_env, "deploy/prefect.yaml", "deploy/values.yaml", "notes.txt"
    )

    assert result.returncode == 1, result.stdout + result.stderr
    assert findings(result.stdout) == {("deploy/prefect.yaml", "DC705")}
    assert "values.yaml" not in result.stdout  # not even as a file that does not parse


LEGACY_DAG = """\
    from airflow import DAG
    from airflow.operators.dummy import DummyOperator

    with DAG("legacy", schedule_interval="@daily"):
        DummyOperator(task_id="start")
"""


def test_the_fix_hook_modifies_a_fixable_file_and_then_passes(project, hook_repo, hook_env):
    (project / "pyproject.toml").write_text('[tool.dagcheck]\nselect = ["DC703", "DC803"]\n')
    write(project, {"dags/legacy.py": LEGACY_DAG})

    first = run_hook(project, hook_repo, hook_env, "dags/legacy.py", hook="dagcheck-fix")

    assert first.returncode == 1, first.stdout + first.stderr
    assert "files were modified by this hook" in first.stdout
    fixed = (project / "dags" / "legacy.py").read_text()
    assert 'schedule="@daily"' in fixed and "EmptyOperator" in fixed
    git("add", "--all", cwd=project)
    second = run_hook(project, hook_repo, hook_env, "dags/legacy.py", hook="dagcheck-fix")
    assert second.returncode == 0, second.stdout + second.stderr
