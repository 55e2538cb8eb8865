"""Loading from disk: case files and rule sets (file or folder), with content hashes.

This is the I/O edge of the pipeline; everything after it works on in-memory models. Hashes are
over the exact bytes read, so a result can later be matched to the precise files it came from.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from screen.engine.compiler import compile_ruleset
from screen.engine.plan import CompiledRuleSet
from screen.model.case import Case
from screen.model.checks import (
    later_than_as_of,
    misread_areas,
    reference_problems,
    territory_conflicts,
    walk_case,
)
from screen.model.errors import Location, ScreenError, ScreenErrors
from screen.model.ruleset import RuleSetFile
from screen.model.validation import validate_doc
from screen.model.yamlsource import parse_yaml_bytes, read_bytes

YAML_SUFFIXES = (".yaml", ".yml")


@dataclass(frozen=True)
class LoadedCase:
    """A validated case and where it came from."""

    path: str
    sha256: str
    text: str
    case: Case
    warnings: tuple[str, ...] = ()  # `file:line:col: warning: ...`, for the CLI to show

    @property
    def case_id(self) -> str:
        return self.case.id or Path(self.path).stem


def default_rules_path() -> Path:
    """The thesis that ships inside the package (also visible as `rules/` in the repository)."""
    return Path(str(resources.files("screen") / "rules"))


def load_case(path: str | Path) -> LoadedCase:
    """Read, parse and validate one case file (a folder left in a batch by `case_path_texts`
    because it holds none is that item's error)."""
    display = str(path)
    try:
        raw = read_bytes(Path(path), display)
    except ScreenError:
        if Path(path).is_dir() and not yaml_files(Path(path)):
            raise ScreenError("folder has no .yaml case files", Location(display)) from None
        raise
    return _load(raw, display)


def load_case_text(text: str, display: str) -> LoadedCase:
    """Parse and validate case-file text that is not a file on disk (a stored record's case,
    an importer's output), exactly as `load_case` does a file; `display` names it in errors."""
    return _load(text.encode("utf-8"), display)


def _load(raw: bytes, display: str) -> LoadedCase:
    doc = parse_yaml_bytes(raw, display)
    case = validate_doc(Case, doc)
    sourced, dates = walk_case(case)  # one walk for both checks
    problems = reference_problems(case, sourced)
    if problems:
        raise ScreenErrors(
            [ScreenError(msg, doc.location(path), hint) for path, msg, hint in problems]
        )
    late = later_than_as_of(case, dates) + misread_areas(case) + territory_conflicts(case)
    warnings = tuple(f"{doc.location(p)}: warning: {msg}" for p, msg in late)
    return LoadedCase(display, hashlib.sha256(raw).hexdigest(), doc.text, case, warnings)


def yaml_files(folder: Path) -> list[Path]:
    """The YAML files directly in `folder`, sorted by name (deterministic order)."""
    return sorted(f for f in folder.iterdir() if f.suffix in YAML_SUFFIXES and f.is_file())


def expand_case_paths(items: list[str]) -> list[Path]:
    """Files as given; folders become their *.yaml files, sorted by name (deterministic)."""
    return [Path(text) for text in case_path_texts(items)]


def case_path_texts(items: list[str]) -> list[str]:
    """`expand_case_paths` as the paths' text: a batch of 20,000 files costs ~2 MB so, ~7 MB
    as Path objects (`rank` keeps the list while it runs). Same paths, same order: the files
    of one folder share its prefix, so their texts sort as their names do. A folder with no
    case files stays in the list as itself: loading it is that item's error, and the other
    items are still read (as a missing file is)."""
    out: list[str] = []
    for item in items:
        p = Path(item)
        if p.is_dir():
            found = sorted(str(f) for f in p.iterdir() if f.suffix in YAML_SUFFIXES and f.is_file())
            out.extend(found or [item])
        else:
            out.append(str(p))
    return out


def rule_files(path: str | Path) -> list[Path]:
    """The YAML files of a rule set: the file itself, or a folder's top-level *.yaml files."""
    p = Path(path)
    if p.is_dir():
        files = yaml_files(p)
        if not files:
            raise ScreenError("folder has no .yaml rule files", Location(str(path)))
        return files
    if not p.exists():
        raise ScreenError("rule set not found", Location(str(path)))
    return [p]


def load_ruleset(path: str | Path | None = None) -> CompiledRuleSet:
    """Read, validate and compile a rule set; the default is the bundled thesis."""
    root = Path(path) if path is not None else default_rules_path()
    files = rule_files(root)
    digest = hashlib.sha256()
    parts = []
    for f in files:
        display = str(f) if path is not None else f"rules/{f.name}"
        raw = read_bytes(f, display)
        digest.update(f.name.encode() + b"\0" + raw + b"\0")
        doc = parse_yaml_bytes(raw, display)
        parts.append((doc, validate_doc(RuleSetFile, doc)))
    return compile_ruleset(parts, digest.hexdigest())
