"""Load DAG files with Airflow's own DagBag and report what it found, one file at a time.

dagcheck runs this file as a script, in a subprocess, with the interpreter that has Airflow
installed (``--python``, else dagcheck's own); it never imports dagcheck, so it also runs on
the older Pythons Airflow 2 supports. It reads the files to load from its arguments and
writes JSON lines to a private channel (see :func:`private_channel`):

* ``{"event": "ready", "airflow_version": "3.3.2"}`` once Airflow is imported;
* ``{"event": "start", "file": path}`` before each file, so that the parent knows which file
  was loading if it has to stop a run that hangs;
* ``{"event": "file", "file": path, "dags": [...], "import_error": text or null}`` after it.

Everything written to standard output while DAG files load (their prints, Airflow's logs) is
sent to standard error. Each value is encoded as plain JSON data the parent turns back into
the model's values: durations, dates, callables and other objects are tagged.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import json
import os
import re
import sys
from collections.abc import Callable
from typing import Any

# Settings every operator has, and those of sensors.
TASK_SETTINGS = (
    "retries",
    "retry_policy",
    "retry_delay",
    "retry_exponential_backoff",
    "max_retry_delay",
    "execution_timeout",
    "sla",
    "on_failure_callback",
    "on_success_callback",
    "on_retry_callback",
    "on_execute_callback",
    "on_skipped_callback",
    "email",
    "email_on_failure",
    "email_on_retry",
    "owner",
    "depends_on_past",
    "trigger_rule",
    "pool",
    "doc_md",
)
SENSOR_SETTINGS = ("mode", "timeout", "poke_interval", "deferrable")
DAG_SETTINGS = (
    "start_date",
    "end_date",
    "max_active_runs",
    "max_active_tasks",
    "dagrun_timeout",
    "sla_miss_callback",
    "deadline",
    "on_failure_callback",
    "on_success_callback",
    "tags",
    "description",
    "doc_md",
    "catchup",
)
# An exception line of a traceback: "pkg.mod.SomeError: message" or a bare "SomeError".
_EXCEPTION_LINE = re.compile(r"^[A-Za-z_][\w.]*(: |$)")
# Where in the DAG file an import error happened: the last frame in that file.
_FRAME = re.compile(r'^\s*File "(?P<file>[^"]+)", line (?P<line>\d+)')
_ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+")


def encode(value: Any, depth: int = 0) -> Any:
    """A setting's value as JSON data."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, dt.timedelta):
        return {"timedelta": value.total_seconds()}
    if isinstance(value, dt.datetime):
        return {"datetime": value.isoformat()}
    if isinstance(value, dt.date):
        return {"date": value.isoformat()}
    if isinstance(value, (list, tuple, set, frozenset)) and depth < 3:
        items = [encode(item, depth + 1) for item in value]
        if isinstance(value, (set, frozenset)):
            items.sort(key=lambda item: json.dumps(item, sort_keys=True))
        return {"list": items}
    if isinstance(value, dict) and depth < 3:
        return {"dict": {str(key): encode(item, depth + 1) for key, item in value.items()}}
    kind = type(value)
    if callable(value) and hasattr(value, "__qualname__") and not isinstance(value, type):
        return {"function": getattr(value, "__qualname__", repr(value))}
    text = _ADDRESS.sub("", repr(value))
    return {"object": f"{kind.__module__}.{kind.__qualname__}", "repr": text[:300]}


def exception_line(traceback_text: str) -> str:
    """The last exception line of an import error's traceback, else its last line."""
    lines = [line.rstrip() for line in str(traceback_text).splitlines() if line.strip()]
    exception_lines = [line for line in lines if _EXCEPTION_LINE.match(line)]
    if exception_lines:
        return exception_lines[-1]
    return lines[-1].strip() if lines else "the file could not be imported"


def error_line(traceback_text: str, path: str) -> int | None:
    """The line of ``path`` the traceback last passed through."""
    line = None
    for text in str(traceback_text).splitlines():
        match = _FRAME.match(text)
        if match and os.path.abspath(match["file"]) == os.path.abspath(path):
            line = int(match["line"])
    return line


def schedule_of(dag: Any) -> Any:
    """The schedule the user wrote, as far as Airflow keeps it (Airflow 3: ``schedule``;
    Airflow 2: ``schedule_interval``, or the timetable for asset and timetable schedules)."""
    if not hasattr(dag, "schedule_interval"):
        return dag.schedule
    timetable = dag.timetable
    if type(timetable).__name__ in (
        "CronDataIntervalTimetable",
        "DeltaDataIntervalTimetable",
        "NullTimetable",
        "OnceTimetable",
        "ContinuousTimetable",
    ):
        return dag.schedule_interval
    if type(timetable).__name__ == "DatasetTriggeredTimetable":
        return timetable.dataset_condition
    return timetable


def explicit_keywords(task: Any) -> set[str]:
    """The keywords the operator was created with (default_args included, as Airflow merges
    them in before the operator sees them)."""
    for name in ("_BaseOperator__init_kwargs", "partial_kwargs"):
        kwargs = getattr(task, name, None)
        if isinstance(kwargs, dict):
            return set(kwargs)
    return set()


def task_as_dict(task: Any) -> dict[str, Any]:
    kind = type(task)
    bases = [f"{base.__module__}.{base.__qualname__}" for base in kind.__mro__]
    is_sensor = any(base.endswith("BaseSensorOperator") for base in bases)
    names = TASK_SETTINGS + (SENSOR_SETTINGS if is_sensor else ())
    settings = {}
    for name in names:
        try:
            settings[name] = encode(getattr(task, name))
        except Exception:  # a property that fails on a partial (mapped) operator
            continue
    # A mapped or TaskFlow task's class wraps the operator that does the work.
    operator_class = getattr(task, "operator_class", None) or kind
    if isinstance(operator_class, type):
        operator = f"{operator_class.__module__}.{operator_class.__qualname__}"
    else:
        operator = str(operator_class)
    group = getattr(task, "task_group", None)
    group_id = getattr(group, "group_id", None) if group is not None else None
    callable_ = getattr(task, "python_callable", None)
    return {
        "task_id": task.task_id,
        "class": bases[0],
        "operator": operator,
        "bases": bases,
        "mapped": type(task).__name__ == "MappedOperator" or hasattr(task, "expand_input"),
        "operator_name": getattr(task, "task_type", kind.__name__),
        "group": group_id,
        "callable": getattr(callable_, "__qualname__", None),
        "downstream": sorted(task.downstream_task_ids),
        "settings": settings,
        "keywords": sorted(explicit_keywords(task)),
    }


def dag_as_dict(dag: Any) -> dict[str, Any]:
    settings = {}
    for name in DAG_SETTINGS:
        try:
            settings[name] = encode(getattr(dag, name))
        except Exception:
            continue
    settings["schedule"] = encode(schedule_of(dag))
    return {
        "dag_id": dag.dag_id,
        "fileloc": dag.fileloc,
        "settings": settings,
        "default_args": encode(dict(dag.default_args or {})),
        "tasks": [task_as_dict(task) for task in dag.tasks],
    }


def new_dagbag() -> Any:
    try:  # Airflow 3
        from airflow.dag_processing.dagbag import DagBag

        return DagBag(collect_dags=False)
    except ImportError:  # Airflow 2: without include_examples=False it adds Airflow's examples
        from airflow.models.dagbag import DagBag

        return DagBag(include_examples=False, collect_dags=False)


def load(bag: Any, path: str) -> dict[str, Any]:
    found = bag.process_file(path, only_if_updated=False, safe_mode=True)
    errors = {os.path.abspath(p): text for p, text in bag.import_errors.items()}
    error = errors.get(os.path.abspath(path))
    return {
        "event": "file",
        "file": path,
        # Airflow 2 can list a DAG twice (found at top level and auto-registered).
        "dags": [
            dag_as_dict(dag)
            for dag in sorted({d.dag_id: d for d in found or []}.values(), key=lambda d: d.dag_id)
        ],
        "import_error": exception_line(error) if error is not None else None,
        "import_error_line": error_line(error, path) if error is not None else None,
    }


# Set by dagcheck: the descriptor of the pipe to write to, and the bytes of address space the
# process may use (the nonce comes on standard input).
FD_VARIABLE = "DAGCHECK_LOADER_FD"
MEMORY_VARIABLE = "DAGCHECK_LOADER_MEMORY"
# Where the pipe moves: above the descriptors code tends to close or reuse.
PRIVATE_FD = 200
# Written to standard error before each file: what follows it is that file's.
FILE_MARK = b"\n--- dagcheck: next file ---\n"


def private_channel() -> Callable[[dict[str, Any]], None]:
    """The way to dagcheck, taken out of reach of the files about to be loaded; returns the
    function that sends one message.

    The variable that names the pipe is removed, the pipe moves to a high descriptor no
    program started from here inherits, and standard input, which held the nonce, then
    reads /dev/null: the nonce lives only in the returned function (never in the
    environment, which /proc/self/environ shows as the process began), and every message
    carries it, so what a DAG file writes, even to the pipe itself, is never taken for the
    loader's. Each message starts on a line of its own, whatever was written before it.
    Standard output goes to standard error, which dagcheck keeps the end of.
    """
    fd = int(os.environ.pop(FD_VARIABLE))
    private = fcntl.fcntl(fd, fcntl.F_DUPFD, PRIVATE_FD)
    os.set_inheritable(private, False)
    os.close(fd)
    nonce = b""
    while True:
        chunk = os.read(0, 4096)
        if not chunk:
            break
        nonce += chunk
    token = nonce.decode().strip()
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)
    sys.stdout.flush()
    os.dup2(2, 1)

    def send(event: dict[str, Any]) -> None:
        data = ("\n" + json.dumps(dict(event, nonce=token), sort_keys=True) + "\n").encode()
        while data:
            data = data[os.write(private, data) :]

    return send


def mark_stderr() -> None:
    """Start the next file's part of standard error: dagcheck reads it to tell a process that
    died out of memory from one that exited."""
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # closed by the last file
            stream.flush()
    os.write(2, FILE_MARK)


def limit_memory() -> None:
    """Cap the address space at what dagcheck allows (``dagbag-memory``), before any DAG
    file runs: a file that allocates past it gets a MemoryError instead of the machine's
    memory. Best effort: where the platform has no such limit, loading goes on without."""
    value = os.environ.pop(MEMORY_VARIABLE, "")
    try:
        import resource

        limit = int(value)
        _, hard = resource.getrlimit(resource.RLIMIT_AS)
        if hard != resource.RLIM_INFINITY:
            limit = min(limit, hard)
        resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    except (ImportError, AttributeError, ValueError, OSError):
        pass


def main(argv: list[str]) -> int:
    # Run as a script, this folder comes first on the import path; its modules are
    # dagcheck's, not the ones DAG files import.
    here = os.path.dirname(os.path.abspath(__file__))
    sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != here]
    if not os.environ.get("AIRFLOW_HOME"):
        print("dagbag_loader: set AIRFLOW_HOME to a throwaway folder", file=sys.stderr)
        return 2
    if FD_VARIABLE not in os.environ:
        print("dagbag_loader: run by dagcheck, which gives it a channel", file=sys.stderr)
        return 2
    send = private_channel()
    limit_memory()
    import airflow

    bag = new_dagbag()
    send({"event": "ready", "airflow_version": airflow.__version__})
    for path in argv:
        mark_stderr()
        send({"event": "start", "file": path})
        try:
            event = load(bag, path)
        except (Exception, SystemExit) as error:  # DagBag itself failed, or the file exited
            event = {
                "event": "file",
                "file": path,
                "dags": [],
                "import_error": f"{type(error).__name__}: {error}",
                "import_error_line": None,
            }
        send(event)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
