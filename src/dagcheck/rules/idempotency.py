"""DC1xx: idempotency and determinism."""

from __future__ import annotations

import re
from collections.abc import Iterator

from dagcheck.config import RuleOptions
from dagcheck.findings import Severity
from dagcheck.model.pipeline import Pipeline, WallClock
from dagcheck.rules import Report, by_origin, describe, describe_tasks, rule, shared_value_report


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
