"""DC7xx: schedule, start_date, catchup, timezone."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from dagcheck.config import RuleOptions
from dagcheck.findings import Severity
from dagcheck.model.pipeline import Deployment, Pipeline, Provenance
from dagcheck.rules import Report, deployment_rule, describe, rule

# Presets that run once or continuously: catching up means nothing for them.
_NO_CATCHUP_PRESETS = {"@once", "@continuous"}


@rule("DC701")
def schedule_not_explicit(pipeline: Pipeline, policy: RuleOptions) -> Iterator[Report]:
    schedule = pipeline.setting("schedule")
    if schedule is None or schedule.provenance is not Provenance.DEFAULT:
        return
    now = "daily on Airflow 2" if pipeline.framework_version == "2" else "None on Airflow 3"
    yield Report(
        pipeline.span,
        f"{describe(pipeline)} has no schedule: the default is {now} (daily on 2, manual only "
        "on 3); set schedule= explicitly",
    )


@rule("DC702")
def catchup_not_explicit(pipeline: Pipeline, policy: RuleOptions) -> Iterator[Report]:
    catchup, schedule = pipeline.setting("catchup"), pipeline.setting("schedule")
    if catchup is None or schedule is None or catchup.provenance is not Provenance.DEFAULT:
        return
    if pipeline.uses_airflow_3_api:
        return  # code written for Airflow 3 only: no version runs it with the other default
    time_based = isinstance(schedule.value, dt.timedelta) or (
        isinstance(schedule.value, str) and schedule.value not in _NO_CATCHUP_PRESETS
    )
    if not time_based:
        return
    yield Report(
        pipeline.span,
        f"{describe(pipeline)} runs on a schedule but leaves catchup to the default "
        f"({catchup.value} here: True on Airflow 2, False on 3); set catchup= explicitly",
    )


@rule("DC703")
def schedule_interval_argument(pipeline: Pipeline, policy: RuleOptions) -> Iterator[Report]:
    for legacy in ("schedule_interval", "timetable"):
        setting = pipeline.setting(legacy)
        if setting is None or setting.span is None:
            continue
        if pipeline.framework_version == "3":
            what, severity = "was removed in Airflow 3 (the DAG fails to import)", Severity.ERROR
        else:
            what, severity = "is deprecated since Airflow 2.4", Severity.WARNING
        yield Report(
            setting.span,
            f"{describe(pipeline)} uses {legacy}=, which {what}; use schedule= instead",
            severity=severity,
        )


@rule("DC706")
def dag_argument_in_default_args(pipeline: Pipeline, policy: RuleOptions) -> Iterator[Report]:
    # One finding per DAG, naming every such argument: they are one mistake.
    misplaced = sorted(pipeline.misplaced_dag_arguments, key=lambda m: (m[1].line, m[1].column))
    if not misplaced:
        return
    names = [name for name, _ in misplaced]
    if len(names) == 1:
        what, verb, ignored = f"'{names[0]}'", "is a DAG argument", "it is ignored"
    else:
        what = ", ".join(f"'{name}'" for name in names[:-1]) + f" and '{names[-1]}'"
        verb, ignored = "are DAG arguments", "they are ignored"
    keywords = ", ".join(f"{name}=" for name in names)
    yield Report(
        misplaced[0][1],
        f"{what} in the default_args of {describe(pipeline)} {verb}: Airflow passes "
        f"default_args to the tasks only, so {ignored}; pass {keywords} to the DAG",
    )


@rule("DC704")
def naive_start_date(pipeline: Pipeline, policy: RuleOptions) -> Iterator[Report]:
    start_date = pipeline.setting("start_date")
    if start_date is None or start_date.span is None:
        return
    value = start_date.value
    if pipeline.runs_only_when_triggered:
        return  # there are no intervals to place
    if isinstance(value, dt.datetime) and value.tzinfo is None:
        yield Report(
            start_date.span,
            f"{describe(pipeline)} has a start_date without a timezone: harmless while the "
            "installation's default_timezone is UTC (the default), but in a non-UTC "
            "installation it is read in that timezone; use pendulum.datetime(..., tz='UTC') "
            "or a timezone-aware datetime",
        )


@deployment_rule("DC705")
def schedule_without_timezone(
    deployments: list[Deployment], policy: RuleOptions
) -> Iterator[tuple[Deployment, Report]]:
    for deployment in deployments:
        if not isinstance(deployment.schedules, list):
            continue
        for schedule in deployment.schedules:
            if schedule.kind not in ("cron", "rrule") or schedule.timezone is not None:
                continue
            if not isinstance(schedule.value, str) or "TZID=" in schedule.value.upper():
                continue  # unknown, or an rrule that carries its own timezone
            name = deployment.name if isinstance(deployment.name, str) else "this deployment"
            yield (
                deployment,
                Report(
                    schedule.span,
                    f"{schedule.kind} schedule '{schedule.value}' of deployment '{name}' has no "
                    "timezone, so it runs in UTC: local business hours drift by an hour at every "
                    'daylight-saving change; set timezone= ("UTC" if that is what you mean)',
                ),
            )
