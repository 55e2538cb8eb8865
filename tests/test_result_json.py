"""Result JSON text: orjson writes it, byte for byte what `json.dumps(indent=2)` wrote before."""

from __future__ import annotations

import json
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from screen.engine import result
from screen.engine.evaluate import evaluate_case
from screen.engine.loader import load_case, load_ruleset

ROOT = Path(__file__).resolve().parent.parent


def reference(value: object) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False, allow_nan=False)


def test_results_of_every_bundled_case_are_the_bytes_json_dumps_writes():
    rs = load_ruleset()
    results = []
    for path in sorted((ROOT / "cases").glob("*.yaml")):
        loaded = load_case(path)
        results.append(result.build_result(rs, loaded, evaluate_case(rs, loaded.case)))
    assert results
    assert result.dumps(results) == reference(results) + "\n"


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.floats(min_value=-1e-3, max_value=1e-3, allow_nan=False)
    | st.text(max_size=12),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=6), children, max_size=4)
    ),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None)
@given(json_values)
def test_dumps_text_matches_json_dumps_for_any_json_value(value):
    assert result.dumps_text(value) == reference(value)


@settings(max_examples=200, deadline=None)
@given(json_values, st.integers(min_value=0, max_value=3))
def test_dumps_nested_is_the_text_indented_to_its_depth(value, depth):
    want = reference(value).replace("\n", "\n" + "  " * depth).encode("utf-8")
    assert result.dumps_nested(value, depth) == want


def test_results_streamed_as_rounded_are_the_bytes_json_dumps_writes(tmp_path):
    """`rounded=True` skips the scan for tiny floats: sound only because every float of a
    result went through `plain` (4 decimals); a generated batch with absent facts checks it."""
    import sys

    import yaml

    sys.path.insert(0, str(ROOT / "bench"))
    from bench import CaseFactory

    rs = load_ruleset()
    factory = CaseFactory(11, 0.1)
    checked = 0
    for i in range(40):
        path = tmp_path / f"gen-{i}.yaml"
        path.write_text(yaml.safe_dump(factory.case(i), sort_keys=False), encoding="utf-8")
        loaded = load_case(path)
        doc = result.build_result(rs, loaded, evaluate_case(rs, loaded.case))
        want = reference(doc).replace("\n", "\n  ").encode("utf-8")
        assert result.dumps_nested(doc, 1, rounded=True) == want
        checked += len(doc["trace"])
    assert checked > 1000


def test_values_orjson_refuses_or_writes_differently_fall_back_to_json():
    for value in ([1e-05, 5e-324], {"big": 2**80}, {1: "non-text key"}, ["\ud800"], (1, 2)):
        assert result.dumps_text(value) == reference(value)
        if value != ["\ud800"]:  # no UTF-8 for a lone surrogate
            want = reference(value).replace("\n", "\n    ").encode("utf-8")
            assert result.dumps_nested(value, 2) == want


def reference_provenance(rs, o):
    """The provenance rows as they were made before (every figure of the case, then filtered)."""
    from screen.model.checks import iter_figures

    read = {k for k, fp in rs.fields.items() if fp.figure_value}
    rows = []
    for root, model in (("asset", o.asset), ("company", o.company)):
        for path, fig in iter_figures(model):
            key = root + "." + ".".join(str(p) for p in path if not isinstance(p, int))
            if key in read and not any(isinstance(p, int) for p in path):
                rows.append(
                    {
                        "fact": key,
                        "value": result.plain(fig.value),
                        "unit": fig.unit,
                        "source": fig.source,
                        "status": result.plain(fig.status),
                        "as_of": result.plain(fig.as_of),
                        "sourced": fig.source is not None,
                    }
                )
    return rows


def test_provenance_rows_are_those_of_a_walk_over_every_figure():
    import sys

    sys.path.insert(0, str(ROOT / "bench"))
    from bench import CaseFactory

    from screen.model.case import Case

    rs = load_ruleset()
    cases = [
        Case.model_validate(CaseFactory(3, absent).case(i))
        for absent in (0.0, 0.3)
        for i in range(60)
    ]
    cases += [load_case(p).case for p in sorted((ROOT / "cases").glob("*.yaml"))]
    compared = 0
    for case in cases:
        outcome = evaluate_case(rs, case, trace=False)
        for o in outcome.assets:
            assert result._provenance(rs, o) == reference_provenance(rs, o)
            compared += bool(reference_provenance(rs, o))
    assert compared > 50  # rows were there to compare
