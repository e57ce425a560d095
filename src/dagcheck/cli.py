"""The command line: ``dagcheck check``, ``fix``, ``review``, ``runbook``, ``model``, ...

Heavy modules (libcst, the builders) are imported inside the commands so that ``--help`` and
``--version`` stay instant.
"""

from __future__ import annotations

import contextlib
import logging
import sys
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

import click

from dagcheck import __version__
from dagcheck.text_safety import RedactedStream, Redactor, printable, printable_source

if TYPE_CHECKING:
    from dagcheck.config import Config
    from dagcheck.engine import Options
    from dagcheck.findings import Finding

_PATHS = click.argument(
    "paths", nargs=-1, type=click.Path(exists=True, path_type=Path), required=True
)
_TARGET = click.option(
    "--target-airflow",
    type=click.Choice(["auto", "2", "3"]),
    help="Airflow major version whose defaults apply (auto: the project's pins, then the "
    "installed Airflow, then the code's imports, else 3, assumed).  [default: auto, or "
    "target-airflow in the config]",
)
_TARGET_PREFECT = click.option(
    "--target-prefect",
    type=click.Choice(["auto", "2", "3"]),
    help="Prefect major version whose API and defaults apply (auto: the project's pins, then "
    "the installed Prefect, else 3, assumed).  [default: auto, or target-prefect in the "
    "config]",
)
# The reporters of dagcheck.report, named here so that --help needs no import.
OUTPUT_FORMATS = ["text", "full", "json", "sarif", "github", "gitlab", "junit"]
_CONFIG = click.option(
    "--config",
    "config_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="pyproject.toml to read [tool.dagcheck] from (default: the nearest one above PATHS).",
)

_FORMAT = click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="text for reading, json for tools.",
)


class ConfigFailure(click.ClickException):
    exit_code = 2


def _config(paths: tuple[Path, ...], config_path: Path | None) -> Config:
    from dagcheck.config import ConfigError, find_config, load_config

    try:
        return load_config(config_path or find_config(list(paths)))
    except ConfigError as error:
        raise ConfigFailure(str(error)) from None


def _options(
    config: Config,
    target_airflow: str | None,
    target_prefect: str | None,
    exclude: tuple[str, ...],
    select: str | None,
    ignore: str | None,
    engine: str = "static",
    python: str | None = None,
) -> Options:
    """The engine's options: the command line over the config."""
    from dagcheck.engine import Options

    return Options(
        engine=engine,
        python=python or config.python,
        load_timeout=config.load_timeout,
        load_memory=config.load_memory,
        file_timeout=config.file_timeout,
        target_airflow=target_airflow or config.target_airflow,
        target_prefect=target_prefect or config.target_prefect,
        exclude=(*config.exclude, *exclude),
        select=(*(_codes(select) if select is not None else config.select), *config.extend_select),
        ignore=(*config.ignore, *_codes(ignore)),
        per_file_ignores=config.per_file_ignores,
        severity=config.severity,
        policy=config.rule_options,
        root=config.root,
        respect_airflowignore=config.respect_airflowignore,
    )


_ENGINE = click.option(
    "--engine",
    type=click.Choice(["static", "dagbag", "import", "both"]),
    default="static",
    show_default=True,
    help="Where the model comes from: static reads the source and never runs it; dagbag "
    "loads Airflow DAGs with DagBag, import imports Prefect flows (each in a subprocess, with "
    "a timeout per file); both enriches the static model with what loading finds.",
)
_PYTHON = click.option(
    "--python",
    metavar="PATH",
    help="Interpreter that loads the DAGs or flows (one with Airflow or Prefect installed).  "
    "[default: python in the config, else dagcheck's own]",
)


class LoadFailure(click.ClickException):
    exit_code = 2


@contextlib.contextmanager
def _loading_errors() -> Iterator[None]:
    """A loading engine that cannot start is a one-line error, exit 2."""
    from dagcheck.dynamic import LoaderUnavailable

    try:
        yield
    except LoaderUnavailable as error:
        if not error.install:
            raise LoadFailure(str(error)) from None
        framework = "prefect" if "prefect" in str(error) else "airflow"
        raise LoadFailure(
            f"{error}; install it with: pip install 'dagcheck[{framework}]' (or pass --python)"
        ) from None


_SELECT = click.option(
    "--select",
    metavar="CODES",
    help="Comma-separated rule codes or prefixes to run (DC2: the retry area).  "
    "[default: every rule, or select in the config]",
)
_IGNORE = click.option(
    "--ignore", metavar="CODES", help="Comma-separated codes or prefixes to skip."
)
_FAIL_ON = click.option(
    "--fail-on",
    type=click.Choice(["error", "warning", "info"]),
    help="Lowest severity that makes the run fail (exit 1).  [default: warning]",
)
_EXIT_ZERO = click.option("--exit-zero", is_flag=True, help="Exit 0 even when there are findings.")
# The review renderers of dagcheck.review.render, named here so that --help needs no import.
REVIEW_FORMATS = ["text", "markdown", "json", "html"]

_EXCLUDE = click.option(
    "--exclude",
    multiple=True,
    metavar="PATTERN",
    help="Glob of files or folders to skip (repeatable), on top of .git, .venv, build, ...",
)


def _pipeline_options(command: Callable[..., None]) -> Callable[..., None]:
    """PATHS and the options of every command that reads pipelines: which Airflow and Prefect,
    which files, which config, which engine."""
    for option in reversed((_PATHS, _TARGET, _TARGET_PREFECT, _EXCLUDE, _CONFIG, _ENGINE, _PYTHON)):
        command = option(command)
    return command


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="dagcheck")
def cli() -> None:
    """Review Airflow DAGs and Prefect flows against an operational checklist."""
    _show_warnings()


class _WarningLine(logging.Handler):
    """dagcheck's warnings (files skipped by discovery) as ``warning: ...`` lines on
    standard error, as ruff writes them; each once, though ``fix`` discovers twice."""

    def __init__(self) -> None:
        super().__init__()
        self.said: set[str] = set()

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if message not in self.said:
            self.said.add(message)
            click.echo(f"warning: {printable(message)}", err=True)  # it names the file


def _show_warnings() -> None:
    logger = logging.getLogger("dagcheck")
    if not any(isinstance(handler, _WarningLine) for handler in logger.handlers):
        logger.addHandler(_WarningLine())
    logger.propagate = False


def _codes(value: str | None) -> tuple[str, ...]:
    return tuple(code.strip().upper() for code in (value or "").split(",") if code.strip())


@cli.command()
@_pipeline_options
@_SELECT
@_IGNORE
@click.option(
    "--output-format",
    type=click.Choice(OUTPUT_FORMATS),
    default="text",
    show_default=True,
    help="How findings are printed: text, full (with the source line underlined), json, "
    "sarif (GitHub code scanning), github (workflow annotations), gitlab (Code Quality), "
    "junit.",
)
@click.option(
    "--output-file",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="Write the report to this file instead of standard output.",
)
@click.option(
    "--project-root",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Report paths relative to this folder.  [default: the git root, else the current folder]",
)
@click.option(
    "--sarif-category",
    metavar="ID",
    help="SARIF automationDetails.id, for repositories that upload several analyses.",
)
@click.option(
    "--include-suppressed",
    is_flag=True,
    help="SARIF: also list findings hidden by # noqa, marked as suppressed.",
)
@click.option(
    "--baseline",
    "baseline_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Hide the findings recorded in this baseline file.  [default: baseline in the config]",
)
@click.option(
    "--write-baseline",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="Record the current findings in this file (then --baseline hides them) and exit 0.",
)
@click.option("--fix", is_flag=True, help="Apply the safe fixes, then report what remains.")
@click.option("--unsafe-fixes", is_flag=True, help="With --fix or --diff: also the unsafe fixes.")
@click.option(
    "--diff",
    is_flag=True,
    help="Print the fixes as a unified diff and write nothing (exit 1 if there are any).",
)
@click.option("--show-fixes", is_flag=True, help="With --fix: list the fixes applied, by file.")
@click.option("--statistics", is_flag=True, help="Print how many findings each rule has.")
@_FAIL_ON
@_EXIT_ZERO
def check(
    paths: tuple[Path, ...],
    target_airflow: str | None,
    target_prefect: str | None,
    exclude: tuple[str, ...],
    config_path: Path | None,
    engine: str,
    python: str | None,
    select: str | None,
    ignore: str | None,
    output_format: str,
    output_file: Path | None,
    project_root: Path | None,
    sarif_category: str | None,
    include_suppressed: bool,
    baseline_path: Path | None,
    write_baseline: Path | None,
    fix: bool,
    unsafe_fixes: bool,
    diff: bool,
    show_fixes: bool,
    statistics: bool,
    fail_on: str | None,
    exit_zero: bool,
) -> None:
    """Check pipelines under PATHS against the checklist.

    Exit 0 when nothing at or above --fail-on was found, 1 when something was, 2 on a usage
    error.
    """
    from dagcheck.engine import run, run_targets
    from dagcheck.report import ReportContext, reporter

    config = _config(paths, config_path)
    options = _options(
        config, target_airflow, target_prefect, exclude, select, ignore, engine, python
    )
    # SARIF carries each finding's fix: the report's run proposes them.
    reported = replace(options, propose_fixes=output_format == "sarif")
    with _loading_errors():
        models = run(list(paths), options if fix or diff else reported)
    findings = sorted((f for m in models for f in m.findings), key=lambda f: f.sort_key)
    # Read before fixes are written: a fix may move a secret, never change it.
    redact = _redactor(models)
    all_written = True
    if fix or diff:
        all_written = _fix(
            findings, options, redact, unsafe=unsafe_fixes, diff=diff, show_fixes=show_fixes
        )
        with _loading_errors():
            models = run(list(paths), reported)  # what remains
        findings = sorted((f for m in models for f in m.findings), key=lambda f: f.sort_key)
    root = project_root or _git_root(Path.cwd()) or Path.cwd()
    if write_baseline is not None:
        from dagcheck.baseline import write_baseline as write

        write(write_baseline, findings, root)
        click.echo(f"Wrote {len(findings)} findings to the baseline {write_baseline}", err=True)
        sys.exit(0)
    baseline_path = baseline_path or config.baseline
    if baseline_path is not None:
        findings = _without_baseline(findings, baseline_path, [m.path for m in models], root)
    suppressed = sorted((f for m in models for f in m.suppressed), key=lambda f: f.sort_key)
    context = ReportContext(
        root,
        sarif_category,
        tuple(suppressed) if include_suppressed else (),
        config.rule_options,
        redact,
        run_targets(models),
    )
    if statistics:
        _write_statistics(findings)
    else:
        with _output(output_file, redact) as out:
            reporter(output_format)(findings, out, context)
    if output_format in ("text", "full") and context.targets and findings:
        # What the findings were judged against, on stderr: the report stays as scripts
        # parse it, and a clean run stays quiet.
        label = "Target" if len(context.targets) == 1 else "Targets"
        click.echo(printable(f"{label}: {'; '.join(context.targets)}"), err=True)
    if not all_written:
        sys.exit(2)  # a fix that could not be written is an error of the run, not a finding
    sys.exit(_exit_code(findings, config, fail_on, exit_zero))


def _exit_code(
    findings: list[Finding], config: Config, fail_on: str | None, exit_zero: bool
) -> int:
    """1 when a finding is at or above the --fail-on severity (and not --exit-zero), else 0."""
    from dagcheck.findings import Severity

    threshold = (Severity(fail_on) if fail_on else config.fail_on).rank
    failing = any(f.severity.rank >= threshold for f in findings)
    return 1 if failing and not exit_zero else 0


_NOW = click.option(
    "--now",
    metavar="WHEN",
    help="ISO date and time the next runs are computed from (e.g. 2025-01-01T00:00Z), for "
    "reproducible reports.  [default: now]",
)


def _review(paths: tuple[Path, ...], options: Options, now: str | None) -> tuple[Any, Redactor]:
    """Check PATHS and review every pipeline found; and what masks their files' secrets."""
    import datetime as dt

    from dagcheck.engine import run
    from dagcheck.review import build_review

    moment = dt.datetime.now(dt.timezone.utc)
    if now is not None:
        try:
            moment = dt.datetime.fromisoformat(now.replace("Z", "+00:00"))
        except ValueError:
            raise click.BadParameter(
                f"not an ISO date and time: {now!r}", param_hint="--now"
            ) from None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=dt.timezone.utc)
    with _loading_errors():
        models = run(list(paths), replace(options, propose_fixes=True))
    root = _git_root(Path.cwd()) or Path.cwd()
    return build_review(models, options, root, moment), _redactor(models)


@cli.command()
@_pipeline_options
@_SELECT
@_IGNORE
@click.option(
    "--format",
    "output_format",
    type=click.Choice(REVIEW_FORMATS),
    default="text",
    show_default=True,
    help="text for the terminal, markdown for a pull-request comment or "
    "$GITHUB_STEP_SUMMARY (graphs as Mermaid), json for tools, html for a self-contained page.",
)
@click.option(
    "--output-file",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="Write the review to this file instead of standard output.",
)
@_NOW
@_FAIL_ON
@_EXIT_ZERO
def review(
    paths: tuple[Path, ...],
    target_airflow: str | None,
    target_prefect: str | None,
    exclude: tuple[str, ...],
    config_path: Path | None,
    engine: str,
    python: str | None,
    select: str | None,
    ignore: str | None,
    output_format: str,
    output_file: Path | None,
    now: str | None,
    fail_on: str | None,
    exit_zero: bool,
) -> None:
    """Review each pipeline under PATHS against the operational checklist: a scorecard, key
    facts, findings by checklist item, and the dependency graph.

    Exit 0 when nothing at or above --fail-on was found, 1 when something was, 2 on a usage
    error (as `dagcheck check`).
    """
    from dagcheck.review.render import RenderOptions, renderer

    config = _config(paths, config_path)
    options = _options(
        config, target_airflow, target_prefect, exclude, select, ignore, engine, python
    )
    result, redact = _review(paths, options, now)
    color = output_file is None and sys.stdout.isatty() and output_format == "text"
    with _output(output_file, redact) as out:
        renderer(output_format)(result, out, RenderOptions(color=color))
    sys.exit(_exit_code(result.all_findings(), config, fail_on, exit_zero))


@cli.command()
@_pipeline_options
@_SELECT
@_IGNORE
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder of the runbooks, one <pipeline_id>.md each.  [default: runbook-dir in the "
    "config, else runbooks]",
)
@click.option(
    "--check",
    "check_only",
    is_flag=True,
    help="Write nothing; exit 1 when a runbook is missing or its generated sections are stale.",
)
@_NOW
def runbook(
    paths: tuple[Path, ...],
    target_airflow: str | None,
    target_prefect: str | None,
    exclude: tuple[str, ...],
    config_path: Path | None,
    engine: str,
    python: str | None,
    select: str | None,
    ignore: str | None,
    out_dir: Path | None,
    check_only: bool,
    now: str | None,
) -> None:
    """Write a runbook skeleton for each pipeline under PATHS, or update it: generated
    sections are rewritten, the sections people fill in are kept byte for byte."""
    from dagcheck.runbook import sync_runbooks

    config = _config(paths, config_path)
    options = _options(
        config, target_airflow, target_prefect, exclude, select, ignore, engine, python
    )
    result, redact = _review(paths, options, now)
    folder = out_dir or config.rule_options.runbook_dir or Path("runbooks")
    outcome = sync_runbooks(result, folder, check=check_only, redact=redact)
    for line in outcome.lines:
        click.echo(printable(line), err=True)
    if not result.pipelines:
        click.echo("No pipelines found: no runbook to write.", err=True)
    sys.exit(1 if check_only and not outcome.up_to_date else 0)


@cli.command("fix")
@_PATHS
@_TARGET
@_TARGET_PREFECT
@_EXCLUDE
@_CONFIG
@click.option("--select", metavar="CODES", help="Comma-separated codes or prefixes to fix.")
@click.option("--ignore", metavar="CODES", help="Comma-separated codes or prefixes to leave.")
@click.option("--unsafe-fixes", is_flag=True, help="Also apply the unsafe fixes.")
@click.option("--diff", is_flag=True, help="Print the fixes as a diff and write nothing.")
@click.option("--show-fixes", is_flag=True, help="List the fixes applied, by file.")
@click.option("--exit-zero", is_flag=True, help="Exit 0 even when findings remain.")
@click.pass_context
def fix_command(ctx: click.Context, **options: Any) -> None:
    """Fix what can be fixed under PATHS, then report what remains (check --fix)."""
    ctx.invoke(check, fix=True, **options)


@cli.command("rules")
@_FORMAT
def list_rules(output_format: str) -> None:
    """List every rule: code, name, severity and summary."""
    import json
    from dataclasses import asdict

    from dagcheck.checklist import load_checklist

    docs = load_checklist()
    if output_format == "json":
        records = [{**asdict(doc), "severity": doc.severity.value} for doc in docs.values()]
        json.dump(records, sys.stdout, indent=2)
        sys.stdout.write("\n")
        return
    width = max(len(doc.name) for doc in docs.values())
    for doc in docs.values():
        fix = "" if doc.fix.safety == "none" else f"{doc.fix.safety} fix"
        summary = f"{doc.summary} (opt-in)" if doc.opt_in else doc.summary
        click.echo(f"{doc.code}  {doc.name:<{width}}  {doc.severity.value:<8} {fix:<10} {summary}")


@cli.command()
@click.argument("code")
def explain(code: str) -> None:
    """Explain a rule: what it finds, why it matters, an example, and what to do instead."""
    from dagcheck.checklist import load_checklist

    docs = load_checklist()
    doc = docs.get(code.upper()) or next((d for d in docs.values() if d.name == code), None)
    if doc is None:
        raise click.UsageError(f"no rule {code!r}; `dagcheck rules` lists them")
    parts = [
        f"{doc.code} {doc.name} ({doc.area}, {doc.severity.value})",
        "",
        doc.summary,
        "",
        "Why",
        f"  {doc.why}",
    ]
    both = len(doc.examples()) > 1
    for framework, example, use_instead in doc.examples():
        label = f" ({framework.capitalize()})" if both else ""
        if example:
            parts += ["", f"Example{label}", _indent(example)]
        if use_instead:
            parts += ["", f"Use instead{label}", _indent(use_instead)]
    fix = f"{doc.fix.safety}: {doc.fix.title}" if doc.fix.safety != "none" else "none"
    parts += ["", f"Fix: {fix}"]
    click.echo("\n".join(parts))


def _fix(
    findings: list[Finding],
    options: Options,
    redact: Redactor,
    *,
    unsafe: bool,
    diff: bool,
    show_fixes: bool,
) -> bool:
    """Fix the files with fixable findings, one at a time; with ``diff``, print the changes
    and exit instead. Returns whether every fixed file was written."""
    from dagcheck.engine import project_of
    from dagcheck.fixes.apply import FindingKey, finding_key, fix_files, fixable_codes

    codes = fixable_codes(unsafe)
    reported: dict[Path, set[FindingKey]] = {}
    for finding in findings:
        if finding.path.suffix == ".py" and finding.code in codes:
            reported.setdefault(finding.path, set()).add(finding_key(finding))
    fixable = sorted(reported)

    def say(result: Any) -> None:
        if result.error:
            click.echo(printable(f"{result.path.as_posix()}: not fixed: {result.error}"), err=True)
        if result.not_written:
            click.echo(printable(result.not_written), err=True)

    fixed = fix_files(
        fixable,
        options,
        unsafe=unsafe,
        write=not diff,
        inside=lambda path: project_of(path, options.root),
        done=say,
        only=reported,
    )
    changed = [result for result in fixed if result.changed and not result.not_written]
    if diff:
        _write_diffs(changed, redact)
        sys.exit(1 if changed else 0)
    _write_fix_summary(changed, show_fixes)
    return not any(result.write_failed for result in fixed)


def _write_diffs(changed: list[Any], redact: Redactor) -> None:
    import difflib

    for result in changed:
        name = result.path.as_posix()
        diff = difflib.unified_diff(
            result.original.splitlines(keepends=True),
            result.fixed.splitlines(keepends=True),
            fromfile=f"a/{name}",
            tofile=f"b/{name}",
        )
        # Each line on a line of its own, as code is shown elsewhere: its tabs kept, its
        # control characters (a carriage return that would hide the start of the line) and
        # secrets not.
        sys.stdout.writelines(printable_source(redact(line.rstrip("\r\n"))) + "\n" for line in diff)


def _write_fix_summary(changed: list[Any], show_fixes: bool) -> None:
    total = sum(sum(result.applied.values()) for result in changed)
    if show_fixes:
        for result in changed:
            for code, count in sorted(result.applied.items()):
                click.echo(printable(f"{result.path.as_posix()}: fixed {count} x {code}"), err=True)
    if total:
        files = f"{len(changed)} file{'s' if len(changed) > 1 else ''}"
        click.echo(f"Fixed {total} finding{'s' if total > 1 else ''} in {files}.", err=True)


def _git_root(start: Path) -> Path | None:
    """The folder of the git repository around ``start``, if any."""
    for folder in [start.resolve(), *start.resolve().parents]:
        if (folder / ".git").exists():
            return folder
    return None


def _without_baseline(
    findings: list[Finding], path: Path, checked: list[Path], root: Path
) -> list[Finding]:
    from dagcheck.baseline import BaselineError, apply_baseline, read_baseline

    try:
        filtered = apply_baseline(findings, read_baseline(path), checked, root)
    except BaselineError as error:
        raise ConfigFailure(str(error)) from None
    if filtered.stale:
        click.echo(
            f"{filtered.stale} baseline entries in {path} no longer match a finding (fixed?); "
            "run with --write-baseline to drop them",
            err=True,
        )
    return filtered.findings


def _redactor(models: list[Any]) -> Redactor:
    return Redactor.of_files((model.path, model.secrets) for model in models)


@contextlib.contextmanager
def _output(path: Path | None, redact: Redactor) -> Iterator[TextIO]:
    """Standard output, or ``path`` written atomically; either way with secrets masked."""
    if path is None:
        yield RedactedStream(sys.stdout, redact)  # type: ignore[misc]
        return
    with _atomic_output(path) as out:
        yield RedactedStream(out, redact)  # type: ignore[misc]


@contextlib.contextmanager
def _atomic_output(path: Path) -> Iterator[TextIO]:
    """Write a report through a temporary file, so that a reader never sees half of one."""
    temporary = path.with_name(f".{path.name}.tmp")
    with temporary.open("w", encoding="utf-8") as out:
        yield out
    temporary.replace(path)


def _write_statistics(findings: list[Finding]) -> None:
    from collections import Counter

    from dagcheck.checklist import load_checklist

    docs = load_checklist()
    counts = Counter(finding.code for finding in findings)
    for code, count in sorted(counts.items(), key=lambda item: (-item[1], item[0])):
        click.echo(f"{count:>6}  {code}  {docs[code].name}")


def _indent(code: str) -> str:
    return "\n".join(f"    {line}" if line else "" for line in code.rstrip().splitlines())


@cli.command()
@_pipeline_options
@_FORMAT
@click.option(
    "--show-defaults", is_flag=True, help="Text format: also list settings left at defaults."
)
@click.option(
    "--diff",
    "show_diff",
    is_flag=True,
    help="With --engine both: per DAG, the settings on which the static model and the loaded "
    "one disagree, and how often they agree.",
)
def model(
    paths: tuple[Path, ...],
    target_airflow: str | None,
    target_prefect: str | None,
    exclude: tuple[str, ...],
    config_path: Path | None,
    engine: str,
    python: str | None,
    output_format: str,
    show_defaults: bool,
    show_diff: bool,
) -> None:
    """Print the pipeline model dagcheck builds for PATHS: pipelines, tasks, edges and
    settings with where each value came from."""
    from dagcheck.engine import run
    from dagcheck.model.print import write_comparison, write_model_json, write_model_text

    if show_diff and engine != "both":
        raise click.UsageError("--diff compares the two models: use it with --engine both")
    config = _config(paths, config_path)
    options = _options(config, target_airflow, target_prefect, exclude, None, None, engine, python)
    with _loading_errors():
        models = run(list(paths), replace(options, select=()))
    with _output(None, _redactor(models)) as out:
        if show_diff:
            write_comparison(models, out, output_format)
        elif output_format == "json":
            write_model_json(models, out)
        else:
            write_model_text(models, out, show_defaults=show_defaults)


def main() -> None:
    try:
        cli(prog_name="dagcheck")
    except KeyboardInterrupt:
        sys.exit(130)
    except BrokenPipeError:
        sys.exit(0)
