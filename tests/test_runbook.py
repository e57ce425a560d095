"""``dagcheck runbook``: golden runbooks, regeneration that keeps what people wrote, ``--check``,
malformed markers, the graph and commands in the runbook, file names, and DC506."""

from __future__ import annotations

import datetime as dt
import os
import re
import textwrap
from pathlib import Path

import pytest
from cli_runner import dagcheck
from dagbag_runner import example_dags_folders

from dagcheck.engine import Options, run
from dagcheck.graph import nodes_and_edges
from dagcheck.model.pipeline import Pipeline, Span
from dagcheck.review import build_review
from dagcheck.runbook import sync_runbooks
from dagcheck.runbook.blocks import GENERATED, HUMAN, Block, MalformedRunbook, merge, parse, render
from dagcheck.runbook.names import runbook_names, safe_file_name
from dagcheck.runbook.sections import KEPT_HEADING

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = Path(__file__).resolve().parent / "golden" / "runbook"
NOW = "2025-01-01T00:00Z"
UPDATE_GOLDEN = os.environ.get("DAGCHECK_UPDATE_GOLDEN") == "1"

SALES_DAG = """\
    import pendulum
    from airflow.providers.standard.operators.bash import BashOperator
    from airflow.sdk import DAG

    with DAG(
        "sales_daily",
        schedule="@daily",
        start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
        default_args={"owner": "sales-data", "retries": 2},
    ):
        extract = BashOperator(task_id="extract", bash_command="extract.sh ")
        load = BashOperator(task_id="load", bash_command="load.sh ")
        extract >> load
"""
# The same DAG a week later: a task added at the end.
SALES_DAG_WITH_PUBLISH = SALES_DAG + (
    '        publish = BashOperator(task_id="publish", bash_command="publish.sh ")\n'
    "        load >> publish\n"
)


def runbook(*args: str | Path, cwd: Path, now: str = NOW) -> tuple[int, list[str]]:
    result = dagcheck("runbook", "--now", now, *args, cwd=cwd)
    assert "Traceback" not in result.stderr
    return result.returncode, result.stderr.splitlines()


def write_dag(folder: Path, source: str, name: str = "sales.py") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(textwrap.dedent(source), encoding="utf-8")
    return path


def block_body(text: str, kind: str, name: str) -> str:
    match = re.search(
        rf"^<!-- dagcheck:{kind} {name} -->\n(.*?)^<!-- dagcheck:end {name} -->\n",
        text,
        re.DOTALL | re.MULTILINE,
    )
    assert match is not None, f"no {kind} block {name!r}"
    return match.group(1)


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())} if folder.exists() else {}


# -- golden runbooks ---------------------------------------------------------------------------

GOLDEN_RUNS = {
    "current-versions": (
        ("--target-airflow", "3", "--target-prefect", "3"),
        (
            "fixtures/airflow/operators_classic.py",  # bash, empty, python, SQL, trigger
            "fixtures/airflow/sensor_settings.py",
            "fixtures/airflow/task_groups_context.py",
            "fixtures/airflow/dag_constructor_dag_kwarg.py",  # a description
            "fixtures/prefect/serve_many_deployments.py",  # cron, interval, RRULE schedules
            "fixtures/prefect/etl_decorators.py",  # a docstring, with prefect.yaml below
            "fixtures/prefect/prefect.yaml",
            "fixtures/prefect/subflows.py",
        ),
        {
            "warehouse_daily_load.md",
            "vendor_feed_ingest.md",
            "marts_build.md",
            "orders_nightly_export.md",
            "daily-kpi-report.md",
            "inventory-snapshot.md",
            "board-pack.md",
            "orders-etl.md",
            "orders-smoke-test.md",
            "ingest-touchpoints.md",
            "build-attribution-model.md",
            "attribution-daily.md",
        },
    ),
    "version-2": (
        ("--target-airflow", "2", "--target-prefect", "2"),
        ("fixtures/airflow/airflow2_import_homes.py", "fixtures/prefect/prefect2_legacy.py"),
        {"marketing_spend_legacy.md", "fx-rates-legacy.md"},
    ),
}


@pytest.fixture(scope="module")
def golden_runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, str]]:
    """The runbooks each golden run writes, by file name."""
    written = {}
    for run_id, (options, paths, _) in GOLDEN_RUNS.items():
        out = tmp_path_factory.mktemp(run_id)
        code, lines = runbook(*options, "--out", out, *paths, cwd=ROOT)
        assert code == 0, lines
        assert all(line.endswith(": created") for line in lines), lines
        written[run_id] = {p.name: p.read_text(encoding="utf-8") for p in out.iterdir()}
    return written


@pytest.mark.parametrize("run_id", GOLDEN_RUNS)
def test_runbooks_match_the_golden_files(
    golden_runs: dict[str, dict[str, str]], run_id: str
) -> None:
    runbooks = golden_runs[run_id]
    assert set(runbooks) == GOLDEN_RUNS[run_id][2]
    for name, text in sorted(runbooks.items()):
        golden = GOLDEN / name
        if UPDATE_GOLDEN:
            GOLDEN.mkdir(parents=True, exist_ok=True)
            golden.write_bytes(text.encode("utf-8"))
        assert golden.exists(), f"{golden} is missing: run with DAGCHECK_UPDATE_GOLDEN=1"
        assert text == golden.read_text(encoding="utf-8"), f"{name} differs from its golden"


def test_every_golden_file_belongs_to_a_run() -> None:
    expected = {name for _, _, names in GOLDEN_RUNS.values() for name in names}
    assert {p.name for p in GOLDEN.glob("*.md")} == expected


COMMANDS = [
    pytest.param(
        "warehouse_daily_load.md",
        [
            "airflow backfill create --dag-id warehouse_daily_load --from-date <start> "
            "--to-date <end>",
            "airflow tasks clear warehouse_daily_load --only-failed -s <start> -e <end>",
            "airflow dags list-runs warehouse_daily_load --state failed",
            "airflow dags trigger warehouse_daily_load",
            "airflow dags pause warehouse_daily_load",
            "airflow dags unpause warehouse_daily_load",
        ],
        ["airflow dags backfill", "list-runs -d", "prefect "],
        id="airflow-3",
    ),
    pytest.param(
        "marketing_spend_legacy.md",
        [
            "airflow dags backfill marketing_spend_legacy -s <start> -e <end>",
            "airflow tasks clear marketing_spend_legacy --only-failed -s <start> -e <end>",
            "airflow dags list-runs -d marketing_spend_legacy --state failed",
            "airflow dags trigger marketing_spend_legacy",
        ],
        ["airflow backfill create", "prefect "],
        id="airflow-2",
    ),
    pytest.param(
        "marts_build.md",
        [r"airflow tasks clear marts_build -t '^staging\.orders$' --downstream"],
        [],
        id="task-group-task-regex",
    ),
    pytest.param(
        "daily-kpi-report.md",
        [
            "prefect deployment run 'daily-kpi-report/daily-kpi-report'",
            "prefect flow-run retry <flow-run-id>",
            "prefect deployment schedule pause 'daily-kpi-report/daily-kpi-report' <schedule-id>",
            "prefect deployment schedule resume 'daily-kpi-report/daily-kpi-report' <schedule-id>",
        ],
        ["--all", "airflow "],
        id="prefect-3",
    ),
    pytest.param(
        "board-pack.md",  # a flow named after its function: board_pack → board-pack
        ["prefect deployment run 'board-pack/board-pack'"],
        [],
        id="prefect-3-function-name",
    ),
    pytest.param(
        "orders-etl.md",  # one deployment served from code, one in prefect.yaml
        [
            "prefect deployment run 'orders-etl/orders-etl-nightly'",
            "prefect deployment run 'orders-etl/orders-etl-prod'",
        ],
        [],
        id="prefect-3-two-deployments",
    ),
    pytest.param(
        "ingest-touchpoints.md",
        [
            "prefect flow-run retry <flow-run-id> --entrypoint "
            "'fixtures/prefect/subflows.py:ingest_touchpoints'"
        ],
        ["prefect deployment run"],
        id="prefect-3-no-deployment",
    ),
    pytest.param(
        "fx-rates-legacy.md",
        ["prefect flow-run ls --flow-name 'fx-rates-legacy' --state-type FAILED"],
        ["prefect flow-run retry"],  # Prefect 2 has no such command
        id="prefect-2",
    ),
    pytest.param(
        "vendor_feed_ingest.md",
        ["### Sensor timed out", "Tasks: `wait_for_feed`, `settle_period`."],
        ["### SQL statement failed", "### Python task raised an error"],
        id="failure-scenarios-of-kinds-present",
    ),
]


@pytest.mark.parametrize(("name", "present", "absent"), COMMANDS)
def test_runbook_holds_the_commands_of_its_framework_and_version(
    golden_runs: dict[str, dict[str, str]], name: str, present: list[str], absent: list[str]
) -> None:
    [text] = [runbooks[name] for runbooks in golden_runs.values() if name in runbooks]
    for expected in present:
        assert expected in text
    for unexpected in absent:
        assert unexpected not in text


def test_unscheduled_dag_gets_no_backfill(tmp_path: Path) -> None:
    write_dag(tmp_path / "dags", SALES_DAG.replace('schedule="@daily"', "schedule=None"))
    code, _ = runbook("--out", "runbooks", "dags", cwd=tmp_path)
    text = (tmp_path / "runbooks" / "sales_daily.md").read_text(encoding="utf-8")
    assert code == 0
    assert "backfill" not in text
    assert "airflow dags trigger sales_daily" in text


# -- the graph ---------------------------------------------------------------------------------

NODE = re.compile(r'^    (t\d+)\["(.*)"\]$')
EDGE = re.compile(r"^    (t\d+) --> (t\d+)$")


def graph_of(text: str) -> tuple[list[str], list[tuple[str, str]]]:
    """The task names and edges of the runbook's Mermaid graph."""
    body = block_body(text, GENERATED, "graph")
    [chart] = re.findall(r"```mermaid\n(.*?)```", body, re.DOTALL)
    labels: dict[str, str] = {}
    edges = []
    for line in chart.splitlines()[1:]:
        if node := NODE.match(line):
            labels[node.group(1)] = re.sub(r"#(\d+);", lambda m: chr(int(m[1])), node.group(2))
        elif edge := EDGE.match(line):
            edges.append((labels[edge.group(1)], labels[edge.group(2)]))
        else:
            pytest.fail(f"unexpected line in the graph: {line!r}")
    return list(labels.values()), edges


@pytest.mark.parametrize(
    "fixture",
    [
        "fixtures/airflow/task_groups_context.py",
        "fixtures/airflow/dependencies_bitshift.py",
        "fixtures/airflow/dependencies_chain_helpers.py",
        "fixtures/prefect/fan_out_map.py",
    ],
)
def test_mermaid_graph_matches_the_model(tmp_path: Path, fixture: str) -> None:
    models = run([ROOT / fixture], Options())
    pipelines = [p for model in models for p in model.pipelines]
    review = build_review(models, Options(), ROOT, dt.datetime(2025, 1, 1, tzinfo=dt.timezone.utc))
    sync_runbooks(review, tmp_path, check=False)
    for pipeline, name in zip(pipelines, runbook_names(pipelines), strict=True):
        assert graph_of((tmp_path / name).read_text(encoding="utf-8")) == nodes_and_edges(pipeline)


# -- regeneration ------------------------------------------------------------------------------

PEOPLE_WROTE = {
    "escalation": "| On call | Dana Reyes | #sales-data-oncall, +1 555 0100 |\n",
    "purpose": "Feeds the revenue dashboard by 07:00; finance reads it at 08:00.\n",
    "known-issues": "## Known issues\n\n- The vendor's SFTP is down most Sundays 02:00-03:00.\n",
    "answers": "DC401: load takes 10 min; hung after 45 min.\r\n",  # a line ending of its own
}


def fill_in(text: str) -> str:
    """The runbook as the team leaves it: human blocks filled in, notes outside blocks."""
    for name, content in PEOPLE_WROTE.items():
        text = text.replace(block_body(text, HUMAN, name), content)
    text = "Read me first: ask #sales-data before re-running anything.\n\n" + text
    return text.replace(
        "<!-- dagcheck:end tasks -->\n",
        "<!-- dagcheck:end tasks -->\nThe load task is the slow one.\n",
    )


def test_regeneration_keeps_what_people_wrote_and_shows_the_new_task(tmp_path: Path) -> None:
    dag = write_dag(tmp_path / "dags", SALES_DAG)
    assert runbook("--out", "runbooks", "dags", cwd=tmp_path) == (
        0,
        ["runbooks/sales_daily.md: created"],
    )
    path = tmp_path / "runbooks" / "sales_daily.md"
    filled = fill_in(path.read_text(encoding="utf-8"))
    path.write_bytes(filled.encode("utf-8"))
    dag.write_text(textwrap.dedent(SALES_DAG_WITH_PUBLISH), encoding="utf-8")

    assert runbook("--out", "runbooks", "dags", cwd=tmp_path) == (
        0,
        ["runbooks/sales_daily.md: updated"],
    )

    text = path.read_bytes().decode("utf-8")
    for name, content in PEOPLE_WROTE.items():
        assert block_body(text, HUMAN, name) == content
    assert text.startswith("Read me first: ask #sales-data before re-running anything.\n\n")
    assert "<!-- dagcheck:end tasks -->\nThe load task is the slow one.\n" in text
    assert graph_of(text) == (
        ["extract", "load", "publish"],
        [("extract", "load"), ("load", "publish")],
    )
    assert "| `publish` | bash | BashOperator | 2 |" in block_body(text, GENERATED, "tasks")
    # Nothing left to do: a second run changes nothing.
    assert runbook("--out", "runbooks", "dags", cwd=tmp_path) == (
        0,
        ["runbooks/sales_daily.md: up to date"],
    )
    assert path.read_bytes().decode("utf-8") == text


def test_unchanged_runbook_is_not_rewritten(tmp_path: Path) -> None:
    write_dag(tmp_path / "dags", SALES_DAG)
    runbook("--out", "runbooks", "dags", cwd=tmp_path)
    path = tmp_path / "runbooks" / "sales_daily.md"
    os.utime(path, ns=(0, 0))
    assert runbook("--out", "runbooks", "dags", cwd=tmp_path)[1] == [
        "runbooks/sales_daily.md: up to date"
    ]
    assert path.stat().st_mtime_ns == 0


def test_next_runs_alone_do_not_make_a_runbook_stale(tmp_path: Path) -> None:
    dag = write_dag(tmp_path / "dags", SALES_DAG)
    runbook("--out", "runbooks", "dags", cwd=tmp_path)
    path = tmp_path / "runbooks" / "sales_daily.md"
    later = "2025-06-01T00:00Z"
    assert runbook("--check", "--out", "runbooks", "dags", cwd=tmp_path, now=later) == (
        0,
        ["runbooks/sales_daily.md: up to date"],
    )
    assert "- 2025-01-02 00:00 UTC" in block_body(path.read_text(), GENERATED, "next-runs")
    # Rewritten for a change in the DAG, the runbook gets the next runs of its day.
    dag.write_text(textwrap.dedent(SALES_DAG_WITH_PUBLISH), encoding="utf-8")
    runbook("--out", "runbooks", "dags", cwd=tmp_path, now=later)
    assert "- 2025-06-02 00:00 UTC" in block_body(path.read_text(), GENERATED, "next-runs")


# -- --check -----------------------------------------------------------------------------------


def test_check_reports_a_missing_runbook_and_writes_nothing(tmp_path: Path) -> None:
    write_dag(tmp_path / "dags", SALES_DAG)
    assert runbook("--check", "--out", "runbooks", "dags", cwd=tmp_path) == (
        1,
        ["runbooks/sales_daily.md: missing"],
    )
    assert not (tmp_path / "runbooks").exists()


def test_check_passes_right_after_generation(tmp_path: Path) -> None:
    write_dag(tmp_path / "dags", SALES_DAG)
    runbook("--out", "runbooks", "dags", cwd=tmp_path)
    assert runbook("--check", "--out", "runbooks", "dags", cwd=tmp_path) == (
        0,
        ["runbooks/sales_daily.md: up to date"],
    )


def test_check_reports_a_stale_runbook_and_writes_nothing(tmp_path: Path) -> None:
    dag = write_dag(tmp_path / "dags", SALES_DAG)
    runbook("--out", "runbooks", "dags", cwd=tmp_path)
    dag.write_text(textwrap.dedent(SALES_DAG_WITH_PUBLISH), encoding="utf-8")
    before = snapshot(tmp_path / "runbooks")
    assert runbook("--check", "--out", "runbooks", "dags", cwd=tmp_path) == (
        1,
        ["runbooks/sales_daily.md: stale"],
    )
    assert snapshot(tmp_path / "runbooks") == before


def test_check_ignores_edits_in_human_blocks_and_outside_them(tmp_path: Path) -> None:
    write_dag(tmp_path / "dags", SALES_DAG)
    runbook("--out", "runbooks", "dags", cwd=tmp_path)
    path = tmp_path / "runbooks" / "sales_daily.md"
    path.write_text(fill_in(path.read_text(encoding="utf-8")), encoding="utf-8")
    assert runbook("--check", "--out", "runbooks", "dags", cwd=tmp_path)[0] == 0


def test_runbook_dir_from_the_config_is_the_default_folder(tmp_path: Path) -> None:
    write_dag(tmp_path / "dags", SALES_DAG)
    (tmp_path / "pyproject.toml").write_text('[tool.dagcheck]\nrunbook-dir = "docs/runbooks"\n')
    code, _ = runbook("dags", cwd=tmp_path)
    assert code == 0
    assert (tmp_path / "docs" / "runbooks" / "sales_daily.md").is_file()


# -- malformed markers -------------------------------------------------------------------------

MALFORMED = [
    pytest.param(
        "<!-- dagcheck:human notes -->\nnotes\n",
        "line 1: block 'notes' is never closed (its end marker is <!-- dagcheck:end notes -->)",
        id="unclosed",
    ),
    pytest.param(
        "<!-- dagcheck:human notes -->\n<!-- dagcheck:generated graph -->\n",
        "line 2: block 'graph' starts inside block 'notes' (line 1), which has no end marker "
        "before it",
        id="nested",
    ),
    pytest.param(
        "<!-- dagcheck:human notes -->\n<!-- dagcheck:end answers -->\n",
        "line 2: block 'notes' (line 1) is ended by the end marker of 'answers'",
        id="wrong-end",
    ),
    pytest.param(
        "text\n<!-- dagcheck:end notes -->\n",
        "line 2: end marker of block 'notes' without its start",
        id="end-without-start",
    ),
    pytest.param(
        "<!-- dagcheck:human notes -->\n<!-- dagcheck:end notes -->\n"
        "<!-- dagcheck:human notes -->\n<!-- dagcheck:end notes -->\n",
        "line 3: a second human block 'notes' (the first is on line 1)",
        id="twice",
    ),
    pytest.param(
        "<!-- dagcheck:humane notes -->\n",
        "line 1: not a dagcheck marker: <!-- dagcheck:humane notes -->",
        id="misspelt",
    ),
]


@pytest.mark.parametrize(("text", "message"), MALFORMED)
def test_malformed_markers_are_named(text: str, message: str) -> None:
    with pytest.raises(MalformedRunbook) as raised:
        parse(text)
    assert str(raised.value) == message


def test_malformed_runbook_is_left_untouched_and_reported(tmp_path: Path) -> None:
    dag = write_dag(tmp_path / "dags", SALES_DAG)
    runbook("--out", "runbooks", "dags", cwd=tmp_path)
    path = tmp_path / "runbooks" / "sales_daily.md"
    broken = path.read_bytes().replace(b"<!-- dagcheck:end notes -->\n", b"")
    path.write_bytes(broken)
    dag.write_text(textwrap.dedent(SALES_DAG_WITH_PUBLISH), encoding="utf-8")

    code, lines = runbook("--out", "runbooks", "dags", cwd=tmp_path)
    assert (code, path.read_bytes()) == (0, broken)  # only --check fails on it
    [line] = lines
    assert line.startswith("runbooks/sales_daily.md: left as it is: line ")
    assert line.endswith(
        "block 'notes' is never closed (its end marker is <!-- dagcheck:end notes -->)"
    )
    code, lines = runbook("--check", "--out", "runbooks", "dags", cwd=tmp_path)
    assert code == 1
    assert path.read_bytes() == broken


# -- merging (without the command line) --------------------------------------------------------


def gen(name: str, body: str) -> Block:
    return Block(GENERATED, name, body)


def human(name: str, body: str) -> Block:
    return Block(HUMAN, name, body)


NEW = [gen("title", "# New title\n"), human("notes", "TODO\n"), gen("graph", "new graph\n")]
MERGES = [
    pytest.param(
        "<!-- dagcheck:generated title -->\n# Old title\n<!-- dagcheck:end title -->\n"
        "\n"
        "<!-- dagcheck:human notes -->\nmine\n<!-- dagcheck:end notes -->\n"
        "\n"
        "<!-- dagcheck:generated graph -->\nold graph\n<!-- dagcheck:end graph -->\n",
        "<!-- dagcheck:generated title -->\n# New title\n<!-- dagcheck:end title -->\n"
        "\n"
        "<!-- dagcheck:human notes -->\nmine\n<!-- dagcheck:end notes -->\n"
        "\n"
        "<!-- dagcheck:generated graph -->\nnew graph\n<!-- dagcheck:end graph -->\n",
        id="generated-replaced-human-kept",
    ),
    pytest.param(
        "Intro written by hand.\n"
        "<!-- dagcheck:generated title -->\nold\n<!-- dagcheck:end title -->\n"
        "Between the blocks.\n"
        "<!--   dagcheck:human   notes   -->\nmine\n<!-- dagcheck:end notes -->\n"
        "<!-- dagcheck:generated graph -->\nold\n<!-- dagcheck:end graph -->\n"
        "Closing words.",
        "Intro written by hand.\n"
        "<!-- dagcheck:generated title -->\n# New title\n<!-- dagcheck:end title -->\n"
        "Between the blocks.\n"
        "<!--   dagcheck:human   notes   -->\nmine\n<!-- dagcheck:end notes -->\n"
        "<!-- dagcheck:generated graph -->\nnew graph\n<!-- dagcheck:end graph -->\n"
        "Closing words.",
        id="text-outside-blocks-stays-in-place",
    ),
    pytest.param(
        "<!-- dagcheck:generated title -->\nold\n<!-- dagcheck:end title -->\n"
        "<!-- dagcheck:generated graph -->\nold\n<!-- dagcheck:end graph -->\n",
        "<!-- dagcheck:generated title -->\n# New title\n<!-- dagcheck:end title -->\n"
        "\n"
        "<!-- dagcheck:human notes -->\nTODO\n<!-- dagcheck:end notes -->\n"
        "<!-- dagcheck:generated graph -->\nnew graph\n<!-- dagcheck:end graph -->\n",
        id="missing-block-inserted-after-the-one-before-it",
    ),
    pytest.param(
        "<!-- dagcheck:generated legacy -->\nold section\n<!-- dagcheck:end legacy -->\n"
        "<!-- dagcheck:human notes -->\nmine\n<!-- dagcheck:end notes -->\n",
        "<!-- dagcheck:generated title -->\n# New title\n<!-- dagcheck:end title -->\n"
        "\n"
        "<!-- dagcheck:human notes -->\nmine\n<!-- dagcheck:end notes -->\n"
        "\n"
        "<!-- dagcheck:generated graph -->\nnew graph\n<!-- dagcheck:end graph -->\n",
        id="generated-block-no-longer-made-is-dropped",
    ),
    pytest.param(
        "<!-- dagcheck:human contacts -->\nDana, #oncall\n<!-- dagcheck:end contacts -->\n"
        "<!-- dagcheck:generated title -->\nold\n<!-- dagcheck:end title -->\n"
        "<!-- dagcheck:human notes -->\nmine\n<!-- dagcheck:end notes -->\n"
        "<!-- dagcheck:generated graph -->\nold\n<!-- dagcheck:end graph -->\n",
        "<!-- dagcheck:generated title -->\n# New title\n<!-- dagcheck:end title -->\n"
        "<!-- dagcheck:human notes -->\nmine\n<!-- dagcheck:end notes -->\n"
        "<!-- dagcheck:generated graph -->\nnew graph\n<!-- dagcheck:end graph -->\n"
        "\n" + KEPT_HEADING.text() + "\n"
        "<!-- dagcheck:human contacts -->\nDana, #oncall\n<!-- dagcheck:end contacts -->\n",
        id="human-block-no-longer-made-is-kept-at-the-end",
    ),
]


@pytest.mark.parametrize(("before", "after"), MERGES)
def test_merge(before: str, after: str) -> None:
    merged = render(merge(parse(before), NEW, KEPT_HEADING))
    assert merged == after
    # Merging again changes nothing.
    assert render(merge(parse(merged), NEW, KEPT_HEADING)) == merged


def test_runbook_with_windows_line_endings_keeps_them(tmp_path: Path) -> None:
    write_dag(tmp_path / "dags", SALES_DAG)
    runbook("--out", "runbooks", "dags", cwd=tmp_path)
    path = tmp_path / "runbooks" / "sales_daily.md"
    path.write_bytes(path.read_bytes().replace(b"\n", b"\r\n"))
    write_dag(tmp_path / "dags", SALES_DAG_WITH_PUBLISH)
    assert runbook("--out", "runbooks", "dags", cwd=tmp_path)[1] == [
        "runbooks/sales_daily.md: updated"
    ]
    raw = path.read_bytes()
    assert b"publish" in raw
    assert raw.count(b"\n") == raw.count(b"\r\n")


# -- file names --------------------------------------------------------------------------------

SAFE_NAMES = [
    ("sales_daily", "sales_daily"),
    ("sales-daily.v2", "sales-daily.v2"),
    ("daily etl/v2", "daily_etl_v2"),
    ("ventes_été", "ventes__t_"),
    ("..", "_."),
    (".hidden", "_hidden"),
    ("", "_"),
]


@pytest.mark.parametrize(("pipeline_id", "name"), SAFE_NAMES, ids=[n for _, n in SAFE_NAMES])
def test_safe_file_name(pipeline_id: str, name: str) -> None:
    assert safe_file_name(pipeline_id) == name


def pipeline(pipeline_id: str, file: str, line: int) -> Pipeline:
    return Pipeline("airflow", pipeline_id, "dag-context", Path(file), Span(line, 1, line, 2))


RUNBOOK_NAMES = [
    pytest.param(
        [("etl", "a/etl.py", 1), ("etl", "b/legacy.py", 1)],
        ["etl.md", "etl-legacy.md"],
        id="same-id-in-two-files",
    ),
    pytest.param(
        [("etl", "b/legacy.py", 1), ("etl", "a/etl.py", 1)],
        ["etl-legacy.md", "etl.md"],
        id="by-file-path-whatever-the-order",
    ),
    pytest.param(
        [("Sales", "a.py", 1), ("sales", "b.py", 1)],
        ["Sales.md", "sales-b.md"],
        id="ids-differing-only-in-case",
    ),
    pytest.param(
        [("etl", "a.py", 1), ("etl", "a.py", 9), ("etl-a", "z.py", 1)],
        ["etl.md", "etl-a-2.md", "etl-a.md"],
        id="suffixed-name-already-taken",
    ),
]


@pytest.mark.parametrize(("pipelines", "names"), RUNBOOK_NAMES)
def test_runbook_names(
    pipelines: list[tuple[str, str, int]], names: list[str], tmp_path: Path
) -> None:
    built = [pipeline(pid, str(tmp_path / file), line) for pid, file, line in pipelines]
    assert runbook_names(built) == names


def test_same_dag_id_in_two_files_gets_two_runbooks(tmp_path: Path) -> None:
    write_dag(tmp_path / "dags", SALES_DAG, "sales.py")
    write_dag(tmp_path / "dags", SALES_DAG, "sales_legacy.py")
    code, lines = runbook("--out", "runbooks", "dags", cwd=tmp_path)
    assert (code, lines) == (
        0,
        ["runbooks/sales_daily.md: created", "runbooks/sales_daily-sales_legacy.md: created"],
    )


# -- Airflow's example DAGs --------------------------------------------------------------------


def test_runbooks_for_airflow_example_dags(tmp_path: Path) -> None:
    folders = example_dags_folders()
    if not folders:
        pytest.skip("Airflow is not installed in this environment")
    code, lines = runbook("--out", tmp_path, *folders, cwd=tmp_path)
    assert code == 0
    pipelines = [p for model in run(folders, Options()) for p in model.pipelines]
    assert len(lines) == len(pipelines) > 50
    assert all(line.endswith(": created") for line in lines)
    assert {p.name for p in tmp_path.glob("*.md")} == set(runbook_names(pipelines))


# -- DC506 -------------------------------------------------------------------------------------


def check_dc506(project: Path) -> list[str]:
    result = dagcheck("check", "--select", "DC506", "--output-format", "text", ".", cwd=project)
    assert "Traceback" not in result.stderr
    return [line for line in result.stdout.splitlines() if "DC506" in line]


def test_dc506_reports_a_pipeline_without_its_runbook_until_it_is_written(tmp_path: Path) -> None:
    write_dag(tmp_path / "dags", SALES_DAG)
    (tmp_path / "pyproject.toml").write_text('[tool.dagcheck]\nrunbook-dir = "runbooks"\n')
    [finding] = check_dc506(tmp_path)
    assert "dags/sales.py:5:" in finding
    assert "DAG 'sales_daily' has no runbook: sales_daily.md is not in runbook-dir" in finding

    runbook("dags", cwd=tmp_path)
    assert (tmp_path / "runbooks" / "sales_daily.md").is_file()
    assert check_dc506(tmp_path) == []


def test_dc506_is_silent_without_runbook_dir(tmp_path: Path) -> None:
    write_dag(tmp_path / "dags", SALES_DAG)
    (tmp_path / "pyproject.toml").write_text("[tool.dagcheck]\n")
    assert check_dc506(tmp_path) == []


def test_runbook_does_not_list_the_dc506_finding_it_resolves(tmp_path: Path) -> None:
    write_dag(tmp_path / "dags", SALES_DAG)
    (tmp_path / "pyproject.toml").write_text('[tool.dagcheck]\nrunbook-dir = "runbooks"\n')
    runbook("dags", cwd=tmp_path)
    assert "DC506" not in (tmp_path / "runbooks" / "sales_daily.md").read_text(encoding="utf-8")
    assert runbook("--check", "dags", cwd=tmp_path)[0] == 0
