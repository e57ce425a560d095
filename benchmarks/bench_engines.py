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
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))

from bench_prefect import best_wall_time  # noqa: E402
from dagbag_runner import example_dags_folder  # noqa: E402


def dagcheck_time(arguments: list[str], runs: int) -> float:
    """Best wall time of a fresh `dagcheck` process of this checkout."""
    return best_wall_time([sys.executable, "-m", "dagcheck", *arguments], runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--prefect-python")
    args = parser.parse_args()
    examples = example_dags_folder()
    rows: list[tuple[str, float]] = []
    if examples is not None:
        for engine in ("static", "dagbag", "both"):
            check = ["check", "--engine", engine, "--exit-zero", str(examples)]
            rows.append(
                (f"check --engine {engine}, Airflow examples", dagcheck_time(check, args.runs))
            )
    fixtures = str(REPO / "fixtures" / "prefect")
    rows.append(
        (
            "check --engine static, Prefect fixtures",
            dagcheck_time(["check", "--exit-zero", fixtures], args.runs),
        )
    )
    if args.prefect_python:
        check = ["check", "--engine", "import", "--python", args.prefect_python, "--exit-zero"]
        rows.append(
            (
                "check --engine import, Prefect fixtures",
                dagcheck_time([*check, fixtures], args.runs),
            )
        )
    target = str(examples) if examples is not None else str(REPO / "fixtures")
    for output_format in ("text", "markdown", "json", "html"):
        review = ["review", "--format", output_format, "--exit-zero", target]
        rows.append((f"review --format {output_format}", dagcheck_time(review, args.runs)))
    with tempfile.TemporaryDirectory() as out:
        rows.append(("runbook", dagcheck_time(["runbook", "--out", out, target], args.runs)))
    width = max(len(name) for name, _ in rows)
    for name, seconds in rows:
        print(f"{name:<{width}}  {seconds:6.2f} s")


if __name__ == "__main__":
    main()
