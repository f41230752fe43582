"""The language of DESIGN.md section 3: changepoints and parametric branches (guards).

Method and shared helpers: see tests/language_helpers.py.
"""
from __future__ import annotations

import itertools
import math

import numpy as np
from scipy import stats
from scipy.special import logsumexp

import ppl

from language_helpers import bind, close


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
