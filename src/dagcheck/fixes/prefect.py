"""Fixes for Prefect flow files."""

from __future__ import annotations

import libcst as cst

from dagcheck.config import RuleOptions
from dagcheck.findings import Finding
from dagcheck.fixes import Fix, Import, Source, fixer


@fixer("DC603")
def hook_in_a_list(source: Source, finding: Finding, policy: RuleOptions) -> Fix | None:
    """``on_failure=notify`` -> ``on_failure=[notify]``."""
    for arg in source.nodes_at(finding.span, cst.Arg):
        assert isinstance(arg, cst.Arg)
        if arg.keyword is not None and arg.keyword.value.startswith("on_"):
            value = source.replace(arg.value, "")
            written = source.text[value.start : value.end]  # as written, only bracketed
            return Fix([source.replace(arg.value, f"[{written}]")])
    return None


@fixer("DC201")
def task_retries(source: Source, finding: Finding, policy: RuleOptions) -> Fix | None:
    """A Prefect task without retries -> ``retries=`` and ``retry_delay_seconds=`` on its
    decorator. Unsafe: the task then runs again after a failure."""
    if "retries=0" in finding.message:
        return None  # written: an explicit choice
    return _on_decorator(
        source,
        finding,
        {"retries": str(policy.fix_retries), "retry_delay_seconds": str(policy.fix_retry_delay)},
    )


@fixer("DC401")
def task_timeout(source: Source, finding: Finding, policy: RuleOptions) -> Fix | None:
    """A Prefect task without timeout_seconds -> ``timeout_seconds=`` (fix-timeout-seconds).
    Unsafe: a task running longer is now stopped and fails."""
    return _on_decorator(source, finding, {"timeout_seconds": str(policy.fix_timeout_seconds)})


@fixer("DC402")
def flow_timeout(source: Source, finding: Finding, policy: RuleOptions) -> Fix | None:
    """A Prefect flow without timeout_seconds -> ``timeout_seconds=`` (fix-timeout-seconds).
    Unsafe: a run lasting longer is now stopped and fails."""
    return _on_decorator(source, finding, {"timeout_seconds": str(policy.fix_timeout_seconds)})


@fixer("DC601")
def flow_failure_hooks(source: Source, finding: Finding, policy: RuleOptions) -> Fix | None:
    """A flow that alerts nobody -> ``on_failure=[hook], on_crashed=[hook]`` on its @flow,
    the team's hook from failure-hook, imported. Unsafe: failed and crashed runs now call
    it."""
    if policy.failure_hook is None:
        return None
    hook = source.use(Import.dotted(policy.failure_hook))
    if hook is None:
        return None
    hooks = {"on_failure": f"[{hook[0]}]", "on_crashed": f"[{hook[0]}]"}
    fix = _on_decorator(source, finding, hooks)
    return Fix(fix.edits, hook[1]) if fix is not None else None


_DECORATORS = {"prefect.flow", "prefect.task", "prefect.flows.flow", "prefect.tasks.task"}


def _on_decorator(source: Source, finding: Finding, keywords: dict[str, str]) -> Fix | None:
    """Keywords added to the ``@flow``/``@task`` decorator the finding points at: into its
    parentheses, or giving a bare ``@task`` some."""
    at_span = list(source.nodes_at(finding.span, cst.BaseExpression))
    # @task(...) and its callee start at the same place: the call is the decorator.
    for node in sorted(at_span, key=lambda n: not isinstance(n, cst.Call)):
        callee = node.func if isinstance(node, cst.Call) else node
        if _qualname(source, callee) not in _DECORATORS:
            continue
        if isinstance(node, cst.Call):
            if any(arg.star for arg in node.args):
                return None
            written = {arg.keyword.value for arg in node.args if arg.keyword is not None}
            if written & keywords.keys():
                return None
            return Fix([source.add_keywords(node, keywords)])
        arguments = ", ".join(f"{k}={v}" for k, v in keywords.items())
        written = source.module.code_for_node(node)
        return Fix([source.replace(node, f"{written}({arguments})")])
    return None


def _qualname(source: Source, node: cst.BaseExpression) -> str | None:
    if isinstance(node, cst.Name):
        return source.imported.get(node.value)
    if isinstance(node, cst.Attribute) and isinstance(node.value, cst.Name):
        base = source.imported.get(node.value.value)
        return f"{base}.{node.attr.value}" if base else None
    return None
