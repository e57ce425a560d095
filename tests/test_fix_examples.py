"""Every fix, safe and unsafe, over a copy of the example DAGs Airflow ships: every changed
file still parses, a second run changes nothing, the fixed findings are gone, and Airflow's
own DagBag loads the same DAGs with the same tasks as before."""

from __future__ import annotations

import ast
import json
import os
import re
import shutil
import subprocess
from collections import Counter
from pathlib import Path

import pytest
from cli_runner import dagcheck
from dagbag_runner import example_dags_folders, run_dagbag_dump
from test_prefect_fixtures import REFUSED_AT_IMPORT

from dagcheck.config import load_config
from dagcheck.engine import Options, run
from dagcheck.fixes import registered_fixers

FIXED_LINE = re.compile(r"^(?P<path>.+): fixed (?P<count>\d+) x (?P<code>DC\d{3})$", re.MULTILINE)


def fix_everything(
    folder: Path, before: dict[Path, str], *, cwd: Path
) -> tuple[Counter[str], list[Path]]:
    """``dagcheck fix --unsafe-fixes`` on a folder: fixes applied per rule, files changed."""
    fixed = dagcheck("fix", "--unsafe-fixes", "--show-fixes", "--exit-zero", str(folder), cwd=cwd)
    assert fixed.returncode == 0, fixed.stderr
    applied: Counter[str] = Counter()
    for match in FIXED_LINE.finditer(fixed.stderr):
        applied[match["code"]] += int(match["count"])
    changed = [path for path, text in before.items() if path.read_text() != text]
    print(
        f"\nfixes applied per rule: {dict(sorted(applied.items()))}; files changed: {len(changed)}"
    )
    return applied, changed


def shape(dump: dict) -> dict[str, list[str]]:
    return {dag["dag_id"]: sorted(dag["task_ids"]) for dag in dump["dags"]}


# The team's alerting, which the callback and deadline fixes import.
ALERTS = """\
def notify(context):
    print("failed:", context)


async def page_on_call(**kwargs):
    print("late:", kwargs)
"""
FIX_CONFIG = """\
[tool.dagcheck]
failure-callback = "team_alerts.notify"
deadline-callback = "team_alerts.page_on_call"
fix-tags = ["example"]
fix-start-date = 2024-01-01
"""


# Fixes whose findings other fixes create: tasks that the DC201 fix makes retry are then
# checked for backoff, and found lacking it, and fixed in a later round.
MADE_APPLICABLE_BY_OTHER_FIXES = {"DC203", "DC204"}
# Findings other fixes make moot: a DAG whose every task gets an execution_timeout from the
# DC401 fix cannot stay stuck, and needs no dagrun_timeout (DC402) any more.
MADE_MOOT_BY_OTHER_FIXES = {"DC402"}


def test_fixing_airflows_example_dags(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folders = example_dags_folders()  # Airflow's own and the standard provider's
    if not folders:
        pytest.skip("Airflow is not installed in this environment")
    (tmp_path / "pyproject.toml").write_text(FIX_CONFIG)
    (tmp_path / "alerts").mkdir()
    (tmp_path / "alerts" / "team_alerts.py").write_text(ALERTS)
    monkeypatch.setenv("PYTHONPATH", str(tmp_path / "alerts"))  # for the DagBag subprocess
    copies = [tmp_path / "copies" / str(n) / "example_dags" for n in range(len(folders))]
    for folder, copy in zip(folders, copies, strict=True):
        shutil.copytree(folder, copy, ignore=shutil.ignore_patterns("__pycache__"))
    before = {p: p.read_text() for copy in copies for p in copy.rglob("*.py")}
    fixable = tuple(registered_fixers())
    copies_root = tmp_path / "copies"
    options = Options(select=fixable, policy=load_config(tmp_path / "pyproject.toml").rule_options)
    findings_before = Counter(f.code for m in run([copies_root], options) for f in m.findings)

    applied, changed = fix_everything(copies_root, before, cwd=tmp_path)
    assert changed and sum(applied.values()) >= len(changed)
    for path in changed:
        ast.parse(path.read_text(), filename=str(path))

    again = dagcheck("check", "--diff", "--unsafe-fixes", str(copies_root), cwd=tmp_path)
    assert (again.returncode, again.stdout) == (0, "")
    findings_after = Counter(f.code for m in run([copies_root], options) for f in m.findings)
    for code, count in applied.items():
        if code in MADE_APPLICABLE_BY_OTHER_FIXES:
            assert findings_after[code] <= findings_before[code]
        elif code in MADE_MOOT_BY_OTHER_FIXES:
            assert findings_after[code] <= findings_before[code] - count
        else:
            assert findings_after[code] == findings_before[code] - count

    for n, (folder, copy) in enumerate(zip(folders, copies, strict=True)):
        original = run_dagbag_dump(folder, airflow_home=tmp_path / f"home-{n}-original")
        rewritten = run_dagbag_dump(copy, airflow_home=tmp_path / f"home-{n}-fixed")
        assert shape(rewritten) == shape(original)
        assert len(rewritten["import_errors"]) == len(original["import_errors"])


def test_fixing_the_prefect_fixtures(tmp_path: Path) -> None:
    fixtures = Path(__file__).resolve().parent.parent / "fixtures" / "prefect"
    copy = tmp_path / "prefect"
    shutil.copytree(fixtures, copy, ignore=shutil.ignore_patterns("__pycache__"))
    before = {p: p.read_text() for p in copy.rglob("*.py")}

    applied, changed = fix_everything(copy, before, cwd=tmp_path)
    assert {"DC201", "DC401", "DC402", "DC603"} <= set(applied)
    for path in changed:
        ast.parse(path.read_text(), filename=str(path))
    again = dagcheck("check", "--diff", "--unsafe-fixes", str(copy), cwd=tmp_path)
    assert (again.returncode, again.stdout) == (0, "")
    # Prefect itself imports the fixed files: the two whose hooks were not lists now import.
    python = os.environ.get("DAGCHECK_PREFECT_PYTHON")
    if python is not None:
        truth_script = Path(__file__).resolve().parent / "prefect_truth.py"
        completed = subprocess.run(
            [os.path.abspath(python), str(truth_script), *map(str, changed)],
            capture_output=True,
            text=True,
            check=True,
            timeout=600,
        )
        errors = {
            Path(path).name: facts["error"]
            for path, facts in json.loads(completed.stdout).items()
            if facts["error"]
        }
        assert "misuse_flow_hook_not_list.py" not in errors
        assert "misuse_task_hook_not_list.py" not in errors
        # What no fix touches still fails as before (tags= on a flow, Prefect 2 APIs).
        assert set(errors) <= set(REFUSED_AT_IMPORT)


def test_fixed_sla_and_start_date_load_in_airflow(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The DeadlineAlert and pendulum code the DC301 and DC101 fixes write is accepted by the
    installed Airflow's DagBag."""
    if not example_dags_folders():
        pytest.skip("Airflow is not installed in this environment")
    (tmp_path / "pyproject.toml").write_text(FIX_CONFIG)
    (tmp_path / "alerts").mkdir()
    (tmp_path / "alerts" / "team_alerts.py").write_text(ALERTS)
    monkeypatch.setenv("PYTHONPATH", str(tmp_path / "alerts"))
    dags = tmp_path / "dags"
    dags.mkdir()
    (dags / "sales.py").write_text(SLA_DAG)
    fixed = dagcheck("fix", "--unsafe-fixes", "--select", "DC101,DC301", "dags", cwd=tmp_path)
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    text = (dags / "sales.py").read_text()
    assert "deadline=DeadlineAlert(" in text and "sla" not in text.replace("sales", "")
    dump = run_dagbag_dump(dags, airflow_home=tmp_path / "home")
    assert not dump["import_errors"]
    assert shape(dump) == {"sales_daily": ["load", "report"]}


SLA_DAG = """\
import datetime

from airflow.providers.standard.operators.bash import BashOperator
from airflow.sdk import DAG

with DAG(
    "sales_daily",
    schedule="@daily",
    start_date=datetime.datetime.now() - datetime.timedelta(days=1),
    sla_miss_callback=print,
):
    BashOperator(task_id="load", bash_command="load.sh", sla=datetime.timedelta(hours=2))
    BashOperator(task_id="report", bash_command="report.sh", sla=datetime.timedelta(hours=2))
"""
