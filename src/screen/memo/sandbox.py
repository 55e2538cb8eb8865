"""The bounded Jinja sandbox firm templates run in: no code, no files outside, bounded work.

Jinja's `SandboxedEnvironment` stops templates from reaching Python internals, but not from
exhausting the machine: `range(10**10)` raises an OverflowError, `'x' * 10**9` allocates a
gigabyte, `9**(9**9)` is folded at *compile* time and never ends, and nested loops run for
hours. A firm template is input like a case file, so its work is bounded here, with named
limits next to the code they bound (as Jinja names `MAX_RANGE`):

- `range` yields at most `MAX_RANGE` items;
- `*`, `+`, `%` and `**` are intercepted (which also stops Jinja from folding them at compile
  time): text and lists made by them hold at most `MAX_TEXT` items, exponents are at most
  `MAX_EXPONENT`;
- every call, filter and `namespace` assignment checks the render deadline (`RENDER_SECONDS`),
  refuses width/count arguments above `MAX_TEXT` (`'x'.center(10**9)`, `'%*s' % (10**9, 'x')`)
  and results longer than `MAX_TEXT`;
- the output is produced chunk by chunk and stops at `MAX_OUTPUT` characters or the deadline;
- built-in lists and dicts are immutable (`ImmutableSandboxedEnvironment`), so a loop cannot
  grow a list without bound;
- templates load only from inside their folder: a symbolic link that leads outside it (to
  `/etc/passwd`, say) is refused.

A limit hit is a `TemplateLimit`, which the renderer reports as `template:line: message`.
"""

from __future__ import annotations

import contextvars
import functools
import os
import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from jinja2 import FileSystemLoader
from jinja2.exceptions import SecurityError
from jinja2.loaders import split_template_path
from jinja2.sandbox import ImmutableSandboxedEnvironment
from jinja2.utils import Namespace

from screen.model.errors import Location, ScreenError

MAX_RANGE = 10_000  # items one range() may yield
MAX_TEXT = 1_000_000  # characters (or items) one value made in a template may hold
MAX_OUTPUT = 50_000_000  # characters one rendered document may hold
MAX_EXPONENT = 64
RENDER_SECONDS = 60.0  # wall-clock budget of one render (a 10,000-asset memo takes ~5 s)

_deadline: contextvars.ContextVar[float | None] = contextvars.ContextVar(
    "screen_template_deadline", default=None
)
_BIG_WIDTH = re.compile(r"[0-9]{7,}")  # a format width of a million characters or more


class TemplateLimit(SecurityError):
    """A template tried to do more work than a memo needs (see the module's limits)."""


def _check_time() -> None:
    deadline = _deadline.get()
    if deadline is not None and time.monotonic() > deadline:
        raise TemplateLimit(
            f"template rendering took longer than {RENDER_SECONDS:g} s (loops nested too deep?)"
        )


def _sized(value: Any) -> Any:
    if isinstance(value, str | bytes | list | tuple) and len(value) > MAX_TEXT:
        raise TemplateLimit(f"a value made in the template is longer than {MAX_TEXT:,} items")
    return value


def _no_huge_ints(args: Any) -> None:
    for arg in args:
        if isinstance(arg, int) and not isinstance(arg, bool) and abs(arg) > MAX_TEXT:
            raise TemplateLimit(f"argument {arg} is larger than {MAX_TEXT:,}")


def bounded_range(*args: int) -> range:
    """`range` for templates: at most MAX_RANGE items, checked before anything runs."""
    _check_time()
    rng = range(*args)
    if len(rng) > MAX_RANGE:
        raise TemplateLimit(f"range() of {len(rng):,} items; at most {MAX_RANGE:,} are allowed")
    return rng


class BoundedNamespace(Namespace):
    """`namespace()` whose attributes cannot grow without bound across loop iterations."""

    def __setitem__(self, name: str, value: Any) -> None:
        _check_time()
        super().__setitem__(name, _sized(value))


def _bounded_filter(fn: Callable[..., Any]) -> Callable[..., Any]:
    """A filter with the deadline, argument and result checks (the value itself is data)."""

    @functools.wraps(fn)  # keeps jinja_pass_arg, so context/environment filters still work
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        _check_time()
        _no_huge_ints(args[2:] if getattr(fn, "jinja_pass_arg", None) else args[1:])
        _no_huge_ints(kwargs.values())
        return _sized(fn(*args, **kwargs))

    return wrapper


class BoundedSandbox(ImmutableSandboxedEnvironment):
    """Jinja's immutable sandbox with the work limits of this module."""

    intercepted_binops = frozenset({"*", "+", "%", "**"})

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.globals["range"] = bounded_range
        self.globals["namespace"] = BoundedNamespace

    def bound_filters(self) -> None:
        """Wrap every registered filter; call after adding our own filters."""
        self.filters = {name: _bounded_filter(fn) for name, fn in self.filters.items()}

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        _check_time()
        if operator == "**":
            if isinstance(right, int | float) and abs(right) > MAX_EXPONENT:
                raise TemplateLimit(f"exponent {right} is larger than {MAX_EXPONENT}")
        elif operator == "*":
            for seq, n in ((left, right), (right, left)):
                sequence = isinstance(seq, str | list | tuple) and isinstance(n, int)
                if sequence and len(seq) * n > MAX_TEXT:
                    raise TemplateLimit(
                        f"repetition makes {len(seq) * n:,} items; at most {MAX_TEXT:,}"
                    )
        elif operator == "%" and isinstance(left, str):
            if _BIG_WIDTH.search(left):
                raise TemplateLimit(f"a format width of a million characters or more in {left!r}")
            _no_huge_ints(right if isinstance(right, tuple) else (right,))
        return _sized(super().call_binop(context, operator, left, right))

    def wrap_str_format(self, value: Any) -> Any:
        """`'{:>1000000000}'.format(x)`: a huge width in the format text is refused up front."""
        wrapped = super().wrap_str_format(value)
        if wrapped is not None and _BIG_WIDTH.search(value.__self__):
            raise TemplateLimit("a format width of a million characters or more")
        return wrapped

    def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: N805
        _check_time()
        if isinstance(getattr(__obj, "__self__", None), str):  # a text method: 'x'.center(n)
            _no_huge_ints(args)
            _no_huge_ints(kwargs.values())
            if _BIG_WIDTH.search(__obj.__self__):
                raise TemplateLimit("a format width of a million characters or more")
        return _sized(super().call(__context, __obj, *args, **kwargs))


def render_bounded(template: Any, **context: Any) -> str:
    """Render within RENDER_SECONDS and MAX_OUTPUT, checking between output chunks."""
    token = _deadline.set(time.monotonic() + RENDER_SECONDS)
    try:
        chunks: list[str] = []
        size = 0
        stream: Iterator[str] = template.generate(**context)
        for chunk in stream:
            size += len(chunk)
            if size > MAX_OUTPUT:
                raise TemplateLimit(f"the document is longer than {MAX_OUTPUT:,} characters")
            _check_time()
            chunks.append(chunk)
        return "".join(chunks)
    finally:
        _deadline.reset(token)


class ConfinedLoader(FileSystemLoader):
    """A FileSystemLoader that refuses files whose real path leaves its folder (symlinks)."""

    def get_source(self, environment: Any, template: str) -> tuple[str, str, Callable[[], bool]]:
        pieces = split_template_path(template)  # refuses '..' like the parent class
        for folder in self.searchpath:
            candidate = os.path.join(folder, *pieces)
            if os.path.isfile(candidate):  # checked before reading: the parent reads this one
                root = Path(os.path.realpath(folder))
                real = Path(os.path.realpath(candidate))
                if root not in real.parents:
                    raise ScreenError(
                        f"template '{template}' is a link to {real}, outside the template folder",
                        Location(candidate),
                        "copy the file into the template folder instead of linking it",
                    )
                break
        return super().get_source(environment, template)
