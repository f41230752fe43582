"""The language of DESIGN.md section 3: constrained types: transforms and log-Jacobians.

Method and shared helpers: see tests/language_helpers.py.
"""
from __future__ import annotations

import math

import numpy as np
from scipy import stats

from language_helpers import bind, close, lub, stick_breaking, values


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
