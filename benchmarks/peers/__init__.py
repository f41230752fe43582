"""Peer systems for pplc's benchmarks (NumPyro/JAX, Stan through pystan's httpstan).

``POSTERIORS`` maps each posteriordb posterior the benchmarks use to pplc's
model file and its data; ``available()`` says which peers import.
"""
from __future__ import annotations

import importlib.util
import json
import os

BENCH = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ROOT = os.path.dirname(BENCH)
EXAMPLES = os.path.join(ROOT, "examples")

ORDER = ["earnings-earn_height", "kidiq-kidscore_momiq", "arK-arK", "garch-garch11",
         "eight_schools-eight_schools_noncentered", "sblri-blr", "diamonds-diamonds",
         "low_dim_gauss_mix-low_dim_gauss_mix"]


def posterior_files(name: str) -> tuple[str, str]:
    """(model.ppl, data.json) of a posterior: pplc's examples/ folder of that name."""
    d = os.path.join(EXAMPLES, name)
    if not os.path.isdir(d):
        raise KeyError(name)
    return os.path.join(d, "model.ppl"), os.path.join(d, "data.json")


def load_data(name: str) -> dict:
    with open(posterior_files(name)[1]) as fh:
        return json.load(fh)


def available() -> dict[str, bool]:
    def has(mod):
        try:
            return importlib.util.find_spec(mod) is not None
        except (ImportError, ValueError):
            return False
    return {"jax": has("jax") and has("jaxlib"), "numpyro": has("numpyro") and has("jax"),
            "stan": has("httpstan") and has("stan")}
