"""One error type, with a location, raised by every stage of the pipeline.

Users fix their YAML from the message alone, so every error that reaches the command line carries
the file, line and column of the offending text, what is wrong, and where we can guess it, a hint
(`did you mean 'weight'?`). The CLI prints `str(error)` and exits 2; it never shows a traceback.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Location:
    """A place in a source file. `line` and `column` are 1-based; 0 means unknown."""

    file: str
    line: int = 0
    column: int = 0

    def __str__(self) -> str:
        if self.line and self.column:
            return f"{self.file}:{self.line}:{self.column}"
        if self.line:
            return f"{self.file}:{self.line}"
        return self.file


class ScreenError(Exception):
    """A user-facing error: bad input, a rule set that does not compile, a missing file."""

    def __init__(self, message: str, location: Location | None = None, hint: str | None = None):
        super().__init__(message)
        self.message = message
        self.location = location
        self.hint = hint

    def __str__(self) -> str:
        text = f"{self.location}: {self.message}" if self.location else self.message
        if self.hint:
            text += f" ({self.hint})"
        return text


class ScreenErrors(ScreenError):
    """Several errors found in one pass, so an author can fix them all before re-running."""

    def __init__(self, errors: list[ScreenError]):
        super().__init__("\n".join(str(e) for e in errors), errors[0].location if errors else None)
        self.errors = errors

    def __str__(self) -> str:
        return "\n".join(str(e) for e in self.errors)


# Words people write for a vocabulary value that spelling alone cannot reach
# (`immunology` is closer to `urology` in letters than to `autoimmune`). A synonym is offered
# only when its target is one of the candidates, so the table is safe for every call site.
SYNONYMS: dict[str, tuple[str, ...]] = {
    "immunology": ("autoimmune",),
    "immunological": ("autoimmune",),
    "immune": ("autoimmune",),
    "inflammation": ("autoimmune",),
    "inflammatory": ("autoimmune",),
    "rheumatology": ("autoimmune",),
    "cancer": ("oncology",),
    "tumor": ("oncology",),
    "tumour": ("oncology",),
    "haematology": ("hematology",),
    "blood": ("hematology",),
    "cns": ("neurology", "psychiatry"),
    "neuroscience": ("neurology",),
    "infection": ("infectious_disease",),
    "infectious": ("infectious_disease",),
    "infectiousdiseases": ("infectious_disease",),
    "id": ("infectious_disease",),
    "cardiology": ("cardiovascular",),
    "cardiometabolic": ("cardiovascular", "metabolic"),
    "pulmonology": ("respiratory",),
    "gi": ("gastroenterology",),
    "rare": ("rare_disease",),
    "raredisease": ("rare_disease",),
    "orphan": ("rare_disease",),
    "eye": ("ophthalmology",),
    "diabetes": ("endocrine", "metabolic"),
    "obesity": ("metabolic",),
    "pass": ("decline",),
    "reject": ("decline",),
    "rejected": ("decline",),
    "ind": ("ind_enabling",),
    "nda": ("filed",),
    "bla": ("filed",),
    "marketed": ("approved",),
}


def normalise_word(word: str) -> str:
    """Case, spaces, hyphens, underscores and slashes ignored: `Phase 2`, `phase-2` and
    `PHASE_2` all become `phase2`, so they find `phase2` (and `PHASE 2` finds `PHASE2`)."""
    return re.sub(r"[\s_\-/]+", "", str(word).casefold())


def suggest(word: str, candidates: Iterable[str]) -> str | None:
    """The candidate a misspelt `word` most likely means, or None when nothing is close.

    In order: the same word once case, spaces and hyphens are ignored; a known synonym
    (`immunology` -> `autoimmune`); then the closest spelling (difflib, ratio >= 0.6),
    compared on the normalised forms so `Phase 3` is as close to `phase3` as `phase3` is.
    """
    pool = sorted({str(c) for c in candidates})
    if not pool:
        return None
    by_norm: dict[str, str] = {}
    for c in pool:
        by_norm.setdefault(normalise_word(c), c)
    key = normalise_word(word)
    if key in by_norm and by_norm[key] != str(word):
        return by_norm[key]
    for target in SYNONYMS.get(key, ()):
        if target in pool:
            return target
    matches = difflib.get_close_matches(key, sorted(by_norm), n=1, cutoff=0.6)
    if matches and by_norm[matches[0]] != str(word):
        return by_norm[matches[0]]
    return None


def did_you_mean(word: str, candidates: Iterable[str]) -> str | None:
    """A 'did you mean ...' hint for a misspelt name, or None when nothing is close."""
    match = suggest(word, candidates)
    return f"did you mean '{match}'?" if match else None


def plural(count: int, word: str, many: str | None = None) -> str:
    """`1 error`, `2 errors`, `0 errors`: every count we print agrees with its noun."""
    return f"{count} {word if count == 1 else (many or word + 's')}"


# `pip install 'dealscreen[xlsx]'` finds nothing where dealscreen is used from a checkout of the
# repository (it is installed from the tree, not from an index), so the hint names both ways.
def install_hint(extra: str) -> str:
    """`pip install 'dealscreen[EXTRA]'`, and the command that works in a checkout."""
    return (
        f"pip install 'dealscreen[{extra}]' (from a checkout of the repository: "
        f".venv/bin/pip install -e '.[{extra}]')"
    )
