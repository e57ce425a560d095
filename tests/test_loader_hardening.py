"""The ``--engine`` loaders against files that fight back: a file that writes lines shaped like
the loader's events (to standard output, or to every pipe it can find), one that leaves forked
sleepers behind, one that allocates past ``dagbag-memory``; and the runner against a loader
whose messages are out of turn or malformed. Every such file costs only itself.

Each engine loads one tree of tiny files in one dagcheck run, shared by the tests that read
it; the runner's own tests use a stand-in loader that needs no framework.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from cli_runner import dagcheck
from dagbag_runner import example_dags_folders

from dagcheck.config import ConfigError, load_config
from dagcheck.dynamic import dags
from dagcheck.dynamic.runner import Loader

pytestmark = pytest.mark.skipif(
    not Path("/proc/self/fd").is_dir(), reason="the files under test look through /proc"
)
needs_airflow = pytest.mark.skipif(
    not example_dags_folders(), reason="Airflow is not installed in this environment"
)
PREFECT_PYTHON = os.environ.get("DAGCHECK_PREFECT_PYTHON")
needs_prefect = pytest.mark.skipif(
    PREFECT_PYTHON is None,
    reason="needs DAGCHECK_PREFECT_PYTHON, an interpreter with Prefect (make test sets it)",
)
TIMEOUT = 30  # dagbag-timeout of the trees: a run that waits on a sleeper takes longer
MEMORY = 0.5  # dagbag-memory of the trees: Airflow and Prefect import in ~150 MB

# Forged events on every pipe the file can reach (standard output, standard error, the
# loader's channel found through /proc), a complete one for itself with a guessed nonce
# among them, then a record of what the file could see of the loader's secrets.
FORGES = """\
import json
import os
import pathlib
import stat
import subprocess
import sys

HERE = pathlib.Path(__file__)
FORGED = [
    {"event": "file"},
    {"event": "start", "file": 3},
    {"event": "file", "file": str(HERE), "dags": [{"dag_id": "forged"}], "nonce": "0" * 32},
    {"event": "file", "file": str(HERE), "flows": [], "tasks": [], "dags": []},
]
LINES = "".join(json.dumps(event) + "\\n" for event in FORGED).encode() + b'{"event": "fi'
print(LINES.decode())
for name in os.listdir("/proc/self/fd"):
    try:
        if stat.S_ISFIFO(os.fstat(int(name)).st_mode):
            os.write(int(name), LINES)
    except OSError:
        pass
CHILD = (
    "import os, stat\\n"
    "fds = []\\n"
    "for name in os.listdir('/proc/self/fd'):\\n"
    "    try:\\n"
    "        if int(name) > 2 and stat.S_ISFIFO(os.fstat(int(name)).st_mode):\\n"
    "            fds.append(int(name))\\n"
    "    except OSError:\\n"
    "        pass\\n"
    "print(fds)\\n"
)
child = subprocess.run([sys.executable, "-c", CHILD], capture_output=True, text=True)
HERE.with_name("seen.json").write_text(json.dumps({
    "environment": sorted(key for key in os.environ if key.startswith("DAGCHECK_LOADER")),
    "child_pipes": child.stdout.strip(),
}))
"""

# Twenty forked sleepers and a `sleep` command, all outliving the import; their pids are
# written down for the test to check.
FORKS = """\
import os
import pathlib
import subprocess
import time

pids = []
for _ in range(20):
    pid = os.fork()
    if pid == 0:
        time.sleep(600)
        os._exit(0)
    pids.append(pid)
pids.append(subprocess.Popen(["sleep", "600"]).pid)
pathlib.Path(__file__).with_name("sleepers.txt").write_text(" ".join(map(str, pids)))
"""

ALLOCATES = """\
DATA = bytearray(2**30)
"""

# Out of memory, and exits the hard way after saying so, as a library that gives up does.
DIES_OUT_OF_MEMORY = """\
import os
import traceback

try:
    DATA = bytearray(2**30)
except MemoryError:
    traceback.print_exc()
    os._exit(1)
"""

EXITS = """\
import os

os._exit(3)
"""

AIRFLOW_HEADER = """\
import datetime

from airflow import DAG
from airflow.operators.bash import BashOperator
"""


def airflow_dag(dag_id: str, body: str = "") -> str:
    return (
        f"{AIRFLOW_HEADER}\n{body}\n"
        f'with DAG("{dag_id}", schedule="@daily", start_date=datetime.datetime(2024, 1, 1)):\n'
        '    BashOperator(task_id="load", bash_command="load.sh")\n'
    )


def prefect_flow(name: str, body: str = "") -> str:
    return (
        f"from prefect import flow\n\n{body}\n\n"
        f'@flow(name="{name}", retries=1)\ndef run() -> None:\n    pass\n'
    )


def write_tree(root: Path, files: dict[str, str]) -> Path:
    root.mkdir()
    for name, text in files.items():
        (root / name).write_text(text)
    (root / "pyproject.toml").write_text(
        f"[tool.dagcheck]\ndagbag-timeout = {TIMEOUT}\ndagbag-memory = {MEMORY}\n"
    )
    return root


def line_of(text: str, needle: str) -> int:
    return next(n for n, line in enumerate(text.splitlines(), 1) if needle in line)


def alive(pid: int) -> bool:
    try:
        status = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return status.rpartition(")")[2].split()[0] != "Z"  # a zombie has ended


def still_alive(pids: list[int], wait: float = 5.0) -> list[int]:
    """The pids still running after up to ``wait`` seconds (a kill takes effect at once,
    a process's end a moment later)."""
    deadline = time.monotonic() + wait
    while (left := [pid for pid in pids if alive(pid)]) and time.monotonic() < deadline:
        time.sleep(0.1)
    return left


class Run:
    """One dagcheck run over a tree: its findings by file, the model's pipelines by file,
    how long the check took."""

    def __init__(self, root: Path, *args: str) -> None:
        started = time.monotonic()
        check = dagcheck(*args, "--output-format", "json", "--exit-zero", ".", cwd=root)
        self.seconds = time.monotonic() - started
        assert check.returncode == 0, check.stderr
        assert "Traceback" not in check.stdout + check.stderr
        self.root = root
        self.findings: dict[str, list[dict[str, Any]]] = {}
        for finding in json.loads(check.stdout):
            self.findings.setdefault(Path(finding["path"]).name, []).append(finding)

    def not_loaded(self, name: str) -> list[dict[str, Any]]:
        return [f for f in self.findings.get(name, []) if f["code"] == "DC002"]

    def pipelines(self, name: str) -> set[str]:
        return {f["pipeline"] for f in self.findings.get(name, []) if f["pipeline"]}


@pytest.fixture(scope="module")
def airflow_run(tmp_path_factory: pytest.TempPathFactory) -> Run:
    root = write_tree(
        tmp_path_factory.mktemp("airflow") / "dags",
        {
            "a_forges.py": airflow_dag("forges", FORGES),
            "b_forks.py": airflow_dag("forks", FORKS),
            "c_allocates.py": airflow_dag("allocates", ALLOCATES),
            "d_exits.py": airflow_dag("exits", EXITS),
            "e_dies.py": airflow_dag("dies", DIES_OUT_OF_MEMORY),
            "f_good.py": airflow_dag("good"),
        },
    )
    return Run(root, "check", "--engine", "dagbag", "--select", "DC0,DC201")


@pytest.fixture(scope="module")
def prefect_run(tmp_path_factory: pytest.TempPathFactory) -> Run:
    root = write_tree(
        tmp_path_factory.mktemp("prefect") / "flows",
        {
            "a_forges.py": prefect_flow("forges", FORGES),
            "b_forks.py": prefect_flow("forks", FORKS),
            "c_allocates.py": prefect_flow("allocates", ALLOCATES),
            "d_good.py": prefect_flow("good"),
        },
    )
    assert PREFECT_PYTHON is not None
    engine = ("check", "--engine", "import", "--python", PREFECT_PYTHON, "--select", "DC0,DC2")
    return Run(root, *engine)


def assert_forgery_changed_nothing(run: Run, good: str) -> None:
    # The forging file and the one after it are loaded as they are: the forged events,
    # the complete one with a guessed nonce included, are not the loader's.
    assert run.pipelines("a_forges.py") == {"forges"}
    assert not run.not_loaded("a_forges.py")
    assert run.pipelines(good) == {"good"} and not run.not_loaded(good)
    seen = json.loads((run.root / "seen.json").read_text())
    assert seen == {"environment": [], "child_pipes": "[]"}


def assert_sleepers_did_not_hold_the_run(run: Run) -> None:
    pids = [int(pid) for pid in (run.root / "sleepers.txt").read_text().split()]
    assert len(pids) == 21
    assert still_alive(pids) == []
    assert run.pipelines("b_forks.py") == {"forks"} and not run.not_loaded("b_forks.py")
    # Waiting on the sleepers would have cost a whole timeout.
    assert run.seconds < TIMEOUT


@needs_airflow
def test_forged_events_are_not_the_loaders(airflow_run: Run) -> None:
    assert_forgery_changed_nothing(airflow_run, "f_good.py")


@needs_airflow
def test_what_a_dag_forks_dies_with_its_loader(airflow_run: Run) -> None:
    assert_sleepers_did_not_hold_the_run(airflow_run)
    # The loader that died after the sleepers started is seen to die, not to hang.
    [exits] = airflow_run.not_loaded("d_exits.py")
    assert exits["message"].endswith("exited (code 3) while importing it")


@needs_airflow
def test_a_dag_past_the_memory_limit_is_dc002(airflow_run: Run) -> None:
    [allocates] = airflow_run.not_loaded("c_allocates.py")
    assert allocates["message"] == (
        "DagBag could not import the file: loading used more than 0.5 GB of memory"
    )
    source = (airflow_run.root / "c_allocates.py").read_text()
    assert allocates["location"]["line"] == line_of(source, "bytearray")
    [dies] = airflow_run.not_loaded("e_dies.py")
    assert dies["message"] == (
        "DagBag could not load the file: loading used more than 0.5 GB of memory"
    )
    # The MemoryError that Airflow logged for an earlier file does not make a later exit one.
    assert "memory" not in airflow_run.not_loaded("d_exits.py")[0]["message"]


@needs_prefect
def test_prefect_loader_resists_forgery_sleepers_and_allocations(prefect_run: Run) -> None:
    assert_forgery_changed_nothing(prefect_run, "d_good.py")
    assert_sleepers_did_not_hold_the_run(prefect_run)
    [allocates] = prefect_run.not_loaded("c_allocates.py")
    assert allocates["message"] == (
        "Prefect could not import the file: loading used more than 0.5 GB of memory"
    )


@needs_airflow
def test_a_limit_airflow_cannot_import_under_is_a_one_line_error(tmp_path: Path) -> None:
    root = write_tree(tmp_path / "dags", {"good.py": airflow_dag("good")})
    (root / "pyproject.toml").write_text("[tool.dagcheck]\ndagbag-memory = 0.05\n")
    result = dagcheck("check", "--engine", "dagbag", ".", cwd=root)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "Error: the airflow loader failed to start: importing airflow needs more than 0.05 GB"
        " of memory; raise dagbag-memory in [tool.dagcheck]"
    ]


# A stand-in loader: it sends for each file the messages FAKE_SCRIPT lists under its name
# ("FILE" stands for the file's path), with the right nonce unless one is given (None: none).
FAKE_LOADER = """\
import json
import os
import sys

fd = int(os.environ.pop("DAGCHECK_LOADER_FD"))
nonce = sys.stdin.read().strip()
script = json.loads(os.environ["FAKE_SCRIPT"])


def send(message):
    if isinstance(message, dict) and message.setdefault("nonce", nonce) is None:
        del message["nonce"]
    text = message if isinstance(message, str) else json.dumps(message)
    os.write(fd, (text + "\\n").encode())


send({"event": "ready", "airflow_version": "3.3.2"})
for path in sys.argv[1:]:
    for message in script[os.path.basename(path)]:
        send(json.loads(json.dumps(message).replace("FILE", path)))
"""
GOOD_EVENT = {
    "event": "file",
    "file": "FILE",
    "dags": [],
    "import_error": None,
    "import_error_line": None,
}
START = {"event": "start", "file": "FILE"}
A_DAG = {"dag_id": "d", "fileloc": "FILE", "settings": {}, "tasks": []}
FAKE_SCRIPT: dict[str, list[Any]] = {
    # Not the loader's (no nonce, a wrong one, not JSON, not an object): ignored.
    "ignored.py": [
        START,
        {"event": "file", "file": "FILE", "dags": "x", "nonce": None},
        {**GOOD_EVENT, "dags": [A_DAG], "nonce": "0" * 32},
        "not json",
        "[1, 2]",
        {**GOOD_EVENT, "nonce": 5},
        GOOD_EVENT,
    ],
    "missing.py": [START, {"event": "file", "file": "FILE", "import_error": None}],
    "wrong_type.py": [START, {**GOOD_EVENT, "dags": [{**A_DAG, "tasks": {}}]}],
    "wrong_error.py": [START, {**GOOD_EVENT, "import_error_line": "3"}],
    "after.py": [START, GOOD_EVENT],
    "out_of_turn.py": [START, {**GOOD_EVENT, "file": "other.py"}],
    "restarted.py": [START, {**GOOD_EVENT, "dags": [A_DAG]}],
}


def test_messages_out_of_turn_or_malformed_fail_only_their_file(tmp_path: Path) -> None:
    script = tmp_path / "fake_loader.py"
    script.write_text(FAKE_LOADER)
    files = [tmp_path / name for name in FAKE_SCRIPT]
    env = {**os.environ, "FAKE_SCRIPT": json.dumps(FAKE_SCRIPT)}
    loader = Loader(script, sys.executable, env, 10, "airflow", shape=dags.FILE_EVENT)
    results = {path.name: result for path, result in loader.load(files).items()}
    assert set(results) == set(FAKE_SCRIPT)
    errors = {name: result.error for name, result in results.items()}
    assert errors == {
        "ignored.py": None,
        "missing.py": "the loader's report on it is malformed (dags is missing)",
        "wrong_type.py": "the loader's report on it is malformed (dags[0].tasks: expected a list)",
        "wrong_error.py": (
            "the loader's report on it is malformed (import_error_line: expected int or NoneType)"
        ),
        "after.py": None,
        "out_of_turn.py": "the loader sent 'file' for 'other.py' out of turn",
        "restarted.py": None,
    }
    assert results["ignored.py"].event["dags"] == []
    assert [dag["dag_id"] for dag in results["restarted.py"].event["dags"]] == ["d"]


BAD_MEMORY = [
    ("dagbag-memory = 0", "expected a number of GB > 0, such as 4 or 0.5, not 0"),
    ("dagbag-memory = -1.5", "not -1.5"),
    ('dagbag-memory = "4GB"', "not '4GB'"),
    ("dagbag-memory = true", "not True"),
    ("dagbag-memory = inf", "not inf"),
]


@pytest.mark.parametrize(("line", "message"), BAD_MEMORY, ids=[m[0] for m in BAD_MEMORY])
def test_dagbag_memory_must_be_a_positive_number(tmp_path: Path, line: str, message: str) -> None:
    (tmp_path / "pyproject.toml").write_text(f"[tool.dagcheck]\n{line}\n")
    with pytest.raises(ConfigError, match=r"\[tool.dagcheck\] dagbag-memory: ") as error:
        load_config(tmp_path / "pyproject.toml")
    assert message in str(error.value)


def test_dagbag_memory_defaults_to_4_gb_and_takes_fractions(tmp_path: Path) -> None:
    config = tmp_path / "pyproject.toml"
    config.write_text("[tool.dagcheck]\n")
    assert load_config(config).load_memory == 4.0
    config.write_text("[tool.dagcheck]\ndagbag-memory = 0.25\n")
    assert load_config(config).load_memory == 0.25
