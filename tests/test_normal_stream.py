"""The VI loop's normal draws (ppl.infer.normal_kernels, ppl.infer.normal_stream)."""
import math

import numpy as np
from numba import njit

from ppl.infer.normal_kernels import LAYERS, R, V, X, fill_standard_normal, layer_edges, next_u64
from ppl.infer.normal_stream import NormalStream

MASK = (1 << 64) - 1


def _xoshiro256pp(s):
    """xoshiro256++ on Python integers, from its published definition."""
    rotl = lambda x, k: ((x << k) | (x >> (64 - k))) & MASK
    result = (rotl((s[0] + s[3]) & MASK, 23) + s[0]) & MASK
    t = (s[1] << 17) & MASK
    s[2] ^= s[0]
    s[3] ^= s[1]
    s[1] ^= s[2]
    s[0] ^= s[3]
    s[2] ^= t
    s[3] = rotl(s[3], 45)
    return result


@njit
def _words(s, n):
    out = np.empty(n, dtype=np.uint64)
    for i in range(n):
        out[i] = next_u64(s)
    return out


def test_bits_are_xoshiro256pp():
    state = np.random.default_rng(0).integers(0, 2 ** 64 - 1, size=4, dtype=np.uint64, endpoint=True)
    python = [int(x) for x in state]
    words = _words(state, 1000)
    assert [int(w) for w in words] == [_xoshiro256pp(python) for _ in range(1000)]
    assert [int(x) for x in state] == python


def test_layers_close_only_at_the_right_edge_used():
    """The 256 layers of area V reach the top of the density exactly: f(X[255]) + V / X[255] = 1
    at R (to rounding), while an edge 1e-9 away misses it by about 2.5e-8."""
    f = lambda x: math.exp(-0.5 * x * x)
    assert X[1] == R and X[LAYERS] == 0.0 and np.all(np.diff(X[1:]) < 0)
    assert abs(f(X[LAYERS - 1]) + V / X[LAYERS - 1] - 1.0) < 1e-13
    for r in (R - 1e-9, R + 1e-9):
        x, v = layer_edges(r)
        assert abs(f(x[LAYERS - 1]) + v / x[LAYERS - 1] - 1.0) > 1e-9


def test_draws_follow_the_standard_normal():
    """2e6 draws.  Mean and variance within 4 standard errors (1 / sqrt(n), sqrt(2 / n)); the
    counts in the bins between consecutive layer edges (so every layer's wedge, and the tail
    beyond R, are checked) by a chi-square test with 255 degrees of freedom at 5 of its
    standard deviations; the two signs within 4 binomial standard errors."""
    n = 2_000_000
    stream = NormalStream(np.random.default_rng(11))
    x = stream.standard_normal(n)
    assert abs(x.mean()) < 4 / math.sqrt(n)
    assert abs(x.var() - 1.0) < 4 * math.sqrt(2.0 / n)
    assert abs((x > 0).mean() - 0.5) < 4 * 0.5 / math.sqrt(n)
    edges = np.concatenate([X[LAYERS:0:-1], [np.inf]])        # 0, X[255], ..., X[1] = R, inf
    counts, _ = np.histogram(np.abs(x), bins=edges)
    cdf = np.array([math.erf(e / math.sqrt(2.0)) if np.isfinite(e) else 1.0 for e in edges])
    expected = n * np.diff(cdf)
    chi2 = float(np.sum((counts - expected) ** 2 / expected))
    df = len(expected) - 1
    assert abs(chi2 - df) < 5 * math.sqrt(2 * df)
    far = (np.abs(x) > 4.5).mean()                              # deep in the tail
    p = math.erfc(4.5 / math.sqrt(2.0))
    assert abs(far - p) < 4 * math.sqrt(p / n)


def test_stream_is_one_sequence_whatever_the_shapes():
    a = NormalStream(np.random.default_rng(5))
    b = NormalStream(np.random.default_rng(5))
    assert np.array_equal(a.state, b.state)
    parts = [a.standard_normal((3, 4)), a.standard_normal(5), np.array([a.standard_normal()])]
    assert np.array_equal(np.concatenate([p.ravel() for p in parts]), b.standard_normal(18))
    out = np.empty((2, 3))
    fill_standard_normal(b.state, out)
    assert np.array_equal(out.ravel(), a.standard_normal(6))
