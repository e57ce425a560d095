"""``dagcheck review``: each pipeline scored against the review checklist.

The review is plain data built from the model and the findings: per pipeline, a scorecard
over the items of ``rules/checklist.yaml``, the key facts an on-call engineer asks first,
the findings grouped by checklist item (with whether ``dagcheck fix`` can fix each), and the
dependency graph; and across pipelines, a summary. Renderers (``review/render.py``) turn it
into a terminal report, Markdown, JSON or HTML.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from dagcheck.checklist import ChecklistItem, load_checklist, load_review_checklist
from dagcheck.engine import FileModel, Options
from dagcheck.findings import Finding, Severity
from dagcheck.model.pipeline import Pipeline
from dagcheck.review.facts import Fact, key_facts
from dagcheck.schedules import (
    ScheduleSummary,
    summarize_airflow_schedule,
    summarize_prefect_pipeline,
)

PASS, WARN, FAIL, NOT_APPLICABLE = "pass", "warn", "fail", "n/a"


@dataclass(frozen=True)
class ReviewedFinding:
    finding: Finding
    # How `dagcheck fix` can fix this very finding: "safe", "unsafe", or None (no fix here).
    fix: str | None
    fix_title: str | None


@dataclass(frozen=True)
class ItemScore:
    item: str
    status: str  # pass | warn | fail | n/a
    rules: tuple[str, ...]  # the rules that answer the item for this pipeline's framework
    findings: tuple[ReviewedFinding, ...] = ()


@dataclass(frozen=True)
class PipelineReview:
    pipeline: Pipeline
    path: str  # relative to the project root, with forward slashes
    items: tuple[ItemScore, ...]
    facts: tuple[Fact, ...]
    schedules: tuple[ScheduleSummary, ...]
    findings: tuple[ReviewedFinding, ...]

    @property
    def id(self) -> str:
        pid = self.pipeline.id
        return pid if isinstance(pid, str) else pid.text

    def count(self, status: str) -> int:
        return sum(item.status == status for item in self.items)

    @property
    def applicable(self) -> int:
        return sum(item.status != NOT_APPLICABLE for item in self.items)


@dataclass(frozen=True)
class Gap:
    item: str
    pipelines: int  # how many pipelines fail or warn on it


@dataclass
class Review:
    pipelines: list[PipelineReview]
    # Findings that belong to no pipeline: files that do not parse, files without one.
    other_findings: list[Finding] = field(default_factory=list)
    now: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.timezone.utc))
    root: Path = field(default_factory=Path.cwd)  # paths are shown relative to it

    def relative(self, path: Path) -> str:
        return _relative(path, self.root)

    @property
    def passed(self) -> int:
        """Checklist items passed, over every pipeline."""
        return sum(review.count(PASS) for review in self.pipelines)

    @property
    def applicable(self) -> int:
        """Checklist items that apply, over every pipeline."""
        return sum(review.applicable for review in self.pipelines)

    @property
    def pass_rate(self) -> float | None:
        return self.passed / self.applicable if self.applicable else None

    @property
    def worst_first(self) -> list[PipelineReview]:
        return sorted(
            self.pipelines,
            key=lambda r: (-r.count(FAIL), -r.count(WARN), -len(r.findings), r.path, r.id),
        )

    @property
    def common_gaps(self) -> list[Gap]:
        counts: Counter[str] = Counter()
        for review in self.pipelines:
            for item in review.items:
                if item.status in (FAIL, WARN):
                    counts[item.item] += 1
        return [Gap(item, count) for item, count in counts.most_common()]

    @property
    def rule_counts(self) -> list[tuple[str, int]]:
        """The rules with the most findings across pipelines, most first."""
        counts = Counter(r.finding.code for review in self.pipelines for r in review.findings)
        return sorted(counts.items(), key=lambda item: (-item[1], item[0]))

    def all_findings(self) -> list[Finding]:
        """Every finding once (one about a whole file is shown with each of its pipelines)."""
        found = [r.finding for review in self.pipelines for r in review.findings]
        unique = {id(finding): finding for finding in [*found, *self.other_findings]}
        return sorted(unique.values(), key=lambda f: f.sort_key)


def build_review(models: list[FileModel], options: Options, root: Path, now: dt.datetime) -> Review:
    """The review of every pipeline in ``models``, whose findings are already checked (run
    with ``propose_fixes`` for the review to say which ones ``dagcheck fix`` fixes)."""
    checklist = load_review_checklist()
    pipelines = [(model, pipeline) for model in models for pipeline in model.pipelines]
    owners = _owners_of_findings(models, pipelines)
    reviews = []
    for model, pipeline in pipelines:
        findings = [f for f in owners.pop(id(pipeline), [])]
        reviewed = [_reviewed(f) for f in sorted(findings, key=_order)]
        reviews.append(
            PipelineReview(
                pipeline=pipeline,
                path=_relative(model.path, root),
                items=tuple(_score(item, pipeline, reviewed, options) for item in checklist),
                facts=tuple(key_facts(pipeline)),
                schedules=tuple(_schedules(pipeline, now)),
                findings=tuple(reviewed),
            )
        )
    others = sorted(owners.pop(0, []), key=lambda f: f.sort_key)
    return Review(reviews, others, now, root)


def _owners_of_findings(
    models: list[FileModel], pipelines: list[tuple[FileModel, Pipeline]]
) -> dict[int, list[Finding]]:
    """Findings by the pipeline they belong to (``id()`` of it; 0 for none). A finding names
    its pipeline; one about the whole file (parse-time cost, secrets) belongs to every
    pipeline of the file; a deployment's, reported in prefect.yaml, to the flow it runs."""
    by_file: dict[Path, list[Pipeline]] = {}
    by_id: dict[str, list[Pipeline]] = {}
    for model, pipeline in pipelines:
        by_file.setdefault(model.path, []).append(pipeline)
        if isinstance(pipeline.id, str):
            by_id.setdefault(pipeline.id, []).append(pipeline)
    owned: dict[int, list[Finding]] = {}
    for model in models:
        here = by_file.get(model.path, [])
        for finding in model.findings:
            if finding.pipeline is None:
                owners = here
            else:
                owners = [p for p in here if p.id == finding.pipeline]
                owners = owners or by_id.get(finding.pipeline, [])[:1]
            for owner in owners or [None]:
                owned.setdefault(id(owner) if owner is not None else 0, []).append(finding)
    return owned


def _order(finding: Finding) -> tuple[int, tuple[str, int, int, str]]:
    return (-finding.severity.rank, finding.sort_key)


def _reviewed(finding: Finding) -> ReviewedFinding:
    if finding.fix is None:
        return ReviewedFinding(finding, None, None)
    return ReviewedFinding(finding, finding.fix.safety, load_checklist()[finding.code].fix.title)


def _score(
    item: ChecklistItem, pipeline: Pipeline, findings: list[ReviewedFinding], options: Options
) -> ItemScore:
    docs = load_checklist()
    selected = set(options.selected_rules(pipeline.file)) | set(
        options.selected_rules(pipeline.file, run_rules=True)
    )
    rules = tuple(
        code
        for code in item.rules
        if pipeline.framework in docs[code].frameworks and code in selected
    )
    if not rules:
        return ItemScore(item.item, NOT_APPLICABLE, rules)
    mine = tuple(r for r in findings if r.finding.code in rules)
    if any(r.finding.severity is Severity.ERROR for r in mine):
        status = FAIL
    elif mine:
        status = WARN
    else:
        status = PASS
    return ItemScore(item.item, status, rules, mine)


def _schedules(pipeline: Pipeline, now: dt.datetime) -> list[ScheduleSummary]:
    if pipeline.framework == "prefect":
        return summarize_prefect_pipeline(pipeline, now=now)
    return [summarize_airflow_schedule(pipeline, now=now)]


def _relative(path: Path, root: Path) -> str:
    resolved = path.resolve()
    if resolved.is_relative_to(root.resolve()):
        return resolved.relative_to(root.resolve()).as_posix()
    return path.as_posix()
