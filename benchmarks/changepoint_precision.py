"""Precision of the changepoint probabilities P(tau_k = t | y, theta) on a long series.

    python benchmarks/changepoint_precision.py

On examples/mean_shift (T = 10,000, M = 5) at the true parameters and at a
poor fit (sigma 4x too small), prints |alpha| at the last step, then for two
ways to compute the probabilities in float64 -- DESIGN §7's formula
exp(alpha[t-1, k-1] + ell[t, k] + beta[t, k] - total), and the reverse sweep
stdlib/changepoint.py uses -- the largest relative error against the same
formula in long double (64-bit mantissa: its cancellation costs |alpha| x 1e-19),
over the probabilities above 1e-300, and the largest |sum over t of P(tau_k = t) - 1|.
"""
from __future__ import annotations

import json
import os
import warnings

import numpy as np

import ppl
from ppl.stdlib import changepoint as C

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def probabilities_by_alpha_beta(ell):
    """P(tau_k = t) as [k, t] by exp(alpha + ell + beta - total), in ell's precision."""
    T, M1 = ell.shape
    alpha, beta = C.forward(ell), C.backward(ell)
    out = np.zeros((M1 - 1, T), dtype=alpha.dtype)
    with np.errstate(all="ignore"):
        for k in range(1, M1):
            out[k - 1, 1:] = np.exp(alpha[:-1, k - 1] + ell[1:, k] + beta[1:, k] - alpha[-1, -1])
    return out


def main():
    warnings.simplefilter("ignore")
    d = os.path.join(ROOT, "examples", "mean_shift")
    with open(os.path.join(d, "data.json")) as fh:
        data = json.load(fh)
    bm = ppl.compile_file(os.path.join(d, "model.ppl")).bind(data, backend="numpy")
    print(f"{'theta':28s} {'|alpha|':>9s} {'method':12s} {'max rel err':>11s} {'max |sum - 1|':>13s}")
    for label, sigma in (("true mu, sigma", data["true_sigma"]), ("true mu, sigma / 4", data["true_sigma"] / 4)):
        theta = np.concatenate([data["true_mu"], [np.log(sigma)]])
        ell = bm.changepoint_tables(theta[None])["tau"][0]
        ref = probabilities_by_alpha_beta(ell.astype(np.longdouble))
        keep = ref > 1e-300
        size = abs(float(C.forward(ell)[-1, -1]))
        for method, p in (("alpha+beta", probabilities_by_alpha_beta(ell)),
                          ("sweep", C.changepoint_probabilities(ell[None])[0])):
            rel = float(np.max(np.abs(p[keep] - ref[keep]) / ref[keep]))
            off = float(np.max(np.abs(p.sum(axis=1) - 1.0)))
            print(f"{label:28s} {size:9.3g} {method:12s} {rel:11.2e} {off:13.2e}")


if __name__ == "__main__":
    main()
