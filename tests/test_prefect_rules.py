"""Each rule on Prefect flows: the variants that must fire, those that must stay quiet, and
the shared rules' Prefect wording. Cases are (source, selected codes, expected "CODE line")."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from dagcheck.config import RuleOptions
from dagcheck.engine import Options, run
from dagcheck.findings import Finding

HEADER = """\
from datetime import date, datetime, timedelta

import requests
from prefect import flow, tags, task
from prefect.cache_policies import INPUTS, RUN_ID, TASK_SOURCE
from prefect.deployments import run_deployment
from prefect.schedules import Cron, RRule
from prefect.tasks import Task, exponential_backoff, task_input_hash
from prefect.transactions import transaction


def alert(*args): ...


def call_api(*args):
    return requests.get("https://api.example.com/rows")
"""
FIRST_LINE = HEADER.count("\n") + 2

POLICY = RuleOptions(min_retries=2)


def findings(tmp_path: Path, body: str, select: str, target: str = "3") -> list[Finding]:
    path = tmp_path / "flows.py"
    path.write_text(HEADER + "\n" + textwrap.dedent(body).lstrip("\n"), encoding="utf-8")
    options = Options(select=tuple(select.split(",")), target_prefect=target, policy=POLICY)
    [model] = run([path], options)
    return model.findings


def located(found: list[Finding]) -> list[str]:
    return sorted(f"{f.code} {f.span.line - FIRST_LINE + 1}" for f in found)


CASES = [
    # -- DC201 / DC202 / DC206 / DC207 / DC208: retries ----------------------------------
    pytest.param(
        """
        @task
        def extract(): call_api()

        @task(retries=2, retry_delay_seconds=30)
        def load(rows): call_api()

        @flow
        def etl():
            load(extract())
            extract()
        """,
        "DC201",
        ["DC201 1"],
        id="DC201-once-per-task-definition-at-its-decorator",
    ),
    pytest.param(
        """
        @task
        def extract(): call_api()

        @flow(retries=2, retry_delay_seconds=60)
        def etl():
            extract()
        """,
        "DC201",
        [],
        id="DC201-quiet-when-the-flow-retries",
    ),
    pytest.param(
        """
        @task(retries=0)
        def charge_card(): call_api()

        @task
        def extract(): call_api()

        @flow
        def etl():
            charge_card()
            extract()
        """,
        "DC201,DC202",
        ["DC201 4", "DC202 1"],
        id="DC201-a-written-retries-zero-is-a-decision-DC202-under-a-minimum",
    ),
    pytest.param(
        """
        @task(retries=1, retry_delay_seconds=10)
        def extract(): call_api()

        @flow
        def etl():
            extract()
            extract()
        """,
        "DC202",
        ["DC202 1"],
        id="DC202-below-team-minimum-once-per-definition",
    ),
    pytest.param(
        """
        @task(retries=3)
        def extract(): call_api()

        @task(retries=3, retry_delay_seconds=0)
        def load(rows): call_api()

        @task(retries=3, retry_delay_seconds=[10, 60])
        def publish(rows): call_api()

        @flow(retries=1)
        def etl():
            publish(load(extract()))
        """,
        "DC206",
        ["DC206 1", "DC206 4", "DC206 10"],
        id="DC206-retries-with-no-or-zero-delay-on-tasks-and-flow",
    ),
    pytest.param(
        """
        @task(retries=3, retry_delay_seconds=exponential_backoff(backoff_factor=10))
        def fetch(url): call_api()

        @task(retries=3, retry_delay_seconds=[1, 10, 100], retry_jitter_factor=0.5)
        def parse(page): call_api()

        @task(retries=3, retry_delay_seconds=[1, 10, 100])
        def store(page): call_api()

        @flow
        def crawl(urls: list[str]):
            pages = fetch.map(urls)
            parse.map(pages)
            store(pages)
        """,
        "DC207",
        ["DC207 1"],
        id="DC207-mapped-backoff-without-jitter-only",
    ),
    pytest.param(
        """
        @flow(retries=2, retry_delay_seconds=[10, 60])
        def etl(): ...

        @flow(retries=2, retry_delay_seconds=exponential_backoff(backoff_factor=2))
        def sync(): ...

        @flow(retries=2, retry_delay_seconds=30)
        def report(): ...
        """,
        "DC208",
        ["DC208 1", "DC208 4"],
        id="DC208-list-or-callable-delay-on-a-flow",
    ),
    # -- DC401 / DC402 / DC404: timeouts -------------------------------------------------
    pytest.param(
        """
        @task
        def extract(): call_api()

        @task(timeout_seconds=300)
        def load(rows): call_api()

        @flow
        def child():
            call_api()

        @flow
        def etl():
            load(extract())
            child()

        etl.serve(name="etl-hourly", cron="0 * * * *", concurrency_limit=1)
        """,
        "DC401,DC402",
        ["DC401 1", "DC402 11"],  # child runs only inside etl, whose timeout bounds it
        id="DC401-DC402-missing-timeouts-a-subflow-answers-to-its-parent",
    ),
    pytest.param(
        """
        @flow
        def one_at_a_time(): call_api()

        @flow
        def unlimited(): call_api()

        @flow
        def limit_of_three(): call_api()

        @flow
        def never_deployed(): call_api()

        one_at_a_time.serve(name="a", concurrency_limit=1)
        unlimited.serve(name="b", cron="0 * * * *")
        limit_of_three.serve(name="c", concurrency_limit=3)
        """,
        "DC402",
        ["DC402 1"],
        id="DC402-only-flows-whose-deployment-runs-one-at-a-time",
    ),
    pytest.param(
        """
        @flow(timeout_seconds=0)
        def etl(): ...

        @flow(timeout_seconds=3600)
        def sync(): ...

        @task(timeout_seconds=0.0)
        def load(): call_api()
        """,
        "DC402,DC404",
        ["DC404 1", "DC404 7"],
        id="DC404-zero-timeout-on-flows-and-tasks-not-also-DC402",
    ),
    # -- DC601 / DC603 / DC604: alerting -------------------------------------------------
    pytest.param(
        """
        @task
        def extract(): call_api()

        @flow
        def quiet():
            extract()

        @flow(on_failure=[alert], on_crashed=[alert])
        def paged():
            extract()

        @task(on_failure=[alert])
        def watched(): call_api()

        @flow
        def task_alerts():
            watched()
        """,
        "DC601",
        ["DC601 4"],
        id="DC601-flow-without-any-failure-hook",
    ),
    pytest.param(
        """
        @flow(on_failure=alert)
        def etl(): ...

        @task(on_completion=alert, on_failure=[alert])
        def load(): call_api()
        """,
        "DC603",
        ["DC603 1", "DC603 4"],
        id="DC603-bare-function-hooks",
    ),
    pytest.param(
        """
        @flow(on_failure=[alert])
        def etl(): ...

        @flow(on_failure=[alert])
        def sync(): ...

        @sync.on_crashed
        def crashed(*args): ...

        @flow(on_failure=[alert], on_crashed=[alert])
        def report(): ...
        """,
        "DC604",
        ["DC604 1"],
        id="DC604-on-failure-without-on-crashed-decorator-counts",
    ),
    # -- DC102 / DC105 / DC106 / DC107: idempotency ---------------------------------------
    pytest.param(
        """
        @task
        def window():
            return datetime.now() - timedelta(days=1)

        @task
        def day():
            return date.today().isoformat()

        @flow
        def etl():
            started = datetime.now().isoformat()
            window()
            window()
            day()
        """,
        "DC102",
        ["DC102 3", "DC102 7"],
        id="DC102-clock-read-once-per-task-stamps-ignored",
    ),
    pytest.param(
        """
        @task(retries=2, retry_delay_seconds=10)
        def load(df):
            df.to_sql("sales", con=None)

        @task(retries=2, retry_delay_seconds=10)
        def load_in_transaction(df):
            with transaction(key="sales"):
                df.to_sql("sales", con=None)

        @task(retries=2, retry_delay_seconds=10)
        def load_upsert(cursor):
            cursor.execute("INSERT INTO sales VALUES (1) ON CONFLICT (id) DO NOTHING")

        @task
        def load_once(df):
            df.to_sql("sales", con=None)

        @task(retries=2, retry_delay_seconds=10)
        def overwrite(df):
            df.to_parquet("s3://bucket/sales.parquet")
            with open("/tmp/sales.csv", "w") as out:
                out.write("x")

        @task(retries=2, retry_delay_seconds=10, on_rollback=[alert])
        def load_with_rollback(df):
            requests.post("https://api.example.com/rows", json=[])

        @flow
        def etl():
            load(None)
            load_in_transaction(None)
            load_upsert(None)
            load_once(None)
            overwrite(None)
            load_with_rollback(None)
        """,
        "DC105",
        ["DC105 3"],
        id="DC105-retried-unguarded-write-only",
    ),
    pytest.param(
        """
        @task(cache_policy=INPUTS)
        def a(): call_api()

        @task(cache_policy=INPUTS + TASK_SOURCE, cache_expiration=timedelta(days=1))
        def b(): call_api()

        @task(cache_key_fn=task_input_hash)
        def c(): call_api()

        @task(cache_policy=INPUTS + RUN_ID)
        def d(): call_api()

        @task
        def e(): call_api()

        @flow
        def etl():
            a(); b(); c(); d(); e()
        """,
        "DC106",
        ["DC106 1", "DC106 7"],
        id="DC106-cross-run-cache-without-expiration",
    ),
    pytest.param(
        """
        @flow(retries=2, retry_delay_seconds=10)
        def trigger():
            run_deployment("report/daily")
            run_deployment("report/weekly", idempotency_key="weekly")

        @flow
        def once():
            run_deployment("report/daily")

        @task(retries=1, retry_delay_seconds=10)
        def kick():
            run_deployment("export/daily")

        @flow
        def kicker():
            kick()
        """,
        "DC107",
        ["DC107 3", "DC107 12"],
        id="DC107-retried-run-deployment-without-key",
    ),
    # -- DC504 / DC505: documentation and tags ---------------------------------------------
    pytest.param(
        '''
        @flow
        def undocumented(): ...

        @flow
        def documented():
            """Builds the daily sales mart."""

        @flow(description="Syncs orders")
        def described(): ...
        ''',
        "DC504",
        ["DC504 1"],
        id="DC504-flow-without-docstring-or-description",
    ),
    pytest.param(
        """
        @flow
        def etl(): ...

        if __name__ == "__main__":
            etl.serve(name="etl-hourly", interval=3600)
            etl.deploy(name="etl-prod", work_pool_name="k8s", tags=["team:data"])
            etl.to_deployment("etl-adhoc", tags=[])
            etl.deploy(name="etl-eu", work_pool_name="k8s", tags=["team:data", "eu"])
            etl.deploy(name="etl-us", work_pool_name="k8s", tags=["team:data", "us"])
            etl.deploy(name="etl-tagged-later", work_pool_name="k8s", tags=TAGS)
        """,
        "DC505",
        ["DC505 5", "DC505 7"],
        id="DC505-deployments-without-tags-where-most-carry-them",
    ),
    pytest.param(
        """
        @flow
        def etl(): ...

        if __name__ == "__main__":
            etl.serve(name="etl-hourly", interval=3600)
            etl.deploy(name="etl-prod", work_pool_name="k8s", tags=["team:data"])
            etl.to_deployment("etl-adhoc")
        """,
        "DC505",
        [],
        id="DC505-silent-where-the-project-does-not-tag-deployments",
    ),
    # -- DC705: schedules ------------------------------------------------------------------
    pytest.param(
        """
        @flow
        def etl(): ...

        if __name__ == "__main__":
            etl.serve(name="a", cron="0 6 * * *", tags=["x"])
            etl.serve(name="b", schedules=[Cron("0 6 * * *", timezone="Europe/Berlin")], tags=["x"])
            etl.serve(name="c", rrule="FREQ=DAILY;BYHOUR=6", tags=["x"])
            etl.serve(name="d", rrule="DTSTART;TZID=Europe/Paris:20240101T060000\\nFREQ=DAILY")
            etl.serve(name="e", interval=3600, tags=["x"])
            etl.serve(name="f", schedules=[RRule("FREQ=HOURLY")], tags=["x"])
        """,
        "DC705",
        ["DC705 5", "DC705 7", "DC705 10"],
        id="DC705-cron-and-rrule-without-timezone",
    ),
    # -- DC806 / DC807: API misuse -----------------------------------------------------------
    pytest.param(
        """
        @flow(tags=["finance"], retries=1)
        def etl(): ...

        @flow(retry_jitter_factor=0.5, cache_policy=INPUTS)
        def sync(): ...

        @task(on_crashed=[alert], on_cancellation=[alert], retries=2)
        def load(): call_api()

        @task(retry=3)
        def typo(): call_api()

        def _post(entries): ...

        post = Task(_post, on_commit=[alert], on_rollback=[alert])
        tagged_etl = etl.with_options(tags=["finance"])
        careful_load = load.with_options(on_crashed=[alert], retries=3)
        """,
        "DC806",
        [
            "DC806 1",
            "DC806 10",
            "DC806 4",
            "DC806 4",
            "DC806 7",
            "DC806 7",
            "DC806 16",
            "DC806 17",
        ],
        id="DC806-keywords-the-decorator-does-not-take",
    ),
    pytest.param(
        """
        from prefect.deployments import Deployment

        @flow
        def etl(): ...

        Deployment.build_from_flow(flow=etl, name="etl")
        """,
        "DC807",
        ["DC807 1"],
        id="DC807-prefect-2-deployment-class",
    ),
    # -- DC903: secrets --------------------------------------------------------------------
    pytest.param(
        """
        API_TOKEN = "sk_live_51HxYzABCDEF"
        WAREHOUSE = "postgresql://loader:Sup3rS3cret@db.internal:5432/sales"

        @task
        def pull():
            requests.get("https://api.example.com", headers={"token": "{{ secret }}"})

        @flow
        def etl():
            pull()

        def connect(url: str = "postgresql://reader:{password}@db/sales"):
            '''Connect, e.g. connect("redis://admin:hunter2hunter2@cache:6379/0").'''

        EXAMPLE_PASSWORD = "s3cr3t"
        API_KEY = "your-api-key-here"
        """,
        "DC903",
        ["DC903 1", "DC903 2"],
        id="DC903-secrets-in-a-flow-file-not-docstrings-or-stand-ins",
    ),
]


@pytest.mark.parametrize(("body", "select", "expected"), CASES)
def test_rule(tmp_path: Path, body: str, select: str, expected: list[str]) -> None:
    assert located(findings(tmp_path, body, select)) == sorted(expected)


def test_messages_name_the_flow_the_task_and_prefect_parameters(tmp_path: Path) -> None:
    body = """
    @task
    def extract(): call_api()

    @flow(name="daily-sales")
    def etl():
        extract()
        extract()

    etl.serve(name="daily-sales", cron="0 6 * * *", concurrency_limit=1)
    """
    [no_retries] = findings(tmp_path, body, "DC201")
    assert no_retries.message.startswith("task 'extract' in flow 'daily-sales' has no retries")
    assert "on @task" in no_retries.message and "default_args" not in no_retries.message
    assert (no_retries.pipeline, no_retries.task) == ("daily-sales", "extract")
    [no_timeout] = findings(tmp_path, body, "DC402")
    assert "timeout_seconds" in no_timeout.message and "dagrun_timeout" not in no_timeout.message


def test_airflow_only_rules_stay_quiet_on_prefect_flows(tmp_path: Path) -> None:
    body = """
    @task
    def a(): call_api()

    @task
    def b(): call_api()

    @flow
    def etl():
        a()
        b()
    """
    # Schedules, catchup, SLAs, owners and isolated tasks are Airflow concepts.
    assert findings(tmp_path, body, "DC3,DC502,DC7,DC804,DC805,DC9") == []


def test_prefect_yaml_findings_point_at_the_yaml_lines(tmp_path: Path) -> None:
    (tmp_path / "prefect.yaml").write_text(
        "name: analytics\n"
        "deployments:\n"
        "- name: etl-prod\n"
        "  entrypoint: flows.py:etl\n"
        "  schedules:\n"
        "  - cron: '0 5 * * *'\n"
        "- name: etl-dev  # noqa: DC505\n"
        "  entrypoint: flows.py:etl\n"
        "- name: etl-eu\n"
        "  entrypoint: flows.py:etl\n"
        "  tags: [team:data]\n"
        "- name: etl-us\n"
        "  entrypoint: flows.py:etl\n"
        "  tags: [team:data]\n"
        "- name: etl-asia\n"
        "  entrypoint: flows.py:etl\n"
        "  tags: [team:data]\n"
    )
    (tmp_path / "flows.py").write_text("from prefect import flow\n@flow\ndef etl(): ...\n")
    models = run([tmp_path], Options(select=("DC505", "DC705")))
    found = {(f.path.name, f.code, f.span.line, f.pipeline) for m in models for f in m.findings}
    assert found == {
        ("prefect.yaml", "DC505", 3, "etl"),
        ("prefect.yaml", "DC705", 6, "etl"),
    }


def test_an_entrypoint_relative_to_the_project_root_links_its_flow(tmp_path: Path) -> None:
    # One prefect.yaml per pipeline, deployed from the repository root with --prefect-file:
    # entrypoints name the flow from the root, not from the prefect.yaml's folder.
    pipeline = tmp_path / "pipelines" / "orders"
    pipeline.mkdir(parents=True)
    (pipeline / "prefect.yaml").write_text(
        "deployments:\n"
        "- name: orders-prod\n"
        "  entrypoint: pipelines/orders/flow.py:orders\n"
        "  concurrency_limit: 1\n"
    )
    (pipeline / "flow.py").write_text(
        "import requests\nfrom prefect import flow\n\n\n"
        "@flow\ndef orders():\n    requests.get('https://api.example.com/orders')\n"
    )
    models = run([tmp_path], Options(select=("DC402",)))
    [stuck] = [f for m in models for f in m.findings]
    assert (stuck.path.name, stuck.pipeline) == ("flow.py", "orders")
    assert "deployment 'orders-prod' runs one at a time" in stuck.message


def test_a_concurrency_limit_in_prefect_yaml_makes_a_stuck_run_block(tmp_path: Path) -> None:
    (tmp_path / "prefect.yaml").write_text(
        "deployments:\n"
        "- name: etl-prod\n"
        "  entrypoint: flows.py:etl\n"
        "  concurrency_limit:\n"
        "    limit: 1\n"
        "    collision_strategy: ENQUEUE\n"
        "- name: sync-prod\n"
        "  entrypoint: flows.py:sync\n"
    )
    (tmp_path / "flows.py").write_text(
        "import requests\nfrom prefect import flow\n\n\n"
        "@flow\ndef etl():\n    requests.get('https://api.example.com/a')\n\n\n"
        "@flow\ndef sync():\n    requests.get('https://api.example.com/b')\n"
    )
    models = run([tmp_path], Options(select=("DC402",)))
    [stuck] = [f for m in models for f in m.findings]
    assert (stuck.path.name, stuck.pipeline, stuck.span.line) == ("flows.py", "etl", 5)
    assert "deployment 'etl-prod' runs one at a time (concurrency_limit=1)" in stuck.message


def test_a_task_shared_by_two_flows_is_reported_once(tmp_path: Path) -> None:
    body = """
    @task
    def extract(): call_api()

    @flow
    def nightly():
        extract()

    @flow
    def hourly():
        extract()
    """
    found = findings(tmp_path, body, "DC201,DC401")
    assert sorted((f.code, f.span.line - FIRST_LINE + 1, f.pipeline) for f in found) == [
        ("DC201", 1, "nightly"),
        ("DC401", 1, "nightly"),
    ]


def test_tasks_and_flows_that_only_compute_have_nothing_to_retry_or_time_out(
    tmp_path: Path,
) -> None:
    body = """
    import logging
    import math
    import time

    from prefect import get_run_logger
    from prefect.cache_policies import INPUTS

    @task(retries=2, cache_policy=INPUTS)
    def score(rows: list[float]) -> float:
        logger = get_run_logger()
        total = sum(math.sqrt(abs(r)) for r in rows)
        logger.info("scored %s rows", len(rows))
        time.sleep(1)
        return round(total, 2)

    @task
    def label(value: float) -> str:
        import os
        import platform

        print(f"score {value} on {platform.node()} as {os.getenv('USER')}")
        if value < 0:
            raise ValueError("negative")
        return "high".upper() if value > 10 else "low"

    @flow
    def scoring(rows: list[float]):
        logging.getLogger(__name__).info("start")
        label(score.submit(rows).result())
    """
    assert findings(tmp_path, body, "DC106,DC201,DC206,DC401,DC402") == []


def test_helpers_of_the_file_and_the_tree_are_judged_by_their_bodies(tmp_path: Path) -> None:
    (tmp_path / "shared").mkdir()
    (tmp_path / "shared" / "__init__.py").write_text("")
    (tmp_path / "shared" / "frames.py").write_text(
        "import os\n\nimport pandas as pd\nimport requests\n\n\n"
        "def summarise(rows, folder):\n"
        "    os.makedirs(folder, exist_ok=True)\n"
        "    return pd.DataFrame(rows).dropna().to_dict()\n\n\n"
        "def upload(frame):\n"
        "    return requests.post('https://example.com/frames', json=frame, timeout=10)\n"
    )
    body = """
    from pathlib import Path

    from shared.frames import summarise, upload

    def save(frame):
        Path("/tmp/out/frame.json").write_text(str(frame))

    @task
    def summary(rows):
        frame = summarise(rows, "/tmp/out")
        save(frame)
        return frame

    @task
    def publish(frame):
        upload(frame)

    @flow
    def report(rows):
        publish(summary(rows))
    """
    found = findings(tmp_path, body, "DC201,DC401")
    # upload's post may fail (DC201) but gives up after 10 s: nothing hangs (no DC401).
    assert located(found) == ["DC201 14"]
    assert all("'publish'" in f.message for f in found)


def test_a_written_zero_delay_is_named_as_written(tmp_path: Path) -> None:
    body = """
    @task(retries=3, retry_delay_seconds=0)
    def load():
        call_api()

    @task(retries=3)
    def extract():
        call_api()

    @flow
    def etl():
        extract()
        load()
    """
    messages = sorted(f.message for f in findings(tmp_path, body, "DC206"))
    assert messages == [
        "retries=3 on task 'extract' in flow 'etl' with no retry_delay_seconds: Prefect "
        "retries at once, hammering a dependency that is down; set retry_delay_seconds= to a "
        "pause",
        "retries=3 on task 'load' in flow 'etl' with retry_delay_seconds=0: Prefect retries at "
        "once, hammering a dependency that is down; set retry_delay_seconds= to a pause",
    ]


def test_clock_reads_that_only_stamp_or_show_the_time_are_not_windows(tmp_path: Path) -> None:
    body = """
    import logging

    from prefect import get_run_logger
    from prefect.artifacts import create_markdown_artifact

    @task
    def report(rows):
        logger = get_run_logger()
        logger.info("started at %s", datetime.now())
        print(f"at {datetime.now()}")
        create_markdown_artifact(f"**Generated:** {datetime.now().strftime('%Y-%m-%d %H:%M')}")
        stamp = datetime.now().strftime("%H:%M:%S")
        while datetime.now().time() < datetime.now().replace(hour=16).time():
            call_api()
        return datetime.now().strftime("%Y-%m-%d")  # a day: the window

    @flow
    def etl():
        report([])
    """
    assert located(findings(tmp_path, body, "DC102")) == ["DC102 15"]


def test_a_task_name_with_double_underscores_is_named_whole(tmp_path: Path) -> None:
    body = """
    @task(name="load__raw")
    def load():
        call_api()

    @flow
    def etl():
        load()
        load()
    """
    [finding] = findings(tmp_path, body, "DC201")
    assert finding.message.startswith("task 'load__raw' in flow 'etl'")


def test_prefect_1_code_is_one_note_and_no_prefect_3_finding(tmp_path: Path) -> None:
    path = tmp_path / "legacy.py"
    path.write_text(
        textwrap.dedent(
            """
            import requests
            from prefect import Flow, task
            from prefect.triggers import all_successful


            @task(max_retries=3, trigger=all_successful)
            def extract():
                return requests.get("https://api.example.com/rows")


            with Flow("legacy-etl") as flow:
                extract()
            """
        ).lstrip(),
        encoding="utf-8",
    )
    [model] = run([path], Options(select=("DC2", "DC4", "DC6", "DC8"), target_prefect="3"))
    assert [(f.code, f.span.line) for f in model.findings] == [("DC808", 3)]
    assert model.pipelines == []


def test_a_task_imported_and_called_in_a_loop_is_one_finding(tmp_path: Path) -> None:
    (tmp_path / "common.py").write_text(
        textwrap.dedent(
            """
            import requests
            from prefect import task


            @task
            def fetch(url):
                return requests.get(url)
            """
        ),
        encoding="utf-8",
    )
    (tmp_path / "flows.py").write_text(
        textwrap.dedent(
            """
            from prefect import flow

            from common import fetch


            @flow
            def crawl():
                for page in range(3):
                    fetch(f"https://api.example.com/rows?page={page}")
            """
        ),
        encoding="utf-8",
    )
    models = run([tmp_path], Options(select=("DC201", "DC401"), target_prefect="3"))
    found = sorted((f.code, f.task) for m in models for f in m.findings)
    assert found == [("DC201", "fetch"), ("DC401", "fetch")]


def test_a_task_imported_by_several_flows_is_one_finding_for_the_run(tmp_path: Path) -> None:
    tasks = tmp_path / "tasks"
    tasks.mkdir()
    (tasks / "__init__.py").write_text("", encoding="utf-8")
    (tasks / "upload.py").write_text(
        "import boto3\nfrom prefect import task\n\n\n@task\ndef file_ul(path):\n"
        "    boto3.client('s3').upload_file(path, 'bucket', path)\n",
        encoding="utf-8",
    )
    flow = (
        "from prefect import flow\n\nfrom tasks.upload import file_ul\n\n\n"
        "@flow\ndef {name}():\n    file_ul('a.csv')\n\n\n@flow\ndef {name}_again():\n"
        "    file_ul('b.csv')\n"
    )
    for name in ("first", "second"):
        (tmp_path / f"{name}.py").write_text(flow.format(name=name), encoding="utf-8")
    # A different task of the same name, in another module: its own finding.
    (tasks / "other.py").write_text(
        "import requests\nfrom prefect import flow, task\n\n\n@task\ndef file_ul(url):\n"
        "    requests.get(url)\n\n\n@flow\ndef third():\n    file_ul('x')\n",
        encoding="utf-8",
    )

    models = run([tmp_path], Options(select=("DC201",), target_prefect="3"))

    found = sorted((f.path.name, f.pipeline) for m in models for f in m.findings)
    assert found == [("first.py", "first"), ("other.py", "third")]


def test_a_flow_run_only_as_a_subflow_answers_to_its_parent(tmp_path: Path) -> None:
    (tmp_path / "steps.py").write_text(
        "import requests\nfrom prefect import flow\n\n\n@flow\ndef load_rows():\n"
        "    requests.get('https://api.example.com/rows')\n\n\n"
        "@flow\ndef deployed_too():\n    requests.get('https://api.example.com/other')\n\n\n"
        "@flow\ndef inner():\n    requests.get('https://api.example.com/inner')\n\n\n"
        "@flow\ndef local_parent():\n    inner()\n",
        encoding="utf-8",
    )
    (tmp_path / "main.py").write_text(
        "from prefect import flow\n\nfrom steps import deployed_too, load_rows\n\n\n"
        "@flow\ndef nightly():\n    load_rows()\n    deployed_too()\n\n\n"
        "if __name__ == '__main__':\n    deployed_too.serve(name='other', concurrency_limit=1)\n"
        "    nightly.serve(name='nightly', cron='0 6 * * *')\n",
        encoding="utf-8",
    )

    models = run([tmp_path], Options(select=("DC402", "DC601"), target_prefect="3"))

    flows = sorted({f.pipeline for m in models for f in m.findings})
    # load-rows answers to nightly; local-parent and its inner are deployed nowhere while the
    # tree deploys its other flows: run by hand, as tested below.
    assert flows == ["deployed-too", "nightly"]


def test_a_flow_only_deployed_to_run_by_hand_is_not_asked_for_retries_or_timeouts(
    tmp_path: Path,
) -> None:
    flow = (
        "import requests\nfrom prefect import flow, task\n\n\n@task\ndef fetch():\n"
        "    requests.get('https://api.example.com/rows')\n\n\n@flow\ndef {name}():\n"
        "    fetch()\n\n\n"
        "if __name__ == '__main__':\n    {name}.serve(name='{name}-main'{extra})\n"
    )
    files = {
        "backfill.py": flow.format(name="backfill", extra=""),
        "nightly.py": flow.format(name="nightly", extra=", cron='0 6 * * *'"),
        "on_event.py": flow.format(
            name="on_event", extra=", triggers=[DeploymentEventTrigger(expect={'s3.put'})]"
        ),
        "started_elsewhere.py": flow.format(name="started_elsewhere", extra=""),
        "step.py": flow.format(name="step", extra=""),
        "parent.py": "from prefect import flow\n\nfrom step import step\n\n\n@flow\n"
        "def parent():\n    step()\n\n\nparent.serve(name='parent-main', cron='0 6 * * *')\n",
        "starter.py": "from prefect.deployments import run_deployment\n\n"
        "run_deployment('started-elsewhere/started_elsewhere-main')\n",
    }
    for name, source in files.items():
        (tmp_path / name).write_text(source, encoding="utf-8")

    selected = ("DC201", "DC401", "DC601")

    models = run([tmp_path], Options(select=selected, target_prefect="3"))

    found = {m.path.name: sorted({f.code for f in m.findings}) for m in models}
    every = ["DC201", "DC401", "DC601"]
    assert found == {
        "backfill.py": [],  # one deployment, no schedule, started by nobody in the tree
        "nightly.py": every,
        "on_event.py": every,  # an event starts it
        "parent.py": ["DC601"],
        "started_elsewhere.py": every,  # another file starts it with run_deployment
        "starter.py": [],
        "step.py": every,  # a scheduled flow calls it
    }


def test_a_flow_deployed_nowhere_or_called_only_by_hand_run_flows_is_run_by_hand(
    tmp_path: Path,
) -> None:
    work = (
        "import requests\nfrom prefect import flow, task\n\n\n@task\ndef fetch():\n"
        "    requests.get('https://api.example.com/rows')\n\n\n"
    )
    files = {
        # deployments: [] says the tree deploys with prefect.yaml, and deploys none of these.
        "prefect.yaml": "deployments: []\n",
        "parent.py": work + "from step import step\n\n\n@flow\ndef parent():\n    fetch()\n"
        "    step()\n\n\nparent.serve(name='parent-main')\n",
        "step.py": work + "@flow\ndef step():\n    fetch()\n",
        "script.py": work + "@flow\ndef script():\n    fetch()\n",
    }
    for name, source in files.items():
        (tmp_path / name).write_text(source, encoding="utf-8")
    selected = ("DC201", "DC401", "DC601")

    def found() -> dict[str, list[str]]:
        models = run([tmp_path], Options(select=selected, target_prefect="3"))
        return {m.path.name: sorted({f.code for f in m.findings}) for m in models}

    assert found() == {"parent.py": [], "prefect.yaml": [], "script.py": [], "step.py": []}

    # Prefect 2's Deployment.build_from_flow deploys flows dagcheck does not link: any flow
    # deployed nowhere that it can see may be scheduled there.
    (tmp_path / "deploy.py").write_text(
        "from prefect.deployments import Deployment\n\nfrom script import script\n\n"
        "Deployment.build_from_flow(flow=script, name='nightly', cron='0 6 * * *')\n",
        encoding="utf-8",
    )
    after = found()
    assert after["script.py"] == ["DC201", "DC401", "DC601"]
    assert after["step.py"] == ["DC201", "DC401"]  # a subflow: its parent answers for DC601
    assert after["parent.py"] == []  # deployed, with no schedule


def test_an_imported_task_is_judged_by_its_own_code(tmp_path: Path) -> None:
    (tmp_path / "tasks.py").write_text(
        "import requests\nfrom prefect import task\n\n\n@task\ndef fetch(url):\n"
        "    return requests.get(url).json()\n\n\n@task\ndef keep_recent(rows):\n"
        "    return [row for row in rows if row['day'] > '2024-01-01']\n",
        encoding="utf-8",
    )
    (tmp_path / "flow.py").write_text(
        "from prefect import flow\n\nfrom tasks import fetch, keep_recent\n\n\n@flow\n"
        "def etl():\n    keep_recent(fetch('https://api.example.com/rows'))\n\n\n"
        "etl.serve(name='etl', cron='0 6 * * *')\n",
        encoding="utf-8",
    )

    models = run([tmp_path], Options(select=("DC201", "DC401"), target_prefect="3"))

    # keep_recent only computes: nothing a retry or a timeout helps with.
    assert sorted((f.code, f.task) for m in models for f in m.findings) == [
        ("DC201", "fetch"),
        ("DC401", "fetch"),
    ]
