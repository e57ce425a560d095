"""How fast dagcheck builds its model of a DAG folder, next to Airflow's DagBag on the same folder.

    python benchmarks/bench_model.py [FOLDER] [--runs N] [--python PYTHON_WITH_AIRFLOW]

Two measurements, each the best of N runs:

(a) end to end, a fresh subprocess per run: ``python -m dagcheck model --format json FOLDER``
    against loading FOLDER with DagBag (``tests/dagbag_dump.py``, a fresh AIRFLOW_HOME per
    run), and their ratio. Both sides start an interpreter, import their code, read every
    file and print a JSON model, so the ratio is what a user waits for either way.
(b) in process, pinned to one CPU: ``build_models([FOLDER])`` after a warm-up run, as source
    lines of the folder's .py files per second.

FOLDER defaults to the example DAGs of the Airflow installed for PYTHON_WITH_AIRFLOW (default:
this interpreter). dagcheck itself always runs from this checkout's ``src``.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SRC = REPO / "src"
# Measure this checkout, whether or not (or whichever version of) dagcheck is installed.
sys.path[:0] = [str(SRC), str(REPO / "tests")]

from dagbag_runner import DUMP_SCRIPT, airflow_env  # noqa: E402

from dagcheck.engine import build_models  # noqa: E402

RUNNER_SCRIPT = REPO / "tests" / "dagbag_runner.py"


@dataclass
class Timing:
    """The best wall time of a measurement, or why it could not be taken."""

    seconds: float | None = None
    error: str | None = None
    note: str = ""

    def show(self) -> str:
        return "failed" if self.seconds is None else f"{self.seconds:.3f} s"


class RunFailed(Exception):
    pass


def last_line(text: str) -> str:
    lines = text.strip().splitlines()
    return lines[-1] if lines else ""


def run_timed(
    command: list[str], env: dict[str, str], ok_codes: tuple[int, ...] = (0,)
) -> tuple[float, str]:
    """Wall time and stdout of one subprocess run that must print a JSON document."""
    start = time.perf_counter()
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    # Both sides print a JSON model: without one, a fast exit is a crash, not a result.
    if result.returncode not in ok_codes or not is_json(result.stdout):
        raise RunFailed(
            f"{shlex.join(command)} exited with {result.returncode}: {last_line(result.stderr)}"
        )
    return elapsed, result.stdout


def is_json(text: str) -> bool:
    try:
        json.loads(text)
    except ValueError:
        return False
    return True


def best_of(runs: int, run_once: Callable[[], float]) -> Timing:
    try:
        return Timing(seconds=min(run_once() for _ in range(runs)))
    except RunFailed as failure:
        return Timing(error=str(failure))


def time_dagcheck_cli(folder: Path, runs: int) -> Timing:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(SRC), env.get("PYTHONPATH")]))
    command = [sys.executable, "-m", "dagcheck", "model", "--format", "json", str(folder)]
    # Exit code 1 means "findings" (DESIGN.md, exit codes): the model was still printed.
    return best_of(runs, lambda: run_timed(command, env, ok_codes=(0, 1))[0])


def time_dagbag(folder: Path, python: str, runs: int) -> Timing:
    dumps: list[str] = []

    def run_once() -> float:
        # A fresh AIRFLOW_HOME per run: Airflow writes its config there on first use, and a
        # user loading a folder once pays that too.
        with tempfile.TemporaryDirectory(prefix="bench-airflow-home-") as home:
            elapsed, stdout = run_timed(
                [python, str(DUMP_SCRIPT), str(folder)], airflow_env(Path(home))
            )
        dumps.append(stdout)
        return elapsed

    timing = best_of(runs, run_once)
    if dumps:
        dump = json.loads(dumps[-1])
        timing.note = (
            f"Airflow {dump['airflow_version']}, {len(dump['dags'])} DAGs, "
            f"{len(dump['import_errors'])} import errors"
        )
    return timing


@contextmanager
def one_cpu() -> Iterator[None]:
    """Pin this process (and any worker it starts) to one CPU, where the OS allows it.

    build_models may grow a process pool; the throughput figure is per core regardless.
    """
    if not hasattr(os, "sched_setaffinity"):
        yield
        return
    allowed = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {min(allowed)})
    try:
        yield
    finally:
        os.sched_setaffinity(0, allowed)


def time_build_models(folder: Path, runs: int) -> Timing:
    pipelines: list[int] = []  # per run, to show that the timed runs found the DAGs

    def run_once() -> float:
        start = time.perf_counter()
        models = build_models([folder])
        elapsed = time.perf_counter() - start
        pipelines.append(sum(len(model.pipelines) for model in models))
        return elapsed

    try:
        with one_cpu():
            run_once()  # warm-up: imports, caches, first-touch of the files
            timing = Timing(seconds=min(run_once() for _ in range(runs)))
    except Exception as error:  # any builder failure: report it and keep the table
        return Timing(error=f"{type(error).__name__}: {error}")
    timing.note = f"{pipelines[-1]} pipelines"
    return timing


def source_lines(folder: Path) -> tuple[int, int]:
    """Number of .py files under folder and their total lines."""
    files = sorted(folder.rglob("*.py"))
    return len(files), sum(len(path.read_bytes().splitlines()) for path in files)


def default_folder(python: str) -> Path:
    # Ask the interpreter that has Airflow: this one may not have it installed at all.
    result = subprocess.run(
        [python, str(RUNNER_SCRIPT)], capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        sys.exit(f"cannot find Airflow's example DAGs with {python}: {last_line(result.stderr)}")
    return Path(result.stdout.strip())


def print_table(rows: list[tuple[str, ...]]) -> None:
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
    for row in rows:
        print(
            "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "folder", nargs="?", type=Path, help="DAG folder (default: Airflow's examples)"
    )
    parser.add_argument("--runs", type=int, default=3, help="take the best of this many runs")
    parser.add_argument(
        "--python", default=sys.executable, help="interpreter with Airflow (default: this one)"
    )
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    folder: Path = (args.folder or default_folder(args.python)).resolve()
    files, lines = source_lines(folder)

    cli = time_dagcheck_cli(folder, args.runs)
    dagbag = time_dagbag(folder, args.python, args.runs)
    build = time_build_models(folder, args.runs)

    ratio = "-"
    if cli.seconds and dagbag.seconds:
        ratio = f"{dagbag.seconds / cli.seconds:.1f}x"
    throughput = f"{lines / build.seconds:,.0f} lines/s" if build.seconds else "-"

    print(f"folder: {folder} ({files} .py files, {lines:,} lines), best of {args.runs} runs")
    print_table(
        [
            ("measurement", "best wall time", "throughput", "notes"),
            ("dagcheck model --format json (subprocess)", cli.show(), "", ""),
            ("DagBag load (subprocess, fresh AIRFLOW_HOME)", dagbag.show(), "", dagbag.note),
            ("DagBag time / dagcheck time", ratio, "", ""),
            ("build_models in process, one CPU", build.show(), throughput, build.note),
        ]
    )
    # Errors go under the table: they are long (a command line and an error message).
    failures = [
        (name, timing.error)
        for name, timing in (("dagcheck", cli), ("DagBag", dagbag), ("build_models", build))
        if timing.error
    ]
    for name, error in failures:
        print(f"{name} failed: {error}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
