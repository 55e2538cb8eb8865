"""dealscreen: an investment-screening rules engine for healthcare venture investors.

The library API, in the order data flows (load -> validate -> compile -> evaluate ->
report/record)::

    import screen
    rs = screen.load_ruleset()                      # the bundled thesis, or a file/folder
    loaded = screen.load_case("cases/kestrel-bio.yaml")
    outcome = screen.evaluate_case(rs, loaded.case)
    result = screen.build_result(rs, loaded, outcome)   # the result document (README)
    text = screen.render_memo(loaded, result, "md")
    with screen.Store.open(".dealscreen/decisions.db") as store: ...  # or a postgresql:// URL

Names are imported on first use (PEP 562 `__getattr__`), so `import screen` stays cheap and
the CLI's start-up pays only for what a command needs.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

__version__ = "0.1.0"

# public name -> (module, attribute)
_API = {
    "load_case": ("screen.engine.loader", "load_case"),
    "load_ruleset": ("screen.engine.loader", "load_ruleset"),
    "expand_case_paths": ("screen.engine.loader", "expand_case_paths"),
    "LoadedCase": ("screen.engine.loader", "LoadedCase"),
    "CompiledRuleSet": ("screen.engine.compiler", "CompiledRuleSet"),
    "evaluate_case": ("screen.engine.evaluate", "evaluate_case"),
    "evaluate": ("screen.engine.evaluate", "evaluate_case"),
    "build_result": ("screen.engine.result", "build_result"),
    "dumps": ("screen.engine.result", "dumps"),
    "Case": ("screen.model.case", "Case"),
    "ScreenError": ("screen.model.errors", "ScreenError"),
    "render_memo": ("screen.memo", "render"),
    "memo_for_case": ("screen.memo", "memo_for_case"),
    "Store": ("screen.audit.store", "Store"),
    "why_not": ("screen.audit.whynot", "why_not"),
    "lint_paths": ("screen.authoring.lint", "lint_paths"),
    "run_tests": ("screen.authoring.ruletests", "run_tests"),
}

__all__ = ["__version__", *sorted(_API)]


def __getattr__(name: str) -> Any:
    try:
        module, attr = _API[name]
    except KeyError:
        raise AttributeError(f"module 'screen' has no attribute {name!r}") from None
    value = getattr(import_module(module), attr)
    globals()[name] = value  # later lookups skip __getattr__
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_API))
