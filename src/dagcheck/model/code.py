"""Facts read from Python code whatever the framework: credential-like literals and reads of
the wall clock."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import libcst as cst

from dagcheck.model.pipeline import HardCodedSecret
from dagcheck.model.positions import SpanTable
from dagcheck.model.values import (
    WALL_CLOCK,
    ImportedName,
    Scope,
    Walker,
    bind_import,
    code_of,
    literal_value,
    qualname_in,
)

# A name that holds a credential: it ends with the word (github_token, DB_PASSWORD), so that
# token_path, secret_name and aws_access_key_id are not taken for one.
_SECRET_NAME = re.compile(
    r"(?:^|_)(?:password|passwd|secret|secret_key|token|api_?key|access_?key|private_?key"
    r"|client_?secret)$",
    re.IGNORECASE,
)
_PLAIN_WORD = re.compile(r"^[A-Za-z_][A-Za-z_. -]*$")
URI_WITH_PASSWORD = re.compile(
    r"(?P<scheme>[a-z][a-z0-9+.-]*)://[^/\s:@]+:(?P<password>[^@\s/]+)@", re.IGNORECASE
)


def looks_like_secret(name: str, value: str) -> bool:
    # A URI is judged by whether it carries a password (below), not by the name holding it;
    # a plain word ("Passwords", "_token") names a thing rather than being a credential.
    return bool(_SECRET_NAME.search(name)) and _secret_value(value)


def _secret_value(value: str) -> bool:
    return "://" not in value and not _PLAIN_WORD.match(value) and not is_placeholder(value)


def is_placeholder(value: str) -> bool:
    """Empty, short, templated ({{ conn.x.password }}, ${ENV}), masked (*****), a path to
    where the secret is kept (/var/run/secrets/token), a field to fill in ({password}), or a
    stand-in word such as "s3cr3t" or "changeme" in documentation and examples."""
    text = value.strip()
    return (
        len(text) < 6
        or "{{" in text
        or text.startswith(("$", "/", "./", "~"))
        or len(set(text)) == 1
        or " " in text
        or (text[0] in "{<" and text[-1] in "}>")  # "{password}", "<token>": to fill in
        or _STAND_IN.fullmatch(text.lower().translate(_LEET)) is not None
    )


def literal_parts(
    node: cst.CSTNode, ranges: Sequence[tuple[int, int]] | None = None
) -> tuple[tuple[int, int], ...]:
    """Where the characters ``ranges`` of a string literal's value (all of them without
    ``ranges``) are written, as offsets from the start of the node's span, so that outputs can
    mask them. A name holds no secret at its own place; a concatenation is masked whole."""
    if isinstance(node, cst.ConcatenatedString):
        return ((0, len(_code(node).strip())),)
    value = literal_value(node) if isinstance(node, cst.SimpleString) else None
    if not isinstance(value, str):
        return ()
    quote = len(node.quote)
    start = _code(node).find(node.value) + len(node.prefix) + quote
    inner = node.value[len(node.prefix) + quote : len(node.value) - quote]
    whole = (start, start + len(inner))
    if ranges is None:
        return (whole,)
    parts = []
    for begin, end in ranges:
        # Escape sequences move the characters: find them as written, else mask it all.
        found = begin if inner == value else inner.find(value[begin:end])
        parts.append((start + found, start + found + end - begin) if found >= 0 else whole)
    return tuple(parts)


def _code(node: cst.CSTNode) -> str:
    return cst.Module(body=[]).code_for_node(node)


# Keys of an environment mapping are variable names such as PGPASSWORD or MYSQL_PWD, where
# the word need not follow an underscore.
_ENV_SECRET_NAME = re.compile(
    r"(?:password|passwd|secret|token|api_?key|access_?key|private_?key)$|^mysql_pwd$",
    re.IGNORECASE,
)
# Keywords whose mapping becomes a process's environment (BashOperator, subprocess,
# DockerOperator, KubernetesPodOperator) and whose string is a shell command.
_ENV_KEYWORDS = frozenset({"env", "env_vars", "environment"})
_SHELL_KEYWORDS = frozenset({"bash_command", "command"})
# An AWS access key id; AWS's own documentation ids end in EXAMPLE.
_AWS_KEY_ID = re.compile(r"(?<![A-Z0-9])AKIA[0-9A-Z]{16}(?![A-Z0-9])")
_BEARER = re.compile(r"\bBearer\s+([A-Za-z0-9._~+/-]+=*)")
# Tokens whose prefix says what they are: GitHub, GitLab, Slack, Stripe.
_PREFIXED_TOKEN = re.compile(
    r"\b(?:gh[pousr]_[A-Za-z0-9]{20,}|github_pat_\w{20,}|glpat-[\w-]{20,}"
    r"|xox[abpr]-[A-Za-z0-9-]{10,}|sk_live_\w{16,})"
)
# Files without any of these hold none of what LiteralSecretFinder looks for.
SHAPED_SECRET_HINT = re.compile(
    r"AKIA|Bearer|gh[pousr]_|github_pat_|glpat-|xox[abpr]-|sk_live_"
    r"|(?i:passw|secret|token|api_?key|access_?key|private_?key|_pwd)"
)


def looks_like_env_secret(name: str, value: str) -> bool:
    return bool(_ENV_SECRET_NAME.search(name)) and _secret_value(value)


def aws_key_ids(value: str) -> list[tuple[int, int]]:
    return [m.span() for m in _AWS_KEY_ID.finditer(value) if "EXAMPLE" not in m.group()]


def bearer_tokens(value: str) -> list[tuple[int, int]]:
    """Bearer tokens written out; ``Bearer $TOKEN`` and ``Bearer {{ ... }}`` do not match."""
    return [
        match.span(1)
        for match in _BEARER.finditer(value)
        if _token_like(match.group(1)) and not is_placeholder(match.group(1))
    ]


def prefixed_tokens(value: str) -> list[tuple[int, int]]:
    return [match.span() for match in _PREFIXED_TOKEN.finditer(value)]


def _token_like(text: str) -> bool:
    # Real tokens mix letters and digits; "Bearer ACCESS_TOKEN_FROM_VAULT" names one.
    return len(text) >= 16 and any(c.isdigit() for c in text) and any(c.isalpha() for c in text)


class LiteralSecretFinder(Walker):
    """Credentials known by their shape or by where they are written, anywhere in a module:
    AWS access key ids in any string, secret-named variables and tokens in a process's
    environment, and tokens in a shell command. Docstrings are documentation: skipped."""

    def __init__(self, spans: SpanTable) -> None:
        self.spans = spans
        self.secrets: list[HardCodedSecret] = []

    def visit_Expr(self, node: cst.Expr) -> bool:
        return not isinstance(node.value, cst.SimpleString | cst.ConcatenatedString)

    def visit_SimpleString(self, node: cst.SimpleString) -> None:
        value = literal_value(node)
        if isinstance(value, str):
            self._note("token", "AWS access key id", node, aws_key_ids(value))

    def visit_Arg(self, node: cst.Arg) -> None:
        keyword = node.keyword.value if node.keyword is not None else None
        if keyword in _SHELL_KEYWORDS and isinstance(node.value, cst.SimpleString):
            self._note_tokens(node.value)
        if keyword in _ENV_KEYWORDS and isinstance(node.value, cst.Dict):
            for element in node.value.elements:
                if isinstance(element, cst.DictElement):
                    self._note_environment(element)

    def _note_environment(self, element: cst.DictElement) -> None:
        key, value = element.key, element.value
        text = literal_value(value) if isinstance(value, cst.SimpleString) else None
        if not isinstance(text, str):
            return
        name = literal_value(key) if isinstance(key, cst.SimpleString) else None
        if isinstance(name, str) and looks_like_env_secret(name, text):
            self._add(
                HardCodedSecret("keyword", name, self.spans.span(value), literal_parts(value))
            )
        else:
            self._note_tokens(value)

    def _note_tokens(self, node: cst.SimpleString) -> None:
        value = literal_value(node)
        if isinstance(value, str):
            self._note("token", "bearer token", node, bearer_tokens(value))
            self._note("token", "token", node, prefixed_tokens(value))

    def _note(
        self, kind: str, name: str, node: cst.SimpleString, found: list[tuple[int, int]]
    ) -> None:
        if found:
            self._add(
                HardCodedSecret(kind, name, self.spans.span(node), literal_parts(node, found))
            )

    def _add(self, secret: HardCodedSecret) -> None:
        add_secret(self.secrets, secret)


def add_secret(secrets: list[HardCodedSecret], secret: HardCodedSecret) -> None:
    """Note ``secret`` once per literal: a literal holding a token and an AWS key id is one
    finding, with both parts to mask."""
    for index, known in enumerate(secrets):
        # Spans are filled in after the walk (SpanTable.resolve): one literal, one object.
        if known.span is secret.span:
            secrets[index] = replace(known, parts=tuple(sorted({*known.parts, *secret.parts})))
            return
    secrets.append(secret)


# "s3cr3t", "p@ssw0rd", "changeme", "your-api-key": words that stand for a secret.
_LEET = str.maketrans("013457$@", "oieastsa")
_STAND_IN = re.compile(
    r"secret|password|passwd|changeme|example|dummy|placeholder|redacted|x+|your[\w-]*"
)


CLOCK_WORDS = re.compile(r"\b(?:now|utcnow|today|yesterday|tomorrow|days_ago)\s*\(")


class ClockReadFinder(Walker):
    """Finds ``datetime.now()`` and friends in task code, resolving names through the
    module's imports and the function's own."""

    # Durations (time.time() differences) are not data windows: only date-giving reads count.
    _DATE_READS = frozenset(WALL_CLOCK - {"time.time"})

    # now().isoformat() / .timestamp() stamps a record (a watermark, "submitted_at"), and
    # now().time() / now().strftime("%H:%M") read the time of day; none picks the data a run
    # processes. A date (date.today().isoformat()) has no time to stamp with: it selects a day.
    _STAMPS = frozenset({"isoformat", "timestamp", "time"})
    _DAYS = frozenset({"datetime.date.today", "pendulum.today", "pendulum.yesterday"})
    _TIME_OF_DAY = re.compile(r"%[HIMSfpXTcr]")
    # Reads that are only shown (printed, logged, put in an artifact) select nothing either.
    _SHOWN_BY = frozenset({"debug", "info", "warning", "warn", "error", "exception", "critical"})

    def __init__(self, scope: Scope, package: str | None) -> None:
        self.scope = scope
        self.package = package
        self.calls: list[cst.Call] = []
        self._stamps: set[int] = set()
        self._showing = 0  # how many display calls the walk is inside

    def visit_Import(self, node: cst.Import) -> None:
        bind_import(self.scope, node, self.package)

    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
        bind_import(self.scope, node, self.package)

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if self._shows(func):
            self._showing += 1
        if isinstance(func, cst.Attribute) and self._stamps_time(func, node):
            stamped = func.value
            # now().replace(hour=16).time(): the adjusted reading is still a time of day.
            while (
                isinstance(stamped, cst.Call)
                and isinstance(stamped.func, cst.Attribute)
                and stamped.func.attr.value in ("replace", "astimezone")
            ):
                self._stamps.add(id(stamped))
                stamped = stamped.func.value
            if not isinstance(stamped, cst.Call) or self._qualname(stamped.func) not in self._DAYS:
                self._stamps.add(id(stamped))  # calls are visited outside-in
        if (
            not self._showing
            and id(node) not in self._stamps
            and self._qualname(func) in self._DATE_READS
        ):
            self.calls.append(node)

    def leave_Call(self, original_node: cst.Call) -> None:
        if self._shows(original_node.func):
            self._showing -= 1

    def _shows(self, func: cst.BaseExpression) -> bool:
        """print(...), logger.info(...), create_markdown_artifact(...) and the like."""
        if isinstance(func, cst.Name):
            name = func.value
        elif isinstance(func, cst.Attribute):
            name = func.attr.value
            if name in self._SHOWN_BY:
                return True
        else:
            return False
        return name == "print" or (name.startswith("create_") and name.endswith("_artifact"))

    def _stamps_time(self, func: cst.Attribute, node: cst.Call) -> bool:
        if func.attr.value == "strftime":
            pattern = node.args[0].value if node.args else None
            text = literal_value(pattern) if isinstance(pattern, cst.SimpleString) else None
            return isinstance(text, str) and bool(self._TIME_OF_DAY.search(text))
        return func.attr.value in self._STAMPS

    def _qualname(self, expression: cst.BaseExpression) -> str | None:
        return qualname_in(self.scope, expression)


# -- what a task's own code does ------------------------------------------------------------

# Calls that only compute, format, log or sleep, or use the local file system: a body made of
# nothing else cannot hang on the outside world nor fail for a reason a retry would cure.
_INSIDE_BUILTINS = frozenset(
    {
        "print", "len", "range", "str", "int", "float", "bool", "dict", "list", "tuple", "set",
        "frozenset", "sorted", "reversed", "sum", "min", "max", "abs", "round", "enumerate",
        "zip", "map", "filter", "any", "all", "isinstance", "issubclass", "getattr", "hasattr",
        "repr", "format", "type", "iter", "next", "divmod", "pow", "chr", "ord", "hash", "open",
    }
)  # fmt: skip
_INSIDE_MODULES = frozenset(
    {
        "math", "random", "statistics", "json", "re", "datetime", "uuid", "hashlib",
        "itertools", "functools", "collections", "string", "decimal", "fractions", "copy",
        "operator", "textwrap", "logging", "time", "dataclasses", "enum", "typing",
        "builtins", "platform", "base64", "zlib", "calendar", "zoneinfo", "pendulum", "pytz",
        "dateutil", "shlex", "warnings", "pathlib", "tempfile", "glob", "fnmatch", "csv", "io",
        "gzip", "zipfile", "tarfile", "numpy",
    }
)  # fmt: skip
_INSIDE_CALLS = frozenset(
    {
        "prefect.get_run_logger", "prefect.logging.get_run_logger", "os.getenv",
        "os.environ.get", "airflow.operators.python.get_current_context",
        "airflow.sdk.get_current_context", "airflow.utils.timezone.utcnow",
        # the local file system
        "os.makedirs", "os.mkdir", "os.listdir", "os.scandir", "os.walk", "os.remove",
        "os.unlink", "os.rename", "os.replace", "os.rmdir", "os.stat", "os.getcwd",
        "shutil.copy", "shutil.copy2", "shutil.copyfile", "shutil.copytree", "shutil.move",
        "shutil.rmtree",
        # pandas building and reshaping frames in memory (its read_* and to_* may not be local)
        "pandas.DataFrame", "pandas.Series", "pandas.concat", "pandas.merge",
        "pandas.to_datetime", "pandas.to_numeric", "pandas.isna", "pandas.notna",
        "pandas.Timestamp", "pandas.date_range",
    }
)  # fmt: skip
_INSIDE_METHODS = frozenset(
    {
        # logging
        "debug", "info", "warning", "warn", "error", "exception", "critical", "log",
        # str
        "upper", "lower", "strip", "lstrip", "rstrip", "split", "rsplit", "splitlines", "join",
        "replace", "format", "startswith", "endswith", "encode", "decode", "title",
        "capitalize", "zfill", "ljust", "rjust", "center", "count", "find", "index",
        "partition", "rpartition", "isdigit", "isalpha", "isalnum",
        # list, dict, set
        "append", "extend", "insert", "pop", "remove", "clear", "copy", "items", "keys",
        "values", "get", "setdefault", "update", "sort", "add", "discard", "union",
        "intersection", "difference",
        # dates and futures
        "isoformat", "strftime", "timestamp", "date", "time", "astimezone", "total_seconds",
        "result", "wait", "in_timezone", "subtract",
        # paths and open local files
        "joinpath", "exists", "is_file", "is_dir", "mkdir", "iterdir", "read_text",
        "write_text", "read_bytes", "write_bytes", "with_suffix", "with_name", "resolve",
        "unlink", "readlines", "writelines", "close",
        # data frames in memory
        "astype", "rename", "tolist", "to_list", "unique", "nunique", "iterrows", "itertuples",
        "dropna", "fillna", "drop_duplicates", "sort_values", "reset_index", "set_index",
        "to_dict", "isin", "isna", "notna", "value_counts", "groupby", "agg", "drop",
        "tz_localize", "tz_convert", "apply", "head", "tail", "round", "shift", "diff",
        "cumsum", "mean", "pivot_table", "melt", "explode", "duplicated", "between", "clip",
        # an HTTP response already received
        "json", "raise_for_status",
    }
)  # fmt: skip


def call_stays_inside(scope: Scope, func: cst.BaseExpression, qualname: str | None) -> bool:
    """Whether a call only computes, prints, logs or sleeps (``qualname`` is what the
    callee's name resolves to through the module's imports, if anything)."""
    if qualname is not None:
        return (
            qualname in _INSIDE_CALLS
            or qualname.startswith("os.path.")
            or qualname.split(".")[0] in _INSIDE_MODULES
            # a team's helpers named for what they do: a log line, an environment variable
            or (name := qualname.rpartition(".")[2]) == "log"
            or name.startswith("getenv")
        )
    if isinstance(func, cst.Name):
        name = func.value
        bound = scope.lookup(name)
        return (
            (isinstance(bound, ImportedName) and bound.qualname.startswith("builtins."))
            or (name in _INSIDE_BUILTINS and not _bound(scope, name))
            or name.endswith(("Error", "Exception", "Warning"))
        )
    if isinstance(func, cst.Attribute):
        return func.attr.value in _INSIDE_METHODS
    return False


def _bound(scope: Scope | None, name: str) -> bool:
    """Whether the code binds ``name`` itself (a function of its own called ``format``)."""
    while scope is not None:
        if name in scope.names:
            return True
        scope = scope.parent
    return False


# Where a call's callee is a plain function of the file or the tree: its definition and the
# scope it was defined in; None for anything else.
HelperResolver = Callable[[Scope, cst.BaseExpression], "tuple[cst.FunctionDef, Scope] | None"]


@dataclass(frozen=True)
class BodyJudgement:
    """What a function's body may do outside its process."""

    reaches_out: bool  # network, files, a database, code the model cannot see
    # It may wait for ever: it reaches out through a call given no timeout= (a requests,
    # subprocess or client call with one gives up by itself).
    may_hang: bool


_OPAQUE = BodyJudgement(reaches_out=True, may_hang=True)


class Helpers:
    """Plain functions that task code calls, judged by their own bodies: a helper that only
    computes keeps its caller inside. Followed a few calls deep, each judged once."""

    def __init__(self, resolve: HelperResolver, depth: int = 3) -> None:
        self.resolve = resolve
        self.depth_left = depth
        self._judged: dict[int, BodyJudgement] = {}

    def stay_inside(self, scope: Scope, func: cst.BaseExpression) -> bool:
        judged = self.judge(scope, func)
        return judged is not None and not judged.reaches_out

    def judge(self, scope: Scope, func: cst.BaseExpression) -> BodyJudgement | None:
        """The judgement of the helper a call calls; None when it calls no helper."""
        found = self.resolve(scope, func)
        if found is None:
            return None
        node, defined_in = found
        if id(node) not in self._judged:
            if self.depth_left == 0:
                return _OPAQUE
            self._judged[id(node)] = _OPAQUE  # while judged: a recursive call may do anything
            self.depth_left -= 1
            try:
                judged = judge_body(node, Scope(defined_in), self)
            finally:
                self.depth_left += 1
            self._judged[id(node)] = judged
        return self._judged[id(node)]


def call_is_bounded(node: cst.Call) -> bool:
    """A call given a timeout (``requests.get(url, timeout=30)``, ``subprocess.run(...,
    timeout=600)``): it gives up by itself rather than wait for ever."""
    return any(
        arg.keyword is not None
        and arg.keyword.value == "timeout"
        and not (isinstance(arg.value, cst.Name) and arg.value.value == "None")
        for arg in node.args
    )


class OutsideCallFinder(Walker):
    """Whether a function's own body may reach outside its process: any call not known to
    stay inside (a helper of the tree is judged by its own body); and whether it may hang:
    such a call given no timeout. Nested functions run only when called, which is itself
    such a call."""

    def __init__(self, scope: Scope, helpers: Helpers | None = None) -> None:
        self.scope = scope
        self.helpers = helpers
        self.reaches_out = False
        self.may_hang = False

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        return False

    def visit_Lambda(self, node: cst.Lambda) -> bool:
        return False

    def visit_Call(self, node: cst.Call) -> bool:
        func = node.func
        if not call_stays_inside(self.scope, func, qualname_in(self.scope, func)):
            judged = self.helpers.judge(self.scope, func) if self.helpers is not None else None
            if judged is None:
                judged = BodyJudgement(reaches_out=True, may_hang=not call_is_bounded(node))
            self.reaches_out |= judged.reaches_out
            self.may_hang |= judged.may_hang
        return not self.may_hang


def judge_body(
    function: cst.FunctionDef, scope: Scope, helpers: Helpers | None = None
) -> BodyJudgement:
    """What the function's body (not its decorators or defaults) may do outside."""
    finder = OutsideCallFinder(scope, helpers)
    finder.walk(function.body)
    return BodyJudgement(finder.reaches_out, finder.may_hang)


# What a handler that catches everything names: ``except:``, ``except Exception``,
# ``except BaseException`` (also in a tuple).
_EVERYTHING = frozenset({"Exception", "BaseException"})
# Calls that still end the task in failure from inside a handler.
_FAILING_CALLS = frozenset({"sys.exit", "exit", "os._exit", "pytest.fail"})


def swallows_failures(function: cst.FunctionDef) -> bool:
    """Whether a function's whole body is one ``try`` whose handler catches every exception
    and never raises: whatever fails inside, the call returns normally (the task succeeds).
    A docstring before the ``try`` is allowed; anything else (code that may fail outside the
    ``try``, a ``finally`` that raises, a handler that re-raises or exits) is not this. Nor
    is a check that answers with a bool (``-> bool``, or ``return False`` from the handler):
    its caller is told, and decides."""
    returns = function.returns.annotation if function.returns is not None else None
    if isinstance(returns, cst.Name) and returns.value == "bool":
        return False
    body = list(function.body.body) if isinstance(function.body, cst.IndentedBlock) else []
    if body and _is_docstring(body[0]):
        body = body[1:]
    if len(body) != 1 or not isinstance(body[0], cst.Try):
        return False
    statement = body[0]
    if not any(_catches_everything(handler) for handler in statement.handlers):
        return False
    ends_in_failure = _EndsInFailure()
    for part in (*statement.handlers, statement.orelse, statement.finalbody):
        if part is not None:
            ends_in_failure.walk(part)
    return not ends_in_failure.found


def _is_docstring(statement: cst.BaseStatement) -> bool:
    return (
        isinstance(statement, cst.SimpleStatementLine)
        and len(statement.body) == 1
        and isinstance(statement.body[0], cst.Expr)
        and isinstance(statement.body[0].value, cst.SimpleString | cst.ConcatenatedString)
    )


def _catches_everything(handler: cst.ExceptHandler) -> bool:
    if handler.type is None:
        return True
    names = handler.type.elements if isinstance(handler.type, cst.Tuple) else [handler.type]
    for element in names:
        value = element.value if isinstance(element, cst.Element) else element
        if isinstance(value, cst.Name) and value.value in _EVERYTHING:
            return True
    return False


class _EndsInFailure(Walker):
    """A ``raise`` or an exit in a handler (a nested function's does not count: defining it
    raises nothing)."""

    def __init__(self) -> None:
        self.found = False

    def visit_Raise(self, node: cst.Raise) -> None:
        self.found = True

    def visit_Return(self, node: cst.Return) -> None:
        if isinstance(node.value, cst.Name) and node.value.value == "False":
            self.found = True  # a check that says it failed

    def visit_Call(self, node: cst.Call) -> None:
        if code_of(node.func) in _FAILING_CALLS:
            self.found = True

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        return False

    def visit_Lambda(self, node: cst.Lambda) -> bool:
        return False
