"""Applying fixes to a file: round after round until nothing changes, never losing a byte.

Each round checks the file's current text, collects the fixes of the findings it may fix,
drops edits that overlap one already taken, adds the imports once, and applies them. The new
text must parse, or the file keeps its last good text and the failure is reported.

Each file is a transaction of its own: read, fix, write a private temporary file in the same
folder (a random name, created exclusively, so nothing planted in the tree is written
through), then replace the original only if it still holds the bytes that were read. A link
is kept and its target written, if the target is inside the project. The mode, the encoding
and the line endings stay as they were. Any failure leaves the original byte for byte as it
was, and is one line of output; the other files go on.
"""

from __future__ import annotations

import os
import stat
import tempfile
from collections import Counter
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from pathlib import Path

import libcst as cst

from dagcheck.checklist import load_checklist
from dagcheck.discover import UnreadableFile, read_source
from dagcheck.engine import Options, check_source
from dagcheck.findings import Finding
from dagcheck.fixes import Edit, Source, registered_fixers
from dagcheck.limits import FileBudgetExceeded, file_budget, with_deep_stack

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
    raw: bytes = b""  # the bytes read: the file is replaced only while it still holds them
    not_written: str | None = None  # why the fixed text was not written, in one line
    write_failed: bool = False  # not written because writing failed (a full disk, say)

    @property
    def changed(self) -> bool:
        return self.fixed != self.original


# What a finding is about, across fix rounds: its rule, pipeline and task.
FindingKey = tuple[str, str | None, str | None]


def finding_key(finding: Finding) -> FindingKey:
    return (finding.code, finding.pipeline, finding.task)


def fix_file(
    path: Path, options: Options, *, unsafe: bool, only: Collection[FindingKey] | None = None
) -> FixedFile:
    """The fixed text of one file (not written). With ``only``, the findings of the file as
    it was that the run did not report are left alone: a run that saw every file knows what
    one file alone cannot (the pipelines nothing starts, say). What the fixes themselves
    bring up is fixed in the rounds that follow."""
    try:
        raw = read_source(path)
    except UnreadableFile as error:
        return FixedFile(path, "", "", error=str(error))
    try:
        encoding = cst.parse_module(raw).encoding
        text = raw.decode(encoding)
    except (cst.ParserSyntaxError, UnicodeDecodeError, LookupError, SyntaxError, ValueError):
        return FixedFile(path, "", "", error="the file cannot be read as Python")
    bom = _BOM if text.startswith(_BOM) else ""
    result = FixedFile(path, text, text, encoding=encoding, raw=raw)
    body = text.removeprefix(bom)
    allowed = fixable_codes(unsafe)
    withheld: set[FindingKey] | None = None
    for _ in range(MAX_ROUNDS):
        model = check_source(path, (bom + body).encode(encoding), options)
        found = [f for f in (model.findings if model else []) if f.code in allowed]
        if withheld is None:
            withheld = {finding_key(f) for f in found if only is not None} - set(only or ())
        fixable = [f for f in found if finding_key(f) not in withheld]
        if not fixable:
            break
        module = cst.parse_module(body)
        # The Airflow the model judged the file for (the project's pins included).
        target = next(
            (p.target.major for p in model.pipelines if p.framework == "airflow" and p.target),
            options.target_airflow,
        )
        source = Source(body, module, target)
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


def fix_files(
    paths: list[Path],
    options: Options,
    *,
    unsafe: bool,
    write: bool,
    inside: Callable[[Path], Path],
    done: Callable[[FixedFile], None],
    only: dict[Path, set[FindingKey]] | None = None,
) -> list[FixedFile]:
    """Fix each file and (with ``write``) write it before the next, calling ``done`` with
    each result as it comes. ``inside`` gives the project a file may be written in. Runs
    with the model's deep stack, and each file within the file budget."""

    def fix_all() -> list[FixedFile]:
        results = []
        for path in paths:
            keys = None if only is None else only.get(path, set())
            result = _fix_within_budget(path, options, unsafe=unsafe, only=keys)
            if write and result.changed:
                try:
                    write_fixed(result, inside(path))
                except FixNotWritten as error:
                    result.not_written, result.write_failed = str(error), error.failed
            done(result)
            results.append(result)
        return results

    return with_deep_stack(fix_all)


def _fix_within_budget(
    path: Path, options: Options, *, unsafe: bool, only: Collection[FindingKey] | None
) -> FixedFile:
    try:
        with file_budget(options.file_timeout):
            return fix_file(path, options, unsafe=unsafe, only=only)
    except FileBudgetExceeded:
        reason = f"the file is too large or too deep to fix within {options.file_timeout:g} s"
    except RecursionError:
        reason = "the file nests too deeply to fix"
    except Exception as error:  # a bug in a fix must not cost the other files
        reason = f"dagcheck failed while fixing it ({type(error).__name__}: {error})"
    return FixedFile(path, "", "", error=reason)


class FixNotWritten(Exception):
    """The fixed text was not written, and why (one line; the file is unchanged):
    ``failed`` when writing failed, rather than dagcheck declining to write."""

    def __init__(self, message: str, *, failed: bool = False) -> None:
        super().__init__(message)
        self.failed = failed


def write_fixed(fixed: FixedFile, inside: Path) -> None:
    """Replace the file atomically, keeping its permissions and encoding, if it still holds
    what was read; a link stays a link and its target (inside ``inside``) is written."""
    target = _write_target(fixed.path, inside)
    temporary = None
    try:
        mode = stat.S_IMODE(target.stat().st_mode)
        descriptor, temporary = tempfile.mkstemp(
            dir=target.parent, prefix=f".{target.name}.", suffix=".dagcheck-fix"
        )
        with os.fdopen(descriptor, "wb") as out:
            out.write(fixed.fixed.encode(fixed.encoding))  # line endings as they are
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temporary, mode)
        if not _still_holds(target, fixed.raw):
            raise FixNotWritten(
                f"{fixed.path.as_posix()} changed while it was being fixed; not written "
                "(run dagcheck again)"
            )
        os.replace(temporary, target)
        temporary = None
    except OSError as error:
        raise FixNotWritten(
            f"could not write {fixed.path.as_posix()}: {error.strerror or error}", failed=True
        ) from None
    finally:
        if temporary is not None:
            Path(temporary).unlink(missing_ok=True)


def _write_target(path: Path, inside: Path) -> Path:
    """The file a fix of ``path`` writes: itself, or the file it links to when that lies in
    the project."""
    if not path.is_symlink():
        return path
    try:
        target = path.resolve(strict=True)
    except (OSError, RuntimeError) as error:
        raise FixNotWritten(f"could not write {path.as_posix()}: {error}", failed=True) from None
    if not target.is_relative_to(inside.resolve()):
        raise FixNotWritten(
            f"{path.as_posix()} links to {target.as_posix()}, outside the project; not written"
        )
    return target


def _still_holds(path: Path, expected: bytes) -> bool:
    try:
        return read_source(path, limit=len(expected)) == expected
    except UnreadableFile:  # gone, or grown past what was read
        return False


def fixable_codes(unsafe: bool) -> set[str]:
    """The codes whose fixes run: the safe ones, and with ``unsafe`` the unsafe ones too."""
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
