"""Join codes as people read them out and type them.

The host shows a code in groups of three digits (`482 913 057`); people type it with or
without the spaces, sometimes with dashes. The server compares codes after
`normalize_code`, and every screen shows them with `grouped_code`, so the host, the
server and each client agree on what the same code looks like.
"""

from __future__ import annotations


def normalize_code(code: str) -> str:
    """What people type for a code, without the spaces and dashes they add."""
    return "".join(ch for ch in code if ch.isalnum()).upper()


MIN_CHOSEN_CODE = 6
"""The fewest letters or digits a code the host chooses (`--code`) may have: shorter ones
are guessed in minutes, whatever the limits on wrong guesses."""


def chosen_code(code: str) -> str:
    """A code the host chose, as the server compares it; raises `ValueError` with a
    sentence when it is too short to keep strangers out."""
    normalized = normalize_code(code)
    if len(normalized) < MIN_CHOSEN_CODE:
        raise ValueError(f"The join code {code!r} is too short: use at least {MIN_CHOSEN_CODE} "
                         "letters or digits, or leave --code out for a new 9-digit one.")
    return normalized


def grouped_code(code: str) -> str:
    """`482 913 057` for `482913057` (and `123 456` for a 6-digit code): groups of three
    are easier to read out and to type. People may type it with or without the spaces."""
    if len(code) <= 4:
        return code
    return " ".join(code[i:i + 3] for i in range(0, len(code), 3))
