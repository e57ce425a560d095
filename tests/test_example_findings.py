"""The whole checklist on Airflow's own example DAGs: per-rule counts, pinned.

A change in a count is a change in what users see on real code nobody here wrote: read the
new findings before updating the numbers. Counts are for the Airflow pinned in the Makefile.
"""

from __future__ import annotations

from collections import Counter
from importlib import metadata
from pathlib import Path

import pytest
from dagbag_runner import example_dags_folders

from dagcheck.engine import Options, run

PINNED_AIRFLOW = "3.3.2"
EXPECTED = {
    "example_dags": {
        "DC104": 1, "DC201": 28, "DC401": 27, "DC402": 1, "DC501": 2,
        "DC504": 77, "DC601": 58, "DC701": 1, "DC804": 1,
    },
    "standard/example_dags": {
        "DC102": 4, "DC201": 8, "DC401": 6, "DC403": 5, "DC504": 15,
        "DC601": 13, "DC701": 1, "DC804": 3,
    },
}  # fmt: skip
# Changes, each read: DC201 and DC401 no longer ask LatestOnly, ShortCircuit and Branch*
# tasks (or DAGs made only of them) for retries or an execution_timeout (-3 and -7 each);
# DC203 on tutorial moved from the DAG (default retries=1, one delay: backoff changes
# nothing) to its one task with retries=3. DC704 no longer fires on the 11 DAGs run only when
# triggered (schedule=None): they have no intervals for a timezone to shift. DC201 and DC401
# no longer ask plain @task functions whose bodies only compute, print, log or sleep for
# retries or a timeout (print_value, add_one, sum_it, tutorial's transform, ...: -34 each;
# in standard, the hitl and measurement examples: -1 DC201, -2 DC401): nothing in them can
# hang or fail for a reason a retry cures. DC704 is opt-in (harmless under the default UTC
# default_timezone): its 2 + 2 findings appear with --select DC704. example_xcom is now
# modelled in full (XComArg(task) is that task's output; str() of it adds no edge): its five
# tasks without retries or a timeout are one DAG finding each for DC201 and DC401 (-4 each),
# and DC502 and DC601, silent on a DAG the model could not follow, find no owner and no
# alerting there (+1 each). DC402 asks for a dagrun_timeout only where a stuck run holds
# back the runs after it (max_active_runs=1, or a task with depends_on_past=True): every
# other example runs with Airflow's default of 16 active runs, where later runs go ahead
# (-87 and -22; the one left is example_branch_dop_operator_v3's depends_on_past task).
# DC502 follows the tree's convention: it asks for an owner only where most DAGs of the run
# name theirs. Every example leaves the default 'airflow' (independent demos, no team to
# follow), as do single-team production trees where the finding was read as noise (-90, -23).
# A PythonOperator's python_callable is judged by its body like a @task's (and helpers of
# the file or the tree by theirs): example_asset_alias_with_no_taskflow's two callables whose
# body is `pass` need no retries or timeout (-2 DC201, -2 DC401). Retries, backoff, timeouts
# and alerting are not asked of DAGs nothing starts but a person (schedule=None, and no other
# file triggers their dag_id): 32 + 10 demo DAGs run by hand (DC201 -17 and -7, DC203 -3,
# DC401 -20 and -6, DC601 -32 and -9). The two asset_s3_bucket_producer DAGs keep theirs:
# example_asset_alias names them as triggered. DC401 is quiet on a DAG with a dagrun_timeout,
# whose end stops every unfinished task (example_custom_weight,
# example_passing_params_via_test_command, example_bash_operator: -2, -1). DC203 (retries at a
# fixed delay) is opt-in: its one finding, tutorial's task with retries=3, appears with
# --select DC203.


def installed_airflow() -> str:
    try:
        return metadata.version("apache-airflow-core")
    except metadata.PackageNotFoundError:
        return "none"


@pytest.mark.skipif(
    installed_airflow() != PINNED_AIRFLOW,
    reason=f"counts are pinned for the example DAGs of Airflow {PINNED_AIRFLOW}",
)
@pytest.mark.parametrize(
    "folder", example_dags_folders(), ids=lambda folder: "/".join(folder.parts[-2:])
)
def test_per_rule_counts_on_airflow_example_dags(folder: Path) -> None:
    models = run([folder], Options(select=("DC",)))
    counts = Counter(finding.code for model in models for finding in model.findings)
    key = "standard/example_dags" if "standard" in folder.parts else "example_dags"
    assert dict(sorted(counts.items())) == EXPECTED[key]
