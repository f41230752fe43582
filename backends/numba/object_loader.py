"""The stored gradient object of a generated module, loaded without importing Numba.

With Numba, a warm start's floor is importing numpy and Numba and Numba's set-up on its
first dispatch (about 0.8 s here), more than issue 6's 0.5 s to the first gradient.  So
a cold compile also stores the batch ``gradient``'s machine code as a relocatable
object with a C entry in front (object_code.py), and a warm bind loads it with llvmlite
alone (about 25 ms to import) and calls it through ctypes; the generated module, and
Numba, are imported only when something else is asked for (executor.py).

The file (``pplc_<module key>_<target>.o`` in the cache directory, the target being the
host CPU and the builder's own text; or a note saying why none could be built) holds a
stamp line (the hash of the rest: a torn or edited file is rejected, then rebuilt), a
JSON line (the entry's name, the layout of its arguments, the generated module's
constants a bind needs, the symbols the code takes from the process, the objects'
lengths), then the objects.  The entry takes the batch (thetas' address and shape,
jacobian, the work buffer's address and length), an int64 array of words holding
``gradient``'s other arguments in order (an array as its data address then its extents,
an int as itself, a float as its bits, a bool as 0/1, a tuple as its members), and the
address where it writes the S values then the (S, d) gradients; it returns 1 (all
finite), 0 (some not) or -1 (the code raised).

Anything unexpected (no file, another layout, a symbol the process does not have, an
llvmlite error) makes ``load`` return None, and the bind takes Numba's path.
"""
from __future__ import annotations

import ctypes
import hashlib
import json
import os

import numpy as np

from ppl.cachedir import cache_dir

MAGIC = b"pplc-object 1 sha256 "
_BUILDER_FILES = ("object_code.py", "object_loader.py", "object_runtime.py")
_loaded: dict = {}      # path -> GradientEntry: one engine per object and process
_target_text = None


def _target() -> str:
    """The machine code's target: host CPU name and features (as Numba compiles for, or
    what NUMBA_CPU_NAME / NUMBA_CPU_FEATURES ask), and the builder's text."""
    global _target_text
    if _target_text is None:
        import llvmlite.binding as llvm
        h = hashlib.sha256()
        here = os.path.dirname(os.path.abspath(__file__))
        for name in _BUILDER_FILES:
            with open(os.path.join(here, name), "rb") as f:
                h.update(f.read())
        cpu = os.environ.get("NUMBA_CPU_NAME") or llvm.get_host_cpu_name()
        features = os.environ.get("NUMBA_CPU_FEATURES") or llvm.get_host_cpu_features().flatten()
        h.update(f"\0{cpu}\0{features}".encode())
        _target_text = h.hexdigest()[:16]
    return _target_text


def object_path(module_key: str) -> str:
    return os.path.join(cache_dir(), f"pplc_{module_key}_{_target()}.o")


def pack(meta: dict, blobs: list[bytes]) -> bytes:
    body = json.dumps(dict(meta, blobs=[len(b) for b in blobs])).encode() + b"\n" + b"".join(blobs)
    return MAGIC + hashlib.sha256(body).hexdigest().encode() + b"\n" + body


def unpack(data: bytes):
    """(meta, blobs), or None when the stamp does not match the rest."""
    head, _, body = data.partition(b"\n")
    if not head.startswith(MAGIC) or head[len(MAGIC):] != hashlib.sha256(body).hexdigest().encode():
        return None
    line, _, rest = body.partition(b"\n")
    meta = json.loads(line)
    blobs, at = [], 0
    for n in meta["blobs"]:
        blobs.append(rest[at:at + n])
        at += n
    return (meta, blobs) if at == len(rest) else None


def stored(path: str):
    """(meta, blobs) of an intact file, or None."""
    try:
        with open(path, "rb") as f:
            return unpack(f.read())
    except (OSError, ValueError):
        return None


def recorded(module_key: str) -> bool:
    """Is there an intact file for the module: an object, or the note that none could be
    built here (object_code.store writes it, so that binds do not try again)?"""
    return stored(object_path(module_key)) is not None


def load(module_key: str):
    """The stored gradient entry of the module ``module_key``, or None."""
    path = object_path(module_key)
    entry = _loaded.get(path)
    if entry is not None:
        return entry
    try:
        found = stored(path)
        if found is None or "unbuilt" in found[0]:
            return None
        entry = GradientEntry(*found)
    except Exception:   # unreadable, another layout, llvmlite refusing it: Numba's path
        return None
    _loaded[path] = entry
    return entry


def entry_from(data: bytes):
    """A GradientEntry from a packed object in memory (object_code checks what it built)."""
    return GradientEntry(*unpack(data))


class GradientEntry:
    """The batch gradient of a generated module, through its stored object."""

    def __init__(self, meta: dict, blobs: list[bytes]):
        import llvmlite.binding as llvm
        self.meta = meta
        self.layout = meta["layout"]
        self.hoist_sites = meta["hoist_sites"]
        self.prepare = tuple(tuple(x) for x in meta["prepare"])
        process = ctypes.CDLL(None)
        addresses = {}
        for name in meta["needs"]:      # what the code takes from the process (libm, Python)
            try:
                addresses[name] = ctypes.cast(getattr(process, name), ctypes.c_void_p).value
            except AttributeError:
                raise LookupError(f"the process has no {name}") from None
        llvm.initialize_native_target()
        llvm.initialize_native_asmprinter()
        for name, address in addresses.items():
            llvm.add_symbol(name, address)
        target = llvm.Target.from_default_triple().create_target_machine()
        self._engine = llvm.create_mcjit_compiler(llvm.parse_assembly(""), target)
        for blob in blobs:
            self._engine.add_object_file(llvm.ObjectFileRef.from_data(blob))
        self._engine.finalize_object()
        address = self._engine.get_function_address(meta["symbol"])
        if not address:
            raise LookupError(meta["symbol"])
        p, i64 = ctypes.c_void_p, ctypes.c_int64
        self._call = ctypes.CFUNCTYPE(ctypes.c_int32, p, p, i64, i64, i64, p, i64, p)(address)

    def bound(self, args) -> "BoundGradient":
        """The gradient with its arguments after thetas, jacobian and work fixed to ``args``
        (the data, derived data, hoist tables, tape room; checked against the layout)."""
        words: list[int] = []
        _words(self.layout, args, words)
        return BoundGradient(self._call, words, args)


class BoundGradient:
    """The entry with its data words written once (their arrays kept alive here)."""

    def __init__(self, call, data_words: list[int], args):
        self._call = call
        self._args = args
        self._words = np.array(data_words or [0], dtype=np.int64)
        self._at = _address(self._words)

    def __call__(self, thetas: np.ndarray, jacobian: bool, work: np.ndarray):
        """(values (S,), gradients (S, d), status: 1 finite, 0 not, -1 raised) of the draws
        ``thetas`` (C-contiguous float64), with ``work`` the scratch buffer."""
        S, d = thetas.shape
        out = np.empty(S * (d + 1))         # one block: one address to ask for
        status = self._call(self._at, _address(thetas), S, d, 1 if jacobian else 0, _address(work),
                            work.shape[0], _address(out))
        return out[:S], out[S:].reshape(S, d), status


def _address(a: np.ndarray) -> int:
    """The data address of a C-contiguous array (through the buffer protocol: a quarter of
    the cost of ``a.ctypes.data``, which read-only and empty arrays need)."""
    try:
        return ctypes.addressof(ctypes.c_char.from_buffer(a))
    except (TypeError, ValueError):
        return a.ctypes.data


def _words(layout, values, out: list[int]):
    if len(layout) != len(values):
        raise TypeError("the arguments do not match the stored layout")
    for kind, v in zip(layout, values):
        if isinstance(kind, list):
            if not isinstance(v, tuple):
                raise TypeError("a tuple was expected")
            _words(kind, v, out)
        elif kind[0] == "a":        # "a<dtype char><ndim>": a C-contiguous array
            dtype, ndim = np.dtype(kind[1]), int(kind[2:])
            if not (isinstance(v, np.ndarray) and v.dtype == dtype and v.ndim == ndim
                    and v.flags.c_contiguous and v.flags.aligned):
                raise TypeError(f"an array {kind} was expected")
            out.append(v.ctypes.data)
            out.extend(int(n) for n in v.shape)
        elif kind == "i":
            if isinstance(v, (bool, np.bool_)) or not isinstance(v, (int, np.integer)):
                raise TypeError("an int was expected")
            out.append(int(v))
        elif kind == "f":
            if not isinstance(v, (float, np.floating)):
                raise TypeError("a float was expected")
            out.append(int(np.float64(v).view(np.int64)))
        elif kind == "b":
            out.append(int(bool(v)))
        else:
            raise TypeError(f"unknown argument kind {kind!r}")
