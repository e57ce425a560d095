"""Runbook skeletons generated from the model: ``dagcheck runbook``.

One Markdown file per pipeline, ``<folder>/<pipeline id>.md`` (``names.py`` makes the id a
safe file name and tells clashing ids apart). A runbook is made of marked blocks, each
between two HTML comments on lines of their own, so that GitHub shows nothing of them::

    <!-- dagcheck:generated tasks -->
    ...
    <!-- dagcheck:end tasks -->

    <!-- dagcheck:human escalation -->
    ...
    <!-- dagcheck:end escalation -->

``generated`` blocks (title, purpose from the code, ownership, schedule, next runs, graph,
tasks, failure scenarios, recovery commands, findings, questions) are rewritten from the code
on every run. ``human`` blocks (purpose, escalation contacts, known issues, answers, notes)
are the team's: dagcheck writes them once and never changes them again. Text a person writes
outside any block stays where it is. ``blocks.py`` says how a runbook on disk is merged with
a new one; a file whose markers do not pair up is left untouched and reported.

A runbook is rewritten (atomically) only when a generated block changed; ``--check`` writes
nothing and reports runbooks that are missing or stale. The next run times are a snapshot:
they are refreshed whenever the runbook is rewritten, and never make it stale on their own.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from dagcheck.text_safety import Redactor

if TYPE_CHECKING:
    from dagcheck.review import Review


@dataclass
class RunbookOutcome:
    # One line per runbook: "runbooks/x.md: created", "updated", "up to date", and with
    # check "missing" or "stale"; or why it was left as it is.
    lines: list[str]
    # Whether every runbook matches its pipeline (with check: before the run, as nothing is
    # written).
    up_to_date: bool


def sync_runbooks(
    review: Review, folder: Path, *, check: bool, redact: Redactor | None = None
) -> RunbookOutcome:
    """Write or update the runbook of each pipeline of ``review`` in ``folder``; with
    ``check``, only say which are missing or stale. ``redact`` masks the checked files'
    secrets in what is written."""
    # Imported here: DC506 imports runbook.names, and the rules must not load the review.
    from dagcheck.runbook.sync import sync

    return sync(review, folder, check=check, redact=redact or Redactor())
