"""The static Airflow builder on small inline DAG sources, where a fixture file is overkill.

Each case is a source and the DAGs it must produce. Every expectation was checked against
Airflow's DagBag (apache-airflow 3.3.2, task-sdk 1.3.2) loading the source from a file;
``test_inline_expectation_is_airflow_truth`` repeats that whenever Airflow is installed. The
Airflow 2 case was also loaded with DagBag 2.10.5, for its Airflow 2 defaults.
"""

from __future__ import annotations

import textwrap
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from expected_dags import (
    BASH,
    DAG,
    DECORATOR,
    DEFAULT,
    DEFAULT_ARGS,
    EMPTY,
    PYTHON,
    SOME_VALUE,
    TASK,
    UNKNOWN,
    UNKNOWN_VALUE,
    BuildPipelines,
    ExpectedDag,
    airflow_python,
    assert_known_values_are_true,
    assert_model_matches,
    assert_truth_matches,
    known_task_ids,
    load_truth,
)

from dagcheck.model.pipeline import Unknown

HEADER = """\
from datetime import datetime, timedelta

from airflow.providers.standard.operators.bash import BashOperator
from airflow.providers.standard.operators.empty import EmptyOperator
from airflow.sdk import DAG, TaskGroup, TriggerRule, dag, task
"""


def dag_source(body: str) -> str:
    """A DAG file: the usual Airflow 3 imports, then ``body``."""
    return HEADER + "\n" + textwrap.dedent(body)


INLINE_CASES = [
    # checked against DagBag 3.3.2
    pytest.param(
        dag_source(
            """
            with DAG(dag_id="manual_only", start_date=datetime(2024, 1, 1)):
                EmptyOperator(task_id="noop")
            """
        ),
        [
            ExpectedDag(
                dag_id="manual_only",
                kind="dag-context",
                tasks={"noop": EMPTY},
                dag_settings={"schedule": (None, DEFAULT), "catchup": (False, DEFAULT)},
            )
        ],
        id="airflow3-defaults-schedule-none-catchup-false",
    ),
    # checked against DagBag 2.10.5 (catchup defaults to True: [scheduler] catchup_by_default)
    # and, all but that default, against DagBag 3.3.2
    pytest.param(
        textwrap.dedent(
            """\
            from datetime import datetime

            from airflow import DAG
            from airflow.operators.empty import EmptyOperator

            with DAG("legacy_daily", schedule="@daily", start_date=datetime(2023, 1, 1)):
                EmptyOperator(task_id="noop")
            """
        ),
        [
            ExpectedDag(
                dag_id="legacy_daily",
                kind="dag-context",
                tasks={"noop": EMPTY},
                dag_settings={"schedule": ("@daily", DAG), "catchup": (True, DEFAULT)},
                target_airflow="2",
            )
        ],
        id="airflow2-target-catchup-defaults-true",
    ),
    # checked against DagBag 3.3.2
    pytest.param(
        dag_source(
            """
            DAG_ID = "sales_rollup"
            PREFIX = "sales"

            with DAG(dag_id=DAG_ID, schedule=None, start_date=datetime(2024, 1, 1)):
                extract = BashOperator(task_id=f"{PREFIX}_extract", bash_command="echo extract")
                load = BashOperator(task_id=PREFIX + "_load", bash_command="echo load")
                extract >> load
            """
        ),
        [
            ExpectedDag(
                dag_id="sales_rollup",
                kind="dag-context",
                tasks={"sales_extract": BASH, "sales_load": BASH},
                edges=["sales_extract >> sales_load"],
            )
        ],
        id="ids-from-module-constants-fstring-and-concatenation",
    ),
    # checked against DagBag 3.3.2
    pytest.param(
        dag_source(
            """
            BASE = {"owner": "data", "retries": 1}
            ARGS = BASE | {"retries": 2, "max_active_runs": 1}
            ARGS["retry_delay"] = timedelta(minutes=1)
            ARGS.update({"owner": "sales"})

            with DAG(
                dag_id="merged_args",
                schedule=None,
                default_args={**ARGS, "start_date": datetime(2024, 1, 1)},
            ):
                task_id = "load"
                task_id += "_eu"
                BashOperator(task_id=task_id, bash_command="echo load")
            """
        ),
        [
            ExpectedDag(
                dag_id="merged_args",
                kind="dag-context",
                tasks={"load_eu": BASH},
                task_settings={
                    "load_eu": {
                        "owner": ("sales", DEFAULT_ARGS),
                        "retries": (2, DEFAULT_ARGS),
                        "retry_delay": (timedelta(minutes=1), DEFAULT_ARGS),
                    }
                },
                # max_active_runs in default_args reaches no task and not the DAG either.
                dag_settings={"max_active_runs": (16, DEFAULT)},
            )
        ],
        id="default-args-merged-changed-in-place-and-ids-extended",
    ),
    # checked against DagBag 3.3.2
    pytest.param(
        dag_source(
            """
            daily = DAG(
                dag_id="daily_report",
                schedule="@daily",
                start_date=datetime(2024, 1, 1),
                default_args={"owner": "reporting"},
            )
            weekly = DAG("weekly_report", schedule="@weekly", start_date=datetime(2024, 1, 1))

            BashOperator(task_id="build", bash_command="echo daily", dag=daily)
            build_weekly = BashOperator(task_id="build", bash_command="echo weekly", dag=weekly)
            mail_weekly = BashOperator(task_id="mail", bash_command="echo mail", dag=weekly)
            build_weekly >> mail_weekly
            """
        ),
        [
            ExpectedDag(
                dag_id="daily_report",
                kind="dag-constructor",
                tasks={"build": BASH},
                task_settings={"build": {"owner": ("reporting", DEFAULT_ARGS)}},
                dag_settings={"schedule": ("@daily", DAG)},
            ),
            ExpectedDag(
                dag_id="weekly_report",
                kind="dag-constructor",
                tasks={"build": BASH, "mail": BASH},
                edges=["build >> mail"],
                task_settings={"build": {"owner": ("airflow", DEFAULT)}},
                dag_settings={"schedule": ("@weekly", DAG)},
            ),
        ],
        id="two-dags-in-one-file-dag-kwarg-routes-tasks",
    ),
    # checked against DagBag 3.3.2 (without TASK_OVERRIDES set: retries 0, owner airflow)
    pytest.param(
        dag_source(
            """
            import json
            import os

            # Per-deployment task overrides, e.g. TASK_OVERRIDES='{"retries": 5}' in production.
            OVERRIDES = json.loads(os.environ.get("TASK_OVERRIDES", "{}"))

            with DAG(dag_id="splatted_kwargs", schedule=None, start_date=datetime(2024, 1, 1)):
                quick = BashOperator(task_id="quick", bash_command="echo 1", **OVERRIDES)
                owned = BashOperator(task_id="owned", bash_command="echo", owner="ops", **OVERRIDES)
                quick >> owned
            """
        ),
        [
            ExpectedDag(
                dag_id="splatted_kwargs",
                kind="dag-context",
                tasks={"quick": BASH, "owned": BASH},
                edges=["quick >> owned"],
                task_settings={
                    "quick": {
                        "retries": (UNKNOWN_VALUE, UNKNOWN),
                        "owner": (UNKNOWN_VALUE, UNKNOWN),
                    },
                    "owned": {
                        "retries": (UNKNOWN_VALUE, UNKNOWN),
                        "owner": ("ops", TASK),
                    },
                },
            )
        ],
        id="task-kwargs-splat-makes-settings-unknown",
    ),
    # checked against DagBag 3.3.2
    pytest.param(
        dag_source(
            """
            with DAG(
                dag_id="group_defaults",
                schedule=None,
                start_date=datetime(2024, 1, 1),
                default_args={"retries": 1},
            ):
                with TaskGroup("flaky_apis", default_args={"retries": 5}):
                    BashOperator(task_id="pull_weather", bash_command="echo weather")
                    BashOperator(task_id="pull_tides", bash_command="echo tides", retries=2)
                with TaskGroup("raw", prefix_group_id=False):
                    EmptyOperator(task_id="raw_landed")
                EmptyOperator(task_id="summary")
            """
        ),
        [
            ExpectedDag(
                dag_id="group_defaults",
                kind="dag-context",
                tasks={
                    "flaky_apis.pull_weather": BASH,
                    "flaky_apis.pull_tides": BASH,
                    "raw_landed": EMPTY,
                    "summary": EMPTY,
                },
                groups={"flaky_apis": None, "raw": None},
                grouped={
                    "flaky_apis.pull_weather": "flaky_apis",
                    "flaky_apis.pull_tides": "flaky_apis",
                    "raw_landed": "raw",
                },
                task_settings={
                    "flaky_apis.pull_weather": {"retries": (5, DEFAULT_ARGS)},
                    "flaky_apis.pull_tides": {"retries": (2, TASK)},
                    "raw_landed": {"retries": (1, DEFAULT_ARGS)},
                    "summary": {"retries": (1, DEFAULT_ARGS)},
                },
            )
        ],
        id="task-group-default-args-and-unprefixed-group",
    ),
    # checked against DagBag 3.3.2
    pytest.param(
        dag_source(
            """
            @task
            def extract() -> list[int]:
                return [1, 2, 3]


            @task(retries=2, trigger_rule="none_failed")
            def load(rows: list[int]) -> None:
                print(rows)


            with DAG(dag_id="taskflow_in_context", schedule=None, start_date=datetime(2024, 1, 1)):
                load(extract())
            """
        ),
        [
            ExpectedDag(
                dag_id="taskflow_in_context",
                kind="dag-context",
                tasks={"extract": PYTHON, "load": PYTHON},
                edges=["extract >> load"],
                task_settings={
                    "extract": {"retries": (0, DEFAULT)},
                    "load": {"retries": (2, DECORATOR), "trigger_rule": ("none_failed", DECORATOR)},
                },
            )
        ],
        id="module-level-taskflow-called-in-with-dag",
    ),
    # checked against DagBag 3.3.2
    pytest.param(
        dag_source(
            """
            @dag(schedule=None, start_date=datetime(2024, 1, 1))
            def rates_to_json():
                fetch = BashOperator(task_id="fetch", bash_command="curl -s https://example.com")

                @task
                def parse(payload: str) -> dict:
                    return {"raw": payload}

                parse(fetch.output)


            rates_to_json()
            """
        ),
        [
            ExpectedDag(
                dag_id="rates_to_json",
                kind="dag-decorator",
                tasks={"fetch": BASH, "parse": PYTHON},
                edges=["fetch >> parse"],
            )
        ],
        id="classic-operator-output-feeds-taskflow",
    ),
    # checked against DagBag 3.3.2
    pytest.param(
        dag_source(
            """
            with DAG(dag_id="compaction", schedule="@daily", start_date=datetime(2024, 1, 1)):
                for table, partitions in [("orders", 4), ("events", 16)]:
                    BashOperator(
                        task_id=f"compact_{table}",
                        bash_command=f"echo compact {table} {partitions}",
                    )
                for shard in range(3):
                    EmptyOperator(task_id=f"check_shard_{shard}")
            """
        ),
        [
            ExpectedDag(
                dag_id="compaction",
                kind="dag-context",
                tasks={
                    "compact_orders": BASH,
                    "compact_events": BASH,
                    "check_shard_0": EMPTY,
                    "check_shard_1": EMPTY,
                    "check_shard_2": EMPTY,
                },
            )
        ],
        id="loops-over-literal-tuples-and-range",
    ),
    # checked against DagBag 3.3.2
    pytest.param(
        textwrap.dedent(
            """\
            from datetime import datetime

            from airflow.providers.standard.operators import bash
            from airflow.sdk import DAG

            with DAG(dag_id="module_operator", schedule=None, start_date=datetime(2024, 1, 1)):
                bash.BashOperator(task_id="hello", bash_command="echo hello")
            """
        ),
        [
            ExpectedDag(
                dag_id="module_operator",
                kind="dag-context",
                tasks={"hello": BASH},
                operators={"hello": "BashOperator"},
            )
        ],
        id="operator-through-its-module",
    ),
    # checked against DagBag 3.3.2
    pytest.param(
        dag_source(
            """
            def notify_oncall(context) -> None:
                print("page the on-call engineer", context)


            with DAG(
                dag_id="callbacks_and_rules",
                schedule=None,
                start_date=datetime(2024, 1, 1),
                on_failure_callback=notify_oncall,
                default_args={
                    "on_failure_callback": notify_oncall,
                    "retry_delay": timedelta(seconds=90),
                },
            ):
                work = BashOperator(task_id="work", bash_command="echo work")
                cleanup = EmptyOperator(task_id="cleanup", trigger_rule=TriggerRule.ALL_DONE)
                work >> cleanup
            """
        ),
        [
            ExpectedDag(
                dag_id="callbacks_and_rules",
                kind="dag-context",
                tasks={"work": BASH, "cleanup": EMPTY},
                edges=["work >> cleanup"],
                task_settings={
                    "work": {
                        "on_failure_callback": (SOME_VALUE, DEFAULT_ARGS),
                        "retry_delay": (timedelta(seconds=90), DEFAULT_ARGS),
                        "trigger_rule": ("all_success", DEFAULT),
                    },
                    "cleanup": {"trigger_rule": ("all_done", TASK)},
                },
                dag_settings={"on_failure_callback": (SOME_VALUE, DAG)},
            )
        ],
        id="callbacks-and-trigger-rule-enum",
    ),
    # checked against DagBag 3.3.2
    pytest.param(
        textwrap.dedent(
            """\
            from datetime import datetime

            from airflow.sdk import DAG

            try:
                from airflow.providers.standard.operators.bash import BashOperator
            except ImportError:  # Airflow 2 without the standard provider
                from airflow.operators.bash import BashOperator

            with DAG(dag_id="portable_imports", schedule=None, start_date=datetime(2024, 1, 1)):
                BashOperator(task_id="hello", bash_command="echo hello", retries=1)
            """
        ),
        [
            ExpectedDag(
                dag_id="portable_imports",
                kind="dag-context",
                tasks={"hello": BASH},
                operators={"hello": "BashOperator"},
                task_settings={"hello": {"retries": (1, TASK)}},
            )
        ],
        id="operator-imported-in-try-except-fallback",
    ),
    # checked against DagBag 3.3.2
    pytest.param(
        dag_source(
            """
            @dag(schedule=None, start_date=datetime(2024, 1, 1))
            def grouped_taskflow():
                @task
                def extract() -> int:
                    return 1

                @task
                def load(value: int) -> None:
                    print(value)

                with TaskGroup("io"):
                    raw = extract()
                    load.override(task_id="load_raw")(raw)
                load(raw)


            grouped_taskflow()
            """
        ),
        [
            ExpectedDag(
                dag_id="grouped_taskflow",
                kind="dag-decorator",
                tasks={"io.extract": PYTHON, "io.load_raw": PYTHON, "load": PYTHON},
                edges=["io.extract >> io.load_raw", "io.extract >> load"],
                groups={"io": None},
                grouped={"io.extract": "io", "io.load_raw": "io"},
            )
        ],
        id="taskflow-calls-inside-task-group-context",
    ),
    # checked against DagBag 3.3.2
    pytest.param(
        dag_source(
            """
            with DAG(dag_id="first_regions", schedule=None, start_date=datetime(2024, 1, 1)):
                for region in ["eu", "us", "skip", "apac", "stop", "latam"]:
                    if region == "skip":
                        continue
                    if region == "stop":
                        break
                    EmptyOperator(task_id=f"load_{region}")
                else:
                    EmptyOperator(task_id="never_reached")
            """
        ),
        [
            ExpectedDag(
                dag_id="first_regions",
                kind="dag-context",
                tasks={"load_eu": EMPTY, "load_us": EMPTY, "load_apac": EMPTY},
            )
        ],
        id="loop-with-break-and-continue",
    ),
    # checked against DagBag 3.3.2 (deadline=: Airflow 3.1+, DAG-run level)
    pytest.param(
        dag_source(
            """
            from airflow.sdk import AsyncCallback, DeadlineAlert, DeadlineReference


            async def page_on_call(**kwargs):
                pass


            with DAG(
                dag_id="with_deadline",
                schedule="@daily",
                start_date=datetime(2024, 1, 1),
                deadline=DeadlineAlert(
                    reference=DeadlineReference.DAGRUN_QUEUED_AT,
                    interval=timedelta(hours=2),
                    callback=AsyncCallback(page_on_call),
                ),
            ):
                EmptyOperator(task_id="noop")
            """
        ),
        [
            ExpectedDag(
                dag_id="with_deadline",
                kind="dag-context",
                tasks={"noop": EMPTY},
                # A framework object: compared with Airflow's by class (DeadlineAlert).
                dag_settings={"deadline": (SOME_VALUE, DAG)},
            )
        ],
        id="deadline-alert-is-set",
    ),
    # checked against DagBag 3.3.2
    pytest.param(
        dag_source(
            """
            with DAG(dag_id="documented", schedule=None, start_date=datetime(2024, 1, 1)) as d:
                noop = EmptyOperator(task_id="noop")
                noop.doc_md = "Does nothing, on purpose."
            d.doc_md = "Set after the DAG was built."
            """
        ),
        [
            ExpectedDag(
                dag_id="documented",
                kind="dag-context",
                tasks={"noop": EMPTY},
                dag_settings={"doc_md": ("Set after the DAG was built.", DAG)},
                task_settings={"noop": {"doc_md": ("Does nothing, on purpose.", TASK)}},
            )
        ],
        id="doc-md-assigned-after-construction",
    ),
]

# Sources that mention Airflow but define no DAG: the model must hold no pipeline either.
NO_DAG_CASES = [
    # checked against DagBag 3.3.2: no DAG, no import error
    pytest.param(
        dag_source(
            """
            @dag(schedule="@daily", start_date=datetime(2024, 1, 1))
            def forgotten():
                EmptyOperator(task_id="never_scheduled")
            """
        ),
        id="dag-function-never-called",
    ),
    # checked against DagBag 3.3.2: no DAG, no import error
    pytest.param(
        textwrap.dedent(
            """\
            from airflow.sdk import BaseOperator


            class WarehouseOperator(BaseOperator):
                def __init__(self, table: str, **kwargs) -> None:
                    super().__init__(**kwargs)
                    self.table = table

                def execute(self, context) -> None:
                    print(self.table)
            """
        ),
        id="custom-operator-module",
    ),
]


# Code a static reader may or may not follow. Each case is Airflow's graph (checked against
# DagBag 3.3.2, with none of the environment variables set). The model must either reproduce
# it exactly, or say it is incomplete and then claim no task or edge that Airflow lacks.
EXACT_OR_INCOMPLETE_CASES = [
    pytest.param(
        dag_source(
            """
            import json
            import os

            with DAG("linked_after_block", schedule=None, start_date=datetime(2024, 1, 1)) as dag:
                start = EmptyOperator(task_id="start")

            for name in json.loads(os.environ.get("EXTRA_TASKS", '["audit"]')):
                start >> EmptyOperator(task_id=f"extra_{name}", dag=dag)
            """
        ),
        ExpectedDag(
            dag_id="linked_after_block",
            kind="dag-context",
            tasks={"start": EMPTY, "extra_audit": EMPTY},
            edges=["start >> extra_audit"],
        ),
        id="tasks-added-after-the-with-block-in-a-loop-not-followed",
    ),
    pytest.param(
        dag_source(
            """
            def add_quality_check(table: str) -> BashOperator:
                return BashOperator(task_id=f"check_{table}", bash_command=f"echo {table}")


            with DAG(dag_id="helper_built_tasks", schedule=None, start_date=datetime(2024, 1, 1)):
                load = EmptyOperator(task_id="load")
                load >> add_quality_check("orders")
                load >> add_quality_check("refunds")
            """
        ),
        ExpectedDag(
            dag_id="helper_built_tasks",
            kind="dag-context",
            tasks={"load": EMPTY, "check_orders": BASH, "check_refunds": BASH},
            edges=["load >> check_orders", "load >> check_refunds"],
        ),
        id="tasks-built-by-a-helper-function",
    ),
    pytest.param(
        dag_source(
            """
            with DAG(dag_id="comprehensions", schedule=None, start_date=datetime(2024, 1, 1)):
                start = EmptyOperator(task_id="start")
                loads = [
                    BashOperator(task_id=f"load_{table}", bash_command=f"echo {table}")
                    for table in ["users", "plans"]
                ]
                checks = {name: EmptyOperator(task_id=f"check_{name}") for name in ["rows", "keys"]}
                start >> loads
                loads[0] >> checks["rows"]
                loads[1] >> checks["keys"]
            """
        ),
        ExpectedDag(
            dag_id="comprehensions",
            kind="dag-context",
            tasks={
                "start": EMPTY,
                "load_users": BASH,
                "load_plans": BASH,
                "check_rows": EMPTY,
                "check_keys": EMPTY,
            },
            edges=[
                "start >> load_users",
                "start >> load_plans",
                "load_users >> check_rows",
                "load_plans >> check_keys",
            ],
        ),
        id="tasks-built-in-comprehensions",
    ),
    pytest.param(
        dag_source(
            """
            from airflow.sdk import chain

            with DAG(dag_id="pairwise_wiring", schedule=None, start_date=datetime(2024, 1, 1)):
                steps = [EmptyOperator(task_id=name) for name in ["extract", "transform", "load"]]
                for upstream, downstream in zip(steps, steps[1:]):
                    upstream >> downstream
                audits = [EmptyOperator(task_id=f"audit_{n}") for n in range(2)]
                chain(*audits)
            """
        ),
        ExpectedDag(
            dag_id="pairwise_wiring",
            kind="dag-context",
            tasks=dict.fromkeys(["extract", "transform", "load", "audit_0", "audit_1"], EMPTY),
            edges=["extract >> transform", "transform >> load", "audit_0 >> audit_1"],
        ),
        id="edges-from-zip-and-chain-star-args",
    ),
    pytest.param(
        dag_source(
            """
            import os

            with DAG(dag_id="env_switches", schedule=None, start_date=datetime(2024, 1, 1)):
                ingest = EmptyOperator(task_id="ingest")
                if os.environ.get("ENABLE_BACKFILL_CHECK"):
                    ingest >> EmptyOperator(task_id="backfill_check")
                for shard in range(int(os.environ.get("SHARDS", "2"))):
                    ingest >> EmptyOperator(task_id=f"shard_{shard}")
            """
        ),
        ExpectedDag(
            dag_id="env_switches",
            kind="dag-context",
            tasks=dict.fromkeys(["ingest", "shard_0", "shard_1"], EMPTY),
            edges=["ingest >> shard_0", "ingest >> shard_1"],
        ),
        id="tasks-switched-by-environment",
    ),
    pytest.param(
        dag_source(
            """
            from pathlib import Path

            with DAG(dag_id=Path(__file__).stem, schedule=None, start_date=datetime(2024, 1, 1)):
                EmptyOperator(task_id="only_task")
            """
        ),
        ExpectedDag(
            dag_id="dag_under_test",
            kind="dag-context",
            tasks={"only_task": EMPTY},
        ),
        id="dag-id-from-file-name",
    ),
]


def write_source(folder: Path, source: str) -> Path:
    path = folder / "dag_under_test.py"
    path.write_text(source, encoding="utf-8")
    return path


@pytest.mark.parametrize(("source", "expected_dags"), INLINE_CASES)
def test_builder_models_inline_source(
    source: str,
    expected_dags: list[ExpectedDag],
    tmp_path: Path,
    pipelines_by_id: BuildPipelines,
) -> None:
    target = expected_dags[0].target_airflow
    pipelines = pipelines_by_id(write_source(tmp_path, source), target_airflow=target)
    assert set(pipelines) == {expected.dag_id for expected in expected_dags}
    for expected in expected_dags:
        assert_model_matches(pipelines[expected.dag_id], expected)


@pytest.mark.parametrize("source", NO_DAG_CASES)
def test_builder_models_no_pipeline(
    source: str, tmp_path: Path, pipelines_by_id: BuildPipelines
) -> None:
    assert pipelines_by_id(write_source(tmp_path, source)) == {}


@pytest.mark.parametrize(("source", "truth"), EXACT_OR_INCOMPLETE_CASES)
def test_builder_is_exact_or_says_incomplete(
    source: str, truth: ExpectedDag, tmp_path: Path, pipelines_by_id: BuildPipelines
) -> None:
    (pipeline,) = pipelines_by_id(write_source(tmp_path, source)).values()
    assert pipeline.id == truth.dag_id or isinstance(pipeline.id, Unknown)
    if pipeline.complete:
        assert_model_matches(pipeline, truth)
    else:
        assert pipeline.incomplete_reasons
        known = known_task_ids(pipeline)
        assert known <= set(truth.tasks)
        assert {(edge.upstream, edge.downstream) for edge in pipeline.edges} <= truth.edge_pairs


@pytest.fixture(scope="session")
def inline_truth(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """DagBag's view of every inline source, keyed by the source text."""
    python = airflow_python()
    sources_folder = tmp_path_factory.mktemp("inline_sources")
    cases = [*INLINE_CASES, *NO_DAG_CASES, *EXACT_OR_INCOMPLETE_CASES]
    files = {}
    for number, case in enumerate(cases):
        source = case.values[0]
        folder = sources_folder / str(number)
        folder.mkdir()
        files[source] = write_source(folder, source)
    truth = load_truth(python, sources_folder, files.values(), tmp_path_factory.mktemp("dagbag"))
    return {source: truth[str(path)] for source, path in files.items()}


@pytest.mark.parametrize(("source", "expected_dags"), INLINE_CASES)
def test_inline_expectation_is_airflow_truth(
    source: str, expected_dags: list[ExpectedDag], inline_truth: dict[str, Any]
) -> None:
    truth = inline_truth[source]
    assert truth["import_errors"] == {}
    assert set(truth["dags"]) == {expected.dag_id for expected in expected_dags}
    for expected in expected_dags:
        assert_truth_matches(truth["dags"][expected.dag_id], expected)


@pytest.mark.parametrize(("source", "expected"), EXACT_OR_INCOMPLETE_CASES)
def test_exact_or_incomplete_graph_is_airflow_truth(
    source: str, expected: ExpectedDag, inline_truth: dict[str, Any]
) -> None:
    truth = inline_truth[source]
    assert truth["import_errors"] == {}
    assert set(truth["dags"]) == {expected.dag_id}
    assert_truth_matches(truth["dags"][expected.dag_id], expected)


@pytest.mark.parametrize(
    ("source", "expected_dags"),
    [
        *INLINE_CASES,
        *(
            pytest.param(case.values[0], [case.values[1]], id=case.id)
            for case in EXACT_OR_INCOMPLETE_CASES
        ),
    ],
)
def test_known_inline_values_agree_with_airflow(
    source: str,
    expected_dags: list[ExpectedDag],
    tmp_path: Path,
    pipelines_by_id: BuildPipelines,
    inline_truth: dict[str, Any],
) -> None:
    """Beyond the chosen settings of the cases: every value the model knows is Airflow's."""
    target = expected_dags[0].target_airflow
    pipelines = pipelines_by_id(write_source(tmp_path, source), target_airflow=target)
    truth = inline_truth[source]["dags"]
    for expected in expected_dags:
        pipeline = pipelines.get(expected.dag_id)
        if pipeline is not None:
            assert_known_values_are_true(pipeline, truth[expected.dag_id], target_airflow=target)


@pytest.mark.parametrize("source", NO_DAG_CASES)
def test_no_dag_expectation_is_airflow_truth(source: str, inline_truth: dict[str, Any]) -> None:
    assert inline_truth[source] == {"dags": {}, "import_errors": {}}
