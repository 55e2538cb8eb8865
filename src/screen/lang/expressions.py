"""Rule expressions: a small, Python-like language, safe by construction and fast.

Design
------
An expression (`asset.stage >= 'phase2' and derived.total_patients > params.niche_max`) is
parsed once with `ast`, checked against an allow-list of node types, type-checked against the
case schema, rewritten, and compiled to a Python function of one argument, the fact table `F`
(a dict from fact path to value). Field paths never become attribute access at run time: the
compiler resolves `asset.stage` against the schema and emits `F['asset.stage']`.

Three-valued logic: an absent fact is `UNKNOWN`, whose every operation raises `UnknownValue`.
The compiled function therefore runs at native speed on complete data; when it touches an
unknown, `evaluate` re-runs the same checked tree in a small Kleene interpreter, which gives
`unknown or true == true` and `unknown and true == unknown`.

Threat model
------------
Rule files come from colleagues and may be wrong or hostile. A rule file must not be able to run
code, read files, or exhaust the machine. So:

- Only these nodes are accepted: boolean operators, `not`, comparisons (incl. `in`, `not in`),
  `+ - * / // % **` and unary minus on numbers, `x if c else y`, number/text/boolean literals,
  list/tuple literals, dotted field paths, and calls of registry functions by bare name.
  Everything else (attribute calls, subscripts, comprehensions, lambdas, f-strings, walrus,
  starred arguments, keyword arguments) is rejected at load time with its column.
- No name reaches Python: names resolve to schema fields, parameters, derived facts, criteria,
  tables or registry functions, else load-time error with a did-you-mean. Path segments that
  start with `_` are refused, so there is no way to spell a dunder.
- Code runs with empty `__builtins__`, and the only callables in its namespace are registry
  functions and our bounded helpers.
- Bounded work: expression text is at most `MAX_EXPR_CHARS`, `MAX_NODES` nodes; arithmetic is on
  numbers only (no `'x' * 10**9`: text and lists never meet `*` or `+`); `**` goes through
  `_pow`, which works in floats and caps the exponent, so `4000000**4000000` is an error, not a
  CPU burn; literals are bounded in size. Every arithmetic result that leaves an operator chain
  passes `_fin`, which refuses numbers beyond `MAX_MAGNITUDE` and non-finite floats, so
  derived facts built on derived facts cannot grow numbers without bound (each expression can
  at most multiply `MAX_NODES` bounded numbers). A constant part (`9**9**9`, `round(1, 99)`) is
  evaluated when the rule set loads, so its error is a load error, not a failure on every asset.
  Every run is linear in the size of the case.
- Identifiers are ASCII: Python folds `ａｓｓｅｔ` (fullwidth) into `asset` (NFKC); we refuse
  non-ASCII names instead of reading a field the author did not spell.
- A misspelt field is a load-time error (checked against the case schema), never a silent None.

Where the parts live: this module checks and compiles; the static types are in types.py, the
run-time helpers and the namespace compiled code sees in runtime.py, the three-valued
interpreter in kleene.py. The compiler and the interpreter share one checked tree shape (node
kinds, `_fin` / `_pow` / `_fn_*` helper calls): a change to it is a change to both.

Long module: checking and compiling are one pass (`_Compiler` type-checks each node as it
rewrites it, so a node's type and its compiled form cannot drift apart); split by node kind,
every part would need the whole compiler state.
"""

from __future__ import annotations

import ast
import io
import tokenize
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Protocol

from screen.lang import syntaxhints
from screen.lang.functions import FUNCTIONS, Function
from screen.lang.intervals import Interval
from screen.lang.kleene import CMP_NAMES, Bounds, evaluate_kleene
from screen.lang.reads import Chain, fallback_chains, read_key, unguarded_reads
from screen.lang.runtime import BASE_NAMESPACE, EvalError, eval_error
from screen.lang.types import (
    ANY,
    BOOL,
    NUM,
    STAGE,
    STR,
    Type,
    list_of,
)
from screen.lang.unknown import UNKNOWN, UnknownValue, has_unknown
from screen.model.errors import Location, ScreenError, did_you_mean
from screen.model.scalarpos import source_offset
from screen.model.vocab import Stage, parse_stage

MAX_EXPR_CHARS = 2000
MAX_NODES = 400
MAX_LITERAL_CHARS = 200
MAX_INT_LITERAL = 10**15

FACTS = "F"  # the one argument of every compiled expression
_NOT_CONSTANT = object()  # `constant_value` of a part that reads a fact


class NameProblem(Exception):
    """Raised by a Scope for a name that does not resolve; carries an optional hint."""

    def __init__(self, message: str, hint: str | None = None):
        super().__init__(message)
        self.message = message
        self.hint = hint


class Scope(Protocol):
    """What an expression may refer to; provided by the rule-set compiler."""

    def resolve(self, parts: tuple[str, ...]) -> tuple[str, Type]:
        """Map a dotted name to (fact key, type), or raise NameProblem."""
        ...

    def table(self, name: str) -> tuple[str, Type]:
        """Map a table name (for lookup()) to (fact key, output type), or raise NameProblem."""
        ...

    def roots(self) -> list[str]:
        """Names an expression may start with (for did-you-mean)."""
        ...


# --------------------------------------------------------------------------- compiled form


@dataclass
class Expression:
    """A checked, compiled expression. Call `evaluate(F)`; it never raises UnknownValue."""

    source: str
    type: Type
    reads: tuple[str, ...]
    tree: ast.expr
    namespace: dict[str, Any]
    native: Callable[[dict[str, Any]], Any] = field(repr=False)
    location: Location | None = None
    guarded: frozenset[str] = frozenset()  # reads whose absence the expression absorbs
    blamable: tuple[str, ...] = ()  # reads whose absence can make the result unknown
    # fallback chains: `coalesce(a, b)` calls whose last argument reads a fact, each with the
    # reads of its earlier arguments and of its last (see `fallback_blame`)
    chains: tuple[Chain, ...] = ()

    def __post_init__(self) -> None:
        self.blamable = tuple(r for r in self.reads if r not in self.guarded)
        self.chains = tuple(fallback_chains(self.tree))

    def fallback_blame(
        self, facts: dict[str, Any], bounds: Bounds | None = None
    ) -> tuple[str, ...]:
        """The earlier arguments' reads of every fallback chain that is itself unknown.

        `coalesce(stated, computed)` reads `stated` when the case has it; when neither is
        known, answering either settles the chain, so both are diligence questions (the
        static `blamable` names only the last argument's reads). A chain ending in a literal
        (`coalesce(x, false)`) is never unknown: the rule set reads an absent x as stated."""
        out: list[str] = []
        for node, earlier, _ in self.chains:
            if not any(has_unknown(facts.get(r, UNKNOWN)) for r in earlier):
                continue
            try:
                value = evaluate_kleene(node, facts, self.namespace, bounds)
            except EvalError:
                continue  # the rule's own error is noted (and asked about) already
            if value is UNKNOWN or type(value) is Interval:
                out.extend(earlier)
        return tuple(out)

    def evaluate(self, facts: dict[str, Any], bounds: Bounds | None = None) -> Any:
        """Value of the expression, UNKNOWN if it depends on missing facts.

        Raises EvalError on arithmetic failures (division by zero, overflow)."""
        value = self.evaluate_bounded(facts, bounds)
        return UNKNOWN if type(value) is Interval else value

    def evaluate_bounded(self, facts: dict[str, Any], bounds: Bounds | None = None) -> Any:
        """As `evaluate`, but an unknown number with bounds comes back as an `Interval`."""
        try:
            return self.native(facts)
        except UnknownValue:
            return evaluate_kleene(self.tree, facts, self.namespace, bounds)
        except (ArithmeticError, TypeError, ValueError) as exc:
            raise eval_error(exc) from None


# --------------------------------------------------------------------------- compiler


_ARITH = (ast.Add, ast.Sub, ast.Mult, ast.Div, ast.FloorDiv, ast.Mod, ast.Pow)
_NODE_NAMES = {
    ast.Subscript: "indexing (x[...])",
    ast.ListComp: "a list comprehension",
    ast.GeneratorExp: "a generator expression",
    ast.SetComp: "a set comprehension",
    ast.DictComp: "a dict comprehension",
    ast.Lambda: "lambda",
    ast.JoinedStr: "an f-string",
    ast.NamedExpr: "an assignment (:=)",
    ast.Dict: "a mapping {...}",
    ast.Set: "a set {...}",
    ast.Starred: "a starred argument",
    ast.Await: "await",
    ast.Yield: "yield",
    ast.YieldFrom: "yield",
    ast.Slice: "a slice",
}
_COMPREHENSION = "count or sum over a list with count(), count_in(), sum(), max() or min()"
_FORBIDDEN_HINTS = {
    ast.Subscript: "use a function such as count() or max() over the list",
    ast.ListComp: _COMPREHENSION,
    ast.GeneratorExp: _COMPREHENSION,
    ast.SetComp: _COMPREHENSION,
    ast.DictComp: _COMPREHENSION,
    ast.Lambda: "a rule is one expression over facts; name a shared part as a derived fact",
    ast.JoinedStr: "text is compared, never built: write the whole string",
    ast.NamedExpr: "name a shared part as a derived fact instead",
    ast.Dict: "a mapping from value to score is a table (tables: in the rule set)",
    ast.Set: "use a list [a, b]",
    ast.Starred: "pass the list itself",
}


Placer = Callable[[int], "tuple[int, int] | None"]  # a character of the source -> line, column


def compile_expression(
    source: str,
    scope: Scope,
    location: Location | None = None,
    *,
    quoted: bool = False,
    place: Placer | None = None,
) -> Expression:
    """Parse, check and compile `source`; errors point at the column inside the YAML file
    (`place` maps a character of `source` to its file position when the scalar may span
    lines, see `model/scalarpos.py`)."""
    if not isinstance(source, str):
        raise ScreenError(f"expected an expression (text), got {source!r}", location)
    compiler = _Compiler(source, scope, location, quoted, place)
    try:
        return compiler.run()
    except RecursionError:
        raise ScreenError(
            "expression nested too deeply", location, "split it into derived facts"
        ) from None


class _Compiler:
    def __init__(
        self,
        source: str,
        scope: Scope,
        location: Location | None,
        quoted: bool,
        place: Placer | None = None,
    ):
        self.source = source
        self.place = place
        self.scope = scope
        self.location = location
        self.quoted = quoted
        self.reads: list[str] = []
        self.namespace: dict[str, Any] = dict(BASE_NAMESPACE)
        self.nodes = 0

    # -- errors
    def error(
        self, message: str, node: ast.AST | None = None, hint: str | None = None
    ) -> ScreenError:
        loc = self.location
        if loc is not None and node is not None and hasattr(node, "col_offset"):
            lineno = getattr(node, "lineno", 1)
            at = source_offset(self.source, lineno, node.col_offset)
            placed = self.place(at) if self.place else None
            shift = 1 if self.quoted else 0
            if placed is not None:
                loc = Location(loc.file, *placed)
            elif lineno == 1:
                loc = Location(loc.file, loc.line, loc.column + node.col_offset + shift)
            else:
                loc = Location(loc.file, loc.line + lineno - 1, node.col_offset + 1)
        where = f" in `{self.source.strip()}`" if len(self.source) <= 120 else ""
        return ScreenError(message + where, loc, hint)

    def run(self) -> Expression:
        src = self.source.strip()
        if not src:
            raise self.error("empty expression")
        if len(src) > MAX_EXPR_CHARS:
            raise self.error(f"expression longer than {MAX_EXPR_CHARS} characters")
        self.ascii_names(src)
        try:
            tree = ast.parse(src, mode="eval")
        except SyntaxError as exc:
            found = syntaxhints.diagnose(src)
            if found is not None:
                raise self.error(
                    f"syntax error: {found.message}", _at(found.line, found.column), found.hint
                ) from None
            at = _at(exc.lineno or 1, max((exc.offset or 1) - 1, 0))
            msg = (exc.msg or "invalid syntax").replace("invalid syntax. ", "")
            raise self.error(f"syntax error: {msg}", at) from None
        found = syntaxhints.adjacent_strings(src)
        if found is not None:
            raise self.error(found.message, _at(found.line, found.column), found.hint)
        body, typ = self.check(tree.body)
        code = _compile_lambda(body)
        native = eval(code, self.namespace)
        reads = tuple(dict.fromkeys(self.reads))
        guarded = frozenset(reads) - unguarded_reads(body)
        return Expression(src, typ, reads, body, self.namespace, native, self.location, guarded)

    def ascii_names(self, src: str) -> None:
        """Refuse non-ASCII names before `ast` folds them (NFKC reads `ａｓｓｅｔ` as `asset`)."""
        if src.isascii():
            return
        try:
            for tok in tokenize.generate_tokens(io.StringIO(src).readline):
                if tok.type == tokenize.NAME and not tok.string.isascii():
                    raise self.error(
                        f"name '{tok.string}' has non-ASCII letters",
                        _at(*tok.start),
                        "type names in plain ASCII; fullwidth and look-alike letters are refused",
                    )
        except (tokenize.TokenError, SyntaxError):
            return  # ast.parse reports the syntax error with its position

    # -- constants live in the namespace so enum members and tuples need no rebuilding per call
    def const(self, value: Any, like: ast.AST) -> ast.expr:
        if isinstance(value, bool | int | float | str) and not isinstance(value, Enum):
            return ast.copy_location(ast.Constant(value), like)
        name = f"_k{len(self.namespace)}"
        self.namespace[name] = value
        return ast.copy_location(ast.Name(name, ast.Load()), like)

    def check(self, node: ast.AST) -> tuple[ast.expr, Type]:
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise self.error(f"expression has more than {MAX_NODES} parts", node)
        method = getattr(self, f"check_{type(node).__name__}", None)
        if method is None:
            hint = _FORBIDDEN_HINTS.get(type(node))
            what = _NODE_NAMES.get(type(node), type(node).__name__)
            raise self.error(f"{what} is not allowed in rule expressions", node, hint)
        expr, typ = method(node)
        if isinstance(node, ast.BinOp | ast.UnaryOp | ast.Call):
            self.evaluate_constant(expr, node)
        return expr, typ

    def evaluate_constant(self, expr: ast.expr, node: ast.AST) -> None:
        """A part that reads no fact has one value for every asset: compute it now, so that
        `9**9**9` or `1 / 0` is a load error at its column, not an error on every asset."""
        try:
            self.constant_value(expr, node)
        except EvalError as exc:
            raise self.error(str(exc), node) from None
        except (ArithmeticError, TypeError, ValueError) as exc:
            raise self.error(f"this constant part cannot be computed: {exc}", node) from None

    # literals
    def check_Constant(self, node: ast.Constant) -> tuple[ast.expr, Type]:
        v = node.value
        if isinstance(v, bool):
            return node, BOOL
        if isinstance(v, int | float):
            if abs(v) > MAX_INT_LITERAL:
                raise self.error(f"number literal larger than {MAX_INT_LITERAL:.0e}", node)
            return node, NUM
        if isinstance(v, str):
            if len(v) > MAX_LITERAL_CHARS:
                raise self.error(f"text literal longer than {MAX_LITERAL_CHARS} characters", node)
            return node, STR
        if v is None:
            raise self.error("None is not allowed", node, "test for missing data with known(x)")
        raise self.error(f"literal {v!r} is not allowed", node)

    def check_List(self, node: ast.List | ast.Tuple) -> tuple[ast.expr, Type]:
        if len(node.elts) > 64:
            raise self.error("list literal longer than 64 items", node)
        elts = []
        types = set()
        for elt in node.elts:
            e, t = self.check(elt)
            elts.append(e)
            types.add(t)
        elem = types.pop() if len(types) == 1 else ANY
        return ast.copy_location(ast.Tuple(elts, ast.Load()), node), list_of(elem)

    check_Tuple = check_List

    # names and paths
    def check_Name(self, node: ast.Name) -> tuple[ast.expr, Type]:
        if node.id in ("true", "True"):
            return ast.copy_location(ast.Constant(True), node), BOOL
        if node.id in ("false", "False"):
            return ast.copy_location(ast.Constant(False), node), BOOL
        return self.path(node, (node.id,))

    def check_Attribute(self, node: ast.Attribute) -> tuple[ast.expr, Type]:
        parts: list[str] = []
        cur: ast.AST = node
        while isinstance(cur, ast.Attribute):
            parts.append(cur.attr)
            cur = cur.value
        if not isinstance(cur, ast.Name):
            raise self.error(
                "only dotted field paths may use '.'", node, "method calls are not allowed"
            )
        parts.append(cur.id)
        return self.path(node, tuple(reversed(parts)))

    def path(self, node: ast.AST, parts: tuple[str, ...]) -> tuple[ast.expr, Type]:
        for part in parts:
            if part.startswith("_"):
                raise self.error(f"names starting with '_' are not allowed ('{part}')", node)
        try:
            key, typ = self.scope.resolve(parts)
        except NameProblem as exc:
            raise self.error(exc.message, node, exc.hint) from None
        self.reads.append(key)
        sub = ast.Subscript(ast.Name(FACTS, ast.Load()), ast.Constant(key), ast.Load())
        return _placed(sub, node), typ

    # operators
    def check_BoolOp(self, node: ast.BoolOp) -> tuple[ast.expr, Type]:
        values = [self.boolean(v) for v in node.values]
        return ast.copy_location(ast.BoolOp(node.op, values), node), BOOL

    def boolean(self, node: ast.AST) -> ast.expr:
        e, t = self.check(node)
        if t.kind == "bool":
            return e
        if t.kind == "any":
            return self.call_helper("_truth", [e], node)
        raise self.error(f"expected true/false here, got {t}", node, "compare it, e.g. `x > 0`")

    def call_helper(self, name: str, args: list[ast.expr], like: ast.AST) -> ast.expr:
        return _placed(ast.Call(ast.Name(name, ast.Load()), args, []), like)

    def number(self, node: ast.AST) -> ast.expr:
        e, t = self.check(node)
        if t.kind == "num":
            return e
        if t.kind == "any":
            return self.call_helper("_num", [e], node)
        raise self.error(f"arithmetic needs numbers, got {t}", node)

    def check_UnaryOp(self, node: ast.UnaryOp) -> tuple[ast.expr, Type]:
        if isinstance(node.op, ast.Not):
            return ast.copy_location(ast.UnaryOp(ast.Not(), self.boolean(node.operand)), node), BOOL
        if isinstance(node.op, ast.USub | ast.UAdd):
            operand = _unchecked(self.number(node.operand))
            return self.checked(ast.UnaryOp(node.op, operand), node), NUM
        raise self.error("operator not allowed", node)

    def check_BinOp(self, node: ast.BinOp) -> tuple[ast.expr, Type]:
        if not isinstance(node.op, _ARITH):
            raise self.error("bitwise operators are not allowed", node)
        left = _unchecked(self.number(node.left))
        right = _unchecked(self.number(node.right))
        if isinstance(node.op, ast.Pow):
            return self.checked(self.call_helper("_pow", [left, right], node), node), NUM
        return self.checked(ast.BinOp(left, node.op, right), node), NUM

    def checked(self, expr: ast.expr, like: ast.AST) -> ast.expr:
        """An operator chain's result goes through `_fin` once, where it leaves the chain."""
        return self.call_helper("_fin", [ast.copy_location(expr, like)], like)

    def check_IfExp(self, node: ast.IfExp) -> tuple[ast.expr, Type]:
        test = self.boolean(node.test)
        body, bt = self.check(node.body)
        orelse, ot = self.check(node.orelse)
        # a text literal in one branch takes a stage or enum type of the other, checked now, as
        # in a comparison: `'phase3' if c else asset.stage_ex_china` is a stage, so the tables
        # and bands that read it compare stages (and 'phse3' is a load error)
        if _is_text(body) and ot.kind in ("stage", "enum"):
            body, bt = self.literal_against(body, node.body, ot), ot
        elif _is_text(orelse) and bt.kind in ("stage", "enum"):
            orelse, ot = self.literal_against(orelse, node.orelse, bt), bt
        typ = bt if bt == ot else ANY
        return ast.copy_location(ast.IfExp(test, body, orelse), node), typ

    def check_Compare(self, node: ast.Compare) -> tuple[ast.expr, Type]:
        operands = [node.left, *node.comparators]
        checked = [self.check(o) for o in operands]
        exprs = [c[0] for c in checked]
        types = [c[1] for c in checked]
        for i, op in enumerate(node.ops):
            if type(op) not in CMP_NAMES:
                raise self.error("'is' is not allowed", node, "use == or known(x)")
            exprs[i], exprs[i + 1] = self.coerce_pair(
                op, (exprs[i], types[i], operands[i]), (exprs[i + 1], types[i + 1], operands[i + 1])
            )
        out = ast.Compare(exprs[0], node.ops, exprs[1:])
        return ast.copy_location(out, node), BOOL

    def coerce_pair(
        self,
        op: ast.cmpop,
        left: tuple[ast.expr, Type, ast.AST],
        right: tuple[ast.expr, Type, ast.AST],
    ) -> tuple[ast.expr, ast.expr]:
        le, lt, lnode = left
        re_, rt, rnode = right
        name = CMP_NAMES[type(op)]
        if isinstance(le, ast.Constant) and isinstance(re_, ast.Constant):
            raise self.error(
                f"comparing two literals ({ast.unparse(lnode)} {name} {ast.unparse(rnode)})",
                lnode,
                "compare a field with a literal; stage order applies only to stage fields",
            )
        le, re_ = self.parameter_against(le, lnode, rt), self.parameter_against(re_, rnode, lt)
        if name in ("in", "not in"):
            if rt.kind not in ("list", "any"):
                raise self.error(
                    f"'{name}' needs a list on its right, got {rt}",
                    rnode,
                    "write a list like ['a', 'b']",
                )
            elem = rt.elem or ANY
            if lt.kind == "list":
                raise self.error(f"left side of '{name}' is a {lt}", lnode)
            le, re_ = (
                self.literal_against(le, lnode, elem),
                self.literal_list_against(re_, rnode, lt),
            )
            return le, re_
        if lt.kind == "list" or rt.kind == "list":
            bad = lnode if lt.kind == "list" else rnode
            raise self.error(
                f"cannot compare a {lt if lt.kind == 'list' else rt} with '{name}'",
                bad,
                "use `x in list`, count(list, x) or max(list)",
            )
        le2 = self.literal_against(le, lnode, rt)
        re2 = self.literal_against(re_, rnode, lt)
        # a literal turned into a stage or enum constant takes the other side's type
        lt2 = rt if le2 is not le else lt
        rt2 = lt if re2 is not re_ else rt
        le, re_ = le2, re2
        if name not in ("==", "!="):
            for t, n in ((lt2, lnode), (rt2, rnode)):
                if t.kind in ("bool", "enum"):
                    raise self.error(f"'{name}' cannot order {t}", n)
                if t.kind == "str" and not isinstance(n, ast.Constant):
                    self.text_parameter(n, name)
                    raise self.error(f"'{name}' cannot order text", n)
            kinds = {lt2.kind, rt2.kind} - {"any"}
            if len(kinds) > 1:
                raise self.error(f"cannot compare {lt2} with {rt2} using '{name}'", lnode)
        else:
            kinds = {lt2.kind, rt2.kind} - {"any"}
            if len(kinds) > 1 and kinds not in ({"str", "enum"},):
                raise self.error(f"comparing {lt2} with {rt2} is always false", lnode)
        return le, re_

    def parameter_read(self, node: ast.AST) -> str | None:
        """The parameter `node` reads (`params.x` as written, `F['params.x']` compiled), when
        the scope can say its value."""
        if isinstance(node, ast.Attribute):
            key: str | None = ast.unparse(node)
        else:
            key = read_key(node)
        if (
            key is None
            or not key.startswith("params.")
            or not hasattr(self.scope, "parameter_value")
        ):
            return None
        return key.removeprefix("params.")

    def parameter_place(self, name: str, index: int | None) -> Location | None:
        """Where the scope says a parameter's value (or its item `index`) is written."""
        place = getattr(self.scope, "parameter_location", None)
        return place(name, index) if place else None

    def text_parameter(self, node: ast.AST, op: str) -> None:
        """A parameter written as text where a rule orders it (`value: '500000'`): said once,
        where the value is written, rather than at every rule that reads it."""
        name = self.parameter_read(node)
        if name is None:
            return
        value, where = self.scope.parameter_value(name), self.parameter_place(name, None)  # type: ignore[attr-defined]
        if isinstance(value, str) and where is not None:
            try:
                float(value)
                hint = "write the number without quotes"
            except ValueError:
                hint = "a rule compares it with numbers: give a number"
            raise ScreenError(
                f"params.{name}: '{value}' is text, and a rule orders it with '{op}'", where, hint
            )

    def parameter_against(self, expr: ast.expr, node: ast.AST, other: Type) -> ast.expr:
        """A text (or list-of-text) parameter compared with a stage or enum field becomes a
        constant of that type, checked now: `asset.stage in params.late_stages` compares by
        stage, and a misspelt stage in the parameter is a load-time error, said where the
        parameter's value is written."""
        name = self.parameter_read(expr) if other.kind in ("stage", "enum") else None
        if name is None:
            return expr
        value = self.scope.parameter_value(name)  # type: ignore[attr-defined]
        values = [value] if isinstance(value, str) else value
        if not (isinstance(values, list) and all(isinstance(v, str) for v in values)):
            return expr
        for i, text in enumerate(values):
            problem = _literal_problem(text, other)
            where = self.parameter_place(name, None if isinstance(value, str) else i)
            if problem is not None and where is not None:
                message, hint = problem
                raise ScreenError(f"params.{name}: {message}", where, hint)
        if isinstance(value, str):
            return self.literal_against(ast.copy_location(ast.Constant(value), expr), node, other)
        elts = [self.literal_against(ast.Constant(v), node, other) for v in values]
        return self.const(tuple(self.namespace[e.id] for e in elts), expr)  # type: ignore[attr-defined]

    def literal_against(self, expr: ast.expr, node: ast.AST, other: Type) -> ast.expr:
        """Check a text literal compared with an enum or stage; turn stage names into Stage."""
        if not (isinstance(expr, ast.Constant) and isinstance(expr.value, str)):
            return expr
        text = expr.value
        problem = _literal_problem(text, other)
        if problem is not None:
            message, hint = problem
            raise self.error(message, node, hint)
        if other.kind == "stage":
            return self.const(parse_stage(text), expr)
        if other.kind == "enum" and other.enum is not None:
            return self.const(other.enum(text), expr)
        return expr

    def literal_list_against(self, expr: ast.expr, node: ast.AST, other: Type) -> ast.expr:
        if isinstance(expr, ast.Tuple):
            elts = [
                self.literal_against(e, n, other) for e, n in zip(expr.elts, node.elts, strict=True)
            ]  # type: ignore[attr-defined]
            if all(isinstance(e, ast.Constant | ast.Name) for e in elts):
                values = tuple(
                    self.namespace[e.id] if isinstance(e, ast.Name) else e.value for e in elts
                )
                return self.const(values, expr)
            return ast.copy_location(ast.Tuple(elts, ast.Load()), expr)
        return expr

    # calls
    def check_Call(self, node: ast.Call) -> tuple[ast.expr, Type]:
        if not isinstance(node.func, ast.Name | ast.Attribute):
            self.check(node.func)  # a lambda, an index: refused with their own message
        if not isinstance(node.func, ast.Name):
            raise self.error(
                "only registry functions may be called",
                node,
                "method calls such as x.upper() are not allowed",
            )
        name = node.func.id
        if node.keywords:
            raise self.error("keyword arguments are not allowed", node)
        if name == "lookup":
            return self.lookup(node)
        fn = FUNCTIONS.get(name)
        if fn is None:
            hint = did_you_mean(name, [*FUNCTIONS, "lookup"])
            raise self.error(
                f"unknown function '{name}'",
                node,
                hint or f"available: {', '.join(sorted([*FUNCTIONS, 'lookup']))}",
            )
        if not fn.min_args <= len(node.args) <= fn.max_args:
            want = (
                str(fn.min_args) if fn.min_args == fn.max_args else f"{fn.min_args}-{fn.max_args}"
            )
            raise self.error(f"{name}() takes {want} argument(s), got {len(node.args)}", node)
        checked = [self.check(a) for a in node.args]
        args = [c[0] for c in checked]
        types = [c[1] for c in checked]
        self.check_arguments(fn, node, types, args)
        returns = Type(fn.returns)
        if name in ("count", "count_at_least") and types[0].kind == "list" and types[0].elem:
            args[1] = self.literal_against(args[1], node.args[1], types[0].elem)
        if name == "count_in" and types[0].kind == "list" and types[0].elem:
            # the values counted are checked as `x in [...]` checks them: a typo counts 0
            elem = types[0].elem
            args[1] = self.parameter_against(args[1], node.args[1], elem)
            args[1] = self.literal_list_against(args[1], node.args[1], elem)
        if name in ("coalesce", "min", "max"):
            flat = [t.elem if t.kind == "list" and len(types) == 1 else t for t in types]
            kinds = {t.kind for t in flat if t is not None and t.kind != "any"}
            if len(kinds) == 1:
                returns = next(t for t in flat if t is not None and t.kind in kinds)
        if name == "best_for" and types[0].kind == "list" and types[0].elem:
            args[2] = self.literal_against(args[2], node.args[2], types[0].elem)
        if name == "stage_rank" and isinstance(args[0], ast.Constant):
            args[0] = self.literal_against(args[0], node.args[0], STAGE)
        return _placed(ast.Call(ast.Name(f"_fn_{name}", ast.Load()), args, []), node), returns

    def check_arguments(
        self, fn: Function, node: ast.Call, types: list[Type], args: list[ast.expr]
    ) -> None:
        """Each argument fits what the function takes (`sum('x')` is a load error, not a
        failure on every asset); a constant `round()` precision (`2`, `-1`, `10**9`) is
        computed and checked now."""
        kinds = fn.arguments
        if fn.name in ("min", "max"):  # one list, or several single values
            kinds = ("list",) if len(types) == 1 and types[0].kind != "any" else ("value",) * 8
        for i, (arg_node, typ) in enumerate(zip(node.args, types, strict=True)):
            want = kinds[min(i, len(kinds) - 1)]
            if not _fits(typ, want):
                raise self.error(
                    f"{fn.name}() argument {i + 1} must be {_ARG_WORDS[want]}, got {typ}",
                    arg_node,
                    f"{fn.name}: {fn.doc}",
                )
        if fn.name == "round" and len(node.args) == 2:
            digits = self.constant_value(args[1], node.args[1])
            if digits is not _NOT_CONSTANT and not (
                isinstance(digits, int | float)
                and not isinstance(digits, bool)
                and float(digits).is_integer()
                and -12 <= digits <= 12
            ):
                raise self.error(
                    "round() digits must be a whole number between -12 and 12", node.args[1]
                )

    def constant_value(self, expr: ast.expr, node: ast.AST) -> Any:
        """The value of a part that reads no fact, else `_NOT_CONSTANT` (its errors are
        `evaluate_constant`'s, which has run on it already)."""
        if any(isinstance(n, ast.Subscript) for n in ast.walk(expr)):
            return _NOT_CONSTANT
        code = compile(
            ast.fix_missing_locations(ast.Expression(ast.copy_location(expr, node))),
            "<constant>",
            "eval",
        )
        return eval(code, self.namespace)  # checked tree, empty builtins, bounded helpers

    def lookup(self, node: ast.Call) -> tuple[ast.expr, Type]:
        if len(node.args) != 1 or not (
            isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)
        ):
            raise self.error(
                "lookup() takes one table name in quotes, e.g. lookup('bd_stage')", node
            )
        try:
            key, typ = self.scope.table(node.args[0].value)
        except NameProblem as exc:
            raise self.error(exc.message, node.args[0], exc.hint) from None
        self.reads.append(key)
        sub = ast.Subscript(ast.Name(FACTS, ast.Load()), ast.Constant(key), ast.Load())
        return _placed(sub, node), typ


_ARG_WORDS = {
    "any": "any value",
    "num": "a number",
    "list": "a list",
    "numlist": "a list of numbers",
    "ordered": "a number or a stage",
    "stage": "a stage",
    "value": "a single value (not a list)",
}


def _is_text(expr: ast.expr) -> bool:
    return isinstance(expr, ast.Constant) and isinstance(expr.value, str)


def _fits(typ: Type, want: str) -> bool:
    """Whether a statically typed argument may be what a function takes (`any` always may)."""
    kind = typ.kind
    if kind == "any" or want == "any":
        return True
    if want == "num":
        return kind == "num"
    if want == "list":
        return kind == "list"
    if want == "numlist":
        return kind == "list" and (typ.elem is None or typ.elem.kind in ("num", "any"))
    if want == "ordered":
        return kind in ("num", "stage", "str")  # a text literal becomes a stage by its list
    if want == "stage":
        return kind in ("stage", "str")
    return kind != "list"  # "value"


def _placed(node: ast.expr, like: ast.AST) -> ast.expr:
    """`ast.copy_location` for a new node and the new nodes it is made of (those with no
    position yet; checked operands keep their own)."""
    ast.copy_location(node, like)
    for child in ast.iter_child_nodes(node):
        if "lineno" in child._attributes and not hasattr(child, "lineno"):
            _placed(child, like)  # type: ignore[arg-type]
    return node


def _compile_lambda(body: ast.expr) -> Any:
    """`lambda F: body` as a code object. The checker gives its new nodes their source's
    position (`copy_location`), so the wrapper is placed by hand and `fix_missing_locations`,
    a Python walk of the whole tree that was 20% of compiling the bundled thesis, runs only if
    `compile` finds a node without one."""
    fact_arg = ast.arg(FACTS, lineno=1, col_offset=0, end_lineno=1, end_col_offset=0)
    args = ast.arguments(
        posonlyargs=[], args=[fact_arg], kwonlyargs=[], kw_defaults=[], defaults=[]
    )
    lam = ast.Expression(ast.copy_location(ast.Lambda(args=args, body=body), body))
    try:
        return compile(lam, "<rule expression>", "eval")
    except (TypeError, ValueError):  # a node without a position
        return compile(ast.fix_missing_locations(lam), "<rule expression>", "eval")


def _unchecked(expr: ast.expr) -> ast.expr:
    """The operand inside a `_fin(...)` check: inner steps of an operator chain skip the check
    (one expression multiplies at most MAX_NODES bounded numbers; the chain's result is checked)."""
    if (
        isinstance(expr, ast.Call)
        and isinstance(expr.func, ast.Name)
        and expr.func.id == "_fin"
        and len(expr.args) == 1
    ):
        return expr.args[0]
    return expr


def _literal_problem(text: str, other: Type) -> tuple[str, str | None] | None:
    """(message, hint) when a text literal is not a value of the stage or enum `other`."""
    if other.kind == "stage":
        try:
            parse_stage(text)
        except ValueError:
            return f"unknown stage '{text}'", did_you_mean(text, Stage.__members__)
        return None
    if other.kind == "enum" and other.enum is not None:
        values = [m.value for m in other.enum]
        if text not in values:
            hint = did_you_mean(text, values) or f"expected one of: {', '.join(values)}"
            return f"'{text}' is not one of the allowed values", hint
    return None


def _at(line: int, column: int) -> ast.AST:
    """A stand-in node at (line, 0-based column) of the expression, for `error`."""
    node = ast.Constant(0)
    node.lineno, node.col_offset = line, column
    return node
