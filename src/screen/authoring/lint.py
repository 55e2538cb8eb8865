"""Lint a rule set: everything the loader rejects, plus what loads but is probably wrong.

The loader (parse -> validate -> compile) stops a rule set that cannot run; its errors come back
here as `error` diagnostics with their file, line and column. A rule set that compiles is then
checked for mistakes that still screen deals, silently and wrongly (`warning`):

- `unused-parameter`, `unused-derived`, `unused-table`: defined but read by no rule;
- `unasked-question`: a `questions:` entry for a fact no rule reads (the question is never asked);
  `question-placeholder`: a `{name}` other than `{asset}` in a question (printed verbatim);
- `shadowed-band`: a band that can never fire because an earlier band matches whenever it does
  (first match wins): after a `true` band, identical conditions, a condition that adds clauses
  to an earlier one, a narrower threshold (`x >= 0.6` after `x >= 0.5`); `never-matches` for a
  literal `false`;
- `shadowed-row`: a row of a `first` table that earlier rows always pre-empt;
- `table-gap`: input combinations no row matches, over finite input domains (stages, enums,
  true/false), e.g. `no row for role=non_core, stage=phase3`;
- `weights-sum`: criterion weights that do not add up to `decision.weights_sum`;
- `uncited-rationale`: a rationale citing no thesis point (T1-T13), parameter or source;
- `constant-gate`: a gate whose `require` is a literal `true` or `false`;
- `convention-without-reason`: a parameter or prior whose source is "firm convention" without
  the reason for it and what would change it (`firm convention: <why>; revisit when <what>`).

`note` diagnostics are informational and never fail: a parameter cited in a rationale but read by
no expression (a sourced figure kept for traceability). Overlapping rows of `unique` tables,
unknown fields, parameters and ids are load errors, reported by the compiler.

Everything is a function (`lint_paths`), so a notebook or CI script can call it; the CLI only
formats its result. Suppressions (`# noqa: CODE`) live in `suppress.py`. This module stays
about 700 lines because its checks share one walk over the compiled rule set and its YAML
positions (`RuleSetChecks`); splitting them would pass that state between modules.
"""

from __future__ import annotations

import ast
import hashlib
import itertools
import json
import math
import re
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from screen.engine.compiler import compile_ruleset
from screen.engine.loader import default_rules_path, rule_files
from screen.engine.plan import CompiledRuleSet, GateNode, TableNode
from screen.engine.tables import Cell, domain_values
from screen.model.errors import Location, ScreenError, ScreenErrors
from screen.model.ruleset import HitPolicy, RuleSetFile
from screen.model.validation import validate_doc
from screen.model.vocab import Stage, parse_stage
from screen.model.yamlsource import SourceDoc, parse_yaml_bytes

ERROR, WARNING, NOTE = "error", "warning", "note"
SEVERITY_RANK = {ERROR: 0, WARNING: 1, NOTE: 2}

THESIS_POINT = re.compile(r"(?<![A-Za-z0-9])T(1[0-3]|[1-9])(?![0-9])")
PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
MAX_ENUMERATED_ROWS = 20_000  # input combinations a gap / shadow check may enumerate
MAX_GAP_REPORTS = 12  # per table; the rest are summarised
_SOURCE_STOPWORDS = {"The", "See", "From", "Firm", "And", "For", "Data", "Source"}


@dataclass(frozen=True)
class Diagnostic:
    """One finding: where, how bad, which check (`code`), what, and how to fix it."""

    file: str
    line: int
    column: int
    severity: str
    code: str
    message: str
    hint: str | None = None
    suppressed: bool = False  # silenced by a noqa comment in the rule file (see suppress.py)

    @property
    def location(self) -> Location:
        return Location(self.file, self.line, self.column)

    def __str__(self) -> str:
        text = f"{self.location}: {self.severity}: {self.message}"
        if self.hint:
            text += f" ({self.hint})"
        return f"{text} [{self.code}]" + (" (suppressed)" if self.suppressed else "")

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class LintReport:
    """Diagnostics of one or more rule sets, sorted by file and position."""

    diagnostics: list[Diagnostic]

    def count(self, severity: str) -> int:
        """Findings of this severity, not counting those a `# noqa` comment silenced."""
        return sum(1 for d in self.diagnostics if d.severity == severity and not d.suppressed)

    @property
    def suppressed(self) -> int:
        return sum(1 for d in self.diagnostics if d.suppressed)

    @property
    def errors(self) -> int:
        return self.count(ERROR)

    @property
    def warnings(self) -> int:
        return self.count(WARNING)

    @property
    def notes(self) -> int:
        return self.count(NOTE)

    def exit_code(self, strict: bool = False) -> int:
        """1 if there are errors (or warnings under `strict`), else 0."""
        return 1 if self.errors or (strict and self.warnings) else 0

    def text(self, notes: bool = False, show_suppressed: bool = False) -> str:
        shown = [
            d
            for d in self.diagnostics
            if (notes or d.severity != NOTE) and (show_suppressed or not d.suppressed)
        ]
        return "".join(f"{d}\n" for d in shown)

    def json(self) -> str:
        doc = {
            "diagnostics": [d.as_dict() for d in self.diagnostics],
            "summary": {
                "errors": self.errors,
                "warnings": self.warnings,
                "notes": self.notes,
                "suppressed": self.suppressed,
            },
        }
        return json.dumps(doc, indent=2) + "\n"


def _from_error(err: ScreenError) -> list[Diagnostic]:
    if isinstance(err, ScreenErrors):
        return [d for e in err.errors for d in _from_error(e)]
    loc = err.location or Location("<unknown>")
    return [
        Diagnostic(loc.file, loc.line, loc.column, ERROR, "load", err.message, err.hint),
    ]


def lint_paths(paths: list[str | Path] | None = None) -> LintReport:
    """Lint each rule set (a YAML file or a folder of them); the default is the bundled thesis."""
    found: list[Diagnostic] = []
    for path in paths or [None]:
        found.extend(lint_ruleset(path))
    found.sort(key=lambda d: (d.file, d.line, d.column, SEVERITY_RANK[d.severity], d.message))
    return LintReport(found)


def lint_ruleset(path: str | Path | None = None) -> list[Diagnostic]:
    """Diagnostics for one rule set: load errors, or else the checks of `RuleSetChecks`."""
    root = Path(path) if path is not None else default_rules_path()
    try:
        files = rule_files(root)
    except ScreenError as err:
        return _from_error(err)
    parts: list[tuple[SourceDoc, RuleSetFile]] = []
    problems: list[Diagnostic] = []
    texts: dict[str, str] = {}
    digest = hashlib.sha256()
    for f in files:
        display = str(f) if path is not None else f"rules/{f.name}"
        try:
            raw = f.read_bytes()
            digest.update(f.name.encode() + b"\0" + raw + b"\0")
            doc = parse_yaml_bytes(raw, display)
            texts[display] = doc.text
            parts.append((doc, validate_doc(RuleSetFile, doc)))
        except ScreenError as err:  # keep going: report every broken file at once
            problems.extend(_from_error(err))
        except OSError as exc:
            problems.append(Diagnostic(display, 0, 0, ERROR, "load", f"cannot read: {exc}"))
    if problems:
        return problems
    try:
        rs = compile_ruleset(parts, digest.hexdigest())
    except ScreenError as err:
        return _from_error(err)
    from screen.authoring import suppress

    def warning(file: str, line: int, col: int, code: str, msg: str, hint: str | None) -> Any:
        return Diagnostic(file, line, col, WARNING, code, msg, hint)

    return suppress.apply(RuleSetChecks(rs, parts).run(), texts, warning)


# --------------------------------------------------------------------------- the checks


class RuleSetChecks:
    """The warning checks over a compiled rule set and its YAML (for positions)."""

    def __init__(self, rs: CompiledRuleSet, parts: list[tuple[SourceDoc, RuleSetFile]]):
        self.rs = rs
        self.parts = parts
        self.out: list[Diagnostic] = []
        self.reads: set[str] = {r for node in rs.steps for r in node.reads}

    def run(self) -> list[Diagnostic]:
        self.unused_parameters()
        self.unused_derived_and_tables()
        self.questions()
        self.bands()
        self.tables()
        self.gates()
        self.weights()
        self.rationales()
        self.conventions()
        return self.out

    # -- helpers
    def add(
        self, loc: Location, severity: str, code: str, message: str, hint: str | None = None
    ) -> None:
        self.out.append(Diagnostic(loc.file, loc.line, loc.column, severity, code, message, hint))

    def where(self, section: str, *path: str | int, key: bool = False) -> Location:
        """Location of an item of a section, searching every file of the rule set."""
        for doc, model in self.parts:
            items = getattr(model, section)
            if isinstance(items, dict) and path and path[0] in items:
                return doc.location((section, *path), key=key)
        return Location(self.parts[0][0].path, 1, 1)

    def rationale_texts(self) -> list[tuple[str, Location]]:
        """Every rationale (gates, criteria, bands, rows) with the location of its text."""
        out: list[tuple[str, Location]] = []
        for doc, model in self.parts:
            for i, gate in enumerate(model.gates):
                out.append((gate.rationale, doc.location(("gates", i, "rationale"))))
            for i, crit in enumerate(model.criteria):
                if crit.rationale:
                    out.append((crit.rationale, doc.location(("criteria", i, "rationale"))))
                for j, band in enumerate(crit.bands or []):
                    loc = doc.location(("criteria", i, "bands", j, "rationale"))
                    out.append((band.rationale, loc))
            for name, table in model.tables.items():
                for j, row in enumerate(table.rows):
                    loc = doc.location(("tables", name, "rows", j, "rationale"))
                    out.append((row.rationale, loc))
        return out

    # -- unused definitions
    def unused_parameters(self) -> None:
        texts = self.rationale_texts()
        for name in self.rs.parameters:
            if f"params.{name}" in self.reads:
                continue
            loc = self.where("parameters", name, key=True)
            cited = [t_loc for text, t_loc in texts if _cites_parameter(text, name)]
            if cited:
                self.add(
                    loc,
                    NOTE,
                    "cited-parameter",
                    f"parameter '{name}' is cited in a rationale (line {cited[0].line}) "
                    "but read by no expression",
                    "fine for a sourced figure kept for traceability",
                )
            else:
                self.add(
                    loc,
                    WARNING,
                    "unused-parameter",
                    f"parameter '{name}' is never used",
                    f"read it as params.{name}, cite it in a rationale, or remove it",
                )

    def unused_derived_and_tables(self) -> None:
        for node in self.rs.steps:
            if node.kind == "derived" and node.key not in self.reads:
                self.add(
                    node.location,
                    WARNING,
                    "unused-derived",
                    f"derived fact '{node.id}' is read by no rule",
                    f"use it as {node.key} in a gate, band or table, or remove it",
                )
        used_tables = {c.table for c in self.rs.criteria if c.table}
        for name, table in self.rs.tables.items():
            if table.key not in self.reads and name not in used_tables:
                self.add(
                    table.location,
                    WARNING,
                    "unused-table",
                    f"table '{name}' is used by no criterion and read by no lookup()",
                    f"score a criterion with  table: {name}, or read lookup('{name}')",
                )

    def questions(self) -> None:
        fields = set(self.rs.fields)
        for doc, model in self.parts:
            for fact, text in model.questions.items():
                loc = doc.location(("questions", fact), key=True)
                if not any(f == fact or f.startswith(fact + ".") for f in fields):
                    self.add(
                        loc,
                        WARNING,
                        "unasked-question",
                        f"question for '{fact}' is never asked: no rule reads that fact",
                        "a question is asked only when a rule needs the missing fact",
                    )
                self.placeholders(text, doc.location(("questions", fact)))
            for name, d in model.derived.items():
                if d.question:
                    self.placeholders(d.question, doc.location(("derived", name, "question")))
            for i, g in enumerate(model.gates):
                if g.question:
                    self.placeholders(g.question, doc.location(("gates", i, "question")))

    def placeholders(self, text: str, loc: Location) -> None:
        for m in PLACEHOLDER.finditer(text):
            if m.group(1) != "asset":
                self.add(
                    loc,
                    WARNING,
                    "question-placeholder",
                    f"'{{{m.group(1)}}}' in a question is printed as is",
                    "only {asset} is replaced, by the asset's name",
                )

    # -- bands
    def bands(self) -> None:
        for crit in self.rs.criteria:
            if not crit.bands:
                continue
            earlier: list[tuple[Any, frozenset[Any] | None]] = []
            for band in crit.bands:
                conj = _conjuncts(band.when.source, self.rs)
                when_loc = _child(band.location, band.when.location)
                if conj is None:
                    self.add(
                        when_loc,
                        WARNING,
                        "never-matches",
                        f"band '{band.id}' can never match: its condition is false",
                    )
                elif conj is not _OPAQUE:
                    for prev, prev_conj in earlier:
                        if (
                            prev_conj is not None
                            and prev_conj is not _OPAQUE
                            and _implies_all(conj, prev_conj)
                        ):
                            self.add(
                                band.location,
                                WARNING,
                                "shadowed-band",
                                f"band '{band.id}' can never match: band '{prev.id}' "
                                f"(line {prev.location.line}) matches whenever it does",
                                "first match wins; move it above, or narrow the earlier band",
                            )
                            break
                earlier.append((band, conj))

    # -- tables
    def tables(self) -> None:
        for name, table in self.rs.tables.items():
            types = [e.type for e in table.inputs]
            domains = [domain_values(t) for t in types]
            finite = all(d is not None for d in domains)
            size = math.prod(len(d) for d in domains) if finite else 0  # type: ignore[arg-type]
            if finite and size <= MAX_ENUMERATED_ROWS:
                self.enumerate_table(name, table, domains)  # type: ignore[arg-type]
            elif table.hit_policy is HitPolicy.first:
                self.pairwise_shadowing(name, table)

    def enumerate_table(self, name: str, table: TableNode, domains: list[list[Any]]) -> None:
        combos = list(itertools.product(*domains))
        matches = [
            {
                c
                for c in combos
                if all(cell.matches(v) is True for cell, v in zip(row.cells, c, strict=True))
            }
            for row in table.rows
        ]
        if table.hit_policy is HitPolicy.first:
            for j, row in enumerate(table.rows):
                if not matches[j]:
                    self.add(
                        row.location,
                        WARNING,
                        "never-matches",
                        f"row '{row.id}' of table '{name}' matches no input value",
                    )
                    continue
                before = set().union(*matches[:j]) if j else set()
                if matches[j] <= before:
                    by = [
                        table.rows[k]
                        for k in range(j)
                        if matches[k] & matches[j]  # the rows that take its inputs
                    ]
                    names = ", ".join(f"'{r.id}' (line {r.location.line})" for r in by)
                    self.add(
                        row.location,
                        WARNING,
                        "shadowed-row",
                        f"row '{row.id}' of table '{name}' can never match: "
                        f"earlier row{'s' if len(by) > 1 else ''} {names} "
                        f"take{'' if len(by) > 1 else 's'} every input it matches",
                        "hit policy 'first': move it above, or remove it",
                    )
        covered = set().union(*matches)
        gaps = [c for c in combos if c not in covered]
        if gaps:
            columns = [_column_name(e.source) for e in table.inputs]
            lines = _describe_gaps(gaps, domains, columns)
            shown = lines[:MAX_GAP_REPORTS]
            for text in shown:
                self.add(
                    table.location,
                    WARNING,
                    "table-gap",
                    f"table '{name}': no row for {text}",
                    "add a row (a '-' cell matches anything); with no match the criterion "
                    "scores 0 and lookup() is unknown",
                )
            if len(lines) > len(shown):
                self.add(
                    table.location,
                    WARNING,
                    "table-gap",
                    f"table '{name}': {len(lines) - len(shown)} more uncovered input groups",
                )

    def pairwise_shadowing(self, name: str, table: TableNode) -> None:
        types = [e.type for e in table.inputs]
        for j, row in enumerate(table.rows):
            for prev in table.rows[:j]:
                if all(
                    _cell_covers(a, b, domain_values(t))
                    for a, b, t in zip(prev.cells, row.cells, types, strict=True)
                ):
                    self.add(
                        row.location,
                        WARNING,
                        "shadowed-row",
                        f"row '{row.id}' of table '{name}' can never match: row '{prev.id}' "
                        f"(line {prev.location.line}) matches whenever it does",
                        "hit policy 'first': move it above, or remove it",
                    )
                    break

    # -- gates, weights, rationales
    def gates(self) -> None:
        for gate in self.rs.gates:
            assert isinstance(gate, GateNode) and gate.require is not None
            conj = _conjuncts(gate.require.source, self.rs)
            loc = _child(gate.location, gate.require.location)
            if conj is None:
                self.add(loc, WARNING, "constant-gate", f"gate '{gate.id}' always fails")
            elif conj == frozenset():
                self.add(loc, WARNING, "constant-gate", f"gate '{gate.id}' can never fail")

    def weights(self) -> None:
        total = self.rs.weights_mismatch()
        if total is not None:
            declared = self.rs.decision.weights_sum or 0.0
            detail = " + ".join(f"{c.weight:g} ({c.id})" for c in self.rs.criteria)
            self.add(
                self.where_decision("weights_sum"),
                WARNING,
                "weights-sum",
                f"criterion weights sum to {total:g}, but decision.weights_sum is {declared:g}",
                detail,
            )

    def where_decision(self, key: str) -> Location:
        for doc, model in self.parts:
            if model.decision is not None:
                return doc.location(("decision", key))
        return Location(self.parts[0][0].path, 1, 1)

    def rationales(self) -> None:
        sources = _source_tokens(self.rs)
        for text, loc in self.rationale_texts():
            if not _cites(text, self.rs, sources):
                self.add(
                    loc,
                    WARNING,
                    "uncited-rationale",
                    f"rationale cites no thesis point or source: {_short(text)!r}",
                    "start with the thesis point, e.g. 'T3: ...', or name a parameter / source",
                )

    def conventions(self) -> None:
        """A figure the firm chose has no publication behind it; its reason must be written down,
        with what would change it, or nobody can review it a year later."""
        for section in ("parameters", "priors"):
            for doc, model in self.parts:
                for name, item in (getattr(model, section) or {}).items():
                    problem = convention_problem(item.source)
                    if problem is not None:
                        self.add(
                            doc.location((section, name, "source")),
                            WARNING,
                            "convention-without-reason",
                            f"{section[:-1]} '{name}' is a firm convention {problem}",
                            "write 'firm convention: <why this value>; revisit when <what "
                            "evidence would change it>'",
                        )


_CONVENTION = re.compile(r"firm\s+convention", re.IGNORECASE)
_REVISIT = re.compile(r"\b(revisit|review|replace|change[sd]?|until|unless)\b", re.IGNORECASE)
_THESIS_REF = re.compile(r"\bT(?:1[0-3]|[1-9])(?:\([a-z]\))?\b")


def convention_problem(source: str) -> str | None:
    """Why a 'firm convention' source is not enough (None when it is, or is no convention)."""
    if not _CONVENTION.search(source):
        return None
    reason = _THESIS_REF.sub(" ", _CONVENTION.sub(" ", source))
    if len(re.findall(r"[A-Za-z]{3,}", reason)) < 5:
        return "without a reason"
    if not _REVISIT.search(reason):
        return "without saying what would change it"
    return None


# --------------------------------------------------------------------------- citations


def _mentions(text: str, name: str) -> bool:
    return re.search(rf"(?<![A-Za-z0-9_]){re.escape(name)}(?![A-Za-z0-9_])", text) is not None


def _cites_parameter(text: str, name: str) -> bool:
    """`params.NAME`, or the bare name when it cannot be an ordinary word (`loa_overall_phase1`)."""
    return _mentions(text, f"params.{name}") or ("_" in name and _mentions(text, name))


def _source_tokens(rs: CompiledRuleSet) -> set[str]:
    """Distinctive words naming each parameter's source ('BIO', 'Informa', 'Statista')."""
    tokens: set[str] = set()
    for param in rs.parameters.values():
        head = re.split(r"[:,;(]", param.source, maxsplit=1)[0]
        for word in re.findall(r"[A-Za-z][A-Za-z0-9&.-]{2,}", head):
            if word[0].isupper() and word not in _SOURCE_STOPWORDS:
                tokens.add(word.rstrip("."))
    return tokens


def _cites(text: str, rs: CompiledRuleSet, sources: set[str]) -> bool:
    if THESIS_POINT.search(text):
        return True
    if any(_cites_parameter(text, name) for name in rs.parameters):
        return True
    return any(_mentions(text, token) for token in sources)


def _short(text: str, width: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 3] + "..."


def _child(parent: Location, precise: Location | None) -> Location:
    return precise if precise is not None and precise.line else parent


# --------------------------------------------------------------------------- implication

_OPAQUE: Any = frozenset({("opaque",)})  # a condition we do not analyse (never shadows)
_ORDER_OPS = {ast.Gt: ">", ast.GtE: ">=", ast.Lt: "<", ast.LtE: "<=", ast.Eq: "=="}
_FLIP = {">": "<", ">=": "<=", "<": ">", "<=": ">=", "==": "=="}


def _constant(node: ast.AST, rs: CompiledRuleSet) -> tuple[bool, Any]:
    """(True, value) for a literal or a parameter reference, else (False, None)."""
    if isinstance(node, ast.Constant):
        return True, node.value
    if isinstance(node, ast.Name) and node.id in ("true", "True", "false", "False"):
        return True, node.id in ("true", "True")
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        ok, v = _constant(node.operand, rs)
        if ok and isinstance(v, int | float) and not isinstance(v, bool):
            return True, -v
    if isinstance(node, ast.List | ast.Tuple):
        items = [_constant(e, rs) for e in node.elts]
        if all(ok for ok, _ in items):
            return True, tuple(v for _, v in items)
    if (
        isinstance(node, ast.Attribute)
        and isinstance(node.value, ast.Name)
        and node.value.id == "params"
        and node.attr in rs.parameters
    ):
        value = rs.parameters[node.attr].value
        return True, tuple(value) if isinstance(value, list) else value
    return False, None


def _rank(value: Any) -> float | None:
    """A number, or a stage literal as its clinical rank; None if it cannot be ordered."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(parse_stage(value))
        except ValueError:
            return None
    return None


def _atom(node: ast.AST, rs: CompiledRuleSet) -> Any:
    """Normal form of a clause: ('cmp', lhs, op, rank), ('in', lhs, values) or ('ast', dump)."""
    if isinstance(node, ast.Compare) and len(node.ops) == 1:
        left, right, op = node.left, node.comparators[0], node.ops[0]
        ok_l, lv = _constant(left, rs)
        ok_r, rv = _constant(right, rs)
        if type(op) in _ORDER_OPS and ok_r != ok_l:
            sym = _ORDER_OPS[type(op)]
            lhs, value = (left, rv) if ok_r else (right, lv)
            if ok_l:
                sym = _FLIP[sym]
            rank = _rank(value)
            if rank is not None:
                return ("cmp", ast.dump(lhs), sym, rank)
            if sym == "==":
                return ("in", ast.dump(lhs), frozenset([value]))
        if isinstance(op, ast.In) and ok_r and not ok_l and isinstance(rv, tuple):
            return ("in", ast.dump(left), frozenset(rv))
    return ("ast", ast.dump(node))


def _conjuncts(source: str, rs: CompiledRuleSet) -> Any:
    """The clauses of a condition (all must hold): a frozenset of atoms.

    Empty for `true`; None for a condition that is literally false; _OPAQUE if unparsable."""
    try:
        tree = ast.parse(source.strip(), mode="eval").body
    except SyntaxError:
        return _OPAQUE
    clauses = (
        tree.values if isinstance(tree, ast.BoolOp) and isinstance(tree.op, ast.And) else [tree]
    )
    atoms = set()
    for clause in clauses:
        ok, value = _constant(clause, rs)
        if ok and value is True:
            continue
        if ok and value is False:
            return None
        atoms.add(_atom(clause, rs))
    return frozenset(atoms)


def _atom_implies(a: Any, b: Any) -> bool:
    """Does clause `a` being true make clause `b` true?"""
    if a == b:
        return True
    if a[0] == "cmp" and b[0] == "cmp" and a[1] == b[1]:
        _, _, op_a, x = a
        _, _, op_b, y = b
        lower = {">=": x >= y, ">": x >= y, "==": x >= y}
        strict_lower = {">=": x > y, ">": x >= y, "==": x > y}
        upper = {"<=": x <= y, "<": x <= y, "==": x <= y}
        strict_upper = {"<=": x < y, "<": x <= y, "==": x < y}
        table = {">=": lower, ">": strict_lower, "<=": upper, "<": strict_upper}
        if op_b in table:
            return table[op_b].get(op_a, False)
        return op_b == "==" and op_a == "==" and x == y
    if a[0] == "in" and b[0] == "in" and a[1] == b[1]:
        return a[2] <= b[2]
    return False


def _implies_all(later: frozenset[Any], earlier: frozenset[Any]) -> bool:
    """True when every clause of the earlier condition follows from the later condition."""
    return all(any(_atom_implies(a, b) for a in later) for b in earlier)


# --------------------------------------------------------------------------- table cells


def _cell_covers(a: Cell, b: Cell, domain: list[Any] | None) -> bool:
    """Does cell `a` match every value cell `b` matches? (Conservative: False when unsure.)"""
    if a.op == "any":
        return True
    if domain is not None:
        return all(a.matches(v) is True for v in domain if b.matches(v) is True)
    if b.op == "any":
        return False
    if a.op == "in" and b.op == "in":
        return set(b.values) <= set(a.values)
    ranks_b = [_rank(v) for v in b.values]
    if b.op == "in" and all(r is not None for r in ranks_b):
        return all(a.matches(v) is True for v in b.values)
    if a.op in (">=", ">") and b.op in (">=", ">"):
        x, y = _rank(a.values[0]), _rank(b.values[0])
        return x is not None and y is not None and (x < y or (x == y and a.op >= b.op))
    if a.op in ("<=", "<") and b.op in ("<=", "<"):
        x, y = _rank(a.values[0]), _rank(b.values[0])
        return x is not None and y is not None and (x > y or (x == y and a.op >= b.op))
    return False


def _column_name(source: str) -> str:
    text = source.strip()
    if re.fullmatch(r"[A-Za-z_][\w.]*", text):
        return text.rsplit(".", 1)[-1]
    return text


def _show(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Stage):
        return value.name
    return str(getattr(value, "value", value))


def _describe_gaps(
    gaps: list[tuple[Any, ...]], domains: list[list[Any]], columns: list[str]
) -> list[str]:
    """Uncovered combinations, grouped along the column that gives the fewest lines."""
    best: list[str] | None = None
    for k in range(len(columns)):
        groups: dict[tuple[Any, ...], list[Any]] = {}
        for combo in gaps:
            rest = combo[:k] + combo[k + 1 :]
            groups.setdefault(rest, []).append(combo[k])
        lines = []
        for rest, values in groups.items():
            cells = [f"{columns[i]}={_show(v)}" for i, v in enumerate(rest) if i < k]
            ordered = [v for v in domains[k] if v in values]
            if len(ordered) == len(domains[k]):
                here = f"{columns[k]}=any"
            elif len(ordered) == 1:
                here = f"{columns[k]}={_show(ordered[0])}"
            else:
                here = f"{columns[k]} in [{', '.join(_show(v) for v in ordered)}]"
            cells.append(here)
            cells += [f"{columns[i + 1]}={_show(v)}" for i, v in enumerate(rest) if i >= k]
            lines.append(", ".join(cells))
        if best is None or len(lines) < len(best):
            best = lines
    return best or []
