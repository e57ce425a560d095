"""Fixes: format-preserving rewrites of the code a finding points at.

A fix is a small function registered under its rule's code. It reads the file's syntax and
returns text edits (a character range and its replacement) and the imports the new code needs,
so every byte it does not touch stays exactly as written: comments, quotes, trailing commas,
line breaks. Whether a fix is safe or unsafe is declared in the rule's YAML.
"""

from __future__ import annotations

import bisect
import functools
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import libcst as cst
from libcst.metadata import MetadataWrapper, PositionProvider

from dagcheck.checklist import load_checklist
from dagcheck.config import RuleOptions
from dagcheck.findings import Finding, ProposedFix, TextEdit
from dagcheck.model.pipeline import Span
from dagcheck.model.positions import line_starts
from dagcheck.model.values import ImportedName, Scope, bind_import, literal_value


@dataclass(frozen=True, order=True)
class Edit:
    """Replace the characters ``start:end`` of the text with ``text``."""

    start: int
    end: int
    text: str


@dataclass(frozen=True)
class Import:
    """``from module import name``, or ``import module`` when there is no name."""

    module: str
    name: str | None = None

    @classmethod
    def dotted(cls, path: str) -> Import:
        """The import of a configured ``module.name`` (a team's callback)."""
        module, _, name = path.rpartition(".")
        return cls(module, name)

    @property
    def qualname(self) -> str:
        return f"{self.module}.{self.name}" if self.name else self.module

    @property
    def bound_name(self) -> str:
        """The name the import binds."""
        return self.name or self.module.partition(".")[0]


@dataclass(frozen=True)
class KeyedValue:
    """A ``keyword=value`` argument of a call or a ``"key": value`` entry of a dict."""

    container: cst.Call | cst.Dict
    items: list[Any]
    item: cst.Arg | cst.DictElement
    key: str


@dataclass
class Fix:
    edits: list[Edit] = field(default_factory=list)
    imports: list[Import] = field(default_factory=list)
    # When this fix is less safe than its rule's usual one (the same edit can be a no-op on
    # one Airflow version and a change of behaviour on another).
    safety: str | None = None


class Source:
    """A file's text and syntax, with positions computed only when a fix asks for them."""

    def __init__(self, text: str, module: cst.Module, target_airflow: str = "auto") -> None:
        self.text = text
        self.module = module
        self.target_airflow = target_airflow
        self._line_starts = line_starts(text)  # as libcst's positions count lines

    @functools.cached_property
    def airflow_major(self) -> str:
        """The Airflow major version the file is checked for: the target, else as the
        model decides (airflow.sdk imports, then the installed Airflow)."""
        if self.target_airflow in ("2", "3"):
            return self.target_airflow
        from dagcheck.model.airflow import detect_airflow_version

        return detect_airflow_version(self.module, self.text)

    def offset(self, line: int, column: int) -> int:
        """The character offset of a 1-based line and column."""
        return self._line_starts[line - 1] + column - 1

    def line_end(self, offset: int) -> tuple[int, int]:
        """Where the line holding ``offset`` ends: before its line break and after it (both
        the end of the text on a last line without one). A lone CR breaks a line too."""
        line = bisect.bisect_right(self._line_starts, offset)
        if line == len(self._line_starts):
            return len(self.text), len(self.text)
        after = self._line_starts[line]
        return (after - 2 if self.text.startswith("\r\n", after - 2) else after - 1), after

    def position(self, offset: int) -> tuple[int, int]:
        """The 1-based line and column of a character offset."""
        line = bisect.bisect_right(self._line_starts, offset)
        return line, offset - self._line_starts[line - 1] + 1

    @functools.cached_property
    def _positions(self) -> dict[cst.CSTNode, Span]:
        wrapper = MetadataWrapper(self.module, unsafe_skip_copy=True)
        positions = wrapper.resolve(PositionProvider)
        return {
            node: Span(p.start.line, p.start.column + 1, p.end.line, p.end.column + 1)
            for node, p in positions.items()
        }

    def nodes(self, kind: type[cst.CSTNode]) -> Iterator[cst.CSTNode]:
        """Every node of ``kind``, in no particular order."""
        return (node for node in self._positions if isinstance(node, kind))

    def starts_at(self, node: cst.CSTNode, span: Span) -> bool:
        position = self._positions.get(node)
        return position is not None and (position.line, position.column) == (
            span.line,
            span.column,
        )

    def nodes_at(self, span: Span, kind: type[cst.CSTNode]) -> Iterator[cst.CSTNode]:
        """Nodes of ``kind`` that start where ``span`` starts."""
        for node, position in self._positions.items():
            if isinstance(node, kind) and (position.line, position.column) == (
                span.line,
                span.column,
            ):
                yield node

    def replace(self, node: cst.CSTNode, text: str) -> Edit:
        position = self._positions[node]
        return Edit(
            self.offset(position.line, position.column),
            self.offset(position.end_line, position.end_column),
            text,
        )

    def add_keyword(self, call: cst.Call, keyword: str, value: str) -> Edit:
        """An edit adding ``keyword=value`` as the call's last argument."""
        return self.add_keywords(call, {keyword: value})

    def add_keywords(self, call: cst.Call, keywords: dict[str, str]) -> Edit:
        """An edit adding ``keyword=value`` arguments at the end of a call."""
        return self._append(call, call.args, [f"{k}={v}" for k, v in keywords.items()])

    def add_entries(self, mapping: cst.Dict, entries: dict[str, str]) -> Edit:
        """An edit adding ``key: value`` entries at the end of a dict literal."""
        return self._append(mapping, mapping.elements, [f"{k}: {v}" for k, v in entries.items()])

    def _append(self, container: cst.CSTNode, items: Sequence[Any], texts: list[str]) -> Edit:
        """``texts`` as the last items of a call or a literal, in its own layout: each on a
        line of its own (with a trailing comma) when the items are one per line, else after
        the last one, or alone between the brackets."""
        if not items:
            position = self._positions[container]
            closing = self.offset(position.end_line, position.end_column) - 1
            return Edit(closing, closing, ", ".join(texts))
        last = items[-1]
        position = self._positions[last]
        end = self.offset(position.end_line, position.end_column)
        line_start = self._line_starts[position.line - 1]
        indent = self.text[line_start : self.offset(position.line, position.column)]
        if indent.strip() == "":  # the last item starts a line of its own
            has_comma = isinstance(last.comma, cst.Comma)
            after = end + 1 if has_comma and self.text[end : end + 1] == "," else end
            rest = self.text[after : self.line_end(after)[0]]
            if rest.strip().startswith("#"):  # the item's own comment stays on its line
                after += len(rest)
            comma = "" if has_comma else ","
            newline = self.module.default_newline
            lines = "".join(f"{newline}{indent}{text}," for text in texts)
            return Edit(after, after, comma + lines)
        return Edit(end, end, "".join(f", {text}" for text in texts))

    def keyed_value_at(self, span: Span) -> KeyedValue | None:
        """The ``keyword=value`` argument or ``"key": value`` dict entry whose value starts
        where ``span`` starts (a setting's span is its value's)."""
        for node in self._positions:
            if isinstance(node, cst.Call):
                items: Sequence[cst.Arg | cst.DictElement | cst.BaseDictElement] = node.args
            elif isinstance(node, cst.Dict):
                items = node.elements
            else:
                continue
            for item in items:
                if isinstance(item, cst.Arg) and item.keyword is not None:
                    key = item.keyword.value
                elif isinstance(item, cst.DictElement) and isinstance(item.key, cst.SimpleString):
                    key = str(literal_value(item.key))
                else:
                    continue
                if self.starts_at(item.value, span):
                    return KeyedValue(node, list(items), item, key)
        return None

    def remove(self, keyed: KeyedValue) -> Edit:
        """An edit removing an argument or dict entry with its comma: its whole line when it
        has one of its own, else up to the next item, else back to the previous one."""
        items, item = keyed.items, keyed.item
        index = next(i for i, candidate in enumerate(items) if candidate is item)
        position = self._positions[item]
        start = self.offset(position.line, position.column)
        end = self.offset(position.end_line, position.end_column)
        with_comma = end + 1 if self.text[end : end + 1] == "," else end
        line_start = self._line_starts[position.line - 1]
        line_end = self.line_end(with_comma)[1]
        rest = self.text[with_comma:line_end].strip()
        if self.text[line_start:start].strip() == "" and (not rest or rest.startswith("#")):
            return Edit(line_start, line_end, "")
        if index + 1 < len(items):
            following = self._positions[items[index + 1]]
            return Edit(start, self.offset(following.line, following.column), "")
        if index > 0:  # the last item: from the end of the one before, keeping its comma
            previous = self._positions[items[index - 1]]
            return Edit(self.offset(previous.end_line, previous.end_column), end, "")
        return Edit(start, with_comma, "")

    @functools.cached_property
    def imported(self) -> dict[str, str]:
        """Names bound by the module's top-level imports: name -> qualified name."""
        scope = Scope()
        for statement in self.module.body:
            if isinstance(statement, cst.SimpleStatementLine):
                for small in statement.body:
                    if isinstance(small, cst.Import | cst.ImportFrom):
                        bind_import(scope, small, None)
        return {n: v.qualname for n, v in scope.names.items() if isinstance(v, ImportedName)}

    @functools.cached_property
    def bound(self) -> set[str]:
        """Every name the module binds at its top level, however."""
        names = set(self.imported)
        for statement in self.module.body:
            if isinstance(statement, cst.FunctionDef | cst.ClassDef):
                names.add(statement.name.value)
        for node in self.nodes(cst.AssignTarget):
            assert isinstance(node, cst.AssignTarget)
            if isinstance(node.target, cst.Name):
                names.add(node.target.value)
        return names

    def use(self, wanted: Import) -> tuple[str, list[Import]] | None:
        """How new code names an imported thing, the way the file already does (``timedelta``,
        ``dt.timedelta``, ``pendulum``), and the import to add when it has none; None when the
        name is already taken by something else."""
        for local, qualname in self.imported.items():
            if qualname == wanted.qualname:
                return local, []
        if wanted.name is not None:
            for local, qualname in self.imported.items():
                if qualname == wanted.module:
                    return f"{local}.{wanted.name}", []
        if wanted.bound_name in self.bound:
            return None
        return wanted.bound_name, [wanted]

    def use_all(self, *wanted: Import) -> tuple[list[str], list[Import]] | None:
        """:meth:`use` for several things: their names, and the imports to add; None when
        any name is taken."""
        used = [self.use(one) for one in wanted]
        if any(one is None for one in used):
            return None
        return [one[0] for one in used if one], [i for one in used if one for i in one[1]]

    def import_edits(self, imports: list[Import], untouchable: list[Edit]) -> list[Edit]:
        """Edits adding the imports the file lacks: names joined to the file's own
        ``from module import ...`` (unless another edit rewrites it), the rest on new lines
        after the last top-level import."""
        missing = [
            i for i in dict.fromkeys(imports) if self.imported.get(i.bound_name) != i.qualname
        ]
        edits, new_lines = [], []
        by_module: dict[str, list[Import]] = {}
        for wanted in missing:
            by_module.setdefault(wanted.module if wanted.name else "", []).append(wanted)
        for module, wanted_here in by_module.items():
            if not module:
                new_lines += [f"import {w.module}" for w in wanted_here]
                continue
            names = [w.name for w in wanted_here if w.name]
            statement = self._from_import(module, untouchable)
            if statement is None:
                new_lines.append(f"from {module} import {', '.join(names)}")
            else:
                edits.append(self._append(statement, statement.names, names))  # type: ignore[arg-type]
        if new_lines:
            edits.append(self._new_import_lines(new_lines))
        return edits

    def _from_import(self, module: str, untouchable: list[Edit]) -> cst.ImportFrom | None:
        """The file's top-level ``from module import a, b`` that new names can join."""
        for statement in self.module.body:
            if not isinstance(statement, cst.SimpleStatementLine):
                continue
            for small in statement.body:
                if (
                    isinstance(small, cst.ImportFrom)
                    and not small.relative
                    and small.module is not None
                    and self.module.code_for_node(small.module) == module
                    and not isinstance(small.names, cst.ImportStar)
                ):
                    written = self.replace(small, "")
                    if not any(
                        e.start < written.end and written.start < e.end for e in untouchable
                    ):
                        return small
        return None

    def _new_import_lines(self, lines: list[str]) -> Edit:
        newline = self.module.default_newline
        text = "".join(line + newline for line in lines)
        anchor = _after_last_import(self.module)
        if anchor is None:
            return Edit(0, 0, text)
        position = self._positions[anchor]
        at = self.offset(position.end_line, position.end_column)
        if at == 0 or self.text[at - 1] not in "\r\n":  # after the statement's line break
            at = self.line_end(at)[1]
        return Edit(at, at, text)


def _after_last_import(module: cst.Module) -> cst.CSTNode | None:
    last = None
    for statement in module.body:
        if isinstance(statement, cst.SimpleStatementLine) and all(
            isinstance(small, cst.Import | cst.ImportFrom) for small in statement.body
        ):
            last = statement
        elif last is not None:
            break
    return last


Fixer = Callable[[Source, Finding, RuleOptions], Fix | None]
# A rule shared by Airflow and Prefect has a fix for each: the first that applies is used.
_FIXERS: dict[str, list[Fixer]] = {}


def fixer(code: str) -> Callable[[Fixer], Fixer]:
    def register(function: Fixer) -> Fixer:
        _FIXERS.setdefault(code, []).append(function)
        return function

    return register


@functools.cache
def registered_fixers() -> dict[str, Fixer]:
    from dagcheck.fixes import airflow, prefect  # noqa: F401 (registers the fixes)

    return {code: _first_that_applies(fixers) for code, fixers in sorted(_FIXERS.items())}


def _first_that_applies(fixers: list[Fixer]) -> Fixer:
    def fix(source: Source, finding: Finding, policy: RuleOptions) -> Fix | None:
        if finding.created_in is not None:
            return None  # the task's code is in another file: its call here is not it
        return next((f for f in (fx(source, finding, policy) for fx in fixers) if f), None)

    return fix


def with_proposed_fixes(
    findings: list[Finding], source: Source, policy: RuleOptions
) -> list[Finding]:
    """The findings of one file, each with the fix ``dagcheck fix`` would apply to it (imports
    included), for the reports that show fixes; read from the syntax the check already
    parsed."""
    docs, fixers = load_checklist(), registered_fixers()
    proposed = []
    for finding in findings:
        doc, fix_finding = docs.get(finding.code), fixers.get(finding.code)
        fix = fix_finding(source, finding, policy) if fix_finding and doc else None
        if fix is None or doc is None or doc.fix.safety == "none":
            proposed.append(finding)
            continue
        edits = sorted([*fix.edits, *source.import_edits(fix.imports, fix.edits)])
        text_edits = tuple(
            TextEdit(source.position(edit.start), source.position(edit.end), edit.text)
            for edit in edits
        )
        proposed.append(replace(finding, fix=ProposedFix(fix.safety or doc.fix.safety, text_edits)))
    return proposed
