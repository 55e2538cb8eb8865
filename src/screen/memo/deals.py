"""Deal-model wording: the deal an asset has, and the one the thesis suggests for it."""

from __future__ import annotations

from typing import Any

from screen.memo.wording import NO_US_RIGHTS_KEYS, STAGE_RANK, join_and


def deal_model(a: dict[str, Any]) -> str:
    """The deal model the thesis suggests for this asset (T5, T6, T10), given where it stands in
    BD: bd.status and the deals recorded (the plan itself is in `bd_text`). An asset licensed
    in says so first: the company can partner only the rights it holds."""
    held = a["bd_deal"].get("licensed_in") or []
    ended = a["bd_deal"].get("licence_ended") or []
    rights = a.get("rights_key")
    if rights == "none" and ended:
        return (
            f"{_sentence(ended)}: the company no longer holds rights to the asset, so there "
            "is nothing of it to sell or partner until it regains them (T1)."
        )
    if not held:
        return _deal_model(a)
    if rights is None:  # an in-licence in force that names no territory
        return (
            f"{_sentence(held)}; the territory it grants is not recorded: which rights the "
            "company holds decides every deal it can make (T10)."
        )
    if rights == "global":
        return (
            f"{_sentence(held)}: the company holds worldwide rights under licence, owing the "
            "licensor its milestones and royalties (T10). " + _deal_model(a)
        )
    text = (
        f"{_sentence(held)}: the company holds only the rights licensed to it, and the rest of "
        "the world stays with the licensor (T10). "
    )
    if rights in NO_US_RIGHTS_KEYS:  # no ex-China deal to make ('none' was answered above)
        return text + (
            "Next: sell it in that territory, itself or with a local partner (T12b); a global "
            "deal is the licensor's to make, and what counts is the licence's term, royalties "
            "and the licensor's commitment to the programme."
        )
    return text + _deal_model(a)


def _sentence(phrases: list[str]) -> str:
    """Deal phrases as the start of a sentence: 'Licensed in from X; and licensed in ...'."""
    text = "; and ".join(phrases)
    return text[:1].upper() + text[1:]


def _deal_model(a: dict[str, Any]) -> str:
    deal = a["bd_deal"]
    role = a["role_key"]
    if deal["state"] == "partnered":
        text = "Already partnered"
        if deal["deals"]:
            text += " with " + "; and with ".join(deal["deals"])
        else:
            text += (
                " (the case file records no out-licence terms)"
                if deal.get("licensed_in")
                else " (the case file records no deal terms)"
            )
        retained = deal["retained"]
        keep = f" and decide on the retained {join_and(retained)} rights (T10)" if retained else ""
        if role == "non_core":
            return (
                text + f"; next: track the milestones that help fund the core program (T5){keep}; "
                "a return of rights would be a normal risk, and the asset could be re-partnered "
                "(T6, T10)."
            )
        keep = (
            f" and keep the retained {join_and(retained)} rights for the company's own "
            "development or a later regional deal (T10)"
            if retained
            else ""
        )
        return (
            text + f"; next: track the partner's development milestones{keep}; a return of "
            "rights would be a normal risk, not a scandal (T5, T6)."
        )
    base = _suggested_model(a, role)
    if deal["state"] == "partly":
        prefix = (
            "Partly partnered (" + "; ".join(deal["deals"]) + "); "
            f"{join_and(deal['open'])} of the planned territory still open. "
        )
    elif deal["state"] == "returned":
        by = f" by {join_and(deal['partners'])}" if deal["partners"] else ""
        prefix = (
            f"Rights were returned{by}: a normal risk, not a scandal (T6); find out why, "
            "then re-partner. "
        )
    elif deal["state"] == "in_discussion":
        prefix = "A deal is in discussion now (live process). "
    elif deal["state"] == "term_sheet":
        prefix = "A term sheet is under negotiation now (live process). "
    else:
        prefix = ""
    return prefix + base


def _suggested_model(a: dict[str, Any], role: str | None) -> str:
    """The thesis's deal model for the asset's role and stage (T5, T6, T10)."""
    rank = STAGE_RANK.get(a["stage_key"] or "", -1)
    if role is None:
        return "Role (core or non-core) not recorded: no deal model can be suggested (T5)."
    if rank < 0:
        return "Stage unknown: no deal model can be suggested until it is (T5)."
    if role == "non_core":
        return (
            "Non-core: out-license now for upfront cash that funds the core program; early "
            "out-licensing is normal and trending earlier (T5), and a return is a normal risk (T6)."
            if rank <= STAGE_RANK["phase1_2"]
            else "Non-core at a later stage: ready for an out-licence or co-development now, at "
            "lower termination risk (T5, T6)."
        )
    if rank <= STAGE_RANK["ind_enabling"]:
        return (
            "Core and preclinical: keep global rights and gather clinical data first (T5); "
            "a NewCo or regional licence can fund the work without selling the asset early (T10)."
        )
    if rank <= STAGE_RANK["phase1_2"]:
        return (
            "Core and early clinical: hold global rights until phase 2 data (T5/T6); if cash is "
            "needed, prefer a regional licence, co-development or NewCo over a global sale (T10)."
        )
    if rank == STAGE_RANK["phase2"]:
        return (
            "Core with phase 2 data: co-development or an ex-China out-licence can now be "
            "struck at better terms (T5/T6, T10)."
        )
    return (
        "Core at phase 3 or later: lowest termination risk; global out-licence, "
        "co-development or equity M&A at late-stage value (T6, T10)."
    )


def bd_phrase(a: dict[str, Any]) -> str | None:
    """Where a BD option stands, for the summary: 'already partnered with X', ..."""
    deal = a["bd_deal"]
    state = deal["state"]
    if state == "partnered":
        partners = join_and(deal["partners"])
        return "already partnered" + (f" with {partners}" if partners else "")
    if state == "partly":
        return f"partly partnered with {join_and(deal['partners'])}"
    return {
        "returned": "rights returned by a partner",
        "in_discussion": "a deal in discussion",
        "term_sheet": "a term sheet under negotiation",
        "preparing": "preparing for BD",
        "none": "no BD process yet",
    }.get(state or "")
