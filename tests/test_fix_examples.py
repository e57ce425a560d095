"""Every fix, safe and unsafe, over a copy of the example DAGs Airflow ships: every changed
file still parses, a second run changes nothing, the fixed findings are gone, and Airflow's
own DagBag loads the same DAGs with the same tasks as before."""

from __future__ import annotations

import ast
import re
import shutil
from collections import Counter
from pathlib import Path

import pytest
from dagbag_runner import example_dags_folders, run_dagbag_dump
from test_sarif import dagcheck

from dagcheck.engine import Options, run
from dagcheck.fixes import registered_fixers

FIXED_LINE = re.compile(r"^(?P<path>.+): fixed (?P<count>\d+) x (?P<code>DC\d{3})$", re.MULTILINE)


def shape(dump: dict) -> dict[str, list[str]]:
    return {dag["dag_id"]: sorted(dag["task_ids"]) for dag in dump["dags"]}


def test_fixing_airflows_example_dags(tmp_path: Path) -> None:
    folders = example_dags_folders()  # Airflow's own and the standard provider's
    if not folders:
        pytest.skip("Airflow is not installed in this environment")
    copies = [tmp_path / "copies" / str(n) / "example_dags" for n in range(len(folders))]
    for folder, copy in zip(folders, copies, strict=True):
        shutil.copytree(folder, copy, ignore=shutil.ignore_patterns("__pycache__"))
    before = {p: p.read_text() for copy in copies for p in copy.rglob("*.py")}
    fixable = tuple(registered_fixers())
    copies_root = tmp_path / "copies"
    findings_before = Counter(
        f.code for m in run([copies_root], Options(select=fixable)) for f in m.findings
    )

    fixed = dagcheck(
        "fix", "--unsafe-fixes", "--show-fixes", "--exit-zero", str(copies_root), cwd=tmp_path
    )
    assert fixed.returncode == 0, fixed.stderr
    applied: Counter[str] = Counter()
    for match in FIXED_LINE.finditer(fixed.stderr):
        applied[match["code"]] += int(match["count"])
    changed = [p for p, text in before.items() if p.read_text() != text]
    print(
        f"\nfixes applied per rule: {dict(sorted(applied.items()))}; files changed: {len(changed)}"
    )
    assert changed and sum(applied.values()) >= len(changed)
    for path in changed:
        ast.parse(path.read_text(), filename=str(path))

    again = dagcheck("check", "--diff", "--unsafe-fixes", str(copies_root), cwd=tmp_path)
    assert (again.returncode, again.stdout) == (0, "")
    findings_after = Counter(
        f.code for m in run([copies_root], Options(select=fixable)) for f in m.findings
    )
    for code, count in applied.items():
        assert findings_after[code] == findings_before[code] - count

    for n, (folder, copy) in enumerate(zip(folders, copies, strict=True)):
        original = run_dagbag_dump(folder, airflow_home=tmp_path / f"home-{n}-original")
        rewritten = run_dagbag_dump(copy, airflow_home=tmp_path / f"home-{n}-fixed")
        assert shape(rewritten) == shape(original)
        assert len(rewritten["import_errors"]) == len(original["import_errors"])
