"""DC5xx: tags, ownership and documentation."""

from __future__ import annotations

from collections.abc import Iterator

from dagcheck.model.pipeline import Pipeline
from dagcheck.rules import Report, describe, rule


@rule("DC501")
def dag_without_tags(pipeline: Pipeline) -> Iterator[Report]:
    tags = pipeline.setting("tags")
    if tags is not None and tags.known and not tags.value:
        yield Report(
            pipeline.span,
            f"{describe(pipeline)} has no tags; tag it with its team and domain so people can "
            "find and filter it",
        )


@rule("DC502")
def dag_without_owner(pipeline: Pipeline) -> Iterator[Report]:
    owners = [task.setting("owner") for task in pipeline.tasks]
    if not owners or any(o is None or not o.known or o.value != "airflow" for o in owners):
        return
    yield Report(
        pipeline.span,
        f"{describe(pipeline)} has no owner: every task has Airflow's default owner "
        "'airflow'; set owner in default_args to the team that answers for it",
    )
