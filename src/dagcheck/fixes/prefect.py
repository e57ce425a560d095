"""Fixes for Prefect flow files."""

from __future__ import annotations

import libcst as cst

from dagcheck.config import RuleOptions
from dagcheck.findings import Finding
from dagcheck.fixes import Fix, Source, fixer


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
