"""The checklist: every rule has YAML, every YAML rule is implemented, every example fires
its rule and every use-instead stays clean (each rule run on its own, as Fixit does)."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from pathlib import Path

import pytest

from dagcheck.checklist import (
    ChecklistError,
    RuleDoc,
    load_checklist,
    load_review_checklist,
    parse_rules,
)
from dagcheck.config import RuleOptions
from dagcheck.engine import FileModel, Options, run
from dagcheck.review import build_review
from dagcheck.rules import (
    registered_deployment_rules,
    registered_file_rules,
    registered_rules,
    registered_run_rules,
)
from dagcheck.runbook import sync_runbooks

DOCS = load_checklist()
RULE_DOCS = [doc for doc in DOCS.values() if doc.area != "dagcheck"]


# Examples of policy rules assume a team policy stricter than the defaults (and a
# runbook-dir, set per test).
EXAMPLE_POLICY = RuleOptions(min_retries=2, required_tags=("team:*",))


def check_source(
    tmp_path: Path, doc: RuleDoc, source: str | None, *, with_runbooks: bool = False
) -> FileModel:
    assert source is not None
    path = tmp_path / "dag.py"
    path.write_text(source, encoding="utf-8")
    policy = replace(EXAMPLE_POLICY, runbook_dir=tmp_path / "runbooks")
    if with_runbooks:  # as a team that follows DC506 has them: written by `dagcheck runbook`
        options = Options(target_airflow=doc.target_airflow)
        review = build_review(
            run([path], options), options, tmp_path, dt.datetime.now(dt.timezone.utc)
        )
        sync_runbooks(review, tmp_path / "runbooks", check=False)
    options = Options(select=(doc.code,), policy=policy, target_airflow=doc.target_airflow)
    [model] = run([path], options)
    assert [f.code for f in model.findings if f.code.startswith("DC0")] == []
    return model


def test_every_registered_rule_has_yaml_and_every_yaml_rule_is_implemented() -> None:
    implemented = {
        *registered_rules(),
        *registered_file_rules(),
        *registered_run_rules(),
        *registered_deployment_rules(),
    }
    assert implemented == {doc.code for doc in RULE_DOCS}


EXAMPLES = [
    pytest.param(doc, example, use_instead, id=f"{doc.code}-{doc.name}-{framework}")
    for doc in RULE_DOCS
    for framework, example, use_instead in doc.examples()
]


@pytest.mark.parametrize(("doc", "example", "use_instead"), EXAMPLES)
def test_example_fires_the_rule(
    tmp_path: Path, doc: RuleDoc, example: str, use_instead: str
) -> None:
    model = check_source(tmp_path, doc, example)
    assert {f.code for f in model.findings} == {doc.code}


@pytest.mark.parametrize(("doc", "example", "use_instead"), EXAMPLES)
def test_use_instead_stays_clean(
    tmp_path: Path, doc: RuleDoc, example: str, use_instead: str
) -> None:
    model = check_source(tmp_path, doc, use_instead, with_runbooks=True)
    assert model.findings == []


MALFORMED = [
    pytest.param("- code: DC201\n", "x.yaml: DC201: missing key 'name'", id="missing-key"),
    pytest.param("code: DC201\n", "x.yaml: expected a list of rules", id="not-a-list"),
    pytest.param("- [a\n", "x.yaml: not valid YAML", id="bad-yaml"),
]
VALID_ENTRY = {
    "code": "DC299",
    "name": "some-rule",
    "area": "retry",
    "severity": "warning",
    "frameworks": "[airflow]",
    "summary": "One line.",
    "why": "Because.",
    "example": "x = 1",
    "use_instead": "x = 2",
    "runbook": "What now?",
}
BAD_VALUES = [
    ("code", "R201", "'code' must look like DC201"),
    ("name", "Some_Rule", "'name' must be kebab-case"),
    ("area", "retries", "'area' must be one of"),
    ("code", "DC401", "area 'retry' uses codes DC2xx"),
    ("severity", "fatal", "'severity' must be error, warning or info"),
    ("frameworks", "[dagster]", "'frameworks' must be a list of airflow, prefect"),
    ("example", "''", "'example' must be a non-empty string"),
    ("fix", "{safety: maybe}", "'fix' needs 'safety'"),
    ("fix", "{safety: safe}", "'fix.title' must say what the fix does"),
    ("colour", "red", "unknown key 'colour'"),
    ("prefect_example", "x = 3", "prefect_example is for rules of both frameworks"),
]


def entry_yaml(**changes: str) -> str:
    fields = {**VALID_ENTRY, **changes}
    lines = [f"  {key}: {value}" for key, value in fields.items()]
    return "-" + "\n".join(lines)[1:] + "\n"


def test_valid_entry_loads() -> None:
    [doc] = parse_rules("x.yaml", entry_yaml())
    assert (doc.code, doc.name, doc.fix.safety) == ("DC299", "some-rule", "none")


@pytest.mark.parametrize(("text", "message"), MALFORMED)
def test_malformed_file_names_file_rule_and_key(text: str, message: str) -> None:
    with pytest.raises(ChecklistError, match=message.replace("(", r"\(")):
        parse_rules("x.yaml", text)


@pytest.mark.parametrize(
    ("key", "value", "message"), BAD_VALUES, ids=[b[0] + "-" + b[1] for b in BAD_VALUES]
)
def test_bad_value_names_file_rule_and_key(key: str, value: str, message: str) -> None:
    with pytest.raises(ChecklistError) as raised:
        parse_rules("x.yaml", entry_yaml(**{key: value}))
    assert str(raised.value).startswith("x.yaml: ")
    assert message in str(raised.value)


def test_review_checklist_maps_items_to_existing_rules() -> None:
    items = load_review_checklist()
    assert [item.item for item in items][:2] == [
        "Jobs are idempotent and safely retryable",
        "Errors are handled and failures alert someone",
    ]
    mapped = {code for item in items for code in item.rules}
    # Every rule about pipelines answers some checklist item.
    assert {doc.code for doc in RULE_DOCS} <= mapped
