"""Which files to read: walk the given paths, honour excludes, skip what cannot be a pipeline."""

from __future__ import annotations

import fnmatch
import os
from collections.abc import Iterable, Iterator
from pathlib import Path

# Directories no one wants linted; matched by name anywhere in the tree.
DEFAULT_EXCLUDES = (
    ".git",
    ".hg",
    ".venv",
    "venv",
    ".tox",
    ".nox",
    "__pycache__",
    "node_modules",
    "build",
    "dist",
    ".mypy_cache",
    ".ruff_cache",
    ".pytest_cache",
)

# The cheap text gate: a file that never mentions a framework holds no pipeline.
FRAMEWORK_MARKERS = (b"airflow", b"prefect")
# Prefect's project file, which declares deployments.
PREFECT_PROJECT_FILE = "prefect.yaml"


def discover(paths: Iterable[Path], exclude: Iterable[str] = ()) -> list[Path]:
    """Python files and prefect.yaml files under ``paths``, sorted; files named explicitly
    are always included."""
    patterns = [*DEFAULT_EXCLUDES, *exclude]
    found: set[Path] = set()
    for path in paths:
        if path.is_file():
            found.add(path)
        elif path.is_dir():
            found.update(_walk(path, patterns))
    return sorted(found)


def _walk(root: Path, patterns: list[str]) -> Iterator[Path]:
    for directory, subdirectories, files in os.walk(root):
        subdirectories[:] = sorted(
            d for d in subdirectories if not _excluded(Path(directory, d), d, patterns)
        )
        for name in files:
            path = Path(directory, name)
            wanted = name.endswith(".py") or name == PREFECT_PROJECT_FILE
            if wanted and not _excluded(path, name, patterns):
                yield path


def _excluded(path: Path, name: str, patterns: list[str]) -> bool:
    text = path.as_posix()
    return any(
        fnmatch.fnmatch(name, pattern) or fnmatch.fnmatch(text, pattern) for pattern in patterns
    )


def mentions_a_framework(source: bytes) -> bool:
    return any(marker in source for marker in FRAMEWORK_MARKERS)
