"""The compiled YAML fast path: which texts `yaml_rs` reads exactly as the locating reader does.

`yamlsource.parse_yaml` builds data from libyaml events in Python (~1 ms per 6 KiB case file, the
largest cost of a screen). A compiled parser is ~10x faster but reads some YAML differently: YAML
1.2 where libyaml is 1.1 (line breaks, flow plain scalars), YAML 1.1 number forms, anchors
expanded, tags dropped. `parse_fast` therefore keeps its data only when a scan of the text finds
none of those forms and a check of the data finds only what the locating reader would build;
otherwise it returns (False, None) and the locating reader, which also writes every error
message, does the work. Split from yamlsource.py (the locating reader, file reading) as its own
job; both must change together when a YAML form is added to either.
"""

from __future__ import annotations

import re
from typing import Any

try:  # without yaml_rs every file takes the locating reader
    import yaml_rs as _yaml_rs
except ImportError:  # pragma: no cover - yaml-rs is a dependency; a broken install still works
    _yaml_rs = None

MAX_DEPTH = 48  # nested containers (the locating reader enforces the same)
MAX_NUMBER_CHARS = 64  # longer plain scalars are text, never numbers (int() cost is quadratic)

# Text the compiled parser may read differently from the locating reader goes the slow way (a
# false alarm only costs speed; `test_fast_path_agrees_*` check that nothing slips through):
# - anchors, aliases and tags (&a, *a, !t) where a node can start (`Merck & Co` is text);
# - block scalars (| and >) unless they are the value of a key or list item and the text ends
#   with a line break (the two differ on a last line and at the top level); empty ones are
#   caught in `_fits` (yaml_rs reads them as a line break);
# - a plain scalar starting with `:` or `?`, or `:` before a flow indicator (YAML 1.2 allows
#   `[a, :b]` and `[a:]`, libyaml does not); flow collections over several lines;
# - document markers (---, ...) and directives (%) at a line start; tabs (libyaml refuses
#   some that yaml_rs takes); NEL, LS and PS (line breaks in YAML 1.1, text in 1.2);
# - YAML 1.1 number forms that yaml_rs types and we keep as text: underscores (1_000, _5,
#   0xE_1), 0X / 0O / 0B / 0b prefixes and signed hex or octal (+0x1F);
# - runs of 20 or more (hex) digits: our 64-character cap on numbers (MAX_NUMBER_CHARS).
# The scans are str methods or regexes that start with a literal (fast in CPython's re), about
# 20 us for a 6 KiB case file where one regex with look-behinds took 1.8 ms.
_NODE_START = frozenset(" \t\r\n[]{},")
_SPACE = frozenset(" \t\r\n")
_NUMBER_CHARS = frozenset("0123456789.+-_eEabcdfABCDFxXoO")
_UNDERSCORE = re.compile(r"_(?:(?<=[\s0-9.+\-_eE]_)|(?=[0-9._]))")
_PREFIX_1_1 = re.compile(r"0(?:[XOBb]|(?<=[+-]0)[xo])")
_HEX_TO_0 = str.maketrans(dict.fromkeys("123456789abcdefABCDEF", "0"))
_DIGIT_RUN = "0" * 20
_LINE_STARTS = ("---", "...", "%")
_FLOW_COLON = (":]", ":}", ":,", ":?", ":[", ":{")
_BLOCK_HEADER = frozenset("-+0123456789")
_HEADER_END = frozenset(" \t\r\n#")
_NOT_SHARED = ("\t", "\x85", "\u2028", "\u2029")


def _at_node_start(text: str, ch: str, then_text: bool) -> bool:
    """Whether `ch` occurs where a node can start (and, if `then_text`, before a non-space)."""
    i = text.find(ch)
    end = len(text) - 1
    while i >= 0:
        if (i == 0 or text[i - 1] in _NODE_START) and not (
            then_text and (i == end or text[i + 1] in _SPACE)
        ):
            return True
        i = text.find(ch, i + 1)
    return False


def _line_around(text: str, i: int, breaks: tuple[str, ...]) -> tuple[int, int]:
    """(start, end) of the line that holds index `i`. `breaks`: the line breaks the text has;
    a search for one it lacks runs to the text's end (or start), which once per line of a
    2 MB file was quadratic (seconds)."""
    start = max(text.rfind(b, 0, i) for b in breaks) + 1 if breaks else 0
    ends = [e for e in (text.find(b, i) for b in breaks) if e >= 0]
    return start, min(ends) if ends else len(text)


def _breaks(text: str) -> tuple[str, ...]:
    return tuple(b for b in ("\n", "\r") if b in text)


def _flow_spans_lines(text: str, ch: str) -> bool:
    """Whether a line where a flow collection may start leaves brackets open (or closes more)."""
    i = text.find(ch)
    breaks = _breaks(text) if i >= 0 else ()
    while i >= 0:
        if i == 0 or text[i - 1] in _NODE_START:
            start, end = _line_around(text, i, breaks)
            line = text[start:end]
            opened = line.count("[") + line.count("{")
            if opened != line.count("]") + line.count("}"):
                return True
            i = text.find(ch, end)  # one check per line
            continue
        i = text.find(ch, i + 1)
    return False


def _block_scalar_unlike(text: str, ch: str) -> bool:
    """Whether a block scalar may start at a `ch` where the two parsers could read it apart.

    Safe: a header (`>-`, `|2`, ...) after `key:` or `- ` on a line without flow brackets, in
    text that ends with a line break; and `>` or `|` before other text (`>= 2`) outside flow
    brackets, where it is either inside a plain scalar or refused by both."""
    i = text.find(ch)
    ends_in_break = text.endswith(("\n", "\r"))
    breaks = _breaks(text) if i >= 0 else ()
    line_end = -1  # the line of the last hit, looked at once per line (linear, not quadratic)
    while i >= 0:
        if i == 0 or text[i - 1] in _NODE_START:
            if i >= line_end:
                start, line_end = _line_around(text, i, breaks)
                line = text[start:line_end]
                if "[" in line or "{" in line:
                    return True
            j = i + 1
            while j < len(text) and text[j] in _BLOCK_HEADER:
                j += 1
            if j == len(text) or text[j] in _HEADER_END:  # a block scalar header
                k = i - 1
                while k >= 0 and text[k] == " ":
                    k -= 1
                if not ends_in_break or k < 0 or text[k] not in ":-":
                    return True
        i = text.find(ch, i + 1)
    return False


def _needs_locating_reader(text: str) -> bool:
    """Whether `text` may hold something only the locating reader reads right (see above)."""
    if text.startswith(_LINE_STARTS) or any(ch in text for ch in _NOT_SHARED):
        return True
    for brk in ("\n", "\r"):
        if any(brk + start in text for start in _LINE_STARTS):
            return True
    if _at_node_start(text, "!", False):
        return True
    if any(pair in text for pair in _FLOW_COLON) or any(
        _at_node_start(text, ch, True) for ch in "&*:?"
    ):
        return True
    if any(_flow_spans_lines(text, ch) for ch in "[{"):
        return True
    if any(_block_scalar_unlike(text, ch) for ch in "|>"):
        return True
    for m in _UNDERSCORE.finditer(text):
        i = stop = m.start()
        while i > 0 and text[i - 1] in _NUMBER_CHARS and stop - i <= MAX_NUMBER_CHARS:
            i -= 1
        if i == 0 or text[i - 1] in _NODE_START or stop - i > MAX_NUMBER_CHARS:
            return True  # the scalar starts number-like (bounded: no quadratic walk)
    if _PREFIX_1_1.search(text):
        return True
    return _DIGIT_RUN in text.translate(_HEX_TO_0)


_SCALARS = (int, bool, type(None))


def _fits(value: Any, depth: int = 0) -> bool:
    """Whether compiled-parser data is what the locating reader would build: text keys, plain
    scalars, finite floats, no blank multi-line text (empty block scalars), at most MAX_DEPTH
    nested containers. One loop per container, scalars checked inline (~100 nodes a case)."""
    cls = value.__class__
    if cls is dict:
        for k in value:
            if k.__class__ is not str:
                return False
        items = value.values()
    elif cls is list:
        items = value
    else:
        return _fits([value], depth - 1)
    if depth >= MAX_DEPTH:
        return False
    for v in items:
        cls = v.__class__
        if cls is str:
            if v.isspace() and ("\n" in v or "\r" in v):
                return False
        elif cls is dict or cls is list:
            if not _fits(v, depth + 1):
                return False
        elif cls is float:
            if v - v != 0.0:  # inf - inf and nan are nan
                return False
        elif cls not in _SCALARS:
            return False
    return True


def parse_fast(text: str) -> tuple[bool, Any]:
    """(True, data) when the compiled parser reads `text` as we would, else (False, None)."""
    if _yaml_rs is None or _needs_locating_reader(text):
        return False, None
    try:
        data = _yaml_rs.loads(text, parse_datetime=False)
    except Exception:  # noqa: BLE001 - any refusal: the locating reader says what is wrong
        return False, None
    if not _fits(data):
        return False, None
    return True, data
