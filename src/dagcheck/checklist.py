"""The checklist: every rule's documentation, severity and examples, from ``rules/*.yaml``.

One source of truth for ``dagcheck explain``, ``dagcheck rules``, finding severities and the
tests that run each rule's example (must fire) and use-instead (must stay clean). The YAML
files are installed as the package ``dagcheck.checklist_data`` and read with
importlib.resources, so they work from a wheel as well as from a checkout.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from importlib import resources
from typing import Any

from dagcheck.findings import Severity

AREAS = {
    "dagcheck": "DC0",
    "idempotency": "DC1",
    "retry": "DC2",
    "sla": "DC3",
    "timeout": "DC4",
    "ownership": "DC5",
    "callbacks": "DC6",
    "scheduling": "DC7",
    "structure": "DC8",
    "security": "DC9",
}
FRAMEWORKS = {"airflow", "prefect"}
FIX_SAFETY = {"none", "safe", "unsafe"}
_CODE = re.compile(r"^DC\d{3}$")
_NAME = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")


class ChecklistError(Exception):
    """A malformed checklist file: says which file, which rule and which key."""


@dataclass(frozen=True)
class Fix:
    safety: str  # none | safe | unsafe
    title: str


@dataclass(frozen=True)
class RuleDoc:
    code: str
    name: str
    area: str
    severity: Severity
    frameworks: tuple[str, ...]
    summary: str
    why: str
    example: str | None
    use_instead: str | None
    fix: Fix
    runbook: str
    source: str  # the YAML file it came from
    # The Airflow major version the examples are written for ("auto": as the files say).
    target_airflow: str = "auto"
    # A rule shared by both frameworks shows its Prefect form too (example first).
    prefect_example: str | None = None
    prefect_use_instead: str | None = None
    # How often a finding is right (SARIF's precision): heuristics say medium.
    precision: str = "high"
    # For security rules: GitHub's security severity, "0.0" to "10.0".
    security_severity: str | None = None
    # Whether the verdict depends on the framework's version (what Airflow 3 removed, what
    # only Airflow 2 has): such a finding is at most a warning when the version is assumed.
    depends_on_version: bool = False
    # A rule many teams do not want: it runs only when selected by its code or its area's
    # prefix (``DC303``, ``DC3``), not by ``DC`` alone.
    opt_in: bool = False

    def examples(self) -> list[tuple[str, str | None, str | None]]:
        """(framework, example, use_instead) for each framework the docs show."""
        shown = [(self.frameworks[0], self.example, self.use_instead)]
        if self.prefect_example is not None:
            shown.append(("prefect", self.prefect_example, self.prefect_use_instead))
        return shown


@functools.cache
def load_checklist() -> dict[str, RuleDoc]:
    """Every rule's documentation by code, validated."""
    docs: dict[str, RuleDoc] = {}
    files = sorted(
        (
            f
            for f in resources.files("dagcheck.checklist_data").iterdir()
            if f.name.endswith(".yaml")
        ),
        key=lambda f: f.name,
    )
    for file in files:
        if file.name == "checklist.yaml":
            continue  # the review checklist maps items to rules; it holds no rule
        for doc in parse_rules(file.name, file.read_text(encoding="utf-8")):
            if doc.code in docs:
                raise ChecklistError(
                    f"{file.name}: {doc.code} is also defined in {docs[doc.code].source}"
                )
            docs[doc.code] = doc
    return dict(sorted(docs.items()))


@dataclass(frozen=True)
class ChecklistItem:
    item: str
    rules: tuple[str, ...]


@functools.cache
def load_review_checklist() -> list[ChecklistItem]:
    """``rules/checklist.yaml``: the review checklist's items and the rules answering each."""
    import yaml

    file = resources.files("dagcheck.checklist_data") / "checklist.yaml"
    entries = yaml.safe_load(file.read_text(encoding="utf-8"))
    docs = load_checklist()
    items = []
    for index, entry in enumerate(entries if isinstance(entries, list) else [None]):
        where = f"checklist.yaml: item #{index + 1}"
        if not isinstance(entry, dict) or set(entry) != {"item", "rules"}:
            raise ChecklistError(f"{where}: expected 'item' and 'rules'")
        unknown = [code for code in entry["rules"] if code not in docs]
        if unknown:
            raise ChecklistError(f"{where}: no rule {unknown[0]}")
        items.append(ChecklistItem(str(entry["item"]), tuple(entry["rules"])))
    return items


def parse_rules(source: str, text: str) -> list[RuleDoc]:
    import yaml

    try:
        entries = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise ChecklistError(f"{source}: not valid YAML: {error}") from None
    if not isinstance(entries, list):
        raise ChecklistError(f"{source}: expected a list of rules")
    return [_rule_doc(source, index, entry) for index, entry in enumerate(entries)]


_REQUIRED = ("code", "name", "area", "severity", "frameworks", "summary", "why")
_OPTIONAL = (
    "example",
    "use_instead",
    "prefect_example",
    "prefect_use_instead",
    "fix",
    "runbook",
    "target_airflow",
    "precision",
    "security_severity",
    "depends_on_version",
    "opt_in",
)


def _rule_doc(source: str, index: int, entry: Any) -> RuleDoc:
    where = f"{source}: rule #{index + 1}"
    if not isinstance(entry, dict):
        raise ChecklistError(f"{where}: expected a mapping")
    if isinstance(entry.get("code"), str):
        where = f"{source}: {entry['code']}"
    unknown = sorted(set(entry) - set(_REQUIRED) - set(_OPTIONAL))
    if unknown:
        raise ChecklistError(f"{where}: unknown key {unknown[0]!r}")
    for key in _REQUIRED:
        if key not in entry:
            raise ChecklistError(f"{where}: missing key {key!r}")

    def text(key: str, *, required: bool = True) -> str | None:
        value = entry.get(key)
        if value is None and not required:
            return None
        if not isinstance(value, str) or not value.strip():
            raise ChecklistError(f"{where}: {key!r} must be a non-empty string")
        return value

    code, name, area = text("code"), text("name"), text("area")
    assert code is not None and name is not None and area is not None
    if not _CODE.match(code):
        raise ChecklistError(f"{where}: 'code' must look like DC201, not {code!r}")
    if not _NAME.match(name):
        raise ChecklistError(f"{where}: 'name' must be kebab-case, not {name!r}")
    if area not in AREAS:
        raise ChecklistError(f"{where}: 'area' must be one of {', '.join(AREAS)}, not {area!r}")
    if not code.startswith(AREAS[area]):
        raise ChecklistError(f"{where}: area {area!r} uses codes {AREAS[area]}xx")
    severity = entry["severity"]
    if severity not in {s.value for s in Severity}:
        raise ChecklistError(f"{where}: 'severity' must be error, warning or info")
    frameworks = entry["frameworks"]
    if not isinstance(frameworks, list) or not frameworks or set(frameworks) - FRAMEWORKS:
        raise ChecklistError(f"{where}: 'frameworks' must be a list of airflow, prefect")
    summary = text("summary")
    assert summary is not None
    if "\n" in summary.strip():
        raise ChecklistError(f"{where}: 'summary' must be one line")
    # Rules about dagcheck itself (a file that cannot be read) have no pipeline example.
    needs_examples = area != "dagcheck"
    target = str(entry.get("target_airflow", "auto"))
    if target not in ("auto", "2", "3"):
        raise ChecklistError(f"{where}: 'target_airflow' must be 2 or 3")
    precision = str(entry.get("precision", "high"))
    if precision not in ("very-high", "high", "medium", "low"):
        raise ChecklistError(f"{where}: 'precision' must be very-high, high, medium or low")
    security_severity = entry.get("security_severity")
    if security_severity is not None and not (
        isinstance(security_severity, int | float) and 0 <= security_severity <= 10
    ):
        raise ChecklistError(f"{where}: 'security_severity' must be a number from 0 to 10")
    shows_prefect = "prefect_example" in entry or "prefect_use_instead" in entry
    if shows_prefect and frameworks != ["airflow", "prefect"]:
        raise ChecklistError(
            f"{where}: prefect_example is for rules of both frameworks (airflow, prefect)"
        )
    return RuleDoc(
        code=code,
        name=name,
        area=area,
        severity=Severity(severity),
        frameworks=tuple(frameworks),
        summary=summary.strip(),
        why=" ".join((text("why") or "").split()),
        example=text("example", required=needs_examples),
        use_instead=text("use_instead", required=needs_examples),
        fix=_fix(where, entry.get("fix")),
        runbook=" ".join((text("runbook", required=needs_examples) or "").split()),
        source=source,
        target_airflow=target,
        prefect_example=text("prefect_example", required=shows_prefect),
        prefect_use_instead=text("prefect_use_instead", required=shows_prefect),
        precision=precision,
        security_severity=None if security_severity is None else f"{security_severity:.1f}",
        depends_on_version=_flag(where, entry, "depends_on_version"),
        opt_in=_flag(where, entry, "opt_in"),
    )


def _flag(where: str, entry: dict[str, Any], key: str) -> bool:
    value = entry.get(key, False)
    if not isinstance(value, bool):
        raise ChecklistError(f"{where}: '{key}' must be true or false")
    return value


def _fix(where: str, value: Any) -> Fix:
    if value is None:
        return Fix("none", "")
    if not isinstance(value, dict) or value.get("safety") not in FIX_SAFETY:
        raise ChecklistError(f"{where}: 'fix' needs 'safety' (none, safe or unsafe) and 'title'")
    title = value.get("title", "")
    if value["safety"] != "none" and not (isinstance(title, str) and title.strip()):
        raise ChecklistError(f"{where}: 'fix.title' must say what the fix does")
    return Fix(value["safety"], title or "")
