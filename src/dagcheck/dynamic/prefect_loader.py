"""Import Prefect flow files and report the flows and tasks Prefect built, one file at a time.

dagcheck runs this file as a script, in a subprocess, with an interpreter that has Prefect
(``--python``, else dagcheck's own); it never imports dagcheck. Each file is imported as a
module whose ``__name__`` is not ``"__main__"`` (so ``serve()``/``deploy()`` blocks do not
run), with its folder first on the import path, exactly as written: there is no fallback to
Prefect's own source reader for files that fail. The parent points Prefect's API at an
address where nothing listens and forbids an ephemeral server, so importing a flow can
neither reach nor start one.

The protocol is the one of ``dagbag_loader.py``: JSON lines ``ready``, then ``start`` and
``file`` per file on the private channel, with every ``prefect.Flow`` and ``prefect.Task``
bound to a module-level name and its settings as Prefect stores them. Each loader runs alone,
without dagcheck on its import path, so the lines that open the channel, write to it and
limit memory are in both.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import importlib.util
import json
import os
import sys
from collections.abc import Callable
from typing import Any

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
    carries it, so what a flow file writes, even to the pipe itself, is never taken for the
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
    """Cap the address space at what dagcheck allows (``dagbag-memory``), before any flow
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
    here = os.path.dirname(os.path.abspath(__file__))
    sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != here]
    if FD_VARIABLE not in os.environ:
        print("prefect_loader: run by dagcheck, which gives it a channel", file=sys.stderr)
        return 2
    send = private_channel()
    limit_memory()
    import prefect

    send({"event": "ready", "prefect_version": prefect.__version__})
    for index, path in enumerate(argv):
        mark_stderr()
        send({"event": "start", "file": path})
        send(load(path, index))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
