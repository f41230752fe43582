"""The language of DESIGN.md section 3: program blocks and types.

Method and shared helpers: see tests/language_helpers.py.
"""
from __future__ import annotations

import math

import numpy as np
from scipy import stats

from language_helpers import bind, close, values


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
