"""Counterfactuals: what would have had to be different for a case to reach another decision.

`why_not(rs, case, target)` searches the smallest sets of fact changes, one fact first, then
pairs, that move the company decision to `target`, and ranks the unknown facts by how much their
plausible values could move the decision. What may change, and to what, is in `whynot_domain`;
this module (about 600 lines) keeps the search and its report together because the report reads
the search's own structures (classes of equivalent values, minimal pairs).

What is searched, and why it stays small:
- Only case facts that can influence the decision: the fields the rule set reads that reach a
  gate or a criterion in the dependency graph (`CompiledRuleSet.edges`), on the core assets (the
  company decision follows them, T1) and the company. Facts listed under `fixed:` in the rule
  set (a path, or a group such as `asset.competition`), and the identity fields `asset.id`,
  `asset.name`, `asset.role`, are never changed; when the rule set lists `actionable:` facts,
  only those are changed. Unknown facts are ranked whether or not they can be changed: learning
  them is diligence, not a change.
- No change contradicts another known fact of the case (`_contradicts`): no approval before
  filing, no domestic sales growth for a company with no approved product, no first-in-class
  claim while a same-target rival is further along.
- Values come from the case schema: every member of an enum, true/false; a known stage moves one
  step (earlier or later), an unknown one may be any stage; numbers take the thresholds that
  the rules reading the fact (directly or through derived facts) compare against (each, and just
  above it); patient counts take only whole numbers of at least 1 (each threshold, one below and
  one above it); a list can become empty or gain one item, except that an approval is proposed
  only for an asset that is already filed or approved. A number just beside a threshold prints
  as `above 300,000` / `below 500,000`. Values that leave every rule outcome of
  the asset exactly as another value does are merged (one representative: the nearest to the
  current value), so pairs are searched over distinct rule outcomes only.
- A pair is reported only when neither of its changes reaches the target alone (minimal sets),
  and pairs are searched only when no single change does.

Long module: the search and its report share the candidate bookkeeping; candidate values
already live in `whynot_domain.py`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from pydantic import BaseModel

from screen.audit.whynot_domain import (
    _below_stage_floor,
    _contradicts,
    _domain,
    _is_fixed,
    _leaf_type,
    field_numbers,
    influencing_facts,
    probe_label,
    rule_numbers,
)
from screen.engine.evaluate import evaluate_asset, evaluate_case, score_asset
from screen.engine.facts import FieldPath, _unwrap, resolve_field
from screen.engine.outcome import DECISION_RANK, INSUFFICIENT, core_candidates
from screen.engine.plan import CompiledRuleSet
from screen.lang.unknown import UNKNOWN
from screen.model.case import (
    DERIVED_FROM,
    Asset,
    Case,
    Claim,
    Figure,
    shared_deals,
    with_derived,
)
from screen.model.numbers import DIGITS, display
from screen.model.ruleset import CompanyAggregation
from screen.model.vocab import Role, Stage

IDENTITY_FACTS = ("asset.id", "asset.name", "asset.role")
MAX_PAIRS = 20000  # pair evaluations per search: a bound on work, not a tuning knob
TARGETS = ("advance", "watch", "decline")


@dataclass(frozen=True, eq=False)  # identity: values may be lists
class Change:
    """One fact set to one value, on one asset (None: a company or case fact)."""

    asset: str | None
    fact: str
    value: Any
    was: Any
    label: str | None = None  # how a probe value reads: `above 300,000` for 300001

    def describe(self) -> str:
        shown = self.label or show(self.value)
        return f"{subject(self.asset, self.fact)} were {shown} (is {show(self.was)})"


def subject(asset: str | None, fact: str) -> str:
    """`asset A1 epidemiology.us`, `company overseas_capability`, `case as_of`."""
    root, _, name = fact.partition(".")
    if root == "asset":
        return f"asset {asset} {name}" if asset else f"asset {name}"
    return f"{root} {name}"


@dataclass
class Counterfactual:
    changes: tuple[Change, ...]
    decision: str
    score: float
    also: list[Any] = field(default_factory=list)  # other values of a single fact that work too
    also_text: list[str] = field(default_factory=list)  # the same, as they read


@dataclass
class UnknownImpact:
    asset: str | None
    fact: str
    outcomes: list[tuple[Any, str, float]]  # value, decision, score

    @property
    def decisions(self) -> set[str]:
        return {d for _, d, _ in self.outcomes}

    @property
    def span(self) -> float:
        scores = [s for _, _, s in self.outcomes]
        return max(scores) - min(scores) if scores else 0.0


@dataclass
class WhyNot:
    case_id: str
    company: str
    target: str
    decision: str
    score: float
    singles: list[Counterfactual]
    pairs: list[Counterfactual]
    unknowns: list[UnknownImpact]
    facts_searched: list[str]
    fixed_skipped: list[str]
    evaluations: int
    truncated: bool = False
    max_changes: int = 2  # 1: single facts only; 2: pairs too, when no single change suffices
    # no asset marked core and several candidates (or all non-core): the decision waits for
    # which is core, and each change is read with the strongest candidate as the core asset
    core_unstated: bool = False
    # open questions of the screen that no change here can vary (the regional stages of a case
    # with no development block), so the report does not seem to say they cannot matter
    unvaried: list[tuple[str | None, str]] = field(default_factory=list)

    @property
    def reached(self) -> bool:
        return _reaches(self.decision, self.target)

    def as_dict(self) -> dict[str, Any]:
        def cf(c: Counterfactual) -> dict[str, Any]:
            return {
                "changes": [
                    {"asset": x.asset, "fact": x.fact, "value": plain(x.value), "was": plain(x.was)}
                    for x in c.changes
                ],
                "decision": c.decision,
                "score": round(c.score, 4),
                "also": [plain(v) for v in c.also],
                "text": line(self, c),
            }

        return {
            "case": self.case_id,
            "company": self.company,
            "target": self.target,
            "decision": self.decision,
            "score": round(self.score, 4),
            "already_at_target": self.reached,
            "singles": [cf(c) for c in self.singles],
            "pairs": [cf(c) for c in self.pairs],
            "unknowns": [
                {
                    "asset": u.asset,
                    "fact": u.fact,
                    "outcomes": [
                        {"value": plain(v), "decision": d, "score": round(s, 4)}
                        for v, d, s in u.outcomes
                    ],
                }
                for u in self.unknowns
            ],
            "facts_searched": self.facts_searched,
            "fixed_skipped": self.fixed_skipped,
            "evaluations": self.evaluations,
            "truncated": self.truncated,
            "max_changes": self.max_changes,
            "core_unstated": self.core_unstated,
            "unvaried": [{"asset": a, "fact": f} for a, f in self.unvaried],
        }


def show(v: Any) -> str:
    if v is UNKNOWN or v is None:
        return "unknown"
    if isinstance(v, bool):
        return str(v).lower()
    if isinstance(v, Stage):
        return v.name
    if isinstance(v, Enum):
        return str(v.value)
    if isinstance(v, float):
        return f"{v:g}"
    if isinstance(v, list | tuple):
        return "[" + ", ".join(show(x) for x in v) + "]" if v else "none"
    if isinstance(v, BaseModel):  # a list item (a rival program, a trial): its name or id
        return str(getattr(v, "name", None) or getattr(v, "id", None) or type(v).__name__)
    return str(v)


def plain(v: Any) -> Any:
    if v is UNKNOWN:
        return None
    if isinstance(v, Stage):
        return v.name
    if isinstance(v, Enum):
        return v.value
    if isinstance(v, list | tuple):
        return [plain(x) for x in v]
    return v


def _reaches(decision: str, target: str) -> bool:
    if target == "decline":
        return decision == "decline"
    return (
        DECISION_RANK[decision] >= DECISION_RANK[target] and decision != "insufficient_information"
    )


# --------------------------------------------------------------------------- setting facts


def _set_path(obj: BaseModel | None, model: Any, steps: tuple[str, ...], value: Any) -> BaseModel:
    """A copy of `obj` with the field at `steps` set to `value` (absent groups are created)."""
    if obj is None:
        obj = model.model_construct()
    step = steps[0]
    if len(steps) == 1:
        return obj.model_copy(update={step: value})
    inner, _, _ = _unwrap(type(obj).model_fields[step].annotation)
    return obj.model_copy(update={step: _set_path(getattr(obj, step), inner, steps[1:], value)})


def _set_asset(case: Case, asset: Asset, option: _Option) -> Asset:
    """The asset with one option applied, its derived facts (regional stages) following; the
    deals its siblings record for it still count (a deal is written once, on one asset)."""
    changed = _set_path(asset, Asset, option.steps, option.new)
    return with_derived(changed, shared_deals(case.assets, asset))


def _written_field(rs: CompiledRuleSet, fact: str, holder: Any) -> FieldPath | None:
    """The field a why-not change writes for `fact`: the fact itself, or for a stage derived
    from a development block, the region's stage in it (the ex-China stage: the US one, the
    market that comes first, T8). None for a fact no case file can set (efficacy deltas, and
    regional stages of a v1 case, which has no development block to change)."""
    fp = rs.fields[fact]
    if _into_absent_value(fp, holder):
        return None  # `best_in_class.status` of a claim the case does not make
    if fp.root != "asset" or fact not in DERIVED_FROM:
        return fp
    name = fact.removeprefix("asset.")
    has_block = getattr(holder, "development", None) is not None
    if name == "stage":  # stated in a v1 case; the most advanced region's in a v2 one
        return None if has_block else fp
    if not has_block or not name.startswith("stage_"):
        return None
    region = "us" if name == "stage_ex_china" else name.removeprefix("stage_")
    return resolve_field(("asset", "development", region, "stage"))


def _into_absent_value(fp: FieldPath, holder: Any) -> bool:
    """Whether `fp` reads a part of a figure or claim (its status, source) that is absent: a
    change to it would invent the figure or claim itself, with no value."""
    obj, model = holder, type(holder)
    for i, step in enumerate(fp.steps[:-1]):
        if fp.list_steps[i] or not (isinstance(model, type) and issubclass(model, BaseModel)):
            return False
        inner, _, _ = _unwrap(model.model_fields[step].annotation)
        obj = getattr(obj, step) if obj is not None else None  # absent groups: by type
        if obj is None and inner in (Figure, Claim):
            return True
        model = inner
    return False


def _get_path(obj: Any, steps: tuple[str, ...]) -> Any:
    for step in steps:
        if obj is None:
            return None
        obj = getattr(obj, step)
    return obj


def _claim(current: Any, value: bool) -> Claim:
    if isinstance(current, Claim):
        return current.model_copy(update={"value": value})
    return Claim.model_construct(value=value)


def _figure(current: Any, value: float) -> Figure:
    if isinstance(current, Figure):
        return current.model_copy(update={"value": value})
    return Figure.model_construct(value=value)


@dataclass(frozen=True, eq=False)
class _Option:
    """A change ready to apply: the description, and the new container value to set."""

    change: Change
    steps: tuple[str, ...]  # where to set it (for lists: the list field itself)
    new: Any


def _options(
    fp: FieldPath, holder: Any, numbers: list[float], asset_id: str | None
) -> list[_Option]:
    steps = fp.steps
    if _below_stage_floor(fp, holder):
        return []  # e.g. no approval proposed (nor asked about) for an asset not yet filed
    if any(fp.list_steps):
        cut = fp.list_steps.index(True) + 1
        list_steps = steps[:cut]
        current = _get_path(holder, list_steps)
        was = current if current is not None else UNKNOWN
        opts: list[_Option] = []
        if current is None or len(current) > 0:
            opts.append(
                _Option(Change(asset_id, ".".join((fp.root, *list_steps)), [], was), list_steps, [])
            )
        item_type, _, _ = _unwrap(_field_annotation(fp, cut))
        rest = steps[cut:]
        leaf = _leaf_type(fp)
        if isinstance(leaf, type) and issubclass(leaf, Enum):
            for v in leaf:
                if rest:
                    if len(rest) != 1:
                        continue
                    item = item_type.model_construct(**{rest[0]: v})
                else:
                    item = v
                new = list(current or []) + [item]
                shown = [_get_path(x, rest) if rest else x for x in new]
                opts.append(
                    _Option(
                        Change(
                            asset_id,
                            fp.key,
                            shown,
                            [_get_path(x, rest) if rest else x for x in current]
                            if current is not None
                            else UNKNOWN,
                        ),
                        list_steps,
                        new,
                    )
                )
        return opts
    current = _get_path(holder, steps)
    dev = getattr(holder, "development", None)
    if (
        current is None
        and steps[0] == "development"
        and _get_path(holder, steps[:-1]) is None
        and not (dev is not None and len(steps) > 1 and dev.named(steps[1]))  # `us:` bare
    ):
        current = Stage.none  # a region a development block leaves out is not in development
        # (one named without a stage is unknown there: every stage is a candidate)
    cur_value = current.value if isinstance(current, Figure | Claim) else current
    was = UNKNOWN if cur_value is None else cur_value
    out = []
    for v in _domain(fp, numbers, cur_value):
        if cur_value is not None and v == cur_value and type(v) is type(cur_value):
            continue
        leaf = _leaf_type(fp)
        new = _figure(current, v) if leaf is Figure else _claim(current, v) if leaf is Claim else v
        label = probe_label(v, numbers) if isinstance(v, float) else None
        out.append(_Option(Change(asset_id, fp.key, v, was, label), steps, new))
    return out


def _distinct(items: Any) -> list[str]:
    out: list[str] = []
    for x in items:
        if x not in out:
            out.append(x)
    return out


def _field_annotation(fp: FieldPath, upto: int) -> Any:
    from screen.engine.facts import ROOT_MODELS

    model: Any = ROOT_MODELS[fp.root]
    ann = None
    for step in fp.steps[:upto]:
        ann = model.model_fields[step].annotation
        model, _, _ = _unwrap(ann)
    return ann


# --------------------------------------------------------------------------- the search


class _Evaluator:
    """Company decision for a case with some facts changed, reusing unchanged assets' scores."""

    def __init__(self, rs: CompiledRuleSet, case: Case):
        self.rs = rs
        self.case = case
        core = [a for a in case.assets if a.role is Role.core]
        if not core:
            core = [a for a in case.assets if a.role is None] or list(case.assets)
        self.core = core
        self.count = 0
        self.base = {a.id: self._score(case, a) for a in core}

    def _score(self, case: Case, asset: Asset) -> tuple[str, float]:
        self.count += 1
        return score_asset(self.rs, case, asset)

    def company(self, options: tuple[_Option, ...]) -> tuple[str, float]:
        case = self.case
        assets = {a.id: a for a in self.core}
        company_changed = False
        for o in options:
            if o.change.asset is None:
                root = o.change.fact.split(".")[0]
                if root == "company":
                    case = case.model_copy(
                        update={"company": _set_path(case.company, None, o.steps, o.new)}
                    )
                else:
                    case = case.model_copy(update={o.steps[0]: o.new})
                company_changed = True
            else:
                assets[o.change.asset] = _set_asset(self.case, assets[o.change.asset], o)
        results = []
        for a in self.core:
            changed = company_changed or assets[a.id] is not a
            results.append(self._score(case, assets[a.id]) if changed else self.base[a.id])
        pick = min if self.rs.decision.company is CompanyAggregation.worst else max
        return pick(results, key=lambda r: (DECISION_RANK[r[0]], r[1]))

    def signature(self, option: _Option) -> tuple[Any, ...]:
        """Every rule outcome of the changed asset(s): values that give the same are merged."""
        case = self.case
        targets = self.core
        if option.change.asset is None:
            if option.change.fact.startswith("company."):
                case = case.model_copy(
                    update={"company": _set_path(case.company, None, option.steps, option.new)}
                )
            else:
                case = case.model_copy(update={option.steps[0]: option.new})
        else:
            targets = [a for a in self.core if a.id == option.change.asset]
        sig = []
        for a in targets:
            if option.change.asset is not None:
                a = _set_asset(self.case, a, option)
            self.count += 1
            out = evaluate_asset(self.rs, case, a, trace=False)
            sig.append(
                tuple(
                    (k, repr(v))
                    for k, v in sorted(out.facts.items())
                    if not k.startswith(("asset.", "company.", "case.", "params."))
                )
            )
        return tuple(sig)


def _cost(c: Change) -> tuple[int, float]:
    """How a change ranks among equivalent ones: a threshold itself (500000, 12 months) before
    the values just beside it (499999, 500001: they carry a label, `above 500,000`), then the
    smallest move from the current value. (Telling thresholds by their round digits put 120
    months before the 12 the rules name.)"""
    return int(c.label is not None), _distance(c)


def _pair_cost(cf: Counterfactual) -> tuple[int, float]:
    costs = [_cost(c) for c in cf.changes]
    return sum(b for b, _ in costs), sum(d for _, d in costs)


def _distance(c: Change) -> float:
    v, w = c.value, c.was
    if isinstance(v, Stage) and isinstance(w, Stage):
        return abs(int(v) - int(w))
    if isinstance(v, int | float) and isinstance(w, int | float) and not isinstance(v, bool):
        return abs(float(v) - float(w)) / (abs(float(w)) + 1.0)
    return 0.5


def why_not(
    rs: CompiledRuleSet, case: Case, *, target: str = "advance", max_changes: int = 2
) -> WhyNot:
    """Search the smallest fact changes that move `case` to `target` (see module docstring)."""
    if target not in TARGETS:
        raise ValueError(f"target must be one of {TARGETS}")
    ev = _Evaluator(rs, case)
    pick = min if rs.decision.company is CompanyAggregation.worst else max
    decision, score = pick(ev.base.values(), key=lambda r: (DECISION_RANK[r[0]], r[1]))
    _, core_unstated, _ = core_candidates([a.role for a in case.assets])
    screened = evaluate_case(rs, case, trace=False)
    if core_unstated:  # the case waits for which asset is core: its decision says so
        decision, score = screened.decision, screened.score
    asked = {  # (asset, fact) as changes name them: a company fact belongs to no asset
        (None if not u.fact.startswith("asset.") else a or None, u.fact)
        for a, u in screened.unknowns
        if u.fact != "asset.role"
    }
    waiting = decision == INSUFFICIENT

    def reaches(d: str, s: float) -> bool:
        """The target reached by a change that is news for the better: an undecided case
        is not 'moved to watch' by a trial stopped for safety, which settles it lower."""
        return _reaches(d, target) and not (waiting and s < score - 1e-9)

    numbers = rule_numbers(rs)
    per_field = field_numbers(rs)
    facts = influencing_facts(rs)
    fixed = [f for f in facts if _is_fixed(f, rs.fixed)]
    if rs.actionable:  # the rule set names what a company can change: nothing else is
        fixed += [f for f in facts if f not in fixed and not _is_fixed(f, rs.actionable)]
        fixed.sort()
    searched = [f for f in facts if f not in fixed and f not in IDENTITY_FACTS]
    probed = [f for f in facts if f not in IDENTITY_FACTS]  # unknowns: fixed ones too

    # every option, grouped per (asset, fact); values with the same rule outcomes merged
    groups: dict[tuple[str | None, str], list[_Option]] = {}
    changeable: set[tuple[str | None, str]] = set()
    for fact in probed:
        fp = rs.fields[fact]
        if fp.root == "asset":
            holders = [(a.id, a) for a in ev.core]
        elif fp.root == "company":
            holders = [(None, case.company)]
        else:
            holders = [(None, case)]
        for asset_id, holder in holders:
            written = _written_field(rs, fact, holder)
            if written is None:
                continue
            opts = _options(written, holder, per_field.get(fact) or numbers, asset_id)
            opts = [o for o in opts if not _contradicts(o.change, holder, case)]
            if opts:
                groups[(asset_id, opts[0].change.fact)] = (
                    groups.get((asset_id, opts[0].change.fact), []) + opts
                )
                if fact in searched:
                    changeable.add((asset_id, opts[0].change.fact))
    reps: dict[tuple[str | None, str], list[tuple[_Option, list[_Option]]]] = {}
    for key, opts in groups.items():
        classes: dict[Any, list[_Option]] = {}
        for o in sorted(opts, key=lambda o: _cost(o.change)):
            classes.setdefault(ev.signature(o), []).append(o)
        reps[key] = [(members[0], members) for members in classes.values()]

    # singles
    singles: list[Counterfactual] = []
    single_ok: set[Change] = set()
    results: dict[Change, tuple[str, float]] = {}
    for key, classes in reps.items():
        if key not in changeable:
            continue
        working: list[tuple[_Option, str, float]] = []
        for rep, members in classes:
            d, s = ev.company((rep,))
            results[rep.change] = (d, s)
            if reaches(d, s):
                for m in members:
                    single_ok.add(m.change)
                working.extend((m, d, s) for m in members)
        if working:
            working.sort(key=lambda w: (_cost(w[0].change), -w[2]))
            best = working[0]
            singles.append(
                Counterfactual(
                    (best[0].change,),
                    best[1],
                    best[2],
                    [w[0].change.value for w in working[1:]],
                    _distinct(w[0].change.label or show(w[0].change.value) for w in working[1:]),
                )
            )
    singles.sort(key=lambda c: (-c.score, c.changes[0].fact))

    # pairs, only when no single change is enough
    pairs: list[Counterfactual] = []
    truncated = False
    if not singles and max_changes >= 2 and not _reaches(decision, target):
        keys = [k for k in reps if k in changeable]
        budget = MAX_PAIRS
        best_per_pair: dict[tuple[Any, Any], Counterfactual] = {}
        for i, k1 in enumerate(keys):
            for k2 in keys[i + 1 :]:
                if k1[1] == k2[1] and k1[0] == k2[0]:
                    continue
                for r1, _ in reps[k1]:
                    for r2, _ in reps[k2]:
                        if budget == 0:
                            truncated = True
                            break
                        budget -= 1
                        d, s = ev.company((r1, r2))
                        if reaches(d, s):
                            cf = Counterfactual((r1.change, r2.change), d, s)
                            old = best_per_pair.get((k1, k2))
                            if old is None or _pair_cost(cf) < _pair_cost(old):
                                best_per_pair[(k1, k2)] = cf
        pairs = sorted(best_per_pair.values(), key=lambda c: (-c.score, c.changes[0].fact))

    # unknowns: which matter most
    unknowns: list[UnknownImpact] = []
    for (asset_id, fact), classes in reps.items():
        members = [m for _, ms in classes for m in ms]
        if not members or members[0].change.was is not UNKNOWN:
            continue
        if (asset_id, _screened_fact(fact)) not in asked:
            continue  # the rules read its absence as a value (coalesce): not an open question
        outcomes = []
        for rep, ms in classes:
            d, s = results.get(rep.change) or ev.company((rep,))
            outcomes.extend((m.change.value, d, s) for m in ms[:1])
        impact = UnknownImpact(asset_id, fact, outcomes)
        if len(impact.decisions) > 1:  # one that moves only the score does not move the decision
            unknowns.append(impact)
    unknowns.sort(key=lambda u: (-len(u.decisions), -u.span, u.fact))
    probed = {(a, _screened_fact(f)) for a, f in reps}
    unvaried = sorted((a, f) for a, f in asked if (a, f) not in probed and f in rs.fields)

    return WhyNot(
        case.id or "",
        case.company.name,
        target,
        decision,
        score,
        singles,
        pairs,
        unknowns,
        searched,
        fixed,
        ev.count,
        truncated,
        max_changes,
        core_unstated,
        unvaried,
    )


# --------------------------------------------------------------------------- report


def _screened_fact(fact: str) -> str:
    """The fact the screen asks about for a field a change writes: a region's stage in the
    development block is the derived `asset.stage_<region>`."""
    parts = fact.split(".")
    if len(parts) == 4 and parts[:2] == ["asset", "development"] and parts[3] == "stage":
        return f"asset.stage_{parts[2]}"
    return fact


def _shown(score: float) -> str:
    """A score as every other command shows it: rounded to the result's DIGITS first (3.575
    is 3.57499... as a float; the result holds 3.575, which shows as 3.58)."""
    return display(round(score, DIGITS))


def line(w: WhyNot, c: Counterfactual) -> str:
    what = " and ".join(ch.describe() for ch in c.changes)
    texts = c.also_text or [show(v) for v in c.also]
    also = f"; also at {', '.join(texts[:4])}" if texts else ""
    return f"if {what}: decision {c.decision} (score {_shown(w.score)} -> {_shown(c.score)}){also}"


def format_why_not(w: WhyNot, limit: int = 12) -> str:
    out = [f"{w.company}: decision {w.decision}, score {_shown(w.score)}; target {w.target}"]
    if w.core_unstated:
        out.append(
            "no asset is marked core: the decision waits for which asset is core (asset.role); "
            "each change below reads the strongest candidate as the core asset"
        )
    if w.reached:
        out.append(f"already at the target ({w.decision}); nothing to change")
    elif w.singles:
        out.append(f"single fact changes that reach {w.target}: {len(w.singles)}")
        out.extend("  " + line(w, c) for c in w.singles[:limit])
    elif w.pairs:
        out.append(f"no single fact change reaches {w.target}; pairs that do: {len(w.pairs)}")
        out.extend("  " + line(w, c) for c in w.pairs[:limit])
    elif w.max_changes < 2:
        out.append(
            f"no single fact change reaches {w.target} (pairs were not searched: --max-changes 1)"
        )
    else:
        out.append(
            f"no change of one fact, or of two together, reaches {w.target}"
            + (f" (pair search stopped after {MAX_PAIRS} pairs)" if w.truncated else "")
        )
    if w.unknowns:
        out.append("unknown facts, by how much they could move the decision:")
        for u in w.unknowns[:limit]:
            by_decision: dict[str, list[str]] = {}
            for v, d, s in u.outcomes:
                by_decision.setdefault(f"{d} {_shown(s)}", []).append(show(v))
            detail = "; ".join(
                f"{', '.join(vs[:3])}{'...' if len(vs) > 3 else ''} -> {k}"
                for k, vs in by_decision.items()
            )
            out.append(f"  {subject(u.asset, u.fact)}: {detail}")
    if w.unvaried:
        out.append(
            "also open, which no change of one written field varies here (a fact derived "
            "from others: a regional stage of a case without a development block, a gain read "
            "from the readouts, the FDA's latest complete response letter): "
            + ", ".join(subject(a, f) for a, f in w.unvaried[:limit])
        )
    skipped = f"; fixed (not changed): {', '.join(w.fixed_skipped)}" if w.fixed_skipped else ""
    out.append(
        f"searched {len(w.facts_searched)} fact(s) that can influence the decision, "
        f"{w.evaluations} evaluations{skipped}"
    )
    return "\n".join(out) + "\n"
