"""The framework-neutral model of a pipeline: what every rule reads.

Builders (``airflow.py``, later ``prefect.py``) are the only code that walks framework
syntax; they produce these dataclasses. A value the builder could not resolve statically is
an :class:`Unknown`, never a guess, so rules can stay silent on it.
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass(slots=True)
class Span:
    """A source range: 1-based lines and columns, ``end_column`` exclusive (as SARIF wants).

    Builders hand out spans before positions are known and fill them in with one position
    pass at the end of the file (see ``positions.py``), so a span is mutable until then.
    """

    line: int
    column: int
    end_line: int
    end_column: int


@dataclass(frozen=True)
class Unknown:
    """A value that cannot be resolved without running the code; ``text`` is its source."""

    text: str

    def __repr__(self) -> str:
        return f"Unknown({self.text!r})"


@dataclass(frozen=True)
class ObjectValue:
    """An instance of a framework class built from resolvable arguments, such as
    ``Asset("s3://bucket/x")`` or ``CronTriggerTimetable("0 3 * * *", timezone="UTC")``:
    what it is (``qualname``) and how it was written (``text``)."""

    qualname: str
    text: str

    @property
    def name(self) -> str:
        return self.qualname.rsplit(".", 1)[-1]


class WallClock(Unknown):
    """A value read from the clock while the file is parsed (``datetime.now()``,
    ``days_ago(1)``, ``pendulum.today().add(days=-1)``): unknown, and different every parse."""


class Provenance(str, enum.Enum):
    """Where a setting's value came from, most specific first."""

    TASK = "task"  # a keyword on the operator call or TaskFlow call (incl. .override)
    DECORATOR = "decorator"  # a keyword on @task(...) / @dag(...)
    DEFAULT_ARGS = "default_args"  # the DAG's default_args
    DAG = "dag"  # a keyword on DAG(...)
    DEFAULT = "default"  # the framework's documented default
    UNKNOWN = "unknown"  # may have been set somewhere we cannot see (**kwargs, opaque dict)


@dataclass(frozen=True)
class Setting:
    """One setting's value, the source text it came from, its provenance and span."""

    value: Any
    provenance: Provenance
    text: str = ""
    span: Span | None = field(default=None, compare=False)

    @property
    def known(self) -> bool:
        return not isinstance(self.value, Unknown)


class TaskKind(str, enum.Enum):
    PYTHON = "python"
    BASH = "bash"
    SQL = "sql"
    SENSOR = "sensor"
    EMPTY = "empty"
    KUBERNETES = "kubernetes"
    TRIGGER = "trigger"
    OTHER = "other"


@dataclass
class Task:
    """A task of a pipeline: an operator instance or a TaskFlow/decorated callable call."""

    id: str | Unknown
    operator: str  # qualified name of the operator class or decorator, e.g. airflow...BashOperator
    kind: TaskKind
    span: Span
    settings: dict[str, Setting] = field(default_factory=dict)
    group: str | None = None  # id of the innermost task group
    mapped: bool = False  # .expand()/.partial() dynamic task mapping
    callable: str | None = None  # the Python function a python-like task runs, when known
    clock_reads: list[ClockRead] = field(default_factory=list)

    def setting(self, name: str) -> Setting | None:
        return self.settings.get(name)


@dataclass(frozen=True)
class ClockRead:
    """Where task code or a task argument reads the wall clock (``datetime.now()``)."""

    text: str
    span: Span = field(compare=False)
    in_argument: bool = False  # an operator argument: evaluated at every parse of the file


@dataclass(frozen=True)
class Edge:
    upstream: str
    downstream: str
    span: Span | None = field(default=None, compare=False, hash=False)


@dataclass
class TaskGroup:
    id: str
    span: Span
    parent: str | None = None


@dataclass
class Pipeline:
    """A DAG or a flow."""

    framework: str  # "airflow" | "prefect"
    id: str | Unknown
    kind: str  # how it was declared: "dag-constructor", "dag-context", "dag-decorator"
    file: Path
    span: Span
    settings: dict[str, Setting] = field(default_factory=dict)
    tasks: list[Task] = field(default_factory=list)
    edges: list[Edge] = field(default_factory=list)
    groups: list[TaskGroup] = field(default_factory=list)
    # False when some tasks or edges are built by code the static model cannot follow
    # (loops over unknown values, helper functions, ...): rules about the whole graph
    # (orphans, missing tasks) must stay silent then.
    complete: bool = True
    incomplete_reasons: list[str] = field(default_factory=list)
    # The framework's major version whose defaults were applied ("2" or "3" for Airflow).
    framework_version: str = ""

    @property
    def schedule(self) -> Setting | None:
        return self.settings.get("schedule")

    def setting(self, name: str) -> Setting | None:
        return self.settings.get(name)

    def mark_incomplete(self, reason: str) -> None:
        self.complete = False
        if reason not in self.incomplete_reasons:
            self.incomplete_reasons.append(reason)


@dataclass(frozen=True)
class ParseTimeCall:
    """A call made every time the scheduler parses the file: at module level, in DAG or
    operator arguments, or in helpers called from there (never inside task code)."""

    qualname: str
    text: str
    span: Span = field(compare=False)
    pipeline: str | None = None  # the DAG being defined when the call is made, if any


@dataclass(frozen=True)
class HardCodedSecret:
    """A literal that looks like a credential; the model never keeps the secret itself."""

    kind: str  # "keyword" (password="..."), "name" (API_TOKEN = "..."), "uri" (user:pw@host)
    name: str  # the keyword, variable or URI scheme
    span: Span = field(compare=False)


@dataclass
class SourceFile:
    """What the builder learned about one file: its pipelines, its parse-time calls and the
    credential-like literals in code that runs at parse time."""

    path: Path
    pipelines: list[Pipeline] = field(default_factory=list)
    parse_time_calls: list[ParseTimeCall] = field(default_factory=list)
    secrets: list[HardCodedSecret] = field(default_factory=list)
    # Modules imported at module level (so at every parse), with where: name → span.
    top_level_imports: list[tuple[str, Span]] = field(default_factory=list)


def to_jsonable(value: Any) -> Any:
    """Render a model value for JSON output (timedelta as seconds, datetimes as ISO)."""
    if isinstance(value, WallClock):
        return {"unknown": value.text, "wall_clock": True}
    if isinstance(value, Unknown):
        return {"unknown": value.text}
    if isinstance(value, ObjectValue):
        return {"object": value.qualname, "text": value.text}
    if isinstance(value, dt.timedelta):
        return {"timedelta_seconds": value.total_seconds()}
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, list | tuple | set | frozenset):
        items = [to_jsonable(v) for v in value]
        return sorted(items, key=repr) if isinstance(value, set | frozenset) else items
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, enum.Enum):
        return value.value
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return repr(value)
