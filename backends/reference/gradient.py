"""Log density and its gradient in the unconstrained parameters, by running
the AD-transformed program (ppl.ad) on a batch of draws."""
from __future__ import annotations

import numpy as np

from ppl.ad import gradient_program
from ppl.transforms import TRANSFORMS

from .adjoint import GradientInterpreter
from .interpreter import Frame


def log_density_gradient(bound, theta, jacobian=True, force=None):
    """(lp, grad) for one draw (d,) or a batch (S, d)."""
    theta_arr, single = bound._theta(theta)
    S = theta_arr.shape[0]
    gp = gradient_program(bound.program)
    interp = GradientInterpreter()
    f = Frame(S, env=dict(bound.data_env), force=dict(force or {}), printer=bound.printer)
    f.tape, f.taping, f.target_seed = [], True, np.ones(S)
    saved = []
    with np.errstate(all="ignore"):
        # forward: constrain (remembering what the transforms' VJPs need), then the program
        for slot in bound.slots:
            v = slot.var
            u = bound._unflatten(slot, theta_arr)
            c = v.constraint
            name = c.transform_name if c is not None else None
            if name is None:
                f.env[id(v)] = u
                saved.append((slot, u, None, []))
                continue
            args = [np.asarray(interp.eval(e, f), dtype=float) for e in c.args()]
            x, log_jac = TRANSFORMS[name].constrain(u, *args)
            bad = np.isnan(log_jac)
            if bad.any():
                f.mask = np.ones(S, dtype=bool)
                interp.fail(f, np.broadcast_to(bad, (S,)), f"invalid bounds for parameter '{v.name}'",
                            c.span or v.span)
            f.env[id(v)] = x
            if jacobian:
                f.target = f.target + np.where(np.isnan(log_jac), 0.0, log_jac)
            saved.append((slot, u, name, args))
        f.mask = np.ones(S, dtype=bool)
        interp.run(gp.forward, f)
        bound._check_lane_constraints(bound.program.transformed_parameters_vars, f, "transformed parameter")
        lp = np.where(f.failed, -np.inf, f.target)
        # reverse
        f.mask = np.ones(S, dtype=bool)
        interp.run(gp.reverse, f)
        grads = [None] * len(bound.slots)
        for k in range(len(saved) - 1, -1, -1):
            slot, u, name, args = saved[k]
            adj = gp.adjoints.get(id(slot.var))
            x_adj = f.env.get(id(adj)) if adj is not None else None
            if x_adj is None:
                x_adj = np.zeros((S,) + u.shape[1:] if name is None else (S,) + tuple(slot.shape))
            if name is None:
                u_adj = x_adj
            else:
                lj_adj = np.full(S, 1.0 if jacobian else 0.0)
                u_adj, arg_adjs = TRANSFORMS[name].constrain_vjp(u, args, x_adj, lj_adj)
                if id(slot.var) in gp.bound_reverse:
                    seeds, stmts = gp.bound_reverse[id(slot.var)]
                    for seed, a in zip(seeds, arg_adjs):
                        f.env[id(seed)] = np.asarray(a)
                    f.mask = np.ones(S, dtype=bool)
                    interp.run(stmts, f)
            grads[k] = bound._flatten(slot, np.broadcast_to(u_adj, (S,) + u.shape[1:]))
    grad = np.concatenate(grads, axis=1) if grads else np.zeros((S, 0))
    grad = np.where(np.isfinite(lp)[:, None], grad, np.nan)
    if single:
        return float(lp[0]), grad[0]
    return lp, grad
