"""The few runtime functions Numba's machine code calls, for the gradient object a warm
start loads without importing Numba (object_code.py builds it, object_loader.py loads it).

Numba's compiled functions call its runtime (the NRT: memory of arrays and lists) and
its helper library (the GIL, exceptions, reshapes) by name, and those functions are
neither exported from Numba's shared libraries nor reachable before ``import numba``
(0.3-0.5 s).  So the object carries its own: ``RUNTIME_IR`` (LLVM IR: the NRT's
allocations, one malloc'd block per array holding its MemInfo record and its data, the
GIL helpers, and stand-ins for the exception helpers, which only Numba's CPython/C
wrappers reach and the loaded entry never calls) and ``nocopy_reshape`` (the strides of
a reshape that needs no copy, compiled by Numba into the object under the helper's name).

The MemInfo record follows Numba's layout (core/runtime/nrt.cpp): {refct, dtor,
dtor_info, data, size, external_allocator}; Numba's generated code reads ``data`` and
counts references in ``refct`` itself (NRT_incref/NRT_decref are compiled into every
object) and calls NRT_MemInfo_call_dtor when the count reaches zero.  These definitions
live only in the loaded engine: Numba's own engine, in a process that imports Numba
later, keeps its own runtime.
"""
from __future__ import annotations

# what a loaded object may call by these names (object_loader checks the object's
# undefined symbols against this list and the process's exports)
PROVIDED = ("NRT_Allocate", "NRT_Free", "NRT_Reallocate", "NRT_MemInfo_alloc_aligned",
            "NRT_MemInfo_alloc_safe_aligned", "NRT_MemInfo_new", "NRT_MemInfo_new_varsize",
            "NRT_MemInfo_new_varsize_dtor", "NRT_MemInfo_varsize_alloc", "NRT_MemInfo_varsize_realloc",
            "NRT_MemInfo_varsize_free", "NRT_MemInfo_call_dtor", "numba_gil_ensure", "numba_gil_release",
            "numba_do_raise", "numba_unpickle", "numba_runtime_build_excinfo_struct",
            "numba_attempt_nocopy_reshape", "NRT_adapt_ndarray_from_python",
            "NRT_adapt_ndarray_to_python_acqref", "pplc_release")

# {refct, dtor(data, size, info), dtor_info, data, size, external_allocator}: 48 bytes
RUNTIME_IR = r"""
%MemInfo = type { i64, void (i8*, i64, i8*)*, i8*, i8*, i64, i8* }

declare i8* @malloc(i64)
declare i8* @realloc(i8*, i64)
declare void @free(i8*)
declare i32 @PyGILState_Ensure()
declare void @PyGILState_Release(i32)

define i8* @NRT_Allocate(i64 %size) {
  %p = call i8* @malloc(i64 %size)
  ret i8* %p
}

define void @NRT_Free(i8* %p) {
  call void @free(i8* %p)
  ret void
}

define i8* @NRT_Reallocate(i8* %p, i64 %size) {
  %q = call i8* @realloc(i8* %p, i64 %size)
  ret i8* %q
}

define private void @set_meminfo(%MemInfo* %mi, i8* %data, i64 %size, void (i8*, i64, i8*)* %dtor,
                                 i8* %info) {
  %refct = getelementptr %MemInfo, %MemInfo* %mi, i32 0, i32 0
  store i64 1, i64* %refct
  %d = getelementptr %MemInfo, %MemInfo* %mi, i32 0, i32 1
  store void (i8*, i64, i8*)* %dtor, void (i8*, i64, i8*)** %d
  %i = getelementptr %MemInfo, %MemInfo* %mi, i32 0, i32 2
  store i8* %info, i8** %i
  %p = getelementptr %MemInfo, %MemInfo* %mi, i32 0, i32 3
  store i8* %data, i8** %p
  %s = getelementptr %MemInfo, %MemInfo* %mi, i32 0, i32 4
  store i64 %size, i64* %s
  %x = getelementptr %MemInfo, %MemInfo* %mi, i32 0, i32 5
  store i8* null, i8** %x
  ret void
}

; one block: the record, then the data at the first multiple of align after it (so that
; freeing the record frees the data)
define i8* @NRT_MemInfo_alloc_aligned(i64 %size, i32 %align) {
entry:
  %a = zext i32 %align to i64
  %twice = shl i64 %a, 1
  %plus = add i64 %size, %twice
  %total = add i64 %plus, 48
  %base = call i8* @malloc(i64 %total)
  %failed = icmp eq i8* %base, null
  br i1 %failed, label %fail, label %ok
fail:
  ret i8* null
ok:
  %b = ptrtoint i8* %base to i64
  %after = add i64 %b, 48
  %r = urem i64 %after, %a
  %pad0 = sub i64 %a, %r
  %aligned = icmp eq i64 %r, 0
  %pad = select i1 %aligned, i64 0, i64 %pad0
  %at = add i64 %after, %pad
  %data = inttoptr i64 %at to i8*
  %mi = bitcast i8* %base to %MemInfo*
  call void @set_meminfo(%MemInfo* %mi, i8* %data, i64 %size, void (i8*, i64, i8*)* null, i8* null)
  ret i8* %base
}

define i8* @NRT_MemInfo_alloc_safe_aligned(i64 %size, i32 %align) {
  %mi = call i8* @NRT_MemInfo_alloc_aligned(i64 %size, i32 %align)
  ret i8* %mi
}

define i8* @NRT_MemInfo_new(i8* %data, i64 %size, i8* %dtor, i8* %info) {
entry:
  %base = call i8* @malloc(i64 48)
  %failed = icmp eq i8* %base, null
  br i1 %failed, label %fail, label %ok
fail:
  ret i8* null
ok:
  %mi = bitcast i8* %base to %MemInfo*
  %d = bitcast i8* %dtor to void (i8*, i64, i8*)*
  call void @set_meminfo(%MemInfo* %mi, i8* %data, i64 %size, void (i8*, i64, i8*)* %d, i8* %info)
  ret i8* %base
}

; the data of a variable-size record (lists) is a block of its own: freed by this
; destructor, after the element destructor the record's dtor_info holds, if any
define private void @varsize_dtor(i8* %data, i64 %size, i8* %info) {
entry:
  %none = icmp eq i8* %info, null
  br i1 %none, label %free, label %elements
elements:
  %f = bitcast i8* %info to void (i8*)*
  call void %f(i8* %data)
  br label %free
free:
  call void @free(i8* %data)
  ret void
}

define i8* @NRT_MemInfo_new_varsize(i64 %size) {
entry:
  %data = call i8* @malloc(i64 %size)
  %failed = icmp eq i8* %data, null
  br i1 %failed, label %fail, label %ok
fail:
  ret i8* null
ok:
  %d = bitcast void (i8*, i64, i8*)* @varsize_dtor to i8*
  %mi = call i8* @NRT_MemInfo_new(i8* %data, i64 %size, i8* %d, i8* null)
  ret i8* %mi
}

define i8* @NRT_MemInfo_new_varsize_dtor(i64 %size, i8* %dtor) {
entry:
  %mi = call i8* @NRT_MemInfo_new_varsize(i64 %size)
  %failed = icmp eq i8* %mi, null
  br i1 %failed, label %done, label %ok
ok:
  %m = bitcast i8* %mi to %MemInfo*
  %i = getelementptr %MemInfo, %MemInfo* %m, i32 0, i32 2
  store i8* %dtor, i8** %i
  br label %done
done:
  ret i8* %mi
}

define private i8* @set_varsize_data(i8* %mi, i8* %data, i64 %size) {
entry:
  %failed = icmp eq i8* %data, null
  br i1 %failed, label %done, label %ok
ok:
  %m = bitcast i8* %mi to %MemInfo*
  %p = getelementptr %MemInfo, %MemInfo* %m, i32 0, i32 3
  store i8* %data, i8** %p
  %s = getelementptr %MemInfo, %MemInfo* %m, i32 0, i32 4
  store i64 %size, i64* %s
  br label %done
done:
  ret i8* %data
}

define i8* @NRT_MemInfo_varsize_alloc(i8* %mi, i64 %size) {
  %data = call i8* @malloc(i64 %size)
  %r = call i8* @set_varsize_data(i8* %mi, i8* %data, i64 %size)
  ret i8* %r
}

define i8* @NRT_MemInfo_varsize_realloc(i8* %mi, i64 %size) {
  %m = bitcast i8* %mi to %MemInfo*
  %p = getelementptr %MemInfo, %MemInfo* %m, i32 0, i32 3
  %old = load i8*, i8** %p
  %data = call i8* @realloc(i8* %old, i64 %size)
  %r = call i8* @set_varsize_data(i8* %mi, i8* %data, i64 %size)
  ret i8* %r
}

define void @NRT_MemInfo_varsize_free(i8* %mi, i8* %ptr) {
entry:
  call void @free(i8* %ptr)
  %m = bitcast i8* %mi to %MemInfo*
  %p = getelementptr %MemInfo, %MemInfo* %m, i32 0, i32 3
  %data = load i8*, i8** %p
  %same = icmp eq i8* %data, %ptr
  br i1 %same, label %clear, label %done
clear:
  store i8* null, i8** %p
  br label %done
done:
  ret void
}

; the record's count reached zero: its destructor, then the record (and the data it holds)
define void @NRT_MemInfo_call_dtor(i8* %mi) {
entry:
  %m = bitcast i8* %mi to %MemInfo*
  %dp = getelementptr %MemInfo, %MemInfo* %m, i32 0, i32 1
  %dtor = load void (i8*, i64, i8*)*, void (i8*, i64, i8*)** %dp
  %none = icmp eq void (i8*, i64, i8*)* %dtor, null
  br i1 %none, label %free, label %call
call:
  %p = getelementptr %MemInfo, %MemInfo* %m, i32 0, i32 3
  %data = load i8*, i8** %p
  %s = getelementptr %MemInfo, %MemInfo* %m, i32 0, i32 4
  %size = load i64, i64* %s
  %i = getelementptr %MemInfo, %MemInfo* %m, i32 0, i32 2
  %info = load i8*, i8** %i
  call void %dtor(i8* %data, i64 %size, i8* %info)
  br label %free
free:
  call void @free(i8* %mi)
  ret void
}

; what the entry calls for the arrays the gradient returns (Numba's NRT_decref)
define void @pplc_release(i8* %mi) {
entry:
  %none = icmp eq i8* %mi, null
  br i1 %none, label %done, label %dec
dec:
  %r = bitcast i8* %mi to i64*
  %old = atomicrmw sub i64* %r, i64 1 seq_cst
  %last = icmp eq i64 %old, 1
  br i1 %last, label %free, label %done
free:
  call void @NRT_MemInfo_call_dtor(i8* %mi)
  br label %done
done:
  ret void
}

define void @numba_gil_ensure(i32* %state) {
  %s = call i32 @PyGILState_Ensure()
  store i32 %s, i32* %state
  ret void
}

define void @numba_gil_release(i32* %state) {
  %s = load i32, i32* %state
  call void @PyGILState_Release(i32 %s)
  ret void
}

; exceptions: a raising function returns an error status, which the entry turns into
; "not computed" (the reference backend then reports); these build the Python exception
; objects in Numba's wrappers, which the entry does not use
define i8* @numba_runtime_build_excinfo_struct(i8* %a, i8* %b) {
  ret i8* null
}

define i8* @numba_unpickle(i8* %a, i32 %n, i8* %h) {
  ret i8* null
}

define void @numba_do_raise(i8* %a) {
  ret void
}

; the array conversions of Numba's CPython wrapper (in every compiled library), which
; the entry does not use either: failures
define i32 @NRT_adapt_ndarray_from_python(i8* %object, i8* %array) {
  ret i32 -1
}

define i8* @NRT_adapt_ndarray_to_python_acqref(i8* %array, i8* %type, i32 %ndim, i32 %writable, i8* %descr) {
  ret i8* null
}
"""


def nocopy_reshape_source() -> str:
    """The Python source of ``numba_attempt_nocopy_reshape`` (its C signature: nd, dims,
    strides, newnd, newdims, newstrides, itemsize, is_f_order -> int), for Numba to
    compile as a C callback: 1 and the view's strides in ``newstrides``, or 0 when the
    new shape needs a copy.  The old axes are taken in groups whose element count
    equals that of a group of new axes; a group's old axes must be one block of memory
    (each stride the next axis's extent times its stride), and then the new axes'
    strides follow from the group's innermost stride.  Axes of length 1 are skipped
    (their strides mean nothing); an empty array gets any strides."""
    return '''
def next_axis(dims, nd, k):
    while k < nd and dims[k] == 1:
        k += 1
    return k


def nocopy_reshape(nd, dims_p, strides_p, newnd, newdims_p, newstrides_p, itemsize, is_f_order):
    dims = carray(dims_p, (nd,))
    strides = carray(strides_p, (nd,))
    newdims = carray(newdims_p, (newnd,))
    newstrides = carray(newstrides_p, (newnd,))
    size = 1
    for k in range(nd):
        size *= dims[k]
    newsize = 1
    for k in range(newnd):
        newsize *= newdims[k]
    if size != newsize:
        return 0
    if size == 0:
        for k in range(newnd):
            newstrides[k] = itemsize
        return 1
    o = next_axis(dims, nd, 0)
    n = 0
    while n < newnd and o < nd:
        o_end = next_axis(dims, nd, o + 1)
        n_end = n + 1
        old_count = dims[o]
        new_count = newdims[n]
        while old_count != new_count:
            if new_count < old_count:
                new_count *= newdims[n_end]
                n_end += 1
            else:
                old_count *= dims[o_end]
                o_end = next_axis(dims, nd, o_end + 1)
        inner = o
        k = next_axis(dims, nd, o + 1)
        while k < o_end:
            if is_f_order:
                if strides[k] != dims[inner] * strides[inner]:
                    return 0
            elif strides[inner] != dims[k] * strides[k]:
                return 0
            inner = k
            k = next_axis(dims, nd, k + 1)
        if is_f_order:
            newstrides[n] = strides[o]
            for k in range(n + 1, n_end):
                newstrides[k] = newstrides[k - 1] * newdims[k - 1]
        else:
            newstrides[n_end - 1] = strides[inner]
            for k in range(n_end - 1, n, -1):
                newstrides[k - 1] = newstrides[k] * newdims[k]
        n = n_end
        o = o_end
    last = itemsize
    if n >= 1:
        last = newstrides[n - 1]
        if is_f_order:
            last *= newdims[n - 1]
    for k in range(n, newnd):
        newstrides[k] = last
    return 1
'''
