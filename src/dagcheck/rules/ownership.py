"""DC5xx: tags, ownership and documentation."""

from __future__ import annotations

import fnmatch
from collections import Counter
from collections.abc import Iterator

from dagcheck.config import RuleOptions
from dagcheck.model.pipeline import Deployment, Pipeline
from dagcheck.rules import Report, deployment_rule, describe, rule, run_rule
from dagcheck.runbook.names import runbook_names


# Where most DAGs of the checked tree are tagged, an untagged one breaks the convention.
# Where few or none are and the team configures no tags, the tree does not use them (a
# one-team repository whose dag_ids say what each is): asking each DAG is noise.
@run_rule("DC501")
def dag_without_tags(
    pipelines: list[Pipeline], policy: RuleOptions
) -> Iterator[tuple[Pipeline, Report]]:
    dags = [pipeline for pipeline in pipelines if pipeline.framework == "airflow"]
    untagged = [
        dag
        for dag in dags
        if (tags := dag.setting("tags")) is not None and tags.known and not tags.value
    ]
    tagged = sum(
        1 for dag in dags if (tags := dag.setting("tags")) is not None and tags.known and tags.value
    )
    configured = policy.fix_tags or policy.required_tags or policy.allowed_tags
    if not untagged or not (tagged > len(untagged) or configured):
        return
    for dag in untagged:
        yield (
            dag,
            Report(
                dag.span,
                f"{describe(dag)} has no tags; tag it with its team and domain so people can "
                "find and filter it",
            ),
        )


# Where most DAGs of the checked tree name their owner, that is the team's convention and a
# DAG left at 'airflow' breaks it. Where none or few do (one team's repository), 'airflow'
# everywhere routes nothing, and asking each DAG for an owner is noise.
@run_rule("DC502")
def dag_without_owner(
    pipelines: list[Pipeline], policy: RuleOptions
) -> Iterator[tuple[Pipeline, Report]]:
    dags = [pipeline for pipeline in pipelines if pipeline.framework == "airflow"]
    unowned = [dag for dag in dags if _owner_of(dag) == _DEFAULT_OWNER]
    named = Counter(owner for dag in dags if isinstance(owner := _owner_of(dag), str) and owner)
    named.pop(_DEFAULT_OWNER, None)
    owned = sum(named.values())
    if owned <= len(unowned):
        return
    usual = named.most_common(1)[0][0]
    for dag in unowned:
        yield (
            dag,
            Report(
                dag.span,
                f"{describe(dag)} has no owner: every task has Airflow's default owner "
                f"'airflow', while {owned} of the {len(dags)} DAGs checked name theirs (such "
                f"as '{usual}'); set owner in default_args to the team that answers for it",
            ),
        )


_DEFAULT_OWNER = "airflow"


def _owner_of(dag: Pipeline) -> object:
    """The owner every task of a complete DAG has, or None when it is unknown or mixed."""
    owners = [task.setting("owner") for task in dag.tasks]
    if not dag.complete or not owners or any(o is None or not o.known for o in owners):
        return None
    first = owners[0].value if owners[0] is not None else None
    return first if all(o is not None and o.value == first for o in owners) else None


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
def deployment_without_tags(
    deployments: list[Deployment], policy: RuleOptions
) -> Iterator[tuple[Deployment, Report]]:
    # Tags matter where the project filters and alerts by them: a tree that tags most of its
    # deployments has a convention an untagged one falls out of; one that tags none finds its
    # runs another way (by deployment name). Templates (prefect.yaml recipes leave the name
    # to fill in) and tags that cannot be read count neither way.
    untagged: list[Deployment] = []
    tag_counts: Counter[str] = Counter()
    tagged = 0
    for deployment in deployments:
        tags = deployment.setting("tags")
        if deployment.name is None or tags is None or not tags.known:
            continue
        if not tags.value:
            untagged.append(deployment)
            continue
        tagged += 1
        values = tags.value if isinstance(tags.value, list | tuple | set) else [tags.value]
        tag_counts.update(tag for tag in values if isinstance(tag, str))
    if tagged <= len(untagged):
        return
    such_as = f" (such as '{tag_counts.most_common(1)[0][0]}')" if tag_counts else ""
    for deployment in untagged:
        name = deployment.name if isinstance(deployment.name, str) else "this deployment"
        tags = deployment.setting("tags")
        yield (
            deployment,
            Report(
                (tags.span if tags else None) or deployment.span,
                f"deployment '{name}' has no tags, while {tagged} of the "
                f"{tagged + len(untagged)} deployments checked carry theirs{such_as}; tag it "
                "with its team and domain so its runs are found, filtered and watched like "
                "theirs",
            ),
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
