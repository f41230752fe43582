"""Tests for ppl.transforms.constraints (Stan's constraint transforms).

Tolerances used throughout:

* u -> x -> u round trip: ``|u' - u| <= 1e-12 + 1e-12 |u|`` (absolute 1e-12
  for the O(1) draws used here, relative for large |u|).
* x -> u -> x round trip: ``|x' - x| <= 1e-12 |x| + 1e-15`` (relative).
* log-Jacobian vs. a numerical log|det J| from 5-point central finite
  differences (step 1e-3, truncation O(h^4)): absolute difference <= 1e-9
  (observed agreement is ~1e-12).
"""
from __future__ import annotations

import numpy as np
import pytest

from ppl.transforms import (
    TRANSFORMS,
    Affine,
    LowerBound,
    LowerUpperBound,
    Ordered,
    PositiveOrdered,
    Simplex,
    Transform,
    UpperBound,
)

S = 5
INF = np.inf
U_RTOL = U_ATOL = 1e-12
X_RTOL, X_ATOL = 1e-12, 1e-15
LJ_ATOL = 1e-9


def rng(seed=0):
    return np.random.default_rng(seed)


# ---------------------------------------------------------------- helpers

def fd_log_abs_det(f, u, h=1e-3):
    """log|det(d f(u)/du)| per lane via 5-point central differences.

    ``f`` maps u of shape (Bu, *ushape) to an array (Bout, *) whose trailing
    part flattens to n = prod(ushape) outputs.  Returns shape (Bout,).
    """
    u = np.asarray(u, dtype=np.float64)
    b, ushape = u.shape[0], u.shape[1:]
    n = int(np.prod(ushape))
    flat = u.reshape(b, n)

    def g(v):
        y = np.asarray(f(v.reshape((b,) + ushape)))
        return y.reshape(y.shape[0], -1)

    cols = []
    for j in range(n):
        e = np.zeros(n)
        e[j] = h
        d = (-g(flat + 2 * e) + 8 * g(flat + e) - 8 * g(flat - e) + g(flat - 2 * e)) / (12 * h)
        cols.append(d)
    jac = np.stack(cols, axis=-1)  # (Bout, n_out, n_in)
    assert jac.shape[1] == n
    sign, logdet = np.linalg.slogdet(jac)
    assert np.all(sign != 0)
    return logdet


def constrained_part(t: Transform, args):
    """u -> the free coordinates of x (x[..., :K-1] for the simplex)."""
    def f(u):
        x, _ = t.constrain(u, *args)
        return x[..., :-1] if isinstance(t, Simplex) else x
    return f


# Each case: (id, transform, unconstrained shape incl. batch, list of args)
def _cases():
    r = rng(1)
    cases = []
    # lower / upper: scalar bound per lane, shared bound, elementwise bound
    cases += [
        ("lower-B1bound", LowerBound(), (S,), [np.array([2.5])]),
        ("lower-perlane", LowerBound(), (S, 3), [r.normal(size=S)]),
        ("lower-elementwise-Bu1", LowerBound(), (1, 2, 3), [r.normal(size=(S, 2, 3))]),
        ("lower-with-neginf", LowerBound(), (S, 3), [np.array([[-INF, 1.0, -2.0]])]),
        ("upper-B1bound", UpperBound(), (S, 4), [np.array([-1.5])]),
        ("upper-elementwise", UpperBound(), (S, 2, 2), [r.normal(size=(1, 2, 2))]),
        ("upper-with-posinf", UpperBound(), (S, 3), [np.array([[INF, 0.0, 3.0]])]),
    ]
    lb = r.normal(size=(S, 3, 2))
    ub = lb + r.uniform(0.5, 4.0, size=(S, 3, 2))
    cases += [
        ("lub-scalar", LowerUpperBound(), (S,), [np.array([-1.0]), np.array([3.0])]),
        ("lub-mixed-batch", LowerUpperBound(), (1, 3, 2), [lb, ub]),
        ("lub-perlane", LowerUpperBound(), (S, 4), [np.full(S, 0.0), np.linspace(1, 5, S)]),
        ("lub-infinite", LowerUpperBound(), (S, 4),
         [np.array([[-INF, -1.0, -INF, 2.0]]), np.array([[INF, INF, 0.5, 7.0]])]),
        ("affine", Affine(), (S, 3), [np.array([0.7]), r.uniform(0.2, 3.0, size=S)]),
        ("affine-elementwise", Affine(), (1, 2, 2),
         [r.normal(size=(S, 2, 2)), r.uniform(0.2, 3.0, size=(S, 2, 2))]),
        ("ordered", Ordered(), (S, 4), []),
        ("ordered-array", Ordered(), (S, 2, 3), []),
        ("ordered-K1", Ordered(), (S, 1), []),
        ("pos-ordered", PositiveOrdered(), (S, 4), []),
        ("pos-ordered-array", PositiveOrdered(), (1, 3, 2), []),
        ("simplex-K2", Simplex(), (S, 1), []),
        ("simplex-K4", Simplex(), (S, 3), []),
        ("simplex-array", Simplex(), (S, 2, 4), []),
    ]
    return cases


CASES = _cases()
IDS = [c[0] for c in CASES]


def _u(shape, seed):
    return rng(seed).normal(size=shape)


# ---------------------------------------------------------------- registry

def test_registry():
    expect = {
        "lower": (LowerBound, 1, False),
        "upper": (UpperBound, 1, False),
        "lower_upper": (LowerUpperBound, 2, False),
        "affine": (Affine, 2, False),
        "ordered": (Ordered, 0, True),
        "positive_ordered": (PositiveOrdered, 0, True),
        "simplex": (Simplex, 0, True),
    }
    assert set(TRANSFORMS) == set(expect)
    for name, (cls, nargs, vec) in expect.items():
        t = TRANSFORMS[name]
        assert isinstance(t, cls) and isinstance(t, Transform)
        assert t.name == name and t.nargs == nargs and t.vector_valued is vec


def test_unconstrained_shape():
    assert TRANSFORMS["lower"].unconstrained_shape(()) == ()
    assert TRANSFORMS["lower_upper"].unconstrained_shape((3, 2)) == (3, 2)
    assert TRANSFORMS["ordered"].unconstrained_shape((4,)) == (4,)
    assert TRANSFORMS["simplex"].unconstrained_shape((4,)) == (3,)
    assert TRANSFORMS["simplex"].unconstrained_shape((2, 5)) == (2, 4)
    assert TRANSFORMS["simplex"].unconstrained_shape((1,)) == (0,)
    with pytest.raises(ValueError):
        TRANSFORMS["simplex"].unconstrained_shape(())


# ---------------------------------------------------------------- core properties

@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_shapes_and_round_trip_u(case):
    _, t, ushape, args = case
    u = _u(ushape, 2)
    x, lj = t.constrain(u, *args)
    bout = max([ushape[0]] + [np.shape(a)[0] for a in args])
    value_shape = ushape[1:-1] + (ushape[-1] + 1,) if isinstance(t, Simplex) else ushape[1:]
    assert x.shape == (bout,) + value_shape
    assert t.unconstrained_shape(value_shape) == ushape[1:]
    assert lj.shape == (bout,)
    assert x.dtype == np.float64 and lj.dtype == np.float64
    assert np.all(np.isfinite(x)) and np.all(np.isfinite(lj))
    u2 = t.unconstrain(x, *args)
    assert u2.shape == (bout,) + ushape[1:]
    np.testing.assert_allclose(u2, np.broadcast_to(u, u2.shape), rtol=U_RTOL, atol=U_ATOL)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_round_trip_x(case):
    # x built from an independent draw, then x -> u -> x
    _, t, ushape, args = case
    x, _ = t.constrain(_u(ushape, 3) * 1.5, *args)
    x2, _ = t.constrain(t.unconstrain(x, *args), *args)
    np.testing.assert_allclose(x2, x, rtol=X_RTOL, atol=X_ATOL)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_log_jacobian_matches_finite_differences(case):
    _, t, ushape, args = case
    u = _u(ushape, 4)
    _, lj = t.constrain(u, *args)
    if ushape[-1] == 0:
        np.testing.assert_array_equal(lj, 0.0)
        return
    num = fd_log_abs_det(constrained_part(t, args), u)
    assert num.shape == lj.shape
    np.testing.assert_allclose(lj, num, rtol=0, atol=LJ_ATOL)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_check_accepts_constrained_outputs(case):
    _, t, ushape, args = case
    for seed in range(3):
        x, _ = t.constrain(_u(ushape, 10 + seed) * 2, *args)
        ok = t.check(x, *args)
        assert ok.shape == (x.shape[0],) and ok.dtype == bool
        assert ok.all()


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_check_rejects_nan_in_one_lane(case):
    _, t, ushape, args = case
    x, _ = t.constrain(_u(ushape, 5), *args)
    x = np.broadcast_to(x, (S,) + x.shape[1:]).copy()
    idx = (2,) + tuple(0 for _ in x.shape[1:])
    x[idx] = np.nan
    ok = t.check(x, *args)
    assert ok.tolist() == [True, True, False, True, True]
    assert np.all(np.isnan(t.unconstrain(x, *args)[idx]))


# ---------------------------------------------------------------- check() rejections

def test_check_bounds():
    lb = np.array([0.0, 1.0, -2.0, 0.5, 3.0])
    x = lb + np.array([0.1, 0.0, 2.0, 1e-300, 5.0])
    assert LowerBound().check(x, lb).all()  # inclusive at x == lb
    bad = x.copy()
    bad[3] = lb[3] - 1e-9
    assert LowerBound().check(bad, lb).tolist() == [True, True, True, False, True]
    assert np.isnan(LowerBound().unconstrain(bad, lb)[3])
    # x == lb is valid and maps to a finite (very negative) unconstrained value
    u = LowerBound().unconstrain(x, lb)
    assert np.all(np.isfinite(u)) and u[1] < -30

    ub = np.array([1.0])
    assert UpperBound().check(np.array([[1.0, -5.0]]), ub).all()
    assert not UpperBound().check(np.array([[1.0 + 1e-12, -5.0]]), ub).any()

    lo, hi = np.array([[-1.0, 0.0]]), np.array([[1.0, 2.0]])
    xs = np.array([[-1.0, 2.0], [0.0, 1.0], [-1.1, 1.0], [0.0, 2.1], [np.nan, 1.0]])
    assert LowerUpperBound().check(xs, lo, hi).tolist() == [True, True, False, False, False]
    u = LowerUpperBound().unconstrain(xs, lo, hi)
    assert np.all(np.isfinite(u[:2]))
    assert u[0, 0] < -30 and u[0, 1] > 30
    assert np.isnan(u[2, 0]) and np.isnan(u[3, 1]) and np.isnan(u[4, 0])


def test_check_ordered():
    x = np.array([[-1.0, 0.0, 2.0], [1.0, 0.5, 2.0], [0.0, 0.0, 1.0], [-3.0, -2.0, -1.0]])
    assert Ordered().check(x).tolist() == [True, False, False, True]
    u = Ordered().unconstrain(x)
    assert np.all(np.isnan(u[1])) and np.all(np.isnan(u[2])) and np.all(np.isfinite(u[[0, 3]]))
    # arrays of vectors: one bad vector fails the whole lane
    xa = np.stack([x[[0, 3]], x[[0, 1]]])  # (2, 2, 3)
    assert Ordered().check(xa).tolist() == [True, False]


def test_check_positive_ordered():
    x = np.array([[0.1, 0.2, 3.0], [-0.1, 0.2, 3.0], [0.1, 0.05, 3.0], [0.0, 1.0, 2.0]])
    assert PositiveOrdered().check(x).tolist() == [True, False, False, True]
    u = PositiveOrdered().unconstrain(x)
    assert np.all(np.isnan(u[1])) and np.all(np.isnan(u[2]))
    assert np.all(np.isfinite(u[3]))  # x_1 == 0 allowed (Stan: x_1 >= 0)


def test_check_simplex():
    x = np.array([
        [0.2, 0.3, 0.5],
        [0.2, 0.3, 0.5 + 1e-6],          # sums to 1 + 1e-6
        [0.2, 0.3, 0.5 + 5e-9],          # within 1e-8
        [-0.01, 0.51, 0.5],              # negative element
        [0.0, 0.0, 1.0],                 # boundary: allowed
        [1.0, 0.0, 0.0],
    ])
    assert Simplex().check(x).tolist() == [True, False, True, False, True, True]
    u = Simplex().unconstrain(x)
    assert np.all(np.isnan(u[1])) and np.all(np.isnan(u[3]))
    assert np.all(np.isfinite(u[[0, 2, 4, 5]]))
    # boundary points map back (approximately) onto themselves
    xb, _ = Simplex().constrain(u[[4, 5]])
    np.testing.assert_allclose(xb, x[[4, 5]], atol=1e-300)


def test_check_affine():
    x = np.array([[0.0, 1e300], [np.nan, 0.0]])
    assert Affine().check(x, np.array([1.0]), np.array([2.0])).tolist() == [True, False]
    assert Affine().check(x[:1], np.array([1.0]), np.array([0.0])).tolist() == [False]


# ---------------------------------------------------------------- infinite bounds

def test_infinite_bounds_are_no_bound():
    u = _u((S, 4), 6) * 2
    for x, lj in [LowerBound().constrain(u, np.array([-INF])),
                  UpperBound().constrain(u, np.array([INF])),
                  LowerUpperBound().constrain(u, np.array([-INF]), np.array([INF]))]:
        np.testing.assert_array_equal(x, u)
        np.testing.assert_array_equal(lj, 0.0)
    big = np.array([[-1e308, 1e308, 0.0, -INF]])
    assert LowerBound().check(big, np.array([-INF])).all()
    assert LowerUpperBound().check(big, np.array([-INF]), np.array([INF])).all()
    np.testing.assert_array_equal(LowerBound().unconstrain(big, np.array([-INF])), big)

    # lower_upper with one infinite side == the one-sided transform, elementwise
    ub = np.array([[0.5, -2.0, 3.0, 1.0]])
    lb = np.array([[-1.0, 2.0, 0.0, -4.0]])
    x1, lj1 = LowerUpperBound().constrain(u, np.array([-INF]), ub)
    x2, lj2 = UpperBound().constrain(u, ub)
    np.testing.assert_array_equal(x1, x2)
    np.testing.assert_array_equal(lj1, lj2)
    x1, lj1 = LowerUpperBound().constrain(u, lb, np.array([INF]))
    x2, lj2 = LowerBound().constrain(u, lb)
    np.testing.assert_array_equal(x1, x2)
    np.testing.assert_array_equal(lj1, lj2)

    # mixed per element: [upper, lower, identity, finite interval]
    lo = np.array([[-INF, 2.0, -INF, -4.0]])
    hi = np.array([[0.5, INF, INF, 1.0]])
    x, lj = LowerUpperBound().constrain(u, lo, hi)
    ex = np.stack([0.5 - np.exp(u[:, 0]), 2.0 + np.exp(u[:, 1]), u[:, 2],
                   LowerUpperBound().constrain(u[:, 3], -4.0, 1.0)[0]], axis=1)
    np.testing.assert_allclose(x, ex, rtol=1e-15)
    elj = u[:, 0] + u[:, 1] + LowerUpperBound().constrain(u[:, 3], -4.0, 1.0)[1]
    np.testing.assert_allclose(lj, elj, rtol=1e-14)
    np.testing.assert_allclose(LowerUpperBound().unconstrain(x, lo, hi), u, atol=1e-12)


def test_invalid_arguments_give_nan_lanes():
    u = _u((S, 2), 7)
    lb = np.array([0.0, 0.0, 1.0, 0.0, np.nan])
    ub = np.array([1.0, 2.0, 1.0, 3.0, 1.0])      # lane 2: lb == ub; lane 4: NaN
    x, lj = LowerUpperBound().constrain(u, lb, ub)
    assert np.isnan(lj).tolist() == [False, False, True, False, True]
    assert np.all(np.isnan(x[[2, 4]])) and np.all(np.isfinite(x[[0, 1, 3]]))
    _, lj = LowerBound().constrain(u, np.array([0.0, INF, 0.0, 0.0, 0.0]))
    assert np.isnan(lj).tolist() == [False, True, False, False, False]
    _, lj = UpperBound().constrain(u, np.array([0.0, 0.0, -INF, 0.0, 0.0]))
    assert np.isnan(lj).tolist() == [False, False, True, False, False]
    _, lj = Affine().constrain(u, np.array([0.0, INF, 0.0, 0.0, 0.0]),
                               np.array([1.0, 1.0, 0.0, -1.0, 2.0]))
    assert np.isnan(lj).tolist() == [False, True, True, True, False]


# ---------------------------------------------------------------- numerics

def test_lower_upper_extreme_u():
    t = LowerUpperBound()
    u = np.array([[-40.0, 40.0, -700.0, 700.0]])
    # log-Jacobian stays finite and matches log(w) + log_expit(u) + log_expit(-u)
    x, lj = t.constrain(u, 0.0, 1.0)
    assert np.isfinite(lj[0])
    expected = np.sum(-np.abs(u) - 2 * np.log1p(np.exp(-np.abs(u))))
    assert lj[0] == pytest.approx(expected, rel=1e-14)
    assert np.all((x >= 0) & (x <= 1))
    # exact round trip where the nearer bound is 0 (the value is representable)
    xl, _ = t.constrain(np.array([[-40.0]]), 0.0, 1.0)
    np.testing.assert_allclose(t.unconstrain(xl, 0.0, 1.0), [[-40.0]], rtol=1e-12)
    xu, _ = t.constrain(np.array([[40.0]]), -1.0, 0.0)
    np.testing.assert_allclose(t.unconstrain(xu, -1.0, 0.0), [[40.0]], rtol=1e-12)
    # otherwise x rounds onto the bound: still finite, right sign, and large
    for lo, hi in [(-1.0, 1.0), (2.0, 5.0)]:
        xx, lj = t.constrain(np.array([[-40.0, 40.0]]), lo, hi)
        assert np.all(np.isfinite(lj))
        back = t.unconstrain(xx, lo, hi)
        assert np.all(np.isfinite(back))
        assert back[0, 0] < -33 and back[0, 1] > 33
        assert t.check(xx, lo, hi).all()


def test_one_sided_extreme_u():
    for t, b in [(LowerBound(), 0.0), (UpperBound(), 0.0)]:
        u = np.array([[-40.0, 40.0, -300.0]])
        x, lj = t.constrain(u, b)
        assert np.isfinite(lj).all()
        np.testing.assert_allclose(t.unconstrain(x, b), u, rtol=1e-14)


def test_simplex_extreme_round_trip():
    u = np.array([[40.0, -40.0, 3.0, -25.0], [-40.0, -40.0, -40.0, -40.0],
                  [40.0, 40.0, 40.0, 40.0], [0.0, 0.0, 0.0, 0.0]])
    x, lj = Simplex().constrain(u)
    assert np.isfinite(lj).all()
    assert Simplex().check(x).all()
    np.testing.assert_allclose(x.sum(axis=-1), 1.0, atol=1e-15)
    np.testing.assert_allclose(Simplex().unconstrain(x), u, rtol=1e-12, atol=1e-12)
    # u = 0 is the centre of the simplex
    np.testing.assert_allclose(x[3], 0.2, rtol=1e-15)


def test_simplex_unconstrain_of_dirichlet_draws():
    r = rng(8)
    x = r.dirichlet(np.full(6, 0.3), size=(S, 2))  # (S, 2, 6), some tiny entries
    u = Simplex().unconstrain(x)
    assert u.shape == (S, 2, 5)
    x2, _ = Simplex().constrain(u)
    np.testing.assert_allclose(x2, x, rtol=1e-12, atol=0)


def test_simplex_K1():
    x, lj = Simplex().constrain(np.zeros((S, 0)))
    np.testing.assert_array_equal(x, 1.0)
    assert x.shape == (S, 1)
    np.testing.assert_array_equal(lj, 0.0)
    assert Simplex().unconstrain(x).shape == (S, 0)


def test_ordered_matches_definition():
    u = _u((S, 4), 9)
    x, lj = Ordered().constrain(u)
    ex = u[:, :1] + np.concatenate([np.zeros((S, 1)), np.cumsum(np.exp(u[:, 1:]), 1)], 1)
    np.testing.assert_allclose(x, ex, rtol=1e-14, atol=1e-15)
    np.testing.assert_allclose(lj, u[:, 1:].sum(1), rtol=1e-14)
    x, lj = PositiveOrdered().constrain(u)
    np.testing.assert_allclose(x, np.cumsum(np.exp(u), 1), rtol=1e-14)
    np.testing.assert_allclose(lj, u.sum(1), rtol=1e-14)


def test_simplex_matches_definition():
    # direct transcription of the Reference Manual stick-breaking
    u = _u((3, 4), 10)
    K = 5
    x_ref, lj_ref = np.zeros((3, K)), np.zeros(3)
    for b in range(3):
        stick = 1.0
        for k in range(K - 1):  # 0-based k; 1-based k+1 -> log(1/(K-(k+1)))
            z = 1 / (1 + np.exp(-(u[b, k] + np.log(1 / (K - k - 1)))))
            x_ref[b, k] = stick * z
            lj_ref[b] += np.log(z) + np.log1p(-z) + np.log(stick)
            stick -= x_ref[b, k]
        x_ref[b, K - 1] = stick
    x, lj = Simplex().constrain(u)
    np.testing.assert_allclose(x, x_ref, rtol=1e-13)
    np.testing.assert_allclose(lj, lj_ref, rtol=1e-13)


# ---------------------------------------------------------------- batching

def test_batch_broadcasting():
    u1 = _u((1, 3), 11)
    lb = np.arange(S, dtype=float)
    x, lj = LowerBound().constrain(u1, lb)
    assert x.shape == (S, 3) and lj.shape == (S,)
    np.testing.assert_allclose(x, lb[:, None] + np.exp(u1), rtol=1e-15)
    np.testing.assert_allclose(lj, np.full(S, u1.sum()), rtol=1e-15)
    # scalar python bounds are accepted as batch size 1
    x, lj = LowerUpperBound().constrain(_u((S, 2), 12), 0, 1)
    assert x.shape == (S, 2) and lj.shape == (S,)
    with pytest.raises(ValueError):
        LowerBound().constrain(_u((3, 2), 13), np.zeros(S))
    with pytest.raises(ValueError):  # bound with a wrong number of value dims
        LowerBound().constrain(_u((S, 2, 3), 13), np.zeros((S, 2)))
    with pytest.raises(TypeError):
        LowerUpperBound().constrain(_u((S, 2), 13), 0.0)
    with pytest.raises(ValueError):  # vector transform needs a vector axis
        Simplex().constrain(np.zeros(S))


# ---------------------------------------------------------------------------
# reverse mode: constrain_vjp against finite differences of constrain
# ---------------------------------------------------------------------------

def _vjp_case(name, shape, nargs_shapes, rng):
    t = TRANSFORMS[name]
    S = 3
    u = rng.normal(size=(S,) + t.unconstrained_shape(shape))
    args = []
    if name == "lower":
        args = [rng.normal(size=(S,) + nargs_shapes[0])]
    elif name == "upper":
        args = [rng.normal(size=(S,) + nargs_shapes[0])]
    elif name == "lower_upper":
        lb = rng.normal(size=(S,) + nargs_shapes[0])
        args = [lb, lb + rng.uniform(0.5, 2.0, size=(S,) + nargs_shapes[1])]
    elif name == "affine":
        args = [rng.normal(size=(S,) + nargs_shapes[0]), rng.uniform(0.5, 2, size=(S,) + nargs_shapes[1])]
    return t, u, args


@pytest.mark.parametrize("name,shape,argshapes", [
    ("lower", (4,), [()]), ("lower", (2, 3), [(2, 3)]), ("upper", (4,), [(4,)]),
    ("lower_upper", (3,), [(), ()]), ("lower_upper", (3,), [(3,), ()]),
    ("affine", (4,), [(), ()]), ("affine", (2, 2), [(2, 2), ()]),
    ("ordered", (4,), []), ("positive_ordered", (2, 3), []), ("simplex", (5,), []),
    ("simplex", (2, 3), []), ("simplex", (2,), []),
])
def test_constrain_vjp_matches_finite_differences(name, shape, argshapes):
    """d/d(u, bounds) of  <w, x(u, bounds)> + c * log_jac  by central differences (h = 1e-6):
    agreement to 1e-7 relative (the differences' truncation error is O(h^2) ~ 1e-12)."""
    rng = np.random.default_rng(7)
    t, u, args = _vjp_case(name, shape, argshapes, rng)
    x0, _ = t.constrain(u, *args)
    w = rng.normal(size=x0.shape)
    c = np.array([0.7, -1.3, 2.0])

    def objective(uu, aa):
        x, lj = t.constrain(uu, *aa)
        return np.sum(w * x, axis=tuple(range(1, x.ndim))) + c * lj

    du, dargs = t.constrain_vjp(u, args, w, c)
    h = 1e-6
    num = np.zeros_like(u)
    for idx in np.ndindex(u.shape[1:]):
        e = np.zeros_like(u)
        e[(slice(None),) + idx] = h
        num[(slice(None),) + idx] = (objective(u + e, args) - objective(u - e, args)) / (2 * h)
    np.testing.assert_allclose(du, num, rtol=1e-7, atol=1e-7)
    for k, a in enumerate(args):
        numa = np.zeros_like(a)
        for idx in np.ndindex(a.shape[1:]):
            e = np.zeros_like(a)
            e[(slice(None),) + idx] = h
            aa_p = list(args); aa_p[k] = a + e
            aa_m = list(args); aa_m[k] = a - e
            numa[(slice(None),) + idx] = (objective(u, aa_p) - objective(u, aa_m)) / (2 * h)
        np.testing.assert_allclose(np.broadcast_to(dargs[k], a.shape), numa, rtol=1e-7, atol=1e-7)
