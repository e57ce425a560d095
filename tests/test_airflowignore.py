""".airflowignore: dagcheck skips exactly the files Airflow's own DAG-folder walk skips, in
the syntax of the project's Airflow, and a hostile pattern cannot stall the run."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from cli_runner import dagcheck

from dagcheck.airflowignore import AirflowIgnore
from dagcheck.discover import discover

DAG = """\
from airflow.sdk import DAG

DAG("{dag_id}", schedule=None)
"""

GLOB_TREE = {
    "dags/.airflowignore": (
        "# tutorials and scratch files never reach the scheduler\n"
        "tutorials/\n"
        "*_scratch.py  # a comment after a pattern\n"
        "!keep_scratch.py\n"
        "/legacy/old.py\n"
        "generated/**/gen_*.py\n"
    ),
    "dags/sales.py": DAG,
    "dags/a_scratch.py": DAG,
    "dags/keep_scratch.py": DAG,
    "dags/tutorials/intro.py": DAG,
    "dags/legacy/old.py": DAG,
    "dags/legacy/new.py": DAG,
    "dags/team/legacy/old.py": DAG,  # "/legacy/old.py" is anchored to dags/
    "dags/generated/x/gen_1.py": DAG,
    "dags/generated/x/real.py": DAG,
    "dags/team/.airflowignore": "local_*\n",
    "dags/team/local_test.py": DAG,
    "dags/team/ops.py": DAG,
    "dags/local_kept.py": DAG,  # the team folder's pattern does not reach up
}

REGEXP_TREE = {
    "dags/.airflowignore": "tutorials\nscratch_.*\\.py$\n^team/x\n[\n",  # "[" is invalid
    "dags/sales.py": DAG,
    "dags/scratch_a.py": DAG,
    "dags/tutorials/intro.py": DAG,
    "dags/team/x/one.py": DAG,
    "dags/team/y/two.py": DAG,
    "dags/other/team/x/three.py": DAG,  # "^team/x" is matched from the DAG folder
    "dags/team/.airflowignore": "draft\n",
    "dags/team/y/draft_report.py": DAG,
}


def tree(root: Path, files: dict[str, str]) -> Path:
    (root / ".git").mkdir()
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text.format(dag_id=path.stem) if text is DAG else text)
    return root / "dags"


def airflow_walk(dags: Path, syntax: str) -> list[str]:
    """The Python files Airflow's own DAG-folder walk keeps, relative to ``dags``."""
    try:
        from airflow._shared.module_loading import find_path_from_directory
    except ImportError:  # Airflow 2
        from airflow.utils.file import find_path_from_directory
    found = find_path_from_directory(str(dags), ".airflowignore", syntax)
    return sorted(Path(p).relative_to(dags).as_posix() for p in found if p.endswith(".py"))


def dagcheck_walk(project: Path, *, regexp: bool) -> list[str]:
    dags = project / "dags"
    ignore = AirflowIgnore(project, regexp=regexp)
    found = discover([dags], inside=project, airflowignore=ignore)
    return sorted(p.relative_to(dags).as_posix() for p in found)


@pytest.mark.parametrize(
    ("files", "syntax"), [(GLOB_TREE, "glob"), (REGEXP_TREE, "regexp")], ids=["glob", "regexp"]
)
def test_the_files_kept_are_the_ones_airflow_keeps(
    tmp_path: Path, files: dict[str, str], syntax: str
) -> None:
    dags = tree(tmp_path, files)
    kept = dagcheck_walk(tmp_path, regexp=syntax == "regexp")
    assert kept == airflow_walk(dags, syntax)
    everything = sorted(p.relative_to(dags).as_posix() for p in dags.rglob("*.py"))
    assert len(kept) < len(everything) - 2  # the trees do ignore something


def dag_ids(result_stdout: str) -> list[str]:
    return sorted({f["pipeline"] for f in json.loads(result_stdout)})


def test_the_project_s_airflow_decides_the_syntax(tmp_path: Path) -> None:
    # "tutorials" is a regexp that matches the folder, and a glob that matches it too; the
    # glob "*_scratch.py" is a regexp that matches nothing ("*" cannot start a pattern).
    tree(tmp_path, {"dags/.airflowignore": "*_scratch.py\n", "dags/a_scratch.py": DAG})
    args = ("check", "--select", "DC504", "--output-format", "json", "--exit-zero", "dags")
    assert dag_ids(dagcheck(*args, cwd=tmp_path).stdout) == []
    (tmp_path / "requirements.txt").write_text("apache-airflow==2.9.3\n")
    assert dag_ids(dagcheck(*args, cwd=tmp_path).stdout) == ["a_scratch"]
    on_3 = dagcheck(*args, "--target-airflow", "3", cwd=tmp_path)
    assert dag_ids(on_3.stdout) == []


def test_a_named_file_is_skipped_unless_the_setting_is_off(tmp_path: Path) -> None:
    # As pre-commit runs it: the changed file named on the command line.
    tree(tmp_path, {"dags/.airflowignore": "tutorials/\n", "dags/tutorials/intro.py": DAG})
    args = ("check", "--select", "DC504", "--output-format", "json", "dags/tutorials/intro.py")
    assert dag_ids(dagcheck(*args, cwd=tmp_path).stdout) == []
    (tmp_path / "pyproject.toml").write_text("[tool.dagcheck]\nrespect-airflowignore = false\n")
    assert dag_ids(dagcheck(*args, cwd=tmp_path).stdout) == ["intro"]


def test_a_pattern_that_backtracks_for_ever_is_not_used(tmp_path: Path) -> None:
    name = "a" * 40 + ".py"
    tree(
        tmp_path,
        {
            "requirements.txt": "apache-airflow==2.10.5\n",
            "dags/.airflowignore": "(a+)+$\nskipped\n",
            f"dags/{name}": DAG,
            "dags/skipped.py": DAG,
        },
    )
    started = time.monotonic()
    result = dagcheck("check", "--select", "DC504", "--output-format", "json", "dags", cwd=tmp_path)
    assert time.monotonic() - started < 60  # matched, "(a+)+$" would take hours on this name
    assert dag_ids(result.stdout) == ["a" * 40]
    assert "pattern '(a+)+$' not used: a repeated group can take exponential time" in (
        result.stderr
    )
