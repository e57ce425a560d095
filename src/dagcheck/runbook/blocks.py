"""A runbook's marked blocks: reading them from a file, and merging a new runbook into it.

Each block sits between two marker comments, each alone on its line::

    <!-- dagcheck:generated graph -->
    ...
    <!-- dagcheck:end graph -->

    <!-- dagcheck:human escalation -->
    ...
    <!-- dagcheck:end escalation -->

A block is known by its kind and name. Generated blocks are dagcheck's and every run
rewrites them; human blocks are the team's and, once in the file, are never changed by a
byte. Merging keeps the layout of the file on disk:

* text outside any block stays where it is, as written;
* a generated block is replaced in place by its new content, or dropped when the new
  runbook no longer has it;
* a human block stays as it is; one the new runbook no longer has is moved, unchanged, to
  just after a generated ``kept`` heading, which follows the runbook's last block;
* a block the file lacks (one a person deleted, or a section added since) is inserted after
  the block that comes before it in the new runbook.

A file whose markers do not pair up is never rewritten: :class:`MalformedRunbook` says why.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

GENERATED, HUMAN = "generated", "human"

_OPENING = re.compile(r"<!--\s*dagcheck:(generated|human)\s+([A-Za-z0-9_.-]+)\s*-->")
_CLOSING = re.compile(r"<!--\s*dagcheck:end\s+([A-Za-z0-9_.-]+)\s*-->")
_MARKER_LIKE = re.compile(r"<!--\s*dagcheck:")


class MalformedRunbook(ValueError):
    """Markers that do not pair up: the message says where and how."""


@dataclass(frozen=True)
class Block:
    kind: str  # GENERATED | HUMAN
    name: str
    body: str  # the lines between the markers, each with its line ending
    # The marker lines as written in the file (a person may have spaced them differently).
    opening: str = ""
    closing: str = ""

    @property
    def key(self) -> tuple[str, str]:
        return (self.kind, self.name)

    def text(self, newline: str = "\n") -> str:
        opening = self.opening or f"<!-- dagcheck:{self.kind} {self.name} -->{newline}"
        closing = self.closing or f"<!-- dagcheck:end {self.name} -->{newline}"
        return opening + self.body + closing


# A runbook file: text outside blocks, and blocks, in file order.
Segment = str | Block


def parse(text: str) -> list[Segment]:
    """The segments of a runbook file; raises :class:`MalformedRunbook`."""
    segments: list[Segment] = []
    seen: dict[tuple[str, str], int] = {}
    outside: list[str] = []
    open_block: tuple[str, str, str, int] | None = None  # kind, name, opening line, number
    body: list[str] = []
    for number, line in enumerate(text.splitlines(keepends=True), start=1):
        stripped = line.strip()
        opening, closing = _OPENING.fullmatch(stripped), _CLOSING.fullmatch(stripped)
        if opening is None and closing is None:
            if _MARKER_LIKE.match(stripped):
                raise MalformedRunbook(f"line {number}: not a dagcheck marker: {stripped}")
            (body if open_block is not None else outside).append(line)
            continue
        if opening is not None:
            kind, name = opening.group(1), opening.group(2)
            if open_block is not None:
                raise MalformedRunbook(
                    f"line {number}: block '{name}' starts inside block '{open_block[1]}' "
                    f"(line {open_block[3]}), which has no end marker before it"
                )
            if (kind, name) in seen:
                raise MalformedRunbook(
                    f"line {number}: a second {kind} block '{name}' (the first is on line "
                    f"{seen[kind, name]})"
                )
            seen[kind, name] = number
            if outside:
                segments.append("".join(outside))
                outside = []
            open_block, body = (kind, name, line, number), []
            continue
        assert closing is not None
        if open_block is None:
            raise MalformedRunbook(
                f"line {number}: end marker of block '{closing.group(1)}' without its start"
            )
        kind, name, opening_line, start = open_block
        if closing.group(1) != name:
            raise MalformedRunbook(
                f"line {number}: block '{name}' (line {start}) is ended by the end marker of "
                f"'{closing.group(1)}'"
            )
        segments.append(Block(kind, name, "".join(body), opening_line, line))
        open_block = None
    if open_block is not None:
        raise MalformedRunbook(
            f"line {open_block[3]}: block '{open_block[1]}' is never closed "
            f"(its end marker is <!-- dagcheck:end {open_block[1]} -->)"
        )
    if outside:
        segments.append("".join(outside))
    return segments


def render(segments: Sequence[Segment], newline: str = "\n") -> str:
    return "".join(s if isinstance(s, str) else s.text(newline) for s in segments)


def fresh(blocks: Sequence[Block], newline: str = "\n") -> list[Segment]:
    """A new runbook file: the blocks, a blank line between each two."""
    segments: list[Segment] = []
    for block in blocks:
        if segments:
            segments.append(newline)
        segments.append(block)
    return segments


def merge(
    existing: Sequence[Segment],
    blocks: Sequence[Block],
    kept_heading: Block,
    *,
    keep: frozenset[str] = frozenset(),
    newline: str = "\n",
) -> list[Segment]:
    """The file ``existing`` brought up to date with the runbook ``blocks`` (see the module
    docstring). Generated blocks named in ``keep`` that the file has keep their content.
    ``kept_heading`` heads the human blocks the runbook no longer has, when there are any."""
    wanted = {block.key for block in blocks}
    orphans = [s for s in existing if isinstance(s, Block) and s.key not in wanted]
    orphans = [block for block in orphans if block.kind == HUMAN]
    if orphans:
        blocks = [*blocks, kept_heading]
    new = {block.key: block for block in blocks}
    result: list[Segment] = []
    for segment in existing:
        if isinstance(segment, str) or segment.kind == HUMAN:
            result.append(segment)
        elif segment.key in new:  # a generated block
            result.append(segment if segment.name in keep else new[segment.key])
    _insert_missing(result, blocks, newline)
    if orphans:
        _gather_after(result, kept_heading.key, orphans, newline)
    return result


def _insert_missing(result: list[Segment], blocks: Sequence[Block], newline: str) -> None:
    """Insert the blocks ``result`` lacks, each after the block before it in ``blocks`` (or
    before the block after it, when none before it is there)."""

    def position(key: tuple[str, str]) -> int | None:
        return next(
            (i for i, s in enumerate(result) if isinstance(s, Block) and s.key == key), None
        )

    for index, block in enumerate(blocks):
        if position(block.key) is not None:
            continue
        before = (position(b.key) for b in reversed(blocks[:index]))
        anchor = next((p for p in before if p is not None), None)
        if anchor is not None:
            result[anchor + 1 : anchor + 1] = [newline, block]
            continue
        after = (position(b.key) for b in blocks[index + 1 :])
        anchor = next((p for p in after if p is not None), None)
        if anchor is not None:
            result[anchor:anchor] = [block, newline]
        else:
            result.extend([newline, block] if result else [block])


def _gather_after(
    result: list[Segment], heading: tuple[str, str], orphans: list[Block], newline: str
) -> None:
    """Move the ``orphans`` that come before the ``heading`` block to just after it."""
    at = next(i for i, s in enumerate(result) if isinstance(s, Block) and s.key == heading)
    moving = [s for s in result[:at] if any(s is block for block in orphans)]
    if not moving:
        return
    result[:] = [s for s in result if not any(s is block for block in moving)]
    at = next(i for i, s in enumerate(result) if isinstance(s, Block) and s.key == heading)
    insertion: list[Segment] = []
    for block in moving:
        insertion += [newline, block]
    result[at + 1 : at + 1] = insertion
