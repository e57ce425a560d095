"""The opt-in loading engines: the model from Airflow's DagBag (``--engine dagbag``), from
imported Prefect flows (``--engine import``), or the static model enriched with both
(``--engine both``).

The static path never runs user code. These engines do, in a subprocess with a wall-clock
timeout per file and a memory limit, so that a DAG file that hangs, exits or allocates without
end costs only itself.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

from dagcheck.dynamic.merge import Comparison
from dagcheck.dynamic.runner import LoadedFile, LoaderUnavailable

if TYPE_CHECKING:
    from dagcheck.engine import Options
    from dagcheck.model.pipeline import SourceFile

__all__ = ["Comparison", "LoadedFile", "LoaderUnavailable", "apply_loaded", "load_files"]

ENGINES = ("static", "dagbag", "import", "both")


def load_files(files: list[tuple[Path, Path]], options: Options) -> dict[Path, list[LoadedFile]]:
    """Load the files among ``files`` (pairs of scan root and file) that the options' engine
    loads: DAG files with DagBag (``dagbag``, ``both``), flow files by importing them
    (``import``, ``both``). Raises :class:`LoaderUnavailable` when the framework cannot be
    run."""
    from dagcheck.dynamic.dags import load_dags
    from dagcheck.dynamic.flows import load_flows

    roots = list(dict.fromkeys(root for root, _ in files))
    python = options.python or sys.executable
    limits = {"timeout": options.load_timeout, "memory": options.load_memory}
    loaded: dict[Path, list[LoadedFile]] = {}
    if options.engine in ("dagbag", "both"):
        dag_files = [path for _, path in files if _mentions(path, b"airflow", b"dag")]
        if dag_files:
            results = load_dags(dag_files, roots, python=python, **limits)
            for path, result in results.items():
                loaded.setdefault(path, []).append(result)
    if options.engine in ("import", "both"):
        flow_files = [path for _, path in files if _mentions(path, b"prefect")]
        if flow_files:
            results = load_flows(flow_files, roots, python=python, **limits)
            for path, result in results.items():
                loaded.setdefault(path, []).append(result)
    return loaded


def _mentions(path: Path, *words: bytes) -> bool:
    """Python files that mention every word: DagBag reads only files that mention both
    "airflow" and "dag"."""
    if path.suffix != ".py":
        return False
    try:
        text = path.read_bytes().lower()
    except OSError:
        return False
    return all(word in text for word in words)


def apply_loaded(
    source_file: SourceFile, loaded: list[LoadedFile], source: str, engine: str
) -> tuple[Comparison | None, list[tuple[str, int | None]]]:
    """Replace the file's pipelines with the loaded ones (``both``: enrich the static ones);
    returns the comparison and, for each loader that could not load the file, why (and
    where). A file that does not load has no pipelines of that framework, as when the
    scheduler or Prefect loads it, except under ``both``, which keeps the static ones."""
    from dagcheck.dynamic.dags import combine
    from dagcheck.dynamic.flows import combine_flows

    keep_static = engine == "both"
    total, errors = Comparison(), []
    for result in loaded:
        framework = result.framework
        static = [p for p in source_file.pipelines if p.framework == framework]
        others = [p for p in source_file.pipelines if p.framework != framework]
        loader = "DagBag" if framework == "airflow" else "Prefect"
        error = result.error or result.event.get("import_error")
        if error:
            if not keep_static:
                source_file.pipelines = others
            if result.error is not None:
                errors.append((f"{loader} could not load the file: {error}", None))
            else:
                line = result.event.get("import_error_line")
                errors.append((f"{loader} could not import the file: {error}", line))
            continue
        combine_framework = combine if framework == "airflow" else combine_flows
        pipelines, comparison = combine_framework(static, result, source, keep_static=keep_static)
        source_file.pipelines = [*pipelines, *others]
        total.add(comparison)
    return (total if len(errors) < len(loaded) else None), errors
