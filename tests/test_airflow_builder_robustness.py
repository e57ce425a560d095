"""The static Airflow builder on what must not break it: broken files, code it cannot follow,
and code with side effects. None of these may crash a run, and user code is never executed.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
from expected_dags import FIXTURES, BuildPipelines

from dagcheck import engine
from dagcheck.engine import build_models

SIDE_EFFECT_FIXTURE = FIXTURES / "side_effects" / "writes_marker_on_import.py"
SRC = Path(__file__).resolve().parent.parent / "src"


def test_syntax_error_is_a_finding_and_the_neighbour_is_still_modeled() -> None:
    models = {model.path.name: model for model in build_models([FIXTURES / "broken"])}

    broken = models["syntax_error.py"]
    assert broken.pipelines == []
    assert [finding.code for finding in broken.findings] == ["DC001"]
    assert broken.findings[0].path.name == "syntax_error.py"

    sibling = models["sibling_still_modeled.py"]
    assert [pipeline.id for pipeline in sibling.pipelines] == ["healthy_sibling"]
    assert [task.id for task in sibling.pipelines[0].tasks] == ["still_here"]


def test_loop_over_unresolvable_value_says_why_it_is_incomplete(
    pipelines_by_id: BuildPipelines,
) -> None:
    pipeline = pipelines_by_id(FIXTURES / "loop_unresolvable_config.py")["replicate_tables"]
    assert pipeline.complete is False
    assert pipeline.incomplete_reasons


def test_builder_never_executes_user_code(tmp_path: Path, pipelines_by_id: BuildPipelines) -> None:
    dag_file = tmp_path / SIDE_EFFECT_FIXTURE.name
    shutil.copy(SIDE_EFFECT_FIXTURE, dag_file)

    pipelines = pipelines_by_id(tmp_path)

    assert not (tmp_path / "imported.marker").exists()
    assert not (tmp_path / "heartbeat.marker").exists()
    task_ids = {task.id for task in pipelines["parse_time_side_effects"].tasks}
    assert "after_heartbeat" in task_ids
    # The other id is what register_heartbeat() returns ("heartbeat" under DagBag 3.3.2):
    # a builder may read it off the return statement or leave it unknown, never run it.
    assert {task_id for task_id in task_ids if isinstance(task_id, str)} <= {
        "heartbeat",
        "after_heartbeat",
    }


def test_building_imports_neither_airflow_nor_the_dag_files(tmp_path: Path) -> None:
    """Checked in a fresh interpreter: this process may have imported anything already."""
    shutil.copy(SIDE_EFFECT_FIXTURE, tmp_path / SIDE_EFFECT_FIXTURE.name)
    probe = textwrap.dedent(
        f"""
        import sys
        from pathlib import Path

        from dagcheck.engine import build_models

        build_models([Path({str(FIXTURES)!r}), Path({str(tmp_path)!r})])
        roots = {{"airflow", "common", "writes_marker_on_import"}}
        print(sorted(name for name in sys.modules if name.split(".")[0] in roots))
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", probe],
        env={**os.environ, "PYTHONPATH": str(SRC)},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
    assert not (tmp_path / "imported.marker").exists()


ENCODING_CASES = [
    pytest.param(
        b'import airflow\nx = "\xff\xfe"\n',
        "cannot decode file: 'utf-8' codec can't decode byte 0xff",
        id="bytes-not-utf8",
    ),
    pytest.param(
        b"# -*- coding: klingon -*-\nimport airflow\n",
        "cannot decode file: unknown encoding: klingon",
        id="unknown-coding-cookie",
    ),
]


@pytest.mark.parametrize(("content", "message"), ENCODING_CASES)
def test_undecodable_file_is_a_finding(tmp_path: Path, content: bytes, message: str) -> None:
    (tmp_path / "bad.py").write_bytes(content)
    [model] = build_models([tmp_path])
    [finding] = model.findings
    assert finding.code == "DC001"
    assert finding.message.startswith(message)


@pytest.mark.parametrize(
    "content",
    [
        b'\xef\xbb\xbffrom airflow.sdk import DAG\n\nwith DAG("x", schedule=None):\n    pass\n',
        b'from airflow.sdk import DAG\r\n\r\nwith DAG("x", schedule=None):\r\n    pass\r\n',
    ],
    ids=["utf8-bom", "crlf-line-endings"],
)
def test_bom_and_crlf_keep_exact_positions(tmp_path: Path, content: bytes) -> None:
    (tmp_path / "dag.py").write_bytes(content)
    [model] = build_models([tmp_path])
    [pipeline] = model.pipelines
    assert (pipeline.span.line, pipeline.span.column) == (3, 6)
    schedule = pipeline.settings["schedule"]
    assert pipeline.schedule is schedule
    assert (schedule.span.line, schedule.span.column, schedule.text) == (3, 24, "None")


def test_a_failure_inside_dagcheck_is_a_finding_and_the_run_goes_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shutil.copy(FIXTURES / "dag_decorator.py", tmp_path / "a_first.py")
    shutil.copy(FIXTURES / "dag_decorator.py", tmp_path / "b_second.py")
    real_builder = engine.build_airflow_pipelines

    def fail_on_first(path: Path, *args: Any, **kwargs: Any) -> Any:
        if path.name == "a_first.py":
            raise KeyError("boom")
        return real_builder(path, *args, **kwargs)

    monkeypatch.setattr(engine, "build_airflow_pipelines", fail_on_first)
    first, second = build_models([tmp_path], jobs=1)
    [finding] = first.findings
    assert finding.code == "DC000"
    assert finding.message == (
        "dagcheck could not model this file (KeyError: 'boom'); please report it"
    )
    assert second.pipelines
