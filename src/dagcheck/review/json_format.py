"""The review as one JSON document, for tools and dashboards."""

from __future__ import annotations

import json
from typing import Any, TextIO

from dagcheck.graph import nodes_and_edges
from dagcheck.review import PipelineReview, Review, ReviewedFinding
from dagcheck.review.render import RenderOptions
from dagcheck.schedules import ScheduleSummary
from dagcheck.text_safety import json_escaped


def render(review: Review, out: TextIO, options: RenderOptions) -> None:
    document = {
        "now": review.now.isoformat(),
        "summary": {
            "pipelines": len(review.pipelines),
            "pass_rate": review.pass_rate,
            "worst_first": [_name(r) for r in review.worst_first],
            "common_gaps": [{"item": g.item, "pipelines": g.pipelines} for g in review.common_gaps],
            "rules": [{"code": code, "findings": count} for code, count in review.rule_counts],
        },
        "pipelines": [_pipeline(r, review) for r in review.pipelines],
        "other_findings": [
            _finding(ReviewedFinding(f, None, None), review) for f in review.other_findings
        ],
    }
    out.write(json_escaped(json.dumps(document, indent=2, ensure_ascii=False)))
    out.write("\n")


def _name(review: PipelineReview) -> dict[str, str]:
    return {"path": review.path, "id": review.id}


def _pipeline(review: PipelineReview, root: Review) -> dict[str, Any]:
    pipeline = review.pipeline
    tasks, edges = nodes_and_edges(pipeline)
    return {
        **_name(review),
        "framework": pipeline.framework,
        "framework_version": pipeline.framework_version,
        "line": pipeline.span.line,
        "complete": pipeline.complete,
        "scorecard": [
            {
                "item": item.item,
                "status": item.status,
                "rules": list(item.rules),
                "findings": [_finding(r, root) for r in item.findings],
            }
            for item in review.items
        ],
        "facts": {fact.label: fact.value for fact in review.facts},
        "schedules": [_schedule(s) for s in review.schedules],
        "graph": {"tasks": tasks, "edges": [list(edge) for edge in edges]},
        "findings": [_finding(r, root) for r in review.findings],
    }


def _schedule(summary: ScheduleSummary) -> dict[str, Any]:
    return {
        "words": summary.words,
        "expression": summary.expression,
        "timezone": summary.timezone,
        "next_runs": [run.isoformat() for run in summary.next_runs],
    }


def _finding(reviewed: ReviewedFinding, root: Review) -> dict[str, Any]:
    finding = reviewed.finding
    return {
        "code": finding.code,
        "severity": finding.severity.value,
        "message": finding.message,
        "path": root.relative(finding.path),
        "line": finding.span.line,
        "column": finding.span.column,
        "task": finding.task,
        "fix": reviewed.fix,
    }
