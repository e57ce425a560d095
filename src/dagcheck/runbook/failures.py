"""What goes wrong with each kind of task, and what to check first: the runbook's failure
scenarios. Each entry is short and specific to its framework; a runbook shows the entries
for the kinds of task its pipeline has, and the framework's entry for the whole pipeline."""

from __future__ import annotations

from dagcheck.model.pipeline import TaskKind

# (title, what to check first) by framework and kind of task.
SCENARIOS: dict[tuple[str, TaskKind], tuple[str, tuple[str, ...]]] = {
    ("airflow", TaskKind.SENSOR): (
        "Sensor timed out",
        (
            "A sensor fails when its `timeout` (default 7 days) passes before its condition is "
            "met: `AirflowSensorTimeout`, which is not retried. First check whether what it "
            "waits for exists (the file, partition, object or upstream run) and whether the "
            "producer of it is late or failed.",
            "In `poke` mode (the default) a waiting sensor holds a worker slot and a pool slot "
            'for its whole wait, and many of them can stall other DAGs; `mode="reschedule"` or '
            "`deferrable=True` (which needs a running triggerer) frees them.",
            "Once what it waits for is there, clear the sensor with its downstream tasks: it "
            "succeeds at its first check and the run carries on.",
        ),
    ),
    ("airflow", TaskKind.SQL): (
        "SQL statement failed",
        (
            "The task log shows the statement and the database's error. A permission or syntax "
            "error needs a grant or a code change; a lock wait timeout, deadlock or "
            "serialization failure is transient, and clearing the task runs it again.",
            "Check the connection the task uses (`conn_id`): expired credentials, a rotated "
            "password or a new network rule are the usual causes after changes elsewhere.",
            "Before re-running, check whether the failed statements were partly applied: a "
            "script of several statements outside a transaction, or an `INSERT` without a key, "
            "adds the same rows again; a `MERGE`/upsert or a delete-then-insert of the run's "
            "interval is safe to repeat.",
        ),
    ),
    ("airflow", TaskKind.KUBERNETES): (
        "Kubernetes pod failed",
        (
            "Look at the pod's events before its logs (`kubectl describe pod`): "
            "`ImagePullBackOff` is a wrong image tag or a missing pull secret; `Pending` means "
            "no node has the CPU or memory asked for (or matches its selectors and "
            "tolerations); `OOMKilled` (exit code 137) needs a higher memory limit.",
            "A pod that has not started within `startup_timeout_seconds` (default 120 s) fails "
            "the task although the image may be fine: check the cluster's capacity.",
            "The operator labels its pods with `dag_id` and `task_id`; a failed pod is only "
            'left to inspect when `on_finish_action` keeps it (`"keep_pod"`).',
        ),
    ),
    ("airflow", TaskKind.PYTHON): (
        "Python task raised an error",
        (
            "The traceback at the end of the task log names the failing line. A connection "
            "error, timeout or HTTP 5xx from a dependency is transient: once the dependency is "
            "back, clear the task. A `KeyError`, `ValueError` or schema error points at "
            "unexpected input data; an `ImportError` after a deploy, at a package missing on "
            "the workers.",
            "A task that ends without a traceback, killed with signal 9 (`-9` in the log), ran "
            "out of memory on the worker: move the heavy work off the worker or give it more "
            "memory.",
            "Before clearing it, check what it already wrote: running again a task that "
            "appends rows or sends messages repeats them.",
        ),
    ),
    ("airflow", TaskKind.BASH): (
        "Bash command failed",
        (
            "The task fails when the command exits non-zero (`Bash command failed. The command "
            "returned a non-zero exit code N.`); the command's output is in the task log. Exit "
            "code 99 (`skip_on_exit_code`) marks the task skipped, not failed.",
            "A command ending in `.sh` or `.bash` is read as a Jinja template file from the "
            "DAG's folder or `template_searchpath`: `TemplateNotFound` means the script is not "
            "there.",
            "The command runs on the worker: check that the scripts, binaries and credentials "
            "it needs are there, and that `env=` (which replaces the worker's environment "
            "unless `append_env=True`) holds what it reads.",
        ),
    ),
    ("airflow", TaskKind.TRIGGER): (
        "Triggered DAG failed",
        (
            "This task starts a run of another DAG (`trigger_dag_id`). It fails when that DAG "
            "cannot be triggered (it does not exist, or its file does not import) or, with "
            "`wait_for_completion=True`, when the run it started ends in one of "
            "`failed_states`: the cause is then in the other DAG, so follow its runbook.",
            "A paused target DAG leaves the run it was given queued; with "
            "`wait_for_completion=True` this task waits until it times out.",
            "When it sets `logical_date` or `trigger_run_id`, triggering again for the same "
            "run fails with `DagRunAlreadyExists` unless `reset_dag_run=True`, which clears "
            "the existing run instead.",
        ),
    ),
    ("airflow", TaskKind.EMPTY): (
        "Empty task not run",
        (
            "Empty tasks do no work and do not fail on their own: one marked "
            "`upstream_failed` or `skipped` shows that a task upstream failed or a branch "
            "skipped this path, so look upstream.",
        ),
    ),
    ("airflow", TaskKind.OTHER): (
        "Other operator failed",
        (
            "The task log ends with the operator's error. For an operator that calls a remote "
            "service (HTTP, a cloud API) it shows the answer: 401 or 403, the connection's "
            "credentials expired or lack a permission; 404, a wrong resource name (often a "
            "templated date); 429 or 5xx, the service is throttling or down, so clear the task "
            "once it recovers.",
            "An operator that starts a remote job (a cloud batch job, a Spark or dbt run) may "
            "leave it running after the task fails or times out: check the remote job before "
            "starting it again.",
            "Branching, short-circuit and latest-only operators skip the tasks after them "
            "rather than fail: a skipped path is their decision, not an error.",
        ),
    ),
    ("prefect", TaskKind.PYTHON): (
        "Task raised an error",
        (
            "The flow run's logs end with the task's traceback. Once the task's own retries "
            "are spent, its exception fails the flow run, unless the flow handles it (for "
            "example with `return_state=True`).",
            "A task that runs past its `timeout_seconds` ends `TimedOut`, a failed state, and "
            "is retried like any other failure.",
            "Before retrying, check what the task already wrote: running again a task that "
            "appends rows or sends messages repeats them, unless its writes are keyed or it "
            "runs in a `transaction(key=...)`.",
        ),
    ),
    ("prefect", TaskKind.FLOW): (
        "Subflow failed",
        (
            "A subflow runs as a flow run of its own, a child of this one: open it from the "
            "parent run's page to see which of its tasks failed, and follow its runbook.",
            "Its failure is raised in the parent where it is called, and fails the parent "
            "unless the parent handles it (`return_state=True`).",
        ),
    ),
}

# What goes wrong with the whole pipeline, whatever its tasks.
PIPELINE_SCENARIOS: dict[str, tuple[str, tuple[str, ...]]] = {
    "airflow": (
        "The DAG does not run, or its runs stay queued",
        (
            "A DAG whose file fails to import is not scheduled at all: "
            "`airflow dags list-import-errors` names the file and the error.",
            "A paused DAG starts no runs; runs beyond `max_active_runs` wait for the running "
            "ones, so one run stuck running holds back the next.",
        ),
    ),
    "prefect": (
        "The flow run crashed, or runs stay Scheduled and turn Late",
        (
            "`Crashed` means the infrastructure stopped the run (the process was killed, the "
            "pod evicted or out of memory, the worker lost), not the code: `on_failure` hooks "
            "do not fire for it, `on_crashed` hooks do. Check the worker's or container's "
            "logs.",
            "Runs that stay `Scheduled` and turn `Late` have nothing to pick them up: a "
            "deployment made with `serve()` runs only while the process serving it runs; one "
            "made with `deploy()` or prefect.yaml needs a worker polling its work pool.",
        ),
    ),
}
