"""Facts read from Python code whatever the framework: credential-like literals and reads of
the wall clock."""

from __future__ import annotations

import re

import libcst as cst

from dagcheck.model.values import WALL_CLOCK, Scope, Walker, bind_import, qualname_in

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
    return (
        bool(_SECRET_NAME.search(name))
        and "://" not in value
        and not _PLAIN_WORD.match(value)
        and not is_placeholder(value)
    )


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
            text = pattern.evaluated_value if isinstance(pattern, cst.SimpleString) else None
            return isinstance(text, str) and bool(self._TIME_OF_DAY.search(text))
        return func.attr.value in self._STAMPS

    def _qualname(self, expression: cst.BaseExpression) -> str | None:
        return qualname_in(self.scope, expression)
