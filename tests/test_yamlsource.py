"""The YAML reader: strict, located, and safe against the classic YAML traps."""

from __future__ import annotations

import time

import pytest

from helpers import ALIAS_BOMB
from screen.model import yamlsource
from screen.model.errors import ScreenError
from screen.model.yamlsource import parse_yaml, parse_yaml_bytes, read_yaml_file


def error_of(text: str, name: str = "f.yaml") -> ScreenError:
    with pytest.raises(ScreenError) as info:
        parse_yaml(text, name)
    return info.value


def error_of_bytes(raw: bytes, name: str = "f.yaml") -> ScreenError:
    with pytest.raises(ScreenError) as info:
        parse_yaml_bytes(raw, name)
    return info.value


# --------------------------------------------------------------------------- plain data


def test_plain_mapping_parses_with_positions():
    doc = parse_yaml("company:\n  name: Acme\nassets:\n  - id: A1\n", "c.yaml")
    assert doc.data == {"company": {"name": "Acme"}, "assets": [{"id": "A1"}]}
    assert doc.value_pos[("company", "name")] == (2, 9)
    assert doc.key_pos[("company", "name")] == (2, 3)
    assert doc.value_pos[("assets", 0, "id")] == (4, 9)
    assert str(doc.location(("assets", 0, "id"))) == "c.yaml:4:9"


def test_location_of_missing_path_falls_back_to_nearest_parent():
    doc = parse_yaml("company:\n  name: Acme\n", "c.yaml")
    loc = doc.location(("company", "hq", "city"))
    assert (loc.line, loc.column) == (2, 3)  # the 'company' mapping


def test_core_schema_scalars_are_typed_and_quoted_scalars_stay_text():
    doc = parse_yaml(
        "i: 12\nf: 0.5\nt: true\nn: null\ne:\nq: '12'\nqq: \"true\"\nneg: -3\nexp: 1e3\n", "f.yaml"
    )
    assert doc.data == {
        "i": 12,
        "f": 0.5,
        "t": True,
        "n": None,
        "e": None,
        "q": "12",
        "qq": "true",
        "neg": -3,
        "exp": 1000.0,
    }
    assert isinstance(doc.data["i"], int) and not isinstance(doc.data["i"], bool)


# --------------------------------------------------------------------------- duplicate keys


def test_duplicate_key_rejected_with_line_and_column():
    err = error_of("name: a\nstage: phase1\nname: b\n")
    assert "duplicate key 'name'" in err.message
    assert "line 1" in err.message  # where the first one was
    assert (err.location.line, err.location.column) == (3, 1)
    assert str(err).startswith("f.yaml:3:1:")


def test_nested_duplicate_key_rejected_at_its_position():
    err = error_of("company:\n  name: a\n  hq: x\n  name: b\n")
    assert "duplicate key 'name'" in str(err)
    assert (err.location.line, err.location.column) == (4, 3)


def test_same_key_in_different_mappings_is_fine():
    doc = parse_yaml("a:\n  id: 1\nb:\n  id: 2\nl:\n  - id: 1\n  - id: 2\n", "f.yaml")
    assert doc.data["l"] == [{"id": 1}, {"id": 2}]


def test_non_text_keys_rejected():
    err = error_of("1: a\n")
    assert "keys must be text" in err.message
    assert err.location.line == 1
    err = error_of("? [a, b]\n: c\n")
    assert "keys must be text" in err.message


# --------------------------------------------------------------------------- anchors and aliases


def test_anchor_rejected_with_position():
    err = error_of("base: &b {x: 1}\nother: *b\n")
    assert "anchor" in err.message.lower()
    assert (err.location.line, err.location.column) == (1, 7)


def test_alias_rejected_even_without_anchor_usage():
    # an alias to an undefined anchor is a YAML error; either way it is a located ScreenError
    err = error_of("a: 1\nb: *nothing\n")
    assert err.location is not None and err.location.line == 2


def test_merge_key_with_alias_rejected():
    err = error_of("base: &b {x: 1}\nother:\n  <<: *b\n")
    assert err.location.line == 1
    assert "anchor" in err.message.lower()


def test_billion_laughs_alias_bomb_refused_quickly():
    start = time.perf_counter()
    err = error_of(ALIAS_BOMB, "bomb.yaml")
    elapsed = time.perf_counter() - start
    assert elapsed < 1.0, f"alias bomb took {elapsed:.2f}s"
    assert "not allowed" in err.message
    assert str(err).startswith("bomb.yaml:1:")


def test_billion_laughs_via_file_refused_quickly(tmp_path):
    path = tmp_path / "bomb.yaml"
    path.write_text(ALIAS_BOMB, encoding="utf-8")
    start = time.perf_counter()
    with pytest.raises(ScreenError) as info:
        read_yaml_file(path)
    assert time.perf_counter() - start < 1.0
    assert info.value.location.line == 1


# --------------------------------------------------------------------------- YAML 1.1 traps


@pytest.mark.parametrize(
    "text",
    ["NO", "no", "No", "yes", "Yes", "YES", "on", "off", "OFF", "y", "n", "Y", "N"],
)
def test_yaml11_booleans_stay_text(text):
    assert parse_yaml(f"country: {text}\n", "f.yaml").data == {"country": text}


@pytest.mark.parametrize("text", ["12:30", "1:20:30", "190:20:30"])
def test_sexagesimal_numbers_stay_text(text):
    assert parse_yaml(f"time: {text}\n", "f.yaml").data == {"time": text}


def test_leading_zero_and_dates_and_versions_not_mangled():
    doc = parse_yaml("date: 2024-03-01\nversion: 1.10\nv2: 1.2.3\nnct: NCT01234567\n", "f.yaml")
    assert doc.data["date"] == "2024-03-01"  # a date is text here; pydantic parses it
    assert doc.data["v2"] == "1.2.3"
    assert doc.data["nct"] == "NCT01234567"


def test_python_and_other_tags_rejected():
    err = error_of("a: !!python/object/apply:os.system ['echo hi']\n")
    assert "tag" in err.message.lower()
    assert err.location.line == 1
    err = error_of("a: !!binary aGVsbG8=\n")
    assert "tag" in err.message.lower()


def test_multiple_documents_rejected():
    err = error_of("a: 1\n---\nb: 2\n")
    assert "one YAML document" in err.message
    assert err.location.line == 2


# --------------------------------------------------------------------------- syntax errors


def test_tab_indentation_located():
    err = error_of("company:\n\tname: Acme\n")
    assert err.location.line == 2
    assert err.location.column >= 1
    assert "invalid YAML" in err.message


def test_tab_indentation_hint_says_use_spaces():
    err = error_of("company:\n\tname: Acme\n")
    assert err.hint is not None and "tab" in err.hint


def test_unclosed_flow_list_located():
    err = error_of("a: [1, 2\nb: 3\n")
    assert "invalid YAML" in err.message
    assert err.location.line == 2


def test_unquoted_colon_value_has_hint():
    err = error_of("description: first: second\n")
    assert err.location.line == 1 and err.location.column > 1
    assert err.hint and "quoted" in err.hint


def test_bad_indentation_located():
    err = error_of("company:\n  name: a\n hq: b\n")
    assert err.location.line == 3


# --------------------------------------------------------------------------- bytes


def test_nul_byte_rejected_with_line():
    err = error_of_bytes("a: 1\nb: 2\nc: é\x00\n".encode())
    assert "NUL" in err.message or "binary" in err.message
    assert err.location.file == "f.yaml"
    assert err.location.line == 3
    assert err.location.column == 5  # in characters: é is two bytes
    assert err.hint and "UTF-8 text" in err.hint


def test_binary_junk_rejected_with_location():
    junk = bytes(range(1, 256)) * 8  # no NUL, not UTF-8
    err = error_of_bytes(junk)
    assert err.location.file == "f.yaml" and err.location.line >= 1
    assert "UTF-8" in err.message or "binary" in err.message


def test_png_header_rejected():
    err = error_of_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    assert err.location.line >= 1


def test_invalid_utf8_located_at_line_and_column():
    err = error_of_bytes(b"a: 1\nname: caf" + b"\xe9\n")
    assert "UTF-8" in err.message
    assert (err.location.line, err.location.column) == (2, 10)
    assert err.hint and "UTF-8" in err.hint


def test_utf8_bom_and_non_ascii_text_accepted():
    doc = parse_yaml_bytes("\ufeffname: 百济神州 Bio — café\n".encode(), "f.yaml")
    assert doc.data == {"name": "百济神州 Bio — café"}


def test_oversized_file_rejected():
    raw = b"a: " + b"x" * (yamlsource.MAX_BYTES + 1) + b"\n"
    err = error_of_bytes(raw)
    assert "larger" in err.message
    assert err.location.file == "f.yaml"


def test_missing_file_and_directory_are_screen_errors(tmp_path):
    with pytest.raises(ScreenError) as info:
        read_yaml_file(tmp_path / "nope.yaml")
    assert "not found" in str(info.value) and "nope.yaml" in str(info.value)
    with pytest.raises(ScreenError) as info:
        read_yaml_file(tmp_path)
    assert "directory" in str(info.value)


# --------------------------------------------------------------------------- nesting and shape


def test_deep_flow_nesting_bounded_and_located():
    depth = 200
    err = error_of("a: " + "[" * depth + "]" * depth + "\n")
    assert "nesting" in err.message
    assert err.location.line == 1 and err.location.column > 1


def test_deep_block_nesting_bounded():
    text = "".join("  " * i + f"k{i}:\n" for i in range(100)) + "  " * 100 + "leaf: 1\n"
    err = error_of(text)
    assert "nesting" in err.message
    assert yamlsource.MAX_DEPTH - 1 <= err.location.line <= yamlsource.MAX_DEPTH + 2


def test_nesting_up_to_limit_accepted():
    depth = yamlsource.MAX_DEPTH - 1  # plus the root mapping
    doc = parse_yaml("a: " + "[" * depth + "1" + "]" * depth + "\n", "f.yaml")
    value = doc.data["a"]
    for _ in range(depth - 1):
        value = value[0]
    assert value == [1]


def test_pathological_bracket_flood_is_fast():
    start = time.perf_counter()
    with pytest.raises(ScreenError):
        parse_yaml("[" * 500_000, "f.yaml")
    assert time.perf_counter() - start < 2.0


def test_top_level_list_refused_by_case_validation():
    from screen.model.case import Case
    from screen.model.validation import validate_doc

    doc = parse_yaml("- company: x\n- assets: []\n", "c.yaml")
    assert isinstance(doc.data, list)  # the reader reads it ...
    with pytest.raises(ScreenError) as info:
        validate_doc(Case, doc)  # ... the model refuses it, with a location
    err = info.value
    assert "mapping" in err.message and "list" in err.message
    assert str(err).startswith("c.yaml:1:1:")


def test_empty_and_comment_only_files_are_none_then_refused():
    from screen.model.case import Case
    from screen.model.validation import validate_doc

    for text in ("", "# only a comment\n"):
        doc = parse_yaml(text, "c.yaml")
        assert doc.data is None
        with pytest.raises(ScreenError) as info:
            validate_doc(Case, doc)
        assert "nothing" in info.value.message
        assert info.value.location is not None


@pytest.mark.parametrize(
    ("raw", "line", "col", "words"),
    [
        ('a: 1\nnotes: "a\x01b"\nanalyst: 7\n', 2, 10, "control character U+0001"),
        ("a: 1\nb: x\x1b[31m\n", 2, 5, "control character U+001B"),
        ("a: 1\nb: x\x7f\n", 2, 5, "control character U+007F"),
        ('a: "x\x85y"\nb: 1\n', 1, 6, "line-break character U+0085"),
        ('a: 1\nb: "x\u2028y"\n', 2, 6, "line-break character U+2028"),
        ("a: 1\nb: x\ufffe\n", 2, 5, "U+FFFE"),
    ],
)
def test_a_raw_unprintable_character_is_refused_where_it_is(raw, line, col, words):
    """YAML allows only printable characters; NEL / LS / PS are line breaks to YAML 1.1
    readers and not to 1.2 ones, so every later position would be off by a line. Located at
    the character itself (it used to make every error of the file 1:1), with the escape."""
    with pytest.raises(ScreenError) as info:
        parse_yaml(raw, "c.yaml")
    err = info.value
    assert (err.location.line, err.location.column) == (line, col) and words in err.message
    assert "escaped inside a double-quoted string" in (err.hint or "")


def test_escaped_control_characters_and_tabs_stay_allowed():
    doc = parse_yaml('a: "x\\x01y\\u2028z"\nb:\tc\r\n', "c.yaml")
    assert doc.data == {"a": "x\x01y\u2028z", "b": "c"}


def test_a_utf16_file_is_named_as_such(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_bytes("company: {name: X}\n".encode("utf-16"))
    with pytest.raises(ScreenError) as info:
        read_yaml_file(path)
    assert "UTF-16" in info.value.message and "UTF-8" in (info.value.hint or "")


# --------------------------------------------------------------------------- scalar positions


def test_a_character_of_a_wrapped_scalar_is_placed_where_the_file_has_it() -> None:
    from screen.model.scalarpos import place_in_scalar

    lines = ["a:", '  expr: "x +', '    y\\"z"', "  b: 'it''s", "    q'", "  c: |", "    a and",
             "      bb", "  d: >-", "    one", "", "    two"]  # fmt: skip
    assert place_in_scalar(lines, 2, 10, 'x + y"z', 4) == (3, 5)  # a folded break, indentation
    assert place_in_scalar(lines, 2, 10, 'x + y"z', 6) == (3, 8)  # past an escape
    assert place_in_scalar(lines, 4, 7, "it's q", 5) == (5, 5)  # past a doubled quote
    assert place_in_scalar(lines, 7, 5, "a and\n  bb", 8) == (8, 7)  # literal, kept indent
    assert place_in_scalar(lines, 10, 5, "one\ntwo", 4) == (12, 5)  # a blank line kept
    assert place_in_scalar(lines, 2, 10, "nothing like it", 3) is None  # no match: no guess
    assert place_in_scalar(lines, 2, 10, "x", 5) is None  # beyond the value


def test_an_unclosed_quote_is_named_where_it_opens():
    """The parser fails many lines later ('expected , or }' at 3:12); the hint names the quote
    left open on the line where the flow mapping began."""
    with pytest.raises(ScreenError) as info:
        parse_yaml('a: {b: "x, y}\nc: 1\nd: {e: 2, "f}\n', "q.yaml")
    assert "the quote opened at line 1, column 8 is not closed on its line" in str(info.value)
    with pytest.raises(ScreenError) as info:  # a closed quote: the usual advice
        parse_yaml("a: {b: x: y}\n", "q.yaml")
    assert "quote opened" not in str(info.value)


@pytest.mark.parametrize(
    "text, said",
    [
        # no quote after it: the parser reads to the end of the file
        ("a:\n  - id: A\n    target: 'B7-H3\n    name: x\n", "line 3, column 13 is never closed"),
        # a quote further down closes it: the parser fails at a key far from the cause
        ('a:\n  b: "open\n  c: 1\n  d: "x"\n', "line 2, column 6 is not closed on its line"),
    ],
)
def test_a_block_value_left_open_is_named_where_its_quote_opens(text: str, said: str) -> None:
    """A fresh-clone review: `target: 'B7-H3` (line 122) was reported at 210:1 as 'found
    unexpected end of stream', and an open `indication: "...` as an indentation problem."""
    with pytest.raises(ScreenError) as info:
        parse_yaml(text, "q.yaml")
    assert f"the quote opened at {said}" in str(info.value)


@pytest.mark.parametrize(
    "text",
    [
        "a:\n  b: 'x'\n   c: \"it's\"\n d: 1\n",  # closed quotes
        # a quote in a block scalar's prose, then a misindented key (a review's y4)
        'a:\n  notes: >-\n    the FDA said: "approval\n    by 2026\n  b: 1\n extra: 1\n',
        # a value legally quoted over two lines, then a misindented key
        'a:\n  b: "one\n    two"\n   c: 1\n d: 1\n',
    ],
)
def test_a_misindentation_beside_a_quote_keeps_the_indentation_hint(text: str) -> None:
    """The quote is blamed only when closing it lets the parser get past the error."""
    with pytest.raises(ScreenError) as info:
        parse_yaml(text, "q.yaml")
    assert "quote opened" not in str(info.value)


def test_a_byte_order_mark_inside_a_file_is_refused_where_it_is():
    """It was read into the next key ('unknown key '\\ufeffschema_version'') at 1:1."""
    with pytest.raises(ScreenError) as info:
        parse_yaml("a: 1\nb: 2\n\ufeffc: 3\n", "bom.yaml")
    err = info.value
    assert (err.location.line, err.location.column) == (3, 1)
    assert "byte-order mark U+FEFF" in err.message and "\ufeff" not in str(err)
    assert parse_yaml_bytes(b"\xef\xbb\xbfa: 1\n", "ok.yaml").data == {"a": 1}  # at the start


def test_the_open_quote_hint_parses_the_file_again_a_bounded_number_of_times(monkeypatch):
    """Each quote tried as the culprit costs a parse of the file: 3,000 values legally quoted
    over two lines before a misindented key took 21 s (a hostile-input review)."""
    from screen.model import yamlhints

    calls = []
    real = yamlhints._parses_past
    monkeypatch.setattr(yamlhints, "_parses_past", lambda *a: calls.append(1) or real(*a))
    text = "a:\n" + "".join(f'  k{i}: "one\n    two"\n' for i in range(200)) + "   bad: 1\n"
    with pytest.raises(ScreenError) as info:
        parse_yaml(text, "q.yaml")
    assert "check the indentation" in str(info.value)
    assert len(calls) == yamlhints.MAX_REPARSES
