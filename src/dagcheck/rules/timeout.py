"""DC4xx: timeouts and resource limits."""

from __future__ import annotations

from collections.abc import Iterator

from dagcheck.config import RuleOptions
from dagcheck.model.pipeline import Pipeline, Provenance, Setting, SourceFile, Task, TaskKind
from dagcheck.rules import (
    Report,
    definition_pipeline_id,
    describe,
    describe_definition,
    file_rule,
    one_per_definition,
    rule,
    run_rule,
    tasks_of,
    unset_on_every_task,
)

# Sensors have their own timeout (DC403); an EmptyOperator runs nothing.
_NO_EXECUTION_TIMEOUT_NEEDED = {TaskKind.EMPTY, TaskKind.SENSOR}


@rule("DC401")
def task_without_execution_timeout(pipeline: Pipeline, policy: RuleOptions) -> Iterator[Report]:
    # A branch or short-circuit only decides, and a body whose every call outside is given a
    # timeout= gives up by itself: nothing to hang on (Prefect judges bodies below).
    tasks = [
        task
        for task in pipeline.tasks
        if task.kind not in _NO_EXECUTION_TIMEOUT_NEEDED
        and (task.may_hang or pipeline.framework == "prefect")
    ]
    if pipeline.framework == "prefect":
        yield from _prefect_tasks_without_timeout(pipeline, tasks)
        return
    dagrun_timeout = pipeline.setting("dagrun_timeout")
    if dagrun_timeout is not None and dagrun_timeout.known and dagrun_timeout.value is not None:
        return  # at the run's timeout the scheduler stops its unfinished tasks: no hang is forever
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
    waiting = [task for task in tasks if task.kind is not TaskKind.FLOW and task.may_hang]
    for task in one_per_definition(waiting):
        timeout = task.setting("timeout_seconds")
        if timeout is not None and timeout.known and timeout.value is None:
            yield Report(
                timeout.span or task.span,
                f"{describe(pipeline, task)} has no timeout_seconds: a hung call (an API that "
                "never answers) holds the flow run forever; set timeout_seconds= on @task",
                task,
            )


# A stuck run holds back the runs after it only where runs wait for each other: one run at
# a time (max_active_runs=1, a deployment's concurrency_limit=1), or tasks that wait for
# their previous run. With Airflow's default of 16 active runs, later runs go ahead.
_ONE_RUN_AT_A_TIME = 1


@run_rule("DC402")
def run_without_timeout_blocks_later_runs(
    pipelines: list[Pipeline], policy: RuleOptions
) -> Iterator[tuple[Pipeline, Report]]:
    # A rule of the whole run: a flow's concurrency_limit is in the prefect.yaml
    # deployments linked to it once every file is read.
    for pipeline in pipelines:
        if pipeline.framework == "prefect":
            report = _flow_without_timeout(pipeline)
        else:
            report = _dag_without_dagrun_timeout(pipeline)
        if report is not None:
            yield pipeline, report


def _dag_without_dagrun_timeout(pipeline: Pipeline) -> Report | None:
    timeout = pipeline.setting("dagrun_timeout")
    if timeout is None or not timeout.known or timeout.value is not None:
        return None
    if _every_task_bounded(pipeline):
        return None  # the run ends when its tasks' timeouts say, whatever hangs
    if pipeline.runs_only_when_triggered:
        return None  # no schedule queues runs behind a stuck one: whoever triggers sees it
    if _at_most_one_run(pipeline.setting("max_active_runs")):
        waits = "runs one at a time (max_active_runs=1)"
    else:
        waiting = [
            task
            for task in pipeline.tasks
            if (setting := task.setting("depends_on_past")) is not None and setting.value is True
        ]
        if not waiting:
            return None
        task = f"task '{waiting[0].id}'" if isinstance(waiting[0].id, str) else "a task"
        waits = f"its {task} waits for the previous run (depends_on_past=True)"
    return Report(
        pipeline.span,
        f"{describe(pipeline)} has no dagrun_timeout and {waits}: a stuck run blocks every "
        "later run; set dagrun_timeout=timedelta(...)",
    )


def _flow_without_timeout(pipeline: Pipeline) -> Report | None:
    timeout = pipeline.setting("timeout_seconds")
    if timeout is None or not timeout.known or timeout.value is not None:
        return None
    if pipeline.complete and not any(step.reaches_out for step in (pipeline, *pipeline.tasks)):
        return None  # a flow that only computes does not hang
    for deployment in pipeline.deployments:
        for name in ("concurrency_limit", "global_limit"):
            if _at_most_one_run(deployment.setting(name)):
                which = f"'{deployment.name}'" if isinstance(deployment.name, str) else "its"
                return Report(
                    pipeline.span,
                    f"{describe(pipeline)} has no timeout_seconds and deployment {which} runs "
                    f"one at a time ({name}=1): a stuck run stays Running and blocks every "
                    "later run; set timeout_seconds= on @flow",
                )
    return None


def _at_most_one_run(setting: Setting | None) -> bool:
    """Whether a run limit is known to be one: ``1``, or ``{limit: 1, ...}`` in prefect.yaml."""
    if setting is None or not setting.known:
        return False
    limit = setting.value
    if isinstance(limit, dict):
        limit = limit.get("limit")
    return isinstance(limit, int) and not isinstance(limit, bool) and limit == _ONE_RUN_AT_A_TIME


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
