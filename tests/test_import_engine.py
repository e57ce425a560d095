"""``--engine import``: Prefect flow files imported in a subprocess (the API pointed at an
address where nothing listens), their flows' and tasks' settings as Prefect stores them
combined with the static model; files Prefect refuses are DC002.

Prefect and Airflow 3 cannot share an environment, so these tests load flows with the
interpreter named by DAGCHECK_PREFECT_PYTHON, which ``make test`` sets to its Prefect
environment.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from cli_runner import dagcheck
from test_prefect_fixtures import REFUSED_AT_IMPORT

PREFECT_PYTHON = os.environ.get("DAGCHECK_PREFECT_PYTHON")
pytestmark = pytest.mark.skipif(
    PREFECT_PYTHON is None,
    reason="needs DAGCHECK_PREFECT_PYTHON, an interpreter with Prefect (make test sets it)",
)
FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "prefect"

# Flows made in a loop over a file read at import: the static model cannot see them.
LOOP = """\
import json
import pathlib

from prefect import flow, task


@task(retries=2)
def load(table: str) -> None:
    print(table)


def make(table: str):
    @flow(name=f"load-{table}", retries=1)
    def load_table() -> None:
        load(table)

    return load_table


TABLES = json.loads(pathlib.Path(__file__).with_name("tables.json").read_text())
FLOWS = [make(table) for table in TABLES]
"""

# Reads a Prefect Variable at import: with the API pointed at nowhere, it fails at once.
CALLS_THE_API = """\
from prefect import flow
from prefect.variables import Variable

BUCKET = Variable.get("bucket")


@flow
def export() -> None:
    print(BUCKET)
"""


def engine(*args: str, cwd: Path) -> tuple[int, str, str]:
    result = dagcheck(*args, "--python", str(PREFECT_PYTHON), cwd=cwd)
    assert "Traceback" not in result.stderr
    return result.returncode, result.stdout, result.stderr


def findings(paths: str, engine_name: str, cwd: Path) -> set[tuple[str, str, str, str]]:
    code, out, err = engine(
        "check", "--engine", engine_name, "--output-format", "json", "--exit-zero", paths, cwd=cwd
    )
    assert code == 0, err
    return {(f["code"], Path(f["path"]).name, f["pipeline"], f["task"]) for f in json.loads(out)}


def test_import_and_static_differ_only_on_files_prefect_refuses(tmp_path: Path) -> None:
    static = findings(str(FIXTURES), "static", tmp_path)
    imported = findings(str(FIXTURES), "import", tmp_path)
    refused = {name for code, name, _, _ in imported if code == "DC002"}
    assert refused == set(REFUSED_AT_IMPORT)
    assert {name for _, name, _, _ in static ^ imported} <= refused


def test_diff_reports_agreement_and_only_semantic_disagreements(tmp_path: Path) -> None:
    code, out, err = engine(
        "model", "--engine", "both", "--diff", "--format", "json", str(FIXTURES), cwd=tmp_path
    )
    assert code == 0, err
    document = json.loads(out)
    assert document["agreement"]["rate"] > 0.99
    names = {d["name"] for f in document["files"] for d in f["disagreements"]}
    # Prefect turns result persistence on for a cached task, a cache_key_fn replaces the
    # cache policy, and a task built with Task(...) stores log_prints=False.
    assert names <= {"persist_result", "cache_policy", "log_prints"}
    assert {Path(f["path"]).name for f in document["not_loaded"]} == set(REFUSED_AT_IMPORT)


def test_flows_made_at_import_become_incomplete_pipelines(tmp_path: Path) -> None:
    (tmp_path / "loop.py").write_text(LOOP)
    (tmp_path / "tables.json").write_text('["orders", "customers"]')
    code, out, err = engine(
        "model", "--engine", "both", "--format", "json", "loop.py", cwd=tmp_path
    )
    assert code == 0, err
    pipelines = {p["id"]: p for f in json.loads(out)["files"] for p in f["pipelines"]}
    assert {"load-orders", "load-customers"} <= set(pipelines)
    orders = pipelines["load-orders"]
    assert (orders["kind"], orders["complete"]) == ("import", False)
    assert orders["settings"]["retries"]["value"] == 1
    assert orders["settings"]["retries"]["origin"] == "import"


def test_a_file_that_calls_the_api_at_import_fails_fast(tmp_path: Path) -> None:
    (tmp_path / "export.py").write_text(CALLS_THE_API)
    (tmp_path / "pyproject.toml").write_text("[tool.dagcheck]\ndagbag-timeout = 20\n")
    code, out, err = engine(
        "check", "--engine", "import", "--output-format", "json", "export.py", cwd=tmp_path
    )
    assert code == 1, err
    [finding] = [f for f in json.loads(out) if f["code"] == "DC002"]
    assert finding["location"]["line"] == 4
    assert "Connect" in finding["message"] and "longer than" not in finding["message"]
