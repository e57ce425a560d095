"""The framework-neutral model of a pipeline: what every rule reads.

Builders (``airflow.py``, ``prefect.py``) are the only code that walks framework
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


@dataclass(frozen=True)
class FunctionRef:
    """A function given as a value (a hook, a cache_key_fn): its name as written."""

    name: str


class WallClock(Unknown):
    """A value read from the clock while the file is parsed (``datetime.now()``,
    ``days_ago(1)``, ``pendulum.today().add(days=-1)``): unknown, and different every parse."""


class Provenance(str, enum.Enum):
    """Where a setting's value came from, most specific first."""

    TASK = "task"  # a keyword on the operator call or TaskFlow call (incl. .override)
    DECORATOR = "decorator"  # a keyword on @task(...) / @dag(...) / @flow(...) / .with_options
    CONTEXT = "context"  # a context manager around the call (Prefect's `with tags(...)`)
    DEPLOYMENT = "deployment"  # a Prefect deployment's own keyword or prefect.yaml field
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
    # Which engine resolved the value: "static" (read from the source), "dagbag" (Airflow
    # loaded the DAG) or "import" (Prefect's objects, imported).
    origin: str = field(default="static", compare=False)

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
    FLOW = "flow"  # a Prefect subflow called inside its parent flow
    OTHER = "other"


@dataclass
class Task:
    """A task of a pipeline: an operator instance or a TaskFlow/decorated callable call; in
    Prefect, one call of a task (or subflow) inside the flow's body."""

    id: str | Unknown
    operator: str  # qualified name of the operator class or decorator, e.g. airflow...BashOperator
    kind: TaskKind
    span: Span
    settings: dict[str, Setting] = field(default_factory=dict)
    group: str | None = None  # id of the innermost task group
    mapped: bool = False  # .expand()/.partial() dynamic task mapping
    callable: str | None = None  # the Python function a python-like task runs, when known
    clock_reads: list[ClockRead] = field(default_factory=list)
    # Where the task is defined when that is not where it is used: a Prefect @task's
    # decorator, shared by every call of the task, where its settings are written.
    definition: Span | None = None
    # What the task's code writes (Prefect task bodies): files, tables, HTTP uploads, ...
    writes: list[Write] = field(default_factory=list)
    # Prefect: run_deployment(...) calls in the task's code, and whether each is keyed.
    deployment_runs: list[DeploymentRun] = field(default_factory=list)
    # Whether the task's code may reach outside its process (network, files, a database,
    # code the model cannot see). False when it only computes, prints, logs or sleeps: such a
    # task cannot fail transiently or hang on a dependency. Operators always may.
    reaches_out: bool = True
    # Whether it may wait for ever on the outside: it reaches out through a call given no
    # timeout= (every requests, subprocess or client call with one gives up by itself).
    may_hang: bool = True
    # The task's Python is one try whose handler catches every exception and never
    # re-raises: its work can fail while the task succeeds (a retry never runs).
    swallows_failures: bool = False
    # Prefect: a task defined in another file of the tree, as "path:name". Its findings are
    # its definition's: reported once for the run, at the first call, not once per flow.
    origin: str | None = None
    # Airflow: the function of another module of the tree ("path:name") whose code creates
    # the task (an imported @task or operator factory). The task's span is the call here
    # that reaches it; its syntax is elsewhere, so fixes leave it alone.
    created_in: str | None = None

    def setting(self, name: str) -> Setting | None:
        return self.settings.get(name)


@dataclass(frozen=True)
class ClockRead:
    """Where task code or a task argument reads the wall clock (``datetime.now()``)."""

    text: str
    span: Span = field(compare=False)
    in_argument: bool = False  # an operator argument: evaluated at every parse of the file


@dataclass(frozen=True)
class Write:
    """A write in task code, which a retry repeats (``df.to_sql(...)``, ``open(p, "a")``,
    ``requests.post(...)``, an ``INSERT`` statement, an upload)."""

    text: str
    span: Span = field(compare=False)
    # Repeating it changes nothing: an overwrite (open(p, "w"), a file or object written to
    # one path, to_sql(if_exists="replace"), HTTP PUT), an upsert (MERGE, ON CONFLICT), or a
    # write inside `with transaction(key=...)`.
    repeatable: bool = False


@dataclass(frozen=True)
class DeploymentRun:
    """A ``run_deployment(...)`` call in flow or task code."""

    text: str
    span: Span = field(compare=False)
    has_idempotency_key: bool = False


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


@dataclass(frozen=True)
class TargetVersion:
    """The framework version a file's rules apply, and what says so."""

    framework: str  # "airflow" | "prefect"
    major: str  # "2" | "3": whose defaults and API apply
    version: str  # as exact as the source says: "2.9.3", or "2"
    # Where it comes from: a project file ("requirements.txt"), "target-airflow" (the
    # setting), "installed", "code", or "assumed" when nothing says.
    source: str
    evidence: str = ""  # what the source says: "apache-airflow==2.9.3", "imports airflow.sdk"

    @property
    def assumed(self) -> bool:
        return self.source == "assumed"

    def describe(self) -> str:
        """``Airflow 2.9.3 (requirements.txt: apache-airflow==2.9.3)``."""
        name = self.framework.capitalize()
        if self.assumed:
            return f"{name} {self.version} (assumed: nothing in the project says which)"
        why = f"{self.source}: {self.evidence}" if self.evidence else self.source
        return f"{name} {self.version} ({why})"


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
    # The framework's major version whose defaults were applied ("2" or "3"), and why.
    framework_version: str = ""
    target: TargetVersion | None = None
    # Airflow: the file imports airflow.sdk, which Airflow 2 does not have, so the DAG runs
    # only on Airflow 3 whatever the project pins.
    uses_airflow_3_api: bool = False
    # Nothing in the checked tree starts it: schedule=None (Airflow) or only unscheduled
    # deployments without triggers (Prefect), and no other code names it (a
    # TriggerDagRunOperator, a REST call, run_deployment). Set once every file is read.
    run_by_hand: bool = False
    # Prefect: the deployments that run this flow (in code or in prefect.yaml).
    deployments: list[Deployment] = field(default_factory=list)
    # Prefect: the module-level name of the flow object, which a prefect.yaml entrypoint
    # (`flows/etl.py:name`) names: the function's name for an @flow function.
    entrypoint_name: str | None = None
    # Prefect: clock reads and run_deployment calls in the flow's own body.
    clock_reads: list[ClockRead] = field(default_factory=list)
    deployment_runs: list[DeploymentRun] = field(default_factory=list)
    # Prefect: whether the flow's own body (besides calling its tasks) may reach outside.
    reaches_out: bool = True
    # Airflow: DAG arguments written in default_args, where Airflow ignores them: (name, span).
    misplaced_dag_arguments: list[tuple[str, Span]] = field(default_factory=list)

    @property
    def schedule(self) -> Setting | None:
        return self.settings.get("schedule")

    @property
    def runs_only_when_triggered(self) -> bool:
        """Whether the DAG is known to have no schedule (``schedule=None``): a person, an API
        call or another DAG starts each run."""
        schedule = self.schedule
        return schedule is not None and schedule.known and schedule.value is None

    def setting(self, name: str) -> Setting | None:
        return self.settings.get(name)

    def mark_incomplete(self, reason: str) -> None:
        self.complete = False
        if reason not in self.incomplete_reasons:
            self.incomplete_reasons.append(reason)


@dataclass(frozen=True)
class Schedule:
    """One schedule of a deployment: exactly one of a cron string, an interval or an rrule."""

    kind: str  # "cron" | "interval" | "rrule"
    value: Any  # the cron or rrule text, the interval (seconds or timedelta), or Unknown
    timezone: Any  # None when not given (Prefect then uses UTC), or Unknown
    span: Span = field(compare=False)


@dataclass
class Deployment:
    """A Prefect deployment: ``flow.serve(...)``, ``flow.deploy(...)``,
    ``flow.to_deployment(...)`` or an entry of ``deployments:`` in prefect.yaml."""

    name: str | Unknown | None  # None: an unnamed template entry (`name: null`)
    source: str  # "serve" | "deploy" | "to_deployment" | "prefect.yaml"
    file: Path
    span: Span
    # The module-level name of the flow it runs (see Pipeline.entrypoint_name), when known.
    entrypoint_name: str | None = None
    # "flows/etl.py:etl", relative to the deployment's folder: from prefect.yaml, or for a
    # flow imported from another file.
    entrypoint: str | None = None
    schedules: list[Schedule] | Unknown = field(default_factory=list)
    # tags, concurrency_limit, sla, paused, work_pool ... with their spans.
    settings: dict[str, Setting] = field(default_factory=dict)
    # The pipeline id of the flow it runs, once linked (same file, or through entrypoint).
    pipeline: str | None = None

    def setting(self, name: str) -> Setting | None:
        return self.settings.get(name)


@dataclass
class Definition:
    """A declared Prefect flow or task, whether or not any flow calls it: the keywords its
    decorator, ``Flow(...)``/``Task(...)`` call or ``.with_options`` copy writes."""

    kind: str  # "flow" | "task"
    name: str | Unknown
    span: Span
    settings: dict[str, Setting] = field(default_factory=dict)  # as written, nothing inferred
    framework_version: str = "3"  # the Prefect major version whose API applies
    # "decorator", "call" (task(fn)), "class" (Task(fn, ...)) or "with_options" (a copy)
    declared_as: str = "decorator"


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

    # "keyword" (password="..."), "name" (API_TOKEN = "..."), "uri" (user:pw@host), "token"
    # (known by its shape: "Bearer eyJ...", an AWS access key id)
    kind: str
    name: str  # the keyword, variable or URI scheme, or what the token is
    span: Span = field(compare=False)
    # Where the secret itself is written, as (start, end) offsets from the start of ``span``:
    # outputs read those characters back from the file to mask them wherever they show.
    parts: tuple[tuple[int, int], ...] = field(default=(), compare=False)


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
    deployments: list[Deployment] = field(default_factory=list)
    definitions: list[Definition] = field(default_factory=list)
    framework: str = "airflow"  # whose messages fit the file: "airflow" | "prefect"
    # Framework APIs used in the file that its target version no longer has, such as
    # Prefect 2's Deployment.build_from_flow on Prefect 3: (qualified name, span).
    removed_api_uses: list[tuple[str, Span]] = field(default_factory=list)
    # Where the file shows it is Prefect 1 code (``with Flow(...)``, prefect.triggers), whose
    # API the Prefect 2 and 3 model does not describe: its flows are not modelled.
    prefect_1: Span | None = None
    # The version the file was read for, by framework (what its file rules depend on).
    targets: dict[str, TargetVersion] = field(default_factory=dict)
    # Module-level code that may make DAGs and was not followed (DAGs generated at import
    # from files, a database, an API): the file may define DAGs the model does not show.
    incomplete_reasons: list[str] = field(default_factory=list)


def to_jsonable(value: Any) -> Any:
    """Render a model value for JSON output (timedelta as seconds, datetimes as ISO)."""
    if isinstance(value, WallClock):
        return {"unknown": value.text, "wall_clock": True}
    if isinstance(value, Unknown):
        return {"unknown": value.text}
    if isinstance(value, ObjectValue):
        return {"object": value.qualname, "text": value.text}
    if isinstance(value, FunctionRef):
        return {"function": value.name}
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
