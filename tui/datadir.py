"""Where whytree keeps its files on this laptop, unless told otherwise.

The same folder holds the host's journal and saved results (`whytree host` / `serve`) and
a participant's own files (who they were in each session, the hosts they trust).
"""

from __future__ import annotations

import os
from pathlib import Path


def default_data_dir() -> Path:
    """`$WHYTREE_DATA_DIR`, else the platform's user data folder."""
    env = os.environ.get("WHYTREE_DATA_DIR")
    if env:
        return Path(env).expanduser()
    import platformdirs

    return Path(platformdirs.user_data_dir("whytree", appauthor=False))
