"""``dagcheck review`` in every format: golden reports on the fixtures, the terminal report's
width and colours, graphs that match the model, exit codes, HTML that is well formed and
self-contained, and Markdown that fits in a GitHub comment.

Regenerate the golden files with ``DAGCHECK_UPDATE_GOLDEN=1 pytest tests/test_review.py``.
"""

from __future__ import annotations

import datetime as dt
import functools
import html
import io
import json
import os
import re
import subprocess
import textwrap
from html.parser import HTMLParser
from pathlib import Path

import click
import pytest
from cli_runner import dagcheck
from dagbag_runner import example_dags_folders
from sources import WELL_RUN_DAG

from dagcheck.engine import Options, run
from dagcheck.graph import mermaid, task_name
from dagcheck.review import Review, build_review, json_format, markdown, text
from dagcheck.review.html import layers
from dagcheck.review.render import RenderOptions

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = Path(__file__).resolve().parent / "golden" / "review"
UPDATE_GOLDEN = os.environ.get("DAGCHECK_UPDATE_GOLDEN") == "1"
NOW = "2025-01-01T00:00Z"
# Pinned so that the reports do not depend on which Airflow or Prefect is installed.
TARGETS = ("--target-airflow", "3", "--target-prefect", "3")
# Airflow and Prefect pipelines, task groups, several schedules and timezones, and a
# prefect.yaml whose deployment of a flow not selected belongs to no pipeline.
SELECTION = (
    "fixtures/airflow/operators_classic.py",
    "fixtures/airflow/dag_decorator.py",
    "fixtures/airflow/task_groups_context.py",
    "fixtures/prefect/retry_settings.py",
    "fixtures/prefect/serve_many_deployments.py",
    "fixtures/prefect/prefect.yaml",
)
FIXTURES = ("fixtures/airflow", "fixtures/prefect")
EXAMPLES = tuple(str(folder) for folder in example_dags_folders())
needs_airflow_examples = pytest.mark.skipif(
    not EXAMPLES, reason="Airflow is not installed in this environment"
)
FORMATS = {"text": "txt", "markdown": "md", "json": "json", "html": "html"}

# Task ids that Markdown, HTML and Mermaid each give a meaning to.
ODD_IDS_DAG = """\
    from airflow.sdk import DAG
    from airflow.providers.standard.operators.empty import EmptyOperator

    with DAG("odd | <b>ids</b> @team #1", schedule=None):
        quoted = EmptyOperator(task_id='say "hi"')
        hashed = EmptyOperator(task_id="step#1 <b>x</b> | y")
        done = EmptyOperator(task_id="done`s")
        quoted >> hashed >> done
"""
# Passes every checklist item.


def search(pattern: str, text: str, flags: int = 0) -> re.Match[str]:
    match = re.search(pattern, text, flags)
    assert match is not None, f"{pattern!r} not found"
    return match


@functools.cache
def review_run(*args: str) -> subprocess.CompletedProcess[str]:
    """``dagcheck review --now NOW ARGS`` from the project root; each run is made once."""
    return dagcheck("review", "--now", NOW, *args, cwd=ROOT)


@pytest.fixture(scope="module")
def odd_ids_dag(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("odd") / "odd_ids.py"
    path.write_text(textwrap.dedent(ODD_IDS_DAG))
    return path


@pytest.fixture(scope="module")
def reviews(odd_ids_dag: Path) -> dict[str, Review]:
    """Reviews built in this process, as the CLI builds them: the fixtures (and the DAG of odd
    task ids), and Airflow's example DAGs."""
    now = dt.datetime(2025, 1, 1, tzinfo=dt.timezone.utc)
    options = Options(select=("DC",), propose_fixes=True)

    def review(paths: list[Path]) -> Review:
        return build_review(run(paths, options), options, ROOT, now)

    built = {"fixtures": review([*(ROOT / folder for folder in FIXTURES), odd_ids_dag])}
    if EXAMPLES:
        built["airflow-examples"] = review([Path(folder) for folder in EXAMPLES])
    return built


def assert_golden(name: str, actual: str) -> None:
    path = GOLDEN / name
    if UPDATE_GOLDEN:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(actual.encode("utf-8"))
    assert path.exists(), f"no golden file {path}; run with DAGCHECK_UPDATE_GOLDEN=1"
    assert actual == path.read_bytes().decode("utf-8")


# -- golden reports ------------------------------------------------------------------------


@pytest.mark.parametrize("output_format", FORMATS)
def test_review_of_the_selected_fixtures_matches_its_golden_file(output_format: str) -> None:
    result = review_run("--format", output_format, *TARGETS, *SELECTION)
    assert (result.returncode, result.stderr) == (1, "")
    assert_golden(f"selection.{FORMATS[output_format]}", result.stdout)


# -- the terminal report -------------------------------------------------------------------


def breakable_overlong_lines(report: str, width: int = 100) -> list[str]:
    """Lines over ``width`` columns that a line break could have shortened: only a word too
    long for any line (a long path) may stick out, after the line's indentation."""
    return [
        line
        for line in report.splitlines()
        if len(line) > width
        and len(line) - len(line.lstrip(" ")) + max(map(len, line.split())) <= width
    ]


@pytest.mark.parametrize(
    "paths",
    [FIXTURES, pytest.param(EXAMPLES, marks=needs_airflow_examples)],
    ids=["fixtures", "airflow-examples"],
)
def test_text_report_fits_100_columns_without_colour_when_not_a_terminal(
    paths: tuple[str, ...],
) -> None:
    result = review_run(*paths)
    assert result.returncode == 1
    assert "\x1b[" not in result.stdout
    assert breakable_overlong_lines(result.stdout) == []


def test_text_report_is_coloured_when_asked(reviews: dict[str, Review]) -> None:
    plain, coloured = io.StringIO(), io.StringIO()
    text.render(reviews["fixtures"], plain, RenderOptions(color=False))
    text.render(reviews["fixtures"], coloured, RenderOptions(color=True))
    assert "\x1b[" not in plain.getvalue()
    assert "\x1b[31m" in coloured.getvalue()  # the red of an error's code
    assert click.unstyle(coloured.getvalue()) == plain.getvalue()


# -- graphs --------------------------------------------------------------------------------

_MERMAID_NODE = re.compile(r'    (t\d+)\["([^"]*)"\]')
_MERMAID_EDGE = re.compile(r"    (t\d+) --> (t\d+)")


def read_mermaid(source: str) -> tuple[list[str], list[tuple[str, str]]]:
    """The task names and edges of a flowchart written by ``dagcheck.graph.mermaid``."""
    first, *lines = source.strip("\n").split("\n")
    assert first == "flowchart LR"
    labels: dict[str, str] = {}
    edges = []
    for line in lines:
        if node := _MERMAID_NODE.fullmatch(line):
            labels[node[1]] = re.sub(r"#(\d+);", lambda m: chr(int(m[1])), node[2])
        elif edge := _MERMAID_EDGE.fullmatch(line):
            edges.append((labels[edge[1]], labels[edge[2]]))
        else:
            raise AssertionError(f"not a node or an edge: {line!r}")
    return list(labels.values()), edges


@pytest.mark.parametrize(
    "source", ["fixtures", pytest.param("airflow-examples", marks=needs_airflow_examples)]
)
def test_mermaid_graph_has_exactly_the_tasks_and_edges_of_the_model(
    source: str, reviews: dict[str, Review]
) -> None:
    pipelines = [review.pipeline for review in reviews[source].pipelines]
    assert pipelines
    for pipeline in pipelines:
        tasks = list(dict.fromkeys(task_name(task) for task in pipeline.tasks))
        edges = list(dict.fromkeys((e.upstream, e.downstream) for e in pipeline.edges))
        assert read_mermaid(mermaid(pipeline)) == (tasks, edges), pipeline.id
    if source == "fixtures":
        odd = {task_name(task) for p in pipelines for task in p.tasks}
        assert {'say "hi"', "step#1 <b>x</b> | y"} <= odd


@pytest.mark.parametrize(
    "source", ["fixtures", pytest.param("airflow-examples", marks=needs_airflow_examples)]
)
def test_markdown_mermaid_blocks_match_the_json_graph(
    source: str, reviews: dict[str, Review]
) -> None:
    review = reviews[source]
    out = io.StringIO()
    json_format.render(review, out, RenderOptions())
    graphs = {
        (p["path"], p["line"], p["id"]): (
            p["graph"]["tasks"],
            [tuple(e) for e in p["graph"]["edges"]],
        )
        for p in json.loads(out.getvalue())["pipelines"]
    }
    document = markdown.document(review, limit=None)
    blocks = document.split("<details><summary>")[1:]
    assert len(blocks) == len(graphs)
    for block in blocks:
        pipeline_id = html.unescape(search(r"<code>(.*?)</code>", block)[1])
        path, line = search(r"^`(.*):(\d+)`$", block, re.MULTILINE).groups()
        tasks, edges = graphs.pop((path, int(line), pipeline_id))
        drawn = re.search(r"```mermaid\n(.*?)```", block, re.DOTALL)
        assert (read_mermaid(drawn[1]) if drawn else ([], [])) == (tasks, edges), pipeline_id
    assert graphs == {}


# -- every format, exit codes --------------------------------------------------------------


@needs_airflow_examples
@pytest.mark.parametrize("output_format", FORMATS)
def test_review_of_airflow_example_dags_completes(output_format: str) -> None:
    result = review_run("--format", output_format, *EXAMPLES)
    assert result.returncode in (0, 1)
    assert result.stderr == ""
    assert "Traceback" not in result.stdout
    assert result.stdout.strip()


@pytest.mark.parametrize(
    ("args", "code"),
    [
        ((), 1),
        (("--exit-zero",), 0),
        (("--fail-on", "error"), 0),  # only warnings and info here
        (("--fail-on", "error", "fixtures/airflow/broken/syntax_error.py"), 1),
    ],
    ids=["warnings", "exit-zero", "fail-on-error", "fail-on-error-with-error"],
)
def test_review_exits_1_on_findings_at_or_above_fail_on(args: tuple[str, ...], code: int) -> None:
    result = review_run(*TARGETS, *SELECTION, *args)
    assert (result.returncode, result.stderr) == (code, "")


def test_review_of_a_clean_dag_exits_0(tmp_path: Path) -> None:
    (tmp_path / "nightly_export.py").write_text(textwrap.dedent(WELL_RUN_DAG))
    result = dagcheck("review", "--now", NOW, tmp_path, cwd=tmp_path)
    assert (result.returncode, result.stderr) == (0, "")
    assert "100% of checklist items pass" in result.stdout
    assert result.stdout.endswith("No findings: every applicable checklist item passes.\n")


# -- HTML ----------------------------------------------------------------------------------


class TagChecker(HTMLParser):
    """Fails on a closing tag that does not close the innermost open element."""

    VOID = frozenset({"meta", "br", "hr", "img", "input", "link", "wbr"})

    def __init__(self) -> None:
        super().__init__()
        self.open: list[str] = []
        self.svgs = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.svgs += tag == "svg"
        if tag not in self.VOID:
            self.open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        assert self.open and self.open[-1] == tag, f"</{tag}> closes {self.open[-1:]}"
        self.open.pop()


def test_html_is_well_formed_self_contained_and_escapes_task_ids(odd_ids_dag: Path) -> None:
    result = review_run("--format", "html", *SELECTION, str(odd_ids_dag))
    page = result.stdout
    checker = TagChecker()
    checker.feed(page)
    checker.close()
    assert checker.open == []
    pipelines = json.loads(review_run("--format", "json", *SELECTION, str(odd_ids_dag)).stdout)
    with_tasks = [p for p in pipelines["pipelines"] if p["graph"]["tasks"]]
    assert checker.svgs == len(with_tasks) == 8
    assert "<script" not in page.lower()
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", page)  # nothing fetched
    assert "<b>" not in page
    assert "step#1 &lt;b&gt;x&lt;/b&gt; | y" in page


def test_html_draws_a_task_that_is_its_own_upstream(tmp_path: Path) -> None:
    # Two tasks with one id, one downstream of the other: one node with an edge to itself.
    (tmp_path / "same_ids.py").write_text(
        "from airflow.sdk import DAG\n"
        "from airflow.providers.standard.operators.empty import EmptyOperator\n"
        'with DAG("same_ids"):\n'
        '    first = EmptyOperator(task_id="same")\n'
        '    second = EmptyOperator(task_id="same")\n'
        "    first >> second\n",
        "utf-8",
    )

    result = dagcheck("review", "--now", NOW, "--format", "html", tmp_path, cwd=tmp_path)

    assert result.returncode in (0, 1), result.stderr
    assert "<title>same</title>" in result.stdout
    assert layers(["start", "again"], [("start", "again"), ("again", "again")]) == {
        "start": 0,
        "again": 1,
    }


# -- Markdown ------------------------------------------------------------------------------


def test_markdown_escapes_ids_in_tables_and_html(odd_ids_dag: Path) -> None:
    document = review_run("--format", "markdown", str(odd_ids_dag)).stdout
    row = next(line for line in document.splitlines() if "odd" in line and "@team" in line)
    assert len(re.findall(r"(?<!\\)\|", row)) == 7  # the id's | does not open a column
    # Outside fenced blocks, code spans (not opened by an escaped backtick) and <code>.
    outside_code = re.sub(
        r"```.*?```|(?<![\\`])(`+)(?!`).*?(?<!`)\1(?!`)|<code>.*?</code>",
        "",
        document,
        flags=re.DOTALL,
    )
    assert "<b>" not in outside_code
    assert not re.search(r"(?<!\w)@\w", outside_code)  # an @-mention pings someone on GitHub
    assert "DAG 'odd \\| &lt;b&gt;ids&lt;/b&gt; `@team` `#1`'" in document


def test_markdown_stays_within_a_github_comment(tmp_path: Path) -> None:
    """300 DAGs: the summary lists them all, the details kept are those of the worst."""
    clean = textwrap.dedent(WELL_RUN_DAG)
    for number in range(300):
        source = clean if number % 2 else clean.replace("default_args=default_args,", "")
        dag_id = f"export_{number:03d}"
        (tmp_path / f"{dag_id}.py").write_text(source.replace('"nightly_export"', f'"{dag_id}"'))
    result = dagcheck("review", "--format", "markdown", "--now", NOW, tmp_path, cwd=tmp_path)
    document = result.stdout
    assert (result.returncode, result.stderr) == (1, "")
    assert len(document) < 65_536
    rows = re.findall(r"^\| `(export_\d{3})` \|", document, re.MULTILINE)
    assert sorted(rows) == [f"export_{number:03d}" for number in range(300)]
    detailed = re.findall(r"<details><summary><code>export_(\d{3})</code>", document)
    assert 0 < len(detailed) < 150
    assert all(int(number) % 2 == 0 for number in detailed)  # the ones with findings
    last = f"_Details of the {300 - len(detailed)} best-scoring pipelines are left out"
    assert document.splitlines()[-1].startswith(last)
