"""DC2xx: retries and backoff."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from dagcheck.config import RuleOptions
from dagcheck.model.pipeline import (
    FunctionRef,
    ObjectValue,
    Pipeline,
    Provenance,
    Setting,
    SourceFile,
    Task,
    TaskKind,
)
from dagcheck.rules import (
    Report,
    by_origin,
    definition_pipeline_id,
    describe,
    describe_definition,
    describe_tasks,
    file_rule,
    one_per_definition,
    retries_at_least_once,
    rule,
    shared_value_report,
    tasks_of,
    unset_on_every_task,
)

# Work a task does itself: not an EmptyOperator, not a Prefect subflow (a flow of its own).
_NO_WORK = {TaskKind.EMPTY, TaskKind.FLOW}


def _working(tasks: list[Task]) -> list[Task]:
    """The tasks that do work which can fail for a passing reason: not a subflow, not an
    operator that only steers the run (a branch, a short-circuit, LatestOnly), not a task
    that catches every failure itself (it never fails, so it never retries: DC605)."""
    return [
        task
        for task in tasks
        if task.kind not in _NO_WORK and task.reaches_out and not task.swallows_failures
    ]


@rule("DC201")
def task_without_retries(pipeline: Pipeline, policy: RuleOptions) -> Iterator[Report]:
    tasks = one_per_definition(_working(pipeline.tasks))
    if pipeline.framework == "prefect":
        yield from _prefect_tasks_without_retries(pipeline, tasks)
        return
    if unset_on_every_task(pipeline, tasks, "retries", 0):
        yield Report(
            pipeline.span,
            f"none of the {tasks_of(pipeline, len(tasks))} has "
            "retries (none on the "
            "tasks or in default_args); set retries >= 1 in default_args",
        )
        return
    for task in tasks:
        retries = task.setting("retries")
        if retries is not None and retries.value == 0 and retries.provenance is Provenance.DEFAULT:
            yield Report(
                task.span,
                f"{describe(pipeline, task)} has no retries (none on the task or in "
                "default_args); set retries >= 1",
                task,
            )
    # A written retries=0 is the author's decision (a task that must not run twice, a
    # retry left to an upstream system): DC202 speaks to it when the team sets a minimum.


def _prefect_tasks_without_retries(pipeline: Pipeline, tasks: list[Task]) -> Iterator[Report]:
    flow_retries = pipeline.setting("retries")
    if flow_retries is None or not flow_retries.known or flow_retries.value != 0:
        return  # a flow that retries runs its failed tasks again
    for task in tasks:
        retries = task.setting("retries")
        if retries is None or retries.value != 0 or not task.reaches_out:
            continue  # a task that only computes has no transient failure to retry
        if retries.provenance is not Provenance.DEFAULT:
            continue  # a written retries=0 is a decision: DC202's, under a team minimum
        yield Report(
            retries.span or task.span,
            f"{describe(pipeline, task)} has no retries, and neither has the flow: one transient "
            "failure fails the run; set retries= (and retry_delay_seconds=) on @task",
            task,
        )


@rule("DC202")
def retries_below_team_minimum(pipeline: Pipeline, policy: RuleOptions) -> Iterator[Report]:
    tasks = one_per_definition([task for task in pipeline.tasks if task.kind not in _NO_WORK])

    # Only a team minimum of 2 or more says anything DC201 does not: the default of 1 leaves
    # tasks at Airflow's default to DC201 and a written retries=0 to its author. Under a
    # minimum, a written retries=0 is below it like any other written value.
    if policy.min_retries < 2:
        return

    def below_minimum(retries: Setting) -> bool:
        value = retries.value
        if not isinstance(value, int) or isinstance(value, bool):
            return False
        written = retries.provenance is not Provenance.DEFAULT
        return value < policy.min_retries and (value > 0 or written)

    for retries, below in by_origin(tasks, "retries", below_minimum):
        yield shared_value_report(
            pipeline,
            retries,
            below,
            f"retries={retries.value} on {describe_tasks(pipeline, below)} is below the team "
            f"minimum of {policy.min_retries}",
        )


@rule("DC203")
def retries_without_backoff(pipeline: Pipeline, policy: RuleOptions) -> Iterator[Report]:
    # An exception-based retry_policy (Airflow 3.3) decides delays itself. With one retry
    # there is one delay: backoff would change nothing.
    tasks = [
        task
        for task in _retrying_tasks(pipeline, at_least=2)
        if (retry_policy := task.setting("retry_policy")) is not None
        and retry_policy.known
        and retry_policy.value is None
    ]
    if unset_on_every_task(pipeline, tasks, "retry_exponential_backoff", False):
        yield Report(
            pipeline.span,
            f"the {tasks_of(pipeline, len(tasks), 'retrying')} "
            "retry at a fixed delay; "
            "retry_exponential_backoff=True in default_args spaces retries out while a "
            "dependency recovers",
        )
        return
    for task in tasks:
        backoff = task.setting("retry_exponential_backoff")
        if backoff is not None and backoff.known and backoff.value in (False, 0):
            written = backoff.provenance is not Provenance.DEFAULT and backoff.span
            yield Report(
                written or task.span,
                f"{describe(pipeline, task)} retries at a fixed delay; "
                "retry_exponential_backoff=True spaces retries out while a dependency recovers",
                task,
            )


@rule("DC204")
def backoff_without_max_retry_delay(pipeline: Pipeline, policy: RuleOptions) -> Iterator[Report]:
    uncapped = [
        task
        for task in _retrying_tasks(pipeline)
        if (cap := task.setting("max_retry_delay")) is not None and cap.known and cap.value is None
    ]

    def backs_off(backoff: Setting) -> bool:
        return backoff.known and backoff.value not in (False, 0, None)

    for backoff, tasks in by_origin(uncapped, "retry_exponential_backoff", backs_off):
        yield shared_value_report(
            pipeline,
            backoff,
            tasks,
            f"exponential backoff on {describe_tasks(pipeline, tasks)} has no max_retry_delay: "
            "late retries can wait for hours (Airflow caps them at 24 h); set max_retry_delay",
        )


@rule("DC205")
def retries_cannot_fit_in_dagrun_timeout(
    pipeline: Pipeline, policy: RuleOptions
) -> Iterator[Report]:
    dagrun_timeout = pipeline.setting("dagrun_timeout")
    if dagrun_timeout is None or not isinstance(dagrun_timeout.value, dt.timedelta):
        return
    for task in _retrying_tasks(pipeline):
        retries = task.setting("retries").value  # type: ignore[union-attr]
        timeout = _duration(task, "execution_timeout")
        backoff = task.setting("retry_exponential_backoff")
        if backoff is None or not backoff.known:
            continue
        # With backoff the delays grow up to max_retry_delay; without a cap they are unbounded.
        delay = _duration(task, "max_retry_delay" if backoff.value else "retry_delay")
        if timeout is None or delay is None:
            continue
        worst_case = timeout * (retries + 1) + delay * retries
        if worst_case > dagrun_timeout.value:
            yield Report(
                task.span,
                f"{describe(pipeline, task)} can need {worst_case} ({retries + 1} tries of "
                f"{timeout} plus {retries} retry delays), more than the DAG's dagrun_timeout "
                f"of {dagrun_timeout.value}: its last retries would never run",
                task,
            )


def _duration(task: Task, name: str) -> dt.timedelta | None:
    setting = task.setting(name)
    return setting.value if setting and isinstance(setting.value, dt.timedelta) else None


def _retrying_tasks(pipeline: Pipeline, at_least: int = 1) -> list[Task]:
    """Tasks that do work and are known to retry at least ``at_least`` times."""

    def retries(task: Task) -> int:
        setting = task.setting("retries")
        return setting.value if retries_at_least_once(setting) else 0  # type: ignore[union-attr]

    return [task for task in _working(pipeline.tasks) if retries(task) >= at_least]


@rule("DC206")
def retries_without_delay(pipeline: Pipeline, policy: RuleOptions) -> Iterator[Report]:
    # A subflow is reported as a flow of its own; a task that only computes has no
    # dependency to hammer.
    tasks = [
        task
        for task in one_per_definition(pipeline.tasks)
        if task.kind is not TaskKind.FLOW and task.reaches_out
    ]
    subjects: list[tuple[Task | None, dict[str, Setting]]] = [
        (None, pipeline.settings),
        *((task, task.settings) for task in tasks),
    ]
    for task, settings in subjects:
        retries, delay = settings.get("retries"), settings.get("retry_delay_seconds")
        if not retries_at_least_once(retries) or delay is None or delay.value != 0:
            continue
        delay_text = "retry_delay_seconds=0" if delay.text else "no retry_delay_seconds"
        yield Report(
            retries.span or pipeline.span,
            f"retries={retries.value} on {describe(pipeline, task)} with {delay_text}: "
            "Prefect retries at once, hammering a dependency that is down; set "
            "retry_delay_seconds= to a pause",
            task,
        )


@rule("DC207")
def backoff_without_jitter(pipeline: Pipeline, policy: RuleOptions) -> Iterator[Report]:
    fanned_out = [task for task in pipeline.tasks if task.mapped and task.reaches_out]
    for task in one_per_definition(fanned_out):
        retries, delay = task.setting("retries"), task.setting("retry_delay_seconds")
        jitter = task.setting("retry_jitter_factor")
        if not retries_at_least_once(retries) or delay is None or jitter is None:
            continue
        backs_off = isinstance(delay.value, list | tuple) or (
            isinstance(delay.value, ObjectValue) and delay.value.name == "exponential_backoff"
        )
        if backs_off and jitter.known and jitter.value is None:
            yield Report(
                delay.span or task.span,
                f"{describe(pipeline, task)} is mapped and retries on a fixed backoff "
                f"({delay.text}) without retry_jitter_factor: its mapped runs fail together "
                "and retry together, in waves; set retry_jitter_factor= (e.g. 0.5)",
                task,
            )


@file_rule("DC208")
def flow_retry_delay_not_a_number(source: SourceFile, policy: RuleOptions) -> Iterator[Report]:
    for definition in (d for d in source.definitions if d.kind == "flow"):
        delay = definition.settings.get("retry_delay_seconds")
        if delay is None or not isinstance(delay.value, list | tuple | ObjectValue | FunctionRef):
            continue
        yield Report(
            delay.span or definition.span,
            f"retry_delay_seconds={delay.text} on {describe_definition(definition)}: a flow "
            "takes only a number of seconds; a list or backoff function passes the decorator "
            "and fails with TypeError when a run starts; give a number, or move the backoff "
            "to @task",
            pipeline_id=definition_pipeline_id(definition),
        )
