"""The result of a variational fit: draws, summary, ELBO trace, diagnostics."""
from __future__ import annotations

import numpy as np


class Fit:
    def __init__(self):
        self.draws: dict[str, np.ndarray] = {}      # name -> (n_draws, *shape), constrained
        self.columns: list[str] = []                # Stan names name.1.2 in CSV order
        self.matrix: np.ndarray | None = None       # (n_draws, n_columns)
        self.log_p: np.ndarray | None = None
        self.log_g: np.ndarray | None = None
        self.theta: np.ndarray | None = None        # unconstrained draws
        self.elbo: list = []
        self.elbo_trace: list = []
        self.diagnostics: dict = {"warnings": []}
        self.settings: dict = {}
        self.guide: dict = {}
        self.guide_name = ""
        self.changepoints: dict = {}                # name -> posterior summary (see changepoint_posterior)

    @classmethod
    def from_guide(cls, bm, guide, phi, trace, rng, n_draws: int, seed: int,
                   psis_resample: bool = False) -> "Fit":
        """Draws from the fitted guide; with ``psis_resample`` they are resampled (with
        replacement) by Pareto-smoothed importance weights p/q, as Stan's Pathfinder does,
        which corrects what a Gaussian guide cannot represent when k-hat is below 0.7."""
        fit = cls()
        theta = guide.draw(phi, rng, n_draws)
        log_p = np.asarray(bm.log_density(theta), dtype=float)
        log_g = np.asarray(guide.log_q(phi, theta), dtype=float)
        from .psis import psis_weights
        w, fit.diagnostics["pareto_k"] = psis_weights(log_p - log_g)
        if psis_resample:
            fit.diagnostics["psis_ess"] = float(1.0 / np.sum(w * w))
            idx = rng.choice(n_draws, size=n_draws, replace=True, p=w)
            theta, log_p, log_g = theta[idx], log_p[idx], log_g[idx]
        fit.theta, fit.log_p, fit.log_g = theta, log_p, log_g
        values = bm.constrained_values(theta, include_tp=True, include_gq=True, seed=seed)
        failed = values.pop("__failed__", None)
        message = values.pop("__message__", None)
        if failed is not None and np.any(failed):
            msg, span = message
            where = f"{span.path}:{span.line}:{span.col}: " if span is not None and span.line else ""
            fit.diagnostics["warnings"].append(
                f"{int(np.sum(failed))} of {n_draws} draws were rejected while computing transformed "
                f"parameters or generated quantities ({where}{msg})")
        fit.draws = values
        fit.columns = bm.param_names(include_tp=True, include_gq=True)
        cols = []
        for name, v in values.items():
            x = np.asarray(v, dtype=float)
            decl_matrix = x.ndim >= 3 and _is_matrix(bm, name)
            if decl_matrix:
                x = np.swapaxes(x, -1, -2)
            cols.append(x.reshape(n_draws, -1))
        fit.matrix = np.concatenate(cols, axis=1) if cols else np.zeros((n_draws, 0))
        for name, (probs, taus) in _changepoint_draws(bm, theta, rng).items():
            fit.draws[name] = taus
            M = taus.shape[1]
            fit.columns += [f"{name}.{k + 1}" for k in range(M)]
            fit.matrix = np.concatenate([fit.matrix, taus.astype(float)], axis=1)
            fit.changepoints[name] = changepoint_posterior(probs)
        fit.elbo = [e for _, e in trace.elbo_eval]
        fit.elbo_trace = list(trace.elbo)
        fit.diagnostics.update({"converged": trace.converged, "iterations": trace.iterations,
                                "rejected_steps": trace.rejected, "gradient_evaluations": trace.grad_evals,
                                "nonfinite_draws": int(np.sum(~np.isfinite(fit.log_p)))})
        fit.guide = guide.describe(phi)
        fit.guide_name = guide.name
        return fit

    def summary(self, probs=(0.05, 0.5, 0.95)) -> list[dict]:
        rows = []
        for j, name in enumerate(self.columns):
            x = self.matrix[:, j]
            x = x[np.isfinite(x)]
            q = np.quantile(x, probs) if x.size else [np.nan] * len(probs)
            rows.append({"name": name, "mean": float(np.mean(x)) if x.size else np.nan,
                         "sd": float(np.std(x, ddof=1)) if x.size > 1 else np.nan,
                         **{f"{int(round(100 * p))}%": float(v) for p, v in zip(probs, q)}})
        return rows

    def summary_text(self) -> str:
        from ppl.reports import table
        cp_cols = {f"{n}.{k + 1}" for n, c in self.changepoints.items() for k in range(len(c["mean"]))}
        rows = [[r["name"], *(f"{r[k]:.4g}" for k in ("mean", "sd", "5%", "50%", "95%"))]
                for r in self.summary() if r["name"] not in cp_cols]
        text = table(["name", "mean", "sd", "5%", "50%", "95%"], rows, indent="")
        if self.changepoints:
            crows = []
            for name, c in self.changepoints.items():
                for k in range(len(c["mean"])):
                    lo, hi = c["interval_90"][k]
                    crows.append([f"{name}.{k + 1}", f"{c['mean'][k]:.4g}", f"{c['sd'][k]:.3g}", c["mode"][k],
                                  f"{c['mode_probability'][k]:.3f}", lo, hi])
            text += "\nchangepoints (exact posterior, averaged over the guide's draws):\n"
            text += table(["name", "mean", "sd", "mode", "P(mode)", "5%", "95%"], crows, indent="")
        return text

    def to_arviz(self):
        try:
            import arviz
        except ImportError:  # pragma: no cover - optional extra
            raise ImportError("to_arviz() needs ArviZ: pip install 'pplc[arviz]'") from None
        posterior = {k: np.asarray(v)[None] for k, v in self.draws.items()}
        return arviz.from_dict(posterior=posterior,
                               sample_stats={"lp": self.log_p[None], "log_g": self.log_g[None]})


def changepoint_posterior(probs: np.ndarray) -> dict:
    """Summaries of P(tau_k = t) given as probs (M, T) over 1-based times t = 1..T."""
    M, T = probs.shape
    times = np.arange(1, T + 1)
    mean = probs @ times
    sd = np.sqrt(np.maximum(probs @ times ** 2 - mean ** 2, 0.0))
    mode = times[np.argmax(probs, axis=1)]
    cdf = np.cumsum(probs, axis=1)
    lo = times[np.argmax(cdf >= 0.05, axis=1)]
    hi = times[np.argmax(cdf >= 0.95, axis=1)]
    return {"probabilities": probs, "mean": mean, "sd": sd, "mode": mode.tolist(),
            "mode_probability": probs.max(axis=1), "interval_90": list(zip(lo.tolist(), hi.tolist()))}


def _changepoint_draws(bm, theta, rng, chunk=100):
    """Per changepoints parameter: P(tau_k = t | y, theta) averaged over the draws, and
    one exact joint draw of tau per draw (backward sampling)."""
    from ppl.stdlib import changepoint
    if not bm.model.program.changepoint_params:
        return {}
    sums, draws = {}, {}
    for start in range(0, theta.shape[0], chunk):
        tables = bm.changepoint_tables(theta[start:start + chunk])
        for name, ell in tables.items():
            p = changepoint.changepoint_probabilities(ell)
            p = np.where(np.isfinite(p), p, 0.0)
            sums[name] = sums.get(name, 0.0) + p.sum(axis=0)
            draws.setdefault(name, []).append(changepoint.sample(ell, rng))
    return {name: (sums[name] / theta.shape[0], np.concatenate(draws[name])) for name in sums}


def _is_matrix(bm, name) -> bool:
    for v in [*bm.model.program.continuous_params, *bm.model.program.transformed_parameters_vars,
              *bm.model.program.generated_quantities_vars]:
        if v.name == name:
            return v.type.shape == "matrix"
    return False
