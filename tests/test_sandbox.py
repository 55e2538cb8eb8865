"""Rule expressions: escapes and resource exhaustion refused or bounded; three-valued logic.

Most tests use `compile_expression` with a minimal Scope stub (no rule-set machinery), so they
pin down the expression language itself; a few compile small rule sets end to end.
"""

from __future__ import annotations

import time

import pytest

from helpers import DELETE, MINI_RULES, evaluate, make_case
from screen.lang import expressions
from screen.lang.expressions import NameProblem, compile_expression
from screen.lang.runtime import EvalError
from screen.lang.types import BOOL, NUM, STAGE, STR, enum_type, list_of
from screen.lang.unknown import UNKNOWN, UnknownValue
from screen.model.errors import Location, ScreenError
from screen.model.vocab import Stage, TherapeuticArea

TYPES = {
    "asset.x": NUM,
    "asset.y": NUM,
    "asset.flag": BOOL,
    "asset.other": BOOL,
    "asset.name": STR,
    "asset.stage": STAGE,
    "asset.area": enum_type(TherapeuticArea),
    "asset.nums": list_of(NUM),
    "asset.stages": list_of(STAGE),
}


class StubScope:
    """The smallest Scope: a fixed table of case-field paths and their types."""

    def resolve(self, parts: tuple[str, ...]) -> tuple[str, object]:
        key = ".".join(parts)
        if key in TYPES:
            return key, TYPES[key]
        raise NameProblem(f"unknown name '{key}'", None)

    def table(self, name: str) -> tuple[str, object]:
        raise NameProblem(f"unknown table '{name}'", None)

    def roots(self) -> list[str]:
        return ["asset"]


LOC = Location("rules.yaml", 7, 11)

FACTS = {
    "asset.x": 3,
    "asset.y": 2,
    "asset.flag": True,
    "asset.other": False,
    "asset.name": "TST-101",
    "asset.stage": Stage.preclinical,
    "asset.area": TherapeuticArea.oncology,
    "asset.nums": [1, 2, 3],
    "asset.stages": [Stage.phase3, Stage.phase1],
}


def compiled(source: str):
    return compile_expression(source, StubScope(), LOC)


def value(source: str, **facts):
    data = dict(FACTS)
    data.update({f"asset.{k}": v for k, v in facts.items()})
    return compiled(source).evaluate(data)


def refused(source: str) -> ScreenError:
    start = time.perf_counter()
    with pytest.raises(ScreenError) as info:
        compiled(source)
    assert time.perf_counter() - start < 1.0, "refusal must be immediate"
    err = info.value
    assert err.location is not None and err.location.file == "rules.yaml"
    assert err.location.line == 7
    return err


# --------------------------------------------------------------------------- escapes


@pytest.mark.parametrize(
    ("source", "words"),
    [
        ("__import__('os')", "unknown function '__import__'"),
        ("__import__('os').system('echo pwned')", "only registry functions"),
        ("asset.__class__", "starting with '_'"),
        ("asset.x.__class__.__mro__", "starting with '_'"),
        ("asset._private", "starting with '_'"),
        ("().__class__.__bases__", "only dotted field paths"),
        ("''.__class__.__mro__[1].__subclasses__()", "not allowed"),
        ("asset.name.upper()", "only registry functions"),
        ("asset.name.ljust(500000000)", "only registry functions"),
        ("lambda: 1", "not allowed"),
        ("(lambda: 1)()", "lambda is not allowed"),
        ("[n for n in asset.nums]", "a list comprehension is not allowed"),
        ("{n for n in asset.nums}", "a set comprehension is not allowed"),
        ("{n: n for n in asset.nums}", "a dict comprehension is not allowed"),
        ("sum(n for n in asset.nums)", "a generator expression is not allowed"),
        ("asset.nums[0]", "indexing (x[...]) is not allowed"),
        ("asset.name[0:1]", "indexing (x[...]) is not allowed"),
        ("f'{asset.name}'", "an f-string is not allowed"),
        ("(y := 1)", "an assignment (:=) is not allowed"),
        ("open('x')", "unknown function 'open'"),
        ("eval('1+1')", "unknown function 'eval'"),
        ("exec('import os')", "unknown function 'exec'"),
        ("compile('1', 'x', 'eval')", "unknown function 'compile'"),
        ("getattr(asset, 'x')", "unknown function 'getattr'"),
        ("globals()", "unknown function 'globals'"),
        ("max(asset.nums, key=asset.x)", "keyword arguments are not allowed"),
        ("max(*asset.nums)", "a starred argument is not allowed"),
        ("max(asset.x)", "max() argument 1 must be a list"),  # one value: a list was meant
        ("min(asset.stage)", "min() argument 1 must be a list"),
        ("count_in(asset.stages, ['phase3', 'phase9'])", "unknown stage 'phase9'"),
        ("{'a': 1}", "a mapping {...} is not allowed"),
        ("{1, 2}", "a set {...} is not allowed"),
        ("asset.x is None", "None is not allowed"),
        ("asset.x & 1", "bitwise"),
        ("asset.x << 60", "bitwise"),
        ("~asset.x", "not allowed"),
        ("b'bytes'", "not allowed"),
        ("1j", "not allowed"),
        ("...", "not allowed"),
        ("import os", "syntax error"),
        ("asset.x; asset.y", "syntax error"),
        ("F['asset.x']", "indexing (x[...]) is not allowed"),
        ("F", "unknown name 'F'"),
        ("_pow(2, 3)", "unknown function '_pow'"),
        ("_fn_len(asset.nums)", "unknown function '_fn_len'"),
    ],
)
def test_escape_attempts_refused_at_load_time(source, words):
    err = refused(source)
    assert words in str(err)


def test_refusal_points_at_the_offending_column():
    err = refused("asset.x + asset.name.upper()")
    assert err.location.column == LOC.column + len("asset.x + ")


@pytest.mark.parametrize(
    ("source", "at", "words"),
    [
        ("asset.x = 3", "= 3", "'=' is not a comparison"),
        ("asset.x >", ">", "ends after '>'"),
        ("asset.flag and", "and", "ends after 'and'"),
        ("asset.flag and not", "not", "ends after 'not'"),
        ("asset.flag && asset.other", "&&", "write 'and'"),
        ("asset.flag || asset.other", "||", "write 'or'"),
        ("!asset.flag", "!", "write 'not x'"),
        ("asset.x === 3", "===", "write '=='"),
        ("asset.x !== 3", "!==", "write '!='"),
        ("asset.name in ['a' 'b']", "'b'", "two strings side by side"),
        ("asset.name in ['a''b']", "'b'", "two strings side by side"),  # no space between
        ("asset.name in ['a', 'b' \"c\"]", '"c"', "separate them with a comma"),
    ],
)
def test_common_mistakes_are_named_at_their_token(source, at, words):
    err = refused(source)
    assert words in str(err)
    assert err.location.column == LOC.column + source.index(at)


@pytest.mark.parametrize(
    "source",
    [
        "asset.x != 3",
        "asset.name in ['a', 'b']",
        'asset.name == "it\'s"',
        "asset.x >= -1",
        "asset.name in ['', 'b']",
    ],
)
def test_correct_expressions_are_not_taken_for_mistakes(source):
    compiled(source)


def test_quoted_expression_column_accounts_for_the_quote():
    with pytest.raises(ScreenError) as info:
        compile_expression("asset.x + asset.nums[0]", StubScope(), LOC, quoted=True)
    assert info.value.location.column == LOC.column + 1 + len("asset.x + ")


def test_compiled_code_has_no_builtins():
    expr = compiled("asset.x + 1")
    assert expr.namespace["__builtins__"] == {}
    assert all(not callable(v) or k.startswith("_") for k, v in expr.namespace.items()), (
        "only our helpers and registry functions are callable from rule code"
    )


# --------------------------------------------------------------------------- exhaustion


def test_huge_constant_power_is_refused_at_load_time_quickly():
    start = time.perf_counter()
    err = refused("4000000**4000000")
    assert "exponent" in err.message
    assert time.perf_counter() - start < 0.5


def test_power_of_fields_bounded_at_run_time():
    expr = compiled("asset.x ** asset.y")
    assert expr.evaluate(FACTS) == 9
    start = time.perf_counter()
    with pytest.raises(EvalError):
        expr.evaluate({**FACTS, "asset.x": 4_000_000, "asset.y": 4_000_000})
    with pytest.raises(EvalError):
        expr.evaluate({**FACTS, "asset.x": 1e300, "asset.y": 60})  # overflow -> error, not inf
    assert time.perf_counter() - start < 0.5


def test_nested_powers_are_bounded():
    start = time.perf_counter()
    with pytest.raises((EvalError, ScreenError)):
        compiled("9**9**9**9").evaluate(FACTS)
    assert time.perf_counter() - start < 0.5


def test_text_repetition_refused_at_load_time():
    start = time.perf_counter()
    err = refused("'x' * 1000000000")
    assert "arithmetic needs numbers" in str(err)
    refused("asset.name * 1000000000")
    refused("asset.name + asset.name")
    refused("[1] * 1000000000")
    refused("(1, 2) * 100000000")
    refused("asset.nums + asset.nums")
    assert time.perf_counter() - start < 1.0


def test_huge_literals_refused():
    assert "number literal" in str(refused("9" * 40))
    assert "number literal" in str(refused("1e308 * 10"))
    assert "text literal" in str(refused("'" + "x" * 500 + "'"))
    big_list = "[" + ", ".join(["1"] * 200) + "]"
    assert "list literal" in str(refused(f"asset.x in {big_list}"))


def test_overlong_expression_refused():
    source = " + ".join(["asset.x"] * 1000)
    assert len(source) > expressions.MAX_EXPR_CHARS
    assert "longer than" in str(refused(source))


def test_too_many_nodes_refused():
    source = " + ".join(["1"] * 300)  # short text, many nodes
    assert len(source) < expressions.MAX_EXPR_CHARS
    assert "parts" in str(refused(source))


def test_deeply_nested_parentheses_refused():
    err = refused("(" * 1000 + "1" + ")" * 1000)
    assert "longer than" in str(err) or "nested" in str(err)
    err = refused("[" * 300 + "]" * 300)
    assert "nested" in str(err) or "parts" in str(err)


def test_moderately_nested_unary_operators_compile():
    assert value("-" * 200 + "asset.x") == 3
    assert value("not " * 201 + "asset.flag") is False


def test_deep_unary_chain_is_a_located_error_not_a_recursion_error():
    source = "-" * 1998 + "1"
    assert len(source) <= expressions.MAX_EXPR_CHARS
    try:
        compiled(source)
    except ScreenError as err:
        assert err.location is not None and err.location.line == 7
    except RecursionError:
        pytest.fail("RecursionError escaped compile_expression")
    else:
        pytest.fail("a 1999-node expression should exceed MAX_NODES")


def test_division_by_zero_is_an_eval_error():
    with pytest.raises(EvalError):
        compiled("asset.x / (asset.y - 2)").evaluate(FACTS)


def test_error_in_rule_makes_result_unknown_with_a_question(tmp_path):
    rules = MINI_RULES.replace(
        "expr: asset.epidemiology.us + 0",
        "expr: asset.epidemiology.us / (asset.epidemiology.eu - 250000)",
    )
    path = tmp_path / "rules.yaml"
    path.write_text(rules, encoding="utf-8")
    from screen.engine.loader import load_ruleset

    result = evaluate(make_case(), load_ruleset(path))
    size = next(c for c in result["criteria"] if c["id"] == "size")
    assert size["status"] != "scored"
    assert any("derived.us_patients" in u["fact"] for u in result["unknowns"])
    assert result["decision"] != "advance"


# --------------------------------------------------------------------------- the unknown value


def test_unknown_refuses_every_ordinary_operation():
    for op in (
        lambda u: bool(u),
        lambda u: u == 1,
        lambda u: u < 1,
        lambda u: u + 1,
        lambda u: 1 * u,
        lambda u: -u,
        lambda u: 1 in u,
        lambda u: len(u),
    ):
        with pytest.raises(UnknownValue):
            op(UNKNOWN)


# --------------------------------------------------------------------------- Kleene logic


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("asset.flag or true", True),
        ("true or asset.flag", True),
        ("asset.flag and true", UNKNOWN),
        ("asset.flag and false", False),
        ("false and asset.flag", False),
        ("asset.flag or false", UNKNOWN),
        ("not asset.flag", UNKNOWN),
        ("not (asset.flag and false)", True),
        ("asset.flag == true", UNKNOWN),
        ("asset.x > 1", UNKNOWN),
        ("asset.x == 1", UNKNOWN),
        ("asset.x != 1", UNKNOWN),
        ("asset.x + 1 > 0", UNKNOWN),
        ("asset.x in [1, 2]", UNKNOWN),
        ("asset.x > 1 or asset.y > 1", True),
        ("asset.x > 1 and asset.y > 5", False),
        ("asset.y > 1 > asset.x", UNKNOWN),
        ("asset.y < 1 < asset.x", False),
        ("coalesce(asset.x, 5)", 5),
        ("coalesce(asset.x, asset.y)", 2),
        ("known(asset.x)", False),
        ("known(asset.y)", True),
        ("known(asset.x) or asset.x > 1", UNKNOWN),
        ("not known(asset.x) or asset.x > 1", True),
        ("max(asset.x, 1)", UNKNOWN),
        ("asset.x if asset.flag else 1", UNKNOWN),
        ("1 if asset.flag else 1", 1),
        ("stage_rank(asset.stage) >= 4", UNKNOWN),
        ("asset.area == 'oncology'", UNKNOWN),
    ],
)
def test_three_valued_logic(source, expected):
    facts = {
        **FACTS,
        "asset.x": UNKNOWN,
        "asset.flag": UNKNOWN,
        "asset.stage": UNKNOWN,
        "asset.area": UNKNOWN,
    }
    result = compiled(source).evaluate(facts)
    if expected is UNKNOWN:
        assert result is UNKNOWN
    else:
        assert result is not UNKNOWN and result == expected and type(result) is type(expected)


def test_membership_with_unknown_items():
    facts = {**FACTS, "asset.nums": [1, UNKNOWN]}
    assert compiled("1 in asset.nums").evaluate(facts) is True
    assert compiled("3 in asset.nums").evaluate(facts) is UNKNOWN
    assert compiled("3 not in asset.nums").evaluate(facts) is UNKNOWN


def test_known_data_gives_plain_values():
    assert value("asset.x > 1 and asset.flag") is True
    assert value("asset.x * 2 + asset.y") == 8
    assert value("coalesce(asset.x, 5)") == 3
    assert value("known(asset.x)") is True
    assert value("asset.area in ['oncology', 'metabolic']") is True
    assert value("count_at_least(asset.stages, 'phase2')") == 1


def test_enum_literal_typo_is_a_load_time_error():
    err = refused("asset.area == 'oncolgy'")
    assert "did you mean 'oncology'" in str(err)


def test_misspelt_field_is_an_error_not_none():
    err = refused("asset.flagg or true")
    assert "asset.flagg" in str(err)


# --------------------------------------------------------------------------- stage order


def test_stage_rank_uses_clinical_order():
    assert value("stage_rank(asset.stage) >= stage_rank('phase2')") is False
    assert value("stage_rank(asset.stage) >= stage_rank('phase2')", stage=Stage.phase3) is True
    assert value("stage_rank('preclinical') < stage_rank('phase2')") is True


def test_count_at_least_compares_stages_by_rank():
    # as text, 'phase1' >= 'phase2' is False but 'preclinical' >= 'phase2' would be True
    assert (
        value(
            "count_at_least(asset.stages, 'phase2')",
            stages=[Stage.preclinical, Stage.phase1, Stage.phase3],
        )
        == 1
    )


def test_stage_membership_uses_stage_values():
    assert value("asset.stage in ['preclinical', 'ind_enabling']") is True
    assert value("asset.stage in ['phase2', 'phase3']") is False


def test_stage_literal_typo_refused():
    err = refused("asset.stage in ['phase_two']")
    assert "unknown stage 'phase_two'" in str(err)


def test_stage_comparison_with_literal_uses_clinical_order():
    # 'preclinical' >= 'phase2' is True as strings; as stages it is False
    assert value("asset.stage >= 'phase2'") is False
    assert value("asset.stage >= 'phase2'", stage=Stage.phase3) is True
    assert value("asset.stage < 'phase1'") is True
    assert value("asset.stage == 'preclinical'") is True
    assert value("'phase2' <= asset.stage", stage=Stage.approved) is True


def test_stage_comparison_in_a_rule_set_gate(tmp_path):
    from screen.engine.loader import load_ruleset

    rules = MINI_RULES.replace(
        "require: asset.unmet_need.addressed == true", "require: asset.stage >= 'phase2'"
    )
    path = tmp_path / "rules.yaml"
    path.write_text(rules, encoding="utf-8")
    rs = load_ruleset(path)
    pre = evaluate(make_case(asset={"stage": "preclinical"}), rs)
    p3 = evaluate(make_case(asset={"stage": "phase3"}), rs)
    assert pre["gates"][0]["outcome"] == "fail"
    assert p3["gates"][0]["outcome"] == "pass"


def test_unknown_stage_in_table_cell_is_unknown_not_false():
    result = evaluate(make_case(asset={"stage": DELETE}))
    bd = next(c for c in result["criteria"] if c["id"] == "bd_readiness")
    assert bd["status"] == "unknown"
    # thesis 1.1 reads the stage that matters for the deal: ex-China here (no v1 stage to
    # derive regional stages from)
    assert any(u["fact"] in ("asset.stage", "asset.stage_ex_china") for u in result["unknowns"])


def test_stage_in_a_parameter_list_uses_stage_names(tmp_path):
    from screen.engine.loader import load_ruleset

    rules = MINI_RULES.replace(
        "parameters:\n", "parameters:\n  late:\n    value: [phase2, phase3]\n    source: test\n"
    ).replace("require: asset.unmet_need.addressed == true", "require: asset.stage in params.late")
    path = tmp_path / "rules.yaml"
    path.write_text(rules, encoding="utf-8")
    try:
        rs = load_ruleset(path)
    except ScreenError:
        return  # refusing it at load time would also be correct
    assert evaluate(make_case(asset={"stage": "phase2"}), rs)["gates"][0]["outcome"] == "pass"
    assert evaluate(make_case(asset={"stage": "phase1"}), rs)["gates"][0]["outcome"] == "fail"


def test_comparing_two_text_literals_is_refused_not_string_ordered():
    # 'preclinical' >= 'phase2' is True in string order; without a field we cannot know these
    # are stages, so the comparison is refused rather than silently wrong.
    err = refused("'preclinical' >= 'phase2'")
    assert "two literals" in err.message


def test_a_text_literal_branch_takes_the_stage_or_enum_type_of_the_other_branch():
    """`'phase3' if c else asset.stage` is a stage (tables and bands compare it as one),
    and a misspelt stage or enum value in the literal branch is a load error."""
    expr = compiled("'phase3' if asset.flag else asset.stage")
    assert expr.type == STAGE
    assert expr.evaluate(dict(FACTS)) is Stage.phase3
    assert compiled("asset.area if asset.flag else 'metabolic'").type.kind == "enum"
    assert "unknown stage 'phse3'" in str(refused("'phse3' if asset.flag else asset.stage"))
    assert "not one of the allowed values" in str(
        refused("asset.area if asset.flag else 'oncolgy'")
    )
    assert compiled("'x' if asset.flag else asset.name").type == STR  # text stays text
