"""Code generation for the fast path: the whole rule set as one straight-line Python function.

The interpretive evaluator (`engine.run.AssetRun`) is exact for every case, unknowns included, and
records a trace, but it pays Python overhead per rule. Most assets in a pipeline have complete
data for most rules, so we also compile the rule set into generated code that does what a
hand-written function would: read the fields, compute derived facts, pick the first matching
band or row, weigh the scores, apply the gates and thresholds. It is valid only while nothing
is unknown: the moment generated code touches UNKNOWN (an operation raises `UnknownValue`), hits
a non-boolean condition, a table with no matching row, or an arithmetic error, it raises and the
caller falls back to the interpretive evaluator. Results are therefore identical by construction:
the fast path either agrees or steps aside. The trace, when wanted, is rebuilt from the fact
table the fast path filled (every value it computed is in `F`, under the rule's key).

Safety: the generated source is made from the *checked* expression trees (see expressions.py,
rendered with `ast.unparse`), from rule ids and fact keys only as string literals, and from
constants passed through the namespace; it runs with empty builtins like every expression.
"""

from __future__ import annotations

import ast
import math
from collections.abc import Callable
from typing import Any

from screen.engine.compiler import CompiledRuleSet, CriterionNode, DerivedNode, GateNode, TableNode
from screen.engine.tables import Cell
from screen.lang.expressions import BASE_NAMESPACE, Expression


class Fallback(Exception):
    """The fast path cannot decide this asset; use the interpretive evaluator."""


class _Renamer(ast.NodeTransformer):
    def __init__(self, prefix: str, source_ns: dict[str, Any], target_ns: dict[str, Any]):
        self.prefix = prefix
        self.source_ns = source_ns
        self.target_ns = target_ns

    def visit_Name(self, node: ast.Name) -> ast.Name:
        if node.id.startswith("_k"):
            new = f"{self.prefix}{node.id}"
            self.target_ns[new] = self.source_ns[node.id]
            return ast.copy_location(ast.Name(new, ast.Load()), node)
        return node


class _Gen:
    def __init__(self, rs: CompiledRuleSet):
        self.rs = rs
        self.ns: dict[str, Any] = dict(BASE_NAMESPACE)
        self.ns.update(
            {
                "Fallback": Fallback,
                "fsum": math.fsum,
                "int": int,
                "float": float,
            }
        )
        self.helpers: list[str] = []
        self.body: list[str] = []
        self.count = 0

    def const(self, value: Any) -> str:
        self.count += 1
        name = f"_c{self.count}"
        self.ns[name] = value
        return name

    def expr(self, e: Expression) -> str:
        self.count += 1
        tree = _Renamer(f"_e{self.count}", e.namespace, self.ns).visit(
            ast.parse(ast.unparse(e.tree), mode="eval").body
        )
        return ast.unparse(tree)

    def cell(self, var: str, cell: Cell) -> str | None:
        if cell.op == "any":
            return None
        if cell.op == "in":
            if len(cell.values) == 1:
                return f"{var} == {self.const(cell.values[0])}"
            return f"{var} in {self.const(tuple(cell.values))}"
        return f"{var} {cell.op} {self.const(cell.values[0])}"

    def first_hit(self, name: str, conditions: list[str]) -> None:
        """A helper returning the index of the first true condition, -1 if none."""
        lines = [f"def {name}(F):"]
        for i, cond in enumerate(conditions):
            lines.append(f"    v = {cond}")
            lines.append(f"    if v is True: return {i}")
            lines.append("    if v is not False: raise Fallback")
        lines.append("    return -1")
        self.helpers.append("\n".join(lines))

    def run(self) -> Callable[[dict[str, Any]], dict[str, Any]]:
        rs = self.rs
        b = self.body
        b.append("def fast(F):")
        for n, node in enumerate(rs.steps):
            key = repr(node.key)
            if isinstance(node, DerivedNode) and node.expr is not None:
                b.append(f"    F[{key}] = {self.expr(node.expr)}")
            elif isinstance(node, TableNode):
                fn = f"_table{n}"
                inputs = [self.expr(e) for e in node.inputs]
                lines = [f"def {fn}(F):"]
                lines += [f"    i{k} = {src}" for k, src in enumerate(inputs)]
                for r, row in enumerate(node.rows):
                    tests = [t for k, c in enumerate(row.cells) if (t := self.cell(f"i{k}", c))]
                    lines.append(f"    if {' and '.join(tests) or 'True'}: return {r}")
                lines.append("    raise Fallback")
                self.helpers.append("\n".join(lines))
                outputs = self.const(tuple(row.output for row in node.rows))
                b.append(f"    i = {fn}(F)")
                b.append(f"    F[{repr('#' + node.key)}] = i")
                b.append(f"    F[{key}] = {outputs}[i]")
            elif isinstance(node, GateNode) and node.require is not None:
                b.append(f"    v = {self.expr(node.require)}")
                b.append("    if v is not True and v is not False: raise Fallback")
                b.append(f"    F[{key}] = v")
            elif isinstance(node, CriterionNode):
                self.criterion(n, node)
        self.decision()
        b.append("    return F")
        source = "\n\n".join([*self.helpers, "\n".join(b)])
        code = compile(source, f"<fast path {rs.name}>", "exec")
        exec(code, self.ns)  # noqa: S102 - generated from checked trees, empty builtins
        fast: Callable[..., dict[str, Any]] = self.ns["fast"]
        fast.source = source  # type: ignore[attr-defined]
        return fast

    def criterion(self, n: int, node: CriterionNode) -> None:
        b = self.body
        key = repr(node.key)
        if node.bands is not None:
            fn = f"_crit{n}"
            self.first_hit(fn, [self.expr(band.when) for band in node.bands])
            scores = self.const(tuple(float(band.score) for band in node.bands) + (0.0,))
            b.append(f"    i = {fn}(F)")
            b.append(f"    F[{repr('#' + node.key)}] = i")
            b.append(f"    F[{key}] = {scores}[i]")
        else:
            tkey = repr(f"table.{node.table}")
            b.append(f"    v = F[{tkey}]")
            b.append("    if v.__class__ is not int and v.__class__ is not float: raise Fallback")
            b.append(f"    F[{repr('#' + node.key)}] = F[{repr('#table.' + str(node.table))}]")
            b.append(f"    F[{key}] = v")

    def decision(self) -> None:
        rs = self.rs
        b = self.body
        terms = ", ".join(f"F[{c.key!r}] * {self.const(c.weight / c.max)}" for c in rs.criteria)
        factor = self.const(rs.scale)
        total = self.const(math.fsum(c.weight for c in rs.criteria))
        b.append(f"    score = fsum([{terms}]) / {total} * {factor}")
        gates = " and ".join(f"F[{g.key!r}]" for g in rs.gates) or "True"
        adv, watch = self.const(rs.decision.advance), self.const(rs.decision.watch)
        b.append(f"    if not ({gates}): d = 'decline'")
        b.append(f"    elif score >= {adv}: d = 'advance'")
        b.append(f"    elif score >= {watch}: d = 'watch'")
        b.append("    else: d = 'decline'")
        b.append("    F['#score'] = score")
        b.append("    F['#decision'] = d")


def build_fast_path(rs: CompiledRuleSet) -> Callable[..., dict[str, Any]]:
    """Generate the fast evaluator for a compiled rule set (see module docstring)."""
    return _Gen(rs).run()


def fast_path(rs: CompiledRuleSet) -> Callable[..., dict[str, Any]]:
    """The rule set's generated evaluator, built on first use and cached on the rule set."""
    if rs._fast is None:
        rs._fast = build_fast_path(rs)
    return rs._fast
