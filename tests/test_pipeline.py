"""`dealscreen rank` and the pipeline rows: order, CSV/JSON/HTML export, broken files, processes."""

from __future__ import annotations

import csv
import io
import json
import random
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from helpers import DELETE, ROOT, make_case, run_cli, thesis_1_0, thesis_ruleset, write_yaml
from screen.model.numbers import display

CASES = ROOT / "cases"
DECISIONS = ["advance", "watch", "insufficient_information", "decline"]
STAGES = ["preclinical", "ind_enabling", "phase1", "phase1_2", "phase2", "phase3", "filed"]


def variant_cases(n: int, seed: int = 3) -> list[dict[str, Any]]:
    """Varied cases built from the base case: stages, roles, sizes, and absent facts (unknowns),
    so both evaluation paths and every decision occur."""
    rng = random.Random(seed)
    out = []
    for i in range(n):
        asset: dict[str, Any] = {
            "id": f"A{i}",
            "stage": rng.choice(STAGES),
            "therapeutic_area": rng.choice(["oncology", "metabolic", "neurology", "hematology"]),
            "epidemiology": {"us": rng.choice([2000, 40000, 200000])},
            "standard_of_care": {
                "adequacy": rng.choice(["no_option", "poor", "partial", "adequate"])
            },
            "regulatory": {"fda_ind": rng.choice(["cleared", "planned", "none"])},
            "competition": {"first_in_class": rng.random() < 0.4, "best_in_class": False},
        }
        for path in rng.sample(
            ["unmet_need", "competition", "bd", "epidemiology"], k=rng.randint(0, 2)
        ):
            asset[path] = DELETE
        company = {"name": f"Company {i:03d}", "overseas_capability": rng.choice(["own", "none"])}
        case = make_case(asset, id=f"co-{i:03d}", company=company)
        if rng.random() < 0.3:  # a second, non-core asset
            second = dict(case["assets"][0], id=f"B{i}", role="non_core", stage=rng.choice(STAGES))
            case["assets"].append(second)
        out.append(case)
    return out


def write_cases(folder: Path, cases: list[dict[str, Any]]) -> list[Path]:
    return [write_yaml(folder / f"{c['id']}.yaml", c) for c in cases]


def read_csv(path: Path) -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"))))


def full_results(paths: list[Path]) -> list[dict[str, Any]]:
    from screen.engine.evaluate import evaluate_case
    from screen.engine.loader import load_case
    from screen.engine.result import build_result

    rs = thesis_ruleset()
    out = []
    for p in paths:
        loaded = load_case(p)
        out.append(build_result(rs, loaded, evaluate_case(rs, loaded.case, trace=False)))
    return out


# --------------------------------------------------------------------------- rows = engine


def test_rows_agree_with_full_result_documents(tmp_path: Path) -> None:
    from screen.engine.loader import load_case
    from screen.pipeline import rank as pipeline

    rs = thesis_ruleset()
    paths = sorted(CASES.glob("*.yaml")) + write_cases(tmp_path, variant_cases(80))
    for path, result in zip(paths, full_results(paths), strict=True):
        row = pipeline.row_for(rs, load_case(path))
        assert row.decision == result["decision"], path
        assert row.score == result["score"]
        assert [row.score_low, row.score_high] == result["score_range"]
        assert row.lead_asset == result["lead_asset"]
        assert list(row.criteria) == [c["score"] for c in result["criteria"]]
        assert list(row.contributions) == [c["contribution"] for c in result["criteria"]]
        core_unknowns = [u for u in result["unknowns"] if u["asset"] in result["core_assets"]]
        assert row.unknowns == len(core_unknowns)
        failed = [g["id"] for g in result["gates"] if g["outcome"] == "fail"]
        assert list(row.failed_gates) == failed
        # row_for evaluates only the assets the company is judged on and ranks only the lead's
        # questions: what it shows of them is still the full result's
        if row.decision == "insufficient_information":
            provisional = result["provisional"]
            assert (row.provisional_decision, row.provisional_score) == (
                provisional["decision"],
                provisional["score"],
            ), path
            lead_questions = [
                u["fact"] for u in result["unknowns"] if u["asset"] in (None, row.lead_asset)
            ]
            if lead_questions and not failed and row.top_reason.startswith("open"):
                assert row.top_reason_ids[0] == lead_questions[0], path


def test_variant_cases_cover_every_decision_and_both_paths(tmp_path: Path) -> None:
    from screen.engine.loader import load_case
    from screen.pipeline import rank as pipeline

    rs = thesis_ruleset()
    rows = [pipeline.row_for(rs, load_case(p)) for p in write_cases(tmp_path, variant_cases(80))]
    assert {r.decision for r in rows} == set(DECISIONS)
    assert any(r.unknowns for r in rows) and any(not r.unknowns for r in rows)


def test_top_reason_names_failed_gate_or_missing_fact(tmp_path: Path) -> None:
    from screen.engine.loader import load_case
    from screen.pipeline import rank as pipeline

    rs = thesis_ruleset()
    failing = write_yaml(tmp_path / "f.yaml", make_case({"unmet_need": {"addressed": False}}))
    missing = write_yaml(tmp_path / "m.yaml", make_case({"unmet_need": DELETE}))
    row = pipeline.row_for(rs, load_case(failing))
    assert row.top_reason == "gate failed: Addresses an unmet clinical need"
    assert row.top_reason_ids == ("gates.unmet_need",)
    row = pipeline.row_for(rs, load_case(missing))
    assert row.decision == "insufficient_information"
    # the gate's name and the rule set's question (first sentence, asset by id), no fact path
    assert row.top_reason.startswith(
        "open for gate Addresses an unmet clinical need: "
        "Does A1 definitively address an unmet clinical need? (+"
    )
    assert row.top_reason_ids == ("asset.unmet_need.addressed", "gates.unmet_need")


def test_top_reason_is_worded_for_people_and_keeps_the_ids_apart(tmp_path: Path) -> None:
    """No fact paths or rule ids in the text: criterion names, a plain phrase for a fact the
    rule set asks no question about, and the ids in `top_reason_ids` (CSV and JSON)."""
    from screen.engine.loader import load_case
    from screen.pipeline import rank as pipeline

    rs = thesis_1_0()  # worded reasons, as written on thesis 1.0.1 and v1 cases
    no_fda = {"regulatory": {"fda_ind": "none"}}
    cases = {
        "open": make_case({"competition": {"best_in_class": DELETE, "first_in_class": False}}
                          | no_fda),
        "watch": make_case({"competition": {"first_in_class": False, "best_in_class": False},
                            "stage": "phase1"} | no_fda),
        "advance": make_case(),
    }  # fmt: skip
    rows = {k: pipeline.row_for(rs, load_case(write_yaml(tmp_path / f"{k}.yaml", c, v2=False)))
            for k, c in cases.items()}  # fmt: skip
    open_ = rows["open"]
    assert open_.decision == "insufficient_information"
    assert open_.top_reason == (
        "open for International competitiveness: whether the asset has best-in-class potential"
    )
    assert open_.top_reason_ids == (
        "asset.competition.best_in_class",
        "criteria.global_competitiveness",
    )
    assert rows["advance"].top_reason.startswith("strongest: ")
    assert rows["watch"].decision == "watch"
    assert rows["watch"].top_reason.startswith("held back by: ")
    for row in rows.values():
        assert "asset." not in row.top_reason and "criteria." not in row.top_reason
        assert "gates." not in row.top_reason
        for c in rs.criteria:  # band ids such as comp.first_in_class stay in the ids
            for band in c.bands or []:
                assert band.id not in row.top_reason
    assert any("." in i for i in rows["advance"].top_reason_ids)
    out = tmp_path / "p.csv"
    rules = str(ROOT / "tests" / "fixtures" / "thesis-1.0.1.yaml")
    assert run_cli("rank", str(tmp_path), "-o", str(out), "--rules", rules).returncode == 0
    table = read_csv(out)
    ids = {r[1]: r[table[0].index("top_reason_ids")] for r in table[1:]}
    assert "asset.competition.best_in_class criteria.global_competitiveness" in ids.values()


# --------------------------------------------------------------------------- rank command


def test_rank_csv_one_row_per_bundled_case_in_decision_then_score_order(tmp_path: Path) -> None:
    out = tmp_path / "pipeline.csv"
    proc = run_cli("rank", str(CASES), "--format", "csv", "-o", str(out))
    assert proc.returncode == 0, proc.stderr
    rows = read_csv(out)
    ids = [c.id for c in thesis_ruleset().criteria]
    assert rows[0] == [
        "rank", "company", "case_id", "decision", "score", "score_low", "score_high", *ids,
        "lead_asset", "lead_asset_name", "stage", "therapeutic_area", "indication", "unknowns",
        "top_reason", "top_reason_ids", "failed_gates", "as_of", "analyst", "file",
        "revisit", "revisit_when",
    ]  # fmt: skip
    body = rows[1:]
    bundled = sorted(CASES.glob("*.yaml"))
    assert len(body) == len(bundled)
    head = rows[0]
    keys = [
        (DECISIONS.index(r[head.index("decision")]), -float(r[head.index("score")])) for r in body
    ]
    assert keys == sorted(keys)
    assert [r[0] for r in body] == [str(i) for i in range(1, len(body) + 1)]
    # the same order as `dealscreen score` (report.rank over the full result documents)
    from screen.report.console import rank

    expected = [r["case"]["path"] for r in rank(full_results(bundled))]
    assert [Path(r[head.index("file")]).name for r in body] == [Path(p).name for p in expected]
    for r in body:  # ISO dates, plain numbers
        as_of = r[head.index("as_of")]
        assert not as_of or (len(as_of) == 10 and as_of[4] == "-" and as_of[7] == "-")
        float(r[head.index("score")])


def test_csv_is_utf8_without_bom_unless_asked(tmp_path: Path) -> None:
    plain, bom = tmp_path / "a.csv", tmp_path / "b.csv"
    assert run_cli("rank", str(CASES), "-o", str(plain)).returncode == 0  # format from suffix
    assert run_cli("rank", str(CASES), "-o", str(bom), "--bom").returncode == 0
    assert plain.read_bytes().startswith(b"rank,company,")
    assert bom.read_bytes() == b"\xef\xbb\xbf" + plain.read_bytes()
    assert b"\r\n" in plain.read_bytes()


def test_csv_text_that_excel_would_run_as_formula_is_neutralised(tmp_path: Path) -> None:
    write_yaml(tmp_path / "c" / "x.yaml", make_case(company={"name": '=HYPERLINK("http://x")'}))
    out = tmp_path / "p.csv"
    assert run_cli("rank", str(tmp_path / "c"), "-o", str(out)).returncode == 0
    assert read_csv(out)[1][1] == '\'=HYPERLINK("http://x")'


def test_broken_case_is_reported_and_the_others_still_ranked(tmp_path: Path) -> None:
    folder = tmp_path / "cases"
    shutil.copytree(CASES, folder)
    (folder / "broken.yaml").write_text(
        "company:\n  name: Broken Bio\nassets:\n  - id: B1\n    name: B\n    stage: phase9\n",
        encoding="utf-8",
    )
    out = tmp_path / "pipeline.csv"
    proc = run_cli("rank", str(folder), "--format", "csv", "-o", str(out))
    assert proc.returncode == 2
    assert "broken.yaml:6:" in proc.stderr and "unknown stage 'phase9'" in proc.stderr
    total = len(list(CASES.glob("*.yaml"))) + 1
    assert f"1 of {total} case file(s) could not be loaded" in proc.stderr
    assert len(read_csv(out)) == 1 + len(list(CASES.glob("*.yaml")))


def test_filters_on_decision_stage_and_area(tmp_path: Path) -> None:
    def companies(*filters: str) -> list[dict[str, Any]]:
        args = [a for f in filters for a in ("--filter", f)]
        proc = run_cli("rank", str(CASES), "--format", "json", *args)
        assert proc.returncode == 0, proc.stderr
        return json.loads(proc.stdout)["rows"]

    everything = companies()
    advance = companies("decision=advance,watch")
    assert advance and {r["decision"] for r in advance} <= {"advance", "watch"}
    assert len(advance) == sum(r["decision"] in ("advance", "watch") for r in everything)
    late = companies("stage>=phase2")
    assert late and all(r["stage"] in ("phase2", "phase3", "filed", "approved") for r in late)
    onc = companies("area=oncology", "decision=advance")
    assert all(r["therapeutic_area"] == "oncology" and r["decision"] == "advance" for r in onc)
    assert [r["rank"] for r in late] == list(range(1, len(late) + 1))


def test_bad_filter_is_a_usage_error_with_a_hint() -> None:
    proc = run_cli("rank", str(CASES), "--filter", "stag=phase2")
    assert proc.returncode == 2
    assert "did you mean 'stage'?" in proc.stderr
    proc = run_cli("rank", str(CASES), "--filter", "decision=advanse")
    assert proc.returncode == 2 and "did you mean 'advance'?" in proc.stderr


def test_json_rows_carry_ruleset_and_file_hashes() -> None:
    proc = run_cli("rank", str(CASES), "--format", "json")
    doc = json.loads(proc.stdout)
    assert doc["ruleset"]["sha256"] == thesis_ruleset().sha256
    assert [c["id"] for c in doc["criteria"]] == [c.id for c in thesis_ruleset().criteria]
    assert all(len(r["file"]["sha256"]) == 64 for r in doc["rows"])
    assert doc["failed"] == []


def test_no_progress_output_when_stderr_is_not_a_terminal(tmp_path: Path) -> None:
    write_cases(tmp_path / "c", variant_cases(40))
    proc = run_cli("rank", str(tmp_path / "c"), "--format", "csv", "-j", "1")
    assert proc.returncode == 0 and proc.stderr == ""


# --------------------------------------------------------------------------- processes


def test_parallel_rows_equal_serial_rows(tmp_path: Path) -> None:
    from screen.engine.loader import expand_case_paths
    from screen.pipeline import rank as pipeline

    folder = tmp_path / "c"
    write_cases(folder, variant_cases(130))
    (folder / "co-050.yaml").write_text("company: [\n", encoding="utf-8")  # one broken file
    paths = expand_case_paths([str(folder)])
    rs = thesis_ruleset()
    serial = list(pipeline.evaluate_files(rs, paths, jobs=1))
    parallel = list(pipeline.evaluate_files(rs, paths, jobs=2))
    assert parallel == serial
    assert sum(isinstance(x, pipeline.Failure) for x in serial) == 1


def test_parallel_cli_output_is_byte_identical(tmp_path: Path) -> None:
    write_cases(tmp_path / "c", variant_cases(120))
    outs = []
    for jobs in ("1", "2"):
        out = tmp_path / f"p{jobs}.csv"
        proc = run_cli("rank", str(tmp_path / "c"), "-o", str(out), "-j", jobs)
        assert proc.returncode == 0, proc.stderr
        outs.append(out.read_bytes())
    assert outs[0] == outs[1]


def test_cli_imports_only_click_at_startup() -> None:
    # screen.cli.app registers every command module, as `dealscreen --help` does
    code = (
        "import sys, screen.cli.app; "
        "print(sorted(m for m in ('pydantic', 'yaml', 'jinja2', 'networkx') if m in sys.modules))"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert proc.stdout.strip() == "[]"


# --------------------------------------------------------------------------- HTML page


def test_html_page_is_self_contained_escaped_and_links_memos(tmp_path: Path) -> None:
    folder = tmp_path / "c"
    write_yaml(
        folder / "evil.yaml", make_case(id="evil", company={"name": "<script>alert(1)</script>"})
    )
    write_cases(folder, variant_cases(5))
    site = tmp_path / "site"
    site.mkdir()
    (site / "evil.html").write_text("<p>memo</p>", encoding="utf-8")
    out = site / "pipeline.html"
    proc = run_cli("rank", str(folder), "-o", str(out))
    assert proc.returncode == 0, proc.stderr
    page = out.read_text(encoding="utf-8")
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)" in page
    assert "<svg" in page and page.count('class="bar"') == 6
    assert 'href="evil.html"' in page
    for marker in ("http://", "https://", "src=", "@import", "<link"):
        assert marker not in page.replace('xmlns="http://www.w3.org/2000/svg"', "")
    memos = tmp_path / "memos"
    memos.mkdir()
    (memos / "co-001.md").write_text("# memo", encoding="utf-8")
    proc = run_cli("rank", str(folder), "-o", str(out), "--memos", str(memos))
    assert 'href="../memos/co-001.md"' in out.read_text(encoding="utf-8")


@pytest.mark.parametrize("fmt", ["table", "csv", "json", "html"])
def test_every_format_is_deterministic(fmt: str, tmp_path: Path) -> None:
    a = run_cli("rank", str(CASES), "--format", fmt)
    b = run_cli("rank", str(CASES), "--format", fmt)
    assert a.returncode == 0 and a.stdout == b.stdout


def test_missing_memo_folder_is_warned_about_and_the_page_still_written(tmp_path: Path) -> None:
    folder = tmp_path / "c"
    write_yaml(folder / "a.yaml", make_case())
    out = tmp_path / "p.html"
    proc = run_cli("rank", str(folder), "-o", str(out), "--memos", str(tmp_path / "nope"))
    assert proc.returncode == 0
    assert "warning: --memos" in proc.stderr and "not a folder" in proc.stderr
    assert "<table" in out.read_text(encoding="utf-8")
    memos = tmp_path / "memos"
    memos.mkdir()
    proc = run_cli("rank", str(folder), "-o", str(out), "--memos", str(memos))
    assert proc.returncode == 0 and "warning" not in proc.stderr  # an empty folder is not a mistake
    proc = run_cli("rank", str(folder), "--format", "csv", "--memos", str(memos))
    assert "only by the HTML page" in proc.stderr


def test_page_labels_thresholds_and_explains_criteria_and_colours(tmp_path: Path) -> None:
    from screen.engine.loader import load_case
    from screen.pipeline import page as pipeline_html
    from screen.pipeline import rank as pipeline

    rs = thesis_ruleset()
    rows = [pipeline.row_for(rs, load_case(p)) for p in write_cases(tmp_path, variant_cases(4))]
    page = pipeline_html.render(rs, pipeline.rank(rows))
    watch, advance = rs.decision.watch, rs.decision.advance
    assert f'fill="#b00020">watch {watch:g}</text>' in page
    assert f'fill="#b00020">advance {advance:g}</text>' in page
    legend = page[page.index('id="criteria-legend"') :]
    legend = legend[: legend.index("</p>")]
    for c, color in zip(rs.criteria, pipeline_html.PALETTE, strict=False):
        assert c.name in legend and color in legend
    assert "decision thresholds" in page and "range the unknowns still allow" in page


def test_scores_show_two_decimals_for_people_and_four_in_csv_and_json(tmp_path: Path) -> None:
    """A score of 3.925 (third decimal) reads 3.92 in the table and page, 3.925 in CSV/JSON."""
    from screen.engine.loader import load_case
    from screen.pipeline import rank as pipeline
    from screen.pipeline.report import to_table

    case = make_case(
        {"stage": "phase1_2", "competition": {"first_in_class": False}},
        company={"overseas_capability": "own"},
    )
    path = write_yaml(tmp_path / "c" / "x.yaml", case)
    row = pipeline.row_for(thesis_ruleset(), load_case(path))
    assert round(row.score, 2) != row.score, row.score  # the case needs a third decimal
    shown = display(row.score)
    assert shown in to_table(thesis_ruleset(), [row])
    assert f"{row.score:g}" not in to_table(thesis_ruleset(), [row]).split("criteria (")[0]
    html = run_cli("rank", str(tmp_path / "c"), "--format", "html").stdout
    assert f">{shown}<" in html
    doc = json.loads(run_cli("rank", str(tmp_path / "c"), "--format", "json").stdout)
    assert doc["rows"][0]["score"] == row.score


def test_a_long_top_reason_stays_a_few_lines() -> None:
    """A question that lists its answers after a colon stops at the colon; of the criteria it
    leaves open, the first is named and the rest counted."""
    from screen.pipeline.rank import _first_sentence

    long_q = (
        "How will a US filing for X show that its data apply to US patients and US practice: "
        "a multiregional trial with US sites, a bridging study, or China data alone?"
    )
    assert _first_sentence(long_q) == (
        "How will a US filing for X show that its data apply to US patients and US practice?"
    )
    assert _first_sentence("Is it core? Or not.") == "Is it core?"
    assert _first_sentence("Which territory: China?") == "Which territory: China?"  # short
