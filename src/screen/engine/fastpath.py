"""Code generation for the fast path: the whole rule set as one straight-line Python function.

The interpretive evaluator (`engine.run.AssetRun`) is exact for every case, unknowns included, and
records a trace, but it pays Python overhead per rule. Most assets in a pipeline have complete
data for most rules, so we also compile the rule set into generated code that does what a
hand-written function would: read the fields, compute derived facts, pick the first matching
band or row, weigh the scores, apply the gates and thresholds. It is valid only while every
criterion and gate is known: the moment generated code touches UNKNOWN (an operation raises
`UnknownValue`), hits a non-boolean condition, a table with no matching row, or an arithmetic
error, it raises and the caller falls back to the interpretive evaluator (a derived true/false,
text or stage may stay unknown when nothing reads it natively: see `_gderived`). Results are
therefore identical by construction: the fast path either agrees or steps aside. The trace,
when wanted, is rebuilt from the fact table the fast path filled (every value it computed is in
`F`, under the rule's key).

`coalesce(...)` and `known(...)` are the two functions that take unknown arguments, and rule
sets use them exactly where a case is allowed to be silent (`coalesce(plan.territory ==
'china', ..., plan.market_scope == 'domestic')`). Compiled as plain calls, the first absent
fact inside an argument would raise before the function could skip it, and every case that
leaves an optional field out would give way. So their arguments are generated as guarded
calls (`_garg`): natively, and on an unknown the three-valued evaluator on that argument alone
(with the schema's bounds of case fields, as the interpretive pass reads them). An argument
that is an unknown number within bounds makes the result unknown only if no later argument is
known, as in the interpretive pass; where the result is such a number, the fast path gives way.

Safety: the generated source is made from the *checked* expression trees (see expressions.py,
rendered with `ast.unparse`), from rule ids and fact keys only as string literals, and from
constants passed through the namespace; it runs with empty builtins like every expression.
"""

from __future__ import annotations

import ast
import math
from collections.abc import Callable
from typing import Any

from screen.engine.plan import CompiledRuleSet, CriterionNode, DerivedNode, GateNode, TableNode
from screen.engine.run import field_bounds
from screen.engine.stepmemo import value_token
from screen.engine.tables import Cell
from screen.lang.expressions import Expression
from screen.lang.intervals import Interval
from screen.lang.kleene import evaluate_kleene
from screen.lang.runtime import BASE_NAMESPACE
from screen.lang.unknown import UNKNOWN, UnknownValue


class Fallback(Exception):
    """The fast path cannot decide this asset; use the interpretive evaluator."""


def _copy_tree(node: Any) -> Any:
    """A copy of an expression tree for the three-valued evaluator, which must not see the
    native rewrite. `copy.deepcopy` did the same in 44% of building the fast path (memo, reduce
    protocol per node); a tree holds only nodes, lists of them and immutable constants."""
    if isinstance(node, ast.AST):
        cls = type(node)
        new = cls.__new__(cls)
        for name in node._fields:
            if hasattr(node, name):
                setattr(new, name, _copy_tree(getattr(node, name)))
        for name in node._attributes:
            if hasattr(node, name):
                setattr(new, name, getattr(node, name))
        return new
    if isinstance(node, list):
        return [_copy_tree(item) for item in node]
    return node


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


_WITHOUT_BOUNDS = frozenset({"bool", "str", "enum", "stage"})  # derived kinds kept UNKNOWN
GUARDED = ("_fn_coalesce", "_fn_known")  # the functions that take unknown arguments


class _Guard(ast.NodeTransformer):
    """Rewrites `coalesce(a, b)` as `_gcoalesce(F, (_g1, A), (_g2, B))` and `known(a)` as
    `_gknown(F, (_g3, A))`: `_gN` the argument compiled natively, `A` its tree for the
    three-valued evaluator (see the module docstring)."""

    def __init__(self, gen: _Gen):
        self.gen = gen

    def visit_Call(self, node: ast.Call) -> ast.expr:
        name = getattr(node.func, "id", None)
        if name not in GUARDED:
            self.generic_visit(node)
            return node
        plain = [_copy_tree(a) for a in node.args]  # what the three-valued pass reads
        self.generic_visit(node)  # nested guarded calls, for the native code
        parts = []
        for native, tree in zip(node.args, plain, strict=True):
            read = _fact_read(tree)
            if read is not None:  # a bare read never raises: no helper, only its bounds
                parts.append(f"(None, {read!r})")
            else:
                guarded = GuardedArg(tree)
                parts.append(f"({self.gen.helper(ast.unparse(native))}, {self.gen.const(guarded)})")
        call = "_gcoalesce" if name == "_fn_coalesce" else "_gknown"
        replacement: ast.expr = ast.parse(f"{call}(F, {', '.join(parts)})", mode="eval").body
        return ast.copy_location(replacement, node)


class GuardedArg:
    """An argument of `coalesce`/`known` for the three-valued evaluator: its tree, the facts
    it reads, and its results by their values (it is a pure function of them and the fixed
    bounds of case fields; a batch of cases that leave the same optional facts out asks it the
    same few questions)."""

    MAX_CACHED = 256

    def __init__(self, tree: ast.expr):
        self.tree = tree
        self.reads = tuple(
            dict.fromkeys(
                r for n in ast.walk(tree) if isinstance(n, ast.Subscript) and (r := _fact_read(n))
            )
        )
        self.results: dict[tuple[Any, ...], Any] = {}

    def evaluate(
        self, F: dict[str, Any], ns: dict[str, Any], bounds: dict[str, tuple[float, float]]
    ) -> Any:
        try:
            key = tuple(value_token(F.get(r, UNKNOWN)) for r in self.reads)
        except TypeError:
            return evaluate_kleene(self.tree, F, ns, bounds)
        hit = self.results.get(key, _MISSING)
        if hit is _MISSING:
            hit = evaluate_kleene(self.tree, F, ns, bounds)
            if len(self.results) < self.MAX_CACHED:
                self.results[key] = hit
        return hit


_MISSING = object()


def _fact_read(tree: ast.expr) -> str | None:
    """The key of `F['key']`, when that is the whole argument."""
    if isinstance(tree, ast.Subscript) and isinstance(tree.slice, ast.Constant):
        return str(tree.slice.value)
    return None


class _Gen:
    def __init__(self, rs: CompiledRuleSet):
        self.rs = rs
        self.ns: dict[str, Any] = dict(BASE_NAMESPACE)
        self.ns.update(
            {
                "Fallback": Fallback,
                "UNKNOWN": UNKNOWN,
                "fsum": math.fsum,
                "int": int,
                "float": float,
            }
        )
        self.ns.update(_guarded_functions(self.ns, field_bounds(rs)))
        self.helpers: list[str] = []
        self.body: list[str] = []
        self.count = 0

    def const(self, value: Any) -> str:
        self.count += 1
        name = f"_c{self.count}"
        self.ns[name] = value
        return name

    def expr(self, e: Expression) -> str:
        return self.expr_and_tree(e)[0]

    def expr_and_tree(self, e: Expression) -> tuple[str, ast.expr]:
        """The native source of `e`, and its tree for the three-valued evaluator (both with
        the constants renamed into the generated namespace)."""
        self.count += 1
        tree = _Renamer(f"_e{self.count}", e.namespace, self.ns).visit(_copy_tree(e.tree))
        plain = _copy_tree(tree)
        return ast.unparse(_Guard(self).visit(tree)), plain

    def helper(self, source: str) -> str:
        """A helper function returning `source` evaluated on `F`; its name."""
        self.count += 1
        name = f"_g{self.count}"
        self.helpers.append(f"def {name}(F):\n    return {source}")
        return name

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
                # a derived number that comes out unknown (a `coalesce` of unknowns) gives
                # way: the interpretive pass may know its bounds, which the generated code does
                # not keep. A true/false, text or stage has no bounds: one that reads an
                # unknown is computed like a guarded argument (natively, else three-valued)
                # and may stay UNKNOWN in F; a reader that touches it natively gives way, a
                # guarded one reads past it as the interpretive pass does, which then asks
                # nothing about it (`AssetRun.live_needed_by`)
                if node.expr.type.kind in _WITHOUT_BOUNDS:
                    native, tree = self.expr_and_tree(node.expr)
                    guarded = self.const(GuardedArg(tree))
                    b.append(f"    F[{key}] = _gderived(F, {self.helper(native)}, {guarded})")
                else:
                    b.append(f"    v = F[{key}] = {self.expr(node.expr)}")
                    b.append("    if v is UNKNOWN: raise Fallback")
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


def _guarded_functions(
    ns: dict[str, Any], bounds: dict[str, tuple[float, float]]
) -> dict[str, Any]:
    """`_gcoalesce`, `_gknown` and `_gderived` for the generated code, with the three-valued
    pass's meaning (`kleene._kleene`): every argument is evaluated, natively or on an unknown
    by the three-valued evaluator; coalesce gives the first known one, else gives way on an
    unknown number within bounds (the interpretive pass keeps those bounds), else UNKNOWN; a
    derived true/false, text or stage is its expression evaluated the same way."""

    def argument(F: dict[str, Any], fn: Callable[[dict[str, Any]], Any] | None, arg: Any) -> Any:
        if fn is None:  # a bare read of `arg`, a key: an unknown number within bounds is one
            v = F[arg]
            return Interval(*bounds[arg]) if v is UNKNOWN and arg in bounds else v
        try:
            return fn(F)
        except UnknownValue:
            return arg.evaluate(F, ns, bounds)

    def gcoalesce(F: dict[str, Any], *args: tuple[Any, Any]) -> Any:
        values = [argument(F, fn, tree) for fn, tree in args]
        for v in values:
            if v is not UNKNOWN and type(v) is not Interval:
                return v
        if any(type(v) is Interval for v in values):
            raise Fallback
        return UNKNOWN

    def gknown(F: dict[str, Any], arg: tuple[Any, Any]) -> bool:
        v = argument(F, *arg)
        return v is not UNKNOWN and type(v) is not Interval

    def gderived(F: dict[str, Any], fn: Callable[[dict[str, Any]], Any], tree: Any) -> Any:
        v = argument(F, fn, tree)
        if type(v) is Interval:  # a stage (an IntEnum) from an unknown if/else: its bounds
            raise Fallback
        return v

    return {"_gcoalesce": gcoalesce, "_gknown": gknown, "_gderived": gderived}


def build_fast_path(rs: CompiledRuleSet) -> Callable[..., dict[str, Any]]:
    """Generate the fast evaluator for a compiled rule set (see module docstring)."""
    return _Gen(rs).run()


def fast_path(rs: CompiledRuleSet) -> Callable[..., dict[str, Any]]:
    """The rule set's generated evaluator, built on first use and cached on the rule set."""
    if rs._fast is None:
        rs._fast = build_fast_path(rs)
    return rs._fast
