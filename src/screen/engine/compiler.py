"""Compile a rule set: resolve names, type-check expressions, order rules by dependency.

Input: the parsed files of one rule set (`ruleset.RuleSetFile` + the YAML positions).
Output: a `CompiledRuleSet`, an immutable plan the engine runs per asset without further checks.

What is checked here (each failure is a located error with a hint, collected so an author sees
all of them at once): references to fields, parameters, derived facts, criteria, gates and tables
exist (did-you-mean otherwise); expressions are well-typed (stage literals are valid stages, enum
literals valid values); ids are unique; every gate, band and row has a rationale; table cells fit
their columns and `unique` tables have no overlapping rows; the dependency graph has no
cycle, which is printed as `derived.a -> derived.b -> derived.a`.

It stays one module because the checks share the name scope and the collected, sorted error list
(an author sees every error at once); the per-cell and overlap logic lives in `tables.py`.

Long module: one pass over every file of a rule set that collects all errors at once; the
checks share its name tables and location bookkeeping, so they stay together.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from screen.engine.facts import ROOT_MODELS, FieldPath, build_extractor, resolve_field
from screen.engine.plan import (
    Band,
    CompiledRuleSet,
    CriterionNode,
    DerivedNode,
    GateNode,
    Node,
    Row,
    TableNode,
)
from screen.engine.priors import compile_priors
from screen.engine.tables import CellError, overlapping_rows, parse_cell
from screen.lang.expressions import Expression, NameProblem, compile_expression
from screen.lang.functions import FUNCTIONS
from screen.lang.types import ANY, BOOL, NUM, STR, Type, list_of
from screen.model.errors import Location, ScreenError, ScreenErrors, did_you_mean
from screen.model.ruleset import (
    Decision,
    HitPolicy,
    RuleSetFile,
)
from screen.model.scalarpos import place_in_scalar
from screen.model.vocab import vocabulary_words
from screen.model.yamlsource import PathKey, SourceDoc

ROOTS = ["asset", "company", "case", "params", "derived", "criteria", "gates"]


@dataclass
class _Part:
    """A rule-set file with its parsed YAML, so every item can be located."""

    doc: SourceDoc
    model: RuleSetFile


def _param_type(value: Any) -> Type:
    if isinstance(value, bool):
        return BOOL
    if isinstance(value, int | float):
        return NUM
    if isinstance(value, str):
        return STR
    if isinstance(value, list):
        kinds = {_param_type(v).kind for v in value}
        return list_of(_param_type(value[0]) if len(kinds) == 1 else ANY)
    return ANY


class _Scope:
    """Name resolution for expressions: case fields, params, derived, criteria, gates, tables."""

    def __init__(self, compiler: _RuleSetCompiler):
        self.c = compiler

    def roots(self) -> list[str]:
        return ROOTS

    def resolve(self, parts: tuple[str, ...]) -> tuple[str, Type]:
        root = parts[0]
        c = self.c
        if root in ROOT_MODELS:
            fp = c.fields.get(".".join(parts))
            if fp is None:
                fp = resolve_field(parts)
                c.fields[fp.key] = fp
            return fp.key, fp.type
        if root in ("params", "derived", "criteria", "gates"):
            if len(parts) != 2:
                raise NameProblem(f"'{'.'.join(parts)}': {root} are referred to as {root}.NAME")
            name = parts[1]
            names = {
                "params": c.param_types,
                "derived": c.derived_types,
                "criteria": {k: NUM for k in c.criterion_ids},
                "gates": {k: BOOL for k in c.gate_ids},
            }[root]
            if name not in names:
                hint = did_you_mean(name, names) or (
                    f"known {root}: {', '.join(sorted(names))}"
                    if names
                    else f"no {root} are defined"
                )
                noun = {
                    "params": "parameter",
                    "derived": "derived fact",
                    "criteria": "criterion",
                    "gates": "gate",
                }[root]
                raise NameProblem(f"unknown {noun} '{name}'", hint)
            return f"{root}.{name}", names[name]
        if root in c.param_types:
            raise NameProblem(f"unknown name '{root}'", f"did you mean 'params.{root}'?")
        if root in c.derived_types:
            raise NameProblem(f"unknown name '{root}'", f"did you mean 'derived.{root}'?")
        if root in FUNCTIONS:
            raise NameProblem(f"'{root}' is a function", f"call it: {root}(...)")
        if root in vocabulary_words():  # `asset.stage >= phase2`: a value, not a name
            raise NameProblem(f"unknown name '{root}'", f"a value is quoted: '{root}'")
        hint = did_you_mean(root, ROOTS)
        raise NameProblem(f"unknown name '{root}'", hint or f"names start with: {', '.join(ROOTS)}")

    def parameter_value(self, name: str) -> Any:
        for part in self.c.parts:
            if name in part.model.parameters:
                return part.model.parameters[name].value
        return None

    def parameter_location(self, name: str, index: int | None) -> Location | None:
        """Where a parameter's value (or its item `index` in a list) is written."""
        for part in self.c.parts:
            if name in part.model.parameters:
                path = ("parameters", name, "value", *(() if index is None else (index,)))
                return part.doc.location(path)
        return None

    def table(self, name: str) -> tuple[str, Type]:
        if name not in self.c.table_types:
            hint = did_you_mean(name, self.c.table_types) or (
                f"tables: {', '.join(sorted(self.c.table_types))}"
                if self.c.table_types
                else "no tables are defined"
            )
            raise NameProblem(f"unknown table '{name}'", hint)
        return f"table.{name}", self.c.table_types[name]


class _RuleSetCompiler:
    def __init__(self, parts: list[_Part], sha256: str):
        self.parts = parts
        self.sha256 = sha256
        self.errors: list[ScreenError] = []
        self.fields: dict[str, FieldPath] = {}
        self.param_types: dict[str, Type] = {}
        self.derived_types: dict[str, Type] = {}
        self.table_types: dict[str, Type] = {}
        self.criterion_ids: list[str] = []
        self.gate_ids: list[str] = []
        self.scope = _Scope(self)

    # ------------------------------------------------------------------ helpers
    def loc(self, part: _Part, path: PathKey, key: bool = False) -> Location:
        return part.doc.location(path, key=key)

    def expr_loc(self, part: _Part, path: PathKey) -> tuple[Location, bool]:
        """Location of an expression scalar and whether it is quoted (to place columns)."""
        loc = part.doc.location(path)
        lines = part.doc.lines
        if 0 < loc.line <= len(lines):
            line = lines[loc.line - 1]
            ch = line[loc.column - 1 : loc.column] if loc.column else ""
            if ch in ("|", ">") and loc.line < len(lines):
                nxt = lines[loc.line]
                indent = len(nxt) - len(nxt.lstrip())
                return Location(loc.file, loc.line + 1, indent + 1), False
            return loc, ch in ("'", '"')
        return loc, False

    def expr(self, source: str, part: _Part, path: PathKey) -> Expression | None:
        loc, quoted = self.expr_loc(part, path)
        lines, start = part.doc.lines, (loc.line or 1, (loc.column or 1) + (1 if quoted else 0))

        def place(offset: int) -> tuple[int, int] | None:
            return place_in_scalar(lines, *start, source, offset)

        try:
            return compile_expression(source, self.scope, loc, quoted=quoted, place=place)
        except ScreenError as exc:
            self.errors.append(exc)
            return None

    def fail(self, message: str, loc: Location, hint: str | None = None) -> None:
        self.errors.append(ScreenError(message, loc, hint))

    def raise_errors(self) -> None:
        if self.errors:
            unique: dict[str, ScreenError] = {}
            for e in self.errors:
                unique.setdefault(str(e), e)
            errs = sorted(
                unique.values(),
                key=lambda e: (
                    str(e.location.file) if e.location else "",
                    e.location.line if e.location else 0,
                    e.location.column if e.location else 0,
                ),
            )
            raise ScreenErrors(errs)

    # ------------------------------------------------------------------ main
    def run(self) -> CompiledRuleSet:
        header, header_part = self.header()
        decision = self.decision_section()
        self.collect_names()
        self.raise_errors()
        self.compile_all()  # pass 1: references and types of non-derived names
        self.raise_errors()
        order, edges = self.order()
        self.raise_errors()
        # pass 2: compile in dependency order, so derived facts carry their real types
        self.fields = {}
        steps = self.compile_all(order)
        self.raise_errors()
        self.check_decision(decision, header.scale, header_part)
        self.raise_errors()
        params = {k: v for p in self.parts for k, v in p.model.parameters.items()}
        base = {f"params.{k}": v.value for k, v in params.items()}
        criteria = [s for s in steps if isinstance(s, CriterionNode)]
        criteria.sort(key=lambda c: self.criterion_ids.index(c.id))
        gates = [s for s in steps if isinstance(s, GateNode)]
        gates.sort(key=lambda g: self.gate_ids.index(g.id))
        questions = {k: v for p in self.parts for k, v in p.model.questions.items()}
        for fact, _ in questions.items():
            self.check_fact_path(fact, "questions")
        fixed = [f for p in self.parts for f in p.model.fixed]
        for fact in fixed:
            self.check_fact_path(fact, "fixed")
        priors = {}
        for part in self.parts:

            def where(fact: str, *path: Any, part: _Part = part) -> Location:
                return self.loc(part, ("priors", fact, *path), key=not path)

            priors.update(compile_priors(part.model.priors, self.fail, where))
        actionable = [f for p in self.parts for f in p.model.actionable]
        for fact in actionable:
            self.check_fact_path(fact, "actionable")
        self.raise_errors()
        rs = CompiledRuleSet(
            name=header.name,
            version=header.version,
            sha256=self.sha256,
            description=header.description,
            scale=header.scale,
            files=[p.doc.path for p in self.parts],
            parameters=params,
            steps=steps,
            criteria=criteria,
            gates=gates,
            tables={s.id: s for s in steps if isinstance(s, TableNode)},
            decision=decision,
            questions=questions,
            fields=dict(sorted(self.fields.items())),
            fixed=fixed,
            priors=priors,
            reasons={k: v for p in self.parts for k, v in p.model.reasons.items()},
            extract=build_extractor(list(self.fields.values())),
            edges=edges,
            base_facts=base,
            actionable=actionable,
        )
        total = rs.weights_mismatch()
        if total is not None:  # lint's weights-sum, said where scores are made too
            dp = next(p for p in self.parts if p.model.decision is not None)
            stated = "weights_sum" in decision.model_fields_set
            where = self.loc(dp, ("decision", "weights_sum") if stated else ("decision",), True)
            rs.warnings = (
                f"{where}: warning: criterion weights sum "
                f"to {total:g}, not decision.weights_sum {decision.weights_sum:g}: each "
                f"criterion counts its weight / {total:g} (dealscreen lint lists the weights)",
            )
        return rs

    def check_fact_path(self, fact: str, section: str) -> None:
        parts = tuple(fact.split("."))
        part = next(p for p in self.parts if fact in getattr(p.model, section))
        if section == "questions":
            loc = self.loc(part, (section, fact), key=True)
        else:
            loc = self.loc(part, (section, getattr(part.model, section).index(fact)))
        if parts[0] not in ROOT_MODELS:
            self.fail(
                f"{section}: '{fact}' is not a case field path",
                loc,
                "paths start with asset., company. or case.",
            )
            return
        try:
            resolve_field(parts)
        except NameProblem as exc:
            if "is a group of fields" not in exc.message:  # a group may be asked about as a whole
                self.fail(f"{section}: {exc.message}", loc, exc.hint)

    def header(self) -> tuple[Any, _Part]:
        found = [(p.model.ruleset, p) for p in self.parts if p.model.ruleset is not None]
        if not found:
            where = Location(self.parts[0].doc.path, 1, 1)
            raise ScreenError(
                "rule set has no 'ruleset:' header (name, version)",
                where,
                "add  ruleset: {name: my-thesis, version: '1.0'}",
            )
        if len(found) > 1:
            p = found[1][1]
            raise ScreenError(
                "a second 'ruleset:' header",
                self.loc(p, ("ruleset",), key=True),
                f"the header is already in {found[0][1].doc.path}",
            )
        return found[0]

    def decision_section(self) -> Decision:
        found = [p for p in self.parts if p.model.decision is not None]
        if not found:
            raise ScreenError(
                "rule set has no 'decision:' section (advance / watch thresholds)",
                Location(self.parts[0].doc.path, 1, 1),
            )
        if len(found) > 1:
            raise ScreenError(
                "a second 'decision:' section", self.loc(found[1], ("decision",), True)
            )
        return found[0].model.decision  # type: ignore[return-value]

    def check_decision(self, decision: Decision, scale: float, part: _Part) -> None:
        dp = next(p for p in self.parts if p.model.decision is not None)
        if decision.advance < decision.watch:
            self.fail(
                "decision.advance must be >= decision.watch", self.loc(dp, ("decision", "advance"))
            )
        for name in ("advance", "watch"):
            value = getattr(decision, name)
            if not 0 <= value <= scale:
                self.fail(
                    f"decision.{name} = {value} is outside the score scale 0..{scale:g}",
                    self.loc(dp, ("decision", name)),
                )
        if not self.criterion_ids:
            self.fail("rule set has no criteria", Location(part.doc.path, 1, 1))

    def collect_names(self) -> None:
        seen_ids: dict[str, Location] = {}

        def claim(rule_id: str, loc: Location) -> None:
            if rule_id in seen_ids:
                first = seen_ids[rule_id]
                self.fail(f"duplicate id '{rule_id}'", loc, f"first used at {first}")
            else:
                seen_ids[rule_id] = loc

        first_at: dict[tuple[str, str], Location] = {}

        def named(section: str, names: dict[str, Any], part: _Part, name: str) -> None:
            here = self.loc(part, (section, name), True)
            if name in names:
                first = first_at.get((section, name))
                self.fail(
                    f"{section} '{name}' is defined twice",
                    here,
                    f"first defined at {first}" if first else None,
                )
            else:
                first_at[(section, name)] = here
            if not name.isidentifier() or name.startswith("_"):
                self.fail(
                    f"{section} name '{name}' must be a plain identifier (letters, digits, _)",
                    self.loc(part, (section, name), True),
                )

        for part in self.parts:
            m = part.model
            for name, param in m.parameters.items():
                named("parameters", self.param_types, part, name)
                self.param_types[name] = _param_type(param.value)
                if isinstance(param.value, dict) or param.value is None:
                    self.fail(
                        f"parameter '{name}' must be a number, text, true/false or a list",
                        self.loc(part, ("parameters", name, "value")),
                    )
            for name in m.derived:
                named("derived", self.derived_types, part, name)
                self.derived_types[name] = ANY
            for name, table in m.tables.items():
                named("tables", self.table_types, part, name)
                self.table_types[name] = self.table_output_type(part, name, table)
                for j, row in enumerate(table.rows):
                    claim(row.id, self.loc(part, ("tables", name, "rows", j, "id")))
            for i, gate in enumerate(m.gates):
                claim(gate.id, self.loc(part, ("gates", i, "id")))
                self.gate_ids.append(gate.id)
            for i, crit in enumerate(m.criteria):
                claim(crit.id, self.loc(part, ("criteria", i, "id")))
                self.criterion_ids.append(crit.id)
                for j, band in enumerate(crit.bands or []):
                    claim(band.id, self.loc(part, ("criteria", i, "bands", j, "id")))

    def table_output_type(self, part: _Part, name: str, table: Any) -> Type:
        """All outputs of a table must be of one kind: numbers, text, or true/false."""
        words = {"num": "a number", "str": "text", "bool": "true/false"}
        rows_by_kind: dict[str, list[int]] = {}
        for j, row in enumerate(table.rows):
            value = row.output
            if isinstance(value, bool):
                kind = "bool"
            elif isinstance(value, int | float):
                kind = "num"
            elif isinstance(value, str):
                kind = "str"
            else:
                self.fail(
                    f"table '{name}' row '{row.id}': output must be a number, text or "
                    f"true/false, got {value!r}",
                    self.loc(part, ("tables", name, "rows", j, "output")),
                )
                continue
            rows_by_kind.setdefault(kind, []).append(j)
        if len(rows_by_kind) > 1:
            odd = min(rows_by_kind, key=lambda k: (len(rows_by_kind[k]), rows_by_kind[k][0]))
            usual = max(rows_by_kind, key=lambda k: len(rows_by_kind[k]))
            j = rows_by_kind[odd][0]
            self.fail(
                f"table '{name}' row '{table.rows[j].id}' outputs {words[odd]} "
                f"({table.rows[j].output!r}) while other rows output {words[usual]}",
                self.loc(part, ("tables", name, "rows", j, "output")),
                "all rows of a table give the same kind of output",
            )
            return ANY
        kind = next(iter(rows_by_kind), "")
        return {"num": NUM, "str": STR, "bool": BOOL}.get(kind, ANY)

    def compile_all(self, order: list[str] | None = None) -> list[Node]:
        nodes: dict[str, Node] = {}
        pending: list[tuple[str, Callable[[], Node | None]]] = []
        for part in self.parts:
            m = part.model
            for name, d in m.derived.items():
                pending.append(
                    (
                        f"derived.{name}",
                        lambda part=part, name=name, d=d: self.derived(part, name, d),
                    )
                )
            for name, t in m.tables.items():
                pending.append(
                    (f"table.{name}", lambda part=part, name=name, t=t: self.table(part, name, t))
                )
            for i, g in enumerate(m.gates):
                pending.append((f"gates.{g.id}", lambda part=part, i=i, g=g: self.gate(part, i, g)))
            for i, c in enumerate(m.criteria):
                pending.append(
                    (f"criteria.{c.id}", lambda part=part, i=i, c=c: self.criterion(part, i, c))
                )
        by_key = dict(pending)
        self.declared = [k for k, _ in pending]
        for key in order or self.declared:
            node = by_key[key]()
            if node is not None:
                nodes[key] = node
        self.nodes = nodes
        return list(nodes.values())

    def derived(self, part: _Part, name: str, d: Any) -> Node | None:
        e = self.expr(d.expr, part, ("derived", name, "expr"))
        if e is None:
            return None
        self.derived_types[name] = e.type
        return DerivedNode(
            "derived",
            name,
            f"derived.{name}",
            self.loc(part, ("derived", name), True),
            e.reads,
            e.blamable,
            expr=e,
            description=d.description,
            question=d.question,
        )

    def table(self, part: _Part, name: str, t: Any) -> Node | None:
        base: PathKey = ("tables", name)
        inputs = [self.expr(src, part, (*base, "inputs", i)) for i, src in enumerate(t.inputs)]
        if any(e is None for e in inputs):
            return None
        types = [e.type for e in inputs]  # type: ignore[union-attr]
        rows: list[Row] = []
        for j, row in enumerate(t.rows):
            rloc = self.loc(part, (*base, "rows", j))
            self.rationale(row.rationale, part, (*base, "rows", j, "rationale"))
            if len(row.when) != len(inputs):
                self.fail(
                    f"table '{name}' row '{row.id}' has {len(row.when)} cells for "
                    f"{len(inputs)} inputs",
                    self.loc(part, (*base, "rows", j, "when")),
                    "one cell per input; '-' matches anything",
                )
                continue
            cells = []
            for k, (raw, typ) in enumerate(zip(row.when, types, strict=True)):
                try:
                    cells.append(parse_cell(raw, typ))
                except CellError as exc:
                    self.fail(
                        f"table '{name}' row '{row.id}', input {t.inputs[k]!r}: {exc}",
                        self.loc(part, (*base, "rows", j, "when", k)),
                        exc.hint,
                    )
            if len(cells) == len(inputs):
                rows.append(Row(row.id, cells, row.output, row.rationale, rloc))
        if t.hit_policy is HitPolicy.unique:
            pairs, more = overlapping_rows([r.cells for r in rows], types)
            for a, b in pairs:
                self.fail(
                    f"table '{name}' has hit policy 'unique' but rows '{rows[a].id}' "
                    f"(line {rows[a].location.line}) and '{rows[b].id}' overlap",
                    rows[b].location,
                    "make the conditions exclusive, or use hit_policy: first",
                )
            if more:
                self.fail(
                    f"table '{name}': more overlapping rows than the {len(pairs)} listed",
                    self.loc(part, base, True),
                    "make the conditions exclusive, or use hit_policy: first",
                )
        reads = tuple(dict.fromkeys(r for e in inputs for r in e.reads))  # type: ignore[union-attr]
        blame = tuple(dict.fromkeys(r for e in inputs for r in e.blamable))  # type: ignore[union-attr]
        return TableNode(
            "table",
            name,
            f"table.{name}",
            self.loc(part, base, True),
            reads,
            blame,
            hit_policy=t.hit_policy,
            inputs=inputs,
            rows=rows,  # type: ignore[arg-type]
            output_type=self.table_types[name],
        )

    def check_table_scores(self, c: Any, part: _Part, where: PathKey) -> None:
        """A table that scores a criterion must give scores within 0..max, like bands."""
        for tpart in self.parts:
            table = tpart.model.tables.get(c.table)
            if table is None:
                continue
            for j, row in enumerate(table.rows):
                out = row.output
                if (
                    isinstance(out, int | float)
                    and not isinstance(out, bool)
                    and not 0 <= out <= c.max
                ):
                    self.fail(
                        f"table '{c.table}' row '{row.id}' gives score {out:g}, outside "
                        f"0..{c.max:g} of criterion '{c.id}'",
                        self.loc(tpart, ("tables", c.table, "rows", j, "output")),
                    )

    def rationale(self, text: str, part: _Part, path: PathKey) -> None:
        if not text or not text.strip():
            self.fail(
                "empty rationale",
                self.loc(part, path),
                "cite a thesis point (T1–T13) or a parameter's source",
            )

    def gate(self, part: _Part, i: int, g: Any) -> Node | None:
        self.rationale(g.rationale, part, ("gates", i, "rationale"))
        e = self.expr(g.require, part, ("gates", i, "require"))
        if e is None:
            return None
        if e.type.kind not in ("bool", "any"):
            self.fail(
                f"gate '{g.id}': 'require' must be a condition (true/false), got {e.type}",
                self.loc(part, ("gates", i, "require")),
            )
        return GateNode(
            "gate",
            g.id,
            f"gates.{g.id}",
            self.loc(part, ("gates", i)),
            e.reads,
            e.blamable,
            name=g.name or g.id,
            require=e,
            rationale=g.rationale,
            question=g.question,
        )

    def criterion(self, part: _Part, i: int, c: Any) -> Node | None:
        base: PathKey = ("criteria", i)
        loc = self.loc(part, base)
        if (c.bands is None) == (c.table is None):
            self.fail(f"criterion '{c.id}' needs exactly one of 'bands' or 'table'", loc)
            return None
        bands: list[Band] = []
        reads: list[str] = []
        blame: list[str] = []
        if c.table is not None:
            if c.table not in self.table_types:
                hint = did_you_mean(c.table, self.table_types)
                self.fail(
                    f"criterion '{c.id}': unknown table '{c.table}'",
                    self.loc(part, (*base, "table")),
                    hint,
                )
                return None
            if self.table_types[c.table].kind not in ("num", "any"):
                self.fail(
                    f"criterion '{c.id}': table '{c.table}' outputs are not numbers",
                    self.loc(part, (*base, "table")),
                )
            self.check_table_scores(c, part, (*base, "table"))
            reads.append(f"table.{c.table}")
            blame.append(f"table.{c.table}")
        for j, b in enumerate(c.bands or []):
            self.rationale(b.rationale, part, (*base, "bands", j, "rationale"))
            if not 0 <= b.score <= c.max:
                self.fail(
                    f"band '{b.id}' score {b.score:g} is outside 0..{c.max:g}",
                    self.loc(part, (*base, "bands", j, "score")),
                )
            e = self.expr(b.when, part, (*base, "bands", j, "when"))
            if e is None:
                continue
            if e.type.kind not in ("bool", "any"):
                self.fail(
                    f"band '{b.id}': 'when' must be a condition, got {e.type}",
                    self.loc(part, (*base, "bands", j, "when")),
                )
            reads.extend(e.reads)
            blame.extend(e.blamable)
            bands.append(Band(b.id, e, b.score, b.rationale, self.loc(part, (*base, "bands", j))))
        return CriterionNode(
            "criterion",
            c.id,
            f"criteria.{c.id}",
            loc,
            tuple(dict.fromkeys(reads)),
            tuple(dict.fromkeys(blame)),
            name=c.name or c.id,
            weight=c.weight,
            max=c.max,
            policy=c.unknown_policy,
            rationale=c.rationale,
            bands=bands if c.bands is not None else None,
            table=c.table,
            question=c.question,
        )

    def order(self) -> tuple[list[str], list[tuple[str, str]]]:
        """Evaluation order: dependencies first, else declaration order; a cycle is an error.

        Plain Python (Kahn's algorithm on a heap of declaration indexes, a depth-first search
        for the cycle): the same order networkx's lexicographical topological sort gave, without
        importing networkx (~150 ms) on every command."""
        index = {k: i for i, k in enumerate(self.declared)}
        succ: dict[str, dict[str, None]] = {k: {} for k in self.declared}
        edges: list[tuple[str, str]] = []
        for key, node in self.nodes.items():
            for read in node.reads:
                if read in index:
                    succ[read][key] = None
                edges.append((read, key))
        cycle = _find_cycle(self.declared, succ)
        if cycle:
            first = self.nodes[cycle[0]]
            raise ScreenError(
                f"dependency cycle: {' -> '.join(cycle)}",
                first.location,
                "a derived fact, table, gate or criterion cannot depend on itself",
            )
        indegree = dict.fromkeys(self.declared, 0)
        for targets in succ.values():
            for t in targets:
                indegree[t] += 1
        ready = [index[k] for k in self.declared if not indegree[k]]
        heapq.heapify(ready)
        order = []
        while ready:
            key = self.declared[heapq.heappop(ready)]
            order.append(key)
            for t in succ[key]:
                indegree[t] -= 1
                if not indegree[t]:
                    heapq.heappush(ready, index[t])
        return order, sorted(set(edges))


def _find_cycle(nodes: list[str], succ: dict[str, dict[str, None]]) -> list[str] | None:
    """The first cycle a depth-first search (nodes and edges in insertion order) meets, as
    `[a, b, ..., a]`; None when the graph is acyclic."""
    done: set[str] = set()
    for root in nodes:
        if root in done:
            continue
        path: list[str] = [root]
        on_path = {root}
        stack = [iter(succ[root])]
        while stack:
            nxt = next(stack[-1], None)
            if nxt is None:
                stack.pop()
                done.add(path[-1])
                on_path.discard(path.pop())
                continue
            if nxt in on_path:
                return [*path[path.index(nxt) :], nxt]
            if nxt not in done:
                path.append(nxt)
                on_path.add(nxt)
                stack.append(iter(succ[nxt]))
    return None


def compile_ruleset(parts: list[tuple[SourceDoc, RuleSetFile]], sha256: str) -> CompiledRuleSet:
    """Compile parsed rule-set files into an evaluation plan, or raise located errors."""
    return _RuleSetCompiler([_Part(d, m) for d, m in parts], sha256).run()


class _CompiledNames:
    """The names a compiled rule set defines, shaped like the compiler's own tables, so that
    `_Scope` checks a new expression exactly as it checked the rule set's."""

    def __init__(self, rs: CompiledRuleSet):
        from types import SimpleNamespace

        self.fields: dict[str, FieldPath] = dict(rs.fields)
        self.param_types = {k: _param_type(p.value) for k, p in rs.parameters.items()}
        self.derived_types = {
            n.id: n.expr.type for n in rs.steps if isinstance(n, DerivedNode) and n.expr is not None
        }
        self.table_types = {k: t.output_type for k, t in rs.tables.items()}
        self.criterion_ids = [c.id for c in rs.criteria]
        self.gate_ids = [g.id for g in rs.gates]
        self.parts = [SimpleNamespace(model=SimpleNamespace(parameters=rs.parameters))]


def compile_against(
    rs: CompiledRuleSet, source: str, location: Location | None = None
) -> tuple[Expression, dict[str, FieldPath]]:
    """Check and compile one expression against a compiled rule set's names (`dealscreen
    eval`), in the same sandbox; also returns the case fields it reads that the rule set does
    not (the caller extracts those)."""
    names = _CompiledNames(rs)
    expr = compile_expression(source, _Scope(names), location)  # type: ignore[arg-type]
    extra = {k: fp for k, fp in names.fields.items() if k not in rs.fields}
    return expr, extra
