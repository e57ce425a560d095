"""The Prefect builder: reads a flow file's syntax and produces :class:`Pipeline` models.

The module's top level is interpreted first, as an import would run it (``if __name__ ==
"__main__":`` included, since deployments are declared there): ``@flow``/``@task`` in every
form, ``Flow(...)``/``Task(...)``, ``.with_options`` copies, hooks attached as decorators and
deployments. Then each flow's body is interpreted the way Prefect runs it, with the module's
final names and unknown parameters: every task or subflow called there is a task of the
pipeline, and data passed between calls (or ``wait_for=``) is an edge. Branches on unknown
values are both taken (either may run); loops over unknown values are walked once and mark
the pipeline incomplete. Nothing is guessed: what cannot be resolved is :class:`Unknown`.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import os
import re
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import libcst as cst

from dagcheck.model.code import (
    CLOCK_WORDS,
    URI_WITH_PASSWORD,
    BodyJudgement,
    ClockReadFinder,
    Helpers,
    call_is_bounded,
    call_stays_inside,
    is_placeholder,
    literal_parts,
    looks_like_secret,
    swallows_failures,
)
from dagcheck.model.pipeline import (
    ClockRead,
    Definition,
    Deployment,
    DeploymentRun,
    Edge,
    FunctionRef,
    HardCodedSecret,
    ObjectValue,
    Pipeline,
    Provenance,
    Schedule,
    Setting,
    SourceFile,
    Span,
    TargetVersion,
    Task,
    TaskKind,
    Unknown,
    WallClock,
    Write,
)
from dagcheck.model.positions import SpanTable
from dagcheck.model.values import (
    Evaluator,
    ImportedName,
    ModuleConstants,
    NameFinder,
    Scope,
    Walker,
    bind_import,
    code_of,
    contains_call,
    literal_value,
    qualname_in,
)

# -- what Prefect names mean ----------------------------------------------------------------

_FLOW_DECORATORS = {"prefect.flow", "prefect.flows.flow"}
_TASK_DECORATORS = {"prefect.task", "prefect.tasks.task"}
_FLOW_CLASSES = {"prefect.Flow", "prefect.flows.Flow"}
_TASK_CLASSES = {"prefect.Task", "prefect.tasks.Task"}
_TAGS = {"prefect.tags", "prefect.context.tags"}
# Wrappers that change how a value is passed to a task, not which task it comes from.
_ANNOTATIONS = {
    "prefect.unmapped",
    "prefect.allow_failure",
    "prefect.quote",
    "prefect.utilities.annotations.unmapped",
    "prefect.utilities.annotations.allow_failure",
    "prefect.utilities.annotations.quote",
}
_TRANSACTION = {"prefect.transaction", "prefect.transactions.transaction"}
_RUN_DEPLOYMENT = {
    "prefect.deployments.run_deployment",
    "prefect.deployments.flow_runs.run_deployment",
}
_EXPONENTIAL_BACKOFF = {"prefect.tasks.exponential_backoff"}
_SCHEDULE_CLASSES = {
    "prefect.schedules.Cron": "cron",
    "prefect.schedules.Interval": "interval",
    "prefect.schedules.RRule": "rrule",
    "prefect.client.schemas.schedules.CronSchedule": "cron",
    "prefect.client.schemas.schedules.IntervalSchedule": "interval",
    "prefect.client.schemas.schedules.RRuleSchedule": "rrule",
    "prefect.server.schemas.schedules.CronSchedule": "cron",
    "prefect.server.schemas.schedules.IntervalSchedule": "interval",
    "prefect.server.schemas.schedules.RRuleSchedule": "rrule",
}
# Libraries whose functions are not Prefect tasks or flows: a flow calling one of them calls no
# task dagcheck cannot see. Anything else imported from outside the scanned files may be one.
_LIBRARIES = frozenset(sys.stdlib_module_names) | {
    "prefect", "pandas", "numpy", "polars", "pyarrow", "duckdb", "requests", "httpx",
    "aiohttp", "urllib3", "boto3", "botocore", "s3fs", "gcsfs", "fsspec", "sqlalchemy",
    "psycopg", "psycopg2", "pymysql", "snowflake", "google", "azure", "pydantic", "yaml",
    "dateutil", "pendulum", "pytz", "bs4", "lxml", "openai", "slack_sdk", "sklearn", "scipy",
    "matplotlib", "redis", "jinja2", "click", "typer", "rich", "tenacity", "dotenv",
}  # fmt: skip
_CACHE_POLICIES = {"DEFAULT", "INPUTS", "TASK_SOURCE", "FLOW_PARAMETERS", "RUN_ID", "NO_CACHE"}
# Prefect 2 APIs that Prefect 3 removed, with what replaces them.
REMOVED_IN_PREFECT_3 = {
    "prefect.deployments.Deployment": "flow.deploy(...) or flow.to_deployment(...)",
    "prefect.deployments.deployments.Deployment": "flow.deploy(...) or flow.to_deployment(...)",
    "prefect.orion": "the same names under prefect.server / prefect.client",
}

# The keywords each decorator accepts (any other is a TypeError at import), per major version.
FLOW_KEYWORDS = frozenset(
    {
        "name", "version", "flow_run_name", "retries", "retry_delay_seconds", "task_runner",
        "description", "timeout_seconds", "validate_parameters", "persist_result",
        "result_storage", "result_serializer", "cache_result_in_memory", "log_prints",
        "on_completion", "on_failure", "on_cancellation", "on_crashed", "on_running",
    }
)  # fmt: skip
_TASK_KEYWORDS_2 = frozenset(
    {
        "name", "description", "tags", "version", "cache_key_fn", "cache_expiration",
        "task_run_name", "retries", "retry_delay_seconds", "retry_jitter_factor",
        "persist_result", "result_storage", "result_storage_key", "result_serializer",
        "cache_result_in_memory", "timeout_seconds", "log_prints", "refresh_cache",
        "on_completion", "on_failure", "retry_condition_fn", "viz_return_value",
    }
)  # fmt: skip
TASK_KEYWORDS = {
    "2": _TASK_KEYWORDS_2,
    "3": _TASK_KEYWORDS_2 | {"cache_policy", "on_running", "asset_deps"},
}
# Task(fn, ...) also takes the transaction hooks that the @task decorator refuses.
TASK_CLASS_KEYWORDS = {
    "2": TASK_KEYWORDS["2"],
    "3": TASK_KEYWORDS["3"] | {"on_commit", "on_rollback"},
}
HOOKS = ("on_failure", "on_completion", "on_crashed", "on_cancellation", "on_running")
TASK_HOOKS = ("on_failure", "on_completion", "on_running", "on_commit", "on_rollback")

# Settings with Prefect's defaults (PREFECT_*_DEFAULT_RETRIES and friends are 0).
_COMMON_DEFAULTS: dict[str, Any] = {
    "retries": 0,
    "retry_delay_seconds": 0,
    "timeout_seconds": None,
    "persist_result": None,
    "result_storage": None,
    "log_prints": None,
    "on_failure": [],
    "on_completion": [],
    "on_running": [],
}
_FLOW_DEFAULTS: dict[str, Any] = {
    **_COMMON_DEFAULTS,
    "on_crashed": [],
    "on_cancellation": [],
    "version": None,
}
_TASK_DEFAULTS: dict[str, dict[str, Any]] = {
    "2": {
        **{k: v for k, v in _COMMON_DEFAULTS.items() if k != "on_running"},
        "retry_jitter_factor": None,
        "tags": [],
        "cache_key_fn": None,
        "cache_expiration": None,
    },
    "3": {
        **_COMMON_DEFAULTS,
        "retry_jitter_factor": None,
        "tags": [],
        "cache_policy": "DEFAULT",
        "cache_key_fn": None,
        "cache_expiration": None,
        "on_commit": [],
        "on_rollback": [],
    },
}
_FUNCTION_KEYWORDS = {*HOOKS, *TASK_HOOKS, "cache_key_fn", "retry_condition_fn"}
_DEPLOYMENT_METHODS = {"serve", "deploy", "to_deployment"}
_DEPLOYMENT_SETTINGS = (
    "tags", "concurrency_limit", "global_limit", "paused", "_sla", "sla", "triggers",
)  # fmt: skip
_MAX_CALL_DEPTH = 8

# Writes by method name, on any receiver: those that replace what is at their target (a file,
# an object key) are repeatable; appends and inserts are not.
_OVERWRITES = {
    "to_parquet", "to_csv", "to_json", "to_excel", "to_feather", "write_text", "write_bytes",
    "upload_file", "upload_fileobj", "put_object", "upload", "upload_blob",
    "upload_from_filename", "upload_from_string",
}  # fmt: skip
_APPENDS = {"to_sql", "insert_rows", "insert_rows_json"}
# HTTP verbs on clients: PUT replaces, POST and PATCH act again.
_HTTP_WRITES = {"post": False, "put": True, "patch": False}
_HTTP_CLIENT = re.compile(r"(?:^|\.)(?:requests|httpx)$|client|session|http|api", re.IGNORECASE)
# Calls that stay inside the process: computation, printing, logging and sleeping.
# Words without which a file holds no credential-like literal: files without them are not
# searched.
_SECRET_HINT = re.compile(
    r"passw|secret|token|api_?key|access_?key|private_?key|://", re.IGNORECASE
)
_INSERT = re.compile(r"\binsert\s+into\b", re.IGNORECASE)
_DELETE = re.compile(r"\bdelete\s+from\b", re.IGNORECASE)
# An HTTP API that deduplicates retried requests by a key the client sends.
_IDEMPOTENCY_HEADER = re.compile(r"idempotency[-_]?key", re.IGNORECASE)
# What makes a write safe to repeat: an upsert, an overwrite, or a merge.
_REPEATABLE_SQL = re.compile(
    r"\bmerge\b|\bon\s+conflict\b|\bon\s+duplicate\s+key\b|\binsert\s+overwrite\b"
    r"|\breplace\s+into\b|\bupsert\b",
    re.IGNORECASE,
)


# -- builder-side values --------------------------------------------------------------------


@dataclass(eq=False)
class _Function:
    node: cst.FunctionDef
    scope: Scope


@dataclass(eq=False)
class _Declared:
    """A flow or task object: the function it wraps and the keywords that configure it."""

    kind: str  # "flow" | "task"
    function: _Function
    keywords: dict[str, tuple[Any, cst.CSTNode]]
    node: cst.CSTNode  # the decorator, the Flow(...)/Task(...) call or the .with_options call
    declared_as: str  # "decorator" | "call" (task(fn)) | "class" (Task(fn)) | "with_options"
    hooks: dict[str, list[tuple[FunctionRef, cst.CSTNode]]] = field(default_factory=dict)
    opaque: bool = False
    settings: dict[str, Setting] = field(default_factory=dict)  # as written, with their spans
    own_keywords: frozenset[str] = frozenset()  # a .with_options copy: the keywords it adds
    # A flow called at module level inside `with tags(...)`: those tags, and the call.
    run_tags: list[tuple[list[Any], cst.Call]] = field(default_factory=list)
    # Declared in another module of the scanned tree and imported: its settings are known,
    # but where they are written is in that file, not this one. That file and the name.
    foreign: bool = False
    origin: tuple[Path, str] | None = None
    # What this declaration itself writes (not a .with_options copy's inherited keywords).
    definition: Definition | None = None

    @property
    def function_name(self) -> str:
        return self.function.node.name.value

    def copy_with(self, keywords: dict[str, tuple[Any, cst.CSTNode]], node: cst.Call) -> _Declared:
        hooks = {name: list(refs) for name, refs in self.hooks.items() if name not in keywords}
        copy = _Declared(
            self.kind,
            self.function,
            {**self.keywords, **keywords},
            node,
            "with_options",
            hooks,
            self.opaque,
        )
        copy.own_keywords = frozenset(keywords)
        return copy


@dataclass(frozen=True)
class _Decorator:
    """``flow(...)`` / ``task(...)`` called with keywords only: a decorator still to apply."""

    kind: str
    keywords: dict[str, tuple[Any, cst.CSTNode]]
    node: cst.CSTNode
    opaque: bool


@dataclass(frozen=True)
class _Method:
    owner: Any
    name: str


@dataclass(frozen=True)
class _Future:
    """What calling a task returns inside a flow: its result, a future, or mapped futures."""

    task: Task


@dataclass(frozen=True)
class _Derived:
    """A value computed from task results: unknown, but downstream of those tasks."""

    tasks: tuple[Task, ...]
    text: str


@dataclass(frozen=True)
class _Tags:
    values: tuple[Any, ...]


@dataclass(frozen=True)
class _CachePolicy:
    names: tuple[str, ...]


@dataclass(frozen=True)
class _ScheduleValue:
    schedule: Schedule


@dataclass(frozen=True)
class _DeploymentValue:
    deployment: Deployment


class _Return(Exception):
    def __init__(self, value: Any) -> None:
        self.value = value


class _Break(Exception):
    pass


class _Continue(Exception):
    pass


@dataclass
class _FlowRun:
    """The flow whose body is being interpreted."""

    declared: _Declared
    pipeline: Pipeline
    calls: dict[str, int] = field(default_factory=dict)
    tags: list[tuple[Any, ...]] = field(default_factory=list)


# -- entry ----------------------------------------------------------------------------------


def build_prefect_pipelines(
    path: Path,
    module: cst.Module,
    source: str,
    spans: SpanTable,
    constants: ModuleConstants,
    *,
    package: str | None,
    target_prefect: str | TargetVersion = "auto",
) -> SourceFile:
    prefect_1 = _prefect_1_line(source)
    if prefect_1 is not None:
        line, width = prefect_1
        return SourceFile(path, framework="prefect", prefect_1=Span(line, 1, line, width + 1))
    target = prefect_target(target_prefect)
    builder = _Builder(path, spans, constants, package, target.major)
    builder.target = target
    builder.reads_clock = CLOCK_WORDS.search(source) is not None
    builder.source = source
    builder.run(module)
    return SourceFile(
        path,
        builder.pipelines,
        secrets=builder.secrets,
        deployments=builder.deployments,
        definitions=[d.definition for d in builder.declared if d.definition is not None],
        framework="prefect",
        removed_api_uses=builder.removed_api_uses,
        targets={"prefect": target},
    )


# What only Prefect 1 code writes: a flow built in a ``with Flow(...)`` block, and modules
# Prefect 2 and 3 do not have (``prefect.tasks`` is a module there, not a package).
_PREFECT_1 = re.compile(
    r"^[ \t]*(?:with[ \t]+(?:prefect\.)?Flow\("
    r"|(?:from|import)[ \t]+prefect\.(?:run_configs|storage|triggers|backend|executors"
    r"|engine\.(?:state|signals|results)|schedules\.clocks|utilities\.(?:notifications|edges)"
    r"|tasks\.\w+)\b)",
    re.MULTILINE,
)


def _prefect_1_line(source: str) -> tuple[int, int] | None:
    """The line (and its width) that shows ``source`` is Prefect 1 code, if one does."""
    match = _PREFECT_1.search(source)
    if match is None:
        return None
    start = source.rfind("\n", 0, match.start()) + 1
    end = source.find("\n", match.start())
    return source.count("\n", 0, match.start()) + 1, (end if end >= 0 else len(source)) - start


def prefect_target(requested: str | TargetVersion) -> TargetVersion:
    """The project's pin (or the setting), else the installed Prefect, else 3, assumed."""
    if isinstance(requested, TargetVersion):
        return requested
    if requested in ("2", "3"):
        return TargetVersion("prefect", requested, requested, "target-prefect")
    installed = installed_prefect_version()
    if installed is not None:
        return TargetVersion("prefect", installed.split(".")[0], installed, "installed")
    return TargetVersion("prefect", "3", "3", "assumed")


@functools.lru_cache(maxsize=1)
def installed_prefect_version() -> str | None:
    """The installed Prefect 2 or 3's version, read from package metadata (never imported)."""
    from importlib import metadata

    try:
        version = metadata.version("prefect")
    except metadata.PackageNotFoundError:
        return None
    return version if version.split(".")[0] in ("2", "3") else None


class _Builder(Evaluator):
    def __init__(
        self,
        path: Path,
        spans: SpanTable,
        constants: ModuleConstants,
        package: str | None,
        version: str,
    ) -> None:
        super().__init__(Scope(), constants)
        self.path = path
        self.spans = spans
        self.package = package
        self.version = version
        self.target = TargetVersion("prefect", version, version, "target-prefect")
        self.declared: list[_Declared] = []
        self.pipelines: list[Pipeline] = []
        self.deployments: list[Deployment] = []
        self.secrets: list[HardCodedSecret] = []
        self.removed_api_uses: list[tuple[str, Span]] = []
        self.flow_run: _FlowRun | None = None
        self.call_depth = 0
        self.reads_clock = True
        self._body_facts: dict[cst.FunctionDef, _BodyFacts] = {}
        self.helpers = Helpers(self.helper_function)
        self._deployed_flows: list[tuple[Deployment, _Declared]] = []
        self.source = ""
        self.module_tags: list[tuple[Any, ...]] = []
        # Returns and breaks in code that may not run (see exec_maybe), so far.
        self.uncertain_exits = 0

    def run(self, module: cst.Module) -> None:
        self.scope.bind("__file__", self.path.as_posix())
        # Deployments are declared under `if __name__ == "__main__":`: run it.
        self.scope.bind("__name__", "__main__")
        self.exec_block(module.body)
        if _SECRET_HINT.search(self.source):
            _SecretFinder(self).walk(module)
        # The first module-level name of each flow object: what entrypoints name.
        bound = {id(v): name for name, v in reversed(self.scope.names.items())}
        built: dict[int, Pipeline] = {}
        for declared in self.declared:
            if declared.kind == "flow":
                pipeline = self.build_flow(declared)
                pipeline.entrypoint_name = bound.get(id(declared), declared.function_name)
                built[id(declared)] = pipeline
                self.pipelines.append(pipeline)
        for deployment, flow in self._deployed_flows:
            if flow.origin is not None:  # a flow imported from another file: link it there
                path, name = flow.origin
                relative = os.path.relpath(path, self.path.parent)
                deployment.entrypoint = f"{Path(relative).as_posix()}:{name}"
                continue
            pipeline = built[id(flow)]
            deployment.pipeline = pipeline.id if isinstance(pipeline.id, str) else None
            deployment.entrypoint_name = pipeline.entrypoint_name
            pipeline.deployments.append(deployment)

    # -- statements ---------------------------------------------------------------------

    def exec_block(self, statements: Any) -> None:
        for statement in statements:
            self.exec_statement(statement)

    def exec_statement(self, statement: cst.CSTNode) -> None:
        if isinstance(statement, cst.SimpleStatementLine):
            for small in statement.body:
                self.exec_small(small)
        elif isinstance(statement, cst.FunctionDef):
            self.define_function(statement)
        elif isinstance(statement, cst.With):
            self.exec_with(statement)
        elif isinstance(statement, cst.If):
            self.exec_if(statement)
        elif isinstance(statement, cst.For):
            self.exec_for(statement)
        elif isinstance(statement, cst.While):
            self.exec_unknown_loop(statement, code_of(statement.test))
        elif isinstance(statement, cst.Try | cst.TryStar):
            self.exec_block(statement.body.body)
            for handler in statement.handlers:  # an exception path may run other tasks
                self.exec_maybe(handler.body.body)
            for tail in (statement.orelse, statement.finalbody):
                if tail is not None:
                    self.exec_block(tail.body.body)
        elif isinstance(statement, cst.ClassDef):
            self.scope.bind(statement.name.value, Unknown(statement.name.value))
        elif contains_call(statement):
            self.unfollowed(f"a `{type(statement).__name__.lower()}` block")

    def exec_small(self, small: cst.BaseSmallStatement) -> None:
        if isinstance(small, cst.Expr):
            self.evaluate(small.value)
        elif isinstance(small, cst.Assign):
            value = self.evaluate(small.value)
            for target in small.targets:
                self.assign(target.target, value)
        elif isinstance(small, cst.AnnAssign):
            if small.value is not None:
                self.assign(small.target, self.evaluate(small.value))
        elif isinstance(small, cst.AugAssign):
            value = self.evaluate(small.value)
            if isinstance(small.target, cst.Name):
                previous = self.scope.lookup(small.target.value)
                tasks = (*_tasks_in(previous), *_tasks_in(value))
                text = code_of(small.target)
                self.scope.bind(text, _Derived(tasks, text) if tasks else Unknown(text))
        elif isinstance(small, cst.Import | cst.ImportFrom):
            bind_import(self.scope, small, self.package)
            self.note_removed_imports(small)
        elif isinstance(small, cst.Return):
            raise _Return(self.evaluate(small.value) if small.value is not None else None)
        elif isinstance(small, cst.Break):
            raise _Break
        elif isinstance(small, cst.Continue):
            raise _Continue

    def note_removed_imports(self, node: cst.Import | cst.ImportFrom) -> None:
        if self.version != "3":
            return
        if isinstance(node, cst.Import):
            names = [code_of(alias.name) for alias in node.names]
        else:
            module = code_of(node.module) if node.module is not None else ""
            if isinstance(node.names, cst.ImportStar):
                names = [module]
            else:
                names = [f"{module}.{code_of(alias.name)}" for alias in node.names]
        for name in names:
            removed = next(
                (r for r in REMOVED_IN_PREFECT_3 if name == r or name.startswith(f"{r}.")), None
            )
            if removed is not None:
                self.removed_api_uses.append((name, self.spans.span(node)))

    def define_function(self, node: cst.FunctionDef) -> None:
        value: Any = _Function(node, self.scope)
        for decorator in reversed(node.decorators):
            value = self.apply_decorator(decorator.decorator, value)
        self.scope.bind(node.name.value, value)

    def apply_decorator(self, expression: cst.BaseExpression, target: Any) -> Any:
        decorator = self.evaluate(expression)
        if isinstance(decorator, ImportedName) and isinstance(target, _Function):
            kind = _declared_kind(decorator.qualname)
            if kind is not None:
                return self.declare(kind, target, {}, expression, "decorator", opaque=False)
        if isinstance(decorator, _Decorator) and isinstance(target, _Function):
            keywords, node = decorator.keywords, decorator.node
            return self.declare(
                decorator.kind, target, keywords, node, "decorator", opaque=decorator.opaque
            )
        if isinstance(decorator, _Method) and isinstance(decorator.owner, _Declared):
            # @my_flow.on_failure: Prefect adds the function to the hooks and returns it.
            owner, name = decorator.owner, decorator.name
            if name in (*HOOKS, *TASK_HOOKS) and isinstance(target, _Function):
                ref = FunctionRef(target.node.name.value)
                owner.hooks.setdefault(name, []).append((ref, expression))
                owner.settings[name] = self.hook_setting(owner, name)
                if owner.definition is not None:
                    owner.definition.settings[name] = owner.settings[name]
        return target

    def exec_with(self, statement: cst.With) -> None:
        # Tags for the runs started inside: a flow body's task and subflow runs, or at module
        # level (under __main__) the flow runs themselves.
        tags = self.flow_run.tags if self.flow_run is not None else self.module_tags
        pushed = 0
        for item in statement.items:
            value = self.evaluate(item.item)
            if isinstance(value, _Tags):
                tags.append(value.values)
                pushed += 1
            if item.asname is not None:
                self.assign(item.asname.name, value)
        try:
            self.exec_block(statement.body.body)
        finally:
            if pushed:
                del tags[-pushed:]

    def exec_if(self, statement: cst.If) -> None:
        condition = self.evaluate(statement.test)
        if isinstance(condition, Unknown | ImportedName | _Derived | _Future):
            # Either branch may run: both declare what they hold.
            self.exec_maybe(statement.body.body)
            if isinstance(statement.orelse, cst.If):
                self.exec_if(statement.orelse)
            elif statement.orelse is not None:
                self.exec_maybe(statement.orelse.body.body)
            return
        if condition:
            self.exec_block(statement.body.body)
        elif isinstance(statement.orelse, cst.If):
            self.exec_if(statement.orelse)
        elif statement.orelse is not None:
            self.exec_block(statement.orelse.body.body)

    def exec_maybe(self, statements: Any) -> None:
        """Statements that may or may not run: a `return` (or `break`) among them may not
        happen either, so what follows them still runs, as it does when they are skipped."""
        try:
            self.exec_block(statements)
        except (_Return, _Break, _Continue):
            self.uncertain_exits += 1

    def exec_for(self, statement: cst.For) -> None:
        iterated = self.evaluate(statement.iter)
        items = self.iteration_values(iterated)
        if items is None:
            self.assign(statement.target, _with_tasks(_tasks_in(iterated), statement.iter))
            self.exec_unknown_loop(statement, code_of(statement.iter))
            return
        for item in items:
            self.assign(statement.target, item)
            try:
                self.exec_block(statement.body.body)
            except _Continue:
                continue
            except _Break:
                return
        if statement.orelse is not None:
            self.exec_block(statement.orelse.body.body)

    def exec_unknown_loop(self, statement: cst.For | cst.While, what: str) -> None:
        """A loop over values we cannot see: its body runs an unknown number of times, so
        the tasks it calls are seen once and the flow's graph is incomplete."""
        run = self.flow_run
        before = len(run.pipeline.tasks) if run is not None else 0
        with contextlib.suppress(_Break, _Continue):
            self.exec_block(statement.body.body)
        if run is not None and len(run.pipeline.tasks) != before:
            self.unfollowed(f"a loop over `{what}`")

    def unfollowed(self, what: str) -> None:
        if self.flow_run is not None:
            self.flow_run.pipeline.mark_incomplete(f"{what} is not followed statically")

    # -- expressions --------------------------------------------------------------------

    def evaluate(self, node: cst.BaseExpression) -> Any:
        run = self.flow_run
        created_before = len(run.pipeline.tasks) if run is not None else 0
        value = super().evaluate(node)
        if run is not None and type(value) is Unknown:
            # An expression over task results (called here, or held in variables) is still
            # downstream of those tasks: `report(count(a) + count(b))`.
            tasks = _unique([*run.pipeline.tasks[created_before:], *self.tasks_named_in(node)])
            if tasks:
                return _Derived(tasks, value.text)
        return value

    def tasks_named_in(self, node: cst.CSTNode) -> tuple[Task, ...]:
        finder = NameFinder()
        finder.walk(node)
        return _unique(t for name in finder.names for t in _tasks_in(self.scope.lookup(name)))

    def _resolve_constant(self, value: Any) -> Any:
        if isinstance(value, ImportedName) and value.qualname.split(".")[0] not in _LIBRARIES:
            declared = self.imported_declaration(value.qualname)
            if declared is not None:
                return declared
        return super()._resolve_constant(value)

    def helper_function(
        self, scope: Scope, func: cst.BaseExpression
    ) -> tuple[cst.FunctionDef, Scope] | None:
        """The plain function of this file or of the tree that a call in flow or task code
        calls."""
        if not isinstance(func, cst.Name):
            return None
        value = scope.lookup(func.value)
        if (
            isinstance(value, ImportedName)
            and value.qualname.split(".")[0] not in _LIBRARIES
            and self.constants is not None
        ):
            found = self.constants.interpreted("prefect", value.qualname, self.interpret_module)
            value = found[1].names.get(value.qualname.rpartition(".")[2]) if found else None
        return (value.node, value.scope) if isinstance(value, _Function) else None

    def imported_declaration(self, qualname: str) -> _Declared | None:
        """A task or flow imported from another module of the scanned tree
        (``from pipelines.tasks import load_orders``), read with a builder of its own."""
        if self.constants is None:
            return None
        found = self.constants.interpreted("prefect", qualname, self.interpret_module)
        if found is None:
            return None
        path, scope = found
        name = qualname.rpartition(".")[2]
        value = scope.names.get(name)
        if not isinstance(value, _Declared):
            return None
        value.foreign, value.origin = True, (path, name)
        return value

    def interpret_module(
        self, module: str, path: Path, tree: cst.Module, source: str, package: str
    ) -> Scope:
        """The names another module of the tree binds, read with a builder of its own."""
        other = _Builder(path, SpanTable(), self.constants, package, self.version)  # type: ignore[arg-type]
        other.scope.bind("__name__", module)  # imported: its __main__ block does not run
        other.exec_block(tree.body)
        return other.scope

    def _eval_Await(self, node: cst.Await) -> Any:
        return self.evaluate(node.expression)

    def subscript(self, base: Any, node: cst.Subscript) -> Any:
        if isinstance(base, _Future):
            return base  # one item of a task's result is still that task's output
        return super().subscript(base, node)

    def combine(self, node: cst.BinaryOperation, left: Any, right: Any) -> Any:
        left_policy, right_policy = _cache_policy(left), _cache_policy(right)
        if isinstance(node.operator, cst.Add) and left_policy and right_policy:
            return _CachePolicy(left_policy.names + right_policy.names)
        if isinstance(node.operator, cst.Subtract) and left_policy and isinstance(right, str):
            return left_policy  # INPUTS - "client": still keyed on the other inputs
        return super().combine(node, left, right)

    def attribute(self, base: Any, name: str, node: cst.Attribute) -> Any:
        if isinstance(base, _Declared | _Future | _DeploymentValue):
            return _Method(base, name)
        return super().attribute(base, name, node)

    def _eval_Call(self, node: cst.Call) -> Any:
        growth = _list_growth(node)
        if growth is not None and isinstance(grown := self.scope.lookup(growth[0]), list):
            args, _ = self.arguments(node)
            if args is not None and len(args) == 1:
                # results.append(load(x)): the list now carries that task's output.
                grown.extend(args if growth[1] == "append" else _items(args[0]))
                return None
        callee = self.evaluate(node.func)
        if isinstance(callee, _Method):
            return self.call_method(callee, node)
        if isinstance(callee, _Declared):
            return self.call_declared(callee, node, mapped=False)
        if isinstance(callee, ImportedName):
            return self.call_imported(callee.qualname, node)
        if isinstance(callee, _Decorator):
            function = self.function_argument(node)
            if function is not None:
                keywords, opaque = callee.keywords, callee.opaque
                return self.declare(
                    callee.kind, function, keywords, callee.node, "call", opaque=opaque
                )
        if isinstance(callee, _Function):
            return self.call_function(callee, node)
        if isinstance(callee, WallClock):
            return WallClock(code_of(node))
        args, kwargs = self.arguments(node)
        return self.construct(node, callee, args, kwargs)

    def keywords_of(self, node: cst.Call) -> tuple[dict[str, tuple[Any, cst.CSTNode]], bool]:
        """A call's keyword values, each with the argument it was written in; and whether a
        ``**mapping`` we cannot see may add more."""
        keywords: dict[str, tuple[Any, cst.CSTNode]] = {}
        opaque = False
        for arg in node.args:
            if arg.keyword is not None:
                keywords[arg.keyword.value] = (self.evaluate(arg.value), arg)
            elif arg.star == "**":
                value = self.evaluate(arg.value)
                if isinstance(value, dict) and all(isinstance(k, str) for k in value):
                    keywords.update({k: (v, arg) for k, v in value.items()})
                else:
                    opaque = True
        return keywords, opaque

    def function_argument(self, node: cst.Call) -> _Function | None:
        positional = [arg for arg in node.args if arg.keyword is None and not arg.star]
        if not positional:
            return None
        value = self.evaluate(positional[0].value)
        return value if isinstance(value, _Function) else None

    def call_imported(self, qualname: str, node: cst.Call) -> Any:
        kind = _declared_kind(qualname)
        if kind is not None:
            keywords, opaque = self.keywords_of(node)
            function = self.function_argument(node)
            if function is not None:  # flow(fn), Task(fn, retries=2)
                declared_as = "class" if qualname in _FLOW_CLASSES | _TASK_CLASSES else "call"
                return self.declare(kind, function, keywords, node, declared_as, opaque=opaque)
            return _Decorator(kind, keywords, node, opaque)
        if qualname in _ANNOTATIONS:
            args, _ = self.arguments(node)
            return args[0] if args and len(args) == 1 else _with_tasks(_tasks_in(args), node)
        if qualname in _TAGS:
            args, _ = self.arguments(node)
            return _Tags(tuple(args)) if args is not None else _Tags((Unknown(code_of(node)),))
        if qualname in _EXPONENTIAL_BACKOFF:
            self.arguments(node)
            return ObjectValue(qualname, code_of(node))
        if qualname in _SCHEDULE_CLASSES:
            return _ScheduleValue(self.schedule_object(_SCHEDULE_CLASSES[qualname], node))
        args, kwargs = self.arguments(node)
        if self.flow_run is not None and qualname.split(".")[0] not in _LIBRARIES:
            # Code from outside the scanned files may be a task or call tasks.
            self.unfollowed(f"the call `{code_of(node.func)}` (from {qualname.rpartition('.')[0]})")
        return self.construct(node, ImportedName(qualname), args, kwargs)

    def call_method(self, method: _Method, node: cst.Call) -> Any:
        owner, name = method.owner, method.name
        if isinstance(owner, _Declared):
            if name == "with_options":
                keywords, opaque = self.keywords_of(node)
                copy = owner.copy_with(keywords, node)
                copy.opaque = copy.opaque or opaque
                return self.register(copy)
            if name in ("submit", "map") and owner.kind == "task":
                return self.call_declared(owner, node, mapped=name == "map")
            if name in _DEPLOYMENT_METHODS and owner.kind == "flow":
                return _DeploymentValue(self.deployment_in_code(owner, name, node))
            if name == "fn":
                return owner.function
        if isinstance(owner, _Future) and name in ("result", "wait"):
            self.arguments(node)
            return owner
        args, _ = self.arguments(node)
        tasks = (*_tasks_in(owner), *(t for a in args or () for t in _tasks_in(a)))
        return _with_tasks(tasks, node)

    # -- declarations -------------------------------------------------------------------

    def declare(
        self,
        kind: str,
        function: _Function,
        keywords: dict[str, tuple[Any, cst.CSTNode]],
        node: cst.CSTNode,
        declared_as: str,
        *,
        opaque: bool,
    ) -> _Declared:
        return self.register(_Declared(kind, function, keywords, node, declared_as, opaque=opaque))

    def register(self, declared: _Declared) -> _Declared:
        declared.settings = {
            name: self.written_setting(name, value, source)
            for name, (value, source) in declared.keywords.items()
        }
        for hook in declared.hooks:
            declared.settings[hook] = self.hook_setting(declared, hook)
        # A copy's definition holds what its .with_options call writes, not what it inherits.
        own = declared.own_keywords if declared.declared_as == "with_options" else None
        declared.definition = Definition(
            declared.kind,
            self.name_of(declared),
            self.spans.span(declared.node),
            {k: v for k, v in declared.settings.items() if own is None or k in own},
            self.version,
            declared.declared_as,
        )
        self.declared.append(declared)
        return declared

    def name_of(self, declared: _Declared) -> str | Unknown:
        name = declared.keywords.get("name")
        if name is not None:
            value = name[0]
            return value if isinstance(value, str) else Unknown(code_of(name[1]))
        if declared.opaque:
            return Unknown(declared.function_name)
        if declared.kind == "flow":
            return declared.function_name.replace("_", "-")
        return declared.function_name

    def written_setting(self, name: str, value: Any, source: cst.CSTNode) -> Setting:
        text = code_of(source.value if isinstance(source, cst.Arg) else source)
        return Setting(
            _model_value(name, value, text), Provenance.DECORATOR, text, self.spans.span(source)
        )

    def hook_setting(self, declared: _Declared, name: str) -> Setting:
        """A hook list: the keyword's functions plus those attached with decorators."""
        written = declared.keywords.get(name)
        attached = declared.hooks.get(name, [])
        if written is None:
            refs: Any = [ref for ref, _ in attached]
            return Setting(refs, Provenance.DECORATOR, "", self.spans.span(attached[0][1]))
        setting = self.written_setting(name, *written)
        if attached and isinstance(setting.value, list):
            refs = [*setting.value, *(ref for ref, _ in attached)]
            return Setting(refs, setting.provenance, setting.text, setting.span)
        return setting

    def settings_of(self, declared: _Declared) -> dict[str, Setting]:
        """Every setting of a flow or task: as written, else Prefect's default."""
        defaults = _FLOW_DEFAULTS if declared.kind == "flow" else _TASK_DEFAULTS[self.version]
        written = declared.settings
        settings: dict[str, Setting] = {}
        for name, default in defaults.items():
            if name in written:
                settings[name] = written[name]
            elif declared.opaque:
                settings[name] = Setting(Unknown("**kwargs"), Provenance.UNKNOWN)
            else:
                span = self.spans.span(declared.node)
                settings[name] = Setting(default, Provenance.DEFAULT, "", span)
        docstring = declared.function.node.get_docstring()
        if "description" in written:
            settings["description"] = written["description"]
        else:
            settings["description"] = Setting(docstring or None, Provenance.DEFAULT)
        if declared.foreign:  # written in another file: findings go to the call instead
            return {name: replace(setting, span=None) for name, setting in settings.items()}
        return settings

    # -- flows and their tasks ----------------------------------------------------------

    def build_flow(self, declared: _Declared) -> Pipeline:
        function = declared.function
        kind = {"decorator": "flow-decorator", "call": "flow-call", "class": "flow-call"}.get(
            declared.declared_as, "flow-with-options"
        )
        pipeline = Pipeline(
            framework="prefect",
            id=self.name_of(declared),
            kind=kind,
            file=self.path,
            span=self.spans.span(declared.node),
            settings=self.settings_of(declared),
            framework_version=self.version,
            target=self.target,
        )
        if declared.run_tags:
            tags = [tag for values, _ in declared.run_tags for tag in values]
            first_call = declared.run_tags[0][1]
            pipeline.settings["tags"] = self.with_context_tags(
                Setting([], Provenance.DEFAULT), tags, first_call
            )
        facts = self.body_facts(function)
        pipeline.clock_reads = facts.clock_reads
        pipeline.deployment_runs = facts.deployment_runs
        pipeline.reaches_out = facts.reaches_out
        saved_scope, saved_run, saved_budget = self.scope, self.flow_run, self.iterations_left
        self.scope = Scope(function.scope)
        self.flow_run = _FlowRun(declared, pipeline)
        try:
            self.bind_parameters(function.node.params, None)
            self.exec_block(function.node.body.body)
        except _Return:
            pass
        except (_Break, _Continue):
            pass
        finally:
            self.scope, self.flow_run, self.iterations_left = saved_scope, saved_run, saved_budget
        return pipeline

    def call_declared(self, declared: _Declared, node: cst.Call, *, mapped: bool) -> Any:
        """A task or subflow called (or submitted, or mapped) inside a flow."""
        values = [self.evaluate(arg.value) for arg in node.args]  # once: they may call tasks
        run = self.flow_run
        if run is None:
            if declared.kind == "flow" and self.module_tags:  # `with tags("x"): etl()`
                declared.run_tags.append(
                    ([tag for values in self.module_tags for tag in values], node)
                )
            return Unknown(code_of(node))  # called outside any flow: not part of a graph
        name = self.name_of(declared)
        base = name if isinstance(name, str) else declared.function_name
        count = run.calls.get(base, 0)
        run.calls[base] = count + 1
        settings = self.settings_of(declared)
        context_tags = [tag for values in run.tags for tag in values]
        if context_tags:
            written = settings.get("tags", Setting([], Provenance.DEFAULT))  # flows take none
            settings["tags"] = self.with_context_tags(written, context_tags, node)
        # What a task's code does is reported where it is written: in this file. An imported
        # task's code is judged only for whether it reaches outside (in its own module).
        if declared.kind != "task":
            facts = _NO_FACTS
        elif declared.foreign:
            facts = self.foreign_body_facts(declared.function)
        else:
            facts = self.body_facts(declared.function)
        task = Task(
            id=base if count == 0 else f"{base}__{count}",
            operator=f"prefect.{declared.kind}",
            kind=TaskKind.FLOW if declared.kind == "flow" else TaskKind.PYTHON,
            span=self.spans.span(node),
            settings=settings,
            mapped=mapped,
            callable=declared.function_name,
            clock_reads=facts.clock_reads,
            definition=None if declared.foreign else self.spans.span(declared.node),
            writes=facts.writes,
            deployment_runs=facts.deployment_runs,
            reaches_out=facts.reaches_out,
            may_hang=facts.may_hang,
            swallows_failures=declared.kind == "task" and swallows_failures(declared.function.node),
            origin=f"{declared.origin[0].as_posix()}:{declared.origin[1]}"
            if declared.foreign and declared.origin is not None
            else None,
        )
        run.pipeline.tasks.append(task)
        # Data passed in, and wait_for=: both make the call wait for those tasks.
        upstream = [t for value in values for t in _tasks_in(value)]
        for up in _unique(upstream):
            edge = Edge(str(up.id), str(task.id), self.spans.span(node))
            if up is not task and edge not in run.pipeline.edges:
                run.pipeline.edges.append(edge)
        return _Future(task)

    def with_context_tags(self, written: Setting, tags: list[Any], node: cst.Call) -> Setting:
        """Tags from `with tags(...)` around the call join the task's own."""
        if not written.known or not isinstance(written.value, list | tuple | set):
            return written
        merged = sorted({*written.value, *tags}, key=str)
        if any(isinstance(tag, Unknown) for tag in merged):
            return Setting(Unknown(code_of(node)), Provenance.CONTEXT)
        return Setting(merged, Provenance.CONTEXT, written.text, self.spans.span(node))

    def call_function(self, function: _Function, node: cst.Call) -> Any:
        """A plain helper called with known arguments: followed, within a depth limit."""
        args, kwargs = self.arguments(node)
        if self.call_depth >= _MAX_CALL_DEPTH or args is None:
            self.unfollowed(f"the call `{code_of(node.func)}`")
            return Unknown(code_of(node))
        saved, exits_before = self.scope, self.uncertain_exits
        self.scope = Scope(function.scope)
        self.call_depth += 1
        try:
            self.bind_parameters(function.node.params, (args, kwargs))
            self.exec_block(function.node.body.body)
        except _Return as returned:
            if self.uncertain_exits == exits_before:
                return returned.value
        except (_Break, _Continue):
            pass
        finally:
            self.scope = saved
            self.call_depth -= 1
        # A return that may have happened earlier leaves the result unknown.
        return None if self.uncertain_exits == exits_before else Unknown(code_of(node))

    def bind_parameters(
        self, params: cst.Parameters, call: tuple[list[Any], dict[str, Any]] | None
    ) -> None:
        """Bind a function's parameters; a flow's come from its caller (unknown)."""
        positional = [*params.posonly_params, *params.params]
        args, kwargs = call if call is not None else ([], {})
        for index, param in enumerate([*positional, *params.kwonly_params]):
            name = param.name.value
            if index < len(args) and index < len(positional):
                self.scope.bind(name, args[index])
            elif name in kwargs:
                self.scope.bind(name, kwargs[name])
            elif call is not None and param.default is not None:
                self.scope.bind(name, self.evaluate(param.default))
            else:
                self.scope.bind(name, Unknown(name))
        for star in (params.star_arg, params.star_kwarg):
            if isinstance(star, cst.Param):
                self.scope.bind(star.name.value, Unknown(star.name.value))

    # -- deployments ----------------------------------------------------------------------

    def deployment_in_code(self, flow: _Declared, method: str, node: cst.Call) -> Deployment:
        keywords, _ = self.keywords_of(node)
        positional = [arg for arg in node.args if arg.keyword is None and not arg.star]
        name: Any = keywords["name"][0] if "name" in keywords else None
        if name is None and positional:
            name = self.evaluate(positional[0].value)
        if name is None and method == "serve":
            name = self.name_of(flow)  # .serve() names it after the flow
        deployment = Deployment(
            name=name if isinstance(name, str) else Unknown(code_of(node)),
            source=method,
            file=self.path,
            span=self.spans.span(node),
            schedules=self.schedules_in_code(keywords),
        )
        self._deployed_flows.append((deployment, flow))
        for key in _DEPLOYMENT_SETTINGS:
            if key in keywords:
                value, source = keywords[key]
                text = code_of(source.value if isinstance(source, cst.Arg) else source)
                deployment.settings[key.lstrip("_")] = Setting(
                    _plain(value, text), Provenance.DEPLOYMENT, text, self.spans.span(source)
                )
        if "tags" not in deployment.settings:
            deployment.settings["tags"] = Setting(None, Provenance.DEFAULT)
        self.deployments.append(deployment)
        return deployment

    def schedules_in_code(
        self, keywords: dict[str, tuple[Any, cst.CSTNode]]
    ) -> list[Schedule] | Unknown:
        schedules: list[Schedule] = []
        for kind in ("cron", "interval", "rrule"):
            if kind not in keywords:
                continue
            value, source = keywords[kind]
            values = value if isinstance(value, list | tuple) and kind != "interval" else [value]
            for item in values:
                text = code_of(source)
                schedules.append(Schedule(kind, _plain(item, text), None, self.spans.span(source)))
        for key in ("schedule", "schedules"):
            if key not in keywords:
                continue
            value, source = keywords[key]
            items = value if isinstance(value, list | tuple) else [value]
            for item in items:
                if not isinstance(item, _ScheduleValue):
                    return Unknown(code_of(source))
                schedules.append(item.schedule)
        return schedules

    def schedule_object(self, kind: str, node: cst.Call) -> Schedule:
        args, kwargs = self.arguments(node)
        value = args[0] if args else kwargs.get(kind, Unknown(code_of(node)))
        timezone = kwargs.get("timezone")
        return Schedule(
            kind,
            _plain(value, code_of(node)),
            _plain(timezone, code_of(node)),
            self.spans.span(node),
        )

    # -- what bodies do -----------------------------------------------------------------

    def body_facts(self, function: _Function) -> _BodyFacts:
        """Clock reads, writes and run_deployment calls in a function's body, once each."""
        node = function.node
        if node not in self._body_facts:
            finder = _BodyFinder(
                Scope(function.scope), self.package, self.reads_clock, self.helpers
            )
            finder.walk(node.body)
            self._body_facts[node] = _BodyFacts(
                [ClockRead(code_of(call), self.spans.span(call)) for call in finder.clock_calls],
                [
                    Write(text, self.spans.span(call), repeatable)
                    for call, text, repeatable in finder.judged_writes()
                ],
                [
                    DeploymentRun(code_of(call), self.spans.span(call), keyed)
                    for call, keyed in finder.deployment_runs
                ],
                finder.reaches_out,
                finder.may_hang,
            )
        return self._body_facts[node]

    def foreign_body_facts(self, function: _Function) -> _BodyFacts:
        """Whether the code of a task imported from another module of the tree may reach
        outside its process; its clock reads and writes are that module's to report."""
        node = function.node
        if node not in self._body_facts:
            finder = _BodyFinder(Scope(function.scope), None, False, self.helpers)
            finder.walk(node.body)
            self._body_facts[node] = replace(
                _NO_FACTS, reaches_out=finder.reaches_out, may_hang=finder.may_hang
            )
        return self._body_facts[node]

    def note_secret(self, kind: str, name: str, value: Any, node: cst.CSTNode) -> None:
        if isinstance(value, str) and looks_like_secret(name, value):
            self.secrets.append(
                HardCodedSecret(kind, name, self.spans.span(node), literal_parts(node))
            )


@dataclass(frozen=True)
class _BodyFacts:
    clock_reads: list[ClockRead]
    writes: list[Write]
    deployment_runs: list[DeploymentRun]
    reaches_out: bool
    may_hang: bool


# Code not read here (a flow's own facts are its pipeline's): it may do anything.
_NO_FACTS = _BodyFacts([], [], [], reaches_out=True, may_hang=True)
_STAYS_INSIDE = BodyJudgement(reaches_out=False, may_hang=False)


class _BodyFinder(Walker):
    """What a flow's or task's code does at run time: clock reads, repeatable writes and
    run_deployment calls, resolving names through the module's imports and the function's."""

    def __init__(
        self, scope: Scope, package: str | None, reads_clock: bool, helpers: Helpers
    ) -> None:
        self.clock = ClockReadFinder(scope, package)
        self.helpers = helpers
        self.reads_clock = reads_clock
        self.scope = scope
        self.clock_calls = self.clock.calls
        self.writes: list[tuple[cst.Call, str, bool]] = []
        self.deployment_runs: list[tuple[cst.Call, bool]] = []
        self._transactions = 0
        # A DELETE of the slice before appending it (delete-then-insert) makes the append
        # repeatable.
        self.deletes_first = False
        self._sql_appends: set[int] = set()
        self.reaches_out = False
        self.may_hang = False

    def visit_Import(self, node: cst.Import) -> None:
        self.clock.visit_Import(node)

    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
        self.clock.visit_ImportFrom(node)

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        return False  # a nested function runs only if called: not this body's doing

    def visit_With(self, node: cst.With) -> None:
        if any(self._qualname(_callee(item.item)) in _TRANSACTION for item in node.items):
            self._transactions += 1

    def leave_With(self, original_node: cst.With) -> None:
        if any(self._qualname(_callee(i.item)) in _TRANSACTION for i in original_node.items):
            self._transactions -= 1

    def leave_Call(self, original_node: cst.Call) -> None:
        if self.reads_clock:
            self.clock.leave_Call(original_node)

    def visit_Call(self, node: cst.Call) -> None:
        if self.reads_clock:
            self.clock.visit_Call(node)
        qualname = self._qualname(node.func)
        if not self.may_hang:
            judged = self._judge(node, qualname)
            self.reaches_out |= judged.reaches_out
            self.may_hang |= judged.may_hang
        if qualname in _RUN_DEPLOYMENT:
            keyed = any(
                arg.keyword is not None and arg.keyword.value == "idempotency_key"
                for arg in node.args
            )
            self.deployment_runs.append((node, keyed))
            return
        write = self._write(node, qualname)
        if write is not None:
            text, repeatable = write
            self.writes.append((node, text, repeatable or self._transactions > 0))
        elif _DELETE.search(_first_string(node) or ""):
            self.deletes_first = True

    def _judge(self, node: cst.Call, qualname: str | None) -> BodyJudgement:
        """Nothing outside for a call that only computes, prints, logs or sleeps, or that
        calls a task or flow (judged on its own); a helper's judgement for a helper; else
        outside, and waiting for ever unless given a timeout."""
        func = node.func
        if isinstance(func, cst.Name) and isinstance(self.scope.lookup(func.value), _Declared):
            return _STAYS_INSIDE
        if (
            isinstance(func, cst.Attribute)
            and isinstance(func.value, cst.Name)
            and isinstance(self.scope.lookup(func.value.value), _Declared)
        ):
            return _STAYS_INSIDE  # extract.submit(...), load.map(...)
        if call_stays_inside(self.scope, func, qualname):
            return _STAYS_INSIDE
        judged = self.helpers.judge(self.scope, func)
        return judged or BodyJudgement(reaches_out=True, may_hang=not call_is_bounded(node))

    def judged_writes(self) -> list[tuple[cst.Call, str, bool]]:
        """The writes, once the whole body is seen: a DELETE of the slice makes the body's
        SQL appends repeatable (delete-then-insert)."""
        if not self.deletes_first:
            return self.writes
        return [
            (node, text, repeatable or id(node) in self._sql_appends)
            for node, text, repeatable in self.writes
        ]

    def _write(self, node: cst.Call, qualname: str | None) -> tuple[str, bool] | None:
        func = node.func
        keywords = {arg.keyword.value: arg.value for arg in node.args if arg.keyword is not None}
        if isinstance(func, cst.Attribute):
            method = func.attr.value
            receiver = code_of(func.value)
            if method in _APPENDS:
                self._sql_appends.add(id(node))
                replaces = method == "to_sql" and _literal(keywords.get("if_exists")) == "replace"
                return f"{receiver}.{method}(...)", replaces
            if method in _OVERWRITES:
                # Appending to a CSV, or adding part files to a partitioned dataset, is not.
                appends = _literal(keywords.get("mode")) == "a" or "partition_cols" in keywords
                return f"{receiver}.{method}(...)", not appends
            if method in _HTTP_WRITES and (
                (qualname or "").startswith(("requests.", "httpx."))
                or _HTTP_CLIENT.search(receiver)
            ):
                keyed = _IDEMPOTENCY_HEADER.search(code_of(keywords.get("headers", node.func)))
                return f"{receiver}.{method}(...)", _HTTP_WRITES[method] or bool(keyed)
            if method in ("execute", "executemany", "run", "sql", "query"):
                sql = _first_string(node)
                if sql is not None and _INSERT.search(sql):
                    self._sql_appends.add(id(node))
                    return "INSERT INTO", bool(_REPEATABLE_SQL.search(sql))
        if qualname == "builtins.open" or (isinstance(func, cst.Name) and func.value == "open"):
            mode = _literal(keywords.get("mode"))
            positional = [a.value for a in node.args if a.keyword is None]
            if mode is None and len(positional) > 1:
                mode = _literal(positional[1])
            if isinstance(mode, str) and any(flag in mode for flag in "wax"):
                return f"open(..., {mode!r})", "a" not in mode  # "w" truncates first
        return None

    def _qualname(self, expression: cst.BaseExpression | None) -> str | None:
        return qualname_in(self.scope, expression) if expression is not None else None


class _SecretFinder(Walker):
    """Credential-like literals anywhere in a flow file: flows, tasks and deployments run
    the whole module, and a secret in any of it ends up in the repository."""

    def __init__(self, builder: _Builder) -> None:
        self.builder = builder

    def visit_Expr(self, node: cst.Expr) -> bool:
        # A string on its own is a docstring: its example URIs are documentation.
        return not isinstance(node.value, cst.SimpleString | cst.ConcatenatedString)

    def visit_Assign(self, node: cst.Assign) -> None:
        for target in node.targets:
            if isinstance(target.target, cst.Name):
                value = _literal(node.value)
                self.builder.note_secret("name", target.target.value, value, node.value)

    def visit_Arg(self, node: cst.Arg) -> None:
        if node.keyword is not None:
            value = _literal(node.value)
            self.builder.note_secret("keyword", node.keyword.value, value, node.value)

    def visit_DictElement(self, node: cst.DictElement) -> None:
        key = _literal(node.key)
        if isinstance(key, str):
            self.builder.note_secret("keyword", key, _literal(node.value), node.value)

    def visit_SimpleString(self, node: cst.SimpleString) -> None:
        value = _literal(node)
        if isinstance(value, str) and "://" in value:
            match = URI_WITH_PASSWORD.search(value)
            if match and not is_placeholder(match.group("password")):
                span = self.builder.spans.span(node)
                parts = literal_parts(node, [match.span("password")])
                self.builder.secrets.append(
                    HardCodedSecret("uri", match.group("scheme"), span, parts)
                )


# -- helpers ----------------------------------------------------------------------------------


def _list_growth(node: cst.Call) -> tuple[str, str] | None:
    """``name.append(x)`` / ``name.extend(xs)``: (name, method)."""
    func = node.func
    if (
        isinstance(func, cst.Attribute)
        and isinstance(func.value, cst.Name)
        and func.attr.value in ("append", "extend")
    ):
        return func.value.value, func.attr.value
    return None


def _items(value: Any) -> list[Any]:
    if isinstance(value, list | tuple):
        return list(value)
    return [value]  # an unknown iterable: keep what it is derived from


def _declared_kind(qualname: str) -> str | None:
    if qualname in _FLOW_DECORATORS or qualname in _FLOW_CLASSES:
        return "flow"
    if qualname in _TASK_DECORATORS or qualname in _TASK_CLASSES:
        return "task"
    return None


def _tasks_in(value: Any) -> Iterator[Task]:
    if isinstance(value, _Future):
        yield value.task
    elif isinstance(value, _Derived):
        yield from value.tasks
    elif isinstance(value, list | tuple | set):
        for item in value:
            yield from _tasks_in(item)
    elif isinstance(value, dict):
        for item in value.values():
            yield from _tasks_in(item)


def _with_tasks(tasks: Any, node: cst.CSTNode) -> Any:
    found = _unique(tasks)
    return _Derived(found, code_of(node)) if found else Unknown(code_of(node))


def _unique(tasks: Iterable[Task]) -> tuple[Task, ...]:
    """Tasks in order, each once (tasks compare by identity: two calls may look alike)."""
    return tuple({id(task): task for task in tasks}.values())


def _cache_policy(value: Any) -> _CachePolicy | None:
    if isinstance(value, _CachePolicy):
        return value
    if isinstance(value, ImportedName) and value.qualname.startswith("prefect.cache_policies."):
        name = value.qualname.rpartition(".")[2]
        if name in _CACHE_POLICIES:
            return _CachePolicy((name,))
    return None


def _model_value(name: str, value: Any, text: str) -> Any:
    """A written value as the model keeps it: functions by name, cache policies by theirs."""
    if name == "cache_policy":
        policy = _cache_policy(value)
        return "+".join(policy.names) if policy else _plain(value, text)
    if name in _FUNCTION_KEYWORDS or name == "retry_delay_seconds":
        if isinstance(value, list | tuple) and name != "retry_delay_seconds":
            return [_function_ref(item, text) for item in value]
        if isinstance(value, _Function | _Declared | ImportedName):
            return _function_ref(value, text)
    return _plain(value, text)


def _function_ref(value: Any, text: str) -> Any:
    if isinstance(value, _Function):
        return FunctionRef(value.node.name.value)
    if isinstance(value, _Declared):
        return FunctionRef(value.function_name)
    if isinstance(value, ImportedName):
        return FunctionRef(value.qualname.rpartition(".")[2])
    return _plain(value, text)


def _plain(value: Any, text: str) -> Any:
    """A value rules can read: data, a framework object, or unknown."""
    if isinstance(value, list | tuple):
        items = [_plain(item, text) for item in value]
        return items if isinstance(value, list) else tuple(items)
    if isinstance(value, dict):
        return {k: _plain(v, text) for k, v in value.items()}
    if isinstance(value, Unknown | ObjectValue | FunctionRef):
        return value
    if isinstance(value, _CachePolicy):
        return "+".join(value.names)
    if value is None or isinstance(value, bool | int | float | str) or _is_time(value):
        return value
    return Unknown(getattr(value, "text", text))


def _is_time(value: Any) -> bool:
    return isinstance(value, dt.timedelta | dt.datetime | dt.date)


def _callee(expression: cst.BaseExpression) -> cst.BaseExpression | None:
    return expression.func if isinstance(expression, cst.Call) else None


def _literal(node: cst.CSTNode | None) -> Any:
    if isinstance(node, cst.SimpleString) and "b" not in node.prefix.lower():
        value = literal_value(node)
        return value if isinstance(value, str) else None
    if isinstance(node, cst.ConcatenatedString):
        left, right = _literal(node.left), _literal(node.right)
        return left + right if isinstance(left, str) and isinstance(right, str) else None
    return None


def _first_string(node: cst.Call) -> str | None:
    for arg in node.args:
        value = _literal(arg.value)
        if isinstance(value, str):
            return value
        if isinstance(arg.value, cst.Call):
            inner = _first_string(arg.value)  # execute(text("INSERT ..."))
            if inner is not None:
                return inner
    return None
