"""Development status by region: an NMPA approval is not an FDA one.

An asset has one `stage` in a v1 case: the most advanced anywhere. For a Chinese biotech the
China stage is often far ahead of the US one (approved in China, phase 1 in the US), and a US or
global deal is priced on the US stage (T6, T8). Case schema v2 states the stage per regulator's
region; rules read `asset.stage_us`, `asset.stage_ex_china` and the like, derived here when the
case loads.

A `development` block is a complete statement, like a list of competitors: a region it does not
name is not in development there (`none`). A region named without a stage (`us: {note: "IND
filed, no trial seen"}`, or a bare `us:`) is unknown there: real data are region-specific, and
what is known of China must not be lost because the US stage is not. Without the block,
regional stages are unknown, except what an approval in `regulatory.approvals` proves (an FDA
approval means the US stage is `approved`), which also settles a region named without a stage.
"""

from __future__ import annotations

from collections.abc import Iterable

from pydantic import Field

from screen.model import vocab
from screen.model.base import Model, RegionalStageField
from screen.model.dates import CaseDateField

Stage = vocab.Stage
Region = vocab.DevelopmentRegion

# The agency whose approval proves the `approved` stage of a region.
AGENCY_REGION: dict[vocab.Agency, Region] = {
    vocab.Agency.nmpa: Region.china,
    vocab.Agency.fda: Region.us,
    vocab.Agency.ema: Region.eu,
    vocab.Agency.pmda: Region.japan,
}
EX_CHINA_AGENCIES = frozenset(
    {vocab.Agency.fda, vocab.Agency.ema, vocab.Agency.pmda, vocab.Agency.mhra, vocab.Agency.hsa}
)
Agencies = frozenset[vocab.Agency] | set[vocab.Agency]
# The approvals that settle a region of unknown stage (the UK's and Singapore's regulators
# approve for the rest of the world).
SETTLED_BY: dict[Region, frozenset[vocab.Agency]] = {
    **{region: frozenset({agency}) for agency, region in AGENCY_REGION.items()},
    Region.rest_of_world: frozenset({vocab.Agency.mhra, vocab.Agency.hsa}),
}


class RegionalApproval(Model):
    agency: vocab.Agency | None = Field(None, description="defaults to the region's regulator")
    date: CaseDateField | None = None
    indication: str | None = None


class RegionalStatus(Model):
    """Where the asset stands with one region's regulator."""

    stage: RegionalStageField | None = Field(
        None, description="stage in this region; 'none' = not here; left out = unknown"
    )
    approvals: list[RegionalApproval] | None = None
    source: str | None = Field(None, description="id of an entry in the case's sources list")
    status: vocab.FigureStatus | None = Field(None, description="how sure the stage is")
    as_of: CaseDateField | None = None
    note: str | None = None


class Development(Model):
    """Stage by region. Regions left out are not in development there."""

    china: RegionalStatus | None = Field(None, description="China (NMPA)")
    us: RegionalStatus | None = Field(None, description="United States (FDA)")
    eu: RegionalStatus | None = Field(None, description="European Union (EMA)")
    japan: RegionalStatus | None = Field(None, description="Japan (PMDA)")
    rest_of_world: RegionalStatus | None = Field(None, description="any other region")

    def named(self, region: Region | str) -> bool:
        """Whether the block names the region, with a status or empty (`us:` is null in YAML:
        written, not yet filled, so unknown there, as `us: {}` is; a region left out is not in
        development)."""
        name = getattr(region, "value", region)
        return getattr(self, name) is not None or name in self.model_fields_set

    def stage_in(self, region: Region, approved_by: Agencies = frozenset()) -> Stage | None:
        """The region's stage; None (unknown) for a region named without one, unless an
        approval proves it: one listed under the region, or by its regulator in
        `approved_by` (`regulatory.approvals`). A stated stage is never overridden: the block
        is the case's statement of where the asset stands."""
        status = getattr(self, region.value)
        if status is None and not self.named(region):
            return Stage.none
        if status is not None and status.stage is not None:
            return status.stage
        own = {a.agency for a in (status.approvals if status else None) or []}  # None: its own
        if (own | approved_by) & SETTLED_BY[region] or None in own:
            return Stage.approved
        return None


def highest(stages: Iterable[Stage | None]) -> Stage | None:
    """The maximum of stages some of which may be unknown (None): known only when all are, or
    when a known one is already the highest there is (`approved`)."""
    listed = list(stages)
    top = max((s for s in listed if s is not None), default=Stage.none)
    return top if top is Stage.approved or None not in listed else None


def regional_stages(
    development: Development | None, approved_by: set[vocab.Agency]
) -> dict[str, Stage | None]:
    """The read-only stage facts of an asset: `stage_<region>` and `stage_ex_china`.

    None is unknown. `approved_by` (agencies of `regulatory.approvals`) settles what it proves
    when there is no development block."""
    views: dict[str, Stage | None] = {}
    if development is not None:
        for region in Region:
            views[f"stage_{region.value}"] = development.stage_in(region, approved_by)
        views["stage_ex_china"] = highest(
            views[f"stage_{r.value}"] for r in Region if r != Region.china
        )
        return views
    for region in Region:
        views[f"stage_{region.value}"] = None
    for agency in approved_by:
        region = AGENCY_REGION.get(agency)
        if region is not None:
            views[f"stage_{region.value}"] = Stage.approved
    views["stage_ex_china"] = Stage.approved if approved_by & EX_CHINA_AGENCIES else None
    return views


REGIONAL_VIEWS = (*(f"stage_{r.value}" for r in Region), "stage_ex_china")
