"""The batch gradient stored as object code at a compile (backends/numba/object_code.py)
and loaded by a warm bind with llvmlite alone (object_loader.py): Numba's values, the
reference for non-finite draws, a warm start without Numba, a damaged file rebuilt, and
the mini runtime's reshape helper against numpy.

The models are those tests/test_native.py compiles, in the cache it shares (a hit when
it ran first)."""
import ctypes
import json
import os
import subprocess
import sys
import warnings

import numpy as np
import pytest

import ppl
from ppl.backends.numba import object_loader
from ppl.backends.numba.executor import NativeModel

from conftest import EXAMPLES

# plain; batched products (derived data) and a hoisted call; local vectors in loops;
# mixtures; a changepoint series (list tapes, hoisting); guards with hoisted calls
CHECKED = ["earnings-earn_height", "diamonds-diamonds", "garch-garch11",
           "low_dim_gauss_mix-low_dim_gauss_mix", "coal2", "textmsg"]


# a private cache, so that nothing comes from an earlier run
pytestmark = pytest.mark.usefixtures("in_native_cache_dir")


def _files(name):
    d = os.path.join(EXAMPLES, name)
    return os.path.join(d, "model.ppl"), os.path.join(d, "data.json")


def _warm(name):
    """A numba-bound model that took the object path (bound twice if this compiled it)."""
    model, data = _files(name)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for _ in range(2):
            bm = ppl.compile_file(model).bind(data, backend="numba")
            if bm._native.entry is not None:
                return bm
    raise AssertionError(f"{name}: no stored gradient object after a compile")


def _rel(a, b):
    a, b = np.asarray(a), np.asarray(b)
    return np.max(np.abs(a - b) / np.maximum(np.abs(b), 1e-300))


@pytest.mark.parametrize("name", CHECKED)
def test_object_gradient_and_hoisted_tables_are_numbas(name):
    bm = _warm(name)
    native = bm._native
    numba_bound = NativeModel(native.ref, use_object=False)
    # the tables recorded at bind through the object are those Numba's path records
    for made, expected in zip(native.data[-2][1:], numba_bound.data[-2][1:]):
        np.testing.assert_array_equal(made, expected)
    theta = np.random.default_rng(11).uniform(-2, 2, size=(6, native.dim))
    lp, g, status = native.entry.bound(native.data)(theta, True, native.work(6))
    lp_n, g_n, finite = numba_bound.module.gradient(theta, True, numba_bound.work(6), *numba_bound.data)
    assert status == int(finite) == 1
    assert _rel(lp, lp_n) < 1e-12 and _rel(g, g_n) < 1e-12


def test_non_finite_draws_are_redone_by_the_reference(monkeypatch):
    from ppl.backends.reference import gradient as reference
    bm = _warm("earnings-earn_height")
    theta = np.random.default_rng(12).uniform(-1, 1, size=(3, bm.param_unc_num()))
    theta[1, 2] = 800.0         # sigma = exp(800): not finite natively
    native = bm._native
    _, _, status = native.entry.bound(native.data)(theta, True, native.work(3))
    assert status == 0
    rows = []
    original = reference.log_density_gradient

    def recorded(bound, t, *args, **kwargs):
        rows.append(len(np.atleast_2d(t)))
        return original(bound, t, *args, **kwargs)
    monkeypatch.setattr(reference, "log_density_gradient", recorded)
    lp, g = bm.log_density_gradient(theta)
    assert rows == [1]          # the one draw, not the batch
    lp_r, g_r = original(native.ref, theta)
    np.testing.assert_allclose(lp, lp_r, rtol=1e-10)
    np.testing.assert_allclose(g, g_r, rtol=1e-10)


def test_code_that_raises_is_reported_by_the_reference():
    """An index out of range raises in the object's code: the entry says so (status -1) and
    the reference backend reports it, as on Numba's path."""
    src = ("data { int N; vector[N] y; int k; }\nparameters { real mu; }\n"
           "model { y[k] ~ normal(mu, 1); }\n")
    data = {"N": 2, "y": [1.0, 2.0], "k": 3}
    ppl.compile(src, path="m.ppl").bind(data, backend="numba")          # compiled and stored
    bm = ppl.compile(src, path="m.ppl").bind(data, backend="numba")
    native = bm._native
    assert native.entry is not None
    assert native.entry.bound(native.data)(np.zeros((2, 1)), True, native.work(2))[2] == -1
    with pytest.raises(ppl.PPLError, match="out of range"):
        bm.log_density_gradient(np.zeros(1))


_WARM_START = """
import json, sys
import numpy as np
import ppl
bm = ppl.compile_file(sys.argv[1]).bind(sys.argv[2], backend="numba")
lp, g = bm.log_density_gradient(np.array(json.loads(sys.argv[3])))
print(json.dumps({"numba": "numba" in sys.modules, "scipy": "scipy" in sys.modules,
                  "object": bm._native.entry is not None, "lp": lp.tolist(), "g": g.tolist()}))
"""


def test_warm_start_imports_neither_numba_nor_scipy(tmp_path):
    name = "diamonds-diamonds"
    bm = _warm(name)
    theta = np.random.default_rng(13).uniform(-1, 1, size=(3, bm.param_unc_num()))
    lp, g = bm.log_density_gradient(theta)
    out = subprocess.run([sys.executable, "-c", _WARM_START, *_files(name), json.dumps(theta.tolist())],
                         cwd=tmp_path, capture_output=True, text=True, env=dict(os.environ))
    assert out.returncode == 0, out.stderr
    seen = json.loads(out.stdout)
    assert seen["object"] and not seen["numba"] and not seen["scipy"], seen | {"lp": 0, "g": 0}
    assert _rel(seen["lp"], lp) < 1e-12 and _rel(seen["g"], g) < 1e-12


def test_damaged_object_is_detected_and_rebuilt():
    bm = _warm("earnings-earn_height")
    key = bm._native.key
    path = object_loader.object_path(key)
    with open(path, "rb") as f:
        data = bytearray(f.read())
    data[len(data) // 2] ^= 0xFF
    with open(path, "wb") as f:
        f.write(bytes(data))
    object_loader._loaded.clear()       # this process's engine for it, loaded before
    assert object_loader.load(key) is None
    model, data_file = _files("earnings-earn_height")
    rebound = ppl.compile_file(model).bind(data_file, backend="numba")
    assert rebound.backend == "numba" and rebound._native.entry is None      # Numba's path
    assert object_loader.load(key) is not None                              # and stored again


def _reshape_helper():
    entry = _warm("earnings-earn_height")._native.entry
    address = entry._engine.get_function_address("numba_attempt_nocopy_reshape")
    p = ctypes.c_void_p
    return ctypes.CFUNCTYPE(ctypes.c_int32, ctypes.c_int64, p, p, ctypes.c_int64, p, p, ctypes.c_int64,
                            ctypes.c_int32)(address)


def test_reshape_helper_agrees_with_numpy():
    """The runtime's reshape (object_runtime.nocopy_reshape_source) gives a view exactly
    when numpy does, with numpy's strides, for views of every layout."""
    helper = _reshape_helper()
    rng = np.random.default_rng(14)
    views = 0
    for _ in range(400):
        base = np.empty(tuple(rng.integers(1, 5, size=rng.integers(1, 5))))
        a = base[tuple(slice(None, None, int(rng.choice([1, 1, 2, -1]))) for _ in base.shape)]
        if rng.random() < 0.3:
            a = a.T
        factors = [n for n in a.shape if n > 1]
        if rng.random() < 0.3:
            rng.shuffle(factors)
        new = []
        for n in factors:       # neighbours merged at random, ones put in
            if new and rng.random() < 0.5:
                new[-1] *= n
            else:
                new.append(n)
        for _ in range(rng.integers(0, 3)):
            new.insert(int(rng.integers(0, len(new) + 1)), 1)
        order = "F" if rng.random() < 0.3 else "C"
        try:
            expected = a.reshape(new, order=order, copy=False).strides
        except ValueError:
            expected = None
        dims, strides = np.array(a.shape, dtype=np.int64), np.array(a.strides, dtype=np.int64)
        new_dims, new_strides = np.array(new, dtype=np.int64), np.zeros(len(new), dtype=np.int64)
        ok = helper(a.ndim, dims.ctypes.data, strides.ctypes.data, len(new), new_dims.ctypes.data,
                    new_strides.ctypes.data, 8, order == "F")
        assert ok == (expected is not None), (a.shape, a.strides, new, order)
        if ok:
            views += 1
            assert all(s == e for s, e, n in zip(new_strides, expected, new) if n > 1), (a.strides, new)
    assert 50 < views < 400
