"""DC1xx: idempotency and determinism."""

from __future__ import annotations

from collections.abc import Iterator

from dagcheck.config import RuleOptions
from dagcheck.model.pipeline import Pipeline, WallClock
from dagcheck.rules import Report, by_origin, describe, describe_tasks, rule


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
        yield Report(
            setting.span or pipeline.span,
            f"depends_on_past=True on {describe_tasks(pipeline, tasks)}: one failed run blocks "
            "every later run until someone clears it; make sure that is intended and that "
            "on-call knows",
            tasks[0] if len(tasks) == 1 else None,
        )
