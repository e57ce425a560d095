from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from dagcheck.engine import build_models
from dagcheck.model.pipeline import Pipeline, Unknown

if TYPE_CHECKING:
    from expected_dags import BuildPipelines

# The expectation helpers assert for the tests: give their failures pytest's detailed report.
pytest.register_assert_rewrite("expected_dags")


@pytest.fixture
def pipelines_by_id() -> BuildPipelines:
    """Build the model of one file or folder and return its pipelines keyed by id."""

    def build(path: Path, *, target_airflow: str = "auto") -> dict[str | Unknown, Pipeline]:
        pipelines = [
            pipeline
            for model in build_models([path], target_airflow=target_airflow)
            for pipeline in model.pipelines
        ]
        by_id = {pipeline.id: pipeline for pipeline in pipelines}
        assert len(by_id) == len(pipelines), "two pipelines share an id"
        return by_id

    return build
