"""Review renderers, registered by format name: each writes a :class:`Review` to a stream.

A renderer's module is imported only when its format is asked for.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import TextIO

from dagcheck.review import Review


@dataclass(frozen=True)
class RenderOptions:
    color: bool = False  # ANSI colours: only when writing to a terminal
    width: int = 100  # the terminal report fits in this many columns


Renderer = Callable[[Review, TextIO, RenderOptions], None]

# Format name -> the module defining ``render(review, out, options)``.
_MODULES = {
    "text": "dagcheck.review.text",
    "markdown": "dagcheck.review.markdown",
    "json": "dagcheck.review.json_format",
    "html": "dagcheck.review.html",
}
FORMATS = tuple(_MODULES)


def renderer(name: str) -> Renderer:
    module = importlib.import_module(_MODULES[name])
    render: Renderer = module.render
    return render
