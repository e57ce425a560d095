"""The review as GitHub Markdown, for a pull-request comment or ``$GITHUB_STEP_SUMMARY``.

The summary comes first and is always complete. Each pipeline follows, worst first, in a
collapsible ``<details>`` block: its scorecard, key facts, findings by checklist item and
its graph as Mermaid. GitHub refuses a comment over 65,536 characters, so past
:data:`LIMIT` the details of the best-scoring pipelines are left out, and the last line
says how many.

Text from the checked files (ids, messages, facts) is escaped: it can neither break a table,
nor inject HTML, nor @-mention someone (``@daily`` goes in a code span).
"""

from __future__ import annotations

import html
import re
from typing import TextIO

from dagcheck.checklist import load_checklist
from dagcheck.findings import Finding
from dagcheck.graph import mermaid
from dagcheck.review import (
    FAIL,
    NOT_APPLICABLE,
    PASS,
    WARN,
    PipelineReview,
    Review,
    ReviewedFinding,
)
from dagcheck.review.render import RenderOptions
from dagcheck.review.text import (
    FIX_HINTS,
    TOP_GAPS,
    code_ranges,
    next_run,
    no_schedule,
    schedule_expression,
    schedule_words,
)
from dagcheck.text_safety import printable

LIMIT = 60_000  # characters; GitHub allows 65,536 in a comment
EMOJI = {PASS: "✅", WARN: "⚠️", FAIL: "❌", NOT_APPLICABLE: "\N{HEAVY MINUS SIGN}"}

# Characters Markdown gives a meaning to inside a line; `<`, `>` and `&` become entities.
# An underscore between two letters or digits is left alone: it cannot start emphasis.
_SPECIAL = re.compile(r"([\\`*\[\]|~])")
_UNDERSCORES = re.compile(r"(?<![^\W_])_+|_+(?![^\W_])")
_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
# What GitHub links when it stands alone: @-mentions (`@daily`, `@task`) and issue numbers.
_LINKED = re.compile(r"(?<![\w`])(@\w+(?:[.\-/]\w+)*|#\d+)")


def render(review: Review, out: TextIO, options: RenderOptions) -> None:
    out.write(document(review))


def document(review: Review, limit: int | None = LIMIT) -> str:
    """The whole comment; ``limit=None`` keeps every pipeline's details."""
    head = _summary(review) + _other_findings(review)
    blocks = [_details(pipeline, review) for pipeline in review.worst_first]
    note_room = 400
    kept, size = 0, len(head)
    for block in blocks:
        if limit is not None and size + len(block) + note_room > limit:
            break
        kept, size = kept + 1, size + len(block)
    body = head + "".join(blocks[:kept])
    left_out = len(blocks) - kept
    if left_out:
        noun = "pipeline" if left_out == 1 else "pipelines"
        body += (
            f"_Details of the {left_out} best-scoring {noun} are left out to keep this comment "
            "within GitHub's size limit; `dagcheck review --format html` shows them all._\n"
        )
    return body


def text(value: str) -> str:
    """Text from a checked file as inline Markdown: one line, no markup, no HTML, no
    control characters."""
    value = " ".join(printable(value).split())
    parts, last = [], 0
    for match in _LINKED.finditer(value):
        parts += [_escape(value[last : match.start()]), code(match.group())]
        last = match.end()
    return "".join([*parts, _escape(value[last:])])


def code(value: str, *, in_table: bool = False) -> str:
    """A code span holding ``value`` as it is, whatever backticks it contains (its control
    characters as escapes)."""
    value = " ".join(printable(value).split())
    longest = max((len(run) for run in re.findall(r"`+", value)), default=0)
    fence = "`" * (longest + 1)
    padded = f" {value} " if value.startswith("`") or value.endswith("`") else value
    if in_table:
        padded = padded.replace("|", "\\|")  # GFM splits cells before reading code spans
    return f"{fence}{padded}{fence}"


def _escape(value: str) -> str:
    value = "".join(_ENTITIES.get(char, char) for char in value)
    value = _SPECIAL.sub(r"\\\1", value)
    return _UNDERSCORES.sub(lambda run: "\\_" * len(run.group()), value)


def _row(*cells: str) -> str:
    return "| " + " | ".join(cells) + " |"


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


# -- summary -----------------------------------------------------------------------------


def _summary(review: Review) -> str:
    pipelines = review.pipelines
    findings = review.all_findings()
    parts = [f"**{_plural(len(pipelines), 'pipeline')}**"]
    if review.pass_rate is not None:
        parts.append(
            f"**{review.pass_rate:.0%}** of checklist items pass "
            f"({review.passed} of {review.applicable})"
        )
    fixable = {id(r.finding) for p in pipelines for r in p.findings if r.fix}
    parts.append(
        _plural(len(findings), "finding") + (f", {len(fixable)} fixable" if fixable else "")
    )
    lines = ["## dagcheck review", "", " · ".join(parts), ""]
    if pipelines:
        statuses = (FAIL, WARN, PASS)
        headers = [f"{EMOJI[s]} {s.capitalize()}" for s in statuses]
        lines += [
            _row("Pipeline", "File", *headers, "Findings"),
            "| :-- | :-- | --: | --: | --: | --: |",
        ]
        for p in review.worst_first:
            lines.append(
                _row(
                    code(p.id, in_table=True),
                    code(f"{p.path}:{p.pipeline.span.line}", in_table=True),
                    *(str(p.count(s)) for s in statuses),
                    str(len(p.findings)),
                )
            )
        lines.append("")
    gaps = review.common_gaps[:TOP_GAPS]
    if gaps:
        lines += ["**Most common gaps**", "", "| Checklist item | Pipelines |", "| :-- | --: |"]
        lines += [_row(text(g.item), f"{g.pipelines} of {len(pipelines)}") for g in gaps]
        lines.append("")
    rules = review.rule_counts[:TOP_GAPS]
    if rules:
        docs = load_checklist()
        named = [f"{code(c)} {docs[c].name if c in docs else ''} ({n})" for c, n in rules]
        lines += ["**Rules with most findings:** " + " · ".join(named), ""]
    return "\n".join(lines) + "\n"


def _other_findings(review: Review) -> str:
    if not review.other_findings:
        return ""
    lines = [f"**Outside any pipeline ({len(review.other_findings)})**", ""]
    lines += [_finding(ReviewedFinding(f, None, None), review) for f in review.other_findings]
    return "\n".join(lines) + "\n\n"


# -- one pipeline ------------------------------------------------------------------------


def _details(review: PipelineReview, root: Review) -> str:
    pipeline = review.pipeline
    framework = f"{pipeline.framework.capitalize()} {pipeline.framework_version}".rstrip()
    counts = " ".join(f"{EMOJI[s]} {review.count(s)}" for s in (FAIL, WARN, PASS))
    summary = f"<code>{html.escape(printable(review.id))}</code> · {framework} · {counts}"
    lines = [f"<details><summary>{summary}</summary>", ""]
    lines += [f"{code(f'{review.path}:{pipeline.span.line}')}", ""]
    if not pipeline.complete:
        reasons = "; ".join(pipeline.incomplete_reasons) or "some tasks are built by code"
        lines += [f"Partial graph: {text(reasons)}", ""]
    lines += ["| | Checklist item | Rules |", "| :-: | :-- | :-- |"]
    lines += [
        _row(EMOJI[item.status], text(item.item), code_ranges(item.rules)) for item in review.items
    ]
    lines += ["", "| Fact | Value |", "| :-- | :-- |", *_facts(review), ""]
    scored = [item for item in review.items if item.findings]
    if scored:
        lines += ["**Findings**", ""]
        for item in scored:
            lines += [f"{EMOJI[item.status]} **{text(item.item)}**", ""]
            lines += [_finding(r, root) for r in item.findings]
            lines.append("")
    if pipeline.tasks:
        lines += ["```mermaid", mermaid(pipeline).rstrip("\n"), "```", ""]
    else:
        lines += ["_No tasks._", ""]
    return "\n".join([*lines, "</details>", ""]) + "\n"


def _facts(review: PipelineReview) -> list[str]:
    rows: list[tuple[str, str]] = []
    for summary in review.schedules:
        expression = schedule_expression(summary)
        shown = text(schedule_words(summary))
        if expression:
            shown += f" · {code(expression, in_table=True)}"
        rows.append(("Schedule", shown))
        if summary.next_runs:
            rows.append(("Next runs", ", ".join(next_run(run) for run in summary.next_runs)))
    if not review.schedules:
        rows.append(("Schedule", text(no_schedule(review))))
    rows += [(fact.label, text(fact.value)) for fact in review.facts]
    return [_row(text(label), value) for label, value in rows]


def _finding(reviewed: ReviewedFinding, root: Review) -> str:
    finding: Finding = reviewed.finding
    location = f"{root.relative(finding.path)}:{finding.span.line}:{finding.span.column}"
    line = f"- {code(location)} **{finding.code}** {text(finding.message)}"
    if reviewed.fix in FIX_HINTS:
        line += f" — fix: {code(FIX_HINTS[reviewed.fix])}"
    return line
