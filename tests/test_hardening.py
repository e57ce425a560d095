"""A scanned tree is hostile input: fixes are transactional per file and never write through
a link out of the project, discovery reads only regular files and follows no loop, and every
file has a budget after which it is a finding, not a hang."""

from __future__ import annotations

import errno
import json
import os
import time
from pathlib import Path
from typing import Any

import pytest
from cli_runner import dagcheck
from click.testing import CliRunner, Result

from dagcheck import engine
from dagcheck.cli import cli
from dagcheck.engine import Options, run
from dagcheck.fixes import apply
from dagcheck.fixes.apply import FixedFile, FixNotWritten, write_fixed
from dagcheck.limits import MAX_EXPRESSION_DEPTH

# A DAG with findings whose safe fix (DC702: catchup written as its Airflow 3 default) and
# unsafe fixes change the file.
DAG = """\
from airflow import DAG
from airflow.providers.standard.operators.bash import BashOperator
import pendulum

with DAG("{dag_id}", schedule="@daily", start_date=pendulum.datetime(2024, 1, 1)) as dag:
    BashOperator(task_id="t", bash_command="echo")
"""


def project(tmp_path: Path, *names: str) -> Path:
    """A git project with a dags/ folder holding one DAG per name."""
    (tmp_path / ".git").mkdir(parents=True)
    dags = tmp_path / "dags"
    dags.mkdir()
    for name in names:
        (dags / f"{name}.py").write_text(DAG.format(dag_id=name), encoding="utf-8")
    return dags


def invoke(*args: str | Path) -> Result:
    return CliRunner().invoke(cli, [str(arg) for arg in args])


def chain(terms: int) -> str:
    return "X = " + " + ".join(["1"] * terms) + "\n"


def test_a_planted_temporary_file_link_is_never_written_through(tmp_path: Path) -> None:
    dags = project(tmp_path, "dag")
    victim = tmp_path.parent / f"{tmp_path.name}-victim"
    victim.write_text("keep me", encoding="utf-8")
    victim.chmod(0o600)
    # The name the temporary file used to have, next to the DAG.
    (dags / ".dag.py.dagcheck-fix").symlink_to(victim)

    result = invoke("fix", "--unsafe-fixes", dags)

    assert result.exit_code in (0, 1), result.output
    assert victim.read_text(encoding="utf-8") == "keep me"
    assert oct(victim.stat().st_mode & 0o777) == oct(0o600)
    fixed = dags / "dag.py"
    assert not fixed.is_symlink()
    assert "catchup=False" in fixed.read_text(encoding="utf-8")
    # No temporary file is left beside it.
    assert sorted(p.name for p in dags.iterdir()) == [".dag.py.dagcheck-fix", "dag.py"]


def test_a_linked_dag_stays_a_link_and_its_target_in_the_project_is_fixed(
    tmp_path: Path,
) -> None:
    dags = project(tmp_path)
    shared = tmp_path / "shared"
    shared.mkdir()
    target = shared / "real.py"
    target.write_text(DAG.format(dag_id="linked"), encoding="utf-8")
    link = dags / "link.py"
    link.symlink_to(Path("..") / "shared" / "real.py")

    result = invoke("fix", dags)

    assert result.exit_code in (0, 1), result.output
    assert link.is_symlink()
    assert "catchup=False" in target.read_text(encoding="utf-8")


def test_a_link_out_of_the_project_is_skipped_by_check_and_never_written(
    tmp_path: Path,
) -> None:
    dags = project(tmp_path / "repo")
    outside = tmp_path / "outside.py"
    outside.write_text(DAG.format(dag_id="outside"), encoding="utf-8")
    (dags / "link.py").symlink_to(outside)

    result = invoke("fix", "--unsafe-fixes", dags)

    assert result.exit_code == 0, result.output
    assert f"warning: skipped {(dags / 'link.py').as_posix()}: it links to" in result.output
    assert outside.read_text(encoding="utf-8") == DAG.format(dag_id="outside")


def test_writing_through_a_link_out_of_the_project_is_refused(tmp_path: Path) -> None:
    outside = tmp_path / "outside.py"
    outside.write_text("x = 1\n", encoding="utf-8")
    inside = tmp_path / "repo"
    inside.mkdir()
    (inside / "link.py").symlink_to(outside)
    fixed = FixedFile(inside / "link.py", "x = 1\n", "x = 2\n", raw=b"x = 1\n")

    with pytest.raises(FixNotWritten, match="outside the project"):
        write_fixed(fixed, inside)
    assert outside.read_text(encoding="utf-8") == "x = 1\n"


def test_a_file_edited_while_fix_runs_is_left_as_edited(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dags = project(tmp_path, "edited", "untouched")
    edited = dags / "edited.py"
    fix_file = apply.fix_file

    def edit_after_reading(path: Path, options: Options, **how: Any) -> FixedFile:
        result = fix_file(path, options, **how)
        if path == edited:  # the user saves the file in the meantime
            edited.write_text("# the user's edit\n" + DAG.format(dag_id="edited"), "utf-8")
        return result

    monkeypatch.setattr(apply, "fix_file", edit_after_reading)
    result = invoke("fix", dags)

    assert f"{edited.as_posix()} changed while it was being fixed" in result.output
    assert edited.read_text(encoding="utf-8").startswith("# the user's edit\n")
    assert "catchup=False" not in edited.read_text(encoding="utf-8")
    assert "catchup=False" in (dags / "untouched.py").read_text(encoding="utf-8")


def test_a_full_disk_is_one_line_per_file_exit_2_and_no_temporary_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dags = project(tmp_path, "a", "b")
    before = {path: path.read_bytes() for path in dags.iterdir()}

    def no_space(source: str, destination: str) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), destination)

    monkeypatch.setattr(apply.os, "replace", no_space)
    result = invoke("fix", dags)

    assert result.exit_code == 2, result.output
    for name in ("a", "b"):
        assert f"could not write {(dags / name).as_posix()}.py: No space left on device" in (
            result.output
        )
    assert "Traceback" not in result.output
    assert {path: path.read_bytes() for path in dags.iterdir()} == before


def test_a_fix_that_fails_on_one_file_never_stops_the_others(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dags = project(tmp_path, "a_broken_fix", "b_fine")
    fix_file = apply.fix_file

    def fails_on_the_first(path: Path, options: Options, **how: Any) -> FixedFile:
        if path.name == "a_broken_fix.py":
            raise ValueError("a fixer's bug")
        return fix_file(path, options, **how)

    monkeypatch.setattr(apply, "fix_file", fails_on_the_first)
    result = invoke("fix", dags)

    assert "a_broken_fix.py: not fixed: dagcheck failed while fixing it (ValueError" in (
        result.output
    )
    assert "catchup=False" in (dags / "b_fine.py").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    "command",
    [("fix",), ("check", "--fix"), ("check", "--diff"), ("fix", "--unsafe-fixes")],
    ids=" ".join,
)
def test_the_fix_path_takes_a_deep_chain_as_check_does(
    tmp_path: Path, command: tuple[str, ...]
) -> None:
    dags = project(tmp_path, "plain")
    deep = dags / "deep.py"
    deep.write_text(DAG.format(dag_id="deep") + chain(400), encoding="utf-8")

    result = invoke(*command, dags)

    assert result.exit_code in (0, 1), result.output
    assert "Traceback" not in result.output and "not fixed" not in result.output
    if command != ("check", "--diff"):
        assert "catchup=False" in deep.read_text(encoding="utf-8")
        assert "catchup=False" in (dags / "plain.py").read_text(encoding="utf-8")
    else:
        assert "+++ b/" in result.output


def test_links_in_a_loop_and_broken_links_are_named_and_the_rest_is_checked(
    tmp_path: Path,
) -> None:
    dags = project(tmp_path, "healthy")
    (dags / "a.py").symlink_to("b.py")
    (dags / "b.py").symlink_to("a.py")
    (dags / "gone.py").symlink_to("nowhere.py")

    result = invoke("check", "--select", "DC702", dags)

    assert result.exit_code == 1, result.output
    assert f"warning: skipped {(dags / 'a.py').as_posix()}: it is a symbolic link loop" in (
        result.output
    )
    assert f"skipped {(dags / 'b.py').as_posix()}: it is a symbolic link loop" in result.output
    assert f"skipped {(dags / 'gone.py').as_posix()}: it is a broken symbolic link" in (
        result.output
    )
    assert "healthy.py:5:6: DC702" in result.output


def test_a_link_to_a_file_of_the_tree_is_checked_once(tmp_path: Path) -> None:
    dags = project(tmp_path, "real")
    (dags / "alias.py").symlink_to("real.py")

    [model] = run([dags], Options(select=("DC805",)))

    assert model.path == dags / "real.py"
    assert model.findings == []  # no duplicate dag_id with itself


def test_a_fifo_named_like_a_dag_is_skipped_without_blocking(tmp_path: Path) -> None:
    dags = project(tmp_path, "healthy")
    os.mkfifo(dags / "pipe.py")
    os.mkfifo(dags / "common.py")  # also not read when a DAG imports it
    (dags / "imports.py").write_text("import common\n" + DAG.format(dag_id="imp"), "utf-8")

    # A subprocess with a timeout: if the FIFO were opened for reading, the run would block.
    result = dagcheck("check", "--select", "DC702", dags)

    assert result.returncode == 1, result.stderr
    assert f"skipped {(dags / 'pipe.py').as_posix()}: it is not a regular file" in result.stderr
    assert "healthy.py:5:6: DC702" in result.stdout
    assert "imports.py:6:6: DC702" in result.stdout


def test_a_fifo_named_on_the_command_line_is_skipped(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe.py")

    result = dagcheck("check", tmp_path / "pipe.py")

    assert result.returncode == 0, result.stderr
    assert "it is not a regular file" in result.stderr


def test_a_module_linked_from_outside_the_tree_is_not_read(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere" / "settings.py"
    elsewhere.parent.mkdir()
    elsewhere.write_text('ARGS = {"retries": 4}\n', encoding="utf-8")
    dags = project(tmp_path / "repo")
    (dags / "settings.py").symlink_to(elsewhere)
    source = DAG.format(dag_id="d").replace("start_date=", "default_args=ARGS, start_date=")
    (dags / "dag.py").write_text("from settings import ARGS\n" + source, encoding="utf-8")

    [model] = run([dags / "dag.py"], Options())

    [task] = model.pipelines[0].tasks
    retries = task.setting("retries")
    assert retries is None or retries.value != 4


def test_a_deep_chain_is_a_finding_at_once_and_the_rest_is_checked(tmp_path: Path) -> None:
    dags = project(tmp_path, "healthy")
    (dags / "deep.py").write_text(DAG.format(dag_id="deep") + chain(5000), encoding="utf-8")
    started = time.monotonic()

    models = {m.path.name: m for m in run([dags], Options(select=("DC702",)))}

    assert time.monotonic() - started < 20  # libcst's parser alone takes minutes on it
    [finding] = models["deep.py"].findings
    assert finding.code == "DC003"
    assert f"nests 4999 levels deep (dagcheck follows up to {MAX_EXPRESSION_DEPTH})" in (
        finding.message
    )
    assert [f.code for f in models["healthy.py"].findings] == ["DC702"]


@pytest.mark.parametrize(
    "refused", [b'NOTE = "a\x00b"\n', b'NOTE = "\\N{no such name}"\r'], ids=["null", "escape"]
)
def test_a_deep_chain_python_refuses_to_compile_is_measured_from_its_tokens(
    tmp_path: Path, refused: bytes
) -> None:
    # libcst parses both files (Python does not), taking about 20 s over their 3 KB.
    dags = project(tmp_path)
    (dags / "deep.py").write_bytes(b"import airflow\n" + refused + b"DEEP = x" + b"[0]" * 1200)

    [model] = run([dags], Options())

    [finding] = model.findings
    assert finding.code == "DC003"
    assert "nests 1200 levels deep" in finding.message


@pytest.mark.parametrize(
    "expression",
    [" ** ".join(["2"] * 1200), "not " * 1200 + "x", " if x else ".join(["y"] * 1200)],
    ids=["power", "not", "conditional"],
)
def test_a_chain_nested_to_the_right_counts_as_deep(tmp_path: Path, expression: str) -> None:
    # libcst took 18 s over the 6 KB of 2 ** 2 ** ... (1,200 terms).
    dags = project(tmp_path)
    (dags / "deep.py").write_text(f"import airflow\nDEEP = {expression}\n", encoding="utf-8")

    [model] = run([dags], Options())

    assert [finding.code for finding in model.findings] == ["DC003"]


def test_a_file_past_the_size_limit_is_a_finding_and_is_not_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dags = project(tmp_path, "healthy")
    big = dags / "big.py"
    big.write_text(DAG.format(dag_id="big") + "# padding\n" * 300, encoding="utf-8")
    monkeypatch.setattr("dagcheck.discover.MAX_SOURCE_BYTES", 2048)
    monkeypatch.setattr(engine, "read_source", lambda path: _read_with_limit(path, 2048))

    models = {m.path.name: m for m in run([dags], Options(select=("DC702",)))}

    [finding] = models["big.py"].findings
    assert (finding.code, finding.message) == (
        "DC003",
        "file too large to analyse (0.0 MB; dagcheck reads files up to 0.00195312 MB)",
    )
    assert [f.code for f in models["healthy.py"].findings] == ["DC702"]


def _read_with_limit(path: Path, limit: int) -> bytes:
    from dagcheck.discover import read_source

    return read_source(path, limit)


def test_a_file_that_takes_longer_than_file_timeout_is_a_finding(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dags = project(tmp_path, "a_slow", "b_healthy")
    build = engine.build_airflow_pipelines

    def endless_for_one_file(path: Path, *args: object, **kwargs: object) -> object:
        while path.name == "a_slow.py":
            pass  # a builder that never ends on this file
        return build(path, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(engine, "build_airflow_pipelines", endless_for_one_file)
    models = {m.path.name: m for m in run([dags], Options(select=("DC702",), file_timeout=0.5))}

    [finding] = models["a_slow.py"].findings
    assert (finding.code, finding.message) == (
        "DC003",
        "file too large or too deep to analyse: it took more than 0.5 s",
    )
    assert [f.code for f in models["b_healthy.py"].findings] == ["DC702"]


def test_file_timeout_is_read_from_the_config(tmp_path: Path) -> None:
    dags = project(tmp_path, "d")
    (tmp_path / "pyproject.toml").write_text("[tool.dagcheck]\nfile-timeout = -1\n", "utf-8")

    result = invoke("check", dags)

    assert result.exit_code == 2
    assert "file-timeout" in result.output and "expected a number of seconds > 0" in result.output


def test_runbooks_never_read_or_write_through_a_planted_link_or_fifo(tmp_path: Path) -> None:
    dags = project(tmp_path, "linked", "piped")
    runbooks = tmp_path / "runbooks"
    runbooks.mkdir()
    victim = tmp_path.parent / f"{tmp_path.name}-victim.md"
    victim.write_text("keep me", encoding="utf-8")
    (runbooks / "linked.md").symlink_to(victim)
    os.mkfifo(runbooks / "piped.md")

    result = invoke("runbook", "--out", runbooks, dags)

    assert result.exit_code == 0, result.output
    assert f"{(runbooks / 'linked.md').as_posix()}: is a symbolic link; left as it is" in (
        result.output
    )
    assert "piped.md: cannot read file: it is not a regular file; left as it is" in result.output
    assert victim.read_text(encoding="utf-8") == "keep me"
    assert (runbooks / "linked.md").is_symlink()


# Lines ended by a lone CR (classic Mac OS), which Python and libcst take as line breaks.
CR_DAG = """\
import pendulum
from airflow import DAG

with DAG(
    "cr",
    schedule="@daily",
    start_date=pendulum.datetime(2024, 1, 1),  # the first run
    # nothing else
) as dag:
    pass
""".replace("\n", "\r")


def test_a_file_with_cr_line_endings_is_reported_at_its_lines_and_fixed_in_place(
    tmp_path: Path,
) -> None:
    dags = project(tmp_path)
    cr = dags / "cr.py"
    cr.write_bytes(CR_DAG.encode())

    checked = invoke("check", "--select", "DC702", dags)
    sarif = json.loads(invoke("check", "--output-format", "sarif", dags).stdout)
    fixed = invoke("fix", "--select", "DC702", dags)

    assert f"{cr.as_posix()}:4:6: DC702" in checked.output
    assert "DC000" not in {result["ruleId"] for result in sarif["runs"][0]["results"]}
    assert fixed.exit_code == 0, fixed.output
    # After the argument and its comment, not at the end of the file.
    expected = CR_DAG.replace("# the first run\r", "# the first run\r    catchup=False,\r")
    assert cr.read_bytes() == expected.encode()


def test_each_level_of_a_subscript_chain_is_evaluated_once(tmp_path: Path) -> None:
    dags = project(tmp_path, "healthy")
    (dags / "rows.py").write_text("import airflow\nROWS = x" + "[0]" * 40 + "\n", "utf-8")
    started = time.monotonic()

    models = {m.path.name: m for m in run([dags], Options(select=("DC702",)))}

    assert time.monotonic() - started < 20  # twice per level was 2**40 evaluations
    assert models["rows.py"].findings == []


@pytest.mark.parametrize("literal", [r'"\x4"', r'"\N{no such name}"', '"a\x00b"'])
def test_a_string_python_refuses_to_compile_is_an_unknown_value(
    tmp_path: Path, literal: str
) -> None:
    dags = project(tmp_path)
    (dags / "odd.py").write_text(
        "from airflow.sdk import DAG\n"
        f'with DAG("odd", tags=[{literal}], default_args={{"owner": {literal}}}):\n'
        "    pass\n",
        "utf-8",
    )

    [model] = run([dags], Options(select=("DC",)))

    assert "DC000" not in {finding.code for finding in model.findings}
    assert [pipeline.id for pipeline in model.pipelines] == ["odd"]


@pytest.mark.parametrize("separator", ["\x0c", "\x1c", "\x85", "\u2028"], ids=repr)
def test_noqa_is_read_on_the_line_python_counts_after_a_line_separator_in_a_string(
    tmp_path: Path, separator: str
) -> None:
    dags = project(tmp_path)
    source = DAG.format(dag_id="noted").replace(" as dag:", " as dag:  # noqa: DC702")
    (dags / "noted.py").write_text(f'NOTE = "a{separator}b"\n' + source, encoding="utf-8")

    [model] = run([dags], Options(select=("DC702",)))

    assert model.findings == []
    assert [finding.code for finding in model.suppressed] == ["DC702"]
