"""The static Airflow builder on the fixture DAGs in fixtures/airflow/.

Each case names a fixture file and what the model of one of its DAGs must be. Every
expectation was checked against Airflow's own DagBag (apache-airflow 3.3.2, task-sdk 1.3.2)
loading the same file with fixtures/airflow on sys.path, as Airflow does with its dags folder;
``test_expectation_is_airflow_truth`` repeats that check whenever Airflow is installed. The one
Airflow 2 fixture was also loaded with DagBag 2.10.5: its framework defaults are Airflow 2's,
which the automatic check (an Airflow 3 DagBag) skips.
"""

from __future__ import annotations

import ast
from collections import defaultdict
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
    FIXTURES,
    PYTHON,
    SENSOR,
    SQL,
    TASK,
    TRIGGER,
    UNKNOWN,
    UNKNOWN_VALUE,
    BuildPipelines,
    ExpectedDag,
    Seconds,
    airflow_python,
    assert_known_values_are_true,
    assert_model_matches,
    assert_truth_matches,
    load_truth,
)

from dagcheck.engine import build_models
from dagcheck.model.pipeline import Span

FIVE_MINUTES = timedelta(seconds=300)

DECLARATION_CASES = [
    # checked against DagBag 3.3.2
    pytest.param(
        "dag_constructor_dag_kwarg.py",
        ExpectedDag(
            dag_id="orders_nightly_export",
            kind="dag-constructor",
            tasks={"start": EMPTY, "export_orders": BASH, "publish": BASH},
            edges=["start >> export_orders", "export_orders >> publish"],
            operators={"start": "EmptyOperator", "export_orders": "BashOperator"},
            task_settings={
                "start": {
                    "retries": (2, DEFAULT_ARGS),
                    "owner": ("data-platform", DEFAULT_ARGS),
                    "retry_delay": (FIVE_MINUTES, DEFAULT),
                    "trigger_rule": ("all_success", DEFAULT),
                },
                "export_orders": {
                    "retries": (2, DEFAULT_ARGS),
                    "retry_delay": (timedelta(minutes=10), TASK),
                    "execution_timeout": (timedelta(minutes=45), TASK),
                },
            },
            dag_settings={
                "schedule": ("0 2 * * *", DAG),
                "catchup": (False, DAG),
                "max_active_runs": (1, DAG),
                "dagrun_timeout": (timedelta(hours=2), DAG),
                "tags": (["orders", "export"], DAG),
                "description": ("Export yesterday's orders to the warehouse bucket", DAG),
            },
        ),
        id="dag-constructor-tasks-attached-by-dag-kwarg",
    ),
    # checked against DagBag 3.3.2
    pytest.param(
        "dag_context_manager.py",
        ExpectedDag(
            dag_id="clickstream_hourly_rollup",
            kind="dag-context",
            tasks={"land_files": BASH, "rollup": PYTHON},
            edges=["land_files >> rollup"],
            operators={"rollup": "PythonOperator"},
            callables={"rollup": "rollup_clicks"},
            task_settings={
                "land_files": {"retries": (3, TASK), "owner": ("web-analytics", TASK)},
                "rollup": {
                    "retries": (0, DEFAULT),
                    "owner": ("airflow", DEFAULT),
                    "pool": ("default_pool", DEFAULT),
                },
            },
            dag_settings={
                "schedule": ("@hourly", DAG),
                "catchup": (True, DAG),
                "max_active_runs": (3, DAG),
                "tags": (["clickstream"], DAG),
            },
        ),
        id="with-dag-context-manager",
    ),
    # checked against DagBag 3.3.2
    pytest.param(
        "dag_decorator.py",
        ExpectedDag(
            dag_id="currency_rates_daily",
            kind="dag-decorator",
            tasks={"fetch_rates": PYTHON, "store_rates": PYTHON},
            edges=["fetch_rates >> store_rates"],
            operators={"fetch_rates": "task", "store_rates": "task"},
            task_settings={
                "fetch_rates": {
                    "retries": (1, DEFAULT_ARGS),
                    "retry_delay": (timedelta(minutes=2), DEFAULT_ARGS),
                    "owner": ("finance-data", DEFAULT_ARGS),
                },
                "store_rates": {"retries": (4, DECORATOR), "owner": ("finance-data", DEFAULT_ARGS)},
            },
            dag_settings={
                "schedule": ("@daily", DECORATOR),
                "catchup": (False, DECORATOR),
                "tags": (["finance"], DECORATOR),
            },
        ),
        id="dag-decorator-with-dag-id-and-call",
    ),
    # checked against DagBag 3.3.2
    pytest.param(
        "dag_decorator_bare.py",
        ExpectedDag(
            dag_id="vacuum_staging_tables",
            kind="dag-decorator",
            tasks={"list_tables": PYTHON, "vacuum": PYTHON},
            edges=["list_tables >> vacuum"],
            task_settings={"vacuum": {"retries": (0, DEFAULT)}},
            dag_settings={"schedule": (None, DEFAULT), "catchup": (False, DEFAULT)},
        ),
        id="bare-dag-decorator-id-is-function-name",
    ),
    # checked against DagBag 3.3.2
    pytest.param(
        "dag_models_module.py",
        ExpectedDag(
            dag_id="crm_contacts_sync",
            kind="dag-context",
            tasks={"pull_contacts": BASH, "push_contacts": BASH},
            edges=["pull_contacts >> push_contacts"],
            task_settings={
                "pull_contacts": {"retries": (0, DEFAULT)},
                "push_contacts": {"retries": (2, TASK)},
            },
            dag_settings={"schedule": ("30 6 * * 1-5", DAG), "catchup": (False, DAG)},
        ),
        id="models-module-attribute-dag",
    ),
    # checked against DagBag 3.3.2
    pytest.param(
        "dag_import_alias.py",
        ExpectedDag(
            dag_id="inventory_snapshot",
            kind="dag-context",
            tasks={"begin": EMPTY, "end": EMPTY},
            edges=["begin >> end"],
            operators={"begin": "EmptyOperator", "end": "EmptyOperator"},
            task_settings={
                "begin": {"trigger_rule": ("all_success", DEFAULT)},
                "end": {"trigger_rule": ("all_done", TASK)},
            },
            dag_settings={"schedule": ("@weekly", DAG), "catchup": (False, DEFAULT)},
        ),
        id="dag-and-operator-imported-under-aliases",
    ),
    # checked against DagBag 3.3.2
    pytest.param(
        "dag_module_attribute.py",
        ExpectedDag(
            dag_id="ledger_reconciliation",
            kind="dag-constructor",
            tasks={"reconcile": BASH, "report": BASH},
            edges=["reconcile >> report"],
            dag_settings={"schedule": ("0 4 * * *", DAG), "catchup": (False, DAG)},
        ),
        id="import-airflow-then-airflow-dot-dag",
    ),
    # Airflow 2 homes. Checked against DagBag 2.10.5 (catchup defaults to True there, from
    # [scheduler] catchup_by_default) and, all but that default, against DagBag 3.3.2, which
    # loads the file through its deprecation shims.
    pytest.param(
        "airflow2_import_homes.py",
        ExpectedDag(
            dag_id="marketing_spend_legacy",
            kind="dag-decorator",
            tasks={
                "download": BASH,
                "normalize.google_ads": BASH,
                "normalize.meta_ads": BASH,
                "publish_report": PYTHON,
            },
            edges=[
                "download >> normalize.google_ads",
                "normalize.google_ads >> normalize.meta_ads",
                "normalize.meta_ads >> publish_report",
            ],
            groups={"normalize": None},
            grouped={"normalize.google_ads": "normalize", "normalize.meta_ads": "normalize"},
            operators={"download": "BashOperator", "publish_report": "task"},
            task_settings={
                "download": {
                    "retries": (2, DEFAULT_ARGS),
                    "owner": ("marketing-analytics", DEFAULT_ARGS),
                },
                "normalize.meta_ads": {"retries": (0, TASK)},
                "publish_report": {"retries": (2, DEFAULT_ARGS)},
            },
            dag_settings={"schedule": ("@daily", DECORATOR), "catchup": (True, DEFAULT)},
            target_airflow="2",
        ),
        id="airflow2-import-homes",
    ),
]

DEFAULT_ARGS_CASES = [
    # checked against DagBag 3.3.2
    pytest.param(
        "default_args_dict_literal.py",
        ExpectedDag(
            dag_id="payments_settlement",
            kind="dag-context",
            tasks={"settle": BASH},
            task_settings={
                "settle": {
                    "owner": ("payments", DEFAULT_ARGS),
                    "retries": (2, DEFAULT_ARGS),
                    "retry_delay": (timedelta(minutes=15), DEFAULT_ARGS),
                    "depends_on_past": (True, DEFAULT_ARGS),
                    "pool": ("payments_db", DEFAULT_ARGS),
                    "trigger_rule": ("all_success", DEFAULT),
                },
            },
        ),
        id="default-args-dict-literal",
    ),
    # checked against DagBag 3.3.2
    pytest.param(
        "default_args_module_name.py",
        ExpectedDag(
            dag_id="signup_funnel",
            kind="dag-context",
            tasks={"extract_signups": BASH, "build_funnel": BASH},
            edges=["extract_signups >> build_funnel"],
            task_settings={
                task_id: {
                    "owner": ("growth", DEFAULT_ARGS),
                    "retries": (1, DEFAULT_ARGS),
                    "retry_delay": (timedelta(minutes=3), DEFAULT_ARGS),
                    "trigger_rule": ("all_done", DEFAULT_ARGS),
                }
                for task_id in ("extract_signups", "build_funnel")
            },
        ),
        id="default-args-module-level-name",
    ),
    # checked against DagBag 3.3.2
    pytest.param(
        "default_args_dict_call.py",
        ExpectedDag(
            dag_id="shipment_tracking",
            kind="dag-context",
            tasks={"poll_carriers": BASH},
            task_settings={
                "poll_carriers": {
                    "owner": ("logistics", DEFAULT_ARGS),
                    "retries": (5, DEFAULT_ARGS),
                    "retry_delay": (timedelta(seconds=30), DEFAULT_ARGS),
                    "max_retry_delay": (timedelta(minutes=10), DEFAULT_ARGS),
                },
            },
        ),
        id="default-args-dict-call",
    ),
    # checked against DagBag 3.3.2
    pytest.param(
        "default_args_merged.py",
        ExpectedDag(
            dag_id="feature_store_refresh",
            kind="dag-context",
            tasks={"refresh_features": BASH},
            task_settings={
                "refresh_features": {
                    "owner": ("ml-platform", DEFAULT_ARGS),
                    "retries": (4, DEFAULT_ARGS),
                    "retry_delay": (FIVE_MINUTES, DEFAULT_ARGS),
                    "execution_timeout": (timedelta(hours=3), DEFAULT_ARGS),
                },
            },
        ),
        id="default-args-merged-from-base-dict",
    ),
    # checked against DagBag 3.3.2 (fixtures/airflow on sys.path, as the dags folder is)
    pytest.param(
        "default_args_imported.py",
        ExpectedDag(
            dag_id="customer_ltv",
            kind="dag-context",
            tasks={"compute_ltv": BASH},
            task_settings={
                "compute_ltv": {
                    "owner": ("analytics-engineering", DEFAULT_ARGS),
                    "retries": (3, DEFAULT_ARGS),
                    "retry_delay": (FIVE_MINUTES, DEFAULT_ARGS),
                    "execution_timeout": (timedelta(hours=1), DEFAULT_ARGS),
                    "email": (["analytics-oncall@example.com"], DEFAULT_ARGS),
                    "email_on_failure": (True, DEFAULT_ARGS),
                },
            },
            dag_settings={"tags": (["customers"], DAG)},
        ),
        id="default-args-imported-from-tree-module",
    ),
    # checked against DagBag 3.3.2 (fixtures/airflow on sys.path, as the dags folder is)
    pytest.param(
        "taskflow_imported.py",
        ExpectedDag(
            dag_id="orders_nightly",
            kind="dag-context",
            tasks={
                "extract": BASH,
                "export_trades": BASH,
                "load_orders": PYTHON,
                "publish.upload": PYTHON,
                "publish.announce": PYTHON,
            },
            edges=[
                "extract >> load_orders",
                "extract >> export_trades",
                "load_orders >> publish.upload",
                "publish.upload >> publish.announce",
            ],
            groups={"publish": None},
            grouped={"publish.upload": "publish", "publish.announce": "publish"},
            task_settings={
                "load_orders": {
                    "retries": (4, DECORATOR),
                    "execution_timeout": (timedelta(minutes=30), DECORATOR),
                    "owner": ("orders", DEFAULT_ARGS),
                },
                "export_trades": {"retries": (1, TASK), "owner": ("orders", DEFAULT_ARGS)},
                "publish.upload": {"retries": (2, DEFAULT_ARGS)},
            },
            callables={"load_orders": "load_rows"},
        ),
        id="tasks-groups-and-factories-imported-from-tree-module",
    ),
    # checked against DagBag 3.3.2
    pytest.param(
        "default_args_task_override.py",
        ExpectedDag(
            dag_id="search_index_rebuild",
            kind="dag-context",
            tasks={"dump_catalog": BASH, "rebuild_index": BASH},
            edges=["dump_catalog >> rebuild_index"],
            task_settings={
                "dump_catalog": {
                    "retries": (2, DEFAULT_ARGS),
                    "owner": ("search", DEFAULT_ARGS),
                    "retry_delay": (FIVE_MINUTES, DEFAULT_ARGS),
                },
                "rebuild_index": {
                    "retries": (0, TASK),
                    "owner": ("search-oncall", TASK),
                    "retry_delay": (timedelta(minutes=1), TASK),
                    "trigger_rule": ("all_success", DEFAULT),
                },
            },
        ),
        id="task-keyword-overrides-default-args",
    ),
    # checked against DagBag 3.3.2 for tasks, edges and the explicit task keyword; the values
    # behind the opaque call (owner "risk", retries 2 here) must stay unknown to the model
    pytest.param(
        "default_args_opaque_call.py",
        ExpectedDag(
            dag_id="fraud_scores",
            kind="dag-context",
            tasks={"score_transactions": BASH, "alert_analysts": BASH},
            edges=["score_transactions >> alert_analysts"],
            task_settings={
                "score_transactions": {
                    "retries": (UNKNOWN_VALUE, UNKNOWN),
                    "owner": (UNKNOWN_VALUE, UNKNOWN),
                    "retry_delay": (UNKNOWN_VALUE, UNKNOWN),
                    "trigger_rule": (UNKNOWN_VALUE, UNKNOWN),
                },
                "alert_analysts": {"retries": (5, TASK), "owner": (UNKNOWN_VALUE, UNKNOWN)},
            },
            dag_settings={"schedule": ("@hourly", DAG)},
        ),
        id="default-args-from-opaque-call-are-unknown",
    ),
]

OPERATOR_CASES = [
    # checked against DagBag 3.3.2
    pytest.param(
        "operators_classic.py",
        ExpectedDag(
            dag_id="warehouse_daily_load",
            kind="dag-context",
            tasks={
                "start": EMPTY,
                "stage_files": BASH,
                "merge_orders": SQL,
                "validate": PYTHON,
                "trigger_marts": TRIGGER,
            },
            edges=[
                "start >> stage_files",
                "stage_files >> merge_orders",
                "merge_orders >> validate",
                "validate >> trigger_marts",
            ],
            operators={
                "start": "EmptyOperator",
                "stage_files": "BashOperator",
                "merge_orders": "SQLExecuteQueryOperator",
                "validate": "PythonOperator",
                "trigger_marts": "TriggerDagRunOperator",
            },
            callables={"validate": "validate_row_counts"},
            task_settings={
                "merge_orders": {
                    "retries": (1, DEFAULT_ARGS),
                    "execution_timeout": (timedelta(minutes=30), TASK),
                },
                "validate": {"owner": ("warehouse", DEFAULT_ARGS)},
                "trigger_marts": {"retries": (0, TASK), "trigger_rule": ("all_success", TASK)},
            },
        ),
        id="classic-operators-and-their-kinds",
    ),
    # checked against DagBag 3.3.2
    pytest.param(
        "sensor_settings.py",
        ExpectedDag(
            dag_id="vendor_feed_ingest",
            kind="dag-context",
            tasks={"wait_for_feed": SENSOR, "settle_period": SENSOR, "ingest_feed": BASH},
            edges=["wait_for_feed >> settle_period", "settle_period >> ingest_feed"],
            operators={"wait_for_feed": "FileSensor", "settle_period": "TimeDeltaSensor"},
            task_settings={
                "wait_for_feed": {
                    "mode": ("reschedule", TASK),
                    "timeout": (21600, TASK),
                    "poke_interval": (300, TASK),
                },
                "settle_period": {
                    "mode": ("poke", DEFAULT),
                    "timeout": (Seconds(604800), DEFAULT),
                    "poke_interval": (Seconds(60), DEFAULT),
                },
            },
        ),
        id="sensor-mode-timeout-poke-interval",
    ),
    # checked against DagBag 3.3.2
    pytest.param(
        "taskflow_decorators.py",
        ExpectedDag(
            dag_id="product_reviews",
            kind="dag-decorator",
            tasks={
                "wait_for_export": SENSOR,
                "download": BASH,
                "detect_languages": PYTHON,
                "choose_path": PYTHON,
                "translate": PYTHON,
                "skip_translation": PYTHON,
            },
            edges=[
                "wait_for_export >> download",
                "download >> detect_languages",
                "detect_languages >> choose_path",
                "choose_path >> translate",
                "choose_path >> skip_translation",
            ],
            operators={
                "wait_for_export": "task.sensor",
                "download": "task.bash",
                "detect_languages": "task.virtualenv",
                "choose_path": "task.branch",
                "translate": "task",
            },
            callables={"download": "download", "choose_path": "choose_path"},
            task_settings={
                "wait_for_export": {
                    "mode": ("reschedule", DECORATOR),
                    "timeout": (3600, DECORATOR),
                    "poke_interval": (120, DECORATOR),
                },
            },
            dag_settings={"schedule": ("@daily", DECORATOR), "tags": (["reviews"], DECORATOR)},
        ),
        id="taskflow-decorator-flavours",
    ),
    # checked against DagBag 3.3.2
    pytest.param(
        "taskflow_override.py",
        ExpectedDag(
            dag_id="regional_sales",
            kind="dag-decorator",
            tasks={"aggregate_emea": PYTHON, "aggregate_apac": PYTHON, "combine": PYTHON},
            edges=["aggregate_emea >> combine", "aggregate_apac >> combine"],
            callables={
                "aggregate_emea": "aggregate",
                "aggregate_apac": "aggregate",
                "combine": "combine",
            },
            task_settings={
                "aggregate_emea": {"retries": (5, TASK)},
                "aggregate_apac": {"retries": (2, DECORATOR)},
                "combine": {"retries": (1, DEFAULT_ARGS)},
            },
        ),
        id="taskflow-override-task-id-and-retries",
    ),
    # checked against DagBag 3.3.2
    pytest.param(
        "taskflow_reused_task.py",
        ExpectedDag(
            dag_id="image_thumbnails",
            kind="dag-decorator",
            tasks={"resize": PYTHON, "resize__1": PYTHON, "announce": PYTHON},
            edges=["resize >> announce", "resize__1 >> announce"],
            dag_settings={"schedule": (None, DECORATOR)},
        ),
        id="same-task-called-twice-gets-suffixed-id",
    ),
    # checked against DagBag 3.3.2
    pytest.param(
        "dynamic_task_mapping.py",
        ExpectedDag(
            dag_id="partner_file_sync",
            kind="dag-decorator",
            tasks={"list_partners": PYTHON, "fetch": PYTHON, "archive": BASH},
            edges=["list_partners >> fetch", "fetch >> archive"],
            mapped=frozenset({"fetch", "archive"}),
            task_settings={
                "fetch": {"retries": (3, DECORATOR)},
                "archive": {"retries": (2, TASK), "retry_delay": (timedelta(minutes=1), TASK)},
                "list_partners": {"retries": (0, DEFAULT)},
            },
        ),
        id="dynamic-task-mapping-classic-and-taskflow",
    ),
]

GROUP_CASES = [
    # checked against DagBag 3.3.2
    pytest.param(
        "task_groups_context.py",
        ExpectedDag(
            dag_id="marts_build",
            kind="dag-context",
            tasks={
                "start": EMPTY,
                "staging.orders": BASH,
                "staging.customers": BASH,
                "marts.finance.revenue": BASH,
                "marts.finance.refunds": BASH,
                "marts.customer_360": BASH,
                "done": EMPTY,
            },
            edges=[
                "start >> staging.orders",
                "start >> staging.customers",
                "staging.orders >> marts.finance.revenue",
                "staging.orders >> marts.customer_360",
                "staging.customers >> marts.finance.revenue",
                "staging.customers >> marts.customer_360",
                "marts.finance.revenue >> marts.finance.refunds",
                "marts.finance.refunds >> done",
                "marts.customer_360 >> done",
            ],
            groups={"staging": None, "marts": None, "marts.finance": "marts"},
            grouped={
                "staging.orders": "staging",
                "staging.customers": "staging",
                "marts.finance.revenue": "marts.finance",
                "marts.finance.refunds": "marts.finance",
                "marts.customer_360": "marts",
            },
        ),
        id="nested-task-groups-and-group-edges",
    ),
    # checked against DagBag 3.3.2
    pytest.param(
        "task_group_decorator.py",
        ExpectedDag(
            dag_id="store_kpis",
            kind="dag-decorator",
            tasks={
                "store_pipeline.extract": PYTHON,
                "store_pipeline.summarize": PYTHON,
                "paris.extract": PYTHON,
                "paris.summarize": PYTHON,
                "publish": PYTHON,
            },
            edges=[
                "store_pipeline.extract >> store_pipeline.summarize",
                "paris.extract >> paris.summarize",
                "store_pipeline.summarize >> publish",
                "paris.summarize >> publish",
            ],
            groups={"store_pipeline": None, "paris": None},
            grouped={
                "store_pipeline.extract": "store_pipeline",
                "store_pipeline.summarize": "store_pipeline",
                "paris.extract": "paris",
                "paris.summarize": "paris",
            },
        ),
        id="task-group-decorator-called-twice",
    ),
]

DEPENDENCY_CASES = [
    # checked against DagBag 3.3.2
    pytest.param(
        "dependencies_bitshift.py",
        ExpectedDag(
            dag_id="bitshift_dependencies",
            kind="dag-context",
            tasks=dict.fromkeys(
                [
                    "extract_a",
                    "extract_b",
                    "clean",
                    "load_x",
                    "load_y",
                    "audit",
                    "notify",
                    "archive",
                    "cleanup",
                ],
                EMPTY,
            ),
            edges=[
                "extract_a >> clean",
                "extract_b >> clean",
                "clean >> load_x",
                "clean >> load_y",
                "load_x >> audit",
                "load_y >> audit",
                "audit >> notify",
                "notify >> archive",
                "notify >> cleanup",
            ],
            dag_settings={"schedule": (None, DAG)},
        ),
        id="bitshift-lists-chains-and-left-shift",
    ),
    # checked against DagBag 3.3.2
    pytest.param(
        "dependencies_chain_helpers.py",
        ExpectedDag(
            dag_id="chain_helpers",
            kind="dag-context",
            tasks=dict.fromkeys(
                [
                    "begin",
                    "pull_crm",
                    "pull_erp",
                    "dedupe_crm",
                    "dedupe_erp",
                    "merge",
                    "report_sales",
                    "report_ops",
                ],
                EMPTY,
            ),
            edges=[
                "begin >> pull_crm",
                "begin >> pull_erp",
                "pull_crm >> dedupe_crm",
                "pull_erp >> dedupe_erp",
                "dedupe_crm >> merge",
                "dedupe_erp >> merge",
                "dedupe_crm >> report_sales",
                "dedupe_crm >> report_ops",
                "dedupe_erp >> report_sales",
                "dedupe_erp >> report_ops",
            ],
        ),
        id="chain-pairs-equal-lists-and-cross-downstream",
    ),
    # checked against DagBag 3.3.2
    pytest.param(
        "dependencies_set_methods.py",
        ExpectedDag(
            dag_id="set_methods",
            kind="dag-constructor",
            tasks={"fetch": BASH, "parse_json": BASH, "parse_xml": BASH, "store": BASH},
            edges=[
                "fetch >> parse_json",
                "fetch >> parse_xml",
                "parse_json >> store",
                "parse_xml >> store",
            ],
        ),
        id="set-upstream-and-set-downstream",
    ),
    # checked against DagBag 3.3.2
    pytest.param(
        "dependencies_taskflow_data.py",
        ExpectedDag(
            dag_id="weather_etl",
            kind="dag-decorator",
            tasks=dict.fromkeys(
                ["extract", "transform", "load", "extract_stations", "load_stations"], PYTHON
            ),
            edges=[
                "extract >> transform",
                "transform >> load",
                "extract_stations >> load_stations",
                "load >> load_stations",
            ],
        ),
        id="taskflow-data-dependencies",
    ),
    # checked against DagBag 3.3.2
    pytest.param(
        "dependencies_labels.py",
        ExpectedDag(
            dag_id="refund_review",
            kind="dag-context",
            tasks=dict.fromkeys(["triage", "auto_approve", "manual_review"], EMPTY),
            edges=["triage >> auto_approve", "triage >> manual_review"],
        ),
        id="labels-between-tasks",
    ),
]

DYNAMIC_CASES = [
    # checked against DagBag 3.3.2
    pytest.param(
        "loop_literal_list.py",
        ExpectedDag(
            dag_id="regional_backups",
            kind="dag-context",
            tasks={
                "start": EMPTY,
                "finish": EMPTY,
                "backup_eu": BASH,
                "backup_us": BASH,
                "backup_apac": BASH,
            },
            edges=[
                edge
                for region in ("eu", "us", "apac")
                for edge in (f"start >> backup_{region}", f"backup_{region} >> finish")
            ],
            task_settings={
                f"backup_{region}": {"retries": (2, TASK)} for region in ("eu", "us", "apac")
            },
        ),
        id="loop-over-literal-list",
    ),
    # checked against DagBag 3.3.2, which also builds replicate_{orders,customers,invoices}
    # from config/tables.json: tasks the model cannot know, hence complete=False
    pytest.param(
        "loop_unresolvable_config.py",
        ExpectedDag(
            dag_id="replicate_tables",
            kind="dag-context",
            tasks={"start": EMPTY, "finish": EMPTY},
            complete=False,
        ),
        id="loop-over-config-file-is-incomplete",
    ),
    *(
        # checked against DagBag 3.3.2
        pytest.param(
            "dag_factory.py",
            ExpectedDag(
                dag_id=f"ingest_{source}",
                kind="dag-context",
                tasks={"extract": BASH, "load": BASH},
                edges=["extract >> load"],
                task_settings={
                    "extract": {"retries": (retries, TASK)},
                    "load": {"retries": (0, DEFAULT)},
                },
                dag_settings={
                    "schedule": (schedule, DAG),
                    "tags": (["ingest", source], DAG),
                },
            ),
            id=f"dag-factory-call-{source}",
        )
        for source, schedule, retries in (
            ("salesforce", "@hourly", 3),
            ("zendesk", "@daily", 1),
            ("hubspot", "0 */6 * * *", 2),
        )
    ),
]

CASES = [
    *DECLARATION_CASES,
    *DEFAULT_ARGS_CASES,
    *OPERATOR_CASES,
    *GROUP_CASES,
    *DEPENDENCY_CASES,
    *DYNAMIC_CASES,
]


def dag_ids_by_fixture() -> dict[str, set[str]]:
    """Every DAG a fixture defines: the cases of one file together name all of them."""
    dag_ids: dict[str, set[str]] = defaultdict(set)
    for case in CASES:
        fixture, expected = case.values
        dag_ids[fixture].add(expected.dag_id)
    return dag_ids


DAG_IDS_BY_FIXTURE = dag_ids_by_fixture()
TARGET_BY_FIXTURE = {case.values[0]: case.values[1].target_airflow for case in CASES}


@pytest.mark.parametrize(("fixture", "expected"), CASES)
def test_builder_models_fixture(
    fixture: str, expected: ExpectedDag, pipelines_by_id: BuildPipelines
) -> None:
    pipelines = pipelines_by_id(FIXTURES / fixture, target_airflow=expected.target_airflow)
    assert set(pipelines) == DAG_IDS_BY_FIXTURE[fixture]
    assert_model_matches(pipelines[expected.dag_id], expected)


# Fixtures of no case: DAGs the static model cannot see, which it must say it may miss.
WALKED_WITHOUT_CASES = ("generated/dags_from_config.py",)


@pytest.fixture(scope="session")
def fixture_truth(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    python = airflow_python()
    files = sorted({FIXTURES / fixture for fixture in (*DAG_IDS_BY_FIXTURE, *WALKED_WITHOUT_CASES)})
    return load_truth(python, FIXTURES, files, tmp_path_factory.mktemp("dagbag"))


def test_every_dagbag_task_and_edge_is_modelled_or_the_dag_is_incomplete(
    fixture_truth: dict[str, Any],
) -> None:
    """The model is never silently wrong: what DagBag builds from a fixture is in the model,
    or the model says it is incomplete (the DAG, or the file for DAGs made at import)."""
    losses = []
    for file, truth in sorted(fixture_truth.items()):
        path = Path(file)
        target = TARGET_BY_FIXTURE.get(path.relative_to(FIXTURES).as_posix(), "auto")
        models = build_models([path], target_airflow=target)
        pipelines = {p.id: p for model in models for p in model.pipelines}
        file_incomplete = any(model.incomplete_reasons for model in models)
        assert truth["dags"], f"DagBag found no DAG in {file}"
        for dag_id, dag in truth["dags"].items():
            pipeline = pipelines.get(dag_id)
            if pipeline is None:
                if not file_incomplete:
                    losses.append(f"{path.name}: {dag_id} missing, the file is not incomplete")
                continue
            if not pipeline.complete:
                continue
            tasks = set(dag["tasks"]) - {t.id for t in pipeline.tasks}
            modelled = {(e.upstream, e.downstream) for e in pipeline.edges}
            edges = {tuple(edge) for edge in dag["edges"]} - modelled
            if tasks or edges:
                losses.append(f"{path.name}: {dag_id} complete, lacks {sorted(tasks)} {edges}")
    assert not losses
    assert any(WALKED_WITHOUT_CASES[0] in file for file in fixture_truth)


@pytest.mark.parametrize(("fixture", "expected"), CASES)
def test_expectation_is_airflow_truth(
    fixture: str, expected: ExpectedDag, fixture_truth: dict[str, Any]
) -> None:
    truth = fixture_truth[str(FIXTURES / fixture)]
    assert truth["import_errors"] == {}
    assert set(truth["dags"]) == DAG_IDS_BY_FIXTURE[fixture]
    assert_truth_matches(truth["dags"][expected.dag_id], expected)


@pytest.mark.parametrize("fixture", sorted(DAG_IDS_BY_FIXTURE))
def test_known_model_values_agree_with_airflow(
    fixture: str, pipelines_by_id: BuildPipelines, fixture_truth: dict[str, Any]
) -> None:
    """Beyond the chosen settings of the cases: every value the model knows is Airflow's."""
    target = TARGET_BY_FIXTURE[fixture]
    truth = fixture_truth[str(FIXTURES / fixture)]
    for dag_id, pipeline in pipelines_by_id(FIXTURES / fixture, target_airflow=target).items():
        assert_known_values_are_true(pipeline, truth["dags"][dag_id], target_airflow=target)


def source_at(source: str, span: Span) -> str:
    """The text a span covers: 1-based lines and columns, end column exclusive."""
    lines = source.splitlines(keepends=True)[span.line - 1 : span.end_line]
    if len(lines) == 1:
        return lines[0][span.column - 1 : span.end_column - 1]
    return lines[0][span.column - 1 :] + "".join(lines[1:-1]) + lines[-1][: span.end_column - 1]


DEFAULT_ARGS_FROM_OTHER_MODULES = {"default_args_imported.py"}
# Tasks whose code is in another module: their settings written there are placed at the call.
TASKS_FROM_OTHER_MODULES = {"taskflow_imported.py"}


@pytest.mark.parametrize("fixture", sorted(DAG_IDS_BY_FIXTURE))
def test_spans_point_at_the_source(fixture: str, pipelines_by_id: BuildPipelines) -> None:
    """Fixes and reports rely on spans: a written setting spans its text, a task its call."""
    source = (FIXTURES / fixture).read_text(encoding="utf-8")
    target = TARGET_BY_FIXTURE[fixture]
    for pipeline in pipelines_by_id(FIXTURES / fixture, target_airflow=target).values():
        for task in pipeline.tasks:
            call = source_at(source, task.span)
            assert isinstance(ast.parse(call, mode="eval").body, ast.Call), call
        for settings in (pipeline.settings, *(task.settings for task in pipeline.tasks)):
            for name, setting in settings.items():
                if setting.provenance in (TASK, DAG, DECORATOR, DEFAULT_ARGS):
                    assert setting.span is not None, name
                    written = source_at(source, setting.span)
                    if (
                        fixture in TASKS_FROM_OTHER_MODULES
                        and setting.provenance in (TASK, DECORATOR)
                        and written != setting.text
                    ):
                        # Written in the other module: the span is the call that made it.
                        assert settings is not pipeline.settings, name
                        assert isinstance(ast.parse(written, mode="eval").body, ast.Call)
                    elif fixture in DEFAULT_ARGS_FROM_OTHER_MODULES:
                        # The value is in another file: the span is the default_args argument.
                        assert setting.provenance is DEFAULT_ARGS or written == setting.text
                    else:
                        assert written == setting.text, name


def test_whole_fixture_tree_is_modeled_without_crashing() -> None:
    models = build_models([FIXTURES])

    paths = [model.path.as_posix() for model in models]
    assert paths == sorted(paths)
    found = {pipeline.id for model in models for pipeline in model.pipelines}
    expected = set().union(*DAG_IDS_BY_FIXTURE.values())
    assert found == expected | {"healthy_sibling", "parse_time_side_effects"}
    unparsable = {
        model.path.relative_to(FIXTURES).as_posix()
        for model in models
        if any(finding.code == "DC001" for finding in model.findings)
    }
    assert unparsable == {"broken/syntax_error.py"}
    assert not (FIXTURES / "side_effects" / "imported.marker").exists()


def test_every_top_level_fixture_has_cases() -> None:
    fixtures = {path.name for path in FIXTURES.glob("*.py")}
    assert fixtures == set(DAG_IDS_BY_FIXTURE)
