"""The generated module of one bound model.

It holds ``density_one(theta, jacobian, force, <data...>, hoist)`` (the log
density of one unconstrained draw, Jacobians included, from the model's IR,
with the guard instances in the table ``force`` forced: runtime_guards.py),
``gradient_one(theta, grad, jacobian, <data...>, hoist)`` (the same value and
its gradient written into ``grad``, from the AD program of ppl.ad: the
forward sweep with its tape, the reverse sweep, then the transforms'
vector-Jacobian products), and ``density`` / ``gradient`` /
``forced_density`` over a batch ``(S, d)``: ``(thetas, jacobian, work,
<data...>, <derived...>, hoist, tape_room)``, with ``work`` a float64 buffer of at least
``S * work_per_draw`` elements the caller keeps between calls, where
``work_per_draw, derived = batched.prepared(<data...>, PREPARE)`` (derived: transposed data
matrices; see backends/numba/batched.py), and ``hoist`` the tables of the
data-only calls computed once per bind (hoisting.py), ``tape_room`` the length of
the gradient's tapes (a one-element array the generated code doubles when a
draw needs more).
"""
from __future__ import annotations

import re

from ppl.ad import nodes as D
from ppl.ir import nodes as N

from .guard_tables import FORCE_WIDTH
from .aliasing import mutated_variables
from .batched import BatchedProducts
from .codegen import FunctionGen
from .source import Unsupported, Writer
from .jumps import JumpGen

class ModuleGen:
    """The generated module of one bound model (see the module docstring)."""

    def __init__(self, program: N.Program, slots, data_vars, gradient_program):
        self.program = program
        self.slots = slots
        self.param_shapes = {id(slot.var): tuple(slot.shape) for slot in slots}
        self.data_vars = data_vars
        self.gp = gradient_program
        self._names: dict[int, str] = {}
        self._used: set[str] = set()
        self.stack_inits: list = []
        self.local_inits: dict = {}     # name -> (rank, base): defined before any push
        self.batched = BatchedProducts(slots, self.name)    # of the function being generated
        self.untaped = _untaped_declarations(gradient_program.forward, gradient_program.reverse)
        self.forcing_complete = True    # every guard instance can be forced in density_one
        self.hoist_sites: dict[int, int] = {}   # id(call) -> its table (hoisting.py)

    def name(self, v: N.Variable) -> str:
        n = self._names.get(id(v))
        if n is None:
            base = "v_" + "".join(c if c.isalnum() else "_" for c in v.name)
            n = base
            k = 1
            while n in self._used:
                k += 1
                n = f"{base}_{k}"
            self._used.add(n)
            self._names[id(v)] = n
        return n

    def data_args(self) -> str:
        return "".join(f", {self.name(v)}" for v in self.data_vars)

    # -- the parameters: constrain (forward) and the transforms' VJPs (reverse)
    def constrain(self, w: Writer, fg: FunctionGen, keep: bool):
        for k, slot in enumerate(self.slots):
            v = slot.var
            x = self.name(v)
            c = v.constraint
            tname = c.transform_name if c is not None else None
            if slot.shape and len(slot.shape) != len(slot.unc_shape):
                raise Unsupported(f"the {tname} transform", v.span)
            size = slot.size
            if slot.shape:
                shp = ", ".join(str(n) for n in slot.shape)
                u = f"np.ascontiguousarray(theta[{slot.offset}:{slot.offset + size}]).reshape(({shp},))"
            else:
                u = f"theta[{slot.offset}]"
            uname = f"u_{k}"
            w(f"{uname} = {u}")
            if tname is None:
                w(f"{x} = {uname}{'.copy()' if slot.shape and id(v) in fg.mutated else ''}")
                continue
            args = [fg.operand(a) for a in c.args()]
            if keep:
                for j, a in enumerate(args):
                    w(f"b_{k}_{j} = {a}")
                args = [f"b_{k}_{j}" for j in range(len(args))]
            if tname in ("lower", "upper", "lower_upper"):
                lb = args[0] if tname in ("lower", "lower_upper") else "-np.inf"
                ub = args[-1] if tname in ("upper", "lower_upper") else "np.inf"
                fn = "T.bounds_constrain" if slot.shape else "T.bounds_constrain1"
                w(f"{x}, _lj = {fn}({uname}, {lb}, {ub})")
            elif tname in ("ordered", "positive_ordered"):
                w(f"{x}, _lj = T.increasing_constrain({uname}, {tname == 'positive_ordered'})")
            elif tname == "affine":
                fn = "T.affine_constrain" if slot.shape else "T.affine_constrain1"
                w(f"{x}, _lj = {fn}({uname}, {args[0]}, {args[1]})")
            else:
                raise Unsupported(f"the {tname} transform", v.span)
            w("if jacobian:")
            w("    target += _lj")
        fg.param_elements_at = len(w.lines)     # the parameters exist from here on

    def transform_vjps(self, w: Writer, fg: FunctionGen):
        for k in range(len(self.slots) - 1, -1, -1):
            slot = self.slots[k]
            v = slot.var
            c = v.constraint
            tname = c.transform_name if c is not None else None
            adj = self.gp.adjoints.get(id(v))
            uname = f"u_{k}"
            if adj is None:
                xa = "0.0" if not slot.shape else f"np.zeros(({', '.join(str(n) for n in slot.shape)},))"
            else:
                xa = self.name(adj)
            lja = "(1.0 if jacobian else 0.0)"
            if tname is None:
                ua = xa
                seeds = []
            elif tname in ("lower", "upper", "lower_upper"):
                nb = len(c.args())
                lb = f"b_{k}_0" if tname in ("lower", "lower_upper") else "-np.inf"
                ub = f"b_{k}_{nb - 1}" if tname in ("upper", "lower_upper") else "np.inf"
                fn = "T.bounds_vjp" if slot.shape else "T.bounds_vjp1"
                w(f"_ua, _lba, _uba = {fn}({uname}, {lb}, {ub}, {xa}, {lja})")
                ua = "_ua"
                seeds = {"lower": ["_lba"], "upper": ["_uba"], "lower_upper": ["_lba", "_uba"]}[tname]
            elif tname in ("ordered", "positive_ordered"):
                w(f"_ua = T.increasing_vjp({uname}, {xa}, {lja}, {tname == 'positive_ordered'})")
                ua, seeds = "_ua", []
            elif tname == "affine":
                fn = "T.affine_vjp" if slot.shape else "T.affine_vjp1"
                w(f"_ua, _ma, _sa = {fn}({uname}, b_{k}_0, b_{k}_1, {xa}, {lja})")
                ua, seeds = "_ua", ["_ma", "_sa"]
            else:
                raise Unsupported(f"the {tname} transform", v.span)
            if id(v) in self.gp.bound_reverse:
                seed_vars, stmts = self.gp.bound_reverse[id(v)]
                for sv, sd in zip(seed_vars, seeds):
                    w(f"{self.name(sv)} = {sd}")
                fg.stmts(stmts)
            if len(slot.shape) == 1:    # a loop: a slice assignment makes Numba compile
                w(f"for _j in range({slot.size}):")     # its shape-error message, seconds
                w(f"    grad[{slot.offset} + _j] = {ua}[_j]")
            elif slot.shape:
                w(f"grad[{slot.offset}:{slot.offset + slot.size}] = np.ravel({ua})")
            else:
                w(f"grad[{slot.offset}] = {ua}")

    def adjoint_of(self, v: N.Variable):
        return self.gp.adjoints.get(id(v))

    def source(self) -> str:
        p = self.program
        # density (checked everywhere: it serves the ELBO's estimates and the forced densities,
        # where a second version would cost more compiling than it saves)
        wd = Writer()
        fd = FunctionGen(self, wd, mutated_variables([*p.transformed_parameters, *p.model]), forcing=True)
        wd("target = 0.0")
        self.constrain(wd, fd, keep=False)
        fd.stmts(p.transformed_parameters)
        fd.stmts(p.model)
        wd("return target")
        density_lines = drop_dead_temporaries(wd.lines)
        density_stacks = list(self.stack_inits)
        density_locals = dict(self.local_inits)
        density_batched = self.batched
        # gradient
        self.stack_inits = []
        self.local_inits = {}
        self.batched = BatchedProducts(self.slots, self.name)
        bound_stmts = [st for _, stmts in self.gp.bound_reverse.values() for st in stmts]
        mutated = mutated_variables([*self.gp.forward, *self.gp.reverse, *bound_stmts])

        def gradient(checking_once):
            wg = Writer()
            fg = FunctionGen(self, wg, mutated, differentiating=True, checking_once=checking_once)
            wg("target = 0.0")
            wg("seed = 1.0")
            self.constrain(wg, fg, keep=True)
            fg.stmts(self.gp.forward)
            fg.stmts(self.gp.reverse)
            self.transform_vjps(wg, fg)
            wg("return target")
            return drop_dead_temporaries(wg.lines), fg
        grad_lines, grad_checked, fg = self.two_versions(gradient)
        grad_stacks, grad_locals, grad_batched = self.stack_inits, self.local_inits, self.batched
        jump_lines, jump_checked, jump_locals, jump_batched = \
            self.jump_function() if p.guards else (None, None, {}, None)
        out = [HEADER]
        da = self.data_args()
        dbuf = "".join(f", {n}" for n in fd.buffers)
        gbuf = "".join(f", {n}" for n in fg.buffers)
        out += _function_versions("density_one", f"theta, jacobian, force{da}, hoist{density_batched.arguments()}{dbuf}",
                                  _stack_init_lines(density_stacks, density_locals, density_lines),
                                  density_lines, None)
        tapes, tape_lines, tape_growth = _tapes(grad_stacks, grad_lines)
        grad_head = [*_stack_init_lines([], grad_locals, []),
                     *[f"    {name}_n = 0" for name, r, _ in grad_stacks if r == 0],
                     *(["    branches_n = 0"] if "branches" in tapes else [])]
        out += _function_versions("gradient_one", f"theta, grad, jacobian{da}, hoist{grad_batched.arguments()}{tapes}{gbuf}",
                                  grad_head, grad_lines, grad_checked)
        derived = density_batched.transposed() | grad_batched.transposed()
        if jump_lines is not None:
            derived |= jump_batched.transposed()
            # called from one place, for a few lanes of little work each: a call's arguments
            # (every array's fields) cost as much as the work, so it is inlined there
            out += _function_versions("jump_one", f"theta, force, force_false{da}, hoist{jump_batched.arguments()}",
                                      _stack_init_lines([], jump_locals, jump_lines), jump_lines, jump_checked,
                                      inline=True)
        derived = sorted(derived)
        out += _batch_function("density", da, density_batched, derived, buffers=fd.buffers)
        out += _batch_function("forced_density", da, density_batched, derived, buffers=fd.buffers)
        out += _batch_function("gradient", da, grad_batched, derived, (tapes + gbuf, tape_lines, tape_growth),
                               checked=grad_checked is not None,
                               buffers=fg.buffers)
        if jump_lines is not None:
            out += _batch_function("jumps", da, jump_batched, derived, checked=jump_checked is not None)
        position = {self.name(v): i for i, v in enumerate(self.data_vars)}
        users = [density_batched, grad_batched] + ([jump_batched] if jump_lines is not None else [])
        prepare = (tuple(position[x] for x in derived),
                   *(tuple(position[x] for x in b.work_matrices()) for b in users))
        out += ["", "", "# can every guard instance be forced natively (else the reference backend does it)",
                f"FORCING = {self.forcing_complete}",
                "# is there a jump function (jumps.py)",
                f"JUMPS = {jump_lines is not None}",
                "# the data-only calls computed once per bind (hoisting.py)",
                f"HOIST_SITES = {len(self.hoist_sites)}",
                "# the derived data and the work one draw needs (batched.prepared)",
                f"PREPARE = {prepare!r}"]
        return "\n".join(out) + "\n"


    def jump_function(self):
        """(jump_one's body lines, those of its checked version or None (two_versions), its
        local definitions, its batched products), or Nones when the model has something
        jumps.py does not handle (then the forced densities are used)."""
        p = self.program
        self.stack_inits, self.local_inits = [], {}
        self.batched = BatchedProducts(self.slots, self.name)
        body = [*p.transformed_parameters, *p.model]

        def jump(checking_once):
            w = Writer()
            fj = JumpGen(self, w, mutated_variables(body), body, checking_once=checking_once)
            w("target = 0.0")
            w("jump = 0.0")
            w("jacobian = False")
            self.constrain(w, fj, keep=False)
            fj.stmts(body)
            w("return jump")
            return drop_dead_temporaries(w.lines), fj
        try:
            lines, checked, _ = self.two_versions(jump)
        except Unsupported:
            return None, None, {}, None
        if self.stack_inits:
            return None, None, {}, None
        return lines, checked, dict(self.local_inits), self.batched

    def two_versions(self, generate):
        """(lines, lines of the checked version or None, the generator) of one function:
        ``generate(checking_once)`` writes it (lines, FunctionGen), with its innermost loops
        checked once at their entry (NaN when a check fails: loop_versions.py), or checked
        everywhere.  Both versions make the same tapes and sites."""
        stacks = list(self.stack_inits)
        lines, gen = generate(True)
        if not gen.checked_once_loops:
            return lines, None, gen
        tapes, self.stack_inits = self.stack_inits, stacks
        checked, _ = generate(False)
        if self.stack_inits != tapes:
            raise AssertionError("the checked version of a function makes other tapes")
        return lines, checked, gen


def _function_versions(name: str, params: str, head: list[str], lines: list[str],
                       checked: list[str] | None, inline: bool = False) -> list[str]:
    """The source of the per-draw function ``name(params)`` (head: its local definitions),
    inlined where it is called with ``inline``, and of ``name_checked`` when it has a checked
    version (ModuleGen.two_versions), never inlined: it is the rare path."""
    def decorator(inlined):
        inlining = ", inline='always'" if inlined else ""
        return f"@njit(cache=True{inlining}, fastmath={FASTMATH_SOURCE})"
    out = [decorator(inline), f"def {name}({params}):", *head, *lines, ""]
    if checked is None:
        return out
    return out + [decorator(False), f"def {name}_checked({params}):", *head, *checked, ""]


def _batch_function(kind: str, da: str, batched: BatchedProducts, derived: list,
                    tapes=("", [], []), buffers=None, checked=False) -> list[str]:
    """``density(thetas, jacobian, work, <data>, <derived>)`` / ``gradient(...)``: the
    per-draw function over a batch (S, d), with the batched products around the loop.
    ``forced_density(thetas, jacobian, work, forces, lane_force, ...)``: the density of
    draw s with the guard instances of table ``forces[lane_force[s]]`` forced
    (runtime_guards.py).  ``tapes``: the gradient's tapes (_tapes), made once per batch;
    ``buffers``: other arrays the per-draw function takes, name -> shape (changepoint
    tables), made once per batch too; ``checked``: the per-draw function has a checked
    version, run on the draws it gave NaN (loop_versions.py; deferred adjoints it added
    to are cleared first)."""
    dd = "".join(f", {x}_T" for x in derived)
    forcing = {"forced_density": ", forces, lane_force", "jumps": ", forces, forces_false, lane_force"}.get(kind, "")
    head = f"def {kind}(thetas, work{forcing}{da}{dd}, hoist, tape_room):" if kind == "jumps" else \
        f"def {kind}(thetas, jacobian, work{forcing}{da}{dd}, hoist, tape_room):"
    lines = ["", "", "@njit(cache=True)", head, "    S = thetas.shape[0]", "    out = np.empty(S)"]
    if kind == "gradient":
        lines.append("    grads = np.zeros(thetas.shape)")
        lines += tapes[1]
    elif kind == "density":
        lines.append(f"    natural = np.empty((0, {FORCE_WIDTH}), dtype=np.int64)")
    lines += [f"    {n} = np.empty({shape})" for n, shape in (buffers or {}).items()]
    lines += batched.before_loop()
    if kind == "gradient":
        one, args = "gradient_one", f"thetas[s], grads[s], jacobian{da}, hoist"
    elif kind == "jumps":
        one, args = "jump_one", f"thetas[s], forces[lane_force[s]], forces_false[lane_force[s]]{da}, hoist"
    else:
        force = "forces[lane_force[s]]" if forcing else "natural"
        one, args = "density_one", f"thetas[s], jacobian, {force}{da}, hoist"
    if kind != "gradient":
        args += "".join(f", {n}" for n in (buffers or {}))
    args += batched.row_arguments() + tapes[0]
    lines.append("    for s in range(S):")
    lines += _call_lines(kind, f"{one}({args})", tapes[2], "        ")
    if checked:     # the draws where a loop's checks failed (loop_versions.py)
        lines += ["    for s in range(S):", "        if out[s] != out[s]:"]
        lines += [f"            {n}_all[s][...] = 0.0" for n in batched.adjoints.values()]
        lines += _call_lines(kind, f"{one}_checked({args})", tapes[2], "            ")
    if kind == "gradient":
        lines += batched.after_loop()
        # scalar tests: the array forms cost Numba a second of compiling per process
        lines += ["    finite = True", "    for s in range(S):",
                  "        finite = finite and math.isfinite(out[s])",
                  "        for j in range(grads.shape[1]):",
                  "            finite = finite and math.isfinite(grads[s, j])",
                  "    return out, grads, finite"]
    else:
        lines += ["    finite = True", "    for s in range(S):",
                  "        finite = finite and math.isfinite(out[s])",
                  "    return out, finite"]
    return lines


def _call_lines(kind: str, call: str, growth: list[str], indent: str) -> list[str]:
    """``out[s] = call``; for a gradient, again on longer tapes while the draw fills one."""
    lines = [f"{indent}out[s] = {call}"]
    if kind == "gradient":
        lines += [f"{indent}while tape_full[0]:", f"{indent}    tape_full[0] = 0"]
        lines += [f"{indent}    {ln}" for ln in growth]
        lines.append(f"{indent}    out[s] = {call}")
    return lines


def _untaped_declarations(forward, reverse) -> set[int]:
    """ids of the Push/Pop pairs that save a variable's value just before its
    declaration at the top level: nothing reads that value (the declaration starts
    the variable's life), so the pair, and its tape, can go."""
    out: set[int] = set()
    for push, decl in zip(forward, forward[1:]):
        if isinstance(push, D.Push) and not push.indices and isinstance(decl, N.Declare) \
                and decl.var is push.var:
            pops = [s for s in reverse if isinstance(s, D.Pop) and s.var is push.var and not s.indices]
            if pops:     # the last one restores what this push saved
                out.update((id(push), id(pops[-1])))
    return out


_TEMP_DEF = re.compile(r"^\s*((?:v__t|_e)\d+) = ")
_SUM_DEF = re.compile(r"^\s*(_acc\d+) = 0\.0$")
_LOOKUP_DEF = re.compile(r"^(\s*)(_e\d+) = H\.lookup\(")
_RECORDED_DEF = re.compile(r"^\s*(_h\d+) = H\.recorded\(")
_RECORDED_CHECK = re.compile(r"^\s*(_ok\d+) = \1 and .* < (_h\d+)\.shape\[0\]$")
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def drop_dead_temporaries(lines: list[str]) -> list[str]:
    """Remove assignments to temporaries nobody reads (the reverse sweep recomputes
    every smooth sub-expression; those only a derivative rule with ``out`` needs are
    dead otherwise), and fused sums nobody reads (``_accN = 0.0``, its loop and the
    loop's one ``_accN += ...`` line: the reverse sweep's recomputed log densities), and
    lookups of hoisted values nobody reads (the lookup, and the ``if`` computing a missing
    entry; a table a loop's checked-once version no longer reads, and its check:
    loop_versions.py).  Temporaries are assigned once and have no side effects."""
    while True:
        counts: dict[str, int] = {}
        for line in lines:
            for w in _WORD.findall(line):
                counts[w] = counts.get(w, 0) + 1
        keep = []
        skip = 0
        block = None            # the indentation of a dead lookup's ``if`` block being dropped
        for i, ln in enumerate(lines):
            if skip:
                skip -= 1
                continue
            if block is not None:
                if ln.startswith(block + " "):
                    continue
                block = None
            if (m := _LOOKUP_DEF.match(ln)) and counts[m.group(2)] == 4 \
                    and lines[i + 1] == f"{m.group(1)}if {m.group(2)} != {m.group(2)}:":
                block, skip = m.group(1), 1     # read only by its own ``if``
                continue
            if (m := _TEMP_DEF.match(ln)) and counts[m.group(1)] == 1:
                continue
            if ((m := _RECORDED_DEF.match(ln)) and counts[m.group(1)] == 2) or \
                    ((m := _RECORDED_CHECK.match(ln)) and counts[m.group(2)] == 2):
                continue
            if (m := _SUM_DEF.match(ln)) and counts[m.group(1)] == 2:
                skip = 2     # the loop header and its body line
                continue
            keep.append(ln)
        keep = _drop_overwritten_fills(keep)
        if len(keep) == len(lines):
            return lines
        lines = keep


_ASSIGN = re.compile(r"^(\s*)(v_\w+) = (.*)$")


def _drop_overwritten_fills(lines: list[str]) -> list[str]:
    """Drop a declaration's fill (``x = np.full(...)``) when the next line assigns
    all of ``x`` anew without reading it."""
    out = []
    for i, ln in enumerate(lines):
        m = _ASSIGN.match(ln)
        if m and m.group(3).startswith("np.full(") and i + 1 < len(lines):
            n = _ASSIGN.match(lines[i + 1])
            if n and n.group(1) == m.group(1) and n.group(2) == m.group(2) \
                    and m.group(2) not in _WORD.findall(n.group(3)):
                continue
        out.append(ln)
    return out


def _tapes(inits, body) -> tuple[str, list[str], list[str]]:
    """(the gradient's tape arguments, the lines making them, the lines growing them): the
    tapes are made once per batch, not once per draw (a draw leaves each as it found it:
    it pops what it pushed).  A draw that fills a scalar tape stops (tape_full) and runs
    again on tapes twice as long; what it pushed on the list tapes is dropped.  The
    length is ``tape_room[0]``, kept by the caller between batches."""
    made = _stack_init_lines(inits, {}, body)
    made = [ln.replace("np.empty(1024,", "np.empty(tape_room[0],") for ln in made if not ln.endswith("_n = 0")]
    made += ["    tape_full = np.zeros(1, dtype=np.int64)"]
    scalar = (["branches"] if any("branches[" in ln for ln in body) else []) + \
        [name for name, r, _ in inits if r == 0]
    grow = ["tape_room[0] *= 2"] + [f"{name} = T.grown({name})" for name in scalar] + \
        [f"{name}.clear()" for name, r, _ in inits if r != 0]
    names = scalar + [name for name, r, _ in inits if r != 0] + ["tape_full"]
    return "".join(f", {n}" for n in names), made, grow


def _stack_init_lines(inits, local_inits, body) -> list[str]:
    uses_branches = any("branches[" in ln for ln in body)
    lines = ["    branches = np.empty(1024, dtype=np.bool_)"] if uses_branches else []
    for name, (r, base) in local_inits.items():
        dtype = "np.int64" if base == "int" else "np.float64"
        lines.append(f"    {name} = " + (("0" if base == "int" else "0.0") if r == 0 else
                                          f"np.zeros(({', '.join(['0'] * r)},), dtype={dtype})"))
    for name, r, base in inits:
        dtype = "np.int64" if base == "int" else "np.float64"
        if r == 0:      # scalars: an array and a count (see FunctionGen.s_Push)
            lines += [f"    {name} = np.empty(1024, dtype={dtype})", f"    {name}_n = 0"]
        else:           # arrays: a list, typed by a prototype
            lines += [f"    {name} = [np.zeros(({', '.join(['1'] * r)},), dtype={dtype})]",
                      f"    {name}.pop()"]
    return lines


# Only the fastmath flags that change results by rounding alone: reassociation
# (lets LLVM vectorise sums: partial sums in SIMD lanes), contraction (fused
# multiply-add) and reciprocals (x / s / s in a loop becomes one division outside
# it and multiplications: divisions were half the time of a regression's
# gradient).  'nnan'/'ninf' are never set: non-finite values are how
# numerical trouble is detected and handed to the reference backend.  Written
# into the source as a sorted literal: a set's repr follows string hashing,
# which differs between processes, and the source is the cache key.
FASTMATH = frozenset({"arcp", "contract", "reassoc"})
FASTMATH_SOURCE = "{" + ", ".join(repr(flag) for flag in sorted(FASTMATH)) + "}"

HEADER = '''"""Generated by pplc (backends/numba/module.py): do not edit."""
import math

import numpy as np
from numba import njit, prange

from ppl.stdlib import native as K
from ppl.stdlib import native_changepoint as KC
from ppl.backends.numba import runtime_guards as G
from ppl.backends.numba import runtime_hoisting as H
from ppl.backends.numba import runtime_linalg as L
from ppl.backends.numba import runtime_transforms as T
from ppl.backends.numba.runtime_transforms import ix as K_ix
'''
