"""Static evaluation of the Python values a pipeline's settings are written with.

Only what is certain is evaluated: literals, containers, f-strings over known parts, simple
arithmetic, ``timedelta``/``datetime``/``pendulum`` constructors with literal arguments, names
bound earlier in the file, and module-level constants of other modules in the scanned tree.
Everything else evaluates to :class:`Unknown` carrying its source text.

Imports are resolved with a small table of the module's own import statements (a name bound
to :class:`ImportedName`) instead of libcst's QualifiedNameProvider, which is too slow for the
per-file hot path.
"""

from __future__ import annotations

import datetime as dt
import functools
import os.path
import re
import string
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

import libcst as cst

from dagcheck.discover import UnreadableFile, read_source, tree_file
from dagcheck.model.pipeline import ObjectValue, Unknown, WallClock

_EMPTY_MODULE = cst.Module(body=[])
# Calls that read the clock: a DAG argument built from them changes at every parse.
WALL_CLOCK = {
    "datetime.datetime.now",
    "datetime.datetime.utcnow",
    "datetime.datetime.today",
    "datetime.date.today",
    "time.time",
    "pendulum.now",
    "pendulum.today",
    "pendulum.yesterday",
    "pendulum.tomorrow",
    "airflow.utils.dates.days_ago",
    "airflow.utils.timezone.utcnow",
    "airflow.sdk.timezone.utcnow",
}
MAX_ITERATIONS_PER_FILE = 10_000


def code_of(node: cst.CSTNode) -> str:
    return _EMPTY_MODULE.code_for_node(node).strip()


def literal_value(node: cst.SimpleString | cst.ConcatenatedString) -> Any:
    """A string literal's value, or Unknown for one Python refuses to compile: libcst's
    parser takes an invalid escape (``"\\x4"``), a null byte or non-ASCII bytes, and its
    ``evaluated_value`` raises on them."""
    try:
        return node.evaluated_value
    except (SyntaxError, ValueError):
        return Unknown(code_of(node))


@dataclass(frozen=True)
class ImportedName:
    """A name bound by an import: its fully qualified name, e.g. ``airflow.sdk.DAG``."""

    qualname: str

    def attribute(self, name: str) -> ImportedName:
        return ImportedName(f"{self.qualname}.{name}")


class Scope:
    """Names bound so far, innermost scope first; function bodies get a child scope."""

    def __init__(self, parent: Scope | None = None) -> None:
        self.parent = parent
        self.names: dict[str, Any] = {}

    def lookup(self, name: str) -> Any:
        scope: Scope | None = self
        while scope is not None:
            if name in scope.names:
                return scope.names[name]
            scope = scope.parent
        return _BUILTINS.get(name, Unknown(name))

    def bind(self, name: str, value: Any) -> None:
        self.names[name] = value


_BUILTINS: dict[str, Any] = {
    "True": True,
    "False": False,
    "None": None,
    # DagBag imports a DAG file under a mangled module name, never as __main__.
    "__name__": "dag_module",
    **{
        name: ImportedName(f"builtins.{name}")
        for name in ("dict", "list", "tuple", "set", "range", "len", "str", "int", "float")
    },
}


def qualname_in(scope: Scope, expression: cst.BaseExpression) -> str | None:
    """The qualified name a dotted expression stands for through the scope's imports
    (``pd.read_csv`` -> ``pandas.read_csv``), if it is one."""
    if isinstance(expression, cst.Name):
        value = scope.lookup(expression.value)
        return value.qualname if isinstance(value, ImportedName) else None
    if isinstance(expression, cst.Attribute):
        base = qualname_in(scope, expression.value)
        return f"{base}.{expression.attr.value}" if base else None
    return None


def bind_import(scope: Scope, node: cst.Import | cst.ImportFrom, package: str | None) -> None:
    """Bind the names an import statement introduces.

    ``package`` is the dotted package of the importing file (for relative imports), when known.
    """
    if isinstance(node, cst.Import):
        for alias in node.names:
            dotted = code_of(alias.name)
            if alias.asname is not None:
                scope.bind(code_of(alias.asname.name), ImportedName(dotted))
            else:
                top = dotted.split(".")[0]
                scope.bind(top, ImportedName(top))
        return
    module = code_of(node.module) if node.module is not None else ""
    if node.relative:
        dots = len(node.relative)
        if package is None:
            base = ""
        else:
            parts = package.split(".") if package else []
            base = ".".join(parts[: len(parts) - (dots - 1)]) if dots > 1 else package
        module = ".".join(p for p in (base, module) if p)
    if isinstance(node.names, cst.ImportStar):
        return
    for alias in node.names:
        name = code_of(alias.name)
        bound = code_of(alias.asname.name) if alias.asname is not None else name
        scope.bind(bound, ImportedName(f"{module}.{name}" if module else name))


class ModuleConstants:
    """Module-level constants of other modules in the scanned tree, for cross-file lookups.

    ``from common.defaults import DEFAULT_ARGS`` resolves when ``common/defaults.py`` sits in
    one of the search roots (Airflow puts the DAGs folder on ``sys.path``). ``scopes`` is
    shared between the files of a run so that each module is parsed at most once.
    """

    def __init__(self, roots: list[Path], scopes: dict[Any, Scope | None]) -> None:
        self.roots = roots
        self.scopes = scopes
        self._found: dict[str, Path | None] = {}

    def lookup(self, qualname: str) -> Any:
        module, _, name = qualname.rpartition(".")
        path = self.find(module) if module else None
        if path is None:
            return Unknown(qualname)
        scope = self._module_scope(module, path)
        if scope is None or name not in scope.names:
            return Unknown(qualname)
        return scope.names[name]

    def _module_scope(self, module: str, path: Path) -> Scope | None:
        if path in self.scopes:
            return self.scopes[path]
        self.scopes[path] = None  # guards against import cycles
        parsed = self.parse(module, path)
        if parsed is None:
            return None
        tree, _, package = parsed
        scope = Scope()
        evaluator = Evaluator(scope, self)
        for statement in tree.body:
            evaluator.bind_simple_statement(statement, package)
        self.scopes[path] = scope
        return scope

    def interpreted(
        self,
        framework: str,
        qualname: str,
        interpret: Callable[[str, Path, cst.Module, str, str], Scope],
    ) -> tuple[Path, Scope] | None:
        """The file and names of the tree module that defines ``qualname`` (``module.name``),
        as ``interpret(module, path, tree, source, package)`` reads them, once per framework
        and run; None if it is no module of the tree, cannot be read, or is being read
        already (an import cycle)."""
        module = qualname.rpartition(".")[0]
        path = self.find(module) if module else None
        if path is None:
            return None
        key = (framework, path)
        if key not in self.scopes:
            self.scopes[key] = None  # guards against import cycles
            parsed = self.parse(module, path)
            if parsed is not None:
                self.scopes[key] = interpret(module, path, *parsed)
        scope = self.scopes[key]
        return (path, scope) if scope is not None else None

    @staticmethod
    def parse(module: str, path: Path) -> tuple[cst.Module, str, str] | None:
        """The tree, source text and package of a module of the tree found at ``path``;
        None when it cannot be read or does not parse (its names then stay unknown)."""
        try:
            source_bytes = read_source(path)
            tree = cst.parse_module(source_bytes)
            source = source_bytes.decode(tree.encoding)
        except (UnreadableFile, cst.ParserSyntaxError, SyntaxError, ValueError, LookupError):
            return None  # (LookupError, ValueError: an unknown or wrong coding line)
        package = module if path.name == "__init__.py" else module.rpartition(".")[0]
        return tree, source, package

    def find(self, module: str) -> Path | None:
        """The file of a module of the scanned tree, if it is one: a regular file, or a link to
        one inside the scan root (never a link out of the tree, a FIFO or a loop)."""
        if module not in self._found:
            self._found[module] = self._find(module)
        return self._found[module]

    def _find(self, module: str) -> Path | None:
        relative = Path(*module.split("."))
        for root in self.roots:
            for candidate in (root / relative.with_suffix(".py"), root / relative / "__init__.py"):
                if tree_file(candidate, self.roots[-1]):
                    return candidate
        return None


# Library modules whose names are never looked up as constants of the scanned tree.
_LIBRARY_ROOTS = frozenset(
    {
        "airflow",
        "prefect",
        "datetime",
        "pendulum",
        "os",
        "sys",
        "builtins",
        "json",
        "time",
        "typing",
    }
)

# Constructors evaluated when all their arguments are literals.
_TIMEDELTA = {"datetime.timedelta", "pendulum.duration", "airflow.sdk.timedelta"}
_DATETIME = {"datetime.datetime", "pendulum.datetime", "pendulum.DateTime"}


class Evaluator:
    """Evaluates expressions against a scope; never runs user code."""

    def __init__(self, scope: Scope, constants: ModuleConstants | None = None) -> None:
        self.scope = scope
        self.constants = constants
        # Loop iterations left to unroll in this file: nested loops over literal ranges must
        # not turn one file into millions of tasks.
        self.iterations_left = MAX_ITERATIONS_PER_FILE
        # Where each key of an evaluated dict was written in this file, so that a setting
        # drawn from default_args points at its own value, not at the whole dict.
        self._dict_sources: dict[int, tuple[dict[Any, Any], dict[Any, cst.BaseExpression]]] = {}

    def key_source(self, mapping: dict[Any, Any], key: Any) -> cst.BaseExpression | None:
        """The expression that gave ``mapping[key]``, when it was written in this file."""
        recorded = self._dict_sources.get(id(mapping))
        return recorded[1].get(key) if recorded is not None else None

    def record_dict(
        self, mapping: dict[Any, Any], sources: dict[Any, cst.BaseExpression]
    ) -> dict[Any, Any]:
        self._dict_sources[id(mapping)] = (mapping, sources)  # keeps the id's object alive
        return mapping

    def sources_of(self, mapping: dict[Any, Any]) -> dict[Any, cst.BaseExpression]:
        recorded = self._dict_sources.get(id(mapping))
        return dict(recorded[1]) if recorded is not None else {}

    def iteration_values(self, value: Any) -> list[Any] | None:
        """What a ``for`` over ``value`` iterates, when known and within the budget."""
        if isinstance(value, dict):
            value = list(value)
        if isinstance(value, set):
            value = sorted(value, key=repr)
        if not isinstance(value, list | tuple | range | str) or len(value) > self.iterations_left:
            return None
        self.iterations_left -= len(value)
        return list(value)

    def bind_simple_statement(self, statement: cst.CSTNode, package: str | None) -> None:
        """Bind imports and ``NAME = expr`` assignments; ignore everything else."""
        if not isinstance(statement, cst.SimpleStatementLine):
            return
        for small in statement.body:
            if isinstance(small, cst.Import | cst.ImportFrom):
                bind_import(self.scope, small, package)
            elif self.mutate(small):
                continue
            elif isinstance(small, cst.Assign):
                value = self.evaluate(small.value)
                for target in small.targets:
                    self.assign(target.target, value)
            elif isinstance(small, cst.AnnAssign) and small.value is not None:
                self.assign(small.target, self.evaluate(small.value))

    def mutate(self, small: cst.BaseSmallStatement) -> bool:
        """Follow a statement that changes a bound name's value in place: ``x += ...``,
        ``args |= {...}``, ``args["retries"] = 3``, ``args.update(...)``. Returns whether
        ``small`` was one; a change that cannot be followed leaves the name unknown, never
        its old value (DAGs copy their default_args when built, so a change affects what
        is built after it)."""
        if isinstance(small, cst.AugAssign) and isinstance(small.target, cst.Name):
            operator = getattr(cst, type(small.operator).__name__.removesuffix("Assign"), None)
            current = self.evaluate(small.target)
            if operator is None:
                new: Any = Unknown(code_of(small.target))
            else:
                expression = cst.BinaryOperation(small.target, operator(), small.value)
                new = self.combine(expression, current, self.evaluate(small.value))
            self.scope.bind(small.target.value, new)
            return True
        if (
            isinstance(small, cst.Assign)
            and len(small.targets) == 1
            and isinstance(target := small.targets[0].target, cst.Subscript)
            and isinstance(target.value, cst.Name)
        ):
            name = target.value.value
            mapping = self.evaluate(target.value)
            if not isinstance(mapping, dict):
                return False  # an object we do not track
            key = _subscript_key(self, target)
            if key is None:
                self.scope.bind(name, Unknown(name))
            else:
                sources = {**self.sources_of(mapping), key: small.value}
                changed = {**mapping, key: self.evaluate(small.value)}
                self.scope.bind(name, self.record_dict(changed, sources))
            return True
        if (
            isinstance(small, cst.Expr)
            and isinstance(call := small.value, cst.Call)
            and isinstance(call.func, cst.Attribute)
            and isinstance(call.func.value, cst.Name)
            and call.func.attr.value in _DICT_MUTATORS
        ):
            name = call.func.value.value
            mapping = self.evaluate(call.func.value)
            if not isinstance(mapping, dict):
                return False
            plain = len(call.args) == 1 and not call.args[0].star and not call.args[0].keyword
            update = self.evaluate(call.args[0].value) if plain else None
            if call.func.attr.value == "update" and isinstance(update, dict):
                sources = {k: v for k, v in self.sources_of(mapping).items() if k not in update}
                sources.update(self.sources_of(update))
                self.scope.bind(name, self.record_dict({**mapping, **update}, sources))
            else:
                self.scope.bind(name, Unknown(name))
            return True
        return False

    def assign(self, target: cst.BaseExpression, value: Any) -> None:
        if isinstance(target, cst.Name):
            self.scope.bind(target.value, value)
        elif isinstance(target, cst.Tuple | cst.List):
            names = [e.value for e in target.elements]
            if isinstance(value, list | tuple) and len(value) == len(names):
                for name, item in zip(names, value, strict=True):
                    self.assign(name, item)
            else:
                for name in names:
                    self.assign(name, Unknown(code_of(name)))
        # Attribute and subscript targets change objects we do not track.

    # -- expressions -------------------------------------------------------------------------

    def evaluate(self, node: cst.BaseExpression) -> Any:
        method = getattr(self, f"_eval_{type(node).__name__}", None)
        if method is None:
            return Unknown(code_of(node))
        return method(node)

    def _eval_Integer(self, node: cst.Integer) -> Any:
        return node.evaluated_value

    def _eval_Float(self, node: cst.Float) -> Any:
        return node.evaluated_value

    def _eval_SimpleString(self, node: cst.SimpleString) -> Any:
        prefix = node.prefix.lower()
        if "b" in prefix:
            return Unknown(node.value)
        return literal_value(node)

    def _eval_ConcatenatedString(self, node: cst.ConcatenatedString) -> Any:
        left, right = self.evaluate(node.left), self.evaluate(node.right)
        if isinstance(left, str) and isinstance(right, str):
            return left + right
        return Unknown(code_of(node))

    def _eval_FormattedString(self, node: cst.FormattedString) -> Any:
        parts: list[str] = []
        for part in node.parts:
            if isinstance(part, cst.FormattedStringText):
                parts.append(part.value)
                continue
            value = self.evaluate(part.expression)
            if isinstance(value, WallClock):
                return WallClock(code_of(node))  # f"load {datetime.now()}" still moves
            if (
                isinstance(value, Unknown | ImportedName)
                or part.conversion is not None
                or part.format_spec is not None
                or not isinstance(value, str | int | float)
            ):
                return Unknown(code_of(node))
            parts.append(str(value))
        return "".join(parts).replace("{{", "{").replace("}}", "}")

    def _eval_Name(self, node: cst.Name) -> Any:
        value = self.scope.lookup(node.value)
        return self._resolve_constant(value)

    def _eval_Attribute(self, node: cst.Attribute) -> Any:
        base = self.evaluate(node.value)
        name = node.attr.value
        if isinstance(base, ImportedName):
            qualname = base.attribute(name)
            if _is_trigger_rule_enum(base.qualname) and name.isupper():
                return name.lower()  # TriggerRule is a str enum: ALL_DONE == "all_done"
            owner = base.qualname.rpartition(".")[2]
            if name.isupper() and owner[:1].isupper() and base.qualname.startswith("airflow."):
                # An enum member or constant of an Airflow class, such as
                # DeadlineReference.DAGRUN_QUEUED_AT: a framework value we can name.
                return ObjectValue(qualname.qualname, code_of(node))
            return self._resolve_constant(qualname)
        return self.attribute(base, name, node)

    def attribute(self, base: Any, name: str, node: cst.Attribute) -> Any:
        """Value of ``base.name`` for values the evaluator does not know (builders extend)."""
        if isinstance(base, WallClock):
            return WallClock(code_of(node))
        if isinstance(base, _Path) and name in _PATH_PARTS:
            return _PATH_PARTS[name](base.path)
        if isinstance(base, str) and name in _STRING_METHODS:
            return StringMethod(base, name)
        return Unknown(code_of(node))

    def _eval_Subscript(self, node: cst.Subscript) -> Any:
        return self.subscript(self.evaluate(node.value), node)

    def subscript(self, base: Any, node: cst.Subscript) -> Any:
        """Value of ``base[key]``, ``base`` already evaluated (builders extend): each level of
        ``x[0][0]...`` is evaluated once."""
        if len(node.slice) != 1 or not isinstance(node.slice[0].slice, cst.Index):
            return Unknown(code_of(node))
        key = self.evaluate(node.slice[0].slice.value)
        if isinstance(base, dict) and _hashable(key) and key in base:
            return base[key]
        if (
            isinstance(base, list | tuple)
            and isinstance(key, int)
            and -len(base) <= key < len(base)
        ):
            return base[key]
        return Unknown(code_of(node))

    def _resolve_constant(self, value: Any) -> Any:
        if (
            isinstance(value, ImportedName)
            and self.constants is not None
            and value.qualname.split(".")[0] not in _LIBRARY_ROOTS
        ):
            resolved = self.constants.lookup(value.qualname)
            if not isinstance(resolved, Unknown):
                return resolved
        return value

    def _eval_List(self, node: cst.List) -> Any:
        return self._elements(node.elements, node)

    def _eval_Tuple(self, node: cst.Tuple) -> Any:
        items = self._elements(node.elements, node)
        return tuple(items) if isinstance(items, list) else items

    def _eval_Set(self, node: cst.Set) -> Any:
        items = self._elements(node.elements, node)
        if isinstance(items, list) and all(_hashable(i) for i in items):
            return set(items)
        return Unknown(code_of(node))

    def _elements(self, elements: Any, node: cst.CSTNode) -> Any:
        items: list[Any] = []
        for element in elements:
            value = self.evaluate(element.value)
            if isinstance(element, cst.StarredElement):
                if not isinstance(value, list | tuple):
                    return Unknown(code_of(node))
                items.extend(value)
            else:
                items.append(value)
        return items

    def _eval_Dict(self, node: cst.Dict) -> Any:
        result: dict[Any, Any] = {}
        sources: dict[Any, cst.BaseExpression] = {}
        for element in node.elements:
            if isinstance(element, cst.StarredDictElement):
                base = self.evaluate(element.value)
                if not isinstance(base, dict):
                    return Unknown(code_of(node))
                result.update(base)
                sources = {k: v for k, v in sources.items() if k not in base}
                sources.update(self.sources_of(base))
                continue
            key = self.evaluate(element.key)
            if isinstance(key, Unknown | ImportedName) or not _hashable(key):
                return Unknown(code_of(node))
            result[key] = self.evaluate(element.value)
            sources[key] = element.value
        return self.record_dict(result, sources)

    def _eval_ListComp(self, node: cst.ListComp) -> Any:
        return self._comprehension(node, lambda: [self.evaluate(node.elt)])

    def _eval_GeneratorExp(self, node: cst.GeneratorExp) -> Any:
        return self._comprehension(node, lambda: [self.evaluate(node.elt)])

    def _eval_SetComp(self, node: cst.SetComp) -> Any:
        items = self._comprehension(node, lambda: [self.evaluate(node.elt)])
        if isinstance(items, list) and all(_hashable(i) for i in items):
            return set(items)
        return Unknown(code_of(node))

    def _eval_DictComp(self, node: cst.DictComp) -> Any:
        pairs = self._comprehension(
            node, lambda: [(self.evaluate(node.key), self.evaluate(node.value))]
        )
        if isinstance(pairs, list) and all(_hashable(key) for key, _ in pairs):
            return dict(pairs)
        return Unknown(code_of(node))

    def _comprehension(
        self, node: cst.ListComp | cst.GeneratorExp | cst.SetComp | cst.DictComp, produce: Any
    ) -> Any:
        """Unroll a comprehension over known values, in a scope of its own."""
        saved, self.scope = self.scope, Scope(self.scope)
        try:
            return self._unroll(node.for_in, produce, node)
        finally:
            self.scope = saved

    def _unroll(self, for_in: cst.CompFor, produce: Any, node: cst.CSTNode) -> Any:
        items = self.iteration_values(self.evaluate(for_in.iter))
        if items is None:
            if contains_call(node):
                self.unfollowed(f"a comprehension over `{code_of(for_in.iter)}`")
            return Unknown(code_of(node))
        results: list[Any] = []
        for item in items:
            self.assign(for_in.target, item)
            conditions = [self.evaluate(condition.test) for condition in for_in.ifs]
            if any(not _is_plain(c) for c in conditions):
                if contains_call(node):
                    self.unfollowed(f"a comprehension filtered on `{code_of(for_in)}`")
                return Unknown(code_of(node))
            if not all(conditions):
                continue
            if for_in.inner_for_in is not None:
                inner = self._unroll(for_in.inner_for_in, produce, node)
                if isinstance(inner, Unknown):
                    return inner
                results.extend(inner)
            else:
                results.extend(produce())
        return results

    def unfollowed(self, what: str) -> None:
        """Code that may do more than we can see (builders record it)."""

    def _eval_UnaryOperation(self, node: cst.UnaryOperation) -> Any:
        value = self.evaluate(node.expression)
        if isinstance(node.operator, cst.Minus) and _is_number(value):
            return -value
        if isinstance(node.operator, cst.Plus) and _is_number(value):
            return value
        if isinstance(node.operator, cst.Not) and _is_plain(value):
            return not value
        return Unknown(code_of(node))

    def _eval_BinaryOperation(self, node: cst.BinaryOperation) -> Any:
        return self.combine(node, self.evaluate(node.left), self.evaluate(node.right))

    def combine(self, node: cst.BinaryOperation, left: Any, right: Any) -> Any:
        """The value of ``left <operator> right``, both already evaluated."""
        if isinstance(left, WallClock) or isinstance(right, WallClock):
            return WallClock(code_of(node))  # now() - timedelta(days=1) still moves
        operator = type(node.operator).__name__
        if operator == "BitOr" and isinstance(left, dict) and isinstance(right, dict):
            # PEP 584: base | {"retries": 3}, as {**base, "retries": 3}.
            sources = {k: v for k, v in self.sources_of(left).items() if k not in right}
            sources.update(self.sources_of(right))
            return self.record_dict({**left, **right}, sources)
        try:
            if operator == "Add" and _same_kind(left, right, (int, float, str, list, tuple)):
                return left + right
            if operator == "Add" and all(isinstance(v, dt.timedelta) for v in (left, right)):
                return left + right
            if _is_number(left) and _is_number(right):
                arithmetic = {
                    "Subtract": lambda a, b: a - b,
                    "Multiply": lambda a, b: a * b,
                    "Divide": lambda a, b: a / b,
                    "FloorDivide": lambda a, b: a // b,
                    "Modulo": lambda a, b: a % b,
                    "Power": lambda a, b: a**b if abs(b) < 64 else Unknown(code_of(node)),
                }
                if operator in arithmetic:
                    return arithmetic[operator](left, right)
            if operator == "Multiply" and isinstance(left, dt.timedelta) and _is_number(right):
                return left * right
            if operator in ("BitAnd", "BitOr") and _is_asset(left) and _is_asset(right):
                family = "Dataset" if "Dataset" in left.name + right.name else "Asset"
                condition = "All" if operator == "BitAnd" else "Any"
                home = "airflow.datasets" if family == "Dataset" else "airflow.sdk"
                return ObjectValue(f"{home}.{family}{condition}", code_of(node))
        except (ArithmeticError, TypeError, ValueError):
            pass
        return Unknown(code_of(node))

    def _eval_Comparison(self, node: cst.Comparison) -> Any:
        if len(node.comparisons) != 1:
            return Unknown(code_of(node))
        target = node.comparisons[0]
        left, right = self.evaluate(node.left), self.evaluate(target.comparator)
        if not (_is_plain(left) and _is_plain(right)):
            return Unknown(code_of(node))
        operator = type(target.operator).__name__
        compare = {
            "Equal": lambda a, b: a == b,
            "NotEqual": lambda a, b: a != b,
            "Is": lambda a, b: a is b,
            "IsNot": lambda a, b: a is not b,
        }.get(operator)
        return compare(left, right) if compare else Unknown(code_of(node))

    def _eval_Call(self, node: cst.Call) -> Any:
        callee = self.evaluate(node.func)
        args, kwargs = self.arguments(node)
        return self.construct(node, callee, args, kwargs)

    def wall_clock(self, node: cst.Call, callee: Any) -> WallClock | None:
        """``datetime.now()``, ``days_ago(1)``, ``pendulum.now().subtract(days=1)``."""
        if isinstance(callee, ImportedName) and callee.qualname in WALL_CLOCK:
            return WallClock(code_of(node))
        if isinstance(callee, WallClock):  # a method of a clock reading
            return WallClock(code_of(node))
        return None

    def construct(
        self, node: cst.Call, callee: Any, args: list[Any] | None, kwargs: dict[str, Any]
    ) -> Any:
        """Value of calling ``callee``: only well-known constructors of literal arguments."""
        clock = self.wall_clock(node, callee)
        if clock is not None:
            return clock
        if isinstance(callee, StringMethod) and args is not None:
            return callee.call(args, kwargs, node)
        if not isinstance(callee, ImportedName) or args is None:
            return Unknown(code_of(node))
        return _construct(callee.qualname, args, kwargs, node)

    def arguments(self, node: cst.Call) -> tuple[list[Any] | None, dict[str, Any]]:
        """Positional and keyword values of a call, each argument evaluated once.

        Positionals are ``None`` when a ``*``/``**`` splat cannot be resolved.
        """
        args: list[Any] | None = []
        kwargs: dict[str, Any] = {}
        for arg in node.args:
            value = self.evaluate(arg.value)
            if arg.star == "*":
                if isinstance(value, list | tuple) and args is not None:
                    args.extend(value)
                else:
                    args = None
            elif arg.star == "**":
                if isinstance(value, dict):
                    kwargs.update(value)
                else:
                    args = None
            elif arg.keyword is not None:
                kwargs[arg.keyword.value] = value
            elif args is not None:
                args.append(value)
        return args, kwargs


def _construct(qualname: str, args: list[Any], kwargs: dict[str, Any], node: cst.Call) -> Any:
    unknown = Unknown(code_of(node))
    values = [*args, *kwargs.values()]
    if any(isinstance(v, Unknown | ImportedName) for v in values):
        return unknown
    try:
        if qualname.startswith("airflow."):
            return _airflow_object(qualname, node)
        if qualname in _TIMEDELTA:
            return dt.timedelta(*args, **kwargs)
        if qualname in _DATETIME:
            tz = kwargs.pop("tz", None) if qualname.startswith("pendulum") else None
            tzinfo = dt.timezone.utc if tz in ("UTC", "utc") else None
            if tz is not None and tzinfo is None:
                return unknown
            if qualname.startswith("pendulum") and tz is None:
                tzinfo = dt.timezone.utc  # pendulum.datetime defaults to UTC
            return dt.datetime(*args, **kwargs, tzinfo=tzinfo)
        if qualname in ("pathlib.Path", "pathlib.PurePath") and len(args) == 1:
            return _Path(args[0]) if isinstance(args[0], str) else unknown
        if qualname == "os.path.basename" and len(args) == 1 and isinstance(args[0], str):
            return os.path.basename(args[0])
        if qualname == "os.path.splitext" and len(args) == 1 and isinstance(args[0], str):
            return os.path.splitext(args[0])
        if qualname == "datetime.date":
            return dt.date(*args, **kwargs)
        if qualname == "builtins.dict" and not args:
            return dict(kwargs)
        if qualname == "builtins.dict" and len(args) == 1 and isinstance(args[0], dict):
            return {**args[0], **kwargs}
        if qualname in ("builtins.list", "builtins.tuple", "builtins.set") and len(args) <= 1:
            items = args[0] if args else []
            if isinstance(items, list | tuple | set | str | range):
                return {"builtins.list": list, "builtins.tuple": tuple, "builtins.set": set}[
                    qualname
                ](items)
        if qualname == "builtins.range" and all(isinstance(a, int) for a in args) and not kwargs:
            result = range(*args)
            return result if len(result) <= 10_000 else unknown
        if qualname == "builtins.str" and len(args) == 1 and _is_plain(args[0]):
            return str(args[0])
        if qualname == "builtins.len" and len(args) == 1 and hasattr(args[0], "__len__"):
            return len(args[0])
    except (TypeError, ValueError, OverflowError):
        return unknown
    return unknown


# Methods of str whose result is a function of known plain values alone.
_STRING_METHODS = frozenset(
    {"join", "upper", "lower", "strip", "lstrip", "rstrip", "replace", "format", "title"}
)


@dataclass(frozen=True)
class StringMethod:
    """A method of a known string (``", ".join``, ``"{}_load".format``), called only on
    known strings and numbers, so that SQL and ids built that way are known."""

    text: str
    name: str

    def call(self, args: list[Any], kwargs: dict[str, Any], node: cst.Call) -> Any:
        values = [*args, *kwargs.values()]
        if self.name == "join" and len(args) == 1 and not kwargs:
            values = list(args[0]) if isinstance(args[0], list | tuple) else [None]
            if all(isinstance(v, str) for v in values):
                return self.text.join(values)
            return Unknown(code_of(node))
        if not all(isinstance(v, str | int | float) and not isinstance(v, bool) for v in values):
            return Unknown(code_of(node))
        if not self._bounded(args):
            return Unknown(code_of(node))  # a result too large to be an id or a query
        try:
            return getattr(self.text, self.name)(*args, **kwargs)
        except (TypeError, ValueError, KeyError, IndexError, AttributeError):
            return Unknown(code_of(node))

    def _bounded(self, args: list[Any]) -> bool:
        """Whether the result stays small: a file cannot make the evaluator build a huge
        string (``"{:>999999999}".format(x)``, a replace of "" in a long text)."""
        if self.name == "format":
            try:
                fields = list(string.Formatter().parse(self.text))
            except ValueError:
                return False
            return all(
                int(width) <= _LONGEST_STRING
                for _, _, spec, _ in fields
                for width in re.findall(r"\d+", spec or "")
            )
        if self.name == "replace" and len(args) >= 2 and isinstance(args[1], str):
            return len(args[1]) * (len(self.text) + 1) <= _LONGEST_STRING
        return True


_LONGEST_STRING = 100_000


@dataclass(frozen=True)
class _Path:
    """``pathlib.Path(__file__)``: DAG ids are often derived from the file name."""

    path: str


_PATH_PARTS: dict[str, Callable[[str], Any]] = {
    "stem": lambda p: PurePosixPath(p).stem,
    "name": lambda p: PurePosixPath(p).name,
    "parent": lambda p: _Path(str(PurePosixPath(p).parent)),
}


_ASSET_REFERENCES = {"name": "airflow.sdk.AssetNameRef", "uri": "airflow.sdk.AssetUriRef"}


def _is_asset(value: Any) -> bool:
    return isinstance(value, ObjectValue) and value.name.startswith(("Asset", "Dataset"))


def _airflow_object(qualname: str, node: cst.Call) -> Any:
    """An Airflow class instantiated with resolvable arguments (assets, timetables, ...)."""
    owner, _, name = qualname.rpartition(".")
    if name == "ref" and owner.endswith((".Asset", ".Dataset")):
        keywords = [arg.keyword.value for arg in node.args if arg.keyword is not None]
        if len(keywords) == 1 and keywords[0] in _ASSET_REFERENCES:
            return ObjectValue(_ASSET_REFERENCES[keywords[0]], code_of(node))
    if name[:1].isupper():
        return ObjectValue(qualname, code_of(node))
    return Unknown(code_of(node))


class Walker:
    """A read-only visitor over a libcst tree, with ``visit_<Node>`` / ``leave_<Node>``
    methods as in :class:`libcst.CSTVisitor` (``visit_`` returning False skips the children).

    libcst's own ``visit`` rebuilds and re-validates every node it passes, which costs several
    times more than reading the tree; the model only ever reads.
    """

    def walk(self, node: cst.CSTNode) -> None:
        visit, leave = _handlers(type(self), type(node))
        if visit is None or visit(self, node) is not False:
            for name in _child_fields(type(node)):
                value = getattr(node, name)
                if isinstance(value, cst.CSTNode):
                    self.walk(value)
                elif isinstance(value, tuple | list):
                    for item in value:
                        if isinstance(item, cst.CSTNode):
                            self.walk(item)
        if leave is not None:
            leave(self, node)


@functools.cache
def _handlers(walker: type, node: type) -> tuple[Any, Any]:
    name = node.__name__
    return getattr(walker, f"visit_{name}", None), getattr(walker, f"leave_{name}", None)


# Fields that hold only punctuation and whitespace, never a name, a call or a string; and
# node types made of nothing else.
_LAYOUT_FIELDS = frozenset(
    {
        "lpar", "rpar", "comma", "semicolon", "leading_lines", "lines_after_decorators",
        "header", "footer", "trailing_whitespace", "newline", "lbracket", "rbracket", "lbrace",
        "rbrace", "equal", "colon", "dot", "operator", "asynchronous", "whitespace",
    }
)  # fmt: skip
_LEAVES = (cst.Name, cst.SimpleString, cst.Integer, cst.Float, cst.Imaginary)


@functools.cache
def _child_fields(node: type) -> tuple[str, ...]:
    if issubclass(node, _LEAVES):
        return ()
    return tuple(
        name
        for name in node.__dataclass_fields__  # type: ignore[attr-defined]
        if name not in _LAYOUT_FIELDS and not name.startswith("whitespace")
    )


class NameFinder(Walker):
    """The names code reads (in order, repeated) and the keywords its calls pass."""

    def __init__(self) -> None:
        self.names: list[str] = []
        self.keywords: set[str] = set()

    def visit_Name(self, node: cst.Name) -> None:
        self.names.append(node.value)

    def visit_Attribute(self, node: cst.Attribute) -> bool:
        self.walk(node.value)  # `x.attr`: x is a name, attr is not
        return False

    def visit_Arg(self, node: cst.Arg) -> None:
        if node.keyword is not None:
            self.keywords.add(node.keyword.value)


def contains_call(node: cst.CSTNode) -> bool:
    """Whether code contains any call at all (and so might create tasks or DAGs)."""
    finder = _CallFinder()
    try:
        finder.walk(node)
    except _CallFinder.Found:
        return True
    return False


class _CallFinder(Walker):
    class Found(Exception):
        pass

    def visit_Call(self, node: cst.Call) -> None:
        raise self.Found


def _is_trigger_rule_enum(qualname: str) -> bool:
    """Airflow's TriggerRule, from any of its homes (airflow.utils.trigger_rule, airflow.sdk,
    the providers' compat layer, ...)."""
    return qualname.startswith("airflow.") and qualname.endswith(".TriggerRule")


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _is_plain(value: Any) -> bool:
    return value is None or isinstance(value, bool | int | float | str)


def _hashable(value: Any) -> bool:
    try:
        hash(value)
    except TypeError:
        return False
    return True


def _same_kind(left: Any, right: Any, kinds: tuple[type, ...]) -> bool:
    if isinstance(left, bool) or isinstance(right, bool):
        return False
    if _is_number(left) and _is_number(right):
        return True
    return any(isinstance(left, k) and isinstance(right, k) for k in kinds)


# Methods that change a dict in place.
_DICT_MUTATORS = frozenset({"update", "pop", "popitem", "setdefault", "clear"})


def _subscript_key(evaluator: Evaluator, target: cst.Subscript) -> Any:
    """The key of ``name[key]`` when it is one known, hashable value; else None."""
    if len(target.slice) != 1 or not isinstance(target.slice[0].slice, cst.Index):
        return None
    key = evaluator.evaluate(target.slice[0].slice.value)
    if isinstance(key, Unknown | ImportedName) or not _hashable(key):
        return None
    return key
