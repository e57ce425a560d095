"""Fingerprints: a finding's identity that survives edits elsewhere in its file.

Line numbers move whenever a line is added above a finding, so the identity is built from what
the finding is about instead: the rule, the file (relative to the project root), the pipeline
and task, and the text of the finding's first line with its whitespace normalized. Findings
that share all of these (the same line twice in one file) are told apart by their order.
SARIF's partialFingerprints, GitLab's fingerprint and the baseline all use it.
"""

from __future__ import annotations

import functools
import hashlib
from collections import Counter
from pathlib import Path

from dagcheck.findings import Finding
from dagcheck.model.positions import source_lines


def relative_path(path: Path, root: Path) -> str:
    """``path`` relative to ``root``, ``/``-separated (as given when outside of root)."""
    resolved = path.resolve()
    try:
        return resolved.relative_to(root.resolve()).as_posix()
    except ValueError:
        return path.as_posix()


def fingerprints(findings: list[Finding], root: Path) -> list[str]:
    """One fingerprint per finding, in order; stable across unrelated edits."""
    seen: Counter[str] = Counter()
    result = []
    for finding in findings:
        base = _base(finding, root)
        seen[base] += 1
        result.append(f"{base}:{seen[base]}")
    return result


def _base(finding: Finding, root: Path) -> str:
    line = " ".join(source_line(finding.path, finding.span.line).split())
    identity = "\0".join(
        (
            finding.code,
            relative_path(finding.path, root),
            finding.pipeline or "",
            finding.task or "",
            line,
        )
    )
    return hashlib.sha256(identity.encode("utf-8")).hexdigest()[:32]


def source_line(path: Path, line: int) -> str:
    """The text of one line of a file ("" when it cannot be read)."""
    try:
        stat = path.stat()
    except OSError:
        return ""
    lines = _lines(path, stat.st_mtime_ns, stat.st_size)
    return lines[line - 1] if 0 < line <= len(lines) else ""


@functools.lru_cache(maxsize=256)
def _lines(path: Path, modified: int, size: int) -> list[str]:
    """A file's lines; the key includes its modification time and size, so that a file
    rewritten within one process is read again."""
    try:
        return source_lines(path.read_text(encoding="utf-8", errors="replace"))
    except OSError:
        return []
