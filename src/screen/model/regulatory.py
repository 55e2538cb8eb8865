"""What regulators have said about an asset: the FDA IND, expedited designations, approvals,
and the FDA's complete response letters on a US application.

Split from case.py (the case model) as its own job: the letters carry their own checks (listed
oldest first, a resubmission after its letter) and the one reading rules take from them
(`Regulatory.latest_fda_response`, the loader's `asset.fda_complete_response`).
"""

from __future__ import annotations

import itertools

from pydantic import Field, field_validator, model_validator

from screen.model import vocab
from screen.model.base import Model
from screen.model.dates import CaseDateField, last_day


class Approval(Model):
    agency: vocab.Agency
    date: CaseDateField | None = None
    indication: str | None = None


class CompleteResponseLetter(Model):
    """An FDA complete response letter: the application cannot be approved as submitted
    (21 CFR 314.110 for drugs, 601.3 for biologics). What it asks for decides what comes
    next: a new trial, a trial with US patients, or a fixed plant and a resubmission (PDUFA
    goals: two months for a class 1 resubmission, six for class 2)."""

    reason: vocab.CrlReason = Field(
        description="the deficiency the letter names: clinical (efficacy or safety not shown, a "
        "new trial), data_applicability (ex-US data not shown to apply to US patients, 21 CFR "
        "314.106), cmc (manufacturing, facility or inspection), other (labelling, REMS)"
    )
    date: CaseDateField | None = Field(None, description="date of the letter")
    resubmitted: CaseDateField | None = Field(
        None, description="date the company resubmitted the application, if it has"
    )
    indication: str | None = None
    source: str | None = Field(None, description="id of an entry in the case's sources list")
    note: str | None = None

    @model_validator(mode="after")
    def _resubmitted_after_the_letter(self) -> CompleteResponseLetter:
        if self.date and self.resubmitted and last_day(self.resubmitted) < self.date:
            raise ValueError(
                f"resubmitted {self.resubmitted} is before the letter's date {self.date}"
            )
        return self


class Regulatory(Model):
    fda_ind: vocab.IndStatus | None = Field(None, description="status of the FDA IND")
    us_evidence_plan: vocab.UsEvidencePlan | None = Field(
        None,
        description="how a US filing will show the data apply to US patients (MRCT, bridging)",
    )
    designations: list[vocab.Designation] | None = None
    approvals: list[Approval] | None = None
    complete_response_letters: list[CompleteResponseLetter] | None = Field(
        None,
        description="the FDA's complete response letters on the US application, oldest first; "
        "[] when none was received (left out: not known)",
    )

    @field_validator("complete_response_letters")
    @classmethod
    def _letters_in_date_order(
        cls, letters: list[CompleteResponseLetter] | None
    ) -> list[CompleteResponseLetter] | None:
        dated = [(i, x.date) for i, x in enumerate(letters or []) if x.date is not None]
        for (i, before), (j, after) in itertools.pairwise(dated):
            if last_day(after) < before:
                raise ValueError(
                    f"letter {j} ({after}) is dated before letter {i} ({before}): list the "
                    "letters oldest first (the last one is the FDA's latest answer)"
                )
        return letters

    def latest_fda_response(self) -> vocab.FdaResponse | None:
        """The latest letter's deficiency, `none` when the case lists no letter, None when it
        does not say (each resubmission answers the letters before it)."""
        letters = self.complete_response_letters
        if letters is None:
            return None
        return vocab.FdaResponse(letters[-1].reason.value) if letters else vocab.FdaResponse.none
