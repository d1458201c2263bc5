"""Cleaning text that people typed, before anyone else sees it.

The server passes every piece of user text (causes, names, actions, the situation)
through `clean` before it accepts a command, so no client ever receives a terminal escape
sequence, a C0/C1 control character, a NUL or a bidi override from another person. Markup
characters such as `[bold]` are left alone on purpose: they are harmless as long as every
screen shows user text as plain text, which the TUI does.

Cleaning normalises to NFC, and NFC can make text *longer*: a few characters (U+FB2C, a
Hebrew letter with two marks, say) have no composed form and become three. So the length
bound of a field must be checked again on the cleaned text: the rules refuse a command whose
cleaned text no longer fits, and `fit` cuts a name or title that has no way to be refused,
never inside what reads as one character.
"""

from __future__ import annotations

import re
import unicodedata

# Whole escape sequences first, so their parameters do not survive as stray text:
# CSI (ESC [ ... final), OSC/DCS/SOS/PM/APC strings (ESC ] ... BEL or ST), two-byte escapes,
# and the single-character 8-bit forms (U+009B CSI, U+009D OSC, ...).
_ESCAPE_SEQUENCE = re.compile(
    r"""
    (?: \x1b\[ | \x9b ) [0-?]* [ -/]* [@-~]?             # CSI
  | (?: \x1b[\]PX^_] | [\x90\x98\x9d\x9e\x9f] )          # OSC, DCS, SOS, PM, APC
        [^\x07\x1b\x9c]* (?: \x07 | \x1b\\ | \x9c )?     #   ... up to BEL or ST
  | \x1b [ -/]* [0-~]?                                    # other escapes
    """,
    re.VERBOSE,
)

_KEEP_FORMAT = {"\u200d"}  # zero-width joiner: part of many emoji
_WHITESPACE = re.compile(r"\s+")


def _allowed(char: str) -> bool:
    category = unicodedata.category(char)
    if category in ("Cc", "Cs"):  # controls (C0, DEL, C1) and lone surrogates
        return False
    if category == "Cf":  # format characters: bidi overrides, isolates, marks, ...
        return char in _KEEP_FORMAT
    return True


def clean(text: str) -> str:
    """Return `text` as one safe line: escape sequences, control, format and bidi
    characters removed, runs of white space folded to one space, ends trimmed."""
    text = _ESCAPE_SEQUENCE.sub("", text)
    text = unicodedata.normalize("NFC", text)
    text = "".join(char if _allowed(char) else (" " if char in "\t\n\r\v\f" else "")
                   for char in text)
    return _WHITESPACE.sub(" ", text).strip()


_ZWJ = "\u200d"


def fit(text: str, limit: int) -> str:
    """`text` cut to at most `limit` characters, at a place that does not split what a
    person reads as one character (a letter and its accents, an emoji sequence, a flag),
    and trimmed."""
    if len(text) <= limit:
        return text
    end = limit
    while end > 0 and _inside_cluster(text, end):
        end -= 1
    if end == 0:  # one "character" longer than the limit (a letter under 300 accents)
        end = limit
    return text[:end].rstrip()


def _inside_cluster(text: str, at: int) -> bool:
    """Would a cut between `text[at - 1]` and `text[at]` split one visible character?"""
    before, after = text[at - 1], text[at]
    if unicodedata.category(after) in ("Mn", "Mc", "Me"):  # accents, vowel signs, selectors
        return True
    if _ZWJ in (before, after) or "\U0001f3fb" <= after <= "\U0001f3ff":  # emoji ZWJ, skin tones
        return True
    if "\u1100" <= before <= "\u11ff" and "\u1160" <= after <= "\u11ff":  # Hangul jamo
        return True
    if _regional(before) and _regional(after):  # a flag is a pair of regional indicators
        run = 0
        while run < at and _regional(text[at - 1 - run]):
            run += 1
        return run % 2 == 1
    return False


def _regional(char: str) -> bool:
    return "\U0001f1e6" <= char <= "\U0001f1ff"
