"""The recovery commands of a runbook, for the pipeline's framework and major version, with
its real DAG id, task ids, flow and deployment names filled in.

Each command and argument here was checked against the ``--help`` of the released CLIs:
``airflow`` 2.10 and 3.3, ``prefect`` 2.20 and 3.8. The differences that matter:

* Airflow 3 backfills with ``airflow backfill create --dag-id ... --from-date ... --to-date``
  (the scheduler runs them); Airflow 2 with ``airflow dags backfill -s ... -e ...``, which runs
  in the shell that starts it. ``dags list-runs`` takes the DAG id as an argument on 3 and as
  ``-d`` on 2.
* ``prefect flow-run retry`` exists on Prefect 3 only. Both versions pause one schedule of a
  deployment with ``prefect deployment schedule pause <flow>/<deployment> <schedule-id>``
  (with ``--all`` it would pause every deployment of the workspace, so it is never shown).
"""

from __future__ import annotations

import re
import shlex

from dagcheck.graph import task_name
from dagcheck.model.pipeline import Pipeline, TaskKind
from dagcheck.review import PipelineReview
from dagcheck.schedules import CONTINUOUS, NOT_SCHEDULED, ONCE
from dagcheck.text_safety import printable


def recovery(review: PipelineReview) -> list[str]:
    """The lines of the recovery section (without its heading)."""
    if review.pipeline.framework == "prefect":
        return _prefect(review)
    return _airflow(review)


def _airflow(review: PipelineReview) -> list[str]:
    pipeline = review.pipeline
    version = pipeline.framework_version or "3"
    known = isinstance(pipeline.id, str) and _in_a_command(review.id)
    dag = shlex.quote(review.id) if known else "<dag_id>"
    lines = [
        f"Commands for Airflow {version}. Replace `<start>` and `<end>` with the first and last "
        "logical dates to redo (YYYY-MM-DD), and `<run_id>` with the id of a run.",
    ]
    if isinstance(pipeline.id, str) and not known:
        lines += [
            "",
            "The DAG id holds control characters, which a command here would not show as "
            "they are: put the real one in place of `<dag_id>`.",
        ]
    elif not isinstance(pipeline.id, str):
        lines += [
            "",
            f"The DAG id is computed when the file is parsed (`{review.id}`): put the real one "
            "in place of `<dag_id>`.",
        ]
    list_runs = (
        f"airflow dags list-runs {dag} --state failed"
        if version != "2"
        else f"airflow dags list-runs -d {dag} --state failed"
    )
    lines += _step(
        "Find the failed runs, and the state of each task in one of them:",
        list_runs,
        f"airflow tasks states-for-dag-run {dag} <run_id>",
    )
    lines += _step(
        "Run the failed tasks of those runs again (the others keep their state):",
        f"airflow tasks clear {dag} --only-failed -s <start> -e <end>",
    )
    example = _example_task(pipeline)
    if example is not None:
        lines += _step(
            f"Run one task (here `{example}`) and every task downstream of it again:",
            f"airflow tasks clear {dag} -t '^{re.escape(example)}$' --downstream "
            "-s <start> -e <end>",
        )
    if _runs_on_a_clock(review):
        if version == "2":
            lines += _step(
                "Run whole intervals again (a backfill runs in the shell that starts it, "
                "until it ends):",
                f"airflow dags backfill {dag} -s <start> -e <end> --rerun-failed-tasks",
            )
        else:
            lines += _step(
                "Run whole intervals again (the scheduler runs the backfill's runs):",
                f"airflow backfill create --dag-id {dag} --from-date <start> --to-date <end> "
                "--reprocess-behavior failed",
            )
    lines += _step("Start one run now:", f"airflow dags trigger {dag}")
    lines += _step(
        "Stop new runs while you investigate, then let them start again:",
        f"airflow dags pause {dag}",
        f"airflow dags unpause {dag}",
    )
    catchup = pipeline.setting("catchup")
    if catchup is not None and catchup.value is True:
        lines += [
            "",
            "`catchup` is on: unpausing starts a run for every interval missed while the DAG "
            "was paused.",
        ]
    return lines


def _prefect(review: PipelineReview) -> list[str]:
    pipeline = review.pipeline
    version = pipeline.framework_version or "3"
    known = isinstance(pipeline.id, str) and _in_a_command(review.id)
    flow = review.id if known else "<flow-name>"
    lines = [f"Commands for Prefect {version}. Replace `<flow-run-id>` with the id of a run."]
    lines += _step(
        "Find the failed runs, and read the logs of one:",
        f"prefect flow-run ls --flow-name {_quoted(flow)} --state-type FAILED",
        "prefect flow-run logs <flow-run-id>",
    )
    names = [
        f"{flow}/{deployment.name}"
        for deployment in pipeline.deployments
        if isinstance(deployment.name, str) and _in_a_command(deployment.name)
    ]
    if version != "2":
        retry = "prefect flow-run retry <flow-run-id>"
        if not names and pipeline.entrypoint_name and _in_a_command(str(review.path)):
            retry += f" --entrypoint {_quoted(f'{review.path}:{pipeline.entrypoint_name}')}"
        lines += _step(
            "Retry a failed run, with its parameters"
            + (
                " (a run without a deployment runs here, from its entrypoint):"
                if not names
                else ":"
            ),
            retry,
        )
    if not names:
        lines += [
            "",
            "No deployment of this flow was found in the files checked: it runs only where "
            "code calls it.",
        ]
        return lines
    run_what = "Start a new run" if version != "2" else "Start a new run (Prefect 2 has no retry)"
    lines += _step(
        f"{run_what} of a deployment:", *(f"prefect deployment run {_quoted(n)}" for n in names)
    )
    lines += _step(
        "Pause a deployment's schedule while you investigate, then resume it (`ls` gives the "
        "schedule ids):",
        *(
            command
            for name in names
            for command in (
                f"prefect deployment schedule ls {_quoted(name)}",
                f"prefect deployment schedule pause {_quoted(name)} <schedule-id>",
                f"prefect deployment schedule resume {_quoted(name)} <schedule-id>",
            )
        ),
    )
    return lines


def _step(text: str, *commands: str) -> list[str]:
    return ["", f"**{text}**", "", "```shell", *commands, "```"]


def _quoted(text: str) -> str:
    """``'text'`` for a shell, however it is written."""
    return f"'{text}'" if "'" not in text else shlex.quote(text)


def _in_a_command(name: str) -> bool:
    """Whether ``name`` can be written in a shell command as it is: a name holding a newline
    or ESC would break the code block, or the terminal it is pasted in."""
    return printable(name) == name


def _example_task(pipeline: Pipeline) -> str | None:
    """A task to show clearing with: the first that does some work."""
    named = [task for task in pipeline.tasks if isinstance(task.id, str) and _in_a_command(task.id)]
    working = [task for task in named if task.kind is not TaskKind.EMPTY]
    chosen = (working or named)[:1]
    return task_name(chosen[0]) if chosen else None


def _runs_on_a_clock(review: PipelineReview) -> bool:
    """Whether a backfill can make runs: not for DAGs run by hand, once, continuously or by
    assets (Airflow 3 refuses to backfill those)."""
    summary = review.schedules[0] if review.schedules else None
    if summary is None or summary.words is None:
        return True  # unknown: the command may apply
    return summary.words not in (NOT_SCHEDULED, ONCE, CONTINUOUS) and not (
        summary.words.startswith("When ")
    )
