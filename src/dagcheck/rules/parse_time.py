"""DC9xx: parse-time cost and security."""

from __future__ import annotations

from collections.abc import Iterator

from dagcheck.config import RuleOptions
from dagcheck.model.airflow import NETWORK_CALLS, VARIABLE_AND_CONNECTION_CALLS
from dagcheck.model.pipeline import SourceFile
from dagcheck.rules import Report, file_rule


@file_rule("DC901")
def variable_or_connection_at_parse_time(
    source: SourceFile, policy: RuleOptions
) -> Iterator[Report]:
    for call in source.parse_time_calls:
        if call.qualname in VARIABLE_AND_CONNECTION_CALLS:
            name = ".".join(call.qualname.split(".")[-2:])
            yield Report(
                call.span,
                f"{name}() runs every time the scheduler parses this file (every ~30 s), "
                "hitting the metadata database or secrets backend; read it inside the task, or "
                "use a template such as {{ var.value.my_key }} / {{ conn.my_conn.host }}",
                pipeline_id=call.pipeline,
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
