"""Schedules in words and next run times: Airflow schedules and timetables, Prefect
deployment schedules, and every pipeline of the fixtures. ``now`` is fixed: Sunday
15 June 2025, 12:00 UTC."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from dagcheck.engine import build_models
from dagcheck.model.pipeline import (
    Deployment,
    ObjectValue,
    Pipeline,
    Provenance,
    Schedule,
    Setting,
    Span,
    Unknown,
    WallClock,
)
from dagcheck.schedules import (
    CONTINUOUS,
    NOT_SCHEDULED,
    ONCE,
    ScheduleSummary,
    summarize_airflow_schedule,
    summarize_prefect_pipeline,
    summarize_prefect_schedule,
)

ROOT = Path(__file__).resolve().parent.parent
UTC = dt.timezone.utc
AMSTERDAM = ZoneInfo("Europe/Amsterdam")
NOW = dt.datetime(2025, 6, 15, 12, 0, tzinfo=UTC)
SPAN = Span(1, 1, 1, 1)
_ABSENT = object()


def dag(
    schedule: Any = _ABSENT,
    *,
    start: Any = dt.datetime(2024, 1, 1),
    version: str = "3",
    text: str = "",
    **settings: Any,
) -> Pipeline:
    """An Airflow DAG as the model holds it: its schedule, start_date and other settings."""
    pipeline = Pipeline(
        "airflow", "d", "dag-context", Path("dag.py"), SPAN, framework_version=version
    )
    if schedule is not _ABSENT:
        pipeline.settings["schedule"] = Setting(schedule, Provenance.DAG, text)
    pipeline.settings["start_date"] = Setting(start, Provenance.DAG)
    for name, value in settings.items():
        pipeline.settings[name] = Setting(value, Provenance.DAG)
    return pipeline


def airflow(schedule: Any, **kwargs: Any) -> ScheduleSummary:
    return summarize_airflow_schedule(dag(schedule, **kwargs), now=NOW)


def timetable(text: str, name: str | None = None) -> ObjectValue:
    name = name or text.partition("(")[0]
    return ObjectValue(f"airflow.timetables.trigger.{name}", text)


def at(*fields: int, tz: dt.tzinfo = UTC) -> dt.datetime:
    return dt.datetime(*fields, tzinfo=tz)  # type: ignore[misc]


# -- Airflow: cron and presets ---------------------------------------------------------------


def test_a_cron_schedule_runs_at_its_ticks_in_utc() -> None:
    summary = airflow("0 3 * * *")
    assert summary == ScheduleSummary(
        "At 03:00, every day (UTC)",
        "0 3 * * *",
        "UTC",
        (at(2025, 6, 16, 3), at(2025, 6, 17, 3), at(2025, 6, 18, 3)),
    )


@pytest.mark.parametrize(
    ("preset", "words", "runs"),
    [
        ("@hourly", "Every hour", [at(2025, 6, 15, 13), at(2025, 6, 15, 14)]),
        ("@daily", "At 00:00, every day", [at(2025, 6, 16), at(2025, 6, 17)]),
        ("@weekly", "At 00:00, only on Sunday", [at(2025, 6, 22), at(2025, 6, 29)]),
        ("@monthly", "At 00:00, on day 1 of the month", [at(2025, 7, 1), at(2025, 8, 1)]),
        (
            "@quarterly",
            "At 00:00, on day 1 of the month, every 3 months",
            [at(2025, 7, 1), at(2025, 10, 1)],
        ),
        ("@yearly", "At 00:00, on day 1 of the month, only in January", [at(2026, 1, 1)]),
        ("@annually", "At 00:00, on day 1 of the month, only in January", [at(2026, 1, 1)]),
    ],
)
def test_airflow_presets(preset: str, words: str, runs: list[dt.datetime]) -> None:
    summary = summarize_airflow_schedule(dag(preset), now=NOW, count=len(runs))
    assert summary == ScheduleSummary(f"{words} (UTC)", preset, "UTC", tuple(runs))


def test_more_runs_are_given_when_asked_for() -> None:
    summary = summarize_airflow_schedule(dag("@quarterly"), now=NOW, count=4)
    assert summary.next_runs == (at(2025, 7, 1), at(2025, 10, 1), at(2026, 1, 1), at(2026, 4, 1))
    assert summarize_airflow_schedule(dag("@daily"), now=NOW, count=0).next_runs == ()


@pytest.mark.parametrize("cron", ["61 * * * *", "not a cron", "* * *", "0 3 * * * * * *", ""])
def test_an_invalid_cron_has_neither_words_nor_runs(cron: str) -> None:
    assert airflow(cron) == ScheduleSummary(None, cron, "UTC")


def test_hashed_cron_fields_are_not_guessed() -> None:
    assert airflow("H 3 * * *").words is None


def test_a_cron_with_seconds_as_croniter_reads_it() -> None:
    """croniter takes a sixth field as the seconds (cron-descriptor wants them first)."""
    summary = airflow("0 3 * * * 30")
    assert summary.words == "At 03:00:30, every day (UTC)"
    assert summary.next_runs[0] == at(2025, 6, 16, 3, 0, 30)


def test_a_cron_that_never_fires_has_words_but_no_runs() -> None:
    summary = airflow("0 0 31 2 *")
    assert summary.words == "At 00:00, on day 31 of the month, only in February (UTC)"
    assert summary.next_runs == ()


def test_weekday_ranges_and_lists_of_hours() -> None:
    assert airflow("30 6 * * 1-5").words == "At 06:30, Monday through Friday (UTC)"
    assert airflow("0 3,15 * * *").words == "At 03:00 and 15:00, every day (UTC)"
    assert airflow("*/15 * * * *").next_runs == (
        at(2025, 6, 15, 12, 15),
        at(2025, 6, 15, 12, 30),
        at(2025, 6, 15, 12, 45),
    )


def test_a_naive_now_is_read_as_utc() -> None:
    naive = summarize_airflow_schedule(dag("0 3 * * *"), now=NOW.replace(tzinfo=None))
    assert naive == airflow("0 3 * * *")


# -- Airflow: the DAG's timezone, start and end dates ----------------------------------------


def test_a_cron_runs_in_the_timezone_of_an_aware_start_date_across_dst() -> None:
    pipeline = dag("0 3 * * *", start=dt.datetime(2024, 1, 1, tzinfo=AMSTERDAM))
    summary = summarize_airflow_schedule(pipeline, now=at(2025, 3, 29, 12), count=3)
    assert summary.words == "At 03:00, every day (Europe/Amsterdam)"
    assert summary.timezone == "Europe/Amsterdam"
    # The clock moves forward on 30 March: 03:00 stays 03:00, an hour earlier in UTC.
    assert [run.astimezone(UTC) for run in summary.next_runs] == [
        at(2025, 3, 30, 1),
        at(2025, 3, 31, 1),
        at(2025, 4, 1, 1),
    ]
    assert {(run.hour, run.minute) for run in summary.next_runs} == {(3, 0)}


def test_a_time_that_dst_skips_moves_past_the_change() -> None:
    pipeline = dag("30 2 * * *", start=dt.datetime(2024, 1, 1, tzinfo=AMSTERDAM))
    summary = summarize_airflow_schedule(pipeline, now=at(2025, 3, 29, 12), count=2)
    # There is no 02:30 on 30 March in Amsterdam: that run comes at 03:30 (as Airflow has it).
    assert [run.isoformat() for run in summary.next_runs] == [
        "2025-03-30T03:30:00+02:00",
        "2025-03-31T02:30:00+02:00",
    ]


def test_an_hourly_cron_keeps_the_hour_that_dst_repeats() -> None:
    pipeline = dag("0 * * * *", start=dt.datetime(2024, 1, 1, tzinfo=AMSTERDAM))
    # 23:30 UTC on 25 October is 01:30 in Amsterdam; at 03:00 the clock goes back to 02:00.
    summary = summarize_airflow_schedule(pipeline, now=at(2025, 10, 25, 23, 30), count=3)
    assert [run.astimezone(UTC) for run in summary.next_runs] == [
        at(2025, 10, 26, 0),
        at(2025, 10, 26, 1),
        at(2025, 10, 26, 2),
    ]
    assert [run.strftime("%H:%M%z") for run in summary.next_runs] == [
        "02:00+0200",
        "02:00+0100",
        "03:00+0100",
    ]


def test_a_start_date_in_default_args_is_used() -> None:
    start = dt.datetime(2024, 1, 1, tzinfo=AMSTERDAM)
    pipeline = dag("0 3 * * *", start=None, default_args={"start_date": start})
    summary = summarize_airflow_schedule(pipeline, now=NOW)
    assert summary.timezone == "Europe/Amsterdam"
    assert summary.next_runs[0] == dt.datetime(2025, 6, 16, 3, tzinfo=AMSTERDAM)


def test_a_start_date_that_cannot_be_read_leaves_the_timezone_unknown() -> None:
    for start in (Unknown('pendulum.datetime(2024, 1, 1, tz="Europe/Berlin")'), WallClock("now()")):
        summary = airflow("30 6 * * 1-5", start=start)
        assert summary == ScheduleSummary(
            "At 06:30, Monday through Friday (time zone unknown)", "30 6 * * 1-5", None
        )
    opaque_default_args = dag("@daily", start=None, default_args=Unknown("make_args()"))
    assert summarize_airflow_schedule(opaque_default_args, now=NOW).next_runs == ()


def test_without_a_start_date_a_cron_runs_from_now_on() -> None:
    summary = airflow("@daily", start=None)
    assert summary.next_runs == (at(2025, 6, 16), at(2025, 6, 17), at(2025, 6, 18))


def test_airflow_3_runs_from_the_first_tick_at_or_after_a_future_start_date() -> None:
    assert airflow("0 3 * * *", start=dt.datetime(2025, 7, 1)).next_runs[0] == at(2025, 7, 1, 3)
    on_a_tick = airflow("0 3 * * *", start=dt.datetime(2025, 7, 1, 3))
    assert on_a_tick.next_runs[0] == at(2025, 7, 1, 3)


def test_airflow_2_runs_at_the_end_of_the_first_data_interval() -> None:
    summary = airflow("0 3 * * *", start=dt.datetime(2025, 7, 1), version="2")
    assert summary.next_runs == (at(2025, 7, 2, 3), at(2025, 7, 3, 3), at(2025, 7, 4, 3))
    # Once started, both versions fire at the same ticks.
    assert airflow("0 3 * * *", version="2") == airflow("0 3 * * *", version="3")


def test_no_runs_after_the_end_date() -> None:
    end = dt.datetime(2025, 6, 17)
    assert airflow("0 3 * * *", end_date=end).next_runs == (at(2025, 6, 16, 3),)
    # Airflow 2: the interval opened on the 16th closes, and runs, on the 17th.
    assert airflow("0 3 * * *", end_date=end, version="2").next_runs == (
        at(2025, 6, 16, 3),
        at(2025, 6, 17, 3),
    )
    assert airflow("0 3 * * *", end_date=dt.datetime(2025, 1, 1)).next_runs == ()


# -- Airflow: not scheduled, once, continuous, intervals -------------------------------------


def test_none_means_only_triggered_runs() -> None:
    assert airflow(None) == ScheduleSummary(NOT_SCHEDULED, None, None)
    assert NOT_SCHEDULED == "Not scheduled: runs only when triggered"


@pytest.mark.parametrize(("preset", "words"), [("@once", ONCE), ("@continuous", CONTINUOUS)])
def test_once_and_continuous_have_words_but_no_run_times(preset: str, words: str) -> None:
    assert airflow(preset) == ScheduleSummary(words, preset, None)


def test_a_timedelta_runs_every_interval_from_the_start_date() -> None:
    summary = airflow(dt.timedelta(hours=6), text="timedelta(hours=6)")
    assert summary == ScheduleSummary(
        "Every 6 hours",
        "timedelta(hours=6)",
        "UTC",
        (at(2025, 6, 15, 18), at(2025, 6, 16, 0), at(2025, 6, 16, 6)),
    )


def test_a_timedelta_without_a_start_date_has_no_run_times() -> None:
    summary = airflow(dt.timedelta(days=1), start=None)
    assert summary.words == "Every day"
    assert summary.next_runs == ()
    assert airflow(dt.timedelta(days=1), start=Unknown("start")).next_runs == ()


def test_a_timedelta_with_a_future_start_date_on_each_version() -> None:
    start = dt.datetime(2025, 7, 1, tzinfo=AMSTERDAM)
    on_3 = airflow(dt.timedelta(hours=12), start=start, version="3").next_runs
    on_2 = airflow(dt.timedelta(hours=12), start=start, version="2").next_runs
    assert on_3[:2] == (start, start + dt.timedelta(hours=12))
    assert on_2[0] == start + dt.timedelta(hours=12)  # the end of the first interval
    assert on_3[0].tzinfo is AMSTERDAM


@pytest.mark.parametrize(
    ("delta", "words"),
    [
        (dt.timedelta(days=1), "Every day"),
        (dt.timedelta(days=2), "Every 2 days"),
        (dt.timedelta(weeks=1), "Every week"),
        (dt.timedelta(hours=1), "Every hour"),
        (dt.timedelta(hours=36), "Every 36 hours"),
        (dt.timedelta(minutes=30), "Every 30 minutes"),
        (dt.timedelta(seconds=90), "Every 90 seconds"),
        (dt.timedelta(seconds=1.5), "Every 1.5 seconds"),
        (dt.timedelta(0), None),
    ],
)
def test_intervals_in_plain_words(delta: dt.timedelta, words: str | None) -> None:
    assert airflow(delta).words == words


# -- Airflow: assets -------------------------------------------------------------------------


def asset(uri: str) -> ObjectValue:
    return ObjectValue("airflow.sdk.Asset", f'Asset("{uri}")')


def test_assets_trigger_runs_and_have_no_run_times() -> None:
    one = airflow([asset("s3://bucket/x")], text='[Asset("s3://bucket/x")]')
    assert one == ScheduleSummary(
        'When Asset("s3://bucket/x") is updated', '[Asset("s3://bucket/x")]', None
    )
    two = airflow([asset("s3://a"), asset("s3://b")])
    assert two.words == 'When all of Asset("s3://a"), Asset("s3://b") have been updated'
    assert two.expression == '[Asset("s3://a"), Asset("s3://b")]'
    assert two.next_runs == ()


def test_asset_conditions_and_datasets() -> None:
    condition = ObjectValue("airflow.sdk.AssetAny", '(Asset("a") | Asset("b"))')
    assert airflow(condition).words == 'When (Asset("a") | Asset("b")) is updated'
    dataset = ObjectValue("airflow.datasets.Dataset", 'Dataset("s3://x")')
    assert airflow(dataset).words == 'When Dataset("s3://x") is updated'


def test_lists_that_are_not_assets_have_no_words() -> None:
    assert airflow([]).words is None
    assert airflow(["s3://x"]).words is None


# -- Airflow: timetables ---------------------------------------------------------------------


def test_cron_trigger_timetable_with_its_own_timezone() -> None:
    text = 'CronTriggerTimetable("0 3 * * *", timezone="Europe/Amsterdam")'
    summary = airflow(timetable(text))
    assert summary.words == "At 03:00, every day (Europe/Amsterdam)"
    assert summary.expression == text
    assert summary.timezone == "Europe/Amsterdam"
    assert summary.next_runs[0] == dt.datetime(2025, 6, 16, 3, tzinfo=AMSTERDAM)
    # The timetable's zone wins over the DAG's.
    assert airflow(timetable(text), start=dt.datetime(2024, 1, 1, tzinfo=UTC)) == summary


@pytest.mark.parametrize(
    "zone",
    [
        'pendulum.timezone("Europe/Amsterdam")',
        'Timezone("Europe/Amsterdam")',
        'ZoneInfo("Europe/Amsterdam")',
    ],
)
def test_timezones_written_as_calls(zone: str) -> None:
    summary = airflow(timetable(f'CronTriggerTimetable("0 3 * * *", timezone={zone})'))
    assert summary.timezone == "Europe/Amsterdam"
    assert summary.next_runs[0] == dt.datetime(2025, 6, 16, 3, tzinfo=AMSTERDAM)


def test_cron_data_interval_timetable_fires_at_the_end_of_each_interval() -> None:
    text = 'CronDataIntervalTimetable("0 3 * * *", "UTC")'
    summary = airflow(timetable(text), start=dt.datetime(2025, 7, 1))
    assert summary.words == "At 03:00, every day (UTC)"
    assert summary.next_runs[0] == at(2025, 7, 2, 3)


def test_multiple_cron_trigger_timetable_merges_its_crons() -> None:
    text = (
        'MultipleCronTriggerTimetable("0 3 * * *", "0 15 * * *", '
        'timezone=pendulum.timezone("Europe/Amsterdam"))'
    )
    summary = airflow(timetable(text))
    assert summary.words == "At 03:00, every day; and at 15:00, every day (Europe/Amsterdam)"
    # 12:00 UTC is 14:00 in Amsterdam.
    assert summary.next_runs == (
        dt.datetime(2025, 6, 15, 15, tzinfo=AMSTERDAM),
        dt.datetime(2025, 6, 16, 3, tzinfo=AMSTERDAM),
        dt.datetime(2025, 6, 16, 15, tzinfo=AMSTERDAM),
    )


def test_a_timetable_the_model_left_unknown_is_read_when_its_arguments_are_literals() -> None:
    """The model leaves a call with ``pendulum.timezone(...)`` in it unresolved."""
    text = 'CronTriggerTimetable("0 3 * * *", timezone=pendulum.timezone("Europe/Amsterdam"))'
    assert airflow(Unknown(text)) == airflow(timetable(text))


def test_timetables_with_arguments_that_are_not_literals_have_no_words() -> None:
    for text in (
        'CronTriggerTimetable(NIGHTLY, timezone="UTC")',
        'CronTriggerTimetable(f"0 {HOUR} * * *", timezone="UTC")',
        "DeltaTriggerTimetable(relativedelta(months=1))",
        "CronTriggerTimetable(*CRONS)",
    ):
        summary = airflow(timetable(text))
        assert (summary.words, summary.next_runs) == (None, ()), text
        assert summary.expression == text
    zone_unknown = airflow(timetable('CronTriggerTimetable("0 3 * * *", timezone=TZ)'))
    assert zone_unknown.words == "At 03:00, every day (time zone unknown)"
    assert (zone_unknown.timezone, zone_unknown.next_runs) == (None, ())


def test_delta_timetables() -> None:
    trigger = airflow(timetable("DeltaTriggerTimetable(timedelta(minutes=30))"))
    assert trigger.words == "Every 30 minutes"
    assert trigger.next_runs == (
        at(2025, 6, 15, 12, 30),
        at(2025, 6, 15, 13),
        at(2025, 6, 15, 13, 30),
    )
    interval = timetable("DeltaDataIntervalTimetable(datetime.timedelta(hours=1))")
    summary = airflow(interval, start=dt.datetime(2025, 7, 1))
    assert (summary.words, summary.next_runs[0]) == ("Every hour", at(2025, 7, 1, 1))


def test_events_timetable_with_literal_dates() -> None:
    text = (
        "EventsTimetable(event_dates=[pendulum.datetime(2025, 1, 1, 9, tz='UTC'), "
        "pendulum.datetime(2025, 7, 1, 9, tz='Europe/Amsterdam'), datetime(2025, 12, 24, 18)])"
    )
    summary = airflow(timetable(text))
    assert summary.words == "On 3 listed dates"
    assert summary.next_runs == (
        dt.datetime(2025, 7, 1, 9, tzinfo=AMSTERDAM),
        at(2025, 12, 24, 18),
    )
    assert airflow(timetable("EventsTimetable(event_dates=HOLIDAYS)")).next_runs == ()


def test_asset_or_time_schedule() -> None:
    text = (
        'AssetOrTimeSchedule(timetable=CronTriggerTimetable("0 3 * * *", timezone="UTC"), '
        'assets=[Asset("s3://x")])'
    )
    summary = airflow(timetable(text, "AssetOrTimeSchedule"))
    assert summary.words == 'At 03:00, every day (UTC); or when Asset("s3://x") is updated'
    assert summary.next_runs[0] == at(2025, 6, 16, 3)


def test_a_custom_timetable_is_named_without_run_times() -> None:
    custom = ObjectValue("plugins.timetables.AfterWorkdayTimetable", "AfterWorkdayTimetable()")
    assert airflow(custom) == ScheduleSummary(
        "By the timetable AfterWorkdayTimetable, whose own code decides when runs start",
        "AfterWorkdayTimetable()",
        None,
    )


def test_unknown_and_missing_schedules() -> None:
    assert airflow(Unknown("SCHEDULES[env]")) == ScheduleSummary(None, "SCHEDULES[env]", None)
    assert airflow(Unknown("MyTimetable()")).words is None
    assert summarize_airflow_schedule(dag(), now=NOW) == ScheduleSummary(None, None, None)


# -- Prefect ---------------------------------------------------------------------------------


def prefect(kind: str, value: Any, timezone: Any = None, **kwargs: Any) -> ScheduleSummary:
    return summarize_prefect_schedule(Schedule(kind, value, timezone, SPAN), now=NOW, **kwargs)


def test_prefect_cron_in_its_timezone() -> None:
    berlin = ZoneInfo("Europe/Berlin")
    summary = prefect("cron", "0 2 * * *", "Europe/Berlin")
    assert summary == ScheduleSummary(
        "At 02:00, every day (Europe/Berlin)",
        "0 2 * * *",
        "Europe/Berlin",
        tuple(dt.datetime(2025, 6, day, 2, tzinfo=berlin) for day in (16, 17, 18)),
    )


def test_prefect_cron_without_timezone_runs_in_utc() -> None:
    summary = prefect("cron", "30 7 * * 1-5")
    assert summary.words == "At 07:30, Monday through Friday (UTC)"
    assert summary.next_runs == (
        at(2025, 6, 16, 7, 30),
        at(2025, 6, 17, 7, 30),
        at(2025, 6, 18, 7, 30),
    )


def test_prefect_timezones_that_are_unknown_or_do_not_exist() -> None:
    unknown = prefect("cron", "0 2 * * *", Unknown("TZ"))
    assert unknown == ScheduleSummary("At 02:00, every day (time zone unknown)", "0 2 * * *", None)
    missing = prefect("cron", "0 2 * * *", "Mars/Olympus_Mons")
    assert (missing.timezone, missing.next_runs) == ("Mars/Olympus_Mons", ())


@pytest.mark.parametrize(
    ("value", "words"),
    [
        (3600, "Every hour"),
        (900.0, "Every 15 minutes"),
        (90, "Every 90 seconds"),
        (dt.timedelta(days=1), "Every day"),
        (dt.timedelta(minutes=15), "Every 15 minutes"),
    ],
)
def test_prefect_intervals_have_words_but_no_anchor(value: Any, words: str) -> None:
    summary = prefect("interval", value)
    assert (summary.words, summary.timezone, summary.next_runs) == (words, "UTC", ())


def test_prefect_rrule_in_words_and_runs() -> None:
    new_york = ZoneInfo("America/New_York")
    summary = prefect("rrule", "FREQ=DAILY;BYHOUR=5,17;BYMINUTE=30", "America/New_York")
    assert summary.words == "At 05:30 and 17:30, every day (America/New_York)"
    # 12:00 UTC is 08:00 in New York.
    assert summary.next_runs == (
        dt.datetime(2025, 6, 15, 17, 30, tzinfo=new_york),
        dt.datetime(2025, 6, 16, 5, 30, tzinfo=new_york),
        dt.datetime(2025, 6, 16, 17, 30, tzinfo=new_york),
    )
    weekly = prefect("rrule", "RRULE:FREQ=WEEKLY;BYDAY=MO;BYHOUR=6;BYMINUTE=0")
    assert weekly.words == "At 06:00, only on Monday (UTC)"
    assert weekly.next_runs[:2] == (at(2025, 6, 16, 6), at(2025, 6, 23, 6))


def test_prefect_rrule_counts_from_its_anchor() -> None:
    """Without DTSTART Prefect counts from 2020-01-01 00:00: a rule every 7 minutes keeps that
    phase (and is found without stepping through five years of occurrences)."""
    summary = prefect("rrule", "FREQ=MINUTELY;INTERVAL=7")
    anchor = at(2020, 1, 1)
    assert summary.next_runs
    for run in summary.next_runs:
        assert (run - anchor) % dt.timedelta(minutes=7) == dt.timedelta(0)
    assert NOW < summary.next_runs[0] <= NOW + dt.timedelta(minutes=7)
    # Every other day from the anchor: 2025-06-15 is day 1992 after it, an even day.
    every_other_day = prefect("rrule", "FREQ=DAILY;INTERVAL=2;BYHOUR=9")
    assert every_other_day.words is None  # no cron expression says "every other day"
    assert every_other_day.next_runs[:2] == (at(2025, 6, 17, 9), at(2025, 6, 19, 9))


def test_prefect_rrule_with_its_own_start_and_zone() -> None:
    rule = "DTSTART;TZID=Europe/Amsterdam:20250101T090000\nRRULE:FREQ=WEEKLY;BYDAY=FR"
    summary = prefect("rrule", rule)
    assert summary.words is None  # only simple one-line rules are put into words
    assert summary.timezone == "Europe/Amsterdam"
    assert summary.next_runs[0] == dt.datetime(2025, 6, 20, 9, tzinfo=AMSTERDAM)


def test_prefect_rrules_without_future_runs_or_unreadable() -> None:
    assert prefect("rrule", "FREQ=DAILY;COUNT=3").next_runs == ()
    never = prefect("rrule", "FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30")
    assert never.words == "At 00:00, on day 30 of the month, only in February (UTC)"
    assert never.next_runs == ()
    bad = prefect("rrule", "FREQ=SOMETIMES")
    assert (bad.words, bad.next_runs) == (None, ())


def test_prefect_unknown_values() -> None:
    assert prefect("cron", Unknown("settings.cron")) == ScheduleSummary(
        None, "settings.cron", "UTC"
    )
    assert prefect("cron", "every night").words is None
    assert prefect("interval", Unknown("EVERY")).words is None


def deployment(name: str, schedules: list[Schedule] | Unknown) -> Deployment:
    return Deployment(name, "serve", Path("flows.py"), SPAN, schedules=schedules)


def test_every_schedule_of_every_deployment_of_a_flow() -> None:
    flow = Pipeline("prefect", "etl", "flow-decorator", Path("flows.py"), SPAN)
    assert summarize_prefect_pipeline(flow, now=NOW) == []
    flow.deployments = [
        deployment(
            "nightly",
            [Schedule("cron", "0 2 * * *", None, SPAN), Schedule("interval", 3600, None, SPAN)],
        ),
        deployment("dynamic", Unknown("make_schedules()")),
        deployment("adhoc", []),
    ]
    summaries = summarize_prefect_pipeline(flow, now=NOW, count=1)
    assert [(s.words, s.expression, s.next_runs) for s in summaries] == [
        ("At 02:00, every day (UTC)", "0 2 * * *", (at(2025, 6, 16, 2),)),
        ("Every hour", "3600 seconds", ()),
        (None, "make_schedules()", ()),
    ]


# -- the fixtures, end to end ----------------------------------------------------------------


@pytest.fixture(scope="module")
def fixture_pipelines() -> list[Pipeline]:
    models = build_models([ROOT / "fixtures" / "airflow", ROOT / "fixtures" / "prefect"])
    return [pipeline for model in models for pipeline in model.pipelines]


def test_every_fixture_pipeline_is_summarized(fixture_pipelines: list[Pipeline]) -> None:
    airflow_dags = [p for p in fixture_pipelines if p.framework == "airflow"]
    flows = [p for p in fixture_pipelines if p.framework == "prefect"]
    assert airflow_dags and flows
    for pipeline in airflow_dags:
        summary = summarize_airflow_schedule(pipeline, now=NOW)
        schedule = pipeline.setting("schedule")
        assert schedule is not None
        if isinstance(schedule.value, str):  # every cron and preset in the fixtures is valid
            assert summary.words is not None, pipeline.id
            assert summary.expression == schedule.value
        if summary.timezone is not None and summary.words != NOT_SCHEDULED:
            assert len(summary.next_runs) == 3, pipeline.id
            assert all(run > NOW for run in summary.next_runs)
    scheduled = 0
    for flow in flows:
        for summary in summarize_prefect_pipeline(flow, now=NOW):
            assert summary.words is not None, flow.id
            scheduled += 1
    assert scheduled >= 10


def test_known_fixture_schedules(fixture_pipelines: list[Pipeline]) -> None:
    by_id = {str(p.id): p for p in fixture_pipelines}
    orders = summarize_airflow_schedule(by_id["orders_nightly_export"], now=NOW)
    assert (orders.words, orders.next_runs[0]) == ("At 02:00, every day (UTC)", at(2025, 6, 16, 2))
    hubspot = summarize_airflow_schedule(by_id["ingest_hubspot"], now=NOW)
    assert (hubspot.words, hubspot.next_runs[0]) == ("Every 6 hours (UTC)", at(2025, 6, 15, 18))
    assert summarize_airflow_schedule(by_id["vacuum_staging_tables"], now=NOW).words == (
        NOT_SCHEDULED  # no schedule on Airflow 3
    )
    # start_date=pendulum.datetime(..., tz="Europe/Berlin"), which the model cannot resolve.
    crm = summarize_airflow_schedule(by_id["crm_contacts_sync"], now=NOW)
    assert crm == ScheduleSummary(
        "At 06:30, Monday through Friday (time zone unknown)", "30 6 * * 1-5", None
    )
    board_pack = summarize_prefect_pipeline(by_id["board-pack"], now=NOW)
    assert [s.words for s in board_pack] == [
        "At 06:00, only on Monday (America/New_York)",
        "At 18:00, on day 1 of the month (UTC)",
    ]
    weather = summarize_prefect_pipeline(by_id["weather-observations"], now=NOW)
    assert {s.words for s in weather} == {"Every hour"}


# -- start-up cost ---------------------------------------------------------------------------


def test_the_schedule_libraries_load_only_when_a_schedule_is_summarized() -> None:
    """Checked in a fresh interpreter: this process has imported them already."""
    probe = (
        "import sys, dagcheck.cli, dagcheck.schedules\n"
        "print(sorted(m for m in ('croniter', 'cron_descriptor', 'dateutil.rrule')"
        " if m in sys.modules))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe],
        env={**os.environ, "PYTHONPATH": str(ROOT / "src")},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
