"""Pipeline sources several test modules share."""

# A DAG that passes every rule with the default configuration.
WELL_RUN_DAG = """\
    from datetime import timedelta

    import pendulum
    from airflow.sdk import DAG
    from airflow.providers.standard.operators.bash import BashOperator


    def page_on_call(context):
        pass


    default_args = {
        "owner": "exports",
        "retries": 2,
        "retry_exponential_backoff": True,
        "max_retry_delay": timedelta(minutes=20),
        "execution_timeout": timedelta(minutes=30),
        "on_failure_callback": page_on_call,
    }

    with DAG(
        "nightly_export",
        schedule="@daily",
        start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
        catchup=False,
        dagrun_timeout=timedelta(hours=3),
        tags=["team:exports"],
        description="Nightly export of orders for the finance team",
        default_args=default_args,
    ):
        extract = BashOperator(task_id="extract", bash_command="echo extract")
        load = BashOperator(task_id="load", bash_command="echo load")
        extract >> load
"""


def triggered_tree(header: str) -> dict[str, str]:
    """Three DAG files: backfill_sales, which nothing starts (schedule=None); export_sales,
    also schedule=None but triggered by sales_daily; and sales_daily, scheduled. ``header``
    imports DAG, BashOperator, TriggerDagRunOperator and datetime."""
    dag = (
        'with DAG("{id}", schedule={schedule}, start_date=datetime(2024, 1, 1)):\n'
        '    BashOperator(task_id="load", bash_command="load.sh")\n'
    )
    return {
        "backfill.py": header + dag.format(id="backfill_sales", schedule="None"),
        "export.py": header + dag.format(id="export_sales", schedule="None"),
        "nightly.py": header
        + dag.format(id="sales_daily", schedule='"@daily"')
        + '    TriggerDagRunOperator(task_id="export", trigger_dag_id="export_sales")\n',
    }
