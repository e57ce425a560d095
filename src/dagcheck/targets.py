"""Which Airflow and Prefect a project runs, read from the files that pin it.

Airflow 2 and 3 (and Prefect 2 and 3) disagree on defaults and on what a DAG may say, so
several rules depend on the version. It is read, nearest first, from the folders between a
checked file and its project root: requirement and constraint files, ``pyproject.toml``
(PEP 621, Poetry, dependency groups), ``Pipfile``, ``setup.cfg``, lock files, and the image a
``Dockerfile`` or compose file builds from. Only regular files are read, never through a
link, and only their version numbers are used; nothing in them runs.
"""

from __future__ import annotations

import configparser
import functools
import os
import re
import stat
from collections.abc import Iterator
from pathlib import Path

from dagcheck.model.pipeline import TargetVersion

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

_MAX_BYTES = 1 << 20  # a pin file larger than this is not one people write

# The distributions whose version decides a framework's target.
_DISTRIBUTIONS = {
    "apache-airflow": "airflow",
    "apache-airflow-core": "airflow",
    "prefect": "prefect",
}
_SUPPORTED = {"airflow": ("2", "3"), "prefect": ("2", "3")}

# A requirement line: the name, optional extras, then the version specifiers.
_REQUIREMENT = re.compile(
    r"^\s*(?P<name>apache[-_.]airflow(?:[-_.]core)?|prefect)\s*(?:\[[^\]]*\])?"
    r"\s*(?P<spec>(?:[<>=!~]=?|===)[^;#\s]*(?:\s*,\s*(?:[<>=!~]=?|===)[^;#\s,]*)*)?"
    r"\s*(?:;|#|$)",
    re.IGNORECASE,
)
# Airflow's constraint files are named by the version they pin: constraints-2.9.3/...
_CONSTRAINTS_URL = re.compile(r"apache/airflow/constraints-(?P<version>\d+(?:\.\d+)*)")
# An image tag: apache/airflow:2.9.3-python3.11, apache/airflow:slim-2.10.2, prefect:2-python3.
_IMAGE = re.compile(
    r"(?P<image>apache/airflow|prefecthq/prefect):(?:slim-)?(?P<version>\d+(?:\.\d+)*)"
)
_ARG_VERSION = re.compile(
    r"^\s*ARG\s+(?P<name>AIRFLOW_VERSION|PREFECT_VERSION)\s*=\s*[\"']?(?P<version>\d+(?:\.\d+)*)",
    re.MULTILINE,
)
# A locked package: [[package]] name = "apache-airflow" version = "2.9.3" (poetry, uv, pdm).
_LOCKED = re.compile(
    r'^name\s*=\s*"(?P<name>apache-airflow(?:-core)?|prefect)"\s*\n'
    r'version\s*=\s*"(?P<version>\d+(?:\.\d+)*)',
    re.MULTILINE,
)
_SPECIFIER = re.compile(r"^(?P<op>===|==|~=|!=|<=|>=|<|>|\^|~)?\s*(?P<version>\d+(?:\.\d+)*)")


def project_targets(folder: Path, root: Path) -> dict[str, TargetVersion]:
    """The target of each framework the project pins, from ``folder`` up to ``root``."""
    return dict(_targets(folder.resolve(), root.resolve()))


@functools.lru_cache(maxsize=256)
def _targets(folder: Path, root: Path) -> tuple[tuple[str, TargetVersion], ...]:
    found: dict[str, TargetVersion] = {}
    if folder != root and root in folder.parents:
        found.update(_targets(folder.parent, root))
    # A nearer folder's pins replace those further up. Within one folder a lock file
    # decides; otherwise the pins must agree on the major version (a range that allows
    # both, such as prefect>=2.20, agrees with none), or the target is unknown.
    pins: dict[str, list[tuple[bool, TargetVersion | None]]] = {}
    for name in _candidates(folder):
        text = _read(folder / name)
        if text is None:
            continue
        relative = (folder / name).relative_to(root).as_posix()
        locked = name.lower().endswith(".lock")
        for framework, version, written in _pins(name, text):
            if version is None:
                pins.setdefault(framework, []).append((locked, None))
            elif version.split(".")[0] in _SUPPORTED[framework]:
                target = TargetVersion(framework, version.split(".")[0], version, relative, written)
                pins.setdefault(framework, []).append((locked, target))
    for framework, written in pins.items():
        locks = [target for locked, target in written if locked and target is not None]
        majors = {target.major if target else "any" for _, target in written}
        if locks:
            found[framework] = locks[0]
        elif len(majors) == 1 and "any" not in majors:
            agreeing = [target for _, target in written if target is not None]
            found[framework] = max(agreeing, key=lambda target: target.version.count("."))
        else:
            found.pop(framework, None)
    return tuple(found.items())


def _candidates(folder: Path) -> list[str]:
    """The pin files of one folder, the most exact first (a lock file, then pins)."""
    try:
        names = sorted(os.listdir(folder))
    except OSError:
        return []
    order = []
    for name in names:
        lower = name.lower()
        if lower in ("poetry.lock", "uv.lock", "pdm.lock"):
            order.append((0, name))
        elif lower.endswith(".txt") and lower.startswith(("requirements", "constraints")):
            order.append((1, name))
        elif lower in ("pyproject.toml", "pipfile", "setup.cfg"):
            order.append((2, name))
        elif (
            lower.startswith("dockerfile")
            or lower.endswith((".dockerfile", ".containerfile"))
            or re.match(r"(docker-)?compose.*\.ya?ml$", lower)
        ):
            order.append((3, name))
    return [name for _, name in sorted(order)]


def _read(path: Path) -> str | None:
    """A regular file's text (never through a link, never a FIFO), or None."""
    try:
        info = os.lstat(path)
        if not stat.S_ISREG(info.st_mode) or info.st_size > _MAX_BYTES:
            return None
        with open(path, "rb") as stream:
            return stream.read(_MAX_BYTES).decode("utf-8", errors="replace")
    except OSError:
        return None


def _pins(name: str, text: str) -> Iterator[tuple[str, str | None, str]]:
    """(framework, version, as written) for each pin the file holds; the version is None
    for a range that allows both major versions."""
    lower = name.lower()
    if lower.endswith(".lock"):
        for match in _LOCKED.finditer(text):
            yield _DISTRIBUTIONS[match["name"]], match["version"], f"{match['name']} locked"
    elif lower.endswith(".txt"):
        for line in text.splitlines():
            if match := _CONSTRAINTS_URL.search(line):
                yield "airflow", match["version"], f"constraints-{match['version']}"
            yield from _requirement(line)
    elif lower == "pyproject.toml":
        yield from _pyproject(text)
    elif lower == "pipfile":
        document = _toml(text)
        for section in ("packages", "dev-packages"):
            yield from _table_pins(document.get(section))
    elif lower == "setup.cfg":
        yield from _setup_cfg(text)
    else:  # a Dockerfile or a compose file
        arguments = {m["name"]: m["version"] for m in _ARG_VERSION.finditer(text)}
        for match in _IMAGE.finditer(text):
            framework = "airflow" if match["image"] == "apache/airflow" else "prefect"
            yield framework, match["version"], f"{match['image']}:{match['version']}"
        for argument, version in arguments.items():
            framework = "airflow" if argument.startswith("AIRFLOW") else "prefect"
            if re.search(rf"{_image_of(framework)}:(?:slim-)?\$\{{?{argument}\b", text):
                yield framework, version, f"{argument}={version}"


def _image_of(framework: str) -> str:
    return "apache/airflow" if framework == "airflow" else "prefecthq/prefect"


def _requirement(line: str) -> Iterator[tuple[str, str | None, str]]:
    match = _REQUIREMENT.match(line)
    if match is None or not match["spec"]:
        return
    name = re.sub(r"[-_.]+", "-", match["name"].lower())
    # None when the range allows both major versions.
    yield _DISTRIBUTIONS[name], _major_of(match["spec"]), f"{name}{match['spec'].replace(' ', '')}"


def _major_of(spec: str) -> str | None:
    """The one major version (or exact version) a specifier set allows, or None: ``==2.9.3``
    gives 2.9.3, ``>=2.7,<3`` gives 2, ``>=2.7`` (2 or 3) gives None."""
    allowed = {2, 3}
    exact = None
    for clause in spec.split(","):
        match = _SPECIFIER.match(clause.strip())
        if match is None:
            continue
        op, version = match["op"] or "==", match["version"]
        parts = [int(part) for part in version.split(".")]
        major, rest = parts[0], parts[1:]
        if op in ("==", "===", "~=", "^", "~"):
            allowed &= {major}
            if op in ("==", "===") and len(rest) >= 1 and not clause.strip().endswith("*"):
                exact = version
        elif op in (">=", ">"):
            allowed = {m for m in allowed if m >= major}
        elif op == "<":
            allowed = {m for m in allowed if m < major or (m == major and any(rest))}
        elif op == "<=":
            allowed = {m for m in allowed if m <= major}
    if len(allowed) != 1:
        return None
    return exact or str(allowed.pop())


def _toml(text: str) -> dict:
    try:
        return tomllib.loads(text)
    except (tomllib.TOMLDecodeError, ValueError, RecursionError):
        return {}


def _pyproject(text: str) -> Iterator[tuple[str, str | None, str]]:
    document = _toml(text)
    project = document.get("project")
    if isinstance(project, dict):
        yield from _lines(project.get("dependencies"))
        optional = project.get("optional-dependencies")
        for group in optional.values() if isinstance(optional, dict) else ():
            yield from _lines(group)
    groups = document.get("dependency-groups")
    for group in groups.values() if isinstance(groups, dict) else ():
        yield from _lines(group)
    tool = document.get("tool")
    poetry = tool.get("poetry") if isinstance(tool, dict) else None
    if isinstance(poetry, dict):
        yield from _table_pins(poetry.get("dependencies"))
        poetry_groups = poetry.get("group")
        for group in poetry_groups.values() if isinstance(poetry_groups, dict) else ():
            if isinstance(group, dict):
                yield from _table_pins(group.get("dependencies"))


def _lines(requirements: object) -> Iterator[tuple[str, str | None, str]]:
    for requirement in requirements if isinstance(requirements, list) else ():
        if isinstance(requirement, str):
            yield from _requirement(requirement)


def _table_pins(table: object) -> Iterator[tuple[str, str | None, str]]:
    """Pins of a Poetry or Pipfile table: ``apache-airflow = "^2.9"`` or ``{version=...}``."""
    for name, value in table.items() if isinstance(table, dict) else ():
        spec = value.get("version") if isinstance(value, dict) else value
        distribution = re.sub(r"[-_.]+", "-", name.lower()) if isinstance(name, str) else ""
        if distribution in _DISTRIBUTIONS and isinstance(spec, str) and spec.strip() != "*":
            version = _major_of(spec)
            yield _DISTRIBUTIONS[distribution], version, f"{distribution} {spec.strip()}"


def _setup_cfg(text: str) -> Iterator[tuple[str, str | None, str]]:
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read_string(text)
    except configparser.Error:
        return
    if parser.has_option("options", "install_requires"):
        for line in parser.get("options", "install_requires").splitlines():
            yield from _requirement(line)
