"""Rule-set tests: YAML files that pin what the thesis must decide, and coverage of the rules.

A test file (`rules/tests/*.yaml`) lists tests; each names a case and what the rule set must
conclude about it:

    bases:                                 # optional named base cases: inline, or a file path
      oncology_core: {company: {...}, assets: [{id: A1, ...}]}
    base: oncology_core                    # optional default base for every test of the file
    tests:
      - name: a core asset in phase 3 is ready for a global deal
        case: {assets: [{stage: phase3}]}  # laid over the base; or a path to a case file
        asset: A1                          # optional: the asset whose criteria are checked
        expect:
          decision: advance
          criteria.bd_readiness: ">= 3"    # a comparison, a list of them, a value, or unknown
          gates.unmet_need: pass
          fired: [bd.core_late]            # these fired (a gate fires when it passes)
          not_fired: [bd.core_early]
          unknowns: [asset.epidemiology.eu]   # exactly these facts are unknown (any order)

Laying a partial case over a base (deep merge): mappings merge key by key; `null` removes a key
(the fact becomes unknown); a list item with an `id` merges into the base item with that id (or
is added), one without merges by position; anything else replaces the base value.

Coverage counts, over every asset of every test case, which bands and table rows fired and
whether each gate was seen both passing and failing (a knock-out rule that never knocks out is
untested). Expectations are checked before anything runs: a misspelt criterion, gate or rule id
is an error with a did-you-mean, not a test that silently passes.

Test selection by name (`-k`) lives in `selection.py`. This module stays about 600 lines:
the file format, the case overlay and the expectation checks are read together when a test
fails, and each is too small for a module of its own.
"""

from __future__ import annotations

import copy
import math
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from screen.engine.loader import YAML_SUFFIXES, default_rules_path, load_ruleset, yaml_files
from screen.engine.plan import CompiledRuleSet
from screen.model.case import Case
from screen.model.checks import unknown_sources
from screen.model.errors import Location, ScreenError, ScreenErrors, did_you_mean, plural
from screen.model.validation import validate_doc
from screen.model.yamlsource import PathKey, SourceDoc, read_yaml_file

_COMPARISON = re.compile(r"^\s*(>=|<=|==|!=|>|<)\s*(-?[0-9.]+(?:[eE][-+]?[0-9]+)?)\s*$")
TOLERANCE = 1e-9
GATE_OUTCOMES = ("pass", "fail", "unknown")
DECISIONS = ("advance", "watch", "decline", "insufficient_information")
PLAIN_KEYS = ("decision", "score", "lead_asset", "fired", "not_fired", "unknowns")
PREFIXED_KEYS = ("criteria.", "gates.", "derived.", "tables.")
NOUNS = {"criteria": "criterion", "gates": "gate", "derived": "derived fact", "tables": "table"}


# --------------------------------------------------------------------------- file format


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RuleTest(_Model):
    name: str = Field(description="what the test shows, in the domain's words")
    case: str | dict[str, Any] | None = Field(
        None, description="a case file path (relative to this file), or a partial case"
    )
    base: str | None = Field(None, description="name in `bases:`, or a case file path")
    asset: str | None = Field(None, description="asset id whose results are checked (lead)")
    expect: dict[str, Any] = Field(min_length=1)


class RuleTestFile(_Model):
    base: str | None = Field(None, description="default base case of every test")
    bases: dict[str, str | dict[str, Any]] = Field(default_factory=dict)
    tests: list[RuleTest] = Field(min_length=1)


# --------------------------------------------------------------------------- results


@dataclass
class Failure:
    """One expectation that did not hold."""

    location: Location
    key: str
    expected: str
    actual: str
    detail: str | None = None

    def __str__(self) -> str:
        text = f"{self.location}: {self.key}: expected {self.expected}, got {self.actual}"
        return f"{text} ({self.detail})" if self.detail else text


@dataclass
class TestResult:
    file: str
    name: str
    location: Location
    status: str  # passed | failed | error
    failures: list[Failure] = field(default_factory=list)
    error: str | None = None


@dataclass
class CoverageItem:
    """A rule outcome a test should exercise: a band, a table row, a gate passing or failing."""

    kind: str  # band | row | gate-pass | gate-fail
    id: str
    owner: str  # criterion, table or gate it belongs to
    location: Location
    hits: int = 0

    def describe(self) -> str:
        if self.kind == "gate-pass":
            return f"gate {self.id} never passed"
        if self.kind == "gate-fail":
            return f"gate {self.id} never failed"
        if self.kind == "band":
            return f"band {self.id} (criterion {self.owner}) never fired"
        return f"row {self.id} (table {self.owner}) never fired"


@dataclass
class TestRun:
    """Everything `dealscreen test` prints: results per test, coverage, timing."""

    rules: str
    files: list[str]
    results: list[TestResult]
    coverage: list[CoverageItem]
    seconds: float
    deselected: int = 0  # tests left out by `-k`

    def count(self, status: str) -> int:
        return sum(1 for r in self.results if r.status == status)

    @property
    def ok(self) -> bool:
        return all(r.status == "passed" for r in self.results)

    @property
    def covered(self) -> int:
        return sum(1 for c in self.coverage if c.hits)

    @property
    def percent(self) -> float:
        return 100.0 * self.covered / len(self.coverage) if self.coverage else 100.0

    def summary(self) -> str:
        parts = [
            plural(n, s) if s == "error" else f"{n} {s}"
            for s in ("failed", "error", "passed")
            if (n := self.count(s))
        ]
        if self.deselected:
            parts.append(f"{self.deselected} deselected")
        return f"{', '.join(parts) or 'no tests ran'} in {self.seconds:.2f}s"

    def text(self, verbose: bool = False) -> str:
        """pytest-like: a mark per test per file, or with `verbose` one line per test."""
        out: list[str] = []
        for f in self.files:
            mine = [r for r in self.results if r.file == f]
            if verbose:
                out.extend(f"{r.location}: {r.name} {r.status.upper()}" for r in mine)
                continue
            marks = "".join({"passed": ".", "failed": "F", "error": "E"}[r.status] for r in mine)
            out.append(f"{f} {marks}")
        bad = [r for r in self.results if r.status != "passed"]
        if bad:
            out.append("")
            out.append("=" * 30 + " FAILURES " + "=" * 30)
            for r in bad:
                word = "FAILED" if r.status == "failed" else "ERROR"
                out.append(f"{word} {r.location}: {r.name}")
                out.extend(f"  {x}" for x in r.failures)
                if r.error:
                    out.extend(f"  {line}" for line in r.error.splitlines())
        out.append("=" * 20 + f" {self.summary()} " + "=" * 20)
        return "\n".join(out) + "\n"

    def coverage_text(self) -> str:
        out = ["", f"Coverage of {self.rules} (bands, table rows, gates passing and failing):"]
        by_file: dict[str, list[CoverageItem]] = {}
        for item in self.coverage:
            by_file.setdefault(item.location.file, []).append(item)
        width = max((len(f) for f in by_file), default=5)
        for f, items in by_file.items():
            hit = sum(1 for i in items if i.hits)
            pct = 100.0 * hit / len(items)
            out.append(f"  {f:<{width}}  {hit:>4}/{len(items):<4} {pct:6.1f}%")
            for item in sorted(items, key=lambda i: (i.location.line, i.location.column)):
                if not item.hits:
                    out.append(f"    {item.location}: {item.describe()}")
        out.append(
            f"  {'TOTAL':<{width}}  {self.covered:>4}/{len(self.coverage):<4} {self.percent:6.1f}%"
        )
        return "\n".join(out) + "\n"


# --------------------------------------------------------------------------- discovery


def discover_test_files(rules: str | Path | None, tests: list[str | Path]) -> list[Path]:
    """Test files as given (folders expand to their *.yaml), else RULES/tests/*.yaml."""
    if not tests:  # the default: the tests/ folder next to the rules
        root = Path(rules) if rules is not None else default_rules_path()
        folder = (root if root.is_dir() else root.parent) / "tests"
        if not folder.exists():
            raise ScreenError(
                f"no tests for these rules: without TESTS they are read from {folder}/, which "
                "does not exist",
                Location(str(rules if rules is not None else folder)),
                f"give test files after the rules, e.g. 'dealscreen test {rules or 'RULES'} "
                "rules/tests/' for the bundled thesis's tests, or create that folder",
            )
        tests = [folder]
    out: list[Path] = []
    for item in tests:
        p = Path(item)
        if p.is_dir():
            found = yaml_files(p)
            if not found:
                raise ScreenError("no rule-set test files (*.yaml) here", Location(str(item)))
            out.extend(found)
        elif p.exists():
            out.append(p)
        else:
            raise ScreenError("test file not found", Location(str(item)))
    return out


def _display(path: Path, rules: str | Path | None) -> str:
    """Bundled tests show as rules/tests/NAME, like the bundled rules do."""
    if rules is None:
        try:
            rel = path.resolve().relative_to(default_rules_path().resolve())
            return f"rules/{rel.as_posix()}"
        except ValueError:
            pass
    return str(path)


# --------------------------------------------------------------------------- running


def run_tests(
    rules: str | Path | None = None,
    tests: list[str | Path] | None = None,
    select: Callable[[str], bool] | None = None,
) -> TestRun:
    """Load the rule set, run every test of every file (or those whose name `select` accepts:
    `selection.keyword_matcher` for `-k`), and measure coverage over the tests that ran."""
    start = time.perf_counter()
    rs = load_ruleset(rules)
    coverage = coverage_items(rs)
    index: dict[tuple[str, str], CoverageItem] = {(c.kind, c.id): c for c in coverage}
    files = discover_test_files(rules, list(tests or []))
    results: list[TestResult] = []
    shown: list[str] = []
    skipped = [0]
    for path in files:
        display = _display(path, rules)
        shown.append(display)
        results.extend(_run_file(rs, path, display, index, select, skipped))
    rules_name = str(rules) if rules is not None else "rules/"
    seconds = time.perf_counter() - start
    return TestRun(rules_name, shown, results, coverage, seconds, deselected=skipped[0])


def coverage_items(rs: CompiledRuleSet) -> list[CoverageItem]:
    """What a complete test suite must exercise, in rule-set order."""
    items: list[CoverageItem] = []
    for gate in rs.gates:
        items.append(CoverageItem("gate-pass", gate.id, gate.id, gate.location))
        items.append(CoverageItem("gate-fail", gate.id, gate.id, gate.location))
    for name, table in rs.tables.items():
        items.extend(CoverageItem("row", row.id, name, row.location) for row in table.rows)
    for crit in rs.criteria:
        items.extend(CoverageItem("band", b.id, crit.id, b.location) for b in crit.bands or [])
    items.sort(key=lambda i: (i.location.file, i.location.line, i.location.column, i.kind))
    return items


def _run_file(
    rs: CompiledRuleSet,
    path: Path,
    display: str,
    index: dict[tuple[str, str], CoverageItem],
    select: Callable[[str], bool] | None = None,
    skipped: list[int] | None = None,
) -> list[TestResult]:
    from screen.engine.evaluate import evaluate_case

    try:
        doc = read_yaml_file(path, display)
        spec = validate_doc(RuleTestFile, doc)
    except ScreenError as err:
        return [
            TestResult(display, "(test file)", Location(display, 1, 1), "error", error=str(err))
        ]
    results = []
    for i, test in enumerate(spec.tests):
        if select is not None and not select(test.name):
            if skipped is not None:
                skipped[0] += 1
            continue
        where = doc.location(("tests", i))
        result = TestResult(display, test.name, where, "passed")
        results.append(result)
        try:
            checks = _parse_expectations(rs, test, doc, ("tests", i, "expect"))
            case = _build_case(spec, test, doc, i, path)
            outcome = evaluate_case(rs, case, trace=False)
        except ScreenError as err:
            result.status, result.error = "error", str(err)
            continue
        _record_coverage(outcome, index)
        asset = _pick_asset(outcome, test, doc.location(("tests", i, "asset")))
        if asset is None:
            ids = [o.asset.id for o in outcome.assets]
            result.status = "error"
            result.error = str(
                ScreenError(
                    f"no asset '{test.asset}' in this case",
                    doc.location(("tests", i, "asset")),
                    did_you_mean(str(test.asset), ids) or f"assets: {', '.join(ids)}",
                )
            )
            continue
        for check in checks:
            failure = check(outcome, asset)
            if failure is not None:
                result.failures.append(failure)
        if result.failures:
            result.status = "failed"
    return results


def _record_coverage(outcome: Any, index: dict[tuple[str, str], CoverageItem]) -> None:
    for asset in outcome.assets:
        for rule_id in asset.fired:
            for kind in ("band", "row"):
                if (kind, rule_id) in index:
                    index[(kind, rule_id)].hits += 1
        for gate in asset.gates:
            key = {"pass": "gate-pass", "fail": "gate-fail"}.get(gate.outcome)
            if key and (key, gate.id) in index:
                index[(key, gate.id)].hits += 1


def _pick_asset(outcome: Any, test: RuleTest, loc: Location) -> Any:
    if test.asset is None:
        return outcome.lead
    return next((o for o in outcome.assets if o.asset.id == test.asset), None)


# --------------------------------------------------------------------------- cases


def deep_merge(base: Any, over: Any) -> Any:
    """`over` laid over `base` (see the module docstring for the rules)."""
    if isinstance(base, dict) and isinstance(over, dict):
        out = dict(base)
        for key, value in over.items():
            if value is None:
                out.pop(key, None)
            elif key in out:
                out[key] = deep_merge(out[key], value)
            else:
                out[key] = copy.deepcopy(value)
        return out
    if isinstance(base, list) and isinstance(over, list):
        if not all(isinstance(x, dict) for x in base + over):
            return copy.deepcopy(over)
        out_list = list(base)
        for position, item in enumerate(over):
            ids = [b.get("id") for b in out_list]
            if "id" in item and item["id"] in ids:
                k = ids.index(item["id"])
                out_list[k] = deep_merge(out_list[k], item)
            elif "id" not in item and position < len(out_list):
                out_list[position] = deep_merge(out_list[position], item)
            else:
                out_list.append(copy.deepcopy(item))
        return out_list
    return copy.deepcopy(over)


def _load_base(spec: RuleTestFile, name: str, doc: SourceDoc, path: PathKey, here: Path) -> Any:
    if name in spec.bases:
        value = spec.bases[name]
        if isinstance(value, dict):
            return value
        return _read_case_data(value, doc.location(("bases", name)), here)
    if name.endswith(YAML_SUFFIXES) or "/" in name:
        return _read_case_data(name, doc.location(path), here)
    hint = did_you_mean(name, spec.bases) or (
        f"bases: {', '.join(spec.bases)}" if spec.bases else "define it under 'bases:'"
    )
    raise ScreenError(f"unknown base case '{name}'", doc.location(path), hint)


def _read_case_data(rel: str, loc: Location, here: Path) -> Any:
    target = (here.parent / rel) if not Path(rel).is_absolute() else Path(rel)
    if not target.exists():
        raise ScreenError(f"case file not found: {target}", loc)
    return read_yaml_file(target).data


def _build_case(spec: RuleTestFile, test: RuleTest, doc: SourceDoc, i: int, here: Path) -> Case:
    """The case of a test: a file, or a partial case laid over its base, validated."""
    at: PathKey = ("tests", i)
    if isinstance(test.case, str):
        target = (here.parent / test.case) if not Path(test.case).is_absolute() else test.case
        from screen.engine.loader import load_case

        try:
            return load_case(target).case
        except ScreenError as err:
            raise ScreenError(
                f"case of test '{test.name}' does not load:\n{err}", doc.location((*at, "case"))
            ) from None
    base_name = test.base or spec.base
    data: Any = {}
    if base_name is not None:
        where = (*at, "base") if test.base else ("base",)
        data = _load_base(spec, base_name, doc, where, here)
    data = deep_merge(data, test.case or {})
    if not data:
        raise ScreenError(
            f"test '{test.name}' has no case", doc.location(at), "give 'case:' and/or 'base:'"
        )
    data.setdefault("id", re.sub(r"[^A-Za-z0-9_.-]+", "-", test.name)[:60])
    return _validate_case(data, doc, (*at, "case"))


def _validate_case(data: dict[str, Any], doc: SourceDoc, at: PathKey) -> Case:
    """Validate merged case data; errors point into the test's `case:` (or at it)."""
    positions = {
        k[len(at) :]: v for k, v in doc.value_pos.items() if k[: len(at)] == at and len(k) > 1
    }
    keys = {k[len(at) :]: v for k, v in doc.key_pos.items() if k[: len(at)] == at}
    anchor = doc.location(at)
    fallback = (anchor.line, anchor.column)
    shadow = SourceDoc(doc.path, doc.text, data, {(): fallback, **positions}, keys)
    case = validate_doc(Case, shadow)
    problems = unknown_sources(case)
    if problems:
        raise ScreenErrors([ScreenError(m, shadow.location(p), h) for p, m, h in problems])
    return case


# --------------------------------------------------------------------------- expectations


def _plain(value: Any) -> Any:
    from screen.engine.result import plain

    return plain(value)


def _show(value: Any) -> str:
    if value is None:
        return "unknown"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, list):
        return "[" + ", ".join(_show(v) for v in value) + "]"
    return str(value)


def _specs(raw: Any) -> list[Any]:
    return list(raw) if isinstance(raw, list) else [raw]


def _holds(spec: Any, actual: Any) -> bool:
    """Does `actual` (plain JSON value, None = unknown) satisfy one expectation spec?"""
    if isinstance(spec, str):
        if spec.strip().lower() == "unknown":
            return actual is None
        m = _COMPARISON.match(spec)
        if m:
            if not isinstance(actual, int | float) or isinstance(actual, bool):
                return False
            op, value = m.group(1), float(m.group(2))
            close = math.isclose(actual, value, rel_tol=0, abs_tol=TOLERANCE)
            return {
                ">=": actual >= value or close,
                "<=": actual <= value or close,
                ">": actual > value and not close,
                "<": actual < value and not close,
                "==": close,
                "!=": not close,
            }[op]
    if isinstance(spec, bool) or isinstance(actual, bool):
        return spec is actual
    if isinstance(spec, int | float) and isinstance(actual, int | float):
        return math.isclose(actual, spec, rel_tol=0, abs_tol=TOLERANCE)
    return bool(spec == actual)


def _check_spec_syntax(spec: Any, loc: Location, key: str) -> None:
    for s in _specs(spec):
        if isinstance(s, str) and s.strip()[:1] in "<>=!" and not _COMPARISON.match(s):
            raise ScreenError(
                f"{key}: cannot read the comparison {s!r}", loc, "write e.g. '>= 3' or '< 2.5'"
            )


def _parse_expectations(
    rs: CompiledRuleSet, test: RuleTest, doc: SourceDoc, at: PathKey
) -> list[Any]:
    """Check every `expect:` key against the rule set, and return one check per key."""
    checks = []
    crit_ids = [c.id for c in rs.criteria]
    gate_ids = [g.id for g in rs.gates]
    derived = [n.id for n in rs.steps if n.kind == "derived"]
    rule_ids = gate_ids + [r.id for t in rs.tables.values() for r in t.rows]
    rule_ids += [b.id for c in rs.criteria for b in c.bands or []]
    for key, spec in test.expect.items():
        loc = doc.location((*at, key), key=True)
        vloc = doc.location((*at, key))
        prefix, _, name = key.partition(".")
        known = {"criteria": crit_ids, "gates": gate_ids, "derived": derived}
        known["tables"] = list(rs.tables)
        if key in PLAIN_KEYS:
            pass
        elif f"{prefix}." in PREFIXED_KEYS:
            if name not in known[prefix]:
                hint = did_you_mean(name, known[prefix]) or f"{prefix}: {', '.join(known[prefix])}"
                raise ScreenError(
                    f"expect: no {NOUNS[prefix]} '{name}' in the rule set",
                    loc,
                    hint,
                )
        else:
            options = [*PLAIN_KEYS, *(f"{p}ID" for p in PREFIXED_KEYS)]
            hint = did_you_mean(key, [*PLAIN_KEYS, *(f"criteria.{c}" for c in crit_ids)])
            raise ScreenError(
                f"expect: unknown key '{key}'", loc, hint or f"keys: {', '.join(options)}"
            )
        if key in ("fired", "not_fired", "unknowns") and not isinstance(spec, list):
            raise ScreenError(f"expect: '{key}' takes a list", vloc, f"write  {key}: [{spec}]")
        if key in ("fired", "not_fired", "unknowns"):
            for j, item in enumerate(spec):
                if not isinstance(item, str):
                    raise ScreenError(
                        f"expect: {key}: items are rule ids or fact paths, got {item!r}",
                        doc.location((*at, key, j)),
                    )
        if key == "unknowns":
            facts = {*rs.fields, "asset.role"}  # what an unknown can name (or `rule:ID`)
            for j, fact in enumerate(spec):
                if fact not in facts and not fact.startswith("rule:"):
                    raise ScreenError(
                        f"expect: unknowns: '{fact}' is not a case fact the rule set reads",
                        doc.location((*at, key, j)),
                        did_you_mean(str(fact), sorted(facts)),
                    )
        if key in ("fired", "not_fired"):
            for j, rule in enumerate(spec):
                if rule not in rule_ids:
                    raise ScreenError(
                        f"expect: {key}: no gate, band or row '{rule}' in the rule set",
                        doc.location((*at, key, j)),
                        did_you_mean(str(rule), rule_ids),
                    )
        if key == "decision" and spec not in DECISIONS:
            raise ScreenError(
                f"expect: unknown decision {spec!r}",
                vloc,
                did_you_mean(str(spec), DECISIONS) or f"one of: {', '.join(DECISIONS)}",
            )
        if prefix == "gates" and spec not in GATE_OUTCOMES:
            raise ScreenError(
                f"expect: gate outcome must be one of {', '.join(GATE_OUTCOMES)}, got {spec!r}",
                vloc,
            )
        _check_spec_syntax(spec, vloc, key)
        checks.append(_make_check(key, spec, vloc))
    return checks


def _make_check(key: str, spec: Any, loc: Location) -> Any:
    def expected() -> str:
        return " and ".join(_show(s) for s in _specs(spec))

    def compare(actual: Any, detail: str | None = None) -> Failure | None:
        if all(_holds(s, actual) for s in _specs(spec)):
            return None
        return Failure(loc, key, expected(), _show(actual), detail)

    def check(outcome: Any, asset: Any) -> Failure | None:
        prefix, _, name = key.partition(".")
        if key == "decision":
            return compare(outcome.decision, f"score {outcome.score:.4g}")
        if key == "score":
            return compare(_plain(outcome.score))
        if key == "lead_asset":
            return compare(outcome.lead.asset.id)
        if key in ("fired", "not_fired"):
            fired = list(asset.fired)
            wanted = key == "fired"
            wrong = [r for r in spec if (r in fired) != wanted]
            if not wrong:
                return None
            verb = "fired" if wanted else "not fired"
            return Failure(
                loc,
                key,
                f"{', '.join(wrong)} {verb}",
                f"fired: {', '.join(fired) or 'nothing'}",
                f"asset {asset.asset.id}",
            )
        if key == "unknowns":
            actual = sorted({u.fact for u in asset.unknowns})
            if sorted(set(spec)) == actual:
                return None
            missing = sorted(set(spec) - set(actual))
            extra = sorted(set(actual) - set(spec))
            detail = "; ".join(
                x
                for x in (
                    f"not unknown: {', '.join(missing)}" if missing else "",
                    f"also unknown: {', '.join(extra)}" if extra else "",
                )
                if x
            )
            return Failure(loc, key, _show(sorted(spec)), _show(actual), detail)
        if prefix == "criteria":
            c = next(c for c in asset.criteria if c.id == name)
            detail = c.because if c.status == "scored" else f"{c.status}: {c.because}"
            return compare(_plain(c.score), detail)
        if prefix == "gates":
            g = next(g for g in asset.gates if g.id == name)
            if g.outcome == spec:
                return None
            return Failure(loc, key, str(spec), g.outcome, g.because)
        fact = f"derived.{name}" if prefix == "derived" else f"table.{name}"
        return compare(_plain(asset.facts.get(fact)))

    return check
