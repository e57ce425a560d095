"""The static model against Airflow's own DagBag, on the example DAGs Airflow ships.

Airflow loads the examples in a subprocess (``dagbag_dump.py``, throwaway AIRFLOW_HOME); the
static model is built in this process without importing Airflow. Both sides are normalized
to plain data (durations in seconds, trigger rules as strings, sorted tags, schedules as
None / string / seconds / ``{"other": type}``) and compared per DAG: task ids, edges, and the
task and DAG settings the rules read. ``pytest -rP`` shows the agreement report; a failing
assertion carries it in its message.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

# The dump's own normalizers, so that both sides are normalized by the same code.
from dagbag_dump import normalize_schedule, plain_trigger_rule, seconds
from dagbag_runner import airflow_import_error, example_dags_folders, run_dagbag_dump

from dagcheck.engine import FileModel, build_models
from dagcheck.model.airflow import installed_airflow_major
from dagcheck.model.pipeline import ObjectValue, Pipeline, Setting, Unknown

MIN_DAGS_REPRODUCED = 0.95  # found statically with identical task ids and identical edges
MIN_SETTINGS_EQUAL = 0.98

TASK_SETTINGS = ("retries", "retry_delay", "execution_timeout", "trigger_rule", "owner", "pool")
DAG_SETTINGS = ("tags", "schedule", "catchup", "max_active_runs", "dagrun_timeout")
DURATION_SETTINGS = frozenset({"retry_delay", "execution_timeout", "dagrun_timeout"})

DagData = dict[str, Any]  # one DAG in the shape dagbag_dump.py prints


@dataclass(frozen=True)
class StaticMiss:
    """A setting the static model gave no value for: it never equals a DagBag value."""

    text: str  # what the report shows: the Unknown's repr, or "<absent>"
    unknown: bool  # the model said Unknown (as opposed to leaving the setting out)

    def __repr__(self) -> str:
        return self.text


# --- normalizing the static model to the dump's shape ------------------------------------


def static_setting(name: str, setting: Setting | None) -> Any:
    if setting is None:
        return StaticMiss("<absent>", unknown=False)
    if not setting.known:
        return StaticMiss(repr(setting.value), unknown=True)
    value = setting.value
    if name in DURATION_SETTINGS:
        return seconds(value)
    if name == "schedule":
        return normalize_static_schedule(value)
    if name == "tags":
        return sorted({str(tag) for tag in value})
    if name == "trigger_rule":
        return plain_trigger_rule(value)
    if name == "pool" and value is None:
        # BaseOperator turns pool=None into Airflow's default pool.
        return "default_pool"
    return value


def normalize_static_schedule(value: Any) -> Any:
    """Like the dump's normalize_schedule: framework objects (assets, timetables) by class."""
    if isinstance(value, ObjectValue):
        return {"other": value.name}
    if isinstance(value, list) and installed_airflow_major() == "2":
        return {"other": "DatasetAll"}  # Airflow 2 wraps a list of datasets in DatasetAll
    if isinstance(value, list | tuple):
        return [normalize_static_schedule(item) for item in value]
    return normalize_schedule(value)


def text_id(value: str | Unknown) -> str:
    return value if isinstance(value, str) else repr(value)


def static_dag(pipeline: Pipeline) -> DagData:
    return {
        "dag_id": text_id(pipeline.id),
        "fileloc": str(pipeline.file),
        "complete": pipeline.complete,
        "task_ids": sorted({text_id(task.id) for task in pipeline.tasks}),
        "edges": sorted([edge.upstream, edge.downstream] for edge in pipeline.edges),
        "dag_settings": {
            name: static_setting(name, pipeline.settings.get(name)) for name in DAG_SETTINGS
        },
        "task_settings": {
            text_id(task.id): {
                name: static_setting(name, task.settings.get(name)) for name in TASK_SETTINGS
            }
            for task in pipeline.tasks
        },
    }


def static_dags(file_models: Iterable[FileModel]) -> dict[str, DagData]:
    dags: dict[str, DagData] = {}
    for file_model in file_models:
        if file_model.incomplete_reasons:  # DAGs made at import: the model says it may miss some
            dags[f"file:{file_model.path.resolve()}"] = {"incomplete": True}
        for pipeline in file_model.pipelines:
            if pipeline.framework == "airflow":
                # Like DagBag, one DAG per id; a duplicate id is a finding, not a second DAG.
                dags.setdefault(text_id(pipeline.id), static_dag(pipeline))
    return dags


# --- comparing --------------------------------------------------------------------------


def values_agree(name: str, static: Any, dagbag: Any) -> bool:
    if isinstance(static, StaticMiss):
        return False
    if isinstance(static, bool) != isinstance(dagbag, bool):
        return False  # True == 1 in Python, but catchup=True is not max_active_runs=1
    return bool(static == dagbag)


@dataclass(frozen=True)
class Disagreement:
    dag_id: str
    task_id: str  # "" for a DAG-level setting
    setting: str
    static: Any
    dagbag: Any


@dataclass
class Agreement:
    airflow_version: str
    folder: str
    dagbag_ids: set[str]
    static_ids: set[str]
    import_errors: dict[str, str]
    same_task_ids: set[str] = field(default_factory=set)
    same_edges: set[str] = field(default_factory=set)
    graph_differences: list[str] = field(default_factory=list)
    # setting name -> [equal, compared]
    per_setting: dict[str, list[int]] = field(default_factory=dict)
    disagreements: list[Disagreement] = field(default_factory=list)
    silent_losses: list[str] = field(default_factory=list)

    @property
    def common_ids(self) -> set[str]:
        return self.dagbag_ids & self.static_ids

    @property
    def reproduced(self) -> set[str]:
        return self.same_task_ids & self.same_edges

    @property
    def reproduced_fraction(self) -> float:
        return fraction(len(self.reproduced), len(self.dagbag_ids))

    @property
    def settings_equal(self) -> int:
        return sum(equal for equal, _ in self.per_setting.values())

    @property
    def settings_compared(self) -> int:
        return sum(compared for _, compared in self.per_setting.values())

    @property
    def settings_fraction(self) -> float:
        return fraction(self.settings_equal, self.settings_compared)


def fraction(part: int, whole: int) -> float:
    return part / whole if whole else 0.0  # nothing compared must not pass as agreement


def compare_setting(
    agreement: Agreement, dag_id: str, task_id: str, name: str, static: Any, dagbag: Any
) -> None:
    counts = agreement.per_setting.setdefault(name, [0, 0])
    counts[1] += 1
    if values_agree(name, static, dagbag):
        counts[0] += 1
    else:
        agreement.disagreements.append(Disagreement(dag_id, task_id, name, static, dagbag))


def compare_dag(agreement: Agreement, static: DagData, dagbag: DagData) -> None:
    dag_id = dagbag["dag_id"]
    static_tasks, dagbag_tasks = set(static["task_ids"]), set(dagbag["task_ids"])
    if static_tasks == dagbag_tasks:
        agreement.same_task_ids.add(dag_id)
    else:
        agreement.graph_differences.append(
            f"{dag_id}: task ids only static {sorted(static_tasks - dagbag_tasks)}, "
            f"only DagBag {sorted(dagbag_tasks - static_tasks)}"
        )
    static_edges = {tuple(edge) for edge in static["edges"]}
    dagbag_edges = {tuple(edge) for edge in dagbag["edges"]}
    if static_edges == dagbag_edges:
        agreement.same_edges.add(dag_id)
    else:
        agreement.graph_differences.append(
            f"{dag_id}: edges only static {sorted(static_edges - dagbag_edges)}, "
            f"only DagBag {sorted(dagbag_edges - static_edges)}"
        )
    for name in DAG_SETTINGS:
        compare_setting(
            agreement,
            dag_id,
            "",
            name,
            static["dag_settings"][name],
            dagbag["dag_settings"][name],
        )
    # Settings of tasks missing on one side are not compared: the graph check counts those.
    for task_id in sorted(static_tasks & dagbag_tasks):
        for name in TASK_SETTINGS:
            compare_setting(
                agreement,
                dag_id,
                task_id,
                name,
                static["task_settings"][task_id][name],
                dagbag["task_settings"][task_id][name],
            )


def compare(static: dict[str, DagData], dump: dict[str, Any]) -> Agreement:
    dagbag = {dag["dag_id"]: dag for dag in dump["dags"]}
    agreement = Agreement(
        airflow_version=dump["airflow_version"],
        folder=dump["folder"],
        dagbag_ids=set(dagbag),
        static_ids={dag_id for dag_id in static if not dag_id.startswith("file:")},
        import_errors=dump["import_errors"],
    )
    for dag_id in sorted(agreement.common_ids):
        compare_dag(agreement, static[dag_id], dagbag[dag_id])
    agreement.silent_losses = silent_losses(static, dagbag)
    return agreement


def silent_losses(static: dict[str, DagData], dagbag: dict[str, DagData]) -> list[str]:
    """What DagBag has and a model that calls itself complete lacks: the model is never
    silently wrong, so each is a bug (a DAG the model may miss is incomplete, with why)."""
    losses = []
    for dag_id, loaded in sorted(dagbag.items()):
        modelled = static.get(dag_id)
        if modelled is None:
            if f"file:{Path(loaded['fileloc']).resolve()}" not in static:
                losses.append(f"{dag_id}: not modelled, and its file is not marked incomplete")
            continue
        if not modelled["complete"]:
            continue
        tasks = set(loaded["task_ids"]) - set(modelled["task_ids"])
        edges = {tuple(e) for e in loaded["edges"]} - {tuple(e) for e in modelled["edges"]}
        if tasks or edges:
            losses.append(
                f"{dag_id}: complete, but lacks tasks {sorted(tasks)}, edges {sorted(edges)}"
            )
    return losses


# --- the report -------------------------------------------------------------------------


def percent(part: int, whole: int) -> str:
    return f"{100 * fraction(part, whole):5.1f}%"


def ratio_row(label: str, part: int, whole: int, note: str = "") -> tuple[str, ...]:
    return (label, f"{part}/{whole}", percent(part, whole), note)


def table(rows: list[tuple[str, ...]], indent: str = "  ") -> list[str]:
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
    return [
        (
            indent + "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True))
        ).rstrip()
        for row in rows
    ]


def render_report(agreement: Agreement) -> str:
    only_static = sorted(agreement.static_ids - agreement.dagbag_ids)
    only_dagbag = sorted(agreement.dagbag_ids - agreement.static_ids)
    common = len(agreement.common_ids)
    lines = [f"static model vs Airflow {agreement.airflow_version} DagBag: {agreement.folder}"]
    lines.append(f"DagBag import errors: {len(agreement.import_errors)}")
    lines += [f"  {path}: {error}" for path, error in sorted(agreement.import_errors.items())]

    lines.append("DAGs")
    lines += table(
        [
            ("found by both", str(common), ""),
            ("only static", str(len(only_static)), ", ".join(only_static)),
            ("only DagBag", str(len(only_dagbag)), ", ".join(only_dagbag)),
        ]
    )
    lines.append("graphs")
    lines += table(
        [
            ratio_row("common DAGs, identical task ids", len(agreement.same_task_ids), common),
            ratio_row("common DAGs, identical edges", len(agreement.same_edges), common),
            ratio_row(
                "DagBag DAGs reproduced exactly",
                len(agreement.reproduced),
                len(agreement.dagbag_ids),
                f"needs >= {MIN_DAGS_REPRODUCED:.0%}",
            ),
        ]
    )
    lines.append("settings equal")
    lines += table(
        [
            ratio_row(name, equal, compared)
            for name, (equal, compared) in agreement.per_setting.items()
        ]
        + [
            ratio_row(
                "all settings",
                agreement.settings_equal,
                agreement.settings_compared,
                f"needs >= {MIN_SETTINGS_EQUAL:.0%}",
            )
        ]
    )

    lines.append(f"silent losses: {len(agreement.silent_losses)}")
    lines += [f"  {loss}" for loss in agreement.silent_losses]
    lines.append(f"graph differences: {len(agreement.graph_differences)}")
    lines += [f"  {difference}" for difference in agreement.graph_differences]
    lines.append(f"setting disagreements: {len(agreement.disagreements)}")
    if agreement.disagreements:
        lines += table(
            [("dag", "task", "setting", "static", "DagBag")]
            + [
                (d.dag_id, d.task_id or "-", d.setting, repr(d.static), repr(d.dagbag))
                for d in agreement.disagreements
            ]
        )
    return "\n".join(lines)


# --- the tests --------------------------------------------------------------------------


@pytest.fixture(
    scope="module",
    params=example_dags_folders(),
    ids=lambda folder: "/".join(folder.parts[-2:]),
)
def agreement(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Agreement:
    airflow_home = tmp_path_factory.mktemp("airflow_home")
    import_error = airflow_import_error(sys.executable, airflow_home)
    if import_error is not None:
        pytest.skip(f"Airflow is not importable by {sys.executable}: {import_error}")
    folder: Path = request.param
    dump = run_dagbag_dump(folder, airflow_home=airflow_home, timeout=600)
    static = static_dags(build_models([Path(folder)]))
    return compare(static, dump)


def test_agreement_report(agreement: Agreement) -> None:
    # Printed so that `pytest -rP` (or -s) shows the numbers even when everything passes.
    print(render_report(agreement))
    assert agreement.dagbag_ids, "DagBag loaded no DAGs from Airflow's examples"


def test_dagbag_dags_reproduced_statically(agreement: Agreement) -> None:
    assert agreement.reproduced_fraction >= MIN_DAGS_REPRODUCED, render_report(agreement)


def test_every_dagbag_task_and_edge_is_modelled_or_the_dag_is_incomplete(
    agreement: Agreement,
) -> None:
    assert not agreement.silent_losses, render_report(agreement)


def test_settings_agree_with_dagbag(agreement: Agreement) -> None:
    assert agreement.settings_fraction >= MIN_SETTINGS_EQUAL, render_report(agreement)
