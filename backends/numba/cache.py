"""The on-disk cache of generated modules.

A module's file name is the hash of its source, the pplc version and the
Numba/llvmlite versions, so a changed model, compiler or toolchain never
reuses an old entry; Numba's own cache (``cache=True``) keeps the machine
code next to it in ``__pycache__``, so a second run compiles nothing.  The
first line of each file holds the hash of the rest: a file that does not
match it (a torn write, an edit) is rewritten, and Numba's index detects
stale machine code itself.
"""
from __future__ import annotations

import hashlib
import importlib.util
import os
import sys
import tempfile

import llvmlite
import numba

from ppl.cachedir import cache_dir


def _toolchain() -> str:
    from ppl import __version__
    return f"pplc {__version__}; numba {numba.__version__}; llvmlite {llvmlite.__version__}"


def module_key(source: str) -> str:
    h = hashlib.sha256()
    h.update(_toolchain().encode())
    h.update(b"\0")
    h.update(source.encode())
    return h.hexdigest()[:24]


def _stamp(body: str) -> str:
    return "# sha256 " + hashlib.sha256(body.encode()).hexdigest() + "\n"


def load(source: str):
    """Import the generated ``source`` from the cache (writing it first if needed)."""
    key = module_key(source)
    d = cache_dir()
    path = os.path.join(d, f"pplc_{key}.py")
    text = _stamp(source) + source
    try:
        with open(path, encoding="utf-8") as fh:
            ok = fh.read() == text
    except (OSError, UnicodeDecodeError):
        ok = False
    if not ok:
        fd, tmp = tempfile.mkstemp(dir=d, prefix=".tmp_", suffix=".py")
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    name = f"pplc_generated_{key}"
    mod = sys.modules.get(name)
    if mod is not None:
        return mod, path
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod
    spec.loader.exec_module(mod)
    return mod, path
