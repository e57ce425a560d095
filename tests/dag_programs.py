"""Random but plausible Airflow DAG and Prefect flow files, for the generated-programs test.

``generate(seed, index)`` is a pure function of its arguments: a program is reproduced from
the two numbers alone. Most programs are what teams write (``with DAG(...)``, ``@dag``,
operators, sensors, TaskFlow, task groups, loops, helpers, Prefect flows and deployments),
with random subsets of the arguments the model reads, some of them odd on purpose. Two in
five then go through hostile mutations: a truncated file, a deep expression, bytes that are
not UTF-8, a BOM, CR or CRLF line endings, tabs, a very long line, unicode identifiers,
control characters in strings, ``# noqa`` comments, or nothing at all.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

# The shared module every generated tree holds, which programs import default_args and
# callbacks from (the model follows such imports across files).
COMMON_MODULE = '''\
"""Settings the team's DAGs share."""

from datetime import timedelta


def alert_team(context):
    print("failed:", context)


DEFAULT_ARGS = {
    "owner": "data-platform",
    "retries": 2,
    "retry_delay": timedelta(minutes=5),
    "on_failure_callback": alert_team,
}
SCHEDULE = "0 4 * * *"
RETRIES = 3
'''


@dataclass(frozen=True)
class Program:
    """One generated file: where it goes in the tree, its bytes, and what made it odd."""

    index: int
    path: str  # relative to the tree's DAG folder
    source: bytes
    mutations: tuple[str, ...]

    def describe(self) -> str:
        odd = ", ".join(self.mutations) or "none"
        return f"program {self.index} ({self.path}; mutations: {odd})"


def generate(seed: int, index: int) -> Program:
    """The program ``index`` of the run ``seed``."""
    rng = random.Random(f"{seed}:{index}")
    folder = rng.choice(["", "", "", "", "team_a/", "team_b/nested/"])
    writer = _Writer(rng, unicode_names=rng.random() < 0.08)
    kind = rng.choices(["airflow", "prefect", "both", "plain"], [60, 30, 7, 3])[0]
    if kind in ("airflow", "both"):
        _airflow_program(writer)
    if kind in ("prefect", "both"):
        _prefect_program(writer)
    if kind == "plain":  # mentions a framework, holds no pipeline
        writer.line('"""Helpers for airflow tasks."""')
        writer.line("VALUE = 1")
    source, mutations = _mutate(rng, writer.text())
    return Program(index, f"{folder}p{index:05d}.py", source, tuple(mutations))


class _Writer:
    """Lines of Python with the current indentation, and the names bound so far."""

    def __init__(self, rng: random.Random, *, unicode_names: bool) -> None:
        self.rng = rng
        self.unicode_names = unicode_names
        self.lines: list[str] = []
        self.depth = 0
        self.used: set[str] = set()

    def line(self, text: str = "") -> None:
        self.lines.append("    " * self.depth + text if text else "")

    @contextmanager
    def block(self, header: str) -> Iterator[None]:
        self.line(header)
        self.depth += 1
        yield
        self.depth -= 1

    def name(self, stem: str) -> str:
        """A fresh identifier, now and then a unicode one."""
        if self.unicode_names and self.rng.random() < 0.4:
            stem = self.rng.choice(["données", "задача", "任务", "ñame", "Ωmega", "ﬁle", "ǅ"])
        candidate, number = stem, 1
        while candidate in self.used:
            number += 1
            candidate = f"{stem}_{number}"
        self.used.add(candidate)
        return candidate

    def text(self) -> str:
        return "\n".join(self.lines) + "\n"


def _maybe(rng: random.Random, probability: float = 0.5) -> bool:
    return rng.random() < probability


def _cron(rng: random.Random) -> str:
    minute = rng.choice(["0", "*/15", "30", "5,35", str(rng.randrange(60)), "61", "*"])
    hour = rng.choice(["*", "3", "0-6", str(rng.randrange(24)), "*/2", "25"])
    weekday = rng.choice(["*", "*", "1-5", "MON", "sun", "7"])
    fields = [minute, hour, rng.choice(["*", "1", "L", "15"]), "*", weekday]
    if _maybe(rng, 0.05):
        fields = fields[: rng.randrange(1, 5)]  # too few fields
    return " ".join(fields)


def _schedule(rng: random.Random) -> str:
    return rng.choice(
        [
            f'"{_cron(rng)}"',
            f'"{_cron(rng)}"',
            f'"@{rng.choice(["daily", "hourly", "weekly", "monthly", "yearly", "once"])}"',
            '"@continuous"',
            '"@every_other_day"',
            f"timedelta(hours={rng.randrange(0, 48)})",
            f"timedelta(minutes={rng.choice([0, 5, 90])})",
            "None",
            "SCHEDULE",
            "common.SCHEDULE",
            '"0 0 * * *" if True else None',
            '[Dataset("s3://bucket/orders")]',
            '""',
            "42",
        ]
    )


ZONES = ["UTC", "Europe/Paris", "Nope/Zone"]


def _start_date(rng: random.Random) -> str:
    year, month, day = rng.choice([2023, 2024, 2025, 2031]), rng.randrange(1, 13), 1
    return rng.choice(
        [
            f"datetime({year}, {month}, {day})",
            f'pendulum.datetime({year}, {month}, {day}, tz="UTC")',
            f'pendulum.datetime({year}, {month}, {day}, tz="{rng.choice(ZONES)}")',
            f"days_ago({rng.randrange(0, 5)})",
            "datetime.now()",
            "datetime.now() - timedelta(days=1)",
            'pendulum.today("UTC").add(days=-1)',
            "START",
            '"2024-01-01"',
        ]
    )


def _duration(rng: random.Random) -> str:
    return rng.choice(
        [
            f"timedelta(minutes={rng.choice([0, 1, 5, 30, 90])})",
            f"timedelta(hours={rng.choice([1, 2, 12, 48])})",
            f"timedelta(seconds={rng.choice([-5, 30, 3600])})",
            str(rng.choice([0, 60, 300, 7200])),
            "None",
            "TIMEOUT",
        ]
    )


def _callback(rng: random.Random) -> str:
    return rng.choice(
        ["notify", "[notify]", "[notify, notify]", "alert_team", "lambda context: None", "None"]
    )


def _default_args_entries(rng: random.Random) -> list[str]:
    choices = {
        "owner": lambda: rng.choice(['"analytics"', '"airflow"', '""', "OWNER"]),
        "retries": lambda: rng.choice(["0", "1", "3", "-1", '"2"', "RETRIES", "None", "99"]),
        "retry_delay": lambda: _duration(rng),
        "retry_exponential_backoff": lambda: rng.choice(["True", "False"]),
        "max_retry_delay": lambda: _duration(rng),
        "email": lambda: rng.choice(['"team@example.com"', '["a@example.com", "b@x.io"]', "[]"]),
        "email_on_failure": lambda: rng.choice(["True", "False"]),
        "on_failure_callback": lambda: _callback(rng),
        "on_retry_callback": lambda: _callback(rng),
        "execution_timeout": lambda: _duration(rng),
        "sla": lambda: _duration(rng),
        "depends_on_past": lambda: rng.choice(["True", "False"]),
        "pool": lambda: '"default_pool"',
    }
    keys = rng.sample(sorted(choices), rng.randrange(0, 7))  # as many as teams write
    return [f'"{key}": {choices[key]()}' for key in keys]


def _default_args(rng: random.Random, writer: _Writer) -> str:
    """Module-level default_args, if any, and how the DAG passes them."""
    style = rng.choice(["literal", "named", "named", "common", "merged", "dict_call", "none"])
    entries = _default_args_entries(rng)
    if style == "literal":
        return "{" + ", ".join(entries) + "}"
    if style == "named":
        name = writer.name("default_args")
        with writer.block(f"{name} = {{"):
            for entry in entries:
                writer.line(entry + ",")
        writer.line("}")
        return name
    if style == "common":
        return rng.choice(["DEFAULT_ARGS", "common.DEFAULT_ARGS"])
    if style == "merged":
        return "{**DEFAULT_ARGS, " + ", ".join(entries) + "}"
    if style == "dict_call":
        keywords = [entry.replace('"', "", 2).replace(": ", "=", 1) for entry in entries]
        return "dict(" + ", ".join(keywords) + ")"
    return ""


def _dag_arguments(rng: random.Random, default_args: str, dag_id: str, *, style: str) -> list[str]:
    schedule_key = rng.choice(["schedule", "schedule", "schedule_interval", "timetable"])
    optional = {
        schedule_key: lambda: _schedule(rng),
        "start_date": lambda: _start_date(rng),
        "catchup": lambda: rng.choice(["True", "False", "CATCHUP"]),
        "tags": lambda: rng.choice(['["etl"]', '["team:data", "tier:1"]', "[]", '"etl"', "TAGS"]),
        "dagrun_timeout": lambda: _duration(rng),
        "max_active_runs": lambda: rng.choice(["1", "16", "0", "None"]),
        "max_active_tasks": lambda: rng.choice(["4", "32"]),
        "description": lambda: rng.choice(['"Nightly load"', '""', "__doc__"]),
        "doc_md": lambda: '"""# Runbook\\nPage the owner."""',
        "on_failure_callback": lambda: _callback(rng),
        "sla_miss_callback": lambda: _callback(rng),
        "owner_links": lambda: '{"analytics": "https://example.com/team"}',
        "params": lambda: '{"day": "2024-01-01"}',
        "is_paused_upon_creation": lambda: rng.choice(["True", "False"]),
    }
    chosen = rng.sample(sorted(optional), rng.randrange(0, 9))
    arguments = [f"{key}={optional[key]()}" for key in chosen]
    if default_args and _maybe(rng, 0.85):
        arguments.append(f"default_args={default_args}")
    rng.shuffle(arguments)
    if style != "decorator" or _maybe(rng, 0.5):
        if style == "decorator" or _maybe(rng, 0.4):
            arguments.insert(0, f"dag_id={dag_id}")
        else:
            arguments.insert(0, dag_id)
    return arguments


def _dag_id(rng: random.Random, writer: _Writer) -> str:
    stem = rng.choice(["orders", "clicks", "warehouse_load", "ml_features", "exports"])
    return rng.choice(
        [
            f'"{stem}_{rng.randrange(1000)}"',
            f'"{stem}"',  # the same id in several files now and then
            f'f"{stem}_{{ENV}}"',
            '"dag with spaces"',
            '""',
            "DAG_ID",
            f'"{writer.name("ünïcode")}"' if writer.unicode_names else '"dag.dots"',
        ]
    )


def _call(name: str, arguments: list[str], rng: random.Random) -> list[str]:
    """A call on one line or spread over several, as formatters leave them."""
    if _maybe(rng, 0.6) or not arguments:
        return [f"{name}({', '.join(arguments)})"]
    return [f"{name}(", *[f"    {argument}," for argument in arguments], ")"]


def _emit(writer: _Writer, target: str | None, name: str, arguments: list[str]) -> None:
    lines = _call(name, arguments, writer.rng)
    lines[0] = f"{target} = {lines[0]}" if target else lines[0]
    for line in lines:
        writer.line(line)


def _task_settings(rng: random.Random) -> list[str]:
    optional = {
        "retries": lambda: rng.choice(["0", "2", "RETRIES", "-3"]),
        "retry_delay": lambda: _duration(rng),
        "execution_timeout": lambda: _duration(rng),
        "owner": lambda: rng.choice(['"ops"', "OWNER"]),
        "trigger_rule": lambda: rng.choice(['"all_done"', '"one_failed"', '"bogus"']),
        "pool": lambda: '"etl"',
        "sla": lambda: _duration(rng),
        "on_failure_callback": lambda: _callback(rng),
        "depends_on_past": lambda: "True",
        "do_xcom_push": lambda: "False",
    }
    chosen = rng.sample(sorted(optional), rng.choice([0, 0, 1, 2, 3]))
    return [f"{key}={optional[key]()}" for key in chosen]


def _task_id(rng: random.Random, stem: str, loop_variable: str | None) -> str:
    if loop_variable is not None and _maybe(rng, 0.8):
        return rng.choice([f'f"{stem}_{{{loop_variable}}}"', f'"{stem}_" + str({loop_variable})'])
    return rng.choice([f'"{stem}"', f'"{stem}"', f'"{stem}"', f"'{stem}'", "TASK_ID", '""'])


def _operator(writer: _Writer, tasks: list[str], loop_variable: str | None = None) -> None:
    rng = writer.rng
    target = writer.name(rng.choice(["extract", "load", "transform", "report", "cleanup"]))
    task_id = _task_id(rng, target, loop_variable)
    kind = rng.choice(["bash", "bash", "python", "empty", "sensor", "sensor", "other"])
    if kind == "bash":
        command = rng.choice(
            [
                '"echo {{ ds }}"',
                '"python /opt/jobs/run.py --date {{ ds }}"',
                '"scripts/load.sh "',
                'f"echo {ENV}"',
                "\"psql -c 'DELETE FROM orders'\"",
            ]
        )
        arguments = [f"task_id={task_id}", f"bash_command={command}"]
        name = "BashOperator"
    elif kind == "python":
        arguments = [f"task_id={task_id}", "python_callable=work"]
        if _maybe(rng, 0.3):
            arguments.append('op_kwargs={"day": "{{ ds }}"}')
        name = "PythonOperator"
    elif kind == "empty":
        arguments = [f"task_id={task_id}"]
        name = rng.choice(["EmptyOperator", "DummyOperator"])
    elif kind == "sensor":
        name = rng.choice(["FileSensor", "ExternalTaskSensor", "HttpSensor", "S3KeySensor"])
        arguments = [f"task_id={task_id}"]
        if name == "FileSensor":
            arguments.append('filepath="/data/in/{{ ds }}.csv"')
        elif name == "ExternalTaskSensor":
            arguments.append('external_dag_id="upstream"')
        sensor_settings = {
            "timeout": lambda: rng.choice(["60", "3600", "60 * 60 * 24 * 7", "None", "TIMEOUT"]),
            "mode": lambda: rng.choice(['"poke"', '"reschedule"', '"bogus"', "MODE"]),
            "poke_interval": lambda: rng.choice(["5", "30", "300", "timedelta(minutes=1)"]),
            "soft_fail": lambda: "True",
            "exponential_backoff": lambda: "True",
        }
        for key in rng.sample(sorted(sensor_settings), rng.randrange(0, 4)):
            arguments.append(f"{key}={sensor_settings[key]()}")
    else:
        name = rng.choice(
            ["KubernetesPodOperator", "SQLExecuteQueryOperator", "TriggerDagRunOperator"]
        )
        arguments = [f"task_id={task_id}"]
    arguments += _task_settings(rng)
    if _maybe(rng, 0.1):
        arguments.append("dag=dag")
    _emit(writer, target, name, arguments)
    tasks.append(target)


def _taskflow_task(writer: _Writer, decorated: list[str]) -> None:
    rng = writer.rng
    name = writer.name(rng.choice(["fetch", "clean", "publish", "score"]))
    settings = _task_settings(rng)
    decorator = rng.choice(["@task", "@task()", "@task.python", "@task.bash"])
    if settings and decorator != "@task.python":
        decorator = f"@task({', '.join(settings)})" if decorator != "@task.bash" else decorator
    writer.line(decorator)
    with writer.block(f"def {name}(value=None):"):
        if decorator == "@task.bash":
            writer.line('return "echo {{ ds }}"')
        else:
            writer.line(rng.choice(["return value", "print(value)", "return {'rows': 1}", "pass"]))
    decorated.append(name)


def _dependencies(writer: _Writer, tasks: list[str]) -> None:
    rng = writer.rng
    if len(tasks) < 2:
        return
    for _ in range(rng.randrange(1, 4)):
        picked = rng.sample(tasks, min(len(tasks), rng.randrange(2, 5)))
        style = rng.choice(["rshift", "rshift", "lshift", "list", "chain", "set", "cross"])
        if style == "rshift":
            writer.line(" >> ".join(picked))
        elif style == "lshift":
            writer.line(" << ".join(picked))
        elif style == "list" and len(picked) >= 3:
            writer.line(f"{picked[0]} >> [{', '.join(picked[1:-1])}] >> {picked[-1]}")
        elif style == "chain":
            writer.line(f"chain({', '.join(picked)})")
        elif style == "cross" and len(picked) >= 4:
            writer.line(f"cross_downstream([{picked[0]}, {picked[1]}], [{picked[2]}, {picked[3]}])")
        else:
            writer.line(f"{picked[0]}.set_downstream({picked[1]})")


def _dag_body(writer: _Writer, helpers: list[str], decorated: list[str]) -> None:
    """Tasks and their dependencies, inside a DAG."""
    rng = writer.rng
    tasks: list[str] = []
    for _ in range(rng.randrange(1, 6)):
        what = rng.choice(
            ["operator", "operator", "operator", "taskflow", "loop", "group", "helper"]
        )
        if (
            what == "operator"
            or (what == "taskflow" and not decorated)
            or (what == "helper" and not helpers)
        ):
            _operator(writer, tasks)
        elif what == "taskflow":
            result = writer.name("result")
            argument = rng.choice([*tasks[-1:], "None", "1"]) if tasks else ""
            call = rng.choice(
                [
                    f"{rng.choice(decorated)}({argument})",
                    f'{rng.choice(decorated)}.override(task_id="over", retries=1)()',
                    f"{rng.choice(decorated)}.expand(value=[1, 2, 3])",
                ]
            )
            writer.line(f"{result} = {call}")
            tasks.append(result)
        elif what == "loop":
            variable = writer.name("i")
            iterable = rng.choice(["range(3)", '["eu", "us"]', "REGIONS", "range(0)"])
            previous = tasks[-1] if tasks else None
            with writer.block(f"for {variable} in {iterable}:"):
                inner: list[str] = []
                _operator(writer, inner, variable)
                if previous and _maybe(rng, 0.7):
                    writer.line(f"{previous} >> {inner[0]}")
            tasks.extend(inner)
        elif what == "group" and _maybe(rng):
            group = writer.name("group")
            label = rng.choice(['"stage"', 'f"stage_{ENV}"', "GROUP"])
            with writer.block(f"with TaskGroup({label}) as {group}:"):
                inner = []
                for _ in range(rng.randrange(1, 3)):
                    _operator(writer, inner)
                _dependencies(writer, inner)
            tasks.extend(inner)
            tasks.append(group)
        elif what == "group":
            function = writer.name("stage")
            writer.line(rng.choice(["@task_group", '@task_group(group_id="staged")']))
            with writer.block(f"def {function}():"):
                inner = []
                for _ in range(rng.randrange(1, 3)):
                    _operator(writer, inner)
                _dependencies(writer, inner)
                writer.line(f"return {inner[-1]}")
            group = writer.name("staged")
            writer.line(f"{group} = {function}()")
            tasks.append(group)
        else:
            target = writer.name("made")
            writer.line(f'{target} = {rng.choice(helpers)}("{target}")')
            tasks.append(target)
    _dependencies(writer, tasks)


def _airflow_program(writer: _Writer) -> None:
    rng = writer.rng
    airflow3 = _maybe(rng, 0.6)
    writer.line(rng.choice(['"""Load the day\'s orders."""', "# A DAG.", ""]))
    writer.line("from datetime import datetime, timedelta")
    writer.line("import pendulum")
    if airflow3:
        writer.line("from airflow.sdk import DAG, TaskGroup, chain, cross_downstream, dag, task")
        writer.line("from airflow.sdk import task_group")
        writer.line("from airflow.providers.standard.operators.bash import BashOperator")
        writer.line("from airflow.providers.standard.operators.python import PythonOperator")
        writer.line("from airflow.providers.standard.operators.empty import EmptyOperator")
        writer.line("from airflow.providers.standard.sensors.filesystem import FileSensor")
    else:
        writer.line("from airflow import DAG")
        writer.line("from airflow.decorators import dag, task, task_group")
        writer.line("from airflow.models.baseoperator import chain, cross_downstream")
        writer.line("from airflow.operators.bash import BashOperator")
        writer.line("from airflow.operators.python import PythonOperator")
        writer.line("from airflow.operators.dummy import DummyOperator")
        writer.line("from airflow.sensors.external_task import ExternalTaskSensor")
        writer.line("from airflow.utils.dates import days_ago")
        writer.line("from airflow.utils.task_group import TaskGroup")
    if _maybe(rng, 0.3):
        writer.line("from airflow.datasets import Dataset")
    if _maybe(rng, 0.5):
        writer.line(rng.choice(["from common import DEFAULT_ARGS, alert_team", "import common"]))
    writer.line()
    for constant, value in [
        ("ENV", '"prod"'),
        ("OWNER", '"analytics"'),
        ("RETRIES", rng.choice(["2", "int('3')"])),
        ("TIMEOUT", _duration(rng)),
        ("REGIONS", '["eu", "us", "apac"]'),
        ("DAG_ID", '"constant_dag"'),
        ("TASK_ID", '"constant_task"'),
        ("START", _start_date(rng)),
        ("SCHEDULE", _schedule(rng)),
        ("CATCHUP", "False"),
        ("TAGS", '["etl"]'),
        ("MODE", '"reschedule"'),
        ("GROUP", '"grouped"'),
    ]:
        if _maybe(rng, 0.5):
            writer.line(f"{constant} = {value}")
    writer.line()
    with writer.block("def notify(context):"):
        writer.line('print("failed", context)')
    with writer.block("def work(**context):"):
        writer.line(rng.choice(['print(context["ds"])', "return datetime.now()", "pass"]))
    helpers: list[str] = []
    if _maybe(rng, 0.3):
        helper = writer.name("make_task")
        with writer.block(f"def {helper}(name):"):
            writer.line('return BashOperator(task_id=f"made_{name}", bash_command="echo")')
        helpers.append(helper)
    decorated: list[str] = []
    for _ in range(rng.choice([0, 0, 1, 2])):
        _taskflow_task(writer, decorated)
    writer.line()
    default_args = _default_args(rng, writer)
    for _ in range(rng.choice([1, 1, 1, 1, 2])):
        dag_id = _dag_id(rng, writer)
        style = rng.choice(["with", "with", "decorator", "decorator", "assigned"])
        arguments = _dag_arguments(rng, default_args, dag_id, style=style)
        if style == "with":
            opening = _call("DAG", arguments, rng)
            opening[0] = f"with {opening[0]}"
            for line in opening[:-1]:
                writer.line(line)
            with writer.block(opening[-1] + rng.choice([" as dag:", " as dag:", ":"])):
                _dag_body(writer, helpers, decorated)
        elif style == "decorator":
            function = writer.name(rng.choice(["pipeline", "orders_dag", "daily"]))
            for line in _call("@dag", arguments, rng) if arguments or _maybe(rng) else ["@dag"]:
                writer.line(line)
            with writer.block(f"def {function}():"):
                if _maybe(rng, 0.3):
                    inner: list[str] = []
                    _taskflow_task(writer, inner)
                    decorated = decorated + inner
                _dag_body(writer, helpers, decorated)
            writer.line(rng.choice([f"{function}()", f"{function}_dag = {function}()", ""]))
        else:
            _emit(writer, "dag", "DAG", arguments)
            tasks: list[str] = []
            for _ in range(rng.randrange(1, 4)):
                _operator(writer, tasks)
            _dependencies(writer, tasks)
        writer.line()


def _keywords(rng: random.Random, choices: dict[str, list[str]], *, most: int) -> str:
    """Up to ``most`` of the keywords, each with one of its values: ``a=1, b=2``."""
    chosen = rng.sample(sorted(choices), rng.randrange(0, most + 1))
    return ", ".join(f"{key}={rng.choice(choices[key])}" for key in chosen)


def _prefect_program(writer: _Writer) -> None:
    rng = writer.rng
    writer.line("from datetime import timedelta")
    writer.line(rng.choice(["from prefect import flow, task, serve", "from prefect import *"]))
    if _maybe(rng, 0.3):
        writer.line("from prefect.tasks import task_input_hash")
    writer.line()
    tasks: list[str] = []
    for _ in range(rng.randrange(1, 5)):
        name = writer.name(rng.choice(["pull", "push", "score", "notify_slack"]))
        arguments = _keywords(
            rng,
            {
                "retries": ["0", "3", "-1", '"2"', "RETRIES"],
                "retry_delay_seconds": ["10", "[1, 10, 100]", "0", "timedelta(1)"],
                "timeout_seconds": ["60", "0", "None", "3600.5"],
                "log_prints": ["True", "False"],
                "cache_key_fn": ["task_input_hash"],
                "cache_expiration": ["timedelta(hours=1)"],
                "tags": ['["io"]', '"io"', "{'a'}"],
                "name": [f'"{name}-task"'],
                "retry_jitter_factor": ["0.5", "-1"],
                "on_failure": ["[on_fail]", "on_fail"],
            },
            most=3,
        )
        writer.line(f"@task({arguments})" if arguments or _maybe(rng) else "@task")
        with writer.block(f"def {name}(item=None):"):
            writer.line(rng.choice(["return item", "print(item)", "pass"]))
        tasks.append(name)
    if _maybe(rng, 0.3):
        with writer.block("def on_fail(flow, flow_run, state):"):
            writer.line("print(state)")
    flows: list[str] = []
    for _ in range(rng.randrange(1, 3)):
        name = writer.name(rng.choice(["etl", "nightly", "sync_crm"]))
        arguments = _keywords(
            rng,
            {
                "name": [f'"{name}-flow"', '""', "FLOW_NAME"],
                "retries": ["1", "0", "RETRIES"],
                "retry_delay_seconds": ["30", "[1, 2]"],
                "timeout_seconds": ["600", "0", "-1"],
                "log_prints": ["True", "False"],
                "description": ['"Syncs the CRM."'],
                "flow_run_name": ['"run-{item}"'],
                "on_failure": ["[on_fail]"],
                "on_crashed": ["[on_fail]"],
            },
            most=4,
        )
        writer.line(f"@flow({arguments})" if arguments or _maybe(rng) else "@flow")
        with writer.block(f"def {name}(item: int = 1):"):
            for _ in range(rng.randrange(1, 4)):
                called = rng.choice(tasks)
                writer.line(
                    rng.choice(
                        [
                            f"{called}(item)",
                            f"{called}.submit(item).result()",
                            f"{called}.map([1, 2, 3])",
                            f"value = {called}(item)",
                        ]
                    )
                )
            if flows and _maybe(rng, 0.4):
                writer.line(f"{rng.choice(flows)}()")
            if _maybe(rng, 0.2):
                with writer.block("for region in ['eu', 'us']:"):
                    writer.line(f"{rng.choice(tasks)}(region)")
        flows.append(name)
    writer.line()
    if _maybe(rng, 0.8):
        with writer.block('if __name__ == "__main__":'):
            for flow_name in flows:
                writer.line(_deployment(rng, flow_name))


def _deployment(rng: random.Random, flow: str) -> str:
    """How a flow is served or deployed, or just run."""
    source = 'source="https://github.com/acme/flows", entrypoint="flows.py:' + flow + '"'
    return rng.choice(
        [
            f'{flow}.serve(name="{flow}", cron="{_cron(rng)}")',
            f'{flow}.serve(name="{flow}", interval=timedelta(minutes=5), tags=["t"])',
            f'{flow}.serve(name="{flow}", interval=3600)',
            f'{flow}.deploy(name="{flow}", work_pool_name="k8s", image="reg/img:1")',
            f'{flow}.from_source({source}).deploy(name="d", work_pool_name="pool")',
            f'serve({flow}.to_deployment(name="{flow}", cron="0 * * * *"))',
            f"{flow}()",
            f"{flow}.serve()",
        ]
    )


# Each mutation takes the text (or the bytes, after encoding) and returns it changed.
_TextMutation = Callable[[random.Random, str], str]
_ByteMutation = Callable[[random.Random, bytes], bytes]


def _insert_line(rng: random.Random, text: str, line: str, *, at_end: bool = False) -> str:
    """``line`` between two lines of the text, at the top level (or at the end)."""
    lines = text.removesuffix("\n").split("\n")
    top_level = [i for i, old in enumerate(lines) if old and not old[0].isspace()]
    at = len(lines) if at_end or not top_level else rng.choice([*top_level, len(lines)])
    lines.insert(at, line)
    return "\n".join(lines) + "\n"


def _noqa(rng: random.Random, text: str) -> str:
    lines = text.split("\n")
    comments = ["# noqa", "# noqa: DC201", "# noqa:DC2,DC7", "# NOQA: bogus,", "# noqa: DC"]
    for _ in range(rng.randrange(1, 5)):
        index = rng.randrange(len(lines))
        if lines[index].strip() and not lines[index].rstrip().endswith(("\\", '"""')):
            lines[index] += "  " + rng.choice(comments)
    if _maybe(rng, 0.2):
        lines.insert(0, rng.choice(["# dagcheck: noqa", "# dagcheck: noqa: DC7"]))
    return "\n".join(lines)


def _deep_expression(rng: random.Random, text: str) -> str:
    # Past the model's limit (1,000 levels) a chain is a finding before libcst sees it;
    # below it, the model's time grows with the square of a chain's depth past 100 or so.
    terms = rng.choice([100, 100, 120, 1200])
    expression = rng.choice(
        [
            " + ".join(["1"] * max(terms, 200)),
            " + ".join(["1"] * max(terms, 200)),
            "a" + ".b" * terms,
            "f" + "()" * terms,
            "x" + "[0]" * terms,
            " ** ".join(["2"] * terms),  # right-associative
            "-" * terms + "1",
            "not " * terms + "x",
            "[" * min(terms, 150) + "]" * min(terms, 150),
            "f(" * min(terms, 150) + ")" * min(terms, 150),
            " if x else ".join(["y"] * terms),
            " >> ".join(f"t{number}" for number in range(terms)),
        ]
    )
    return _insert_line(rng, text, f"DEEP = {expression}", at_end=_maybe(rng))


def _long_line(rng: random.Random, text: str) -> str:
    long = rng.choice(
        [
            "WIDE = [" + ", ".join(str(n) for n in range(1500)) + "]",
            'BLOB = "' + "x" * 20_000 + '"',
            "# " + "comment " * 2500,
            'LONG = BashOperator(task_id="long", bash_command="' + "echo 1 && " * 1000 + '")',
        ]
    )
    return _insert_line(rng, text, long, at_end=_maybe(rng))


def _control_characters(rng: random.Random, text: str) -> str:
    # Characters that str.splitlines() treats as line breaks, Python's tokenizer does not.
    odd = rng.choice(["\x0c", "\x0b", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029"])
    others = rng.choice(["\x1b[31m", "\x7f", "\x01", "\u200b", "\ufeff", "\x00"])
    characters = odd + others if _maybe(rng, 0.8) else odd
    text = _insert_line(rng, text, f'NOTE = "before{characters}after"')
    return text.replace('bash_command="echo', f'bash_command="echo{odd}', 1)


def _invalid_literals(rng: random.Random, text: str) -> str:
    """Literals libcst's parser takes and Python refuses to compile."""
    literal = rng.choice([r'"\N{no such name}"', r'"\x4"', r"'\U00110000'", 'b"café"'])
    if _maybe(rng) and 'task_id="' in text:
        return text.replace('task_id="', f"task_id={literal} + " + '"', 1)
    return _insert_line(rng, text, f"ODD = {literal}")


def _newer_syntax(rng: random.Random, text: str) -> str:
    """Python 3.12 syntax, which libcst parses whatever Python runs dagcheck."""
    line = rng.choice(
        [
            "type Rows = list[int]",
            "def first[T](items: list[T]) -> T: return items[0]",
            'X = f"{"a"}"',
        ]
    )
    return _insert_line(rng, text, line)


def _tabs(rng: random.Random, text: str) -> str:
    lines = []
    for line in text.split("\n"):
        stripped = line.lstrip(" ")
        lines.append("\t" * ((len(line) - len(stripped)) // 4) + stripped)
    if _maybe(rng, 0.2):  # one line of spaces among tabs: an inconsistent file
        indented = [i for i, line in enumerate(lines) if line.startswith("\t\t")]
        if indented:
            index = rng.choice(indented)
            lines[index] = "    " + lines[index][1:]
    return "\n".join(lines)


def _form_feed_lines(rng: random.Random, text: str) -> str:
    return text.replace("\n\n", "\n\x0c\n", rng.randrange(1, 4))


def _no_trailing_newline(rng: random.Random, text: str) -> str:
    return text.rstrip("\n") + rng.choice(["", "  ", "\\", "# end"])


_TEXT_MUTATIONS: dict[str, _TextMutation] = {
    "noqa": _noqa,
    "deep-expression": _deep_expression,
    "long-line": _long_line,
    "control-characters": _control_characters,
    "tabs": _tabs,
    "invalid-literals": _invalid_literals,
    "newer-syntax": _newer_syntax,
    "form-feeds": _form_feed_lines,
    "no-trailing-newline": _no_trailing_newline,
}


def _bom(rng: random.Random, source: bytes) -> bytes:
    return b"\xef\xbb\xbf" + source


def _not_utf8(rng: random.Random, source: bytes) -> bytes:
    garbage = rng.choice([b"\xff\xfe", b"\x80", b"caf\xe9", b"\xc3\x28", b"\xed\xa0\x80"])
    lines = source.split(b"\n")
    index = rng.randrange(len(lines))
    lines[index] += rng.choice([b"  # ", b""]) + garbage
    return b"\n".join(lines)


def _declared_encoding(rng: random.Random, source: bytes) -> bytes:
    encoding = rng.choice(["latin-1", "cp1252", "utf-8", "klingon", "utf-16"])
    declared = f"# -*- coding: {encoding} -*-\n# café\n"
    text = declared + source.decode("utf-8", errors="replace")
    try:
        return text.encode({"klingon": "latin-1", "utf-16": "latin-1"}.get(encoding, encoding))
    except UnicodeEncodeError:
        return declared.encode("latin-1") + source


def _crlf(rng: random.Random, source: bytes) -> bytes:
    return source.replace(b"\n", b"\r\n")


def _cr(rng: random.Random, source: bytes) -> bytes:
    return source.replace(b"\n", b"\r")


def _mixed_newlines(rng: random.Random, source: bytes) -> bytes:
    lines = source.split(b"\n")
    return b"".join(line + rng.choice([b"\n", b"\r\n", b"\n"]) for line in lines[:-1]) + lines[-1]


def _truncated(rng: random.Random, source: bytes) -> bytes:
    return source[: rng.randrange(len(source) + 1)]


_BYTE_MUTATIONS: dict[str, _ByteMutation] = {
    "bom": _bom,
    "not-utf8": _not_utf8,
    "declared-encoding": _declared_encoding,
    "crlf": _crlf,
    "cr": _cr,
    "mixed-newlines": _mixed_newlines,
}

_EMPTY = [b"", b"\n", b"   \n\n", b"\xef\xbb\xbf", b"# airflow\n", b"\r\n", b"import airflow"]


def _mutate(rng: random.Random, text: str) -> tuple[bytes, list[str]]:
    """The program's bytes and the mutations applied, in order."""
    if _maybe(rng, 0.02):
        return rng.choice(_EMPTY), ["empty"]
    applied: list[str] = []
    if _maybe(rng, 0.22):
        for name in rng.sample(sorted(_TEXT_MUTATIONS), rng.choice([1, 1, 2])):
            text = _TEXT_MUTATIONS[name](rng, text)
            applied.append(name)
    source = text.encode("utf-8")
    if _maybe(rng, 0.18):
        for name in rng.sample(sorted(_BYTE_MUTATIONS), rng.choice([1, 1, 2])):
            source = _BYTE_MUTATIONS[name](rng, source)
            applied.append(name)
    if _maybe(rng, 0.05):
        source = _truncated(rng, source)
        applied.append("truncated")
    return source, applied
