"""DC2xx: retries and backoff."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from dagcheck.config import RuleOptions
from dagcheck.model.pipeline import Pipeline, Provenance, Setting, Task, TaskKind
from dagcheck.rules import (
    Report,
    by_origin,
    describe,
    describe_tasks,
    rule,
    shared_value_report,
    unset_on_every_task,
)


@rule("DC201")
def task_without_retries(pipeline: Pipeline, policy: RuleOptions) -> Iterator[Report]:
    # An EmptyOperator does no work that could fail transiently.
    tasks = [task for task in pipeline.tasks if task.kind is not TaskKind.EMPTY]
    if unset_on_every_task(pipeline, tasks, "retries", 0):
        yield Report(
            pipeline.span,
            f"none of the {len(tasks)} tasks of {describe(pipeline)} has retries (none on the "
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
    written_zero = by_origin(
        tasks, "retries", lambda s: s.value == 0 and s.provenance is not Provenance.DEFAULT
    )
    for retries, with_zero in written_zero:
        yield shared_value_report(
            pipeline,
            retries,
            with_zero,
            f"retries=0 on {describe_tasks(pipeline, with_zero)}; set retries >= 1",
        )


@rule("DC202")
def retries_below_team_minimum(pipeline: Pipeline, policy: RuleOptions) -> Iterator[Report]:
    tasks = [task for task in pipeline.tasks if task.kind is not TaskKind.EMPTY]

    # retries=0 is DC201's finding; this one is about a policy above one retry.
    def below_minimum(retries: Setting) -> bool:
        value = retries.value
        return isinstance(value, int) and 0 < value < policy.min_retries

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
    # An exception-based retry_policy (Airflow 3.3) decides delays itself.
    tasks = [
        task
        for task in _retrying_tasks(pipeline)
        if (retry_policy := task.setting("retry_policy")) is not None
        and retry_policy.known
        and retry_policy.value is None
    ]
    if unset_on_every_task(pipeline, tasks, "retry_exponential_backoff", False):
        yield Report(
            pipeline.span,
            f"the {len(tasks)} retrying tasks of {describe(pipeline)} retry at a fixed delay; "
            "retry_exponential_backoff=True in default_args spaces retries out while a "
            "dependency recovers",
        )
        return
    for task in tasks:
        backoff = task.setting("retry_exponential_backoff")
        if backoff is not None and backoff.known and backoff.value in (False, 0):
            yield Report(
                task.span,
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


def _retrying_tasks(pipeline: Pipeline) -> list[Task]:
    """Tasks known to retry at least once."""
    return [
        task
        for task in pipeline.tasks
        if isinstance((retries := task.setting("retries")) and retries.value, int)
        and not isinstance(retries.value, bool)
        and retries.value > 0
    ]
