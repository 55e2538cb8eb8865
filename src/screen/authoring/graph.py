"""The dependency picture of a rule set: case fields -> derived facts -> tables -> criteria and
gates -> decision, so an author sees what a change touches.

Built with networkx from `CompiledRuleSet.edges` (each `(read, node)` pair the compiler found),
plus an edge from every criterion and gate into `decision`. Node keys are the names expressions
use (`asset.stage`, `params.focus_areas`, `derived.large_indication`, `table.market_roi`,
`criteria.bd_readiness`, `gates.unmet_need`). Rendered as text, Graphviz dot or Mermaid;
`impact` lists everything downstream of a case field (or of a parameter, derived fact...).
"""

from __future__ import annotations

import re
from typing import Any

import networkx as nx

from screen.engine.plan import CompiledRuleSet
from screen.model.errors import ScreenError, did_you_mean

DECISION = "decision"
LAYERS = ("field", "param", "derived", "table", "gate", "criterion", "decision")
_KIND_BY_PREFIX = {
    "asset": "field",
    "company": "field",
    "case": "field",
    "params": "param",
    "derived": "derived",
    "table": "table",
    "gates": "gate",
    "criteria": "criterion",
}
_LAYER_TITLES = {
    "field": "case fields",
    "param": "parameters",
    "derived": "derived facts",
    "table": "tables",
    "gate": "gates",
    "criterion": "criteria",
    "decision": "decision",
}


def kind_of(key: str) -> str:
    return DECISION if key == DECISION else _KIND_BY_PREFIX[key.split(".", 1)[0]]


def build_graph(rs: CompiledRuleSet, params: bool = True) -> nx.DiGraph:
    """The rule set's dependency graph; each node has `kind` (one of LAYERS)."""
    graph = nx.DiGraph()
    for read, node in rs.edges:
        if not params and read.startswith("params."):
            continue
        graph.add_edge(read, node)
    for node in rs.steps:
        graph.add_node(node.key)
    for key in [*(g.key for g in rs.gates), *(c.key for c in rs.criteria)]:
        graph.add_edge(key, DECISION)
    for key in graph.nodes:
        graph.nodes[key]["kind"] = kind_of(key)
    return graph


def _ordered(graph: nx.DiGraph, keys: Any) -> list[str]:
    return sorted(keys, key=lambda k: (LAYERS.index(graph.nodes[k]["kind"]), k))


def edges(graph: nx.DiGraph) -> list[tuple[str, str]]:
    """Edges sorted by layer of the source, then name: a stable order for output and tests."""
    rank = {k: i for i, k in enumerate(_ordered(graph, graph.nodes))}
    return sorted(graph.edges, key=lambda e: (rank[e[0]], rank[e[1]]))


def to_text(graph: nx.DiGraph) -> str:
    """One block per layer: each node and what it feeds."""
    out: list[str] = []
    for layer in LAYERS:
        nodes = [k for k in _ordered(graph, graph.nodes) if graph.nodes[k]["kind"] == layer]
        if not nodes:
            continue
        out.append(f"{_LAYER_TITLES[layer]}:")
        for key in nodes:
            targets = _ordered(graph, graph.successors(key))
            out.append(f"  {key}" + (f" -> {', '.join(targets)}" if targets else ""))
    return "\n".join(out) + "\n"


_DOT_STYLE = {
    "field": 'shape=box, style="rounded,filled", fillcolor="#e8f1fb"',
    "param": 'shape=note, style=filled, fillcolor="#f4f4f4"',
    "derived": 'shape=ellipse, style=filled, fillcolor="#eef7ea"',
    "table": 'shape=tab, style=filled, fillcolor="#fff4dc"',
    "gate": 'shape=octagon, style=filled, fillcolor="#fde4e1"',
    "criterion": 'shape=box, style=filled, fillcolor="#fff9c4"',
    "decision": 'shape=doubleoctagon, style=filled, fillcolor="#d7ccc8"',
}


def to_dot(graph: nx.DiGraph, name: str = "ruleset") -> str:
    """Graphviz source, left to right, one rank per layer (`dot -Tsvg` renders it)."""
    out = [f'digraph "{_esc(name)}" {{', "  rankdir=LR;", '  node [fontname="Helvetica"];']
    for layer in LAYERS:
        nodes = [k for k in _ordered(graph, graph.nodes) if graph.nodes[k]["kind"] == layer]
        if not nodes:
            continue
        out.append(f"  subgraph cluster_{layer} {{")
        out.append(f'    label="{_LAYER_TITLES[layer]}"; style=dashed; color="#bbbbbb";')
        for key in nodes:
            out.append(f'    "{_esc(key)}" [{_DOT_STYLE[layer]}];')
        out.append("  }")
    for a, b in edges(graph):
        out.append(f'  "{_esc(a)}" -> "{_esc(b)}";')
    out.append("}")
    return "\n".join(out) + "\n"


_MERMAID_SHAPE = {
    "field": ("([", "])"),
    "param": ("[/", "/]"),
    "derived": ("(", ")"),
    "table": ("[[", "]]"),
    "gate": ("{{", "}}"),
    "criterion": ("[", "]"),
    "decision": ("{", "}"),
}


def to_mermaid(graph: nx.DiGraph) -> str:
    """Mermaid flowchart (renders in GitHub / GitLab markdown and most wikis)."""
    ids = {k: _mermaid_id(k) for k in graph.nodes}
    out = ["flowchart LR"]
    for key in _ordered(graph, graph.nodes):
        left, right = _MERMAID_SHAPE[graph.nodes[key]["kind"]]
        out.append(f'  {ids[key]}{left}"{key}"{right}')
    for a, b in edges(graph):
        out.append(f"  {ids[a]} --> {ids[b]}")
    return "\n".join(out) + "\n"


def _esc(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


def _mermaid_id(key: str) -> str:
    return re.sub(r"[^A-Za-z0-9_]", "_", key)


def impact(graph: nx.DiGraph, start: str) -> dict[str, list[str]]:
    """Everything downstream of `start`, by layer. `start` may name a group of fields
    (`asset.epidemiology` covers `asset.epidemiology.us`, ...)."""
    sources = [k for k in graph.nodes if k == start or k.startswith(start + ".")]
    sources += [k for k in graph.nodes if k not in sources and _derived_from(k, start)]
    if not sources:
        message = _not_read(graph, start)
        if not message.startswith("no rule reads"):
            raise ScreenError(message)
        return {"reads": [], "note": [message]}
    reached: set[str] = set()
    for s in sources:
        reached |= nx.descendants(graph, s)
    out: dict[str, list[str]] = {"reads": _ordered(graph, sources)}
    for layer in LAYERS:
        keys = [k for k in _ordered(graph, reached) if graph.nodes[k]["kind"] == layer]
        if keys:
            out[layer] = keys
    return out


def _derived_from(fact: str, start: str) -> bool:
    """Whether `fact` is derived (when the case loads) from the field or group `start`."""
    from screen.model.case import DERIVED_FROM

    return any(
        origin == start or origin.startswith(start + ".") or start.startswith(origin + ".")
        for origin in DERIVED_FROM.get(fact, ())
    )


def _not_read(graph: nx.DiGraph, start: str) -> str:
    known = [k for k in graph.nodes if graph.nodes[k]["kind"] in ("field", "param", "derived")]
    root = start.split(".", 1)[0]
    if root in ("asset", "company", "case"):
        from screen.engine.facts import resolve_field
        from screen.lang.expressions import NameProblem

        try:
            resolve_field(tuple(start.split(".")))
        except NameProblem as exc:
            if "is a group of fields" not in exc.message:
                hint = exc.hint or did_you_mean(start, known)
                return f"'{start}': {exc.message}" + (f" ({hint})" if hint else "")
        return f"no rule reads '{start}': changing it changes nothing in this rule set"
    hint = did_you_mean(start, known)
    return f"'{start}' is not in the rule set's graph" + (f" ({hint})" if hint else "")


def impact_text(graph: nx.DiGraph, rs: CompiledRuleSet, start: str) -> str:
    """`impact` for people: the rules that read the field directly, then what follows."""
    found = impact(graph, start)
    if not found["reads"]:
        return found["note"][0] + "\n"
    shown_reads = [
        f"{k} (derived from it)" if not (k == start or k.startswith(start + ".")) else k
        for k in found["reads"]
    ]
    out = [f"{start} is read as: {', '.join(shown_reads)}"]
    direct = _direct_rules(rs, set(found["reads"]))
    if direct:
        out.append(f"  read directly by: {', '.join(direct)}")
    for layer in LAYERS[2:]:
        if layer in found:
            keys = found[layer]
            if layer == "criterion":
                weights = {c.key: c.weight for c in rs.criteria}
                shown = [f"{k} (weight {weights[k]:g})" for k in keys]
            else:
                shown = keys
            out.append(f"  {_LAYER_TITLES[layer]}: {', '.join(shown)}")
    return "\n".join(out) + "\n"


def _direct_rules(rs: CompiledRuleSet, reads: set[str]) -> list[str]:
    """Bands, gates, derived facts and tables whose own expression reads one of `reads`."""
    out: list[str] = []
    for node in rs.steps:
        bands = getattr(node, "bands", None)
        if bands:
            out.extend(b.id for b in bands if reads & set(b.when.reads))
        elif node.kind != "criterion" and reads & set(node.reads):
            out.append(node.key)
    return out
