"""Result files of ``pplc infer``: Stan CSV draws, a summary CSV, fit.json.

Every file is written to a temporary name in the same directory and renamed
into place, so a reader never sees half a file.
"""
from __future__ import annotations

import csv
import io
import json
import os
import platform
import tempfile

import numpy as np


def atomic_write(path: str, text: str):
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=directory)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def versions() -> dict:
    import lark
    import numba
    import scipy

    import ppl
    return {"pplc": ppl.__version__, "python": platform.python_version(), "numpy": np.__version__,
            "scipy": scipy.__version__, "lark": lark.__version__, "numba": numba.__version__}


def stan_csv(fit, model_path: str, data_path: str | None) -> str:
    """Draws in Stan's CSV layout (as CmdStan's variational method writes them):
    '#' comment lines with the configuration, then lp__, log_p__, log_g__ and the
    parameters as name.1.2; lp__ is 0 as in CmdStan's ADVI output."""
    out = io.StringIO()
    s = fit.settings
    out.write("# model = " + os.path.basename(model_path) + "\n")
    out.write("# method = variational\n")
    out.write(f"#   algorithm = {s.get('guide', '')}\n")
    out.write(f"#   estimator = {s.get('estimator', '')}\n")
    for key in ("iter", "samples", "draws", "lr", "tol_rel_obj", "eval_elbo", "seed"):
        if key in s:
            out.write(f"#   {key} = {s[key]}\n")
    out.write(f"# data = {data_path or ''}\n")
    out.write(f"# pplc = {versions()['pplc']}\n")
    if fit.diagnostics.get("partial"):
        out.write("# partial = true (the run was interrupted; these draws are from the guide so far)\n")
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["lp__", "log_p__", "log_g__", *fit.columns])
    for i in range(fit.matrix.shape[0]):
        writer.writerow(["0", _num(fit.log_p[i]), _num(fit.log_g[i]), *(_num(x) for x in fit.matrix[i])])
    return out.getvalue()


def summary_csv(fit) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    rows = fit.summary()
    writer.writerow(["name", "mean", "sd", "5%", "50%", "95%"])
    for r in rows:
        writer.writerow([r["name"], *(_num(r[k]) for k in ("mean", "sd", "5%", "50%", "95%"))])
    return out.getvalue()


def fit_json(fit, model_path: str, data_path: str | None) -> str:
    doc = {
        "model": model_path, "data": data_path, "settings": fit.settings,
        "guide": {"family": fit.guide_name, **fit.guide},
        "elbo": fit.elbo, "elbo_trace": fit.elbo_trace,
        "diagnostics": fit.diagnostics, "versions": versions(),
        "changepoints": fit.changepoints,
    }
    return json.dumps(_jsonable(doc), indent=1, allow_nan=False)


def write_all(fit, output_dir: str, model_path: str, data_path: str | None):
    atomic_write(os.path.join(output_dir, "draws.csv"), stan_csv(fit, model_path, data_path))
    atomic_write(os.path.join(output_dir, "summary.csv"), summary_csv(fit))
    atomic_write(os.path.join(output_dir, "fit.json"), fit_json(fit, model_path, data_path))


def _num(x) -> str:
    x = float(x)
    if np.isnan(x):
        return "nan"
    if np.isinf(x):
        return "inf" if x > 0 else "-inf"
    return repr(x)


def _jsonable(x):
    if isinstance(x, dict):
        return {str(k): _jsonable(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_jsonable(v) for v in x]
    if isinstance(x, np.ndarray):
        return _jsonable(x.tolist())
    if isinstance(x, (np.floating, float)):
        x = float(x)
        return x if np.isfinite(x) else str(x)
    if isinstance(x, (np.integer,)):
        return int(x)
    if isinstance(x, (np.bool_,)):
        return bool(x)
    return x
