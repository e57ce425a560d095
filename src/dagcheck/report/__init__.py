"""Reporters turn findings into output; each is small and registered by name."""

from __future__ import annotations

from collections.abc import Callable
from typing import TextIO

from dagcheck.findings import Finding

Reporter = Callable[[list[Finding], TextIO], None]


def reporter(name: str) -> Reporter:
    """The reporter registered under ``name`` (imported on demand to keep start-up fast)."""
    if name == "text":
        from dagcheck.report.text import write_text

        return write_text
    if name == "full":
        from dagcheck.report.text import write_full

        return write_full
    if name == "json":
        from dagcheck.report.json import write_json

        return write_json
    raise KeyError(name)


REPORTERS = ("text", "full", "json")
