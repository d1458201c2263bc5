"""Files only the host's user may read, written so that a crash never leaves half of one.

Everything whytree keeps on the host -- the journal, the saved results, the TLS key, the
log -- goes through these: folders are 0o700, files 0o600, and a file is replaced in one
step (temporary file in the same folder, fsync, rename) so it is either the old one or
the new one, whole.
"""

from __future__ import annotations

import contextlib
import logging
import os
import tempfile
from pathlib import Path

log = logging.getLogger(__name__)

POSIX = os.name == "posix"


def private_dir(path: Path, *, tighten: bool = True) -> None:
    """Create `path` (and parents) readable by this user only. With `tighten`, also take
    others' access away from a folder that exists already. A file system without
    permissions (a USB stick) or a folder we don't own is left as it is, with a log line:
    keeping the data matters more than its mode."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    if POSIX and tighten and path.stat().st_mode & 0o077:
        try:
            path.chmod(0o700)
        except OSError as error:
            log.warning("could not make %s private: %s", path, error)


def write_private(path: Path, data: bytes) -> None:
    """Write `data` to `path` atomically and durably, readable by its owner only."""
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


def fsync_dir(path: Path) -> None:
    """Make a rename in `path` durable. Best effort: Windows and some file systems can't
    fsync a folder, and the files themselves are already safe."""
    if not POSIX:
        return
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def touch_private(path: Path) -> None:
    """Create `path` empty and 0o600 if it is missing (before another library opens it)."""
    os.close(os.open(path, os.O_CREAT | os.O_APPEND | os.O_WRONLY, 0o600))
