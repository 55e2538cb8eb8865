"""The pipeline view: many case files in, one ranked row per company out.

Ranking a folder of hundreds or thousands of candidates must not build the full result document
(with its trace) for each: every case is loaded, evaluated and immediately reduced to a
`PipelineRow` (decision, score, per-criterion scores, lead asset, open questions, top reason),
and only the rows are kept. Assets whose facts are complete take the engine's generated fast path
and are summarised straight from its fact table; the others go through the interpretive
evaluator without trace. `tests/test_pipeline.py` checks that the rows agree with the full result
documents, so this reduction cannot drift from the engine's meaning.

Large batches are spread over worker processes (`jobs`); the rows come back in input order and
are ranked by the same total order as in a single process, so the output is identical.

Long module: rows, reasons, the company lead and the process pool all read the same
`AssetScores`; keeping its readers together keeps the pipeline's one data type in one place.
"""

from __future__ import annotations

import math
import multiprocessing
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from screen.engine import evaluate as engine
from screen.engine.fastpath import fast_path
from screen.engine.loader import LoadedCase, load_case
from screen.engine.outcome import DECISION_RANK, INSUFFICIENT, core_candidates, pick_lead
from screen.engine.plan import CompiledRuleSet
from screen.engine.questions import question_for
from screen.engine.result import rule_error_line
from screen.model.errors import ScreenError
from screen.model.numbers import DIGITS
from screen.model.ruleset import CompanyAggregation
from screen.model.vocab import Role
from screen.report.console import DECISION_ORDER

PARALLEL_MIN_FILES = 200  # below this, starting worker processes costs more than it saves
CHUNK_FILES = 50  # case files per task sent to a worker (amortises pickling, keeps order cheap)
MAX_JOBS = 64


@dataclass(frozen=True, slots=True)
class AssetScores:
    """One asset reduced to what ranking and sensitivity need (no trace, no fact table).

    `policy` is what each criterion counts in the total (None when excluded by its unknown
    policy); `lows` / `highs` are its lowest and highest reachable scores."""

    id: str
    name: str
    role: Role | None
    stage: str | None
    therapeutic_area: str | None
    indication: str | None
    decision: str
    score: float
    low: float
    high: float
    scores: tuple[float | None, ...]  # None: unknown
    policy: tuple[float | None, ...]
    lows: tuple[float, ...]
    highs: tuple[float, ...]
    fired: tuple[str | None, ...]
    failed_gates: tuple[str, ...]
    unknown_gates: tuple[str, ...]
    unknowns: tuple[str, ...]  # fact paths, most important first
    # per unknown (same order): the rule set's question for it (None: no author question), and
    # the rules (gates, criteria, bands, rows) it leaves open
    questions: tuple[str | None, ...] = ()
    unknown_rules: tuple[tuple[str, ...], ...] = ()
    provisional: float | None = None  # provisional score of an undecided asset (priors)
    provisional_decision: str | None = None
    errors: tuple[tuple[str, str], ...] = ()  # (rule, located message) of rules that failed


@dataclass(frozen=True, slots=True)
class PipelineRow:
    """One company in the pipeline: what a partner reads in the spreadsheet."""

    path: str
    sha256: str
    case_id: str
    company: str
    as_of: str | None
    analyst: str | None
    decision: str
    score: float
    score_low: float
    score_high: float
    criteria: tuple[float | None, ...]  # lead asset's scores, rule-set order; None = unknown
    contributions: tuple[float, ...]  # points each criterion adds to the total
    lead_asset: str
    lead_name: str
    stage: str | None
    therapeutic_area: str | None
    indication: str | None
    unknowns: int  # open diligence questions on the core asset(s)
    top_reason: str  # for people: gate / criterion names, the rule set's question text
    failed_gates: tuple[str, ...] = field(default=())
    top_reason_ids: tuple[str, ...] = field(default=())  # the same, as rule ids and fact paths
    revisit: str | None = None  # watch list: ISO date the case is due for another look
    revisit_when: str | None = None  # ... and what to wait for
    provisional_decision: str | None = None  # an undecided company's likely call (priors)
    provisional_score: float | None = None
    rule_errors: tuple[str, ...] = ()  # located lines: rules that failed on the judged assets

    def sort_key(self) -> tuple[Any, ...]:
        """Decision (advance ... decline), then score, then company and file: a total order.

        Undecided companies rank by their provisional score: by what they would likely be,
        not by how well they are documented."""
        score = self.score
        if self.decision == INSUFFICIENT and self.provisional_score is not None:
            score = self.provisional_score
        return (DECISION_ORDER[self.decision], -score, self.company, self.path)


@dataclass(frozen=True, slots=True)
class CaseScores:
    """A case reduced to its assets' scores and the company's lead (input to sensitivity)."""

    path: str
    case_id: str
    company: str
    assets: tuple[AssetScores, ...]
    core: tuple[int, ...]  # indexes into `assets` of the assets the company decision follows
    lead: int
    ask_core: bool = False  # no asset is marked core and the candidates could disagree


# --------------------------------------------------------------------------- evaluation


def score_assets(rs: CompiledRuleSet, loaded: LoadedCase) -> list[AssetScores]:
    """Evaluate every asset of a case without trace, reduced to `AssetScores`."""
    case = loaded.case
    out = []
    for asset in case.assets:
        scores, rank = _score_open(rs, case, asset)
        out.append(scores if rank is None else rank())
    return out


Ranking = Callable[[], AssetScores]


def _score_open(rs: CompiledRuleSet, case: Any, asset: Any) -> tuple[AssetScores, Ranking | None]:
    """One asset's `AssetScores` before its questions are ranked, and the call that ranks them
    and gives the final `AssetScores` (None when there is nothing to rank: the scores are
    final). Everything but the order of the unknowns and the provisional call is final."""
    facts = engine.extract_facts(rs, case, asset)
    if engine.try_fast_path(rs, facts):
        return _from_fast_facts(rs, asset, facts), None
    # the interpretive pass reuses the extracted facts, as evaluate_asset does
    outcome, rank = engine.evaluate_open(rs, case, asset, facts, False, False)
    if rank is None:
        return _from_outcome(rs, outcome), None

    def ranked() -> AssetScores:
        rank()
        return _from_outcome(rs, outcome)

    return _from_outcome(rs, outcome), ranked


def _describe(asset: Any) -> tuple[str | None, str | None]:
    stage = asset.stage.name if asset.stage is not None else None
    area = asset.therapeutic_area.value if asset.therapeutic_area is not None else None
    return stage, area


def _from_fast_facts(rs: CompiledRuleSet, asset: Any, F: dict[str, Any]) -> AssetScores:
    """Complete data: every score is known, so low = high = score for every criterion."""
    scores = tuple(float(F[c.key]) for c in rs.criteria)
    fired: list[str | None] = []
    for c in rs.criteria:
        index = F["#" + c.key]
        if c.bands is not None:
            fired.append(c.bands[index].id if index >= 0 else None)
        else:
            fired.append(rs.tables[c.table].rows[index].id)  # type: ignore[index]
    score = F["#score"]
    stage, area = _describe(asset)
    return AssetScores(
        asset.id,
        asset.name,
        asset.role,
        stage,
        area,
        asset.indication,
        F["#decision"],
        score,
        score,
        score,
        scores,
        scores,
        scores,
        scores,
        tuple(fired),
        tuple(g.id for g in rs.gates if not F[g.key]),
        (),
        (),
    )


def _from_outcome(rs: CompiledRuleSet, o: Any) -> AssetScores:
    lows, highs = [], []
    for c in o.criteria:
        if c.score is not None:
            lows.append(c.score)
            highs.append(c.score)
        else:
            lows.append(min(c.possible))
            highs.append(max(c.possible))
    stage, area = _describe(o.asset)
    return AssetScores(
        o.asset.id,
        o.asset.name,
        o.asset.role,
        stage,
        area,
        o.asset.indication,
        o.decision,
        o.score,
        o.score_range[0],
        o.score_range[1],
        tuple(c.score for c in o.criteria),
        tuple(c.policy_score for c in o.criteria),
        tuple(lows),
        tuple(highs),
        tuple(c.fired for c in o.criteria),
        tuple(g.id for g in o.gates if g.outcome == "fail"),
        tuple(g.id for g in o.gates if g.outcome == "unknown"),
        tuple(u.fact for u in o.unknowns),
        tuple(u.question if _authored(rs, u.fact, u.rules) else None for u in o.unknowns),
        tuple(tuple(u.rules) for u in o.unknowns),
        o.provisional.score if o.provisional else None,
        o.provisional.decision if o.provisional else None,
        tuple(sorted(o.errors.items())),
    )


def _authored(rs: CompiledRuleSet, fact: str, rules: Sequence[str]) -> bool:
    """Whether the rule set words the question for `fact` (else the engine made one up).

    As the engine looks them up: `questions:` for the fact or an enclosing group, else the
    `question` of a gate, criterion or derived fact that needs it."""
    if fact not in rs.fields:  # a rule that could not be evaluated: its message is the question
        return True
    if question_for(rs.questions, fact) is not None:
        return True
    asked = rs.__dict__.get("_pipeline_asked")
    if asked is None:
        asked = {
            n.key for n in [*rs.steps, *rs.gates, *rs.criteria] if getattr(n, "question", None)
        }
        rs.__dict__["_pipeline_asked"] = asked
    return any(r in asked for r in rules)


def company_lead(rs: CompiledRuleSet, assets: Sequence[AssetScores]) -> tuple[tuple[int, ...], int]:
    """(core asset indexes, lead index), as `engine.evaluate_case` chooses them (T1).

    Candidates and lead come from `outcome.core_candidates` and `outcome.pick_lead`, shared
    with the engine."""
    roles = [a.role for a in assets]
    core, _, _ = core_candidates(roles)
    return core, _lead(rs, core, roles, assets)


def _lead(rs: CompiledRuleSet, core: Sequence[int], roles: Sequence[Any], assets: Any) -> int:
    """The lead among `core` by decision, then score: `assets` holds the scores of at least
    the core assets, by index (a sequence, or a mapping)."""
    worst = rs.decision.company is CompanyAggregation.worst
    return pick_lead(
        core,
        lambda i: (DECISION_RANK[assets[i].decision], assets[i].score),
        worst=worst,
        roles=roles,
    )


def score_case(rs: CompiledRuleSet, loaded: LoadedCase) -> CaseScores:
    assets = score_assets(rs, loaded)
    core, lead = company_lead(rs, assets)
    _, ask, _ = core_candidates([a.role for a in assets])
    return CaseScores(
        loaded.path, loaded.case_id, loaded.case.company.name, tuple(assets), core, lead, ask
    )


def company_decision(cs: CaseScores) -> str:
    """The company's decision: the lead's, unless the case must still say which asset is core
    and the candidates (or an all-non-core company) leave it open."""
    return _company_decision(
        cs.assets[cs.lead],
        [cs.assets[i] for i in cs.core],
        cs.ask_core,
        [a.role for a in cs.assets],
    )


def _company_decision(
    lead: AssetScores, core: Sequence[AssetScores], ask_core: bool, roles: Sequence[Any]
) -> str:
    if not ask_core:
        return lead.decision
    decisions = {a.decision for a in core}
    if len(decisions) == 1 and any(r is None for r in roles):
        return lead.decision
    return INSUFFICIENT


def contributions(rs: CompiledRuleSet, policy: Sequence[float | None]) -> tuple[float, ...]:
    """Points each criterion adds to the total (excluded criteria add 0; weights renormalised)."""
    included = math.fsum(
        c.weight for c, p in zip(rs.criteria, policy, strict=True) if p is not None
    )
    if not included:
        return tuple(0.0 for _ in rs.criteria)
    return tuple(
        0.0 if p is None else round(p / c.max * c.weight / included * rs.scale, DIGITS)
        for c, p in zip(rs.criteria, policy, strict=True)
    )


def top_reason(rs: CompiledRuleSet, a: AssetScores) -> str:
    """One line a partner reads first: what decides this company (see `reason`)."""
    return reason(rs, a)[0]


def reason(rs: CompiledRuleSet, a: AssetScores) -> tuple[str, tuple[str, ...]]:
    """(text, ids): what decides this company, for people and as rule ids / fact paths.

    A failed gate (by name); else, when the decision is open, the most important unknown fact:
    the rule set's question for it (first sentence; a plain phrase when the rule set has none)
    and the gates / criteria it leaves open; else the criterion furthest above the advance bar
    (advance) or furthest below the bar the company missed (watch: advance; decline: watch),
    weighted by the criterion's weight. The text uses names, never ids; `ids` has the rule keys
    (`gates.unmet_need`, `criteria.us_path`), the band or row that fired, and the fact path."""
    gates = {g.id: g for g in rs.gates}
    if a.failed_gates:
        text = "gate failed: " + "; ".join(gates[g].name or g for g in a.failed_gates)
        return text, tuple(gates[g].key for g in a.failed_gates)
    if a.decision == INSUFFICIENT:
        if not a.unknowns:
            if not a.unknown_gates:
                return "open unknowns", ()
            text = "open gate: " + "; ".join(gates[g].name or g for g in a.unknown_gates)
            return text, tuple(gates[g].key for g in a.unknown_gates)
        fact = a.unknowns[0]
        question = a.questions[0] if a.questions else None
        rules = a.unknown_rules[0] if a.unknown_rules else ()
        what = _first_sentence(question) if question else _plain_fact(rs, fact)
        if a.name and a.name != a.id:  # the lead asset's name is shown beside it: its id will do
            what = what.replace(a.name, a.id)
        opened, opened_ids = _opened(rs, rules)
        more = len(a.unknowns) - 1
        named = opened[0] + (f" and {len(opened) - 1} more" if len(opened) > 1 else "")
        text = f"open for {named}: {what}" if opened else f"open: {what}"
        if more:
            text += f" (+{more} more open question{'s' if more > 1 else ''})"
        return text, (fact, *opened_ids)
    if a.decision == "advance":
        label, bar, sign = "strongest", rs.decision.advance, 1.0
    else:
        label, sign = "held back by", -1.0
        bar = rs.decision.advance if a.decision == "watch" else rs.decision.watch
    best = max(
        zip(rs.criteria, a.policy, a.fired, strict=True),
        key=lambda t: sign * ((t[1] or 0.0) / t[0].max - bar / rs.scale) * t[0].weight,
    )
    c, score, fired = best
    text = f"{label}: {c.name or c.id} {score or 0.0:g}/{c.max:g}"
    return text, (c.key, fired) if fired else (c.key,)


def _first_sentence(text: str) -> str:
    """Up to the first `?` or `.` that ends a sentence (questions often add a second one); a
    long question that lists its answers after a colon stops at the colon ('How will a US
    filing show that its data apply to US patients?'), so a table row stays a few lines."""
    import re

    m = re.match(r"(.+?[?.])(\s|$)", text.strip(), re.DOTALL)
    first = " ".join((m.group(1) if m else text).split())
    head, colon, _ = first.partition(": ")
    if colon and len(first) > 100 and first.endswith("?") and len(head) >= 30:
        return head + "?"
    return first


def _plain_fact(rs: CompiledRuleSet, fact: str) -> str:
    """The field's description (`addressable patients in the US`), else its name in words."""
    fp = rs.fields.get(fact)
    if fp is not None and fp.description:
        return fp.description
    root, _, rest = fact.partition(".")
    words = rest.replace(".", " ").replace("_", " ") or fact
    return f"company {words}" if root == "company" else words


def _opened(rs: CompiledRuleSet, rules: Sequence[str]) -> tuple[list[str], list[str]]:
    """Names and ids of the gates, then criteria, that the unknown leaves open (rule-set order)."""
    needed = set(rules)
    names, ids = [], []
    for g in rs.gates:
        if g.key in needed or g.id in needed:
            names.append(f"gate {g.name or g.id}")
            ids.append(g.key)
    for c in rs.criteria:
        own = {c.key, *(b.id for b in c.bands or [])}
        if c.table and c.table in rs.tables:
            own |= {f"table.{c.table}", *(row.id for row in rs.tables[c.table].rows)}
        if own & needed:
            names.append(c.name or c.id)
            ids.append(c.key)
    return names, ids


def row_for(rs: CompiledRuleSet, loaded: LoadedCase) -> PipelineRow:
    """Evaluate one loaded case and reduce it to its pipeline row.

    The row shows the company's decision and its lead asset, so only the assets the company is
    judged on are evaluated (a non-core asset never changes either, T1), and only the lead's
    questions are ranked (their order gives its top reason); the row is the one `score_case`
    would give (tests/test_pipeline.py)."""
    case = loaded.case
    roles = [a.role for a in case.assets]
    core, ask_core, _ = core_candidates(roles)
    scored = {i: _score_open(rs, case, case.assets[i]) for i in core}
    assets = {i: s for i, (s, _) in scored.items()}
    lead_index = _lead(rs, core, roles, assets)
    rank = scored[lead_index][1]
    if rank is not None:
        assets[lead_index] = rank()
    lead = assets[lead_index]
    text, ids = reason(rs, lead)
    decision = _company_decision(lead, [assets[i] for i in core], ask_core, roles)
    if decision != lead.decision:
        text, ids = "open: which asset is the company's core asset?", ("asset.role",)
    provisional = lead.provisional if decision == INSUFFICIENT else None
    if decision == INSUFFICIENT and provisional is None:
        provisional = lead.score
    return PipelineRow(
        path=loaded.path,
        sha256=loaded.sha256,
        case_id=loaded.case_id,
        company=case.company.name,
        as_of=case.as_of.isoformat() if case.as_of else None,
        analyst=case.analyst,
        decision=decision,
        score=round(lead.score, DIGITS),
        score_low=round(lead.low, DIGITS),
        score_high=round(lead.high, DIGITS),
        criteria=tuple(None if s is None else round(s, DIGITS) for s in lead.scores),
        contributions=contributions(rs, lead.policy),
        lead_asset=lead.id,
        lead_name=lead.name,
        stage=lead.stage,
        therapeutic_area=lead.therapeutic_area,
        indication=lead.indication,
        unknowns=sum(len(assets[i].unknowns) for i in core),
        top_reason=text,
        failed_gates=lead.failed_gates,
        top_reason_ids=ids,
        revisit=case.revisit.on.isoformat() if case.revisit else None,
        revisit_when=case.revisit.when if case.revisit else None,
        provisional_decision=(lead.provisional_decision or lead.decision)
        if decision == INSUFFICIENT
        else None,
        provisional_score=None if provisional is None else round(provisional, DIGITS),
        rule_errors=scores_rule_errors(loaded.path, [assets[i] for i in core]),
    )


def scores_rule_errors(path: str, assets: Sequence[AssetScores]) -> tuple[str, ...]:
    """The located lines (`result.rule_error_line`) of the rules that failed on `assets`."""
    return tuple(
        rule_error_line(path, a.id, rule, error) for a in assets for rule, error in a.errors
    )


# --------------------------------------------------------------------------- batches


@dataclass(frozen=True, slots=True)
class Failure:
    """A case file that could not be loaded: its path and the located message(s)."""

    path: str
    message: str


Outcome = PipelineRow | Failure
Evaluator = Callable[[CompiledRuleSet, LoadedCase], Any]


def _one(rs: CompiledRuleSet, path: str | Path, evaluate: Evaluator) -> Any:
    try:
        loaded = load_case(path)
    except ScreenError as err:
        return Failure(str(path), str(err))
    return evaluate(rs, loaded)


_worker_rs: CompiledRuleSet | None = None
_worker_eval: Evaluator | None = None


def _init_worker(rules: str | None, evaluate: Evaluator) -> None:
    """Forked workers inherit the parent's compiled rule set; spawned ones compile their own."""
    global _worker_rs, _worker_eval
    if _worker_rs is None:
        from screen.engine.loader import load_ruleset

        _worker_rs = load_ruleset(rules)
    _worker_eval = evaluate


def _work(chunk: list[str]) -> list[Any]:
    assert _worker_rs is not None and _worker_eval is not None
    return [_one(_worker_rs, Path(p), _worker_eval) for p in chunk]


def default_jobs(n_files: int) -> int:
    """Worker processes for `n_files`: 1 for small batches, else one per available core."""
    if n_files < PARALLEL_MIN_FILES:
        return 1
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not on Linux
        cores = os.cpu_count() or 1
    return max(1, min(cores, MAX_JOBS))


def evaluate_files(
    rs: CompiledRuleSet,
    paths: Sequence[str | Path],
    *,
    rules: str | None = None,
    jobs: int = 1,
    evaluate: Evaluator = row_for,
    progress: Callable[[int], None] | None = None,
) -> Iterator[Any]:
    """Load and evaluate each file, yielding `evaluate(rs, loaded)` or a `Failure`, in input order.

    With `jobs` > 1 the files are spread over worker processes in chunks; each worker holds its
    own compiled rule set (`rules` must be the path `rs` was loaded from, None for the bundled
    thesis). Only the small per-case results cross process boundaries."""
    if jobs <= 1 or len(paths) < 2:
        for p in paths:
            yield _one(rs, p, evaluate)
            if progress:
                progress(1)
        return
    fast_path(rs)  # build before forking, so workers inherit it
    global _worker_rs, _worker_eval
    _worker_rs, _worker_eval = rs, evaluate
    methods = multiprocessing.get_all_start_methods()
    ctx = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
    chunks = [
        [str(p) for p in paths[i : i + CHUNK_FILES]] for i in range(0, len(paths), CHUNK_FILES)
    ]
    with ctx.Pool(
        min(jobs, len(chunks)), initializer=_init_worker, initargs=(rules, evaluate)
    ) as pool:
        for results in pool.imap(_work, chunks):
            yield from results
            if progress:
                progress(len(results))


def rank(rows: Iterable[PipelineRow]) -> list[PipelineRow]:
    """Rows in pipeline order: decision (advance, watch, insufficient, decline), then score."""
    return sorted(rows, key=PipelineRow.sort_key)


# --------------------------------------------------------------------------- filters

FILTER_KEYS = {"decision": "decision", "area": "therapeutic_area", "stage": "stage"}
FILTER_ALIASES = {"therapeutic_area": "area", "ta": "area"}


@dataclass(frozen=True)
class RowFilter:
    """`KEY=V1,V2` (any of the values) or, for stage, `stage>=phase2` / `stage<=phase1`."""

    key: str
    op: str  # "=" | ">=" | "<=" | "!="
    values: tuple[str, ...]

    def __call__(self, row: PipelineRow) -> bool:
        value = getattr(row, FILTER_KEYS[self.key])
        if self.op in ("=", "!="):
            hit = (value or "unknown") in self.values
            return hit if self.op == "=" else not hit
        from screen.model.vocab import Stage

        if value is None:
            return False
        rank, bound = Stage[value], Stage[self.values[0]]
        return rank >= bound if self.op == ">=" else rank <= bound


def parse_filter(text: str) -> RowFilter:
    """Parse one `--filter` argument; errors say what is allowed, with a did-you-mean."""
    import re

    from screen.model.errors import did_you_mean
    from screen.model.vocab import Stage, TherapeuticArea

    m = re.fullmatch(r"\s*([A-Za-z_]+)\s*(>=|<=|!=|=)\s*(.+?)\s*", text)
    bare = FILTER_ALIASES.get(text.strip().lower(), text.strip().lower())
    if not m and bare in FILTER_KEYS:  # `--filter stage>=phase2` unquoted: bash ate `>=phase2`
        example = {"stage": "stage>=phase2", "decision": "decision=advance"}.get(
            bare, "area=oncology"
        )
        raise ScreenError(
            f"filter {text!r} has no operator and value",
            hint=f"the shell may have read > or < as a redirection: quote it, "
            f"e.g. --filter '{example}'",
        )
    if not m:
        raise ScreenError(
            f"bad filter {text!r}", hint="write KEY=VALUE[,VALUE...], e.g. decision=advance,watch"
        )
    key, op, raw = m.group(1).lower(), m.group(2), m.group(3)
    key = FILTER_ALIASES.get(key, key)
    if key not in FILTER_KEYS:
        hint = did_you_mean(key, FILTER_KEYS) or "filter keys: " + ", ".join(FILTER_KEYS)
        raise ScreenError(f"unknown filter key {key!r}", hint=hint)
    values = tuple(v.strip().lower().replace("-", "_") for v in raw.split(",") if v.strip())
    allowed: list[str] = {
        "decision": list(DECISION_ORDER),
        "area": [a.value for a in TherapeuticArea],
        "stage": list(Stage.__members__),
    }[key] + ["unknown"]
    if key == "decision":
        values = tuple(
            "insufficient_information" if v in ("insufficient", "insufficient_info") else v
            for v in values
        )
    for v in values:
        if v not in allowed:
            hint = did_you_mean(v, allowed) or "expected one of: " + ", ".join(allowed)
            raise ScreenError(f"filter {key}: unknown value {v!r}", hint=hint)
    if op in (">=", "<=") and (key != "stage" or len(values) != 1 or values[0] == "unknown"):
        raise ScreenError(
            f"filter {text!r}: >= and <= compare one stage", hint="e.g. --filter 'stage>=phase2'"
        )
    return RowFilter(key, op, values)
