"""Reverse-mode gradients (ppl.ad) against central finite differences.

Finite differences: central, step h_i = 1e-5 * max(1, |theta_i|); tolerance
rtol 1e-6 on each coordinate plus an absolute term covering the differences'
rounding error, 1e-13 * max(1, |lp|) / h (relative rounding of lp is ~1e-16
times the number of terms; 1e-13 leaves margin for long sums).
"""
import os

import numpy as np
import pytest

import ppl
from conftest import EXAMPLES


def finite_difference(f, theta, h_scale=1e-5):
    g = np.zeros_like(theta)
    for i in range(theta.size):
        h = h_scale * max(1.0, abs(theta[i]))
        e = np.zeros_like(theta)
        e[i] = h
        g[i] = (f(theta + e) - f(theta - e)) / (2 * h)
    return g


def assert_gradient_matches(bm, theta, jacobian=True, rtol=1e-6, force=None):
    lp, grad = bm.log_density_gradient(theta, jacobian=jacobian, force=force)
    np.testing.assert_allclose(lp, bm.log_density(theta, jacobian=jacobian, force=force), rtol=1e-12)
    fd = finite_difference(lambda t: bm.log_density(t, jacobian=jacobian, force=force), theta)
    h = 1e-5 * np.maximum(1.0, np.abs(theta))
    atol = 1e-13 * max(1.0, abs(lp)) / h
    np.testing.assert_allclose(grad, fd, rtol=rtol, atol=atol.max())


_CACHE = {}


def _bind(name):
    if name not in _CACHE:
        d = os.path.join(EXAMPLES, name)
        _CACHE[name] = ppl.compile_file(os.path.join(d, "model.ppl")).bind(os.path.join(d, "data.json"))
    return _CACHE[name]


EXAMPLE_NAMES = sorted(n for n in os.listdir(EXAMPLES) if os.path.isdir(os.path.join(EXAMPLES, n))
                       and n != "influenza_full")


@pytest.mark.parametrize("name", EXAMPLE_NAMES)
def test_example_gradients(name):
    bm = _bind(name)
    rng = np.random.default_rng(11)
    for _ in range(5):
        theta = rng.normal(scale=0.5, size=bm.param_unc_num())
        assert_gradient_matches(bm, theta)
    # batch evaluation agrees with single draws
    thetas = rng.normal(scale=0.5, size=(4, bm.param_unc_num()))
    lp, grad = bm.log_density_gradient(thetas)
    for i in range(4):
        lpi, gi = bm.log_density_gradient(thetas[i])
        np.testing.assert_allclose(lp[i], lpi, rtol=1e-12)
        np.testing.assert_allclose(grad[i], gi, rtol=1e-10, atol=1e-10)


def test_gradient_without_jacobian():
    bm = _bind("garch-garch11")
    theta = np.random.default_rng(2).normal(scale=0.5, size=bm.param_unc_num())
    assert_gradient_matches(bm, theta, jacobian=False)


# ------------------------------------------------------------ control flow
LOOPS = """
data { int N; vector[N] y; }
parameters { real<lower=-1, upper=1> phi; real mu; real<lower=0> sigma; }
model {
  real state = mu;
  vector[N] path;
  int k = 0;
  phi ~ uniform(-1, 1); mu ~ normal(0, 1); sigma ~ lognormal(0, 1);
  for (t in 1:N) {
    real prev = state;
    state = mu + phi * (prev - mu);
    path[t] = state;
    if (t % 3 == 0) continue;
    y[t] ~ normal(state, sigma);
  }
  while (k < 3) { k += 1; target += -0.5 * square(path[k] - mu); if (k == 2) break; }
  path[2:4] ~ normal(mu, 2);
  target += sum(path .* path) * 0.01;
}
"""


def test_loops_with_carried_state_break_continue_slices():
    bm = ppl.compile(LOOPS).bind({"N": 6, "y": [0.3, -0.2, 0.5, 1.0, 0.1, -0.4]})
    rng = np.random.default_rng(5)
    for _ in range(5):
        assert_gradient_matches(bm, rng.normal(size=3))


INDEPENDENT_LOOPS = """
data { int N; vector[N] y; }
parameters { real mu; real<lower=0> s; vector[2] b; }
model {
  vector[2] w = b * 0.5;
  real scale = s * 2;
  real r = mu;
  mu ~ normal(0, 1);
  s ~ lognormal(0, 1);
  b ~ normal(0, 1);
  for (n in 1:N) {                        // independent: reads w, scale; declares its own
    real m = mu + w[1] * y[n];
    vector[2] v;
    v[1] = m;
    v[2] = m * w[2];
    for (k in 1:2) target += -0.1 * square(v[k] - y[n]);
    if (y[n] > 0) { real t = m / scale; target += -square(t); } else target += log(scale);
  }
  for (n in 1:N) target += normal_lpdf(y[n] | mu, scale);   // independent
  for (n in 1:N) target += -0.5 * square(y[n] * mu - r);    // not: r is assigned after it
  r = 0.5 * r + w[2];
  for (n in 1:N) target += -square(y[n] - w[1]) / (1 + square(r));   // independent
  target += -square(r);
}
"""


def test_loops_whose_iterations_are_independent_reverse_inside_the_forward_sweep():
    """The model's top-level loops that assign only their own variables and read nothing
    assigned after them have their reverse run iteration by iteration in the forward sweep
    (no ReverseFor left for them); the others keep theirs.  Gradients against finite
    differences, on both backends."""
    from ppl.ad import gradient_program
    from ppl.ad import nodes as D
    m = ppl.compile(INDEPENDENT_LOOPS)
    gp = gradient_program(m.program)
    assert sum(isinstance(s, D.ReverseFor) for s in gp.reverse) == 1
    data = {"N": 5, "y": [0.3, -1.2, 2.0, 0.7, -0.1]}
    rng = np.random.default_rng(8)
    for backend in ("numpy", "numba"):
        bm = m.bind(data, backend=backend)
        assert bm.backend == backend
        for _ in range(4):
            assert_gradient_matches(bm, rng.normal(scale=0.7, size=bm.param_unc_num()))


GUARDED = """
parameters { real x; real y; }
model {
  x ~ normal(0, 2);
  y ~ normal(x, 1);
  if (x + 0.5 * y > 0.3) target += -square(y - 1) * 3 + x;
  else target += -fabs(y) - 2 * x;
}
"""


def test_gradient_is_that_of_the_branch_taken_on_each_side():
    """Next to the boundary x + y/2 = 0.3, on either side, the gradient equals the
    finite difference of the branch taken (the FD step stays within the region)."""
    bm = ppl.compile(GUARDED).bind({})
    for side in (+1, -1):
        y = 0.8
        x = 0.3 - 0.5 * y + side * 1e-3        # 1e-3 from the boundary, FD step 1e-5
        assert_gradient_matches(bm, np.array([x, y]))
        # the same point with the guard forced to the branch taken gives the same gradient
        lp, g = bm.log_density_gradient(np.array([x, y]))
        lpf, gf = bm.log_density_gradient(np.array([x, y]), force={0: side > 0})
        np.testing.assert_allclose(g, gf)
        # forcing the other branch: derivative of the other branch's density at the same point
        assert_gradient_matches(bm, np.array([x, y]), force={0: side < 0})


def test_changepoint_gradient():
    bm = _bind("coal2")
    theta = np.array([0.5, -0.3, 0.1])
    assert_gradient_matches(bm, theta)


# ------------------------------------------------------ random expressions
UNARY = {
    # name: how to bring an arbitrary real into the function's domain
    "exp": "({})", "log": "(square({}) + 0.5)", "log1p": "(square({}) + 0.1)", "expm1": "({})",
    "sqrt": "(square({}) + 0.3)", "square": "({})", "inv": "(square({}) + 0.7)",
    "inv_logit": "({})", "logit": "inv_logit({})", "log1m": "(-square({}) - 0.2)",
    "log_inv_logit": "({})", "log1m_exp": "(-square({}) - 0.3)", "lgamma": "(square({}) + 0.4)",
    "Phi": "({})", "inv_Phi": "inv_logit({})", "Phi_approx": "({})", "sin": "({})", "cos": "({})",
    "tanh": "({})", "fabs": "({} + 0.05)", "cbrt": "(square({}) + 0.2)", "atan": "({})",
    "erf": "({})", "log1m_inv_logit": "({})", "inv_sqrt": "(square({}) + 0.5)",
}
BINARY = {
    "pow": ("(square({}) + 0.5)", "({})"), "fmin": ("({})", "({} + 0.01)"), "fmax": ("({})", "({} - 0.01)"),
    "log_diff_exp": ("(square({}) + 1.0)", "(-square({}))"), "log_sum_exp": ("({})", "({})"),
    "hypot": ("({})", "({} + 0.1)"), "lbeta": ("(square({}) + 0.5)", "(square({}) + 0.5)"),
    "lmultiply": ("({})", "(square({}) + 0.5)"),
}
LEAVES = ["a", "b", "c", "v[1]", "v[2]", "v[3]", "0.7", "1.3", "n", "w[2]"]


def random_expression(rng, depth):
    if depth == 0 or rng.random() < 0.2:
        return LEAVES[rng.integers(len(LEAVES))]
    kind = rng.integers(6)
    if kind == 0:
        name = list(UNARY)[rng.integers(len(UNARY))]
        return f"{name}({UNARY[name].format(random_expression(rng, depth - 1))})"
    if kind == 1:
        name = list(BINARY)[rng.integers(len(BINARY))]
        da, db = BINARY[name]
        return f"{name}({da.format(random_expression(rng, depth - 1))}, {db.format(random_expression(rng, depth - 1))})"
    if kind == 2:
        op = ["+", "-", "*"][rng.integers(3)]
        return f"({random_expression(rng, depth - 1)} {op} {random_expression(rng, depth - 1)})"
    if kind == 3:
        return f"({random_expression(rng, depth - 1)} / (square({random_expression(rng, depth - 1)}) + 1))"
    if kind == 4:
        vec = ["v", "w", "v .* w", "exp(v) ./ (1 + square(w))", "cumulative_sum(v)", "softmax(v)",
               "rep_vector({}, 3)".format(random_expression(rng, depth - 1))][rng.integers(7)]
        red = ["sum({})", "mean({})", "log_sum_exp({})", "dot_product({}, v)", "dot_self({})",
               "max({})", "sd({})", "({})' * w", "log_mix(inv_logit(a), {}[1], {}[2])"][rng.integers(9)]
        return red.replace("{}", f"({vec})")
    dist = [
        "normal_lpdf({} | b, exp(c))", "student_t_lpdf({} | 3 + square(b), a, exp(c))",
        "cauchy_lpdf({} | a, 1.5)", "logistic_lpdf({} | b, exp(c))", "double_exponential_lpdf({} | 0.3, exp(a))",
        "lognormal_lpdf(exp({}) | a, exp(c))", "gamma_lpdf(exp({}) | exp(a), exp(b))",
        "weibull_lpdf(exp({}) | exp(a), exp(c))", "beta_lpdf(inv_logit({}) | exp(a), exp(b))",
        "inv_gamma_lpdf(exp({}) | exp(a), exp(b))", "exponential_lpdf(exp({}) | exp(c))",
        "poisson_log_lpmf(3 | {})", "poisson_lpmf(2 | exp({}))", "bernoulli_logit_lpmf(1 | {})",
        "binomial_logit_lpmf(2 | 5, {})", "binomial_lpmf(2 | 5, inv_logit({}))",
        "neg_binomial_2_lpmf(4 | exp({}), exp(a))", "bernoulli_lpmf(0 | inv_logit({}))",
        "normal_lpdf(y | {}, exp(c))", "uniform_lpdf(0.1 | -exp({}), exp(a))",
    ][rng.integers(20)]
    return dist.format(random_expression(rng, depth - 1))


EXPR_MODEL = """
data {{ real n; vector[3] y; }}
parameters {{ real a; real b; real<lower=0> c; vector[3] v; }}
transformed parameters {{ vector[3] w = v * a + y; }}
model {{ target += {}; }}
"""


@pytest.mark.parametrize("seed", range(220))
def test_random_expression_gradient(seed):
    rng = np.random.default_rng(1000 + seed)
    expr = random_expression(rng, 3)
    bm = ppl.compile(EXPR_MODEL.format(expr)).bind({"n": 0.4, "y": [0.2, -0.5, 1.1]})
    theta = rng.normal(scale=0.7, size=bm.param_unc_num())
    lp = bm.log_density(theta)
    if not np.isfinite(lp) or abs(lp) > 1e8:
        pytest.skip(f"expression not finite at the drawn point: {expr}")
    # away from kinks: fmin/fmax/fabs/max arguments are continuous draws, ties have probability 0
    assert_gradient_matches(bm, theta, rtol=2e-6)
