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


# a private cache, so that nothing comes from an earlier run
pytestmark = pytest.mark.usefixtures("in_native_cache_dir")


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


def _forced_agreement(bn, br, theta, force):
    """Forced densities: the generated module itself (not the fallback) against the reference."""
    from ppl.backends.numba.guard_tables import force_tables
    tables = force_tables(force, len(theta))
    assert tables is not None
    lp, _ = bn._native.module.forced_density(theta, True, bn._native.work(len(theta)), *tables, *bn._native.data)
    lp_r = br.log_density(theta, force=force)
    assert _rel(lp, lp_r) < 1e-10
    return lp_r


@pytest.mark.parametrize("name", ["influenza", "temperature", "textmsg"])
def test_forced_guards_agree_with_the_reference(name):
    """Every boundary surface of the guarded examples forced true and false (what the
    boundary term evaluates), then several surfaces forced at once per draw with
    per-draw values (1, 0, -1: natural), natively and in the reference."""
    from ppl.infer.boundary import build_surfaces
    bn, br = _pair(name)
    assert bn._native.module.FORCING
    rng = np.random.default_rng(13)
    theta = rng.uniform(-2, 2, size=(8, br.param_unc_num()))
    surfaces = build_surfaces(br)
    jumps = 0
    for s in surfaces:
        lp_t = _forced_agreement(bn, br, theta, s.force(True))
        lp_f = _forced_agreement(bn, br, theta, s.force(False))
        jumps += np.sum(lp_t != lp_f)
    assert jumps > 0           # the forcing is seen: the test can tell forced from natural
    lanes = {}
    for s in rng.choice(len(surfaces), size=min(6, len(surfaces)), replace=False):
        for key in surfaces[s].keys:
            lanes[key] = rng.integers(-1, 2, size=len(theta))
    _forced_agreement(bn, br, theta, lanes)


def test_forced_guards_in_nested_loops_and_whole_sites():
    """Loop keys two deep, a site forced in all its instances, and a keyed entry whose
    draw value is -1 (natural) taking precedence over its site's entry, as in the reference."""
    src = ("data { int N; int K; matrix[N, K] y; }\nparameters { vector[N] a; vector[K] b; }\n"
           "model { a ~ normal(0, 1); b ~ normal(0, 1);\n"
           "  for (i in 1:N) for (k in 1:K) {\n"
           "    if (a[i] + b[k] > 0.3) y[i, k] ~ normal(a[i], 1); else y[i, k] ~ normal(b[k], 2);\n"
           "    target += step(a[i] - b[k]) * 0.5; } }\n")
    m = ppl.compile(src, path="nested.ppl")
    data = {"N": 3, "K": 2, "y": np.random.default_rng(0).normal(size=(3, 2)).tolist()}
    bn, br = m.bind(data, backend="numba"), m.bind(data, backend="numpy")
    assert bn.backend == "numba" and bn._native.module.FORCING
    theta = np.random.default_rng(1).normal(size=(6, 5))
    sites = [g.id for g in br.guards]
    assert len(sites) == 2
    for key in br.guard_instances():
        for value in (True, False):
            _forced_agreement(bn, br, theta, {(key.site, key.key): value})
    _forced_agreement(bn, br, theta, {sites[0]: True, sites[1]: False})
    lanes = np.array([1, 0, -1, 1, 0, -1])
    _forced_agreement(bn, br, theta, {(sites[0], (1, 0)): lanes, sites[0]: False, (sites[1], (2, 1)): True})


def test_hoisted_data_only_calls_against_the_reference():
    """Data-only library calls and count-model normalising terms get tables filled once per
    bind (backends/numba/hoisting.py).  Here: a call under a parametric branch (the recording
    draws do not reach it for n = 1: a < -12 there), a triangular loop nest (no table),
    a two-deep rectangular one, and a model that rejects at the recording point (its tables
    stay partly empty): every value agrees with the reference, and the tables are used."""
    src = ("data { int N; array[N] int y; vector[N] x; }\nparameters { real a; real b; }\n"
           "model { a ~ normal(0, 1); b ~ normal(0, 1);\n"
           "  for (n in 1:N) { y[n] ~ poisson_log(a + b * inv_Phi(n / (N + 1.0)));\n"
           "    if (a < x[n]) target += -0.1 * square(a - lgamma(x[n] + 2)); }\n"
           "  for (i in 1:N) for (j in 1:i) target += -0.01 * square(b - log1p(i * j));\n"
           "  for (i in 1:N) for (j in 1:2) target += -0.01 * square(a - sqrt(i + j));\n"
           "  if (a > 2.5) reject(\"a = \", a); }\n")
    data = {"N": 5, "y": [0, 3, 1, 4, 2], "x": [-12.5, -0.5, 0.2, 0.5, 1.5]}
    m = ppl.compile(src, path="hoist.ppl")
    bn, br = m.bind(data, backend="numba"), m.bind(data, backend="numpy")
    module = bn._native.module
    mode, table, offsets, sizes = bn._native.data[-2]
    assert module.HOIST_SITES >= 4 and mode == 0
    assert sizes[0] == 5 and np.all(np.isfinite(table[offsets[0]:offsets[1]]))
    assert np.isnan(table).any()           # the branch not taken where recorded left an entry empty
    theta = np.random.default_rng(4).uniform(-2, 2, size=(40, 2))
    theta[:5, 0] = -13.0                   # these draws compute it
    lp, g, _ = module.gradient(theta, True, bn._native.work(40), *bn._native.data)
    lp_r, g_r = br.log_density_gradient(theta)
    assert _rel(lp, lp_r) < 1e-10 and _rel(g, g_r) < 1e-10
    assert _rel(bn.log_density(theta), br.log_density(theta)) < 1e-10
    # a model that rejects where the tables are recorded (theta = 0): recorded up to there
    src2 = src.replace('if (a > 2.5) reject("a = ", a);', 'if (a < 0.5) reject("a = ", a);')
    m2 = ppl.compile(src2, path="hoist2.ppl")
    bn2, br2 = m2.bind(data, backend="numba"), m2.bind(data, backend="numpy")
    theta2 = np.abs(theta) + 0.5
    lp2, g2, _ = bn2._native.module.gradient(theta2, True, bn2._native.work(40), *bn2._native.data)
    lp2_r, g2_r = br2.log_density_gradient(theta2)
    assert _rel(lp2, lp2_r) < 1e-10 and _rel(g2, g2_r) < 1e-10


def _jump_agreement(bn, br, theta, forced):
    """The native jump function itself against the reference's two forced evaluations, to
    1e-10 of the log density's scale (the reference's jump is a difference of two values of
    that size; the jump function adds only the terms that differ)."""
    from ppl.backends.numba.guard_tables import force_tables
    S = len(theta)
    true = force_tables({k: np.where(m, 1, -1) for k, m in forced.items()}, S)
    false = force_tables({k: np.where(m, 0, -1) for k, m in forced.items()}, S)
    native = bn._native
    jumps, _ = native.module.jumps(theta, native.work(S), true[0], false[0], true[1], *native.data)
    expected = br.log_density_jumps(theta, forced)
    scale = np.maximum(1.0, np.abs(br.log_density(theta)))
    assert np.all(np.abs(jumps - expected) <= 1e-10 * scale), np.max(np.abs(jumps - expected) / scale)
    return jumps


@pytest.mark.parametrize("name", ["influenza", "temperature", "textmsg"])
def test_jumps_agree_with_two_forced_evaluations(name):
    """Each boundary surface of the guarded examples, three draws each."""
    from ppl.infer.boundary import build_surfaces
    bn, br = _pair(name)
    assert bn._native.module.JUMPS
    surfaces = build_surfaces(br)
    theta = np.random.default_rng(17).uniform(-2, 2, size=(3 * len(surfaces), br.param_unc_num()))
    forced = {}
    for k, s in enumerate(surfaces):
        member = np.zeros(len(theta), dtype=bool)
        member[3 * k:3 * k + 3] = True
        for key in s.keys:
            forced[key] = member
    jumps = _jump_agreement(bn, br, theta, forced)
    assert np.count_nonzero(jumps) > len(theta) // 3
    assert np.array_equal(bn.log_density_jumps(theta, forced), jumps)     # through the bound model


JUMPY = """
data { int N; vector[N] y; }
parameters { real a; real b; vector[N] u; }
transformed parameters {
  real c = a > 0 ? a : 0.5 * a;
}
model {
  vector[N] m = rep_vector(0, N);
  real carry = 0;
  int n = b > 0.5 ? N : 1;
  a ~ normal(0, 1);
  b ~ normal(0, 1);
  u ~ normal(0, 1);
  for (i in 1:N) {
    if (u[i] > b) {
      real t = 2 * u[i];
      m[i] = t + carry;
      carry = carry + c;
    } else {
      m[i] = u[i] - c;
    }
    carry = 0.5 * carry;
  }
  target += normal_lpdf(y[n] | m[n], 1);
  y ~ normal(m, 2);
  target += b > -1 ? -0.5 * square(b + 1) : 0;
}
"""


def test_jumps_through_arrays_branches_and_loop_bounds():
    """What a jump reaches: an array written element by element (world F's copy made when
    they diverge), a branch the worlds take differently (each world runs it on its own
    copies: a declaration, a carried scalar), an index that depends on a guard, a guard in
    the transformed parameters, several instances forced at once, and a guard forced at
    draws where forcing changes nothing (its jump is zero)."""
    m = ppl.compile(JUMPY, path="jumpy.ppl")
    data = {"N": 4, "y": [0.3, -1.2, 2.0, 0.7]}
    bn, br = m.bind(data, backend="numba"), m.bind(data, backend="numpy")
    assert bn.backend == "numba" and bn._native.module.JUMPS
    rng = np.random.default_rng(23)
    theta = rng.normal(size=(12, 6))
    instances = [(g.site, g.key) for g in br.guard_instances()]
    for key in instances:
        _jump_agreement(bn, br, theta, {key: np.ones(len(theta), dtype=bool)})
    several = {key: rng.random(len(theta)) < 0.5 for key in instances}
    _jump_agreement(bn, br, theta, several)


CONSTANT_INDICES = """
data { int N; vector[N] x; vector[N] y; }
parameters { vector[3] b; array[2] real<lower=0> s; }
model {
  b ~ normal(0, 1);
  s ~ lognormal(0, 1);
  for (n in 1:N) y[n] ~ normal(b[1] + b[2] * x[n], exp(b[3]) + s[2]);
  if (N > 100) target += b[4];          // out of range: never reached here
}
"""


def test_parameter_elements_at_constant_indices_are_read_once():
    """b[1], b[2], b[3], s[2] are read into scalars once per draw (the generated code names
    them _p0 ...), b[4] (out of range, in a branch not taken) is left to the indexing that
    raises; density and gradient agree with the reference."""
    m = ppl.compile(CONSTANT_INDICES, path="constant_indices.ppl")
    rng = np.random.default_rng(9)
    data = {"N": 6, "x": rng.normal(size=6).tolist(), "y": rng.normal(size=6).tolist()}
    bn, br = m.bind(data, backend="numba"), m.bind(data, backend="numpy")
    assert bn.backend == "numba"
    gradient_one = bn._native.source.split("def gradient_one")[1].split("\n@njit")[0]
    assert all(f"_p{k} = " in gradient_one for k in range(4)) and "_p4 = " not in gradient_one
    theta = rng.normal(size=(5, 5))
    assert _rel(bn.log_density(theta), br.log_density(theta)) < 1e-12
    lp, g = bn.log_density_gradient(theta)
    lp_r, g_r = br.log_density_gradient(theta)
    assert _rel(lp, lp_r) < 1e-12 and _rel(g, g_r) < 1e-10


FORGETFUL = """
data { int N; }
parameters { vector[N] x; real b; }
model {
  real state = 0;
  x ~ normal(0, 1);
  b ~ normal(0, 1);
  for (i in 1:N) {
    state = x[i] > 0.3 ? 1 : (x[i] < -0.3 ? 0 : state);
    target += normal_lpdf(x[i] | state, 1);
  }
  for (j in 1:N) target += j * (x[j] > b ? 0.1 : -0.2) * (1 + 0.1 * state);
  target += b > 0 ? state : -state;
}
"""


def test_jumps_end_early_only_when_nothing_is_left_to_differ():
    """A jump ends after a top-level loop's iteration once no flag is set and nothing forced
    lies ahead, and a loop with independent iterations starts at its first forced one
    unless a flag is set on entry.  Here a forced step's effect is carried by a scalar until
    x leaves the band (-0.3, 0.3); a second loop (independent) reads that scalar, and a last
    statement holds one more guard; instances are forced one at a time, in random sets and
    as whole sites: all against the reference."""
    m = ppl.compile(FORGETFUL, path="forgetful.ppl")
    data = {"N": 8}
    bn, br = m.bind(data, backend="numba"), m.bind(data, backend="numpy")
    assert bn.backend == "numba" and bn._native.module.JUMPS
    rng = np.random.default_rng(31)
    theta = rng.normal(scale=0.4, size=(40, 9))
    instances = [(g.site, g.key) for g in br.guard_instances()]
    for key in instances:
        _jump_agreement(bn, br, theta, {key: np.ones(len(theta), dtype=bool)})
    for _ in range(5):
        _jump_agreement(bn, br, theta, {key: rng.random(len(theta)) < 0.2 for key in instances})
    for g in br.guards:
        _jump_agreement(bn, br, theta, {g.id: rng.random(len(theta)) < 0.5})


def test_guards_in_a_changepoint_series_are_forced_by_the_reference():
    """A guard inside a changepoint series has no native loop key: the model has no forcing
    and no jump function, so forced evaluations and jumps go to the reference backend (and
    agree with it, trivially); natural evaluations stay native."""
    src = ("data { int T; array[T] real y; }\nparameters { real mu1; real mu2; changepoints[1, T] tau; }\n"
           "model { mu1 ~ normal(0, 1); mu2 ~ normal(0, 1);\n"
           "  for (t in 1:T) y[t] ~ normal(t < tau[1] ? (mu1 > 0 ? mu1 : 0.5 * mu1) : mu2, 1); }\n")
    m = ppl.compile(src, path="cp.ppl")
    data = {"T": 6, "y": [0.1, 0.3, -0.2, 1.5, 1.8, 1.2]}
    bn, br = m.bind(data, backend="numba"), m.bind(data, backend="numpy")
    assert bn.backend == "numba" and not bn._native.module.FORCING and not bn._native.module.JUMPS
    theta = np.random.default_rng(2).normal(size=(4, 2))
    force = {br.guards[0].id: True}
    assert _rel(bn.log_density(theta, force=force), br.log_density(theta, force=force)) < 1e-10
    forced = {br.guards[0].id: np.array([True, False, True, True])}
    assert _rel(bn.log_density_jumps(theta, forced), br.log_density_jumps(theta, forced)) < 1e-12


def test_tapes_that_fill_are_grown_and_the_draw_run_again():
    """A draw whose tapes outgrow their length stops, and runs again on tapes twice as long
    (scalars pushed 3,000 times, branch decisions, vectors on a list tape); the length is
    kept for the next batches.  (The loop carries ``acc`` from one iteration to the next:
    a loop whose iterations are independent saves nothing on the tapes.)"""
    src = ("data { int N; vector[N] y; }\nparameters { real a; real<lower=0> s; }\n"
           "model { real acc = 0; a ~ normal(0, 1); s ~ lognormal(0, 1);\n"
           "  for (n in 1:N) { real m = a * y[n]; vector[2] v; v[1] = m; v[2] = s; acc = acc + 0.001 * m;\n"
           "    if (m > 0) target += -0.5 * square(v[1] - 0.1) / s; else target += -0.5 * square(v[2]); }\n"
           "  target += -0.5 * square(acc); }\n")
    m = ppl.compile(src, path="tapes.ppl")
    data = {"N": 3000, "y": np.random.default_rng(3).normal(size=3000).tolist()}
    bn, br = m.bind(data, backend="numba"), m.bind(data, backend="numpy")
    assert bn.backend == "numba"
    tape_room = bn._native.data[-1]
    before = int(tape_room[0])
    theta = np.random.default_rng(4).normal(size=(3, 2))
    lp, g, _ = bn._native.module.gradient(theta, True, bn._native.work(3), *bn._native.data)
    lp_r, g_r = br.log_density_gradient(theta)
    assert _rel(lp, lp_r) < 1e-10 and _rel(g, g_r) < 1e-10
    assert tape_room[0] >= 3000 > before


def test_emit_asm_shows_vector_instructions_on_a_warm_cache_too(capsys):
    """pplc compile --emit asm compiles the module afresh (a cache hit keeps no assembly):
    kidiq's gradient has packed AVX arithmetic, shown on the second call as on the first."""
    from ppl.cli import main
    d = os.path.join(EXAMPLES, "kidiq-kidscore_momiq")
    counts = []
    for _ in range(2):
        assert main(["compile", os.path.join(d, "model.ppl"), "--data", os.path.join(d, "data.json"),
                     "--emit", "asm"]) == 0
        asm = capsys.readouterr().out
        counts.append(sum(asm.count(op) for op in ("vfmadd", "vmulpd", "vaddpd")))
    assert counts[0] > 0 and counts[1] == counts[0]


def test_changepoint_tables_with_computed_sizes_are_made_per_draw():
    """The tables of a series whose sizes are data come from the batch (one buffer for all
    its draws); sizes computed in the model (T - 1 here) make them per draw: both agree
    with the reference."""
    src = ("data { int T; array[T] real y; }\nparameters { real mu1; real mu2; changepoints[1, T - 1] tau; }\n"
           "model { mu1 ~ normal(0, 1); mu2 ~ normal(0, 1);\n"
           "  for (t in 1:(T - 1)) y[t] ~ normal(t < tau[1] ? mu1 : mu2, 1); }\n")
    data = {"T": 7, "y": [0.1, 0.3, -0.2, 1.5, 1.8, 1.2, 9.0]}
    bn = ppl.compile(src, path="cpt.ppl").bind(data, backend="numba")
    br = ppl.compile(src, path="cpt.ppl").bind(data, backend="numpy")
    assert bn.backend == "numba" and "_buf" not in bn._native.source
    theta = np.random.default_rng(6).normal(size=(5, 2))
    lp, g, _ = bn._native.module.gradient(theta, True, bn._native.work(5), *bn._native.data)
    lp_r, g_r = br.log_density_gradient(theta)
    assert _rel(lp, lp_r) < 1e-10 and _rel(g, g_r) < 1e-10
    coal2 = _pair("coal2")[0]
    assert "cp_ell_v_tau_buf" in coal2._native.source
