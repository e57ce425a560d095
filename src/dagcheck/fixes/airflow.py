"""Fixes for Airflow DAG files."""

from __future__ import annotations

import libcst as cst

from dagcheck.findings import Finding
from dagcheck.fixes import Fix, Import, Source, fixer

# Where EmptyOperator lives, by the Airflow the file is written for.
_EMPTY_OPERATOR_HOME = {
    "3": "airflow.providers.standard.operators.empty",
    "2": "airflow.operators.empty",
}


@fixer("DC703")
def schedule_keyword(source: Source, finding: Finding) -> Fix | None:
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


@fixer("DC403")
def sensor_reschedule_mode(source: Source, finding: Finding) -> Fix | None:
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
def dummy_operator(source: Source, finding: Finding) -> Fix | None:
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
