"""``dagcheck model`` output: JSON for tools, an indented outline for people."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, TextIO

from dagcheck import __version__
from dagcheck.model.dump import deployment_as_dict, pipeline_as_dict
from dagcheck.model.pipeline import Deployment, Provenance, Setting, Unknown, to_jsonable
from dagcheck.report.json import finding_as_dict
from dagcheck.text_safety import PrintableLines, masked_value

if TYPE_CHECKING:
    from dagcheck.engine import FileModel


def write_model_json(models: list[FileModel], out: TextIO) -> None:
    document = {
        "dagcheck_version": __version__,
        "files": [
            {
                "path": m.path.as_posix(),
                "pipelines": [pipeline_as_dict(p) for p in m.pipelines],
                "deployments": [deployment_as_dict(d) for d in m.deployments],
                "findings": [finding_as_dict(f) for f in m.findings],
                "incomplete_reasons": list(m.incomplete_reasons),
            }
            for m in models
        ],
    }
    json.dump(document, out, indent=2)
    out.write("\n")


def write_model_text(models: list[FileModel], out: TextIO, *, show_defaults: bool) -> None:
    out = PrintableLines(out)  # ids and values from the files: one line each, shown as written
    for model in models:
        path = model.path.as_posix()
        for finding in model.findings:
            location = f"{path}:{finding.span.line}:{finding.span.column}"
            out.write(f"{location}: {finding.code} {finding.message}\n")
        for reason in model.incomplete_reasons:
            out.write(
                f"{path}: incomplete: DAGs may be made at import time: {reason} "
                "(--engine dagbag loads them)\n"
            )
        for pipeline in model.pipelines:
            title = f"{pipeline.framework} {_name(pipeline.id)} ({pipeline.kind})"
            out.write(f"{path}:{pipeline.span.line}: {title}\n")
            if not pipeline.complete:
                for reason in pipeline.incomplete_reasons:
                    out.write(f"  incomplete: {reason}\n")
            if pipeline.run_by_hand:
                out.write(
                    "  run by hand: nothing in the checked files schedules or starts it "
                    "(retry, timeout and alerting rules are quiet)\n"
                )
            _write_settings(pipeline.settings, out, "  ", show_defaults)
            out.write(f"  tasks ({len(pipeline.tasks)}):\n")
            for task in pipeline.tasks:
                operator = task.operator + (" [mapped]" if task.mapped else "")
                out.write(
                    f"    {_name(task.id)}: {task.kind.value}, {operator}, line {task.span.line}\n"
                )
                _write_settings(task.settings, out, "      ", show_defaults)
            if pipeline.edges:
                out.write(f"  edges ({len(pipeline.edges)}):\n")
                for edge in pipeline.edges:
                    out.write(f"    {edge.upstream} >> {edge.downstream}\n")
        for deployment in model.deployments:
            _write_deployment(deployment, out, show_defaults)
        if not (model.pipelines or model.deployments or model.findings or model.incomplete_reasons):
            out.write(f"{path}: no pipelines\n")


def _write_deployment(deployment: Deployment, out: TextIO, show_defaults: bool) -> None:
    path = deployment.file.as_posix()
    flow = _name(deployment.pipeline) if deployment.pipeline else "an unscanned flow"
    title = f"deployment {_name(deployment.name)} ({deployment.source}) of {flow}"
    out.write(f"{path}:{deployment.span.line}: {title}\n")
    if isinstance(deployment.schedules, Unknown):
        out.write(f"  schedules = {_show(deployment.schedules)}\n")
    else:
        for schedule in deployment.schedules:
            timezone = "" if schedule.timezone is None else f", timezone {_show(schedule.timezone)}"
            out.write(f"  {schedule.kind} {_show(schedule.value)}{timezone}\n")
    _write_settings(deployment.settings, out, "  ", show_defaults)


def _write_settings(
    settings: dict[str, Setting], out: TextIO, indent: str, show_defaults: bool
) -> None:
    for name, setting in sorted(settings.items()):
        if setting.provenance is Provenance.DEFAULT and not show_defaults:
            continue
        origin = "" if setting.origin == "static" else f", {setting.origin}"
        out.write(
            f"{indent}{name} = {_show(masked_value(setting.value, name))}"
            f"  [{setting.provenance.value}{origin}]\n"
        )


def _masked(disagreement: dict[str, Any]) -> dict[str, Any]:
    name = disagreement["name"]
    return {
        **disagreement,
        "static": masked_value(disagreement["static"], name),
        "dynamic": masked_value(disagreement["dynamic"], name),
    }


def _name(value: str | Unknown) -> str:
    return value if isinstance(value, str) else _show(value)


def _show(value: object, width: int = 70) -> str:
    if isinstance(value, Unknown):
        text = f"<unknown: {value.text}>"
    else:
        text = json.dumps(to_jsonable(value))
    first_line = text.splitlines()[0] if text else text
    if len(first_line) > width or first_line != text:
        return first_line[: width - 1] + "…"
    return text


def write_comparison(models: list[FileModel], out: TextIO, output_format: str) -> None:
    """``model --engine both --diff``: per file and DAG, the settings on which the static
    model and the loaded one disagree, what only one of them has, and the agreement rate."""
    compared = [(m, m.comparison) for m in models if m.comparison is not None]
    agreeing = sum(c.compared - len(c.disagreements) for _, c in compared)
    total = sum(c.compared for _, c in compared)
    rate = agreeing / total if total else None
    if output_format == "json":
        document = {
            "agreement": {"compared": total, "agreeing": agreeing, "rate": rate},
            "files": [
                {
                    "path": m.path.as_posix(),
                    "compared": c.compared,
                    "resolved_only_when_loaded": c.resolved_by_loading,
                    "only_loaded": c.only_loaded,
                    "only_static": c.only_static,
                    "disagreements": [_masked(vars(d)) for d in c.disagreements],
                }
                for m, c in compared
            ],
            "not_loaded": [
                {"path": m.path.as_posix(), "finding": finding_as_dict(f)}
                for m in models
                for f in m.findings
                if f.code == "DC002"
            ],
        }
        json.dump(document, out, indent=2)
        out.write("\n")
        return
    out = PrintableLines(out)
    for model, comparison in compared:
        path = model.path.as_posix()
        noun = "flow" if any(p.framework == "prefect" for p in model.pipelines) else "DAG"
        for disagreement in comparison.disagreements:
            where = f"{noun} '{disagreement.pipeline}'"
            if disagreement.task is not None:
                where = f"task '{disagreement.task}' of {where}"
            static, loaded = (
                masked_value(value, disagreement.name)
                for value in (disagreement.static, disagreement.dynamic)
            )
            out.write(f"{path}: {where}: {disagreement.name}: static {static}, loaded {loaded}\n")
        for name in comparison.only_loaded:
            out.write(f"{path}: {name}: only when loaded (made at import time)\n")
        for name in comparison.only_static:
            out.write(f"{path}: {name}: only in the static model (not loaded)\n")
    for model in models:
        for finding in model.findings:
            if finding.code == "DC002":
                out.write(f"{model.path.as_posix()}: not loaded: {finding.message}\n")
    unknown = sum(c.resolved_by_loading for _, c in compared)
    if rate is None:
        out.write("Nothing to compare: no file was loaded.\n")
        return
    out.write(
        f"Agreement: {agreeing} of {total} settings ({rate:.1%}) across {len(compared)} "
        f"file{'s' if len(compared) != 1 else ''}; "
        f"{unknown} more resolved only when loaded.\n"
    )
