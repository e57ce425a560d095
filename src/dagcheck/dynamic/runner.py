"""Running a loader script (DagBag, Prefect imports) in a subprocess, file by file, under a
wall-clock timeout per file and a memory limit.

The loader reports ``ready`` once its framework is imported, then ``start`` before each file
and a ``file`` event after it, over a private channel: a pipe of its own, each message
carrying a nonce drawn anew for every process. The files it loads share the process: they may
print a line shaped like an event, or even find the pipe and write to it, but without the
nonce a line is not the loader's and is ignored. A message with the nonce that comes out of
turn or lacks what the model is built from fails only the file it concerns.

Each loader process leads a process group of its own, killed whole once the process is done
with: whatever a file started at import (forked workers, a ``sleep`` command) goes with it,
and a child still holding the pipe cannot make the parent wait. When a file takes longer than
the timeout (an endless loop at import, a hung network call), needs more memory than the
limit, or the process dies while loading it (``os._exit``, a crash), the process is stopped,
the file is reported as not loaded, and a new process goes on with the files after it: one bad
file never costs the rest.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import select
import signal
import subprocess
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# Time a loader gets to import its framework before the first file.
_START_UP_SECONDS = 180.0
# Slack on top of the per-file timeout, for the framework's own timeout to report first.
_GRACE_SECONDS = 5.0
# How often a wait for the loader's next message checks whether the loader is still alive.
_POLL_SECONDS = 0.1
# Time to read what a loader wrote before it exited, when something it started keeps writing.
_DRAIN_SECONDS = 1.0
# How the loader finds the pipe and its memory limit (the nonce comes on its standard input,
# so that it is never in the environment, which /proc/<pid>/environ keeps for good).
FD_VARIABLE = "DAGCHECK_LOADER_FD"
MEMORY_VARIABLE = "DAGCHECK_LOADER_MEMORY"
GB = 2**30
# The end of standard error that is kept, to say why a loader did not start or died.
_STDERR_BYTES = 64 * 1024
# What the loader writes to standard error before each file (see mark_stderr in the loaders).
_FILE_MARK = b"\n--- dagcheck: next file ---\n"
# A line longer than this on the pipe is not one of the loader's messages (nor kept in memory).
_LONGEST_MESSAGE = 512 * 2**20
# What a process that ran out of address space leaves on standard error.
_OUT_OF_MEMORY = re.compile(rb"MemoryError|Cannot allocate memory|std::bad_alloc|out of memory")
_MEMORY_ERROR = re.compile(r"MemoryError\b")
_TIMEOUT, _EXITED = "timeout", "exited"


class LoaderUnavailable(Exception):
    """The interpreter cannot run the loader (the framework is not installed there, or
    ``install`` is False: it does not fit in the memory limit)."""

    def __init__(self, message: str, *, install: bool = True) -> None:
        super().__init__(message)
        self.install = install


@dataclass
class LoadedFile:
    path: Path
    event: dict[str, Any] = field(default_factory=dict)  # the loader's "file" event
    error: str | None = None  # why the file was not loaded, in one line
    ready: dict[str, Any] = field(default_factory=dict)  # the loader's "ready" event
    framework: str = "airflow"  # whose loader: "airflow" (DagBag) or "prefect"


@dataclass(frozen=True)
class Loader:
    """A loader script, and how to run it: which interpreter, environment, per-file timeout
    and memory limit (GB of address space); ``module`` is what it imports first (named when
    the interpreter lacks it); ``shape`` is what its ``file`` events must hold (see
    :func:`malformed`)."""

    script: Path
    python: str
    env: dict[str, str]
    timeout: float
    module: str
    memory: float = 4.0
    shape: dict[str, Any] = field(default_factory=dict)

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
        channel, loader_end = os.pipe()
        nonce = secrets.token_hex(16)
        env = {
            **self.env,
            FD_VARIABLE: str(loader_end),
            MEMORY_VARIABLE: str(int(self.memory * GB)),
        }
        try:
            process = subprocess.Popen(
                [self.python, str(self.script), *map(str, files)],
                stdin=subprocess.PIPE,
                stdout=subprocess.DEVNULL,  # the loader sends what files print to stderr
                stderr=subprocess.PIPE,
                env=env,
                pass_fds=(loader_end,),
                start_new_session=True,
            )
        except OSError as error:
            os.close(channel)
            raise LoaderUnavailable(
                f"cannot run {self.python}: {error.strerror or error}"
            ) from None
        finally:
            # Only the loader keeps the write end: the pipe ends when it and its children do.
            os.close(loader_end)
        run = _Run(process, channel, nonce)
        try:
            return self._converse(files, results, run)
        finally:
            run.stop()

    def _converse(self, files: list[Path], results: dict[Path, LoadedFile], run: _Run) -> int:
        ready = run.next(_START_UP_SECONDS)
        if not isinstance(ready, dict) or ready.get("event") != "ready":
            raise self._not_ready(ready, run)
        for done, path in enumerate(files):
            started = False
            while True:
                message = run.next(self.timeout + _GRACE_SECONDS)
                if not isinstance(message, dict):
                    results[path] = self._failed(path, self._why_stopped(message, run))
                    return done + 1
                kind, name = message.get("event"), message.get("file")
                if kind == "start" and name == str(path) and not started:
                    started = True
                    continue
                if kind == "file" and name == str(path):
                    results[path] = self._loaded(path, message, ready)
                    break
                # Only the loader knows the nonce: it is out of step, so start over after it.
                what = f"{kind!r} for {name!r}" if isinstance(name, str) else repr(kind)
                results[path] = self._failed(path, f"the loader sent {what} out of turn")
                return done + 1
        return len(files)

    def _loaded(self, path: Path, event: dict[str, Any], ready: dict[str, Any]) -> LoadedFile:
        problem = malformed(event, self.shape)
        if problem is not None:
            return self._failed(path, f"the loader's report on it is malformed ({problem})")
        error = event.get("import_error")
        if isinstance(error, str) and _MEMORY_ERROR.match(error):
            event = {**event, "import_error": self._over_memory()}
        return LoadedFile(path, event, ready=ready, framework=self.module)

    def _failed(self, path: Path, why: str) -> LoadedFile:
        return LoadedFile(path, error=why, framework=self.module)

    def _over_memory(self) -> str:
        return f"loading used more than {self.memory:g} GB of memory"

    def _why_stopped(self, outcome: str, run: _Run) -> str:
        if outcome == _TIMEOUT:
            return f"loading took longer than {self.timeout:g} s and was stopped"
        if run.returncode != 0 and _OUT_OF_MEMORY.search(run.stderr_of_this_file()):
            return self._over_memory()
        return f"the loading process exited (code {run.returncode}) while importing it"

    def _not_ready(self, outcome: dict[str, Any] | str, run: _Run) -> LoaderUnavailable:
        if outcome == _TIMEOUT:
            return LoaderUnavailable(
                f"the {self.module} loader did not start within {_START_UP_SECONDS:g} s"
            )
        text = run.stderr_tail()
        if f"No module named '{self.module}'" in text:
            return LoaderUnavailable(f"{self.module} is not installed for {self.python}")
        if _OUT_OF_MEMORY.search(text.encode()):
            return LoaderUnavailable(
                f"the {self.module} loader failed to start: importing {self.module} needs "
                f"more than {self.memory:g} GB of memory; raise dagbag-memory in [tool.dagcheck]",
                install=False,
            )
        last = next((line for line in reversed(text.splitlines()) if line.strip()), "no output")
        return LoaderUnavailable(f"the {self.module} loader failed to start: {last.strip()}")


class _Run:
    """One loader process: its messages, the end of its standard error, and its end."""

    def __init__(self, process: subprocess.Popen[bytes], channel: int, nonce: str) -> None:
        self.process = process
        self.returncode: int | None = None
        self._channel = channel
        self._nonce = nonce
        assert process.stderr is not None and process.stdin is not None
        self._stderr_fd = process.stderr.fileno()
        self._open = [channel, self._stderr_fd]
        self._partial: bytearray | None = bytearray()  # None: skipping an overlong line
        self._messages: deque[dict[str, Any]] = deque()
        self._stderr = b""
        try:  # the nonce, on a channel that is empty again once the loader has read it
            process.stdin.write(nonce.encode() + b"\n")
            process.stdin.close()
        except BrokenPipeError:
            pass  # the loader is gone already: its exit says why

    def next(self, wait: float) -> dict[str, Any] | str:
        """The loader's next message; ``_TIMEOUT`` when none comes within ``wait`` seconds,
        ``_EXITED`` when the loader has exited (a child it left may hold the pipe open, so
        the process's exit is watched, not only the end of the pipe)."""
        deadline = time.monotonic() + wait
        while not self._messages:
            if self.returncode is not None:
                return _EXITED
            self.returncode = _exit_code(self.process)
            if self.returncode is not None:
                drain_until = time.monotonic() + _DRAIN_SECONDS
                while self._read(0) and time.monotonic() < drain_until:
                    pass  # what it wrote before it exited is in the pipes
                continue
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return _TIMEOUT
            self._read(min(remaining, _POLL_SECONDS))
        return self._messages.popleft()

    def stderr_of_this_file(self) -> bytes:
        """Standard error since the loader began its last file (all of the end that is kept,
        when the file wrote more than that)."""
        return self._stderr.rpartition(_FILE_MARK)[2]

    def stderr_tail(self) -> str:
        return self._stderr.decode("utf-8", "replace")

    def stop(self) -> None:
        """Kill the loader and everything it started, then reap it. It is reaped only here,
        so that until then its process group id cannot be another process's."""
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()
        os.close(self._channel)
        assert self.process.stderr is not None
        self.process.stderr.close()

    def _read(self, wait: float) -> bool:
        """Read what the pipes hold, waiting up to ``wait`` seconds; False when they held
        nothing."""
        if not self._open:
            time.sleep(wait)
            return False
        readable, _, _ = select.select(self._open, [], [], wait)
        for fd in readable:
            chunk = os.read(fd, 2**20)
            if not chunk:
                self._open.remove(fd)
            elif fd == self._channel:
                self._take(chunk)
            else:
                self._stderr = (self._stderr + chunk)[-_STDERR_BYTES:]
        return bool(readable)

    def _take(self, chunk: bytes) -> None:
        *ended, rest = chunk.split(b"\n")
        if ended:
            first, *lines = ended
            if self._partial is not None:  # else ``first`` ends an overlong line: dropped
                lines.insert(0, bytes(self._partial + first))
            self._partial = bytearray()
            for line in lines:
                message = self._message(line)
                if message is not None:
                    self._messages.append(message)
        if self._partial is not None:
            self._partial += rest
            if len(self._partial) > _LONGEST_MESSAGE:
                self._partial = None

    def _message(self, line: bytes) -> dict[str, Any] | None:
        """The loader's message on ``line``, or None for a line that is not one."""
        if not line.strip():
            return None
        try:
            message = json.loads(line)
        except ValueError:
            return None
        if not isinstance(message, dict) or not isinstance(message.get("nonce"), str):
            return None
        if not secrets.compare_digest(message.pop("nonce"), self._nonce):
            return None
        return message


def _exit_code(process: subprocess.Popen[bytes]) -> int | None:
    """The process's exit code (minus the signal that killed it) once it has exited; it is
    not reaped, see :meth:`_Run.stop`."""
    try:
        info = os.waitid(os.P_PID, process.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT)
    except ChildProcessError:  # reaped already
        return process.poll()
    if info is None:
        return None
    return info.si_status if info.si_code == os.CLD_EXITED else -info.si_status


def malformed(value: Any, shape: Any, where: str = "") -> str | None:
    """What is wrong with ``value`` against ``shape``, in a few words, or None: a shape is a
    type (or tuple of types) the value must be an instance of, a list ``[item shape]``, or a
    dict of the keys the value must have and their shapes (other keys are free)."""
    if isinstance(shape, dict):
        if not isinstance(value, dict):
            return f"{where or 'the report'}: expected a mapping"
        for key, item_shape in shape.items():
            if key not in value:
                return f"{where}.{key} is missing" if where else f"{key} is missing"
            problem = malformed(value[key], item_shape, f"{where}.{key}" if where else key)
            if problem is not None:
                return problem
        return None
    if isinstance(shape, list):
        if not isinstance(value, list):
            return f"{where}: expected a list"
        for index, item in enumerate(value):
            problem = malformed(item, shape[0], f"{where}[{index}]")
            if problem is not None:
                return problem
        return None
    if not isinstance(value, shape) or (isinstance(value, bool) and bool not in _types(shape)):
        return f"{where}: expected {' or '.join(t.__name__ for t in _types(shape))}"
    return None


def _types(shape: type | tuple[type, ...]) -> tuple[type, ...]:
    return shape if isinstance(shape, tuple) else (shape,)


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
