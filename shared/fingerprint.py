"""Certificate fingerprints, as computed and as people compare them by eye.

With `--tls` the host uses a self-signed certificate and clients trust it on first use
(see `whytree.server.tls` for the host's half, `whytree.tui.trust` for the client's). A
fingerprint is the SHA-256 of the DER certificate, 64 upper-case hex digits; the host's
screen, the LAN advertisement and the client's question all show the first 16 bytes in
groups of four (`format_fingerprint`), so that people can read them aloud and compare.
"""

from __future__ import annotations

import hashlib
import re

FINGERPRINT_HEX_DIGITS = 64
DISPLAY_BYTES = 16
"""How much of a fingerprint people compare (and the LAN advertisement carries)."""

_HEX = re.compile(r"[0-9A-F]*")


def certificate_fingerprint(der: bytes) -> str:
    """SHA-256 of a DER-encoded certificate, as 64 upper-case hex digits."""
    return hashlib.sha256(der).hexdigest().upper()


def normalize_fingerprint(text: str) -> str:
    """Upper-case hex digits only: accepts ``ab12cd...``, ``AB12 CD34 ...`` and ``AB:12:...``.

    Raises ValueError if anything but hex digits and separators is present.
    """
    digits = re.sub(r"[\s:.-]", "", text).upper()
    if not _HEX.fullmatch(digits):
        raise ValueError(f"not a fingerprint: {text!r}")
    return digits


def format_fingerprint(fingerprint: str, nbytes: int = DISPLAY_BYTES) -> str:
    """The first `nbytes` bytes of a fingerprint in groups of four hex digits:
    ``AB12 CD34 EF56 7890 ...``, which people can read aloud and compare."""
    digits = normalize_fingerprint(fingerprint)[: 2 * nbytes]
    return " ".join(digits[i : i + 4] for i in range(0, len(digits), 4))
