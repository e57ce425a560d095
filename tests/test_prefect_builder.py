"""The Prefect builder on small inline flow files: each case is the source and what the model
must say about it (tasks, edges, settings and their provenance, deployments)."""

from __future__ import annotations

import datetime as dt
import textwrap
from pathlib import Path
from typing import Any

import libcst
import pytest

from dagcheck.engine import FileModel, Options, build_models, run
from dagcheck.model.pipeline import (
    Definition,
    FunctionRef,
    ObjectValue,
    Pipeline,
    Provenance,
    Unknown,
)
from dagcheck.model.positions import SpanTable
from dagcheck.model.prefect import build_prefect_pipelines
from dagcheck.model.values import ModuleConstants


def model_of(tmp_path: Path, source: str, name: str = "flows.py") -> FileModel:
    path = tmp_path / name
    path.write_text(textwrap.dedent(source), encoding="utf-8")
    [model] = build_models([path], target_prefect="3")
    assert [f.message for f in model.findings] == []
    return model


def flow_named(model: FileModel, name: str) -> Pipeline:
    [flow] = [p for p in model.pipelines if p.id == name]
    return flow


def graph(pipeline: Pipeline) -> tuple[list[str], set[tuple[str, str]]]:
    return [str(t.id) for t in pipeline.tasks], {(e.upstream, e.downstream) for e in pipeline.edges}


HEADER = "from prefect import flow, task\n"

GRAPHS = [
    pytest.param(
        """
        @task
        def extract(): return [1]

        @task()
        def transform(rows): return rows

        @task(name="load-warehouse")
        def load(rows): ...

        @flow
        def daily_sales():
            rows = extract()
            load(transform(rows))
        """,
        "daily-sales",
        ["extract", "transform", "load-warehouse"],
        {("extract", "transform"), ("transform", "load-warehouse")},
        id="decorators-bare-and-called",
    ),
    pytest.param(
        """
        @task
        def fetch(day): return day

        @task
        def merge(parts): ...

        @flow(name="backfill")
        def run(days: list[str]):
            futures = fetch.map(days)
            first = fetch.submit("2024-01-01")
            merge([first, futures], wait_for=[first])
        """,
        "backfill",
        ["fetch", "fetch__1", "merge"],
        {("fetch", "merge"), ("fetch__1", "merge")},
        id="map-submit-list-and-wait-for",
    ),
    pytest.param(
        """
        @task
        def extract(): return {"rows": []}

        @task
        def load(rows): ...

        @flow
        def child(rows): load(rows)

        @flow
        def parent():
            data = extract.submit()
            rows = data.result()["rows"]
            total = len(rows) + 1
            child(total)
        """,
        "parent",
        ["extract", "child"],
        {("extract", "child")},
        id="subflow-result-and-derived-values",
    ),
    pytest.param(
        """
        import prefect as pf

        @pf.task
        def export(table): ...

        @pf.flow
        def nightly():
            for table in ["orders", "customers"]:
                export(table)
        """,
        "nightly",
        ["export", "export__1"],
        set(),
        id="module-alias-and-literal-loop",
    ),
    pytest.param(
        """
        from prefect import flow as prefect_flow
        from prefect.tasks import Task

        def _clean(rows): return rows

        clean = Task(_clean, retries=2)
        shout = task(name="shout")(_clean)

        @prefect_flow
        async def pipeline():
            rows = await clean([1])
            shout(rows)
        """,
        "pipeline",
        ["_clean", "shout"],
        {("_clean", "shout")},
        id="class-and-call-forms-async",
    ),
    pytest.param(
        """
        @task
        def notify(ok): ...

        @task
        def check(): return True

        @flow
        def guarded(full: bool):
            ok = check()
            if full:
                notify(ok)
            else:
                notify(False)
        """,
        "guarded",
        ["check", "notify", "notify__1"],
        {("check", "notify")},
        id="unknown-branch-takes-both",
    ),
]


@pytest.mark.parametrize(("source", "flow", "tasks", "edges"), GRAPHS)
def test_flow_graph(
    tmp_path: Path, source: str, flow: str, tasks: list[str], edges: set[tuple[str, str]]
) -> None:
    model = model_of(tmp_path, HEADER + textwrap.dedent(source))
    pipeline = flow_named(model, flow)
    assert graph(pipeline) == (tasks, edges)
    assert pipeline.complete


def test_loop_over_a_parameter_is_walked_once_and_incomplete(tmp_path: Path) -> None:
    model = model_of(
        tmp_path,
        HEADER
        + """
@task
def load(table): ...

@flow
def sync(tables: list[str]):
    for table in tables:
        load(table)
    print("done")
""",
    )
    pipeline = flow_named(model, "sync")
    assert [t.id for t in pipeline.tasks] == ["load"]
    assert not pipeline.complete
    assert pipeline.incomplete_reasons == ["a loop over `tables` is not followed statically"]


def test_loop_without_tasks_keeps_the_flow_complete(tmp_path: Path) -> None:
    model = model_of(
        tmp_path,
        HEADER
        + """
@flow
def report(rows: list):
    for row in rows:
        print(row)
""",
    )
    assert flow_named(model, "report").complete


def setting(pipeline_or_task: Any, name: str) -> tuple[Any, Provenance]:
    found = pipeline_or_task.settings[name]
    return found.value, found.provenance


def test_task_settings_with_provenance(tmp_path: Path) -> None:
    model = model_of(
        tmp_path,
        HEADER
        + """
from datetime import timedelta
from prefect import tags
from prefect.cache_policies import INPUTS, TASK_SOURCE
from prefect.tasks import exponential_backoff, task_input_hash

def alert(task, run, state): ...

@task(
    retries=3,
    retry_delay_seconds=exponential_backoff(backoff_factor=10),
    retry_jitter_factor=0.5,
    timeout_seconds=600,
    tags=["io"],
    cache_policy=INPUTS + TASK_SOURCE,
    cache_expiration=timedelta(hours=6),
    on_failure=[alert],
    persist_result=True,
    log_prints=True,
)
def pull(url): ...

@task(cache_key_fn=task_input_hash, retry_delay_seconds=[1, 10, 60])
def parse(raw): ...

@flow
def ingest():
    with tags("nightly", "io"):
        raw = pull("https://example.com")
    parse(raw)
""",
    )
    pull, parse = flow_named(model, "ingest").tasks
    assert setting(pull, "retries") == (3, Provenance.DECORATOR)
    delay = pull.settings["retry_delay_seconds"].value
    assert isinstance(delay, ObjectValue) and delay.name == "exponential_backoff"
    assert setting(pull, "retry_jitter_factor") == (0.5, Provenance.DECORATOR)
    assert setting(pull, "timeout_seconds") == (600, Provenance.DECORATOR)
    assert setting(pull, "tags") == (["io", "nightly"], Provenance.CONTEXT)
    assert setting(pull, "cache_policy") == ("INPUTS+TASK_SOURCE", Provenance.DECORATOR)
    assert setting(pull, "cache_expiration") == (dt.timedelta(hours=6), Provenance.DECORATOR)
    assert setting(pull, "on_failure") == ([FunctionRef("alert")], Provenance.DECORATOR)
    assert setting(pull, "persist_result") == (True, Provenance.DECORATOR)
    assert setting(parse, "cache_key_fn") == (FunctionRef("task_input_hash"), Provenance.DECORATOR)
    assert setting(parse, "retry_delay_seconds") == ([1, 10, 60], Provenance.DECORATOR)
    # Prefect's defaults where nothing is written.
    assert setting(parse, "retries") == (0, Provenance.DEFAULT)
    assert setting(parse, "tags") == ([], Provenance.DEFAULT)
    assert setting(parse, "cache_expiration") == (None, Provenance.DEFAULT)
    assert setting(parse, "timeout_seconds") == (None, Provenance.DEFAULT)
    # A default points at the decorator, where the setting would be written.
    assert parse.settings["retries"].span == parse.definition


def test_flow_settings_hooks_by_decorator_and_docstring(tmp_path: Path) -> None:
    model = model_of(
        tmp_path,
        HEADER
        + '''
def page(flow, run, state): ...

@flow(retries=2, retry_delay_seconds=30, timeout_seconds=3600, on_failure=[page])
def billing():
    """Bills customers."""

@billing.on_crashed
def crashed(flow, run, state): ...

@billing.on_failure
def log_failure(flow, run, state): ...
''',
    )
    pipeline = flow_named(model, "billing")
    assert pipeline.kind == "flow-decorator" and pipeline.entrypoint_name == "billing"
    assert setting(pipeline, "retries") == (2, Provenance.DECORATOR)
    assert setting(pipeline, "timeout_seconds") == (3600, Provenance.DECORATOR)
    assert setting(pipeline, "on_failure")[0] == [FunctionRef("page"), FunctionRef("log_failure")]
    assert setting(pipeline, "on_crashed")[0] == [FunctionRef("crashed")]
    assert setting(pipeline, "on_cancellation") == ([], Provenance.DEFAULT)
    assert setting(pipeline, "description") == ("Bills customers.", Provenance.DEFAULT)


def test_with_options_copies(tmp_path: Path) -> None:
    model = model_of(
        tmp_path,
        HEADER
        + """
@task(retries=1, tags=["api"])
def fetch(): ...

fetch_patiently = fetch.with_options(name="fetch-patiently", retries=5)

@flow
def nightly():
    fetch()
    fetch_patiently()

weekly = nightly.with_options(name="weekly", timeout_seconds=60)
""",
    )
    fetch, patient = flow_named(model, "nightly").tasks
    assert (fetch.id, patient.id) == ("fetch", "fetch-patiently")
    assert setting(patient, "retries") == (5, Provenance.DECORATOR)
    assert setting(patient, "tags") == (["api"], Provenance.DECORATOR)  # inherited
    weekly = flow_named(model, "weekly")
    assert weekly.kind == "flow-with-options"
    assert setting(weekly, "timeout_seconds") == (60, Provenance.DECORATOR)
    assert [t.id for t in weekly.tasks] == ["fetch", "fetch-patiently"]
    # A copy's definition holds only the keywords its .with_options call writes.
    definitions = definitions_of(tmp_path / "flows.py")
    assert [(d.name, d.declared_as, sorted(d.settings)) for d in definitions] == [
        ("fetch", "decorator", ["retries", "tags"]),
        ("fetch-patiently", "with_options", ["name", "retries"]),
        ("nightly", "decorator", []),
        ("weekly", "with_options", ["name", "timeout_seconds"]),
    ]


def definitions_of(path: Path) -> list[Definition]:
    source = path.read_text()
    built = build_prefect_pipelines(
        path,
        libcst.parse_module(source),
        source,
        SpanTable(),
        ModuleConstants([path.parent], {}),
        package=None,
        target_prefect="3",
    )
    return built.definitions


def test_unresolvable_settings_are_unknown(tmp_path: Path) -> None:
    model = model_of(
        tmp_path,
        HEADER
        + """
import os
OPTIONS = load_options()

@task(retries=int(os.environ["RETRIES"]), **OPTIONS)
def sync(): ...

@flow
def mirror():
    sync()
""",
    )
    [sync] = flow_named(model, "mirror").tasks
    assert isinstance(sync.settings["retries"].value, Unknown)
    assert sync.settings["timeout_seconds"].provenance is Provenance.UNKNOWN


def test_deployments_in_code(tmp_path: Path) -> None:
    model = model_of(
        tmp_path,
        HEADER
        + """
from prefect import serve
from prefect.schedules import Cron

@flow
def etl(): ...

if __name__ == "__main__":
    etl.serve(name="etl-hourly", interval=3600, tags=["team:data"])
    nightly = etl.to_deployment("etl-nightly", schedules=[Cron("0 2 * * *", timezone="UTC")])
    etl.deploy(name="etl-prod", work_pool_name="k8s", cron="0 6 * * *", concurrency_limit=1)
    serve(nightly)
""",
    )
    pipeline = flow_named(model, "etl")
    summary = [
        (
            d.name,
            d.source,
            [(s.kind, s.value, s.timezone) for s in d.schedules],
            d.settings["tags"].value,
        )
        for d in pipeline.deployments
    ]
    assert summary == [
        ("etl-hourly", "serve", [("interval", 3600, None)], ["team:data"]),
        ("etl-nightly", "to_deployment", [("cron", "0 2 * * *", "UTC")], None),
        ("etl-prod", "deploy", [("cron", "0 6 * * *", None)], None),
    ]
    assert pipeline.deployments[2].settings["concurrency_limit"].value == 1
    assert [d.pipeline for d in model.deployments] == ["etl", "etl", "etl"]


def test_task_bodies_clock_reads_writes_and_deployment_runs(tmp_path: Path) -> None:
    model = model_of(
        tmp_path,
        HEADER
        + """
from datetime import datetime
import requests
from prefect.deployments import run_deployment
from prefect.transactions import transaction

@task(retries=2)
def load(df, path):
    stamp = datetime.now()
    df.to_parquet(path)
    with transaction(key="load"):
        df.to_sql("sales", con=None)
    df.to_sql("sales", con=None, if_exists="replace")
    requests.post("https://api.example.com/rows", json=[])
    requests.put("https://api.example.com/rows/1", json={})
    queue.put(df)
    with open(path, "w") as out:
        out.write("x")
    with open(path, "a") as log:
        log.write("x")
    df.to_csv(path, mode="a")
    df.to_parquet("s3://lake/sales/", partition_cols=["day"])
    s3.upload_file(path, "bucket", "sales/latest.parquet")
    run_deployment("export/daily", idempotency_key="x")

@flow
def nightly():
    run_deployment("report/daily")
    load(None, "/tmp/x")
""",
    )
    pipeline = flow_named(model, "nightly")
    [load] = pipeline.tasks
    assert [r.text for r in load.clock_reads] == ["datetime.now()"]
    assert [(w.text, w.repeatable) for w in load.writes] == [
        ("df.to_parquet(...)", True),  # one path: overwritten
        ("df.to_sql(...)", True),  # in a transaction
        ("df.to_sql(...)", True),  # if_exists="replace"
        ("requests.post(...)", False),
        ("requests.put(...)", True),
        ("open(..., 'w')", True),
        ("open(..., 'a')", False),
        ("df.to_csv(...)", False),
        ("df.to_parquet(...)", False),
        ("s3.upload_file(...)", True),
    ]
    assert [r.has_idempotency_key for r in load.deployment_runs] == [True]
    assert [r.has_idempotency_key for r in pipeline.deployment_runs] == [False]


def test_flow_and_task_names_from_keywords_and_functions(tmp_path: Path) -> None:
    model = model_of(
        tmp_path,
        HEADER
        + """
NAME = "orders-sync"

@flow(name=NAME)
def sync_orders(): ...

@flow(name=make_name())
def sync_customers(): ...
""",
    )
    named, computed = (p.id for p in model.pipelines)
    assert named == "orders-sync"
    assert computed == Unknown("name=make_name()")


PROJECT = """\
name: analytics
prefect-version: 3.8.8
deployments:
- name: etl-prod
  entrypoint: flows/etl.py:etl
  tags: [prod, "team:data"]
  concurrency_limit: 1
  schedules:
  - cron: "0 5 * * *"
    timezone: Europe/Paris
  - interval: 3600
- name: etl-adhoc
  entrypoint: flows/etl.py:etl
  tags: "{{ build.tags }}"
- name: orphan
  entrypoint: elsewhere.py:missing
  schedule:
    rrule: "FREQ=DAILY"
"""


def test_prefect_yaml_deployments_link_to_flows_through_entrypoint(tmp_path: Path) -> None:
    (tmp_path / "flows").mkdir()
    (tmp_path / "flows" / "etl.py").write_text(HEADER + "@flow\ndef etl(): ...\n")
    (tmp_path / "prefect.yaml").write_text(PROJECT)
    models = {m.path.name: m for m in build_models([tmp_path], target_prefect="3")}
    project = models["prefect.yaml"]
    prod, adhoc, orphan = project.deployments
    assert (prod.name, prod.source, prod.entrypoint) == (
        "etl-prod",
        "prefect.yaml",
        "flows/etl.py:etl",
    )
    assert [(s.kind, s.value, s.timezone) for s in prod.schedules] == [
        ("cron", "0 5 * * *", "Europe/Paris"),
        ("interval", 3600, None),
    ]
    assert prod.settings["tags"].value == ["prod", "team:data"]
    assert (prod.span.line, prod.settings["tags"].span.line) == (4, 6)
    assert isinstance(adhoc.settings["tags"].value, Unknown)  # templated at deploy time
    assert [(s.kind, s.value) for s in orphan.schedules] == [("rrule", "FREQ=DAILY")]
    assert (prod.pipeline, adhoc.pipeline, orphan.pipeline) == ("etl", "etl", None)
    assert [d.name for d in models["etl.py"].pipelines[0].deployments] == ["etl-prod", "etl-adhoc"]


@pytest.mark.parametrize(
    "text",
    [
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: prefect-worker\n",
        "kind: ConfigMap\n---\nkind: Service\n",
        "# prefect settings for the team\nretries: 3\n",
        "key: [unclosed\n",
    ],
    ids=["k8s-manifest", "multi-document", "other-mapping", "broken-non-project"],
)
def test_yaml_named_prefect_yaml_that_is_not_a_project_file_is_skipped(
    tmp_path: Path, text: str
) -> None:
    (tmp_path / "prefect.yaml").write_text(text)
    assert build_models([tmp_path]) == []


def test_broken_project_file_is_dc001(tmp_path: Path) -> None:
    (tmp_path / "prefect.yaml").write_text("deployments:\n- name: [unclosed\n")
    [model] = build_models([tmp_path])
    [finding] = model.findings
    assert finding.code == "DC001"
    assert finding.message.startswith("cannot parse prefect.yaml:")
    assert finding.span.line == 3


def alias_bomb(levels: int, width: int) -> str:
    """Each level an anchored list of ``width`` aliases of the one before: ``width**levels``
    scalars once expanded, from a file of a few hundred bytes."""
    lines = [f"a0: &a0 [{', '.join(['x'] * width)}]"]
    lines += [f"a{n}: &a{n} [{', '.join([f'*a{n - 1}'] * width)}]" for n in range(1, levels)]
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize(
    "definitions",
    # The bomb passes the budget in its last level (9**8 repeats): walking it costs the
    # budget, not the expansion. An alias inside its own anchor expands without end.
    [alias_bomb(levels=9, width=9), "a8: &a8 [x, *a8]\n"],
    ids=["nine-levels-of-nine", "self-reference"],
)
def test_project_file_whose_aliases_expand_past_the_budget_is_dc001(
    tmp_path: Path, definitions: str
) -> None:
    (tmp_path / "prefect.yaml").write_text(
        definitions + "deployments:\n- name: bomb\n  entrypoint: flows.py:etl\n  tags: *a8\n"
    )
    [model] = run([tmp_path], Options(select=("DC",)))
    assert [(f.code, f.message) for f in model.findings] == [
        ("DC001", "cannot read prefect.yaml: its aliases expand to more than 100,000 nodes")
    ]
    assert model.deployments == []


@pytest.mark.parametrize("tagged", ["!Ref [a]", "!!int nope", "!!bool maybe", "!!float [a]"])
def test_project_value_its_tag_cannot_build_is_unknown(tmp_path: Path, tagged: str) -> None:
    (tmp_path / "prefect.yaml").write_text(f"deployments:\n- name: x\n  tags: {tagged}\n")
    [model] = build_models([tmp_path])
    assert model.findings == []
    assert model.deployments[0].settings["tags"].value == Unknown(tagged)


def test_project_file_shares_definitions_through_aliases_and_merge_keys(tmp_path: Path) -> None:
    """The layout Prefect's documentation shows: ``definitions:`` anchored, deployments
    taking them whole (``*daily``) or merged under their own keys (``<<: *default``)."""
    (tmp_path / "prefect.yaml").write_text(
        textwrap.dedent(
            """\
            prefect-version: 3.0.0
            definitions:
              schedules:
                daily: &daily
                  cron: "0 5 * * *"
              deployment: &default
                tags: [team:data]
                work_pool: {name: k8s}
            deployments:
            - <<: *default
              name: etl-prod
              entrypoint: flows/etl.py:etl
              schedules: [*daily]
            - <<: *default
              name: etl-adhoc
              entrypoint: flows/etl.py:etl
              tags: [adhoc]
            """
        )
    )
    [model] = build_models([tmp_path])
    assert model.findings == []
    prod, adhoc = model.deployments
    assert [(s.kind, s.value) for s in prod.schedules] == [("cron", "0 5 * * *")]
    assert prod.settings["tags"].value == ["team:data"]
    assert prod.settings["tags"].span.line == 7  # where the shared value is written
    assert adhoc.settings["tags"].value == ["adhoc"]  # its own key wins over the merged one
    assert adhoc.settings["work_pool"].value == {"name": "k8s"}


def test_removed_prefect_2_apis_are_recorded_only_for_prefect_3(tmp_path: Path) -> None:
    source = HEADER + (
        "from prefect.deployments import Deployment\n"
        "from prefect.orion.schemas.schedules import CronSchedule\n"
        "@flow\ndef etl(): ...\n"
    )
    path = tmp_path / "legacy.py"
    path.write_text(source)
    three = run([path], Options(select=("DC807",), target_prefect="3"))[0].findings
    two = run([path], Options(select=("DC807",), target_prefect="2"))[0].findings
    assert [f.span.line for f in three] == [2, 3]
    assert two == []


def test_prefect_2_target_uses_prefect_2_task_defaults(tmp_path: Path) -> None:
    path = tmp_path / "flows.py"
    path.write_text(HEADER + "@task\ndef t(): ...\n@flow\ndef f():\n    t()\n")
    [model] = build_models([path], target_prefect="2")
    [task_model] = model.pipelines[0].tasks
    assert "cache_policy" not in task_model.settings and "on_running" not in task_model.settings
    assert model.pipelines[0].framework_version == "2"


def test_each_call_is_evaluated_once(tmp_path: Path) -> None:
    model = model_of(
        tmp_path,
        HEADER
        + """
@task
def count(day): return 1

@task
def report(total): ...

@flow
def daily():
    report(count("mon") + count("tue"))
    if count("wed"):
        report(1)
""",
    )
    pipeline = flow_named(model, "daily")
    assert graph(pipeline) == (
        ["count", "count__1", "report", "count__2", "report__1"],
        {("count", "report"), ("count__1", "report")},
    )


def test_run_tags_from_tags_contexts(tmp_path: Path) -> None:
    model = model_of(
        tmp_path,
        HEADER
        + """
from prefect import tags

@task(tags=["io"])
def pull(): ...

@flow
def child(): ...

@flow
def parent():
    with tags("nightly"):
        pull()
        child()
    pull()

if __name__ == "__main__":
    with tags("backfill", "finance"):
        parent()
""",
    )
    parent = flow_named(model, "parent")
    pull, child, pull_again = parent.tasks
    assert setting(pull, "tags") == (["io", "nightly"], Provenance.CONTEXT)
    assert setting(child, "tags") == (["nightly"], Provenance.CONTEXT)
    assert setting(pull_again, "tags") == (["io"], Provenance.DECORATOR)
    assert setting(parent, "tags") == (["backfill", "finance"], Provenance.CONTEXT)
    assert "tags" not in flow_named(model, "child").settings


def test_a_return_that_may_not_happen_does_not_hide_the_rest_of_the_flow(tmp_path: Path) -> None:
    model = model_of(
        tmp_path,
        HEADER
        + """
@task
def is_trading_day(): return True

@task
def load(): ...

@task
def notify(): ...

@flow
def daily():
    if not is_trading_day():
        return
    try:
        load()
    except ValueError:
        notify()
        raise
    notify()
    return
    load()  # never runs
""",
    )
    assert graph(flow_named(model, "daily"))[0] == ["is_trading_day", "load", "notify", "notify__1"]


def test_tasks_imported_from_the_scanned_tree_are_tasks_of_the_flow(tmp_path: Path) -> None:
    package = tmp_path / "pipelines"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "tasks.py").write_text(
        HEADER
        + "def page(*args): ...\n"
        + "@task(retries=2, on_failure=[page])\ndef load_orders(rows): ...\n"
        + "if __name__ == '__main__':\n    raise SystemExit\n"
    )
    (package / "orders.py").write_text(
        HEADER
        + "from .tasks import load_orders\n"
        + "from pipelines.tasks import load_orders as load_again\n"
        + "@task\ndef extract(): ...\n"
        + "@flow\ndef orders():\n    load_orders(extract())\n    load_again([])\n"
    )
    models = {m.path.name: m for m in build_models([tmp_path], target_prefect="3")}
    [flow] = models["orders.py"].pipelines
    assert graph(flow) == (
        ["extract", "load_orders", "load_orders__1"],
        {("extract", "load_orders")},
    )
    assert flow.complete
    _, imported, _ = flow.tasks
    assert setting(imported, "retries") == (2, Provenance.DECORATOR)
    assert setting(imported, "on_failure") == ([FunctionRef("page")], Provenance.DECORATOR)
    # Written in tasks.py: nothing about it points into orders.py's lines.
    assert imported.definition is None and imported.settings["retries"].span is None


def test_calls_into_code_outside_the_scanned_files_make_the_flow_incomplete(
    tmp_path: Path,
) -> None:
    model = model_of(
        tmp_path,
        HEADER
        + """
import json
import pandas as pd
from company_lib.loaders import load_orders

@flow
def with_library():
    pd.DataFrame(json.loads("[]"))

@flow
def with_unseen_code():
    load_orders()
""",
    )
    assert flow_named(model, "with-library").complete
    unseen = flow_named(model, "with-unseen-code")
    assert not unseen.complete
    assert unseen.incomplete_reasons == [
        "the call `load_orders` (from company_lib.loaders) is not followed statically"
    ]


def test_a_deployment_of_a_flow_imported_from_another_file_links_to_it(tmp_path: Path) -> None:
    (tmp_path / "etl.py").write_text(HEADER + "@flow(name='daily-etl')\ndef etl(): ...\n")
    (tmp_path / "serve.py").write_text(
        "from etl import etl\n"
        "from prefect.schedules import Cron\n"
        "if __name__ == '__main__':\n"
        "    etl.serve(schedules=[Cron('0 2 * * *', timezone='UTC')])\n"
    )
    models = {m.path.name: m for m in build_models([tmp_path], target_prefect="3")}
    [deployment] = models["serve.py"].deployments
    assert (deployment.name, deployment.entrypoint, deployment.pipeline) == (
        "daily-etl",
        "etl.py:etl",
        "daily-etl",
    )
    assert models["etl.py"].pipelines[0].deployments == [deployment]


ODD_BUT_VALID = [
    pytest.param(
        """
        def chain(n):
            return chain(n + 1)

        @flow
        def spiral():
            chain(0)
        """,
        id="endless-recursion-in-a-helper",
    ),
    pytest.param(
        """
        @flow
        def again(n: int):
            if n:
                again(n - 1)
        """,
        id="flow-calling-itself",
    ),
    pytest.param(
        """
        @task
        def touch(i): ...

        @flow
        def wide():
            for i in range(10**9):
                touch(i)
            for i in range(3000):
                for j in range(3000):
                    touch(j)
        """,
        id="loops-beyond-the-iteration-budget",
    ),
    pytest.param(
        """
        anonymous = task(lambda rows: rows)
        odd = flow(name="odd")(print)
        star = task(*[lambda: 1])
        settings = {"retries": 2}
        configured = task(**settings)(lambda: 1)

        @flow
        def weird(*args, **kwargs):
            anonymous([1])
            odd()
            star()
            configured()
            [touch() for touch in kwargs.values()]
            (lambda: anonymous([2]))()
        """,
        id="lambdas-builtins-and-splats",
    ),
    pytest.param(
        """
        from circular_b import helper_b

        @task
        def helper_a(): ...

        @flow
        def loop():
            helper_b()
        """,
        id="import-cycle",
    ),
]


@pytest.mark.parametrize("source", ODD_BUT_VALID)
def test_odd_but_valid_flow_files_are_modelled_without_error(tmp_path: Path, source: str) -> None:
    (tmp_path / "circular_b.py").write_text(
        "from prefect import task\nfrom flows import helper_a\n@task\ndef helper_b(): ...\n"
    )
    model = model_of(tmp_path, HEADER + textwrap.dedent(source))
    assert model.pipelines
    assert sum(len(p.tasks) for p in model.pipelines) < 20_000
