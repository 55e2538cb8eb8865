"""Merge imported trials into a hand-written case file without disturbing it.

A case file is the analyst's document: comments explain figures, keys follow the order they
think in, and flow mappings keep a figure on one line. It is therefore edited with a round-trip
YAML library (ruamel.yaml keeps comments, key order, flow/block style and quoting) and never
rewritten from a dump of the model. The file's indentation is detected by trying the usual
layouts and keeping the one that reproduces the file byte for byte, so untouched lines stay
untouched; a file no layout reproduces is merged anyway and the caller is told.

Facts the case already has that the record contradicts are *conflicts*: reported, and kept as
the case says unless the caller prefers the record.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from screen.model.errors import Location, ScreenError, did_you_mean
from screen.sources.ctgov import Study, regional_stages, source_entry, trial_entry, unmapped

# (mapping, sequence, offset) indentations, most common first
LAYOUTS = ((2, 4, 2), (2, 2, 0), (4, 4, 2), (4, 4, 0), (4, 6, 4), (3, 3, 0))
WIDTH = 4096  # never re-wrap the analyst's long lines


@dataclass
class Merge:
    """The outcome of a merge: the new text, and what was not (or was) overwritten."""

    text: str
    conflicts: list[str] = field(default_factory=list)
    layout_kept: bool = True


def _yaml(layout: tuple[int, int, int]) -> Any:
    from ruamel.yaml import YAML

    y = YAML(typ="rt")
    y.preserve_quotes = True
    y.width = WIDTH
    y.indent(mapping=layout[0], sequence=layout[1], offset=layout[2])
    y.representer.ignore_aliases = lambda data: True  # case files refuse anchors
    return y


def _dump(y: Any, data: Any) -> str:
    buf = io.StringIO()
    y.dump(data, buf)
    return buf.getvalue()


def load_round_trip(text: str) -> tuple[Any, Any, bool]:
    """(yaml instance, document, whether its layout is reproduced exactly)."""
    best: tuple[int, Any, Any] | None = None
    for layout in LAYOUTS:
        y = _yaml(layout)
        data = y.load(text)
        out = _dump(y, data)
        if out == text:
            return y, data, True
        misses = sum(a != b for a, b in zip(out.splitlines(), text.splitlines(), strict=False))
        if best is None or misses < best[0]:
            best = (misses, y, data)
    assert best is not None
    return best[1], best[2], False


def _plain(value: Any) -> Any:
    """A case-file value reduced for comparison (figures to their number, text case-folded)."""
    if isinstance(value, dict):
        return _plain(value.get("value"))
    if isinstance(value, str):
        return value.strip().upper().replace("PHASE1_PHASE2", "PHASE1/PHASE2")
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _show(value: Any) -> str:
    if isinstance(value, dict):
        return _show(value.get("value"))
    return str(value)


def _where(display: str, node: Any, key: Any) -> Location:
    try:
        line, col = node.lc.key(key)
        return Location(display, line + 1, col + 1)
    except (AttributeError, KeyError, TypeError):
        return Location(display)


FLOW_KEYS = frozenset({"size"})  # figures stay on one line, as the case files write them


def _commented(value: Any, flow: bool = False) -> Any:
    """Plain data -> ruamel nodes: block style, except figures (and anything inside flow)."""
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    if isinstance(value, dict):
        out = CommentedMap()
        for k, v in value.items():
            out[k] = _commented(v, flow=flow or k in FLOW_KEYS)
        if flow:
            out.fa.set_flow_style()
        return out
    if isinstance(value, list):
        seq = CommentedSeq(_commented(v, flow) for v in value)
        if flow:
            seq.fa.set_flow_style()
        return seq
    return value


def _new_map(value: dict[str, Any], flow: bool) -> Any:
    """A mapping to insert: top level block (or flow, like its siblings), nested values flow."""
    m = _commented(value)
    if flow:
        m.fa.set_flow_style()
    return m


def _note(study: Study) -> str | None:
    bits = unmapped(study)
    return "; ".join(bits) if bits else None


def merge_trials(
    text: str,
    display: str,
    studies: Sequence[Study],
    *,
    asset_id: str | None,
    prefer_record: bool = False,
) -> Merge:
    """Add or update one `trials:` entry per study under asset `asset_id`, and its source."""
    from ruamel.yaml.comments import CommentedSeq

    y, data, exact = load_round_trip(text)
    assets = data.get("assets") or []
    ids = [str(a.get("id")) for a in assets]
    if asset_id is None:
        if len(assets) != 1:
            raise ScreenError(
                f"the case has {len(assets)} assets; say which one the trials belong to",
                Location(display),
                "--asset " + " | ".join(ids),
            )
        asset = assets[0]
    else:
        found = [a for a in assets if str(a.get("id")) == asset_id]
        if not found:
            raise ScreenError(
                f"--asset {asset_id}: no such asset in the case",
                Location(display),
                did_you_mean(asset_id, ids) or "assets: " + ", ".join(ids),
            )
        asset = found[0]
    label = f"assets[{asset.get('id')}]"
    conflicts: list[str] = []
    if asset.get("trials") is None:
        asset["trials"] = CommentedSeq()
    trials = asset["trials"]
    for study in studies:
        entry = trial_entry(study)
        existing = [t for t in trials if isinstance(t, dict) and t.get("nct_id") == study.nct_id]
        if not existing:
            new = _new_map(entry, flow=False)
            note = _note(study)
            if note:
                new.yaml_add_eol_comment(note, "nct_id")
            trials.append(new)
            continue
        trial = existing[0]
        for key, value in entry.items():
            if key == "nct_id":
                continue
            where = f"{label}.trials[{study.nct_id}].{key}"
            if key not in trial or trial[key] is None:
                trial[key] = _commented(value, flow=True)
            elif _plain(trial[key]) == _plain(value):
                if key == "size" and not isinstance(trial[key], dict):
                    trial[key] = _commented(value, flow=True)  # same number, now with its source
            elif prefer_record:
                conflicts.append(
                    f"{_where(display, trial, key)}: {where}: {_show(trial[key])} replaced by the "
                    f"record's {_show(value)} (--prefer record)"
                )
                trial[key] = _commented(value, flow=True)
            else:
                conflicts.append(
                    f"{_where(display, trial, key)}: {where}: the case says {_show(trial[key])}, "
                    f"the record ({study.version_date or 'undated'}) says {_show(value)}; kept the "
                    "case's (--prefer record takes the record's)"
                )
    _merge_sources(data, display, studies, prefer_record, conflicts)
    return Merge(_dump(y, data), conflicts, exact)


def _merge_sources(
    data: Any, display: str, studies: Sequence[Study], prefer: bool, conflicts: list[str]
) -> None:
    from ruamel.yaml.comments import CommentedSeq

    if data.get("sources") is None:
        data["sources"] = CommentedSeq()
    sources = data["sources"]
    flow = bool(sources) and all(
        hasattr(s, "fa") and s.fa.flow_style() for s in sources if isinstance(s, dict)
    )
    for study in dict((s.source_id, s) for s in studies).values():
        entry = source_entry(study)
        same = [s for s in sources if isinstance(s, dict) and s.get("id") == study.source_id]
        if not same:
            sources.append(_new_map(entry, flow=flow))
            continue
        src = same[0]
        old = src.get("date")
        new = entry.get("date")
        if new is None or old == new:
            continue
        if old is None or prefer or (isinstance(old, dt.date) and old < new):
            src["date"] = new  # a newer version of the same record
        else:
            conflicts.append(
                f"{_where(display, src, 'date')}: sources[{study.source_id}].date: the case "
                f"cites the record of {old}, this record is of {new}; kept the case's"
            )


def new_case_text(case: dict[str, Any], studies: Sequence[Study]) -> str:
    """A new case file: a header naming the records, the case, and per trial what the case
    vocabulary has no field for, as an end-of-line comment."""
    y = _yaml(LAYOUTS[0])
    doc = _commented(case)
    for asset in doc["assets"]:
        mine = []
        for trial in asset["trials"]:
            study = next(s for s in studies if s.nct_id == trial["nct_id"])
            mine.append(study)
            note = _note(study)
            if note:
                trial.yaml_add_eol_comment(note, "nct_id")
        shown = regional_stages(mine)
        if shown:  # a suggestion, commented out: see `regional_stages` for why
            lines = [
                "What these records show by region (uncomment once the other trials are known:",
                "a development block reads a region it leaves out as not in development):",
                "development:",
                *(f"  {region}: {{stage: {stage}}}" for region, stage in shown.items()),
            ]
            asset.yaml_set_comment_before_after_key("trials", before="\n".join(lines), indent=4)
    for source in doc["sources"]:
        source.fa.set_flow_style()
    records = ", ".join(
        f"{s.nct_id} (version of {s.version_date or 'unknown date'})" for s in studies
    )
    header = (
        "# Imported by `dealscreen import ctgov` from ClinicalTrials.gov: " + records + "\n"
        "# Only what the records say is filled in; every other fact is unknown and becomes a\n"
        "# diligence question (role, stage, modality, epidemiology, ...).\n"
    )
    return header + _dump(y, doc)
