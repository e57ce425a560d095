"""Import Prefect flow files and report the flows and tasks Prefect built, one file at a time.

dagcheck runs this file as a script, in a subprocess, with an interpreter that has Prefect
(``--python``, else dagcheck's own); it never imports dagcheck. Each file is imported as a
module whose ``__name__`` is not ``"__main__"`` (so ``serve()``/``deploy()`` blocks do not
run), with its folder first on the import path, exactly as written: there is no fallback to
Prefect's own source reader for files that fail. The parent points Prefect's API at an
address where nothing listens and forbids an ephemeral server, so importing a flow can
neither reach nor start one.

The protocol is the one of ``dagbag_loader.py``: JSON lines ``ready``, then ``start`` and
``file`` per file, with every ``prefect.Flow`` and ``prefect.Task`` bound to a module-level
name and its settings as Prefect stores them. Each loader runs alone, without dagcheck on
its import path, so the few lines that write the protocol are in both.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import json
import os
import sys
from typing import Any, TextIO

FLOW_SETTINGS = (
    "retries",
    "retry_delay_seconds",
    "timeout_seconds",
    "description",
    "persist_result",
    "log_prints",
    "result_storage",
)
TASK_SETTINGS = (
    "retries",
    "retry_delay_seconds",
    "retry_jitter_factor",
    "timeout_seconds",
    "tags",
    "cache_key_fn",
    "cache_expiration",
    "persist_result",
    "result_storage",
    "log_prints",
    "description",
)
FLOW_HOOKS = ("on_failure", "on_completion", "on_crashed", "on_cancellation", "on_running")
TASK_HOOKS = ("on_failure", "on_completion", "on_running", "on_commit", "on_rollback")
POLICY_NAMES = {
    "Inputs": "INPUTS",
    "TaskSource": "TASK_SOURCE",
    "FlowParameters": "FLOW_PARAMETERS",
    "RunId": "RUN_ID",
    "_None": "NO_CACHE",
    "CacheKeyFnPolicy": "CACHE_KEY_FN",
}
DEFAULT_POLICY_PARTS = ("INPUTS", "RUN_ID", "TASK_SOURCE")


def encode(value: Any) -> Any:
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, dt.timedelta):
        return {"timedelta": value.total_seconds()}
    if isinstance(value, (list, tuple, set, frozenset)):
        items = [encode(item) for item in value]
        if isinstance(value, (set, frozenset)):
            items.sort(key=lambda item: json.dumps(item, sort_keys=True))
        return {"list": items}
    if callable(value) and hasattr(value, "__name__"):
        return {"function": value.__name__}
    kind = type(value)
    return {"object": f"{kind.__module__}.{kind.__qualname__}", "repr": repr(value)[:300]}


def policy_parts(policy: Any) -> list[str]:
    """Names of the atomic policies in ``policy`` (a compound policy holds a flat list)."""
    nested = getattr(policy, "policies", None)
    if isinstance(nested, list):
        return [name for part in nested for name in policy_parts(part)]
    kind = type(policy).__name__
    name = POLICY_NAMES.get(kind, kind)
    excluded = getattr(policy, "exclude", None) if kind == "Inputs" else None
    if excluded:
        name = f"INPUTS(exclude={','.join(sorted(excluded))})"
    return [name]


def cache_policy_name(policy: Any) -> str | None:
    """The policy as the static model names it: INPUTS, INPUTS+TASK_SOURCE, DEFAULT..."""
    if policy is None or type(policy).__name__ == "NotSet":
        return None
    parts = sorted(set(policy_parts(policy)))
    if tuple(parts) == DEFAULT_POLICY_PARTS:
        return "DEFAULT"
    return "+".join(parts)


def default_flow_version(flow: Any) -> str | None:
    """The version Prefect gives a flow without ``version=``: a hash of its source file."""
    import inspect

    from prefect.utilities.hashing import file_hash

    try:
        source_file = inspect.getsourcefile(flow.fn)
        return file_hash(source_file) if source_file else None
    except (OSError, TypeError):
        return None


def describe(obj: Any, names: tuple[str, ...], hooks: tuple[str, ...]) -> dict[str, Any]:
    settings = {}
    for name in names:
        try:
            settings[name] = encode(getattr(obj, name))
        except Exception:
            continue
    for hook in hooks:
        settings[hook] = encode(list(getattr(obj, f"{hook}_hooks", None) or []))
    return {"name": obj.name, "function": getattr(obj.fn, "__name__", None), "settings": settings}


def describe_flow(flow: Any) -> dict[str, Any]:
    described = describe(flow, FLOW_SETTINGS, FLOW_HOOKS)
    version = flow.version
    if version is not None and version == default_flow_version(flow):
        version = None
    described["settings"]["version"] = version
    return described


def describe_task(task: Any) -> dict[str, Any]:
    described = describe(task, TASK_SETTINGS, TASK_HOOKS)
    described["settings"]["cache_policy"] = cache_policy_name(task.cache_policy)
    return described


def import_file(path: str, index: int) -> Any:
    name = f"dagcheck_loaded_flow_{index}_" + "".join(
        c if c.isalnum() else "_" for c in os.path.splitext(os.path.basename(path))[0]
    )
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot import {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    sys.path.insert(0, os.path.dirname(os.path.abspath(path)))
    try:
        spec.loader.exec_module(module)
    finally:
        sys.path.pop(0)
    return module


def error_line(path: str, error: BaseException) -> int | None:
    import traceback

    line = None
    for frame in traceback.extract_tb(error.__traceback__):
        if os.path.abspath(frame.filename) == os.path.abspath(path):
            line = frame.lineno
    return line


def exception_line(error: BaseException) -> str:
    """``"<Type>: <first non-empty line of the message>"``: Prefect's hook errors go on with
    a usage example over several lines, so the first line is the one that says what is
    wrong."""
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    return f"{type(error).__name__}: {lines[0]}" if lines else type(error).__name__


def load(path: str, index: int) -> dict[str, Any]:
    from prefect import Flow, Task

    try:
        module = import_file(path, index)
    except BaseException as error:  # SystemExit from a script is an import error too
        if isinstance(error, KeyboardInterrupt):
            raise
        return {
            "event": "file",
            "file": path,
            "flows": [],
            "tasks": [],
            "import_error": exception_line(error),
            "import_error_line": error_line(path, error),
        }
    flows, tasks, seen = [], [], set()
    values = list(vars(module).values())
    # Flows made in a loop are often kept in a module-level list or dict.
    values += [
        item
        for value in values
        if isinstance(value, (list, tuple, dict))
        for item in (value.values() if isinstance(value, dict) else value)
    ]
    for value in values:
        if id(value) in seen:
            continue
        seen.add(id(value))
        if isinstance(value, Flow):
            flows.append(describe_flow(value))
        elif isinstance(value, Task):
            tasks.append(describe_task(value))
    return {
        "event": "file",
        "file": path,
        "flows": flows,
        "tasks": tasks,
        "import_error": None,
        "import_error_line": None,
    }


def json_stdout() -> TextIO:
    sys.stdout.flush()
    out = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)
    return out


def emit(out: TextIO, event: dict[str, Any]) -> None:
    out.write(json.dumps(event, sort_keys=True) + "\n")
    out.flush()


def main(argv: list[str]) -> int:
    here = os.path.dirname(os.path.abspath(__file__))
    sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != here]
    out = json_stdout()
    import prefect

    emit(out, {"event": "ready", "prefect_version": prefect.__version__})
    for index, path in enumerate(argv):
        emit(out, {"event": "start", "file": path})
        emit(out, load(path, index))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
