"""The opt-in loading engines: the model from Airflow's DagBag (``--engine dagbag``), from
imported Prefect flows (``--engine import``), or the static model enriched with both
(``--engine both``).

The static path never runs user code. These engines do, in a subprocess with a wall-clock
timeout per file, so that a DAG file that hangs or exits costs only itself.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

from dagcheck.dynamic.dags import Comparison, combine, load_dags
from dagcheck.dynamic.runner import LoadedFile, LoaderUnavailable
from dagcheck.model.pipeline import SourceFile

if TYPE_CHECKING:
    from dagcheck.engine import Options

__all__ = ["Comparison", "LoadedFile", "LoaderUnavailable", "apply_loaded", "load_files"]

ENGINES = ("static", "dagbag", "import", "both")


def load_files(files: list[tuple[Path, Path]], options: Options) -> dict[Path, LoadedFile]:
    """Load the DAG files among ``files`` (pairs of scan root and file) with the engine the
    options name. Raises :class:`LoaderUnavailable` when Airflow cannot be run."""
    if options.engine not in ("dagbag", "both"):
        return {}
    dag_files = [path for _, path in files if _may_define_dags(path)]
    if not dag_files:
        return {}
    roots = list(dict.fromkeys(root for root, _ in files))
    python = options.python or sys.executable
    return load_dags(dag_files, roots, python=python, timeout=options.load_timeout)


def _may_define_dags(path: Path) -> bool:
    """Files DagBag would read: Python files that mention both "airflow" and "dag"."""
    if path.suffix != ".py":
        return False
    try:
        text = path.read_bytes().lower()
    except OSError:
        return False
    return b"airflow" in text and b"dag" in text


def apply_loaded(
    source_file: SourceFile, loaded: LoadedFile, source: str, engine: str
) -> tuple[Comparison | None, tuple[str, int | None] | None]:
    """Replace the file's Airflow pipelines with the loaded ones (``both``: enrich them);
    returns the comparison and, when the file did not load, why (and where). A file that
    does not load has no pipelines under ``dagbag``, as in DagBag; ``both`` keeps the static
    ones."""
    static = [p for p in source_file.pipelines if p.framework == "airflow"]
    others = [p for p in source_file.pipelines if p.framework != "airflow"]
    keep_static = engine == "both"
    error = loaded.error or loaded.event.get("import_error")
    if error:
        if not keep_static:
            source_file.pipelines = others
        if loaded.error is not None:
            return None, (f"DagBag could not load the file: {error}", None)
        line = loaded.event.get("import_error_line")
        return None, (f"DagBag could not import the file: {error}", line)
    pipelines, comparison = combine(static, loaded, source, keep_static=keep_static)
    source_file.pipelines = [*pipelines, *others]
    return comparison, None
