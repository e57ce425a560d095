"""The model as plain data: what ``dagcheck model --format json`` prints."""

from __future__ import annotations

from typing import Any

from dagcheck.model.pipeline import (
    Deployment,
    Pipeline,
    Setting,
    Span,
    Task,
    Unknown,
    to_jsonable,
)
from dagcheck.text_safety import masked_value


def span_as_dict(span: Span | None) -> dict[str, int] | None:
    if span is None:
        return None
    return {
        "line": span.line,
        "column": span.column,
        "end_line": span.end_line,
        "end_column": span.end_column,
    }


def setting_as_dict(setting: Setting, name: str = "") -> dict[str, Any]:
    """A setting as JSON data; the value of a secret-looking setting or key is masked."""
    return {
        "value": to_jsonable(masked_value(setting.value, name)),
        "provenance": setting.provenance.value,
        "origin": setting.origin,
        "text": setting.text,
        "span": span_as_dict(setting.span),
    }


def task_as_dict(task: Task) -> dict[str, Any]:
    return {
        "id": to_jsonable(task.id),
        "operator": task.operator,
        "kind": task.kind.value,
        "group": task.group,
        "mapped": task.mapped,
        "definition": span_as_dict(task.definition),
        "callable": task.callable,
        "clock_reads": [
            {"text": read.text, "in_argument": read.in_argument, "span": span_as_dict(read.span)}
            for read in task.clock_reads
        ],
        "span": span_as_dict(task.span),
        "settings": {name: setting_as_dict(s, name) for name, s in sorted(task.settings.items())},
    }


def pipeline_as_dict(pipeline: Pipeline) -> dict[str, Any]:
    return {
        "framework": pipeline.framework,
        "id": to_jsonable(pipeline.id),
        "kind": pipeline.kind,
        "file": pipeline.file.as_posix(),
        "span": span_as_dict(pipeline.span),
        "framework_version": pipeline.framework_version,
        "complete": pipeline.complete,
        "incomplete_reasons": list(pipeline.incomplete_reasons),
        "run_by_hand": pipeline.run_by_hand,
        "settings": {
            name: setting_as_dict(s, name) for name, s in sorted(pipeline.settings.items())
        },
        "tasks": [task_as_dict(t) for t in pipeline.tasks],
        "edges": [
            {"upstream": e.upstream, "downstream": e.downstream, "span": span_as_dict(e.span)}
            for e in pipeline.edges
        ],
        "groups": [
            {"id": g.id, "parent": g.parent, "span": span_as_dict(g.span)} for g in pipeline.groups
        ],
        **(
            {
                "entrypoint_name": pipeline.entrypoint_name,
                "deployments": [deployment_as_dict(d) for d in pipeline.deployments],
            }
            if pipeline.framework == "prefect"
            else {}
        ),
    }


def deployment_as_dict(deployment: Deployment) -> dict[str, Any]:
    schedules = deployment.schedules
    return {
        "name": to_jsonable(deployment.name),
        "source": deployment.source,
        "file": deployment.file.as_posix(),
        "span": span_as_dict(deployment.span),
        "entrypoint_name": deployment.entrypoint_name,
        "entrypoint": deployment.entrypoint,
        "pipeline": deployment.pipeline,
        "schedules": to_jsonable(schedules)
        if isinstance(schedules, Unknown)
        else [
            {
                "kind": s.kind,
                "value": to_jsonable(s.value),
                "timezone": to_jsonable(s.timezone),
                "span": span_as_dict(s.span),
            }
            for s in schedules
        ],
        "settings": {
            name: setting_as_dict(s, name) for name, s in sorted(deployment.settings.items())
        },
    }
