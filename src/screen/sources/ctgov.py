"""ClinicalTrials.gov API v2 study records -> case-file `trials:` entries and a new case.

The record is the registry's, so every figure taken from it cites a `sources:` entry for that
record (its NCT id, the version date `lastUpdatePostDate`, the public study URL) and is marked
`verified` as of that date. Only what the case vocabulary can hold is mapped; the rest of the
record (start and completion dates, conditions, sponsor, collaborators, arms) is kept as
comments in a new case file, so nothing is invented and nothing the case cannot hold is forced
into it.

Input is untrusted JSON: every field read is type-checked and a wrong one is reported with its
JSON path (`FILE: $.protocolSection.designModule.phases[0]: expected text, got a number`).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass, field
from typing import Any

from screen.model.base import MAX_PATIENTS
from screen.model.errors import Location, ScreenError, ScreenErrors

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\ufeff]")

STUDY_URL = "https://clinicaltrials.gov/study/{nct}"
API_URL = "https://clinicaltrials.gov/api/v2/studies/{nct}?format=json"
NCT_ID = re.compile(r"^NCT\d{8}$")
MAX_BYTES = 20_000_000  # a full study record is ~100 kB; a page of 1000 studies fits easily

# designModule.phases -> the case vocabulary's TrialPhase (ClinicalTrials.gov's names, joined)
PHASES: dict[tuple[str, ...], str] = {
    ("EARLY_PHASE1",): "EARLY_PHASE1",
    ("PHASE1",): "PHASE1",
    ("PHASE1", "PHASE2"): "PHASE1/PHASE2",
    ("PHASE2",): "PHASE2",
    ("PHASE2", "PHASE3"): "PHASE2/PHASE3",
    ("PHASE3",): "PHASE3",
    ("PHASE4",): "PHASE4",
    ("NA",): "NA",
}
# fmt: off
EU_COUNTRIES = frozenset({
    "Austria", "Belgium", "Bulgaria", "Croatia", "Cyprus", "Czechia", "Czech Republic", "Denmark",
    "Estonia", "Finland", "France", "Germany", "Greece", "Hungary", "Ireland", "Italy", "Latvia",
    "Lithuania", "Luxembourg", "Malta", "Netherlands", "Poland", "Portugal", "Romania",
    "Slovakia", "Slovenia", "Spain", "Sweden",
})
# fmt: on
REGION_OF_COUNTRY = {
    "China": "china",
    "Hong Kong": "china",
    "United States": "us",
    "Japan": "japan",
    **dict.fromkeys(EU_COUNTRIES, "eu"),
}
SKIP_INTERVENTION = re.compile(r"placebo|sham|standard of care|best supportive care", re.I)


@dataclass(frozen=True)
class Study:
    """What the importer reads from one study record (None: the record does not say)."""

    nct_id: str
    title: str | None
    version_date: dt.date | None
    phase: str | None
    status: str | None
    enrolment: int | None
    enrolment_type: str | None  # ACTUAL or ESTIMATED (anticipated)
    countries: tuple[str, ...]
    start: str | None
    primary_completion: str | None
    conditions: tuple[str, ...]
    sponsor: str | None
    collaborators: tuple[str, ...]
    interventions: tuple[str, ...]
    arms: tuple[str, ...]
    notes: tuple[str, ...] = field(default=())  # what could not be mapped, said plainly

    @property
    def source_id(self) -> str:
        return f"ctgov-{self.nct_id}"

    @property
    def region(self) -> str | None:
        regions = {REGION_OF_COUNTRY.get(c, "rest_of_world") for c in self.countries}
        if not regions:
            return None
        return regions.pop() if len(regions) == 1 else "multiregional"


class _Reader:
    """Typed access to untrusted JSON, reporting `FILE: $.path: problem`."""

    def __init__(self, display: str):
        self.display = display

    def fail(self, path: str, message: str) -> ScreenError:
        return ScreenError(f"{path}: {message}", Location(self.display))

    def get(self, obj: dict[str, Any], key: str, path: str, kind: type | tuple[type, ...]) -> Any:
        value = obj.get(key)
        if value is None:
            return None
        if isinstance(value, NotJsonNumber):
            raise self.fail(f"{path}.{key}", f"{value} is not a number JSON allows")
        if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
            raise self.fail(f"{path}.{key}", f"expected {_kind(kind)}, got {_kind(type(value))}")
        if isinstance(value, str):
            self.plain_text(value, f"{path}.{key}")
        return value

    def plain_text(self, value: str, path: str) -> None:
        """Refuse text a case file cannot hold (control characters other than tab/newline)."""
        bad = next((c for c in value if _CONTROL.match(c)), None)
        if bad is not None:
            raise self.fail(path, f"control character U+{ord(bad):04X} in text")

    def module(self, obj: dict[str, Any], key: str, path: str) -> dict[str, Any]:
        return self.get(obj, key, path, dict) or {}

    def texts(self, obj: dict[str, Any], key: str, path: str) -> tuple[str, ...]:
        items = self.get(obj, key, path, list) or []
        for i, item in enumerate(items):
            if not isinstance(item, str) or isinstance(item, NotJsonNumber):
                raise self.fail(f"{path}.{key}[{i}]", f"expected text, got {_kind(type(item))}")
            self.plain_text(item, f"{path}.{key}[{i}]")
        return tuple(items)

    def objects(self, obj: dict[str, Any], key: str, path: str) -> list[tuple[str, dict]]:
        items = self.get(obj, key, path, list) or []
        out = []
        for i, item in enumerate(items):
            if not isinstance(item, dict):
                raise self.fail(
                    f"{path}.{key}[{i}]", f"expected an object, got {_kind(type(item))}"
                )
            out.append((f"{path}.{key}[{i}]", item))
        return out

    def date(self, obj: dict[str, Any], key: str, path: str) -> str | None:
        """A `...DateStruct`'s date: YYYY-MM-DD or YYYY-MM (month precision) or YYYY."""
        struct = self.get(obj, key, path, dict)
        if struct is None:
            return None
        text = self.get(struct, "date", f"{path}.{key}", str)
        if text is not None and (
            not re.fullmatch(r"\d{4}(-\d{2}(-\d{2})?)?", text) or _to_date(text) is None
        ):  # 2011-13-45 has the shape of a date and is none: it was dropped without a word
            raise self.fail(f"{path}.{key}.date", f"'{text}' is not a date (YYYY-MM-DD or YYYY-MM)")
        return text


def _kind(kind: type | tuple[type, ...]) -> str:
    names = {str: "text", int: "a number", float: "a number", bool: "true/false",
             dict: "an object", list: "a list", type(None): "null",
             NotJsonNumber: "NaN or Infinity, which JSON does not allow"}  # fmt: skip
    kinds = kind if isinstance(kind, tuple) else (kind,)
    return " or ".join(dict.fromkeys(names.get(k, k.__name__) for k in kinds))


def _to_date(text: str | None) -> dt.date | None:
    if text is None:
        return None
    parts = [int(p) for p in text.split("-")] + [1, 1]
    try:
        return dt.date(parts[0], parts[1], parts[2])
    except ValueError:
        return None


def parse_study(data: Any, display: str, path: str = "$") -> Study:
    """One API v2 study object -> `Study`; wrong types and missing ids are errors with paths."""
    r = _Reader(display)
    if not isinstance(data, dict):
        raise r.fail(path, f"expected a study object, got {_kind(type(data))}")
    proto = r.get(data, "protocolSection", path, dict)
    if proto is None:
        raise r.fail(
            path, "not a ClinicalTrials.gov study: no protocolSection"
            + (" (a page of studies has them under 'studies')" if path == "$" else "")
        )  # fmt: skip
    p = f"{path}.protocolSection"
    ident = r.module(proto, "identificationModule", p)
    nct = r.get(ident, "nctId", f"{p}.identificationModule", str)
    if nct is None or not NCT_ID.match(nct):
        raise r.fail(
            f"{p}.identificationModule.nctId",
            "missing" if nct is None else f"'{nct}' is not an NCT id (NCT + 8 digits)",
        )
    status = r.module(proto, "statusModule", p)
    sp = f"{p}.statusModule"
    design = r.module(proto, "designModule", p)
    dp = f"{p}.designModule"
    phases = r.texts(design, "phases", dp)
    notes = []
    phase = PHASES.get(tuple(phases)) if phases else None
    if phases and phase is None:
        notes.append(f"phases {'/'.join(phases)} has no case-file phase; left out")
    enrol = r.module(design, "enrollmentInfo", dp)
    count = r.get(enrol, "count", f"{dp}.enrollmentInfo", int)
    if count is not None and count < 0:
        raise r.fail(f"{dp}.enrollmentInfo.count", f"must not be negative, got {count}")
    if count is not None and count > MAX_PATIENTS:
        raise r.fail(
            f"{dp}.enrollmentInfo.count",
            f"{count:,} patients: more than the world's population, not an enrolment",
        )
    sponsors = r.module(proto, "sponsorCollaboratorsModule", p)
    spp = f"{p}.sponsorCollaboratorsModule"
    lead = r.module(sponsors, "leadSponsor", spp)
    collaborators = tuple(
        name
        for q, c in r.objects(sponsors, "collaborators", spp)
        if (name := r.get(c, "name", q, str))
    )
    arms_mod = r.module(proto, "armsInterventionsModule", p)
    ap = f"{p}.armsInterventionsModule"
    interventions = tuple(
        name
        for q, i in r.objects(arms_mod, "interventions", ap)
        if (name := r.get(i, "name", q, str))
    )
    arms = tuple(
        label
        for q, a in r.objects(arms_mod, "armGroups", ap)
        if (label := r.get(a, "label", q, str))
    )
    locations = r.module(proto, "contactsLocationsModule", p)
    countries = tuple(
        sorted(
            {
                c
                for q, loc in r.objects(locations, "locations", f"{p}.contactsLocationsModule")
                if (c := r.get(loc, "country", q, str))
            }
        )
    )
    overall = r.get(status, "overallStatus", sp, str)
    version = r.date(status, "lastUpdatePostDateStruct", sp)
    return Study(
        nct_id=nct,
        title=r.get(ident, "briefTitle", f"{p}.identificationModule", str),
        version_date=_to_date(version),
        phase=phase,
        status=overall.lower() if overall else None,
        enrolment=count,
        enrolment_type=r.get(enrol, "type", f"{dp}.enrollmentInfo", str),
        countries=countries,
        start=r.date(status, "startDateStruct", sp),
        primary_completion=r.date(status, "primaryCompletionDateStruct", sp),
        conditions=r.texts(
            r.module(proto, "conditionsModule", p), "conditions", f"{p}.conditionsModule"
        ),
        sponsor=r.get(lead, "name", f"{spp}.leadSponsor", str),
        collaborators=collaborators,
        interventions=interventions,
        arms=arms,
        notes=tuple(notes),
    )


def parse_bytes(raw: bytes, display: str) -> list[Study]:
    """A file's bytes: one study object, or a page `{"studies": [...]}` -> studies in order."""
    if len(raw) > MAX_BYTES:
        raise ScreenError(
            f"larger than {MAX_BYTES // 1_000_000} MB; not a study record", Location(display)
        )
    try:
        data = json.loads(raw.decode("utf-8-sig"), parse_constant=NotJsonNumber)
    except RecursionError:
        raise ScreenError("nested too deeply to be a study record", Location(display)) from None
    except UnicodeDecodeError:
        raise ScreenError(
            "not UTF-8 text; expected ClinicalTrials.gov JSON", Location(display)
        ) from None
    except json.JSONDecodeError as exc:
        raise ScreenError(
            f"not JSON: {exc.msg}", Location(display, exc.lineno, exc.colno),
            "expected a ClinicalTrials.gov API v2 study (format=json)",
        ) from None  # fmt: skip
    if isinstance(data, dict) and "studies" in data and "protocolSection" not in data:
        studies = data["studies"]
        if not isinstance(studies, list):
            raise _Reader(display).fail("$.studies", f"expected a list, got {_kind(type(studies))}")
        if not studies:
            raise _Reader(display).fail("$.studies", "the page holds no studies")
        return [parse_study(s, display, f"$.studies[{i}]") for i, s in enumerate(studies)]
    return [parse_study(data, display)]


class NotJsonNumber(str):
    """NaN, Infinity, -Infinity where a record has a value: Python's reader takes them, JSON
    does not. Kept as this marker, so the field that reads it says where it is (`get`)."""


def one_record_each(studies: list[Study], displays: list[str]) -> None:
    """Refuse a study given twice (a page that repeats it, or two files): imported twice, the
    case would hold the trial twice under one NCT id."""
    seen: dict[str, str] = {}
    problems = []
    for s, where in zip(studies, displays, strict=True):
        if s.nct_id in seen:
            problems.append(
                ScreenError(
                    f"{s.nct_id} is given twice (first in {seen[s.nct_id]})", Location(where)
                )
            )
        seen.setdefault(s.nct_id, where)
    if problems:
        raise ScreenErrors(problems) if len(problems) > 1 else problems[0]


def sponsors_note(studies: list[Study]) -> str | None:
    """A warning when the records come from several lead sponsors: the case's company is the
    first one's, and the others' trials are listed as its assets'."""
    names = list(dict.fromkeys(s.sponsor for s in studies if s.sponsor))
    if len(names) < 2:
        return None
    return (
        f"warning: the records have {len(names)} lead sponsors ({', '.join(names)}); the case's "
        f"company is {names[0]}: check that the other records belong to it (a partner's trial) "
        "or import them into their own case"
    )


# --------------------------------------------------------------------------- case-file entries


def source_entry(s: Study) -> dict[str, Any]:
    """The `sources:` entry every imported figure of this record cites."""
    entry: dict[str, Any] = {
        "id": s.source_id,
        "title": f"ClinicalTrials.gov {s.nct_id}" + (f": {s.title}" if s.title else ""),
        "url": STUDY_URL.format(nct=s.nct_id),
        "publisher": "ClinicalTrials.gov",
    }
    if s.version_date:
        entry["date"] = s.version_date
    return entry


def trial_entry(s: Study) -> dict[str, Any]:
    """The `trials:` entry: only keys the record gives (absent stays unknown)."""
    entry: dict[str, Any] = {"nct_id": s.nct_id}
    if s.phase:
        entry["phase"] = s.phase
    if s.region:
        entry["region"] = s.region
    if s.enrolment is not None:
        size: dict[str, Any] = {"value": s.enrolment, "unit": "patients", "source": s.source_id}
        if s.version_date:
            size["as_of"] = s.version_date
        size["status"] = "verified"
        kind = {"ACTUAL": "actual", "ESTIMATED": "anticipated"}.get(s.enrolment_type or "")
        if kind:
            size["note"] = f"{kind} enrolment"
        entry["size"] = size
    if s.status:
        entry["status"] = s.status
    return entry


# A registered trial's phase -> the development stage it shows in the regions it runs in
# (phase 4 runs after an approval; EARLY_PHASE1 is a phase 1; NA is not a drug phase).
STAGE_OF_PHASE = {
    "EARLY_PHASE1": "phase1",
    "PHASE1": "phase1",
    "PHASE1/PHASE2": "phase1_2",
    "PHASE2": "phase2",
    "PHASE2/PHASE3": "phase3",
    "PHASE3": "phase3",
    "PHASE4": "approved",
}
STAGE_ORDER = ["phase1", "phase1_2", "phase2", "phase3", "approved"]


def regional_stages(studies: list[Study]) -> dict[str, str]:
    """The most advanced stage per region that these records show (case schema v2 names:
    china, us, eu, japan, rest_of_world). Withdrawn trials never enrolled and show nothing.
    Only a suggestion: the records imported are rarely all of an asset's trials, and a
    `development:` block reads a region it leaves out as not in development there."""
    out: dict[str, str] = {}
    for s in studies:
        stage = STAGE_OF_PHASE.get(s.phase or "")
        if stage is None or (s.status or "").upper() == "WITHDRAWN":
            continue
        for region in {REGION_OF_COUNTRY.get(c, "rest_of_world") for c in s.countries}:
            if region not in out or STAGE_ORDER.index(stage) > STAGE_ORDER.index(out[region]):
                out[region] = stage
    return dict(sorted(out.items()))


def unmapped(s: Study) -> list[str]:
    """What the record says that the case vocabulary has no field for (kept as comments)."""
    out = []
    if s.start:
        out.append(f"start {s.start}")
    if s.primary_completion:
        out.append(f"primary completion {s.primary_completion}")
    if s.conditions:
        out.append("conditions: " + "; ".join(s.conditions))
    if s.sponsor:
        out.append(f"lead sponsor: {s.sponsor}")
    if s.collaborators:
        out.append("collaborators: " + "; ".join(s.collaborators))
    if s.arms:
        out.append("arms: " + "; ".join(s.arms))
    if s.countries:
        out.append("countries: " + ", ".join(s.countries))
    out.extend(s.notes)
    return out


def _asset_id(name: str, taken: set[str]) -> str:
    base = re.sub(r"[^A-Za-z0-9]+", "-", name).strip("-").upper()[:24].strip("-") or "ASSET"
    out, n = base, 2
    while out in taken:
        out, n = f"{base}-{n}", n + 1
    taken.add(out)
    return out


def new_case(studies: list[Study]) -> dict[str, Any]:
    """A case from records: company from the first lead sponsor, one asset per intervention
    (placebo and sham arms left out), each with the trials that test it."""
    first = studies[0]
    assets: dict[str, dict[str, Any]] = {}
    taken: set[str] = set()
    for s in studies:
        names = [n for n in s.interventions if not SKIP_INTERVENTION.search(n)] or [
            s.title or s.nct_id
        ]
        for name in names:
            key = name.casefold()
            if key not in assets:
                asset: dict[str, Any] = {"id": _asset_id(name, taken), "name": name}
                if s.conditions:
                    asset["indication"] = "; ".join(s.conditions)
                asset["trials"] = []
                assets[key] = asset
            assets[key]["trials"].append(trial_entry(s))
    sources = {s.source_id: source_entry(s) for s in studies}
    dates = [s.version_date for s in studies if s.version_date]
    case: dict[str, Any] = {}
    if dates:
        case["as_of"] = max(dates)
    case["company"] = {"name": first.sponsor or f"Sponsor of {first.nct_id}"}
    case["assets"] = list(assets.values())
    case["sources"] = list(sources.values())
    return case


def fetch(nct_id: str, *, base_url: str | None = None, timeout: float = 30.0) -> bytes:
    """One study record from the public API (or `base_url`, e.g. a local test server)."""
    import urllib.error
    import urllib.request

    if not NCT_ID.match(nct_id):
        raise ScreenError(f"--fetch {nct_id}: not an NCT id", hint="NCT followed by 8 digits")
    url = (base_url.rstrip("/") + "/{nct}?format=json" if base_url else API_URL).format(nct=nct_id)
    request = urllib.request.Request(url, headers={"Accept": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            raw = response.read(MAX_BYTES + 1)
    except urllib.error.HTTPError as exc:
        hint = "no such study" if exc.code == 404 else f"HTTP {exc.code}"
        raise ScreenError(
            f"--fetch {nct_id}: the registry answered {exc.code}", hint=hint
        ) from None
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise ScreenError(
            f"--fetch {nct_id}: cannot reach {url.split('/api/')[0]} ({reason})",
            hint="offline? save the study JSON and give its file instead",
        ) from None
    return raw
