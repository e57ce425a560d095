"""The engine's driver: the same models whether files are built in one process or several."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from dagcheck.engine import FileModel, build_models
from dagcheck.model.dump import pipeline_as_dict

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "airflow"


def as_data(models: list[FileModel]) -> list[tuple[str, list[Any], list[Any]]]:
    return [
        (
            model.path.as_posix(),
            [pipeline_as_dict(p) for p in model.pipelines],
            [(f.code, f.message, f.span.line) for f in model.findings],
        )
        for model in models
    ]


def test_process_pool_builds_the_same_models_as_one_process(tmp_path: Path) -> None:
    # Enough copies of the fixtures that the tree is split across processes.
    for copy in range(5):
        shutil.copytree(FIXTURES, tmp_path / f"team_{copy}")
    sequential = build_models([tmp_path], jobs=1)
    parallel = build_models([tmp_path], jobs=2)
    assert len(sequential) > 128
    assert [m.path for m in parallel] == sorted(m.path for m in parallel)
    assert as_data(parallel) == as_data(sequential)
    assert sum(f.code == "DC001" for m in parallel for f in m.findings) == 5
