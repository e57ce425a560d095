"""The one road: discover → read + parse once → build the model → check → report."""

from __future__ import annotations

import ast
import collections
import fnmatch
import itertools
import os
import re
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

import libcst as cst

from dagcheck.checklist import RuleDoc, load_checklist
from dagcheck.config import RuleOptions
from dagcheck.discover import (
    PREFECT_PROJECT_FILE,
    FileTooLarge,
    UnreadableFile,
    discover,
    mentions_a_framework,
    read_source,
)
from dagcheck.findings import Finding, Severity
from dagcheck.limits import (
    MAX_EXPRESSION_DEPTH,
    FileBudgetExceeded,
    expression_depth,
    file_budget,
    with_deep_stack,
)
from dagcheck.model.airflow import build_airflow_pipelines
from dagcheck.model.code import SHAPED_SECRET_HINT, LiteralSecretFinder, add_secret
from dagcheck.model.pipeline import (
    Deployment,
    HardCodedSecret,
    Pipeline,
    SourceFile,
    Span,
    TargetVersion,
    TaskKind,
)
from dagcheck.model.positions import SpanTable
from dagcheck.model.values import ModuleConstants, Scope
from dagcheck.rules import (
    COVERED_BY_PARENT_FLOW,
    QUIET_WHEN_RUN_BY_HAND,
    Report,
    registered_deployment_rules,
    registered_file_rules,
    registered_rules,
    registered_run_rules,
)
from dagcheck.suppressions import Suppressions, read_suppressions
from dagcheck.targets import project_targets
from dagcheck.text_safety import Redactor

if TYPE_CHECKING:  # the loading engines are imported only when one is asked for
    from dagcheck.airflowignore import AirflowIgnore
    from dagcheck.dynamic import Comparison, LoadedFile

# Below this many files per process, starting processes costs more than it saves.
_FILES_PER_PROCESS = 64


@dataclass
class FileModel:
    """Everything dagcheck learned about one file."""

    path: Path
    pipelines: list[Pipeline] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    suppressions: Suppressions = field(default_factory=Suppressions)
    # Prefect deployments declared in this file (in code or in prefect.yaml).
    deployments: list[Deployment] = field(default_factory=list)
    # Findings hidden by noqa comments (reported as suppressed where a format can).
    suppressed: list[Finding] = field(default_factory=list)
    # With a loading engine: how the static model compares with what was loaded.
    comparison: Comparison | None = None
    # The credential-like literals of the file, where they are (never their values).
    secrets: list[HardCodedSecret] = field(default_factory=list)
    # Module-level code that may make DAGs and was not followed: DAGs may be missing.
    incomplete_reasons: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Options:
    target_airflow: str = "auto"
    target_prefect: str = "auto"
    exclude: tuple[str, ...] = ()
    # Rule codes or prefixes ("DC2" is the retry area); empty select: model only, no rules.
    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    per_file_ignores: dict[str, tuple[str, ...]] = field(default_factory=dict)
    severity: dict[str, Severity] = field(default_factory=dict)
    policy: RuleOptions = field(default_factory=RuleOptions)
    root: Path | None = None  # per-file-ignores globs are relative to it
    # Where the model comes from: "static" (the source, never run), "dagbag" (Airflow loads
    # the DAGs), "import" (Prefect flows imported), "both" (static, then the loaded values).
    engine: str = "static"
    python: str | None = None  # the interpreter that loads DAGs or flows (default: this one)
    load_timeout: float = 30.0  # seconds one file may take to load
    load_memory: float = 4.0  # GB of address space a loading process may use
    file_timeout: float = 30.0  # seconds one file may take to model and check
    # Give each finding the fix `dagcheck fix` would apply (for SARIF and review).
    propose_fixes: bool = False
    # Skip what the project's .airflowignore files keep out of Airflow's DAG folder.
    respect_airflowignore: bool = True

    def selected_rules(self, path: Path, *, run_rules: bool = False) -> list[str]:
        """Codes to run on one file: its pipeline and file rules, or (``run_rules``) the
        rules that need every file first (across files, and about deployments)."""
        ignored = (*self.ignore, *self._ignored_here(path))
        rules = (
            {**registered_run_rules(), **registered_deployment_rules()}
            if run_rules
            else {**registered_rules(), **registered_file_rules()}
        )
        docs = load_checklist()
        return [
            code
            for code in rules
            if _selected(code, self.select, opt_in=docs[code].opt_in)
            and not _matches(code, ignored)
        ]

    def _ignored_here(self, path: Path) -> list[str]:
        if not self.per_file_ignores:
            return []
        relative = path.resolve()
        if self.root is not None and relative.is_relative_to(self.root.resolve()):
            relative = relative.relative_to(self.root.resolve())
        text = relative.as_posix()
        return [
            code
            for pattern, codes in self.per_file_ignores.items()
            if fnmatch.fnmatch(text, pattern) or fnmatch.fnmatch(path.name, pattern)
            for code in codes
        ]


def _selected(code: str, prefixes: tuple[str, ...], *, opt_in: bool) -> bool:
    """Whether ``select`` names the rule: an opt-in rule by more than the bare ``DC``."""
    return any(code.startswith(p) and (not opt_in or len(p) > len("DC")) for p in prefixes)


def _matches(code: str, prefixes: tuple[str, ...] | list[str]) -> bool:
    return any(code.startswith(prefix) for prefix in prefixes)


def build_models(
    paths: list[Path],
    *,
    target_airflow: str = "auto",
    target_prefect: str = "auto",
    exclude: tuple[str, ...] = (),
    jobs: int | None = None,
) -> list[FileModel]:
    """Discover the files under ``paths`` and build the model of each, sorted by path."""
    options = Options(target_airflow=target_airflow, target_prefect=target_prefect, exclude=exclude)
    return run(paths, options, jobs=jobs)


def run(paths: list[Path], options: Options, *, jobs: int | None = None) -> list[FileModel]:
    """Discover, parse, model and check every file under ``paths``, sorted by path.

    Rules in ``options.select`` run on every pipeline; findings hidden by ``# noqa`` are gone.

    Large trees are split across ``jobs`` processes (default: one per CPU).
    """
    files = _files_with_roots(paths, options)
    loaded: dict[Path, list[LoadedFile]] = {}
    if options.engine != "static":
        from dagcheck.dynamic import load_files

        loaded = load_files(files, options)
    jobs = min(jobs or os.cpu_count() or 1, len(files) // _FILES_PER_PROCESS)
    if jobs < 2:
        models = _build_files(files, options, loaded)
    else:
        # Interleaved chunks share the work out evenly whatever the order of file sizes; each
        # process parses the modules that default_args are imported from once for its chunk.
        chunks = [files[start::jobs] for start in range(jobs)]
        with ProcessPoolExecutor(max_workers=jobs) as pool:
            results = pool.map(
                _build_files, chunks, itertools.repeat(options), itertools.repeat(loaded)
            )
            models = sorted(
                (model for chunk in results for model in chunk), key=lambda model: model.path
            )
    link_deployments(models)
    _check_across_files(models, options)
    _quiet_on_subflows(models)
    quiet_when_run_by_hand(models, _texts_of(models))
    for model in models:
        model.suppressed = [f for f in model.findings if model.suppressions.hides(f)]
        model.findings = [f for f in model.findings if not model.suppressions.hides(f)]
    _once_per_imported_task(models)
    return models


def _quiet_on_subflows(models: list[FileModel]) -> None:
    """Drop what a flow's parent answers for (:data:`COVERED_BY_PARENT_FLOW`) from the
    findings of flows that other flows of the run call and that no deployment runs."""
    called = _called_flows(models)
    if not called:
        return
    for model in models:
        subflows = {
            pipeline.id
            for pipeline in model.pipelines
            if pipeline.framework == "prefect"
            and not pipeline.deployments
            and pipeline.entrypoint_name is not None
            and (model.path.resolve(), pipeline.entrypoint_name) in called
        }
        if subflows:
            model.findings = [
                f
                for f in model.findings
                if not (f.code in COVERED_BY_PARENT_FLOW and f.pipeline in subflows)
            ]


def _called_flows(models: list[FileModel]) -> set[tuple[Path, str]]:
    """The Prefect flows that flows of the run call, as (file, module-level name)."""
    return set(_callers_of_flows(models))


def _callers_of_flows(models: list[FileModel]) -> dict[tuple[Path, str], list[Pipeline]]:
    """The flows that call each Prefect flow of the run, by (file, module-level name)."""
    callers: dict[tuple[Path, str], list[Pipeline]] = {}
    for model in models:
        for pipeline in model.pipelines:
            for task in pipeline.tasks if pipeline.framework == "prefect" else ():
                if task.kind is not TaskKind.FLOW:
                    continue
                if task.origin is not None:
                    path, _, name = task.origin.rpartition(":")
                    callers.setdefault((Path(path).resolve(), name), []).append(pipeline)
                elif task.callable is not None:
                    callers.setdefault((model.path.resolve(), task.callable), []).append(pipeline)
    return callers


# A quoted name as code writes a DAG id or a "flow/deployment" name to start a run with:
# TriggerDagRunOperator(trigger_dag_id="export"), run_deployment("etl/daily"), a REST path.
# Not a dict key ({"export": ConfigModel}): a mapping by DAG id starts nothing itself.
_QUOTED_NAME = re.compile(r"""["']([\w.:/-]{1,250})["'](?!\s*:)""")
# Prefect 2 deploys from code dagcheck does not model as deployments: a tree that does may
# schedule any flow that shows none.
_UNMODELLED_DEPLOYMENT = "build_from_flow"


def quiet_when_run_by_hand(models: list[FileModel], texts: Iterator[tuple[Path, bytes]]) -> None:
    """Mark the pipelines that nothing in the run starts, and drop their findings of
    :data:`QUIET_WHEN_RUN_BY_HAND`. Candidates: an Airflow DAG with ``schedule=None``; a
    Prefect flow whose deployments all have no schedule and no trigger, or that has none
    where the run deploys other flows. A candidate is started by something when a file of
    the run names it in quotes (besides the DAG's own ``dag_id``), or when a flow that is
    not run by hand calls it."""
    # The tree says how it deploys flows: a flow deployed nowhere in it is not scheduled.
    deploys_flows = any(
        model.path.name == PREFECT_PROJECT_FILE or any(p.deployments for p in model.pipelines)
        for model in models
    )
    candidates = [
        (model, pipeline)
        for model in models
        for pipeline in model.pipelines
        if isinstance(pipeline.id, str) and _unscheduled(pipeline, deploys_flows)
    ]
    if not candidates:
        return
    quoted: dict[Path, collections.Counter[str]] = {}
    unmodelled_deployments = False
    for path, data in texts:
        text = data.decode("utf-8", "replace")
        quoted[path] = collections.Counter(_QUOTED_NAME.findall(text))
        unmodelled_deployments |= _UNMODELLED_DEPLOYMENT in text
    by_hand = {
        id(pipeline): (model, pipeline)
        for model, pipeline in candidates
        if not _named_in_code(model.path, pipeline, quoted)
        and (pipeline.deployments or not unmodelled_deployments)
    }
    # A subflow is run by hand when every flow that calls it is: drop those that any other
    # caller starts, until none is left to drop.
    callers = _callers_of_flows(models)
    dropped = True
    while dropped:
        dropped = False
        for key, (model, pipeline) in list(by_hand.items()):
            called_by = callers.get((model.path.resolve(), pipeline.entrypoint_name or ""), [])
            if any(id(caller) not in by_hand for caller in called_by):
                del by_hand[key]
                dropped = True
    for model, pipeline in by_hand.values():
        pipeline.run_by_hand = True
        model.findings = [
            f
            for f in model.findings
            if not (f.code in QUIET_WHEN_RUN_BY_HAND and f.pipeline == pipeline.id)
        ]


def _unscheduled(pipeline: Pipeline, deploys_flows: bool) -> bool:
    if pipeline.framework == "airflow":
        return pipeline.runs_only_when_triggered
    if not pipeline.deployments:
        return deploys_flows and pipeline.entrypoint_name is not None
    return all(
        isinstance(d.name, str)
        and isinstance(d.schedules, list)
        and not d.schedules
        and "triggers" not in d.settings
        for d in pipeline.deployments
    )


def _named_in_code(
    path: Path, pipeline: Pipeline, quoted: dict[Path, collections.Counter[str]]
) -> bool:
    if pipeline.framework == "airflow":
        # Its own file writes the id once, in DAG(...): a second time is a trigger there.
        return any(
            names[pipeline.id] > (1 if file == path else 0) for file, names in quoted.items()
        )
    suffixes = tuple(f"/{d.name}" for d in pipeline.deployments)
    return bool(suffixes) and any(
        name.endswith(suffixes) for names in quoted.values() for name in names
    )


def _texts_of(models: list[FileModel]) -> Iterator[tuple[Path, bytes]]:
    """The bytes of each file of the run, read again (only when a pipeline may be run by
    hand); a file that went away meanwhile names nothing."""
    for model in models:
        try:
            yield model.path, read_source(model.path)
        except UnreadableFile:
            continue


def _once_per_imported_task(models: list[FileModel]) -> None:
    """A task imported from another file of the tree is one definition, whose settings are
    written once: its finding is reported at the first call of the run, not once per flow
    (in one file, the rules already report a task once)."""
    reported: set[tuple[str, str]] = set()
    for model in models:  # sorted by path: the same call is first in every run
        kept = []
        for finding in model.findings:
            if finding.origin is not None:
                if (finding.code, finding.origin) in reported:
                    continue
                reported.add((finding.code, finding.origin))
            kept.append(finding)
        model.findings = kept


def run_targets(models: list[FileModel]) -> tuple[str, ...]:
    """The versions a run checked its pipelines against, each once: ``Airflow 2.9.3
    (requirements.txt: apache-airflow==2.9.3)``; a version several files pin is named with
    the file most pipelines take it from, and how many others."""
    by_version: dict[tuple[str, str, bool], collections.Counter[str]] = {}
    for model in models:
        for pipeline in model.pipelines:
            target = pipeline.target
            if target is not None:
                key = (target.framework, target.version, target.assumed)
                by_version.setdefault(key, collections.Counter())[target.describe()] += 1
    described = []
    for _, sources in sorted(by_version.items()):
        [(most, _)] = sources.most_common(1)
        others = len(sources) - 1
        described.append(
            f"{most} and {others} other file{'s' if others > 1 else ''}" if others else most
        )
    return tuple(described)


def link_deployments(models: list[FileModel]) -> None:
    """Attach each deployment to the flow its entrypoint names, when that file was scanned:
    prefect.yaml entries, and deployments in code of a flow imported from another file
    (the builder linked those of flows in their own file)."""
    by_path = {model.path.resolve(): model for model in models}
    for model in models:
        for deployment in model.deployments:
            if deployment.pipeline is not None or deployment.entrypoint is None:
                continue
            relative, _, function = deployment.entrypoint.rpartition(":")
            # Relative to where `prefect deploy` runs: the prefect.yaml's folder, or (a project
            # with one prefect.yaml per pipeline, deployed with --prefect-file) a folder above.
            folders = (model.path.parent, *model.path.parent.resolve().parents)
            target = next(
                (
                    by_path[path]
                    for folder in folders
                    if (path := (folder / relative).resolve()) in by_path
                ),
                None,
            )
            flows = [p for p in target.pipelines if p.entrypoint_name == function] if target else []
            if len(flows) == 1:
                flow_id = flows[0].id
                deployment.pipeline = flow_id if isinstance(flow_id, str) else None
                flows[0].deployments.append(deployment)


def _check_across_files(models: list[FileModel], options: Options) -> None:
    """Rules that compare pipelines of different files (duplicate DAG ids), and rules about
    deployments, which need their flows linked first."""
    docs = load_checklist()
    by_file = {model.path: model for model in models}
    pipelines = [pipeline for model in models for pipeline in model.pipelines]
    for code, check_rule in registered_run_rules().items():
        frameworks = docs[code].frameworks
        candidates = [p for p in pipelines if p.framework in frameworks]
        for pipeline, report in check_rule(candidates, options.policy):
            if code not in options.selected_rules(pipeline.file, run_rules=True):
                continue
            dag = pipeline.id if isinstance(pipeline.id, str) else None
            by_file[pipeline.file].findings.append(
                _finding(code, report, pipeline.file, dag, docs[code], options)
            )
    model_of = {id(d): model for model in models for d in model.deployments}
    deployments = [deployment for model in models for deployment in model.deployments]
    for code, check_deployments in registered_deployment_rules().items():
        for deployment, report in check_deployments(deployments, options.policy):
            model = model_of[id(deployment)]
            if code not in options.selected_rules(model.path, run_rules=True):
                continue
            model.findings.append(
                _finding(code, report, model.path, deployment.pipeline, docs[code], options)
            )


def _build_files(
    files: list[tuple[Path, Path]], options: Options, loaded: dict[Path, list[LoadedFile]]
) -> list[FileModel]:
    models: list[FileModel] = []

    def build_all() -> None:
        scopes: dict[Path, Scope | None] = {}
        for root, path in files:
            try:
                with file_budget(options.file_timeout):
                    model = build_file(path, root, options, scopes, loaded=loaded.get(path))
            except FileBudgetExceeded:
                model = FileModel(path, findings=[_out_of_budget(path, options.file_timeout)])
            except Exception as error:  # a bug in dagcheck must not stop the run or lose the rest
                model = FileModel(path, findings=[_internal_error(path, error)])
            if model is not None:
                models.append(model)

    with_deep_stack(build_all)
    return models


def _files_with_roots(paths: list[Path], options: Options) -> list[tuple[Path, Path]]:
    """Each file with the scan root it was found under: a folder that was named, or for a
    named file (as pre-commit passes them) the project around it, so that modules it imports
    from parent folders are found as when the whole folder is checked. Links are followed
    only to files inside the project around each path."""
    pairs: dict[Path, Path] = {}
    airflowignores: dict[Path, AirflowIgnore] = {}
    for path in paths:
        folder = path if path.is_dir() else path.parent
        project = _project_around(folder, options.root)
        root = path if path.is_dir() else project
        airflowignore = None
        if options.respect_airflowignore:
            if project not in airflowignores:
                airflowignores[project] = _airflowignore(folder, project, options)
            airflowignore = airflowignores[project]
        for file in discover([path], options.exclude, inside=project, airflowignore=airflowignore):
            pairs.setdefault(file, root)
    return sorted(((root, file) for file, root in pairs.items()), key=lambda pair: pair[1])


def _airflowignore(folder: Path, project: Path, options: Options) -> AirflowIgnore:
    """The project's .airflowignore files, read in the syntax of the Airflow it runs: the
    setting, else the pins, else the installed Airflow; glob (Airflow 3's) when none says."""
    from dagcheck.airflowignore import AirflowIgnore
    from dagcheck.model.airflow import installed_airflow_version

    major = options.target_airflow
    if major == "auto":
        pinned = project_targets(folder, project).get("airflow")
        installed = installed_airflow_version()
        major = pinned.major if pinned else (installed or "3").split(".")[0]
    return AirflowIgnore(project, regexp=major == "2")


def project_of(file: Path, config_root: Path | None) -> Path:
    """The configuration's folder or the git root around a file, else the working folder
    when the file is below it (a tree without .git, such as an unpacked release), else the
    file's own folder."""
    return _project_around(file.parent, config_root)


def _project_around(folder: Path, config_root: Path | None) -> Path:
    resolved = folder.resolve()
    for candidate in [resolved, *resolved.parents]:
        if (
            candidate == (config_root.resolve() if config_root else None)
            or (candidate / ".git").exists()
        ):
            return candidate
    working = Path.cwd().resolve()
    # The pins, .airflowignore files and shared modules of a checkout without .git sit at
    # the folder it is checked from, as ruff takes the working folder as the project.
    # Never the file system's root: links are followed only inside the project.
    inside_working = resolved.is_relative_to(working) and working != Path(working.anchor)
    return working if inside_working else folder


def check_source(path: Path, source_bytes: bytes, options: Options) -> FileModel | None:
    """Model and check one file's text as it would be on disk (the fixer's proposed text),
    with `# noqa` applied. The rules of the whole run see this file's pipelines, with the
    deployments prefect.yaml files above it declare for them; other files are not read."""
    root = project_of(path, options.root)
    model = build_file(path, root, options, {}, source_bytes)
    if model is not None:
        if any(pipeline.framework == "prefect" for pipeline in model.pipelines):
            project_files = (build_file(p, root, options, {}) for p in _project_files(path, root))
            link_deployments([model, *(m for m in project_files if m is not None)])
        _check_across_files([model], options)
        model.findings = [f for f in model.findings if not model.suppressions.hides(f)]
    return model


def _project_files(path: Path, root: Path) -> Iterator[Path]:
    """The prefect.yaml files in the folders from ``path``'s up to the project root; only
    regular files, as discovery takes them (a link could lead anywhere)."""
    resolved_root = root.resolve()
    for folder in [path.parent.resolve(), *path.parent.resolve().parents]:
        candidate = folder / PREFECT_PROJECT_FILE
        if not candidate.is_symlink() and candidate.is_file():
            yield candidate
        if folder == resolved_root or not folder.is_relative_to(resolved_root):
            return


def build_file(
    path: Path,
    root: Path,
    options: Options,
    scopes: dict[Path, Scope | None],
    source_bytes: bytes | None = None,
    *,
    loaded: list[LoadedFile] | None = None,
) -> FileModel | None:
    """Read, parse (once) and model one file; ``None`` if it cannot hold a pipeline.
    ``loaded`` is what a loading engine found in it, combined with the static model."""
    if source_bytes is None:
        try:
            source_bytes = read_source(path)
        except FileTooLarge as error:
            return FileModel(path, findings=[_file_finding(path, "DC003", str(error))])
        except UnreadableFile as error:
            return FileModel(path, findings=[_file_finding(path, "DC001", str(error))])
    if path.name == PREFECT_PROJECT_FILE:  # named for Prefect: no need to mention it
        return _build_project_file(path, source_bytes, options)
    if not mentions_a_framework(source_bytes):
        return None
    depth = expression_depth(source_bytes)
    if depth is not None and depth > MAX_EXPRESSION_DEPTH:
        message = (
            f"file too deep to analyse: an expression nests {depth} levels deep "
            f"(dagcheck follows up to {MAX_EXPRESSION_DEPTH})"
        )
        return FileModel(path, findings=[_file_finding(path, "DC003", message)])
    try:
        module = cst.parse_module(source_bytes)
    except cst.ParserSyntaxError as error:
        message, span = _describe_syntax_error(source_bytes, error)
        return FileModel(path, findings=[_file_finding(path, "DC001", message, span)])
    except (SyntaxError, UnicodeDecodeError, LookupError, ValueError) as error:
        # An unknown or wrong `# -*- coding: ... -*-`, or bytes that are not in its encoding.
        return FileModel(
            path, findings=[_file_finding(path, "DC001", f"cannot decode file: {error}")]
        )
    # What module.code would give, without a second code generation pass.
    source = source_bytes.decode(module.encoding).removeprefix("\ufeff")
    spans = SpanTable()
    constants = ModuleConstants(_search_roots(path, root), scopes)
    package = _package_of(path, root)
    pinned = _pinned_targets(path, options)
    built: list[SourceFile] = []
    if b"airflow" in source_bytes:
        built.append(
            build_airflow_pipelines(
                path,
                module,
                source,
                spans,
                constants,
                package=package,
                target_airflow=pinned.get("airflow", options.target_airflow),
            )
        )
    if b"prefect" in source_bytes:
        from dagcheck.model.prefect import build_prefect_pipelines

        built.append(
            build_prefect_pipelines(
                path,
                module,
                source,
                spans,
                constants,
                package=package,
                target_prefect=pinned.get("prefect", options.target_prefect),
            )
        )
    source_file = _merge(path, built)
    if SHAPED_SECRET_HINT.search(source):
        finder = LiteralSecretFinder(spans)
        finder.walk(module)
        for secret in finder.secrets:
            add_secret(source_file.secrets, secret)
    spans.resolve(module, source)  # the loaded model takes its locations from the static one
    comparison, load_findings = None, []
    if loaded:
        from dagcheck.dynamic import apply_loaded

        comparison, load_errors = apply_loaded(source_file, loaded, source, options.engine)
        for message, line in load_errors:
            span = Span(line, 1, line, 1) if line else None
            load_findings.append(_file_finding(path, "DC002", message, span))
    findings = _check_file(source_file, options) if options.select else []
    if options.propose_fixes and findings:
        from dagcheck.fixes import Source, with_proposed_fixes

        airflow = source_file.targets.get("airflow")
        fixable = Source(source, module, airflow.major if airflow else options.target_airflow)
        findings = with_proposed_fixes(findings, fixable, options.policy)
    # A message may quote code (a loader's exception, a setting's source): never a secret.
    findings = [*load_findings, *findings]
    mask = Redactor.of_source(source, source_file.secrets)
    if mask.secrets:
        findings = [replace(f, message=mask(f.message)) for f in findings]
    return FileModel(
        path,
        source_file.pipelines,
        findings,
        read_suppressions(source),
        source_file.deployments,
        comparison=comparison,
        secrets=source_file.secrets,
        incomplete_reasons=source_file.incomplete_reasons,
    )


def _pinned_targets(path: Path, options: Options) -> dict[str, TargetVersion]:
    """The versions the project around ``path`` pins, for the frameworks whose target is
    "auto" (a target-airflow / target-prefect setting wins)."""
    wanted = [
        framework
        for framework, target in (
            ("airflow", options.target_airflow),
            ("prefect", options.target_prefect),
        )
        if target == "auto"
    ]
    if not wanted:
        return {}
    pins = project_targets(path.parent, project_of(path, options.root))
    return {framework: pins[framework] for framework in wanted if framework in pins}


def _merge(path: Path, built: list[SourceFile]) -> SourceFile:
    """One file's model from each framework's builder (a file rarely holds both)."""
    if len(built) == 1:
        return built[0]
    merged = SourceFile(path)
    seen_secrets: set[int] = set()  # both builders may note one literal: the same span object
    for part in built:
        merged.pipelines.extend(part.pipelines)
        merged.parse_time_calls.extend(part.parse_time_calls)
        merged.top_level_imports.extend(part.top_level_imports)
        merged.deployments.extend(part.deployments)
        merged.definitions.extend(part.definitions)
        merged.removed_api_uses.extend(part.removed_api_uses)
        merged.prefect_1 = merged.prefect_1 or part.prefect_1
        merged.incomplete_reasons.extend(part.incomplete_reasons)
        merged.targets.update(part.targets)
        merged.secrets.extend(s for s in part.secrets if id(s.span) not in seen_secrets)
        seen_secrets.update(id(s.span) for s in part.secrets)
        # A Prefect file that mentions Airflow (in a comment, say) is still a Prefect file.
        if part.framework == "prefect" and (part.pipelines or part.definitions or part.prefect_1):
            merged.framework = "prefect"
    return merged


def _build_project_file(path: Path, source_bytes: bytes, options: Options) -> FileModel | None:
    from dagcheck.model.prefect_yaml import ProjectFileError, build_prefect_project

    try:
        text = source_bytes.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        return FileModel(
            path, findings=[_file_finding(path, "DC001", f"cannot decode file: {error}")]
        )
    try:
        project = build_prefect_project(path, text)
    except ProjectFileError as error:
        return FileModel(path, findings=[_file_finding(path, "DC001", str(error), error.span)])
    if project is None:
        return None
    findings = _check_file(project, options) if options.select else []
    return FileModel(path, [], findings, read_suppressions(text), project.deployments)


def _check_file(source: SourceFile, options: Options) -> list[Finding]:
    docs, pipeline_rules, file_rules = load_checklist(), registered_rules(), registered_file_rules()
    findings = []
    for code in options.selected_rules(source.path):
        frameworks = docs[code].frameworks
        # A Prefect task called by several flows is one definition: one finding on it.
        reported_definitions: set[int] = set()
        for pipeline in source.pipelines if code in pipeline_rules else ():
            if pipeline.framework not in frameworks:
                continue
            for report in pipeline_rules[code](pipeline, options.policy):
                if report.task is not None and report.task.definition is not None:
                    if id(report.span) in reported_definitions:
                        continue
                    reported_definitions.add(id(report.span))
                dag = pipeline.id if isinstance(pipeline.id, str) else None
                finding = _finding(code, report, source.path, dag, docs[code], options)
                findings.append(_for_target(finding, pipeline.target, docs[code], options))
        if code not in file_rules or source.framework not in frameworks:
            continue
        target = source.targets.get(source.framework)
        for report in file_rules[code](source, options.policy):
            finding = _finding(code, report, source.path, report.pipeline_id, docs[code], options)
            findings.append(_for_target(finding, target, docs[code], options))
    return findings


def _for_target(
    finding: Finding, target: TargetVersion | None, doc: RuleDoc, options: Options
) -> Finding:
    """A finding whose verdict depends on a version nothing in the project states says so,
    and is at most a warning (unless the team set its severity)."""
    if target is None or not doc.depends_on_version:
        return finding
    finding = replace(finding, target=target.describe())
    if not target.assumed:
        return finding
    severity = finding.severity
    if finding.code not in options.severity and severity is Severity.ERROR:
        severity = Severity.WARNING
    message = (
        f"{finding.message} ({target.framework.capitalize()} {target.major} assumed: nothing "
        f"in the project pins it; set target-{target.framework})"
    )
    return replace(finding, message=message, severity=severity)


def _finding(
    code: str, report: Report, path: Path, dag: str | None, doc: RuleDoc, options: Options
) -> Finding:
    task = report.task
    return Finding(
        code=code,
        message=report.message,
        path=path,
        span=report.span,
        # The team's choice wins over a rule's version-specific severity and the default.
        severity=options.severity.get(code) or report.severity or doc.severity,
        pipeline=dag,
        task=task.id if task is not None and isinstance(task.id, str) else None,
        origin=task.origin if task is not None else None,
        created_in=task.created_in if task is not None else None,
    )


def _internal_error(path: Path, error: Exception) -> Finding:
    if isinstance(error, RecursionError):
        return _file_finding(path, "DC003", "file too deep to analyse: its code nests too deeply")
    reason = f"{type(error).__name__}: {error}"
    message = f"dagcheck could not model this file ({reason}); please report it"
    return _file_finding(path, "DC000", message)


def _out_of_budget(path: Path, seconds: float) -> Finding:
    message = f"file too large or too deep to analyse: it took more than {seconds:g} s"
    return _file_finding(path, "DC003", message)


def _describe_syntax_error(source: bytes, error: cst.ParserSyntaxError) -> tuple[str, Span]:
    """Python's own wording and position for a syntax error ("expected ':'"), which users
    know from their editor; libcst's parser only says which token it could not take."""
    try:
        ast.parse(source)
    except SyntaxError as python_error:
        line = python_error.lineno or 1
        column = python_error.offset or 1
        return f"cannot parse file: {python_error.msg}", Span(line, column, line, column + 1)
    except (ValueError, RecursionError, MemoryError):
        pass
    line, column = error.editor_line, error.editor_column
    return (
        f"cannot parse file: syntax not supported by dagcheck's parser ({error.message})",
        Span(line, column, line, column + 1),
    )


def _search_roots(path: Path, root: Path) -> list[Path]:
    """Where ``import x.y`` may find x: the file's folder and each parent up to the scan root
    (Airflow puts the DAGs folder on sys.path; teams import shared modules from it)."""
    roots = [path.parent]
    resolved_root = root.resolve()
    current = path.parent
    while current.resolve() != resolved_root and current.parent != current:
        current = current.parent
        roots.append(current)
    return roots


def _package_of(path: Path, root: Path) -> str | None:
    try:
        relative = path.parent.resolve().relative_to(root.resolve())
    except ValueError:
        return None
    return ".".join(relative.parts)


def _file_finding(path: Path, code: str, message: str, span: Span | None = None) -> Finding:
    return Finding(
        code=code,
        message=message,
        path=path,
        span=span or Span(1, 1, 1, 1),
        severity=Severity.ERROR,
    )
