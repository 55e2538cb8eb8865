"""Joint values of facts derived from one part of a case: the regional stages.

`asset.stage_us`, `asset.stage_ex_china`, `asset.stage_china` and `asset.stage` all come from one
statement (the `development` block, or for a v1 case the single most-advanced `stage`). When the
case does not state them, enumerating each on its own tries impossible cases (ex-China `none`
with a US phase 3; every region below the asset's known most-advanced stage) and blows the
combination budget (9 values each). So the reachable-outcome search (`reach.py`) enumerates them
together: only the combinations some development block could give, consistent with what is
known (the asset's `stage`, an approval that fixes a region).

Unread regions are existential: they only matter through the maxima (`stage_ex_china`, `stage`),
so they are never enumerated themselves.
"""

from __future__ import annotations

import functools
import itertools
import math
from typing import Any

from screen.lang.unknown import UNKNOWN
from screen.model.case import Asset
from screen.model.vocab import DevelopmentRegion, Stage

REGIONS = [f"asset.stage_{r.value}" for r in DevelopmentRegion]
CHINA = "asset.stage_china"
EX_CHINA_REGIONS = [k for k in REGIONS if k != CHINA]
EX_CHINA = "asset.stage_ex_china"
MOST_ADVANCED = "asset.stage"
GROUP = frozenset([*REGIONS, EX_CHINA, MOST_ADVANCED])
MAX_WORK = 60_000  # candidate combinations examined; above it the facts stay independent
ALL = list(Stage)
ASSET_ONLY = [s for s in Stage if s is not Stage.none]


def stage_group(
    open_facts: list[str], base: dict[str, Any], asset: Asset
) -> tuple[tuple[str, ...], list[tuple[Any, ...]]] | None:
    """(keys, consistent value tuples) for the open regional-stage facts, or None.

    `open_facts` are the unknown facts the search enumerates; `base` holds the known ones, the
    most advanced stage too (an answered one, in a trial: the case's own may be unknown)."""
    keys = tuple(sorted(f for f in open_facts if f in GROUP))
    if not any(k in keys for k in (*REGIONS, EX_CHINA)):
        return None  # asset.stage alone: its own domain is exact
    fixed = tuple((k, base[k]) for k in REGIONS if k not in keys and _known(base.get(k, UNKNOWN)))
    exc_fixed = base.get(EX_CHINA, UNKNOWN) if EX_CHINA not in keys else UNKNOWN
    stage = base.get(MOST_ADVANCED, UNKNOWN) if MOST_ADVANCED not in keys else UNKNOWN
    values = _consistent(keys, fixed, exc_fixed, stage if _known(stage) else asset.stage)
    return None if values is None else (keys, list(values))


@functools.lru_cache(maxsize=4096)
def _consistent(
    keys: tuple[str, ...],
    fixed_items: tuple[tuple[str, Any], ...],
    exc_fixed: Any,
    stage: Stage | None,
) -> tuple[tuple[Any, ...], ...] | None:
    """The consistent value tuples of `keys`, given the known regional stages (`fixed_items`),
    the known ex-China stage and the asset's most advanced stage. Pure in its arguments, so
    cached: the question ranking asks it once per regional fact and prior, for every asset."""
    fixed = dict(fixed_items)
    read_regions = [k for k in REGIONS if k in keys]
    free_ex = [k for k in EX_CHINA_REGIONS if k not in keys and k not in fixed]
    china_free = CHINA not in keys and CHINA not in fixed
    work = 9 ** len(read_regions) * 9 * 9
    if work > MAX_WORK:
        return None
    found: set[tuple[Any, ...]] = set()
    for combo in itertools.product(*([ALL] * len(read_regions))):
        values = dict(fixed)
        values.update(zip(read_regions, combo, strict=True))
        m_ex = max((values[k] for k in EX_CHINA_REGIONS if k in values), default=Stage.none)
        if _known(exc_fixed):
            ex_options = [exc_fixed] if exc_fixed >= m_ex and (free_ex or exc_fixed == m_ex) else []
        else:
            ex_options = [e for e in ALL if e >= m_ex] if free_ex else [m_ex]
        china_options = ALL if china_free else [values[CHINA]]
        for e in ex_options:
            for c in china_options:
                top = max(c, e)
                if stage is not None and top != stage:
                    continue
                if MOST_ADVANCED in keys and top is Stage.none:
                    continue  # no development anywhere: the asset's own stage stays unknown
                row = {**values, EX_CHINA: e, MOST_ADVANCED: top}
                found.add(tuple(row[k] for k in keys))
    return tuple(sorted(found))


def _known(value: Any) -> bool:
    return value is not UNKNOWN and value is not None


def combinations(groups: list[tuple[tuple[str, ...], list[tuple[Any, ...]]]]) -> int:
    return math.prod(len(d) for _, d in groups)
