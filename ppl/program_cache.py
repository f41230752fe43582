"""The on-disk cache of compiled programs, so that a warm start skips the front end.

Loading the parser's tables, building its lexer and checking a model take
about 50 ms of a warm start (cache hit, to the first gradient) that is
otherwise spent mostly in Numba; a pickled IR program loads in about 1 ms.
An entry's file name is the hash of the model's path and source, the pplc and
Python versions, and the text of every module that shapes a program (front
end, IR, transforms, stdlib, grammar), so a change to any of them never
reuses an old entry.  Programs refer to stdlib table entries (functions,
operators, distributions, GLMs) by identity: they are stored as their table
and name and looked up again when loading.  A program that refers to anything
else outside the IR is not stored; an unreadable entry is a miss.  Failed
compiles are never stored, so every error is reported by the compiler itself.
"""
from __future__ import annotations

import hashlib
import importlib
import importlib.util
import io
import os
import pickle
import sys

from ppl.cachedir import cache_dir, write_atomically
from ppl.ir.nodes import Program

# the modules whose text shapes a compiled program
_COMPILER_PACKAGES = ["ppl.frontend", "ppl.ir", "ppl.transforms", "ppl.stdlib", "ppl.grammar"]
_COMPILER_MODULES = ["ppl.compiler", "ppl.program_cache"]
# stdlib tables whose entries programs refer to
_TABLES = [("ppl.stdlib.functions", "FUNCTIONS"), ("ppl.stdlib.operators", "OPERATORS"),
           ("ppl.stdlib.distributions", "DISTRIBUTIONS"), ("ppl.stdlib.glm", "GLMS"),
           ("ppl.stdlib.cumulative", "CUMULATIVE")]
_compiler_hash = None


class _NotCacheable(Exception):
    pass


def _compiler_text_hash() -> str:
    global _compiler_hash
    if _compiler_hash is None:
        from ppl import __version__
        files = [importlib.util.find_spec(m).origin for m in _COMPILER_MODULES]
        for pkg in _COMPILER_PACKAGES:
            for d in importlib.util.find_spec(pkg).submodule_search_locations:
                files += [os.path.join(d, f) for f in sorted(os.listdir(d)) if f.endswith((".py", ".lark"))]
        h = hashlib.sha256(f"pplc {__version__}; python {sys.version_info[:2]}".encode())
        for path in files:
            with open(path, "rb") as fh:
                h.update(fh.read())
        _compiler_hash = h.hexdigest()
    return _compiler_hash


def _entry_path(source: str, path: str) -> str:
    h = hashlib.sha256(_compiler_text_hash().encode())
    for part in (path, source):
        h.update(b"\0")
        h.update(part.encode("utf-8", "surrogatepass"))
    return os.path.join(cache_dir(), f"program_{h.hexdigest()[:24]}.pickle")


def _stdlib_entries() -> dict[int, tuple[str, str, str]]:
    """id of each stdlib table entry -> (module, table, name)."""
    out = {}
    for module, table in _TABLES:
        for name, entry in getattr(importlib.import_module(module), table).items():
            out[id(entry)] = (module, table, name)
    return out


class _Pickler(pickle.Pickler):
    def __init__(self, fh):
        super().__init__(fh, protocol=pickle.HIGHEST_PROTOCOL)
        self.entries = _stdlib_entries()

    def persistent_id(self, obj):
        ref = self.entries.get(id(obj))
        if ref is not None:
            return ref
        if type(obj).__module__.startswith("ppl.stdlib"):
            raise _NotCacheable(type(obj).__name__)
        return None


class _Unpickler(pickle.Unpickler):
    def persistent_load(self, ref):
        module, table, name = ref
        return getattr(importlib.import_module(module), table)[name]


def load(source: str, path: str):
    """The cached program of ``source`` at ``path``, or None."""
    try:
        with open(_entry_path(source, path), "rb") as fh:
            program = _Unpickler(fh).load()
    except Exception:      # noqa: BLE001 - missing, torn or stale: compile instead
        return None
    return program if isinstance(program, Program) else None


def store(source: str, path: str, program: Program) -> None:
    """Keep ``program`` for the next start (silently not, if it cannot be pickled or written)."""
    buf = io.BytesIO()
    try:
        _Pickler(buf).dump(program)
        target = _entry_path(source, path)
    except (_NotCacheable, pickle.PicklingError, AttributeError, TypeError, RecursionError, OSError):
        return
    try:
        write_atomically(target, buf.getvalue())
    except OSError:
        pass
