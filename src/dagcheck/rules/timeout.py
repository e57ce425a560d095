"""DC4xx: timeouts and resource limits."""

from __future__ import annotations

from collections.abc import Iterator

from dagcheck.config import RuleOptions
from dagcheck.model.pipeline import Pipeline, Provenance, SourceFile, Task, TaskKind
from dagcheck.rules import (
    Report,
    definition_pipeline_id,
    describe,
    describe_definition,
    file_rule,
    one_per_definition,
    rule,
    tasks_of,
    unset_on_every_task,
)

# Sensors have their own timeout (DC403); an EmptyOperator runs nothing.
_NO_EXECUTION_TIMEOUT_NEEDED = {TaskKind.EMPTY, TaskKind.SENSOR}


@rule("DC401")
def task_without_execution_timeout(pipeline: Pipeline, policy: RuleOptions) -> Iterator[Report]:
    # A branch or short-circuit only decides: nothing to hang on (Prefect judges bodies).
    tasks = [
        task
        for task in pipeline.tasks
        if task.kind not in _NO_EXECUTION_TIMEOUT_NEEDED
        and (task.reaches_out or pipeline.framework == "prefect")
    ]
    if pipeline.framework == "prefect":
        yield from _prefect_tasks_without_timeout(pipeline, tasks)
        return
    if unset_on_every_task(pipeline, tasks, "execution_timeout", None):
        yield Report(
            pipeline.span,
            f"none of the {tasks_of(pipeline, len(tasks))} has an "
            "execution_timeout:"
            " a hung run holds its worker slot forever; set execution_timeout in default_args",
        )
        return
    for task in tasks:
        timeout = task.setting("execution_timeout")
        if timeout is None:
            continue
        if timeout.known and timeout.value is None:
            yield Report(
                task.span,
                f"{describe(pipeline, task)} has no execution_timeout: a hung run holds its "
                "worker slot forever; set execution_timeout on the task or in default_args",
                task,
            )


def _prefect_tasks_without_timeout(pipeline: Pipeline, tasks: list[Task]) -> Iterator[Report]:
    # A task that only computes has no dependency to hang on.
    waiting = [task for task in tasks if task.kind is not TaskKind.FLOW and task.reaches_out]
    for task in one_per_definition(waiting):
        timeout = task.setting("timeout_seconds")
        if timeout is not None and timeout.known and timeout.value is None:
            yield Report(
                timeout.span or task.span,
                f"{describe(pipeline, task)} has no timeout_seconds: a hung call (an API that "
                "never answers) holds the flow run forever; set timeout_seconds= on @task",
                task,
            )


@rule("DC402")
def dag_without_dagrun_timeout(pipeline: Pipeline, policy: RuleOptions) -> Iterator[Report]:
    if pipeline.framework == "prefect":
        timeout = pipeline.setting("timeout_seconds")
        only_computes = pipeline.complete and not any(
            step.reaches_out for step in (pipeline, *pipeline.tasks)
        )
        if timeout is not None and timeout.known and timeout.value is None and not only_computes:
            yield Report(
                pipeline.span,
                f"{describe(pipeline)} has no timeout_seconds: a stuck run stays Running and "
                "blocks the deployment's next runs (concurrency_limit); set timeout_seconds= "
                "on @flow",
            )
        return
    timeout = pipeline.setting("dagrun_timeout")
    if timeout is not None and timeout.known and timeout.value is None:
        if _every_task_bounded(pipeline):
            return  # the run ends when its tasks' timeouts say, whatever hangs
        yield Report(
            pipeline.span,
            f"{describe(pipeline)} has no dagrun_timeout: a stuck run blocks the next ones "
            "(max_active_runs); set dagrun_timeout=timedelta(...)",
        )


def _every_task_bounded(pipeline: Pipeline) -> bool:
    """Whether each task of a complete DAG has an execution_timeout (a sensor also stops at
    its own timeout): then no run can stay stuck."""
    if not pipeline.complete or not pipeline.tasks:
        return False
    for task in pipeline.tasks:
        timeout = task.setting("execution_timeout")
        if timeout is None or not timeout.known or timeout.value is None:
            return False
    return True


@rule("DC403")
def sensor_poking_for_days(pipeline: Pipeline, policy: RuleOptions) -> Iterator[Report]:
    for task in pipeline.tasks:
        if task.kind is not TaskKind.SENSOR:
            continue
        mode, deferrable, timeout = (
            task.setting("mode"),
            task.setting("deferrable"),
            task.setting("timeout"),
        )
        if mode is None or deferrable is None or timeout is None:
            continue
        if (
            mode.value != "poke"
            or deferrable.value is not False
            or timeout.provenance is not Provenance.DEFAULT
        ):
            continue
        yield Report(
            task.span,
            f"sensor {describe(pipeline, task)} pokes in 'poke' mode with the default 7-day "
            "timeout, holding a worker slot all that time; set timeout= and "
            "mode='reschedule' or deferrable=True",
            task,
        )


@file_rule("DC404")
def timeout_seconds_zero(source: SourceFile, policy: RuleOptions) -> Iterator[Report]:
    for definition in source.definitions:
        timeout = definition.settings.get("timeout_seconds")
        if timeout is None:
            continue
        value = timeout.value
        if isinstance(value, int | float) and not isinstance(value, bool) and value == 0:
            yield Report(
                timeout.span or definition.span,
                f"timeout_seconds=0 on {describe_definition(definition)} means no timeout at "
                "all, not an immediate one; remove it, or give the longest run you accept",
                pipeline_id=definition_pipeline_id(definition),
            )
