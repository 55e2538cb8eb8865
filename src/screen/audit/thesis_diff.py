"""Thesis diff: which cases a new rule set decides or scores differently, and which rules did it.

Both sides are result documents (`result.build_result`), so a diff between two rule-set files
and a re-screen of the decision store (old side: the result stored then, under the rule set
stored with it) are the same comparison. The rules responsible are read off the lead asset:
criteria whose contribution changed (with the band or row that fired, the score and the weight
on each side), gates whose outcome changed, and changed decision thresholds.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from screen.engine.plan import CompiledRuleSet
from screen.model.numbers import display, display_signed

SCORE_EPSILON = 5e-5  # results are rounded to 4 decimals; smaller differences are not changes


@dataclass
class CaseDiff:
    case_id: str
    company: str
    path: str | None
    old_decision: str
    new_decision: str
    old_score: float
    new_score: float
    because: list[str]
    record: int | None = None  # store mode: the record re-screened
    firm_decision: str | None = None  # store mode: the firm's latest call on the case

    @property
    def decision_changed(self) -> bool:
        return self.old_decision != self.new_decision

    @property
    def changed(self) -> bool:
        return self.decision_changed or abs(self.new_score - self.old_score) > SCORE_EPSILON

    def as_dict(self) -> dict[str, Any]:
        return {
            "case": self.case_id,
            "company": self.company,
            "path": self.path,
            "record": self.record,
            "firm_decision": self.firm_decision,
            "old": {"decision": self.old_decision, "score": self.old_score},
            "new": {"decision": self.new_decision, "score": self.new_score},
            "decision_changed": self.decision_changed,
            "because": self.because,
        }


@dataclass
class DiffReport:
    old: str
    new: str
    cases: list[CaseDiff] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    damaged: list[int] = field(default_factory=list)  # records read that fail their check

    @property
    def changed(self) -> list[CaseDiff]:
        return [c for c in self.cases if c.changed]

    def as_dict(self, show_all: bool = False) -> dict[str, Any]:
        return {
            "old": self.old,
            "new": self.new,
            "cases": len(self.cases),
            "changed": len(self.changed),
            "decisions_changed": sum(c.decision_changed for c in self.cases),
            "diffs": [c.as_dict() for c in (self.cases if show_all else self.changed)],
        }


def _label(rs: dict[str, Any]) -> str:
    return f"{rs['name']} {rs['version']} ({rs['sha256'][:12]})"


def responsible(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """The rules behind the difference between two results of one case, biggest effect first."""
    out: list[str] = []
    if old["lead_asset"] != new["lead_asset"]:
        out.append(f"lead asset {old['lead_asset']} -> {new['lead_asset']}")
    out.extend(_thresholds_responsible(old, new))
    og = {g["id"]: g for g in old["gates"]}
    ng = {g["id"]: g for g in new["gates"]}
    for gid in list(og) + [g for g in ng if g not in og]:
        a, b = og.get(gid), ng.get(gid)
        if a is None:
            out.append(f"gate {gid}: added, {b['outcome']} ({b['because']})")  # type: ignore[index]
        elif b is None:
            out.append(f"gate {gid}: removed (was {a['outcome']})")
        elif a["outcome"] != b["outcome"]:
            out.append(f"gate {gid}: {a['outcome']} -> {b['outcome']} ({b['because']})")
    oc = {c["id"]: c for c in old["criteria"]}
    nc = {c["id"]: c for c in new["criteria"]}
    crit: list[tuple[float, str]] = []
    renormalised: list[str] = []
    for cid in list(oc) + [c for c in nc if c not in oc]:
        a, b = oc.get(cid), nc.get(cid)
        if a is None:
            added = display_signed(b["contribution"])  # type: ignore[index]
            crit.append((b["contribution"], f"criterion {cid}: added, {added}"))  # type: ignore[index]
            continue
        if b is None:
            crit.append(
                (
                    a["contribution"],
                    f"criterion {cid}: removed (was {display_signed(a['contribution'])})",
                )
            )
            continue
        delta = float(b["contribution"]) - float(a["contribution"])
        if abs(delta) <= SCORE_EPSILON and a["fired"] == b["fired"]:
            continue
        parts = []
        if a["fired"] != b["fired"]:
            parts.append(f"fired {a['fired'] or 'nothing'} -> {b['fired'] or 'nothing'}")
        if a["score"] != b["score"]:
            parts.append(f"score {_n(a['score'])} -> {_n(b['score'])}")
        if a["weight"] != b["weight"]:
            parts.append(f"weight {a['weight']} -> {b['weight']}")
        if a["max"] != b["max"]:
            parts.append(f"max {a['max']} -> {b['max']}")
        if not parts:  # same rule, same score: only the weights around it moved
            renormalised.append(f"{cid} {display_signed(delta)}")
            continue
        crit.append(
            (
                abs(delta),
                f"criterion {cid}: {', '.join(parts)}; contribution "
                f"{display(a['contribution'])} -> {display(b['contribution'])} "
                f"({display_signed(delta)})",
            )
        )
    out.extend(text for _, text in sorted(crit, key=lambda x: -x[0]))
    if renormalised:
        out.append("weights renormalised, contributions of: " + ", ".join(renormalised))
    return out


def _thresholds_responsible(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """Threshold changes that change this case's decision: the new score falls on the other
    side of the old and the new threshold. A case declined by a failed gate, or whose score
    lies on the same side of both, is not moved by a threshold (listing it everywhere sent
    readers looking for a cause that was not there)."""
    ot, nt = old["thresholds"], new["thresholds"]
    if any(g["outcome"] == "fail" for g in new["gates"]):
        return []
    score = float(new["score"])
    points = {score}
    if new["decision"] == "insufficient_information":  # decided by where the range lies
        points.update(float(x) for x in new.get("score_range") or ())
    out = []
    for k in ("advance", "watch"):
        if ot[k] == nt[k]:
            continue
        a, b = sorted((float(ot[k]), float(nt[k])))
        if any(a <= x < b for x in points):
            out.append(f"threshold {k}: {ot[k]} -> {nt[k]} (score {display(score)} lies between)")
    return out


def _n(v: Any) -> str:
    return "unknown" if v is None else f"{v:g}"


def compare(old: dict[str, Any], new: dict[str, Any], **extra: Any) -> CaseDiff:
    return CaseDiff(
        old["case"]["id"],
        old["case"]["company"],
        old["case"].get("path"),
        old["decision"],
        new["decision"],
        float(old["score"]),
        float(new["score"]),
        responsible(old, new),
        **extra,
    )


def diff_cases(
    old_rs: CompiledRuleSet, new_rs: CompiledRuleSet, paths: list[str], recorded: Any = ()
) -> DiffReport:
    """Evaluate every case file (and every already loaded case in `recorded`, e.g. the stored
    case of a record) under both rule sets; unloadable files are listed as errors."""
    from pathlib import PurePath

    from screen.engine.evaluate import evaluate_case
    from screen.engine.loader import expand_case_paths, load_case
    from screen.engine.result import build_result, rule_errors
    from screen.model.errors import ScreenError

    report = DiffReport(_rs_label(old_rs), _rs_label(new_rs))
    for path in [*recorded, *expand_case_paths(paths)]:
        try:
            loaded = load_case(path) if isinstance(path, PurePath) else path
        except ScreenError as err:
            report.errors.append(str(err))
            continue
        old = build_result(old_rs, loaded, evaluate_case(old_rs, loaded.case, trace=False))
        new = build_result(new_rs, loaded, evaluate_case(new_rs, loaded.case, trace=False))
        report.cases.append(compare(old, new))
        report.errors += rule_errors(old) + rule_errors(new)  # a rule's defect is no change
    return report


def _rs_label(rs: CompiledRuleSet) -> str:
    return _label({"name": rs.name, "version": rs.version, "sha256": rs.sha256})


def diff_store(store: Any, new_rs: CompiledRuleSet) -> DiffReport:
    """Re-screen the latest recorded result of every case under `new_rs`.

    The old side is the result stored then (its own rule set and engine); the new side evaluates
    the stored case text under `new_rs`. The firm's latest call on each case is shown alongside."""
    import tempfile
    from pathlib import Path

    from screen.engine.evaluate import evaluate_case
    from screen.engine.loader import load_case
    from screen.engine.result import build_result, rule_errors
    from screen.model.errors import ScreenError

    latest: dict[str, Any] = {}
    calls: dict[str, str] = {}
    damaged: list[int] = []
    for r in store.iter_records(with_result=True):  # streamed: memory grows with cases only
        if r.damage():
            damaged.append(r.id)  # still diffed, and said: the caller warns and exits 1
        latest[r.case_id] = r  # screens and decisions both carry the engine's result
        if r.kind == "decision":
            calls[r.case_id] = r.decision  # the firm's latest call on the case
    olds = sorted({f"{r.ruleset_name} {r.ruleset_version}" for r in latest.values()})
    report = DiffReport("stored: " + ", ".join(olds), _rs_label(new_rs), damaged=damaged)
    with tempfile.TemporaryDirectory(prefix="dealscreen-") as tmp:
        for r in sorted(latest.values(), key=lambda r: r.company):
            old = r.result()
            path = Path(tmp) / Path(r.case_path or f"{r.case_id}.yaml").name
            path.write_bytes(store.text(r.case_sha256).encode("utf-8"))
            try:
                loaded = load_case(path)
            except ScreenError as err:
                report.errors.append(f"record #{r.id}: {err}")
                continue
            new = build_result(new_rs, loaded, evaluate_case(new_rs, loaded.case, trace=False))
            report.cases.append(compare(old, new, record=r.id, firm_decision=calls.get(r.case_id)))
            report.errors += rule_errors(new)
    return report


def same_label_warning(old: CompiledRuleSet, new: CompiledRuleSet) -> str | None:
    """Two different rule sets with one name and version cannot be told apart in the records."""
    if (old.name, old.version) != (new.name, new.version):
        return None
    what = "the same content" if old.sha256 == new.sha256 else "different content"
    return (
        f"warning: old and new rule sets are both '{new.name} {new.version}' ({what}); "
        "give the proposal a new version so records and memos tell them apart"
    )


def format_diff(report: DiffReport, show_all: bool = False) -> str:
    out = [f"old: {report.old}", f"new: {report.new}"]
    changed = report.changed
    moved = sum(c.decision_changed for c in report.cases)
    out.append(f"{len(changed)} of {len(report.cases)} case(s) change; {moved} change decision")
    shown = report.cases if show_all else changed
    for c in sorted(shown, key=lambda c: (not c.decision_changed, -abs(c.new_score - c.old_score))):
        out.append("")
        rec = f" [record #{c.record}]" if c.record else ""
        mark = "DECISION " if c.decision_changed else ""
        out.append(
            f"{mark}{c.company}{rec}: {c.old_decision} {display(c.old_score)} -> "
            f"{c.new_decision} {display(c.new_score)} "
            f"({display_signed(c.new_score - c.old_score)})"
        )
        if c.firm_decision:
            agree = "agrees with" if c.firm_decision == c.new_decision else "differs from"
            out.append(f"  firm decision on record: {c.firm_decision} ({agree} the new screen)")
        for b in c.because or (["no difference"] if not c.changed else []):
            out.append(f"  {b}")
    return "\n".join(out) + "\n"
