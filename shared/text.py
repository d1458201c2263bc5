"""Cleaning text that people typed, before anyone else sees it.

The server passes every piece of user text (causes, names, actions, the situation)
through `clean` before it accepts a command, so no client ever receives a terminal escape
sequence, a C0/C1 control character, a NUL or a bidi override from another person. Markup
characters such as `[bold]` are left alone on purpose: they are harmless as long as every
screen shows user text as plain text, which the TUI does.
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
