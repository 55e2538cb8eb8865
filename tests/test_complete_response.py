"""FDA complete response letters on a US filing (`regulatory.complete_response_letters`,
thesis 1.7). A filing had read as a filing whatever the FDA answered: sintilimab's letter
(March 2022) asked for a new multiregional trial, toripalimab's (May 2022) for a fixed quality
process; both had scored as a pending US filing with a filing's likelihood of approval."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers import DELETE, criterion, evaluate, make_case, run_cli, write_yaml
from screen.model.case import Asset
from screen.model.vocab import CrlReason, FdaResponse
from test_memo_wording import memo_for


def _filed(letters: Any = None, **regulatory: Any) -> dict[str, Any]:
    """The base asset with its US application filed (approved in China), and the letters."""
    reg: dict[str, Any] = {"fda_ind": "cleared", **regulatory}
    if letters is not None:
        reg["complete_response_letters"] = letters
    return make_case(
        {
            "stage": DELETE,  # derived from the regional stages
            "development": {"china": {"stage": "approved"}, "us": {"stage": "filed"}},
            "regulatory": reg,
        }
    )


def _asset(result: dict[str, Any]) -> dict[str, Any]:
    return result["assets"][0]


def test_an_unanswered_question_is_asked_not_read_as_no_letter() -> None:
    """Missing data is not false: a filing that states no letters has the FDA's answer open,
    and the two readings it allows (a filing; a phase 3 to run) stay apart."""
    result = evaluate(_filed())
    asset = _asset(result)
    assert "asset.fda_complete_response" in [u["fact"] for u in asset["unknowns"]]
    assert criterion(result, "us_path")["score"] is None
    assert set(criterion(result, "us_path")["possible"]) >= {2, 3.5, 4.5}
    stated = evaluate(_filed([]))
    assert "asset.fda_complete_response" not in [u["fact"] for u in _asset(stated)["unknowns"]]
    assert criterion(stated, "us_path")["score"] == 4.5


@pytest.mark.parametrize(
    ("reason", "us_path", "deal_stage_risk"),
    [
        ("clinical", 2, 4),  # a phase 3 still to run: oncology's phase 3 likelihood
        ("data_applicability", 2, 4),
        ("cmc", 3.5, 5),  # approvable on its data: the filing's likelihood stands
        ("other", 3.5, 5),
    ],
)
def test_the_letter_decides_the_us_path_and_the_stage_a_deal_is_priced_at(
    reason: str, us_path: float, deal_stage_risk: float
) -> None:
    result = evaluate(_filed([{"reason": reason, "date": "2022-05"}]))
    assert criterion(result, "us_path")["score"] == us_path
    assert criterion(result, "development_risk")["score"] == deal_stage_risk
    no_letter = evaluate(_filed([]))
    assert result["score"] < no_letter["score"]  # a letter never helps


def test_the_latest_letter_is_the_fdas_answer() -> None:
    letters = [
        {"reason": "clinical", "date": "2019-06", "resubmitted": "2023-01"},
        {"reason": "cmc", "date": "2023-07"},
    ]
    asset = Asset.model_validate({"id": "A", "name": "A", "regulatory": {
        "complete_response_letters": letters}})  # fmt: skip
    assert asset.fda_complete_response is FdaResponse.cmc
    assert Asset.model_validate({"id": "A", "name": "A"}).fda_complete_response is None
    none = Asset.model_validate(
        {"id": "A", "name": "A", "regulatory": {"complete_response_letters": []}}
    )
    assert none.fda_complete_response is FdaResponse.none


_LETTER = st.fixed_dictionaries({"reason": st.sampled_from([r.value for r in CrlReason])})


@settings(max_examples=60, deadline=None)
@given(st.lists(_LETTER, min_size=1, max_size=4))
def test_no_letter_scores_above_a_filing_the_fda_refused(letters: list[dict[str, Any]]) -> None:
    """Monotonic: whatever letters the FDA sent, the filing scores at most what it scores
    without any, and a filing later approved reads none of them."""
    refused = evaluate(_filed(letters))
    assert refused["score"] <= evaluate(_filed([]))["score"]
    approved = make_case(
        {
            "stage": "approved",
            "development": {"us": {"stage": "approved"}},
            "regulatory": {"approvals": [{"agency": "fda"}], "complete_response_letters": letters},
        }
    )
    assert criterion(evaluate(approved), "us_path")["score"] == 5


def test_letters_out_of_order_or_a_resubmission_before_its_letter_are_errors(
    tmp_path: Path,
) -> None:
    backwards = _filed([{"reason": "cmc", "date": "2024-05"}, {"reason": "cmc", "date": "2022-05"}])
    out = run_cli("score", str(write_yaml(tmp_path / "a.yaml", backwards)))
    assert out.returncode == 2
    assert "complete_response_letters" in out.stderr and "oldest first" in out.stderr
    assert "Traceback" not in out.stderr
    early = _filed([{"reason": "cmc", "date": "2024-05", "resubmitted": "2024-01"}])
    out = run_cli("score", str(write_yaml(tmp_path / "b.yaml", early)))
    assert out.returncode == 2 and "is before the letter's date" in out.stderr
    typo = _filed([{"reason": "manufacturing"}])
    out = run_cli("score", str(write_yaml(tmp_path / "c.yaml", typo)))
    assert out.returncode == 2
    assert "reason: 'manufacturing' is not one of: clinical, data_applicability, cmc" in out.stderr
    derived = make_case({"fda_complete_response": "none"})
    out = run_cli("score", str(write_yaml(tmp_path / "d.yaml", derived)))
    assert out.returncode == 2 and "regulatory.complete_response_letters" in out.stderr


def test_the_memo_states_the_letter_reads_it_and_lists_it_as_a_risk(tmp_path: Path) -> None:
    letters = [{"reason": "cmc", "date": "2022-05", "resubmitted": "2022-10", "source": "deck"}]
    _, md, _ = memo_for(tmp_path, _filed(letters))
    assert "FDA complete response letter: 2022-05 (manufacturing or inspection findings; " \
        "resubmitted 2022-10; source: Company deck)" in md  # fmt: skip
    assert "TST-101 FDA complete response letter (2022-05)" in md  # the source list says so
    assert "complete response letter on manufacturing" in md  # the T8 reading
    assert "asks for manufacturing or inspection fixes; resubmitted 2022-10" in md  # a risk
    _, md, _ = memo_for(tmp_path, _filed([{"reason": "data_applicability", "date": "2022-03"}]))
    assert "asking for new clinical evidence" in md
    # the data reading follows the letter, not the trial regions alone
    assert "come from global trials, but the FDA's complete response letter found them" in md
    assert "the strongest basis for an FDA path" not in md
    _, md, _ = memo_for(tmp_path, _filed())
    assert "has the FDA answered it with a complete response letter" in md  # a question
