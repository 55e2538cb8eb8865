"""`dealscreen eval 'EXPR' CASE`: one expression against one case, the `opa eval` of this tool.

The expression goes through the rule set's own checker (names, types, the sandbox: no imports,
no dunders, bounded work) via `compiler.compile_against`, and is evaluated with Kleene logic on
the fact table the engine builds for the asset: case fields, parameters, derived facts, tables,
criteria and gates. The answer is the value, or *unknown* with the missing facts that made it
so, and every fact the expression read with its value.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Any

from screen.engine.compiler import compile_against
from screen.engine.evaluate import evaluate_case
from screen.engine.facts import build_extractor
from screen.engine.plan import CompiledRuleSet
from screen.lang.runtime import EvalError
from screen.lang.unknown import UNKNOWN, has_unknown
from screen.model.case import Case
from screen.model.errors import Location, ScreenError, did_you_mean


@dataclass
class EvalResult:
    source: str
    asset: str
    value: Any  # UNKNOWN when missing facts leave it open
    reads: list[tuple[str, Any]]  # every fact read, with its value (UNKNOWN if absent)
    missing: list[str]  # reads whose absence made the value unknown

    @property
    def unknown(self) -> bool:
        return self.value is UNKNOWN

    def as_dict(self) -> dict[str, Any]:
        return {
            "expression": self.source,
            "asset": self.asset,
            "value": None if self.unknown else plain(self.value),
            "unknown": self.unknown,
            "reads": {k: None if v is UNKNOWN else plain(v) for k, v in self.reads},
            "missing": self.missing,
        }

    def text(self) -> str:
        needs = f" (needs {', '.join(self.missing)})" if self.missing else ""
        head = f"unknown{needs}" if self.unknown else show(self.value)
        out = [head, f"  asset {self.asset}: {self.source}"]
        out.extend(f"  {k} = {show(v)}" for k, v in self.reads)
        return "\n".join(out) + "\n"


def plain(v: Any) -> Any:
    """A value as JSON: unknown (also an unknown item of a list) as null, enums by name."""
    if v is UNKNOWN:
        return None
    if isinstance(v, Enum):
        return v.name if isinstance(v, int) else v.value
    if isinstance(v, list | tuple):
        return [plain(x) for x in v]
    return v


def show(v: Any) -> str:
    if v is UNKNOWN or v is None:
        return "unknown"
    if isinstance(v, bool):
        return str(v).lower()
    if isinstance(v, Enum):
        return v.name if isinstance(v, int) else str(v.value)
    if isinstance(v, float):
        return f"{v:g}"
    if isinstance(v, list | tuple):
        return "[" + ", ".join(show(x) for x in v) + "]"
    return str(v)


def eval_expression(
    rs: CompiledRuleSet, case: Case, source: str, asset: str | None = None
) -> EvalResult:
    """Evaluate `source` for one asset of `case` (default: the lead asset the company decision
    follows). Bad expressions and unknown assets are ScreenErrors with a hint."""
    expr, extra = compile_against(rs, source, Location("<expression>", 1, 1))
    outcome = evaluate_case(rs, case, trace=False)
    ids = [o.asset.id for o in outcome.assets]
    if asset is None:
        chosen = outcome.lead
    elif asset in ids:
        chosen = outcome.assets[ids.index(asset)]
    else:
        raise ScreenError(
            f"--asset: no asset '{asset}' in this case",
            hint=did_you_mean(asset, ids) or "assets: " + ", ".join(ids),
        )
    facts = dict(chosen.facts)
    if extra:  # case fields the rule set itself never reads
        build_extractor(list(extra.values()))(chosen.asset, case.company, case, facts)
    try:
        value = expr.evaluate(facts)
    except EvalError as exc:
        raise ScreenError(f"cannot evaluate: {exc}", Location("<expression>", 1, 1)) from None
    reads = [(k, facts.get(k, UNKNOWN)) for k in expr.reads]
    if has_unknown(value) and chosen.errors:  # maybe a rule's defect, not missing data
        rule, error = sorted(chosen.errors.items())[0]  # (which unknown rests on it is not
        raise ScreenError(  # traced here: said as a possibility, and exit 2 for the defect)
            f"{error} (rule {rule} failed on asset {chosen.asset.id}; the value is unknown "
            "and may rest on it)"
        )
    missing = [k for k, v in reads if has_unknown(v) and k in expr.blamable]
    return EvalResult(source, chosen.asset.id, value, reads, missing)
