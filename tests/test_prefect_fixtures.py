"""The Prefect model and checklist on the realistic flows of ``fixtures/prefect``.

Three sources of truth: the graphs and deployments in ``expected_flows.py`` (derived by hand,
Prefect only builds a flow's graph when it runs); Prefect itself, which imports every fixture
in its own environment (``prefect_truth.py``) and reports the settings of the flows and tasks
it built, or the error it raised; and the rules, which must flag every file Prefect refuses.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from dagcheck.engine import FileModel, Options, run
from dagcheck.findings import Severity
from dagcheck.model.pipeline import FunctionRef, ObjectValue, Pipeline, Provenance, Task, Unknown
from tests.expected_flows import EXPECTED_DEPLOYMENTS, EXPECTED_FLOWS

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "prefect"
TRUTH_SCRIPT = Path(__file__).resolve().parent / "prefect_truth.py"
# `make test` points this at the Prefect environment it builds (.venv-prefect).
PREFECT_PYTHON = os.environ.get("DAGCHECK_PREFECT_PYTHON")
if PREFECT_PYTHON is not None:  # a path relative to where the suite was started
    PREFECT_PYTHON = os.path.abspath(PREFECT_PYTHON)

# What Prefect raises at import, and the rule that says so before anyone imports the file.
REFUSED_AT_IMPORT = {
    "misuse_flow_cache_policy.py": "DC806",
    "misuse_flow_hook_not_list.py": "DC603",
    "misuse_flow_retry_jitter.py": "DC806",
    "misuse_flow_tags.py": "DC806",
    "misuse_task_hook_not_list.py": "DC603",
    "misuse_task_on_cancellation.py": "DC806",
    "misuse_task_on_commit_keyword.py": "DC806",
    "misuse_task_on_crashed.py": "DC806",
    "prefect2_legacy.py": "DC807",
}
# Files Prefect imports, that fail later (at run start) or silently do something else.
FAIL_LATER = {"misuse_flow_retry_delay_list.py": "DC208", "misuse_flow_timeout_zero.py": "DC404"}


@pytest.fixture(scope="module")
def models() -> dict[str, FileModel]:
    found = run([FIXTURES], Options(select=("DC",), target_prefect="3"))
    return {model.path.relative_to(FIXTURES).as_posix(): model for model in found}


def flows_of(model: FileModel) -> dict[str, Pipeline]:
    return {str(p.id): p for p in model.pipelines}


def test_every_fixture_is_modelled_without_internal_errors(models: dict[str, FileModel]) -> None:
    python_files = sorted(p.relative_to(FIXTURES).as_posix() for p in FIXTURES.rglob("*.py"))
    assert sorted(name for name in models if name.endswith(".py")) == python_files
    errors = [f"{n}: {f.message}" for n, m in models.items() for f in m.findings if f.code < "DC1"]
    assert errors == []
    assert "k8s/prefect.yaml" not in models  # a Kubernetes manifest, not a project file


@pytest.mark.parametrize("file", sorted(EXPECTED_FLOWS))
def test_flow_graphs_match_the_expected_ones(models: dict[str, FileModel], file: str) -> None:
    flows = flows_of(models[file])
    assert sorted(flows) == sorted(EXPECTED_FLOWS[file])
    for name, expected in EXPECTED_FLOWS[file].items():
        pipeline = flows[name]
        tasks = {str(t.id): {"kind": t.kind.value, "mapped": t.mapped} for t in pipeline.tasks}
        edges = {(e.upstream, e.downstream) for e in pipeline.edges}
        assert pipeline.complete == expected["complete"], name
        if expected["complete"]:
            assert (tasks, edges) == (expected["tasks"], expected["edges"]), name
        else:  # only what must be there: the loop's body is walked once
            assert expected["tasks"].items() <= tasks.items(), name
            assert expected["edges"] <= edges, name


@pytest.mark.parametrize("file", sorted(EXPECTED_DEPLOYMENTS))
def test_deployments_match_the_expected_ones(models: dict[str, FileModel], file: str) -> None:
    model = models.get(file)
    found = [describe_deployment(d) for d in model.deployments] if model else []
    expected = [
        {key: value for key, value in d.items() if key in ("name", "source", "schedules", "tags")}
        for d in EXPECTED_DEPLOYMENTS[file]
    ]
    assert found == expected
    if model is not None:
        runs = [d["flow"] for d in EXPECTED_DEPLOYMENTS[file]]
        assert [linked_function(models, d) for d in model.deployments] == runs


def describe_deployment(deployment: Any) -> dict[str, Any]:
    return {
        "name": deployment.name,
        "source": deployment.source,
        "schedules": [
            (s.kind, _seconds(s.value) if s.kind == "interval" else s.value, s.timezone)
            for s in deployment.schedules
        ],
        "tags": deployment.settings["tags"].value,
    }


def linked_function(models: dict[str, FileModel], deployment: Any) -> str | None:
    """The module-level name of the flow a deployment is linked to."""
    for model in models.values():
        for pipeline in model.pipelines:
            if any(d is deployment for d in pipeline.deployments):
                return pipeline.entrypoint_name
    return None


def _seconds(value: Any) -> Any:
    return value.total_seconds() if hasattr(value, "total_seconds") else value


@pytest.mark.parametrize("file", sorted(REFUSED_AT_IMPORT))
def test_files_prefect_refuses_to_import_are_flagged_as_errors(
    models: dict[str, FileModel], file: str
) -> None:
    errors = {f.code for f in models[file].findings if f.severity is Severity.ERROR}
    assert REFUSED_AT_IMPORT[file] in errors


def test_files_prefect_imports_have_no_import_time_api_findings(
    models: dict[str, FileModel],
) -> None:
    import_time = {"DC603", "DC806", "DC807"}
    flagged = {
        name
        for name, model in models.items()
        for finding in model.findings
        if finding.code in import_time
    }
    assert flagged == set(REFUSED_AT_IMPORT)
    for file, code in FAIL_LATER.items():
        assert code in {f.code for f in models[file].findings}


def test_rule_counts_on_the_fixtures(models: dict[str, FileModel]) -> None:
    counts = Counter(f.code for model in models.values() for f in model.findings)
    print("\nfindings per rule on fixtures/prefect:")
    for code, count in sorted(counts.items()):
        print(f"  {code}: {count}")
    # Every Prefect rule and every shared rule has at least one case among the fixtures.
    prefect_rules = {
        "DC102", "DC105", "DC106", "DC107", "DC201", "DC206", "DC207", "DC208", "DC401",
        "DC402", "DC404", "DC505", "DC601", "DC603", "DC604", "DC705", "DC806", "DC807",
        "DC903",
    }  # fmt: skip
    assert prefect_rules <= set(counts)


# -- Prefect's own view ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def truth() -> dict[str, Any]:
    if PREFECT_PYTHON is None:
        pytest.skip(
            "DAGCHECK_PREFECT_PYTHON is not set: `make test` sets it to the Prefect environment "
            "it builds (.venv-prefect), where the fixtures are imported"
        )
    files = sorted(str(p) for p in FIXTURES.rglob("*.py"))
    completed = subprocess.run(
        [PREFECT_PYTHON, str(TRUTH_SCRIPT), *files],
        capture_output=True,
        text=True,
        check=True,
        timeout=600,
    )
    return {
        Path(path).relative_to(FIXTURES).as_posix(): facts
        for path, facts in json.loads(completed.stdout).items()
    }


def test_prefect_refuses_exactly_the_files_dagcheck_flags(truth: dict[str, Any]) -> None:
    refused = {name for name, facts in truth.items() if facts["error"] is not None}
    assert refused == set(REFUSED_AT_IMPORT)


FLOW_SETTINGS = ("retries", "retry_delay_seconds", "timeout_seconds")
TASK_SETTINGS = ("retries", "retry_delay_seconds", "retry_jitter_factor", "timeout_seconds")
FLOW_HOOKS = ("on_failure", "on_completion", "on_crashed", "on_cancellation", "on_running")
TASK_HOOKS = ("on_failure", "on_completion", "on_running", "on_commit", "on_rollback")


def test_settings_agree_with_prefect(models: dict[str, FileModel], truth: dict[str, Any]) -> None:
    compared = agreed = 0
    disagreements: list[str] = []
    for file, facts in sorted(truth.items()):
        flows = flows_of(models[file])
        tasks = _tasks_by_name(models[file])
        pairs: list[tuple[str, dict[str, Any], dict[str, Any]]] = []
        for key, real in facts["flows"].items():
            if "#" not in key and key in flows:
                pairs.append((f"{file} flow {key}", real, _flow_view(flows[key])))
            else:
                disagreements.append(f"{file}: flow {key} is not in the model")
        for key, real in facts["tasks"].items():
            if "#" in key or key not in tasks:
                continue  # a task no flow calls is not in any pipeline
            pairs.append((f"{file} task {key}", real, _task_view(tasks[key])))
        for where, real, static in pairs:
            for setting, value in static.items():
                compared += 1
                if value == real[setting]:
                    agreed += 1
                else:
                    disagreements.append(f"{where}: {setting} {value!r} != {real[setting]!r}")
    print(f"\nPrefect settings: {agreed}/{compared} agree")
    assert disagreements == []
    assert compared > 300


def _tasks_by_name(model: FileModel) -> dict[str, Task]:
    found: dict[str, Task] = {}
    for pipeline in model.pipelines:
        for task in pipeline.tasks:
            if task.kind.value == "python" and isinstance(task.id, str):
                found.setdefault(task.id.partition("__")[0], task)
    return found


def _flow_view(pipeline: Pipeline) -> dict[str, Any]:
    view = {name: _value(pipeline.settings[name].value, name) for name in FLOW_SETTINGS}
    if view["timeout_seconds"] == 0:
        view["timeout_seconds"] = None  # Prefect stores "no timeout" for 0
    view.update({hook: _hooks(pipeline.settings[hook].value) for hook in FLOW_HOOKS})
    return view


def _task_view(task: Task) -> dict[str, Any]:
    view = {name: _value(task.settings[name].value, name) for name in TASK_SETTINGS}
    retries = task.settings["retries"].value
    delay = task.settings["retry_delay_seconds"].value
    if isinstance(delay, ObjectValue) and isinstance(retries, int):
        view["retry_delay_seconds"] = _backoff(delay, retries)
    if view["timeout_seconds"] == 0:
        view["timeout_seconds"] = None
    tags = task.settings["tags"]
    if tags.provenance is not Provenance.CONTEXT:  # `with tags(...)` applies to runs only
        view["tags"] = sorted(tags.value) if isinstance(tags.value, list) else tags.value
    view.update({hook: _hooks(task.settings[hook].value) for hook in TASK_HOOKS})
    return view


def _value(value: Any, name: str) -> Any:
    if isinstance(value, Unknown):
        return f"<unknown {name}>"
    if isinstance(value, int | float) and not isinstance(value, bool) and name != "retries":
        return float(value) if name == "timeout_seconds" else value
    return value


def _hooks(value: Any) -> Any:
    if isinstance(value, list):
        return [ref.name if isinstance(ref, FunctionRef) else repr(ref) for ref in value]
    return value


def _backoff(delay: ObjectValue, retries: int) -> list[float]:
    """What ``exponential_backoff(backoff_factor=f)`` gives Prefect for ``retries``."""
    factor = float(delay.text.split("backoff_factor=", 1)[1].rstrip(")"))
    return [factor * 2**attempt for attempt in range(retries)]


def test_prefect_package_itself_raises_no_false_alarm() -> None:
    """Real code none of us wrote: Prefect's own package, with its internal flows and tasks,
    its prefect.yaml recipes (templates with `name: null`) and docstrings full of example
    credentials. None of it is a mistake a user made."""
    if PREFECT_PYTHON is None:
        pytest.skip("DAGCHECK_PREFECT_PYTHON is not set: `make test` sets it (.venv-prefect)")
    locate = "import importlib.util; print(importlib.util.find_spec('prefect').origin)"
    origin = subprocess.run(
        [PREFECT_PYTHON, "-c", locate], capture_output=True, text=True, check=True
    ).stdout.strip()
    package = Path(origin).parent
    models = run([package], Options(select=("DC",), target_prefect="3"))
    assert len(models) > 200  # the package's files that mention prefect, and its recipes
    assert [
        f"{f.path}:{f.span.line}: {f.code} {f.message}" for m in models for f in m.findings
    ] == []
