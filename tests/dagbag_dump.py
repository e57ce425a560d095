"""Load a folder with Airflow's own DagBag and print what it found as one JSON document.

Run it as a subprocess with an interpreter that has Airflow installed::

    AIRFLOW_HOME=$(mktemp -d) python tests/dagbag_dump.py path/to/dags > dagbag.json

It is the reference side of the static-model agreement test and of the model benchmark, so
every value is normalized to the plain data the static model is compared on: durations as
seconds, trigger rules as their string value, tags as a sorted list, and schedules as None, a
string or timedelta seconds (anything else, such as assets or timetables, becomes
``{"other": "<type name>"}``).

Airflow logs to stdout and stderr while it fills the bag. To keep stdout a clean JSON
document, file descriptor 1 is pointed at stderr before Airflow is imported and the JSON is
written to a saved copy of the original stdout.

This file never imports dagcheck: it runs with whatever interpreter has Airflow, including
the older Pythons Airflow 2 supports. It imports Airflow only inside functions, because the
agreement test imports its normalizers to normalize the static side with the same code.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import sys
from typing import Any, TextIO


def seconds(value: Any) -> Any:
    """A duration as float seconds; Airflow keeps durations as timedelta (None when unset)."""
    if value is None:
        return None
    if isinstance(value, dt.timedelta):
        return value.total_seconds()
    # A tuple rather than int | float: isinstance() takes unions only from Python 3.10 on.
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    return {"other": type(value).__name__}


def plain_trigger_rule(value: Any) -> Any:
    # TriggerRule is a str enum; its .value is the string users write ("all_success").
    return getattr(value, "value", value)


def schedule_value(dag: Any) -> Any:
    """The schedule the user wrote, as far as Airflow keeps it.

    Airflow 3 keeps the raw ``schedule`` argument on the DAG object. Airflow 2 keeps
    ``schedule_interval``, but for dataset and timetable schedules that attribute holds the
    timetable's summary string, which would look like a cron string; those return the
    timetable itself so that they normalize to ``{"other": ...}``.
    """
    if not hasattr(dag, "schedule_interval"):
        return dag.schedule
    from airflow.timetables.interval import CronDataIntervalTimetable, DeltaDataIntervalTimetable
    from airflow.timetables.simple import ContinuousTimetable, NullTimetable, OnceTimetable

    interval_timetables = (
        CronDataIntervalTimetable,
        DeltaDataIntervalTimetable,
        NullTimetable,
        OnceTimetable,
        ContinuousTimetable,
    )
    if type(dag.timetable) in interval_timetables:
        return dag.schedule_interval
    if type(dag.timetable).__name__ == "DatasetTriggeredTimetable":
        # A dataset schedule: Airflow 2 keeps the condition (a list becomes DatasetAll).
        return dag.timetable.dataset_condition
    return dag.timetable


def normalize_schedule(value: Any) -> Any:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, dt.timedelta):
        return value.total_seconds()
    if isinstance(value, (list, tuple)):
        return [normalize_schedule(item) for item in value]
    # Assets, asset expressions, timetables, relativedelta: the type name is stable across
    # runs, unlike their reprs (which can contain object addresses).
    return {"other": type(value).__name__}


def task_settings(task: Any) -> dict[str, Any]:
    return {
        "retries": task.retries,
        "retry_delay": seconds(task.retry_delay),
        "execution_timeout": seconds(task.execution_timeout),
        "trigger_rule": plain_trigger_rule(task.trigger_rule),
        "owner": task.owner,
        "pool": task.pool,
    }


def dag_settings(dag: Any) -> dict[str, Any]:
    return {
        # Airflow 3 keeps tags as a set, Airflow 2 as a list: sort for a stable comparison.
        "tags": sorted(set(dag.tags or [])),
        "schedule": normalize_schedule(schedule_value(dag)),
        "catchup": dag.catchup,
        "max_active_runs": dag.max_active_runs,
        "dagrun_timeout": seconds(dag.dagrun_timeout),
    }


def dag_as_dict(dag: Any) -> dict[str, Any]:
    edges = sorted(
        [task.task_id, downstream] for task in dag.tasks for downstream in task.downstream_task_ids
    )
    return {
        "dag_id": dag.dag_id,
        "fileloc": dag.fileloc,
        "task_ids": sorted(dag.task_ids),
        "edges": edges,
        "dag_settings": dag_settings(dag),
        "task_settings": {task.task_id: task_settings(task) for task in dag.tasks},
    }


# An exception line of a traceback: "pkg.mod.SomeError: message" or a bare "SomeError".
_EXCEPTION_LINE = re.compile(r"^[A-Za-z_][\w.]*(: |$)")


def exception_line(traceback_text: str) -> str:
    """The last exception line of an import error's traceback, else its last line.

    The plain last line is often not the error: SQLAlchemy, for one, ends its messages with
    the SQL text and a "(Background on this error at: ...)" link.
    """
    lines = [line.rstrip() for line in str(traceback_text).splitlines() if line.strip()]
    exception_lines = [line for line in lines if _EXCEPTION_LINE.match(line)]
    if exception_lines:
        return exception_lines[-1]
    return lines[-1].strip() if lines else ""


def load_dagbag(folder: str) -> Any:
    try:  # Airflow 3
        from airflow.dag_processing.dagbag import DagBag
    except ImportError:  # Airflow 2: without include_examples=False it adds Airflow's examples
        from airflow.models.dagbag import DagBag

        return DagBag(folder, include_examples=False)
    return DagBag(folder)


def dump(folder: str) -> dict[str, Any]:
    import airflow

    bag = load_dagbag(folder)
    return {
        "airflow_version": airflow.__version__,
        "folder": folder,
        "dags": [dag_as_dict(bag.dags[dag_id]) for dag_id in sorted(bag.dags)],
        "import_errors": {
            path: exception_line(text) for path, text in sorted(bag.import_errors.items())
        },
    }


def stdout_for_json_only() -> TextIO:
    """Send everything else written to stdout (Airflow's logs, prints in DAG files) to stderr.

    Redirecting at the file-descriptor level also catches writes from handlers that hold a
    reference to the original ``sys.stdout`` or write to fd 1 directly.
    """
    sys.stdout.flush()
    json_out = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)
    return json_out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", help="the DAG folder to load")
    args = parser.parse_args(argv)
    if not os.environ.get("AIRFLOW_HOME"):
        # Airflow writes config, logs and a database under AIRFLOW_HOME (~/airflow by default);
        # a measurement must never touch a real installation's home.
        print("dagbag_dump: set AIRFLOW_HOME to a throwaway directory", file=sys.stderr)
        return 2
    # Only the given folder is measured, never Airflow's bundled examples.
    os.environ["AIRFLOW__CORE__LOAD_EXAMPLES"] = "False"
    json_out = stdout_for_json_only()
    result = dump(os.path.abspath(args.folder))
    json.dump(result, json_out, indent=1, sort_keys=True)
    json_out.write("\n")
    json_out.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
