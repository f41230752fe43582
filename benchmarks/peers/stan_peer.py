"""Stan as a peer, through pystan 3's httpstan (no CmdStan download needed).

* ``build(name, cold=True)``: stanc + g++ of the model's httpstan extension
  module, timed (this is what ``stan.build`` pays on a new model); ``cold``
  first deletes httpstan's cached module for that program.
* ``build_driver(name)``: compiles ``stan_grad.cpp`` against the C++ that
  httpstan generated, so gradients are timed with the model built once.
* ``gradients(name, points, min_seconds)``: runs the driver: Stan's log
  density (constants kept, Jacobian on) and gradient at each point, and µs per
  gradient.
* ``httpstan_call_us(name, theta, reps)``: µs per call of the extension
  module's ``log_prob_grad`` (rebuilds the model from the data dict per call).

pplc's ``model.ppl`` files are Stan programs, so Stan compiles them as they are.
Build artefacts for the driver live in ``$XDG_CACHE_HOME/pplc-bench/stan``.
"""
from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import tempfile
import time

import numpy as np

from . import load_data, posterior_files

HERE = os.path.dirname(os.path.abspath(__file__))
CACHE = os.path.join(os.environ.get("XDG_CACHE_HOME", os.path.expanduser("~/.cache")), "pplc-bench", "stan")


def program(name: str) -> str:
    with open(posterior_files(name)[0]) as fh:
        return fh.read()


def _httpstan():
    import httpstan.cache
    import httpstan.models
    return httpstan


def model_id(name: str) -> str:
    return _httpstan().models.calculate_model_name(program(name))


def build(name: str, cold: bool = True) -> float:
    """Seconds to build the model's httpstan extension module (0.0 if cached and not cold)."""
    hs = _httpstan()
    code = program(name)
    mname = hs.models.calculate_model_name(code)
    mdir = hs.cache.model_directory(mname)
    if cold and mdir.exists():
        hs.cache.delete_model_directory(mname)
    elif not cold:
        try:
            hs.models.import_services_extension_module(mname)
            return 0.0
        except KeyError:
            pass
    t0 = time.perf_counter()
    asyncio.run(hs.models.build_services_extension_module(code))
    elapsed = time.perf_counter() - t0
    hs.models.import_services_extension_module(mname)       # fails loudly if the build did not work
    return elapsed


def module(name: str):
    hs = _httpstan()
    return hs.models.import_services_extension_module(model_id(name))


def _driver_path(name: str) -> str:
    return os.path.join(CACHE, model_id(name).split("/")[1], "stan_grad")


def build_driver(name: str) -> float:
    """Seconds to compile the timing driver for this model (0.0 if already built)."""
    hs = _httpstan()
    exe = _driver_path(name)
    if os.path.exists(exe):
        return 0.0
    mdir = hs.cache.model_directory(model_id(name))
    cpps = [p for p in mdir.iterdir() if p.suffix == ".cpp"] if mdir.exists() else []
    if not cpps:
        build(name, cold=False)
        cpps = [p for p in mdir.iterdir() if p.suffix == ".cpp"]
    pkg = os.path.dirname(hs.__file__)
    inc = os.path.join(pkg, "include")
    lib = os.path.join(pkg, "lib")
    os.makedirs(os.path.dirname(exe), exist_ok=True)
    cmd = ["g++", "-O3", "-std=c++17", "-w",
           "-DBOOST_DISABLE_ASSERTS", "-DBOOST_PHOENIX_NO_VARIADIC_EXPRESSION", "-DSTAN_THREADS", "-D_REENTRANT",
           "-D_GLIBCXX_USE_CXX11_ABI=0",
           "-I", str(mdir), "-I", inc, "-I", os.path.join(inc, "rapidjson", "include") if os.path.isdir(
               os.path.join(inc, "rapidjson", "include")) else inc,
           "-include", str(cpps[0]), os.path.join(HERE, "stan_grad.cpp"),
           "-o", exe + ".tmp", "-L", lib, "-ltbb", f"-Wl,-rpath,{lib}"]
    t0 = time.perf_counter()
    res = subprocess.run(cmd, capture_output=True, text=True)
    if res.returncode != 0:
        raise RuntimeError("building the Stan gradient driver failed:\n" + res.stderr[-3000:])
    os.replace(exe + ".tmp", exe)
    return time.perf_counter() - t0


def gradients(name: str, points: np.ndarray, min_seconds: float = 1.0):
    """(lp (n,), grad (n, d), µs per gradient) from the compiled driver."""
    exe = _driver_path(name)
    if not os.path.exists(exe):
        build_driver(name)
    data_path = posterior_files(name)[1]
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as fh:
        fh.write(f"{points.shape[0]} {points.shape[1]}\n")
        for row in points:
            fh.write(" ".join(repr(float(x)) for x in row) + "\n")
        pts = fh.name
    try:
        res = subprocess.run([exe, data_path, pts, str(min_seconds)], capture_output=True, text=True)
    finally:
        os.unlink(pts)
    if res.returncode != 0:
        raise RuntimeError(f"stan_grad failed: {res.stderr[-2000:]}")
    lps, grads, us = [], [], float("nan")
    for line in res.stdout.splitlines():
        parts = line.split()
        if parts[0] == "lp":
            lps.append(float(parts[1]))
            grads.append([float(x) for x in parts[2:]])
        elif parts[0] == "us_per_grad":
            us = float(parts[1])
    return np.array(lps), np.array(grads), us


def httpstan_call_us(name: str, theta: np.ndarray, reps: int = 50) -> float:
    mod = module(name)
    data = load_data(name)
    th = [float(x) for x in theta]
    mod.log_prob_grad(data, th, True)
    t0 = time.perf_counter()
    for _ in range(reps):
        mod.log_prob_grad(data, th, True)
    return 1e6 * (time.perf_counter() - t0) / reps


def clear_driver_cache():
    shutil.rmtree(CACHE, ignore_errors=True)


def clear_driver_cache_for(name: str):
    shutil.rmtree(os.path.dirname(_driver_path(name)), ignore_errors=True)
