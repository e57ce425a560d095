"""DC9xx: parse-time cost and security."""

from __future__ import annotations

import re
from collections.abc import Iterator

from dagcheck.config import RuleOptions
from dagcheck.model.airflow import NETWORK_CALLS, VARIABLE_AND_CONNECTION_CALLS
from dagcheck.model.pipeline import Pipeline, SourceFile
from dagcheck.rules import Report, describe, file_rule, rule


@file_rule("DC901")
def variable_or_connection_at_parse_time(
    source: SourceFile, policy: RuleOptions
) -> Iterator[Report]:
    # One finding per file, at the first read, naming the others: they are one habit.
    reads = [c for c in source.parse_time_calls if c.qualname in VARIABLE_AND_CONNECTION_CALLS]
    if not reads:
        return
    first, others = reads[0], reads[1:]
    name = ".".join(first.qualname.split(".")[-2:])
    more = ""
    if others:
        lines = ", ".join(str(call.span.line) for call in others[:5])
        lines += ", ..." if len(others) > 5 else ""
        more = f" (and {len(others)} more Variable or Connection reads: line {lines})"
    yield Report(
        first.span,
        f"{name}(){more} runs every time the scheduler parses this file (every ~30 s), "
        "hitting the metadata database or secrets backend; read it inside the task, or "
        "use a template such as {{ var.value.my_key }} / {{ conn.my_conn.host }}",
        pipeline_id=first.pipeline,
    )


@file_rule("DC902")
def network_call_at_parse_time(source: SourceFile, policy: RuleOptions) -> Iterator[Report]:
    for call in source.parse_time_calls:
        if call.qualname in NETWORK_CALLS:
            yield Report(
                call.span,
                f"{call.qualname}() runs every time the scheduler parses this file: a slow or "
                "failing endpoint slows or breaks DAG parsing; move it into a task",
                pipeline_id=call.pipeline,
            )


@rule("DC904")
def sql_built_by_string_formatting(pipeline: Pipeline, policy: RuleOptions) -> Iterator[Report]:
    for task in pipeline.tasks:
        sql = task.setting("sql")
        if sql is None or sql.known or sql.span is None:
            continue  # a literal (even a templated one) is not built from values
        text = sql.text
        if _FORMATTED.match(text) or ".format(" in text or _PERCENT.search(text):
            yield Report(
                sql.span,
                f"{describe(pipeline, task)} builds its SQL by string formatting from values "
                "that are not literals: quoting bugs and injection; pass them as parameters "
                "(parameters=...) or as templates ({{ params.x }})",
                task,
            )


_FORMATTED = re.compile(r"^[rR]?[fF][rR]?['\"]")
_PERCENT = re.compile(r"['\"]\s*%\s*[\w(]")


@file_rule("DC903")
def hard_coded_secret(source: SourceFile, policy: RuleOptions) -> Iterator[Report]:
    for secret in source.secrets:
        # Never the value: findings end up in CI logs and code-scanning alerts.
        if secret.kind == "uri":
            what = f"a {secret.name}:// connection URI with a password"
        elif secret.kind == "token":
            what = f"a literal {secret.name}"
        else:
            what = f"a literal value for {secret.name!r}"
        if source.framework == "prefect":
            keep = "keep it in a Prefect Secret block (Secret.load(...)) or the environment"
        else:
            keep = (
                "keep it in an Airflow Connection or a secrets backend and reference it by conn_id"
            )
        yield Report(
            secret.span,
            f"hard-coded credential: {what} is written in the {_FILE_KIND[source.framework]}; "
            f"{keep}",
        )


# Libraries that take a second or more to import; Airflow's best practices name them.
HEAVY_LIBRARIES = frozenset(
    {
        "pandas", "numpy", "scipy", "sklearn", "tensorflow", "torch", "keras", "transformers",
        "pyspark", "polars", "matplotlib", "seaborn", "dask", "xgboost", "lightgbm",
    }
)  # fmt: skip


@file_rule("DC905")
def heavy_import_at_parse_time(source: SourceFile, policy: RuleOptions) -> Iterator[Report]:
    if not source.pipelines:
        return  # a helper module: its cost is the importer's
    heavy = [
        (m, span) for m, span in source.top_level_imports if m.split(".")[0] in HEAVY_LIBRARIES
    ]
    if not heavy:
        return
    # One finding per file, at the first: moving one import inside the task rarely helps
    # while another stays (pandas loads numpy anyway).
    (module, span), others = heavy[0], [m for m, _ in heavy[1:]]
    also = f" (as are {', '.join(repr(m) for m in others)})" if others else ""
    yield Report(
        span,
        f"'{module}' is imported at module level{also}, so every parse of this file pays for "
        "it; import it inside the task that uses it",
    )


_FILE_KIND = {"airflow": "DAG file", "prefect": "flow file"}
