"""Text from the checked files, made safe to show.

The checked files are untrusted input: CI runs dagcheck on pull requests from forks. A
``dag_id`` holding ESC or BEL must not retitle or clear the terminal that shows it, a newline
in a task id must not start a ``::error::`` workflow command in a CI log, and a credential
written in a file must not be copied into any report. Reporters pass what they show from a
file through :func:`printable`, and the command line masks secrets with a :class:`Redactor`.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from dagcheck.model.pipeline import HardCodedSecret

MASK = "****"

# C0 controls, DEL and C1 controls, and the format characters that break a line or reorder
# the text around them (bidirectional overrides, as in "Trojan Source") in terminals, logs
# and browsers.
_UNPRINTABLE = re.compile("[\x00-\x1f\x7f-\x9f\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def printable(text: str) -> str:
    """``text`` with every control character written as its escape (ESC as ``\\x1b``, a
    newline as ``\\n``), so that it shows as what it is and on one line."""
    return _UNPRINTABLE.sub(_escape, text)


def printable_source(text: str, keep: str = "") -> str:
    """Source code (or Markdown) made printable, its tabs and the characters of ``keep``
    kept: a tab only moves the cursor, and source indented with tabs stays readable (and
    the underline below it aligned)."""
    kept = set("\t" + keep)
    return _UNPRINTABLE.sub(
        lambda match: match.group() if match.group() in kept else _escape(match), text
    )


# What JSON written without ensure_ascii leaves raw: C1 controls and the format characters.
_RAW_IN_JSON = re.compile("[\x7f-\x9f\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def json_escaped(document: str) -> str:
    """A JSON document (written with ``ensure_ascii=False``, so that names stay readable)
    with the characters a terminal acts on written as ``\\u`` escapes: JSON allows them
    only inside strings, where the escape means the same character."""
    return _RAW_IN_JSON.sub(lambda match: f"\\u{ord(match.group()):04x}", document)


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    if char in _NAMED:
        return _NAMED[char]
    return f"\\x{ord(char):02x}" if ord(char) <= 0xFF else f"\\u{ord(char):04x}"


@dataclass(frozen=True)
class Redactor:
    """Masks the secrets found in the checked files wherever they show: called on any text,
    it returns the text with each secret replaced by ``****``."""

    secrets: tuple[str, ...] = ()

    def __call__(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, MASK)
        return text

    @classmethod
    def of_source(cls, source: str, secrets: Iterable[HardCodedSecret]) -> Redactor:
        """The secrets written in ``source`` at the places the model noted."""
        line_starts = [0, *(index + 1 for index, char in enumerate(source) if char == "\n")]
        found: set[str] = set()
        for secret in secrets:
            span = secret.span
            if not 1 <= span.line <= len(line_starts):
                continue
            start = line_starts[span.line - 1] + span.column - 1
            for begin, end in secret.parts:
                text = source[start + begin : start + end]
                # A mask must not eat ordinary text: every noted secret is longer than this.
                if len(text) >= 4:
                    # As JSON writes it too, for a secret holding a quote or backslash.
                    found.update((text, json.dumps(text)[1:-1]))
        return cls(tuple(sorted(found, key=len, reverse=True)))

    @classmethod
    def of_files(cls, files: Iterable[tuple[Path, Iterable[HardCodedSecret]]]) -> Redactor:
        """The secrets of several files, read back from disk (the model never keeps them)."""
        found: set[str] = set()
        for path, secrets in files:
            secrets = list(secrets)
            if not secrets:
                continue
            try:
                source = path.read_bytes().decode("utf-8", "replace").removeprefix("\ufeff")
            except OSError:
                continue
            found.update(cls.of_source(source, secrets).secrets)
        return cls(tuple(sorted(found, key=len, reverse=True)))


def masked_value(value: Any, name: str = "") -> Any:
    """A model value as it may be shown: the value of a secret-looking key or name (as DC903
    judges them) is ``****``, and so is the password of a connection URI."""
    # Imported here: the command line imports this module, and --help must not load libcst.
    from dagcheck.model.code import URI_WITH_PASSWORD, looks_like_secret

    if isinstance(value, str):
        if name and looks_like_secret(name, value):
            return MASK
        return URI_WITH_PASSWORD.sub(_masked_password, value)
    if isinstance(value, dict):
        return {
            key: masked_value(item, key if isinstance(key, str) else "")
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [masked_value(item) for item in value]
    if isinstance(value, tuple):
        return tuple(masked_value(item) for item in value)
    return value


def _masked_password(match: re.Match[str]) -> str:
    from dagcheck.model.code import is_placeholder

    if is_placeholder(match.group("password")):
        return match.group()
    start, end = match.span("password")
    return match.group()[: start - match.start()] + MASK + match.group()[end - match.start() :]


class PrintableLines(io.TextIOBase):
    """A text stream for writers that write one line per call: everything but the line's
    final newline is made :func:`printable`, so that a newline inside an id stays on its
    line instead of starting a new one (a ``::error::`` command in a CI log)."""

    def __init__(self, out: TextIO) -> None:
        self._out = out

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        line, newline = (text[:-1], "\n") if text.endswith("\n") else (text, "")
        self._out.write(printable(line) + newline)
        return len(text)

    def flush(self) -> None:
        self._out.flush()


class RedactedStream(io.TextIOBase):
    """A text stream that masks secrets in everything written through it: the last line of
    defence of every command's output, whatever a renderer chose to show."""

    def __init__(self, out: TextIO, redact: Redactor) -> None:
        self._out = out
        self._redact = redact

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        self._out.write(self._redact(text))
        return len(text)

    def flush(self) -> None:
        self._out.flush()
