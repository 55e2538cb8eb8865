"""What a compiled expression reads, and which of its reads can make it unknown.

Compiled expressions read facts as `F['asset.x']` (see expressions.py). Two readings guard a
fact: `known(x)` is true or false whether or not x is stated, and in `coalesce(a, b)` an
absent `a` falls back to `b`. The engine asks about a missing fact only when its absence can
leave a rule unknown (`unguarded_reads`); a chain of fallbacks none of whose figures is known
blames them all (`fallback_chains`, `Expression.fallback_blame`).
"""

from __future__ import annotations

import ast

Chain = tuple[ast.expr, tuple[str, ...], tuple[str, ...]]  # call, earlier reads, last's reads


def fallback_chains(node: ast.AST) -> list[Chain]:
    """The outermost `coalesce` calls outside guarded positions whose last argument reads a
    fact, with the reads of their earlier arguments and of the last; nested chains in a last
    argument too."""
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        if node.func.id == "_fn_known":
            return []
        if node.func.id == "_fn_coalesce" and node.args:
            *earlier, last = node.args
            inner = fallback_chains(last)
            final = tuple(dict.fromkeys(fact_reads(last)))
            if not final:
                return inner  # a default (`coalesce(x, false)`): never unknown
            reads = tuple(dict.fromkeys(r for a in earlier for r in fact_reads(a)))
            return [(node, reads, final), *inner] if reads else inner
    out: list[Chain] = []
    for child in ast.iter_child_nodes(node):
        out.extend(fallback_chains(child))
    return out


def fact_reads(node: ast.AST) -> list[str]:
    """Every fact key a subtree reads, in order."""
    return [key for n in ast.walk(node) if (key := read_key(n)) is not None]


def read_key(node: ast.AST) -> str | None:
    """The fact key of a read `F['asset.x']`, else None."""
    if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant):
        key = node.slice.value
        return key if isinstance(key, str) else None
    return None


def unguarded_reads(node: ast.AST, guarded: bool = False) -> set[str]:
    """Fact keys read outside `known(...)` and outside non-final `coalesce(...)` arguments.

    `coalesce(x, 0)` is known whether or not x is: x's absence is not why a rule is unknown,
    so it should not become a diligence question on that rule's account."""
    key = read_key(node)
    if key is not None:
        return set() if guarded else {key}
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        if node.func.id == "_fn_known":
            return set()
        if node.func.id == "_fn_coalesce":
            out: set[str] = set()
            for i, arg in enumerate(node.args):
                out |= unguarded_reads(arg, guarded or i < len(node.args) - 1)
            return out
    out = set()
    for child in ast.iter_child_nodes(node):
        out |= unguarded_reads(child, guarded)
    return out
