"""``prefect.yaml``: the deployments of a Prefect project, with the lines they are written on.

Not every file named prefect.yaml is a Prefect project file (a Kubernetes manifest for a
Prefect worker often is one): a file that is not a single mapping with ``deployments`` or
``prefect-version``, or that looks like a manifest, holds nothing for dagcheck.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from dagcheck.model.pipeline import Deployment, Provenance, Schedule, Setting, SourceFile, Span
from dagcheck.model.pipeline import Unknown as UnknownValue

_SCHEDULE_KINDS = ("cron", "interval", "rrule")
_SETTINGS = ("tags", "concurrency_limit", "sla", "paused", "work_pool")


class ProjectFileError(Exception):
    """A prefect.yaml that should be a project file but cannot be read."""

    def __init__(self, message: str, span: Span) -> None:
        super().__init__(message)
        self.span = span


def build_prefect_project(path: Path, text: str) -> SourceFile | None:
    """The deployments of a Prefect project file; ``None`` when the file is not one."""
    try:
        document = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.composer.ComposerError:
        return None  # several documents: a manifest, not a project file
    except yaml.YAMLError as error:
        if "deployments:" not in text and "prefect-version" not in text:
            return None
        mark = getattr(error, "problem_mark", None)
        line, column = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
        reason = getattr(error, "problem", None) or str(error)
        raise ProjectFileError(
            f"cannot parse prefect.yaml: {reason}", Span(line, column, line, column + 1)
        ) from None
    if not isinstance(document, yaml.MappingNode):
        return None
    top = _mapping(document)
    if {"apiVersion", "kind"} & top.keys() or not {"deployments", "prefect-version"} & top.keys():
        return None
    source = SourceFile(path, framework="prefect")
    deployments = top.get("deployments")
    if isinstance(deployments, yaml.SequenceNode):
        for item in deployments.value:
            if isinstance(item, yaml.MappingNode):
                source.deployments.append(_deployment(path, item))
    return source


def _deployment(path: Path, node: yaml.MappingNode) -> Deployment:
    fields = _mapping(node)
    name = _value(fields["name"]) if "name" in fields else None
    entrypoint = _value(fields["entrypoint"]) if "entrypoint" in fields else None
    function = None
    if isinstance(entrypoint, str) and ":" in entrypoint:
        function = entrypoint.rpartition(":")[2] or None
    deployment = Deployment(
        name=name if isinstance(name, str | None) else UnknownValue(_text(fields["name"])),
        source="prefect.yaml",
        file=path,
        span=_span(node),
        entrypoint_name=function,
        entrypoint=entrypoint if isinstance(entrypoint, str) else None,
        schedules=_schedules(fields),
    )
    for key in _SETTINGS:
        if key in fields:
            deployment.settings[key] = Setting(
                _value(fields[key]), Provenance.DEPLOYMENT, _text(fields[key]), _span(fields[key])
            )
    if "tags" not in deployment.settings:
        deployment.settings["tags"] = Setting(None, Provenance.DEFAULT)
    return deployment


def _schedules(fields: dict[str, yaml.Node]) -> list[Schedule] | UnknownValue:
    nodes: list[yaml.Node] = []
    if "schedules" in fields:
        schedules = fields["schedules"]
        if not isinstance(schedules, yaml.SequenceNode):
            return _unknown_unless_empty(schedules)
        nodes.extend(schedules.value)
    if "schedule" in fields and not _is_null(fields["schedule"]):
        nodes.append(fields["schedule"])  # Prefect 2's single schedule
    schedules_found: list[Schedule] = []
    for node in nodes:
        if not isinstance(node, yaml.MappingNode):
            return UnknownValue(_text(node))
        item = _mapping(node)
        kinds = [kind for kind in _SCHEDULE_KINDS if kind in item]
        if len(kinds) != 1:
            return UnknownValue(_text(node))
        timezone = _value(item["timezone"]) if "timezone" in item else None
        schedules_found.append(Schedule(kinds[0], _value(item[kinds[0]]), timezone, _span(node)))
    return schedules_found


def _unknown_unless_empty(node: yaml.Node) -> list[Schedule] | UnknownValue:
    return [] if _is_null(node) else UnknownValue(_text(node))


def _is_null(node: yaml.Node) -> bool:
    return isinstance(node, yaml.ScalarNode) and node.tag.endswith(":null")


def _mapping(node: yaml.MappingNode) -> dict[str, yaml.Node]:
    return {key.value: value for key, value in node.value if isinstance(key, yaml.ScalarNode)}


def _value(node: yaml.Node) -> Any:
    """The node's Python value; Jinja-templated text ({{ step.output }}) is unknown."""
    value = yaml.SafeLoader("").construct_object(node, deep=True)
    if _templated(value):
        return UnknownValue(_text(node))
    return value


def _templated(value: Any) -> bool:
    if isinstance(value, str):
        return "{{" in value
    if isinstance(value, list):
        return any(_templated(item) for item in value)
    if isinstance(value, dict):
        return any(_templated(item) for item in value.values())
    return False


def _text(node: yaml.Node) -> str:
    start, end = node.start_mark, node.end_mark
    if start.buffer is None:
        return ""
    return start.buffer[start.index : end.index].strip().rstrip("\x00")


def _span(node: yaml.Node) -> Span:
    start, end = node.start_mark, node.end_mark
    end_line, end_column = end.line + 1, end.column + 1
    if end.column == 0 and end.line > start.line:
        # A block ends at the start of the next line: end at the last line's end instead.
        lines = (start.buffer or "").split("\n")
        end_line = end.line
        end_column = len(lines[end_line - 1]) + 1 if end_line - 1 < len(lines) else 1
    return Span(start.line + 1, start.column + 1, end_line, end_column)
