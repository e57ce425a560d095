"""Load DAG files with Airflow's own DagBag and print, as JSON, what Airflow built from them.

Run with an interpreter that has Airflow installed::

    python tests/dagbag_truth.py OUTPUT ROOT FILE [FILE ...]

The JSON goes to the file OUTPUT (Airflow logs to stdout). ROOT goes first on ``sys.path``,
as Airflow does with its dags folder, so fixtures can import shared modules of the tree. Each
file is loaded by its own DagBag. The builder tests run this in a subprocess to check their
expectations against Airflow rather than against our reading of its documentation. This
module imports nothing from Airflow at import time, so the tests can share :func:`jsonable`
without Airflow installed.
"""

from __future__ import annotations

import datetime as dt
import enum
import json
import sys
from collections.abc import Callable
from typing import Any

TASK_ATTRIBUTES = (
    "retries",
    "retry_delay",
    "retry_exponential_backoff",
    "max_retry_delay",
    "execution_timeout",
    "owner",
    "depends_on_past",
    "trigger_rule",
    "pool",
    "email",
    "email_on_failure",
    "on_failure_callback",
    "mode",
    "timeout",
    "poke_interval",
    "deferrable",
    "doc_md",
)
DAG_ATTRIBUTES = (
    "schedule",
    "catchup",
    "tags",
    "max_active_runs",
    "max_active_tasks",
    "dagrun_timeout",
    "description",
    "doc_md",
    "on_failure_callback",
    "deadline",
)


def jsonable(value: Any) -> Any:
    """A comparable plain-data form: durations as seconds, enums by value, sets sorted."""
    if isinstance(value, dt.timedelta):
        return value.total_seconds()
    if isinstance(value, enum.Enum):
        return jsonable(value.value)
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, set | frozenset):
        return sorted(jsonable(v) for v in value)
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, Callable):  # type: ignore[arg-type]
        return {"callable": getattr(value, "__name__", repr(value))}
    return repr(value)


def describe_dag(dag: Any) -> dict[str, Any]:
    tasks = {}
    for task in dag.tasks:
        group = task.task_group
        tasks[task.task_id] = {
            "settings": {
                name: jsonable(getattr(task, name))
                for name in TASK_ATTRIBUTES
                if hasattr(task, name)
            },
            "group": None if group is None or group.is_root else group.group_id,
            "mapped": any(cls.__name__ == "MappedOperator" for cls in type(task).__mro__),
            "callable": getattr(getattr(task, "python_callable", None), "__name__", None),
        }
    groups = {
        group.group_id: (None if group.parent_group.is_root else group.parent_group.group_id)
        for group in dag.task_group.get_task_group_dict().values()
        if not group.is_root
    }
    return {
        "settings": {name: jsonable(getattr(dag, name)) for name in DAG_ATTRIBUTES},
        "tasks": tasks,
        "edges": sorted(
            [task.task_id, downstream]
            for task in dag.tasks
            for downstream in task.downstream_task_ids
        ),
        "groups": groups,
    }


def main(output: str, root: str, files: list[str]) -> None:
    from dagbag_dump import exception_line, load_dagbag  # beside this script

    sys.path.insert(0, root)
    truth = {}
    for file in files:
        bag = load_dagbag(file)
        truth[file] = {
            "import_errors": {
                path: exception_line(error) for path, error in bag.import_errors.items()
            },
            "dags": {dag_id: describe_dag(dag) for dag_id, dag in bag.dags.items()},
        }
    with open(output, "w", encoding="utf-8") as stream:
        json.dump(truth, stream, indent=1, sort_keys=True)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3:])
