"""The review as a terminal report: the summary first, then each pipeline, worst first.

Lines fit in ``options.width`` columns; only a word longer than a line (a long path) sticks
out. Colours are ANSI codes from ``click.style``, and only when ``options.color`` is set.
"""

from __future__ import annotations

import datetime as dt
import textwrap
from collections.abc import Callable, Iterable
from typing import TextIO

import click

from dagcheck.checklist import load_checklist
from dagcheck.findings import Finding, Severity
from dagcheck.graph import nodes_and_edges
from dagcheck.review import (
    FAIL,
    NOT_APPLICABLE,
    PASS,
    WARN,
    ItemScore,
    PipelineReview,
    Review,
    ReviewedFinding,
)
from dagcheck.review.render import RenderOptions
from dagcheck.schedules import ScheduleSummary
from dagcheck.text_safety import printable

Style = Callable[[str], str]

MARKS = {PASS: "✓", WARN: "!", FAIL: "✗", NOT_APPLICABLE: "\N{EN DASH}"}
# Colour, bold, dim of each status mark.
_STATUS_STYLES: dict[str, tuple[str | None, bool | None, bool | None]] = {
    PASS: ("green", None, None),
    WARN: ("yellow", True, None),
    FAIL: ("red", True, None),
    NOT_APPLICABLE: (None, None, True),
}
_SEVERITY_COLORS = {Severity.ERROR: "red", Severity.WARNING: "yellow", Severity.INFO: "blue"}
FIX_HINTS = {"safe": "dagcheck fix", "unsafe": "dagcheck fix --unsafe-fixes"}
TOP = 10  # worst pipelines in the summary
TOP_GAPS = 5  # checklist items and rules in the summary
GRAPH_LINES = 40  # tasks drawn per graph


def render(review: Review, out: TextIO, options: RenderOptions) -> None:
    report = _Report(review, options)
    out.write("\n".join(report.lines()) + "\n")


def next_run(moment: dt.datetime) -> str:
    """``2025-01-06 06:00 EST``: a run time in its own zone."""
    return f"{moment:%Y-%m-%d %H:%M} {moment.tzname() or ''}".rstrip()


def schedule_words(summary: ScheduleSummary) -> str:
    """A schedule in words, with its timezone."""
    words = " ".join((summary.words or "").split())
    if not words:
        return "unknown statically"
    if summary.timezone and f"({summary.timezone})" not in words:
        words += f" ({summary.timezone})"
    return words


def schedule_expression(summary: ScheduleSummary) -> str | None:
    """The schedule as written, when it adds to the words: short, or all there is."""
    expression = " ".join((summary.expression or "").split())
    words = summary.words or ""
    if not expression or expression in " ".join(words.split()):
        return None
    return expression if len(expression) <= 40 or not words else None


def schedule_text(summary: ScheduleSummary) -> str:
    """``At 00:00, every day (UTC) · @daily``."""
    expression = schedule_expression(summary)
    return schedule_words(summary) + (f" · {expression}" if expression else "")


def no_schedule(review: PipelineReview) -> str:
    """What to show for a pipeline whose schedule gives no summary (a Prefect flow's)."""
    if review.pipeline.deployments:
        return "not scheduled: its deployments run only when triggered"
    return "none: no deployment of this flow was found"


def fact_rows(review: PipelineReview) -> list[tuple[str, str]]:
    """The key facts as (label, value), each schedule and its next runs first."""
    rows: list[tuple[str, str]] = []
    for summary in review.schedules:
        rows.append(("Schedule", schedule_text(summary)))
        if summary.next_runs:
            rows.append(("Next runs", ", ".join(next_run(run) for run in summary.next_runs)))
    if not review.schedules:
        rows.append(("Schedule", no_schedule(review)))
    return rows + [(fact.label, fact.value) for fact in review.facts]


def code_ranges(codes: Iterable[str]) -> str:
    """``DC201, DC202, DC401`` with runs of three or more consecutive codes as a range
    (``DC101`` to ``DC104``, joined by an en dash)."""
    numbers = sorted({int(code[2:]) for code in codes})
    parts: list[str] = []
    start = 0
    for index in range(1, len(numbers) + 1):
        if index == len(numbers) or numbers[index] != numbers[index - 1] + 1:
            run = numbers[start:index]
            if len(run) >= 3:
                parts.append(f"DC{run[0]:03d}\N{EN DASH}DC{run[-1]:03d}")
            else:
                parts += [f"DC{number:03d}" for number in run]
            start = index
    return ", ".join(parts)


def _wrap(
    text: str, width: int, indent: int, hang: int, styles: dict[int, Style] | None = None
) -> list[str]:
    """``text`` wrapped to ``width`` columns, the first line indented by ``indent`` spaces and
    the others by ``hang``; word ``i`` (counted over the whole text) drawn with ``styles[i]``.
    Words are never broken: one longer than a line gets a line of its own."""
    lines = textwrap.wrap(
        " ".join(printable(text).split()),  # an id's newline or ESC shown, never obeyed
        width,
        initial_indent=" " * indent,
        subsequent_indent=" " * hang,
        break_long_words=False,
        break_on_hyphens=False,
    )
    if not styles:
        return lines
    styled, position = [], 0
    for number, line in enumerate(lines):
        lead = indent if number == 0 else hang
        words = line[lead:].split(" ")
        drawn = (styles.get(position + i, str)(word) for i, word in enumerate(words))
        styled.append(" " * lead + " ".join(drawn))
        position += len(words)
    return styled


class _Report:
    def __init__(self, review: Review, options: RenderOptions) -> None:
        self.review = review
        self.width = options.width
        self.color = options.color

    def style(
        self,
        text: str,
        fg: str | None = None,
        *,
        bold: bool | None = None,
        dim: bool | None = None,
    ) -> str:
        if not self.color or not text:
            return text
        return click.style(text, fg=fg, bold=bold, dim=dim)

    def styler(
        self, fg: str | None = None, *, bold: bool | None = None, dim: bool | None = None
    ) -> Style:
        return lambda text: self.style(text, fg, bold=bold, dim=dim)

    def mark(self, status: str) -> str:
        fg, bold, dim = _STATUS_STYLES[status]
        return self.style(MARKS[status], fg, bold=bold, dim=dim)

    def heading(self, text: str, indent: int = 0) -> str:
        return " " * indent + self.style(text, bold=True)

    def prefixed(
        self, prefix: str, styled_prefix: str, text: str, styles: dict[int, Style] | None = None
    ) -> list[str]:
        """``text`` wrapped after ``prefix`` (drawn as ``styled_prefix``), its other lines
        aligned under its first word."""
        lines = _wrap(text, self.width, len(prefix), len(prefix), styles)
        if not lines:
            return [styled_prefix.rstrip()]
        return [styled_prefix + lines[0][len(prefix) :], *lines[1:]]

    def lines(self) -> list[str]:
        review = self.review
        lines = self.summary()
        for pipeline in review.worst_first:
            lines += ["", *self.pipeline(pipeline)]
        if review.other_findings:
            lines += ["", self.heading(f"Outside any pipeline ({len(review.other_findings)})")]
            for finding in review.other_findings:
                lines += self.finding(ReviewedFinding(finding, None, None), indent=2)
        return [*lines, "", self.footer()]

    # -- summary ---------------------------------------------------------------------------

    def summary(self) -> list[str]:
        review = self.review
        count = len(review.pipelines)
        noun = "pipeline" if count == 1 else "pipelines"
        rate = review.pass_rate
        if rate is None:
            passing = "no checklist item applies"
        else:
            passing = f"{self.style(f'{rate:.0%}', bold=True)} of checklist items pass"
            passing += f" ({review.passed} of {review.applicable})"
        lines = [f"{self.style('dagcheck review', bold=True)}: {count} {noun}, {passing}"]
        if not review.pipelines:
            return lines
        lines += ["", self.heading("Worst pipelines")]
        worst = review.worst_first[:TOP]
        digits = max(len(str(p.count(status))) for p in worst for status in (FAIL, WARN))
        for pipeline in worst:
            counts = [(status, pipeline.count(status)) for status in (FAIL, WARN)]
            prefix = "  " + "  ".join(f"{MARKS[s]} {n:>{digits}}" for s, n in counts) + "  "
            styled = "  ".join(
                self.mark(s) + " " + self.style(f"{n:>{digits}}", bold=True)
                if n
                else self.style(f"{MARKS[s]} {n:>{digits}}", dim=True)
                for s, n in counts
            )
            text = f"{pipeline.id} {pipeline.path}:{pipeline.pipeline.span.line}"
            words = len(pipeline.id.split())
            styles = dict.fromkeys(range(words), self.styler(bold=True))
            styles[words] = self.styler(dim=True)
            lines += self.prefixed(prefix, f"  {styled}  ", text, styles)
        if len(review.pipelines) > TOP:
            lines.append(f"  … and {len(review.pipelines) - TOP} more")
        gaps = review.common_gaps[:TOP_GAPS]
        if gaps:
            lines += ["", self.heading("Most common gaps")]
            share = max(len(f"{gap.pipelines} of {count}") for gap in gaps)
            for gap in gaps:
                prefix = f"  {f'{gap.pipelines} of {count}':>{share}}  "
                lines += self.prefixed(prefix, prefix, gap.item)
        rules = review.rule_counts[:TOP_GAPS]
        if rules:
            lines += ["", self.heading("Rules with most findings")]
            docs = load_checklist()
            digits = len(str(rules[0][1]))
            for code, found in rules:
                name = docs[code].name if code in docs else ""
                prefix = f"  {found:>{digits}}  "
                styled = f"  {self.style(f'{found:>{digits}}', bold=True)}  "
                lines += self.prefixed(prefix, styled, f"{code} {name}")
        return lines

    def footer(self) -> str:
        findings = self.review.all_findings()
        if not findings:
            return self.style("No findings: every applicable checklist item passes.", bold=True)
        fixes = {id(r.finding): r.fix for p in self.review.pipelines for r in p.findings if r.fix}
        safe = sum(fix == "safe" for fix in fixes.values())
        unsafe = sum(fix == "unsafe" for fix in fixes.values())
        noun = "finding" if len(findings) == 1 else "findings"
        fixable = [
            f"{number} fixable with `{FIX_HINTS[kind]}`"
            for number, kind in ((safe, "safe"), (unsafe, "unsafe"))
            if number
        ]
        detail = f" ({'; '.join(fixable)})" if fixable else ""
        return f"Found {len(findings)} {noun}{detail}."

    # -- one pipeline ----------------------------------------------------------------------

    def pipeline(self, review: PipelineReview) -> list[str]:
        pipeline = review.pipeline
        framework = f"{pipeline.framework.capitalize()} {pipeline.framework_version}".rstrip()
        location = f"{review.path}:{pipeline.span.line}"
        words = len(review.id.split())
        styles = dict.fromkeys(range(words), self.styler(bold=True))
        styles[words + 1 + len(framework.split()) + 1] = self.styler(dim=True)
        header = _wrap(f"{review.id} · {framework} · {location}", self.width, 0, 2, styles)
        counts = ", ".join(f"{review.count(status)} {status}" for status in (FAIL, WARN, PASS))
        fixable = sum(r.fix is not None for r in review.findings)
        found = len(review.findings)
        counts += f" · {found} finding{'s' if found != 1 else ''}"
        counts += f" ({fixable} fixable)" if fixable else ""
        lines = [*header, f"  {counts}"]
        if not pipeline.complete:
            reasons = "; ".join(pipeline.incomplete_reasons) or "some tasks are built by code"
            warn = self.styler("yellow")
            lines += _wrap(f"Partial graph: {reasons}", self.width, 2, 4, {0: warn, 1: warn})
        lines += [self.heading("Scorecard", 2), *self.scorecard(review.items)]
        lines += [self.heading("Facts", 2), *self.facts(review)]
        scored = [item for item in review.items if item.findings]
        if scored:
            lines.append(self.heading("Findings", 2))
            for item in scored:
                mark = f"    {MARKS[item.status]} "
                lines += self.prefixed(mark, f"    {self.mark(item.status)} ", item.item)
                for reviewed in item.findings:
                    lines += self.finding(reviewed, indent=6)
        lines += [self.heading("Graph", 2), *self.graph(review)]
        return lines

    def scorecard(self, items: tuple[ItemScore, ...]) -> list[str]:
        column = max((len(item.item) for item in items), default=0)
        lines = []
        for item in items:
            prefix = f"    {MARKS[item.status]} {item.item:<{column}}  "
            styled = f"    {self.mark(item.status)} {item.item:<{column}}  "
            codes = code_ranges(item.rules)
            dim = dict.fromkeys(range(len(codes.split())), self.styler(dim=True))
            lines += self.prefixed(prefix, styled, codes, dim)
        return lines

    def facts(self, review: PipelineReview) -> list[str]:
        rows = fact_rows(review)
        column = max(len(label) for label, _ in rows) + 1
        lines: list[str] = []
        for label, value in rows:
            prefix = f"    {label + ':':<{column}} "
            styled = f"    {self.style(label + ':', bold=True)}{' ' * (column - len(label))}"
            lines += self.prefixed(prefix, styled, value)
        return lines

    def finding(self, reviewed: ReviewedFinding, indent: int) -> list[str]:
        finding: Finding = reviewed.finding
        location = f"{self.review.relative(finding.path)}:{finding.span.line}:{finding.span.column}"
        text = f"{location} {finding.code} {finding.message}"
        styles: dict[int, Style] = {
            0: self.styler(bold=True),
            1: self.styler(fg=_SEVERITY_COLORS[finding.severity], bold=True),
        }
        lines = _wrap(text, self.width, indent, indent + 2, styles)
        if reviewed.fix in FIX_HINTS:  # kept in one piece, to be copied
            hint = f"[fix: {FIX_HINTS[reviewed.fix]}]"
            if len(click.unstyle(lines[-1])) + 1 + len(hint) <= self.width:
                lines[-1] += " " + self.style(hint, "cyan")
            else:
                lines.append(" " * (indent + 2) + self.style(hint, "cyan"))
        return lines

    def graph(self, review: PipelineReview) -> list[str]:
        names, edges = nodes_and_edges(review.pipeline)
        if not names:
            return ["    no tasks"]
        downstream: dict[str, list[str]] = {name: [] for name in names}
        for up, down in edges:
            downstream[up].append(down)
        lines = []
        for name in names[:GRAPH_LINES]:
            if not downstream[name]:
                lines += _wrap(name, self.width, 4, 6)
                continue
            hang = 4 + len(name) + 3 if len(name) <= 30 else 8
            words = len(name.split())
            text = f"{name} → {', '.join(downstream[name])}"
            lines += _wrap(text, self.width, 4, hang, {words: self.styler(dim=True)})
        if len(names) > GRAPH_LINES:
            lines.append(f"    … and {len(names) - GRAPH_LINES} more tasks")
        return lines
