"""Synthetic Gaussian mean-shift series: T = 10,000 steps, 5 changepoints.

Run from this folder:  python make_data.py   (writes data.json; seed fixed)
"""
import json

import numpy as np

T = 10000
TRUE_TAU = [1200, 3400, 5100, 7600, 8900]          # first step of segments 2..6
TRUE_MU = [0.0, 1.5, -0.5, 2.0, 0.7, -1.2]
SIGMA = 1.0

rng = np.random.default_rng(20261121)
seg = np.searchsorted(TRUE_TAU, np.arange(1, T + 1), side="right")
y = np.asarray(TRUE_MU)[seg] + SIGMA * rng.standard_normal(T)
json.dump({"T": T, "y": np.round(y, 6).tolist(), "true_tau": TRUE_TAU, "true_mu": TRUE_MU,
           "true_sigma": SIGMA}, open("data.json", "w"))
