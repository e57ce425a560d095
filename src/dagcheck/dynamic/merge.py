"""What the loading engines share: turning a loader's values into the model's, comparing
them with the static model's, and merging the two."""

from __future__ import annotations

import datetime as dt
import inspect
import re
from dataclasses import dataclass, field, replace
from typing import Any

from dagcheck.model.pipeline import (
    FunctionRef,
    ObjectValue,
    Provenance,
    Setting,
    Span,
    Unknown,
    WallClock,
)


@dataclass
class Disagreement:
    """A setting on which the static model and the loaded one differ."""

    pipeline: str
    task: str | None
    name: str
    static: str
    dynamic: str


@dataclass
class Comparison:
    """How the static model of one file compares with what was loaded from it."""

    compared: int = 0  # settings both sides resolved
    disagreements: list[Disagreement] = field(default_factory=list)
    # Settings only loading could resolve (the static model had them as unknown).
    resolved_by_loading: int = 0
    only_loaded: list[str] = field(default_factory=list)  # "pipeline" or "pipeline.task" ids
    only_static: list[str] = field(default_factory=list)

    def add(self, other: Comparison) -> None:
        self.compared += other.compared
        self.disagreements += other.disagreements
        self.resolved_by_loading += other.resolved_by_loading
        self.only_loaded += other.only_loaded
        self.only_static += other.only_static


def merged_settings(
    dynamic: dict[str, Setting],
    static: dict[str, Setting],
    comparison: Comparison,
    dag_id: str,
    task_id: str | None,
    keep_static: bool,
) -> dict[str, Setting]:
    merged: dict[str, Setting] = {}
    for name, loaded in dynamic.items():
        written = static.get(name)
        if written is None:
            merged[name] = loaded
        elif written.provenance is Provenance.CONTEXT:
            # Prefect applies `with tags(...)` when the flow runs: the import cannot see it.
            merged[name] = written
        elif isinstance(written.value, WallClock) and keep_static:
            merged[name] = written  # the loader saw one moment of a value that moves
        elif not written.known:
            comparison.resolved_by_loading += 1
            merged[name] = replace(loaded, span=written.span, text=written.text)
        elif same(written.value, loaded.value):
            comparison.compared += 1
            merged[name] = written
        else:
            comparison.compared += 1
            comparison.disagreements.append(
                Disagreement(dag_id, task_id, name, text_of(written.value), text_of(loaded.value))
            )
            merged[name] = replace(loaded, span=written.span, text=written.text)
    # Settings this Airflow does not have (retry_policy before 3.3) keep the static model's.
    merged.update({n: s for n, s in static.items() if n not in merged})
    return merged


def decode(encoded: Any) -> Any:
    """A loader value as the static model holds values."""
    if not isinstance(encoded, dict):
        return encoded
    if "timedelta" in encoded:
        return dt.timedelta(seconds=encoded["timedelta"])
    if "datetime" in encoded:
        return dt.datetime.fromisoformat(encoded["datetime"])
    if "date" in encoded:
        return dt.date.fromisoformat(encoded["date"])
    if "list" in encoded:
        return [decode(item) for item in encoded["list"]]
    if "dict" in encoded:
        return {key: decode(item) for key, item in encoded["dict"].items()}
    if "function" in encoded:
        return FunctionRef(encoded["function"])
    if "object" in encoded:
        return ObjectValue(encoded["object"], encoded.get("repr", ""))
    return Unknown(str(encoded))


def same(static: Any, dynamic: Any) -> bool:
    """Whether two values mean the same setting, across the ways each side writes it."""
    if static in (None, []) and dynamic in (None, []):
        return True  # Airflow keeps "no callbacks" as an empty list
    if static == 0 and dynamic is None and not isinstance(static, bool):
        return True  # Prefect stores timeout_seconds=0 (no timeout) as None
    if isinstance(static, list) and isinstance(dynamic, ObjectValue):
        return dynamic.name in ("DatasetAll", "AssetAll")  # Airflow 2 wraps a list of datasets
    if isinstance(static, ObjectValue) and static.name == "exponential_backoff":
        return isinstance(dynamic, list)  # Prefect computes the delays when the task is made
    if isinstance(dynamic, dt.timedelta) and isinstance(static, int | float):
        static = dt.timedelta(seconds=static)  # Airflow turns seconds into a timedelta
    if isinstance(static, str) and isinstance(dynamic, str):
        return inspect.cleandoc(static) == inspect.cleandoc(dynamic)  # docs, dedented or not
    if isinstance(static, bool) or isinstance(dynamic, bool):
        return static == dynamic  # retry_exponential_backoff False and 0 are equal too
    if isinstance(static, dt.datetime) and isinstance(dynamic, dt.datetime):
        as_utc = [v if v.tzinfo else v.replace(tzinfo=dt.timezone.utc) for v in (static, dynamic)]
        return as_utc[0] == as_utc[1]
    if isinstance(static, list | tuple | set) and isinstance(dynamic, list | tuple | set):
        return len(static) == len(dynamic) and all(any(same(s, d) for d in dynamic) for s in static)
    if isinstance(static, FunctionRef | ObjectValue) or isinstance(
        dynamic, FunctionRef | ObjectValue
    ):
        return _short_name(static) == _short_name(dynamic)
    if isinstance(static, int | float) and isinstance(dynamic, int | float):
        return float(static) == float(dynamic)
    return bool(static == dynamic)


def _short_name(value: Any) -> str | None:
    if isinstance(value, FunctionRef):
        return value.name.rsplit(".", 1)[-1]
    if isinstance(value, ObjectValue):
        return value.name
    return None


def text_of(value: Any) -> str:
    if isinstance(value, Unknown):
        return value.text
    if isinstance(value, FunctionRef):
        return value.name
    if isinstance(value, ObjectValue):
        return value.text or value.qualname
    if isinstance(value, dt.timedelta):
        return f"timedelta(seconds={value.total_seconds():g})"
    if isinstance(value, list):
        return "[" + ", ".join(text_of(v) for v in value) + "]"
    return repr(value)


def span_of_text(source: str, name: str) -> Span | None:
    """Where an id the static model did not see is written in the file, as a quoted string
    (a DAG made by a factory may have its id built from parts: then nowhere)."""
    match = re.search(rf"""(["']){re.escape(name)}\1""", source)
    if match is None:
        return None
    line = source.count("\n", 0, match.start()) + 1
    column = match.start() - (source.rfind("\n", 0, match.start()) + 1) + 1
    return Span(line, column, line, column + len(match.group(0)))
