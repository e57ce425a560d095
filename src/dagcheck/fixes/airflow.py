"""Fixes for Airflow DAG files."""

from __future__ import annotations

import datetime as dt
import json

import libcst as cst

from dagcheck.config import RuleOptions
from dagcheck.findings import Finding
from dagcheck.fixes import Fix, Import, Source, fixer
from dagcheck.model.values import literal_value

# Where EmptyOperator lives, by the Airflow the file is written for.
_EMPTY_OPERATOR_HOME = {
    "3": "airflow.providers.standard.operators.empty",
    "2": "airflow.operators.empty",
}


@fixer("DC703")
def schedule_keyword(source: Source, finding: Finding, policy: RuleOptions) -> Fix | None:
    """``schedule_interval=`` / ``timetable=`` -> ``schedule=``, the same value."""
    for call in source.nodes(cst.Call):
        assert isinstance(call, cst.Call)
        keywords = {arg.keyword.value: arg for arg in call.args if arg.keyword is not None}
        if "schedule" in keywords:
            continue  # both given: which one is meant is the author's call
        for legacy in ("schedule_interval", "timetable"):
            arg = keywords.get(legacy)
            if arg is not None and arg.keyword and source.starts_at(arg.value, finding.span):
                return Fix([source.replace(arg.keyword, "schedule")])
    return None


@fixer("DC201")
def retries_in_default_args(source: Source, finding: Finding, policy: RuleOptions) -> Fix | None:
    """A DAG whose tasks have no retries -> ``retries`` and ``retry_delay`` in its
    default_args. Unsafe: every task without its own retries then retries, and a failed run
    takes longer. Retries written as 0 are a choice and stay."""
    if finding.message.startswith("retries=0"):
        return None  # written on the task or in default_args: an explicit choice
    delay = _timedelta(source, policy.fix_retry_delay)
    if delay is None:
        return None
    entries = {"retries": str(policy.fix_retries), "retry_delay": delay[0]}
    return _into_default_args(source, finding, entries, delay[1], required="retries")


@fixer("DC401")
def execution_timeout_in_default_args(
    source: Source, finding: Finding, policy: RuleOptions
) -> Fix | None:
    """Tasks without an execution_timeout -> one in the DAG's default_args, from
    fix-execution-timeout. Unsafe: a task running longer is now killed and fails."""
    timeout = _timedelta(source, policy.fix_execution_timeout)
    if timeout is None:
        return None
    entries = {"execution_timeout": timeout[0]}
    return _into_default_args(source, finding, entries, timeout[1], required="execution_timeout")


@fixer("DC402")
def dagrun_timeout(source: Source, finding: Finding, policy: RuleOptions) -> Fix | None:
    """A DAG without dagrun_timeout -> ``dagrun_timeout=`` from fix-dagrun-timeout. Unsafe:
    a run lasting longer is now failed."""
    dag = _dag_call_of(source, finding)
    if dag is None or any(arg.star for arg in dag.args):
        return None
    if any(arg.keyword is not None and arg.keyword.value == "dagrun_timeout" for arg in dag.args):
        return None
    timeout = _timedelta(source, policy.fix_dagrun_timeout)
    if timeout is None:
        return None
    return Fix([source.add_keyword(dag, "dagrun_timeout", timeout[0])], timeout[1])


def _into_default_args(
    source: Source,
    finding: Finding,
    entries: dict[str, str],
    imports: list[Import],
    *,
    required: str,
) -> Fix | None:
    """``entries`` added to the default_args of the finding's DAG: to the literal, to the
    module-level dict it names, or as a new default_args=. default_args built any other way
    (a function call, an import) are not rewritten; keys already there stay as written."""
    dag = _dag_call_of(source, finding)
    if dag is None or any(arg.star for arg in dag.args):
        return None
    keywords = {arg.keyword.value: arg for arg in dag.args if arg.keyword is not None}
    default_args = keywords.get("default_args")
    if default_args is None:
        literal = "{" + ", ".join(f'"{k}": {v}' for k, v in entries.items()) + "}"
        return Fix([source.add_keyword(dag, "default_args", literal)], imports)
    mapping = _dict_literal(source, default_args.value)
    if mapping is None or _has_key(mapping, required):
        return None
    missing = {f'"{k}"': v for k, v in entries.items() if not _has_key(mapping, k)}
    used = [i for i in imports if any(i.bound_name in v for v in missing.values())]
    return Fix([source.add_entries(mapping, missing)], used)


def _dag_call_of(source: Source, finding: Finding) -> cst.Call | None:
    """The DAG(...) call or @dag(...) decorator a DAG-level finding points at; for a task's
    finding, the one whose call contains the task (found by the DAG id in the message)."""
    for call in source.nodes_at(finding.span, cst.Call):
        if isinstance(call, cst.Call) and _creates_a_dag(source, call) is not None:
            return call
    for function in source.nodes(cst.FunctionDef):  # an @dag function, named at the span
        assert isinstance(function, cst.FunctionDef)
        if source.starts_at(function.name, finding.span):
            decorators = [d.decorator for d in function.decorators]
            for decorator in decorators:
                if isinstance(decorator, cst.Call) and _creates_a_dag(source, decorator):
                    return decorator
    calls = [
        call
        for call in source.nodes(cst.Call)
        if isinstance(call, cst.Call) and _names_dag(source, call, finding.pipeline)
    ]
    calls += [
        decorator
        for function in source.nodes(cst.FunctionDef)
        if isinstance(function, cst.FunctionDef)
        for decorator in (d.decorator for d in function.decorators)
        if isinstance(decorator, cst.Call)
        and _creates_a_dag(source, decorator) == "dag"
        and _decorated_dag_id(function, decorator) == finding.pipeline
    ]
    return calls[0] if len(calls) == 1 else None


def _decorated_dag_id(function: cst.FunctionDef, decorator: cst.Call) -> str | None:
    """The id of an ``@dag(...)`` DAG: its dag_id= when written, else the function's name."""
    for arg in decorator.args:
        if arg.keyword is not None and arg.keyword.value == "dag_id":
            value = literal_value(arg.value) if isinstance(arg.value, cst.SimpleString) else None
            return value if isinstance(value, str) else None
    return function.name.value


def _creates_a_dag(source: Source, call: cst.Call) -> str | None:
    """ "DAG" for a DAG(...) call, "dag" for an @dag(...) decorator, of Airflow's."""
    func = call.func
    if isinstance(func, cst.Name):
        qualname = source.imported.get(func.value, "")
    elif isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name):
        qualname = f"{source.imported.get(func.value.value, '')}.{func.attr.value}"
    else:
        return None
    name = qualname.rpartition(".")[2]
    return name if qualname.startswith("airflow") and name in ("DAG", "dag") else None


def _names_dag(source: Source, call: cst.Call, dag_id: str | None) -> bool:
    if dag_id is None or _creates_a_dag(source, call) != "DAG":
        return False
    first = call.args[0].value if call.args and call.args[0].keyword is None else None
    by_keyword = [a.value for a in call.args if a.keyword and a.keyword.value == "dag_id"]
    written = first if first is not None else (by_keyword[0] if by_keyword else None)
    return isinstance(written, cst.SimpleString) and literal_value(written) == dag_id


def _dict_literal(source: Source, value: cst.BaseExpression) -> cst.Dict | None:
    """The dict literal default_args are: written inline, or the one module-level
    ``NAME = {...}`` the keyword names."""
    if isinstance(value, cst.Dict):
        return value
    if not isinstance(value, cst.Name):
        return None
    assigned = [
        small.value
        for statement in source.module.body
        if isinstance(statement, cst.SimpleStatementLine)
        for small in statement.body
        if isinstance(small, cst.Assign | cst.AnnAssign) and _assigns(small, value.value)
    ]
    if len(assigned) == 1 and isinstance(assigned[0], cst.Dict):
        return assigned[0]
    return None


def _assigns(statement: cst.Assign | cst.AnnAssign, name: str) -> bool:
    targets = (
        [t.target for t in statement.targets]
        if isinstance(statement, cst.Assign)
        else [statement.target]
    )
    return any(isinstance(target, cst.Name) and target.value == name for target in targets)


def _has_key(mapping: cst.Dict, key: str) -> bool:
    return any(
        isinstance(element, cst.StarredDictElement)
        or (isinstance(element.key, cst.SimpleString) and literal_value(element.key) == key)
        for element in mapping.elements
    )


def _timedelta(source: Source, seconds: int) -> tuple[str, list[Import]] | None:
    """``timedelta(...)`` of a number of seconds, as the file names timedelta, and the
    import it needs."""
    used = source.use(Import("datetime", "timedelta"))
    if used is None:
        return None
    name, imports = used
    if seconds and seconds % 3600 == 0:
        return f"{name}(hours={seconds // 3600})", imports
    if seconds % 60 == 0:
        return f"{name}(minutes={seconds // 60})", imports
    return f"{name}(seconds={seconds})", imports


@fixer("DC501")
def default_tags(source: Source, finding: Finding, policy: RuleOptions) -> Fix | None:
    """An untagged DAG -> ``tags=[...]`` from fix-tags (no fix when none are configured).
    Unsafe: tags decide who finds the DAG, and what automations and policies apply to it."""
    dag = _dag_call_of(source, finding)
    if not policy.fix_tags or dag is None or any(arg.star for arg in dag.args):
        return None
    tags = "[" + ", ".join(json.dumps(tag) for tag in policy.fix_tags) + "]"
    for arg in dag.args:
        if arg.keyword is not None and arg.keyword.value == "tags":
            empty = isinstance(arg.value, cst.List | cst.Tuple | cst.Set) and not arg.value.elements
            return Fix([source.replace(arg.value, tags)]) if empty else None
    return Fix([source.add_keyword(dag, "tags", tags)])


@fixer("DC702")
def explicit_catchup(source: Source, finding: Finding, policy: RuleOptions) -> Fix | None:
    """A scheduled DAG leaving catchup to the default -> ``catchup=False``. Safe on Airflow 3,
    whose default it is; unsafe on Airflow 2, where missed intervals then stop being run."""
    dag = _dag_call_of(source, finding)
    if dag is None or any(arg.star for arg in dag.args):
        return None
    edit = source.add_keyword(dag, "catchup", "False")
    return Fix([edit], safety="safe" if source.airflow_major == "3" else "unsafe")


@fixer("DC403")
def sensor_reschedule_mode(source: Source, finding: Finding, policy: RuleOptions) -> Fix | None:
    """A sensor poking for days -> ``mode="reschedule"``, which gives its worker slot back
    between pokes. Unsafe: the sensor then runs as short tries rescheduled between pokes,
    which changes its states and logs."""
    for call in source.nodes_at(finding.span, cst.Call):
        assert isinstance(call, cst.Call)
        keywords = {arg.keyword.value for arg in call.args if arg.keyword is not None}
        if "mode" in keywords or any(arg.star for arg in call.args):
            return None  # written already, or a *mapping may say how it pokes
        return Fix([source.add_keyword(call, "mode", '"reschedule"')])
    return None


@fixer("DC803")
def dummy_operator(source: Source, finding: Finding, policy: RuleOptions) -> Fix | None:
    """``DummyOperator(...)`` -> ``EmptyOperator(...)``, imported from the file's Airflow."""
    for call in source.nodes_at(finding.span, cst.Call):
        assert isinstance(call, cst.Call)
        if isinstance(call.func, cst.Name) and call.func.value == "DummyOperator":
            airflow_3 = any(
                qualname.startswith(("airflow.sdk", "airflow.providers.standard"))
                for qualname in source.imported.values()
            )
            home = _EMPTY_OPERATOR_HOME["3" if airflow_3 else "2"]
            renamed = source.replace(call.func, "EmptyOperator")
            old_import = _sole_import_of_dummy_operator(source)
            if old_import is not None:  # DummyOperator's home is gone in Airflow 3
                return Fix([renamed, source.replace(old_import, _import_text(home))])
            return Fix([renamed], [Import(home, "EmptyOperator")])
    return None


def _sole_import_of_dummy_operator(source: Source) -> cst.ImportFrom | None:
    """``from ... import DummyOperator`` on its own, when every other use of the name is a
    ``DummyOperator(...)`` call (each a finding that this round renames)."""
    imports = [
        node
        for node in source.nodes(cst.ImportFrom)
        if isinstance(node, cst.ImportFrom)
        and not isinstance(node.names, cst.ImportStar)
        and len(node.names) == 1
        and node.names[0].asname is None
        and source.module.code_for_node(node.names[0].name) == "DummyOperator"
    ]
    if len(imports) != 1 or "EmptyOperator" in source.imported:
        return None
    uses = [n for n in source.nodes(cst.Name) if getattr(n, "value", None) == "DummyOperator"]
    calls = [c for c in source.nodes(cst.Call) if _calls_dummy_operator(c)]
    # The import's own name and one name per call: nothing else refers to it.
    return imports[0] if len(uses) == len(calls) + 1 else None


def _calls_dummy_operator(node: cst.CSTNode) -> bool:
    return (
        isinstance(node, cst.Call)
        and isinstance(node.func, cst.Name)
        and node.func.value == "DummyOperator"
    )


def _import_text(home: str) -> str:
    return f"from {home} import EmptyOperator"


@fixer("DC203")
def exponential_backoff(source: Source, finding: Finding, policy: RuleOptions) -> Fix | None:
    """Retries at a fixed delay, left at Airflow's default -> ``retry_exponential_backoff=True``
    and a ``max_retry_delay`` (fix-max-retry-delay) in the DAG's default_args. Unsafe: later
    retries then wait longer. Backoff written off stays off."""
    if source.keyed_value_at(finding.span) is not None:
        return None  # retry_exponential_backoff=False written: a choice
    cap = _timedelta(source, policy.fix_max_retry_delay)
    if cap is None:
        return None
    entries = {"retry_exponential_backoff": "True", "max_retry_delay": cap[0]}
    return _into_default_args(
        source, finding, entries, cap[1], required="retry_exponential_backoff"
    )


@fixer("DC204")
def max_retry_delay(source: Source, finding: Finding, policy: RuleOptions) -> Fix | None:
    """Exponential backoff without a cap -> ``max_retry_delay`` (fix-max-retry-delay) next
    to it: on the task, or in the default_args that turn the backoff on. Unsafe: the longest
    waits between retries get shorter."""
    backoff = source.keyed_value_at(finding.span)
    cap = _timedelta(source, policy.fix_max_retry_delay)
    if backoff is None or backoff.key != "retry_exponential_backoff" or cap is None:
        return None
    if isinstance(backoff.container, cst.Call):
        if any(arg.star for arg in backoff.container.args):
            return None
        return Fix([source.add_keyword(backoff.container, "max_retry_delay", cap[0])], cap[1])
    if _has_key(backoff.container, "max_retry_delay"):
        return None
    return Fix([source.add_entries(backoff.container, {'"max_retry_delay"': cap[0]})], cap[1])


@fixer("DC601")
def failure_callback(source: Source, finding: Finding, policy: RuleOptions) -> Fix | None:
    """A DAG that alerts nobody -> ``on_failure_callback`` in its default_args, the team's
    callable from failure-callback, imported. Unsafe: every failed task now calls it."""
    if policy.failure_callback is None:
        return None
    callback = source.use(Import.dotted(policy.failure_callback))
    if callback is None:
        return None
    entries = {"on_failure_callback": callback[0]}
    return _into_default_args(source, finding, entries, callback[1], required="on_failure_callback")


@fixer("DC101")
def fixed_start_date(source: Source, finding: Finding, policy: RuleOptions) -> Fix | None:
    """A start_date read from the clock -> a fixed, timezone-aware ``pendulum.datetime``:
    fix-start-date, or the first of the current month (UTC). Unsafe: the DAG's first
    interval moves, and with catchup on, the runs since that date are created."""
    start_date = source.keyed_value_at(finding.span)
    pendulum = source.use(Import("pendulum"))
    if start_date is None or start_date.key != "start_date" or pendulum is None:
        return None  # an end_date read from the clock has no fixed date to take its place
    day = policy.fix_start_date or dt.datetime.now(dt.timezone.utc).date().replace(day=1)
    value = f'{pendulum[0]}.datetime({day.year}, {day.month}, {day.day}, tz="UTC")'
    return Fix([source.replace(start_date.item.value, value)], pendulum[1])


@fixer("DC301")
def sla_to_deadline(source: Source, finding: Finding, policy: RuleOptions) -> Fix | None:
    """``sla=`` on Airflow 3, which ignores it -> a ``deadline=DeadlineAlert(...)`` on the DAG
    with the same interval and the team's deadline-callback, and the sla removed; then
    ``sla_miss_callback=`` removed once the DAG has a deadline. Only when the file's SLAs
    share one interval, so that none is lost. Unsafe: a late run now calls the callback
    (DeadlineAlert needs Airflow 3.1)."""
    written = source.keyed_value_at(finding.span)
    dag = _dag_call_of(source, finding)
    if policy.deadline_callback is None or written is None or dag is None:
        return None
    has_deadline = any(a.keyword is not None and a.keyword.value == "deadline" for a in dag.args)
    removal = source.remove(written)
    if written.key == "sla_miss_callback":
        return Fix([removal]) if has_deadline else None
    if written.key != "sla" or len(_sla_intervals(source)) != 1:
        return None
    if has_deadline:
        return Fix([removal])
    if any(arg.star for arg in dag.args):
        return None
    used = source.use_all(
        Import("airflow.sdk", "DeadlineAlert"),
        Import("airflow.sdk", "DeadlineReference"),
        Import("airflow.sdk", "AsyncCallback"),
        Import.dotted(policy.deadline_callback),
    )
    if used is None:
        return None
    (alert, reference, wrapper, callback), imports = used
    interval = source.module.code_for_node(written.item.value)
    deadline = (
        f"{alert}(reference={reference}.DAGRUN_QUEUED_AT, interval={interval}, "
        f"callback={wrapper}({callback}))"
    )
    return Fix([removal, source.add_keyword(dag, "deadline", deadline)], imports)


def _sla_intervals(source: Source) -> set[str]:
    """The distinct intervals written as ``sla=`` or ``"sla":`` in the file."""
    intervals = set()
    for node in source.nodes(cst.Arg):
        assert isinstance(node, cst.Arg)
        if node.keyword is not None and node.keyword.value == "sla":
            intervals.add(source.module.code_for_node(node.value))
    for node in source.nodes(cst.DictElement):
        assert isinstance(node, cst.DictElement)
        if isinstance(node.key, cst.SimpleString) and literal_value(node.key) == "sla":
            intervals.add(source.module.code_for_node(node.value))
    return intervals
