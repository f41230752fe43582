"""Python API.  Method names follow BridgeStan so Stan users feel at home::

    model = ppl.compile_file("model.ppl")
    bm = model.bind("data.json")
    bm.param_unc_num(); bm.param_names(); bm.log_density(theta)
"""
from __future__ import annotations

import os
from typing import Optional

import numpy as np

from ppl.compiler import compile_program, read_source
from ppl.frontend.errors import Source
from ppl.ir.guards import GuardSite, source_text
from ppl.ir.nodes import Program


class Model:
    """A compiled model, not yet bound to data."""

    def __init__(self, program: Program, source: str, path: str):
        self.program = program
        self.source = source
        self.path = path

    @property
    def name(self) -> str:
        base = os.path.basename(self.path)
        return os.path.splitext(base)[0] if base and self.path != "<string>" else "model"

    @property
    def guards(self) -> list[GuardSite]:
        """Guard sites: each has ``id``, ``line``, ``col``, ``text``, ``kind``."""
        return list(self.program.guards)

    @property
    def changepoints(self) -> list:
        return self.program.changepoint_params

    def parameter_decls(self) -> list[dict]:
        """Parameters as declared (sizes as written), for reports without data."""
        out = []
        for v in self.program.parameters:
            sizes = [source_text(self.source, e.span) for e in [*v.array_sizes, *v.sizes]]
            out.append({"name": v.name, "keyword": v.keyword, "sizes": sizes,
                        "constraint": constraint_text(self.source, v)})
        return out

    def infer(self, data=None, backend: Optional[str] = None, **options):
        """Bind ``data`` and fit by variational inference: ``model.infer(data, iter=..., seed=...)``
        (``backend`` as in :meth:`bind`)."""
        return self.bind(data, backend=backend).infer(**options)

    def bind(self, data=None, seed: int = 0, backend: Optional[str] = None, printer=None) -> "BoundModel":
        """Bind data (a dict, a JSON string, or a path to a CmdStan JSON file).

        ``backend``: 'numba' (native code, cached on disk; the default, or
        the PPLC_BACKEND environment variable) or 'numpy' (the reference
        interpreter, no compile step).  A model using something the native
        generator does not handle yet runs on numpy; ``backend_note`` says why."""
        backend = backend or os.environ.get("PPLC_BACKEND") or "numba"
        if backend not in BACKENDS:
            raise ValueError(f"unknown backend {backend!r}; available: {', '.join(map(repr, BACKENDS))}")
        from ppl.backends.reference import ReferenceBackend
        from ppl.backends.reference.interpreter import default_printer
        bound = ReferenceBackend(self.program).bind({} if data is None else data, seed=seed,
                                                    printer=printer or default_printer)
        bm = BoundModel(self, bound)
        if backend == "numba":
            from ppl.backends.numba import NativeModel, Unsupported
            try:
                bm._native = NativeModel(bound)
                bm.backend = "numba"
            except Unsupported as e:
                bm.backend_note = (f"the numba backend does not compile {e.what} (line {e.where()}) yet; "
                                   "using the numpy backend")
        return bm


BACKENDS = ("numba", "numpy")


class BoundModel:
    """A model with its data: log density and parameter transforms (BridgeStan names)."""

    def __init__(self, model: Model, impl):
        self.model = model
        self._impl = impl
        self._native = None
        self._affine = None
        self.backend = "numpy"
        self.backend_note = ""

    # -- BridgeStan-style queries
    def name(self) -> str:
        return self.model.name

    def param_unc_num(self) -> int:
        return self._impl.dim

    def param_num(self, include_tp: bool = False, include_gq: bool = False) -> int:
        return len(self.param_names(include_tp, include_gq))

    def param_names(self, include_tp: bool = False, include_gq: bool = False) -> list[str]:
        return self._impl.param_names(include_tp, include_gq)

    def param_unc_names(self) -> list[str]:
        return self._impl.param_unc_names()

    def log_density(self, theta_unc, jacobian: bool = True, force: Optional[dict] = None):
        """log p(theta, y) at unconstrained ``theta`` (shape (d,) or a batch (S, d)).

        Every ``~`` keeps its normalising constants (pplc never drops them:
        constants that differ between the two sides of a parametric branch
        are part of the jump).  ``force`` maps a guard id, or (id, loop
        key), to True/False to evaluate with that guard forced."""
        if self._native is not None:
            return self._native.log_density(theta_unc, jacobian, force)
        return self._impl.log_density(theta_unc, jacobian, force)

    def log_density_jumps(self, theta_unc, forced: dict):
        """Per draw of a batch (S, d): log p with a set of guard instances forced true minus
        log p with them forced false (the jump across their surface; Jacobians cancel).
        ``forced`` maps (guard id, loop key) to a bool array (S,): is that instance in draw
        s's set.  On the numba backend one pass computes only the terms that differ
        (backends/numba/jumps.py): terms the set does not reach cancel exactly, even when
        not finite."""
        if self._native is not None:
            return self._native.log_density_jumps(theta_unc, forced)
        return self._impl.log_density_jumps(theta_unc, forced)

    def log_density_gradient(self, theta_unc, jacobian: bool = True, force: Optional[dict] = None):
        """(log density, gradient) at unconstrained ``theta`` (d,) or a batch (S, d).

        Reverse mode by source transformation of the IR (ppl.ad): at a branch,
        the derivative of the branch taken; at kinks a fixed one-sided value."""
        if self._native is not None:
            return self._native.log_density_gradient(theta_unc, jacobian, force)
        from ppl.backends.reference.gradient import log_density_gradient
        return log_density_gradient(self._impl, theta_unc, jacobian, force)

    def param_constrain(self, theta_unc, include_tp: bool = False, include_gq: bool = False,
                        seed: int = 0) -> np.ndarray:
        return self._impl.param_constrain(theta_unc, include_tp, include_gq, seed)

    def param_unconstrain(self, values) -> np.ndarray:
        """Constrained values (dict name -> array, or a flat vector in param_names() order)."""
        if not isinstance(values, dict):
            values = self._split_flat(np.asarray(values, dtype=float))
        return self._impl.param_unconstrain(values)

    def _split_flat(self, flat: np.ndarray) -> dict:
        out, pos = {}, 0
        batched = flat.ndim == 2
        flat2 = flat if batched else flat[None]
        for slot in self._impl.slots:
            n = int(np.prod(slot.shape)) if slot.shape else 1
            chunk = flat2[:, pos:pos + n]
            pos += n
            if slot.var.type.shape == "matrix":
                r, c = slot.shape[-2], slot.shape[-1]
                x = np.swapaxes(chunk.reshape((chunk.shape[0],) + slot.shape[:-2] + (c, r)), -1, -2)
            else:
                x = chunk.reshape((chunk.shape[0],) + slot.shape)
            out[slot.name] = x if batched else x[0]
        if pos != flat2.shape[1]:
            raise ValueError(f"expected {pos} constrained values, got {flat2.shape[1]}")
        return out

    def infer(self, **options):
        """Variational inference (see ppl.infer.vi.infer for the options)."""
        from ppl.infer.vi import infer
        return infer(self, **options)

    # -- pplc extras
    @property
    def guards(self) -> list[GuardSite]:
        return self.model.guards

    def guard_instances(self):
        return self._impl.guard_instances()

    def guard_instance_counts(self) -> dict[int, int]:
        return self._impl.guard_instance_counts()

    def affine_coefficients(self) -> dict:
        """(site, loop key) -> (c0, c) of every affine guard instance (g = c0 + c . theta);
        computed once per bound model (a reference evaluation at d + 1 points): do not modify."""
        if self._affine is None:
            self._affine = self._impl.affine_coefficients()
        return self._affine

    def changepoint_tables(self, theta_unc) -> dict:
        return self._impl.changepoint_tables(theta_unc)

    def guard_values(self, theta_unc) -> dict:
        return self._impl.guard_values(theta_unc)

    def constrained_values(self, theta_unc, include_tp=True, include_gq=False, seed=0) -> dict:
        return self._impl.constrained_values(theta_unc, include_tp, include_gq, seed)

    @property
    def parameter_slots(self):
        return self._impl.slots

    @property
    def extra_data_names(self) -> list[str]:
        return self._impl.extra_names


def constraint_text(source: str, v) -> str:
    c = v.constraint
    if c is None:
        return "none"
    if c.kind in ("ordered", "positive_ordered", "simplex", "changepoints"):
        return c.kind
    parts = []
    for key in ("lower", "upper", "offset", "multiplier"):
        e = getattr(c, key)
        if e is not None:
            parts.append(f"{key}={source_text(source, e.span)}")
    return "<" + ", ".join(parts) + ">"


def compile(source: str, path: str = "<string>") -> Model:  # noqa: A001 - the public name
    return Model(compile_program(source, path), source, path)


def compile_file(path: str) -> Model:
    path = os.fspath(path)
    source = read_source(path)
    return compile(source, path)


def sources_for(model_or_path, source: Optional[str] = None) -> dict[str, Source]:
    if isinstance(model_or_path, Model):
        return {model_or_path.path: Source(model_or_path.source, model_or_path.path)}
    return {model_or_path: Source(source or "", model_or_path)}
