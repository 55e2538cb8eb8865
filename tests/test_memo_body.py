"""Memos of substance: a body a partner reads as prose, Markdown that pastes cleanly, risks drawn
from the facts, and diligence questions about the product before provenance.

"Body" is everything before the appendix (`## Appendix A` in Markdown, the sources section in
HTML): rule ids, fact paths and the trace belong to the appendix, which stays complete.
"""

from __future__ import annotations

import html
import re
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from helpers import DELETE as DELETE_KEY
from helpers import ROOT, make_case, write_yaml
from screen import memo as memos
from screen.engine.evaluate import evaluate_case
from screen.engine.loader import load_case, load_ruleset
from screen.engine.result import build_result
from screen.memo import risks as memo_risks

V2_CASE = Path(__file__).parent / "fixtures" / "memo" / "hexin-v2.yaml"
CASES = [*sorted((ROOT / "cases").glob("*.yaml")), V2_CASE]  # the bundled cases, and one in v2
FACT_PATH = re.compile(r"\b(?:asset|assets\[\d+\]|company|derived|params|table)\.[a-z_]")
PASTE_NOISE = re.compile(r"\\[~>().%]")


@cache
def _rule_ids() -> frozenset[str]:
    """Every band, table-row and gate id of the bundled thesis."""
    rs = load_ruleset(None)
    ids = {g.id for g in rs.gates}
    for c in rs.criteria:
        ids |= {b.id for b in c.bands or []}
    for t in rs.tables.values():
        ids |= {r.id for r in t.rows}
    return frozenset(ids)


def screened(path: Path) -> tuple[Any, dict[str, Any]]:
    rs = load_ruleset(None)
    loaded = load_case(path)
    return loaded, build_result(rs, loaded, evaluate_case(rs, loaded.case, trace=True))


@cache
def memo(path: Path, fmt: str) -> str:
    out = memos.render(*screened(path), fmt)
    assert isinstance(out, str)
    return out


def body(text: str, fmt: str) -> str:
    """The memo before its appendix, as the text a reader sees."""
    if fmt == "md":
        head, sep, _ = text.partition("\n## Appendix A")
        assert sep, "the appendix heading is there"
        return head
    head, sep, _ = text.partition('<section id="sources"')
    assert sep
    main = head.split("<body>", 1)[1]
    main = re.sub(r"<svg.*?</svg>", " ", main, flags=re.S)  # the scorecard's drawing
    return main


# -- 1. the body is prose ----------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["md", "html"])
@pytest.mark.parametrize("case", CASES, ids=lambda p: p.stem)
def test_memo_body_names_no_rule_id_and_no_fact_path(case: Path, fmt: str) -> None:
    text = body(memo(case, fmt), fmt)
    visible = html.unescape(re.sub(r"<[^>]+>", " ", text)) if fmt == "html" else text
    for rule_id in _rule_ids():
        found = re.search(rf"(?<![\w.]){re.escape(rule_id)}(?![\w.])", visible)
        assert found is None, (
            f"rule id {rule_id!r} in the body: ...{visible[found.start() - 80 : found.end() + 40]}"
        )
    if fmt == "md":
        assert not re.search(r"(?<!\\)`", text), "no code span in the body"
    else:
        assert not re.search(r"<code>\s*(?:asset|assets\[|company|derived|params|table)", text)
    found = FACT_PATH.search(visible)
    assert found is None, visible[max(found.start() - 80, 0) : found.end() + 40]


@pytest.mark.parametrize("case", CASES, ids=lambda p: p.stem)
def test_appendix_keeps_every_rule_and_fact_for_audit(case: Path) -> None:
    _loaded, result = screened(case)
    text = memo(case, "md")
    appendix = text.split("\n## Appendix B", 1)[1]
    for t in result["trace"]:
        assert f"`{t['rule']}`" in appendix
        for fact in t["inputs"]:
            assert fact in appendix
    for u in result["unknowns"]:
        assert f"`{u['fact']}`" in appendix


def test_criterion_section_explains_in_words(tmp_path: Path) -> None:
    text = memo(ROOT / "cases" / "kestrel-bio.yaml", "md")
    section = text.split("### Magnitude of the unmet need: 3.5 / 5", 1)[1].split("\n### ", 1)[0]
    assert "Why: Severe disease with no good option, whatever the size (T2)." in section
    assert "- Addressable patients in the US: 6,100 patients per year[^" in section
    assert "- Severe or life-threatening disease: yes" in section
    assert "Rule " not in section and "need.severe_unserved" not in section


# -- 2. Markdown that pastes cleanly -------------------------------------------------------------


@pytest.mark.parametrize("case", CASES, ids=lambda p: p.stem)
def test_markdown_memo_pasted_as_plain_text_shows_no_needless_backslash(case: Path) -> None:
    text = memo(case, "md")
    found = PASTE_NOISE.search(text)
    assert found is None, text[max(found.start() - 60, 0) : found.end() + 20]
    for line in text.splitlines():
        assert "\\-" not in line[1:].lstrip("- |"), line


def test_markdown_escaping_leaves_ordinary_punctuation_alone() -> None:
    for plain in (
        "ORR ~28%, median OS ~9.6 months (n=62)",
        "CLDN18.2 >= 75% 2+/3+, grade >= 3",
        "<10% of patients; v1.0.0; 26,890 x ~60% advanced",
        "after ARPI and docetaxel - cabazitaxel",
        "2 * 3 = 6; life_threatening; 50% off!",
    ):
        assert memos.md_escape(plain) == plain
    assert memos.md_escape("a~b~c") == "a\\~b\\~c"  # a pair that GFM would strike through
    assert memos.md_escape("~~gone~~") == "\\~\\~gone\\~\\~"
    assert memos.md_escape("> quoted") == "\\> quoted"
    assert memos.md_escape("[^1] and [x](y) and [r]: z") == "\\[^1] and [x\\](y) and [r\\]: z"


ORDINARY = st.text(
    alphabet=st.sampled_from(list("abcXYZ019 ~>().%-/:;,!?'\"=+") + ["é", "中"]), max_size=40
)
ANY_TEXT = st.lists(
    st.one_of(
        st.sampled_from(list("\\`*_~[]()<>|&#!-+=.:;^ \n\t") + ["1.", "&amp;", "<b>", "~~"]),
        st.characters(categories=("L", "N", "P", "S", "Zs")),
    ),
    max_size=30,
).map("".join)


@settings(max_examples=200, deadline=None)
@given(ORDINARY)
def test_property_ordinary_punctuation_mid_line_gets_no_backslash(text: str) -> None:
    out = memos.md_escape("Value " + text)
    assert re.search(r"\\[>().%]", out) is None, out
    assert "\\-" not in out and "\\=" not in out and "\\+" not in out, out
    for m in re.finditer(r"(?<!~)(?<!\\~)\\~(?!\\~)", out):  # a lone tilde: only a closer
        before = out[m.start() - 1] if m.start() else " "
        assert not before.isspace(), out


_MD = MarkdownIt("commonmark").enable(["table", "strikethrough"])


def _inline_text(tokens: list[Any]) -> tuple[set[str], str]:
    inline = [t for t in tokens if t.type == "inline"]
    kinds = {c.type for t in inline for c in t.children or []}
    return kinds, "".join(c.content for t in inline for c in t.children or [])


@settings(max_examples=300, deadline=None)
@given(ANY_TEXT)
def test_property_escaped_text_reads_back_literally_in_a_markdown_parser(text: str) -> None:
    """Prose line, list item and table cell: the parser sees only text, and the same text."""
    plain = " ".join(text.split())
    esc = memos.md_escape(text)
    for doc, prefix in ((f"Said: {esc}\n", "Said: "), (f"- {esc}\n", ""), (f"{esc}\n", "")):
        tokens = _MD.parse(doc)
        kinds, seen = _inline_text(tokens)
        assert kinds <= {"text"}, (doc, kinds)
        assert seen.strip() == (prefix + plain).strip(), doc
        blocks = {t.type for t in tokens} - {"inline"}
        assert blocks <= {
            "paragraph_open",
            "paragraph_close",
            "bullet_list_open",
            "bullet_list_close",
            "list_item_open",
            "list_item_close",
        }, doc
    table = _MD.parse(f"| head | x |\n|---|---|\n| {esc} | x |\n")
    cells = [t for t in table if t.type == "td_open"]
    assert len(cells) == 2, esc
    kinds, seen = _inline_text(table)
    assert kinds <= {"text"}
    assert seen == f"headx{plain}x"


# -- 3. risks from the facts ---------------------------------------------------------------------


def _section(text: str, heading: str) -> str:
    return text.split(f"\n## {heading}\n", 1)[1].split("\n## ", 1)[0]


def test_risks_name_the_approved_same_target_drug_and_the_phase_3_rival() -> None:
    risks = _section(memo(ROOT / "cases" / "kestrel-bio.yaml", "md"), "Risks and red flags")
    assert (
        "- [KST-201] Approved same-target drug: zolbetuximab (CLDN18.2 mAb) from Astellas" in risks
    )
    assert "LX-1802 (CLDN18.2 ADC) from Lingxi Pharma, phase 3 (China)" in risks
    assert "unsourced" not in risks  # provenance is one data-quality line, not a risk per figure


def test_short_runway_is_a_financing_risk_against_the_memo_default() -> None:
    risks = _section(memo(ROOT / "cases" / "silverpine-bio.yaml", "md"), "Risks and red flags")
    assert (
        "[Company] Short cash runway: 14 months, under the memo's default threshold of 18 months"
        in risks
    )


@pytest.mark.parametrize(("runway", "level"), [(8, "red"), (15, "amber"), (30, None)])
def test_runway_risk_levels(tmp_path: Path, runway: int, level: str | None) -> None:
    path = write_yaml(tmp_path / "c.yaml", make_case(company={"cash_runway_months": runway}))
    ctx = memos.memo_context(*screened(path))
    found = [k for k in ctx["risks"] if k["kind"] == "financing"]
    assert [k["level"] for k in found] == ([level] if level else [])


def test_china_only_data_for_a_us_plan_is_a_clinical_risk(tmp_path: Path) -> None:
    case = make_case(
        asset={
            "data_origin": "china",
            "regulatory": {"fda_ind": "cleared"},
            "bd": {"plan": {"territory": "ex_china"}},
        }
    )
    ctx = memos.memo_context(*screened(write_yaml(tmp_path / "c.yaml", case)))
    clinical = [k["text"] for k in ctx["risks"] if k["kind"] == "clinical"]
    assert clinical and clinical[0].startswith(
        "China-only clinical data while an FDA IND is cleared: FDA expects evidence"
    )
    # partnered (sintilimab with Lilly, 2022): the partner's US filing rests on the same data
    case["assets"][0]["bd"] = {
        "status": "partnered",
        "plan": {"territory": "ex_china"},
        "deals": [{"partner": "Big Pharma", "territory": "ex_china"}],
    }
    ctx = memos.memo_context(*screened(write_yaml(tmp_path / "p.yaml", case)))
    assert any(
        k["kind"] == "clinical" and k["text"].startswith("China-only clinical data")
        for k in ctx["risks"]
    )


# -- 4. questions about the product first, provenance last ----------------------------------------


@pytest.mark.parametrize("case", CASES, ids=lambda p: p.stem)
def test_questions_ask_about_the_product_before_provenance(case: Path) -> None:
    ctx = memos.memo_context(*screened(case))
    kinds = [q["kind"] for q in ctx["questions"]]
    order = {"decisive": 0, "product": 1, "score": 2, "completeness": 3, "provenance": 4}
    assert kinds == sorted(kinds, key=order.__getitem__), kinds
    if ctx["result"]["decision"] != "insufficient_information":
        assert "decisive" not in kinds  # a settled decision: answers move the score at most
    if "product" in kinds and "provenance" in kinds:
        text = _section(memo(case, "md"), "Open diligence questions")
        product = next(q for q in ctx["questions"] if q["kind"] == "product")
        provenance = next(q for q in ctx["questions"] if q["kind"] == "provenance")
        assert text.index(memos.md_escape(product["question"])) < text.index("Sources to request")
        assert text.index("Sources to request") < text.index(
            memos.md_escape(provenance["question"])
        )


@pytest.mark.parametrize("case", CASES, ids=lambda p: p.stem)
def test_no_source_question_for_a_figure_the_case_does_not_state(case: Path) -> None:
    loaded, result = screened(case)
    ctx = memos.memo_context(loaded, result)
    growth = loaded.case.company.domestic_sales_growth
    asked = " ".join(q["question"] for q in ctx["questions"])
    if growth is not None and growth.value == 0 and growth.note:
        assert "domestic sales growth" not in asked
    first = ctx["summary"][-1]
    assert "What is the source" not in first or all(
        q["kind"] == "provenance" for q in ctx["questions"]
    )


def test_pre_revenue_company_is_not_asked_for_the_source_of_its_zero_growth() -> None:
    ctx = memos.memo_context(*screened(ROOT / "cases" / "kestrel-bio.yaml"))
    first = next(s for s in ctx["summary"] if s.startswith("First diligence request"))
    assert first.startswith("First diligence request (KST-201): How durable are the responses")
    topics = [q.get("topic") for q in ctx["questions"] if q["asset"] == "KST-201"]
    for topic in ("durability", "safety", "differentiation", "competitors", "us_plan"):
        assert topic in topics


def test_zero_with_a_note_is_not_a_figure_to_source(tmp_path: Path) -> None:
    case = make_case(
        company={"domestic_sales_growth": {"value": 0, "note": "none: no marketed product"}}
    )
    ctx = memos.memo_context(*screened(write_yaml(tmp_path / "c.yaml", case)))
    sourced = [q for q in ctx["questions"] if q["kind"] == "provenance"]
    assert all("company.domestic_sales_growth" not in q["facts"] for q in sourced)
    assert any("company.cash_runway_months" in q["facts"] for q in sourced)


def test_runway_threshold_comes_from_the_rule_set_when_it_has_one(tmp_path: Path) -> None:
    text = (ROOT / "rules" / "thesis.yaml").read_text(encoding="utf-8")
    text = text.replace(
        "parameters:\n",
        "parameters:\n  min_cash_runway_months:\n    value: 24\n    unit: months\n"
        '    source: "firm convention: two years of cash at first contact"\n',
        1,
    ).replace(
        "derived:\n",
        "derived:\n  runway_ok:\n"
        "    expr: company.cash_runway_months >= params.min_cash_runway_months\n",
        1,
    )
    rules = tmp_path / "rules.yaml"
    rules.write_text(text, encoding="utf-8")
    rs = load_ruleset(rules)
    loaded = load_case(ROOT / "cases" / "larkspur-therapeutics.yaml")  # 22 months
    result = build_result(rs, loaded, evaluate_case(rs, loaded.case, trace=True))
    with_param = [
        k for k in memos.memo_context(loaded, result)["risks"] if k["kind"] == "financing"
    ]
    assert [k["text"][:63] for k in with_param] == [
        "Short cash runway: 22 months, under the thesis minimum of 24 mo"
    ]
    default = memos.memo_context(*screened(ROOT / "cases" / "larkspur-therapeutics.yaml"))
    assert not [k for k in default["risks"] if k["kind"] == "financing"]  # 22 >= 18


# -- 5. case schema v2 facts (safety, regional stages), read tolerantly -----------------------


def _lead_view(tmp_path: Path, v2: bool = True, **asset: Any) -> dict[str, Any]:
    case = make_case(asset=asset or None)
    return memos.memo_context(*screened(write_yaml(tmp_path / "c.yaml", case, v2=v2)))["lead"]


def test_v1_case_has_no_v2_evidence_and_no_v2_risk(tmp_path: Path) -> None:
    lead = _lead_view(tmp_path, v2=False)
    assert lead["safety"] is None and lead["regions"] == {}
    assert not [t for _, t in memo_risks.clinical(lead) if t.startswith(("Safety", "A trial was"))]


def test_safety_signals_become_risks(tmp_path: Path) -> None:
    lead = _lead_view(tmp_path)
    lead["safety"] = {
        "grade3_ae_rate": 0.42,
        "comparator_grade3_ae_rate": 0.3,
        "discontinuation_rate": 0.25,
        "treatment_related_deaths": 2,
        "stopped_for_safety": True,
        "note": "partial clinical hold, 2024-05",
    }
    found = memo_risks.clinical(lead)
    assert found[0] == (
        "red",
        "A trial was suspended or terminated, or put on clinical hold, for safety "
        "(partial clinical hold, 2024-05).",
    )
    texts = [t for _, t in found]
    assert (
        "Safety: grade 3 or worse adverse events in 42% of patients vs 30% for the comparator."
        in texts
    )
    assert "Safety: 2 treatment-related death(s)." in texts
    assert any(t.startswith("Safety: 25% of patients discontinued") for t in texts)


def test_china_stage_ahead_of_the_us_stage_is_a_regulatory_risk(tmp_path: Path) -> None:
    lead = _lead_view(tmp_path)
    lead["regions"] = {
        "china": {"stage": "approved", "rank": 7, "approvals": []},
        "us": {"stage": "phase1", "rank": 2, "approvals": []},
    }
    assert (
        "Approved in China but phase 1 in the US: a US or global deal prices the asset at its "
        "US stage, and US development risk is still ahead (T6, T8)."
    ) in memo_risks.regulatory(lead)


def test_evidence_readers_accept_v1_values_and_v2_objects() -> None:
    from types import SimpleNamespace as NS

    from screen.memo import evidence

    assert evidence.claim_value(True) is True
    assert evidence.claim_value(NS(value=False, source="x")) is False
    assert evidence.claim_text("text") == "text"
    assert evidence.claim_text(NS(claim="better ORR", source=None)) == "better ORR"
    assert evidence.comparator_text("historical 28%") == "historical 28%"
    comp = NS(kind=NS(value="standard_of_care"), description="ram + pac", value=NS(value=28), n=300)
    assert evidence.comparator_text(comp) == "ram + pac, value 28, n=300"
    assert evidence.comparator_value(comp) == 28.0
    company = NS(cash_runway_months=None, cash_usd_m=NS(value=30), annual_burn_usd_m=NS(value=40))
    assert evidence.cash_runway(company) == (9.0, "derived from cash and annual burn")


def test_v2_case_memo_reads_regional_stages_safety_comparator_and_cash_burn() -> None:
    """A China-approved, US phase 1 asset with a readout against standard of care, safety
    facts, a bridging plan and cash given as cash and burn (tests/fixtures/memo/hexin-v2.yaml)."""
    text = memo(V2_CASE, "md")
    product = _section(text, "The product")
    assert "| approved (China: approved, US: phase 1) |" in product
    assert "- Standard of care (adequacy: poor): regorafenib, cabozantinib" in product
    assert "- Safety: grade 3 or worse adverse events 52%[^2]; comparator arm 38%[^2]" in product
    assert "comparator: regorafenib (standard of care): 11%, n=110" in product
    risks = _section(text, "Risks and red flags")
    assert "[HX-7] Approved in China but phase 1 in the US: a US or global deal prices" in risks
    assert "grade 3 or worse adverse events in 52% of patients vs 38% for the comparator" in risks
    assert "a bridging study (ICH E5) is running or planned" in risks
    assert (
        "**RED** [Company] Short cash runway: 9 months, derived from cash and annual burn" in risks
    )
    assert "cash runway about 9 months (cash USD 30m at USD 40m a year)" in text
    questions = _section(text, "Open diligence questions")
    assert "What has FDA agreed for the bridging study of HX-7" in questions
    assert (
        "Sources to request" not in questions
    )  # n and the comparator inherit the readout's source
    assert "[^1]: Hexin company presentation, 2025-02. " in text  # a month-precision date


@pytest.mark.parametrize("fmt", ["md", "html"])
def test_a_readout_line_gives_its_figures_not_no_result(tmp_path: Path, fmt: str) -> None:
    """A readout with a value and a hazard ratio but no free-text result used to say 'no
    result stated' and leave the hazard ratio to the appendix."""
    readout = {
        "endpoint": "overall survival",
        "kind": "os",
        "primary": True,
        "value": {"value": 7.4, "unit": "months", "source": "deck"},
        "comparator": {"kind": "placebo", "value": 4.8},
        "hazard_ratio": {"value": 0.66, "source": "deck"},
    }
    case = make_case({"trials": [{"nct_id": "NCT04322539", "readouts": [readout]}]})
    text = memo(write_yaml(tmp_path / "c.yaml", case), fmt)
    line = next(x for x in text.splitlines() if "Readout (NCT04322539" in x)
    assert "no result stated" not in line
    assert "overall survival (primary endpoint)" in line
    assert "hazard ratio " in line and "0.66" in line.split("hazard ratio", 1)[1]
    assert "7.4 months" in line


@pytest.mark.parametrize(
    ("us", "trial", "asked"),
    [
        ("phase2", None, "What has FDA agreed for the registrational trial"),
        ("phase3", None, "When does the US pivotal trial"),
        ("phase3", {"phase": "PHASE3", "region": "multiregional"}, "has read out: when is the US"),
        ("filed", None, "When does FDA decide on"),
    ],
)
def test_the_us_question_follows_the_us_stage(
    tmp_path: Path, us: str, trial: dict[str, Any] | None, asked: str
) -> None:
    """The memo asked what FDA had agreed for the registrational trial of assets filed in the
    US or whose multiregional pivotal trial had read out (camrelizumab, fruquintinib)."""
    readout = {"endpoint": "OS", "kind": "os", "value": 7.4, "comparator": {"kind": "placebo"}}
    trials = [{**trial, "readouts": [readout]}] if trial else DELETE_KEY
    asset = {
        "development": {"china": {"stage": "phase3"}, "us": {"stage": us}},
        "stage": DELETE_KEY,
        "data_origin": "global",
        "regulatory": {"fda_ind": "cleared"},
        "trials": trials,
    }
    text = memo(write_yaml(tmp_path / "c.yaml", make_case(asset)), "md")
    questions = [x for x in text.splitlines() if "FDA" in x and x[:1].isdigit()]
    assert any(asked in x for x in questions), questions
    others = {"registrational trial", "When does the US pivotal", "has read out", "FDA decide"}
    assert sum(any(o in x for x in questions) for o in others) == 1, questions


@pytest.mark.parametrize("fmt", ["md", "html"])
def test_a_safety_figure_keeps_the_note_that_says_what_it_counts(tmp_path: Path, fmt: str) -> None:
    """'grade 3-4 treatment-related adverse events 81%' was shown as 'grade 3 or worse adverse
    events 81%', a different quantity: the figure's note now follows it."""
    note = "grade 3-4 treatment-related adverse events"
    safety = {"grade3_ae_rate": {"value": 0.81, "source": "deck", "note": note}}
    text = memo(write_yaml(tmp_path / "c.yaml", make_case({"safety": safety})), fmt)
    line = next(x for x in text.splitlines() if "Safety: " in x)
    assert "81%" in line and note in html.unescape(line).replace("\\", "")


def test_the_memo_marks_the_readout_the_thesis_reads(tmp_path: Path) -> None:
    """Of two comparative readouts the efficacy facts come from one (the largest relative
    gain among primary endpoints); the memo says which, so a reader can disagree with it."""

    def readout(endpoint: str, arm: float, comparator: float) -> dict[str, Any]:
        return {
            "endpoint": endpoint,
            "kind": "os",
            "primary": True,
            "value": {"value": arm, "unit": "months", "source": "deck"},
            "comparator": {"kind": "placebo", "value": comparator},
        }

    trials = [
        {"nct_id": "NCT00000001", "readouts": [readout("OS (China trial)", 9.3, 6.6)]},
        {"nct_id": "NCT00000002", "readouts": [readout("OS (MRCT)", 7.4, 4.8)]},
    ]
    text = memo(write_yaml(tmp_path / "c.yaml", make_case({"trials": trials})), "md")
    lines = [x for x in text.splitlines() if x.startswith("- Readout (")]
    marked = [x for x in lines if "(the readout the thesis reads)" in x]
    assert len(marked) == 1 and "OS (MRCT)" in marked[0], lines  # 7.4/4.8 beats 9.3/6.6


@pytest.mark.parametrize(("kind", "cited"), [("historical_control", False), ("placebo", True)])
def test_a_historical_controls_figures_never_cite_the_readouts_source(
    tmp_path: Path, kind: str, cited: bool
) -> None:
    """SIRIUS's daratumumab 29% was cited to the LEGEND-2 abstract (a real-deal review): a
    historical control comes from another trial's paper, so an unsourced figure of it is asked
    for; a concurrent arm's comes from the same paper and takes its source."""
    readout = {
        "endpoint": "ORR",
        "kind": "orr",
        "value": {"value": 0.88, "source": "deck"},
        "comparator": {"kind": kind, "description": "daratumumab (SIRIUS)", "value": 0.29},
    }
    case = make_case({"trials": [{"nct_id": "NCT03090659", "readouts": [readout]}]})
    text = memo(write_yaml(tmp_path / "c.yaml", case), "md")
    questions = _section(text, "Open diligence questions")
    asked = "daratumumab (SIRIUS) result on ORR" in questions
    assert asked is not cited
