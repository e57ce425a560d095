"""DC3xx: SLAs and deadlines."""

from __future__ import annotations

from collections.abc import Iterator

from dagcheck.config import RuleOptions
from dagcheck.model.pipeline import Pipeline, Provenance
from dagcheck.rules import Report, describe, rule

_WRITTEN = {Provenance.TASK, Provenance.DECORATOR, Provenance.DEFAULT_ARGS}


@rule("DC301")
def sla_on_airflow_3(pipeline: Pipeline, policy: RuleOptions) -> Iterator[Report]:
    if pipeline.framework_version != "3":
        return
    miss_callback = pipeline.setting("sla_miss_callback")
    if miss_callback is not None and miss_callback.span is not None:
        yield Report(
            miss_callback.span,
            f"{describe(pipeline)} sets sla_miss_callback, which Airflow 3 ignores: nobody is "
            "told of a late run; use deadline=DeadlineAlert(...) (Airflow 3.1+)",
        )
    for task in pipeline.tasks:
        sla = task.setting("sla")
        if sla is not None and sla.span is not None and sla.value is not None:
            yield Report(
                sla.span,
                f"{describe(pipeline, task)} sets sla=, which Airflow 3 ignores; use the DAG's "
                "deadline=DeadlineAlert(...) (Airflow 3.1+)",
                task,
            )


@rule("DC302")
def sla_without_miss_callback(pipeline: Pipeline, policy: RuleOptions) -> Iterator[Report]:
    if pipeline.framework_version != "2":
        return
    miss_callback = pipeline.setting("sla_miss_callback")
    if miss_callback is None or not miss_callback.known or miss_callback.value is not None:
        return
    with_sla = [
        task
        for task in pipeline.tasks
        if (sla := task.setting("sla")) is not None
        and sla.provenance in _WRITTEN
        and sla.value is not None
    ]
    if with_sla:
        yield Report(
            pipeline.span,
            f"{describe(pipeline)} has task SLAs but no sla_miss_callback: a missed SLA is "
            "only recorded in the UI; set sla_miss_callback to alert someone",
        )


@rule("DC303")
def no_sla_on_airflow_2(pipeline: Pipeline, policy: RuleOptions) -> Iterator[Report]:
    if pipeline.framework_version != "2" or not pipeline.tasks:
        return
    miss_callback = pipeline.setting("sla_miss_callback")
    if miss_callback is None or not miss_callback.known or miss_callback.value is not None:
        return
    for task in pipeline.tasks:
        sla = task.setting("sla")
        if sla is None or not sla.known or sla.value is not None:
            return  # an SLA somewhere, or one we cannot see
    yield Report(
        pipeline.span,
        f"{describe(pipeline)} defines no SLA: nothing notices when a run is late; set sla= on "
        "the tasks that feed consumers and an sla_miss_callback",
    )
