"""The Airflow builder: reads a DAG file's syntax and produces :class:`Pipeline` models.

The file is interpreted statically, top to bottom, the way Airflow would import it, but only
as far as certainty goes: ``with DAG(...)`` blocks, ``@dag`` functions and the calls that
instantiate them, operators, TaskFlow calls, task groups, dependency expressions, loops over
literal values and helper functions called with known arguments. Whatever the builder cannot
follow leaves values :class:`Unknown` and marks the pipeline incomplete; it never guesses.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import itertools
import re
import sys
from collections.abc import Iterator
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
    is_placeholder,
    judge_body,
    literal_parts,
    looks_like_secret,
    swallows_failures,
)
from dagcheck.model.pipeline import (
    ClockRead,
    Edge,
    HardCodedSecret,
    ObjectValue,
    ParseTimeCall,
    Pipeline,
    Provenance,
    Setting,
    SourceFile,
    Span,
    TargetVersion,
    Task,
    TaskGroup,
    TaskKind,
    Unknown,
    WallClock,
)
from dagcheck.model.positions import SpanTable
from dagcheck.model.values import (
    Evaluator,
    ImportedName,
    ModuleConstants,
    NameFinder,
    Scope,
    StringMethod,
    Walker,
    bind_import,
    code_of,
    contains_call,
    literal_value,
)

# -- what Airflow names mean ----------------------------------------------------------------

_DAG_CLASSES = {
    "airflow.DAG",
    "airflow.models.DAG",
    "airflow.models.dag.DAG",
    "airflow.sdk.DAG",
    "airflow.sdk.definitions.dag.DAG",
}
_DAG_DECORATORS = {
    "airflow.decorators.dag",
    "airflow.sdk.dag",
    "airflow.models.dag.dag",
    "airflow.sdk.definitions.dag.dag",
}
_TASK_DECORATORS = {"airflow.decorators.task", "airflow.sdk.task"}
_SETUP_TEARDOWN_DECORATORS = {
    "airflow.decorators.setup",
    "airflow.decorators.teardown",
    "airflow.sdk.setup",
    "airflow.sdk.teardown",
}
# @asset / @asset.multi: a DAG of one task, both named after the function, created on definition.
_ASSET_DECORATORS = {
    "airflow.sdk.asset",
    "airflow.sdk.asset.multi",
    "airflow.sdk.definitions.asset.decorators.asset",
    "airflow.sdk.definitions.asset.decorators.asset.multi",
}
_TASK_GROUP_DECORATORS = {"airflow.decorators.task_group", "airflow.sdk.task_group"}
_TASK_GROUP_CLASSES = {
    "airflow.utils.task_group.TaskGroup",
    "airflow.sdk.TaskGroup",
    "airflow.sdk.definitions.taskgroup.TaskGroup",
}
_CHAIN = {"airflow.models.baseoperator.chain", "airflow.sdk.chain", "airflow.models.chain"}
_CHAIN_LINEAR = {"airflow.models.baseoperator.chain_linear", "airflow.sdk.chain_linear"}
_CROSS_DOWNSTREAM = {
    "airflow.models.baseoperator.cross_downstream",
    "airflow.sdk.cross_downstream",
    "airflow.models.cross_downstream",
}
_LABELS = {"airflow.utils.edgemodifier.Label", "airflow.sdk.Label"}

# Calls that cost a round trip to the metadata database, a secrets backend or the network;
# the scheduler re-parses DAG files every ~30 s, so at parse time they run constantly.
VARIABLE_AND_CONNECTION_CALLS = {
    "airflow.models.Variable.get",
    "airflow.models.variable.Variable.get",
    "airflow.sdk.Variable.get",
    "airflow.sdk.definitions.variable.Variable.get",
    "airflow.hooks.base.BaseHook.get_connection",
    "airflow.sdk.BaseHook.get_connection",
    "airflow.sdk.bases.hook.BaseHook.get_connection",
    "airflow.models.Connection.get_connection_from_secrets",
    "airflow.models.connection.Connection.get_connection_from_secrets",
    "airflow.sdk.Connection.get",
}
NETWORK_CALLS = {
    *(f"requests.{verb}" for verb in ("get", "post", "put", "patch", "delete", "head", "request")),
    *(f"httpx.{verb}" for verb in ("get", "post", "put", "patch", "delete", "head", "request")),
    "urllib.request.urlopen",
    "boto3.client",
    "boto3.resource",
    "psycopg2.connect",
    "pymysql.connect",
    "sqlite3.connect",
    "sqlalchemy.create_engine",
    "snowflake.connector.connect",
}
PARSE_TIME_CALLS = VARIABLE_AND_CONNECTION_CALLS | NETWORK_CALLS

# Settings every operator accepts (BaseOperator), with Airflow's defaults per major version.
_TASK_DEFAULTS: dict[str, Any] = {
    "retries": 0,
    "retry_policy": None,  # Airflow 3.3+: exception-based retry decisions
    "retry_delay": dt.timedelta(seconds=300),
    "max_retry_delay": None,
    "execution_timeout": None,
    "sla": None,
    "on_failure_callback": None,
    "on_success_callback": None,
    "on_retry_callback": None,
    "on_execute_callback": None,
    "on_skipped_callback": None,
    "email": None,
    "email_on_failure": True,
    "email_on_retry": True,
    "owner": "airflow",
    "depends_on_past": False,
    "trigger_rule": "all_success",
    "pool": "default_pool",
    "doc_md": None,
}
_TEARDOWN_TRIGGER_RULE = "all_done_setup_success"
_SETUP_TEARDOWN_SUFFIXES = (".setup", ".teardown")
_RETRY_BACKOFF_DEFAULT = {"2": False, "3": 0}
_SENSOR_DEFAULTS: dict[str, Any] = {
    "mode": "poke",
    "timeout": 604800.0,
    "poke_interval": 60.0,
    "deferrable": False,
}
_DAG_DEFAULTS: dict[str, Any] = {
    "start_date": None,
    "end_date": None,
    "max_active_runs": 16,
    "max_active_tasks": 16,
    "dagrun_timeout": None,
    "sla_miss_callback": None,
    "deadline": None,
    "on_failure_callback": None,
    "on_success_callback": None,
    "tags": [],
    "description": None,
    "doc_md": None,
}
_DAG_DEFAULTS_BY_VERSION: dict[str, dict[str, Any]] = {
    "2": {"schedule": dt.timedelta(days=1), "catchup": True},
    "3": {"schedule": None, "catchup": False},
}
# Arguments of the DAG that no operator takes: in default_args, which Airflow passes to
# each task, they are ignored.
_DAG_ONLY_ARGUMENTS = frozenset(
    {
        "schedule",
        "schedule_interval",
        "timetable",
        "catchup",
        "max_active_runs",
        "max_active_tasks",
        "concurrency",
        "dagrun_timeout",
        "tags",
        "description",
        "sla_miss_callback",
        "is_paused_upon_creation",
        "default_view",
        "orientation",
        "render_template_as_native_obj",
        "template_searchpath",
        "user_defined_macros",
        "user_defined_filters",
        "access_control",
        "max_consecutive_failed_dag_runs",
        "fail_fast",
        "fail_stop",
        "dag_display_name",
        "owner_links",
        "deadline",
    }
)
# Keywords kept on the DAG as written, beyond the defaults above.
_DAG_KEYWORDS_KEPT = {"schedule_interval", "timetable", "concurrency", "default_args"}
_MAX_CALL_DEPTH = 8

# Builtins that read or render what they are given and never add tasks or edges.
_READING_BUILTINS = frozenset(
    {"str", "repr", "len", "print", "format", "isinstance", "bool", "id", "hash", "type"}
)

# Where the node ids of other modules' trees are kept, in ModuleConstants.scopes.
_FOREIGN_NODES = ("airflow-foreign-nodes",)

# Import roots that are never modules of the scanned tree: not looked for there.
_NOT_THE_TREE = frozenset(sys.stdlib_module_names) | {"airflow", "pendulum", "prefect"}


# -- builder-side values --------------------------------------------------------------------


@dataclass(eq=False)
class _Dag:
    pipeline: Pipeline
    default_args: dict[str, Any] | Unknown | None
    default_args_arg: cst.Arg | None
    version: str
    groups: dict[str, _Group] = field(default_factory=dict)


@dataclass(eq=False)
class _Group:
    dag: _Dag
    full_id: str
    prefix_group_id: bool
    default_args: dict[str, Any] | Unknown | None
    default_args_arg: cst.Arg | None
    parent: _Group | None
    members: list[_TaskRef] = field(default_factory=list)

    def child_id(self, label: str) -> str:
        return f"{self.full_id}.{label}" if self.prefix_group_id else label


@dataclass(eq=False)
class _TaskRef:
    """A created task; also stands for its XComArg (``.output``, ``task["key"]``)."""

    dag: _Dag
    task: Task


@dataclass(eq=False)
class _DagRef:
    dag: _Dag


@dataclass(eq=False)
class _GroupRef:
    group: _Group


@dataclass(eq=False)
class _Label:
    upstream: list[str] | None = None


@dataclass(eq=False)
class _Function:
    node: cst.FunctionDef
    scope: Scope
    # A function of another module of the tree, as "path:name": its syntax is not in this
    # file, so what it creates is placed at the call that reaches it.
    origin: str | None = None


@dataclass(eq=False)
class _TaskFunction:
    """A TaskFlow task definition: ``@task``-decorated function, possibly ``.override``-n."""

    function: _Function
    operator: str
    decorator_args: list[cst.Arg]
    call_args: list[cst.Arg] = field(default_factory=list)  # from .override / .partial


@dataclass(eq=False)
class _GroupFunction:
    function: _Function
    decorator_args: list[cst.Arg]


@dataclass(eq=False)
class _DagFunction:
    function: _Function
    decorator_args: list[cst.Arg]


@dataclass(eq=False)
class _OperatorPartial:
    """``SomeOperator.partial(...)``: a classic mapped operator waiting for ``.expand``."""

    operator: str
    node: cst.Call
    args: _Args


@dataclass(eq=False)
class _LocalClass:
    name: str
    bases: list[Any]


@dataclass(eq=False)
class _Method:
    receiver: Any
    name: str


# What may make or link tasks when code that holds it is not followed.
_MAKERS = (
    _DagRef, _GroupRef, _TaskRef, _Function, _TaskFunction, _GroupFunction, _DagFunction,
    _LocalClass, _OperatorPartial, _Method,
)  # fmt: skip


@dataclass
class _Args:
    """A call's evaluated arguments: positionals, keywords (with their nodes) and whether a
    ``*``/``**`` splat hides arguments we cannot see."""

    positional: list[tuple[Any, cst.Arg]] = field(default_factory=list)
    keywords: dict[str, tuple[Any, cst.Arg]] = field(default_factory=dict)
    opaque: bool = False

    def values(self) -> list[Any]:
        return [value for value, _ in (*self.positional, *self.keywords.values())]

    def named(self, *names: str) -> _Args:
        """The same arguments with leading positionals named as the callee names them."""
        keywords = dict(zip(names, self.positional, strict=False))
        keywords.update(self.keywords)
        return _Args(self.positional[len(names) :], keywords, self.opaque)

    def merged(self, other: _Args) -> _Args:
        return _Args(
            [*self.positional, *other.positional],
            {**self.keywords, **other.keywords},
            self.opaque or other.opaque,
        )


class _Return(Exception):
    def __init__(self, value: Any) -> None:
        self.value = value


class _Break(Exception):
    pass


class _Continue(Exception):
    pass


# -- the builder ----------------------------------------------------------------------------


def build_airflow_pipelines(
    path: Path,
    module: cst.Module,
    source: str,
    spans: SpanTable,
    constants: ModuleConstants,
    *,
    package: str | None,
    target_airflow: str | TargetVersion = "auto",
) -> SourceFile:
    """The DAGs of one file. ``target_airflow`` is the version the project pins (or the
    setting), else "auto": read from the file itself, the installed Airflow, or assumed."""
    builder = _Builder(path, spans, constants, package, target_airflow)
    builder.source = source
    # Walking task code for clock reads is the costliest part of the model: skip files that
    # never mention one.
    builder.reads_clock = CLOCK_WORDS.search(source) is not None
    builder.run(module)
    pipelines = [dag.pipeline for dag in builder.dags]
    return SourceFile(
        path,
        pipelines,
        builder.parse_time_calls,
        builder.secrets,
        builder.top_level_imports,
        targets={"airflow": builder.target},
        # (In a file that imports Airflow: one that only mentions it makes no DAGs.)
        incomplete_reasons=builder.file_unfollowed if builder.imports_airflow() else [],
    )


class _Builder(Evaluator):
    def __init__(
        self,
        path: Path,
        spans: SpanTable,
        constants: ModuleConstants,
        package: str | None,
        target_airflow: str | TargetVersion,
    ) -> None:
        super().__init__(Scope(), constants)
        self.path = path
        self.spans = spans
        self.package = package
        self.requested_target = target_airflow
        self.target = TargetVersion("airflow", "3", "3", "assumed")
        self.target_airflow = "3"  # the major version whose defaults apply
        self.source = ""
        self.dags: list[_Dag] = []
        self.dag_stack: list[_Dag] = []
        self.group_stack: list[_Group] = []
        self.call_depth = 0
        # Tasks turned into setups/teardowns with .as_setup()/.as_teardown().
        self.marked_setup_teardown: set[int] = set()
        self.parse_time_calls: list[ParseTimeCall] = []
        self.secrets: list[HardCodedSecret] = []
        self.top_level_imports: list[tuple[str, Span]] = []
        self._clock_reads: dict[tuple[cst.FunctionDef, Any], list[ClockRead]] = {}
        self._judged: dict[int, BodyJudgement] = {}
        self.helpers = Helpers(self.helper_function)
        self.reads_clock = True
        # While code of another module runs (an imported @task, @task_group or factory): the
        # call in this file that reached it, where everything it creates is placed, and
        # the function's "path:name".
        self.anchor: cst.CSTNode | None = None
        self.anchor_origin: str | None = None
        # Module-level code that may make DAGs and is not followed (DAGs generated at import).
        self.file_unfollowed: list[str] = []

    # -- entry --------------------------------------------------------------------------

    def run(self, module: cst.Module) -> None:
        requested = self.requested_target
        if isinstance(requested, TargetVersion):
            self.target = requested
        elif requested in ("2", "3"):
            self.target = TargetVersion("airflow", requested, requested, "target-airflow")
        else:
            self.target = detect_airflow_target(module, self.source)
        self.target_airflow = self.target.major
        self.scope.bind("__file__", self.path.as_posix())
        self.scope.bind("__doc__", module.get_docstring(clean=False))
        self.exec_block(module.body)
        if self.imports_airflow_sdk():
            for dag in self.dags:
                dag.pipeline.uses_airflow_3_api = True

    def imports_airflow(self) -> bool:
        return any(
            isinstance(value, ImportedName) and value.qualname.startswith("airflow")
            for value in self.scope.names.values()
        )

    def imports_airflow_sdk(self) -> bool:
        return any(
            isinstance(value, ImportedName) and f"{value.qualname}.".startswith("airflow.sdk.")
            for value in self.scope.names.values()
        )

    def span(self, node: cst.CSTNode) -> Span:
        """The span of a node of this file; of the call that reached it for a node of
        another module's code."""
        if self.anchor is not None and id(node) in self.foreign_nodes():
            return self.spans.span(self.anchor)
        return self.spans.span(node)

    def foreign_nodes(self) -> set[int]:
        """The nodes of the other modules read so far (their trees are kept, so the ids
        stay theirs)."""
        scopes = self.constants.scopes if self.constants else {}
        return scopes.setdefault(_FOREIGN_NODES, set())  # type: ignore[return-value]

    @contextlib.contextmanager
    def entering(self, function: _Function, call: cst.CSTNode) -> Iterator[None]:
        """Run code of ``function``: of another module's, anchored at ``call``."""
        if function.origin is None or self.anchor is not None:
            yield
            return
        self.anchor, self.anchor_origin = call, function.origin
        try:
            yield
        finally:
            self.anchor, self.anchor_origin = None, None

    def decorator_args(self, function: _Function, args: list[cst.Arg]) -> _Args:
        """A decorator's arguments, evaluated where the function is defined (as Python does,
        and the only place the names of another module's decorator mean anything)."""
        saved, self.scope = self.scope, function.scope
        try:
            return self.call_args(args)
        finally:
            self.scope = saved

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
        elif isinstance(statement, cst.ClassDef):
            bases = [self.evaluate(arg.value) for arg in statement.bases]
            self.scope.bind(statement.name.value, _LocalClass(statement.name.value, bases))
        elif isinstance(statement, cst.With):
            self.exec_with(statement)
        elif isinstance(statement, cst.If):
            self.exec_if(statement)
        elif isinstance(statement, cst.For):
            self.exec_for(statement)
        elif isinstance(statement, cst.Try):
            self.exec_block(statement.body.body)
            if statement.orelse is not None:
                self.exec_block(statement.orelse.body.body)
            if statement.finalbody is not None:
                self.exec_block(statement.finalbody.body.body)
        elif contains_call(statement):
            self.unfollowed(f"a `{type(statement).__name__.lower()}` block", statement=statement)

    def exec_small(self, small: cst.BaseSmallStatement) -> None:
        if self.mutate(small):
            return
        if isinstance(small, cst.Expr):
            self.evaluate(small.value)
        elif isinstance(small, cst.Assign):
            value = self.evaluate(small.value)
            for target in small.targets:
                self.assign(target.target, value, small.value)
        elif isinstance(small, cst.AnnAssign):
            if small.value is not None:
                self.assign(small.target, self.evaluate(small.value), small.value)
        elif isinstance(small, cst.AugAssign):  # of an attribute or an item: not followed
            self.evaluate(small.value)
        elif isinstance(small, cst.Import | cst.ImportFrom):
            bind_import(self.scope, small, self.package)
            if self.call_depth == 0:  # module level: runs at every parse of the file
                self.top_level_imports.extend(
                    (module, self.span(small)) for module in _imported_modules(small)
                )
        elif isinstance(small, cst.Return):
            raise _Return(self.evaluate(small.value) if small.value is not None else None)
        elif isinstance(small, cst.Break):
            raise _Break
        elif isinstance(small, cst.Continue):
            raise _Continue

    def assign(
        self, target: cst.BaseExpression, value: Any, source: cst.BaseExpression | None = None
    ) -> None:
        if isinstance(target, cst.Attribute):
            owner = self.evaluate(target.value)
            self.set_attribute(owner, target.attr.value, value, source or target)
            return
        if isinstance(target, cst.Name) and source is not None:
            self.note_secret("name", target.value, value, source)
        super().assign(target, value)

    def set_attribute(self, owner: Any, name: str, value: Any, source: cst.CSTNode) -> None:
        """``dag.doc_md = ...`` and ``task.doc_md = ...`` after construction."""
        if isinstance(owner, _DagRef):
            settings, provenance = owner.dag.pipeline.settings, Provenance.DAG
        elif isinstance(owner, _TaskRef):
            settings, provenance = owner.task.settings, Provenance.TASK
        else:
            return
        if name in settings:
            text = code_of(source)
            settings[name] = Setting(
                _setting_value(value, text), provenance, text, self.span(source)
            )

    def define_function(self, node: cst.FunctionDef) -> None:
        function = _Function(node, self.scope)
        value: Any = function
        # Decorators apply bottom-up; the outermost one that Airflow knows decides.
        for decorator in reversed(node.decorators):
            value = self.apply_decorator(decorator.decorator, value)
        self.scope.bind(node.name.value, value)

    def apply_decorator(self, expression: cst.BaseExpression, target: Any) -> Any:
        if isinstance(expression, cst.Call):
            decorator, args = self.evaluate(expression.func), list(expression.args)
        else:
            decorator, args = self.evaluate(expression), []
        if not isinstance(target, _Function) or not isinstance(decorator, ImportedName):
            return target
        name = decorator.qualname
        if name in _ASSET_DECORATORS:
            return self.create_asset_dag(target, name, args)
        if name in _DAG_DECORATORS:
            return _DagFunction(target, args)
        if name in _TASK_GROUP_DECORATORS:
            return _GroupFunction(target, args)
        if name in _SETUP_TEARDOWN_DECORATORS:
            return _TaskFunction(target, name, args)
        if _is_task_decorator(name):
            return _TaskFunction(target, name, args)
        return target

    def exec_with(self, statement: cst.With) -> None:
        saved = self.dag_stack, self.group_stack
        teardowns: list[_TaskRef] = []
        for item in statement.items:
            value = self.evaluate(item.item)
            if isinstance(value, _DagRef):
                if isinstance(item.item, cst.Call):
                    value.dag.pipeline.kind = "dag-context"
                # A DAG context starts outside any group of an enclosing DAG.
                self.dag_stack, self.group_stack = [*self.dag_stack, value.dag], []
            elif isinstance(value, _GroupRef):
                self.group_stack = [*self.group_stack, value.group]
            elif isinstance(value, _TaskRef):
                teardowns.append(value)
            if item.asname is not None:
                self.assign(item.asname.name, value)
        created_before = {id(t) for dag in self.dags for t in dag.pipeline.tasks}
        try:
            self.exec_block(statement.body.body)
        finally:
            self.dag_stack, self.group_stack = saved
        for teardown in teardowns:
            self.wrap_in_setup_teardown(teardown, created_before, statement)

    def wrap_in_setup_teardown(
        self, teardown: _TaskRef, created_before: set[int], node: cst.CSTNode
    ) -> None:
        """``with teardown_task:``: free-standing work created inside runs after the teardown's
        setups and before the teardown; tasks already wired (and setups/teardowns) keep their
        own dependencies, as in Airflow."""
        pipeline = teardown.dag.pipeline
        work = [
            _TaskRef(teardown.dag, t)
            for t in pipeline.tasks
            if id(t) not in created_before and not self.is_setup_or_teardown(t)
        ]
        edges = pipeline.edges
        setups = [
            _TaskRef(teardown.dag, t)
            for t in pipeline.tasks
            if self.is_setup_or_teardown(t) and Edge(str(t.id), str(teardown.task.id)) in edges
        ]
        roots = [r for r in work if not any(e.downstream == r.task.id for e in edges)]
        leaves = [r for r in work if not any(e.upstream == r.task.id for e in edges)]
        self.add_edges(setups, roots, node)
        self.add_edges(leaves, [teardown], node)

    def exec_if(self, statement: cst.If) -> None:
        condition = self.evaluate(statement.test)
        if isinstance(condition, Unknown | ImportedName):
            if contains_call(statement):
                self.unfollowed(f"a branch on `{code_of(statement.test)}`", statement=statement)
            return
        if condition:
            self.exec_block(statement.body.body)
        elif isinstance(statement.orelse, cst.If):
            self.exec_if(statement.orelse)
        elif statement.orelse is not None:
            self.exec_block(statement.orelse.body.body)

    def exec_for(self, statement: cst.For) -> None:
        items = self.iteration_values(self.evaluate(statement.iter))
        if items is None:
            if contains_call(statement):
                self.unfollowed(f"a loop over `{code_of(statement.iter)}`", statement=statement)
            return
        for item in items:
            self.assign(statement.target, item)
            try:
                self.exec_block(statement.body.body)
            except _Continue:
                continue
            except _Break:
                return  # `else:` runs only when the loop was not broken
        if statement.orelse is not None:
            self.exec_block(statement.orelse.body.body)

    def clock_reads_in(self, function: _Function) -> list[ClockRead]:
        """Calls in a task's code that read the wall clock, once per function."""
        if not self.reads_clock:
            return []
        key = (function.node, self.anchor)  # another module's: placed at each call
        if key not in self._clock_reads:
            finder = ClockReadFinder(Scope(function.scope), self.package)
            finder.walk(function.node.body)
            self._clock_reads[key] = [
                ClockRead(code_of(call), self.span(call)) for call in finder.calls
            ]
        return self._clock_reads[key]

    def is_setup_or_teardown(self, task: Task) -> bool:
        return (
            task.operator.endswith(_SETUP_TEARDOWN_SUFFIXES)
            or id(task) in self.marked_setup_teardown
        )

    def unfollowed(
        self, what: str, involved: Any = (), statement: cst.CSTNode | None = None
    ) -> None:
        """Code that may create tasks or DAGs but cannot be followed statically: the DAG it
        runs in is incomplete. Outside any DAG, the DAGs of the tasks ``involved`` are; with
        none, every DAG the code of ``statement`` may reach (all so far, and any it makes
        is missing: noted on the file)."""
        reason = f"{what} is not followed statically"
        if self.dag_stack:
            self.dag_stack[-1].pipeline.mark_incomplete(reason)
            return
        blamed = {id(dag): dag for value in _flat(involved) if (dag := _dag_of(value)) is not None}
        if not blamed and (statement is None or self.may_make_tasks(statement)):
            blamed = {id(dag): dag for dag in self.dags}
            if self.anchor is None and reason not in self.file_unfollowed:
                self.file_unfollowed.append(reason)
        for dag in blamed.values():
            dag.pipeline.mark_incomplete(reason)

    def may_make_tasks(self, statement: cst.CSTNode) -> bool:
        """Whether code names anything that makes or links DAGs and tasks: a DAG, a task,
        a group, a function of the file or tree, an operator or DAG class, ``dag=``."""
        finder = NameFinder()
        finder.walk(statement)
        if finder.keywords & {"dag", "dag_id", "task_id", "group_id"}:
            return True
        for name in set(finder.names):
            value = self.scope.lookup(name)
            if isinstance(value, ImportedName):
                if (
                    value.qualname in _DAG_CLASSES
                    or value.qualname in _TASK_GROUP_CLASSES
                    or _looks_like_operator(value.qualname)
                    or value.qualname.split(".")[0] not in _NOT_THE_TREE
                ):
                    return True
            elif isinstance(value, _MAKERS):
                return True
        return False

    # -- expressions --------------------------------------------------------------------

    def _eval_BinaryOperation(self, node: cst.BinaryOperation) -> Any:
        if isinstance(node.operator, cst.RightShift | cst.LeftShift):
            left, right = self.evaluate(node.left), self.evaluate(node.right)
            if isinstance(node.operator, cst.RightShift):
                return self.shift(left, right, node, returns=right)
            return self.shift(right, left, node, returns=right)
        return super()._eval_BinaryOperation(node)

    def _resolve_constant(self, value: Any) -> Any:
        if isinstance(value, ImportedName) and value.qualname.split(".")[0] not in _NOT_THE_TREE:
            defined = self.imported_definition(value.qualname)
            if defined is not None:
                return defined
        return super()._resolve_constant(value)

    def imported_definition(self, qualname: str) -> Any:
        """A function of another module of the scanned tree that may create tasks: an
        ``@task``, ``@task_group`` or ``@dag`` function, or a plain one (a factory that
        builds operators), read by interpreting that module as Airflow would import it."""
        if self.constants is None:
            return None
        found = self.constants.interpreted("airflow", qualname, self.interpret_module)
        if found is None:
            return None
        path, scope = found
        name = qualname.rpartition(".")[2]
        value = scope.names.get(name)
        origin = f"{path.as_posix()}:{name}"
        if isinstance(value, _Function):
            return replace(value, origin=origin)
        if isinstance(value, _TaskFunction) and not value.call_args:
            # (.override() arguments written in that module would be read in this one's names.)
            return replace(value, function=replace(value.function, origin=origin))
        if isinstance(value, _GroupFunction | _DagFunction):
            return replace(value, function=replace(value.function, origin=origin))
        return None

    def interpret_module(
        self, module: str, path: Path, tree: cst.Module, source: str, package: str
    ) -> Scope:
        """The names another module of the tree binds, read with a builder of its own (its
        DAGs are its own file's); its tree is kept, so its node ids stay its own."""
        constants = self.constants
        assert constants is not None  # only called through constants.interpreted
        constants.scopes[("airflow-tree", path)] = tree  # type: ignore[assignment]
        _NodeIds(self.foreign_nodes()).walk(tree)
        other = _Builder(path, SpanTable(), constants, package, self.target)
        other.source, other.target = source, self.target
        other.target_airflow = self.target_airflow
        other.reads_clock = CLOCK_WORDS.search(source) is not None
        other.scope.bind("__file__", path.as_posix())
        other.scope.bind("__name__", module)  # imported: its __main__ block does not run
        other.exec_block(tree.body)
        return other.scope

    def subscript(self, base: Any, node: cst.Subscript) -> Any:
        if isinstance(base, _TaskRef):
            return base  # one key of a task's XCom: still that task's output
        return super().subscript(base, node)

    def attribute(self, base: Any, name: str, node: cst.Attribute) -> Any:
        if isinstance(base, _TaskRef) and name == "output":
            return base
        if isinstance(
            base, _TaskRef | _DagRef | _GroupRef | _TaskFunction | _GroupFunction | _OperatorPartial
        ) or (isinstance(base, _LocalClass) and name == "partial"):
            return _Method(base, name)
        return super().attribute(base, name, node)

    def _eval_Call(self, node: cst.Call) -> Any:
        callee = self.evaluate(node.func)
        if isinstance(callee, _Method):
            return self.call_method(callee, node)
        if isinstance(callee, _TaskFunction):
            return self.call_task_function(callee, node, mapped=False)
        args = self.call_args(node.args)
        if isinstance(callee, ImportedName):
            return self.call_imported(callee.qualname, node, args)
        if isinstance(callee, _GroupFunction):
            return self.call_group_function(callee, node, args)
        if isinstance(callee, _DagFunction):
            return self.call_dag_function(callee, node, args)
        if isinstance(callee, _Function):
            return self.call_function(callee, node, args)
        if isinstance(callee, _LocalClass) and (
            "task_id" in args.keywords or self.is_operator_class(callee)
        ):
            return self.create_operator(callee.name, node, args)
        if isinstance(callee, WallClock):
            return WallClock(code_of(node))  # pendulum.now().subtract(days=1)
        if isinstance(callee, StringMethod) and not args.opaque:
            positional = [value for value, _ in args.positional]
            return callee.call(positional, {k: v for k, (v, _) in args.keywords.items()}, node)
        self.passed_to_unknown_code(node, args)
        return Unknown(code_of(node))

    def call_args(self, args: list[cst.Arg] | tuple[cst.Arg, ...]) -> _Args:
        """Evaluate a call's arguments, each exactly once (they may create tasks)."""
        evaluated = _Args()
        for arg in args:
            value = self.evaluate(arg.value)
            if arg.star == "**":
                if isinstance(value, dict):
                    for key, item in value.items():
                        if isinstance(key, str):
                            evaluated.keywords[key] = (item, arg)
                else:
                    evaluated.opaque = True
            elif arg.star == "*":
                if isinstance(value, list | tuple):
                    evaluated.positional.extend((item, arg) for item in value)
                else:
                    evaluated.opaque = True
            elif arg.keyword is not None:
                evaluated.keywords[arg.keyword.value] = (value, arg)
                self.note_secret("keyword", arg.keyword.value, value, arg.value)
            else:
                evaluated.positional.append((value, arg))
        return evaluated

    def note_secret(self, kind: str, name: str, value: Any, node: cst.CSTNode) -> None:
        """Record a credential-like literal given to something named like a credential (in
        this file: another module's secrets are its own findings)."""
        if self.anchor is None and isinstance(value, str) and looks_like_secret(name, value):
            self.secrets.append(HardCodedSecret(kind, name, self.span(node), literal_parts(node)))

    def _eval_Dict(self, node: cst.Dict) -> Any:
        for element in node.elements:
            if isinstance(element, cst.DictElement) and isinstance(element.key, cst.SimpleString):
                key = literal_value(element.key)
                if isinstance(key, str) and isinstance(element.value, cst.SimpleString):
                    self.note_secret("keyword", key, literal_value(element.value), element.value)
        return super()._eval_Dict(node)

    def _eval_SimpleString(self, node: cst.SimpleString) -> Any:
        value = super()._eval_SimpleString(node)
        if self.anchor is None and isinstance(value, str) and "://" in value:
            match = URI_WITH_PASSWORD.search(value)
            if match and not is_placeholder(match.group("password")):
                parts = literal_parts(node, [match.span("password")])
                self.secrets.append(
                    HardCodedSecret("uri", match.group("scheme"), self.span(node), parts)
                )
        return value

    def passed_to_unknown_code(self, node: cst.Call, args: _Args) -> None:
        """A DAG, group or task handed to code we cannot follow may get tasks or edges there
        (not to a builtin that only reads or renders it: ``str(XComArg(task))``)."""
        if isinstance(node.func, cst.Name) and node.func.value in _READING_BUILTINS:
            bound = self.scope.lookup(node.func.value)
            if bound == Unknown(node.func.value) or (
                isinstance(bound, ImportedName) and bound.qualname == f"builtins.{node.func.value}"
            ):
                return
        if any(isinstance(v, _DagRef | _GroupRef | _TaskRef) for v in _flat(args.values())):
            self.unfollowed(f"the call `{code_of(node.func)}`", args.values())

    def is_operator_class(self, cls: _LocalClass) -> bool:
        for base in cls.bases:
            if isinstance(base, ImportedName) and _looks_like_operator(base.qualname):
                return True
            if isinstance(base, _LocalClass) and self.is_operator_class(base):
                return True
        return False

    def call_imported(self, qualname: str, node: cst.Call, args: _Args) -> Any:
        if qualname in PARSE_TIME_CALLS and self.anchor is None:
            # Task code is never interpreted: whatever is called here runs at parse time.
            dag = self.dag_stack[-1].pipeline.id if self.dag_stack else None
            self.parse_time_calls.append(
                ParseTimeCall(
                    qualname,
                    code_of(node),
                    self.span(node),
                    dag if isinstance(dag, str) else None,
                )
            )
        if qualname in _DAG_CLASSES:
            return self.create_dag(node, "dag-constructor", args.named("dag_id"), name=None)
        if qualname in _TASK_GROUP_CLASSES:
            return self.create_group(node, args.named("group_id"))
        if qualname in _CHAIN or qualname in _CHAIN_LINEAR:
            elements = [value for value, _ in args.positional]
            linear = qualname in _CHAIN_LINEAR
            for upstream, downstream in itertools.pairwise(elements):
                self.chain_pair(upstream, downstream, node, linear=linear)
            return None
        if qualname in _CROSS_DOWNSTREAM:
            values = args.named("from_tasks", "to_tasks").keywords
            if "from_tasks" in values and "to_tasks" in values:
                self.shift(values["from_tasks"][0], values["to_tasks"][0], node, returns=None)
            return None
        if qualname in _LABELS:
            return _Label()
        if qualname.endswith(".XComArg") and qualname.startswith("airflow."):
            # XComArg(task, key=...): that task's output, as task.output is.
            first = args.positional[0][0] if args.positional else None
            if isinstance(first, _TaskRef):
                return first
        if _is_task_decorator(qualname) or qualname in _SETUP_TEARDOWN_DECORATORS:
            # task(fn) / task.bash(fn): the call form of the decorator.
            if args.positional and isinstance(args.positional[0][0], _Function):
                return _TaskFunction(args.positional[0][0], qualname, list(node.args[1:]))
            return Unknown(code_of(node))
        if qualname.endswith(".partial") and _looks_like_operator(qualname.rpartition(".")[0]):
            return _OperatorPartial(qualname.rpartition(".")[0], node, args)
        if "task_id" in args.keywords or _looks_like_operator(qualname):
            return self.create_operator(qualname, node, args)
        self.passed_to_unknown_code(node, args)
        if args.opaque:
            return Unknown(code_of(node))
        positional = [value for value, _ in args.positional]
        keywords = {name: value for name, (value, _) in args.keywords.items()}
        value = self.construct(node, ImportedName(qualname), positional, keywords)
        if qualname == "builtins.dict" and isinstance(value, dict):
            sources = self.sources_of(positional[0]) if positional else {}
            sources.update({name: arg.value for name, (_, arg) in args.keywords.items()})
            self.record_dict(value, sources)
        return value

    def call_method(self, method: _Method, node: cst.Call) -> Any:
        receiver, name = method.receiver, method.name
        if isinstance(receiver, _TaskFunction) and name in ("override", "partial"):
            # Stored unevaluated: evaluated once, when the task is created.
            return replace(receiver, call_args=[*receiver.call_args, *node.args])
        if isinstance(receiver, _TaskFunction) and name in ("expand", "expand_kwargs"):
            return self.call_task_function(receiver, node, mapped=True)
        args = self.call_args(node.args)
        if isinstance(receiver, _LocalClass):  # LocalOperator.partial(...)
            return _OperatorPartial(receiver.name, node, args)
        if isinstance(receiver, _GroupFunction):
            if name in ("expand", "expand_kwargs"):
                return self.call_group_function(receiver, node, args)
            if name == "override":
                return _GroupFunction(receiver.function, [*receiver.decorator_args, *node.args])
            return receiver  # .partial(): arguments only
        if isinstance(receiver, _OperatorPartial) and name in ("expand", "expand_kwargs"):
            merged = receiver.args.merged(args)
            return self.create_operator(receiver.operator, receiver.node, merged, mapped=True)
        if isinstance(receiver, _TaskRef | _GroupRef):
            values = args.values()
            if name == "set_downstream" and values:
                self.shift(receiver, values[0], node, returns=None)
                return None
            if name == "set_upstream" and values:
                self.shift(values[0], receiver, node, returns=None)
                return None
            if name == "as_teardown" and isinstance(receiver, _TaskRef):
                self.marked_setup_teardown.add(id(receiver.task))
                # Airflow sets the teardown trigger rule unconditionally.
                receiver.task.settings["trigger_rule"] = Setting(
                    _TEARDOWN_TRIGGER_RULE, Provenance.TASK, code_of(node), self.span(node)
                )
                if "setups" in args.keywords:
                    self.shift(args.keywords["setups"][0], receiver, node, returns=None)
                return receiver
            if name == "as_setup" and isinstance(receiver, _TaskRef):
                self.marked_setup_teardown.add(id(receiver.task))
                return receiver
        self.passed_to_unknown_code(node, args)
        return Unknown(code_of(node))

    # -- dependencies -------------------------------------------------------------------

    def shift(self, upstream: Any, downstream: Any, node: cst.CSTNode, *, returns: Any) -> Any:
        """``upstream >> downstream``; returns what the Python expression evaluates to."""
        if isinstance(downstream, _Label):
            downstream.upstream = self.endpoints(upstream, leaves=True)
            return downstream
        if isinstance(upstream, _Label):
            upstream_ends = upstream.upstream
        else:
            upstream_ends = self.endpoints(upstream, leaves=True)
        downstream_ends = self.endpoints(downstream, leaves=False)
        if upstream_ends is None or downstream_ends is None:
            self.unfollowed(f"the dependency `{code_of(node)}`", [upstream, downstream])
            return returns
        self.add_edges(upstream_ends, downstream_ends, node)
        return returns

    def chain_pair(self, upstream: Any, downstream: Any, node: cst.Call, *, linear: bool) -> None:
        if (
            not linear
            and isinstance(upstream, list | tuple)
            and isinstance(downstream, list | tuple)
        ):
            if len(upstream) != len(downstream):
                return  # Airflow raises at import: no edges
            for up, down in zip(upstream, downstream, strict=True):
                self.shift(up, down, node, returns=None)
            return
        self.shift(upstream, downstream, node, returns=None)

    def endpoints(self, value: Any, *, leaves: bool) -> list[_TaskRef] | None:
        """The tasks a dependency operand stands for; ``None`` if it cannot be known."""
        if isinstance(value, _TaskRef):
            return [value] if isinstance(value.task.id, str) else None
        if isinstance(value, _GroupRef):
            return self.group_ends(value.group, leaves=leaves)
        if isinstance(value, list | tuple):
            ends: list[_TaskRef] = []
            for item in value:
                item_ends = self.endpoints(item, leaves=leaves)
                if item_ends is None:
                    return None
                ends.extend(item_ends)
            return ends
        return None

    def group_ends(self, group: _Group, *, leaves: bool) -> list[_TaskRef]:
        """Roots (no upstream inside the group) or leaves, computed as Airflow does: from
        the edges that exist when the dependency is declared."""
        members = {ref.task.id for ref in group.members}
        inner = [
            e for e in group.dag.pipeline.edges if e.upstream in members and e.downstream in members
        ]
        linked = {e.upstream for e in inner} if leaves else {e.downstream for e in inner}
        return [ref for ref in group.members if ref.task.id not in linked]

    def add_edges(
        self, upstream: list[_TaskRef], downstream: list[_TaskRef], node: cst.CSTNode
    ) -> None:
        for up in upstream:
            for down in downstream:
                if up.dag is not down.dag or up.task is down.task:
                    continue  # Airflow rejects dependencies across DAGs
                edges = up.dag.pipeline.edges
                edge = Edge(str(up.task.id), str(down.task.id), self.span(node))
                if edge not in edges:
                    edges.append(edge)

    def data_dependencies(self, values: list[Any], task: _TaskRef, node: cst.Call) -> None:
        """Passing a task's output (an XComArg) into another task makes it upstream."""
        upstream = [
            ref
            for ref in _task_refs_in(values)
            if ref.task is not task.task and isinstance(ref.task.id, str)
        ]
        if upstream and isinstance(task.task.id, str):
            self.add_edges(upstream, [task], node)

    # -- DAGs -----------------------------------------------------------------------------

    def create_dag(self, node: cst.CSTNode, kind: str, args: _Args, name: str | None) -> _DagRef:
        provenance = Provenance.DECORATOR if kind == "dag-decorator" else Provenance.DAG
        keywords = args.keywords
        dag_id_value = keywords["dag_id"][0] if "dag_id" in keywords else name
        dag_id: str | Unknown = (
            dag_id_value if isinstance(dag_id_value, str) else Unknown(_text_of(keywords, "dag_id"))
        )
        version = self.target_airflow
        pipeline = Pipeline(
            framework="airflow",
            id=dag_id,
            kind=kind,
            file=self.path,
            span=self.span(node),
            framework_version=version,
            target=self.target,
        )
        defaults = {**_DAG_DEFAULTS, **_DAG_DEFAULTS_BY_VERSION[version]}
        for setting_name, default in defaults.items():
            if setting_name in keywords:
                value, arg = keywords[setting_name]
                pipeline.settings[setting_name] = self.setting_from_arg(value, arg, provenance)
            elif args.opaque:
                pipeline.settings[setting_name] = Setting(Unknown("**kwargs"), Provenance.UNKNOWN)
            else:
                pipeline.settings[setting_name] = Setting(default, Provenance.DEFAULT)
        for setting_name in _DAG_KEYWORDS_KEPT & keywords.keys():
            value, arg = keywords[setting_name]
            pipeline.settings[setting_name] = self.setting_from_arg(value, arg, provenance)
        for legacy in ("schedule_interval", "timetable"):
            if legacy in keywords and "schedule" not in keywords:
                # The legacy keyword is the schedule: expose it under the neutral name too.
                pipeline.settings["schedule"] = pipeline.settings[legacy]
        if "concurrency" in keywords and "max_active_tasks" not in keywords:
            pipeline.settings["max_active_tasks"] = pipeline.settings["concurrency"]
        default_args, default_args_arg = _default_args(keywords, args.opaque)
        if "start_date" not in keywords and not args.opaque and default_args is not None:
            # A DAG without start_date= takes its tasks' start_date from default_args.
            pipeline.settings["start_date"] = self.inherited_setting(
                "start_date", None, [(default_args, default_args_arg)], opaque=False
            )
        if isinstance(default_args, dict):
            # A key the DAG call also sets is a dead copy, not a setting the DAG lacks.
            misplaced = (_DAG_ONLY_ARGUMENTS & default_args.keys()) - keywords.keys()
            for name in sorted(misplaced, key=str):
                source = self.key_source(default_args, name)
                where = source if source is not None else default_args_arg
                if where is not None:
                    span = self.span(where.value if isinstance(where, cst.Arg) else where)
                    pipeline.misplaced_dag_arguments.append((name, span))
        dag = _Dag(pipeline, default_args, default_args_arg, version)
        self.dags.append(dag)
        return _DagRef(dag)

    def call_dag_function(self, dag_function: _DagFunction, node: cst.Call, args: _Args) -> Any:
        function = dag_function.function
        with self.entering(function, node):
            return self.run_dag_function(dag_function, args)

    def run_dag_function(self, dag_function: _DagFunction, args: _Args) -> Any:
        function = dag_function.function
        ref = self.create_dag(
            function.node.name,
            "dag-decorator",
            self.decorator_args(function, dag_function.decorator_args).named("dag_id"),
            name=function.node.name.value,
        )
        docstring = function.node.get_docstring()
        doc_md = ref.dag.pipeline.settings["doc_md"]
        if docstring and doc_md.provenance is Provenance.DEFAULT:
            # @dag uses the function's docstring as the DAG's documentation.
            ref.dag.pipeline.settings["doc_md"] = Setting(
                docstring, Provenance.DECORATOR, "docstring", self.span(function.node.name)
            )
        saved = self.dag_stack, self.group_stack
        self.dag_stack, self.group_stack = [*self.dag_stack, ref.dag], []
        try:
            self.run_function(function, args)
        finally:
            self.dag_stack, self.group_stack = saved
        return ref

    def create_asset_dag(self, function: _Function, decorator: str, args: list[cst.Arg]) -> Any:
        evaluated = self.call_args(args)
        name = function.node.name.value
        if not decorator.endswith(".multi"):
            asset_name = evaluated.keywords.get("name", (name, None))[0]
            name = asset_name if isinstance(asset_name, str) else name
        ref = self.create_dag(function.node.name, "asset-decorator", evaluated, name=name)
        task = Task(
            function.node.name.value,
            decorator,
            TaskKind.PYTHON,
            self.span(function.node.name),
            callable=function.node.name.value,
        )
        task.settings = self.task_settings(ref.dag, None, {}, {}, evaluated.opaque, task.kind)
        self.add_task(ref.dag, None, task)
        if decorator.endswith(".multi"):
            return Unknown(name)
        # The decorated name is the asset itself; other DAGs schedule on it.
        return ObjectValue("airflow.sdk.Asset", name)

    # -- task groups ----------------------------------------------------------------------

    def create_group(self, node: cst.CSTNode, args: _Args, name: str | None = None) -> Any:
        keywords = args.keywords
        dag = self.dag_from_keywords(keywords)
        if dag is None:
            return Unknown(code_of(node))
        group_id = keywords["group_id"][0] if "group_id" in keywords else name
        if not isinstance(group_id, str):
            dag.pipeline.mark_incomplete("a task group whose id cannot be resolved")
            return Unknown(code_of(node))
        parent = self.current_group(dag)
        full_id = parent.child_id(group_id) if parent else group_id
        if name is not None:
            full_id = _unique_id(full_id, set(dag.groups))  # @task_group called again: tg__1
        prefix = keywords.get("prefix_group_id", (True, None))[0]
        default_args, default_args_arg = _default_args(keywords, opaque=False)
        group = _Group(dag, full_id, prefix is not False, default_args, default_args_arg, parent)
        dag.groups[full_id] = group
        dag.pipeline.groups.append(
            TaskGroup(full_id, self.span(node), parent.full_id if parent else None)
        )
        return _GroupRef(group)

    def call_group_function(
        self, group_function: _GroupFunction, node: cst.Call, args: _Args
    ) -> Any:
        function = group_function.function
        with self.entering(function, node):
            ref = self.create_group(
                node,
                self.decorator_args(function, group_function.decorator_args).named("group_id"),
                name=function.node.name.value,
            )
            if not isinstance(ref, _GroupRef):
                return ref
            self.group_stack = [*self.group_stack, ref.group]
            try:
                returned = self.run_function(function, args)
            finally:
                self.group_stack = self.group_stack[:-1]
        # Like Airflow: a group function that returns a task stands for that task.
        return returned if returned is not None else ref

    # -- tasks ----------------------------------------------------------------------------

    def create_operator(
        self, operator: str, node: cst.Call, args: _Args, *, mapped: bool = False
    ) -> Any:
        keywords = args.keywords
        dag = self.dag_from_keywords(keywords)
        if dag is None:
            return Unknown(code_of(node))
        group = self.current_group(dag, keywords)
        task_id_value = keywords["task_id"][0] if "task_id" in keywords else None
        if isinstance(task_id_value, str):
            task_id: str | Unknown = group.child_id(task_id_value) if group else task_id_value
        else:
            task_id = Unknown(_text_of(keywords, "task_id"))
            dag.pipeline.mark_incomplete("a task id that cannot be resolved")
        kind = task_kind(operator)
        task = Task(task_id, operator, kind, self.span(node), mapped=mapped)
        task.reaches_out = task.may_hang = not controls_only(operator)
        task.callable = _callable_name(keywords)
        for name, (value, arg) in keywords.items():
            if isinstance(value, WallClock) and name not in ("start_date", "end_date"):
                task.clock_reads.append(ClockRead(value.text, self.span(arg.value), True))
        python_callable = keywords.get("python_callable", (None, None))[0]
        if isinstance(python_callable, _Function):
            task.clock_reads.extend(self.clock_reads_in(python_callable))
            if operator.rsplit(".", 1)[-1] == "PythonOperator":
                # The callable runs in the worker's process: judged like a @task body.
                judged = self.judge_function(python_callable)
                task.reaches_out, task.may_hang = judged.reaches_out, judged.may_hang
            task.swallows_failures = (
                kind is TaskKind.PYTHON
                and not controls_only(operator)
                and swallows_failures(python_callable.node)
            )
        task.settings = self.task_settings(dag, group, keywords, {}, args.opaque, kind)
        if "sql" in keywords:  # what a SQL operator runs: idempotency and injection rules
            value, arg = keywords["sql"]
            task.settings["sql"] = self.setting_from_arg(value, arg, Provenance.TASK)
        ref = self.add_task(dag, group, task)
        self.data_dependencies(args.values(), ref, node)
        return ref

    def judge_task_body(self, function: _TaskFunction) -> BodyJudgement:
        """Whether a TaskFlow task's Python may reach outside its process (a plain ``@task``
        whose body only computes, formats, logs or sleeps cannot hang nor fail for a reason a
        retry cures), and hang there. Bodies run elsewhere (``@task.bash``, ...) may."""
        if function.operator not in _TASK_DECORATORS | _SETUP_TEARDOWN_DECORATORS and not (
            function.operator.endswith(".python")
        ):
            return BodyJudgement(reaches_out=True, may_hang=True)
        return self.judge_function(function.function)

    def judge_function(self, function: _Function) -> BodyJudgement:
        if id(function.node) not in self._judged:
            self._judged[id(function.node)] = judge_body(
                function.node, function.scope, self.helpers
            )
        return self._judged[id(function.node)]

    def helper_function(
        self, scope: Scope, func: cst.BaseExpression
    ) -> tuple[cst.FunctionDef, Scope] | None:
        """The plain function of this file or of the tree that a call in task code calls."""
        if not isinstance(func, cst.Name):
            return None
        value = scope.lookup(func.value)
        if isinstance(value, ImportedName) and value.qualname.split(".")[0] not in _NOT_THE_TREE:
            value = self.imported_definition(value.qualname)
        return (value.node, value.scope) if isinstance(value, _Function) else None

    def call_task_function(self, function: _TaskFunction, node: cst.Call, *, mapped: bool) -> Any:
        call = self.call_args(function.call_args).merged(self.call_args(node.args))
        with self.entering(function.function, node):
            return self.create_task_function_task(function, node, call, mapped=mapped)

    def create_task_function_task(
        self, function: _TaskFunction, node: cst.Call, call: _Args, *, mapped: bool
    ) -> Any:
        dag = self.dag_from_keywords(call.keywords)
        if dag is None:
            return Unknown(code_of(node))
        decorator = self.decorator_args(function.function, function.decorator_args)
        group = self.current_group(dag, call.keywords)
        label = _first_keyword("task_id", call, decorator)
        if label is None:
            label = function.function.node.name.value
        if not isinstance(label, str):
            dag.pipeline.mark_incomplete("a task id that cannot be resolved")
            return Unknown(code_of(node))
        task_id = _unique_id(group.child_id(label) if group else label, _task_ids(dag))
        kind = task_kind(function.operator)
        task = Task(task_id, function.operator, kind, self.span(node), mapped=mapped)
        judged = self.judge_task_body(function)
        steers_only = controls_only(function.operator)
        task.reaches_out = not steers_only and judged.reaches_out
        task.may_hang = not steers_only and judged.may_hang
        task.callable = function.function.node.name.value
        task.clock_reads.extend(self.clock_reads_in(function.function))
        # Only where the body is the task's Python (not @task.bash's command builder, say).
        task.swallows_failures = (
            kind is TaskKind.PYTHON
            and not controls_only(function.operator)
            and swallows_failures(function.function.node)
        )
        task.settings = self.task_settings(
            dag, group, call.keywords, decorator.keywords, call.opaque or decorator.opaque, kind
        )
        doc_md = task.settings["doc_md"]
        docstring = function.function.node.get_docstring(clean=False)
        if doc_md.provenance is Provenance.DEFAULT and docstring and not mapped:
            # A TaskFlow task without doc_md is documented by its docstring (not once mapped).
            task.settings["doc_md"] = Setting(
                docstring, Provenance.DECORATOR, "docstring", self.span(function.function.node.name)
            )
        trigger_rule = task.settings["trigger_rule"]
        if (
            function.operator.endswith(".teardown")
            and trigger_rule.provenance is Provenance.DEFAULT
        ):
            task.settings["trigger_rule"] = replace(trigger_rule, value=_TEARDOWN_TRIGGER_RULE)
        ref = self.add_task(dag, group, task)
        self.data_dependencies(call.values(), ref, node)
        return ref

    def add_task(self, dag: _Dag, group: _Group | None, task: Task) -> _TaskRef:
        task.group = group.full_id if group else None
        task.created_in = self.anchor_origin
        dag.pipeline.tasks.append(task)
        ref = _TaskRef(dag, task)
        if isinstance(task.id, str):
            ancestor = group
            while ancestor is not None:
                ancestor.members.append(ref)
                ancestor = ancestor.parent
        return ref

    def current_group(
        self, dag: _Dag, keywords: dict[str, tuple[Any, cst.Arg]] | None = None
    ) -> _Group | None:
        if keywords and "task_group" in keywords:
            value = keywords["task_group"][0]
            return value.group if isinstance(value, _GroupRef) else None
        if self.group_stack and self.group_stack[-1].dag is dag:
            return self.group_stack[-1]
        return None

    def dag_from_keywords(self, keywords: dict[str, tuple[Any, cst.Arg]]) -> _Dag | None:
        if "dag" in keywords:
            value = keywords["dag"][0]
            return value.dag if isinstance(value, _DagRef) else None
        if "task_group" in keywords and isinstance(keywords["task_group"][0], _GroupRef):
            return keywords["task_group"][0].group.dag
        return self.dag_stack[-1] if self.dag_stack else None

    def task_settings(
        self,
        dag: _Dag,
        group: _Group | None,
        keywords: dict[str, tuple[Any, cst.Arg]],
        decorator_keywords: dict[str, tuple[Any, cst.Arg]],
        opaque: bool,
        kind: TaskKind,
    ) -> dict[str, Setting]:
        """Each setting from the most specific place that sets it, as Airflow resolves it."""
        defaults = dict(_TASK_DEFAULTS)
        defaults["retry_exponential_backoff"] = _RETRY_BACKOFF_DEFAULT[dag.version]
        if kind is TaskKind.SENSOR:
            defaults.update(_SENSOR_DEFAULTS)
        layers = list(self.default_args_layers(dag, group))
        settings: dict[str, Setting] = {}
        for name, default in defaults.items():
            if name in keywords:
                value, arg = keywords[name]
                settings[name] = self.setting_from_arg(value, arg, Provenance.TASK)
            elif name in decorator_keywords:
                value, arg = decorator_keywords[name]
                settings[name] = self.setting_from_arg(value, arg, Provenance.DECORATOR)
            else:
                settings[name] = self.inherited_setting(name, default, layers, opaque)
        return settings

    def inherited_setting(
        self,
        name: str,
        default: Any,
        layers: list[tuple[dict[str, Any] | Unknown, cst.Arg | None]],
        opaque: bool,
    ) -> Setting:
        if opaque:
            return Setting(Unknown("**kwargs"), Provenance.UNKNOWN)
        for default_args, arg in layers:
            if isinstance(default_args, Unknown):
                return Setting(Unknown(default_args.text), Provenance.UNKNOWN)
            if name in default_args:
                value = default_args[name]
                source = self.key_source(default_args, name)
                if source is not None:
                    text, span = code_of(source), self.span(source)
                else:  # written in another module: point at the default_args argument
                    text = _literal_text(value)
                    span = self.span(arg.value) if arg is not None else None
                return Setting(_setting_value(value, text), Provenance.DEFAULT_ARGS, text, span)
        return Setting(default, Provenance.DEFAULT)

    def default_args_layers(
        self, dag: _Dag, group: _Group | None
    ) -> Iterator[tuple[dict[str, Any] | Unknown, cst.Arg | None]]:
        while group is not None:
            if group.default_args is not None:
                yield group.default_args, group.default_args_arg
            group = group.parent
        if dag.default_args is not None:
            yield dag.default_args, dag.default_args_arg

    def setting_from_arg(self, value: Any, arg: cst.Arg, provenance: Provenance) -> Setting:
        text = code_of(arg.value)
        return Setting(_setting_value(value, text), provenance, text, self.span(arg.value))

    # -- plain functions --------------------------------------------------------------------

    def call_function(self, function: _Function, node: cst.Call, args: _Args) -> Any:
        if self.call_depth >= _MAX_CALL_DEPTH:
            self.unfollowed(f"the call `{code_of(node.func)}`")
            return Unknown(code_of(node))
        with self.entering(function, node):
            return self.run_function(function, args)

    def run_function(self, function: _Function, args: _Args) -> Any:
        """Interpret a function body with its parameters bound to the call's arguments."""
        scope = Scope(function.scope)
        saved, self.scope = self.scope, scope
        self.call_depth += 1
        try:
            self.bind_parameters(function.node.params, args, scope)
            self.exec_block(function.node.body.body)
        except _Return as returned:
            return returned.value
        finally:
            self.scope = saved
            self.call_depth -= 1
        return None

    def bind_parameters(self, params: cst.Parameters, args: _Args, scope: Scope) -> None:
        positional = [*params.posonly_params, *params.params]
        named = args.named(*(p.name.value for p in positional)).keywords
        for param in [*positional, *params.kwonly_params]:
            name = param.name.value
            if name in named:
                scope.bind(name, named[name][0])
            elif param.default is not None and not args.opaque:
                # Defaults are evaluated where the function was defined.
                saved, self.scope = self.scope, scope.parent or scope
                try:
                    scope.bind(name, self.evaluate(param.default))
                finally:
                    self.scope = saved
            else:
                scope.bind(name, Unknown(name))
        for star in (params.star_arg, params.star_kwarg):
            if isinstance(star, cst.Param):
                scope.bind(star.name.value, Unknown(star.name.value))


# -- helpers --------------------------------------------------------------------------------


# Operators and decorators that steer the run (skip, branch, wait for the latest run) rather
# than do its work: there is no transient failure to retry and nothing to hang on.
_CONTROL_OPERATORS = frozenset(
    {
        "EmptyOperator",
        "DummyOperator",
        "LatestOnlyOperator",
        "ShortCircuitOperator",
        "BranchPythonOperator",
        "BranchDayOfWeekOperator",
        "BranchDateTimeOperator",
    }
)
_CONTROL_DECORATORS = (".task.branch", ".task.short_circuit")


def controls_only(operator: str) -> bool:
    """Whether an operator or TaskFlow decorator only steers the run."""
    return operator.rsplit(".", 1)[-1] in _CONTROL_OPERATORS or operator.endswith(
        _CONTROL_DECORATORS
    )


def task_kind(operator: str) -> TaskKind:
    """What kind of work an operator or TaskFlow decorator does."""
    if ".task." in f".{operator}" and not operator.endswith((".task", ".task.python")):
        flavour = operator.rsplit(".", 1)[-1]
        return {
            "bash": TaskKind.BASH,
            "sensor": TaskKind.SENSOR,
            "kubernetes": TaskKind.KUBERNETES,
            "kubernetes_cmd": TaskKind.KUBERNETES,
            "sql": TaskKind.SQL,
            "docker": TaskKind.OTHER,
        }.get(flavour, TaskKind.PYTHON)
    name = operator.rsplit(".", 1)[-1]
    if operator.endswith((".task", ".setup", ".teardown", ".task.python")):
        return TaskKind.PYTHON
    if name.endswith(("Sensor", "SensorAsync")):
        return TaskKind.SENSOR
    if name in ("EmptyOperator", "DummyOperator"):
        return TaskKind.EMPTY
    if name == "TriggerDagRunOperator":
        return TaskKind.TRIGGER
    if "Kubernetes" in name or name.endswith("PodOperator"):
        return TaskKind.KUBERNETES
    if "Bash" in name:
        return TaskKind.BASH
    if "Python" in name or name in ("ShortCircuitOperator", "BranchPythonOperator"):
        return TaskKind.PYTHON
    if re.search(r"Sql|SQL|Query|Postgres|MySql|Snowflake|Redshift|BigQueryInsertJob", name):
        return TaskKind.SQL
    return TaskKind.OTHER


def _is_task_decorator(qualname: str) -> bool:
    return any(qualname == home or qualname.startswith(home + ".") for home in _TASK_DECORATORS)


def _looks_like_operator(qualname: str) -> bool:
    name = qualname.rsplit(".", 1)[-1]
    return qualname.startswith("airflow.") and name.endswith(("Operator", "Sensor", "SensorAsync"))


def _text_of(keywords: dict[str, tuple[Any, cst.Arg]], name: str) -> str:
    arg = keywords.get(name, (None, None))[1]
    return code_of(arg.value) if arg is not None else name


def _imported_modules(node: cst.Import | cst.ImportFrom) -> list[str]:
    if isinstance(node, cst.Import):
        return [code_of(alias.name) for alias in node.names]
    return [code_of(node.module)] if node.module is not None and not node.relative else []


def _first_keyword(name: str, *calls: _Args) -> Any:
    for call in calls:
        if name in call.keywords:
            return call.keywords[name][0]
    return None


def _default_args(
    keywords: dict[str, tuple[Any, cst.Arg]], opaque: bool
) -> tuple[dict[str, Any] | Unknown | None, cst.Arg | None]:
    """A DAG's or group's default_args: a dict, Unknown when opaque, None when absent."""
    if "default_args" in keywords:
        value, arg = keywords["default_args"]
        if isinstance(value, dict):
            return value, arg
        return Unknown(code_of(arg.value)), arg
    return (Unknown("**kwargs"), None) if opaque else (None, None)


def _callable_name(keywords: dict[str, tuple[Any, cst.Arg]]) -> str | None:
    arg = keywords.get("python_callable", (None, None))[1]
    return code_of(arg.value) if arg is not None else None


def _task_ids(dag: _Dag) -> set[str]:
    return {t.id for t in dag.pipeline.tasks if isinstance(t.id, str)}


def _unique_id(candidate: str, taken: set[str]) -> str:
    """Airflow's suffixing for repeated TaskFlow calls and task groups: x, x__1, x__2."""
    if candidate not in taken:
        return candidate
    core = re.split(r"__\d+$", candidate)[0]
    pattern = re.compile(rf"^{re.escape(core)}__(\d+)$")
    suffixes = [int(m.group(1)) for taken_id in taken if (m := pattern.match(taken_id))]
    return f"{core}__{max(suffixes) + 1 if suffixes else 1}"


def _flat(values: Any) -> Iterator[Any]:
    """A value and, for a list, tuple, set or dict, every value inside it."""
    yield values
    if isinstance(values, list | tuple | set):
        for value in values:
            yield from _flat(value)
    elif isinstance(values, dict):
        for value in values.values():
            yield from _flat(value)


class _NodeIds(Walker):
    def __init__(self, ids: set[int]) -> None:
        self.ids = ids

    def walk(self, node: cst.CSTNode) -> None:
        self.ids.add(id(node))
        super().walk(node)


def _dag_of(value: Any) -> _Dag | None:
    """The DAG a task, group or DAG reference belongs to."""
    if isinstance(value, _TaskRef | _DagRef):
        return value.dag
    return value.group.dag if isinstance(value, _GroupRef) else None


def _task_refs_in(values: Any) -> Iterator[_TaskRef]:
    return (value for value in _flat(values) if isinstance(value, _TaskRef))


def _setting_value(value: Any, text: str) -> Any:
    """A setting keeps literal values; references to code become Unknown(text)."""
    if _is_literal(value):
        return value
    if isinstance(value, Unknown):
        return value
    return Unknown(text)


def _is_literal(value: Any) -> bool:
    if value is None or isinstance(
        value, bool | int | float | str | dt.timedelta | dt.date | ObjectValue
    ):
        return True
    if isinstance(value, list | tuple | set | frozenset):
        return all(_is_literal(v) for v in value)
    if isinstance(value, dict):
        return all(_is_literal(k) and _is_literal(v) for k, v in value.items())
    return False


def _literal_text(value: Any) -> str:
    return repr(value) if _is_literal(value) else getattr(value, "text", type(value).__name__)


def detect_airflow_version(module: cst.Module, source: str) -> str:
    """The major version :func:`detect_airflow_target` gives."""
    return detect_airflow_target(module, source).major


# What only Airflow 2 code writes: modules and a DAG argument Airflow 3 removed (or keeps
# only as deprecated aliases, which production code on 3 has moved off).
_AIRFLOW_2_MODULES = (
    "airflow.operators.",
    "airflow.sensors.",
    "airflow.utils.dates",
    "airflow.contrib",
)


def detect_airflow_target(module: cst.Module, source: str) -> TargetVersion:
    """For a project that pins nothing: Airflow 3 when the file imports ``airflow.sdk``
    (which 2 does not have); else the installed Airflow; else 2 when the file uses what 3
    removed (``schedule_interval=``, ``airflow.operators.*``); else 3, assumed."""
    airflow_2_cue = None
    for statement in module.body:
        if isinstance(statement, cst.SimpleStatementLine):
            for small in statement.body:
                if isinstance(small, cst.ImportFrom) and small.module is not None:
                    modules = [code_of(small.module)]
                elif isinstance(small, cst.Import):
                    modules = [code_of(alias.name) for alias in small.names]
                else:
                    continue
                if any(module.startswith("airflow.sdk") for module in modules):
                    return TargetVersion("airflow", "3", "3", "code", "imports airflow.sdk")
                for name in modules:
                    if airflow_2_cue is None and f"{name}.".startswith(_AIRFLOW_2_MODULES):
                        airflow_2_cue = f"imports {name}"
    installed = installed_airflow_version()
    if installed is not None:
        return TargetVersion("airflow", installed.split(".")[0], installed, "installed")
    if airflow_2_cue is None and _SCHEDULE_INTERVAL.search(source):
        airflow_2_cue = "uses schedule_interval="
    if airflow_2_cue is not None:
        return TargetVersion("airflow", "2", "2", "code", airflow_2_cue)
    return TargetVersion("airflow", "3", "3", "assumed")


_SCHEDULE_INTERVAL = re.compile(r"\bschedule_interval\s*=")


@functools.lru_cache(maxsize=1)
def installed_airflow_version() -> str | None:
    """The installed Airflow's version, read from package metadata (never imported)."""
    from importlib import metadata

    for distribution in ("apache-airflow-core", "apache-airflow"):
        try:
            version = metadata.version(distribution)
        except metadata.PackageNotFoundError:
            continue
        if version.split(".")[0] in ("2", "3"):
            return version
    return None


@functools.lru_cache(maxsize=1)
def installed_airflow_major() -> str:
    """The installed Airflow's major version, else 3."""
    installed = installed_airflow_version()
    return installed.split(".")[0] if installed is not None else "3"
