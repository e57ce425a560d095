"""Expectations for the static Airflow builder, and the two ways they are checked.

An :class:`ExpectedDag` says what one DAG must look like: its task ids and kinds, its edges,
its groups, and chosen settings with their provenance. Each expectation is checked twice:
against the static model (:func:`assert_model_matches`, the builder's contract) and against
what Airflow's own DagBag builds from the same source (:func:`assert_truth_matches`, so the
expectation is Airflow's behaviour and not our reading of it). Beyond the chosen settings,
:func:`assert_known_values_are_true` checks every value the model claims to know against
DagBag's.
"""

from __future__ import annotations

import datetime as dt
import importlib.metadata
import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from dagbag_truth import jsonable

from dagcheck.model.pipeline import ObjectValue, Pipeline, Provenance, Setting, TaskKind, Unknown

TASK = Provenance.TASK
DECORATOR = Provenance.DECORATOR
DEFAULT_ARGS = Provenance.DEFAULT_ARGS
DAG = Provenance.DAG
DEFAULT = Provenance.DEFAULT
UNKNOWN = Provenance.UNKNOWN

PYTHON = TaskKind.PYTHON
BASH = TaskKind.BASH
SQL = TaskKind.SQL
SENSOR = TaskKind.SENSOR
EMPTY = TaskKind.EMPTY
TRIGGER = TaskKind.TRIGGER

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "airflow"
TRUTH_SCRIPT = Path(__file__).resolve().parent / "dagbag_truth.py"


class AnyUnknown:
    """Matches any :class:`Unknown`: the builder keeps the source text, whatever it is."""

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Unknown)

    def __hash__(self) -> int:
        return 0

    def __repr__(self) -> str:
        return "Unknown(...)"


class SomeValue:
    """Matches any value but None: for settings whose presence matters, not their form
    (a callback is a function, which the model cannot hold as such)."""

    def __eq__(self, other: object) -> bool:
        return other is not None

    def __hash__(self) -> int:
        return 0

    def __repr__(self) -> str:
        return "<some value>"


@dataclass(frozen=True, eq=False)
class Seconds:
    """A duration the model may hold as a number of seconds or as a timedelta.

    Only for framework defaults whose form the model contract leaves open (a sensor's
    ``timeout`` and ``poke_interval``); a value the user wrote is compared as written.
    """

    seconds: float

    def __eq__(self, other: object) -> bool:
        if isinstance(other, dt.timedelta):
            return other.total_seconds() == self.seconds
        is_number = isinstance(other, int | float) and not isinstance(other, bool)
        return is_number and other == self.seconds

    def __hash__(self) -> int:
        return hash(self.seconds)


UNKNOWN_VALUE = AnyUnknown()
SOME_VALUE = SomeValue()

Expectation = tuple[Any, Provenance]
# The ``pipelines_by_id`` fixture: (path, *, target_airflow="auto") -> pipelines by id.
BuildPipelines = Callable[..., dict[str | Unknown, Pipeline]]


@dataclass(frozen=True)
class ExpectedDag:
    """What the model of one DAG must be.

    ``tasks`` maps every task id to its kind; ``edges`` are ``"upstream >> downstream"``
    strings. Both are exact unless ``complete`` is False: then they list what must be known
    and tasks whose id the builder could not resolve are ignored. ``grouped`` maps each task
    in a task group to its innermost group; ``groups`` maps each group id to its parent.
    ``task_settings`` and ``dag_settings`` list chosen settings as ``(value, provenance)``.
    ``operators`` maps task ids to the last part(s) of their qualified operator name, and
    ``callables`` to the name of the Python function they run.
    """

    dag_id: str
    kind: str
    tasks: Mapping[str, TaskKind]
    edges: Iterable[str] = ()
    task_settings: Mapping[str, Mapping[str, Expectation]] = field(default_factory=dict)
    dag_settings: Mapping[str, Expectation] = field(default_factory=dict)
    groups: Mapping[str, str | None] = field(default_factory=dict)
    grouped: Mapping[str, str] = field(default_factory=dict)
    mapped: frozenset[str] = frozenset()
    operators: Mapping[str, str] = field(default_factory=dict)
    callables: Mapping[str, str] = field(default_factory=dict)
    complete: bool = True
    target_airflow: str = "auto"

    @property
    def edge_pairs(self) -> set[tuple[str, str]]:
        pairs = set()
        for edge in self.edges:
            upstream, downstream = (part.strip() for part in edge.split(">>"))
            pairs.add((upstream, downstream))
        return pairs


def known_task_ids(pipeline: Pipeline) -> set[str]:
    return {task.id for task in pipeline.tasks if isinstance(task.id, str)}


def names_same(qualified: str | None, expected: str) -> bool:
    """``expected`` is ``qualified`` or its last dotted part(s)."""
    return qualified is not None and (qualified == expected or qualified.endswith("." + expected))


def assert_model_matches(pipeline: Pipeline, expected: ExpectedDag) -> None:
    """Check the static model of one DAG against its expectation."""
    assert pipeline.framework == "airflow"
    assert pipeline.id == expected.dag_id
    assert pipeline.kind == expected.kind
    assert pipeline.complete is expected.complete, pipeline.incomplete_reasons

    task_ids = known_task_ids(pipeline)
    edges = {(edge.upstream, edge.downstream) for edge in pipeline.edges}
    if expected.complete:
        assert len(task_ids) == len(pipeline.tasks), "every task id must be known"
        assert task_ids == set(expected.tasks)
        assert edges == expected.edge_pairs
    else:
        assert task_ids == set(expected.tasks)
        assert {(u, d) for u, d in edges if u in task_ids and d in task_ids} == (
            expected.edge_pairs
        )

    tasks = {task.id: task for task in pipeline.tasks if isinstance(task.id, str)}
    assert {task_id: task.kind for task_id, task in tasks.items()} == dict(expected.tasks)
    assert {task_id: task.group for task_id, task in tasks.items() if task.group} == dict(
        expected.grouped
    )
    assert {group.id: group.parent for group in pipeline.groups} == dict(expected.groups)
    assert {task_id for task_id, task in tasks.items() if task.mapped} == set(expected.mapped)
    for task_id, operator in expected.operators.items():
        assert names_same(tasks[task_id].operator, operator), task_id
    for task_id, function in expected.callables.items():
        assert names_same(tasks[task_id].callable, function), task_id

    for task_id, settings in expected.task_settings.items():
        for name, (value, provenance) in settings.items():
            setting = tasks[task_id].setting(name)
            assert setting is not None, f"{task_id}: no setting {name!r}"
            assert (value, provenance) == (setting.value, setting.provenance), (task_id, name)
    for name, (value, provenance) in expected.dag_settings.items():
        setting = pipeline.setting(name)
        assert setting is not None, f"{expected.dag_id}: no setting {name!r}"
        assert (value, provenance) == (setting.value, setting.provenance), name


def truth_form(value: Any) -> Any:
    """The form DagBag's values are reported in (see ``dagbag_truth.jsonable``)."""
    if isinstance(value, Seconds):
        return value.seconds
    return jsonable(value)


def assert_same_value(name: str, expected: Any, actual: Any) -> None:
    if isinstance(expected, SomeValue):
        assert actual, f"{name}: Airflow has no value"
    elif name == "tags":
        assert sorted(expected) == actual, name
    else:
        assert truth_form(expected) == actual, name


def assert_truth_matches(truth: dict[str, Any], expected: ExpectedDag) -> None:
    """Check an expectation against what DagBag built (see ``dagbag_truth.describe_dag``).

    Settings of unknown provenance are skipped (Airflow knows the value, the model must
    not), and so are framework defaults of an Airflow 2 expectation, since this DagBag is
    Airflow 3 and those defaults differ between the two.
    """
    tasks = truth["tasks"]
    edges = {(upstream, downstream) for upstream, downstream in truth["edges"]}
    if expected.complete:
        assert set(tasks) == set(expected.tasks)
        assert edges == expected.edge_pairs
    else:
        assert set(expected.tasks) <= set(tasks)
        assert expected.edge_pairs <= edges
    assert truth["groups"] == dict(expected.groups)
    grouped = {task_id: task["group"] for task_id, task in tasks.items() if task["group"]}
    assert {k: v for k, v in grouped.items() if k in expected.tasks} == dict(expected.grouped)
    mapped = {task_id for task_id, task in tasks.items() if task["mapped"]}
    assert mapped & set(expected.tasks) == set(expected.mapped)
    for task_id, function in expected.callables.items():
        assert tasks[task_id]["callable"] == function, task_id

    def checkable(provenance: Provenance) -> bool:
        if provenance is UNKNOWN:
            return False
        return not (provenance is DEFAULT and expected.target_airflow == "2")

    for task_id, settings in expected.task_settings.items():
        for name, (value, provenance) in settings.items():
            if checkable(provenance):
                assert_same_value(f"{task_id}.{name}", value, tasks[task_id]["settings"][name])
    for name, (value, provenance) in expected.dag_settings.items():
        if checkable(provenance):
            assert_same_value(name, value, truth["settings"][name])


def contains_unknown(value: Any) -> bool:
    if isinstance(value, Unknown):
        return True
    if isinstance(value, list | tuple | set | frozenset):
        return any(contains_unknown(item) for item in value)
    if isinstance(value, dict):
        return any(contains_unknown(item) for item in value.values())
    return False


def objects_in(value: Any) -> list[ObjectValue]:
    if isinstance(value, ObjectValue):
        return [value]
    if isinstance(value, list | tuple | set | frozenset):
        return [obj for item in value for obj in objects_in(item)]
    return []


def contradictions(
    settings: Mapping[str, Setting], truth: Mapping[str, Any], *, target_airflow: str
) -> list[str]:
    """Every setting the model claims to know that Airflow's value contradicts.

    Unknown values are claims of ignorance, not contradictions. Callbacks are compared by
    presence only: the model cannot hold a function. Airflow 2 defaults are not compared with
    this Airflow 3 DagBag's.
    """
    found = []
    for name, setting in settings.items():
        if name not in truth or contains_unknown(setting.value):
            continue
        if setting.provenance is DEFAULT and target_airflow == "2":
            continue
        actual = truth[name]
        if name.endswith("_callback"):
            agrees = (setting.value is None) == (not actual)
        elif name == "tags":
            agrees = sorted(setting.value or []) == actual
        elif objects_in(setting.value):
            # Framework objects (assets, timetables, deadline alerts) by class: Airflow's side
            # is only their repr.
            agrees = all(obj.name in repr(actual) for obj in objects_in(setting.value))
        else:
            agrees = truth_form(setting.value) == actual
        if not agrees:
            found.append(
                f"{name}: model {setting.value!r} ({setting.provenance.value}), Airflow {actual!r}"
            )
    return found


def assert_known_values_are_true(
    pipeline: Pipeline, truth: dict[str, Any], *, target_airflow: str = "auto"
) -> None:
    """No value the model of ``pipeline`` knows may differ from DagBag's (tasks by id)."""
    errors = [
        f"DAG {setting}"
        for setting in contradictions(
            pipeline.settings, truth["settings"], target_airflow=target_airflow
        )
    ]
    for task in pipeline.tasks:
        if isinstance(task.id, Unknown):
            continue
        assert task.id in truth["tasks"], f"task {task.id!r} does not exist in Airflow"
        truth_settings = truth["tasks"][task.id]["settings"]
        errors += [
            f"task {task.id}: {setting}"
            for setting in contradictions(
                task.settings, truth_settings, target_airflow=target_airflow
            )
        ]
    assert errors == []


def airflow_python() -> str:
    """An interpreter with Airflow 3 (the fixtures import ``airflow.sdk``) to load DAGs with:
    ``$DAGCHECK_AIRFLOW_PYTHON``, else this one if it has Airflow 3; skips the test if none."""
    configured = os.environ.get("DAGCHECK_AIRFLOW_PYTHON")
    if configured:
        return configured
    try:
        importlib.metadata.version("apache-airflow-core")  # Airflow 3's core distribution
    except importlib.metadata.PackageNotFoundError:
        pytest.skip("no Airflow 3 here (set DAGCHECK_AIRFLOW_PYTHON to a Python that has it)")
    return sys.executable


def load_truth(python: str, root: Path, files: Iterable[Path], scratch: Path) -> dict[str, Any]:
    """Run DagBag on ``files`` (``root`` on sys.path) in a subprocess; results by file path."""
    output = scratch / "truth.json"
    # No bytecode caches in the fixture tree when DagBag imports its shared modules.
    env = {
        **os.environ,
        "AIRFLOW_HOME": str(scratch / "airflow_home"),
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    result = subprocess.run(
        [python, str(TRUTH_SCRIPT), str(output), str(root), *map(str, files)],
        env=env,
        cwd=scratch,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"{TRUTH_SCRIPT.name} failed:\n{result.stderr[-4000:]}")
    return json.loads(output.read_text(encoding="utf-8"))
