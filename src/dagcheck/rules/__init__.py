"""Rules: each reads one pipeline of the model and reports what is wrong with it.

A rule is one small function registered under its code with :func:`rule`; its summary, why,
example and use-instead live in ``rules/<area>.yaml`` (see ``checklist.py``). Rules never
walk syntax and stay silent on values the model marks unknown.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from dagcheck.config import RuleOptions
from dagcheck.findings import Severity
from dagcheck.model.pipeline import (
    Definition,
    Deployment,
    Pipeline,
    Provenance,
    Setting,
    SourceFile,
    Span,
    Task,
)


@dataclass(frozen=True)
class Report:
    """What a rule found: where, what to say, and about which task."""

    span: Span
    message: str
    task: Task | None = None
    # Only for rules whose stakes differ by target version (deprecated on 2, removed on 3).
    severity: Severity | None = None
    # For rules about a whole file: the DAG the finding concerns, when there is one.
    pipeline_id: str | None = None


RuleCheck = Callable[[Pipeline, RuleOptions], Iterator[Report]]
# A rule about a whole file (what it does at parse time, outside any one pipeline).
FileRuleCheck = Callable[[SourceFile, RuleOptions], Iterator[Report]]
# A rule that needs the whole run (pipelines of other files, deployments linked from
# prefect.yaml): reports which pipeline.
RunRuleCheck = Callable[[list[Pipeline], RuleOptions], Iterator[tuple[Pipeline, Report]]]
# A rule about Prefect deployments, run once deployments are linked to their flows: it
# sees every deployment of the run (to follow the project's conventions) and reports which.
DeploymentRuleCheck = Callable[[list[Deployment], RuleOptions], Iterator[tuple[Deployment, Report]]]

_REGISTRY: dict[str, RuleCheck] = {}
_FILE_REGISTRY: dict[str, FileRuleCheck] = {}
_RUN_REGISTRY: dict[str, RunRuleCheck] = {}
_DEPLOYMENT_REGISTRY: dict[str, DeploymentRuleCheck] = {}
_REGISTRIES = (_REGISTRY, _FILE_REGISTRY, _RUN_REGISTRY, _DEPLOYMENT_REGISTRY)


def _registrar(registry: dict[str, Any], code: str) -> Callable[[Any], Any]:
    def register(check: Any) -> Any:
        if any(code in r for r in _REGISTRIES):
            raise ValueError(f"{code} is registered twice")
        registry[code] = check
        return check

    return register


def rule(code: str) -> Callable[[RuleCheck], RuleCheck]:
    return _registrar(_REGISTRY, code)


def file_rule(code: str) -> Callable[[FileRuleCheck], FileRuleCheck]:
    return _registrar(_FILE_REGISTRY, code)


def run_rule(code: str) -> Callable[[RunRuleCheck], RunRuleCheck]:
    return _registrar(_RUN_REGISTRY, code)


def deployment_rule(code: str) -> Callable[[DeploymentRuleCheck], DeploymentRuleCheck]:
    return _registrar(_DEPLOYMENT_REGISTRY, code)


@functools.cache
def registered_rules() -> dict[str, RuleCheck]:
    """Every rule, by code (importing the area modules registers them)."""
    from dagcheck.rules import (  # noqa: F401
        callbacks,
        idempotency,
        ownership,
        parse_time,
        retry,
        scheduling,
        sla,
        structure,
        timeout,
    )

    return dict(sorted(_REGISTRY.items()))


@functools.cache
def registered_file_rules() -> dict[str, FileRuleCheck]:
    """Rules over a whole file, by code."""
    registered_rules()  # imports the area modules
    return dict(sorted(_FILE_REGISTRY.items()))


@functools.cache
def registered_run_rules() -> dict[str, RunRuleCheck]:
    """Rules over all the pipelines of a run, by code."""
    registered_rules()  # imports the area modules
    return dict(sorted(_RUN_REGISTRY.items()))


@functools.cache
def registered_deployment_rules() -> dict[str, DeploymentRuleCheck]:
    """Rules over Prefect deployments, by code."""
    registered_rules()  # imports the area modules
    return dict(sorted(_DEPLOYMENT_REGISTRY.items()))


def describe(pipeline: Pipeline, task: Task | None = None) -> str:
    """How messages name what they are about: "task 'load' in DAG 'sales_daily'", or
    "task 'load' in flow 'sales-daily'"."""
    noun = "flow" if pipeline.framework == "prefect" else "DAG"
    dag = f"{noun} '{pipeline.id}'" if isinstance(pipeline.id, str) else f"this {noun}"
    if task is None:
        return dag
    if pipeline.framework == "prefect" and isinstance(task.id, str):
        # A Prefect task called several times is one definition: name it, not the call.
        return f"task '{_REPEATED_CALL.sub('', task.id)}' in {dag}"
    return f"task '{task.id}' in {dag}" if isinstance(task.id, str) else f"a task in {dag}"


def describe_definition(definition: Definition) -> str:
    """ "flow 'daily-etl'" or "task 'extract'"."""
    name = definition.name
    return f"{definition.kind} '{name}'" if isinstance(name, str) else f"this {definition.kind}"


def definition_pipeline_id(definition: Definition) -> str | None:
    """The pipeline a finding about a definition belongs to: the flow it declares."""
    if definition.kind == "flow" and isinstance(definition.name, str):
        return definition.name
    return None


def retries_at_least_once(setting: Setting | None) -> bool:
    """Whether a retries setting is known to retry at least once."""
    value = setting.value if setting is not None else None
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


# The suffix the model gives the second, third, ... call of one Prefect task ("load__1").
_REPEATED_CALL = re.compile(r"__\d+$")

# What a Prefect flow run only as a subflow of another (and never deployed itself) gets from
# its parent: the parent's timeout bounds it, the parent's alerts tell of its failure (it
# fails the parent), the parent's documentation and deployment describe it.
COVERED_BY_PARENT_FLOW = frozenset({"DC402", "DC504", "DC505", "DC601"})

# What a pipeline run only by hand does not need: the person who starts a run sees how it
# ends, re-runs it when it fails and stops it when it hangs. Nothing in the tree schedules or
# starts it (see engine.quiet_when_run_by_hand).
QUIET_WHEN_RUN_BY_HAND = frozenset({"DC201", "DC203", "DC204", "DC207", "DC401", "DC601", "DC604"})


def one_per_definition(tasks: list[Task]) -> list[Task]:
    """The first call of each Prefect task: its settings and code are its definition's,
    written once, however often a flow calls it (Airflow tasks are their own definition)."""
    seen: set[object] = set()
    first = []
    for task in tasks:
        key: object = id(task.definition) if task.definition is not None else id(task)
        if task.definition is None and task.operator.startswith("prefect."):
            # A task imported from another module: its calls share its name ("load__3").
            key = ("imported", _REPEATED_CALL.sub("", str(task.id)))
        if key not in seen:
            seen.add(key)
            first.append(task)
    return first


def unset_on_every_task(pipeline: Pipeline, tasks: list[Task], name: str, default: object) -> bool:
    """Whether a setting is left at Airflow's default on every one of several tasks: one
    finding on the DAG (fixed in default_args) says it better than one per task. In a DAG
    the model could not follow in full, it speaks of the tasks it could (see
    :func:`followed_tasks`)."""
    if len(tasks) < 2:
        return False
    for task in tasks:
        setting = task.setting(name)
        if setting is None or setting.provenance is not Provenance.DEFAULT:
            return False
        if setting.value != default:
            return False
    return True


def tasks_of(pipeline: Pipeline, count: int, kind: str = "") -> str:
    """ "3 tasks of DAG 'x'" ("3 retrying tasks of ..."), "... that dagcheck could follow"
    in a pipeline it could not follow in full."""
    tasks = f"{count} {kind} tasks" if kind else f"{count} tasks"
    followed = "" if pipeline.complete else " that dagcheck could follow"
    return f"{tasks} of {describe(pipeline)}{followed}"


def by_origin(
    tasks: list[Task], name: str, matches: Callable[[Setting], bool]
) -> Iterator[tuple[Setting, list[Task]]]:
    """The tasks whose setting ``name`` matches, grouped by where the value is written: a
    value in default_args is one mistake in one place, however many tasks inherit it."""
    groups: dict[int, tuple[Setting, list[Task]]] = {}
    for task in tasks:
        setting = task.setting(name)
        if setting is None or setting.span is None or not matches(setting):
            continue
        shared = setting.provenance is Provenance.DEFAULT_ARGS
        key = id(setting.span) if shared else id(task)
        groups.setdefault(key, (setting, []))[1].append(task)
    yield from groups.values()


def shared_value_report(
    pipeline: Pipeline, setting: Setting, tasks: list[Task], message: str
) -> Report:
    """A finding about tasks that share one written value (see :func:`by_origin`): at the
    value, and naming the task when there is only one."""
    return Report(setting.span or pipeline.span, message, tasks[0] if len(tasks) == 1 else None)


def describe_tasks(pipeline: Pipeline, tasks: list[Task]) -> str:
    """ "task 'load' in DAG 'x'", or "3 tasks of DAG 'x' (through default_args)"."""
    if len(tasks) == 1:
        return describe(pipeline, tasks[0])
    if pipeline.framework == "prefect":
        return f"{len(tasks)} tasks of {describe(pipeline)}"
    return f"{len(tasks)} tasks of {describe(pipeline)} (through default_args)"
