"""DC2xx: retries and backoff."""

from __future__ import annotations

from collections.abc import Iterator

from dagcheck.config import RuleOptions
from dagcheck.model.pipeline import Pipeline, Provenance, TaskKind
from dagcheck.rules import Report, describe, rule, unset_on_every_task


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
        if retries is None or retries.value != 0:
            continue
        if retries.provenance is Provenance.DEFAULT:
            yield Report(
                task.span,
                f"{describe(pipeline, task)} has no retries (none on the task or in "
                "default_args); set retries >= 1",
                task,
            )
        elif retries.span is not None:
            yield Report(
                retries.span,
                f"{describe(pipeline, task)} sets retries=0 (in {retries.provenance.value}); "
                "set retries >= 1",
                task,
            )


@rule("DC202")
def retries_below_team_minimum(pipeline: Pipeline, policy: RuleOptions) -> Iterator[Report]:
    for task in pipeline.tasks:
        retries = task.setting("retries")
        if task.kind is TaskKind.EMPTY or retries is None or not retries.known:
            continue
        value = retries.value
        # retries=0 is DC201's finding; this one is about a policy above one retry.
        if isinstance(value, int) and 0 < value < policy.min_retries and retries.span:
            yield Report(
                retries.span,
                f"{describe(pipeline, task)} has retries={value} (from "
                f"{retries.provenance.value}); the team minimum is {policy.min_retries}",
                task,
            )
