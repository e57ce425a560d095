"""Which files to read: walk the given paths, honour excludes, skip what cannot be a pipeline.

A scanned tree may come from a pull request nobody here controls, so discovery reads only
regular files inside the project: a FIFO or a device named ``x.py`` would block or never end,
a link may point anywhere on the machine or at itself. What is skipped is said, once, as a
warning on standard error; the rest is checked.
"""

from __future__ import annotations

import errno
import fnmatch
import logging
import os
import stat
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from dagcheck.airflowignore import AirflowIgnore

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
    # A project template's placeholders (cookiecutter, copier): Jinja text, not Python yet.
    "*{{*}}*",
)

# The cheap text gate: a file that never mentions a framework holds no pipeline.
FRAMEWORK_MARKERS = (b"airflow", b"prefect")
# Prefect's project file, which declares deployments.
PREFECT_PROJECT_FILE = "prefect.yaml"
# libcst holds about 500 bytes of memory per byte of source: past this size one file would
# take more than a gigabyte to model. Real DAG files are a few kilobytes.
MAX_SOURCE_BYTES = 2 * 1024 * 1024

warnings = logging.getLogger("dagcheck")


class UnreadableFile(Exception):
    """A file dagcheck will not read, and why."""


class FileTooLarge(UnreadableFile):
    pass


def discover(
    paths: Iterable[Path],
    exclude: Iterable[str] = (),
    *,
    inside: Path,
    airflowignore: AirflowIgnore | None = None,
) -> list[Path]:
    """Python files and prefect.yaml files under ``paths``, sorted; files named explicitly
    are included unless ``airflowignore`` (the project's .airflowignore files) keeps them
    out of Airflow's DAG folder, as it keeps the folders and files it matches out of a walk.
    Only regular files are taken, and links only when they lead to a file under ``inside``
    (the project); a link to a file also found itself is dropped."""
    patterns = [*DEFAULT_EXCLUDES, *exclude]
    boundary = inside.resolve()
    found: dict[Path, Path] = {}  # resolved file -> the path it was found as
    for path in paths:
        if path.is_dir():
            candidates = _walk(path, patterns, airflowignore)
        elif _airflow_ignores(airflowignore, path):
            continue  # as pre-commit names it: Airflow never parses it
        else:
            candidates = iter([path])
        for candidate in candidates:
            target = _readable_target(candidate, boundary)
            if target is not None and (target not in found or found[target].is_symlink()):
                found[target] = candidate
    return sorted(found.values())


def _walk(root: Path, patterns: list[str], airflowignore: AirflowIgnore | None) -> Iterator[Path]:
    def unreadable(error: OSError) -> None:
        warnings.warning("skipped %s: cannot be read (%s)", error.filename, error.strerror)

    # Links to folders are not followed (as git does not): no loops, nothing outside.
    for directory, subdirectories, files in os.walk(root, onerror=unreadable):
        subdirectories[:] = sorted(
            d
            for d in subdirectories
            if not _excluded(Path(directory, d), d, patterns)
            and not _airflow_ignores(airflowignore, Path(directory, d), is_dir=True)
        )
        for name in sorted(files):
            path = Path(directory, name)
            if name == PREFECT_PROJECT_FILE:  # Prefect's, whatever Airflow skips
                wanted = not _excluded(path, name, patterns)
            else:
                wanted = (
                    name.endswith(".py")
                    and not _excluded(path, name, patterns)
                    and not _airflow_ignores(airflowignore, path)
                )
            if wanted:
                yield path


def _airflow_ignores(airflowignore: AirflowIgnore | None, path: Path, is_dir: bool = False) -> bool:
    return airflowignore is not None and airflowignore.ignores(path, is_dir=is_dir)


def _readable_target(path: Path, boundary: Path) -> Path | None:
    """The resolved file ``path`` stands for, or None (with a warning) when it is not one
    dagcheck reads."""
    try:
        info = path.lstat()
        is_link = stat.S_ISLNK(info.st_mode)
        target = path.resolve(strict=True)
        if is_link:
            info = target.stat()
    except RuntimeError:  # Python < 3.13 reports a loop this way
        return _skip(path, "it is a symbolic link loop")
    except OSError as error:
        if error.errno == errno.ELOOP:
            return _skip(path, "it is a symbolic link loop")
        if error.errno == errno.ENOENT:
            return _skip(path, "it is a broken symbolic link")
        return _skip(path, f"cannot be read ({error.strerror or error})")
    if not stat.S_ISREG(info.st_mode):
        return _skip(path, "it is not a regular file")
    if is_link and not target.is_relative_to(boundary):
        return _skip(path, f"it links to {target.as_posix()}, outside the project")
    return target


def _skip(path: Path, reason: str) -> None:
    warnings.warning("skipped %s: %s", path.as_posix(), reason)
    return None


def tree_file(path: Path, boundary: Path) -> bool:
    """Whether ``path`` is a regular file that dagcheck may read as a module of the tree:
    itself or, through links, a file under ``boundary``. Never raises."""
    try:
        target = path.resolve(strict=True)
        return stat.S_ISREG(target.stat().st_mode) and target.is_relative_to(boundary.resolve())
    except (OSError, RuntimeError):
        return False


def read_source(path: Path, limit: int = MAX_SOURCE_BYTES) -> bytes:
    """The bytes of a regular file of at most ``limit`` bytes. Opened without blocking, so
    that a FIFO put where a file was never hangs the run; raises :class:`UnreadableFile`."""
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as error:
        raise UnreadableFile(f"cannot read file: {error.strerror or error}") from None
    with open(descriptor, "rb") as stream:
        try:
            info = os.fstat(descriptor)
            if not stat.S_ISREG(info.st_mode):
                raise UnreadableFile("cannot read file: it is not a regular file")
            if info.st_size > limit:
                raise FileTooLarge(_too_large(info.st_size, limit))
            data = stream.read(limit + 1)
        except OSError as error:
            raise UnreadableFile(f"cannot read file: {error.strerror or error}") from None
    if len(data) > limit:  # it grew since fstat
        raise FileTooLarge(_too_large(len(data), limit))
    return data


def _too_large(size: int, limit: int) -> str:
    return (
        f"file too large to analyse ({size / 2**20:.1f} MB; dagcheck reads files up to "
        f"{limit / 2**20:g} MB)"
    )


def _excluded(path: Path, name: str, patterns: list[str]) -> bool:
    text = path.as_posix()
    return any(
        fnmatch.fnmatch(name, pattern) or fnmatch.fnmatch(text, pattern) for pattern in patterns
    )


def mentions_a_framework(source: bytes) -> bool:
    return any(marker in source for marker in FRAMEWORK_MARKERS)
