"""DC8xx: graph structure."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from dagcheck.config import RuleOptions
from dagcheck.findings import Severity
from dagcheck.model.pipeline import Pipeline, Provenance, SourceFile
from dagcheck.model.prefect import (
    FLOW_KEYWORDS,
    REMOVED_IN_PREFECT_3,
    TASK_CLASS_KEYWORDS,
    TASK_KEYWORDS,
)
from dagcheck.rules import (
    Report,
    definition_pipeline_id,
    describe,
    describe_definition,
    file_rule,
    rule,
    run_rule,
)


@rule("DC801")
def duplicate_task_id(pipeline: Pipeline, policy: RuleOptions) -> Iterator[Report]:
    seen: set[str] = set()
    for task in pipeline.tasks:
        if not isinstance(task.id, str):
            continue
        if task.id in seen:
            yield Report(
                task.span,
                f"{describe(pipeline)} already has a task '{task.id}': Airflow refuses to "
                "import the file (DuplicateTaskIdFound); give each task its own task_id",
                task,
            )
        seen.add(task.id)


@rule("DC802")
def dependency_cycle(pipeline: Pipeline, policy: RuleOptions) -> Iterator[Report]:
    cycle = _find_cycle(pipeline)
    ids = [task.id for task in pipeline.tasks if isinstance(task.id, str)]
    duplicated = {task_id for task_id in ids if ids.count(task_id) > 1}
    # Two tasks with one id make edges between them look like a cycle through that id:
    # the duplicate is DC801's finding, and the graph cannot be told apart.
    if cycle and not duplicated.intersection(cycle):
        path = " >> ".join([*cycle, cycle[0]])
        yield Report(
            pipeline.span,
            f"{describe(pipeline)} has a dependency cycle ({path}): Airflow refuses to import "
            "it; remove one of these dependencies",
        )


@rule("DC803")
def removed_operator(pipeline: Pipeline, policy: RuleOptions) -> Iterator[Report]:
    replacements = {"DummyOperator": "EmptyOperator", "SubDagOperator": "a TaskGroup"}
    for task in pipeline.tasks:
        name = task.operator.rsplit(".", 1)[-1]
        if name not in replacements:
            continue
        if pipeline.framework_version == "3":
            state, severity = "was removed in Airflow 3", Severity.ERROR
        else:
            state, severity = "is deprecated", Severity.WARNING
        yield Report(
            task.span,
            f"{describe(pipeline, task)} uses {name}, which {state}; use "
            f"{replacements[name]} instead",
            task,
            severity=severity,
        )


def _dag_folder(file: Path) -> str:
    """The nearest enclosing folder named ``dags`` (as a scheduler's DAG folder is), or ""
    when there is none: then every checked file is taken to be one DAG folder."""
    for parent in file.parents:
        if parent.name == "dags":
            return f"{parent.as_posix()}/"
    return ""


def _find_cycle(pipeline: Pipeline) -> list[str]:
    """One cycle of the dependency graph, as task ids in order; empty when there is none."""
    downstream: dict[str, list[str]] = {}
    for edge in pipeline.edges:
        downstream.setdefault(edge.upstream, []).append(edge.downstream)
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str]:
        state[node] = 1
        path.append(node)
        for child in downstream.get(node, []):
            if state.get(child) == 1:
                return path[path.index(child) :]
            if child not in state and (found := visit(child)):
                return found
        path.pop()
        state[node] = 2
        return []

    for start in sorted(downstream):
        if start not in state and (found := visit(start)):
            return found
    return []


@file_rule("DC806")
def prefect_keyword_not_accepted(source: SourceFile, policy: RuleOptions) -> Iterator[Report]:
    for definition in source.definitions:
        task_keywords = TASK_KEYWORDS[definition.framework_version]
        if definition.declared_as == "class":
            task_keywords = TASK_CLASS_KEYWORDS[definition.framework_version]
        accepted = FLOW_KEYWORDS if definition.kind == "flow" else task_keywords
        other = task_keywords if definition.kind == "flow" else FLOW_KEYWORDS
        for name, setting in definition.settings.items():
            if name in accepted or setting.provenance is not Provenance.DECORATOR:
                continue
            if setting.span is None or setting.text == "":
                continue  # a hook attached with a decorator, not a keyword
            hint = (
                f"only @{'task' if definition.kind == 'flow' else 'flow'} takes it"
                if name in other
                else f"@{definition.kind} has no such parameter"
            )
            yield Report(
                setting.span,
                f"{name}= on {describe_definition(definition)}: {hint}, so importing the file "
                f"fails with TypeError{_instead(definition.kind, name)}",
                pipeline_id=definition_pipeline_id(definition),
            )


def _instead(kind: str, name: str) -> str:
    if kind == "flow" and name == "tags":
        return "; tag flow runs with `with tags(...)` or the deployment's tags"
    if kind == "flow" and name.startswith(("cache_", "retry_jitter", "retry_condition")):
        return "; set it on the flow's tasks"
    if kind == "task" and name in ("on_crashed", "on_cancellation"):
        return "; put it on the @flow that calls the task"
    return ""


@file_rule("DC807")
def removed_prefect_2_api(source: SourceFile, policy: RuleOptions) -> Iterator[Report]:
    for name, span in source.removed_api_uses:
        removed = next(r for r in REMOVED_IN_PREFECT_3 if name == r or name.startswith(f"{r}."))
        yield Report(
            span,
            f"{name} was removed in Prefect 3, so this import fails; use "
            f"{REMOVED_IN_PREFECT_3[removed]}",
        )


@file_rule("DC808")
def prefect_1_not_analysed(source: SourceFile, policy: RuleOptions) -> Iterator[Report]:
    if source.prefect_1 is not None:
        yield Report(
            source.prefect_1,
            "this is Prefect 1 code, which dagcheck does not analyse (it checks Prefect 2 and "
            "3 flows): its flows are not checked",
        )


@rule("DC804")
def isolated_task(pipeline: Pipeline, policy: RuleOptions) -> Iterator[Report]:
    # Only a complete graph can prove a task has no dependency at all.
    if not pipeline.complete or len(pipeline.tasks) < 2:
        return
    linked = {edge.upstream for edge in pipeline.edges} | {e.downstream for e in pipeline.edges}
    if not linked:
        return  # a DAG of independent tasks is a design, not a forgotten >>
    for task in pipeline.tasks:
        if isinstance(task.id, str) and task.id not in linked:
            yield Report(
                task.span,
                f"{describe(pipeline, task)} has no upstream and no downstream task while the "
                "others are chained; it runs at the start of every run, in parallel with "
                "everything: check for a missing dependency",
                task,
            )


@run_rule("DC805")
def duplicate_dag_id(
    pipelines: list[Pipeline], policy: RuleOptions
) -> Iterator[tuple[Pipeline, Report]]:
    # One scheduler reads one DAG folder: two sample projects of one repository, each with
    # its own dags/ folder, are not in conflict.
    first_seen: dict[tuple[str, str], Pipeline] = {}
    for pipeline in sorted(pipelines, key=lambda p: (p.file.as_posix(), p.span.line)):
        if not isinstance(pipeline.id, str):
            continue
        folder = _dag_folder(pipeline.file)
        first = first_seen.setdefault((folder, pipeline.id), pipeline)
        if first is not pipeline:
            where = f"{first.file.as_posix()}:{first.span.line}"
            if folder:
                where += f" in the same DAG folder ({folder})"
            yield (
                pipeline,
                Report(
                    pipeline.span,
                    f"DAG id '{pipeline.id}' is already defined at {where}: Airflow keeps one of "
                    "them and reports the other as an import error; give each DAG its own dag_id",
                ),
            )
