"""Import Prefect flow files with Prefect itself and print, as JSON, the flows and tasks it built.

Run with an interpreter that has Prefect installed::

    python tests/prefect_truth.py FILE [FILE ...] > truth.json

The output is one JSON document keyed by each file path as given::

    {"<file>": {"error": null | "TypeError: <message>",
                "flows": {"<flow name>": {...}}, "tasks": {"<task name>": {...}}}}

Each file is imported in its own child process (60 s limit) with ``PREFECT_HOME`` set to a
fresh temporary folder, ``PREFECT_API_URL`` pointing at an address where nothing listens,
ephemeral servers disallowed and telemetry off, so importing can neither reach nor start a
Prefect server. Other ``PREFECT_*`` variables of the calling environment are dropped so
that a developer's profile cannot change Prefect's defaults. The file's folder goes first on
``sys.path`` (as when Prefect loads an entrypoint) and the file is imported under a module
name other than ``__main__``, so ``if __name__ == "__main__":`` blocks (``serve``,
``deploy``) do not run.

Every ``prefect.Flow`` and ``prefect.Task`` bound to a module-level name is reported, keyed
by its ``.name``; ``.with_options`` copies are separate objects and are reported under their
own names. When two different objects share a name and differ in a reported setting, the
second is reported as ``"<name>#2"`` (then ``#3``, ...). A file whose import raises reports
the exception line (``"<ExceptionType>: <first line of the message>"``) and no flows or
tasks: Prefect can load nothing from it.

Values are normalized to plain data:

- durations (``cache_expiration``) as seconds; ``timeout_seconds`` as Prefect stores it
  (a float, or null: Prefect turns ``0`` into null);
- task ``retry_delay_seconds`` as Prefect stores it: Prefect calls a callable such as
  ``exponential_backoff(backoff_factor=10)`` when the task is defined, with the task's
  ``retries``, and keeps the list of delays it returns (``[10, 20, 40]`` for 3 retries), so
  ``"callable"`` appears only if a callable survives construction;
- ``cache_policy`` as a short name: ``INPUTS``, ``TASK_SOURCE``, ``FLOW_PARAMETERS``,
  ``RUN_ID``, ``NO_CACHE``, ``CACHE_KEY_FN`` (a ``cache_key_fn`` replaces the policy), an
  ``INPUTS`` policy with excluded inputs as ``INPUTS(exclude=a,b)``, a compound policy as its
  parts' names sorted and joined with ``+`` (``INPUTS+TASK_SOURCE``), Prefect's default
  compound (inputs, task source and run id) as ``DEFAULT``, and null when Prefect keeps none;
- hooks as lists of function ``__name__``; ``tags`` as a sorted list;
- flow ``version`` as null when it is Prefect's default (a hash of the flow's source file),
  since that value changes with every edit of the file.

This script never imports dagcheck, and imports Prefect only in the child process, inside
functions, so that tests can import its helpers without Prefect installed.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

# The import engine's loader: its settings normalization (hooks, cache policies, a flow's
# default version, exception lines) is the one this reference uses too. It never imports
# dagcheck, so it loads by path in the Prefect environment.
_LOADER_PATH = (
    Path(__file__).resolve().parent.parent / "src" / "dagcheck" / "dynamic" / "prefect_loader.py"
)
_spec = importlib.util.spec_from_file_location("dagcheck_prefect_loader", _LOADER_PATH)
assert _spec is not None and _spec.loader is not None
_loader = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_loader)
FLOW_HOOKS, TASK_HOOKS = _loader.FLOW_HOOKS, _loader.TASK_HOOKS
exception_line = _loader.exception_line
cache_policy_name = _loader.cache_policy_name
default_flow_version = _loader.default_flow_version

TIMEOUT_SECONDS = 60
UNREACHABLE_API = "http://127.0.0.1:9/api"
MODULE_PREFIX = "prefect_truth_fixture_"


def child_environment(prefect_home: str) -> dict[str, str]:
    """The calling environment without its PREFECT_* settings, plus the isolating ones."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("PREFECT_")}
    env.update(
        {
            "PREFECT_HOME": prefect_home,
            "PREFECT_API_URL": UNREACHABLE_API,
            "PREFECT_SERVER_ALLOW_EPHEMERAL_MODE": "false",
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
            "DO_NOT_TRACK": "1",
            "PYTHONDONTWRITEBYTECODE": "1",
        }
    )
    return env


def seconds(value: Any) -> Any:
    if isinstance(value, dt.timedelta):
        return value.total_seconds()
    return value


def hook_names(hooks: Any) -> list[str]:
    return [getattr(hook, "__name__", repr(hook)) for hook in hooks or []]


def retry_delay(value: Any) -> Any:
    if callable(value):
        return "callable"
    if isinstance(value, list | tuple):
        return list(value)
    return value


def storage(value: Any) -> Any:
    if value is None or isinstance(value, str):
        return value
    return str(value) if isinstance(value, os.PathLike) else repr(value)


def describe_flow(flow: Any) -> dict[str, Any]:
    version = flow.version
    if version is not None and version == default_flow_version(flow):
        version = None
    described = {
        "name": flow.name,
        "retries": flow.retries,
        "retry_delay_seconds": retry_delay(flow.retry_delay_seconds),
        "timeout_seconds": flow.timeout_seconds,
        "description": flow.description,
        "version": version,
        "persist_result": flow.persist_result,
        "log_prints": flow.log_prints,
        "result_storage": storage(flow.result_storage),
    }
    for hook in FLOW_HOOKS:
        described[hook] = hook_names(getattr(flow, f"{hook}_hooks"))
    return described


def describe_task(task: Any) -> dict[str, Any]:
    key_fn = task.cache_key_fn
    described = {
        "name": task.name,
        "retries": task.retries,
        "retry_delay_seconds": retry_delay(task.retry_delay_seconds),
        "retry_jitter_factor": task.retry_jitter_factor,
        "timeout_seconds": task.timeout_seconds,
        "tags": sorted(task.tags),
        "cache_policy": cache_policy_name(task.cache_policy),
        "cache_key_fn": None if key_fn is None else getattr(key_fn, "__name__", repr(key_fn)),
        "cache_expiration": seconds(task.cache_expiration),
        "persist_result": task.persist_result,
        "result_storage": storage(task.result_storage),
        "log_prints": task.log_prints,
    }
    for hook in TASK_HOOKS:
        described[hook] = hook_names(getattr(task, f"{hook}_hooks"))
    return described


def add_unique(found: dict[str, Any], description: dict[str, Any]) -> None:
    """Key by name; a different object of the same name goes under ``name#2``, ``name#3``."""
    name = description["name"]
    key, count = name, 1
    while key in found:
        if found[key] == description:
            return
        count += 1
        key = f"{name}#{count}"
    found[key] = description


def collect(module: Any) -> dict[str, Any]:
    from prefect import Flow, Task

    flows: dict[str, Any] = {}
    tasks: dict[str, Any] = {}
    seen: set[int] = set()
    for value in list(vars(module).values()):
        if id(value) in seen:
            continue
        if isinstance(value, Flow):
            seen.add(id(value))
            add_unique(flows, describe_flow(value))
        elif isinstance(value, Task):
            seen.add(id(value))
            add_unique(tasks, describe_task(value))
    return {"error": None, "flows": flows, "tasks": tasks}


def import_file(path: Path) -> Any:
    """Import ``path`` as a fresh module whose ``__name__`` is not ``"__main__"``."""
    name = MODULE_PREFIX + "".join(c if c.isalnum() else "_" for c in path.stem)
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot import {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def describe_file(path: Path) -> dict[str, Any]:
    """Runs in the child process: import the file and describe what Prefect built."""
    # The file's folder replaces this script's folder at the head of sys.path.
    sys.path[0] = str(path.parent)
    try:
        module = import_file(path)
    except BaseException as exc:  # SystemExit from a script is an import error too
        return {"error": exception_line(exc), "flows": {}, "tasks": {}}
    return collect(module)


def child_main(path: str) -> None:
    # Prefect and user code may print or log to stdout; keep the JSON on the real stdout.
    output = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    result = describe_file(Path(path).resolve())
    json.dump(result, output)
    output.flush()


def truth_for(path: str) -> dict[str, Any]:
    """Import one file in a child process and return its description."""
    with tempfile.TemporaryDirectory(prefix="prefect-truth-") as home:
        try:
            completed = subprocess.run(
                [
                    sys.executable,
                    str(Path(__file__).resolve()),
                    "--child",
                    str(Path(path).resolve()),
                ],
                env=child_environment(home),
                cwd=home,
                capture_output=True,
                text=True,
                timeout=TIMEOUT_SECONDS,
                check=False,
            )
        except subprocess.TimeoutExpired:
            error = f"TimeoutError: import took longer than {TIMEOUT_SECONDS} s"
            return {"error": error, "flows": {}, "tasks": {}}
    if completed.returncode != 0 or not completed.stdout.strip():
        lines = [line for line in completed.stderr.splitlines() if line.strip()]
        error = lines[-1].strip() if lines else f"exit status {completed.returncode}"
        return {"error": f"ChildProcessError: {error}", "flows": {}, "tasks": {}}
    return json.loads(completed.stdout)


def main(paths: list[str]) -> None:
    truth = {path: truth_for(path) for path in paths}
    json.dump(truth, sys.stdout, indent=1, sort_keys=True)
    sys.stdout.write("\n")


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--child":
        child_main(sys.argv[2])
    elif len(sys.argv) > 1:
        main(sys.argv[1:])
    else:
        sys.exit(f"usage: {sys.argv[0]} FILE [FILE ...]")
