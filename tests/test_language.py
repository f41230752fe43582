"""The language of DESIGN.md section 3, construct by construct.

Every test compiles a small inline model (parse + check + lower + analyses),
binds data and evaluates it, and compares the result with an independent
numpy/scipy computation written here:

* ``bm.log_density(theta)`` for what happens in the model block, and
* ``bm.param_constrain(theta, include_tp=True, include_gq=True)`` (through
  :func:`values`) for transformed parameters and generated quantities.

The unconstrained vector follows Stan: parameters in declaration order,
arrays row-major, matrices column-major.  ``~`` keeps every normalising
constant, so it equals ``target += foo_lpdf(...)`` exactly.
"""
from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from scipy import special, stats
from scipy.special import expit, log_expit, logsumexp

import ppl

RTOL = 1e-12


# ====================================================================== helpers
def bind(src: str, data: dict | None = None, **kw):
    return ppl.compile(src).bind({} if data is None else data, **kw)


def values(bm, theta, seed: int = 0) -> dict:
    """``param_constrain(theta, include_tp=True, include_gq=True)`` split by
    variable: ``{name: array}`` shaped as declared (plus a leading batch axis
    when ``theta`` is a batch).  Shapes are rebuilt from Stan's element names
    ``x.i.j``, so matrices come out right whatever the flattening order."""
    theta = np.asarray(theta, dtype=float)
    flat = np.atleast_2d(bm.param_constrain(theta, include_tp=True, include_gq=True, seed=seed))
    names = bm.param_names(include_tp=True, include_gq=True)
    assert flat.shape[1] == len(names)
    groups: dict = {}
    for col, name in enumerate(names):
        base, *idx = name.split(".")
        groups.setdefault(base, []).append((tuple(int(i) - 1 for i in idx), col))
    out = {}
    for base, items in groups.items():
        if items[0][0] == ():
            arr = flat[:, items[0][1]]
        else:
            rank = len(items[0][0])
            shape = tuple(max(ix[k] for ix, _ in items) + 1 for k in range(rank))
            arr = np.full((flat.shape[0],) + shape, np.nan)
            for ix, col in items:
                arr[(slice(None),) + ix] = flat[:, col]
        out[base] = arr if theta.ndim == 2 else arr[0]
    return out


def close(got, want, rtol=RTOL, atol=1e-12):
    np.testing.assert_allclose(np.asarray(got, dtype=float), np.asarray(want, dtype=float),
                               rtol=rtol, atol=atol)


def lub(u, lb, ub):
    """Stan's lower-upper transform and its log-Jacobian."""
    return lb + (ub - lb) * expit(u), math.log(ub - lb) + log_expit(u) + log_expit(-u)


def stick_breaking(y):
    """Stan's (2.2x-2.35) stick-breaking simplex transform, written as loops."""
    K = len(y) + 1
    x = np.zeros(K)
    stick, logj = 1.0, 0.0
    for k in range(K - 1):
        z = expit(y[k] - math.log(K - k - 1))
        x[k] = stick * z
        logj += math.log(stick) + math.log(z) + math.log1p(-z)
        stick -= x[k]
    x[K - 1] = stick
    return x, logj


# ======================================================================= blocks
class TestBlocks:
    SRC = """
    data { int N; vector[N] y; real s; }
    transformed data {
      real ybar = mean(y);
      vector[N] yc = y - ybar;
    }
    parameters { real mu; real<lower=0> sigma; }
    transformed parameters { real prec = 1 / square(sigma); }
    model {
      mu ~ normal(ybar, 10);
      sigma ~ exponential(1);
      yc ~ normal(mu, sigma);
    }
    generated quantities { real mu2 = mu + ybar; real t = prec * s; }
    """
    DATA = {"N": 4, "y": [1.0, 2.5, -0.5, 3.0], "s": 2.0}

    def test_all_blocks(self):
        bm = bind(self.SRC, self.DATA)
        y = np.array(self.DATA["y"])
        ybar = y.mean()
        assert bm.param_unc_num() == 2
        assert bm.param_names() == ["mu", "sigma"]
        assert bm.param_names(True, True) == ["mu", "sigma", "prec", "mu2", "t"]
        theta = np.array([[0.3, -0.4], [-1.0, 0.7]])
        lp = bm.log_density(theta)
        for th, got in zip(theta, lp):
            mu, sigma = th[0], math.exp(th[1])
            want = (stats.norm.logpdf(mu, ybar, 10) + stats.expon.logpdf(sigma)
                    + stats.norm.logpdf(y - ybar, mu, sigma).sum() + th[1])
            close(got, want)
            close(bm.log_density(th), want)
        v = values(bm, theta)
        close(v["prec"], np.exp(-2 * theta[:, 1]))
        close(v["mu2"], theta[:, 0] + ybar)
        close(v["t"], 2.0 * np.exp(-2 * theta[:, 1]))

    def test_blocks_are_optional(self):
        bm = bind("parameters { real x; } model { x ~ normal(0, 1); }")
        close(bm.log_density(np.array([0.7])), stats.norm.logpdf(0.7))
        bm = bind("data { int N; } generated quantities { int M = 2 * N; }", {"N": 3})
        assert bm.param_unc_num() == 0
        close(bm.param_constrain(np.zeros(0), include_gq=True), [6])
        # no model block: the density is flat (only the Jacobian)
        bm = bind("parameters { real<lower=0> x; }")
        close(bm.log_density(np.array([0.3])), 0.3)


# ======================================================================== types
class TestTypes:
    LAYOUT = """
    data {
      real wa; vector[2] wv; row_vector[2] wr; matrix[2, 3] wm;
      array[2, 2] real wa2; array[2] vector[3] wav;
    }
    parameters {
      real a;
      vector[2] v;
      row_vector[2] r;
      matrix[2, 3] m;
      array[2, 2] real a2;
      array[2] vector[3] av;
    }
    model {
      target += wa * a + dot_product(wv, v) + wr * r';
      target += sum(wm .* m);
      for (i in 1:2) for (j in 1:2) target += wa2[i, j] * a2[i, j];
      for (i in 1:2) target += dot_product(wav[i], av[i]);
    }
    """

    @staticmethod
    def unpack(th):
        """Stan's layout: declaration order, arrays row-major, matrices column-major."""
        return dict(a=th[0], v=th[1:3], r=th[3:5], m=th[5:11].reshape(3, 2).T,
                    a2=th[11:15].reshape(2, 2), av=th[15:21].reshape(2, 3))

    def test_parameter_layout_follows_stan(self):
        rng = np.random.default_rng(3)
        data = {"wa": 1.5, "wv": rng.normal(size=2).tolist(), "wr": rng.normal(size=2).tolist(),
                "wm": rng.normal(size=(2, 3)).tolist(), "wa2": rng.normal(size=(2, 2)).tolist(),
                "wav": rng.normal(size=(2, 3)).tolist()}
        bm = bind(self.LAYOUT, data)
        assert bm.param_unc_num() == 21
        assert bm.param_unc_names() == (
            ["a", "v.1", "v.2", "r.1", "r.2", "m.1.1", "m.2.1", "m.1.2", "m.2.2", "m.1.3", "m.2.3",
             "a2.1.1", "a2.1.2", "a2.2.1", "a2.2.2"]
            + [f"av.{i}.{j}" for i in (1, 2) for j in (1, 2, 3)])
        theta = rng.normal(size=(3, 21))
        lp = bm.log_density(theta)
        for th, got in zip(theta, lp):
            p = self.unpack(th)
            want = (data["wa"] * p["a"] + np.dot(data["wv"], p["v"]) + np.dot(data["wr"], p["r"])
                    + np.sum(np.array(data["wm"]) * p["m"]) + np.sum(np.array(data["wa2"]) * p["a2"])
                    + np.sum(np.array(data["wav"]) * p["av"]))
            close(got, want)
        # unconstrained parameters: param_constrain is the identity in the same order
        close(bm.param_constrain(theta), theta)
        v = values(bm, theta[0])
        for k, want in self.unpack(theta[0]).items():
            close(v[k], want)
        # and param_unconstrain inverts it from named values
        close(bm.param_unconstrain(self.unpack(theta[1])), theta[1])

    def test_data_of_every_type(self):
        src = """
        data {
          int n; real x; real xi; vector[3] v; row_vector[2] r; matrix[2, 3] M;
          array[3] int k; array[2, 3] real A; array[2] vector[2] AV;
          array[2] matrix[2, 2] AM; array[2, 2] int K2;
        }
        generated quantities {
          int n2 = n * 2;
          real x2 = x + xi;
          real v3 = v[3];
          real r2 = r[2];
          matrix[2, 3] Mc = M;
          real m12 = M[1, 2];
          int k3 = k[3];
          real a21 = A[2, 1];
          real av22 = AV[2, 2];
          real am = AM[2, 1, 2];
          int k21 = K2[2, 1];
        }
        """
        data = {"n": 4, "x": 1.25, "xi": 3, "v": [1, 2, 3.5], "r": [4, 5], "M": [[1, 2, 3], [4, 5, 6]],
                "k": [7, 8, 9], "A": [[1, 2, 3], [4, 5, 6]], "AV": [[1, 2], [3, 4]],
                "AM": [[[1, 2], [3, 4]], [[5, 6], [7, 8]]], "K2": [[1, 2], [3, 4]]}
        v = values(bind(src, data), np.zeros(0))
        assert v["n2"] == 8 and v["k3"] == 9 and v["k21"] == 3
        close(v["x2"], 4.25)
        close(v["v3"], 3.5)
        close(v["r2"], 5)
        close(v["Mc"], [[1, 2, 3], [4, 5, 6]])     # JSON matrices are arrays of rows
        close(v["m12"], 2)
        close(v["a21"], 4)
        close(v["av22"], 4)
        close(v["am"], 6)

    def test_int_and_real_variables(self):
        src = """
        generated quantities {
          int i = 3;
          real r = 3;           // int promoted to real
          real q = i / 2;       // int division before promotion
          real s = r / 2;
        }
        """
        v = values(bind(src), np.zeros(0))
        close([v["i"], v["r"], v["q"], v["s"]], [3, 3, 1, 1.5])


# ================================================================== constraints
def _check_jacobian(bm, theta, logj, lp_nojac):
    close(bm.log_density(theta, jacobian=False), lp_nojac)
    close(bm.log_density(theta, jacobian=True), lp_nojac + logj)


class TestConstraints:
    def test_lower_upper_bounds_from_data_expressions(self):
        src = """
        data { real a; real b; }
        parameters {
          real<lower=a> x1;
          real<upper=b> x2;
          real<lower=a - 1, upper=2 * b + a> x3;
          array[2] real<lower=0> x4;
        }
        model { x1 ~ normal(0, 5); x2 ~ normal(0, 5); x3 ~ normal(0, 5); x4 ~ normal(1, 2); }
        """
        a, b = 0.5, 1.5
        bm = bind(src, {"a": a, "b": b})
        u = np.array([0.3, -0.8, 1.1, -0.2, 0.4])
        x1 = a + math.exp(u[0])
        x2 = b - math.exp(u[1])
        x3, j3 = lub(u[2], a - 1, 2 * b + a)
        x4 = np.exp(u[3:5])
        v = values(bm, u)
        close([v["x1"], v["x2"], v["x3"]], [x1, x2, x3])
        close(v["x4"], x4)
        lp = (stats.norm.logpdf([x1, x2, x3], 0, 5).sum() + stats.norm.logpdf(x4, 1, 2).sum())
        _check_jacobian(bm, u, u[0] + u[1] + j3 + u[3] + u[4], lp)
        close(bm.param_unconstrain(v), u)

    def test_bounds_that_are_other_parameters(self):
        src = """
        parameters {
          real mu;
          real<lower=mu> y;
          real<lower=mu, upper=y> z;
          real<upper=mu * 2> w;
          vector<lower=-mu>[2] vv;
        }
        model { mu ~ normal(0, 1); y ~ normal(0, 2); z ~ normal(0, 3); w ~ normal(0, 3); vv ~ normal(0, 1); }
        """
        bm = bind(src)
        theta = np.array([[0.4, -0.3, 0.9, 0.2, -1.0, 0.5], [-1.2, 0.8, -0.4, -0.6, 0.3, 1.1]])
        lps = bm.log_density(theta)
        lps_nj = bm.log_density(theta, jacobian=False)
        for th, lp, lp_nj in zip(theta, lps, lps_nj):
            mu = th[0]
            y = mu + math.exp(th[1])
            z, jz = lub(th[2], mu, y)
            w = 2 * mu - math.exp(th[3])
            vv = -mu + np.exp(th[4:6])
            want = (stats.norm.logpdf(mu) + stats.norm.logpdf(y, 0, 2) + stats.norm.logpdf(z, 0, 3)
                    + stats.norm.logpdf(w, 0, 3) + stats.norm.logpdf(vv).sum())
            close(lp_nj, want)
            close(lp, want + th[1] + jz + th[3] + th[4] + th[5])
            v = values(bm, th)
            close([v["y"], v["z"], v["w"]], [y, z, w])
            close(v["vv"], vv)

    def test_vector_valued_bounds(self):
        src = """
        data { vector[3] L; }
        parameters { vector<lower=L>[3] x; }
        model { x ~ normal(0, 1); }
        """
        L = np.array([-1.0, 0.0, 2.0])
        bm = bind(src, {"L": L.tolist()})
        u = np.array([0.1, -0.5, 0.7])
        x = L + np.exp(u)
        close(values(bm, u)["x"], x)
        _check_jacobian(bm, u, u.sum(), stats.norm.logpdf(x).sum())

    def test_offset_multiplier(self):
        src = """
        data { real o; real s; }
        parameters {
          real<offset=o, multiplier=s> a;
          real<offset=o> b;
          real<multiplier=s> c;
          real mu;
          real<lower=0> tau;
          vector<offset=mu, multiplier=tau>[3] th;
        }
        model {
          a ~ normal(o, s); b ~ normal(o, 1); c ~ normal(0, s);
          mu ~ normal(0, 1); tau ~ lognormal(0, 1); th ~ normal(mu, tau);
        }
        """
        o, s = 1.5, 2.5
        bm = bind(src, {"o": o, "s": s})
        u = np.array([0.3, -0.2, 0.8, 0.4, -0.5, 1.0, -1.5, 0.25])
        a, b, c = o + s * u[0], o + u[1], s * u[2]
        mu, tau = u[3], math.exp(u[4])
        th = mu + tau * u[5:8]
        v = values(bm, u)
        close([v["a"], v["b"], v["c"], v["tau"]], [a, b, c, tau])
        close(v["th"], th)
        lp = (stats.norm.logpdf(a, o, s) + stats.norm.logpdf(b, o, 1) + stats.norm.logpdf(c, 0, s)
              + stats.norm.logpdf(mu) + stats.lognorm.logpdf(tau, 1.0) + stats.norm.logpdf(th, mu, tau).sum())
        _check_jacobian(bm, u, 2 * math.log(s) + u[4] + 3 * math.log(tau), lp)
        close(bm.param_unconstrain(v), u)

    def test_ordered_positive_ordered_simplex(self):
        src = """
        parameters { ordered[3] o; positive_ordered[3] p; simplex[4] s; }
        model {
          o ~ normal(0, 3);
          p ~ exponential(1);
          target += dot_product([1.5, 2, 0.5, 3]', log(s));
        }
        """
        bm = bind(src)
        assert bm.param_unc_num() == 9
        theta = np.array([[0.3, -0.5, 0.2, -1.0, 0.4, 0.1, 0.5, -0.3, 1.2],
                          [1.1, 0.7, -2.0, 0.3, -0.2, -1.5, -1.0, 0.8, 0.0]])
        lps, lps_nj = bm.log_density(theta), bm.log_density(theta, jacobian=False)
        for th, lp, lp_nj in zip(theta, lps, lps_nj):
            o = np.cumsum(np.r_[th[0], np.exp(th[1:3])])
            p = np.cumsum(np.exp(th[3:6]))
            s, js = stick_breaking(th[6:9])
            assert np.all(np.diff(o) > 0) and np.all(np.diff(p) > 0) and p[0] > 0
            close(s.sum(), 1.0)
            want = (stats.norm.logpdf(o, 0, 3).sum() + stats.expon.logpdf(p).sum()
                    + np.dot([1.5, 2, 0.5, 3], np.log(s)))
            close(lp_nj, want)
            close(lp, want + th[1] + th[2] + th[3:6].sum() + js)
            v = values(bm, th)
            close(v["o"], o)
            close(v["p"], p)
            close(v["s"], s)
            close(bm.param_unconstrain(v), th, rtol=1e-9, atol=1e-9)

    def test_constrained_matrices_and_arrays_of_constrained_vectors(self):
        src = """
        data { int N; vector[N] y; }
        parameters {
          real mu;
          matrix<lower=0>[2, 2] m;
          array[2] simplex[3] s;
          array[2] vector<lower=-1, upper=1>[2] av;
        }
        model {
          y ~ normal(mu, 1);          // an empty vector variate adds nothing
          target += sum(m .* [[1, 2], [3, 4]]) + 10 * s[2, 3] + 100 * av[2, 1];
        }
        """
        bm = bind(src, {"N": 0, "y": []})
        assert bm.param_unc_names() == (["mu", "m.1.1", "m.2.1", "m.1.2", "m.2.2", "s.1.1", "s.1.2",
                                         "s.2.1", "s.2.2", "av.1.1", "av.1.2", "av.2.1", "av.2.2"])
        th = np.linspace(-1.2, 1.3, 13)
        m = np.exp(th[1:5]).reshape(2, 2).T                        # column-major
        s1, j1 = stick_breaking(th[5:7])
        s2, j2 = stick_breaking(th[7:9])
        av, jav = lub(th[9:13].reshape(2, 2), -1.0, 1.0)
        want = np.sum(m * [[1, 2], [3, 4]]) + 10 * s2[2] + 100 * av[1, 0]
        _check_jacobian(bm, th, th[1:5].sum() + j1 + j2 + jav.sum(), want)
        out = values(bm, th)
        close(out["m"], m)
        close(out["s"], [s1, s2])
        close(out["av"], av)

    def test_transformed_parameter_constraint_rejects_the_draw(self):
        src = """
        parameters { real x; }
        transformed parameters { real<lower=0> y = x; }
        model { x ~ normal(0, 1); }
        """
        bm = bind(src)
        lp = bm.log_density(np.array([[0.5], [-0.5], [1.0]]))
        close(lp[[0, 2]], stats.norm.logpdf([0.5, 1.0]))
        assert lp[1] == -np.inf


# ================================================================= declarations
class TestDeclarations:
    def test_declarations_with_initialisation_in_every_block(self):
        src = """
        data { int N; }
        transformed data {
          int M = N + 1;
          real h = 0.5 * M;
          vector[N] ones = rep_vector(1, N);
          array[2] int ks = {N, M};
          matrix[2, 2] I2 = [[1, 0], [0, 1]];
        }
        parameters { real x; }
        transformed parameters { real y = 2 * x + h; }
        model {
          real z = y - h;
          vector[N] zs = z * ones;
          zs ~ normal(0, 1);
        }
        generated quantities {
          real g = y;
          int kk = ks[2];
          real i21 = I2[2, 1];
          vector[N] o2 = ones * x;
          real later;            // declared without a value, assigned afterwards
          later = kk * 2;
        }
        """
        bm = bind(src, {"N": 3})
        x = 0.35
        close(bm.log_density(np.array([x])), 3 * stats.norm.logpdf(2 * x))
        v = values(bm, np.array([x]))
        close([v["y"], v["g"], v["kk"], v["i21"], v["later"]], [2 * x + 2, 2 * x + 2, 4, 0, 8])
        close(v["o2"], [x] * 3)


# =================================================================== assignment
class TestAssignment:
    SRC = """
    parameters { real p; }
    model { p ~ normal(0, 1); }
    generated quantities {
      real a = 10;
      real b; real c; real d; real e;
      int k = 7;
      int k2 = -7;
      vector[3] v = [1, 2, 3]';
      row_vector[3] rv = [1, 2, 3];
      matrix[2, 2] M = [[1, 2], [3, 4]];
      matrix[2, 2] M2 = [[1, 2], [3, 4]];
      array[2, 3] real A = rep_array(0.0, 2, 3);
      vector[5] w = rep_vector(0, 5);
      array[4] int ia = {1, 2, 3, 4};
      a += p; b = a;
      a -= 2; c = a;
      a *= p; d = a;
      a /= 4; e = a;
      k /= 2; k *= 3; k += 1; k -= 2;
      k2 /= 2;
      v += p; v -= [1, 1, 1]'; v *= 2; v /= 4; v .*= [1, 2, 3]'; v ./= [2, 4, 8]';
      rv *= [[1, 0, 0], [0, 2, 0], [1, 0, 1]];
      M[1, 2] += p;
      M[2] = [5, 6];
      M[:, 1] = [7, 8]';
      M[2, 2] *= 3;
      M[1, 1] -= 1;
      M[2, 1] /= 2;
      M2 *= [[1, 0], [1, 1]];
      M2 .*= [[2, 2], [1, 1]];
      M2 ./= [[1, 2], [4, 8]];
      for (i in 1:2) for (j in 1:3) A[i, j] += 10 * i + j;
      A[1, 2:3] = {p, 2 * p};
      A[2][1] -= 100;
      w[2:3] = [p, p + 1]';
      w[4:] = [7, 8]';
      w[:1] = [9]';
      w[{5, 3}] = [0.5, 0.25]';
      ia[2:3] = {20, 30};
      ia[4] += ia[1];
    }
    """

    def test_assignment_operators(self):
        bm = bind(self.SRC)
        ps = np.array([0.7, -1.3, 2.0])
        v = values(bm, ps[:, None])
        for s, p in enumerate(ps):
            a = 10 + p
            close(v["b"][s], a)
            a -= 2
            close(v["c"][s], a)
            a *= p
            close(v["d"][s], a)
            close(v["e"][s], a / 4)
            assert v["k"][s] == 8           # 7/2 = 3; *3 = 9; +1 = 10; -2 = 8
            assert v["k2"][s] == -3         # truncation toward zero
            vec = (np.array([1, 2, 3]) + p - 1) * 2 / 4 * np.array([1, 2, 3]) / np.array([2, 4, 8])
            close(v["v"][s], vec)
            close(v["rv"][s], np.array([1, 2, 3]) @ np.array([[1, 0, 0], [0, 2, 0], [1, 0, 1]]))
            M = np.array([[1, 2 + p], [3, 4]])
            M[1] = [5, 6]
            M[:, 0] = [7, 8]
            M[1, 1] *= 3
            M[0, 0] -= 1
            M[1, 0] /= 2
            close(v["M"][s], M)
            M2 = np.array([[1, 2], [3, 4]]) @ np.array([[1, 0], [1, 1]])
            M2 = M2 * np.array([[2, 2], [1, 1]]) / np.array([[1, 2], [4, 8]])
            close(v["M2"][s], M2)
            A = np.array([[11, 12, 13], [21, 22, 23]], dtype=float)
            A[0, 1:3] = [p, 2 * p]
            A[1, 0] -= 100
            close(v["A"][s], A)
            close(v["w"][s], [9, p, 0.25, 7, 0.5])
            close(v["ia"][s], [1, 20, 30, 5])

    def test_assignment_in_model_block_is_per_draw(self):
        src = """
        parameters { vector[3] x; }
        model {
          vector[3] y = x;
          y[2] += 1;
          y[1:2] = 2 * y[1:2];
          y .*= x;
          target += sum(y);
        }
        """
        bm = bind(src)
        theta = np.array([[0.1, 0.2, 0.3], [-1.0, 0.5, 2.0]])
        want = [((2 * x[0]) * x[0] + 2 * (x[1] + 1) * x[1] + x[2] * x[2]) for x in theta]
        close(bm.log_density(theta), want)


# ======================================================================== tilde
class TestTilde:
    SRC = """
    data { int N; vector[N] y; array[N] int k; array[N] real z; row_vector[N] r; }
    parameters { real mu; real<lower=0> s; vector[N] m; }
    model {
      mu ~ normal(0, 1);          // scalar variate, scalar parameters
      y ~ normal(mu, s);          // vector variate, scalar parameters
      y ~ normal(m, s);           // vector variate, vector parameter
      z ~ normal(m, 1);           // array variate
      k ~ poisson(exp(m));        // int array variate, vector parameter
      k ~ poisson(3.5);           // int array variate, scalar data parameter
      m ~ std_normal();
      r ~ cauchy(0, s);           // row vector variate
      2.5 ~ normal(mu, s);        // literal variate
      target += -s;
      target += {1.0, 2.0};       // a container: its sum is added
    }
    """

    def test_scalar_and_vectorised_tilde(self):
        data = {"N": 3, "y": [0.5, -1.0, 2.0], "k": [0, 3, 1], "z": [1.0, 0.0, -0.5], "r": [0.3, -2.0, 4.0]}
        bm = bind(self.SRC, data)
        rng = np.random.default_rng(5)
        theta = rng.normal(size=(4, 5))
        y, k, z, r = (np.array(data[n], dtype=float) for n in "ykzr")
        lp = bm.log_density(theta, jacobian=False)
        for th, got in zip(theta, lp):
            mu, s, m = th[0], math.exp(th[1]), th[2:5]
            want = (stats.norm.logpdf(mu) + stats.norm.logpdf(y, mu, s).sum()
                    + stats.norm.logpdf(y, m, s).sum() + stats.norm.logpdf(z, m, 1).sum()
                    + stats.poisson.logpmf(k, np.exp(m)).sum() + stats.poisson.logpmf(k, 3.5).sum()
                    + stats.norm.logpdf(m).sum() + stats.cauchy.logpdf(r, 0, s).sum()
                    + stats.norm.logpdf(2.5, mu, s) - s + 3.0)
            close(got, want)

    def test_tilde_equals_target_lpdf(self):
        a = bind("parameters { vector[2] x; } model { x ~ normal([1, 2]', 3); }")
        b = bind("parameters { vector[2] x; } model { target += normal_lpdf(x | [1, 2]', 3); }")
        theta = np.array([[0.1, 0.2], [1.0, -4.0]])
        close(a.log_density(theta), b.log_density(theta))
        close(a.log_density(theta), stats.norm.logpdf(theta, [1, 2], 3).sum(axis=1))


# ================================================================= control flow
class TestControlFlow:
    def test_for_loops(self):
        src = """
        data { int N; vector[N] y; }
        parameters { real mu; }
        model {
          for (n in 1:N) y[n] ~ normal(mu, 1);
          for (i in 1:0) target += 1000;                       // empty range
          for (i in 2:3) for (j in i:3) target += i * j * mu;  // 4 + 6 + 9
          for (i in N - 1:N) target += i;                      // bounds are expressions
        }
        """
        bm = bind(src, {"N": 3, "y": [0.5, 1.5, -0.2]})
        for mu in (0.3, -1.1):
            want = stats.norm.logpdf([0.5, 1.5, -0.2], mu, 1).sum() + 19 * mu + 2 + 3
            close(bm.log_density(np.array([mu])), want)

    def test_while_loops(self):
        src = """
        parameters { real x; }
        model {
          int k = 0;
          real acc = 0;
          while (k < 4) { k += 1; acc += k; }   // data-only loop: acc = 10
          target += acc * x;
          real s = 0;
          int n = 0;
          while (s < 3 * fabs(x)) { s += 1; n += 1; }   // parametric: n = ceil(3|x|)
          target += n;
        }
        """
        bm = bind(src)
        xs = np.array([0.1, -0.9, 1.7, 0.0, -2.2])
        want = 10 * xs + np.ceil(3 * np.abs(xs))
        close(bm.log_density(xs[:, None]), want)
        for x, w in zip(xs, want):
            close(bm.log_density(np.array([x])), w)

    def test_if_else_if_else(self):
        src = """
        data { int c; }
        parameters { real x; }
        model {
          if (c == 1) target += 1;
          else if (c == 2) target += 2;
          else target += 3;
          if (x < -1) target += -10 * x;
          else if (x < 0) target += x ^ 2;
          else if (x < 1) target += 5;
          else { target += log(x) + 1; }
          if (x > 0) target += 0.5;       // no else
        }
        """
        xs = np.array([-2.0, -0.5, 0.5, 2.0])

        def f(x):
            v = -10 * x if x < -1 else x ** 2 if x < 0 else 5.0 if x < 1 else math.log(x) + 1
            return v + (0.5 if x > 0 else 0.0)

        for c in (1, 2, 3):
            bm = bind(src, {"c": c})
            close(bm.log_density(xs[:, None]), [c + f(x) for x in xs])

    def test_nested_blocks(self):
        src = """
        parameters { real x; }
        model {
          real a = 1;
          {
            real b = a + 1;
            {
              real c = b * 2;
              target += c * x;
            }
            a = b;
          }
          target += a;
        }
        generated quantities {
          real g = 0;
          { real t = x * 3; g = t + 1; }
        }
        """
        bm = bind(src)
        close(bm.log_density(np.array([0.5])), 4 * 0.5 + 2)
        close(values(bm, np.array([0.5]))["g"], 2.5)

    def test_break_and_continue(self):
        src = """
        parameters { real x; }
        model {
          real s = 0;
          for (i in 1:10) {
            if (i % 2 == 0) continue;
            if (i > 7) break;
            s += i;                       // 1 + 3 + 5 + 7
          }
          target += s * x;
          int k = 0;
          while (1) { k += 1; if (k >= 5) break; }
          target += 100 * k;
          real t = 0;
          for (i in 1:10) { if (t > x) break; t += 1; }      // parametric break
          target += 1000 * t;
          real u = 0;
          for (i in 1:5) { if (i > x) continue; u += i; }    // parametric continue
          target += 10000 * u;
        }
        """
        bm = bind(src)
        xs = np.array([-0.5, 0.5, 2.5, 4.2, 20.0])

        def f(x):
            t = 0
            for _ in range(10):
                if t > x:
                    break
                t += 1
            u = sum(i for i in range(1, 6) if not i > x)
            return 16 * x + 500 + 1000 * t + 10000 * u

        want = [f(x) for x in xs]
        close(bm.log_density(xs[:, None]), want)
        for x, w in zip(xs, want):
            close(bm.log_density(np.array([x])), w)

    def test_parametric_branches_assign_per_draw(self):
        src = """
        parameters { real x; }
        transformed parameters {
          vector[3] v = [1, 2, 3]';
          real sgn;
          if (x > 0) { v[2] = x; sgn = 1; }
          else if (x > -1) { v[1:2] = [x, -x]'; sgn = 0; }
          else { v[3] *= x; sgn = -1; }
        }
        model {
          vector[2] w = x > 0.5 ? [x, 1]' : [1, x]';
          target += sum(v) + 10 * sgn + 100 * w[1] + 1000 * w[2];
        }
        """
        bm = bind(src)
        xs = np.array([1.5, 0.3, -0.5, -2.0])

        def tp(x):
            v = np.array([1.0, 2.0, 3.0])
            if x > 0:
                v[1], sgn = x, 1
            elif x > -1:
                v[0:2], sgn = [x, -x], 0
            else:
                v[2], sgn = 3 * x, -1
            return v, sgn

        want = []
        for x in xs:
            v, sgn = tp(x)
            w = [x, 1] if x > 0.5 else [1, x]
            want.append(v.sum() + 10 * sgn + 100 * w[0] + 1000 * w[1])
        close(bm.log_density(xs[:, None]), want)
        for x, w in zip(xs, want):
            close(bm.log_density(np.array([x])), w)
        out = values(bm, xs[:, None])
        for s, x in enumerate(xs):
            v, sgn = tp(x)
            close(out["v"][s], v)
            close(out["sgn"][s], sgn)

    def test_nested_loops_with_break_and_continue(self):
        src = """
        parameters { real x; }
        model {
          real s = 0;
          for (i in 1:3) {
            for (j in 1:5) {
              if (j > i) break;            // leaves the inner loop only
              if (j == 2) continue;
              s += 10 ^ (i - 1) * j;
            }
          }
          target += s;
          int k = 0;
          real t = 0;
          while (k < 10) {
            k += 1;
            if (k % 3 == 0) continue;      // continue in a while loop
            if (t > x) break;              // parametric break in a while loop
            t += k;
          }
          target += 1000 * t + 100000 * k;
        }
        """

        def f(x):
            s = 0
            for i in range(1, 4):
                for j in range(1, 6):
                    if j > i:
                        break
                    if j == 2:
                        continue
                    s += 10 ** (i - 1) * j
            k, t = 0, 0
            while k < 10:
                k += 1
                if k % 3 == 0:
                    continue
                if t > x:
                    break
                t += k
            return s + 1000 * t + 100000 * k

        bm = bind(src)
        xs = np.array([-1.0, 0.5, 3.5, 100.0])
        close(bm.log_density(xs[:, None]), [f(x) for x in xs])

    def test_print_goes_to_stdout_for_single_draws_only(self, capsys):
        src = """
        parameters { real x; }
        model { print("x = ", x, " twice: ", 2 * x); x ~ normal(0, 1); }
        """
        bm = bind(src)
        capsys.readouterr()
        close(bm.log_density(np.array([0.5])), stats.norm.logpdf(0.5))
        out = capsys.readouterr().out
        assert out == "x = 0.5 twice: 1\n"
        close(bm.log_density(np.array([[0.5], [0.25]])), stats.norm.logpdf([0.5, 0.25]))
        assert capsys.readouterr().out == ""

    def test_print_in_generated_quantities(self, capsys):
        bm = bind("parameters { real x; } generated quantities { print(\"gq \", x); real y = x; }")
        capsys.readouterr()
        bm.param_constrain(np.array([1.5]), include_gq=True)
        assert capsys.readouterr().out == "gq 1.5\n"
        bm.param_constrain(np.array([[1.5], [2.5]]), include_gq=True)
        assert capsys.readouterr().out == ""

    def test_print_to_a_custom_printer(self):
        lines = []
        bm = ppl.compile("parameters { real x; } model { print(\"hi \", x); }").bind({}, printer=lines.append)
        bm.log_density(np.array([1.5]))
        assert lines == ["hi 1.5"]

    def test_reject_makes_only_that_lane_minus_infinity(self):
        src = """
        parameters { real x; }
        model {
          if (x > 1) reject("x too large: ", x);
          x ~ normal(0, 1);
        }
        """
        bm = bind(src)
        xs = np.array([0.5, 1.5, -1.0, 3.0])
        lp = bm.log_density(xs[:, None])
        assert lp[1] == -np.inf and lp[3] == -np.inf
        close(lp[[0, 2]], stats.norm.logpdf([0.5, -1.0]))
        assert bm.log_density(np.array([1.5])) == -np.inf
        close(bm.log_density(np.array([0.5])), stats.norm.logpdf(0.5))

    def test_reject_in_transformed_parameters(self):
        src = """
        parameters { real x; }
        transformed parameters { real y = log(x + 1); if (x < -0.5) reject("x = ", x); }
        model { x ~ normal(0, 1); }
        """
        lp = bind(src).log_density(np.array([[0.2], [-0.7], [-0.4]]))
        assert lp[1] == -np.inf
        close(lp[[0, 2]], stats.norm.logpdf([0.2, -0.4]))

    def test_reject_in_transformed_data_is_an_error(self):
        src = "data { int N; } transformed data { if (N < 0) reject(\"N must be >= 0, got \", N); }"
        bind(src, {"N": 1})
        with pytest.raises(ppl.PPLError, match="N must be >= 0, got -1"):
            bind(src, {"N": -1})


# ================================================================== expressions
class TestArithmetic:
    # (Stan expression, type, expected): Stan's int/real semantics (C++ truncation).
    CASES = [
        ("7 / 2", "int", 3), ("-7 / 2", "int", -3), ("7 / -2", "int", -3), ("7.0 / 2", "real", 3.5),
        ("7 / 2.0", "real", 3.5), ("1 / 3 * 3.0", "real", 0.0), ("1.0 / 3 * 3", "real", 1.0),
        ("7 % 3", "int", 1), ("-7 % 3", "int", -1), ("7 % -3", "int", 1),
        ("7 %/% 2", "int", 3), ("-7 %/% 2", "int", -3), ("2 * 7 %/% 2", "int", 6),
        ("2 ^ 3", "real", 8.0), ("2 ^ 3 ^ 2", "real", 512.0), ("-2 ^ 2", "real", -4.0),
        ("(-2) ^ 2", "real", 4.0), ("2 ^ -1", "real", 0.5), ("2.5 * 2", "real", 5.0),
        ("3 - 5", "int", -2), ("1e3 + 1", "real", 1001.0), ("2.5e-1", "real", 0.25),
        (".5 + 1.", "real", 1.5), ("1_000 + 1", "int", 1001),
    ]

    def test_int_and_real_semantics(self):
        decls = "\n".join(f"  {t} e{i} = {e};" for i, (e, t, _) in enumerate(self.CASES))
        v = values(bind("generated quantities {\n" + decls + "\n}"), np.zeros(0))
        for i, (e, _, want) in enumerate(self.CASES):
            assert v[f"e{i}"] == want, e

    def test_integer_division_by_zero_is_an_error(self):
        with pytest.raises(ppl.PPLError, match="division by zero"):
            bind("data { int z; } transformed data { int q = 3 / z; }", {"z": 0})


class TestPrecedence:
    # (Stan expression, the same meaning written in Python)
    TABLE = [
        ("1 + 2 * 3", "1 + 2 * 3"),
        ("(1 + 2) * 3", "(1 + 2) * 3"),
        ("10 - 4 - 3", "(10 - 4) - 3"),
        ("100.0 / 10 / 5", "(100.0 / 10) / 5"),
        ("2 * 3 ^ 2", "2 * 3 ** 2"),
        ("-2 ^ 2", "-(2 ** 2)"),
        ("2 ^ 3 ^ 2", "2 ** (3 ** 2)"),
        ("-x ^ 2", "-(x ** 2)"),
        ("2 ^ -x", "2 ** (-x)"),
        ("1 - -1", "1 - (-1)"),
        ("3 - 2 * 2 ^ 2 / 4", "3 - (2 * 2 ** 2) / 4"),
        ("7 % 3 * 2", "(7 % 3) * 2"),
        ("2 * 7 % 3", "(2 * 7) % 3"),
        ("2 * 7 %/% 2", "2 * (7 // 2)"),
        ("1 + 2 < 4", "int((1 + 2) < 4)"),
        ("1 < 2 == 1", "int(int(1 < 2) == 1)"),
        ("3 > 2 > 1", "int(int(3 > 2) > 1)"),
        ("1 == 1 != 0", "int(int(1 == 1) != 0)"),
        ("0 || 1 && 0", "int(0 or (1 and 0))"),
        ("1 + 2 > 2 && 0 || 1", "int(((1 + 2 > 2) and 0) or 1)"),
        ("!0 + 1", "int(not 0) + 1"),
        ("!1 == 0", "int(int(not 1) == 0)"),
        ("!x < 1", "int(int(not x) < 1)"),
        ("-x * 3", "(-x) * 3"),
        ("1 ? 2 : 0 ? 3 : 4", "2 if 1 else (3 if 0 else 4)"),
        ("0 ? 2 : 0 ? 3 : 4", "2 if 0 else (3 if 0 else 4)"),
        ("0 ? 2 : 1 ? 3 : 4", "2 if 0 else (3 if 1 else 4)"),
        ("1 ? 0 ? 5 : 6 : 7", "(5 if 0 else 6) if 1 else 7"),
        ("1 + 1 ? 5 : 6", "5 if (1 + 1) else 6"),
        ("x > 0 ? x + 1 : x - 1", "x + 1 if x > 0 else x - 1"),
        ("x > 1 || x < -1 ? 1 : 2", "1 if (x > 1 or x < -1) else 2"),
    ]

    def test_precedence_and_associativity(self):
        decls = "\n".join(f"  real e{i} = {s};" for i, (s, _) in enumerate(self.TABLE))
        model = ppl.compile("data { real x; } generated quantities {\n" + decls + "\n}")
        for x in (1.5, -0.5, 0.0, -2.0):
            v = values(model.bind({"x": x}), np.zeros(0))
            for i, (s, py) in enumerate(self.TABLE):
                assert v[f"e{i}"] == pytest.approx(eval(py, {"x": x}), rel=1e-15), s

    def test_transpose_binds_tighter_than_everything(self):
        src = """
        data { vector[2] v; matrix[2, 2] M; }
        generated quantities {
          real a = v' * v;                // (v') * v
          row_vector[2] b = -v';          // -(v')
          matrix[2, 2] c = M' * M;
          row_vector[2] d = v' * M';
          real e = v'[2];                 // postfix ' then index
          matrix[2, 2] f = (M * M)';
        }
        """
        v, M = np.array([1.0, 2.0]), np.array([[1.0, 2.0], [3.0, 5.0]])
        out = values(bind(src, {"v": v.tolist(), "M": M.tolist()}), np.zeros(0))
        close(out["a"], v @ v)
        close(out["b"], -v)
        close(out["c"], M.T @ M)
        close(out["d"], v @ M.T)
        close(out["e"], 2.0)
        close(out["f"], (M @ M).T)


class TestLogicAndConditional:
    def test_comparisons_and_logic_on_parameters(self):
        src = """
        parameters { real x; real y; }
        model {
          target += 1 * (x < y) + 2 * (x <= y) + 4 * (x > y) + 8 * (x >= y)
                  + 16 * (x == y) + 32 * (x != y);
          target += 64 * (x > 0 && y > 0) + 128 * (x > 0 || y > 0) + 256 * !(x > 0);
        }
        """
        bm = bind(src)
        pts = np.array([[1.0, 2.0], [2.0, 1.0], [1.5, 1.5], [-1.0, 3.0], [-1.0, -3.0], [0.5, 0.7]])

        def f(x, y):
            return ((x < y) + 2 * (x <= y) + 4 * (x > y) + 8 * (x >= y) + 16 * (x == y) + 32 * (x != y)
                    + 64 * (x > 0 and y > 0) + 128 * (x > 0 or y > 0) + 256 * (not x > 0))

        close(bm.log_density(pts), [f(*p) for p in pts])
        for p in pts:
            close(bm.log_density(p), f(*p))

    def test_nested_conditional_per_draw(self):
        src = """
        parameters { real x; }
        model {
          target += x < -1 ? -1 : x < 1 ? x ^ 3 : 1 + log(x);
        }
        """
        bm = bind(src)
        xs = np.array([-3.0, -0.5, 0.25, 4.0])
        want = [-1 if x < -1 else x ** 3 if x < 1 else 1 + math.log(x) for x in xs]
        close(bm.log_density(xs[:, None]), want)

    def test_conditional_with_containers(self):
        src = """
        data { int c; }
        generated quantities {
          vector[2] v = c ? [1, 2]' : [3, 4]';
          real r = c ? 1 : 2.5;      // int and real branches: the result is real
        }
        """
        close(values(bind(src, {"c": 1}), np.zeros(0))["v"], [1, 2])
        out = values(bind(src, {"c": 0}), np.zeros(0))
        close(out["v"], [3, 4])
        close(out["r"], 2.5)


class TestLinearAlgebra:
    SRC = """
    data { matrix[2, 3] A; row_vector[3] r; matrix[3, 2] B; vector[3] b; }
    parameters { vector[3] x; }
    generated quantities {
      vector[2] Ax = A * x;
      real rx = r * x;
      matrix[3, 3] outer = x * r;
      matrix[2, 2] AB = A * B;
      row_vector[2] rB = r * B;
      row_vector[3] xt = x';
      matrix[3, 2] At = A';
      vector[3] ew = x .* b;
      vector[3] ed = x ./ b;
      matrix[2, 3] ewm = A .* A;
      matrix[2, 3] edm = A ./ (A + 1);
      vector[3] xs = x * 2;
      vector[3] sx = 2 * x;
      vector[3] xd = x / 2;
      vector[3] plus = x + b;
      vector[3] minus = b - x;
      vector[3] plus_s = x + 1;
      vector[3] s_minus = 1 - x;
      vector[3] neg = -x;
      real quad = x' * x;
      matrix[2, 3] As = A * 0.5;
      vector[3] ed_s = 1 ./ b;
      vector[3] pw = x .^ 2;
    }
    """

    def test_products_and_elementwise_operators(self):
        rng = np.random.default_rng(11)
        A, r, B, b = rng.normal(size=(2, 3)), rng.normal(size=3), rng.normal(size=(3, 2)), rng.normal(size=3) + 3
        bm = bind(self.SRC, {"A": A.tolist(), "r": r.tolist(), "B": B.tolist(), "b": b.tolist()})
        theta = rng.normal(size=(3, 3))
        v = values(bm, theta)
        for s, x in enumerate(theta):
            expect = {
                "Ax": A @ x, "rx": r @ x, "outer": np.outer(x, r), "AB": A @ B, "rB": r @ B, "xt": x,
                "At": A.T, "ew": x * b, "ed": x / b, "ewm": A * A, "edm": A / (A + 1), "xs": 2 * x,
                "sx": 2 * x, "xd": x / 2, "plus": x + b, "minus": b - x, "plus_s": x + 1,
                "s_minus": 1 - x, "neg": -x, "quad": x @ x, "As": A * 0.5, "ed_s": 1 / b, "pw": x ** 2,
            }
            for k, want in expect.items():
                close(v[k][s], want)


class TestIndexing:
    SRC = """
    data {
      vector[5] v; matrix[3, 4] M; array[2] int idx; array[2, 3] real a2;
      array[2] vector[3] av; row_vector[4] rv;
    }
    generated quantities {
      vector[2] vi = v[idx];
      vector[2] vmi = v[{5, 1}];
      vector[3] s1 = v[2:4];
      vector[2] s2 = v[4:];
      vector[2] s3 = v[:2];
      vector[5] s4 = v[:];
      vector[0] s5 = v[3:2];
      row_vector[2] rs = rv[2:3];
      row_vector[4] row2 = M[2];
      vector[3] col3 = M[:, 3];
      matrix[2, 2] sub = M[2:3, {1, 4}];
      real e = M[3, 4];
      real e2 = M[3][4];
      row_vector[2] mr = M[1, idx];
      vector[2] mc = M[idx, 2];
      matrix[2, 4] mrows = M[idx];
      matrix[3, 2] mcols = M[:, 3:];
      array[3] real a2r = a2[2];
      real a2e = a2[2, 3];
      array[2] real a2c = a2[:, 1];
      array[2, 2] real a2s = a2[:, 2:3];
      vector[3] av2 = av[2];
      real ave = av[2, 3];
      real ave2 = av[2][3];
      array[2] real avc = av[:, 1];
      vector[2] avs = av[1, 2:3];
      int n = idx[2];
      real nested = v[idx[1]];
    }
    """

    def test_indexing_and_slicing(self):
        rng = np.random.default_rng(2)
        v, M, a2, av, rv = (rng.normal(size=5), rng.normal(size=(3, 4)), rng.normal(size=(2, 3)),
                            rng.normal(size=(2, 3)), rng.normal(size=4))
        idx = [3, 1]
        data = {"v": v.tolist(), "M": M.tolist(), "idx": idx, "a2": a2.tolist(), "av": av.tolist(),
                "rv": rv.tolist()}
        out = values(bind(self.SRC, data), np.zeros(0))
        i0 = np.array(idx) - 1
        expect = {
            "vi": v[i0], "vmi": v[[4, 0]], "s1": v[1:4], "s2": v[3:], "s3": v[:2], "s4": v,
            "rs": rv[1:3], "row2": M[1], "col3": M[:, 2], "sub": M[1:3][:, [0, 3]], "e": M[2, 3],
            "e2": M[2, 3], "mr": M[0, i0], "mc": M[i0, 1], "mrows": M[i0], "mcols": M[:, 2:],
            "a2r": a2[1], "a2e": a2[1, 2], "a2c": a2[:, 0], "a2s": a2[:, 1:3], "av2": av[1],
            "ave": av[1, 2], "ave2": av[1, 2], "avc": av[:, 0], "avs": av[0, 1:3], "n": 1,
            "nested": v[2],
        }
        for k, want in expect.items():
            close(out[k], want)
        assert "s5" not in out      # an empty vector has no elements to report

    def test_index_out_of_range_rejects_draw_or_errors(self):
        with pytest.raises(ppl.PPLError, match="out of range"):
            bind("data { vector[3] v; } transformed data { real z = v[4]; }", {"v": [1, 2, 3]})

    def test_indexing_parameters_per_draw(self):
        src = """
        data { array[2] int idx; }
        parameters { matrix[2, 2] m; vector[3] x; }
        model { target += sum(m[:, 2]) * 10 + sum(x[idx]) + x[2:3]' * m[1]'; }
        """
        bm = bind(src, {"idx": [3, 3]})
        theta = np.random.default_rng(4).normal(size=(3, 7))
        want = []
        for th in theta:
            m = th[:4].reshape(2, 2).T
            x = th[4:]
            want.append(m[:, 1].sum() * 10 + 2 * x[2] + x[1:3] @ m[0])
        close(bm.log_density(theta), want)


class TestLiterals:
    def test_vector_matrix_and_array_literals(self):
        src = """
        parameters { real x; }
        generated quantities {
          row_vector[3] r = [1, 2, 3];
          vector[3] c = [1, 2.5, x]';
          matrix[2, 3] m = [[1, 2, 3], [4, 5, x]];
          array[3] int ia = {1, 2, 3};
          array[2] real ra = {1.5, 2};
          array[2, 2] int i2 = {{1, 2}, {3, 4}};
          array[2] vector[2] av = {[1, 2]', [3, x]'};
          array[2] row_vector[2] ar = {[1, 2], [x, 4]};
          real s = sum({x, 2 * x, 3});
        }
        """
        x = 0.75
        out = values(bind(src), np.array([x]))
        close(out["r"], [1, 2, 3])
        close(out["c"], [1, 2.5, x])
        close(out["m"], [[1, 2, 3], [4, 5, x]])
        close(out["ia"], [1, 2, 3])
        close(out["ra"], [1.5, 2])
        close(out["i2"], [[1, 2], [3, 4]])
        close(out["av"], [[1, 2], [3, x]])
        close(out["ar"], [[1, 2], [x, 4]])
        close(out["s"], 3 * x + 3)


class TestComments:
    def test_line_and_block_comments(self):
        src = """
        // a line comment before the first block
        data { int N; /* an inline block comment */ vector[N] y; }
        /* a block comment
           over several lines, with code-like text: model { target += 1000; } */
        parameters {
          real mu; // trailing comment
        }
        model {
          y ~ normal(mu, /* in the middle of a call */ 1);
          // target += 1000;
          /* target += 1000; */
        }
        """
        bm = bind(src, {"N": 2, "y": [0.5, 1.0]})
        close(bm.log_density(np.array([0.2])), stats.norm.logpdf([0.5, 1.0], 0.2).sum())


# ==================================================================== functions
# (declared type, Stan expression in p (real) and u (in (0, 1)), numpy/scipy value)
FUNCTION_TABLE = [
    ("real", "exp(p)", lambda p, u: math.exp(p)),
    ("real", "log(u)", lambda p, u: math.log(u)),
    ("real", "log1p(u)", lambda p, u: math.log1p(u)),
    ("real", "expm1(p)", lambda p, u: math.expm1(p)),
    ("real", "sqrt(u)", lambda p, u: math.sqrt(u)),
    ("real", "square(p)", lambda p, u: p * p),
    ("real", "pow(u, p)", lambda p, u: u ** p),
    ("real", "pow(2, 3)", lambda p, u: 8.0),
    ("real", "inv(p)", lambda p, u: 1 / p),
    ("real", "inv_logit(p)", lambda p, u: expit(p)),
    ("real", "logit(u)", lambda p, u: special.logit(u)),
    ("real", "log_sum_exp(p, u)", lambda p, u: np.logaddexp(p, u)),
    ("real", "log_sum_exp([p, u, 1]')", lambda p, u: logsumexp([p, u, 1])),
    ("real", "log_sum_exp({p, u})", lambda p, u: logsumexp([p, u])),
    ("real", "log1m(u)", lambda p, u: math.log(1 - u)),
    ("real", "log_inv_logit(p)", lambda p, u: math.log(expit(p))),
    ("real", "log1m_exp(-u)", lambda p, u: math.log(1 - math.exp(-u))),
    ("real", "log_diff_exp(p, p - u)", lambda p, u: math.log(math.exp(p) - math.exp(p - u))),
    ("real", "log_mix(u, p, 2.0)", lambda p, u: math.log(u * math.exp(p) + (1 - u) * math.exp(2.0))),
    ("real", "log_mix([u, 1 - u]', [p, 2]')", lambda p, u: math.log(u * math.exp(p) + (1 - u) * math.exp(2.0))),
    ("real", "fabs(p)", lambda p, u: abs(p)),
    ("real", "abs(p)", lambda p, u: abs(p)),
    ("int", "abs(-3)", lambda p, u: 3),
    ("real", "fmin(p, u)", lambda p, u: min(p, u)),
    ("real", "fmax(p, u)", lambda p, u: max(p, u)),
    ("real", "step(p)", lambda p, u: 0.0 if p < 0 else 1.0),
    ("real", "step(0)", lambda p, u: 1.0),
    ("int", "int_step(p)", lambda p, u: int(p > 0)),
    ("int", "int_step(0)", lambda p, u: 0),
    ("real", "floor(p)", lambda p, u: math.floor(p)),
    ("real", "ceil(p)", lambda p, u: math.ceil(p)),
    ("real", "lgamma(u + 1)", lambda p, u: math.lgamma(u + 1)),
    ("real", "Phi(p)", lambda p, u: stats.norm.cdf(p)),
    ("real", "inv_Phi(u)", lambda p, u: stats.norm.ppf(u)),
    ("real", "Phi_approx(p)", lambda p, u: expit(0.07056 * p ** 3 + 1.5976 * p)),
    ("real", "sin(p)", lambda p, u: math.sin(p)),
    ("real", "cos(p)", lambda p, u: math.cos(p)),
    ("real", "tanh(p)", lambda p, u: math.tanh(p)),
    ("real", "sum([p, u, 2]')", lambda p, u: p + u + 2),
    ("int", "sum({1, 2, 3})", lambda p, u: 6),
    ("real", "sum({p, u})", lambda p, u: p + u),
    ("real", "mean([p, u, 2])", lambda p, u: (p + u + 2) / 3),
    ("real", "mean({p, u})", lambda p, u: (p + u) / 2),
    ("vector[3]", "cumulative_sum([p, u, 2]')", lambda p, u: np.cumsum([p, u, 2])),
    ("array[3] int", "cumulative_sum({1, 2, 3})", lambda p, u: [1, 3, 6]),
    ("real", "dot_product([p, u]', [2, 3]')", lambda p, u: 2 * p + 3 * u),
    ("vector[3]", "rep_vector(p, 3)", lambda p, u: [p] * 3),
    ("array[2, 3] real", "rep_array(u, 2, 3)", lambda p, u: [[u] * 3] * 2),
    ("array[2] int", "rep_array(4, 2)", lambda p, u: [4, 4]),
    ("int", "size({1, 2, 3})", lambda p, u: 3),
    ("int", "size([p, u]')", lambda p, u: 2),
    ("int", "rows(Md)", lambda p, u: 2),
    ("int", "cols(Md)", lambda p, u: 3),
    ("int", "rows([p, u]')", lambda p, u: 2),
    ("int", "cols([p, u]')", lambda p, u: 1),
    # vectorised unary functions
    ("vector[2]", "exp([p, u]')", lambda p, u: np.exp([p, u])),
    ("vector[2]", "log([u, 2]')", lambda p, u: np.log([u, 2])),
    ("array[2] real", "inv_logit({p, u})", lambda p, u: expit([p, u])),
    ("row_vector[2]", "square([p, u])", lambda p, u: np.square([p, u])),
]


class TestFunctions:
    def test_every_listed_function(self):
        decls = "\n".join(f"  {t} f{i} = {e};" for i, (t, e, _) in enumerate(FUNCTION_TABLE))
        src = ("data { matrix[2, 3] Md; }\n"
               "parameters { real p; real<lower=0, upper=1> u; }\n"
               "generated quantities {\n" + decls + "\n}")
        bm = bind(src, {"Md": [[1, 2, 3], [4, 5, 6]]})
        theta = np.array([[0.7, -0.3], [-1.4, 1.2], [2.3, 0.1], [-0.2, -2.0]])
        out = values(bm, theta)
        for s, (p, uu) in enumerate(theta):
            u = float(expit(uu))
            for i, (_, e, fn) in enumerate(FUNCTION_TABLE):
                np.testing.assert_allclose(out[f"f{i}"][s], fn(p, u), rtol=1e-12, atol=1e-14,
                                           err_msg=e)

    def test_functions_of_parameters_in_the_density(self):
        src = """
        parameters { real p; vector[3] v; }
        model {
          target += log_sum_exp(v) + log1p(exp(p)) + fmax(p, 0) + Phi(p) + sum(cumulative_sum(v))
                  + dot_product(v, rep_vector(2, 3)) + log_mix(inv_logit(p), v[1], v[2]) + mean(v)
                  + tanh(p) * sin(v[3]);
        }
        """
        bm = bind(src)
        theta = np.random.default_rng(8).normal(size=(4, 4))
        want = [logsumexp(t[1:]) + math.log1p(math.exp(t[0])) + max(t[0], 0) + stats.norm.cdf(t[0])
                + np.cumsum(t[1:]).sum() + 2 * t[1:].sum()
                + np.logaddexp(math.log(expit(t[0])) + t[1], math.log(1 - expit(t[0])) + t[2])
                + t[1:].mean() + math.tanh(t[0]) * math.sin(t[3]) for t in theta]
        close(bm.log_density(theta), want)


# ----------------------------------------------------------- density functions
# name, variate declaration and value, argument text (in q), scipy log density of (y, q)
DIST_CASES = {
    "normal": ("vector[3]", [0.3, -1.2, 2.0], "q - 1, q", lambda y, q: stats.norm.logpdf(y, q - 1, q)),
    "std_normal": ("vector[3]", [0.3, -1.2, 2.0], "", lambda y, q: stats.norm.logpdf(y)),
    "student_t": ("vector[3]", [0.3, -1.2, 2.0], "q + 2, 0.5, q",
                  lambda y, q: stats.t.logpdf(y, q + 2, 0.5, q)),
    "cauchy": ("vector[3]", [0.3, -1.2, 2.0], "q, 2", lambda y, q: stats.cauchy.logpdf(y, q, 2)),
    "double_exponential": ("vector[3]", [0.3, -1.2, 2.0], "q, q + 1",
                           lambda y, q: stats.laplace.logpdf(y, q, q + 1)),
    "logistic": ("vector[3]", [0.3, -1.2, 2.0], "q, 1.5", lambda y, q: stats.logistic.logpdf(y, q, 1.5)),
    "lognormal": ("vector[3]", [0.3, 1.2, 2.0], "q - 1, q",
                  lambda y, q: stats.lognorm.logpdf(y, q, scale=math.exp(q - 1))),
    "exponential": ("vector[3]", [0.3, 1.2, 2.0], "q", lambda y, q: stats.expon.logpdf(y, scale=1 / q)),
    "gamma": ("vector[3]", [0.3, 1.2, 2.0], "q + 1, q",
              lambda y, q: stats.gamma.logpdf(y, q + 1, scale=1 / q)),
    "inv_gamma": ("vector[3]", [0.3, 1.2, 2.0], "q + 1, q",
                  lambda y, q: stats.invgamma.logpdf(y, q + 1, scale=q)),
    "weibull": ("vector[3]", [0.3, 1.2, 2.0], "q + 0.5, 2 * q",
                lambda y, q: stats.weibull_min.logpdf(y, q + 0.5, scale=2 * q)),
    "beta": ("vector[3]", [0.2, 0.5, 0.9], "q, 2", lambda y, q: stats.beta.logpdf(y, q, 2)),
    "uniform": ("vector[3]", [0.1, -0.15, 1.0], "-q, q + 1",
                lambda y, q: stats.uniform.logpdf(y, -q, 2 * q + 1)),
    "bernoulli": ("array[3] int", [0, 1, 1], "q / 3.5", lambda y, q: stats.bernoulli.logpmf(y, q / 3.5)),
    "bernoulli_logit": ("array[3] int", [0, 1, 1], "q - 1",
                        lambda y, q: stats.bernoulli.logpmf(y, expit(q - 1))),
    "binomial": ("array[3] int", [0, 3, 7], "Nn, q / 3.5",
                 lambda y, q: stats.binom.logpmf(y, [5, 5, 7], q / 3.5)),
    "binomial_logit": ("array[3] int", [0, 3, 7], "Nn, q - 1",
                       lambda y, q: stats.binom.logpmf(y, [5, 5, 7], expit(q - 1))),
    "poisson": ("array[3] int", [0, 2, 5], "q", lambda y, q: stats.poisson.logpmf(y, q)),
    "poisson_log": ("array[3] int", [0, 2, 5], "q - 1", lambda y, q: stats.poisson.logpmf(y, math.exp(q - 1))),
    "neg_binomial_2": ("array[3] int", [0, 2, 5], "q, q + 0.5",
                       lambda y, q: stats.nbinom.logpmf(y, q + 0.5, (q + 0.5) / (2 * q + 0.5))),
}


def _dist_source(name):
    decl, _, args, _ = DIST_CASES[name]
    discrete = decl.startswith("array")
    suffix = "pmf" if discrete else "pdf"
    bar = f" | {args}" if args else " |"       # std_normal_lpdf(y |): Stan accepts the empty list
    return f"""
    data {{ int form; {decl} y; array[3] int Nn; }}
    parameters {{ real<lower=0.2, upper=3> q; }}
    model {{
      if (form == 1) y ~ {name}({args});
      else if (form == 2) target += {name}_l{suffix}(y{bar});
      else target += {name}_lu{suffix}(y{bar});
    }}
    """


class TestDensityFunctions:
    @pytest.mark.parametrize("name", sorted(DIST_CASES))
    def test_tilde_lpdf_and_lupdf(self, name):
        _, y, _, fn = DIST_CASES[name]
        model = ppl.compile(_dist_source(name))
        u = np.array([[-1.0], [0.2], [1.5]])
        q = 0.2 + 2.8 * expit(u[:, 0])
        want = [np.sum(fn(np.array(y), qq)) for qq in q]
        for form in (1, 2, 3):
            bm = model.bind({"form": form, "y": y, "Nn": [5, 5, 7]})
            close(bm.log_density(u, jacobian=False), want, rtol=1e-10)

    def test_std_normal_lpdf_without_bar(self):
        bm = bind("parameters { real x; } model { target += std_normal_lpdf(x); }")
        close(bm.log_density(np.array([0.4])), stats.norm.logpdf(0.4))

    def test_lpdf_in_generated_quantities(self):
        src = """
        data { array[2] int k; }
        parameters { real<lower=0> lam; }
        generated quantities {
          real lp1 = poisson_lpmf(k | lam);
          real lp2 = normal_lpdf(1.5 | lam, 2);
        }
        """
        bm = bind(src, {"k": [1, 4]})
        out = values(bm, np.array([0.3]))
        lam = math.exp(0.3)
        close(out["lp1"], stats.poisson.logpmf([1, 4], lam).sum())
        close(out["lp2"], stats.norm.logpdf(1.5, lam, 2))


# ==================================================================== rng
RNG_CASES = [
    # (Stan call, mean, sd) of the draw
    ("normal_rng(1, 2)", 1.0, 2.0),
    ("std_normal_rng()", 0.0, 1.0),
    ("student_t_rng(5, 1, 2)", 1.0, 2.0 * math.sqrt(5 / 3)),
    ("double_exponential_rng(1, 2)", 1.0, 2.0 * math.sqrt(2)),
    ("logistic_rng(1, 2)", 1.0, 2.0 * math.pi / math.sqrt(3)),
    ("lognormal_rng(0.5, 0.4)", math.exp(0.58), math.sqrt((math.exp(0.16) - 1) * math.exp(1.16))),
    ("exponential_rng(2)", 0.5, 0.5),
    ("gamma_rng(3, 2)", 1.5, math.sqrt(0.75)),
    ("inv_gamma_rng(4, 3)", 1.0, math.sqrt(0.5)),
    ("weibull_rng(2, 3)", 3 * math.gamma(1.5), 3 * math.sqrt(1 - math.gamma(1.5) ** 2)),
    ("beta_rng(2, 3)", 0.4, 0.2),
    ("uniform_rng(-1, 3)", 1.0, 4 / math.sqrt(12)),
    ("bernoulli_rng(0.3)", 0.3, math.sqrt(0.21)),
    ("bernoulli_logit_rng(0.5)", expit(0.5), math.sqrt(expit(0.5) * (1 - expit(0.5)))),
    ("binomial_rng(10, 0.3)", 3.0, math.sqrt(2.1)),
    ("binomial_logit_rng(10, -0.5)", 10 * expit(-0.5), math.sqrt(10 * expit(-0.5) * expit(0.5))),
    ("poisson_rng(3.5)", 3.5, math.sqrt(3.5)),
    ("poisson_log_rng(1.2)", math.exp(1.2), math.exp(0.6)),
    ("neg_binomial_2_rng(3, 2)", 3.0, math.sqrt(3 + 9 / 2)),
    ("normal_rng(mu, 1)", 0.5, 1.0),        # a parameter as argument
]
DISCRETE_RNGS = ("bernoulli", "binomial", "poisson", "neg_binomial_2")


def _rng_source(decls: str) -> str:
    return ("parameters { real mu; }\nmodel { mu ~ normal(0, 1); }\n"
            "generated quantities {\n" + decls + "\n}")


class TestRng:
    @pytest.mark.parametrize("call,mean,sd", [
        pytest.param(c, m, sd, id=c.split("(")[0]) for c, m, sd in RNG_CASES])
    def test_sample_mean(self, call, mean, sd):
        discrete = call.startswith(DISCRETE_RNGS)
        bm = bind(_rng_source(f"  {'int' if discrete else 'real'} r = {call};"))
        S = 4000
        draws = values(bm, np.full((S, 1), 0.5), seed=7)["r"]
        assert draws.shape == (S,)
        if discrete:
            np.testing.assert_array_equal(draws, np.round(draws))
        se = sd / math.sqrt(S)
        assert abs(draws.mean() - mean) < 5 * se, (draws.mean(), mean, se)

    def test_seeded_draws_are_reproducible(self):
        bm = bind(_rng_source("  real a = normal_rng(mu, 1);\n  real b = gamma_rng(2, 1);\n"
                              "  int k = poisson_rng(20);"))
        theta = np.full((5, 1), 0.5)
        a = bm.param_constrain(theta, include_gq=True, seed=42)
        b = bm.param_constrain(theta, include_gq=True, seed=42)
        c = bm.param_constrain(theta, include_gq=True, seed=43)
        np.testing.assert_array_equal(a, b)
        assert not np.array_equal(a, c)
        assert len(set(a[:, 1])) == 5          # the lanes of a batch are independent draws
        single = bm.param_constrain(theta[0], include_gq=True, seed=42)
        np.testing.assert_array_equal(single, bm.param_constrain(theta[0], include_gq=True, seed=42))

    def test_cauchy_median_and_vectorised_rng(self):
        bm = bind(_rng_source("  real c = cauchy_rng(1, 2);\n"
                              "  array[2] real vec = normal_rng([0, 100]', 1);\n"
                              "  array[2] int ks = poisson_rng({1.0, 50.0});"))
        S = 4000
        out = values(bm, np.full((S, 1), 0.5), seed=9)
        # cauchy has no mean: the fraction below the location is 1/2
        assert abs(np.mean(out["c"] < 1.0) - 0.5) < 5 * 0.5 / math.sqrt(S)
        assert out["vec"].shape == (S, 2)                # one draw per element
        assert abs(out["vec"][:, 0].mean()) < 5 / math.sqrt(S)
        assert abs(out["vec"][:, 1].mean() - 100) < 5 / math.sqrt(S)
        ks = out["ks"]
        np.testing.assert_array_equal(ks, np.round(ks))
        assert abs(ks[:, 0].mean() - 1) < 5 / math.sqrt(S)
        assert abs(ks[:, 1].mean() - 50) < 5 * math.sqrt(50 / S)

    def test_rng_in_transformed_data_uses_the_bind_seed(self):
        src = "transformed data { real z = normal_rng(0, 1); } generated quantities { real zz = z; }"
        a = values(bind(src, seed=3), np.zeros(0))["zz"]
        b = values(bind(src, seed=3), np.zeros(0))["zz"]
        c = values(bind(src, seed=4), np.zeros(0))["zz"]
        assert a == b and a != c


# ================================================================= changepoints
def _brute_force_changepoints(ll):
    """log p(y) by enumerating every placement: ll[t, j] = log-lik of step t in segment j."""
    T, J = ll.shape
    M = J - 1
    terms = []
    for taus in itertools.combinations(range(2, T + 1), M):      # 1 < tau_1 < ... < tau_M <= T
        seg = np.array([sum(t >= tk for tk in taus) for t in range(1, T + 1)])
        terms.append(ll[np.arange(T), seg].sum())
    return logsumexp(terms) - math.log(math.comb(T - 1, M))


class TestChangepoints:
    D = [3, 5, 4, 1, 0, 2, 6, 1]

    def test_segment_form_matches_enumeration(self):
        src = """
        data { int T; array[T] int D; }
        parameters { vector<lower=0>[2] rate; changepoints[1, T] tau; }
        model {
          rate ~ exponential(1);
          for (t in 1:T) D[t] ~ poisson(rate[segment(tau, t)]);
        }
        """
        bm = bind(src, {"T": len(self.D), "D": self.D})
        assert bm.param_unc_num() == 2
        theta = np.array([[0.9, -0.4], [-0.3, 0.5], [1.2, 1.3]])
        lp = bm.log_density(theta)
        for th, got in zip(theta, lp):
            rate = np.exp(th)
            ll = stats.poisson.logpmf(np.array(self.D)[:, None], rate[None, :])
            want = stats.expon.logpdf(rate).sum() + th.sum() + _brute_force_changepoints(ll)
            close(got, want, rtol=1e-10)

    def test_reversed_comparison_form(self):
        src = """
        data { int T; array[T] int D; }
        parameters { real<lower=0> a; real<lower=0> b; changepoints[1, T] tau; }
        model {
          for (t in 1:T) {
            if (t >= tau[1]) D[t] ~ poisson(b);
            else D[t] ~ poisson(a);
          }
        }
        """
        bm = bind(src, {"T": len(self.D), "D": self.D})
        th = np.array([0.2, 1.1])
        ll = stats.poisson.logpmf(np.array(self.D)[:, None], np.exp(th)[None, :])
        close(bm.log_density(th, jacobian=False), _brute_force_changepoints(ll), rtol=1e-10)

    def test_comparison_form_with_two_changepoints(self):
        src = """
        data { int T; array[T] int D; }
        parameters { vector<lower=0>[3] r; changepoints[2, T] tau; }
        model {
          r ~ gamma(2, 1);
          for (t in 1:T) {
            if (t < tau[1]) D[t] ~ poisson(r[1]);
            else if (t < tau[2]) D[t] ~ poisson(r[2]);
            else D[t] ~ poisson(r[3]);
          }
        }
        """
        bm = bind(src, {"T": len(self.D), "D": self.D})
        theta = np.array([[0.9, -0.4, 0.6], [-0.3, 0.5, 1.5]])
        lp = bm.log_density(theta, jacobian=False)
        for th, got in zip(theta, lp):
            r = np.exp(th)
            ll = stats.poisson.logpmf(np.array(self.D)[:, None], r[None, :])
            want = stats.gamma.logpdf(r, 2).sum() + _brute_force_changepoints(ll)
            close(got, want, rtol=1e-10)


# ======================================================================= guards
class TestParametricBranches:
    SRC = """
    parameters { real theta; }
    model {
      if (theta > 0) theta ~ normal(1, 1);
      else theta ~ normal(-1, 2);
    }
    """

    @staticmethod
    def natural(t):
        return stats.norm.logpdf(t, 1, 1) if t > 0 else stats.norm.logpdf(t, -1, 2)

    def test_each_lane_takes_its_own_branch(self):
        bm = bind(self.SRC)
        ts = np.array([-1.3, -0.2, 0.4, 2.0, -3.0])
        batch = bm.log_density(ts[:, None])
        for t, got in zip(ts, batch):
            close(got, bm.log_density(np.array([t])))
            close(got, self.natural(t))

    def test_force_takes_the_chosen_branch(self):
        model = ppl.compile(self.SRC)
        assert len(model.guards) == 1
        g = model.guards[0]
        assert g.kind == "affine" and g.text == "theta > 0"
        bm = model.bind({})
        assert bm.guard_instance_counts() == {g.id: 1}
        ts = np.array([-1.3, 0.4, 2.0])
        close(bm.log_density(ts[:, None], force={g.id: True}), stats.norm.logpdf(ts, 1, 1))
        close(bm.log_density(ts[:, None], force={g.id: False}), stats.norm.logpdf(ts, -1, 2))
        close(bm.log_density(np.array([-1.3]), force={g.id: True}), stats.norm.logpdf(-1.3, 1, 1))
        close(bm.log_density(ts[:, None]), [self.natural(t) for t in ts])

    def test_force_one_instance_of_a_loop_site(self):
        src = """
        data { int N; }
        parameters { real x; }
        model { for (n in 1:N) { if (x > n) target += n; } }
        """
        bm = bind(src, {"N": 3})
        x = np.array([2.5])            # natural: n = 1, 2 taken
        close(bm.log_density(x), 3.0)
        close(bm.log_density(x, force={0: True}), 6.0)
        close(bm.log_density(x, force={0: False}), 0.0)
        close(bm.log_density(x, force={(0, (2,)): True}), 6.0)    # third iteration only
        close(bm.log_density(x, force={(0, (0,)): False}), 2.0)   # first iteration only


class TestGuardTable:
    def test_kinds(self):
        src = """
        parameters { real x; real y; }
        model {
          if (x + 2 * y > 1) target += 1;
          if (exp(x) > 2) target += 2;
          if (x * y > 1) target += 4;
          x ~ normal(0, 1);
          y ~ normal(0, 1);
        }
        """
        model = ppl.compile(src)
        assert [g.kind for g in model.guards] == ["affine", "monotone", "general"]
        assert [g.text for g in model.guards] == ["x + 2 * y > 1", "exp(x) > 2", "x * y > 1"]
        assert [g.id for g in model.guards] == [0, 1, 2]
        bm = model.bind({})
        assert bm.guard_instance_counts() == {0: 1, 1: 1, 2: 1}
        coef = bm.affine_coefficients()
        assert list(coef) == [(0, ())]
        c0, c = coef[(0, ())]
        assert c0 == -1.0
        np.testing.assert_array_equal(c, [1.0, 2.0])
        # the density jumps where the guards say
        pts = np.array([[0.0, 0.0], [1.0, 0.5], [0.8, 2.0]])
        want = [(x + 2 * y > 1) + 2 * (math.exp(x) > 2) + 4 * (x * y > 1)
                + stats.norm.logpdf(x) + stats.norm.logpdf(y) for x, y in pts]
        close(bm.log_density(pts), want)

    def test_kinds_through_transforms_and_functions(self):
        src = """
        data { vector[2] c; }
        parameters { real x; real<lower=0> s; real<lower=x> z; vector[2] v; }
        transformed parameters { real a = 2 * x - v[1]; }
        model {
          if (s > 1) target += 1;                    // s = exp(u): monotone
          if (z > 0) target += 1;                    // z's bound depends on x: general
          if (a < 3) target += 1;                    // affine through a transformed parameter
          if (dot_product(c, v) > 0) target += 1;    // affine with data coefficients
          if (sum(v) > x) target += 1;               // affine
          target += step(x - 1) + floor(x);          // step of an affine form; floor: general
          if (fabs(x) > 1) target += 1;              // general
        }
        """
        model = ppl.compile(src)
        assert [(g.text, g.kind) for g in model.guards] == [
            ("s > 1", "monotone"), ("z > 0", "general"), ("a < 3", "affine"),
            ("dot_product(c, v) > 0", "affine"), ("sum(v) > x", "affine"),
            ("step(x - 1)", "affine"), ("floor(x)", "general"), ("fabs(x) > 1", "general")]
        bm = model.bind({"c": [1.0, -2.0]})
        assert bm.guard_instance_counts() == {i: 1 for i in range(8)}
        coef = bm.affine_coefficients()
        assert sorted(coef) == [(2, ()), (3, ()), (4, ()), (5, ())]
        # theta = (x, log s, log(z - x), v1, v2)
        for gid, c0, c in [(2, 3.0, [-2, 0, 0, 1, 0]), (3, 0.0, [0, 0, 0, 1, -2]),
                           (4, 0.0, [-1, 0, 0, 1, 1]), (5, -1.0, [1, 0, 0, 0, 0])]:
            assert coef[(gid, ())][0] == c0
            np.testing.assert_array_equal(coef[(gid, ())][1], c)

    def test_data_free_comparisons_are_not_guards(self):
        model = ppl.compile("""
        data { real c; }
        parameters { real x; }
        model { if (c > 0) target += x; for (i in 1:3) { if (i > 1) target += 1; } }
        """)
        assert model.guards == []

    def test_loop_instances_counted_only_where_reached(self):
        src = """
        data { int N; array[N] int use; vector[N] c; }
        parameters { real x; real y; }
        model {
          for (n in 1:N) {
            if (use[n]) {
              if (c[n] * x - y > n) target += 1;
            }
          }
        }
        """
        use = [1, 0, 1, 1, 0]
        c = [2.0, 3.0, -1.0, 0.5, 4.0]
        model = ppl.compile(src)
        assert len(model.guards) == 1 and model.guards[0].kind == "affine"
        bm = model.bind({"N": 5, "use": use, "c": c})
        assert bm.guard_instance_counts() == {0: 3}
        coef = bm.affine_coefficients()
        assert sorted(coef) == [(0, (0,)), (0, (2,)), (0, (3,))]
        for (site, key), (c0, cc) in coef.items():
            n = key[0] + 1
            assert c0 == -n
            np.testing.assert_array_equal(cc, [c[n - 1], -1.0])
        # and the density counts the reached instances that hold
        pts = np.array([[1.0, -2.0], [3.0, 0.0], [-4.0, -1.0]])
        want = [sum(1 for n in range(1, 6) if use[n - 1] and c[n - 1] * x - y > n) for x, y in pts]
        close(bm.log_density(pts), want)

    def test_instances_behind_data_conditionals_and_parametric_branches(self):
        src = """
        data { int N; array[N] int use; }
        parameters { real x; real y; }
        model {
          for (n in 1:N) target += use[n] ? 2.0 * (x > n) : 0.0;   // data ?: : reached where use[n]
          if (x > 0) {                                             // parametric: both sides count
            if (y > 1) target += 1;
          } else {
            for (n in 1:N) if (y < n) target += 3;
          }
        }
        """
        use = [0, 1, 1, 0]
        model = ppl.compile(src)
        assert [g.text for g in model.guards] == ["x > n", "x > 0", "y > 1", "y < n"]
        bm = model.bind({"N": 4, "use": use})
        assert bm.guard_instance_counts() == {0: 2, 1: 1, 2: 1, 3: 4}
        coef = bm.affine_coefficients()
        assert sorted(k for k in coef if k[0] == 0) == [(0, (1,)), (0, (2,))]
        assert sorted(k for k in coef if k[0] == 3) == [(3, (n,)) for n in range(4)]
        c0, c = coef[(3, (2,))]                 # y < 3  <=>  3 - y > 0
        assert c0 == 3.0
        np.testing.assert_array_equal(c, [0.0, -1.0])
        pts = np.array([[2.5, 0.5], [2.5, 1.5], [-1.0, 2.5], [0.5, -3.0]])
        want = [sum(2 * (x > n) for n in range(1, 5) if use[n - 1])
                + ((y > 1) * 1 if x > 0 else sum(3 for n in range(1, 5) if y < n)) for x, y in pts]
        close(bm.log_density(pts), want)

    def test_affine_through_affine_transforms_and_transformed_parameters(self):
        src = """
        parameters { real<offset=1, multiplier=2> z; real w; }
        transformed parameters { real s = 3 * z - w / 2; }
        model { if (s > 4) target += 1; }
        """
        model = ppl.compile(src)
        assert [g.kind for g in model.guards] == ["affine"]
        c0, c = model.bind({}).affine_coefficients()[(0, ())]
        # s - 4 = 3 (1 + 2 u) - w / 2 - 4
        assert c0 == -1.0
        np.testing.assert_array_equal(c, [6.0, -0.5])

    def test_guard_counts_for_other_sites(self):
        src = """
        parameters { real x; }
        model {
          target += step(x) + (x > 1 ? 1 : 0);
          for (i in 1:4) target += int_step(x - i);
        }
        """
        model = ppl.compile(src)
        assert [g.op for g in model.guards] == ["step", ">", "int_step"]
        assert [g.kind for g in model.guards] == ["affine", "affine", "affine"]
        bm = model.bind({})
        assert bm.guard_instance_counts() == {0: 1, 1: 1, 2: 4}
        xs = np.array([-0.5, 0.5, 1.5, 3.5])
        want = [int(x >= 0) + int(x > 1) + sum(int(x - i > 0) for i in range(1, 5)) for x in xs]
        close(bm.log_density(xs[:, None]), want)
