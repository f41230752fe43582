"""The on-disk cache of generated modules.

A module's file name is the hash of its source, the pplc version, the
Numba/llvmlite versions and the text of the compiled kernels generated
modules import (Numba's cache does not see a change in an imported
function), so a changed model, compiler, kernel or toolchain never reuses an
old entry; Numba's own cache (``cache=True``) keeps the machine
code next to it in ``__pycache__``, so a second run compiles nothing.  The
first line of each file holds the hash of the rest: a file that does not
match it (a torn write, an edit) is rewritten, and Numba's index detects
stale machine code itself.
"""
from __future__ import annotations

import hashlib
import importlib.util
import os
import re
import sys

import llvmlite

from ppl.cachedir import cache_dir, write_atomically


# what generated modules import and Numba compiles into them
_KERNEL_MODULES = ["ppl.backends.numba.runtime_transforms", "ppl.backends.numba.runtime_linalg",
                   "ppl.backends.numba.runtime_guards", "ppl.backends.numba.runtime_hoisting",
                   "ppl.backends.numba.hoist_tables", "ppl.backends.numba.guard_tables",
                   "ppl.stdlib.native", "ppl.stdlib.native_changepoint", "ppl.stdlib.cdf_kernels",
                   "ppl.stdlib.incomplete_beta_gamma", "ppl.infer.adam_kernels", "ppl.infer.boundary_kernels",
                   "ppl.infer.normal_kernels"]
_toolchain_text = None


def _toolchain() -> str:
    global _toolchain_text
    if _toolchain_text is None:
        from ppl import __version__
        h = hashlib.sha256()
        for name in _KERNEL_MODULES:
            with open(importlib.util.find_spec(name).origin, "rb") as f:
                h.update(f.read())
        _toolchain_text = (f"pplc {__version__}; numba {numba_version()}; llvmlite {llvmlite.__version__}; "
                           f"kernels {h.hexdigest()[:16]}")
    return _toolchain_text


def numba_version() -> str:
    """Numba's version, read from its package without importing it (0.3-0.5 s, which a
    warm start that loads the gradient object does not pay): its ``_version.py``."""
    spec = importlib.util.find_spec("numba")
    path = os.path.join(os.path.dirname(spec.origin), "_version.py")
    try:
        with open(path, encoding="utf-8") as f:
            m = re.search(r'"version":\s*"([^"]+)"', f.read())
    except OSError:
        m = None
    if m is None:       # another layout: ask the package itself
        import numba
        return numba.__version__
    return m.group(1)


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
        write_atomically(path, text.encode("utf-8"))
    name = f"pplc_generated_{key}"
    mod = sys.modules.get(name)
    if mod is not None:
        return mod, path
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod
    spec.loader.exec_module(mod)
    return mod, path
