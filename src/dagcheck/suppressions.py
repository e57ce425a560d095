"""``# noqa`` comments: on the reported line (``# noqa`` or ``# noqa: DC201, DC7``) and for a
whole file (``# dagcheck: noqa``). Codes match by prefix, as in ``--select``."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from dagcheck.findings import Finding
from dagcheck.model.positions import source_lines

_CODES = r"(?::\s*(?P<codes>[A-Z]+[0-9]*(?:[\s,]+[A-Z]+[0-9]*)*))?"
_LINE = re.compile(r"#\s*noqa" + _CODES, re.I)
_FILE = re.compile(r"#\s*dagcheck:\s*noqa" + _CODES, re.I)


@dataclass
class Suppressions:
    # line → codes suppressed there (None: every code)
    lines: dict[int, tuple[str, ...] | None] = field(default_factory=dict)
    file: tuple[str, ...] | None = ()  # () nothing, None every code

    def hides(self, finding: Finding) -> bool:
        if _matches(self.file, finding.code):
            return True
        return finding.span.line in self.lines and _matches(
            self.lines[finding.span.line], finding.code
        )


def read_suppressions(source: str) -> Suppressions:
    suppressions = Suppressions()
    if "noqa" not in source.lower():
        return suppressions  # the common case: no line to look at
    for number, line in enumerate(source_lines(source), start=1):
        if "#" not in line:
            continue
        whole_file = _FILE.search(line)
        if whole_file:
            suppressions.file = _merge(suppressions.file, _codes(whole_file.group("codes")))
            continue
        on_line = _LINE.search(line)
        if on_line:
            suppressions.lines[number] = _codes(on_line.group("codes"))
    return suppressions


def _codes(text: str | None) -> tuple[str, ...] | None:
    if text is None:
        return None
    return tuple(code.upper() for code in re.split(r"[\s,]+", text) if code)


def _merge(current: tuple[str, ...] | None, new: tuple[str, ...] | None) -> tuple[str, ...] | None:
    if current is None or new is None:
        return None
    return (*current, *new)


def _matches(codes: tuple[str, ...] | None, code: str) -> bool:
    if codes is None:
        return True
    return any(code.startswith(prefix) for prefix in codes)
