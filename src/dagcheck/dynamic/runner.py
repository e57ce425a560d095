"""Running a loader script (DagBag, Prefect imports) in a subprocess, file by file, under a
wall-clock timeout per file.

The loader reports ``start`` before each file and a ``file`` event after it. When a file takes
longer than the timeout (an endless loop at import, a hung network call), or the process dies
while loading it (``os._exit``, a crash), the process is stopped, the file is reported as not
loaded, and a new process goes on with the files after it: one bad file never costs the rest.
"""

from __future__ import annotations

import json
import os
import queue
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# Time a loader gets to import its framework before the first file.
_START_UP_SECONDS = 180.0
# Slack on top of the per-file timeout, for the framework's own timeout to report first.
_GRACE_SECONDS = 5.0


class LoaderUnavailable(Exception):
    """The interpreter cannot run the loader (the framework is not installed there)."""


@dataclass
class LoadedFile:
    path: Path
    event: dict[str, Any] = field(default_factory=dict)  # the loader's "file" event
    error: str | None = None  # why the file was not loaded, in one line
    ready: dict[str, Any] = field(default_factory=dict)  # the loader's "ready" event
    framework: str = "airflow"  # whose loader: "airflow" (DagBag) or "prefect"


@dataclass(frozen=True)
class Loader:
    """A loader script, and how to run it: which interpreter, environment and per-file
    timeout; ``module`` is what it imports first (named when the interpreter lacks it)."""

    script: Path
    python: str
    env: dict[str, str]
    timeout: float
    module: str

    def load(self, files: list[Path]) -> dict[Path, LoadedFile]:
        results: dict[Path, LoadedFile] = {}
        remaining = list(files)
        while remaining:
            done = self._run_once(remaining, results)
            remaining = remaining[done:]
        return results

    def _run_once(self, files: list[Path], results: dict[Path, LoadedFile]) -> int:
        """One loader process over ``files``; returns how many of them it got through (a file
        that timed out or ended the process counts, reported as not loaded)."""
        try:
            process = subprocess.Popen(
                [self.python, str(self.script), *map(str, files)],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                env=self.env,
                text=True,
                encoding="utf-8",
                errors="replace",
            )
        except OSError as error:
            raise LoaderUnavailable(
                f"cannot run {self.python}: {error.strerror or error}"
            ) from None
        events: queue.Queue[dict[str, Any] | None] = queue.Queue()
        stderr_tail: list[str] = []
        threading.Thread(target=_pump, args=(process.stdout, events), daemon=True).start()
        threading.Thread(target=_tail, args=(process.stderr, stderr_tail), daemon=True).start()
        try:
            ready = _next(events, _START_UP_SECONDS)
            if ready is None or ready.get("event") != "ready":
                raise LoaderUnavailable(_why_not_ready(process, stderr_tail, self.module))
            done, current = 0, None
            while True:
                event = _next(events, self.timeout + _GRACE_SECONDS)
                if event is None and current is None and done == len(files):
                    return done  # every file loaded
                if event is None or event.get("event") == "timeout":
                    if current is None:  # stopped between two files: charge the next one
                        current = files[done]
                    if event is None:
                        code = process.wait()
                        why = f"the loading process exited (code {code}) while importing it"
                    else:
                        why = f"loading took longer than {self.timeout:g} s and was stopped"
                    results[current] = LoadedFile(current, error=why, framework=self.module)
                    return done + 1
                if event.get("event") == "start":
                    current = Path(event["file"])
                elif event.get("event") == "file":
                    path = Path(event["file"])
                    results[path] = LoadedFile(path, event, ready=ready, framework=self.module)
                    done, current = done + 1, None
        finally:
            if process.poll() is None:
                process.kill()
            process.wait()


def _next(events: queue.Queue[dict[str, Any] | None], wait: float) -> dict[str, Any] | None:
    """The next event; ``{"event": "timeout"}`` when none comes in ``wait`` seconds, None
    when the loader's output ended."""
    try:
        return events.get(timeout=wait)
    except queue.Empty:
        return {"event": "timeout"}


def _pump(stream: Any, events: queue.Queue[dict[str, Any] | None]) -> None:
    for line in stream:
        try:
            events.put(json.loads(line))
        except json.JSONDecodeError:
            continue  # not one of the loader's lines
    events.put(None)


def _tail(stream: Any, tail: list[str]) -> None:
    for line in stream:
        tail.append(line.rstrip("\n"))
        del tail[:-50]


def _why_not_ready(process: subprocess.Popen[str], tail: list[str], module: str) -> str:
    try:
        process.wait(timeout=5)
    except subprocess.TimeoutExpired:
        return f"the {module} loader did not start within {_START_UP_SECONDS:g} s"
    time.sleep(0.05)  # let the stderr thread drain
    text = "\n".join(tail)
    if f"No module named '{module}'" in text:
        return f"{module} is not installed for {process.args[0]}"  # type: ignore[index]
    last = next((line for line in reversed(tail) if line.strip()), "no output")
    return f"the {module} loader failed to start: {last.strip()}"


def base_environment(extra_paths: list[Path]) -> dict[str, str]:
    """This process's environment, with the scanned roots first on the import path (DAG
    files import modules that sit beside them, as the scheduler's DAG folder allows)."""
    env = dict(os.environ)
    paths = [str(path.resolve()) for path in extra_paths]
    if env.get("PYTHONPATH"):
        paths.append(env["PYTHONPATH"])
    env["PYTHONPATH"] = os.pathsep.join(dict.fromkeys(paths))
    env["PYTHONDONTWRITEBYTECODE"] = "1"  # no __pycache__ folders left in the user's tree
    return env
