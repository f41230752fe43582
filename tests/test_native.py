"""The native (Numba) backend against the reference (numpy) backend.

Differential tests: density and gradient of every example at random
unconstrained points agree to 1e-10 relative (the two backends evaluate the
same IR and the same AD program with the same formulas, so they differ by
rounding only); the stdlib's native templates agree with the numpy
definitions; the cache is keyed by source and toolchain and survives a
corrupt entry.
"""
from __future__ import annotations

import os
import warnings

import numpy as np
import pytest

import ppl
from conftest import EXAMPLES

# Examples the native backend must compile (not fall back to numpy): a
# regression in the generator shows up here rather than as a silent slowdown.
NATIVE = ["arK-arK", "diamonds-diamonds", "earnings-earn_height", "earnings-logearn_height",
          "eight_schools-eight_schools_noncentered", "garch-garch11", "influenza",
          "kidiq-kidscore_momiq", "low_dim_gauss_mix-low_dim_gauss_mix", "mesquite-logmesquite",
          "nes1972-nes", "sblri-blr", "temperature", "textmsg",
          "coal", "coal2", "coal3", "textmsg_changepoint", "mean_shift", "censored"]
# coal and coal3 are coal2's model with one changepoint fewer/more, textmsg_changepoint
# the same body with poisson_log: the same generated code up to sizes and one template,
# each a compile of several seconds, so they run with the slow tests.
_SLOW = {"coal", "coal3", "textmsg_changepoint"}
ALL = [pytest.param(n, marks=pytest.mark.slow) if n in _SLOW else n for n in sorted(os.listdir(EXAMPLES))]
# mean_shift (T = 10,000) is costly in the reference backend: fewer draws
DRAWS = {"mean_shift": 2}


@pytest.fixture(scope="module", autouse=True)
def _cache_dir(tmp_path_factory):
    # a private cache, so the test also measures nothing from an earlier run
    old = os.environ.get("PPLC_CACHE_DIR")
    os.environ["PPLC_CACHE_DIR"] = str(tmp_path_factory.mktemp("pplc-cache"))
    yield
    if old is None:
        os.environ.pop("PPLC_CACHE_DIR", None)
    else:
        os.environ["PPLC_CACHE_DIR"] = old


def _pair(name):
    d = os.path.join(EXAMPLES, name)
    m = ppl.compile_file(os.path.join(d, "model.ppl"))
    data = os.path.join(d, "data.json")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return m.bind(data, backend="numba"), m.bind(data, backend="numpy")


def _rel(a, b):
    a, b = np.asarray(a), np.asarray(b)
    return np.max(np.abs(a - b) / np.maximum(1.0, np.abs(b)))


@pytest.mark.parametrize("name", ALL)
def test_density_and_gradient_agree_with_the_reference(name):
    bn, br = _pair(name)
    if name in NATIVE:
        assert bn.backend == "numba", bn.backend_note
    d = br.param_unc_num()
    theta = np.random.default_rng(7).uniform(-2, 2, size=(DRAWS.get(name, 6), d))
    lp_n, g_n = bn.log_density_gradient(theta)
    lp_r, g_r = br.log_density_gradient(theta)
    assert _rel(lp_n, lp_r) < 1e-10
    assert _rel(g_n, g_r) < 1e-10
    assert _rel(bn.log_density(theta), lp_r) < 1e-10
    assert _rel(bn.log_density(theta, jacobian=False), br.log_density(theta, jacobian=False)) < 1e-10
    lp1, g1 = bn.log_density_gradient(theta[0])
    assert np.isclose(lp1, lp_r[0], rtol=1e-10) and _rel(g1, g_r[0]) < 1e-10


def test_native_code_itself_ran():
    """The agreement above must not come from the fallback: call the generated module directly."""
    bn, br = _pair("garch-garch11")
    theta = np.random.default_rng(3).uniform(-2, 2, size=(5, br.param_unc_num()))
    lp, g, _ = bn._native.module.gradient(theta, True, bn._native.work(len(theta)), *bn._native.data)
    lp_r, g_r = br.log_density_gradient(theta)
    assert _rel(lp, lp_r) < 1e-10 and _rel(g, g_r) < 1e-10


def test_changepoint_series_run_natively():
    """The changepoint examples' agreement above must not come from the fallback either:
    the generated module itself, against the reference (whose segment posteriors are
    the same reverse sweep in numpy)."""
    for name, S in (("coal2", 4), ("mean_shift", 1)):
        bn, br = _pair(name)
        theta = np.random.default_rng(5).uniform(-2, 2, size=(S, br.param_unc_num()))
        lp, g, _ = bn._native.module.gradient(theta, True, bn._native.work(S), *bn._native.data)
        lp_r, g_r = br.log_density_gradient(theta)
        assert _rel(lp, lp_r) < 1e-10 and _rel(g, g_r) < 1e-10


def test_changepoint_series_with_locals_and_branches():
    """A body that declares and reassigns a local under segment-dependent and data
    branches: the forward sweep pushes values and branch decisions per step and
    segment, the reverse pops them cell by cell in the opposite order (the reference
    is checked against enumeration on this model in test_changepoints.py)."""
    from test_changepoints import TAPED_SERIES, taped_series_data
    data = taped_series_data()
    m = ppl.compile(TAPED_SERIES)
    bn, br = m.bind(data, backend="numba"), m.bind(data, backend="numpy")
    assert bn.backend == "numba", bn.backend_note
    theta = np.random.default_rng(4).uniform(-2, 2, size=(5, 4))
    lp, g, _ = bn._native.module.gradient(theta, True, bn._native.work(5), *bn._native.data)
    lp_r, g_r = br.log_density_gradient(theta)
    assert _rel(lp, lp_r) < 1e-10 and _rel(g, g_r) < 1e-10
    assert _rel(bn._native.module.density(theta, True, bn._native.work(5), *bn._native.data)[0], lp_r) < 1e-10


def test_changepoint_series_that_cannot_fit_is_reported_by_the_reference():
    """coal2's changepoints[2, T] with T = 2 has no placement: the native code stops and
    the reference reports the declaration's line (the module is coal2's, from the cache)."""
    path = os.path.join(EXAMPLES, "coal2", "model.ppl")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        bn = ppl.compile_file(path).bind({"T": 2, "D": [1, 3]}, backend="numba")
    assert bn.backend == "numba", bn.backend_note
    with pytest.raises(ppl.PPLError, match=r"changepoints\[2, 2\] needs 0 <= M <= T - 1") as err:
        bn.log_density_gradient(np.zeros(3))
    assert err.value.span.line == 12 and err.value.span.path.endswith("model.ppl")


def test_guarded_model_branches_both_ways():
    """textmsg's guard flips between draws: native and reference take the same branch per draw."""
    bn, br = _pair("textmsg")
    rng = np.random.default_rng(11)
    theta = rng.normal(size=(200, br.param_unc_num())) * 3
    lp, g, _ = bn._native.module.gradient(theta, True, bn._native.work(len(theta)), *bn._native.data)
    lp_r, g_r = br.log_density_gradient(theta)
    assert _rel(lp, lp_r) < 1e-10 and _rel(g, g_r) < 1e-10


def test_out_of_range_index_is_reported_by_the_reference():
    src = ("data { int N; vector[N] y; int k; }\nparameters { real mu; }\n"
           "model { y[k] ~ normal(mu, 1); }\n")
    m = ppl.compile(src, path="m.ppl")
    bn = m.bind({"N": 2, "y": [1.0, 2.0], "k": 3}, backend="numba")
    assert bn.backend == "numba"
    with pytest.raises(ppl.PPLError, match="index 3 out of range|out of range"):
        bn.log_density(np.zeros(1))


def test_second_bind_loads_the_cached_module(tmp_path):
    from ppl.backends.numba import cache
    bn, _ = _pair("kidiq-kidscore_momiq")
    path = bn._native.path
    assert os.path.dirname(path) == cache.cache_dir()
    # a torn write is detected by the stamp and the entry rewritten
    with open(path, "a") as fh:
        fh.write("garbage(\n")
    mod, path2 = cache.load(bn._native.source)
    assert path2 == path
    with open(path) as fh:
        first, rest = fh.readline(), fh.read()
    import hashlib
    assert first.split()[-1] == hashlib.sha256(rest.encode()).hexdigest()
    # a different toolchain gives a different key
    assert cache.module_key(bn._native.source) != cache.module_key(bn._native.source + "\n")


_SOURCE_DIGEST = """
import hashlib, sys
import ppl
from ppl.backends.numba.executor import generated_source
d = sys.argv[1]
bound = ppl.compile_file(d + "/model.ppl").bind(d + "/data.json", backend="numpy")
print(hashlib.sha256(generated_source(bound._impl)[0].encode()).hexdigest())
"""


def test_generated_source_is_the_same_in_every_process(tmp_path):
    """The source is the cache key: it must not follow string hashing (sets' order),
    or a warm start recompiles.  Hash seeds 1 and 2 order {'reassoc', 'contract'}
    differently."""
    import subprocess
    import sys
    d = os.path.join(EXAMPLES, "eight_schools-eight_schools_noncentered")
    digests = set()
    for seed in ("1", "2"):
        env = dict(os.environ, PYTHONHASHSEED=seed)
        # run outside the checkout: '-c' puts the working directory first on sys.path
        out = subprocess.run([sys.executable, "-c", _SOURCE_DIGEST, d], capture_output=True,
                             text=True, env=env, check=True, cwd=tmp_path)
        digests.add(out.stdout.strip())
    assert len(digests) == 1


@pytest.mark.parametrize("S, K, N", [(5, 7, 1100), (2, 4, 3), (1, 1, 600), (0, 3, 5)])
def test_batched_product_kernels_against_numpy(S, K, N):
    """The blocked kernels of the batched data-matrix products (odd S, K not a
    multiple of 4, N across block edges), on non-contiguous draws and gradient
    columns as the batch functions pass them."""
    from ppl.backends.numba import runtime_linalg as L
    rng = np.random.default_rng(S * 100 + K)
    x = rng.normal(size=(N, K))
    thetas = rng.normal(size=(S, K + 2))
    out = np.full((S, N), np.nan)
    L.rows_times(thetas[:, 1:K + 1], np.ascontiguousarray(x.T), out)
    assert np.allclose(out, thetas[:, 1:K + 1] @ x.T, rtol=1e-12, atol=1e-12)
    g = rng.normal(size=(S, N))
    grads = rng.normal(size=(S, K + 2))
    expected = grads.copy()
    expected[:, 1:K + 1] += g @ x
    L.add_rows_times_transpose(g, np.ascontiguousarray(x.T), grads[:, 1:K + 1])
    assert np.allclose(grads, expected, rtol=1e-12, atol=1e-12)


def test_non_finite_draws_are_flagged_and_redone_by_the_reference():
    """The batch functions say whether every draw was finite; draws that were not
    are re-evaluated by the reference backend, the others kept."""
    src = ("parameters { real x; vector[2] z; }\n"
           "model { target += log(x); z ~ normal(x, 1); x ~ normal(0, 1); }\n")
    m = ppl.compile(src, path="m.ppl")
    bn, br = m.bind({}, backend="numba"), m.bind({}, backend="numpy")
    assert bn.backend == "numba"
    native = bn._native
    good = np.array([[1.0, 0.1, 0.2], [2.0, -1.0, 1.0]])
    mixed = np.array([[1.0, 0.1, 0.2], [-1.0, 0.3, 0.1], [2.0, -1.0, 1.0]])
    assert native.module.gradient(good, True, native.work(2), *native.data)[2]
    assert not native.module.gradient(mixed, True, native.work(3), *native.data)[2]
    assert not native.module.density(mixed, True, native.work(3), *native.data)[1]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        lp, g = bn.log_density_gradient(mixed)
        lp_r, g_r = br.log_density_gradient(mixed)
        lp_d = bn.log_density(mixed)
    assert np.isnan(lp[1]) and np.isnan(lp_r[1]) and np.isnan(lp_d[1])
    keep = [0, 2]
    assert _rel(lp[keep], lp_r[keep]) < 1e-10 and _rel(g[keep], g_r[keep]) < 1e-10
    assert _rel(lp_d[keep], lp_r[keep]) < 1e-10


def test_cache_key_follows_the_kernels_generated_modules_import(tmp_path, monkeypatch):
    """Numba's cache does not see a change in a function a module imports: the key
    includes the kernels' text, so an edited kernel gives a new entry."""
    from ppl.backends.numba import cache
    kernel = tmp_path / "pplc_test_kernel.py"
    kernel.write_text("def f(x):\n    return x + 1\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(cache, "_KERNEL_MODULES", ["pplc_test_kernel"])
    monkeypatch.setattr(cache, "_toolchain_text", None)
    before = cache.module_key("source")
    kernel.write_text("def f(x):\n    return x + 2\n")
    monkeypatch.setattr(cache, "_toolchain_text", None)
    assert cache.module_key("source") != before
    monkeypatch.setattr(cache, "_toolchain_text", None)
    assert cache.module_key("source") == cache.module_key("source")
