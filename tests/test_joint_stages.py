"""Regional stages of a case that does not state them are enumerated jointly and exactly.

`joint.stage_group` must give exactly the value combinations some development block could
give, consistent with what the case does state (the asset's most advanced `stage`, approvals):
checked against brute force over every assignment of the five regions (9^5), and through the
engine on a rule set that reads the US and ex-China stages.
"""

from __future__ import annotations

import itertools
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from helpers import DELETE, evaluate, make_case
from screen.engine.joint import (
    CHINA,
    EX_CHINA,
    EX_CHINA_REGIONS,
    MOST_ADVANCED,
    REGIONS,
    stage_group,
)
from screen.engine.loader import load_ruleset
from screen.lang.unknown import UNKNOWN
from screen.model.case import Case
from screen.model.vocab import ASSET_STAGES, Stage

ALL = list(Stage)


def _brute(keys, fixed, stage):
    found = set()
    for combo in itertools.product(ALL, repeat=len(REGIONS)):
        values = dict(zip(REGIONS, combo, strict=True))
        if any(values[k] != v for k, v in fixed.items() if k in values):
            continue
        exc = max(values[k] for k in EX_CHINA_REGIONS)
        top = max(combo)
        if EX_CHINA in fixed and fixed[EX_CHINA] != exc:
            continue
        if stage is not None and top != stage:
            continue
        if MOST_ADVANCED in keys and top is Stage.none:
            continue
        values.update({EX_CHINA: exc, MOST_ADVANCED: top})
        found.add(tuple(values[k] for k in keys))
    return sorted(found)


class _Asset:
    def __init__(self, stage):
        self.stage = stage


@settings(max_examples=12, deadline=None)
@given(
    keys=st.sets(st.sampled_from([*REGIONS, EX_CHINA, MOST_ADVANCED]), min_size=1, max_size=3),
    stage=st.one_of(st.none(), st.sampled_from(ASSET_STAGES)),
    us_approved=st.booleans(),
)
def test_joint_values_are_exactly_the_consistent_projections(keys, stage, us_approved):
    keys = sorted(keys)
    fixed = {}
    if us_approved and "asset.stage_us" not in keys:  # an FDA approval fixes two facts
        fixed = {"asset.stage_us": Stage.approved, EX_CHINA: Stage.approved}
        if stage is not None and stage is not Stage.approved:
            stage = Stage.approved
        if EX_CHINA in keys:
            keys.remove(EX_CHINA)
            if not keys:
                return
    if MOST_ADVANCED in keys and stage is not None:
        keys.remove(MOST_ADVANCED)  # a known stage is not an open fact
        if not keys:
            return
    base = {k: UNKNOWN for k in keys} | fixed
    group = stage_group(keys, base, _Asset(stage))
    if not any(k in keys for k in (*REGIONS, EX_CHINA)):
        assert group is None
        return
    assert group is not None
    assert list(group[0]) == keys
    assert group[1] == _brute(keys, fixed, stage)


RULES = """
ruleset: {name: joint, version: "1"}
criteria:
  - id: us
    weight: 0.5
    bands:
      - {id: us.late, when: "asset.stage_us >= 'phase2'", score: 5, rationale: "T8"}
      - {id: us.other, when: "true", score: 1, rationale: "T8"}
  - id: exc
    weight: 0.5
    bands:
      - {id: exc.any, when: "asset.stage_ex_china >= 'phase1'", score: 5, rationale: "T8"}
      - {id: exc.none, when: "true", score: 1, rationale: "T8"}
decision: {advance: 4, watch: 2.5, weights_sum: 1}
"""


def test_a_v1_stage_bounds_what_its_regional_stages_can_reach(tmp_path: Path) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text(RULES)
    rs = load_ruleset(path)
    early = evaluate(make_case({"stage": "phase1"}), rs, v2=False)
    # US phase 2 or later is impossible when the most advanced stage anywhere is phase 1
    us = next(c for c in early["criteria"] if c["id"] == "us")
    assert us["score"] == 1 or us.get("possible") == [1], us
    assert early["score_range"] == [1, 3] and not early.get("approximate")
    late = evaluate(make_case({"stage": "phase3"}), rs, v2=False)
    assert late["score_range"] == [1, 5]
    known = evaluate(make_case({"stage": DELETE, "development": {"us": {"stage": "phase2"}}}), rs)
    assert known["score"] == 5 and known["decision"] == "advance"
    assert Case.model_validate(make_case({"stage": "phase1"})).assets[0].stage_us is None
    assert CHINA in REGIONS
