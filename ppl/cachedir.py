"""Where pplc keeps what it can rebuild: the parser's tables and the native
backend's generated modules (``PPLC_CACHE_DIR``, else ``$XDG_CACHE_HOME/pplc``
or ``~/.cache/pplc``).  Used by the front end and the backends alike, so it
depends on nothing else in pplc."""
from __future__ import annotations

import os
import tempfile


def cache_dir() -> str:
    """The cache directory, created if needed (raises OSError if it cannot be)."""
    d = os.environ.get("PPLC_CACHE_DIR")
    if not d:
        base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
        d = os.path.join(base, "pplc")
    os.makedirs(d, exist_ok=True)
    return d


def write_atomically(path: str, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file beside it and a rename, so that a
    reader sees the old file or the whole new one, never a torn write (raises OSError;
    the temporary file does not stay behind)."""
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), prefix=".tmp_")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
