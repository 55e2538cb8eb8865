"""First-draft investment memos: (rule set, case, result) -> a Markdown or HTML document.

This is the report stage's long form, one module per job: `wording` (how keys and numbers
read), `citations` (figures -> numbered sources with flags), `evidence` (case schema v2 fields,
read so v1 cases work too), `facts` (the facts a rule read, in words), `assets`, `readings`,
`deals`, `prose` (the summary), `risks` and `diligence` (questions), `context` (the view
model), `markdown` (escaping), `render` (the sandboxed Jinja environment), `pdf` and `docx`.

`memo_context` turns the result document (see README, "Result JSON") and the validated case
into a *view model*: every figure wrapped as a `Citation` (source number, status, as-of,
stale / estimate / unsourced flags), the thesis readings (T4, T5/T6/T10, T7/T8) and the
executive summary drafted as sentences. Jinja templates
(`templates/default/`) only lay the view model out, so a firm can restyle or reword one block
without touching the logic, and Markdown and HTML say the same things.

Safety: text from case files is data, never markup or template code. It is only ever passed to
templates as values (never compiled), HTML autoescapes (`select_autoescape`), Markdown templates
escape through the `md` filter, and firm templates run in Jinja's sandbox. Undefined names are
errors (`StrictUndefined`), reported as `template:line: message` like every other input error.

Determinism: no clock is read. A date appears only when the caller passes one (`--date`); the
same inputs give the same bytes.
"""

from screen.memo.context import memo_context
from screen.memo.markdown import md_code, md_escape, web_url
from screen.memo.pdf import PDF_INSTALL_HINT, data_url_fetcher, html_to_pdf
from screen.memo.render import (
    FORMATS,
    SUFFIX,
    default_templates,
    environment,
    file_name,
    memo_for_case,
    render,
    render_text,
)
from screen.memo.wording import STALE_AFTER_MONTHS

__all__ = [
    "FORMATS",
    "PDF_INSTALL_HINT",
    "STALE_AFTER_MONTHS",
    "SUFFIX",
    "data_url_fetcher",
    "default_templates",
    "environment",
    "file_name",
    "html_to_pdf",
    "md_code",
    "md_escape",
    "memo_context",
    "memo_for_case",
    "render",
    "render_text",
    "web_url",
]
