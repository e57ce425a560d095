""".airflowignore: the files Airflow never parses are not checked either.

Airflow skips every file and folder an ``.airflowignore`` in its folder, or in a folder above
it inside the DAG folder, matches: findings there would be about code that never runs as a
DAG (tutorials, templates, helpers kept beside the DAGs). The patterns are read as the
project's Airflow reads them: gitignore-style globs on Airflow 3 (and when the version is not
known: 3 is assumed elsewhere too), regular expressions on Airflow 2, whose
``[core] dag_ignore_file_syntax`` defaults to ``regexp``; a project that changed that setting
turns ``respect-airflowignore`` off or sets ``target-airflow``.

The files come from the scanned tree, which may be hostile: only regular files of at most
64 KB are read, never through a link, and a regular expression that could take exponential
time on a path (a quantified group, as in ``(a+)+``) is not used, with a warning.
"""

from __future__ import annotations

import logging
import os
import re
import stat
import warnings as python_warnings
from dataclasses import dataclass
from pathlib import Path

IGNORE_FILE = ".airflowignore"
_MAX_BYTES = 64 * 1024
# Airflow strips comments this way: "#" to the end of the line, with the spaces before it.
_COMMENT = re.compile(r"\s*#.*")
# A group followed by a repetition: the shape of catastrophic backtracking.
_QUANTIFIED_GROUP = re.compile(r"\)(?:[*+]|\{\d*,)")

warnings = logging.getLogger("dagcheck")


@dataclass(frozen=True)
class _Rule:
    folder: Path  # the folder of the .airflowignore that holds it
    pattern: object  # a compiled regular expression or a pathspec GitWildMatchPattern
    anchored: bool = False  # glob: relative to ``folder`` rather than matching a name
    dir_only: bool = False  # glob: ends with "/"


class AirflowIgnore:
    """The .airflowignore files of one project, read once each."""

    def __init__(self, boundary: Path, *, regexp: bool) -> None:
        self._root = boundary.resolve()
        self._regexp = regexp
        self._by_folder: dict[Path, tuple[_Rule, ...]] = {}

    def ignores(self, path: Path, *, is_dir: bool = False) -> bool:
        """Whether Airflow, with its DAG folder at or under the project's root, never reads
        ``path``: an .airflowignore in a folder between the root and ``path`` matches it,
        or one of the folders that hold it."""
        try:
            # Matched by the name it has in the tree, as Airflow does: a link is not followed.
            resolved = path.parent.resolve() / path.name
        except (OSError, RuntimeError):  # a folder in a link loop: not Airflow's either
            return False
        if resolved == self._root or not resolved.is_relative_to(self._root):
            return False
        parts = resolved.relative_to(self._root).parts
        folders = [self._root.joinpath(*parts[:depth]) for depth in range(len(parts))]
        # Airflow 2 matches its regular expressions against the path relative to the DAG
        # folder: taken to be the outermost folder with an .airflowignore.
        base = next((folder for folder in folders if self._rules(folder)), None)
        if base is None:
            return False
        rules: list[_Rule] = []
        for depth, folder in enumerate(folders):
            rules = rules + list(self._rules(folder))
            # As Airflow walks: a folder's patterns decide on what it holds, folders first.
            entry = folders[depth + 1] if depth + 1 < len(folders) else resolved
            entry_is_dir = is_dir if entry == resolved else True
            if rules and self._matches(entry, entry_is_dir, rules, base):
                return True
        return False

    def _matches(self, path: Path, is_dir: bool, rules: list[_Rule], base: Path) -> bool:
        if self._regexp:
            relative = str(path.relative_to(base))
            return any(rule.pattern.search(relative) is not None for rule in rules)  # type: ignore[attr-defined]
        matched = False  # the last matching pattern decides, so "!keep.py" can re-include
        for rule in rules:
            if rule.dir_only and not is_dir:
                continue
            relative = path.relative_to(rule.folder).as_posix() if rule.anchored else path.name
            if is_dir:
                relative += "/"
            pattern = rule.pattern
            if pattern.include is not None and pattern.match_file(relative) is not None:  # type: ignore[attr-defined]
                matched = pattern.include  # type: ignore[attr-defined]
        return bool(matched)

    def _rules(self, folder: Path) -> tuple[_Rule, ...]:
        """The patterns of ``folder``'s .airflowignore, in order; none when it has none."""
        if folder not in self._by_folder:
            self._by_folder[folder] = _read_rules(folder, self._regexp)
        return self._by_folder[folder]


def _read_rules(folder: Path, regexp: bool) -> tuple[_Rule, ...]:
    text = _read(folder / IGNORE_FILE)
    if text is None:
        return ()
    rules = []
    for line in text.split("\n"):
        pattern = _COMMENT.sub("", line)
        if not pattern:
            continue
        rule = _regexp_rule(folder, pattern) if regexp else _glob_rule(folder, pattern)
        if rule is not None:
            rules.append(rule)
    return tuple(rules)


def _regexp_rule(folder: Path, pattern: str) -> _Rule | None:
    where = (folder / IGNORE_FILE).as_posix()
    if _QUANTIFIED_GROUP.search(pattern):
        warnings.warning(
            "%s: pattern %r not used: a repeated group can take exponential time to match",
            where,
            pattern,
        )
        return None
    try:
        return _Rule(folder, re.compile(pattern))
    except re.error as error:
        warnings.warning("%s: pattern %r not used: %s", where, pattern, error)
        return None


def _glob_rule(folder: Path, pattern: str) -> _Rule | None:
    from pathspec.patterns import GitWildMatchPattern

    if pattern.strip() == "/":
        return None  # matches nothing in gitignore
    # As in gitignore: a "/" at the start or in the middle anchors the pattern to the
    # folder of its file; one at the end matches folders only.
    anchored = pattern.startswith("/") or "/" in pattern.rstrip("/")
    bare = pattern.lstrip("!").rstrip()
    dir_only = bare != bare.rstrip("/")
    with python_warnings.catch_warnings():
        # pathspec 1.x deprecates the class Airflow itself matches with: same semantics.
        python_warnings.simplefilter("ignore", DeprecationWarning)
        try:
            compiled = GitWildMatchPattern(pattern)
        except ValueError as error:
            warnings.warning(
                "%s: pattern %r not used: %s", (folder / IGNORE_FILE).as_posix(), pattern, error
            )
            return None
    return _Rule(folder, compiled, anchored=anchored, dir_only=dir_only)


def _read(path: Path) -> str | None:
    """The text of a regular file of at most 64 KB, not through a link; None otherwise."""
    try:
        info = os.lstat(path)
    except OSError:
        return None
    if not stat.S_ISREG(info.st_mode):
        return None
    if info.st_size > _MAX_BYTES:
        warnings.warning("%s: not read: larger than 64 KB", path.as_posix())
        return None
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOFOLLOW", 0))
        with open(descriptor, "rb") as stream:
            data = stream.read(_MAX_BYTES + 1)
    except OSError:
        return None
    return data[:_MAX_BYTES].decode("utf-8", errors="replace")
