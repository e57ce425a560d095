"""What a pipeline's schedule means: in words, and when it runs next.

Reads the schedule as the static model holds it (an Airflow DAG's ``schedule`` setting, the
schedules of a Prefect flow's deployments) and never guesses: a value the model could not
resolve, or a timetable whose arguments are not literals, gives no words and no run times; a
cron whose timezone is unknown gets words that say so, and no run times.

Cron expressions are put into words by ``cron-descriptor`` and stepped through by
``croniter``; RRULEs are stepped through by ``dateutil.rrule``. These libraries are imported
only when a summary is asked for, so commands that never show schedules do not load them.

Which times are computed, by framework:

* Airflow: a cron schedule or preset runs at each cron tick, in the timezone of the DAG's
  ``start_date`` when it has one, else in UTC (Airflow's default ``default_timezone``). On
  Airflow 2 a run fires at the end of its data interval, so the first tick at or after the
  start date only opens the first interval; on Airflow 3 (and for ``CronTriggerTimetable``)
  every tick at or after the start date is a run. Ticks are found as Airflow finds them, in
  the zone's wall-clock time, across DST changes too. A ``timedelta`` schedule runs every
  interval counted from the start date (unknown without one). ``end_date`` ends the runs.
* Prefect: a cron or RRULE schedule runs in its timezone, UTC when none is given; an RRULE
  without ``DTSTART`` counts from 2020-01-01 00:00, as Prefect does. An interval schedule
  counts from its anchor date, which the model does not hold: it gets words but no run times.

A timetable class dagcheck does not know (a team's own timetable) is named in the words, with
no run times: its code decides when runs start.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import warnings
import zoneinfo
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import libcst as cst

from dagcheck.model.pipeline import ObjectValue, Pipeline, Schedule, Unknown, WallClock
from dagcheck.model.values import literal_value

__all__ = [
    "CONTINUOUS",
    "NOT_SCHEDULED",
    "ONCE",
    "ScheduleSummary",
    "summarize_airflow_schedule",
    "summarize_prefect_pipeline",
    "summarize_prefect_schedule",
]


@dataclass(frozen=True)
class ScheduleSummary:
    """One schedule, explained.

    ``words`` is None when the schedule cannot be known statically. ``expression`` is the
    cron, interval, RRULE or timetable as written, for display. ``timezone`` names the zone
    the schedule runs in, when it runs by the clock and the zone is known. ``next_runs`` are
    the next run times after ``now`` (timezone-aware, in that zone); empty when they cannot
    be computed: runs triggered by assets or by hand, ``@once``, ``@continuous``, unknown
    values, or an interval whose starting point is unknown.
    """

    words: str | None
    expression: str | None
    timezone: str | None
    next_runs: tuple[dt.datetime, ...] = ()


NOT_SCHEDULED = "Not scheduled: runs only when triggered"
ONCE = "Once, as soon as the start date has passed"
CONTINUOUS = "Continuously: a new run starts as soon as the previous one ends"

# Airflow's cron presets (croniter knows most of them, but not @quarterly).
_CRON_PRESETS = {
    "@hourly": "0 * * * *",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@weekly": "0 0 * * 0",
    "@monthly": "0 0 1 * *",
    "@quarterly": "0 0 1 */3 *",
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
}
_UTC = "UTC"
# Stepping back this far from a start date finds a tick that falls exactly on it.
_JUST_BEFORE = dt.timedelta(seconds=1)
# At most this many RRULE occurrences are stepped through to find the next ones.
_MAX_RRULE_STEPS = 100_000
# Prefect counts an RRULE without DTSTART from this date.
_PREFECT_RRULE_ANCHOR = dt.datetime(2020, 1, 1)

# A function giving the first tick strictly after a moment, or None when there is none.
_NextTick = Callable[[dt.datetime], dt.datetime | None]


@dataclass(frozen=True)
class _Zone:
    """A timezone as named in the source; ``tzinfo`` is None when it cannot be loaded."""

    name: str | None  # None: unknown
    tzinfo: dt.tzinfo | None

    @classmethod
    def named(cls, name: str) -> _Zone:
        if name.upper() == _UTC:
            return cls(_UTC, dt.timezone.utc)
        try:
            return cls(name, zoneinfo.ZoneInfo(name))
        except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
            return cls(name, None)

    @classmethod
    def of(cls, tzinfo: dt.tzinfo) -> _Zone:
        return cls(_zone_name(tzinfo), tzinfo)

    def label(self) -> str:
        return self.name if self.name is not None else "time zone unknown"


_UTC_ZONE = _Zone(_UTC, dt.timezone.utc)
_UNKNOWN_ZONE = _Zone(None, None)


@dataclass(frozen=True)
class _Dag:
    """What an Airflow DAG's schedule depends on besides itself."""

    zone: _Zone
    start: dt.datetime | None  # timezone-aware
    end: dt.datetime | None
    start_known: bool  # False: a start_date the model could not resolve
    data_intervals: bool  # Airflow 2: a run fires at the end of its data interval


# -- Airflow ---------------------------------------------------------------------------------


def summarize_airflow_schedule(
    pipeline: Pipeline, *, now: dt.datetime, count: int = 3
) -> ScheduleSummary:
    """The schedule of an Airflow DAG, with up to ``count`` run times after ``now``."""
    setting = pipeline.setting("schedule")
    if setting is None:
        return ScheduleSummary(None, None, None)
    dag = _dag_context(pipeline)
    return _airflow_value(setting.value, setting.text, dag, _aware(now), count)


def _dag_context(pipeline: Pipeline) -> _Dag:
    start, start_known = _dag_date(pipeline, "start_date")
    end, _ = _dag_date(pipeline, "end_date")
    if not start_known:
        zone = _UNKNOWN_ZONE
    elif start is not None and start.tzinfo is not None:
        zone = _Zone.of(start.tzinfo)
    else:
        zone = _UTC_ZONE  # a naive start_date is read in UTC, Airflow's default timezone
    return _Dag(
        zone=zone,
        start=_in_zone(start, zone),
        end=_in_zone(end, zone),
        start_known=start_known,
        data_intervals=pipeline.framework_version == "2",
    )


def _dag_date(pipeline: Pipeline, name: str) -> tuple[dt.datetime | None, bool]:
    """The DAG's ``start_date`` or ``end_date`` (or the one in its default_args), and
    whether it is known."""
    setting = pipeline.setting(name)
    value = setting.value if setting is not None else None
    if value is None:  # Airflow falls back on default_args
        default_args = pipeline.setting("default_args")
        arguments = default_args.value if default_args is not None else None
        if isinstance(arguments, Unknown):
            return None, False
        if isinstance(arguments, dict):
            value = arguments.get(name)
    if value is None:
        return None, True
    if isinstance(value, dt.datetime):
        return value, True
    return None, False


def _in_zone(moment: dt.datetime | None, zone: _Zone) -> dt.datetime | None:
    if moment is None or zone.tzinfo is None:
        return None
    if moment.tzinfo is None:
        return moment.replace(tzinfo=zone.tzinfo)
    return moment


def _airflow_value(
    value: Any, text: str, dag: _Dag, now: dt.datetime, count: int
) -> ScheduleSummary:
    if value is None:
        return ScheduleSummary(NOT_SCHEDULED, None, None)
    if isinstance(value, Unknown):
        return _unknown_timetable(value, dag, now, count)
    if isinstance(value, str):
        if value == "@once":
            return ScheduleSummary(ONCE, value, None)
        if value == "@continuous":
            return ScheduleSummary(CONTINUOUS, value, None)
        return _airflow_cron([value], value, dag.zone, dag, now, count)
    if isinstance(value, dt.timedelta):
        return _airflow_delta(value, text or str(value), dag, dag.data_intervals, now, count)
    if isinstance(value, list | tuple):
        return _assets([_item_text(item) for item in value], expression=text or None)
    if isinstance(value, ObjectValue):
        if _is_asset(value) and value.name not in _TIMETABLES:  # not AssetOrTimeSchedule
            return _assets([value.text], expression=value.text)
        return _timetable(value.name, _parse_call(value.text), value.text, dag, now, count)
    return ScheduleSummary(None, None, None)


def _unknown_timetable(value: Unknown, dag: _Dag, now: dt.datetime, count: int) -> ScheduleSummary:
    """A value the model could not resolve. One case is still read here: a call to one of
    Airflow's timetables whose arguments are all literals, such as a ``timezone`` given as
    ``pendulum.timezone("Europe/Amsterdam")``, which the model leaves unresolved."""
    node = None if isinstance(value, WallClock) else _parse_call(value.text)
    name = (_dotted(node.func) or "").rpartition(".")[2] if node is not None else ""
    if node is None or name not in _TIMETABLES:
        return ScheduleSummary(None, value.text, None)
    return _timetable(name, node, value.text, dag, now, count)


def _airflow_cron(
    expressions: Sequence[str],
    written: str,
    zone: _Zone,
    dag: _Dag,
    now: dt.datetime,
    count: int,
    *,
    data_intervals: bool | None = None,
) -> ScheduleSummary:
    """One or more cron expressions (or presets) run in ``zone``; their ticks merged."""
    crons = [_cron_of(expression) for expression in expressions]
    if any(cron is None for cron in crons):
        return ScheduleSummary(None, written, zone.name)
    described = [_describe_cron(cron) for cron in crons if cron is not None]
    words = None
    if all(described):
        words = f"{_join_descriptions([d for d in described if d])} ({zone.label()})"
    if zone.tzinfo is None or not dag.start_known:
        return ScheduleSummary(words, written, zone.name)
    tzinfo = zone.tzinfo
    next_tick = _merged([_cron_ticks(cron, tzinfo) for cron in crons if cron is not None])
    intervals = dag.data_intervals if data_intervals is None else data_intervals
    runs = _runs(next_tick, now=now, count=count, start=dag.start, end=dag.end, after=intervals)
    return ScheduleSummary(words, written, zone.name, runs)


def _airflow_delta(
    delta: dt.timedelta,
    written: str,
    dag: _Dag,
    data_intervals: bool,
    now: dt.datetime,
    count: int,
) -> ScheduleSummary:
    words = _every(delta)
    if words is None or dag.start is None or dag.zone.tzinfo is None:
        return ScheduleSummary(words, written, None)
    next_tick = _delta_ticks(dag.start, delta, dag.zone.tzinfo)
    runs = _runs(
        next_tick, now=now, count=count, start=dag.start, end=dag.end, after=data_intervals
    )
    return ScheduleSummary(words, written, dag.zone.name, runs)


# -- assets ----------------------------------------------------------------------------------


def _is_asset(value: Any) -> bool:
    return isinstance(value, ObjectValue) and value.name.startswith(("Asset", "Dataset"))


def _item_text(item: Any) -> str | None:
    """How an item of a schedule list is written, if it is an asset or unknown."""
    if _is_asset(item):
        return str(item.text)
    if isinstance(item, Unknown):
        return item.text
    return None


def _assets(texts: Sequence[str | None], *, expression: str | None) -> ScheduleSummary:
    known = [text for text in texts if text is not None]
    if not known or len(known) != len(texts):
        return ScheduleSummary(None, expression, None)
    if expression is None:
        expression = f"[{', '.join(known)}]"
    return ScheduleSummary(_asset_words(known), expression, None)


def _asset_words(texts: Sequence[str]) -> str:
    if len(texts) == 1:
        return f"When {texts[0]} is updated"
    return f"When all of {', '.join(texts)} have been updated"


# -- Airflow timetables ----------------------------------------------------------------------


def _parse_call(text: str) -> cst.Call | None:
    try:
        node = cst.parse_expression(text)
    except cst.ParserSyntaxError:
        return None
    return node if isinstance(node, cst.Call) else None


def _timetable(
    name: str, node: cst.Call | None, text: str, dag: _Dag, now: dt.datetime, count: int
) -> ScheduleSummary:
    """A timetable object, read from how it was written: only literal arguments count."""
    if name == "NullTimetable":
        return ScheduleSummary(NOT_SCHEDULED, text, None)
    if name == "OnceTimetable":
        return ScheduleSummary(ONCE, text, None)
    if name == "ContinuousTimetable":
        return ScheduleSummary(CONTINUOUS, text, None)
    if name in _TIMETABLES:
        if node is None:
            return ScheduleSummary(None, text, None)
        return _TIMETABLES[name](_Arguments.of(node), text, dag, now, count)
    return ScheduleSummary(
        f"By the timetable {name}, whose own code decides when runs start", text, None
    )


@dataclass(frozen=True)
class _Arguments:
    positional: list[cst.BaseExpression]
    keywords: dict[str, cst.BaseExpression]
    complete: bool  # False: *args or **kwargs were passed

    @classmethod
    def of(cls, node: cst.Call) -> _Arguments:
        positional: list[cst.BaseExpression] = []
        keywords: dict[str, cst.BaseExpression] = {}
        complete = True
        for arg in node.args:
            if arg.star:
                complete = False
            elif arg.keyword is not None:
                keywords[arg.keyword.value] = arg.value
            else:
                positional.append(arg.value)
        return cls(positional, keywords, complete)

    def get(self, index: int | None, keyword: str) -> cst.BaseExpression | None:
        if keyword in self.keywords:
            return self.keywords[keyword]
        if index is not None and index < len(self.positional):
            return self.positional[index]
        return None


def _timetable_zone(arguments: _Arguments, index: int | None, dag: _Dag) -> _Zone:
    node = arguments.get(index, "timezone")
    if node is None:
        return dag.zone if arguments.complete else _UNKNOWN_ZONE
    value = _literal(node)
    if isinstance(value, str):
        return _Zone.named(value)
    if isinstance(value, _Zone):
        return value
    return _UNKNOWN_ZONE


def _cron_timetable(
    arguments: _Arguments, text: str, dag: _Dag, now: dt.datetime, count: int, *, intervals: bool
) -> ScheduleSummary:
    cron = _literal(arguments.get(0, "cron"))
    if not isinstance(cron, str):
        return ScheduleSummary(None, text, None)
    zone = _timetable_zone(arguments, 1 if intervals else None, dag)
    return _airflow_cron([cron], text, zone, dag, now, count, data_intervals=intervals)


def _multiple_cron_trigger(
    arguments: _Arguments, text: str, dag: _Dag, now: dt.datetime, count: int
) -> ScheduleSummary:
    crons = [_literal(node) for node in arguments.positional]
    if not crons or not arguments.complete or not all(isinstance(c, str) for c in crons):
        return ScheduleSummary(None, text, None)
    zone = _timetable_zone(arguments, None, dag)
    return _airflow_cron([str(c) for c in crons], text, zone, dag, now, count, data_intervals=False)


def _delta_timetable(
    arguments: _Arguments, text: str, dag: _Dag, now: dt.datetime, count: int, *, intervals: bool
) -> ScheduleSummary:
    delta = _literal(arguments.get(0, "delta"))
    if not isinstance(delta, dt.timedelta):
        return ScheduleSummary(None, text, None)
    return _airflow_delta(delta, text, dag, intervals, now, count)


def _events(
    arguments: _Arguments, text: str, dag: _Dag, now: dt.datetime, count: int
) -> ScheduleSummary:
    dates = _literal(arguments.get(0, "event_dates"))
    if not isinstance(dates, list) or not all(isinstance(d, dt.datetime) for d in dates):
        return ScheduleSummary("On a list of dates", text, None)
    # Airflow reads a naive event date in UTC, its default timezone.
    moments = sorted(
        (d if d.tzinfo is not None else d.replace(tzinfo=dt.timezone.utc) for d in dates),
        key=_utc,
    )
    plural = "" if len(moments) == 1 else "s"
    earliest = max(now, dag.start, key=_utc) if dag.start is not None else now
    upcoming = tuple(
        moment
        for moment in moments
        if _utc(moment) > _utc(earliest) and (dag.end is None or _utc(moment) <= _utc(dag.end))
    )[: max(count, 0)]
    return ScheduleSummary(f"On {len(moments)} listed date{plural}", text, None, upcoming)


def _asset_or_time(
    arguments: _Arguments, text: str, dag: _Dag, now: dt.datetime, count: int
) -> ScheduleSummary:
    timetable, assets = arguments.get(None, "timetable"), arguments.get(None, "assets")
    if assets is None:
        assets = arguments.get(None, "datasets")
    if not isinstance(timetable, cst.Call) or assets is None:
        return ScheduleSummary(None, text, None)
    name = (_dotted(timetable.func) or "").rpartition(".")[2]
    inner = _timetable(name, timetable, _code(timetable), dag, now, count)
    if inner.words is None:
        return ScheduleSummary(None, text, inner.timezone)
    if isinstance(assets, cst.List | cst.Tuple):
        items = [_code(element.value) for element in assets.elements]
        asset_words = _asset_words(items) if items else None
    else:
        asset_words = _asset_words([_code(assets)])
    if asset_words is None:
        return ScheduleSummary(None, text, inner.timezone)
    words = f"{inner.words}; or {asset_words[0].lower()}{asset_words[1:]}"
    return ScheduleSummary(words, text, inner.timezone, inner.next_runs)


_Timetable = Callable[[_Arguments, str, _Dag, dt.datetime, int], ScheduleSummary]
_TIMETABLES: dict[str, _Timetable] = {
    "CronTriggerTimetable": functools.partial(_cron_timetable, intervals=False),
    "CronDataIntervalTimetable": functools.partial(_cron_timetable, intervals=True),
    "MultipleCronTriggerTimetable": _multiple_cron_trigger,
    "DeltaTriggerTimetable": functools.partial(_delta_timetable, intervals=False),
    "DeltaDataIntervalTimetable": functools.partial(_delta_timetable, intervals=True),
    "EventsTimetable": _events,
    "AssetOrTimeSchedule": _asset_or_time,
    "DatasetOrTimeSchedule": _asset_or_time,
}


# -- literal arguments -----------------------------------------------------------------------


class _NotLiteral:
    """An argument whose value is not written out in the source."""


_NOT_LITERAL = _NotLiteral()
_DATETIME_FIELDS = ("year", "month", "day", "hour", "minute", "second", "microsecond")


def _literal(node: cst.BaseExpression | None) -> Any:
    """The value of a literal argument: a string, a number, a list of them, a
    ``timedelta(...)``, a ``datetime(...)`` or a timezone (as a :class:`_Zone`)."""
    if isinstance(node, cst.SimpleString | cst.ConcatenatedString):
        value = literal_value(node)
        return value if isinstance(value, str) else _NOT_LITERAL
    if isinstance(node, cst.Integer | cst.Float):
        return node.evaluated_value
    if isinstance(node, cst.UnaryOperation) and isinstance(node.operator, cst.Minus):
        inner = _literal(node.expression)
        return -inner if isinstance(inner, int | float) else _NOT_LITERAL
    if isinstance(node, cst.List | cst.Tuple):
        items = [
            _literal(element.value) if isinstance(element, cst.Element) else _NOT_LITERAL
            for element in node.elements
        ]
        return _NOT_LITERAL if any(i is _NOT_LITERAL for i in items) else items
    if isinstance(node, cst.Name | cst.Attribute):
        name = _dotted(node) or ""
        return _UTC_ZONE if name.rpartition(".")[2] in ("UTC", "utc") else _NOT_LITERAL
    if isinstance(node, cst.Call):
        return _literal_call(node)
    return _NOT_LITERAL


def _literal_call(node: cst.Call) -> Any:
    name = (_dotted(node.func) or "").rpartition(".")[2]
    arguments = _Arguments.of(node)
    if not arguments.complete:
        return _NOT_LITERAL
    args = [_literal(value) for value in arguments.positional]
    kwargs = {key: _literal(value) for key, value in arguments.keywords.items()}
    if any(value is _NOT_LITERAL for value in [*args, *kwargs.values()]):
        return _NOT_LITERAL
    try:
        if name in ("timedelta", "duration"):
            return dt.timedelta(*args, **kwargs)
        if name in ("timezone", "Timezone", "ZoneInfo", "gettz") and len(args) == 1:
            if isinstance(args[0], str):
                return _Zone.named(args[0])
            if isinstance(args[0], dt.timedelta):  # datetime.timezone(timedelta(hours=2))
                return _Zone.of(dt.timezone(args[0]))
        if name == "datetime":
            return _literal_datetime(args, kwargs)
    except (TypeError, ValueError, OverflowError):
        return _NOT_LITERAL
    return _NOT_LITERAL


def _literal_datetime(args: list[Any], kwargs: dict[str, Any]) -> Any:
    zone = kwargs.pop("tz", kwargs.pop("tzinfo", None))
    if isinstance(zone, str):
        zone = _Zone.named(zone)
    if len(args) > len(_DATETIME_FIELDS):
        return _NOT_LITERAL
    fields = dict(zip(_DATETIME_FIELDS, args, strict=False)) | kwargs
    if set(fields) - set(_DATETIME_FIELDS) or not all(isinstance(v, int) for v in fields.values()):
        return _NOT_LITERAL
    if zone is None:
        return dt.datetime(**fields)
    if isinstance(zone, _Zone) and zone.tzinfo is not None:
        return dt.datetime(**fields, tzinfo=zone.tzinfo)
    return _NOT_LITERAL


def _dotted(node: cst.BaseExpression) -> str | None:
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        base = _dotted(node.value)
        return None if base is None else f"{base}.{node.attr.value}"
    return None


def _code(node: cst.CSTNode) -> str:
    return cst.Module(body=[]).code_for_node(node)


# -- Prefect ---------------------------------------------------------------------------------


def summarize_prefect_schedule(
    schedule: Schedule, *, now: dt.datetime, count: int = 3
) -> ScheduleSummary:
    """One schedule of a Prefect deployment, with up to ``count`` run times after ``now``."""
    now = _aware(now)
    if isinstance(schedule.timezone, Unknown):
        zone = _UNKNOWN_ZONE
    elif isinstance(schedule.timezone, str):
        zone = _Zone.named(schedule.timezone)
    else:
        zone = _UTC_ZONE  # Prefect's default
    value = schedule.value
    if isinstance(value, Unknown):
        return ScheduleSummary(None, value.text, zone.name)
    if schedule.kind == "cron" and isinstance(value, str):
        return _prefect_cron(value, zone, now, count)
    if schedule.kind == "interval":
        return _prefect_interval(value, zone)
    if schedule.kind == "rrule" and isinstance(value, str):
        return _prefect_rrule(value, zone, now, count, zone_given=schedule.timezone is not None)
    return ScheduleSummary(None, None, zone.name)


def summarize_prefect_pipeline(
    pipeline: Pipeline, *, now: dt.datetime, count: int = 3
) -> list[ScheduleSummary]:
    """The schedules of every deployment linked to a Prefect flow, deployment by deployment
    in the model's order; a deployment whose schedules are unknown gives one unknown summary.
    An empty list: the flow has no deployment with a schedule."""
    summaries: list[ScheduleSummary] = []
    for deployment in pipeline.deployments:
        if isinstance(deployment.schedules, Unknown):
            summaries.append(ScheduleSummary(None, deployment.schedules.text, None))
            continue
        for schedule in deployment.schedules:
            summaries.append(summarize_prefect_schedule(schedule, now=now, count=count))
    return summaries


def _prefect_cron(expression: str, zone: _Zone, now: dt.datetime, count: int) -> ScheduleSummary:
    cron = _cron_of(expression)
    if cron is None:
        return ScheduleSummary(None, expression, zone.name)
    described = _describe_cron(cron)
    words = f"{described} ({zone.label()})" if described else None
    if zone.tzinfo is None:
        return ScheduleSummary(words, expression, zone.name)
    runs = _runs(_cron_ticks(cron, zone.tzinfo), now=now, count=count)
    return ScheduleSummary(words, expression, zone.name, runs)


def _prefect_interval(value: Any, zone: _Zone) -> ScheduleSummary:
    if isinstance(value, dt.timedelta):
        delta = value
    elif isinstance(value, int | float) and not isinstance(value, bool):
        delta = dt.timedelta(seconds=value)
    else:
        return ScheduleSummary(None, None, zone.name)
    # The anchor date the intervals count from is not in the model: no run times.
    return ScheduleSummary(_every(delta), _delta_text(delta), zone.name)


def _prefect_rrule(
    text: str, zone: _Zone, now: dt.datetime, count: int, *, zone_given: bool
) -> ScheduleSummary:
    own_zone = re.search(r"TZID=([^:;\s]+)", text, re.IGNORECASE)
    if own_zone is not None and not zone_given:  # the rule's DTSTART names its own zone
        zone = _Zone.named(own_zone.group(1))
    cron = _rrule_as_cron(text)
    described = _describe_cron(cron) if cron is not None else None
    words = f"{described} ({zone.label()})" if described else None
    if zone.tzinfo is None:
        return ScheduleSummary(words, text, zone.name)
    if cron is not None and _cron_ticks(cron, zone.tzinfo)(now) is None:
        # A date that never comes (the 30th of February): dateutil would look for it until
        # the year 9999, croniter gives up after 50 years.
        return ScheduleSummary(words, text, zone.name)
    runs = _rrule_runs(text, zone.tzinfo, now, count)
    return ScheduleSummary(words, text, zone.name, runs)


def _rrule_runs(
    text: str, tzinfo: dt.tzinfo, now: dt.datetime, count: int
) -> tuple[dt.datetime, ...]:
    """The next occurrences of an RRULE. A rule without a TZID is stepped through in the
    wall-clock time of its zone, as Prefect does."""
    from dateutil.rrule import rrulestr

    local_now = now.astimezone(tzinfo).replace(tzinfo=None)
    try:
        rule = rrulestr(text, dtstart=_rrule_anchor(text, local_now), cache=False)
        runs: list[dt.datetime] = []
        for step, occurrence in enumerate(rule):
            if len(runs) >= count or step >= _MAX_RRULE_STEPS:
                break
            if occurrence.tzinfo is None:
                occurrence = occurrence.replace(tzinfo=tzinfo)
            if _utc(occurrence) > _utc(now):
                runs.append(occurrence)
    except (ValueError, TypeError, OverflowError, KeyError, IndexError):
        return ()  # a rule dateutil cannot read, or one mixing naive and aware times
    return tuple(runs)


def _rrule_fields(text: str) -> dict[str, str] | None:
    """The parts of a one-line RRULE (``FREQ=DAILY;BYHOUR=5``), or None for anything else
    (a DTSTART, several rules, exception dates)."""
    body = text.strip()
    if body.upper().startswith("RRULE:"):
        body = body[len("RRULE:") :]
    if not body or ":" in body or "\n" in body:
        return None
    fields: dict[str, str] = {}
    for part in body.upper().split(";"):
        key, equals, value = part.strip().partition("=")
        if not equals or key in fields:
            return None
        fields[key] = value
    return fields


_PERIOD_SECONDS = {"HOURLY": 3600, "MINUTELY": 60, "SECONDLY": 1}


def _rrule_anchor(text: str, local_now: dt.datetime) -> dt.datetime:
    """Where to start stepping through an RRULE without DTSTART: Prefect's anchor, moved
    forward by whole periods for rules that repeat within a day, so that finding the next
    occurrence does not step through years of them. The occurrences after it are the same."""
    fields = _rrule_fields(text)
    if fields is None or "COUNT" in fields or fields.get("FREQ") not in _PERIOD_SECONDS:
        return _PREFECT_RRULE_ANCHOR
    interval = fields.get("INTERVAL", "1")
    if not interval.isdigit() or int(interval) < 1:
        return _PREFECT_RRULE_ANCHOR
    period = int(interval) * _PERIOD_SECONDS[fields["FREQ"]]
    periods = int((local_now - _PREFECT_RRULE_ANCHOR).total_seconds() // period) - 1
    if periods <= 0:
        return _PREFECT_RRULE_ANCHOR
    return _PREFECT_RRULE_ANCHOR + dt.timedelta(seconds=periods * period)


_RRULE_WEEKDAYS = {"SU": "0", "MO": "1", "TU": "2", "WE": "3", "TH": "4", "FR": "5", "SA": "6"}
_RRULE_NUMBERS = ("BYMINUTE", "BYHOUR", "BYMONTHDAY", "BYMONTH")


def _rrule_as_cron(text: str) -> str | None:
    """The cron expression with the same occurrences as a simple RRULE without DTSTART
    (counted from Prefect's anchor, 2020-01-01 00:00, a Wednesday), to put it into words;
    None when no cron expression has them."""
    fields = _rrule_fields(text)
    if fields is None:
        return None
    freq, interval = fields.pop("FREQ", ""), fields.pop("INTERVAL", "1")
    fields.pop("WKST", None)
    if fields.pop("BYSECOND", "0") != "0" or not interval.isdigit() or int(interval) < 1:
        return None
    step = int(interval)
    if set(fields) - {*_RRULE_NUMBERS, "BYDAY"}:
        return None
    if any(not re.fullmatch(r"\d+(,\d+)*", fields[key]) for key in _RRULE_NUMBERS if key in fields):
        return None
    weekday = None
    if "BYDAY" in fields:
        days = fields["BYDAY"].split(",")
        if any(day not in _RRULE_WEEKDAYS for day in days) or "BYMONTHDAY" in fields:
            return None  # an nth weekday, or both kinds of day (an rrule wants both, cron either)
        weekday = ",".join(_RRULE_WEEKDAYS[day] for day in days)
    minute, hour = fields.get("BYMINUTE"), fields.get("BYHOUR")
    day, month = fields.get("BYMONTHDAY"), fields.get("BYMONTH")
    if freq == "MINUTELY":
        if 60 % step or (step > 1 and minute is not None):
            return None
        minute = minute or ("*" if step == 1 else f"*/{step}")
        hour = hour or "*"
    elif freq == "HOURLY":
        if 24 % step or (step > 1 and hour is not None):
            return None
        minute, hour = minute or "0", hour or ("*" if step == 1 else f"*/{step}")
    elif freq in ("DAILY", "WEEKLY", "MONTHLY", "YEARLY") and step == 1:
        minute, hour = minute or "0", hour or "0"
        if freq == "WEEKLY":
            weekday = weekday or _RRULE_WEEKDAYS["WE"]
        elif freq == "MONTHLY" and weekday is None:
            day = day or "1"
        elif freq == "YEARLY" and weekday is None and day is None:
            day, month = "1", month or "1"
    else:
        return None
    return f"{minute} {hour} {day or '*'} {month or '*'} {weekday or '*'}"


# -- cron ------------------------------------------------------------------------------------


def _cron_of(expression: str) -> str | None:
    """The cron expression croniter reads for a schedule string (presets expanded), or None
    when it is not one croniter accepts. Hashed and random fields (``H``, ``R``) give None:
    their times depend on an id."""
    from croniter import croniter

    cron = _CRON_PRESETS.get(expression.strip().lower(), expression.strip())
    fields = cron.split()
    if not 5 <= len(fields) <= 7 or any(f.upper().startswith(("H", "R")) for f in fields):
        return None
    try:
        return cron if croniter.is_valid(cron) else None
    except (ValueError, TypeError):
        return None


def _describe_cron(cron: str) -> str | None:
    """A cron expression in English words, 24-hour times; None if it cannot be described."""
    from cron_descriptor import ExpressionDescriptor, Options

    fields = cron.split()
    if len(fields) > 5:  # croniter's seconds field comes sixth, cron-descriptor's first
        fields = [fields[5], *fields[:5], *fields[6:]]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # no system locale: the English one is set below
        options = Options()
    options.locale_code = "en_US"
    options.use_24hour_time_format = True
    options.verbose = False
    try:
        description = str(ExpressionDescriptor(" ".join(fields), options).get_description())
    except Exception:  # any failure of the describer only costs the words
        return None
    if not description:
        return None
    minute, hour, day, month, weekday, *year = fields[1:] if len(fields) > 5 else fields
    at_fixed_times = all(re.fullmatch(r"\d+(,\d+)*", f) for f in (minute, hour))
    if at_fixed_times and all(f in ("*", "?") for f in (day, month, weekday, *year)):
        description += ", every day"
    return description


def _join_descriptions(descriptions: Sequence[str]) -> str:
    if len(descriptions) == 1:
        return descriptions[0]
    rest = [d[0].lower() + d[1:] for d in descriptions[1:]]
    return "; and ".join([descriptions[0], *rest])


def _cron_ticks(cron: str, tzinfo: dt.tzinfo) -> _NextTick:
    """The ticks of a cron expression in a timezone, found as Airflow finds them: croniter
    steps through the zone's wall-clock time, so 03:00 stays 03:00 across DST changes (see
    :func:`_localize` for the times a change skips or repeats). A cron that runs at least every
    hour steps in absolute time instead, so that it neither repeats nor loses an hour."""
    from croniter import croniter

    def next_tick(after: dt.datetime) -> dt.datetime | None:
        local = after.astimezone(tzinfo).replace(tzinfo=None)
        try:
            steps = croniter(cron, local)
            hourly = getattr(steps, "expanded", [[], []])[1] == ["*"]
            for _ in range(4):  # a wall-clock time that a DST change repeats may come out early
                scheduled = steps.get_next(dt.datetime)
                if hourly:
                    tick = (after.astimezone(dt.timezone.utc) + (scheduled - local)).astimezone(
                        tzinfo
                    )
                else:
                    tick = _localize(scheduled, tzinfo)
                if _utc(tick) > _utc(after):
                    return tick
        except (ValueError, TypeError, OverflowError):  # croniter's errors, e.g. no such date
            return None
        return None

    return next_tick


def _localize(wall_clock: dt.datetime, tzinfo: dt.tzinfo) -> dt.datetime:
    """A wall-clock time in a timezone, placed as Airflow places it: a time that a DST change
    skips moves past the change, a time that it repeats is taken the second time."""
    moved = _utc(wall_clock.replace(tzinfo=tzinfo, fold=0)).astimezone(tzinfo)
    if moved.replace(tzinfo=None, fold=0) != wall_clock.replace(fold=0):
        return moved
    return wall_clock.replace(tzinfo=tzinfo, fold=1)


def _delta_ticks(start: dt.datetime, delta: dt.timedelta, tzinfo: dt.tzinfo) -> _NextTick:
    """start, start + delta, start + 2 * delta, ...: counted in absolute time, as Airflow
    does, and shown in the DAG's timezone."""
    origin = start.astimezone(dt.timezone.utc)

    def next_tick(after: dt.datetime) -> dt.datetime | None:
        steps = max(0, (after.astimezone(dt.timezone.utc) - origin) // delta + 1)
        try:
            return (origin + steps * delta).astimezone(tzinfo)
        except OverflowError:
            return None

    return next_tick


def _merged(ticks: Sequence[_NextTick]) -> _NextTick:
    """The ticks of several schedules together."""
    if len(ticks) == 1:
        return ticks[0]

    def next_tick(after: dt.datetime) -> dt.datetime | None:
        found = [tick for tick in (next_of(after) for next_of in ticks) if tick is not None]
        return min(found, key=_utc, default=None)

    return next_tick


def _runs(
    next_tick: _NextTick,
    *,
    now: dt.datetime,
    count: int,
    start: dt.datetime | None = None,
    end: dt.datetime | None = None,
    after: bool = False,
) -> tuple[dt.datetime, ...]:
    """The first ``count`` run times after ``now``: ticks from ``start`` on, and up to
    ``end``. With ``after`` (Airflow 2's data intervals) a run fires at the end of its
    interval: at the tick after the one that opens it."""
    current = now
    if start is not None:
        first = next_tick(start - _JUST_BEFORE)  # the first tick at or after the start
        if first is None:
            return ()
        current = max(current, first if after else start - _JUST_BEFORE, key=_utc)
    limit = end
    if end is not None and after:
        limit = next_tick(end) or end  # the run that closes the last interval opened by `end`
    runs: list[dt.datetime] = []
    while len(runs) < count:
        tick = next_tick(current)
        if tick is None or (limit is not None and _utc(tick) > _utc(limit)):
            break
        runs.append(tick)
        current = tick
    return tuple(runs)


# -- words and names -------------------------------------------------------------------------

_UNITS = (("week", 7 * 86400), ("day", 86400), ("hour", 3600), ("minute", 60))


def _every(delta: dt.timedelta) -> str | None:
    """An interval in plain words: "Every day", "Every 6 hours", "Every 90 seconds"."""
    seconds = delta.total_seconds()
    if seconds <= 0:
        return None
    for unit, size in _UNITS:
        if seconds % size == 0:
            return _every_n(int(seconds // size), unit)
    if seconds == int(seconds):
        return _every_n(int(seconds), "second")
    return f"Every {seconds:g} seconds"


def _every_n(number: int, unit: str) -> str:
    return f"Every {unit}" if number == 1 else f"Every {number} {unit}s"


def _delta_text(delta: dt.timedelta) -> str:
    return f"{delta.total_seconds():g} seconds"


def _zone_name(tzinfo: dt.tzinfo) -> str | None:
    """The name of a timezone: its IANA key when it has one."""
    for attribute in ("key", "zone", "name"):
        name = getattr(tzinfo, attribute, None)
        if isinstance(name, str) and name:
            return name
    if tzinfo.utcoffset(None) == dt.timedelta(0):
        return _UTC
    return tzinfo.tzname(None)


def _utc(moment: dt.datetime) -> dt.datetime:
    """For comparing times: Python compares two times of one zone by their wall clocks, which
    puts the two 02:30s of a night when DST ends on a par."""
    return moment.astimezone(dt.timezone.utc)


def _aware(moment: dt.datetime) -> dt.datetime:
    """A naive ``now`` is taken to be in UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.timezone.utc)
