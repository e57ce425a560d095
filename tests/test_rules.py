"""Each rule on the variants that matter: where the value comes from (task keyword,
default_args, framework default, unknown), the target Airflow version, and what must stay
quiet. Cases are (source, selected codes, expected "CODE line" list)."""

from __future__ import annotations

import io
import textwrap
from pathlib import Path

import pytest
from sources import triggered_tree

from dagcheck.config import RuleOptions
from dagcheck.engine import Options, run
from dagcheck.findings import Finding
from dagcheck.model.print import write_model_text

HEADER = """\
import json
import os
from datetime import datetime, timedelta

import pendulum
from airflow.providers.standard.operators.bash import BashOperator
from airflow.providers.standard.operators.empty import EmptyOperator
from airflow import DAG
from airflow.providers.standard.sensors.filesystem import FileSensor
"""
FIRST_LINE = HEADER.count("\n") + 2  # the first line of a case body


# A team policy stricter than the defaults, so that DC202 has something to say.
POLICY = RuleOptions(min_retries=2)


def findings(tmp_path: Path, body: str, select: str, target: str = "auto") -> list[Finding]:
    path = tmp_path / "dag.py"
    path.write_text(HEADER + "\n" + textwrap.dedent(body).lstrip("\n"), encoding="utf-8")
    options = Options(select=tuple(select.split(",")), target_airflow=target, policy=POLICY)
    [model] = run([path], options)
    return model.findings


def located(found: list[Finding]) -> list[str]:
    """Findings as "CODE line", line numbers counted from the case body's first line."""
    return sorted(f"{f.code} {f.span.line - FIRST_LINE + 1}" for f in found)


CASES = [
    pytest.param(
        """
        from airflow.sdk import task

        @task
        def push(rows):
            "Push the rows."
            try:
                requests.post("https://example.com/rows", json=rows, timeout=30)
            except Exception:
                print("not pushed")

        @task
        def push_or_fail(rows):
            try:
                requests.post("https://example.com/rows", json=rows, timeout=30)
            except (ValueError, Exception):
                print("not pushed")
                raise

        @task
        def push_narrowly(rows):
            try:
                requests.post("https://example.com/rows", json=rows, timeout=30)
            except requests.Timeout:
                print("slow")

        @task
        def api_is_up() -> bool:
            try:
                return requests.get("https://example.com/health", timeout=5).ok
            except Exception:
                return False

        @task
        def push_then_check(rows):
            try:
                requests.post("https://example.com/rows", json=rows, timeout=30)
            except Exception:
                print("not pushed")
            requests.get("https://example.com/check", timeout=30)

        with DAG("d", schedule="@daily", start_date=datetime(2024, 1, 1),
                 default_args={"execution_timeout": timedelta(minutes=10)}):
            push([1])
            push_or_fail([1])
            push_narrowly([1])
            api_is_up()
            push_then_check([1])
        """,
        "DC201,DC605",
        ["DC201 41", "DC605 43"],  # DC201: the other four, as one DAG finding
        id="DC605-a-task-that-swallows-every-failure-is-not-asked-for-retries",
    ),
    pytest.param(
        """
        with DAG("d", schedule="@daily", start_date=datetime(2024, 1, 1)):
            for table in json.loads(os.environ["TABLES"]):
                BashOperator(task_id=f"load_{table}", bash_command="load.sh",
                             owner="warehouse", on_failure_callback=print)
            BashOperator(task_id="report", bash_command="report.sh")
        """,
        "DC502,DC601",
        [],
        id="DC502-DC601-tasks-the-model-cannot-see-may-have-an-owner-and-a-callback",
    ),
    pytest.param(
        """
        with DAG("d", schedule="@daily", start_date=datetime(2024, 1, 1), default_args={
            "retries": 1, "retry_exponential_backoff": True,
            "execution_timeout": timedelta(minutes=10),
        }):
            BashOperator(task_id="a", bash_command="a.sh")
            BashOperator(task_id="b", bash_command="b.sh", retries=4,
                         max_retry_delay=timedelta(minutes=30))
            BashOperator(task_id="c", bash_command="c.sh", execution_timeout=None)
        """,
        "DC202,DC204,DC401",
        ["DC202 2", "DC204 2", "DC401 8"],
        id="DC202-DC204-DC401-default-args-and-task-overrides",
    ),
    pytest.param(
        """
        import time
        from datetime import date
        from airflow.providers.standard.operators.python import PythonOperator
        from airflow.sdk import task


        def export():
            from datetime import datetime as dt
            started = time.time()
            stamp = dt.now().isoformat()
            return dt.now().date(), started, stamp


        with DAG("d", schedule="@daily", start_date=datetime(2024, 1, 1)):
            @task
            def extract(ds=None):
                return ds

            @task
            def legacy():
                return date.today()

            extract()
            legacy()
            PythonOperator(task_id="export", python_callable=export)
            BashOperator(task_id="stamp", bash_command=f"stamp.sh {datetime.now():%Y%m%d}")
        """,
        "DC102",
        ["DC102 11", "DC102 21", "DC102 26"],
        id="DC102-clock-reads-in-callables-and-arguments-not-durations",
    ),
    pytest.param(
        """
        DB_PASSWORD = "hunter2-prod-9f8e"
        TOKEN_PATH = "/var/run/secrets/token"
        AWS_ACCESS_KEY_ID = "AKIAEXAMPLEEXAMPLE"
        RESOURCE_PASSWORD = "Passwords"
        WAREHOUSE = "postgresql://etl:s3cr3t-pw@db.internal:5432/dw"
        NO_PASSWORD = "postgresql://etl@db.internal/dw"
        with DAG("d", schedule="@daily", start_date=datetime(2024, 1, 1),
                 default_args={"api_key": "{{ var.value.api_key }}"}):
            BashOperator(task_id="a", bash_command="a.sh", env={"GITHUB_TOKEN": "ghp_abcdef123456"})
            BashOperator(task_id="b", bash_command="b.sh", env={"password": "********"})
        """,
        "DC903",
        ["DC903 1", "DC903 5", "DC903 9"],
        id="DC903-names-and-uris-not-paths-ids-templates-or-masks",
    ),
    pytest.param(
        """
        KEY_ID = "AKIAZ7QW3ERT5YUI9OPL"
        DOC_KEY_ID = "AKIAIOSFODNN7EXAMPLE"
        with DAG("d", schedule="@daily", start_date=datetime(2024, 1, 1)):
            BashOperator(task_id="a", bash_command="psql", env={"PGPASSWORD": "Tr0ub4dor3xQ"})
            BashOperator(task_id="b", bash_command="psql", env={"PGPASSWORD": "{{ conn.pg.pw }}"})
            BashOperator(task_id="c", bash_command='curl -H "Bearer eyJhbGciOiJIUzI1NiJ9x8Kq"')
            BashOperator(task_id="d", bash_command='curl -H "Bearer {{ var.value.token }}"')
            BashOperator(task_id="e", bash_command="a.sh", env={"SLACK": "xoxb-12345-abcdefghij"})
            BashOperator(task_id="f", bash_command="echo Bearer of news")
        """,
        "DC903",
        ["DC903 1", "DC903 4", "DC903 6", "DC903 8"],
        id="DC903-key-ids-env-passwords-bearer-tokens-not-templates-or-examples",
    ),
    pytest.param(
        """
        from airflow.providers.common.sql.operators.sql import SQLExecuteQueryOperator as SQL

        TABLE = os.environ["TABLE"]
        with DAG("d", schedule="@daily", start_date=datetime(2024, 1, 1)):
            SQL(task_id="append", sql="insert into t select * from s")
            SQL(task_id="merge", sql="MERGE INTO t USING s ON t.id = s.id ...")
            SQL(task_id="slice", sql=["DELETE FROM t WHERE day = '{{ ds }}'", "INSERT INTO t ..."])
            SQL(task_id="file", sql="queries/load.sql")
            SQL(task_id="fmt", sql=f"SELECT * FROM {TABLE}")
            SQL(task_id="pct", sql="SELECT * FROM %s" % TABLE)
            SQL(task_id="dotformat", sql="SELECT * FROM {}".format(TABLE))
            SQL(task_id="literal_f", sql=f"SELECT * FROM {'t'} WHERE day = '{{{{ ds }}}}'")
        """,
        "DC103,DC904",
        ["DC103 5", "DC904 10", "DC904 11", "DC904 9"],
        id="DC103-DC904-what-the-sql-argument-says",
    ),
    pytest.param(
        """
        from airflow.providers.common.sql.operators.sql import SQLExecuteQueryOperator as SQL

        TABLES = ["orders", "refunds"]
        COLUMNS = ", ".join(["id", "amount"])
        with DAG("d", schedule="@daily", start_date=datetime(2024, 1, 1)):
            SQL(task_id="joined", sql=f"SELECT {COLUMNS} FROM {', '.join(TABLES)}")
            SQL(task_id="formatted", sql="TRUNCATE {}".format("staging"))
            SQL(task_id="from_env", sql="TRUNCATE {}".format(os.environ["TABLE"]))
        """,
        "DC904",
        ["DC904 8"],
        id="DC904-sql-built-from-literals-alone-is-not-injection",
    ),
    pytest.param(
        """
        from airflow.models import Variable as V
        from airflow.sdk import Variable, task

        BUCKET = Variable.get("bucket")


        def owner():
            return V.get("owner")


        def never_called():
            return Variable.get("unused")


        def in_callable():
            return Variable.get("at_run_time")


        with DAG("d", schedule="@daily", start_date=datetime(2024, 1, 1),
                 default_args={"owner": owner()}):
            @task
            def in_task():
                return Variable.get("at_run_time")

            in_task()
            BashOperator(task_id="b", bash_command="echo {{ var.value.bucket }}")
        """,
        "DC901",
        ["DC901 4"],  # one per file, naming line 8 too (below)
        id="DC901-parse-time-reads-not-task-code",
    ),
    pytest.param(
        """
        with DAG("d", schedule="@daily", start_date=datetime(2024, 1, 1),
                 default_args={"depends_on_past": True}):
            BashOperator(task_id="a", bash_command="a.sh")
            BashOperator(task_id="b", bash_command="b.sh")
            BashOperator(task_id="c", bash_command="c.sh", depends_on_past=False)
            BashOperator(task_id="d", bash_command="d.sh", depends_on_past=True)
        """,
        "DC104",
        ["DC104 2", "DC104 6"],
        id="DC104-one-finding-per-place-the-value-is-written",
    ),
    pytest.param(
        """
        from airflow.sdk import task

        with DAG("d", schedule="@daily", start_date=datetime(2024, 1, 1)):
            @task(retries=3, retry_policy=object())
            def call_api():
                pass

            call_api()
            BashOperator(task_id="fixed", bash_command="a.sh", retries=3)
        """,
        "DC203",
        ["DC203 9"],
        id="DC203-a-retry-policy-decides-delays-itself",
    ),
    pytest.param(
        """
        with DAG("d", schedule="@daily", start_date=datetime(2024, 1, 1)):
            BashOperator(task_id="a", bash_command="a.sh")
            BashOperator(task_id="b", bash_command="b.sh")
            EmptyOperator(task_id="done")
        """,
        "DC201",
        ["DC201 1"],
        id="DC201-every-task-at-default-is-one-finding-on-the-dag",
    ),
    pytest.param(
        """
        with DAG("d", schedule="@daily", start_date=datetime(2024, 1, 1)):
            BashOperator(task_id="a", bash_command="a.sh", retries=3)
            BashOperator(task_id="b", bash_command="b.sh")
        """,
        "DC201",
        ["DC201 3"],
        id="DC201-task-override-leaves-one-task-without",
    ),
    pytest.param(
        """
        with DAG("d", schedule="@daily", start_date=datetime(2024, 1, 1),
                 default_args={"retries": 0}):
            BashOperator(task_id="a", bash_command="a.sh")
            BashOperator(task_id="b", bash_command="b.sh", retries=2)
        """,
        "DC201,DC202",
        ["DC202 2"],
        id="DC202-retries-0-in-default-args-points-at-the-dict",
    ),
    pytest.param(
        """
        with DAG("d", schedule="@daily", start_date=datetime(2024, 1, 1),
                 default_args={"retries": 2}):
            BashOperator(task_id="a", bash_command="a.sh")
            EmptyOperator(task_id="noop")
        """,
        "DC201",
        [],
        id="DC201-default-args-cover-every-task",
    ),
    pytest.param(
        """
        with DAG("d", schedule="@daily", start_date=datetime(2024, 1, 1), max_active_runs=1,
                 default_args=json.loads(os.environ["DEFAULTS"])):
            BashOperator(task_id="a", bash_command="a.sh")
        """,
        "DC2,DC4,DC5,DC6",
        ["DC402 1", "DC504 1"],
        id="opaque-default-args-silence-every-task-rule",
    ),
    pytest.param(
        """
        with DAG("d", schedule="@daily", start_date=datetime(2024, 1, 1)):
            BashOperator(task_id="a", bash_command="a.sh", execution_timeout=timedelta(hours=1))
            BashOperator(task_id="b", bash_command="b.sh")
            FileSensor(task_id="wait", filepath="/data/x", timeout=600, mode="reschedule")
        """,
        "DC401",
        ["DC401 3"],
        id="DC401-sensors-and-tasks-with-a-timeout-are-quiet",
    ),
    pytest.param(
        """
        with DAG("d", schedule="@daily", start_date=datetime(2024, 1, 1),
                 dagrun_timeout=timedelta(hours=2)):
            BashOperator(task_id="a", bash_command="a.sh")
        with DAG("e", schedule="@daily", start_date=datetime(2024, 1, 1),
                 dagrun_timeout=None):
            BashOperator(task_id="a", bash_command="a.sh")
        """,
        "DC401",
        ["DC401 6"],
        id="DC401-quiet-where-dagrun-timeout-stops-the-run",
    ),
    pytest.param(
        """
        with DAG("d", schedule="@daily", start_date=datetime(2024, 1, 1),
                 default_args={"mode": "reschedule"}):
            FileSensor(task_id="reschedules", filepath="/data/x")
            FileSensor(task_id="defers", filepath="/data/x", deferrable=True, mode="poke")
            FileSensor(task_id="bounded", filepath="/data/x", mode="poke", timeout=600)
            FileSensor(task_id="pokes", filepath="/data/x", mode="poke")
        """,
        "DC403",
        ["DC403 6"],
        id="DC403-only-the-unbounded-poking-sensor",
    ),
    pytest.param(
        """
        with DAG("d", schedule="@daily", start_date=datetime(2024, 1, 1),
                 default_args={"owner": "sales"}, tags=["team:sales"]):
            BashOperator(task_id="a", bash_command="a.sh")
        with DAG("e", schedule="@daily", start_date=datetime(2024, 1, 1), tags=[]):
            BashOperator(task_id="a", bash_command="a.sh", owner="ops")
            BashOperator(task_id="b", bash_command="b.sh")
        with DAG("f", schedule="@daily", start_date=datetime(2024, 1, 1), tags=["team:ops"],
                 default_args={"owner": "ops"}):
            BashOperator(task_id="a", bash_command="a.sh")
        """,
        "DC501,DC502,DC503",
        ["DC501 4"],
        id="DC5-one-task-owner-is-enough-empty-tags-are-none",
    ),
    pytest.param(
        """
        with DAG("emails", schedule="@daily", start_date=datetime(2024, 1, 1),
                 default_args={"email": ["oncall@example.com"]}):
            BashOperator(task_id="a", bash_command="a.sh")
        with DAG("muted", schedule="@daily", start_date=datetime(2024, 1, 1),
                 default_args={"email": ["oncall@example.com"], "email_on_failure": False}):
            BashOperator(task_id="a", bash_command="a.sh")
        with DAG("dag_callback", schedule="@daily", start_date=datetime(2024, 1, 1),
                 on_failure_callback=print):
            BashOperator(task_id="a", bash_command="a.sh")
        """,
        "DC601",
        ["DC601 4"],
        id="DC601-email-or-a-dag-callback-counts-muted-email-does-not",
    ),
    pytest.param(
        """
        with DAG("manual", schedule=None, start_date=datetime(2024, 1, 1)):
            pass
        with DAG("once", schedule="@once", start_date=datetime(2024, 1, 1)):
            pass
        with DAG("hourly", schedule=timedelta(hours=1), start_date=datetime(2024, 1, 1)):
            pass
        """,
        "DC702",
        ["DC702 5"],
        id="DC702-only-time-based-schedules-catch-up",
    ),
    pytest.param(
        """
        from airflow.sdk import dag

        @dag(schedule="@hourly", start_date=datetime(2024, 1, 1))
        def hourly():
            BashOperator(task_id="a", bash_command="a.sh")

        hourly()
        """,
        "DC702",
        [],
        id="DC702-silent-on-code-only-airflow-3-runs-airflow-sdk",
    ),
    pytest.param(
        """
        with DAG("a", start_date=pendulum.datetime(2024, 1, 1, tz="Europe/Paris")):
            pass
        with DAG("b", schedule="@daily", start_date=datetime(2024, 1, 1), catchup=False):
            pass
        with DAG("c", schedule=None, start_date=datetime(2024, 1, 1)):
            pass
        """,
        "DC701,DC704",
        ["DC701 1", "DC704 3"],
        id="DC701-DC704-implicit-schedule-and-naive-start-date-of-a-scheduled-dag",
    ),
    pytest.param(
        """
        from airflow.utils.dates import days_ago

        with DAG("a", schedule="@daily", start_date=days_ago(1)):
            pass
        with DAG("b", schedule="@daily", start_date=pendulum.today("UTC").add(days=-1)):
            pass
        with DAG("c", schedule="@daily", start_date=datetime(2024, 1, 1),
                 end_date=datetime.now() + timedelta(days=30)):
            pass
        with DAG("d", schedule="@daily", start_date=pendulum.datetime(2024, 1, 1, tz="UTC")):
            pass
        """,
        "DC101",
        ["DC101 3", "DC101 5", "DC101 8"],
        id="DC101-clock-readings-through-arithmetic-and-methods",
    ),
    pytest.param(
        """
        with DAG("d", schedule="@daily", start_date=datetime(2024, 1, 1)):
            for region in ["eu", "us"]:
                BashOperator(task_id="load", bash_command=f"load.sh {region}")
            a = EmptyOperator(task_id="a")
            b = EmptyOperator(task_id="b")
            c = EmptyOperator(task_id="c")
            a >> b >> c >> a
        """,
        "DC801,DC802",
        ["DC801 3", "DC802 1"],
        id="DC801-DC802-duplicate-id-and-cycle",
    ),
    pytest.param(
        """
        with DAG("d", schedule="@daily", start_date=datetime(2024, 1, 1)):
            first = BashOperator(task_id="load", bash_command="a.sh")
            second = BashOperator(task_id="load", bash_command="b.sh")
            first >> second
        """,
        "DC801,DC802",
        ["DC801 3"],
        id="DC802-two-tasks-with-one-id-are-a-duplicate-not-a-cycle",
    ),
    pytest.param(
        """
        BASE = {"owner": "data", "retries": 2}
        with DAG("a", schedule="@daily", start_date=datetime(2024, 1, 1),
                 default_args=BASE | {"catchup": False, "max_active_runs": 1}):
            BashOperator(task_id="t", bash_command="t.sh")
        with DAG("b", schedule="@daily", start_date=datetime(2024, 1, 1), catchup=False,
                 default_args={"owner": "data", "catchup": False}):
            BashOperator(task_id="t", bash_command="t.sh")
        """,
        "DC702,DC706",
        ["DC702 2", "DC706 3"],
        id="DC706-dag-arguments-in-default-args-are-ignored-and-not-counted-as-set",
    ),
    pytest.param(
        """
        ARGS = {"owner": "data"}
        ARGS |= {"start_date": datetime.now() - timedelta(days=1)}
        OTHER = {"owner": "data"}
        OTHER["start_date"] = pendulum.yesterday()
        with DAG("a", schedule="@daily", default_args=ARGS):
            BashOperator(task_id="t", bash_command="t.sh")
        with DAG("b", schedule="@daily", default_args=OTHER):
            BashOperator(task_id="t", bash_command="t.sh")
        with DAG("c", schedule="@daily", start_date=datetime(2024, 1, 1), default_args=ARGS):
            BashOperator(task_id="t", bash_command="t.sh")
        """,
        "DC101",
        ["DC101 2", "DC101 4"],
        id="DC101-a-start-date-from-the-clock-in-default-args",
    ),
    pytest.param(
        """
        RAISED = {"retries": 0}
        RAISED.update({"retries": 2})
        LOWERED = {"retries": 2}
        LOWERED["retries"] = 0
        POPPED = {"retries": 0}
        POPPED.pop("retries")
        with DAG("a", schedule="@daily", start_date=datetime(2024, 1, 1), default_args=RAISED):
            BashOperator(task_id="t", bash_command="t.sh")
        with DAG("b", schedule="@daily", start_date=datetime(2024, 1, 1), default_args=LOWERED):
            BashOperator(task_id="t", bash_command="t.sh")
        with DAG("c", schedule="@daily", start_date=datetime(2024, 1, 1), default_args=POPPED):
            BashOperator(task_id="t", bash_command="t.sh")
        """,
        "DC201,DC202",
        ["DC202 4"],
        id="DC202-default-args-changed-in-place-are-followed-or-unknown",
    ),
    pytest.param(
        """
        from airflow.providers.standard.operators.latest_only import LatestOnlyOperator
        from airflow.providers.standard.operators.python import (
            BranchPythonOperator,
            ShortCircuitOperator,
        )
        from airflow.sdk import task

        HOUR = timedelta(hours=1)
        with DAG("d", schedule="@daily", start_date=datetime(2024, 1, 1)):
            LatestOnlyOperator(task_id="latest_only")
            ShortCircuitOperator(task_id="weekday", python_callable=lambda: True, retries=3)
            BranchPythonOperator(task_id="route", python_callable=lambda: "a")

            @task.branch(retries=3)
            def pick():
                return "a"

            pick()
            BashOperator(task_id="a", bash_command="a.sh", retries=3, execution_timeout=HOUR)
            BashOperator(task_id="once", bash_command="b.sh", retries=1)
        """,
        "DC201,DC203,DC401",
        ["DC203 19", "DC401 20"],
        id="DC201-DC203-DC401-tasks-that-only-steer-the-run-and-one-retry-are-quiet",
    ),
    pytest.param(
        """
        import json
        import logging
        import time

        import requests
        from airflow.sdk import task

        def format(value):  # the module's own, not the builtin: it may do anything
            return requests.get(value).text

        with DAG("d", schedule="@daily", start_date=datetime(2024, 1, 1)):

            @task
            def total(rows: list[int]) -> str:
                logging.getLogger(__name__).info("summing %s rows", len(rows))
                time.sleep(1)
                return json.dumps({"total": sum(rows)}).upper()

            @task
            def fetch(url: str) -> str:
                return requests.get(url, timeout=10).text

            @task
            def styled(value: str) -> str:
                return format(value)

            @task.bash
            def script() -> str:
                return "load.sh"

            total([1, 2])
            fetch("https://example.com")
            styled("x")
            script()
        """,
        "DC201,DC401",
        ["DC201 11", "DC401 11"],  # one finding each, naming the 3 tasks but total
        id="DC201-DC401-taskflow-bodies-that-only-compute-are-quiet",
    ),
    pytest.param(
        """
        import json

        from airflow.sdk import task

        with DAG("d", schedule="@daily", start_date=datetime(2024, 1, 1)):

            @task
            def total(rows: list[int]) -> str:
                print(f"{len(rows)} rows")
                return json.dumps({"total": sum(rows)})

            total([1, 2])
        """,
        "DC201,DC401",
        [],
        id="DC201-DC401-a-dag-whose-one-task-only-computes-is-quiet",
    ),
    pytest.param(
        """
        import pandas as pd
        from airflow.sdk import task
        from team_utils.env import getenv_or_raise
        from team_utils.logging import log

        with DAG("d", schedule="@daily", start_date=datetime(2024, 1, 1)):

            @task
            def recent(rows: list[dict]) -> list[dict]:
                log(f"filtering {len(rows)} rows since {getenv_or_raise('SINCE')}")
                frame = pd.DataFrame(rows).drop(columns=["raw"])
                frame["day"] = pd.to_datetime(frame["day"], utc=True).dt.tz_localize(None)
                return frame.drop_duplicates().head(100).to_dict("records")

            recent([])
        """,
        "DC201,DC401",
        [],
        id="DC201-DC401-a-team-s-log-and-getenv-helpers-and-frame-methods-stay-inside",
    ),
    pytest.param(
        """
        import subprocess

        import requests
        from airflow.sdk import task

        def fetch(url, seconds):
            return requests.get(url, timeout=seconds).json()

        with DAG("d", schedule="@daily", start_date=datetime(2024, 1, 1),
                 default_args={"retries": 2}):

            @task
            def rows():
                return fetch("https://api.example.com/rows", 30)

            @task
            def export():
                subprocess.run(["export.sh"], check=True, timeout=600)
                requests.post("https://api.example.com/done", timeout=None)

            rows()
            export()
            BashOperator(task_id="timed", bash_command="t.sh", execution_timeout=timedelta(hours=1))
        """,
        "DC401",
        ["DC401 22"],  # export: its post waits for ever; rows's get gives up after 30 s
        id="DC401-calls-given-a-timeout-give-up-by-themselves-timeout-none-does-not",
    ),
    pytest.param(
        """
        from pathlib import Path

        import requests
        from airflow.providers.standard.operators.python import PythonOperator
        from airflow.sdk import task

        def tidy(rows):
            return sorted(set(rows))

        def post(rows):
            return requests.post("https://example.com/rows", json=tidy(rows), timeout=10)

        def write_report(rows):
            os.makedirs("/tmp/report", exist_ok=True)
            Path("/tmp/report/rows.json").write_text(json.dumps(tidy(rows)))

        with DAG("helpers", schedule="@daily", start_date=datetime(2024, 1, 1)):

            @task
            def clean(rows):
                return tidy(rows)

            @task(retries=2, execution_timeout=timedelta(minutes=5))
            def push(rows):
                return post(rows)

            report = PythonOperator(task_id="report", python_callable=write_report)
            send = PythonOperator(
                task_id="send",
                python_callable=post,
                retries=2,
                execution_timeout=timedelta(minutes=5),
            )
            clean([1]) >> push([1]) >> report >> send
        """,
        "DC201,DC401",
        [],  # push and send, whose helpers reach out, have both; clean and report need neither
        id="DC201-DC401-helpers-and-python-callables-are-judged-by-their-bodies",
    ),
    pytest.param(
        """
        HOUR = timedelta(hours=1)
        with DAG("bounded", schedule="@daily", start_date=datetime(2024, 1, 1),
                 max_active_runs=1, default_args={"execution_timeout": HOUR}):
            BashOperator(task_id="a", bash_command="a.sh")
            BashOperator(task_id="b", bash_command="b.sh")
        with DAG("open", schedule="@daily", start_date=datetime(2024, 1, 1),
                 max_active_runs=1):
            BashOperator(task_id="a", bash_command="a.sh", execution_timeout=HOUR)
            BashOperator(task_id="b", bash_command="b.sh")
        """,
        "DC402",
        ["DC402 6"],
        id="DC402-a-dag-whose-every-task-has-a-timeout-cannot-stay-stuck",
    ),
    pytest.param(
        """
        with DAG("one_at_a_time", schedule="@daily", start_date=datetime(2024, 1, 1),
                 max_active_runs=1):
            BashOperator(task_id="a", bash_command="a.sh")
        with DAG("waits_on_yesterday", schedule="@daily", start_date=datetime(2024, 1, 1)):
            BashOperator(task_id="a", bash_command="a.sh", depends_on_past=True)
        with DAG("default_limit", schedule="@daily", start_date=datetime(2024, 1, 1)):
            BashOperator(task_id="a", bash_command="a.sh")
        with DAG("two_at_a_time", schedule="@daily", start_date=datetime(2024, 1, 1),
                 max_active_runs=2):
            BashOperator(task_id="a", bash_command="a.sh")
        with DAG("limit_from_env", schedule="@daily", start_date=datetime(2024, 1, 1),
                 max_active_runs=int(os.environ["RUNS"])):
            BashOperator(task_id="a", bash_command="a.sh")
        with DAG("backfill_by_hand", schedule=None, start_date=datetime(2024, 1, 1),
                 max_active_runs=1):
            BashOperator(task_id="a", bash_command="a.sh", depends_on_past=True)
        """,
        "DC402",
        ["DC402 1", "DC402 4"],
        id="DC402-only-where-a-stuck-run-holds-back-the-next-scheduled-ones",
    ),
    pytest.param(
        """
        import numpy
        import pandas as pd
        from airflow.sdk import task

        with DAG("d", schedule="@daily", start_date=datetime(2024, 1, 1)):
            BashOperator(task_id="a", bash_command="a.sh")
        """,
        "DC905",
        ["DC905 1"],
        id="DC905-one-finding-per-file-naming-every-heavy-import",
    ),
]


def test_parse_time_reads_are_one_finding_per_file_naming_each(tmp_path: Path) -> None:
    [case] = [case for case in CASES if case.id == "DC901-parse-time-reads-not-task-code"]

    [finding] = findings(tmp_path, case.values[0], "DC901")

    line = FIRST_LINE + 8 - 1
    assert finding.message.startswith(
        f"Variable.get() (and 1 more Variable or Connection reads: line {line}) runs every time"
    )


@pytest.mark.parametrize(("body", "select", "expected"), CASES)
def test_rule(tmp_path: Path, body: str, select: str, expected: list[str]) -> None:
    assert located(findings(tmp_path, body, select)) == expected


LEGACY = """
from airflow import DAG
from airflow.operators.dummy import DummyOperator

with DAG("d", schedule_interval="@daily", start_date=datetime(2024, 1, 1)):
    DummyOperator(task_id="start")
"""


@pytest.mark.parametrize(
    ("target", "severity", "word"),
    [("2", "warning", "deprecated"), ("3", "error", "removed in Airflow 3")],
)
def test_legacy_api_is_an_error_only_when_targeting_airflow_3(
    tmp_path: Path, target: str, severity: str, word: str
) -> None:
    found = findings(tmp_path, LEGACY, "DC703,DC803", target=target)
    assert [(f.code, f.severity.value) for f in found] == [
        ("DC703", severity),
        ("DC803", severity),
    ]
    assert all(word in f.message for f in found)


def test_messages_name_the_dag_and_the_task(tmp_path: Path) -> None:
    [finding] = findings(
        tmp_path,
        """
        with DAG("sales_daily", schedule="@daily", start_date=datetime(2024, 1, 1)):
            BashOperator(task_id="load", bash_command="load.sh")
        """,
        "DC201",
    )
    assert finding.message == (
        "task 'load' in DAG 'sales_daily' has no retries (none on the task or in "
        "default_args); set retries >= 1"
    )
    assert (finding.pipeline, finding.task) == ("sales_daily", "load")


@pytest.mark.parametrize(
    ("min_retries", "expected"),
    [
        (1, ["DC201 4"]),
        (2, ["DC201 4", "DC202 2"]),
        (3, ["DC201 4", "DC202 2", "DC202 3"]),
    ],
)
def test_a_written_retries_zero_is_a_decision_unless_the_team_sets_a_minimum(
    tmp_path: Path, min_retries: int, expected: list[str]
) -> None:
    # Task "c" is at Airflow's default: that is DC201's finding, never DC202's.
    path = tmp_path / "dag.py"
    body = """
        with DAG("d", schedule="@daily", start_date=datetime(2024, 1, 1)):
            BashOperator(task_id="a", bash_command="a.sh", retries=0)
            BashOperator(task_id="b", bash_command="b.sh", retries=2)
            BashOperator(task_id="c", bash_command="c.sh")
        """
    path.write_text(HEADER + "\n" + textwrap.dedent(body).lstrip("\n"), encoding="utf-8")
    policy = RuleOptions(min_retries=min_retries)
    [model] = run([path], Options(select=("DC201", "DC202"), policy=policy))
    assert located(model.findings) == expected


def test_a_value_inherited_from_default_args_is_reported_once_where_it_is_written(
    tmp_path: Path,
) -> None:
    [finding] = findings(
        tmp_path,
        """
        with DAG("ledger", schedule="@daily", start_date=datetime(2024, 1, 1),
                 default_args={"retries": 0}):
            BashOperator(task_id="a", bash_command="a.sh")
            BashOperator(task_id="b", bash_command="b.sh")
        """,
        "DC202",
    )
    assert finding.message == (
        "retries=0 on 2 tasks of DAG 'ledger' (through default_args) is below the team minimum of 2"
    )
    assert (finding.span.line - FIRST_LINE + 1, finding.task) == (2, None)


def test_tasks_of_a_dag_followed_in_part_are_one_finding_saying_so(tmp_path: Path) -> None:
    found = findings(
        tmp_path,
        """
        with DAG("ledger", schedule="@daily", start_date=datetime(2024, 1, 1)):
            BashOperator(task_id="a", bash_command="a.sh")
            BashOperator(task_id="b", bash_command="b.sh")
            for table in json.loads(os.environ["TABLES"]):
                BashOperator(task_id=table, bash_command="c.sh")
        """,
        "DC201,DC401",
    )
    assert [(f.code, f.task, f.message.split(" has ")[0]) for f in found] == [
        ("DC201", None, "none of the 2 tasks of DAG 'ledger' that dagcheck could follow"),
        ("DC401", None, "none of the 2 tasks of DAG 'ledger' that dagcheck could follow"),
    ]


def test_duplicate_dag_id_across_files_is_reported_on_the_later_file(tmp_path: Path) -> None:
    dag = 'with DAG("sales_daily", schedule="@daily", start_date=datetime(2024, 1, 1)):\n'
    source = f"{HEADER}\n{dag}    pass\n"
    (tmp_path / "a_sales.py").write_text(source)
    (tmp_path / "b_sales_copy.py").write_text(source)
    (tmp_path / "c_sales_muted.py").write_text(source.replace("):\n", "):  # noqa: DC805\n"))
    models = run([tmp_path], Options(select=("DC805",)))
    found = {model.path.name: [f.message for f in model.findings] for model in models}
    first = f"{(tmp_path / 'a_sales.py').as_posix()}:{FIRST_LINE}"
    assert found == {
        "a_sales.py": [],
        "b_sales_copy.py": [
            f"DAG id 'sales_daily' is already defined at {first}: Airflow keeps one of them "
            "and reports the other as an import error; give each DAG its own dag_id"
        ],
        "c_sales_muted.py": [],
    }


def test_duplicate_dag_ids_conflict_only_within_one_dag_folder(tmp_path: Path) -> None:
    dag = 'with DAG("sales_daily", schedule="@daily", start_date=datetime(2024, 1, 1)):\n'
    source = f"{HEADER}\n{dag}    pass\n"
    files = ["shop/dags/sales.py", "shop/dags/z_team/sales_copy.py", "demo/dags/sales.py"]
    for name in files:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(source)
    models = run([tmp_path], Options(select=("DC805",)))
    found = {
        model.path.relative_to(tmp_path).as_posix(): [f.message for f in model.findings]
        for model in models
    }
    folder = (tmp_path / "shop" / "dags").as_posix()
    assert found == {
        "demo/dags/sales.py": [],  # another project's DAG folder
        "shop/dags/z_team/sales_copy.py": [
            f"DAG id 'sales_daily' is already defined at {folder}/sales.py:{FIRST_LINE} in the "
            f"same DAG folder ({folder}/): Airflow keeps one of them and reports the other as "
            "an import error; give each DAG its own dag_id"
        ],
        "shop/dags/sales.py": [],
    }


def test_a_dag_nothing_in_the_tree_starts_is_not_asked_for_retries_or_timeouts(
    tmp_path: Path,
) -> None:
    header = HEADER + "from airflow.operators.trigger_dagrun import TriggerDagRunOperator\n\n"
    files = {
        **triggered_tree(header),
        "self_chaining.py": header
        + 'with DAG("catch_up", schedule=None, start_date=datetime(2024, 1, 1)):\n'
        + '    TriggerDagRunOperator(task_id="again", trigger_dag_id="catch_up")\n',
        # A mapping by DAG id starts nothing.
        "settings.py": header + 'PARAMS = {"backfill_sales": {"days": 30}}\n',
    }
    for name, source in files.items():
        (tmp_path / name).write_text(source, encoding="utf-8")
    selected = ("DC201", "DC401", "DC601")

    models = run([tmp_path], Options(select=selected))

    found = {m.path.name: sorted({f.code for f in m.findings}) for m in models}
    assert found == {
        "backfill.py": [],  # schedule=None and named nowhere else: run by hand
        "export.py": ["DC201", "DC401", "DC601"],  # another DAG triggers it
        "nightly.py": ["DC201", "DC401", "DC601"],
        "self_chaining.py": ["DC201", "DC401", "DC601"],  # it triggers itself
        "settings.py": [],
    }
    assert [p.run_by_hand for m in models for p in m.pipelines] == [True, False, False, False]
    shown = io.StringIO()
    write_model_text(models[:1], shown, show_defaults=False)
    assert "  run by hand: nothing in the checked files schedules or starts it" in shown.getvalue()
    # A one-file run (pre-commit) sees no trigger in other files.
    [alone] = run([tmp_path / "export.py"], Options(select=selected))
    assert alone.findings == []


def test_tags_are_asked_for_where_the_tree_uses_them(tmp_path: Path) -> None:
    dag = 'with DAG("{id}", schedule="@daily", start_date=datetime(2024, 1, 1){tags}):\n    pass\n'
    for name in ("orders", "sales"):
        (tmp_path / f"{name}.py").write_text(HEADER + dag.format(id=name, tags=""))

    def untagged(policy: RuleOptions | None = None) -> list[str]:
        models = run([tmp_path], Options(select=("DC501",), policy=policy or RuleOptions()))
        return [f.pipeline or "" for m in models for f in m.findings]

    assert untagged() == []  # no DAG of the tree is tagged: it does not use tags
    assert untagged(RuleOptions(required_tags=("team:*",))) == ["orders", "sales"]
    for name in ("stock", "tills"):
        (tmp_path / f"{name}.py").write_text(HEADER + dag.format(id=name, tags=', tags=["ops"]'))
        # One tagged DAG of three is not the tree's convention; two of four are not most.
        assert untagged() == []
    (tmp_path / "yards.py").write_text(HEADER + dag.format(id="yards", tags=', tags=["ops"]'))
    assert untagged() == ["orders", "sales"]


def test_secret_findings_never_print_the_secret(tmp_path: Path) -> None:
    found = findings(
        tmp_path,
        """
        PASSWORD = "hunter2-prod-9f8e"
        URI = "mysql://etl:s3cr3t-pw@db.internal/dw"
        """,
        "DC903",
    )
    assert [f.message for f in found] == [
        "hard-coded credential: a literal value for 'PASSWORD' is written in the DAG file; keep "
        "it in an Airflow Connection or a secrets backend and reference it by conn_id",
        "hard-coded credential: a mysql:// connection URI with a password is written in the DAG "
        "file; keep it in an Airflow Connection or a secrets backend and reference it by conn_id",
    ]
