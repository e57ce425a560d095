"""Writing the runbooks of a review to their folder, or checking them (``--check``)."""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path

from dagcheck.discover import UnreadableFile, read_source
from dagcheck.review import PipelineReview, Review
from dagcheck.runbook import RunbookOutcome
from dagcheck.runbook.blocks import Block, MalformedRunbook, fresh, merge, parse, render
from dagcheck.runbook.names import runbook_names
from dagcheck.runbook.sections import KEPT_HEADING, SNAPSHOTS, runbook_blocks
from dagcheck.text_safety import Redactor, printable_source

_BOM = "\ufeff"


def sync(review: Review, folder: Path, *, check: bool, redact: Redactor) -> RunbookOutcome:
    names = runbook_names([item.pipeline for item in review.pipelines])
    lines: list[str] = []
    up_to_date = True
    for item, name in zip(review.pipelines, names, strict=True):
        path = folder / name
        status, current = _sync_one(item, review, path, check=check, redact=redact)
        lines.append(f"{path.as_posix()}: {status}")
        up_to_date = up_to_date and current
    return RunbookOutcome(lines, up_to_date)


def _sync_one(
    item: PipelineReview, review: Review, path: Path, *, check: bool, redact: Redactor
) -> tuple[str, bool]:
    """What happened to one runbook, and whether it now matches its pipeline."""
    try:
        # What dagcheck writes holds the files' ids and values: no secret, no control
        # character but the line breaks and tabs of the Markdown itself.
        blocks = [
            Block(block.kind, block.name, printable_source(redact(block.body), keep="\n"))
            for block in runbook_blocks(item, review)
        ]
    except Exception as error:  # a bug in dagcheck must not cost the other runbooks
        return f"not written: dagcheck failed on this pipeline ({error!r})", False
    if path.is_symlink():  # a link planted in the folder could lead anywhere
        return "is a symbolic link; left as it is", False
    if not path.exists():
        if check:
            return "missing", False
        return _write(path, render(fresh(blocks)), "created")
    try:
        raw = read_source(path)
    except UnreadableFile as error:
        return f"{error}; left as it is", False
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return "is not UTF-8 text; left as it is", False
    bom = _BOM if text.startswith(_BOM) else ""
    text = text.removeprefix(_BOM)
    try:
        existing = parse(text)
    except MalformedRunbook as error:
        return f"left as it is: {error}", False
    newline = "\r\n" if text.split("\n", 1)[0].endswith("\r") else "\n"
    blocks = [_with_newline(block, newline) for block in blocks]
    kept = _with_newline(KEPT_HEADING, newline)
    current = render(merge(existing, blocks, kept, keep=SNAPSHOTS, newline=newline), newline)
    if current == text:
        return "up to date", True
    if check:
        return "stale", False
    updated = render(merge(existing, blocks, kept, newline=newline), newline)
    return _write(path, bom + updated, "updated")


def _with_newline(block: Block, newline: str) -> Block:
    if newline == "\n":
        return block
    return Block(block.kind, block.name, block.body.replace("\n", newline))


def _write(path: Path, text: str, status: str) -> tuple[str, bool]:
    """Replace ``path`` atomically (a temporary file in its folder, then ``os.replace``),
    keeping the permissions of the file it replaces."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        mode = stat.S_IMODE(path.stat().st_mode) if path.exists() else _default_mode()
        descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
        try:
            with os.fdopen(descriptor, "w", encoding="utf-8", newline="") as out:
                out.write(text)
            os.chmod(temporary, mode)
            os.replace(temporary, path)
        finally:
            Path(temporary).unlink(missing_ok=True)
    except OSError as error:
        return f"cannot be written ({error.strerror or error})", False
    return status, True


def _default_mode() -> int:
    """The permissions a new file gets here (mkstemp's are owner-only)."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask
