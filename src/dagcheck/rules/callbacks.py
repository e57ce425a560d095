"""DC6xx: failure callbacks and alerting."""

from __future__ import annotations

from collections.abc import Iterator

from dagcheck.config import RuleOptions
from dagcheck.model.pipeline import FunctionRef, Pipeline, Provenance, Setting, SourceFile
from dagcheck.model.prefect import HOOKS, TASK_HOOKS
from dagcheck.rules import (
    Report,
    by_origin,
    definition_pipeline_id,
    describe,
    describe_definition,
    describe_tasks,
    file_rule,
    one_per_definition,
    rule,
    shared_value_report,
)


@rule("DC601")
def no_failure_alerting(pipeline: Pipeline, policy: RuleOptions) -> Iterator[Report]:
    # Tasks the model could not see may carry a callback: only a complete DAG is judged.
    if not pipeline.complete or not pipeline.tasks:
        return
    if pipeline.framework == "prefect":
        yield from _flow_without_failure_hooks(pipeline)
        return
    if not _is_none(pipeline.setting("on_failure_callback")):
        return
    for task in pipeline.tasks:
        if not _is_none(task.setting("on_failure_callback")):
            return  # a callback, or a value we cannot see: someone may be told
        email, email_on_failure = task.setting("email"), task.setting("email_on_failure")
        if not _is_none(email) and (
            email_on_failure is None or email_on_failure.value is not False
        ):
            return
    yield Report(
        pipeline.span,
        f"nobody is told when {describe(pipeline)} fails: no on_failure_callback on the DAG "
        "or its tasks and no email; add an on_failure_callback (a notifier) in default_args "
        "or on the DAG",
    )


def _flow_without_failure_hooks(pipeline: Pipeline) -> Iterator[Report]:
    hooks = [pipeline.setting("on_failure"), pipeline.setting("on_crashed")]
    hooks += [task.setting("on_failure") for task in pipeline.tasks]
    if all(_is_none(hook) for hook in hooks):
        yield Report(
            pipeline.span,
            f"nobody is told when {describe(pipeline)} fails: no on_failure hook on the flow or "
            "its tasks; add on_failure=[...] (and on_crashed=[...]) to @flow, or ignore this "
            "rule for flows a Prefect Automation already alerts on",
        )


def _is_none(setting: Setting | None) -> bool:
    """Known to be unset: None, or an empty list of callbacks."""
    return setting is not None and setting.known and setting.value in (None, [])


@rule("DC602")
def email_on_failure_without_email(pipeline: Pipeline, policy: RuleOptions) -> Iterator[Report]:
    without_address = [task for task in pipeline.tasks if _is_none(task.setting("email"))]

    # True by default: only a written email_on_failure=True promises mail.
    def promises_mail(setting: Setting) -> bool:
        return setting.provenance is not Provenance.DEFAULT and setting.value is True

    for setting, tasks in by_origin(without_address, "email_on_failure", promises_mail):
        yield shared_value_report(
            pipeline,
            setting,
            tasks,
            f"email_on_failure=True on {describe_tasks(pipeline, tasks)} without an email "
            "address sends no mail; set email= (on the task or in default_args)",
        )


@file_rule("DC603")
def hook_not_a_list(source: SourceFile, policy: RuleOptions) -> Iterator[Report]:
    for definition in source.definitions:
        for name in dict.fromkeys((*HOOKS, *TASK_HOOKS)):
            hook = definition.settings.get(name)
            if hook is not None and isinstance(hook.value, FunctionRef):
                yield Report(
                    hook.span or definition.span,
                    f"{name}={hook.text} on {describe_definition(definition)} must be a list of "
                    f"functions: Prefect raises TypeError; write {name}=[{hook.text}]",
                    pipeline_id=definition_pipeline_id(definition),
                )


@rule("DC604")
def on_failure_without_on_crashed(pipeline: Pipeline, policy: RuleOptions) -> Iterator[Report]:
    on_failure, on_crashed = pipeline.setting("on_failure"), pipeline.setting("on_crashed")
    if on_failure is None or on_crashed is None or _is_none(on_failure) or not on_failure.known:
        return
    if _is_none(on_crashed):
        yield Report(
            on_failure.span or pipeline.span,
            f"{describe(pipeline)} has on_failure but no on_crashed: when the infrastructure "
            "dies (pod evicted, out of memory, worker lost) the run is Crashed, not Failed, and "
            "on_failure never fires; add the same hook to on_crashed=[...]",
        )


@rule("DC605")
def failures_swallowed(pipeline: Pipeline, policy: RuleOptions) -> Iterator[Report]:
    for task in one_per_definition([t for t in pipeline.tasks if t.swallows_failures]):
        yield Report(
            task.definition or task.span,
            f"{describe(pipeline, task)} catches every exception and never re-raises: when "
            "its work fails the task still succeeds, so it is never retried and nobody is "
            "told; log and `raise`, or catch only the errors it can handle",
            task,
        )
