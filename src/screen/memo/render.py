"""Rendering: the sandboxed Jinja environment, template errors as `template:line`, memo files."""

from __future__ import annotations

import datetime as dt
import functools
import re
import traceback
from importlib import resources
from pathlib import Path
from typing import Any

from screen.memo.context import memo_context
from screen.memo.markdown import md_code, md_escape, web_url
from screen.memo.pdf import html_to_pdf
from screen.memo.wording import STALE_AFTER_MONTHS, label, number
from screen.model.errors import Location, ScreenError
from screen.model.numbers import display

FORMATS = ("md", "html", "pdf")
TEMPLATE_FOR = {"md": "memo.md.j2", "html": "memo.html.j2", "pdf": "memo.html.j2"}
SUFFIX = {"md": ".md", "html": ".html", "pdf": ".pdf"}


def default_templates() -> Path:
    return Path(str(resources.files("screen") / "templates" / "default"))


def environment(template_dir: str | Path | None = None) -> Any:
    """The Jinja environment: firm templates first, then the defaults (also as `default/...`).

    Cached per folder, so templates compile once per process; Jinja still reloads a template
    whose file changed (auto_reload), so a notebook sees edits to firm templates."""
    if template_dir is not None and not Path(template_dir).is_dir():
        raise ScreenError("template folder not found", Location(str(template_dir)))
    return _environment(None if template_dir is None else str(template_dir))


@functools.lru_cache(maxsize=8)
def _environment(template_dir: str | None) -> Any:
    from jinja2 import ChoiceLoader, PrefixLoader, StrictUndefined
    from jinja2.utils import select_autoescape

    from screen.memo.sandbox import BoundedSandbox, ConfinedLoader

    defaults = ConfinedLoader(str(default_templates()))
    loaders: list[Any] = [PrefixLoader({"default": defaults})]
    if template_dir is not None:
        loaders.append(ConfinedLoader(template_dir))
    loaders.append(defaults)
    env = BoundedSandbox(
        loader=ChoiceLoader(loaders),
        undefined=StrictUndefined,
        autoescape=select_autoescape(
            enabled_extensions=("html", "html.j2", "svg.j2", "xml"),
            default_for_string=True,
            default=False,
        ),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(
        md=md_escape, code=md_code, num=number, score=display, label=label, web_url=web_url
    )
    env.bound_filters()
    return env


def _template_error(err: Exception, name: str) -> ScreenError:
    """A Jinja error as `template:line: message`, from the error or the rewritten traceback."""
    from jinja2 import TemplateNotFound, TemplateSyntaxError

    if isinstance(err, TemplateSyntaxError):
        where = err.filename or err.name or name
        return ScreenError(
            f"template syntax error: {err.message}", Location(where, err.lineno or 0)
        )
    if isinstance(err, TemplateNotFound):
        return ScreenError(f"template not found: {err.name}", Location(name))
    frames = [
        f
        for f in traceback.extract_tb(err.__traceback__)
        if f.filename.endswith((".j2", ".html", ".md", ".css")) or "<template>" in f.filename
    ]
    if frames:
        f = frames[-1]
        return ScreenError(f"template error: {err}", Location(f.filename, f.lineno or 0))
    return ScreenError(f"template error: {err}", Location(name))


def render_text(ctx: dict[str, Any], fmt: str, template_dir: str | Path | None = None) -> str:
    """Render the memo as Markdown or HTML text."""
    from jinja2 import TemplateError

    from screen.memo.sandbox import render_bounded

    name = TEMPLATE_FOR[fmt]
    env = environment(template_dir)
    try:
        return render_bounded(env.get_template(name), memo=ctx, fmt=fmt)
    except ScreenError:
        raise
    except TemplateError as err:
        raise _template_error(err, name) from None
    except (
        TypeError,
        ValueError,
        AttributeError,
        LookupError,
        ArithmeticError,
        RecursionError,
        MemoryError,
    ) as err:
        located = _template_error(err, name)
        if located.location and located.location.file != name:
            raise located from None
        raise


def render(
    loaded: Any,
    result: dict[str, Any],
    fmt: str = "md",
    *,
    template_dir: str | Path | None = None,
    date: dt.date | None = None,
    stale_months: int = STALE_AFTER_MONTHS,
) -> str | bytes:
    """The memo for one screened case: text for md/html, bytes for pdf."""
    if fmt not in FORMATS:
        raise ScreenError(f"unknown memo format {fmt!r}; expected one of: {', '.join(FORMATS)}")
    ctx = memo_context(loaded, result, date=date, stale_months=stale_months)
    text = render_text(ctx, fmt, template_dir)
    return html_to_pdf(text) if fmt == "pdf" else text


def memo_for_case(
    path: str | Path,
    fmt: str = "md",
    *,
    rules: str | Path | None = None,
    template_dir: str | Path | None = None,
    date: dt.date | None = None,
    stale_months: int = STALE_AFTER_MONTHS,
) -> str | bytes:
    """Load, screen and write the memo for one case file (what a notebook calls)."""
    from screen.engine.evaluate import evaluate_case
    from screen.engine.loader import load_case, load_ruleset
    from screen.engine.result import build_result

    rs = load_ruleset(rules)
    loaded = load_case(path)
    result = build_result(rs, loaded, evaluate_case(rs, loaded.case, trace=True))
    return render(
        loaded, result, fmt, template_dir=template_dir, date=date, stale_months=stale_months
    )


_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


def file_name(case_id: str, fmt: str) -> str:
    """A memo's file name from its case id, safe on every filesystem (no paths, no dotfiles)."""
    stem = _SAFE_NAME.sub("-", case_id).strip(".-") or "memo"
    return stem[:120] + SUFFIX[fmt]
