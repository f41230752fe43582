"""The compiled VI loop (ppl.infer.compiled_loop) against the Python loop and closed forms.

Both loops take the same standard normals in the same order, so on the same
seed they take the same steps up to rounding: agreement is asserted to 1e-8,
far below the optimiser's own noise."""
import warnings

import numpy as np
import pytest

import ppl
from ppl.infer import adam_kernels as K
from ppl.infer import compiled_loop
from ppl.infer.guides import GUIDES
from ppl.infer.optimize import AdamState, InferenceError, OptimiserSettings

# a Gaussian posterior in closed form: (a, b) ~ N(0, 2^2 I), y ~ N(a + b x, 0.5^2) (scalars and a
# loop: the cheapest model to compile)
REGRESSION = """
data { int N; array[N] real x; array[N] real y; }
parameters { real a; real b; }
model { a ~ normal(0, 2); b ~ normal(0, 2); for (n in 1:N) y[n] ~ normal(a + b * x[n], 0.5); }
"""
X_DATA = [-1.0, -0.5, 0.0, 0.5, 1.0, 1.5]
Y_DATA = [0.2, 0.1, 0.9, 1.1, 1.6, 2.4]

# non-finite draws: log(2 - x) is NaN above 2; reject() makes native code raise below -2
TROUBLE = """
parameters { real x; }
model {
  x ~ normal(0, 1);
  target += log(2 - x);
  if (x < -2) reject("x = ", x);
}
"""


@pytest.fixture(scope="module")
def regression():
    return ppl.compile(REGRESSION).bind({"N": 6, "x": X_DATA, "y": Y_DATA}, backend="numba")


@pytest.fixture(scope="module")
def trouble():
    return ppl.compile(TROUBLE).bind({}, backend="numba")


def posterior():
    X = np.stack([np.ones(6), X_DATA], axis=1)
    precision = np.eye(2) / 4 + X.T @ X / 0.25
    cov = np.linalg.inv(precision)
    return cov @ X.T @ np.asarray(Y_DATA) / 0.25, precision, cov


def guide_mean_sd(fit):
    g = fit.guide
    if "sigma" in g:
        return np.asarray(g["mu"]), np.asarray(g["sigma"])
    L = np.asarray(g["L"])
    return np.asarray(g["mu"]), np.sqrt(np.sum(L * L, axis=1))


# Optimiser noise: with lr = 0.02, 3000 steps of 16 draws, the final guide's parameters vary
# over 30 seeds with sd 0.015 (mu), 0.004 (mean-field sd), 0.014 (full-rank sd); 5 sd each.
@pytest.mark.parametrize("guide,sd_tol", [("meanfield", 0.02), ("fullrank", 0.07)])
def test_compiled_loop_matches_python_loop_and_closed_form(regression, guide, sd_tol):
    options = dict(seed=1, iter=3000, lr=0.02, tol_rel_obj=0.0, guide=guide, draws=50)
    compiled = regression.infer(**options)
    python = regression.infer(compiled_loop=False, **options)
    assert compiled.settings["loop"] == "compiled" and python.settings["loop"] == "python"
    mean, precision, cov = posterior()
    # mean-field optimum for a Gaussian: the exact mean, sd = precision_ii^-1/2; full rank: exact
    target_sd = precision.diagonal() ** -0.5 if guide == "meanfield" else np.sqrt(cov.diagonal())
    for fit in (compiled, python):
        mu, sd = guide_mean_sd(fit)
        assert np.all(np.abs(mu - mean) < 0.075), (mu, mean)
        assert np.all(np.abs(sd - target_sd) < sd_tol), (sd, target_sd)
    (mu_c, sd_c), (mu_p, sd_p) = guide_mean_sd(compiled), guide_mean_sd(python)
    assert np.allclose(mu_c, mu_p, rtol=0, atol=1e-8) and np.allclose(sd_c, sd_p, rtol=0, atol=1e-8)
    assert np.allclose(compiled.elbo_trace, python.elbo_trace, rtol=1e-10, atol=1e-8)
    assert np.allclose(compiled.elbo, python.elbo, rtol=1e-10)          # the same evaluation draws
    assert np.allclose(compiled.matrix, python.matrix, rtol=0, atol=1e-8)


def test_same_seed_same_fit_bit_for_bit_whatever_the_chunks(regression, monkeypatch):
    options = dict(seed=4, iter=700, draws=20, tol_rel_obj=1e-9)
    a = regression.infer(**options)
    b = regression.infer(**options)
    monkeypatch.setattr(compiled_loop, "FIRST_CHUNK", 7)
    monkeypatch.setattr(compiled_loop, "CHUNK_SECONDS", 1e-9)     # then one iteration per chunk
    c = regression.infer(**options)
    d = regression.infer(**{**options, "seed": 5})
    assert a.elbo_trace == b.elbo_trace == c.elbo_trace and a.elbo == b.elbo == c.elbo
    assert np.array_equal(a.matrix, b.matrix) and np.array_equal(a.matrix, c.matrix)
    assert not np.array_equal(a.matrix, d.matrix)


def test_callbacks_and_interrupt_as_in_the_python_loop(regression):
    def run(compiled):
        seen = []

        def callback(it, elbo, phi):
            seen.append((it, elbo, phi.copy()))
            if it == 130:
                raise KeyboardInterrupt
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fit = regression.infer(seed=3, iter=500, draws=30, callback=callback, compiled_loop=compiled)
        return fit, seen
    (fc, sc), (fp, sp) = run(True), run(False)
    assert fc.settings["loop"] == "compiled"
    assert [s[0] for s in sc] == [s[0] for s in sp] == list(range(1, 131))
    assert np.allclose([s[1] for s in sc], [s[1] for s in sp], rtol=1e-12)
    assert np.allclose(np.array([s[2] for s in sc]), np.array([s[2] for s in sp]), rtol=0, atol=1e-10)
    assert fc.diagnostics["partial"] and fc.diagnostics["iterations"] == fp.diagnostics["iterations"] == 130
    # the generator is rewound to iteration 130: the partial fits' draws are the same draws
    assert np.allclose(fc.matrix, fp.matrix, rtol=0, atol=1e-10)


def test_non_finite_and_raising_draws_are_rejected_by_the_python_rule(trouble):
    options = dict(seed=2, iter=400, samples=1, draws=20, estimator="reparam", tol_rel_obj=1e-9)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        compiled = trouble.infer(**options)
        python = trouble.infer(compiled_loop=False, **options)
    assert compiled.settings["loop"] == "compiled"
    rejected = compiled.diagnostics["rejected_steps"]
    assert rejected > 0 and rejected == python.diagnostics["rejected_steps"]
    assert compiled.diagnostics["iterations"] == python.diagnostics["iterations"]
    assert compiled.elbo_trace == pytest.approx(python.elbo_trace, rel=1e-12)
    assert np.allclose(compiled.matrix, python.matrix, rtol=0, atol=1e-10)


def test_too_many_failures_gives_the_python_loops_error(trouble):
    """From x = 10 every draw is beyond the log's domain: 20 rejected steps, then the same
    error, whose note names the values at fresh draws from the (rewound) generator."""
    messages = []
    for compiled in (True, False):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with pytest.raises(InferenceError) as info:
                trouble.infer(seed=1, iter=300, estimator="reparam", init=[10.0], compiled_loop=compiled)
        messages.append(str(info.value))
    assert "20 consecutive steps gave a non-finite ELBO or gradient (at iteration 20)" in messages[0]
    assert messages[0] == messages[1]


def test_other_estimators_and_the_numpy_backend_keep_the_python_loop(regression):
    assert regression.infer(seed=1, iter=20, estimator="score", draws=10).settings["loop"] == "python"
    numpy_bm = ppl.compile(REGRESSION).bind({"N": 6, "x": X_DATA, "y": Y_DATA}, backend="numpy")
    assert numpy_bm.infer(seed=1, iter=20, draws=10).settings["loop"] == "python"


@pytest.mark.parametrize("guide", ["meanfield", "fullrank"])
def test_kernel_step_equals_reparam_and_adam_state(guide):
    """One compiled iteration (elbo_and_gradient, step_or_reject) against Reparam's numpy maths and AdamState.step,
    on random states, including gradients so large that the step is rejected."""
    rng = np.random.default_rng(0)
    d, S = 3, 4
    g_obj = GUIDES[guide](d)
    settings = OptimiserSettings()
    hyper = np.array([settings.lr, settings.decay, settings.beta1, settings.beta2, settings.eps])
    for case in range(6):
        phi = g_obj.init(rng.normal(size=d)) + 0.1 * rng.normal(size=g_obj.n_params)
        eps = rng.standard_normal((S, d))
        theta = g_obj.transform(phi, eps)
        theta_k = np.empty((S, d))
        K.guide_draws(phi, eps, theta_k, guide == "fullrank")
        assert np.allclose(theta_k, theta, rtol=1e-14, atol=1e-14)
        lp = rng.normal(size=S)
        grad = np.full((S, d), 1.7e308) if case == 5 else rng.normal(size=(S, d))   # sums overflow: rejected
        state = AdamState(phi, settings)
        state.t, state.lr_scale = int(rng.integers(0, 50)), 0.5 ** int(rng.integers(0, 3))
        state.m, state.v = rng.normal(size=phi.size), rng.uniform(0, 1, size=phi.size)
        elbo = float(np.mean(lp)) + g_obj.entropy(phi)
        phi_k, m_k, v_k = phi.copy(), state.m.copy(), state.v.copy()
        counts = np.array([state.t, 0, 0, 0])
        scale = np.array([state.lr_scale])
        with np.errstate(over="ignore", invalid="ignore"):
            g = g_obj.pathwise_grad(phi, eps, grad) + g_obj.entropy_grad(phi)
            ok = state.step(elbo, g)
        g_k = np.empty(phi.size)
        elbo_k = K.elbo_and_gradient(phi_k, eps, lp, grad, g_k, guide == "fullrank")
        elbo_k = K.step_or_reject(phi_k, m_k, v_k, counts, scale, elbo_k, g_k, np.empty((3, phi.size)), hyper)
        assert ok == (case != 5) == np.isfinite(elbo_k)
        assert counts[0] == state.t and counts[1] == state.failures and counts[2] == (0 if ok else 1)
        assert scale[0] == state.lr_scale
        if ok:
            assert elbo_k == pytest.approx(elbo, rel=1e-13)
            for a, b in ((phi_k, state.phi), (m_k, state.m), (v_k, state.v)):
                assert np.allclose(a, b, rtol=1e-12, atol=1e-14)
        else:
            assert np.array_equal(phi_k, phi)


# a jump in the density across the line z = 0.3 x (one affine guard) and another across
# x = 5 whose forced-true side is NaN on the surface where |z| < 1/sqrt(3): the boundary
# estimator's jumps there are not finite, so those iterations run in Python (where they
# add nothing); the natural density is NaN beyond x = 5 too, 5 sd out in the prior
GUARDED = """
parameters { real x; real z; }
model {
  x ~ normal(0, 1);
  z ~ normal(0, 1);
  if (z > 0.3 * x) target += normal_lpdf(1.2 | x, 1); else target += normal_lpdf(-0.5 | x, 0.5);
  if (x > 5) target += log(x - 6 + 3 * z * z);
}
"""


@pytest.fixture(scope="module")
def guarded():
    return ppl.compile(GUARDED).bind({}, backend="numba")


@pytest.mark.parametrize("guide", ["meanfield", "fullrank"])
def test_compiled_boundary_loop_matches_the_python_loop(guarded, guide, monkeypatch):
    in_python = []
    at = compiled_loop.Boundary.at_all_affine
    monkeypatch.setattr(compiled_loop.Boundary, "at_all_affine", lambda self, *a: in_python.append(1) or at(self, *a))
    options = dict(seed=5, iter=400, samples=4, estimator="boundary", guide=guide, tol_rel_obj=0.0, draws=30)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        compiled = guarded.infer(**options)
        python = guarded.infer(compiled_loop=False, **options)
    assert compiled.settings["loop"] == "compiled" and python.settings["loop"] == "python"
    assert compiled.diagnostics["iterations"] == python.diagnostics["iterations"] == 400
    fallbacks = len(in_python) - 400        # the Python loop calls it each iteration
    assert 0 < fallbacks < 400              # both paths of the compiled loop ran
    assert np.allclose(compiled.elbo_trace, python.elbo_trace, rtol=1e-10, atol=1e-8)
    assert np.allclose(compiled.matrix, python.matrix, rtol=0, atol=1e-8)


@pytest.mark.parametrize("guide", ["meanfield", "fullrank"])
def test_boundary_kernels_equal_the_numpy_boundary_term(guarded, guide):
    """boundary_points + the jump function + add_boundary_term against
    boundary.affine_boundary_batch on the reference backend, on random guides and draws."""
    from ppl.infer.boundary import affine_boundary_batch, build_surfaces
    from ppl.infer.boundary_kernels import add_boundary_term, boundary_points, boundary_scratch, nonzero_coordinates
    from ppl.infer.compiled_loop import boundary_force_tables
    surfaces = build_surfaces(guarded)
    assert len(surfaces) == 2 and all(s.kind == "affine" for s in surfaces)
    rng = np.random.default_rng(5)
    g_obj = GUIDES[guide](2)
    native = guarded._native
    K, m = len(surfaces), 3
    c0 = np.array([s.c0 for s in surfaces])
    C = np.ascontiguousarray([s.c for s in surfaces])
    forces, forces_false, lanes = boundary_force_tables(surfaces, m)
    reference = ppl.compile(GUARDED).bind({}, backend="numpy")
    for _ in range(5):
        phi = g_obj.init(rng.normal(size=2)) + 0.3 * rng.normal(size=g_obj.n_params)
        eps = rng.standard_normal((K, m, 2))
        expected, _ = affine_boundary_batch(reference, g_obj, phi, surfaces, eps)
        thetas, weights, solved, a, sigma = boundary_scratch(K, m, 2)
        boundary_points(phi, eps, c0, C, nonzero_coordinates(C), guide == "fullrank", thetas, weights, solved, a,
                        sigma)
        delta, _ = native.module.jumps(thetas, native.work(K * m), forces, forces_false, lanes, *native.data)
        g = np.zeros(g_obj.n_params)
        add_boundary_term(phi, solved, C, delta, weights, g, guide == "fullrank", sigma)
        assert np.allclose(g, expected, rtol=1e-10, atol=1e-12)
