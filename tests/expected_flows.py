"""What the static Prefect model must find in each file of ``fixtures/prefect``.

Plain data, derived by hand from the fixtures and checked against Prefect where Prefect can
tell (``tests/prefect_truth.py`` reports the flows, tasks and settings Prefect builds on
import; the graph inside a flow body exists only when a flow runs, so the graphs below
follow the conventions stated here).

``EXPECTED_FLOWS[file][flow name]`` describes one flow. ``file`` is the path relative to
``fixtures/prefect``. The flow name is Prefect's: ``name=`` if given, else the function's
name with ``_`` replaced by ``-``. A ``.with_options(name=...)`` copy of a flow bound to a
module-level name is a flow of its own (same body, its own name). Every flow is listed, also
those in files that fail to import on Prefect 3 (``misuse_*.py``, ``prefect2_legacy.py``):
their source still declares them.

- ``tasks`` maps task id to ``{"kind": "python" | "flow", "mapped": bool}``. Only calls of
  Prefect task and flow objects in the flow body are tasks (``run_deployment(...)`` is not).
  A task's id is Prefect's task name (``name=`` if given, else the function's ``__name__``;
  a ``.with_options(name=...)`` copy has the copy's name). When the flow body calls the same
  task several times, the calls are separate tasks ``id``, ``id__1``, ``id__2``, in call
  order (a call inside a loop over a literal list counts once per element). A ``.map()``
  call is one task with ``mapped`` True. A call of another flow (a subflow) is one task of
  kind ``flow`` whose id is the subflow's flow name.
- ``edges`` holds ``(upstream id, downstream id)`` pairs: the downstream call receives the
  upstream call's result, directly, through a variable, inside a list/tuple/dict literal or a
  list filled with ``.append()``, through ``unmapped(...)``, or as a future's ``.result()``;
  or it lists the upstream in ``wait_for=[...]``.
- ``complete`` is False when the number of tasks depends on a run-time value (a loop over
  a parameter). Then ``tasks`` and ``edges`` list only what must be present; the model may
  hold more.

``EXPECTED_DEPLOYMENTS[file]`` lists the deployments declared in each fixture file, in
source order: ``name``; ``source`` (``"serve"`` for ``flow.serve(...)``, ``"deploy"`` for
``flow.deploy(...)``, ``"to_deployment"`` for ``flow.to_deployment(...)`` handed to
``serve(...)``, ``"prefect.yaml"`` for a ``deployments:`` entry); ``flow``, the module-level
name of the deployed flow (what an entrypoint names: the function's name for an ``@flow``
function, the variable for ``crm_sync = Flow(...)``); ``schedules`` as
``(kind, value, timezone)`` with kind ``"cron"``, ``"interval"`` (value in seconds) or
``"rrule"`` and timezone None when not given; ``tags``, a list, or None when the deployment
sets none. ``prefect.yaml`` entries also carry their ``entrypoint``. Files without
deployments map to an empty list: the
``if __name__ == "__main__":`` blocks are the only place deployments are declared in code,
Prefect 2's ``Deployment.build_from_flow`` (``prefect2_legacy.py``) is not a Prefect 3
deployment, and ``k8s/prefect.yaml`` is a Kubernetes manifest, not a Prefect project file.
"""

from __future__ import annotations

from itertools import pairwise
from typing import Any


def task() -> dict[str, Any]:
    return {"kind": "python", "mapped": False}


def mapped() -> dict[str, Any]:
    return {"kind": "python", "mapped": True}


def subflow() -> dict[str, Any]:
    return {"kind": "flow", "mapped": False}


def flow_graph(
    tasks: dict[str, dict[str, Any]],
    edges: set[tuple[str, str]] | None = None,
    *,
    complete: bool = True,
) -> dict[str, Any]:
    return {"tasks": tasks, "edges": edges or set(), "complete": complete}


def only(*task_ids: str) -> dict[str, Any]:
    """A flow whose body calls these tasks once each, with no data between them."""
    return flow_graph({task_id: task() for task_id in task_ids})


def chain(*task_ids: str) -> dict[str, Any]:
    """A flow whose tasks each receive the previous task's result."""
    return flow_graph(
        {task_id: task() for task_id in task_ids},
        set(pairwise(task_ids)),
    )


def replicate_graph() -> dict[str, Any]:
    """``replicate`` in warehouse_with_options.py, shared by the flow and its copy."""
    copies = ("copy-customers", "copy-orders", "copy-payments")
    return flow_graph(
        {**{copy: task() for copy in copies}, "analyze_tables": task()},
        {(copy, "analyze_tables") for copy in copies},
    )


def kpi_report_graph() -> dict[str, Any]:
    return chain("query_metrics", "render_report", "email_report")


EXPECTED_FLOWS: dict[str, dict[str, dict[str, Any]]] = {
    "etl_decorators.py": {
        "orders-etl": flow_graph(
            {
                "extract-orders": task(),
                "clean_orders": task(),
                "summarize": task(),
                "load_orders": task(),
            },
            {
                ("extract-orders", "clean_orders"),
                ("clean_orders", "summarize"),
                ("clean_orders", "load_orders"),
                ("summarize", "load_orders"),
            },
        ),
        "orders-smoke-test": chain("extract-orders", "summarize"),
    },
    "weather_api_module_import.py": {
        "weather-observations": flow_graph(
            {
                "fetch_observations": task(),
                "fetch_station_metadata": task(),
                "to_rows": task(),
                "write-observations": task(),
                "refresh_forecast_cache": task(),
            },
            {
                ("fetch_observations", "to_rows"),
                ("fetch_station_metadata", "to_rows"),
                ("to_rows", "write-observations"),
                ("write-observations", "refresh_forecast_cache"),
            },
        ),
    },
    "warehouse_aliases.py": {
        "customer-marts-refresh": flow_graph(
            {
                "run_model": task(),
                "run_model__1": task(),
                "test_model": task(),
                "test_model__1": task(),
                "publish-dbt-docs": task(),
            },
            {
                ("run_model", "test_model"),
                ("run_model__1", "test_model__1"),
                ("run_model", "publish-dbt-docs"),
                ("run_model__1", "publish-dbt-docs"),
            },
        ),
        "rebuild-docs": only("publish-dbt-docs"),
    },
    "crm_sync_constructors.py": {
        "crm-contacts-sync": flow_graph(
            {
                "fetch_contacts": task(),
                "deduplicate_contacts": task(),
                "push_contacts": task(),
                "record-sync-stats": task(),
            },
            {
                ("fetch_contacts", "deduplicate_contacts"),
                ("deduplicate_contacts", "push_contacts"),
                ("deduplicate_contacts", "record-sync-stats"),
            },
        ),
        "nightly-crm": flow_graph({"crm-contacts-sync": subflow(), "refresh_segments": task()}),
    },
    "warehouse_with_options.py": {
        "replica-to-warehouse": replicate_graph(),
        "replica-to-warehouse-backfill": replicate_graph(),
        "replica-backfill-incident-4711": flow_graph(
            {
                "replica-to-warehouse-backfill": subflow(),
                "replica-to-warehouse-backfill__1": subflow(),
                "replica-to-warehouse-backfill__2": subflow(),
            }
        ),
    },
    "hooks_keyword_lists.py": {
        "ledger-export": chain("export_ledger", "upload_export"),
    },
    "hooks_decorators.py": {
        "fulfil-order": chain("reserve_stock", "charge_payment", "send_confirmation"),
    },
    "fan_out_map.py": {
        "ad-spend-daily": flow_graph(
            {
                "check_platform_status": mapped(),
                "list_active_accounts": task(),
                "get_api_token": task(),
                "fetch_spend": mapped(),
                "aggregate_spend": task(),
                "fetch_fx_rates": task(),
                "build_report": task(),
                "publish_report": task(),
            },
            {
                ("list_active_accounts", "fetch_spend"),
                ("get_api_token", "fetch_spend"),
                ("fetch_spend", "aggregate_spend"),
                ("aggregate_spend", "build_report"),
                ("fetch_fx_rates", "build_report"),
                ("build_report", "publish_report"),
                ("fetch_spend", "publish_report"),
            },
        ),
    },
    "loops_and_tags.py": {
        "finance-close-daily": flow_graph(
            {
                "refresh_ledger": task(),
                "refresh_ledger__1": task(),
                "refresh_ledger__2": task(),
                "reconcile": task(),
                "post_close_summary": task(),
            },
            {
                ("refresh_ledger", "reconcile"),
                ("refresh_ledger__1", "reconcile"),
                ("refresh_ledger__2", "reconcile"),
                ("reconcile", "post_close_summary"),
            },
        ),
    },
    "loop_over_parameter.py": {
        "regional-sales-load": flow_graph(
            {"resolve_load_window": task(), "refresh_sales_dashboard": task()},
            {("resolve_load_window", "refresh_sales_dashboard")},
            complete=False,
        ),
    },
    "subflows.py": {
        "ingest-touchpoints": chain("stage_touchpoints", "deduplicate_touchpoints"),
        "build-attribution-model": only("fit_attribution_model"),
        "attribution-daily": flow_graph(
            {
                "ingest-touchpoints": subflow(),
                "ingest-touchpoints__1": subflow(),
                "build-attribution-model": subflow(),
                "publish_attribution": task(),
            },
            {
                ("ingest-touchpoints", "build-attribution-model"),
                ("ingest-touchpoints__1", "build-attribution-model"),
                ("build-attribution-model", "publish_attribution"),
            },
        ),
    },
    "retry_settings.py": {
        "partner-feed-ingest": chain("download_partner_file", "validate_file", "stage_file"),
    },
    "caching_results.py": {
        "catalogue-enrichment": flow_graph(
            {
                "fetch_supplier_catalogue": task(),
                "load_category_tree": task(),
                "enrich_products": task(),
                "translate_descriptions": task(),
                "translate_descriptions__1": task(),
                "publish_catalogue": task(),
            },
            {
                ("fetch_supplier_catalogue", "enrich_products"),
                ("load_category_tree", "enrich_products"),
                ("enrich_products", "translate_descriptions"),
                ("enrich_products", "translate_descriptions__1"),
                ("translate_descriptions", "publish_catalogue"),
                ("translate_descriptions__1", "publish_catalogue"),
            },
        ),
    },
    "serve_many_deployments.py": {
        "daily-kpi-report": kpi_report_graph(),
        "inventory-snapshot": only("snapshot_inventory"),
        "board-pack": kpi_report_graph(),
    },
    "deploy_work_pool.py": {
        "warehouse-build": chain("dbt_build", "spark_compaction"),
    },
    "ops_retries_without_delay.py": {
        "price-sync": chain("fetch_price_list", "update_shop_prices"),
    },
    "ops_backoff_mapped_no_jitter.py": {
        "geocode-customers": flow_graph(
            {"load_new_addresses": task(), "geocode_address": mapped(), "save_coordinates": task()},
            {("load_new_addresses", "geocode_address"), ("geocode_address", "save_coordinates")},
        ),
    },
    "ops_on_failure_without_on_crashed.py": {
        "feature-store-refresh": only("materialize_features", "materialize_features__1"),
    },
    "ops_retried_writes.py": {
        "churn-scores-publish": flow_graph(
            {
                "score_customers": task(),
                "append_to_warehouse": task(),
                "insert_audit_rows": task(),
                "write_lake_partition": task(),
                "export_crm_csv": task(),
                "upload_crm_export": task(),
                "notify_partner": task(),
            },
            {
                ("score_customers", "append_to_warehouse"),
                ("score_customers", "insert_audit_rows"),
                ("score_customers", "write_lake_partition"),
                ("score_customers", "export_crm_csv"),
                ("score_customers", "notify_partner"),
                ("export_crm_csv", "upload_crm_export"),
            },
        ),
    },
    "ops_retried_writes_guarded.py": {
        "churn-scores-publish-guarded": flow_graph(
            {
                "load_scores": task(),
                "upsert_scores": task(),
                "replace_audit_partition": task(),
                "write_lake_partition": task(),
                "export_and_upload_crm_csv": task(),
                "notify_partner": task(),
            },
            {
                ("load_scores", "upsert_scores"),
                ("load_scores", "replace_audit_partition"),
                ("load_scores", "write_lake_partition"),
                ("load_scores", "export_and_upload_crm_csv"),
                ("load_scores", "notify_partner"),
            },
        ),
    },
    "ops_cache_inputs_no_expiration.py": {
        "enrich-signups": flow_graph(
            {"new_signups": task(), "lookup_company": mapped(), "update_crm_accounts": task()},
            {("new_signups", "lookup_company"), ("lookup_company", "update_crm_accounts")},
        ),
    },
    "ops_run_deployment_retried.py": {
        "trigger-downstream": only("wait_for_load_marker"),
    },
    "ops_datetime_now_in_task.py": {
        "clickstream-hourly-export": only("export_last_hour"),
        "clickstream-hourly-export-scheduled": only("export_window_from_schedule"),
    },
    "ops_hardcoded_password.py": {
        "billing-snapshot": chain("read_snapshot", "write_snapshot"),
    },
    "ops_cron_without_timezone.py": {
        "timesheet-export": only("export_timesheets"),
        "payroll-export": only("export_payroll"),
    },
    "misuse_flow_tags.py": {"billing-export": only("export_invoices")},
    "misuse_flow_cache_policy.py": {"fx-refresh": chain("fetch_rates", "store_rates")},
    "misuse_flow_retry_jitter.py": {"search-reindex": only("rebuild_index")},
    "misuse_task_on_crashed.py": {"support-ticket-export": only("export_tickets")},
    "misuse_task_on_cancellation.py": {"transcode-upload": only("transcode")},
    "misuse_task_on_commit_keyword.py": {"ledger-posting": only("post_entries")},
    "misuse_flow_hook_not_list.py": {"campaign-send": only("send_campaign")},
    "misuse_task_hook_not_list.py": {"warehouse-vacuum": only("vacuum_table")},
    "misuse_flow_retry_delay_list.py": {"partner-sftp-pickup": only("pick_up_files")},
    "misuse_flow_timeout_zero.py": {
        "events-backfill": only("backfill_month", "backfill_month__1", "backfill_month__2"),
    },
    "prefect2_legacy.py": {
        "fx-rates-legacy": chain("pull_exchange_rates", "publish_rates"),
    },
}


def deployment(
    name: str,
    source: str,
    flow: str,
    schedules: list[tuple[str, Any, str | None]],
    tags: list[str] | None,
    **extra: Any,
) -> dict[str, Any]:
    return {
        "name": name,
        "source": source,
        "flow": flow,
        "schedules": schedules,
        "tags": tags,
        **extra,
    }


EXPECTED_DEPLOYMENTS: dict[str, list[dict[str, Any]]] = {
    "etl_decorators.py": [
        deployment(
            "orders-etl-nightly",
            "serve",
            "orders_etl",
            [("cron", "0 6 * * *", None)],
            ["orders", "nightly"],
        ),
    ],
    "weather_api_module_import.py": [
        deployment("weather-hourly", "serve", "collect_weather", [("interval", 3600, None)], None),
    ],
    "serve_many_deployments.py": [
        deployment(
            "daily-kpi-report",
            "to_deployment",
            "daily_kpi_report",
            [("cron", "30 7 * * 1-5", "Europe/London")],
            ["reporting"],
        ),
        deployment(
            "inventory-snapshot-15m",
            "to_deployment",
            "inventory_snapshot",
            [("interval", 900, None)],
            ["inventory", "reporting"],
        ),
        deployment(
            "board-pack",
            "to_deployment",
            "board_pack",
            [
                ("rrule", "FREQ=WEEKLY;BYDAY=MO;BYHOUR=6;BYMINUTE=0", "America/New_York"),
                ("cron", "0 18 1 * *", None),
            ],
            None,
        ),
    ],
    "deploy_work_pool.py": [
        deployment(
            "warehouse-build-nightly",
            "deploy",
            "warehouse_build",
            [("cron", "0 2 * * *", None)],
            ["warehouse", "nightly"],
        ),
        deployment("warehouse-build-adhoc", "deploy", "warehouse_build", [], None),
    ],
    "ops_cron_without_timezone.py": [
        deployment(
            "timesheets-nightly",
            "to_deployment",
            "timesheet_export",
            [("cron", "15 1 * * *", None)],
            ["hr"],
        ),
        deployment(
            "payroll-daily",
            "to_deployment",
            "payroll_export",
            [("cron", "0 4 * * 1-5", None)],
            ["hr"],
        ),
    ],
    "prefect.yaml": [
        deployment(
            "orders-etl-prod",
            "prefect.yaml",
            "orders_etl",
            [("cron", "0 6 * * *", "Europe/Berlin")],
            ["orders", "prod"],
            entrypoint="etl_decorators.py:orders_etl",
        ),
        deployment(
            "weather-hourly",
            "prefect.yaml",
            "collect_weather",
            [("interval", 3600, None)],
            ["weather"],
            entrypoint="weather_api_module_import.py:collect_weather",
        ),
        deployment(
            "crm-contacts-sync",
            "prefect.yaml",
            "crm_sync",
            [("rrule", "FREQ=DAILY;BYHOUR=5,17;BYMINUTE=30", "America/New_York")],
            None,
            # The entrypoint names the module attribute holding the Flow, not the function.
            entrypoint="crm_sync_constructors.py:crm_sync",
        ),
        deployment(
            "partner-feed-ingest",
            "prefect.yaml",
            "partner_feed_ingest",
            [("cron", "30 4 * * *", "UTC"), ("cron", "45 4 * * *", None)],
            ["partner-feeds"],
            entrypoint="retry_settings.py:partner_feed_ingest",
        ),
        deployment(
            "warehouse-build-nightly",
            "prefect.yaml",
            "warehouse_build",
            [("cron", "0 2 * * *", "Europe/Berlin")],
            ["warehouse", "nightly"],
            entrypoint="deploy_work_pool.py:warehouse_build",
        ),
        deployment(
            "finance-close-adhoc",
            "prefect.yaml",
            "finance_close_daily",
            [],
            ["finance"],
            entrypoint="loops_and_tags.py:finance_close_daily",
        ),
    ],
    "k8s/prefect.yaml": [],
}
# Every other fixture declares no deployment.
for _file in EXPECTED_FLOWS:
    EXPECTED_DEPLOYMENTS.setdefault(_file, [])
del _file
