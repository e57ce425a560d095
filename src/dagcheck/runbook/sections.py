"""The blocks of one pipeline's runbook, in order: what dagcheck generates from the model and
the review, and the blocks the team fills in (with the text they start with).

Everything here is a function of the pipeline, its review and ``review.now``, so the same
code gives the same runbook. Only the ``next-runs`` block depends on the date; it is a
snapshot (see :data:`SNAPSHOTS`).
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from collections.abc import Iterator, Sequence

from dagcheck.checklist import load_checklist
from dagcheck.graph import mermaid, task_name
from dagcheck.model.pipeline import (
    Deployment,
    Pipeline,
    Provenance,
    Setting,
    Task,
    TaskKind,
    Unknown,
)
from dagcheck.review import PipelineReview, Review, ReviewedFinding
from dagcheck.review.facts import show
from dagcheck.runbook.blocks import GENERATED, HUMAN, Block
from dagcheck.runbook.failures import PIPELINE_SCENARIOS, SCENARIOS
from dagcheck.runbook.recovery import recovery
from dagcheck.schedules import ScheduleSummary
from dagcheck.text_safety import printable

# Generated blocks whose content changes with the date alone: a runbook whose other blocks
# are current is up to date whatever they hold, and they are refreshed whenever it is
# rewritten for another reason (so a daily run does not rewrite every runbook).
SNAPSHOTS = frozenset({"next-runs"})

# A runbook lists the findings to fix, not the one saying it is missing: that one is gone
# as soon as the runbook is written.
_NOT_LISTED = {"DC506"}

KEPT_HEADING = Block(
    GENERATED,
    "kept",
    "## Kept from an earlier runbook\n"
    "\n"
    "The blocks below were filled in under sections this runbook no longer has. Move what is "
    "still true to where it belongs, then delete them.\n",
)

_HEADER_COMMENT = (
    "<!-- Written by `dagcheck runbook`. The blocks between dagcheck:generated and "
    "dagcheck:end markers are rewritten from the code each time it runs; the blocks between "
    "dagcheck:human and dagcheck:end markers are yours and are kept exactly as written, and "
    "so is any text you add outside the blocks. -->"
)
_TASKS_PER_SCENARIO = 8
_NONE = "\N{EN DASH}"  # a table cell that does not apply


def runbook_blocks(item: PipelineReview, review: Review) -> list[Block]:
    """The runbook of one pipeline, block by block."""
    pipeline = item.pipeline
    described = _description(pipeline) is not None
    return [
        _generated("header", _header(item)),
        _generated("description", _purpose(item)),
        _human("purpose", _purpose_prompt(pipeline, described=described)),
        _generated("ownership", _ownership(item)),
        _human("escalation", _ESCALATION),
        _generated("schedule", _schedule(item)),
        _generated("next-runs", _next_runs(item, review.now)),
        _generated("graph", _graph(pipeline)),
        _generated("tasks", _tasks(pipeline)),
        _generated("failures", _failures(pipeline)),
        _generated("recovery", ["## Recovery", "", *recovery(item)]),
        _human("known-issues", ["## Known issues", "", "None recorded yet."]),
        _generated("findings", _findings(item, review)),
        _generated("questions", _questions(item)),
        _human("answers", ["TODO(owner): answer the questions above."]),
        _human("notes", ["## Notes", ""]),
    ]


def _generated(name: str, lines: Sequence[str]) -> Block:
    return Block(GENERATED, name, "".join(f"{line}\n" for line in lines))


def _human(name: str, lines: Sequence[str]) -> Block:
    return Block(HUMAN, name, "".join(f"{line}\n" for line in lines))


def _noun(pipeline: Pipeline) -> str:
    return "flow" if pipeline.framework == "prefect" else "DAG"


# -- title and purpose -------------------------------------------------------------------------


def _header(item: PipelineReview) -> list[str]:
    pipeline = item.pipeline
    framework = "Prefect" if pipeline.framework == "prefect" else "Airflow"
    # No line number: a line added above the pipeline would make the runbook stale.
    where = f"defined in {code(item.path)}"
    if pipeline.framework == "prefect" and pipeline.entrypoint_name:
        where += f" (flow function {code(pipeline.entrypoint_name)})"
    lines = [
        f"# Runbook: {_escape_text(item.id)}",
        "",
        _HEADER_COMMENT,
        "",
        f"{framework} {_noun(pipeline)} {code(item.id)}, {where}; read with {framework} "
        f"{pipeline.framework_version or '3'} defaults.",
    ]
    if not pipeline.complete:
        reasons = "; ".join(pipeline.incomplete_reasons) or "code dagcheck cannot follow"
        lines += [
            "",
            f"Part of this {_noun(pipeline)} is built by code dagcheck cannot follow "
            f"({_escape_text(reasons)}): the tasks and graph below may miss some.",
        ]
    return lines


def _description(pipeline: Pipeline) -> tuple[str, Setting] | None:
    """The setting the pipeline's purpose is read from, when it holds something."""
    names = ("description",) if pipeline.framework == "prefect" else ("doc_md", "description")
    for name in names:
        setting = pipeline.setting(name)
        if setting is not None and setting.value not in (None, ""):
            return name, setting
    return None


def _purpose(item: PipelineReview) -> list[str]:
    pipeline = item.pipeline
    lines = ["## Purpose", ""]
    found = _description(pipeline)
    if found is None:
        where = "the docstring or `description=`" if pipeline.framework == "prefect" else "`doc_md`"
        return [
            *lines,
            f"The code gives this {_noun(pipeline)} no description: write its purpose below, "
            f"and put it in {where} too, where the UI shows it (DC504).",
        ]
    name, setting = found
    if isinstance(setting.value, Unknown):
        return [
            *lines,
            f"The {_noun(pipeline)}'s `{name}` is computed when the file is parsed "
            f"({code(setting.value.text)}): see the UI for its text.",
        ]
    text = str(setting.value).strip("\n")
    source = "docstring" if pipeline.framework == "prefect" else f"`{name}`"
    # Quoted, so that its headings and any marker-like line stay inside the quote.
    quoted = [f"> {line}".rstrip() for line in text.splitlines()]
    return [*lines, f"From the {_noun(pipeline)}'s {source}:", "", *quoted]


def _purpose_prompt(pipeline: Pipeline, *, described: bool) -> list[str]:
    if described:
        return [
            "Add what the description leaves out: who uses the output, and what breaks "
            "downstream when it is late or wrong."
        ]
    return [
        f"TODO(owner): what does this {_noun(pipeline)} produce, who uses it, and what breaks "
        "downstream when it is late or wrong?"
    ]


# -- ownership and schedule ------------------------------------------------------------------


def _facts(item: PipelineReview) -> dict[str, str]:
    return {fact.label: fact.value for fact in item.facts}


def _ownership(item: PipelineReview) -> list[str]:
    facts = _facts(item)
    labels = (
        ("Deployments", "Tags", "Alerting")
        if item.pipeline.framework == "prefect"
        else ("Owner", "Tags", "Alerting")
    )
    return [
        "## Ownership and escalation",
        "",
        *(f"- **{label}:** {_escape_text(facts[label])}" for label in labels if label in facts),
    ]


_ESCALATION = [
    "| Role | Who | How to reach them |",
    "|---|---|---|",
    "| On call, first to respond | TODO | TODO |",
    "| Escalation (owning team lead) | TODO | TODO |",
    "| Owners of the source systems | TODO | TODO |",
    "| Consumers to tell about delays | TODO | TODO |",
    "",
    "Escalate when: TODO (for example, not recovered one hour after the first alert).",
]


def _schedule(item: PipelineReview) -> list[str]:
    pipeline = item.pipeline
    facts = _facts(item)
    lines = ["## Schedule, limits and retries", ""]
    if pipeline.framework == "prefect":
        deployments = list(_deployment_schedules(item))
        if not deployments:
            lines.append(
                "- **Schedule:** none: no deployment of this flow was found in the files checked"
            )
        for deployment, summaries in deployments:
            name = _deployment_name(deployment)
            if not summaries:
                lines.append(f"- **Deployment {name}:** no schedule: runs only when triggered")
            for summary in summaries:
                lines.append(f"- **Deployment {name}:** {_schedule_words(summary)}")
    else:
        for summary in item.schedules:
            lines.append(f"- **Schedule:** {_schedule_words(summary)}")
        catchup = pipeline.setting("catchup")
        if catchup is not None:
            default = catchup.provenance is Provenance.DEFAULT
            version = pipeline.framework_version or "3"
            by_default = f" (Airflow {version}'s default)" if default else ""
            lines.append(f"- **Catchup:** {_escape_text(show(catchup, 'not set'))}{by_default}")
    for label in ("Retries", "Timeouts", "SLA / deadline"):
        if label in facts:
            lines.append(f"- **{label}:** {_escape_text(facts[label])}")
    return lines


def _deployment_schedules(
    item: PipelineReview,
) -> Iterator[tuple[Deployment, list[ScheduleSummary]]]:
    """Each deployment with the summaries of its schedules: ``item.schedules`` holds them
    deployment by deployment, one summary for a deployment whose schedules are unknown."""
    summaries = iter(item.schedules)
    for deployment in item.pipeline.deployments:
        count = 1 if isinstance(deployment.schedules, Unknown) else len(deployment.schedules)
        yield deployment, list(itertools.islice(summaries, count))


def _deployment_name(deployment: Deployment) -> str:
    if isinstance(deployment.name, str):
        return code(deployment.name)
    if isinstance(deployment.name, Unknown):
        return f"{code(deployment.name.text)} (name unknown statically)"
    return "(unnamed template)"


def _schedule_words(summary: ScheduleSummary) -> str:
    if summary.words is None:
        written = f": {code(summary.expression)}" if summary.expression else ""
        return f"not known statically{written}"
    words = _escape_text(summary.words)
    if summary.expression:
        words += f" — {code(summary.expression)}"
    if summary.timezone is not None and f"({summary.timezone})" not in summary.words:
        words += f"; timezone {summary.timezone}"
    return words


def _next_runs(item: PipelineReview, now: dt.datetime) -> list[str]:
    moment = now.astimezone(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    lines = [f"Next runs as of {moment} (refreshed whenever the rest of this runbook changes):", ""]
    if item.pipeline.framework == "prefect":
        runs = [
            (f"{_deployment_name(deployment)}: ", summary)
            for deployment, summaries in _deployment_schedules(item)
            for summary in summaries
        ]
    else:
        runs = [("", summary) for summary in item.schedules]
    listed = [
        f"- {label}{', '.join(_moment(run, summary.timezone) for run in summary.next_runs)}"
        for label, summary in runs
        if summary.next_runs
    ]
    return [*lines, *listed] if listed else [*lines, "- none that can be computed statically"]


def _moment(run: dt.datetime, zone: str | None) -> str:
    text = run.strftime("%Y-%m-%d %H:%M")
    offset = run.strftime("%z")
    if zone in (None, "UTC") or not offset:
        return f"{text} {zone or 'UTC'}"
    return f"{text} {zone} (UTC{offset[:3]}:{offset[3:]})"


# -- graph and tasks -------------------------------------------------------------------------


def _graph(pipeline: Pipeline) -> list[str]:
    lines = ["## Dependency graph", ""]
    if not pipeline.tasks:
        return [*lines, "No tasks were found in the code."]
    return [*lines, "```mermaid", *mermaid(pipeline).splitlines(), "```"]


def _tasks(pipeline: Pipeline) -> list[str]:
    airflow = pipeline.framework == "airflow"
    lines = [
        "## Tasks",
        "",
        "| Task | Kind | Operator | Retries | Timeout | Trigger rule | Pool |",
        "|---|---|---|---|---|---|---|",
    ]
    if not pipeline.tasks:
        return [*lines[:2], "No tasks were found in the code."]
    for task in pipeline.tasks:
        timeout = (
            _airflow_timeout(task)
            if airflow
            else show(task.setting("timeout_seconds"), "none", seconds=True)
        )
        cells = [
            code(task_name(task)),
            task.kind.value,
            _operator(task.operator),
            show(task.setting("retries"), "0"),
            timeout,
            show(task.setting("trigger_rule"), _NONE) if airflow else _NONE,
            show(task.setting("pool"), _NONE) if airflow else _NONE,
        ]
        lines.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    return lines


def _airflow_timeout(task: Task) -> str:
    timeout = show(task.setting("execution_timeout"), "none")
    if task.kind is TaskKind.SENSOR and task.setting("timeout") is not None:
        timeout += f"; sensor timeout {show(task.setting('timeout'), 'none', seconds=True)}"
    return timeout


def _operator(qualname: str) -> str:
    """``BashOperator`` for a class; ``@task.bash`` or ``@setup`` for a decorator (whose
    name, unlike a class's, is lowercase)."""
    parts = qualname.split(".")
    if not parts[-1].islower():
        return parts[-1]
    for index in range(len(parts) - 1, -1, -1):
        if parts[index] in ("task", "flow"):
            return "@" + ".".join(parts[index:])
    return "@" + parts[-1]


# -- failures --------------------------------------------------------------------------------


def _failures(pipeline: Pipeline) -> list[str]:
    lines = [
        "## Failure scenarios",
        "",
        f"What to check first, for the kinds of task in this {_noun(pipeline)}.",
    ]
    for kind in TaskKind:
        scenario = SCENARIOS.get((pipeline.framework, kind))
        tasks = [task for task in pipeline.tasks if task.kind is kind]
        if scenario is None or not tasks:
            continue
        title, checks = scenario
        names = [code(task_name(task)) for task in tasks[:_TASKS_PER_SCENARIO]]
        if len(tasks) > _TASKS_PER_SCENARIO:
            names.append(f"and {len(tasks) - _TASKS_PER_SCENARIO} more")
        lines += ["", f"### {title}", "", f"Tasks: {', '.join(names)}.", ""]
        lines += [f"- {check}" for check in checks]
    title, checks = PIPELINE_SCENARIOS[pipeline.framework]
    lines += ["", f"### {title}", ""]
    lines += [f"- {check}" for check in checks]
    return lines


# -- findings and questions ------------------------------------------------------------------


def _listed(item: PipelineReview) -> list[ReviewedFinding]:
    return [r for r in item.findings if r.finding.code not in _NOT_LISTED]


def _findings(item: PipelineReview, review: Review) -> list[str]:
    lines = ["## Open dagcheck findings", ""]
    listed = _listed(item)
    if not listed:
        return [*lines, f"None: `dagcheck check` finds nothing in this {_noun(item.pipeline)}."]
    lines += [
        "Fix them, or say under Known issues why they stay.",
        "",
        "| Code | Where | Finding | Fix |",
        "|---|---|---|---|",
    ]
    for reviewed in listed:
        finding = reviewed.finding
        path = review.relative(finding.path)
        # No line numbers: a line added above would make the runbook stale for nothing.
        where = f"task {code(finding.task)}" if finding.task else _noun(item.pipeline)
        if path != item.path:
            where = f"{where} ({path})"
        command = {
            "safe": f"`dagcheck fix {path}`",
            "unsafe": f"`dagcheck fix --unsafe-fixes {path}`",
        }.get(reviewed.fix or "", _NONE)
        cells = [finding.code, where, _escape_text(finding.message)]
        lines.append("| " + " | ".join(_cell(c) for c in cells) + f" | {_cell(command)} |")
    return lines


def _questions(item: PipelineReview) -> list[str]:
    docs = load_checklist()
    codes = sorted({r.finding.code for r in _listed(item)})
    asked = [(c, docs[c].runbook) for c in codes if c in docs and docs[c].runbook]
    lines = ["## Questions to answer", ""]
    if not asked:
        return [*lines, "None: no finding here asks one."]
    lines += ["Each finding above asks on-call a question; answer them in the block below.", ""]
    lines += [f"- **{c}** ({docs[c].name}): {_escape_text(question)}" for c, question in asked]
    return lines


# -- Markdown --------------------------------------------------------------------------------


def code(text: str) -> str:
    """``text`` as inline code, however many backticks it holds."""
    text = " ".join(printable(text).split())
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    padding = " " if longest else ""
    return f"{fence}{padding}{text}{padding}{fence}"


def _cell(text: str) -> str:
    """A table cell: on one line, its pipes escaped (in code spans too, as GFM wants)."""
    return " ".join(printable(text).split()).replace("|", "\\|")


def _escape_text(text: str) -> str:
    """Text from the code or a message, on one line, with the characters that would start
    emphasis, an HTML tag or a link escaped (backticks stay: messages quote code with them)."""
    return re.sub(r"([\\*<\[\]])", r"\\\1", " ".join(printable(text).split()))
