"""The language of DESIGN.md section 3: declarations, assignment, ~ and control flow.

Method and shared helpers: see tests/language_helpers.py.
"""
from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

import ppl

from language_helpers import bind, close, values


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
