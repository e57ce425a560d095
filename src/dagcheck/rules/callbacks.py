"""DC6xx: failure callbacks and alerting."""

from __future__ import annotations

from collections.abc import Iterator

from dagcheck.config import RuleOptions
from dagcheck.model.pipeline import Pipeline, Provenance, Setting
from dagcheck.rules import Report, by_origin, describe, describe_tasks, rule, shared_value_report


@rule("DC601")
def no_failure_alerting(pipeline: Pipeline, policy: RuleOptions) -> Iterator[Report]:
    # Tasks the model could not see may carry a callback: only a complete DAG is judged.
    if not pipeline.complete or not pipeline.tasks:
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
