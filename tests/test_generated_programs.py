"""Generated programs through every command: whatever the tree holds, dagcheck never crashes,
never writes outside the tree, and a fix never corrupts a file.

The programs come from ``dag_programs.generate(seed, index)``. ``DAGCHECK_FUZZ_SEED`` picks
the run (fixed by default, so CI is repeatable) and ``DAGCHECK_FUZZ_PROGRAMS`` how many
programs (300 by default; ``make fuzz`` runs 10,000). They are checked in trees of
``BATCH`` files, one invocation of each command per tree, the trees spread over the CPUs; a
failure names the seed, the program (found again by running the failing command on each
file alone) and a saved copy of its source.
"""

from __future__ import annotations

import ast
import difflib
import io
import itertools
import json
import os
import re
import shutil
import tokenize
import traceback
import unicodedata
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path

import libcst as cst
import pytest
from click.testing import CliRunner, Result
from dag_programs import COMMON_MODULE, Program, generate

from dagcheck.cli import cli

SEED = int(os.environ.get("DAGCHECK_FUZZ_SEED", "20250101"))
PROGRAMS = int(os.environ.get("DAGCHECK_FUZZ_PROGRAMS", "300"))
BATCH = 30
NOW = "2025-01-01T00:00Z"
_TEST = f"tests/{Path(__file__).name}::test_every_command_survives_generated_programs"

# Programs that once broke a command, kept whatever the seed.
FIXED_EXAMPLES = {
    # Each level of a subscript chain evaluated its base twice: 2**30 evaluations.
    "subscript_chain": b"from airflow.sdk import DAG\nROWS = x" + b"[0]" * 30 + b"\n",
    # Literals libcst's parser takes and Python refuses: evaluating them raised.
    "invalid_escape": b'from airflow.sdk import DAG\nwith DAG("d", tags=["\\x4"]):\n    pass\n',
    "null_byte_in_string": b'from prefect import flow\n@flow(name="a\x00b")\ndef f():\n    pass\n',
    "unknown_unicode_name": (
        b"from airflow.sdk import DAG\n"
        b'default_args = {"\\N{no such name}": 1, "owner": "\\N{no such name}"}\n'
        b'with DAG("d", default_args=default_args):\n    pass\n'
    ),
    # A deep chain in a file Python refuses to compile (a null byte, an invalid escape) and
    # libcst parses: the depth was not measured, and libcst took 20 s over 3 KB.
    "deep_chain_null_byte": b'import airflow\nNOTE = "a\x00b"\nDEEP = x' + b"[0]" * 1200 + b"\n",
    "deep_chain_invalid_escape": (
        b'import airflow\rNOTE = "\\x4"\r\nDEEP = x' + b"[0]" * 1200 + b"\r"
    ),
    # Two tasks with one id, one downstream of the other: a task its own upstream, which left
    # a layer of the HTML review's graph empty.
    "task_its_own_upstream": (
        b"from airflow.sdk import DAG\n"
        b"from airflow.providers.standard.operators.empty import EmptyOperator\n"
        b'with DAG("same_ids"):\n    first = EmptyOperator(task_id="same")\n'
        b'    second = EmptyOperator(task_id="same")\n    first >> second\n'
    ),
    # Lines ended by a lone CR: spans and fixes counted lines at LF only, so SARIF failed on
    # it, and a keyword added after an argument with a comment went to the end of the file,
    # once per round.
    "cr_line_endings": (
        b"from datetime import timedelta\rimport pendulum\rfrom airflow.sdk import DAG\r"
        b"from airflow.providers.standard.operators.bash import BashOperator\r\r"
        b'with DAG(\r    "cr_dag",\r    schedule="@daily",\r'
        b"    start_date=pendulum.datetime(2024, 1, 1),\r"
        b'    default_args={\r        "sla": timedelta(hours=1),  # late\r'
        b'        # kept\r        "retries": 2,\r    },\r'
        b'    tags=["x"],  # the tags\r    # the end\r) as dag:\r'
        b'    BashOperator(task_id="t", bash_command="echo")\r'
    ),
}

# Lines of output that mean a bug, not a finding: dagcheck or a fix failing on a file, or on
# a file of a few kilobytes running out of stack or out of the file budget (30 s).
_BUG_LINES = re.compile(
    r"^.*(?:\bDC000\b|dagcheck failed while fixing|a fix would leave the file unparsable"
    r"|its code nests too deeply|nests too deeply to fix"
    r"|it took more than|too large or too deep to fix within).*$",
    re.MULTILINE,
)
_FIXED_LINE = re.compile(r"^(?P<path>.+): fixed \d+ x DC\d{3}$", re.MULTILINE)


@dataclass
class Tree:
    """A git project holding a batch of programs, the folder runbooks go to, and the
    folder a failing program is saved in."""

    root: Path
    programs: dict[Path, Program]
    runbooks: Path
    saved: Path

    @property
    def dags(self) -> Path:
        return self.root / "dags"


def batches() -> list[str]:
    return ["fixed-examples", *(f"batch{n}" for n in range((PROGRAMS + BATCH - 1) // BATCH))]


def programs_of(batch: str) -> list[Program]:
    if batch == "fixed-examples":
        return [
            Program(-1, f"{name}.py", source, ("fixed example",))
            for name, source in FIXED_EXAMPLES.items()
        ]
    first = int(batch.removeprefix("batch")) * BATCH
    return [generate(SEED, index) for index in range(first, min(first + BATCH, PROGRAMS))]


def make_tree(base: Path, programs: list[Program]) -> Tree:
    root = base / "repo"
    (root / ".git").mkdir(parents=True)
    dags = root / "dags"
    dags.mkdir()
    (dags / "common.py").write_text(COMMON_MODULE, encoding="utf-8")
    placed = {}
    for program in programs:
        path = dags / program.path
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(program.source)
        placed[path] = program
    return Tree(root, placed, base / "runbooks", base / "failed-programs")


def snapshot(folder: Path, *, leaving_out: Iterable[Path] = ()) -> dict[Path, bytes]:
    """Every file under ``folder`` and its bytes."""
    skipped = set(leaving_out)
    return {
        path: path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file() and not any(path.is_relative_to(s) for s in skipped)
    }


def invoke(*args: str | Path) -> Result:
    return CliRunner().invoke(cli, [str(arg) for arg in args])


def bugs_in(result: Result, args: tuple[str | Path, ...]) -> list[str]:
    """What in one run of the command line is a crash of dagcheck rather than a finding."""
    found = []
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        escaped = "".join(traceback.format_exception(result.exception))
        found.append(f"an exception escaped:\n{escaped}")
    if result.exit_code not in (0, 1):
        found.append(f"exit code {result.exit_code}:\n{result.output[-3000:]}")
    if "Traceback" in result.output:
        found.append(f"a traceback in the output:\n{result.output[-3000:]}")
    if "sarif" in args:
        found += _sarif_bugs(result.stdout)
    else:
        found += [f"a bug reported: {line.strip()}" for line in _BUG_LINES.findall(result.output)]
    if "json" in args:
        try:
            json.loads(result.stdout)
        except ValueError as error:
            found.append(f"the JSON output does not parse ({error})")
    return found


def _sarif_bugs(output: str) -> list[str]:
    try:
        log = json.loads(output)
    except ValueError as error:
        return [f"the SARIF output does not parse ({error})"]
    lines = "\n".join(
        f"{result['locations'][0]['physicalLocation']['artifactLocation']['uri']}: "
        f"{result['ruleId']} {result['message']['text']}"
        for run in log["runs"]
        for result in run["results"]
    )
    return [f"a bug reported: {line.strip()}" for line in _BUG_LINES.findall(lines)]


def culprits(tree: Tree, args: tuple[str | Path, ...], bugs: list[str]) -> list[Path]:
    """The programs a failure of the command ``args`` comes from: those a bug line names,
    else those on which it fails alone."""

    def named(path: Path) -> bool:
        relative = path.relative_to(tree.root).as_posix()  # as reports and reviews write it
        return any(relative in bug for bug in bugs)

    if any(named(path) for path in tree.programs):
        return [path for path in tree.programs if named(path)]
    failing = []
    for path, program in tree.programs.items():
        # A fresh tree each, as fix may have changed the batch's files already.
        alone = make_tree(tree.saved.parent / "alone" / path.stem, [program])
        if bugs_in(invoke(*args, alone.dags), args):
            failing.append(path)
    return failing


def report(tree: Tree, batch: str, what: str, problems: list[str], paths: list[Path]) -> str:
    """The failure message: the seed, the problems, and each program with a saved copy."""
    tree.saved.mkdir(exist_ok=True)
    lines = [
        f"{what} (DAGCHECK_FUZZ_SEED={SEED}, {batch} of {PROGRAMS} programs; rerun: "
        f"DAGCHECK_FUZZ_SEED={SEED} DAGCHECK_FUZZ_PROGRAMS={PROGRAMS} pytest '{_TEST}[{batch}]')",
        *problems,
    ]
    if not paths:
        lines.append(f"no single program fails alone: the whole tree is at {tree.root}")
    for path in paths:
        program = tree.programs[path]
        copy = tree.saved / path.name
        copy.write_bytes(program.source)
        source = printable(program.source)
        if len(source) > 4000:
            source = source[:4000] + f"\n... ({len(program.source)} bytes in all)"
        origin = (
            f"dag_programs.generate({SEED}, {program.index}).source"
            if program.index >= 0
            else f"FIXED_EXAMPLES[{path.stem!r}]"
        )
        lines += [f"--- {program.describe()}, saved at {copy}; {origin} is:", source]
    return "\n".join(lines)


def printable(source: bytes) -> str:
    """A program's text for a terminal: control characters, line separators and bytes that
    are not UTF-8 escaped; each line break kept, a CR or CRLF one shown as well."""
    text = source.decode("utf-8", errors="backslashreplace")
    return "".join(
        _PRINTED_BREAKS.get(part)
        or "".join(
            char
            if char in "\n\t" or unicodedata.category(char) not in ("Cc", "Cf", "Zl", "Zp")
            else char.encode("unicode_escape").decode("ascii")
            for char in part
        )
        for part in re.split(r"(\r\n?)", text)
    )


_PRINTED_BREAKS = {"\r\n": "\\r\\n\n", "\r": "\\r\n"}


def parses(source: bytes) -> tuple[bool, bool]:
    """Whether Python's parser and libcst's take the file."""
    try:
        ast.parse(source)
        by_python = True
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        by_python = False
    try:
        cst.parse_module(source)
        by_libcst = True
    except (cst.ParserSyntaxError, SyntaxError, ValueError, LookupError, RecursionError):
        by_libcst = False
    return by_python, by_libcst


def newlines(source: bytes) -> set[bytes]:
    kinds = set()
    if b"\r\n" in source:
        kinds.add(b"\r\n")
    if re.search(rb"\r(?!\n)", source):
        kinds.add(b"\r")
    if re.search(rb"(?<!\r)\n", source):
        kinds.add(b"\n")
    return kinds


def corruption(before: bytes, after: bytes) -> list[str]:
    """How a fixed file is worse than before: it no longer parses, or lost its encoding, its
    byte order mark or its line endings."""
    problems = []
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(before).readline)
        characters = set(before.decode(encoding))
    except (SyntaxError, LookupError, UnicodeDecodeError):
        characters = None  # not readable as Python before: nothing to keep
    if characters is not None:
        try:
            added = set(after.decode(encoding)) - characters
        except UnicodeDecodeError:
            added = {"(bytes that do not decode)"}
        if any(not char.isascii() for char in added):
            problems.append(f"the fix wrote characters the file did not hold: {sorted(added)}")
    for parser, was, now in zip(("Python", "libcst"), parses(before), parses(after), strict=True):
        if was and not now:
            problems.append(f"{parser} parsed the file before the fix, not after")
    if before.startswith(b"\xef\xbb\xbf") != after.startswith(b"\xef\xbb\xbf"):
        problems.append("the fix added or removed the byte order mark")
    if newlines(before) and not newlines(after) <= newlines(before):
        problems.append(
            f"the fix changed the line endings: {sorted(newlines(before))} before, "
            f"{sorted(newlines(after))} after"
        )
    return problems


class Failure(Exception):
    """A bug found in a batch; the message names the seed, the programs and their copies."""


def run_command(
    tree: Tree, batch: str, *args: str | Path, paths: list[Path] | None = None
) -> Result:
    """One command on the tree's DAG folder (or on ``paths``); on a bug, a Failure naming
    the culprits."""
    result = invoke(*args, *(paths or [tree.dags]))
    bugs = bugs_in(result, args)
    if bugs:
        what = f"dagcheck {' '.join(map(str, args))} failed"
        raise Failure(report(tree, batch, what, bugs, culprits(tree, args, bugs)))
    return result


CHECK_FORMATS = ["text", "json", "sarif"]
MODEL_FORMATS = ["text", "json"]
REVIEW_FORMATS = ["text", "markdown", "json", "html"]


def commands(batch: str) -> tuple[list[tuple[str, ...]], bool, str]:
    """The read-only commands a batch runs on its tree, whether it writes runbooks, and the
    format the fixed files are checked in. Each command costs a model of the whole tree
    (review and runbook one with the fixes proposed): to keep the run short, a batch checks
    the tree in one format and the fixed files in another, prints the model in one format,
    and reviews (in one format) or writes runbooks, in turn, so that a few batches in a row
    run every combination. The fixed examples run everything."""
    if batch == "fixed-examples":
        return (
            [
                *(("check", "--output-format", name) for name in CHECK_FORMATS),
                *(("model", "--format", name) for name in MODEL_FORMATS),
                *(("review", "--now", NOW, "--format", name) for name in REVIEW_FORMATS),
            ],
            True,
            "text",
        )
    number = int(batch.removeprefix("batch"))
    read_only = [
        ("check", "--output-format", CHECK_FORMATS[number % 3]),
        ("model", "--format", MODEL_FORMATS[number % 2]),
    ]
    if number % 2 == 0:
        read_only.append(("review", "--now", NOW, "--format", REVIEW_FORMATS[number // 2 % 4]))
    return read_only, number % 2 == 1, CHECK_FORMATS[(number + 1) % 3]


def check_batch(batch: str, base: Path) -> str | None:
    """Every command on a tree of the batch's programs, then ``fix`` on a copy and ``check``
    on the fixed copy: the failure message, or None."""
    tree = make_tree(base, programs_of(batch))
    cwd = Path.cwd()
    # Relative paths a command writes would land in the tree, where they are seen.
    os.chdir(tree.root)
    try:
        check_tree(tree, batch, base)
    except Failure as failure:
        return str(failure)
    finally:
        os.chdir(cwd)
    return None


def check_tree(tree: Tree, batch: str, base: Path) -> None:
    read_only, runbooks, after_fix = commands(batch)
    before = snapshot(base)
    for args in read_only:
        run_command(tree, batch, *args)
        assert_unchanged(tree, batch, before, snapshot(base), f"dagcheck {' '.join(args)}")
    if runbooks:
        run_command(tree, batch, "runbook", "--now", NOW, "--out", tree.runbooks)
        written = snapshot(base, leaving_out=[tree.runbooks])
        assert_unchanged(tree, batch, before, written, "dagcheck runbook")
        strays = [path for path in snapshot(tree.runbooks) if path.suffix != ".md"]
        assert_unchanged(tree, batch, {}, dict.fromkeys(strays, b""), "dagcheck runbook")

    fixed = Tree(base / "fixed", {}, tree.runbooks, tree.saved)
    shutil.copytree(tree.root, fixed.root, symlinks=True)
    fixed.programs = {fixed.root / p.relative_to(tree.root): v for p, v in tree.programs.items()}
    result = run_command(fixed, batch, "fix", "--unsafe-fixes", "--show-fixes")
    after = snapshot(base, leaving_out=[tree.runbooks])
    reported = {Path(match["path"]) for match in _FIXED_LINE.finditer(result.stderr)}
    assert_fixes_sound(fixed, batch, before, after, reported, tree.root)
    # The fixed files checked again, with --fix: a fix that did not remove its finding (and
    # so was applied round after round) changes its file again. (The other files are those
    # of the tree, checked above, and would be fixed as they were: not at all.)
    changed = sorted(path for path in reported if path.is_file())
    if not changed:
        return
    check = ("check", "--fix", "--unsafe-fixes", "--show-fixes", "--output-format", after_fix)
    again = run_command(fixed, batch, *check, paths=changed)
    refixed = snapshot(base, leaving_out=[tree.runbooks])
    changed = sorted(p for p in set(after) | set(refixed) if after.get(p) != refixed.get(p))
    if changed or _FIXED_LINE.search(again.stderr):
        problems = [f"dagcheck {' '.join(check)} fixed the fixed files again:", again.stderr]
        paths = [path for path in changed if path in fixed.programs]
        problems += [_diff(fixed.programs[path].source, after[path], path) for path in paths]
        raise Failure(report(fixed, batch, "dagcheck fix does not converge", problems, paths))


def _diff(before: bytes, after: bytes, path: Path) -> str:
    """What the first fix changed in a file, at most 80 lines of it."""
    lines = difflib.unified_diff(
        printable(before).splitlines(),
        printable(after).splitlines(),
        f"{path.name} as generated",
        f"{path.name} fixed",
        lineterm="",
    )
    return "\n".join(itertools.islice(lines, 80))


def assert_unchanged(
    tree: Tree, batch: str, before: dict[Path, bytes], after: dict[Path, bytes], command: str
) -> None:
    changed = sorted(set(before) ^ set(after) | {p for p in before if after.get(p) != before[p]})
    if changed:
        problems = [f"{command} wrote, created or removed files: {[str(p) for p in changed]}"]
        paths = [p for p in changed if p in tree.programs]
        raise Failure(report(tree, batch, f"{command} changed files", problems, paths))


def assert_fixes_sound(
    fixed: Tree,
    batch: str,
    before: dict[Path, bytes],
    after: dict[Path, bytes],
    reported: set[Path],
    original: Path,
) -> None:
    """Outside the fixed copy nothing changed; inside it, only the files the fix reported
    changed, and each of them is no worse than before."""
    copied = {fixed.root / path.relative_to(original): data for path, data in before.items()}
    expected = {**before, **copied}
    problems: list[str] = []
    paths = []
    for path in sorted(set(expected) | set(after)):
        was, now = expected.get(path), after.get(path)
        if was == now:
            continue
        if was is None or now is None or path not in reported:
            found = ["written, created or removed although no fix was reported for it"]
        else:
            found = corruption(was, now)
        problems += [f"{path}: {problem}" for problem in found]
        if found and path in fixed.programs:
            paths.append(path)
    if problems:
        raise Failure(report(fixed, batch, "dagcheck fix corrupted files", problems, paths))


@pytest.fixture(scope="module")
def outcomes(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, Future[str | None]]]:
    """The batches this session runs, checked in as many processes as there are CPUs."""
    selected = [
        item.callspec.params["batch"]
        for item in request.session.items
        if item.module is request.module and hasattr(item, "callspec")
    ]
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    workers = int(os.environ.get("DAGCHECK_FUZZ_WORKERS", "0")) or cpus or 1
    with ProcessPoolExecutor(max_workers=max(1, min(workers, len(selected)))) as pool:
        yield {
            batch: pool.submit(check_batch, batch, tmp_path_factory.mktemp(batch))
            for batch in selected
        }
        pool.shutdown(cancel_futures=True)


@pytest.mark.parametrize("batch", batches())
def test_every_command_survives_generated_programs(
    batch: str, outcomes: dict[str, Future[str | None]]
) -> None:
    """Every command on a batch of programs: no crash, no stray write, no broken fix."""
    try:
        failure = outcomes[batch].result()
    except BrokenProcessPool:
        failure = (
            f"a process checking the programs died (DAGCHECK_FUZZ_SEED={SEED}); the batches "
            "it held were not checked: rerun one at a time with -k batchN"
        )
    if failure is not None:
        pytest.fail(failure, pytrace=False)
