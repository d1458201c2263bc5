"""Files on a participant's laptop that only its user may read, written whole or not at all.

What the terminal client keeps -- who this laptop was in each session (`identities`), the
hosts it trusts (`trust`) -- goes through `write_private`: the folder is created 0o700 (an
existing one is left as it is: it may be a data folder shared with other things), the file
is 0o600 and replaced in one step (temporary file in the same folder, fsync, rename), so a
crash never leaves half of it. The host keeps its own files with `whytree.server.files`.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path


def write_private(path: Path, data: bytes) -> None:
    """Write `data` to `path` atomically and durably, readable by its owner only.

    Raises OSError when it cannot; the caller decides how much that matters."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    # mkstemp creates the file 0o600, and os.replace keeps that mode.
    fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise
