"""``--engine dagbag`` and ``--engine both``: DAGs loaded by Airflow's own DagBag, in a
subprocess, become the same model the rules check; files that fail, exit or hang at import
are DC002 and cost only themselves; the static engine never runs a file.

These tests need Airflow in the interpreter running them (``make test`` runs this file in
the Airflow 3 environment and again in the Airflow 2 one).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from cli_runner import dagcheck
from dagbag_runner import example_dags_folders, run_dagbag_dump

pytestmark = pytest.mark.skipif(
    not example_dags_folders(), reason="Airflow is not installed in this environment"
)

GOOD = """\
import datetime

from airflow import DAG
from airflow.operators.bash import BashOperator

with DAG("good", schedule="@daily", start_date=datetime.datetime(2024, 1, 1)):
    BashOperator(task_id="load", bash_command="load.sh")
"""

# A DAG per table of a config read at import: the static model cannot see the loop's items.
FACTORY = """\
import datetime
import json
import pathlib

from airflow import DAG
from airflow.operators.bash import BashOperator

TABLES = json.loads(pathlib.Path(__file__).with_name("tables.json").read_text())
RETRIES = int("3")

with DAG("per_table", schedule=None, start_date=datetime.datetime(2024, 1, 1)):
    for table in TABLES:
        BashOperator(task_id=f"load_{table}", bash_command="load.sh", retries=RETRIES)
"""

RAISES = """\
from airflow import DAG

raise RuntimeError("the warehouse config is missing")
"""

# Endless, and deaf to the SIGALRM Airflow's own import timeout uses: only the wall-clock
# timeout of the subprocess stops it.
HANGS = """\
import signal

from airflow import DAG

signal.signal(signal.SIGALRM, signal.SIG_IGN)
while True:
    pass
"""

EXITS = """\
import os

from airflow import DAG

os._exit(3)
"""

# Writes a marker when imported: proves which engines run the file.
WRITES_A_MARKER = """\
import pathlib

from airflow import DAG

pathlib.Path(__file__).with_name("imported.marker").write_text("ran")
"""


def dag_folder(tmp_path: Path, files: dict[str, str], timeout: int = 20) -> Path:
    folder = tmp_path / "dags"
    folder.mkdir()
    for name, text in files.items():
        (folder / name).write_text(text)
    (tmp_path / "pyproject.toml").write_text(f"[tool.dagcheck]\ndagbag-timeout = {timeout}\n")
    return folder


def findings(output: str) -> list[dict]:
    return json.loads(output)


def test_dagbag_engine_finds_the_dags_dagbag_finds(tmp_path: Path) -> None:
    folder = example_dags_folders()[0]
    result = dagcheck("model", "--engine", "dagbag", "--format", "json", str(folder), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    loaded = {p["id"] for f in document["files"] for p in f["pipelines"]}
    truth = run_dagbag_dump(folder, airflow_home=tmp_path / "home")
    assert loaded == {dag["dag_id"] for dag in truth["dags"]}
    # Every task, as DagBag has it, with the provenance of each setting.
    shapes = {
        p["id"]: sorted(t["id"] for t in p["tasks"])
        for f in document["files"]
        for p in f["pipelines"]
    }
    assert shapes == {dag["dag_id"]: dag["task_ids"] for dag in truth["dags"]}
    origins = {
        s["origin"]
        for f in document["files"]
        for p in f["pipelines"]
        for t in p["tasks"]
        for s in t["settings"].values()
    }
    assert "dagbag" in origins


def test_static_and_dagbag_findings_differ_only_on_what_static_could_not_see(
    tmp_path: Path,
) -> None:
    folder = example_dags_folders()[0]
    by_engine = {}
    for engine in ("static", "dagbag"):
        result = dagcheck(
            "check",
            "--engine",
            engine,
            "--output-format",
            "json",
            "--exit-zero",
            str(folder),
            cwd=tmp_path,
        )
        assert result.returncode == 0, result.stderr
        by_engine[engine] = {
            (f["code"], Path(f["path"]).name, f["pipeline"], f["task"])
            for f in findings(result.stdout)
        }
    model = dagcheck("model", "--format", "json", str(folder), cwd=tmp_path)
    files = json.loads(model.stdout)["files"]
    incomplete = {p["id"] for f in files for p in f["pipelines"] if not p["complete"]}
    not_loaded = {name for code, name, _, _ in by_engine["dagbag"] if code == "DC002"}
    in_files_not_loaded = {
        p["id"] for f in files if Path(f["path"]).name in not_loaded for p in f["pipelines"]
    }
    differing = by_engine["static"] ^ by_engine["dagbag"]
    # The documented classes: a DAG the static model could not follow to the end is judged
    # task by task statically, and as a whole once DagBag has seen every task; a file DagBag
    # cannot import (it needs Airflow's database, or a cloud filesystem) is DC002, without
    # the static model's pipelines.
    explained = incomplete | in_files_not_loaded | {None}
    assert {pipeline for _, _, pipeline, _ in differing} <= explained
    # ... and those classes are the exception: most DAGs are judged the same either way.
    every_pipeline = {p["id"] for f in files for p in f["pipelines"]}
    assert len(explained - {None}) < len(every_pipeline) / 4


def test_files_that_raise_exit_or_hang_are_dc002_and_the_rest_are_checked(
    tmp_path: Path,
) -> None:
    folder = dag_folder(
        tmp_path,
        {
            "a_good.py": GOOD,
            "b_raises.py": RAISES,
            "c_hangs.py": HANGS,
            "d_exits.py": EXITS,
            "e_good.py": GOOD.replace('"good"', '"good_too"'),
        },
        timeout=3,
    )
    result = dagcheck(
        "check",
        "--engine",
        "dagbag",
        "--output-format",
        "json",
        "--select",
        "DC0,DC201",
        str(folder),
        cwd=tmp_path,
    )
    assert result.returncode == 1
    assert "Traceback" not in result.stdout + result.stderr
    found = {(Path(f["path"]).name, f["code"]): f for f in findings(result.stdout)}
    assert found["b_raises.py", "DC002"]["message"].endswith(
        "RuntimeError: the warehouse config is missing"
    )
    assert found["b_raises.py", "DC002"]["location"]["line"] == 3
    assert "longer than 3 s" in found["c_hangs.py", "DC002"]["message"]
    assert "exited (code 3)" in found["d_exits.py", "DC002"]["message"]
    # Files before and after the bad ones are loaded and checked.
    assert ("a_good.py", "DC201") in found and ("e_good.py", "DC201") in found
    assert ("a_good.py", "DC002") not in found and ("e_good.py", "DC002") not in found


def test_the_static_engine_never_runs_the_file(tmp_path: Path) -> None:
    folder = dag_folder(tmp_path, {"marker.py": WRITES_A_MARKER})
    static = dagcheck("check", "--engine", "static", "--exit-zero", str(folder), cwd=tmp_path)
    assert static.returncode == 0, static.stderr
    assert not (folder / "imported.marker").exists()
    # The same file does run when a loading engine is asked for: the test can fail.
    dagcheck("check", "--engine", "dagbag", "--exit-zero", str(folder), cwd=tmp_path)
    assert (folder / "imported.marker").read_text() == "ran"


def test_both_adds_what_only_loading_sees_and_diff_lists_it(tmp_path: Path) -> None:
    folder = dag_folder(tmp_path, {"factory.py": FACTORY})
    (folder / "tables.json").write_text('["orders", "customers"]')
    model = dagcheck("model", "--engine", "both", "--format", "json", str(folder), cwd=tmp_path)
    assert model.returncode == 0, model.stderr
    [pipeline] = json.loads(model.stdout)["files"][0]["pipelines"]
    tasks = {t["id"]: t for t in pipeline["tasks"]}
    assert set(tasks) == {"load_orders", "load_customers"}
    retries = tasks["load_orders"]["settings"]["retries"]
    assert (retries["value"], retries["origin"]) == (3, "dagbag")
    # The DAG keeps the line the static model found for it.
    assert pipeline["span"]["line"] == 11

    diff = dagcheck("model", "--engine", "both", "--diff", str(folder), cwd=tmp_path)
    assert diff.returncode == 0, diff.stderr
    assert "per_table.load_orders: only when loaded" in diff.stdout
    assert diff.stdout.splitlines()[-1].startswith("Agreement: ")

    as_json = dagcheck(
        "model", "--engine", "both", "--diff", "--format", "json", str(folder), cwd=tmp_path
    )
    document = json.loads(as_json.stdout)
    assert document["agreement"]["rate"] == 1.0
    assert set(document["files"][0]["only_loaded"]) == {
        "per_table.load_orders",
        "per_table.load_customers",
    }


def test_diff_needs_both_engines(tmp_path: Path) -> None:
    result = dagcheck("model", "--diff", ".", cwd=tmp_path)
    assert result.returncode == 2
    assert "--engine both" in result.stderr


def test_without_airflow_the_engine_is_a_one_line_error(tmp_path: Path) -> None:
    folder = dag_folder(tmp_path, {"good.py": GOOD})
    bare_python = Path(sys.base_prefix) / "bin" / Path(sys.executable).name
    result = dagcheck(
        "check", "--engine", "dagbag", "--python", str(bare_python), str(folder), cwd=tmp_path
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    [line] = result.stderr.strip().splitlines()
    assert "pip install 'dagcheck[airflow]'" in line


def test_review_and_runbook_accept_the_engine(tmp_path: Path) -> None:
    folder = dag_folder(tmp_path, {"factory.py": FACTORY})
    (folder / "tables.json").write_text('["orders"]')
    review = dagcheck(
        "review", "--engine", "both", "--format", "json", "--exit-zero", str(folder), cwd=tmp_path
    )
    assert review.returncode == 0, review.stderr
    [pipeline] = json.loads(review.stdout)["pipelines"]
    assert pipeline["graph"]["tasks"] == ["load_orders"]
