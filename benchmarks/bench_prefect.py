"""How fast dagcheck models and checks Prefect flows.

    python benchmarks/bench_prefect.py [--runs N] [--prefect-python PYTHON_WITH_PREFECT]

Each measurement is the best of N runs:

(a) in process, pinned to one CPU: ``build_models`` on ``fixtures/prefect`` after a warm-up
    run, as source lines per second;
(b) end to end, a fresh subprocess per run: ``dagcheck check`` (every rule) on
    ``fixtures/prefect``, next to ``python -c "import prefect"`` with PYTHON_WITH_PREFECT:
    the least any import-based check of a flow file pays before reading the file;
(c) end to end on the installed Prefect package itself (hundreds of files mentioning
    prefect), when PYTHON_WITH_PREFECT is given.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SRC = REPO / "src"
sys.path.insert(0, str(SRC))  # measure this checkout

from dagcheck.engine import build_models  # noqa: E402

FIXTURES = REPO / "fixtures" / "prefect"


def best_wall_time(command: list[str], runs: int) -> float:
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
        times.append(time.perf_counter() - start)
        if result.returncode not in (0, 1):  # 1: findings, still a complete run
            raise SystemExit(f"{' '.join(command)} failed: {result.stderr.strip()[-300:]}")
    return min(times)


def lines_per_second(folder: Path, runs: int) -> tuple[int, float]:
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    lines = sum(len(p.read_bytes().splitlines()) for p in folder.rglob("*.py"))
    build_models([folder], jobs=1)  # warm-up: imports and caches
    best = min(_timed(lambda: build_models([folder], jobs=1)) for _ in range(runs))
    return lines, lines / best


def _timed(work: object) -> float:
    start = time.perf_counter()
    work()  # type: ignore[operator]
    return time.perf_counter() - start


def prefect_package(python: str) -> Path:
    locate = "import importlib.util; print(importlib.util.find_spec('prefect').origin)"
    origin = subprocess.run([python, "-c", locate], capture_output=True, text=True, check=True)
    return Path(origin.stdout.strip()).parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--prefect-python", help="a Python with prefect installed")
    options = parser.parse_args()

    check = [sys.executable, "-m", "dagcheck", "check", "--exit-zero"]
    fixtures_time = best_wall_time([*check, str(FIXTURES)], options.runs)
    print(f"(b) dagcheck check fixtures/prefect, end to end: {fixtures_time:.2f} s")
    if options.prefect_python:
        import_time = best_wall_time([options.prefect_python, "-c", "import prefect"], options.runs)
        print(f"    python -c 'import prefect' alone: {import_time:.2f} s")
        package = prefect_package(options.prefect_python)
        files = sum(1 for _ in package.rglob("*.py"))
        package_time = best_wall_time([*check, str(package)], max(1, options.runs // 2))
        print(
            f"(c) dagcheck check on the prefect package ({files} .py files): {package_time:.2f} s"
        )
    # Last: pinning this process to one CPU would pin the subprocesses above too.
    lines, speed = lines_per_second(FIXTURES, options.runs)
    print(f"(a) parse + model, one CPU, fixtures/prefect ({lines} lines): {speed:,.0f} lines/s")


if __name__ == "__main__":
    main()
