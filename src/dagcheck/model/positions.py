"""Source spans for the few nodes the model refers to, in one light pass per file.

libcst's PositionProvider records a position for every node of the tree and costs more than
parsing itself; the model needs spans for a few dozen nodes per file. This pass runs libcst's
code generation once, counts characters, and records only the nodes that were asked for;
character offsets become lines and columns through the source's line table.
"""

from __future__ import annotations

import bisect
import re

import libcst as cst
from libcst._nodes.internal import CodegenState

from dagcheck.model.pipeline import Span

# Line breaks as Python's tokenizer and libcst count lines: a lone CR is one. str.splitlines()
# also breaks at form feeds, \x1c-\x1e, \x85, \u2028 and \u2029, which may stand in a
# string or a comment.
_LINE_BREAK = re.compile(r"\r\n?|\n")


def line_starts(source: str) -> list[int]:
    """The offset at which each line of Python source starts."""
    return [0, *(match.end() for match in _LINE_BREAK.finditer(source))]


def source_lines(source: str) -> list[str]:
    """The lines of Python source, without their line breaks, numbered as Python does."""
    return _LINE_BREAK.split(source)


class _OffsetRecorder(CodegenState):
    def __init__(self, module: cst.Module, wanted: dict[cst.CSTNode, Span]) -> None:
        super().__init__(
            default_indent=module.default_indent, default_newline=module.default_newline
        )
        self.offset = 0
        self.wanted = wanted
        self.starts: dict[cst.CSTNode, int] = {}
        self.ranges: dict[cst.CSTNode, tuple[int, int]] = {}

    def add_indent_tokens(self) -> None:
        for token in self.indent_tokens:
            self.offset += len(token)

    def add_token(self, value: str) -> None:
        self.offset += len(value)

    def before_codegen(self, node: cst.CSTNode) -> None:
        if node in self.wanted:
            self.starts[node] = self.offset

    def after_codegen(self, node: cst.CSTNode) -> None:
        if node in self.wanted:
            self.ranges[node] = (self.starts[node], self.offset)


class SpanTable:
    """Hands out spans for nodes now and fills them in with one pass at the end."""

    def __init__(self) -> None:
        self._wanted: dict[cst.CSTNode, Span] = {}

    def span(self, node: cst.CSTNode) -> Span:
        """The span of ``node``: one object per node, filled in by :meth:`resolve`."""
        if node not in self._wanted:
            self._wanted[node] = Span(0, 0, 0, 0)
        return self._wanted[node]

    def resolve(self, module: cst.Module, source: str) -> None:
        if not self._wanted:
            return
        recorder = _OffsetRecorder(module, self._wanted)
        module._codegen(recorder)
        starts = line_starts(source)
        for node, span in self._wanted.items():
            start, end = recorder.ranges.get(node, (0, 0))
            start = _skip_leading_blank(source, start, end)
            span.line, span.column = _line_column(starts, start)
            span.end_line, span.end_column = _line_column(
                starts, _trim_trailing(source, start, end)
            )


def _line_column(line_starts: list[int], offset: int) -> tuple[int, int]:
    index = bisect.bisect_right(line_starts, offset) - 1
    return index + 1, offset - line_starts[index] + 1


def _skip_leading_blank(source: str, start: int, end: int) -> int:
    """Statements own their leading blank lines and comments; a span starts at the code."""
    while start < end:
        char = source[start]
        if char in " \t\r\n\\":
            start += 1
        elif char == "#":
            newline = _LINE_BREAK.search(source, start, end)
            start = end if newline is None else newline.end()
        else:
            break
    return start


def _trim_trailing(source: str, start: int, end: int) -> int:
    while end > start and source[end - 1] in " \t\r\n":
        end -= 1
    return end
