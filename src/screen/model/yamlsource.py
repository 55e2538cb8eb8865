"""Read a YAML file into plain Python data plus the position of every key and value.

Why not `yaml.safe_load`: PyYAML silently keeps the last of two duplicate keys, expands aliases
(a 441-byte "billion laughs" file loads instantly but hangs anything that walks it), and applies
YAML 1.1 typing, where `NO` becomes False and `12:30` becomes 750. None of that is acceptable in a
file that decides investments. So we take libyaml's event stream (the C parser when present) and
build the data ourselves:

- duplicate keys, anchors and aliases, and non-string keys are errors with their position;
- plain scalars are typed by the YAML 1.2 core schema (null, bool, int, float, else string);
  quoted scalars are always strings; non-finite numbers (`.nan`, `.inf`, `1e999`) are refused,
  since no figure, parameter, weight or threshold is meaningful as one;
- nesting depth and file size are bounded (`MAX_DEPTH`, `MAX_BYTES`);
- positions are kept per path (`("assets", 0, "stage")`), so later stages can point at the line and
  column of the value (or key) that is wrong.

Speed (issue 12): building the data event by event costs ~1 ms of Python per 6 KiB case file, more
than the rest of a screen. So `parse_yaml` first tries a compiled parser (`yaml_rs`, Rust) on text
that a cheap scan shows holds nothing it reads differently from us (anchors, aliases, tags,
document markers, directives, tabs, YAML 1.1 number forms), checks the data it returns (text keys,
depth, finite numbers) and keeps it only then; everything else, and every error, goes through the
locating reader above (the scan and the check live in `yamlfast.py`). Positions are not needed
unless something is wrong, so a `SourceDoc` from the fast path computes them on first use, by
running the locating reader on its text. `tests/test_yaml_fastpath.py` compares both paths on
generated scalars and documents.
"""

from __future__ import annotations

import math
import os
import re
import stat
from pathlib import Path
from typing import Any

import yaml

from screen.model.errors import Location, ScreenError
from screen.model.yamlfast import MAX_DEPTH, MAX_NUMBER_CHARS, parse_fast
from screen.model.yamlhints import yaml_hint

MAX_BYTES = 2_000_000

try:  # the C parser is ~8x faster; fall back to pure Python where libyaml is missing
    _Loader: type = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - depends on how PyYAML was built
    _Loader = yaml.SafeLoader


PathKey = tuple[str | int, ...]

_NULL = re.compile(r"^(?:~|null|Null|NULL|)$")
_TRUE = re.compile(r"^(?:true|True|TRUE)$")
_FALSE = re.compile(r"^(?:false|False|FALSE)$")
_INT = re.compile(r"^[-+]?[0-9]+$")
_INT_OCT = re.compile(r"^0o[0-7]+$")
_INT_HEX = re.compile(r"^0x[0-9a-fA-F]+$")
_FLOAT = re.compile(r"^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$")
_INF = re.compile(r"^[-+]?\.(?:inf|Inf|INF)$")
_NAN = re.compile(r"^\.(?:nan|NaN|NAN)$")


class SourceDoc:
    """A parsed YAML document: the data, its text, and where every key and value sits.

    Positions given as None are computed on first use from `text` (see module docstring)."""

    __slots__ = ("_key_pos", "_lines", "_value_pos", "data", "path", "text")

    def __init__(
        self,
        path: str,
        text: str,
        data: Any,
        value_pos: dict[PathKey, tuple[int, int]] | None = None,
        key_pos: dict[PathKey, tuple[int, int]] | None = None,
    ) -> None:
        self.path, self.text, self.data = path, text, data
        self._value_pos, self._key_pos = value_pos, key_pos
        self._lines: list[str] | None = None

    def __repr__(self) -> str:
        return f"SourceDoc(path={self.path!r}, data={self.data!r})"

    @property
    def value_pos(self) -> dict[PathKey, tuple[int, int]]:
        if self._value_pos is None:
            self._locate()
        assert self._value_pos is not None
        return self._value_pos

    @property
    def key_pos(self) -> dict[PathKey, tuple[int, int]]:
        if self._key_pos is None:
            self._locate()
        assert self._key_pos is not None
        return self._key_pos

    @property
    def lines(self) -> list[str]:
        """The text's lines, split once: the compiler places every expression's columns by
        its line (750 expressions split the bundled thesis 750 times, ~10 ms a load)."""
        if self._lines is None:
            self._lines = self.text.splitlines()
        return self._lines

    def _locate(self) -> None:
        try:
            located = _parse_located(self.text, self.path)
        except ScreenError:  # cannot happen for text the fast path accepted; stay usable anyway
            located = SourceDoc(self.path, self.text, None, {}, {})
        if self._value_pos is None:
            self._value_pos = located.value_pos
        if self._key_pos is None:
            self._key_pos = located.key_pos

    def location(self, path: PathKey, *, key: bool = False) -> Location:
        """Best location for `path`: the exact node if known, else its nearest known parent."""
        table = self.key_pos if key else self.value_pos
        for end in range(len(path), -1, -1):
            prefix = tuple(path[:end])
            pos = table.get(prefix) or self.value_pos.get(prefix)
            if pos:
                return Location(self.path, pos[0], pos[1])
        return Location(self.path, 1, 1)


_MAY_BE_TYPED = frozenset("0123456789+-.~nNtTfF")


def _scalar(value: str, plain: bool) -> Any:
    if not plain:
        return value
    if not value:
        return None
    if value[0] not in _MAY_BE_TYPED or len(value) > MAX_NUMBER_CHARS:
        return value  # most scalars are text: skip the pattern tests
    if _NULL.match(value):
        return None
    if _TRUE.match(value):
        return True
    if _FALSE.match(value):
        return False
    if _INT.match(value):
        return int(value)  # at most MAX_NUMBER_CHARS digits: far below int()'s limit
    if _INT_OCT.match(value):
        return int(value[2:], 8)
    if _INT_HEX.match(value):
        return int(value[2:], 16)
    if _FLOAT.match(value):
        return float(value)
    if _INF.match(value):
        return float("-inf") if value.startswith("-") else float("inf")
    if _NAN.match(value):
        return float("nan")
    return value


def _events(text: str) -> Any:
    """libyaml's event stream, without yaml.parse's per-event check_event round trip."""
    loader = _Loader(text)
    try:
        get = loader.get_event
        while True:
            event = get()
            if event is None or event.__class__ is yaml.StreamEndEvent:
                return
            yield event
    finally:
        loader.dispose()


def _pos(mark: Any) -> tuple[int, int]:
    return (mark.line + 1, mark.column + 1)


# Characters YAML 1.2 does not allow in a stream (outside c-printable: C0 controls but tab, LF
# and CR; DEL; C1 but NEL; U+FFFE/U+FFFF), and the three that YAML 1.1 readers take as line
# breaks but 1.2 readers do not (NEL, LS, PS): with them in a file, readers disagree on the
# line of everything after, so every position would be wrong. Escaped ("\x01") they are fine.
_NOT_IN_YAML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029\ufffe\uffff]")


def _refuse_unprintable(text: str, path: str) -> None:
    m = _NOT_IN_YAML.search(text)
    bom = text.find("\ufeff", 1)  # a byte-order mark may open the file, and only that
    if m is None and bom < 0:
        return
    i, ch = (
        (m.start(), m.group())
        if m is not None and (bom < 0 or m.start() < bom)
        else (bom, "\ufeff")
    )
    line = text.count("\n", 0, i) + 1
    col = i - (text.rfind("\n", 0, i) + 1) + 1
    code = f"U+{ord(ch):04X}"
    if ch == "\ufeff":
        raise ScreenError(
            f"byte-order mark {code} inside the file: an invisible character, often pasted "
            "from another editor",
            Location(path, line, col),
            "delete it: a file may start with one, nowhere else",
        )
    if ch in "\x85\u2028\u2029":
        what = f"line-break character {code}: YAML readers disagree on whether it ends a line"
    else:
        what = f"control character {code}: YAML allows only printable characters"
    escaped = f"\\x{ord(ch):02x}" if ord(ch) < 0x100 else f"\\u{ord(ch):04x}"
    raise ScreenError(
        what,
        Location(path, line, col),
        f'write it escaped inside a double-quoted string ("{escaped}"), or remove it',
    )


def parse_yaml(text: str, path: str) -> SourceDoc:
    """Parse one YAML document from `text`; errors name `path`, line and column."""
    _refuse_unprintable(text, path)
    ok, data = parse_fast(text)
    if ok:
        return SourceDoc(path, text, data)
    return _parse_located(text, path)


def _parse_located(text: str, path: str) -> SourceDoc:
    """The locating reader: libyaml events, positions for every key and value (module doc).
    Only for text `parse_yaml` has checked for unprintable characters."""
    doc = SourceDoc(path, text, None, {}, {})

    def fail(message: str, mark: Any, hint: str | None = None) -> ScreenError:
        line, col = _pos(mark)
        return ScreenError(message, Location(path, line, col), hint)

    # Stack frames: [container, path, pending_key_or_None, depth]
    stack: list[list[Any]] = []
    root: list[Any] = []
    documents = 0

    def attach(value: Any, mark: Any) -> PathKey | None:
        """Put a finished value into its parent; returns the value's path (None for a key)."""
        if not stack:
            root.append(value)
            doc.value_pos[()] = _pos(mark)
            return ()
        frame = stack[-1]
        container, cpath = frame[0], frame[1]
        if isinstance(container, list):
            vpath = (*cpath, len(container))
            container.append(value)
            doc.value_pos[vpath] = _pos(mark)
            return vpath
        if frame[2] is None:  # this value is a key
            if not isinstance(value, str):
                raise fail(
                    f"mapping keys must be text, got {type(value).__name__} {value!r}",
                    mark,
                    "quote the key",
                )
            if value in container:
                first = doc.key_pos.get((*cpath, value))
                where = f" (first defined at line {first[0]})" if first else ""
                raise fail(f"duplicate key '{value}'{where}", mark, "remove one of them")
            frame[2] = value
            doc.key_pos[(*cpath, value)] = _pos(mark)
            container[value] = _PENDING
            return None
        key = frame[2]
        container[key] = value
        frame[2] = None
        vpath = (*cpath, key)
        doc.value_pos[vpath] = _pos(mark)
        return vpath

    def child_path() -> PathKey:
        if not stack:
            return ()
        container, cpath, key = stack[-1][0], stack[-1][1], stack[-1][2]
        if isinstance(container, list):
            return (*cpath, len(container))
        if key is None:
            return (*cpath, "<key>")
        return (*cpath, key)

    try:
        for event in _events(text):
            cls = event.__class__
            if cls is yaml.ScalarEvent:
                if event.anchor is not None:
                    raise fail(
                        f"YAML anchors (&{event.anchor}) are not allowed in case and rule files",
                        event.start_mark,
                        "write the value out in full",
                    )
                tag = event.tag
                if tag not in (None, "!", "tag:yaml.org,2002:str"):
                    raise fail(f"YAML tags ({tag}) are not allowed", event.start_mark)
                plain = event.implicit[0] and tag is None and not event.style
                value = _scalar(event.value, plain)
                if value.__class__ is float and not math.isfinite(value):
                    raise fail(
                        f"'{event.value}' is not a finite number",
                        event.start_mark,
                        "numbers must be finite; leave a value out when it is unknown",
                    )
                attach(value, event.start_mark)
            elif cls is yaml.MappingStartEvent or cls is yaml.SequenceStartEvent:
                if event.anchor is not None:
                    raise fail(
                        f"YAML anchors (&{event.anchor}) are not allowed in case and rule files",
                        event.start_mark,
                        "write the value out in full",
                    )
                if event.tag not in (None, "!", "tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"):
                    raise fail(f"YAML tags ({event.tag}) are not allowed", event.start_mark)
                if stack and isinstance(stack[-1][0], dict) and stack[-1][2] is None:
                    raise fail("mapping keys must be text, not a list or mapping", event.start_mark)
                if len(stack) >= MAX_DEPTH:
                    raise fail(f"nesting deeper than {MAX_DEPTH} levels", event.start_mark)
                container: Any = {} if cls is yaml.MappingStartEvent else []
                stack.append([container, child_path(), None, event.start_mark])
            elif cls is yaml.MappingEndEvent or cls is yaml.SequenceEndEvent:
                container, _, _, start = stack.pop()
                attach(container, start)
            elif cls is yaml.AliasEvent:
                raise fail(
                    "YAML aliases (*name) are not allowed in case and rule files",
                    event.start_mark,
                    "write the value out in full",
                )
            elif cls is yaml.DocumentStartEvent:
                documents += 1
                if documents > 1:
                    raise fail("only one YAML document per file is allowed", event.start_mark)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "invalid YAML"
        if mark is None:
            raise ScreenError(f"invalid YAML: {problem}", Location(path)) from None
        hint = yaml_hint(problem, text.splitlines(), mark.line, exc.context_mark)
        raise fail(f"invalid YAML: {problem}", mark, hint) from None
    except yaml.YAMLError as exc:
        raise ScreenError(f"invalid YAML: {exc}", Location(path)) from None

    doc.data = root[0] if root else None
    return doc


class _Pending:
    def __repr__(self) -> str:  # pragma: no cover - only visible while parsing
        return "<pending>"


_PENDING = _Pending()


def read_bytes(path: str | Path, display: str | None = None, limit: int | None = None) -> bytes:
    """A file's bytes, at most `limit` (default MAX_BYTES); a missing, unreadable, oversized or
    non-regular path (folder, FIFO, device such as /dev/zero) is a located ScreenError.

    The size is checked before reading (fstat of the opened file, then a bounded read), so a
    900 MB file or an endless device costs nothing; O_NONBLOCK keeps a FIFO from blocking the
    open, and fstat of what was opened leaves no gap for a swap after the check."""
    name = display or str(path)
    limit = MAX_BYTES if limit is None else limit
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        raise ScreenError("file not found", Location(name)) from None
    except IsADirectoryError:  # pragma: no cover - Linux opens folders read-only; fstat says
        raise ScreenError("is a directory, expected a YAML file", Location(name)) from None
    except OSError as exc:
        raise ScreenError(f"cannot read file: {exc.strerror}", Location(name)) from None
    try:
        mode = os.fstat(fd)
        if stat.S_ISDIR(mode.st_mode):
            raise ScreenError("is a directory, expected a YAML file", Location(name))
        if not stat.S_ISREG(mode.st_mode):
            raise ScreenError(
                f"is not a regular file (a {_kind(mode.st_mode)}), expected a YAML file",
                Location(name),
                "name a file on disk",
            )
        if mode.st_size > limit:
            raise ScreenError(_too_large(limit), Location(name))
        # the size the file has, in one read (a buffer of `limit` bytes per file costs ~1 ms);
        # then small reads until EOF, so a file growing under us is still bounded
        parts = [os.read(fd, mode.st_size + 1)]
        total = len(parts[0])
        while total <= limit:
            chunk = os.read(fd, min(1 << 16, limit + 1 - total))
            if not chunk:
                break
            parts.append(chunk)
            total += len(chunk)
    except OSError as exc:
        raise ScreenError(f"cannot read file: {exc.strerror}", Location(name)) from None
    finally:
        os.close(fd)
    raw = parts[0] if len(parts) == 1 else b"".join(parts)
    if len(raw) > limit:
        raise ScreenError(_too_large(limit), Location(name))
    return raw


def _too_large(limit: int) -> str:
    return f"file is larger than {limit} bytes"


def _kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "FIFO"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "device"
    if stat.S_ISSOCK(mode):
        return "socket"
    return "special file"  # pragma: no cover


def read_yaml_file(path: str | Path, display: str | None = None) -> SourceDoc:
    """Read and parse a YAML file, refusing binary junk, huge files and non-UTF-8 text."""
    name = display or str(path)
    return parse_yaml_bytes(read_bytes(path, name), name)


def parse_yaml_bytes(raw: bytes, name: str) -> SourceDoc:
    """Decode and parse; binary or oversized input is an error with a location, not a crash."""
    if len(raw) > MAX_BYTES:
        raise ScreenError(_too_large(MAX_BYTES), Location(name))
    nul = raw.find(b"\x00")
    if nul >= 0:
        if raw[:2] in (b"\xff\xfe", b"\xfe\xff"):
            raise ScreenError("file is UTF-16 text", Location(name), "save the file as UTF-8")
        line = raw.count(b"\n", 0, nul) + 1
        start = raw.rfind(b"\n", 0, nul) + 1
        column = len(raw[start:nul].decode("utf-8", "replace")) + 1  # in characters
        raise ScreenError(
            "binary data (NUL byte) in a YAML file",
            Location(name, line, column),
            "a case or rule file is UTF-8 text: remove the byte, or save the file as text",
        )
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        col = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        raise ScreenError(
            "file is not valid UTF-8 text", Location(name, line, col), "save the file as UTF-8"
        ) from None
    return parse_yaml(text, name)
