"""The bundled example cases in cases/: they load cleanly, show schema v2, and keep old results.

cases/ is what a new user runs first, so every file must load without an error or a warning,
and together they must show each part of case schema v2 (a regional stage ahead in China, a
readout against a comparator, an option deal, a month-only date, a safety stop, a short
runway). The v1 originals of the eleven older cases are kept in tests/fixtures/cases-v1 with
their thesis 1.0 results as goldens; the v2 facts added to cases/ are facts thesis 1.0 never
reads, so under thesis 1.0.1 each enriched case must still give its golden result.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from helpers import THESIS_1_0 as OLD_THESIS
from helpers import run_cli
from screen.engine.loader import load_case
from screen.model import vocab

ROOT = Path(__file__).resolve().parent.parent
CASES = sorted((ROOT / "cases").glob("*.yaml"))
GOLDEN = ROOT / "tests" / "golden" / "thesis-1.0"


def _comparable(text: str) -> list[dict]:
    """A result list without what differs by file, not by content: engine version, path, hash."""
    results = json.loads(text)
    for result in results:
        result.pop("engine", None)
        result["case"].pop("path", None)
        result["case"].pop("sha256", None)
    return results


@pytest.mark.parametrize("path", CASES, ids=lambda p: p.stem)
def test_every_bundled_case_loads_without_error_or_warning(path: Path) -> None:
    proc = run_cli("score", str(path), "--format", "json", cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""


def _as_in_golden(result: dict, golden: dict) -> dict:
    """The result cut down to the golden's keys: a v2 case may add facts to a result (an
    asset's regional `stages`), never change one the v1 result had."""
    kept = {k: result.get(k) for k in golden}
    pairs = zip(result["assets"], golden["assets"], strict=True)
    kept["assets"] = [{k: asset.get(k) for k in old} for asset, old in pairs]
    return kept


@pytest.mark.parametrize("golden", sorted(GOLDEN.glob("*.json")), ids=lambda p: p.stem)
def test_enriched_case_keeps_its_thesis_1_0_result(golden: Path) -> None:
    case = ROOT / "cases" / f"{golden.stem}.yaml"
    out = run_cli("score", str(case), "--rules", str(OLD_THESIS), "--format", "json", cwd=ROOT)
    assert out.returncode == 0, out.stderr
    (new,), (old,) = _comparable(out.stdout), _comparable(golden.read_text())
    assert len(new["assets"]) == len(old["assets"])
    assert _as_in_golden(new, old) == old


def _assets():
    for path in CASES:
        case = load_case(path).case
        for asset in case.assets:
            yield path.stem, case, asset


def _deals(asset):
    return list(asset.bd.deals or []) if asset.bd else []


def test_bundled_cases_show_an_asset_approved_in_china_and_in_phase_1_in_the_us() -> None:
    found = [
        name
        for name, _, asset in _assets()
        if asset.development
        and asset.development.china
        and asset.development.china.stage == vocab.Stage.approved
        and any(a.agency == vocab.Agency.nmpa for a in asset.development.china.approvals or [])
        and asset.development.us
        and asset.development.us.stage == vocab.Stage.phase1
    ]
    assert len(found) >= 2, found


def test_bundled_cases_show_readouts_with_a_strong_and_a_small_effect_vs_standard_of_care() -> None:
    deltas = []
    for name, _, asset in _assets():
        for trial in asset.trials or []:
            for readout in trial.readouts:
                comp = readout.comparator
                if (
                    readout.value is not None
                    and not isinstance(comp, str)
                    and comp is not None
                    and comp.kind == "standard_of_care"
                    and comp.value is not None
                    and comp.n is not None
                    and str(readout.kind) == "orr"
                ):
                    deltas.append((readout.value.value - comp.value.value, name))
    assert max(deltas)[0] >= 0.10, deltas  # a clear edge (longmen-biologics)
    assert min(deltas)[0] <= 0.05, deltas  # looks like the standard of care (mingsha-bio)


def test_bundled_cases_show_an_option_deal_over_two_assets_in_named_countries() -> None:
    options = [
        (name, deal)
        for name, _, asset in _assets()
        for deal in _deals(asset)
        if str(deal.deal_model) == "option"
    ]
    assert options
    name, deal = options[0]
    assert deal.countries and deal.assets and deal.licensee_kind is not None, name
    for term in ("upfront_usd_m", "near_term_usd_m", "milestones_usd_m"):
        assert getattr(deal, term) is not None, (name, term)
    assert deal.royalty_low.value < deal.royalty_high.value
    assert getattr(deal.date, "precision", None) == "month"


def test_bundled_cases_show_a_safety_stop_and_a_short_runway() -> None:
    stopped = [n for n, _, a in _assets() if a.safety and a.safety.stopped_for_safety]
    runway = {
        n
        for n, case, _ in _assets()
        if case.company.cash_runway_months and case.company.cash_runway_months.value < 12
    }
    assert stopped and runway
    compared = [
        n
        for n, _, a in _assets()
        if a.safety and a.safety.grade3_ae_rate and a.safety.comparator_grade3_ae_rate
    ]
    assert len(compared) >= 2, compared


def test_new_bundled_cases_say_they_are_fictional_and_cite_sources() -> None:
    for path in CASES:
        text = path.read_text()
        assert text.startswith("# Fictional case for illustration."), path.name
        case = load_case(path).case
        assert all(s.url or s.document for s in case.sources), path.name


@pytest.mark.parametrize(
    ("old", "new", "moved"),
    [
        ("thesis-1.1.0.yaml", "thesis-1.2.0.yaml", "7 of 16 case(s) change; 0 change decision"),
        ("thesis-1.2.0.yaml", "thesis-1.3.0.yaml", "1 of 16 case(s) change; 0 change decision"),
        ("thesis-1.3.0.yaml", "thesis-1.4.0.yaml", "2 of 16 case(s) change; 0 change decision"),
        ("thesis-1.4.0.yaml", "thesis-1.5.0.yaml", "6 of 16 case(s) change; 2 change decision"),
        ("thesis-1.5.0.yaml", "thesis-1.6.0.yaml", "0 of 16 case(s) change; 0 change decision"),
        ("thesis-1.6.0.yaml", "rules/", "0 of 16 case(s) change; 0 change decision"),
    ],
)
def test_thesis_bumps_move_the_bundled_cases_as_the_readme_says(
    old: str, new: str, moved: str
) -> None:
    """The README's claims about the thesis bumps (1.1 -> ... -> 1.7), from the
    kept fixtures (read with today's case model: 1.2.0 sees no relative gain on a change from
    baseline)."""
    fixtures = ROOT / "tests" / "fixtures"
    new_path = new if new == "rules/" else str(fixtures / new)
    out = run_cli("diff", "--old", str(fixtures / old), "--new", new_path, "cases/", cwd=ROOT)
    assert out.returncode == 0, out.stderr
    assert f"biotech-product-thesis {old[7:-5]}" in out.stdout
    assert moved in out.stdout
