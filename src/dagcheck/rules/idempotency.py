"""DC1xx: idempotency and determinism."""

from __future__ import annotations

import re
from collections.abc import Iterator

from dagcheck.config import RuleOptions
from dagcheck.findings import Severity
from dagcheck.model.pipeline import ClockRead, Pipeline, Setting, Task, TaskKind, WallClock
from dagcheck.rules import (
    Report,
    by_origin,
    describe,
    describe_tasks,
    one_per_definition,
    retries_at_least_once,
    rule,
    shared_value_report,
)


@rule("DC101")
def dynamic_start_date(pipeline: Pipeline, policy: RuleOptions) -> Iterator[Report]:
    for name in ("start_date", "end_date"):
        setting = pipeline.setting(name)
        if setting is not None and isinstance(setting.value, WallClock) and setting.span:
            yield Report(
                setting.span,
                f"{describe(pipeline)} computes {name} from the clock ({setting.value.text}): "
                "it moves every time the scheduler parses the file, so intervals never line "
                f"up; use a fixed date such as pendulum.datetime(2024, 1, 1, tz='UTC')",
            )


@rule("DC104")
def depends_on_past(pipeline: Pipeline, policy: RuleOptions) -> Iterator[Report]:
    for setting, tasks in by_origin(pipeline.tasks, "depends_on_past", lambda s: s.value is True):
        yield shared_value_report(
            pipeline,
            setting,
            tasks,
            f"depends_on_past=True on {describe_tasks(pipeline, tasks)}: one failed run blocks "
            "every later run until someone clears it; make sure that is intended and that "
            "on-call knows",
        )


_INSERT = re.compile(r"\binsert\s+into\b", re.IGNORECASE)
# What makes a write safe to repeat: an upsert, an overwrite, or a delete of the run's slice
# (a DELETE whose condition is templated on the run, e.g. WHERE day = '{{ ds }}').
_REPEATABLE = re.compile(
    r"\bmerge\b|\bon\s+conflict\b|\bon\s+duplicate\s+key\b|\binsert\s+overwrite\b"
    r"|\breplace\s+into\b|\bupsert\b|\btruncate\b|\bdelete\s+from\b[^;]*\{\{",
    re.IGNORECASE,
)


@rule("DC103")
def insert_without_idempotent_write(pipeline: Pipeline, policy: RuleOptions) -> Iterator[Report]:
    for task in pipeline.tasks:
        sql = task.setting("sql")
        if sql is None or sql.span is None:
            continue
        statements = sql.value if isinstance(sql.value, list) else [sql.value]
        if not all(isinstance(statement, str) for statement in statements):
            continue
        text = "\n".join(statements)
        if _INSERT.search(text) and not _REPEATABLE.search(text):
            yield Report(
                sql.span,
                f"{describe(pipeline, task)} runs INSERT INTO with no MERGE, upsert, overwrite "
                "or delete of the run's slice: a retry or a re-run writes the rows twice; "
                "delete the run's partition first (WHERE day = '{{ ds }}') or merge",
                task,
            )


@rule("DC102")
def wall_clock_in_task(pipeline: Pipeline, policy: RuleOptions) -> Iterator[Report]:
    if pipeline.framework == "prefect":
        yield from _prefect_clock_reads(pipeline)
        return
    for task in pipeline.tasks:
        for read in task.clock_reads:
            if read.in_argument:
                yield Report(
                    read.span,
                    f"{describe(pipeline, task)} gets {read.text} as an argument: it is "
                    "computed when the file is parsed, not for the run; use a template such as "
                    "{{ ds }} or {{ data_interval_start }}",
                    task,
                    severity=Severity.WARNING,
                )
            else:
                yield Report(
                    read.span,
                    f"{describe(pipeline, task)} reads the clock ({read.text}) in its code: a "
                    "retry or a backfill selects a different window than the run's; use the "
                    "run's data_interval_start/logical date from the context",
                    task,
                )


def _prefect_clock_reads(pipeline: Pipeline) -> Iterator[Report]:
    reads: list[tuple[Task | None, ClockRead]] = [(None, read) for read in pipeline.clock_reads]
    reads += [
        (task, read) for task in one_per_definition(pipeline.tasks) for read in task.clock_reads
    ]
    for task, read in reads:
        yield Report(
            read.span,
            f"{describe(pipeline, task)} reads the clock ({read.text}) in its code: a retry or a "
            "late run selects a different window than the one scheduled; use "
            "prefect.runtime.flow_run.scheduled_start_time, which stays the same across retries",
            task,
        )


@rule("DC105")
def retried_write_without_transaction(pipeline: Pipeline, policy: RuleOptions) -> Iterator[Report]:
    for task in one_per_definition(pipeline.tasks):
        retries, rollback = task.setting("retries"), task.setting("on_rollback")
        if not retries_at_least_once(retries) or task.kind is TaskKind.FLOW:
            continue
        if rollback is not None and (not rollback.known or rollback.value):
            continue  # an on_rollback hook undoes the partial write
        repeated = [write for write in task.writes if not write.repeatable]
        if repeated:
            write = repeated[0]
            yield Report(
                write.span,
                f"{describe(pipeline, task)} retries (retries={retries.value}) and writes "
                f"({write.text}) with no transaction, rollback hook or upsert: a retry after a "
                "partial write writes again; wrap the write in `with transaction(key=...)`, add "
                "on_rollback, or overwrite/merge instead of appending",
                task,
            )


# Cache policies whose key does not change from one run to the next.
_CROSS_RUN_POLICIES = {"INPUTS", "TASK_SOURCE", "FLOW_PARAMETERS"}


@rule("DC106")
def cache_without_expiration(pipeline: Pipeline, policy: RuleOptions) -> Iterator[Report]:
    for task in one_per_definition(pipeline.tasks):
        expiration = task.setting("cache_expiration")
        if expiration is None or not expiration.known or expiration.value is not None:
            continue
        if not task.reaches_out:
            continue  # a result computed from its inputs alone stays right forever
        key_fn, cache_policy = task.setting("cache_key_fn"), task.setting("cache_policy")
        if key_fn is not None and key_fn.known and key_fn.value is not None:
            cached_by = key_fn
        elif cache_policy is not None and _caches_across_runs(cache_policy):
            cached_by = cache_policy
        else:
            continue
        yield Report(
            cached_by.span or task.span,
            f"{describe(pipeline, task)} caches its result across runs ({cached_by.text}) with "
            "no cache_expiration: once cached, it never runs again for the same key, even when "
            "the data behind it changes; set cache_expiration=timedelta(...)",
            task,
        )


def _caches_across_runs(cache_policy: Setting) -> bool:
    if not isinstance(cache_policy.value, str):
        return False
    names = set(cache_policy.value.split("+"))
    return bool(names & _CROSS_RUN_POLICIES) and not names & {"RUN_ID", "NO_CACHE"}


@rule("DC107")
def run_deployment_without_idempotency_key(
    pipeline: Pipeline, policy: RuleOptions
) -> Iterator[Report]:
    flow_retries = pipeline.setting("retries")
    flow_retries_known = retries_at_least_once(flow_retries)
    callers: list[tuple[Task | None, bool]] = [(None, flow_retries_known)]
    for task in one_per_definition(pipeline.tasks):
        retries = task.setting("retries")
        callers.append((task, flow_retries_known or retries_at_least_once(retries)))
    for task, retried in callers:
        runs = pipeline.deployment_runs if task is None else task.deployment_runs
        for run in runs if retried else ():
            if not run.has_idempotency_key:
                yield Report(
                    run.span,
                    f"{describe(pipeline, task)} is retried and calls run_deployment() without "
                    "idempotency_key: each retry starts another run of that deployment; pass "
                    "idempotency_key= built from the flow run's id",
                    task,
                )
