"""The baseline: findings a team has accepted for now, so CI fails only on new ones.

``--write-baseline FILE`` records the current findings by fingerprint (see
``fingerprints.py``), so that entries still match after unrelated lines move them;
``--baseline FILE`` hides them again. Entries that no longer match a finding in a checked file
are stale: what they recorded was fixed, and the baseline can shrink.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from dagcheck import __version__
from dagcheck.findings import Finding
from dagcheck.fingerprints import fingerprints, relative_path

_FORMAT_VERSION = 1


class BaselineError(Exception):
    pass


@dataclass(frozen=True)
class Filtered:
    findings: list[Finding]  # not in the baseline: new
    hidden: int  # in the baseline
    stale: int  # baseline entries for checked files that match nothing any more


def write_baseline(path: Path, findings: list[Finding], root: Path) -> None:
    entries = [
        {
            "fingerprint": fingerprint,
            "code": finding.code,
            "path": relative_path(finding.path, root),
            "pipeline": finding.pipeline,
            "task": finding.task,
            "message": finding.message,
        }
        for finding, fingerprint in zip(findings, fingerprints(findings, root), strict=True)
    ]
    document = {"dagcheck_baseline": _FORMAT_VERSION, "dagcheck_version": __version__}
    text = json.dumps({**document, "findings": entries}, indent=2) + "\n"
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(text, encoding="utf-8")
    temporary.replace(path)


def read_baseline(path: Path) -> list[dict[str, str]]:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise BaselineError(f"{path}: cannot read the baseline: {error}") from None
    except ValueError as error:
        raise BaselineError(f"{path}: not a dagcheck baseline (invalid JSON: {error})") from None
    entries = document.get("findings") if isinstance(document, dict) else None
    if document.get("dagcheck_baseline") != _FORMAT_VERSION or not isinstance(entries, list):
        raise BaselineError(f"{path}: not a dagcheck baseline; write one with --write-baseline")
    return [e for e in entries if isinstance(e, dict) and isinstance(e.get("fingerprint"), str)]


def apply_baseline(
    findings: list[Finding], entries: list[dict[str, str]], checked: list[Path], root: Path
) -> Filtered:
    """Hide the findings the baseline records; count its entries that match nothing."""
    recorded = {entry["fingerprint"] for entry in entries}
    prints = fingerprints(findings, root)
    new = [
        f for f, fingerprint in zip(findings, prints, strict=True) if fingerprint not in recorded
    ]
    matched = recorded & set(prints)
    checked_paths = {relative_path(path, root) for path in checked}
    stale = sum(
        1
        for entry in entries
        if entry["fingerprint"] not in matched and entry.get("path") in checked_paths
    )
    return Filtered(new, len(findings) - len(new), stale)
