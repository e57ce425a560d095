"""What the loading engines, `review` and `runbook` cost next to a static check.

    python benchmarks/bench_engines.py [--runs N] [--prefect-python PYTHON_WITH_PREFECT]

End to end, a fresh `dagcheck` process per run, best of N, on Airflow's own example DAGs
(found in the interpreter running this script) and on fixtures/prefect:

- `check` with `--engine static`, `dagbag` and `both`;
- `check --engine import` on the Prefect fixtures, when PYTHON_WITH_PREFECT is given;
- `review` in each format and `runbook` into a temporary folder.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SRC = REPO / "src"


def airflow_examples() -> Path | None:
    for distribution, relative in (
        ("apache-airflow-core", "airflow/example_dags"),
        ("apache-airflow", "airflow/example_dags"),
    ):
        try:
            folder = Path(str(importlib.metadata.distribution(distribution).locate_file(relative)))
        except importlib.metadata.PackageNotFoundError:
            continue
        if folder.is_dir():
            return folder
    return None


def best_wall_time(arguments: list[str], runs: int) -> float:
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    command = [sys.executable, "-m", "dagcheck", *arguments]
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
        times.append(time.perf_counter() - start)
        if result.returncode not in (0, 1):  # 1: findings, still a complete run
            raise SystemExit(f"{' '.join(command)} failed: {result.stderr.strip()[-300:]}")
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--prefect-python")
    args = parser.parse_args()
    examples = airflow_examples()
    rows: list[tuple[str, float]] = []
    if examples is not None:
        for engine in ("static", "dagbag", "both"):
            check = ["check", "--engine", engine, "--exit-zero", str(examples)]
            rows.append(
                (f"check --engine {engine}, Airflow examples", best_wall_time(check, args.runs))
            )
    fixtures = str(REPO / "fixtures" / "prefect")
    rows.append(
        (
            "check --engine static, Prefect fixtures",
            best_wall_time(["check", "--exit-zero", fixtures], args.runs),
        )
    )
    if args.prefect_python:
        check = ["check", "--engine", "import", "--python", args.prefect_python, "--exit-zero"]
        rows.append(
            (
                "check --engine import, Prefect fixtures",
                best_wall_time([*check, fixtures], args.runs),
            )
        )
    target = str(examples) if examples is not None else str(REPO / "fixtures")
    for output_format in ("text", "markdown", "json", "html"):
        review = ["review", "--format", output_format, "--exit-zero", target]
        rows.append((f"review --format {output_format}", best_wall_time(review, args.runs)))
    with tempfile.TemporaryDirectory() as out:
        rows.append(("runbook", best_wall_time(["runbook", "--out", out, target], args.runs)))
    width = max(len(name) for name, _ in rows)
    for name, seconds in rows:
        print(f"{name:<{width}}  {seconds:6.2f} s")


if __name__ == "__main__":
    main()
