"""``prefect.yaml``: the deployments of a Prefect project, with the lines they are written on.

Not every file named prefect.yaml is a Prefect project file (a Kubernetes manifest for a
Prefect worker often is one): a file that is not a single mapping with ``deployments`` or
``prefect-version``, or that looks like a manifest, holds nothing for dagcheck.

Aliases are followed (``<<: *defaults`` merge keys too), within a budget: composing a document
costs its length, but each alias repeats its anchor's whole subtree for whatever walks the
values, so nine levels of nine aliases would be walked 9**9 times.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from dagcheck.model.pipeline import Deployment, Provenance, Schedule, Setting, SourceFile, Span
from dagcheck.model.pipeline import Unknown as UnknownValue

_SCHEDULE_KINDS = ("cron", "interval", "rrule")
_SETTINGS = ("tags", "concurrency_limit", "sla", "paused", "work_pool", "triggers")
# Nodes met again through an alias; a project file with hundreds of deployments sharing
# definitions stays far below it, and walking this many nodes takes well under a second.
ALIAS_BUDGET = 100_000
_MERGE_TAG = "tag:yaml.org,2002:merge"


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
        if not _may_be_project_file(text):
            return None
        mark = getattr(error, "problem_mark", None)
        line, column = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
        reason = getattr(error, "problem", None) or str(error)
        raise ProjectFileError(
            f"cannot parse prefect.yaml: {reason}", Span(line, column, line, column + 1)
        ) from None
    if not isinstance(document, yaml.MappingNode):
        return None
    if _aliases_exceed_budget(document):
        if not _may_be_project_file(text):
            return None
        raise ProjectFileError(
            f"cannot read prefect.yaml: its aliases expand to more than {ALIAS_BUDGET:,} nodes",
            Span(1, 1, 1, 2),
        )
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


def _may_be_project_file(text: str) -> bool:
    return "deployments:" in text or "prefect-version" in text


def _aliases_exceed_budget(document: yaml.Node) -> bool:
    """Whether walking the document as its values will be walked meets more than
    ``ALIAS_BUDGET`` nodes a second time; an alias inside its own anchor always does."""
    seen: set[int] = set()
    repeats = 0
    pending = [document]
    while pending:
        node = pending.pop()
        if id(node) in seen:
            repeats += 1
            if repeats > ALIAS_BUDGET:
                return True
        seen.add(id(node))
        if isinstance(node, yaml.SequenceNode):
            pending.extend(node.value)
        elif isinstance(node, yaml.MappingNode):
            pending.extend(item for pair in node.value for item in pair)
    return False


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
    """The mapping's fields, with those of ``<<: *defaults`` merged under its own keys (the
    first of several merged mappings wins, as YAML's merge key says)."""
    fields: dict[str, yaml.Node] = {}
    merged: dict[str, yaml.Node] = {}
    for key, value in node.value:
        if not isinstance(key, yaml.ScalarNode):
            continue
        if key.tag != _MERGE_TAG:
            fields[key.value] = value
            continue
        sources = value.value if isinstance(value, yaml.SequenceNode) else [value]
        for source in reversed(sources):
            if isinstance(source, yaml.MappingNode):
                merged.update(_mapping(source))
    return {**merged, **fields}


def _value(node: yaml.Node) -> Any:
    """The node's Python value; Jinja-templated text ({{ step.output }}) is unknown, and so is
    a value under a tag of another tool (``!Ref``) or one its tag cannot take (``!!int x``)."""
    try:
        value = yaml.SafeLoader("").construct_object(node, deep=True)
    # PyYAML's scalar constructors fail each their own way: int('x'), a dict lookup for !!bool.
    except (yaml.YAMLError, ValueError, LookupError, TypeError):
        return UnknownValue(_text(node))
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
