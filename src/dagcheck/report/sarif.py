"""SARIF 2.1.0 for GitHub code scanning and other SARIF viewers.

The document is built from sarif-om's object model and serialized here rather than with
jschema-to-python, which drops every attribute equal to its schema default (an explicit
``level: "warning"`` would vanish and the result would silently take its rule's level) and
writes ``None`` as ``null``, which the schema rejects. This serializer drops only what was
never set: ``None`` values, and defaults of fields that are not always written.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, TextIO
from urllib.parse import quote

import attr
import sarif_om as om

from dagcheck import __version__
from dagcheck.checklist import RuleDoc, load_checklist
from dagcheck.findings import Finding, Severity
from dagcheck.fingerprints import fingerprints, relative_path
from dagcheck.report import ReportContext

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = "https://pypi.org/project/dagcheck/"
ROOT_BASE_ID = "%SRCROOT%"
FINGERPRINT_KEY = "dagcheck/v1"
# SARIF levels for dagcheck severities.
LEVELS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}
# Written even when equal to the schema default: a viewer must not have to infer them.
_ALWAYS_WRITTEN = frozenset({"level"})
# GitHub shows at most this much of a description.
_MAX_DESCRIPTION = 1024


def write_sarif(findings: list[Finding], out: TextIO, context: ReportContext) -> None:
    document = to_json(sarif_log(findings, context))
    # The schema and version first, as readers (and people) expect them.
    ordered = {key: document[key] for key in ("$schema", "version", "runs")}
    json.dump(ordered, out, indent=2)
    out.write("\n")


def sarif_log(findings: list[Finding], context: ReportContext) -> om.SarifLog:
    docs = load_checklist()
    rule_index = {code: index for index, code in enumerate(docs)}
    reported = [(finding, False) for finding in findings]
    reported += [(finding, True) for finding in context.suppressed]
    prints = fingerprints([finding for finding, _ in reported], context.root)
    results = [
        _result(finding, rule_index, context, fingerprint, suppressed)
        for (finding, suppressed), fingerprint in zip(reported, prints, strict=True)
    ]
    run = om.Run(
        tool=om.Tool(
            driver=om.ToolComponent(
                name="dagcheck",
                version=__version__,
                semantic_version=__version__,
                information_uri=INFORMATION_URI,
                rules=[_rule(doc) for doc in docs.values()],
            )
        ),
        results=results,
        column_kind="unicodeCodePoints",
        original_uri_base_ids={ROOT_BASE_ID: om.ArtifactLocation(uri=_directory_uri(context.root))},
        automation_details=(
            om.RunAutomationDetails(id=context.category) if context.category else None
        ),
        properties={"targets": list(context.targets)} if context.targets else None,
    )
    return om.SarifLog(version="2.1.0", schema_uri=SCHEMA_URI, runs=[run])


def _rule(doc: RuleDoc) -> om.ReportingDescriptor:
    tags = [doc.area, *doc.frameworks]
    properties: dict[str, Any] = {"tags": tags, "precision": doc.precision}
    if doc.security_severity is not None:
        # GitHub lists results of rules tagged "security" under security alerts.
        tags.extend(tag for tag in ("security",) if tag not in tags)
        properties["security-severity"] = doc.security_severity
    return om.ReportingDescriptor(
        id=doc.code,
        name=doc.name,
        short_description=om.MultiformatMessageString(text=doc.summary),
        full_description=om.MultiformatMessageString(text=_shortened(doc.why)),
        help=om.MultiformatMessageString(text=_help_text(doc), markdown=_help_markdown(doc)),
        default_configuration=om.ReportingConfiguration(level=LEVELS[doc.severity]),
        properties=properties,
    )


def _help_text(doc: RuleDoc) -> str:
    parts = [doc.summary, "", doc.why]
    for framework, example, use_instead in doc.examples():
        label = f" ({framework})" if len(doc.examples()) > 1 else ""
        if example:
            parts += ["", f"Example{label}:", example.rstrip()]
        if use_instead:
            parts += ["", f"Use instead{label}:", use_instead.rstrip()]
    return "\n".join(parts)


def _help_markdown(doc: RuleDoc) -> str:
    parts = [f"**{doc.summary}**", "", doc.why]
    for framework, example, use_instead in doc.examples():
        label = f" ({framework.capitalize()})" if len(doc.examples()) > 1 else ""
        for title, code in ((f"Example{label}", example), (f"Use instead{label}", use_instead)):
            if code:
                parts += ["", f"### {title}", "", "```python", code.rstrip(), "```"]
    if doc.fix.safety != "none":
        parts += ["", f"Fix ({doc.fix.safety}): {doc.fix.title}"]
    return "\n".join(parts)


def _result(
    finding: Finding,
    rule_index: dict[str, int],
    context: ReportContext,
    fingerprint: str,
    suppressed: bool,
) -> om.Result:
    root = context.root
    span = finding.span
    region = om.Region(
        start_line=span.line,
        start_column=span.column,
        end_line=max(span.end_line, span.line),
        end_column=span.end_column
        if span.end_line > span.line
        else max(span.end_column, span.column),
    )
    properties = {
        key: value
        for key, value in (
            ("pipeline", finding.pipeline),
            ("task", finding.task),
            ("target", finding.target),
        )
        if value
    }
    return om.Result(
        rule_id=finding.code,
        rule_index=rule_index[finding.code],
        level=LEVELS[finding.severity],
        message=om.Message(text=finding.message),
        locations=[
            om.Location(
                physical_location=om.PhysicalLocation(
                    artifact_location=_artifact_location(finding.path, root), region=region
                )
            )
        ],
        partial_fingerprints={FINGERPRINT_KEY: fingerprint},
        suppressions=[om.Suppression(kind="inSource")] if suppressed else None,
        fixes=_fixes(finding, context),
        properties=properties or None,
    )


def _fixes(finding: Finding, context: ReportContext) -> list[om.Fix] | None:
    """The rule's fix for this finding, as edits of the file: viewers can offer to apply it
    (GitHub code scanning ignores it)."""
    doc = load_checklist().get(finding.code)
    if finding.fix is None or doc is None:
        return None
    replacements = []
    for edit in finding.fix.edits:
        (line, column), (end_line, end_column) = edit.start, edit.end
        region = om.Region(
            start_line=line, start_column=column, end_line=end_line, end_column=end_column
        )
        content = om.ArtifactContent(text=edit.text)
        replacements.append(om.Replacement(deleted_region=region, inserted_content=content))
    change = om.ArtifactChange(
        artifact_location=_artifact_location(finding.path, context.root),
        replacements=replacements,
    )
    description = f"{doc.fix.title} ({finding.fix.safety} fix)"
    return [om.Fix(description=om.Message(text=description), artifact_changes=[change])]


def _artifact_location(path: Path, root: Path) -> om.ArtifactLocation:
    relative = relative_path(path, root)
    if Path(relative).is_absolute():  # outside the project: an absolute file URI
        return om.ArtifactLocation(uri=path.resolve().as_uri())
    return om.ArtifactLocation(uri=quote(relative, safe="/"), uri_base_id=ROOT_BASE_ID)


def _directory_uri(root: Path) -> str:
    return root.resolve().as_uri().rstrip("/") + "/"


def _shortened(text: str) -> str:
    return text if len(text) <= _MAX_DESCRIPTION else text[: _MAX_DESCRIPTION - 1] + "…"


def to_json(value: Any) -> Any:
    """sarif-om objects as JSON data, with SARIF's property names; nothing set is lost."""
    if attr.has(type(value)):
        document = {}
        for field in attr.fields(type(value)):
            item = getattr(value, field.name)
            if item is None:
                continue
            name = field.metadata["schema_property_name"]
            if name not in _ALWAYS_WRITTEN and field.default is not attr.NOTHING:
                default = field.default
                if isinstance(default, attr.Factory):  # type: ignore[arg-type]
                    default = default.factory()  # type: ignore[attr-defined]
                if item == default:
                    continue
            document[name] = to_json(item)
        return document
    if isinstance(value, dict):
        return {key: to_json(item) for key, item in value.items() if item is not None}
    if isinstance(value, list | tuple):
        return [to_json(item) for item in value]
    return value
