"""What a session's advertisement on the local network says, for both ends to agree on.

The server advertises each running session as one DNS-SD service of type `SERVICE_TYPE`
(`whytree.server.discovery`); a participant's screen lists what it finds
(`whytree.tui.lan`). The TXT record carries ``title`` (cleaned by `clean_title`), ``v``
(`PROTOCOL_VERSION`), ``tls=0|1`` and, with TLS, ``fp``: the first
`FINGERPRINT_PREFIX_DIGITS` hex digits of the certificate's fingerprint. **Never** the
join code or the facilitator key: anyone on the network can read an advertisement.
"""

from __future__ import annotations

from whytree.shared.fingerprint import DISPLAY_BYTES
from whytree.shared.text import clean

SERVICE_TYPE = "_whytree._tcp.local."
PROTOCOL_VERSION = "1"
MAX_TITLE_CHARS = 80
MAX_TITLE_BYTES = 200
"""A TXT string is at most 255 bytes, "title=" included."""
FINGERPRINT_PREFIX_DIGITS = 2 * DISPLAY_BYTES


def clean_title(title: str) -> str:
    """A title as advertised and as shown: no control, escape or bidi characters, at most
    `MAX_TITLE_CHARS` characters and `MAX_TITLE_BYTES` UTF-8 bytes."""
    text = clean(title)[:MAX_TITLE_CHARS]
    while len(text.encode("utf-8")) > MAX_TITLE_BYTES:
        text = text[:-1]
    return text.strip()
