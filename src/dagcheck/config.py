"""``[tool.dagcheck]`` in pyproject.toml: found by walking up from the checked paths.

Every key is validated; a wrong key or value is a :class:`ConfigError` that names the file and
the key, which the CLI prints and exits 2 on.
"""

from __future__ import annotations

import datetime as dt
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dagcheck.findings import Severity

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib


class ConfigError(Exception):
    pass


# An importable callable: a module path and the name in it.
_DOTTED_PATH = re.compile(r"[A-Za-z_]\w*(\.[A-Za-z_]\w*)+")


@dataclass(frozen=True)
class RuleOptions:
    """Team policy that rules read."""

    min_retries: int = 1
    allowed_tags: tuple[str, ...] | None = None  # None: any tag
    required_tags: tuple[str, ...] = ()  # fnmatch patterns, e.g. "team:*"
    # What the unsafe fixes write: retries and the delay between them, in seconds.
    fix_retries: int = 2
    fix_retry_delay: int = 300
    # The longest wait between retries the backoff fix writes, in seconds.
    fix_max_retry_delay: int = 3600
    # Tags the unsafe fix for DC501 gives an untagged DAG (none: no fix is offered).
    fix_tags: tuple[str, ...] = ()
    # Timeouts the unsafe fixes write, in seconds: a task's, a DAG run's, a Prefect flow's or
    # task's.
    fix_execution_timeout: int = 3600
    fix_dagrun_timeout: int = 6 * 3600
    fix_timeout_seconds: int = 3600
    # The fixed start_date that replaces one read from the clock (None: the first of the
    # current month, UTC).
    fix_start_date: dt.date | None = None
    # The team's alerting, as importable dotted paths: a failure callback for DAGs that alert
    # nobody, and the (async) callback of the DeadlineAlert that replaces an SLA on Airflow 3.
    failure_callback: str | None = None
    deadline_callback: str | None = None
    # A Prefect state hook (flow, flow_run, state) for flows that alert nobody.
    failure_hook: str | None = None
    # Where the team keeps its runbooks (one <pipeline_id>.md each); DC506 reports a pipeline
    # without one. None: no runbook is expected.
    runbook_dir: Path | None = None


@dataclass(frozen=True)
class Config:
    select: tuple[str, ...] = ("DC",)
    ignore: tuple[str, ...] = ()
    extend_select: tuple[str, ...] = ()
    per_file_ignores: dict[str, tuple[str, ...]] = field(default_factory=dict)
    exclude: tuple[str, ...] = ()
    severity: dict[str, Severity] = field(default_factory=dict)
    fail_on: Severity = Severity.WARNING
    target_airflow: str = "auto"
    target_prefect: str = "auto"
    baseline: Path | None = None  # relative paths are relative to the config's folder
    # The loading engines: the interpreter with Airflow or Prefect, the seconds one file may
    # take to load, and the GB of address space a loading process may use.
    python: str | None = None
    load_timeout: float = 30.0
    load_memory: float = 4.0
    file_timeout: float = 30.0  # seconds one file may take to model, check or fix
    # Skip the files the project's .airflowignore keeps out of Airflow's DAG folder.
    respect_airflowignore: bool = True
    rule_options: RuleOptions = field(default_factory=RuleOptions)
    source: Path | None = None  # the pyproject.toml it came from
    root: Path | None = None  # its folder: per-file-ignores and excludes are relative to it


def find_config(paths: list[Path]) -> Path | None:
    """The nearest pyproject.toml with a [tool.dagcheck] table, from the first path up."""
    start = (paths[0] if paths else Path.cwd()).resolve()
    for folder in [start, *start.parents] if start.is_dir() else start.parents:
        candidate = folder / "pyproject.toml"
        if candidate.is_file() and "dagcheck" in _tool_tables(candidate):
            return candidate
    return None


def load_config(path: Path | None) -> Config:
    if path is None:
        return Config()
    table = _tool_tables(path).get("dagcheck")
    if table is None:
        if path.name != "pyproject.toml":
            raise ConfigError(f"{path}: no [tool.dagcheck] table")
        return Config(source=path, root=path.parent)
    return _parse(path, table)


def _tool_tables(path: Path) -> dict[str, Any]:
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"{path}: cannot read: {error}") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: not valid TOML: {error}") from None
    tool = document.get("tool", {})
    return tool if isinstance(tool, dict) else {}


def _parse(path: Path, table: dict[str, Any]) -> Config:
    def fail(key: str, message: str) -> ConfigError:
        return ConfigError(f"{path}: [tool.dagcheck] {key}: {message}")

    def codes(key: str) -> tuple[str, ...]:
        value = table.get(key, [])
        if not isinstance(value, list) or not all(
            isinstance(code, str) and code.upper().startswith("DC") for code in value
        ):
            raise fail(key, 'expected a list of rule codes or prefixes, e.g. ["DC2", "DC401"]')
        return tuple(code.upper() for code in value)

    def strings(key: str) -> tuple[str, ...]:
        value = table.get(key, [])
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            raise fail(key, "expected a list of strings")
        return tuple(value)

    def severity(key: str, value: Any) -> Severity:
        if value not in {s.value for s in Severity}:
            raise fail(key, f"expected error, warning or info, not {value!r}")
        return Severity(value)

    known = {
        "select", "ignore", "extend-select", "per-file-ignores", "exclude", "severity",
        "fail-on", "target-airflow", "target-prefect", "min-retries", "allowed-tags",
        "required-tags", "baseline", "fix-retries", "fix-retry-delay",
        "fix-execution-timeout", "fix-dagrun-timeout", "fix-timeout-seconds", "fix-tags",
        "fix-max-retry-delay", "fix-start-date", "failure-callback", "deadline-callback",
        "runbook-dir", "python", "dagbag-timeout", "dagbag-memory", "failure-hook",
        "file-timeout", "respect-airflowignore",
    }  # fmt: skip
    for key in table:
        if key not in known:
            raise fail(key, f"unknown key (known: {', '.join(sorted(known))})")
    per_file = table.get("per-file-ignores", {})
    if not isinstance(per_file, dict):
        raise fail("per-file-ignores", 'expected a table of glob = ["DC..."]')
    per_file_ignores = {}
    for pattern, value in per_file.items():
        if not isinstance(value, list) or not all(isinstance(c, str) for c in value):
            raise fail(f"per-file-ignores.{pattern}", "expected a list of rule codes")
        per_file_ignores[pattern] = tuple(code.upper() for code in value)
    severities = table.get("severity", {})
    if not isinstance(severities, dict):
        raise fail("severity", 'expected a table of code = "error" | "warning" | "info"')
    targets = {}
    for framework in ("airflow", "prefect"):
        key = f"target-{framework}"
        targets[framework] = str(table.get(key, "auto"))
        if targets[framework] not in ("auto", "2", "3"):
            raise fail(key, f'expected "auto", "2" or "3", not {table[key]!r}')
    baseline = table.get("baseline")
    if baseline is not None and not isinstance(baseline, str):
        raise fail("baseline", f"expected a file name, not {baseline!r}")
    python = table.get("python")
    if python is not None and not isinstance(python, str):
        raise fail("python", f"expected the path of a Python interpreter, not {python!r}")
    if isinstance(python, str) and ("/" in python or "\\" in python):
        python = str(path.parent / python)  # relative to the config's folder

    def seconds(key: str, default: float) -> float:
        value = table.get(key, default)
        if not isinstance(value, int | float) or isinstance(value, bool) or value <= 0:
            raise fail(key, f"expected a number of seconds > 0, not {value!r}")
        return float(value)

    def gigabytes(key: str, default: float) -> float:
        value = table.get(key, default)
        if (
            not isinstance(value, int | float)
            or isinstance(value, bool)
            or not 0 < value < float("inf")
        ):
            raise fail(key, f"expected a number of GB > 0, such as 4 or 0.5, not {value!r}")
        return float(value)

    runbook_dir = table.get("runbook-dir")
    if runbook_dir is not None and not isinstance(runbook_dir, str):
        raise fail("runbook-dir", f"expected a folder name, not {runbook_dir!r}")

    def whole_number(key: str, default: int, minimum: int) -> int:
        value = table.get(key, default)
        if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
            raise fail(key, f"expected a whole number >= {minimum}, not {value!r}")
        return value

    def flag(key: str, default: bool) -> bool:
        value = table.get(key, default)
        if not isinstance(value, bool):
            raise fail(key, f"expected true or false, not {value!r}")
        return value

    min_retries = whole_number("min-retries", 1, 0)
    fix_retries = whole_number("fix-retries", 2, 1)
    fix_retry_delay = whole_number("fix-retry-delay", 300, 0)

    def dotted_path(key: str) -> str | None:
        value = table.get(key)
        if value is not None and not (isinstance(value, str) and _DOTTED_PATH.fullmatch(value)):
            raise fail(key, f'expected an importable "module.name", not {value!r}')
        return value

    start_date = table.get("fix-start-date")
    if start_date is not None and not isinstance(start_date, dt.date | str):
        raise fail("fix-start-date", f"expected a date such as 2024-01-01, not {start_date!r}")
    if isinstance(start_date, str):
        try:
            start_date = dt.date.fromisoformat(start_date)
        except ValueError:
            raise fail(
                "fix-start-date", f"expected a date such as 2024-01-01, not {start_date!r}"
            ) from None
    if isinstance(start_date, dt.datetime):
        start_date = start_date.date()
    fix_timeouts = {
        key: whole_number(f"fix-{key.replace('_', '-')}", default, 1)
        for key, default in (
            ("execution_timeout", 3600),
            ("dagrun_timeout", 6 * 3600),
            ("timeout_seconds", 3600),
        )
    }
    return Config(
        select=codes("select") if "select" in table else ("DC",),
        ignore=codes("ignore"),
        extend_select=codes("extend-select"),
        per_file_ignores=per_file_ignores,
        exclude=strings("exclude"),
        severity={
            code.upper(): severity(f"severity.{code}", value) for code, value in severities.items()
        },
        fail_on=severity("fail-on", table.get("fail-on", "warning")),
        target_airflow=targets["airflow"],
        target_prefect=targets["prefect"],
        baseline=path.parent / baseline if isinstance(baseline, str) else None,
        python=python,
        load_timeout=seconds("dagbag-timeout", 30),
        load_memory=gigabytes("dagbag-memory", 4),
        file_timeout=seconds("file-timeout", 30),
        respect_airflowignore=flag("respect-airflowignore", True),
        rule_options=RuleOptions(
            min_retries=min_retries,
            allowed_tags=strings("allowed-tags") if "allowed-tags" in table else None,
            required_tags=strings("required-tags"),
            fix_retries=fix_retries,
            fix_tags=strings("fix-tags"),
            fix_retry_delay=fix_retry_delay,
            fix_execution_timeout=fix_timeouts["execution_timeout"],
            fix_dagrun_timeout=fix_timeouts["dagrun_timeout"],
            fix_timeout_seconds=fix_timeouts["timeout_seconds"],
            fix_max_retry_delay=whole_number("fix-max-retry-delay", 3600, 1),
            fix_start_date=start_date,
            failure_callback=dotted_path("failure-callback"),
            deadline_callback=dotted_path("deadline-callback"),
            failure_hook=dotted_path("failure-hook"),
            runbook_dir=path.parent / runbook_dir if isinstance(runbook_dir, str) else None,
        ),
        source=path,
        root=path.parent,
    )
