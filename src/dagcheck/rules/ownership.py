"""DC5xx: tags, ownership and documentation."""

from __future__ import annotations

import fnmatch
from collections.abc import Iterator

from dagcheck.config import RuleOptions
from dagcheck.model.pipeline import Deployment, Pipeline
from dagcheck.rules import Report, deployment_rule, describe, rule, run_rule
from dagcheck.runbook.names import runbook_names


@rule("DC501")
def dag_without_tags(pipeline: Pipeline, policy: RuleOptions) -> Iterator[Report]:
    tags = pipeline.setting("tags")
    if tags is not None and tags.known and not tags.value:
        yield Report(
            pipeline.span,
            f"{describe(pipeline)} has no tags; tag it with its team and domain so people can "
            "find and filter it",
        )


@rule("DC502")
def dag_without_owner(pipeline: Pipeline, policy: RuleOptions) -> Iterator[Report]:
    owners = [task.setting("owner") for task in pipeline.tasks]
    if (
        not pipeline.complete
        or not owners
        or any(o is None or not o.known or o.value != "airflow" for o in owners)
    ):
        return
    yield Report(
        pipeline.span,
        f"{describe(pipeline)} has no owner: every task has Airflow's default owner "
        "'airflow'; set owner in default_args to the team that answers for it",
    )


@rule("DC503")
def tags_outside_policy(pipeline: Pipeline, policy: RuleOptions) -> Iterator[Report]:
    tags = pipeline.setting("tags")
    if tags is None or not tags.known or not isinstance(tags.value, list | tuple | set):
        return
    values = [str(tag) for tag in tags.value]
    span = tags.span or pipeline.span
    if policy.allowed_tags is not None:
        unknown = sorted(tag for tag in values if tag not in policy.allowed_tags)
        if unknown:
            yield Report(
                span,
                f"{describe(pipeline)} has tags outside allowed-tags: {', '.join(unknown)}",
            )
    for pattern in policy.required_tags:
        if not any(fnmatch.fnmatchcase(tag, pattern) for tag in values):
            yield Report(span, f"{describe(pipeline)} has no tag matching '{pattern}'")


@rule("DC504")
def dag_without_documentation(pipeline: Pipeline, policy: RuleOptions) -> Iterator[Report]:
    description, doc_md = pipeline.setting("description"), pipeline.setting("doc_md")
    if pipeline.framework == "prefect":
        if description is not None and description.known and not description.value:
            yield Report(
                pipeline.span,
                f"{describe(pipeline)} has neither a docstring nor description=; say what it "
                "produces and for whom",
            )
        return
    if all(s is not None and s.known and not s.value for s in (description, doc_md)):
        yield Report(
            pipeline.span,
            f"{describe(pipeline)} has neither description nor doc_md; say what it produces "
            "and for whom (an @dag function's docstring counts)",
        )


@deployment_rule("DC505")
def deployment_without_tags(deployment: Deployment, policy: RuleOptions) -> Iterator[Report]:
    tags = deployment.setting("tags")
    if deployment.name is None:
        return  # a template (prefect.yaml recipes leave the name to fill in)
    if tags is not None and tags.known and not tags.value:
        name = deployment.name if isinstance(deployment.name, str) else "this deployment"
        yield Report(
            tags.span or deployment.span,
            f"deployment '{name}' has no tags; tag it with its team and domain so its runs can "
            "be found, filtered and targeted by automations",
        )


@run_rule("DC506")
def pipeline_without_runbook(
    pipelines: list[Pipeline], policy: RuleOptions
) -> Iterator[tuple[Pipeline, Report]]:
    # A rule across files: two pipelines with one id get different runbook names, which
    # only the whole run can tell.
    if policy.runbook_dir is None:
        return
    for pipeline, name in zip(pipelines, runbook_names(pipelines), strict=True):
        if not (policy.runbook_dir / name).is_file():
            yield (
                pipeline,
                Report(
                    pipeline.span,
                    f"{describe(pipeline)} has no runbook: {name} is not in runbook-dir; "
                    "`dagcheck runbook` writes one for the team to fill in",
                ),
            )
