"""The file name of each pipeline's runbook: shared by ``dagcheck runbook``, which writes
them, and DC506, which looks for them (so this module imports nothing heavy).

A runbook is ``<pipeline id>.md`` with the id made a safe file name: ASCII letters, digits,
``-``, ``_`` and ``.`` are kept, any other character becomes ``_``, and a leading ``.``
becomes ``_`` (no hidden files, no ``..``). Two pipelines whose names would clash (the same
id in two files, or ids that differ only in case, which clash on macOS and Windows) are told
apart deterministically: pipelines are taken in order of file path and line, the first keeps
the plain name, and each later one is suffixed with its file's stem (``sales_daily-legacy.md``),
then with a number if that is taken too.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from dagcheck.model.pipeline import Pipeline

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")
# Long ids are cut so that a name with its suffixes stays well under 255 bytes.
_MAX_LENGTH = 120


def safe_file_name(text: str) -> str:
    """``text`` as a file name part: ``daily etl/v2`` → ``daily_etl_v2``."""
    safe = _UNSAFE.sub("_", text)[:_MAX_LENGTH]
    if safe.startswith("."):
        safe = "_" + safe[1:]
    return safe or "_"


def runbook_names(pipelines: Sequence[Pipeline]) -> list[str]:
    """The runbook file name of each pipeline, in the order given."""
    order = sorted(
        range(len(pipelines)),
        key=lambda i: (
            pipelines[i].file.resolve().as_posix(),
            pipelines[i].span.line,
            pipelines[i].span.column,
        ),
    )
    bases = [safe_file_name(_pipeline_id(pipeline)) for pipeline in pipelines]
    names = [""] * len(pipelines)
    taken: set[str] = set()
    clashing = []
    for index in order:  # every plain name is claimed before any suffixed one
        if bases[index].casefold() in taken:
            clashing.append(index)
        else:
            taken.add(bases[index].casefold())
            names[index] = bases[index]
    for index in clashing:
        stem = f"{bases[index]}-{safe_file_name(pipelines[index].file.stem)}"
        name, number = stem, 2
        while name.casefold() in taken:
            name, number = f"{stem}-{number}", number + 1
        taken.add(name.casefold())
        names[index] = name
    return [f"{name}.md" for name in names]


def _pipeline_id(pipeline: Pipeline) -> str:
    return pipeline.id if isinstance(pipeline.id, str) else pipeline.id.text
