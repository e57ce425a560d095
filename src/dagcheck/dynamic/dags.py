"""DAGs as Airflow's DagBag loads them, turned into the same model the static path builds.

``--engine dagbag`` checks the DAGs DagBag found, with their values as Airflow resolved them;
``--engine both`` starts from the static model and adds what only DagBag knows (DAGs and tasks
made in loops or factories, values computed at import), the dynamic value winning wherever
the two disagree. Either way the static model still gives every location it knows: the line
of a DAG, a task, a setting. Where the values agree, the static setting is kept as it is (its
provenance says where it was written); a value that differs keeps the static span but takes
the DagBag value.

What DagBag cannot know stays static in ``both``: a start_date read from the clock (DagBag
sees one moment of it), and what task code does (clock reads, writes).
"""

from __future__ import annotations

import tempfile
from dataclasses import replace
from pathlib import Path
from typing import Any

from dagcheck.dynamic.merge import (
    Comparison,
    decode,
    merged_settings,
    same,
    span_of_text,
    text_of,
)
from dagcheck.dynamic.runner import LoadedFile, Loader, base_environment
from dagcheck.model.airflow import task_kind
from dagcheck.model.pipeline import (
    Edge,
    Pipeline,
    Provenance,
    Setting,
    Span,
    Task,
    TaskGroup,
    TaskKind,
)

LOADER = Path(__file__).with_name("dagbag_loader.py")
DAGBAG = "dagbag"
_TEXT_OR_NONE = (str, type(None))
# What a "file" event must hold for the model to be built from it (see runner.malformed).
FILE_EVENT = {
    "dags": [
        {
            "dag_id": str,
            "fileloc": str,
            "settings": dict,
            "tasks": [
                {
                    "task_id": str,
                    "class": str,
                    "operator": str,
                    "bases": [str],
                    "mapped": bool,
                    "group": _TEXT_OR_NONE,
                    "callable": _TEXT_OR_NONE,
                    "downstream": [str],
                    "settings": dict,
                    "keywords": [str],
                }
            ],
        }
    ],
    "import_error": _TEXT_OR_NONE,
    "import_error_line": (int, type(None)),
}


def load_dags(
    files: list[Path], roots: list[Path], *, python: str, timeout: float, memory: float
) -> dict[Path, LoadedFile]:
    """Load ``files`` with DagBag in a subprocess: a throwaway AIRFLOW_HOME, no database, no
    bundled examples, Airflow's own per-file import timeout and a wall-clock one, at most
    ``memory`` GB of address space."""
    with tempfile.TemporaryDirectory(prefix="dagcheck-airflow-home-") as home:
        env = base_environment(roots)
        env.update(
            {
                "AIRFLOW_HOME": home,
                "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
                "AIRFLOW__CORE__DAGBAG_IMPORT_TIMEOUT": f"{timeout:g}",
                "AIRFLOW__CORE__DAGS_FOLDER": str(roots[0].resolve()) if roots else home,
                "AIRFLOW__LOGGING__LOGGING_LEVEL": "ERROR",
            }
        )
        return Loader(LOADER, python, env, timeout, "airflow", memory, FILE_EVENT).load(files)


def combine(
    static: list[Pipeline], loaded: LoadedFile, source: str, *, keep_static: bool
) -> tuple[list[Pipeline], Comparison]:
    """The pipelines of one file: DagBag's, located and enriched with the static model;
    ``keep_static`` (``--engine both``) also keeps what only the static model has."""
    comparison = Comparison()
    version = str(loaded.ready.get("airflow_version", "3"))[:1]
    by_id = {p.id: p for p in static if isinstance(p.id, str)}
    combined = []
    for dag in loaded.event.get("dags", []):
        known = by_id.pop(dag["dag_id"], None)
        combined.append(_pipeline(dag, known, source, version, comparison, keep_static))
    for pipeline in static:
        if isinstance(pipeline.id, str) and pipeline.id in by_id:
            comparison.only_static.append(pipeline.id)
            if keep_static:
                combined.append(pipeline)
        elif not isinstance(pipeline.id, str) and keep_static:
            combined.append(pipeline)
    return combined, comparison


def _pipeline(
    dag: dict[str, Any],
    known: Pipeline | None,
    source: str,
    version: str,
    comparison: Comparison,
    keep_static: bool,
) -> Pipeline:
    dag_id = dag["dag_id"]
    span = known.span if known is not None else span_of_text(source, dag_id) or Span(1, 1, 1, 1)
    if known is None:
        comparison.only_loaded.append(dag_id)
    default_args = decode(dag.get("default_args"))
    default_args = default_args if isinstance(default_args, dict) else {}
    settings = merged_settings(
        {name: _dag_setting(name, value) for name, value in dag["settings"].items()},
        known.settings if known is not None else {},
        comparison,
        dag_id,
        None,
        keep_static,
    )
    static_tasks = {t.id: t for t in known.tasks} if known is not None else {}
    tasks = []
    for loaded_task in dag["tasks"]:
        task_id = loaded_task["task_id"]
        static_task = static_tasks.pop(task_id, None)
        if static_task is None and known is not None:
            comparison.only_loaded.append(f"{dag_id}.{task_id}")
        tasks.append(
            _task(
                loaded_task,
                static_task,
                default_args,
                span,
                source,
                comparison,
                dag_id,
                keep_static,
            )
        )
    for task_id, static_task in static_tasks.items():
        comparison.only_static.append(f"{dag_id}.{task_id if isinstance(task_id, str) else '?'}")
        if keep_static:
            tasks.append(static_task)
    static_edges = {(e.upstream, e.downstream): e for e in known.edges} if known else {}
    edges = [
        static_edges.get((task["task_id"], down)) or Edge(task["task_id"], down)
        for task in dag["tasks"]
        for down in task["downstream"]
    ]
    if keep_static:
        loaded = {(edge.upstream, edge.downstream) for edge in edges}
        edges += [edge for key, edge in static_edges.items() if key not in loaded]
    groups = sorted({task["group"] for task in dag["tasks"] if task.get("group")})
    pipeline = Pipeline(
        framework="airflow",
        id=dag_id,
        kind=known.kind if known is not None else DAGBAG,
        file=known.file if known is not None else Path(dag["fileloc"]),
        span=span,
        settings=settings,
        tasks=tasks,
        edges=edges,
        groups=[TaskGroup(group, span) for group in groups],
        framework_version=version,
    )
    if known is not None:  # what the code says, which only the static model reads
        pipeline.clock_reads = known.clock_reads
        pipeline.deployment_runs = known.deployment_runs
        pipeline.reaches_out = known.reaches_out
    return pipeline


def _task(
    loaded: dict[str, Any],
    known: Task | None,
    default_args: dict[str, Any],
    dag_span: Span,
    source: str,
    comparison: Comparison,
    dag_id: str,
    keep_static: bool,
) -> Task:
    keywords = set(loaded["keywords"])
    settings = {}
    for name, encoded in loaded["settings"].items():
        value = decode(encoded)
        if name in default_args and same(default_args[name], value):
            provenance = Provenance.DEFAULT_ARGS
        elif name in keywords:
            provenance = Provenance.TASK
        else:
            provenance = Provenance.DEFAULT
        settings[name] = Setting(value, provenance, text_of(value), origin=DAGBAG)
    merged = merged_settings(
        settings,
        known.settings if known is not None else {},
        comparison,
        dag_id,
        loaded["task_id"],
        keep_static,
    )
    operator = loaded.get("operator") or loaded["class"]
    kinds = [task_kind(name) for name in [operator, *loaded["bases"]]]
    kind = next((k for k in kinds if k is not TaskKind.OTHER), TaskKind.OTHER)
    if known is not None:
        return replace(known, settings=merged, mapped=loaded["mapped"])
    return Task(
        id=loaded["task_id"],
        operator=operator,
        kind=kind,
        span=span_of_text(source, loaded["task_id"]) or dag_span,
        settings=merged,
        group=loaded.get("group"),
        mapped=loaded["mapped"],
        callable=loaded.get("callable"),
    )


def _dag_setting(name: str, encoded: Any) -> Setting:
    # DagBag does not say which DAG arguments were written: "as loaded" (DAG), never
    # "default", so that rules about values left at their default stay silent.
    value = decode(encoded)
    if name == "tags" and isinstance(value, list):
        value = sorted(value)
    return Setting(value, Provenance.DAG, text_of(value), origin=DAGBAG)
