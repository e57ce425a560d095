"""Prefect flows as Prefect builds them when their file is imported, combined with the
static model (``--engine import`` and ``both``).

Importing gives each flow's and task's settings as Prefect resolved them, not the graph: a
flow's tasks are known only when it runs. So the static model gives the tasks, edges and
locations, and each setting the import resolved takes the imported value; a flow only the
import found (built in a loop, say) is a pipeline without tasks, marked incomplete, so that
rules about its whole graph stay silent.
"""

from __future__ import annotations

import re
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import Any

from dagcheck.dynamic.merge import Comparison, decode, merged_settings, span_of_text, text_of
from dagcheck.dynamic.runner import LoadedFile, Loader, base_environment
from dagcheck.model.pipeline import Pipeline, Provenance, Setting, Span, Task

LOADER = Path(__file__).with_name("prefect_loader.py")
IMPORT = "import"
# Where nothing listens: a flow file that talks to the API at import fails instead.
UNREACHABLE_API = "http://127.0.0.1:9/api"
_REPEATED_CALL = re.compile(r"__\d+$")
# What a "file" event must hold for the model to be built from it (see runner.malformed).
FILE_EVENT = {
    "flows": [{"name": str, "settings": dict}],
    "tasks": [{"name": str, "settings": dict}],
    "import_error": (str, type(None)),
    "import_error_line": (int, type(None)),
}


def load_flows(
    files: list[Path], roots: list[Path], *, python: str, timeout: float, memory: float
) -> dict[Path, LoadedFile]:
    """Import ``files`` in a subprocess, with a throwaway PREFECT_HOME and no server, at most
    ``memory`` GB of address space."""
    with tempfile.TemporaryDirectory(prefix="dagcheck-prefect-home-") as home:
        env = {k: v for k, v in base_environment(roots).items() if not k.startswith("PREFECT_")}
        env.update(
            {
                "PREFECT_HOME": home,
                "PREFECT_API_URL": UNREACHABLE_API,
                "PREFECT_SERVER_ALLOW_EPHEMERAL_MODE": "false",
                "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
                "DO_NOT_TRACK": "1",
            }
        )
        return Loader(LOADER, python, env, timeout, "prefect", memory, FILE_EVENT).load(files)


def combine_flows(
    static: list[Pipeline], loaded: LoadedFile, source: str, *, keep_static: bool
) -> tuple[list[Pipeline], Comparison]:
    comparison = Comparison()
    flows = {flow["name"]: flow for flow in loaded.event.get("flows", [])}
    tasks = {task["name"]: task for task in loaded.event.get("tasks", [])}
    combined = []
    for pipeline in static:
        flow = flows.pop(pipeline.id, None) if isinstance(pipeline.id, str) else None
        if flow is None:
            comparison.only_static.append(pipeline.id if isinstance(pipeline.id, str) else "?")
            if keep_static:
                combined.append(pipeline)
            continue
        name = pipeline.id if isinstance(pipeline.id, str) else ""
        settings = _settings(flow, pipeline.settings, comparison, name, None, keep_static)
        combined.append(
            replace(
                pipeline,
                settings=settings,
                tasks=[_task(t, tasks, comparison, name, keep_static) for t in pipeline.tasks],
            )
        )
    for name, flow in flows.items():
        comparison.only_loaded.append(name)
        pipeline = Pipeline(
            framework="prefect",
            id=name,
            kind=IMPORT,
            file=loaded.path,
            span=span_of_text(source, name) or Span(1, 1, 1, 1),
            settings=_settings(flow, {}, comparison, name, None, keep_static),
        )
        pipeline.mark_incomplete("a flow built at import: its tasks are known only when it runs")
        combined.append(pipeline)
    return combined, comparison


def _task(
    task: Task,
    loaded: dict[str, dict[str, Any]],
    comparison: Comparison,
    flow: str,
    keep_static: bool,
) -> Task:
    name = _REPEATED_CALL.sub("", task.id) if isinstance(task.id, str) else None
    found = loaded.get(name) if name is not None else None
    if found is None:
        return task
    task_id = task.id if isinstance(task.id, str) else None
    settings = _settings(found, task.settings, comparison, flow, task_id, keep_static)
    return replace(task, settings=settings)


def _settings(
    loaded: dict[str, Any],
    static: dict[str, Setting],
    comparison: Comparison,
    flow: str,
    task: str | None,
    keep_static: bool,
) -> dict[str, Setting]:
    imported = {
        name: Setting(value, Provenance.DECORATOR, text_of(value), origin=IMPORT)
        for name, encoded in loaded["settings"].items()
        for value in [decode(encoded)]
    }
    return merged_settings(imported, static, comparison, flow, task, keep_static)
