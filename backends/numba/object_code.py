"""Store the batch gradient of a freshly compiled generated module as object code, for
warm starts that do not import Numba (object_loader.py says why and loads it).

Three objects go into the file: the machine code Numba compiled for ``gradient`` (its
library holds everything the function calls), an entry in front of it with a C
signature (built here with Numba's own calling convention and array model: it makes
the arrays from the words it is given, calls ``gradient``, copies the values and
gradients out, releases the returned arrays, and turns an exception into a status),
linked with the mini runtime (object_runtime.RUNTIME_IR), and the reshape helper
(object_runtime.nocopy_reshape_source, compiled by Numba as a C callback).  What is
built is loaded back and checked against Numba's result before it is stored.
"""
from __future__ import annotations

import struct

import numpy as np

from ppl.cachedir import write_atomically

from . import object_loader
from .object_runtime import PROVIDED, RUNTIME_IR, nocopy_reshape_source

ENTRY = "pplc_gradient_entry"
_reshape = None     # (object code, symbol) of the reshape helper, compiled once a process


def store(module, module_key: str, data: tuple, work: np.ndarray, dim: int) -> bool:
    """Build the object of ``module.gradient`` (compiled for ``data``: the arguments after
    thetas, jacobian and work), check it on two draws and write it; False when it could
    not be built here (then the file says why, and warm starts take Numba's path)."""
    try:
        packed = build(module)
        entry = object_loader.entry_from(packed)
        built = _agrees(module, entry, data, work, dim)
        if not built:
            packed = object_loader.pack({"unbuilt": "the object's values differ from Numba's"}, [])
    except Exception as e:       # a signature or platform the builder does not know
        built = False
        packed = object_loader.pack({"unbuilt": f"{type(e).__name__}: {e}"[:500]}, [])
    try:
        write_atomically(object_loader.object_path(module_key), packed)
    except OSError:
        return False
    return built


def build(module) -> bytes:
    """The packed file (object_loader.pack) for ``module.gradient``'s one compiled signature."""
    import llvmlite.binding as llvm
    from numba.core.registry import cpu_target
    ctx = cpu_target.target_context
    (signature,) = module.gradient.signatures
    compiled = module.gradient.overloads[signature]
    codegen = ctx.codegen()
    gradient_object = _object_of(compiled.library, codegen)
    reshape_object, reshape_symbol = _reshape_helper()
    entry_module = llvm.parse_assembly(_entry_ir(ctx, compiled))
    runtime = llvm.parse_assembly(RUNTIME_IR + _reshape_alias(reshape_symbol))
    runtime.triple, runtime.data_layout = entry_module.triple, entry_module.data_layout
    entry_module.link_in(runtime)
    entry_module.verify()
    entry_object = codegen._tm.emit_object(entry_module)
    blobs = [gradient_object, entry_object, reshape_object]
    defined, undefined = set(), set()
    for blob in blobs:
        d, u = elf_symbols(blob)
        defined |= d
        undefined |= u
    meta = {"symbol": ENTRY, "layout": [_layout(t) for t in compiled.signature.args[3:]],
            "hoist_sites": int(module.HOIST_SITES), "prepare": [list(x) for x in module.PREPARE],
            "needs": sorted(undefined - defined - set(PROVIDED))}
    return object_loader.pack(meta, blobs)


def _object_of(library, codegen) -> bytes:
    """The library's machine code: kept by Numba after a fresh compile; after a load from
    Numba's cache (which hands it to its engine) emitted again from the linkable module
    it keeps (code generation only: the module is already optimised)."""
    obj = getattr(library, "_compiled_object", None)
    if obj:
        return bytes(obj)
    return codegen._tm.emit_object(library._get_module_for_linking())


def _reshape_helper():
    """(object code, symbol) of the reshape helper: from the cache directory, else compiled
    (about a second) and stored there, keyed like the objects plus the Numba/llvmlite
    versions (its calling convention is Numba's)."""
    global _reshape
    if _reshape is None:
        import llvmlite
        import numba
        path = object_loader.object_path(f"reshape_{numba.__version__}_{llvmlite.__version__}")
        stored = object_loader.stored(path)
        if stored is not None and "symbol" in stored[0] and len(stored[1]) == 1:
            _reshape = (stored[1][0], stored[0]["symbol"])
        else:
            _reshape = _compile_reshape_helper()
            try:
                write_atomically(path, object_loader.pack({"symbol": _reshape[1]}, [_reshape[0]]))
            except OSError:
                pass
    return _reshape


def _compile_reshape_helper():
    from numba import carray, cfunc, njit, types
    namespace = {"carray": carray}
    exec(compile(nocopy_reshape_source(), "<pplc reshape helper>", "exec"), namespace)
    namespace["next_axis"] = njit(namespace["next_axis"])
    p = types.CPointer(types.int64)
    helper = cfunc(types.int32(types.int64, p, p, types.int64, p, p, types.int64, types.int32))(
        namespace["nocopy_reshape"])
    return bytes(helper._library._get_compiled_object()), helper.native_name


def _reshape_alias(symbol: str) -> str:
    return f"""
declare i32 @"{symbol}"(i64, i64*, i64*, i64, i64*, i64*, i64, i32)

define i32 @numba_attempt_nocopy_reshape(i64 %nd, i64* %d, i64* %s, i64 %newnd, i64* %nd2, i64* %ns,
                                          i64 %itemsize, i32 %f) {{
  %r = call i32 @"{symbol}"(i64 %nd, i64* %d, i64* %s, i64 %newnd, i64* %nd2, i64* %ns, i64 %itemsize, i32 %f)
  ret i32 %r
}}
"""


def _layout(t):
    """The word layout of one argument type (object_loader._words reads it)."""
    from numba.core import types
    if isinstance(t, types.Array):
        if t.layout != "C" or t.dtype not in (types.float64, types.int64):
            raise TypeError(f"no word layout for {t}")
        return f"a{np.dtype(str(t.dtype)).char}{t.ndim}"
    if isinstance(t, types.BaseTuple):
        return [_layout(u) for u in t.types]
    if t == types.boolean:
        return "b"
    if t == types.int64:
        return "i"
    if t == types.float64:
        return "f"
    raise TypeError(f"no word layout for {t}")


def _entry_ir(ctx, compiled) -> str:
    """``i32 pplc_gradient_entry(i64* words, double* thetas, i64 S, i64 d, i64 jacobian,
    double* work, i64 work_length, double* out)``: gradient's arguments made from the
    batch's (arrays over the given memory) and from the words (the rest), the call in
    Numba's convention, the values and then the gradients copied to ``out``."""
    from llvmlite import ir
    from numba.core import cgutils, types
    from numba.np.arrayobj import make_array, populate_array
    signature = compiled.signature
    returns = signature.return_type
    if not (isinstance(returns, types.BaseTuple) and len(returns) == 3
            and returns[0] == types.Array(types.float64, 1, "C")
            and returns[1] == types.Array(types.float64, 2, "C") and returns[2] == types.boolean):
        raise TypeError(f"gradient returns {returns}")
    if tuple(signature.args[:3]) != _batch_arguments():
        raise TypeError(f"gradient takes {signature.args[:3]} first")
    module = ctx.codegen()._create_empty_module("pplc_entry")
    i32, i64 = ir.IntType(32), ir.IntType(64)
    double_p = ir.DoubleType().as_pointer()
    fn = ir.Function(module, ir.FunctionType(i32, [i64.as_pointer(), double_p, i64, i64, i64, double_p, i64,
                                                   double_p]), name=ENTRY)
    words, thetas, S, d, jacobian, work, work_length, out = fn.args
    b = ir.IRBuilder(fn.append_basic_block("entry"))
    at = [0]

    def word():
        v = b.load(b.gep(words, [i64(at[0])]))
        at[0] += 1
        return v

    def array(t, data, shape):
        itemsize = ctx.get_abi_sizeof(ctx.get_data_type(t.dtype))
        strides = [i64(itemsize)]
        for n in reversed(shape[1:]):
            strides.insert(0, b.mul(strides[0], n))
        ary = make_array(t)(ctx, b)
        populate_array(ary, data=data, shape=shape, strides=strides, itemsize=itemsize, meminfo=None)
        return ary._getvalue()

    def value(t):
        if isinstance(t, types.Array):
            data = b.inttoptr(word(), ctx.get_data_type(t.dtype).as_pointer())
            return array(t, data, [word() for _ in range(t.ndim)])
        if isinstance(t, types.BaseTuple):
            return ctx.make_tuple(b, t, [value(u) for u in t.types])
        w = word()
        if t == types.boolean:
            return b.icmp_unsigned("!=", w, i64(0))
        if t == types.float64:
            return b.bitcast(w, ir.DoubleType())
        return w

    args = [array(signature.args[0], thetas, [S, d]), b.icmp_unsigned("!=", jacobian, i64(0)),
            array(signature.args[2], work, [work_length])] + [value(t) for t in signature.args[3:]]
    callee = cgutils.get_or_insert_function(module, ctx.call_conv.get_function_type(returns, signature.args),
                                            compiled.fndesc.mangled_name)
    status, result = ctx.call_conv.call_function(b, callee, returns, signature.args, args)
    with b.if_then(status.is_error, likely=False):
        b.ret(i32(-1))
    release = cgutils.get_or_insert_function(module, ir.FunctionType(ir.VoidType(), [cgutils.voidptr_t]),
                                             "pplc_release")
    for k, target in ((0, out), (1, b.gep(out, [S]))):
        ary = make_array(returns[k])(ctx, b, value=b.extract_value(result, k))
        cgutils.raw_memcpy(b, b.bitcast(target, cgutils.voidptr_t), b.bitcast(ary.data, cgutils.voidptr_t),
                           ary.nitems, 8)
        b.call(release, [b.bitcast(ary.meminfo, cgutils.voidptr_t)])
    b.ret(b.zext(b.extract_value(result, 2), i32))
    return str(module)


def _batch_arguments():
    """The types of gradient's first three arguments: thetas, jacobian, work."""
    from numba.core import types
    return (types.Array(types.float64, 2, "C"), types.boolean, types.Array(types.float64, 1, "C"))


def _agrees(module, entry, data: tuple, work: np.ndarray, dim: int) -> bool:
    """Does the loaded entry give Numba's values and gradients (to rounding) on two draws,
    or raise where Numba's code raises?"""
    thetas = np.random.default_rng(0).uniform(-1, 1, size=(2, dim))
    data = data[:-1] + (data[-1].copy(),)      # the tapes' length, which a draw may grow: the bind's stays
    lp2, grad2, status = entry.bound(data)(thetas, True, work)
    try:
        lp, grad, finite = module.gradient(thetas, True, work, *data)
    except Exception:           # an index out of range, a rejection: the entry must say so
        return status == -1
    if status != int(finite):
        return False
    return bool(np.allclose(lp2, lp, rtol=1e-12, atol=0, equal_nan=True)
                and np.allclose(grad2, grad, rtol=1e-12, atol=0, equal_nan=True))


def elf_symbols(blob: bytes) -> tuple[set, set]:
    """(defined, undefined) global symbol names of an ELF64 little-endian object."""
    if blob[:4] != b"\x7fELF" or blob[4] != 2 or blob[5] != 1:
        raise ValueError("not an ELF64 little-endian object")
    shoff, = struct.unpack_from("<Q", blob, 0x28)
    shentsize, shnum = struct.unpack_from("<HH", blob, 0x3A)
    sections = [struct.unpack_from("<IIQQQQIIQQ", blob, shoff + i * shentsize) for i in range(shnum)]
    defined, undefined = set(), set()
    for sh in sections:
        if sh[1] != 2:      # SHT_SYMTAB
            continue
        strtab = sections[sh[6]]
        for at in range(sh[4], sh[4] + sh[5], 24):
            name_at, info, _, shndx, _, _ = struct.unpack_from("<IBBHQQ", blob, at)
            if not name_at or info >> 4 == 0:       # unnamed or local
                continue
            end = blob.index(b"\0", strtab[4] + name_at)
            name = blob[strtab[4] + name_at:end].decode()
            (undefined if shndx == 0 else defined).add(name)
    return defined, undefined
