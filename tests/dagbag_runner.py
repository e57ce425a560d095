"""Run Airflow's DagBag out of process: shared by the agreement test and the model benchmark.

Airflow is never imported here. The DagBag runs in a subprocess (``dagbag_dump.py``) with a
throwaway AIRFLOW_HOME, so it can neither touch a real Airflow installation nor leave
Airflow's import-time state (config, logging setup) in the calling process.

Run as a script, it prints the example DAG folder of the interpreter running it; the
benchmark uses that to ask another interpreter where its Airflow lives.
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

DUMP_SCRIPT = Path(__file__).with_name("dagbag_dump.py")

# Airflow 3 ships the core example DAGs in apache-airflow-core (Airflow 2: apache-airflow), and
# the operator examples (bash, python, sensors, branching, ...) in the standard provider.
_EXAMPLE_FOLDERS = (
    ("apache-airflow-core", "airflow/example_dags"),
    ("apache-airflow", "airflow/example_dags"),
    ("apache-airflow-providers-standard", "airflow/providers/standard/example_dags"),
)


def example_dags_folders() -> list[Path]:
    """Every example DAG folder the installed Airflow ships, found without importing it."""
    folders: list[Path] = []
    for distribution_name, relative in _EXAMPLE_FOLDERS:
        try:
            distribution = importlib.metadata.distribution(distribution_name)
        except importlib.metadata.PackageNotFoundError:
            continue
        folder = Path(str(distribution.locate_file(relative)))
        if folder.is_dir() and folder not in folders:
            folders.append(folder)
    return folders


def example_dags_folder() -> Path | None:
    """The core example DAG folder of the installed Airflow."""
    folders = example_dags_folders()
    return folders[0] if folders else None


def airflow_env(airflow_home: Path) -> dict[str, str]:
    """This process's environment with Airflow pointed at a throwaway home."""
    env = dict(os.environ)
    env["AIRFLOW_HOME"] = str(airflow_home)
    # Keep Airflow's bundled examples out of the bag unless they are the folder being loaded.
    env["AIRFLOW__CORE__LOAD_EXAMPLES"] = "False"
    return env


def airflow_import_error(python: str, airflow_home: Path, timeout: float = 120) -> str | None:
    """None when ``python`` can import Airflow, else the last line of the failure."""
    result = subprocess.run(
        [python, "-c", "import airflow"],
        env=airflow_env(airflow_home),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if result.returncode == 0:
        return None
    lines = result.stderr.strip().splitlines()
    return lines[-1] if lines else f"exit code {result.returncode}"


def run_dagbag_dump(
    folder: Path, *, python: str = sys.executable, airflow_home: Path, timeout: float = 300
) -> dict[str, Any]:
    """Load ``folder`` with DagBag in a subprocess and return its JSON dump."""
    result = subprocess.run(
        [python, str(DUMP_SCRIPT), str(folder)],
        env=airflow_env(airflow_home),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(
            f"{DUMP_SCRIPT.name} exited with {result.returncode}:\n{result.stderr[-4000:]}"
        )
    dump: dict[str, Any] = json.loads(result.stdout)
    return dump


if __name__ == "__main__":
    found = example_dags_folder()
    if found is None:
        sys.exit("no Airflow distribution with example_dags in this interpreter")
    print(found)
