"""A name or a title cut to its limit never splits what a person reads as one character.

`text.fit` cuts the text that cannot be refused (a person's name, a session's title) at its
bound. Each case is a character of its own kind exactly at the cut: a vowel sign, an
enclosing mark, both ends of the skin tones, Hangul jamo at both ends of their ranges, and
flags (pairs of regional indicators, counted from the start of the run).
"""

from __future__ import annotations

import pytest

from whytree.shared.text import fit

KA = "\u0915\u093e"  # Devanagari "kaa": a letter and its spacing vowel sign (Mc)
CIRCLED = "x\u20dd"  # a letter inside an enclosing circle (Me)
THUMB = "\U0001f44d"
FLAG = {"FR": "\U0001f1eb\U0001f1f7", "DE": "\U0001f1e9\U0001f1ea", "AC": "\U0001f1e6\U0001f1e8"}


@pytest.mark.parametrize(("text", "limit", "shown"), [
    ("ab" + KA, 3, "ab"),
    ("ab" + CIRCLED, 3, "ab"),
    ("ab" + THUMB + "\U0001f3fb", 3, "ab"),  # the lightest skin tone
    ("ab" + THUMB + "\U0001f3ff", 3, "ab"),  # the darkest
    ("ab\u1100\u1160", 3, "ab"),  # the first leading consonant, the first vowel
    ("ab\u11ff\u11ff", 3, "ab"),  # the last jamo on both sides
    ("ab\u1100a", 3, "ab\u1100"),  # a jamo, then a letter: a place to cut
    ("aba\u1160", 3, "aba"),  # a letter, then a jamo vowel: a place to cut
    ("a\U0001f1eb" + "b", 2, "a\U0001f1eb"),  # a lone regional indicator, then a letter
    ("a" + FLAG["FR"] + FLAG["DE"], 4, "a" + FLAG["FR"]),
    (FLAG["AC"] * 2, 3, FLAG["AC"]),  # U+1F1E6, the first regional indicator
    ("\U0001f1ff\U0001f1e6" * 2, 3, "\U0001f1ff\U0001f1e6"),  # U+1F1FF, the last
])
def test_a_cut_falls_between_characters(text: str, limit: int, shown: str) -> None:
    assert fit(text, limit) == shown


def test_one_character_longer_than_the_limit_is_cut_at_the_limit() -> None:
    """A letter under many accents (pasted "zalgo" text) has no place to cut: it is cut at
    the limit rather than lost, and text made of accents alone is cut the same way."""
    assert fit("e" + "\u0301" * 50, 5) == "e" + "\u0301" * 4
    assert fit("\u0301" * 50, 40) == "\u0301" * 40
