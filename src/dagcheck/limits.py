"""What one file may cost: stack, time and nesting. A scanned tree is input nobody here
controls, and a file built to be expensive must cost only itself: it becomes a DC003 finding,
never a hang, a crash or a run that loses the other files' results.
"""

from __future__ import annotations

import ast
import contextlib
import ctypes
import io
import sys
import threading
import tokenize
from collections.abc import Callable, Iterator
from typing import TypeVar

_RECURSION_LIMIT = 20_000
_STACK_BYTES = 512 * 1024 * 1024
# libcst's parser takes time that grows with the square of the nesting of a left-recursive
# chain (``1+1+...``, ``a.b.c...``, ``f()()...``, ``a[0][0]...``): about a second at 1,000
# levels and minutes at 5,000. Hand-written code nests a few levels deep; ``a >> b >> ...``
# chains of a few hundred tasks stay well within this.
MAX_EXPRESSION_DEPTH = 1000
_CHAINS = (ast.BinOp, ast.UnaryOp, ast.IfExp, ast.Attribute, ast.Call, ast.Subscript)
# The tokens that add a link to such a chain: attribute, call, subscript, binary operator.
_CHAIN_TOKENS = frozenset(
    [".", "(", "[", "+", "-", "*", "/", "//", "%", "**", "@", "<<", ">>", "&", "|", "^"]
)

Result = TypeVar("Result")


class FileBudgetExceeded(BaseException):
    """Raised in the thread working on a file whose time is up. A BaseException, so that
    the ``except Exception`` blocks that keep one construct from failing a whole file do
    not swallow it."""


def expression_depth(source: bytes) -> int | None:
    """The deepest left-recursive chain of the file's expressions, from the C parser (fast
    at any depth). A file Python refuses to compile may still be one libcst parses (a null
    byte or an invalid escape in a string, syntax newer than this Python): its depth is
    bounded from its tokens instead; None when not even those can be read (libcst says why).
    """
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, MemoryError):
        return _token_depth(source)
    except RecursionError:
        return sys.maxsize
    deepest = 0
    counted: set[int] = set()
    # ast.walk is breadth-first: the outermost node of a chain comes before its inner ones,
    # so each chain is followed once, from its head.
    for node in ast.walk(tree):
        if not isinstance(node, _CHAINS) or id(node) in counted:
            continue
        depth, link = 0, node
        while isinstance(link, _CHAINS):
            counted.add(id(link))
            depth += 1
            if isinstance(link, ast.BinOp):
                # ``2 ** 2 ** ...`` nests to the right; every other operator to the left.
                link = link.right if isinstance(link.op, ast.Pow) else link.left
            elif isinstance(link, ast.UnaryOp):
                link = link.operand  # ``not not ...``, ``- - ...``
            elif isinstance(link, ast.IfExp):
                link = link.orelse  # ``a if x else b if y else ...``
            elif isinstance(link, ast.Call):
                link = link.func
            else:
                link = link.value
        deepest = max(deepest, depth)
    return deepest


def _token_depth(source: bytes) -> int | None:
    """A bound on the depth of the file's chains: the most chain tokens in one logical line
    (every link of a chain is one; a long line of other expressions may count more)."""
    deepest = links = 0
    lines = io.BytesIO(source.replace(b"\r\n", b"\n").replace(b"\r", b"\n"))  # as Python reads
    try:
        for token in tokenize.tokenize(lines.readline):
            if token.type in (tokenize.NEWLINE, tokenize.ENDMARKER):
                deepest, links = max(deepest, links), 0
            elif token.type == tokenize.OP and token.string in _CHAIN_TOKENS:
                links += 1
            elif token.type == tokenize.NAME and token.string in ("not", "else"):
                links += 1  # ``not not ...``, ``a if x else b if y else ...``
    except (tokenize.TokenError, SyntaxError, ValueError, LookupError, UnicodeDecodeError):
        return max(deepest, links) or None  # what was read before the tokens stopped
    return deepest


def with_deep_stack(work: Callable[[], Result]) -> Result:
    """Run ``work`` in a thread with a large stack and recursion limit.

    libcst's parser and code generation recurse once per nesting level, and a long operator
    chain (a generated ``x = 1 + 1 + ...``) nests thousands deep: past Python's default
    limit, and past the main thread's C stack, where the process would crash instead of
    reporting. The stack is reserved address space; only what is used costs memory.
    """
    old_limit = sys.getrecursionlimit()
    old_stack = threading.stack_size(_STACK_BYTES)
    results: list[Result] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            results.append(work())
        except BaseException as error:  # re-raised in the caller's thread
            errors.append(error)

    sys.setrecursionlimit(max(old_limit, _RECURSION_LIMIT))
    try:
        thread = threading.Thread(target=run, name="dagcheck-deep-stack")
        thread.start()
        thread.join()
    finally:
        threading.stack_size(old_stack)
        sys.setrecursionlimit(old_limit)
    if errors:
        raise errors[0]
    return results[0]


@contextlib.contextmanager
def file_budget(seconds: float | None) -> Iterator[None]:
    """Raise :class:`FileBudgetExceeded` in this thread once ``seconds`` have passed.

    The exception is delivered when the thread next runs Python code (a long call into
    libcst's parser ends first, which :data:`MAX_EXPRESSION_DEPTH` and the size limit keep
    short). An exception that was due but not yet raised when the work ends is withdrawn, so
    it never lands in the code that follows.
    """
    if not seconds:
        yield
        return
    thread = threading.get_ident()
    lock = threading.Lock()
    state = {"finished": False, "raised": False}

    def expire() -> None:
        with lock:
            if not state["finished"]:
                state["raised"] = True
                _set_async_exception(thread, FileBudgetExceeded)

    timer = threading.Timer(seconds, expire)
    timer.daemon = True
    timer.start()
    try:
        yield
    finally:
        timer.cancel()
        with lock:
            state["finished"] = True
            if state["raised"]:
                _set_async_exception(thread, None)


def _set_async_exception(thread: int, exception: type[BaseException] | None) -> None:
    # None clears an exception that is still pending (ctypes passes it as NULL).
    argument = ctypes.py_object(exception) if exception is not None else None
    ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(thread), argument)
