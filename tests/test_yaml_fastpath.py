"""The compiled YAML fast path reads every file exactly as the locating reader does, or steps aside.

`parse_yaml` keeps the compiled parser's data only for text a scan shows to be safe; these tests
compare it with the locating reader (`_parse_located`) on generated scalars and documents: the
same data with the same types, or an error from both. Positions come lazily and match."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from screen.model import yamlfast, yamlsource
from screen.model.errors import ScreenError
from screen.model.yamlsource import parse_yaml

ROOT = Path(__file__).resolve().parent.parent


def same(x: object, y: object) -> bool:
    """Equal with equal types all the way down (1 == 1.0 == True would hide a typing change)."""
    if type(x) is not type(y):
        return False
    if isinstance(x, dict):
        return list(x) == list(y) and all(same(x[k], y[k]) for k in x)  # type: ignore[index]
    if isinstance(x, list):
        return len(x) == len(y) and all(same(a, b) for a, b in zip(x, y, strict=True))  # type: ignore[arg-type]
    return x == y or (x != x and y != y)  # noqa: PLR0124 - nan


def outcome(reader, text: str) -> tuple[str, object]:
    try:
        return "ok", reader(text, "f.yaml").data
    except ScreenError:
        return "error", None


def _checked_then_located(text: str, path: str) -> yamlsource.SourceDoc:
    """The locating reader as `parse_yaml` runs it: after the unprintable-character check."""
    yamlsource._refuse_unprintable(text, path)
    return yamlsource._parse_located(text, path)


def assert_agree(text: str) -> None:
    fast, slow = outcome(parse_yaml, text), outcome(_checked_then_located, text)
    assert fast[0] == slow[0], text
    assert same(fast[1], slow[1]), text


NUMBERISH = "0123456789+-._eExXoObB:aAfFnNiItTrRuUlLsS~ "
PIECES = [
    *"[]{},:-?#|>'\"\\",
    ": ", "- ", "? ", ", ", "\n", "\n  ", "\r\n", "  ", "a", "b c", "1.5", "1_0", "0X1", "null",
    "'x'", '"y"', "&a ", "*a", "!t ", "Merck & Co", ">= 2", "é", "\u2028", "\x85", "\t", "---",
]  # fmt: skip
BODY_LINES = ["  a", "   b c", "", "  ", "  k: v", "x", "  >= 2"]


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=NUMBERISH, min_size=1, max_size=8))
def test_fast_path_agrees_on_plain_scalars(value):
    assert_agree(f"v: {value}\n")


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(["", "v: ", "- ", "k:\n  v: ", "k:\n  - "]),
    st.lists(st.sampled_from(PIECES), min_size=1, max_size=14),
    st.sampled_from(["\n", ""]),
)
def test_fast_path_agrees_on_generated_documents(prefix, pieces, end):
    assert_agree(prefix + "".join(pieces) + end)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["", "  "]),
            st.sampled_from([">", "|", ">-", "|-", ">+", "|+", "|2", "> # c", "x", "'q'"]),
            st.lists(st.sampled_from(BODY_LINES), max_size=4),
        ),
        min_size=1,
        max_size=4,
    ),
    st.sampled_from(["\n", "", "\n\n"]),
)
def test_fast_path_agrees_on_block_scalars(entries, end):
    lines = []
    for n, (indent, header, body) in enumerate(entries):
        lines.append(f"{indent if n else ''}k{n}: {header}")
        lines.extend(body)
    assert_agree("\n".join(lines) + end)


@pytest.mark.parametrize(
    "text",
    [
        "a: 1\na: 2\n",  # duplicate key
        "a: &x 1\nb: *x\n",  # anchor, alias
        "a: !!binary aGk=\n",  # tag
        "1: a\n",  # non-text key
        "a: 1\n---\nb: 2\n",  # two documents
        "a: NO\nb: 012\nc: 12:30\nd: 1_000\ne: 0X1F\nf: .inf\n",  # YAML 1.2 typing
        "a: " + "[" * 60 + "]" * 60 + "\n",  # depth
        "a: " + "1" * 70 + "\n",  # longer than a number may be
        "a: |\nb: x\n",  # empty block scalar
        "[a, :b]\n",
    ],
)
def test_fast_path_agrees_on_the_known_traps(text):
    assert_agree(text)


def test_case_and_rule_files_in_the_repository_read_the_same_both_ways():
    files = sorted((ROOT / "cases").glob("*.yaml")) + sorted((ROOT / "rules").glob("*.yaml"))
    assert files
    fast = 0
    for f in files:
        text = f.read_text(encoding="utf-8-sig")
        assert_agree(text)
        fast += not yamlfast._needs_locating_reader(text)
    assert fast >= len(files) // 2  # the fast path is the common case, not a rare one


def test_positions_are_computed_lazily_and_match_the_locating_reader():
    text = (ROOT / "cases" / "kestrel-bio.yaml").read_text(encoding="utf-8")
    doc = parse_yaml(text, "k.yaml")
    assert doc._value_pos is None  # the fast path took it: no positions yet
    located = yamlsource._parse_located(text, "k.yaml")
    assert doc.value_pos == located.value_pos and doc.key_pos == located.key_pos
    assert doc.location(("company", "name")) == located.location(("company", "name"))


def test_scan_of_hostile_text_sends_it_to_the_locating_reader():
    # each walks back or scans a line per hit: bounded, so these finish (a quadratic scan of
    # ~1 MB would not); and each is a form the locating reader must judge
    for text in ("x" + "1_" * 500_000, "[" * 200_000, " &a" * 300_000):
        assert yamlfast._needs_locating_reader(text)
    assert not yamlfast._needs_locating_reader("k: a |x" * 200_000 + "\n")  # text, one line


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="ab[{\n\r", max_size=40), st.data())
def test_line_around_is_the_line_holding_the_index(text: str, data) -> None:
    """The bounds searched only for the breaks the text has (a search for a missing one ran
    to the end of the file once per line: 3.5 s for a 2 MB file of flow lines) are the
    bounds every break gives."""
    from screen.model.yamlfast import _breaks, _line_around

    if not text:
        return
    i = data.draw(st.integers(0, len(text) - 1))
    start = max(text.rfind("\n", 0, i), text.rfind("\r", 0, i)) + 1
    ends = [e for e in (text.find("\n", i), text.find("\r", i)) if e >= 0]
    assert _line_around(text, i, _breaks(text)) == (start, min(ends) if ends else len(text))
