"""Fixes as tables of (input, expected output), with their own "no change" table, and the
guarantees around them: only what a fix touches changes, noqa and --select hold, a file keeps
its mode and line endings, and a fix never leaves a file that does not parse."""

from __future__ import annotations

import datetime as dt
import stat
import textwrap
from pathlib import Path

import pytest
from cli_runner import dagcheck
from sources import triggered_tree

from dagcheck.config import RuleOptions
from dagcheck.engine import Options, check_source
from dagcheck.fixes import Edit, Fix, Source
from dagcheck.fixes.apply import fix_file

FIXED = [
    pytest.param(
        """\
        from datetime import datetime
        from airflow import DAG

        with DAG(
            "legacy",  # the old name
            schedule_interval='@daily',
            start_date=datetime(2024, 1, 1),
        ):
            pass
        """,
        """\
        from datetime import datetime
        from airflow import DAG

        with DAG(
            "legacy",  # the old name
            schedule='@daily',
            start_date=datetime(2024, 1, 1),
        ):
            pass
        """,
        id="DC703-schedule-interval-keeps-comments-and-quotes",
    ),
    pytest.param(
        """\
        from airflow.sdk import dag

        @dag(timetable=None, catchup=False)
        def nightly(): ...
        nightly()
        """,
        """\
        from airflow.sdk import dag

        @dag(schedule=None, catchup=False)
        def nightly(): ...
        nightly()
        """,
        id="DC703-timetable-in-a-decorator",
    ),
    pytest.param(
        """\
        from airflow import DAG
        from airflow.operators.dummy import DummyOperator

        with DAG("d", schedule=None):
            start = DummyOperator(task_id='start')
            end = DummyOperator(task_id="end", )
            start >> end
        """,
        """\
        from airflow import DAG
        from airflow.operators.empty import EmptyOperator

        with DAG("d", schedule=None):
            start = EmptyOperator(task_id='start')
            end = EmptyOperator(task_id="end", )
            start >> end
        """,
        id="DC803-dummy-operator-and-its-import",
    ),
    pytest.param(
        """\
        from airflow.operators.dummy import DummyOperator
        from airflow.providers.standard.operators.bash import BashOperator
        from airflow.sdk import DAG

        with DAG("d", schedule=None):
            DummyOperator(task_id="start") >> BashOperator(task_id="b", bash_command="b")
        print(DummyOperator)
        """,
        """\
        from airflow.operators.dummy import DummyOperator
        from airflow.providers.standard.operators.bash import BashOperator
        from airflow.sdk import DAG
        from airflow.providers.standard.operators.empty import EmptyOperator

        with DAG("d", schedule=None):
            EmptyOperator(task_id="start") >> BashOperator(task_id="b", bash_command="b")
        print(DummyOperator)
        """,
        id="DC803-still-used-elsewhere-adds-the-airflow-3-import",
    ),
    pytest.param(
        """\
        from prefect import flow, task

        def notify(*args): ...

        @flow(on_failure=notify, on_crashed=(notify))
        def etl(): ...

        @task(on_completion=notify)
        def load(): ...
        """,
        """\
        from prefect import flow, task

        def notify(*args): ...

        @flow(on_failure=[notify], on_crashed=([notify]))
        def etl(): ...

        @task(on_completion=[notify])
        def load(): ...
        """,
        id="DC603-hooks-into-lists",
    ),
]

UNCHANGED = [
    pytest.param(
        """\
        from airflow import DAG

        with DAG("d", schedule_interval="@daily", schedule="@hourly"):
            pass
        """,
        id="DC703-both-given-is-the-authors-call",
    ),
    pytest.param(
        """\
        from airflow import DAG

        with DAG("d", schedule_interval="@daily"):  # noqa: DC703
            pass
        """,
        id="DC703-noqa",
    ),
    pytest.param(
        """\
        from airflow import DAG
        from airflow.operators import dummy

        with DAG("d", schedule=None):
            dummy.DummyOperator(task_id="start")
        """,
        id="DC803-through-a-module-attribute",
    ),
    pytest.param(
        """\
        from prefect import flow

        @flow(on_failure=[print])
        def etl(): ...
        """,
        id="DC603-already-a-list",
    ),
]


def fixed_text(
    tmp_path: Path, source: str, select: str = "DC603,DC703,DC803", *, unsafe: bool = False
) -> str:
    path = tmp_path / "pipeline.py"
    path.write_text(textwrap.dedent(source))
    result = fix_file(path, Options(select=tuple(select.split(","))), unsafe=unsafe)
    assert result.error is None
    return result.fixed


@pytest.mark.parametrize(("source", "expected"), FIXED)
def test_fix(tmp_path: Path, source: str, expected: str) -> None:
    assert fixed_text(tmp_path, source) == textwrap.dedent(expected)


@pytest.mark.parametrize("source", UNCHANGED)
def test_no_fix(tmp_path: Path, source: str) -> None:
    assert fixed_text(tmp_path, source) == textwrap.dedent(source)


SENSOR = """\
    from airflow.providers.standard.sensors.filesystem import FileSensor
    from airflow.sdk import DAG

    with DAG("d", schedule=None):
        FileSensor(task_id="wait", filepath="/data/ready")
        FileSensor(
            task_id="wait_longer",
            filepath="/data/done",
        )
        FileSensor(task_id="waits_well", filepath="/x", mode="reschedule")
"""


def test_unsafe_fixes_apply_only_when_asked(tmp_path: Path) -> None:
    assert fixed_text(tmp_path, SENSOR, "DC403") == textwrap.dedent(SENSOR)
    assert fixed_text(tmp_path, SENSOR, "DC403", unsafe=True) == textwrap.dedent(
        SENSOR.replace(
            'filepath="/data/ready")', 'filepath="/data/ready", mode="reschedule")'
        ).replace(
            'filepath="/data/done",\n',
            'filepath="/data/done",\n            mode="reschedule",\n',
        )
    )


RETRIES_FIXED = [
    pytest.param(
        """\
        from datetime import datetime
        from airflow.providers.standard.operators.bash import BashOperator
        from airflow.sdk import DAG

        with DAG("d", schedule="@daily", start_date=datetime(2024, 1, 1)):
            BashOperator(task_id="a", bash_command="a")
            BashOperator(task_id="b", bash_command="b")
        """,
        """\
        from datetime import datetime, timedelta
        from airflow.providers.standard.operators.bash import BashOperator
        from airflow.sdk import DAG

        with DAG("d", schedule="@daily", start_date=datetime(2024, 1, 1), default_args={"retries": 2, "retry_delay": timedelta(minutes=5)}):
            BashOperator(task_id="a", bash_command="a")
            BashOperator(task_id="b", bash_command="b")
        """,
        id="no-default-args",
    ),
    pytest.param(
        """\
        from datetime import timedelta
        from airflow.providers.standard.operators.bash import BashOperator
        from airflow.sdk import DAG

        DEFAULT_ARGS = {
            "owner": "sales",  # the team
            "retry_delay": timedelta(minutes=1),
        }

        with DAG("d", schedule="@daily", default_args=DEFAULT_ARGS):
            BashOperator(task_id="a", bash_command="a")
            BashOperator(task_id="b", bash_command="b", retries=3)
        """,
        """\
        from datetime import timedelta
        from airflow.providers.standard.operators.bash import BashOperator
        from airflow.sdk import DAG

        DEFAULT_ARGS = {
            "owner": "sales",  # the team
            "retry_delay": timedelta(minutes=1),
            "retries": 2,
        }

        with DAG("d", schedule="@daily", default_args=DEFAULT_ARGS):
            BashOperator(task_id="a", bash_command="a")
            BashOperator(task_id="b", bash_command="b", retries=3)
        """,
        id="module-level-dict-one-task-without",
    ),
    pytest.param(
        """\
        from airflow.decorators import dag, task

        @dag(schedule="@daily", default_args={'owner': 'sales'})
        def nightly():
            @task
            def a(): extract()
            @task
            def b(): load()
            a() >> b()
        nightly()
        """,
        """\
        from airflow.decorators import dag, task
        from datetime import timedelta

        @dag(schedule="@daily", default_args={'owner': 'sales', "retries": 2, "retry_delay": timedelta(minutes=5)})
        def nightly():
            @task
            def a(): extract()
            @task
            def b(): load()
            a() >> b()
        nightly()
        """,
        id="inline-dict-in-a-dag-decorator",
    ),
]
RETRIES_UNCHANGED = [
    pytest.param(
        """\
        from airflow.providers.standard.operators.bash import BashOperator
        from airflow.sdk import DAG
        from common import make_default_args

        with DAG("d", schedule=None, default_args=make_default_args()):
            BashOperator(task_id="a", bash_command="a", retries=0)
        """,
        id="built-by-a-function-and-written-zero",
    ),
]


@pytest.mark.parametrize(("source", "expected"), RETRIES_FIXED)
def test_retries_fix(tmp_path: Path, source: str, expected: str) -> None:
    assert fixed_text(tmp_path, source, "DC201", unsafe=True) == textwrap.dedent(expected)


@pytest.mark.parametrize("source", RETRIES_UNCHANGED)
def test_retries_no_fix(tmp_path: Path, source: str) -> None:
    assert fixed_text(tmp_path, source, "DC201", unsafe=True) == textwrap.dedent(source)


def test_retries_fix_writes_the_configured_values(tmp_path: Path) -> None:
    from dagcheck.config import RuleOptions

    path = tmp_path / "pipeline.py"
    path.write_text(textwrap.dedent(RETRIES_FIXED[0].values[0]))
    policy = RuleOptions(fix_retries=3, fix_retry_delay=90)
    result = fix_file(path, Options(select=("DC201",), policy=policy), unsafe=True)
    assert '{"retries": 3, "retry_delay": timedelta(seconds=90)}' in result.fixed


UNSAFE_FIXED = [
    pytest.param(
        """\
        from datetime import datetime
        from airflow.providers.standard.operators.bash import BashOperator
        from airflow.sdk import DAG

        default_args = {"owner": "sales", "retries": 1}

        with DAG(
            "d",
            schedule="@daily",
            start_date=datetime(2024, 1, 1),
            max_active_runs=1,
            default_args=default_args
        ):
            BashOperator(task_id="a", bash_command="a")
        """,
        """\
        from datetime import datetime, timedelta
        from airflow.providers.standard.operators.bash import BashOperator
        from airflow.sdk import DAG

        default_args = {"owner": "sales", "retries": 1, "execution_timeout": timedelta(hours=1)}

        with DAG(
            "d",
            schedule="@daily",
            start_date=datetime(2024, 1, 1),
            max_active_runs=1,
            default_args=default_args,
            dagrun_timeout=timedelta(hours=6),
        ):
            BashOperator(task_id="a", bash_command="a")
        """,
        "DC401,DC402",
        id="airflow-execution-and-dagrun-timeouts",
    ),
    pytest.param(
        """\
        import prefect
        from prefect import flow, task

        @task
        def extract():
            return call_api()

        @prefect.task(name="load")
        def load(rows):
            call_api(rows)

        @flow(
            name="etl"
        )
        def etl():
            load(extract())

        etl.serve(name="etl", cron="0 6 * * *", concurrency_limit=1)
        """,
        """\
        import prefect
        from prefect import flow, task

        @task(retries=2, retry_delay_seconds=300, timeout_seconds=3600)
        def extract():
            return call_api()

        @prefect.task(name="load", retries=2, retry_delay_seconds=300, timeout_seconds=3600)
        def load(rows):
            call_api(rows)

        @flow(
            name="etl",
            timeout_seconds=3600,
        )
        def etl():
            load(extract())

        etl.serve(name="etl", cron="0 6 * * *", concurrency_limit=1)
        """,
        "DC201,DC401,DC402",
        id="prefect-retries-and-timeouts-on-the-decorators",
    ),
]


@pytest.mark.parametrize(("source", "expected", "select"), UNSAFE_FIXED)
def test_unsafe_fix(tmp_path: Path, source: str, expected: str, select: str) -> None:
    assert fixed_text(tmp_path, source, select, unsafe=True) == textwrap.dedent(expected)


def test_a_flow_limited_in_prefect_yaml_is_fixed_like_check_reports_it(tmp_path: Path) -> None:
    # The limit that makes the stuck run matter is in prefect.yaml, not in the flow's file.
    (tmp_path / ".git").mkdir()
    (tmp_path / "prefect.yaml").write_text(
        "deployments:\n- name: etl\n  entrypoint: flows/pipeline.py:etl\n  concurrency_limit: 1\n"
    )
    (tmp_path / "flows").mkdir()
    source = (
        "import requests\nfrom prefect import flow\n\n\n@flow\ndef etl():\n    requests.get('u')\n"
    )
    expected = source.replace("@flow\n", "@flow(timeout_seconds=3600)\n")
    assert fixed_text(tmp_path / "flows", source, "DC402", unsafe=True) == expected
    assert fixed_text(tmp_path / "flows", source, "DC402") == source  # the fix is unsafe


def test_select_decides_which_fixes_apply(tmp_path: Path) -> None:
    source = FIXED[2].values[0]
    assert fixed_text(tmp_path, source, select="DC703") == textwrap.dedent(source)


LEGACY = (
    "from airflow import DAG\r\n"
    "from airflow.operators.dummy import DummyOperator\r\n"
    "\r\n"
    "with DAG('d', schedule_interval='@daily'):\r\n"
    "    DummyOperator(task_id='start')\r\n"
)


def test_diff_writes_nothing_and_fix_writes_once(tmp_path: Path) -> None:
    dag = tmp_path / "dag.py"
    dag.write_bytes(LEGACY.encode())
    dag.chmod(0o640)
    select = ("--select", "DC703,DC803")

    diff = dagcheck("check", "--diff", *select, "dag.py", cwd=tmp_path)
    assert diff.returncode == 1
    assert "-with DAG('d', schedule_interval='@daily'):" in diff.stdout
    assert "+with DAG('d', schedule='@daily'):" in diff.stdout
    assert dag.read_bytes() == LEGACY.encode()

    fixed = dagcheck("fix", "--show-fixes", *select, "dag.py", cwd=tmp_path)
    assert fixed.returncode == 0, fixed.stderr
    assert "dag.py: fixed 1 x DC703" in fixed.stderr
    assert "Fixed 2 findings in 1 file." in fixed.stderr
    assert fixed.stdout == "All checks passed!\n"
    text = dag.read_bytes().decode()
    assert text.count("\r\n") == 5 and "\n" not in text.replace("\r\n", "")
    assert "schedule='@daily'" in text and "EmptyOperator(task_id='start')" in text
    assert stat.S_IMODE(dag.stat().st_mode) == 0o640
    assert [p.name for p in tmp_path.iterdir()] == ["dag.py"]  # no temporary file left

    again = dagcheck("check", "--diff", *select, "dag.py", cwd=tmp_path)
    assert (again.returncode, again.stdout) == (0, "")


def test_fix_changes_only_what_the_run_reports(tmp_path: Path) -> None:
    # What one file alone cannot tell: another file triggers export_sales, nothing starts
    # backfill_sales. The whole run reports export_sales only, and fix follows it.
    files = triggered_tree(
        "from datetime import datetime\n\n"
        "from airflow.providers.standard.operators.bash import BashOperator\n"
        "from airflow.providers.standard.operators.trigger_dagrun import TriggerDagRunOperator\n"
        "from airflow.sdk import DAG\n\n"
    )
    for name, source in files.items():
        (tmp_path / name).write_text(source, encoding="utf-8")

    result = dagcheck("fix", "--unsafe-fixes", "--select", "DC201", ".", cwd=tmp_path)

    assert result.returncode == 0, result.stderr
    changed = {name for name, source in files.items() if (tmp_path / name).read_text() != source}
    assert changed == {"export.py", "nightly.py"}
    assert '"retries": 2' in (tmp_path / "export.py").read_text()


def test_a_fix_that_would_break_the_file_is_not_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dagcheck import fixes

    def breaks_the_file(source: Source, finding: object, policy: object) -> Fix:
        return Fix([Edit(0, 0, "def (:\n")])

    monkeypatch.setitem(fixes.registered_fixers(), "DC703", breaks_the_file)
    path = tmp_path / "dag.py"
    path.write_text("from airflow import DAG\nwith DAG('d', schedule_interval=None):\n    pass\n")
    result = fix_file(path, Options(select=("DC703",)), unsafe=False)
    assert not result.changed
    assert result.error is not None and "unparsable" in result.error


CATCHUP = """\
    from datetime import datetime
    from airflow import DAG
    from airflow.providers.standard.operators.empty import EmptyOperator

    with DAG("d", schedule="@daily", start_date=datetime(2024, 1, 1)):
        EmptyOperator(task_id="start")
"""


@pytest.mark.parametrize(
    ("target", "unsafe", "fixed"),
    [
        ("3", False, True),  # catchup=False is Airflow 3's default: writing it changes nothing
        ("2", False, False),  # on Airflow 2 it stops backfilling missed intervals
        ("2", True, True),
    ],
)
def test_catchup_fix_is_safe_only_where_it_is_the_default(
    tmp_path: Path, target: str, unsafe: bool, fixed: bool
) -> None:
    path = tmp_path / "pipeline.py"
    path.write_text(textwrap.dedent(CATCHUP))
    options = Options(select=("DC702",), target_airflow=target)
    result = fix_file(path, options, unsafe=unsafe)
    written = "start_date=datetime(2024, 1, 1), catchup=False):" in result.fixed
    assert (written, result.changed) == (fixed, fixed)


def test_tags_fix_writes_the_configured_tags_and_only_when_there_are_some(
    tmp_path: Path,
) -> None:
    from dagcheck.config import RuleOptions

    source = """\
        from airflow.sdk import DAG

        with DAG("a", schedule=None):
            pass

        with DAG("b", schedule=None, tags=[]):
            pass
    """
    path = tmp_path / "pipeline.py"
    path.write_text(textwrap.dedent(source))
    tagged = RuleOptions(fix_tags=("team:data", "daily"))
    fixed = fix_file(path, Options(select=("DC501",), policy=tagged), unsafe=True).fixed
    assert fixed == textwrap.dedent(source).replace(
        'DAG("a", schedule=None)', 'DAG("a", schedule=None, tags=["team:data", "daily"])'
    ).replace("tags=[]", 'tags=["team:data", "daily"]')
    untagged = fix_file(path, Options(select=("DC501",)), unsafe=True)
    assert not untagged.changed


ALERTING = RuleOptions(
    failure_callback="plugins.alerts.notify",
    failure_hook="flows.alerts.notify_on_call",
    deadline_callback="plugins.alerts.page_on_call",
    fix_start_date=dt.date(2024, 1, 1),
    fix_max_retry_delay=1800,
)

POLICY_FIXED = [
    pytest.param(
        """\
        import datetime as dt

        from airflow.providers.standard.operators.bash import BashOperator
        from airflow.sdk import DAG

        with DAG("d", schedule="@daily", start_date=dt.datetime(2024, 1, 1), default_args={"retries": 2}):
            BashOperator(task_id="a", bash_command="a")
            BashOperator(task_id="b", bash_command="b")
        """,
        """\
        import datetime as dt

        from airflow.providers.standard.operators.bash import BashOperator
        from airflow.sdk import DAG

        with DAG("d", schedule="@daily", start_date=dt.datetime(2024, 1, 1), default_args={"retries": 2, "retry_exponential_backoff": True, "max_retry_delay": dt.timedelta(minutes=30)}):
            BashOperator(task_id="a", bash_command="a")
            BashOperator(task_id="b", bash_command="b")
        """,
        "DC203",
        id="DC203-backoff-in-default-args-naming-timedelta-as-the-file-does",
    ),
    pytest.param(
        """\
        from airflow.providers.standard.operators.bash import BashOperator
        from airflow.sdk import DAG

        default_args = {
            "retries": 3,
            "retry_exponential_backoff": True,  # the warehouse restarts slowly
        }
        with DAG("d", schedule="@daily", default_args=default_args):
            BashOperator(task_id="a", bash_command="a")
            BashOperator(task_id="b", bash_command="b", retries=1, retry_exponential_backoff=True)
        """,
        """\
        from airflow.providers.standard.operators.bash import BashOperator
        from airflow.sdk import DAG
        from datetime import timedelta

        default_args = {
            "retries": 3,
            "retry_exponential_backoff": True,  # the warehouse restarts slowly
            "max_retry_delay": timedelta(minutes=30),
        }
        with DAG("d", schedule="@daily", default_args=default_args):
            BashOperator(task_id="a", bash_command="a")
            BashOperator(task_id="b", bash_command="b", retries=1, retry_exponential_backoff=True, max_retry_delay=timedelta(minutes=30))
        """,
        "DC204",
        id="DC204-cap-beside-each-backoff-keeping-the-comment-on-its-line",
    ),
    pytest.param(
        """\
        from airflow.providers.standard.operators.bash import BashOperator
        from airflow.sdk import DAG, dag

        @dag(schedule="@daily")
        def nightly():
            BashOperator(task_id="a", bash_command="a")

        nightly()
        """,
        """\
        from airflow.providers.standard.operators.bash import BashOperator
        from airflow.sdk import DAG, dag
        from plugins.alerts import notify

        @dag(schedule="@daily", default_args={"on_failure_callback": notify})
        def nightly():
            BashOperator(task_id="a", bash_command="a")

        nightly()
        """,
        "DC601",
        id="DC601-configured-callback-imported-into-an-at-dag",
    ),
    pytest.param(
        """\
        from airflow.models import DAG
        from airflow.utils.dates import days_ago

        with DAG("d", schedule="@daily", start_date=days_ago(2), catchup=False):
            pass
        """,
        """\
        from airflow.models import DAG
        from airflow.utils.dates import days_ago
        import pendulum

        with DAG("d", schedule="@daily", start_date=pendulum.datetime(2024, 1, 1, tz="UTC"), catchup=False):
            pass
        """,
        "DC101",
        id="DC101-fixed-start-date-with-pendulum-imported",
    ),
    pytest.param(
        """\
        import pendulum as pdl
        from airflow.sdk import dag

        @dag(schedule="@hourly", start_date=pdl.now("UTC").subtract(days=1))
        def hourly(): ...

        hourly()
        """,
        """\
        import pendulum as pdl
        from airflow.sdk import dag

        @dag(schedule="@hourly", start_date=pdl.datetime(2024, 1, 1, tz="UTC"))
        def hourly(): ...

        hourly()
        """,
        "DC101",
        id="DC101-pendulum-named-as-the-file-names-it",
    ),
    pytest.param(
        """\
        from datetime import timedelta

        import pendulum
        from airflow.providers.standard.operators.bash import BashOperator
        from airflow.sdk import DAG

        with DAG(
            "sales_daily",
            schedule="@daily",
            start_date=pendulum.datetime(2024, 1, 1),
            sla_miss_callback=print,
        ):
            BashOperator(task_id="load", bash_command="load.sh", sla=timedelta(hours=2))
            BashOperator(
                task_id="report",
                bash_command="report.sh",
                sla=timedelta(hours=2),  # the report is due
                pool="reports",
            )
        """,
        """\
        from datetime import timedelta

        import pendulum
        from airflow.providers.standard.operators.bash import BashOperator
        from airflow.sdk import DAG, DeadlineAlert, DeadlineReference, AsyncCallback
        from plugins.alerts import page_on_call

        with DAG(
            "sales_daily",
            schedule="@daily",
            start_date=pendulum.datetime(2024, 1, 1),
            deadline=DeadlineAlert(reference=DeadlineReference.DAGRUN_QUEUED_AT, interval=timedelta(hours=2), callback=AsyncCallback(page_on_call)),
        ):
            BashOperator(task_id="load", bash_command="load.sh")
            BashOperator(
                task_id="report",
                bash_command="report.sh",
                pool="reports",
            )
        """,
        "DC301",
        id="DC301-slas-and-miss-callback-become-one-deadline",
    ),
]

POLICY_FIXED.append(
    pytest.param(
        """\
        import httpx
        from prefect import flow, task

        @task(retries=2, retry_delay_seconds=30, timeout_seconds=60)
        def push(rows):
            httpx.post("https://example.com", json=rows)

        @flow(name="push-rows", timeout_seconds=600)
        def push_rows():
            push([1])
        """,
        """\
        import httpx
        from prefect import flow, task
        from flows.alerts import notify_on_call

        @task(retries=2, retry_delay_seconds=30, timeout_seconds=60)
        def push(rows):
            httpx.post("https://example.com", json=rows)

        @flow(name="push-rows", timeout_seconds=600, on_failure=[notify_on_call], on_crashed=[notify_on_call])
        def push_rows():
            push([1])
        """,
        "DC601",
        id="DC601-prefect-hooks-from-failure-hook",
    )
)

POLICY_UNCHANGED = [
    pytest.param(
        """\
        from airflow.providers.standard.operators.bash import BashOperator
        from airflow.sdk import DAG

        with DAG("d", schedule=None, default_args={"retries": 2}):
            BashOperator(task_id="a", bash_command="a", retry_exponential_backoff=False)
            BashOperator(task_id="b", bash_command="b", retry_exponential_backoff=True, max_retry_delay=60)
        """,
        "DC203",
        id="DC203-backoff-written-off-stays-off",
    ),
    pytest.param(
        """\
        from airflow.providers.standard.operators.bash import BashOperator
        from airflow.sdk import DAG

        def notify(context): ...

        with DAG("d", schedule=None):
            BashOperator(task_id="a", bash_command="a")
        """,
        "DC601",
        id="DC601-the-name-is-taken-in-the-file",
    ),
    pytest.param(
        """\
        from datetime import datetime

        from airflow.sdk import DAG

        with DAG("d", schedule="@daily", start_date=datetime(2024, 1, 1), end_date=datetime.now()):
            pass
        """,
        "DC101",
        id="DC101-a-dynamic-end-date-has-no-fixed-replacement",
    ),
    pytest.param(
        """\
        from datetime import timedelta

        from airflow.providers.standard.operators.bash import BashOperator
        from airflow.sdk import DAG

        with DAG("d", schedule="@daily"):
            BashOperator(task_id="load", bash_command="load.sh", sla=timedelta(hours=1))
            BashOperator(task_id="report", bash_command="report.sh", sla=timedelta(hours=3))
        """,
        "DC301",
        id="DC301-slas-of-different-lengths-are-left-to-the-author",
    ),
]


def policy_fixed_text(tmp_path: Path, source: str, select: str, policy: RuleOptions) -> str:
    path = tmp_path / "pipeline.py"
    path.write_text(textwrap.dedent(source))
    options = Options(select=(select,), policy=policy, target_airflow="3")
    result = fix_file(path, options, unsafe=True)
    assert result.error is None
    return result.fixed


@pytest.mark.parametrize(("source", "expected", "select"), POLICY_FIXED)
def test_fix_from_the_team_policy(tmp_path: Path, source: str, expected: str, select: str) -> None:
    assert policy_fixed_text(tmp_path, source, select, ALERTING) == textwrap.dedent(expected)


@pytest.mark.parametrize(("source", "select"), POLICY_UNCHANGED)
def test_no_fix_from_the_team_policy(tmp_path: Path, source: str, select: str) -> None:
    assert policy_fixed_text(tmp_path, source, select, ALERTING) == textwrap.dedent(source)


@pytest.mark.parametrize(
    ("source", "expected", "select"), [p for p in POLICY_FIXED if p.values[2] in ("DC301", "DC601")]
)
def test_callback_fixes_need_a_configured_callback(
    tmp_path: Path, source: str, expected: str, select: str
) -> None:
    assert policy_fixed_text(tmp_path, source, select, RuleOptions()) == textwrap.dedent(source)


def test_start_date_fix_defaults_to_the_first_of_this_month_in_utc(tmp_path: Path) -> None:
    source = POLICY_FIXED[3].values[0]
    today = dt.datetime.now(dt.timezone.utc).date()
    fixed = policy_fixed_text(tmp_path, source, "DC101", RuleOptions())
    assert f'pendulum.datetime({today.year}, {today.month}, 1, tz="UTC")' in fixed


def test_a_task_made_in_another_module_is_reported_at_its_call_and_not_fixed_there(
    tmp_path: Path,
) -> None:
    (tmp_path / "common").mkdir()
    (tmp_path / "common" / "__init__.py").write_text("")
    (tmp_path / "common" / "sensors.py").write_text(
        textwrap.dedent(
            """\
            from airflow.providers.standard.sensors.filesystem import FileSensor


            def wait_for(dag, path):
                return FileSensor(task_id="wait", filepath=path, dag=dag)
            """
        )
    )
    source = """\
        from airflow.sdk import DAG

        from common.sensors import wait_for

        with DAG("d", schedule=None) as dag:
            wait_for(dag, "/data/ready")
        """
    path = tmp_path / "pipeline.py"
    path.write_text(textwrap.dedent(source))
    model = check_source(path, path.read_bytes(), Options(select=("DC403",)))
    assert model is not None
    assert [(f.code, f.task, f.span.line) for f in model.findings] == [("DC403", "wait", 6)]
    # The call is not the sensor: mode= written there would go to wait_for, not FileSensor.
    assert fixed_text(tmp_path, source, "DC403", unsafe=True) == textwrap.dedent(source)
