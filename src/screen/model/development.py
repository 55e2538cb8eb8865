"""Development status by region: an NMPA approval is not an FDA one.

An asset has one `stage` in a v1 case: the most advanced anywhere. For a Chinese biotech the
China stage is often far ahead of the US one (approved in China, phase 1 in the US), and a US or
global deal is priced on the US stage (T6, T8). Case schema v2 states the stage per regulator's
region; rules read `asset.stage_us`, `asset.stage_ex_china` and the like, derived here when the
case loads.

A `development` block is a complete statement, like a list of competitors: a region it does not
name is not in development there (`none`). Without the block, regional stages are unknown, except
what an approval in `regulatory.approvals` proves (an FDA approval means the US stage is
`approved`).
"""

from __future__ import annotations

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


class RegionalApproval(Model):
    agency: vocab.Agency | None = Field(None, description="defaults to the region's regulator")
    date: CaseDateField | None = None
    indication: str | None = None


class RegionalStatus(Model):
    """Where the asset stands with one region's regulator."""

    stage: RegionalStageField = Field(description="stage in this region; 'none' = not here")
    approvals: list[RegionalApproval] | None = None
    source: str | None = Field(None, description="id of an entry in the case's sources list")
    as_of: CaseDateField | None = None
    note: str | None = None


class Development(Model):
    """Stage by region. Regions left out are not in development there."""

    china: RegionalStatus | None = Field(None, description="China (NMPA)")
    us: RegionalStatus | None = Field(None, description="United States (FDA)")
    eu: RegionalStatus | None = Field(None, description="European Union (EMA)")
    japan: RegionalStatus | None = Field(None, description="Japan (PMDA)")
    rest_of_world: RegionalStatus | None = Field(None, description="any other region")

    def stage_in(self, region: Region) -> Stage:
        status = getattr(self, region.value)
        return Stage.none if status is None else status.stage

    def most_advanced(self) -> Stage:
        return max(self.stage_in(r) for r in Region)


def regional_stages(
    development: Development | None, approved_by: set[vocab.Agency]
) -> dict[str, Stage | None]:
    """The read-only stage facts of an asset: `stage_<region>` and `stage_ex_china`.

    None is unknown. `approved_by` (agencies of `regulatory.approvals`) settles what it proves
    when there is no development block."""
    views: dict[str, Stage | None] = {}
    if development is not None:
        for region in Region:
            views[f"stage_{region.value}"] = development.stage_in(region)
        views["stage_ex_china"] = max(development.stage_in(r) for r in Region if r != Region.china)
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
