"""The key facts of a pipeline, in words: who owns it, how it retries, when it gives up, who
is told when it fails. Shared by reviews and runbooks.

A value the model could not resolve is shown as written and marked unknown; a value left at
the framework's default says so.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from dagcheck.graph import longest_path
from dagcheck.model.pipeline import (
    FunctionRef,
    ObjectValue,
    Pipeline,
    Provenance,
    Setting,
    Task,
    TaskKind,
    Unknown,
)


@dataclass(frozen=True)
class Fact:
    label: str
    value: str


def key_facts(pipeline: Pipeline) -> list[Fact]:
    facts = (
        _prefect_facts(pipeline) if pipeline.framework == "prefect" else _airflow_facts(pipeline)
    )
    path = longest_path(pipeline)
    facts += [
        Fact("Tasks", str(len(pipeline.tasks)) + ("" if pipeline.complete else " (or more)")),
        Fact("Longest path", f"{_tasks(len(path))}: {' → '.join(path)}" if path else "none"),
    ]
    return facts


def _retries(count: int) -> str:
    return f"{count} retr{'y' if count == 1 else 'ies'}"


def _tasks(count: int) -> str:
    return f"{count} task{'s' if count != 1 else ''}"


def _airflow_facts(pipeline: Pipeline) -> list[Fact]:
    tasks = pipeline.tasks
    return [
        Fact("Owner", _spread(tasks, "owner", default_text="not set (Airflow's default)")),
        Fact("Tags", _list(pipeline.setting("tags"))),
        Fact("Retries", _airflow_retries(tasks)),
        Fact(
            "Timeouts",
            f"execution_timeout: {_spread(tasks, 'execution_timeout', default_text='none')}; "
            f"dagrun_timeout: {show(pipeline.setting('dagrun_timeout'), 'none')}",
        ),
        Fact("SLA / deadline", _airflow_deadline(pipeline)),
        Fact("Alerting", _airflow_alerting(pipeline)),
    ]


def _prefect_facts(pipeline: Pipeline) -> list[Fact]:
    tasks = [task for task in pipeline.tasks if task.kind is not TaskKind.FLOW]
    deployments = [(d.name if isinstance(d.name, str) else "unnamed") for d in pipeline.deployments]
    deployment_tags = sorted(
        {tag for d in pipeline.deployments for tag in _values(d.settings.get("tags"))}
    )
    slas = [show(d.settings.get("sla"), "") for d in pipeline.deployments]
    return [
        Fact("Deployments", ", ".join(deployments) if deployments else "none found"),
        Fact("Tags", ", ".join(deployment_tags) if deployment_tags else "none"),
        Fact(
            "Retries",
            f"flow: {_prefect_retries(pipeline.settings)}; tasks: "
            + _spread(tasks, "retries", default_text="0", render=lambda v: f"{_value(v)}"),
        ),
        Fact(
            "Timeouts",
            f"flow: {show(pipeline.setting('timeout_seconds'), 'none', seconds=True)}; tasks: "
            + _spread(tasks, "timeout_seconds", default_text="none", render=_seconds),
        ),
        Fact("SLA / deadline", "; ".join(s for s in slas if s) or "none"),
        Fact("Alerting", _prefect_alerting(pipeline)),
    ]


def show(setting: Setting | None, missing: str, *, seconds: bool = False) -> str:
    """A setting's value in words: ``missing`` when unset, as written when unknown."""
    if setting is None or setting.value is None:
        return missing
    return _value(setting.value, seconds=seconds)


def _value(value: Any, *, seconds: bool = False) -> str:
    if isinstance(value, Unknown):
        return f"{value.text} (unknown statically)"
    if isinstance(value, dt.timedelta):
        return duration(value)
    if seconds and isinstance(value, int | float) and not isinstance(value, bool):
        return duration(dt.timedelta(seconds=value))
    if isinstance(value, ObjectValue):
        return value.text
    if isinstance(value, FunctionRef):
        return value.name
    if isinstance(value, list | tuple):
        return ", ".join(_value(v, seconds=seconds) for v in value) or "none"
    return str(value)


def duration(value: dt.timedelta) -> str:
    """``2 h 30 min``, ``45 s``, ``1 day``."""
    total = int(value.total_seconds())
    if total <= 0:
        return "0 s"
    parts = []
    for unit, size in (("day", 86400), ("h", 3600), ("min", 60), ("s", 1)):
        amount, total = divmod(total, size)
        if amount:
            plural = "s" if unit == "day" and amount > 1 else ""
            parts.append(f"{amount} {unit}{plural}")
    return " ".join(parts)


def _spread(
    tasks: list[Task],
    name: str,
    *,
    default_text: str,
    empty: str = "no tasks",
    render: Callable[[Any], str] | None = None,
) -> str:
    """One setting across tasks: ``1 h`` when all share it, else ``1 h on 3 tasks, none on
    2``; values left at the framework's default read ``default_text``."""
    if not tasks:
        return empty
    counts: Counter[str] = Counter()
    for task in tasks:
        setting = task.setting(name)
        if setting is None or setting.value is None or setting.provenance is Provenance.DEFAULT:
            counts[default_text] += 1
        else:
            counts[(render or _as_written)(setting.value)] += 1
    if len(counts) == 1:
        return next(iter(counts))
    return ", ".join(f"{text} on {_tasks(count)}" for text, count in counts.most_common())


def _seconds(value: Any) -> str:
    return _value(value, seconds=True)


def _as_written(value: Any) -> str:
    return _value(value)


def _airflow_retries(tasks: list[Task]) -> str:
    def policy(task: Task) -> str:
        retries = task.setting("retries")
        if retries is None or not isinstance(retries.value, int) or isinstance(retries.value, bool):
            return show(retries, "unknown")
        if retries.value == 0:
            return "none"
        delay = show(task.setting("retry_delay"), "5 min")
        backoff = task.setting("retry_exponential_backoff")
        backs_off = backoff is not None and backoff.value not in (None, False, 0)
        cap = show(task.setting("max_retry_delay"), "24 h")
        growing = f", exponential backoff up to {cap}" if backs_off else ""
        return f"{_retries(retries.value)}, {delay} apart{growing}"

    counts = Counter(policy(task) for task in tasks)
    if not counts:
        return "no tasks"
    if len(counts) == 1:
        return next(iter(counts))
    return "; ".join(f"{text} ({_tasks(count)})" for text, count in counts.most_common())


def _prefect_retries(settings: dict[str, Setting]) -> str:
    retries = settings.get("retries")
    if retries is None or retries.value in (None, 0):
        return "0"
    delay = show(settings.get("retry_delay_seconds"), "0 s", seconds=True)
    value = retries.value
    count = _retries(value) if isinstance(value, int) else f"{_value(value)} retries"
    return f"{count}, {delay} apart"


def _airflow_deadline(pipeline: Pipeline) -> str:
    parts = []
    deadline = pipeline.setting("deadline")
    if deadline is not None and deadline.value is not None:
        parts.append(f"deadline: {_value(deadline.value)}")
    slas = {
        _value(sla.value)
        for task in pipeline.tasks
        if (sla := task.setting("sla")) is not None and sla.value is not None
    }
    if slas:
        ignored = " (ignored by Airflow 3)" if pipeline.framework_version == "3" else ""
        parts.append(f"sla: {', '.join(sorted(slas))}{ignored}")
    return "; ".join(parts) or "none"


def _airflow_alerting(pipeline: Pipeline) -> str:
    parts = []
    dag_callback = pipeline.setting("on_failure_callback")
    if dag_callback is not None and dag_callback.value not in (None, []):
        parts.append(f"DAG on_failure_callback: {_value(dag_callback.value)}")
    callbacks = {
        _value(callback.value)
        for task in pipeline.tasks
        if (callback := task.setting("on_failure_callback")) is not None
        and callback.value not in (None, [])
    }
    if callbacks:
        parts.append(f"task on_failure_callback: {', '.join(sorted(callbacks))}")
    emails = {
        _value(email.value)
        for task in pipeline.tasks
        if (email := task.setting("email")) is not None
        and email.value not in (None, [], "")
        and (task.setting("email_on_failure") or email).value is not False
    }
    if emails:
        parts.append(f"email on failure: {', '.join(sorted(emails))}")
    return "; ".join(parts) or "nobody is told of a failure"


def _prefect_alerting(pipeline: Pipeline) -> str:
    parts = []
    for hook in ("on_failure", "on_crashed"):
        value = pipeline.setting(hook)
        if value is not None and value.value not in (None, []):
            parts.append(f"flow {hook}: {_value(value.value)}")
    hooks = {
        _value(hook.value)
        for task in pipeline.tasks
        if (hook := task.setting("on_failure")) is not None and hook.value not in (None, [])
    }
    if hooks:
        parts.append(f"task on_failure: {', '.join(sorted(hooks))}")
    return "; ".join(parts) or "no failure hooks (Prefect Automations are not visible here)"


def _list(setting: Setting | None) -> str:
    values = _values(setting)
    if setting is not None and isinstance(setting.value, Unknown):
        return _value(setting.value)
    return ", ".join(values) if values else "none"


def _values(setting: Setting | None) -> list[str]:
    if setting is None or not isinstance(setting.value, list | tuple | set):
        return []
    return [str(v) for v in setting.value]
