"""Result files of ``pplc infer``: Stan CSV draws, a summary CSV, fit.json.

Every file is written to a temporary name in the same directory and renamed
into place, so a reader never sees half a file.  The files of one run form a
set: all of them carry the same ``run_id``, a manifest (``.pplc-run.json``)
lists them, and a new run replaces the whole set, removing files of an
earlier run that it does not write itself.  The renames happen with Ctrl-C
held back, so an interrupt never leaves old and new files mixed.  A run
stopped by Ctrl-C writes its set marked partial (``# partial = true`` in the
CSV files, ``"partial": true`` in fit.json and the manifest).
"""
from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import platform
import signal
import tempfile
import threading
import time
import uuid

import numpy as np

TMP_PREFIX = ".tmp-pplc-"
MANIFEST = ".pplc-run.json"
OUTPUT_FILES = ("draws.csv", "summary.csv", "fit.json")
# every file name any pplc run may write: a new run removes those it does not write itself
KNOWN_OUTPUTS = set(OUTPUT_FILES)


def _stage(directory: str, name: str, text: str) -> str:
    """Write ``text`` to a temporary file in ``directory``; return its path."""
    fd, tmp = tempfile.mkstemp(prefix=TMP_PREFIX + name + "-", dir=directory)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return tmp


def atomic_write(path: str, text: str):
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    tmp = _stage(directory, os.path.basename(path), text)
    try:
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


@contextlib.contextmanager
def sigint_deferred():
    """Hold back Ctrl-C inside the block; deliver it (KeyboardInterrupt) when the block ends."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    received = []
    try:
        previous = signal.signal(signal.SIGINT, lambda sig, frame: received.append(sig))
    except (ValueError, OSError):
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
        if received:
            if callable(previous):
                previous(signal.SIGINT, None)
            elif previous == signal.SIG_DFL:
                raise KeyboardInterrupt


def write_set(output_dir: str, files: dict[str, str], meta: dict) -> None:
    """Replace the result set in ``output_dir`` by ``files`` (name -> text) as a whole.

    Ctrl-C is held back until the set is complete (a run interrupted once already
    must not lose its partial results to an impatient second Ctrl-C)."""
    os.makedirs(output_dir, exist_ok=True)
    staged = {}
    with sigint_deferred():
        try:
            for name, text in files.items():
                staged[name] = _stage(output_dir, name, text)
            manifest = json.dumps({**meta, "files": sorted(files)}, indent=1)
            staged[MANIFEST] = _stage(output_dir, MANIFEST, manifest)
            old = _previous_outputs(output_dir)
            # 1. no manifest while the set changes: a reader (or a crash) never sees a stale one
            with contextlib.suppress(FileNotFoundError):
                os.unlink(os.path.join(output_dir, MANIFEST))
            # 2. files of earlier runs that this run does not write
            for name in sorted(old - set(files)):
                with contextlib.suppress(FileNotFoundError, IsADirectoryError, PermissionError):
                    os.unlink(os.path.join(output_dir, name))
            # 3. the new files, then the manifest that vouches for them
            for name in files:
                os.replace(staged.pop(name), os.path.join(output_dir, name))
            os.replace(staged.pop(MANIFEST), os.path.join(output_dir, MANIFEST))
        finally:
            for tmp in staged.values():
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
    _remove_stale_temporaries(output_dir)


def _previous_outputs(output_dir: str) -> set:
    names = {n for n in KNOWN_OUTPUTS if os.path.exists(os.path.join(output_dir, n))}
    try:
        with open(os.path.join(output_dir, MANIFEST), encoding="utf-8") as fh:
            listed = json.load(fh).get("files", [])
        # only plain file names in this directory (a manifest is not trusted to point elsewhere)
        names |= {n for n in listed if isinstance(n, str) and n == os.path.basename(n)
                  and n not in ("", ".", "..", MANIFEST)}
    except (OSError, ValueError, AttributeError):
        pass
    return names


def _remove_stale_temporaries(output_dir: str, older_than: float = 3600.0):
    """Temporary files left by runs that were killed outright (SIGKILL, power loss)."""
    now = time.time()
    try:
        entries = list(os.scandir(output_dir))
    except OSError:
        return
    for entry in entries:
        if entry.name.startswith(TMP_PREFIX):
            with contextlib.suppress(OSError):
                if now - entry.stat().st_mtime > older_than:
                    os.unlink(entry.path)


def versions() -> dict:
    import lark
    import numba
    import scipy

    import ppl
    return {"pplc": ppl.__version__, "python": platform.python_version(), "numpy": np.__version__,
            "scipy": scipy.__version__, "lark": lark.__version__, "numba": numba.__version__}


def stan_csv(fit, model_path: str, data_path: str | None, run_id: str = "") -> str:
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
    if run_id:
        out.write(f"# run_id = {run_id}\n")
    if fit.diagnostics.get("partial"):
        out.write("# partial = true (the run was interrupted; these draws are from the guide so far)\n")
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["lp__", "log_p__", "log_g__", *fit.columns])
    for i in range(fit.matrix.shape[0]):
        writer.writerow(["0", _num(fit.log_p[i]), _num(fit.log_g[i]), *(_num(x) for x in fit.matrix[i])])
    return out.getvalue()


def summary_csv(fit, run_id: str = "") -> str:
    out = io.StringIO()
    if fit.diagnostics.get("partial"):
        # comment lines only for partial runs: a complete summary stays a plain CSV table
        out.write("# partial = true (the run was interrupted; summaries of the guide so far)\n")
        if run_id:
            out.write(f"# run_id = {run_id}\n")
    writer = csv.writer(out, lineterminator="\n")
    rows = fit.summary()
    writer.writerow(["name", "mean", "sd", "5%", "50%", "95%"])
    for r in rows:
        writer.writerow([r["name"], *(_num(r[k]) for k in ("mean", "sd", "5%", "50%", "95%"))])
    return out.getvalue()


def fit_json(fit, model_path: str, data_path: str | None, run_id: str = "") -> str:
    doc = {
        "run_id": run_id, "partial": bool(fit.diagnostics.get("partial")),
        "model": model_path, "data": data_path, "settings": fit.settings,
        "guide": {"family": fit.guide_name, **fit.guide},
        "elbo": fit.elbo, "elbo_trace": fit.elbo_trace,
        "diagnostics": fit.diagnostics, "versions": versions(),
        "changepoints": fit.changepoints,
    }
    return json.dumps(_jsonable(doc), indent=1, allow_nan=False)


def new_run_id() -> str:
    return time.strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:8]


def write_all(fit, output_dir: str, model_path: str, data_path: str | None) -> str:
    """Write draws.csv, summary.csv and fit.json as one set (see the module docstring);
    return the run id they share."""
    run_id = new_run_id()
    files = {"draws.csv": stan_csv(fit, model_path, data_path, run_id),
             "summary.csv": summary_csv(fit, run_id),
             "fit.json": fit_json(fit, model_path, data_path, run_id)}
    write_set(output_dir, files, {"run_id": run_id, "partial": bool(fit.diagnostics.get("partial")),
                                  "model": model_path, "data": data_path,
                                  "written": time.strftime("%Y-%m-%dT%H:%M:%S%z")})
    return run_id


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
