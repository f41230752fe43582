"""Where pplc keeps what it can rebuild: the parser's tables and the native
backend's generated modules (``PPLC_CACHE_DIR``, else ``$XDG_CACHE_HOME/pplc``
or ``~/.cache/pplc``).  Used by the front end and the backends alike, so it
depends on nothing else in pplc."""
from __future__ import annotations

import os


def cache_dir() -> str:
    """The cache directory, created if needed (raises OSError if it cannot be)."""
    d = os.environ.get("PPLC_CACHE_DIR")
    if not d:
        base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
        d = os.path.join(base, "pplc")
    os.makedirs(d, exist_ok=True)
    return d
