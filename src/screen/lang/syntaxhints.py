"""What went wrong in an expression that does not parse, said in the rule author's terms.

Python's parser reports most mistakes as "invalid syntax" at the start of the expression or at
its end. Rule authors make a handful of mistakes again and again (`=` for `==`, a comparison
with nothing on its right, `&&` from another language, a missing comma between two strings);
each is found from the tokens and reported at the token that is wrong, with the fix.
"""

from __future__ import annotations

import io
import itertools
import re
import tokenize
from dataclasses import dataclass

# an operator that needs an operand on its right
_NEEDS_RIGHT = {
    "==", "!=", "<", "<=", ">", ">=", "+", "-", "*", "/", "//", "%", "**",
    "and", "or", "not", "in", "is", "if", "else",
}  # fmt: skip
_FOREIGN = {
    "&&": ("'&&' is not an operator here", "write 'and'"),
    "||": ("'||' is not an operator here", "write 'or'"),
    "!": ("'!' is not an operator here", "write 'not x', or '!=' to compare"),
    "===": ("'===' is not an operator here", "write '=='"),
    "!==": ("'!==' is not an operator here", "write '!='"),
}
_ADJACENT_QUOTES = re.compile(r"""['"]\s*[rRbBuUfF]*['"]""")
_SKIP = {tokenize.NEWLINE, tokenize.NL, tokenize.COMMENT, tokenize.ENDMARKER, tokenize.INDENT}


@dataclass(frozen=True)
class Diagnosis:
    """A mistake found at `line` (1-based, within the expression) and `column` (0-based)."""

    line: int
    column: int
    message: str
    hint: str | None = None


def adjacent_strings(src: str) -> Diagnosis | None:
    """Two string literals side by side, which Python would join into one: `['a' 'b']` is
    almost always a list with a comma missing, never a rule author's wish to concatenate."""
    if not _ADJACENT_QUOTES.search(src):
        return None
    tokens = _tokens(src)
    for before, tok in itertools.pairwise(tokens):
        if before.type == tokenize.STRING and tok.type == tokenize.STRING:
            return Diagnosis(
                *tok.start,
                f"two strings side by side, {before.string} and {tok.string}",
                "separate them with a comma",
            )
    return None


def diagnose(src: str) -> Diagnosis | None:
    """The common mistake behind a syntax error in `src`, or None to keep the parser's word."""
    tokens = _tokens(src)
    if not tokens:
        return None
    for i, tok in enumerate(tokens):
        foreign = _foreign_operator(tokens, i)
        if foreign is not None:
            return Diagnosis(*tok.start, *_FOREIGN[foreign])
        if tok.type == tokenize.OP and tok.string == "=":
            return Diagnosis(*tok.start, "'=' is not a comparison", "compare with '=='")
    last = tokens[-1]
    if last.string in _NEEDS_RIGHT:
        return Diagnosis(
            *last.start,
            f"the expression ends after '{last.string}'",
            f"'{last.string}' needs something on its right",
        )
    return None


def _foreign_operator(tokens: list[tokenize.TokenInfo], i: int) -> str | None:
    """The longest operator from another language starting at token i: the tokenizer splits
    `&&` into `&`, `&` and `!==` into `!=`, `=`, so touching operator tokens are joined."""
    text, end = tokens[i].string, tokens[i].end
    found = text if text in _FOREIGN else None
    for tok in tokens[i + 1 : i + 3]:
        if tok.start != end or tok.type not in (tokenize.OP, tokenize.ERRORTOKEN):
            break
        text, end = text + tok.string, tok.end
        if text in _FOREIGN:
            found = text
    return found


def _tokens(src: str) -> list[tokenize.TokenInfo]:
    """The expression's tokens up to where the tokenizer gives up (an unclosed bracket)."""
    out: list[tokenize.TokenInfo] = []
    try:
        for tok in tokenize.generate_tokens(io.StringIO(src).readline):
            if tok.type not in _SKIP and tok.string.strip():
                out.append(tok)
    except (tokenize.TokenError, SyntaxError, IndentationError):
        pass
    return out
