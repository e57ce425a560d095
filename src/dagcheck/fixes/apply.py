"""Applying fixes to a file: round after round until nothing changes, never losing a byte.

Each round checks the file's current text, collects the fixes of the findings it may fix,
drops edits that overlap one already taken, adds the imports once, and applies them. The new
text must parse, or the file keeps its last good text and the failure is reported. A file is
written through a temporary file in its own folder and an atomic rename, with its mode, its
encoding and its line endings as they were.
"""

from __future__ import annotations

import os
import stat
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import libcst as cst

from dagcheck.checklist import load_checklist
from dagcheck.engine import Options, check_source
from dagcheck.fixes import Edit, Source, registered_fixers

MAX_ROUNDS = 10
_BOM = "\ufeff"


@dataclass
class FixedFile:
    path: Path
    original: str
    fixed: str
    applied: Counter[str] = field(default_factory=Counter)
    error: str | None = None  # why the last fixes were not kept
    encoding: str = "utf-8"  # the file's, kept when it is written

    @property
    def changed(self) -> bool:
        return self.fixed != self.original


def fix_file(path: Path, options: Options, *, unsafe: bool) -> FixedFile:
    """The fixed text of one file (not written)."""
    raw = path.read_bytes()
    try:
        encoding = cst.parse_module(raw).encoding
        text = raw.decode(encoding)
    except (cst.ParserSyntaxError, UnicodeDecodeError, LookupError, SyntaxError, ValueError):
        return FixedFile(path, "", "", error="the file cannot be read as Python")
    bom = _BOM if text.startswith(_BOM) else ""
    result = FixedFile(path, text, text, encoding=encoding)
    body = text.removeprefix(bom)
    allowed = _allowed_codes(unsafe)
    for _ in range(MAX_ROUNDS):
        model = check_source(path, (bom + body).encode(encoding), options)
        fixable = [f for f in model.findings if f.code in allowed] if model else []
        if not fixable:
            break
        module = cst.parse_module(body)
        source = Source(body, module, options.target_airflow)
        edits, imports, fixed = [], [], Counter[str]()
        for finding in fixable:
            fix = registered_fixers()[finding.code](source, finding, options.policy)
            if fix is None or (fix.safety == "unsafe" and not unsafe):
                continue  # not expressible here, or unsafe here and not asked for
            if _overlaps(fix.edits, edits):
                continue  # the next round will see it again
            edits.extend(fix.edits)
            imports.extend(fix.imports)
            fixed[finding.code] += 1
        edits.extend(source.import_edits(imports, edits))
        new_body = _apply(body, edits)
        if new_body == body:
            break
        try:
            cst.parse_module(new_body)
        except cst.ParserSyntaxError as error:
            result.error = f"a fix would leave the file unparsable ({error.message})"
            break
        body = new_body
        result.applied.update(fixed)
    result.fixed = bom + body
    return result


def write_fixed(fixed: FixedFile) -> None:
    """Replace the file atomically, keeping its permissions and encoding."""
    path = fixed.path
    temporary = path.with_name(f".{path.name}.dagcheck-fix")
    mode = stat.S_IMODE(path.stat().st_mode)
    try:
        with temporary.open("w", encoding=fixed.encoding, newline="") as out:
            out.write(fixed.fixed)  # newline="": line endings are written as they are
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


def _allowed_codes(unsafe: bool) -> set[str]:
    docs = load_checklist()
    safeties = {"safe", "unsafe"} if unsafe else {"safe"}
    return {
        code for code in registered_fixers() if code in docs and docs[code].fix.safety in safeties
    }


def _overlaps(new: list[Edit], taken: list[Edit]) -> bool:
    """Whether edits collide; the same edit twice (one import rewritten for several fixes)
    does not."""
    return any(
        a != b and ((a.start < b.end and b.start < a.end) or a.start == a.end == b.start == b.end)
        for a in new
        for b in taken
    )


def _apply(text: str, edits: list[Edit]) -> str:
    for edit in sorted(set(edits), reverse=True):
        text = text[: edit.start] + edit.text + text[edit.end :]
    return text
