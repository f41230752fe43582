"""Innermost loops whose checks are made once, at the loop's entry.

Inside ``for (j in 1:N) { int i = 2 * j; y[i] ~ poisson_log(...); }`` every index
is checked against its axis (``K_ix``, which raises) and every hoisted data-only
call (hoisting.py) is looked up with a fallback that computes a missing entry.
Both are branches with calls in the loop, which keep LLVM from vectorising it
and from keeping the loop's values in registers.  Yet both can be decided
before the loop starts:

* an index that is affine in the loop variable (``2 * j - 1``, ``t - k`` with k
  fixed in the loop; through int locals assigned so at the top of the body)
  into an array the loop does not rebind is in range at every iteration iff it
  is at the first and the last;
* a hoisted call's entries for this loop are recorded iff the last one is
  within its site's recorded prefix (in read mode the tables' ``sizes`` hold
  how many leading entries are recorded: hoist_tables.py).

So the gradient and jump functions come in two versions (the density, for the
ELBO's estimates and forced densities, is not worth the compiling).  ``f`` writes such loops
with plain indices and table reads, after their checks; where a check fails it
returns NaN at once (nothing is written before a function returns).  The batch
function then runs ``f_checked``, the function as it was, on the draws that
came out NaN (module.py), which gives their values, NaN or not.  Keeping the
checked loops, and the call of ``f_checked``, out of the loop over the draws
matters: their calls and inlined library code, and the reference counts Numba
keeps for them, cost the unchecked loops up to half their speed.  Only
innermost loops are checked once (nested ones would be copied per level).
"""
from __future__ import annotations

from dataclasses import dataclass, field

from ppl.ir import nodes as N

from .aliasing import all_statements


def _has_loops(body) -> bool:
    return any(isinstance(getattr(s, "body", None), list) for s in all_statements(body))


def _assigning(body) -> dict[int, list]:
    """The statements of body that give a variable a value, by the variable's id (its
    ``var``, or ``adj`` for an adjoint; a tape's push only reads its variable)."""
    out: dict[int, list] = {}
    for s in all_statements(body):
        for attr in ("var", "adj"):
            v = getattr(s, attr, None)
            if isinstance(v, N.Variable) and type(s).__name__ != "Push":
                out.setdefault(id(v), []).append(s)
    return out


def _keeps_shape(s) -> bool:
    """Does s leave its variable's shape as it was (an element assigned, an adjoint added
    to or zeroed)?"""
    kind = type(s).__name__
    return kind in ("Accumulate", "ZeroAdjoint") or (kind in ("Assign", "Pop") and bool(s.indices))


COUNTER = "@"        # the loop variable's key in an affine form


@dataclass
class Version:
    """What the loop being written in its checked-once version knows and needs."""
    counter: N.Variable
    lo: str
    hi: str
    touched: set[int]             # variables assigned in the body: not fixed in the loop
    rebound: set[int]             # variables rebound in the body: their shapes may change
    defining: set[int]            # ids of the Assigns at the top of the body giving an int
    #                               local its one value of the iteration
    forms: dict[int, dict] = field(default_factory=dict)    # those locals, once assigned
    checks: list[str] = field(default_factory=list)         # conditions on entry, as code
    views: dict[int, tuple] = field(default_factory=dict)   # hoist site -> (its recorded
    #                                                         entries' name, the last read)


class LoopVersions:
    """FunctionGen methods writing innermost loops checked once (module docstring)."""

    version: Version | None = None
    checked_once_loops = 0          # loops written so here

    def loop_block(self, head: str, s, lo: str, hi: str, tail=None):
        """The loop ``head:`` over ``s.body`` (s a For or ReverseFor, whose counter is on
        loop_counters; its iterations lie in lo .. hi), then what ``tail()`` writes; its checks
        made once before it, when it has checks to make and this is not the checked version."""
        if not self.checking_once or self.version is not None or None in self.loop_counters \
                or _has_loops(s.body):
            self.block(head, s.body, tail)
            return
        assigning = _assigning(s.body)
        rebound = {k for k, sts in assigning.items() if not all(_keeps_shape(x) for x in sts)}
        defining = {id(st) for st in s.body
                    if isinstance(st, N.Assign) and not st.indices and st.var.type.base == "int"
                    and st.var.type.rank == 0
                    and [x for x in assigning[id(st.var)] if not isinstance(x, N.Declare)] == [st]}
        version = Version(s.var, lo, hi, set(assigning), rebound, defining)
        start, at = len(self.w.lines), self.param_elements_at
        self.version = version
        try:
            self.block(head, s.body, tail)
        finally:
            self.version = None
        start += (self.param_elements_at or 0) - (at or 0)     # parameters' elements read first
        if not version.checks and not version.views:
            return          # nothing was written differently
        fast = self.w.lines[start:]
        del self.w.lines[start:]
        ok = f"_ok{next(self.counter)}"
        self.w(f"{ok} = {' and '.join(f'({c})' for c in dict.fromkeys(version.checks)) or 'True'}")
        for site, (view, last) in version.views.items():
            # one line per table: both go when no read of the table is left (module.py)
            self.w(f"{view} = H.recorded(hoist, {site})")
            self.w(f"{ok} = {ok} and {last} < {view}.shape[0]")
        self.w(f"if not {ok}:")
        self.w("    return np.nan")
        self.w.lines.extend(fast)
        self.checked_once_loops += 1

    def statement_written(self, s):
        """After a statement: an int local defined at the top of the loop body by an affine
        value now holds it until the iteration ends."""
        v = self.version
        if v is not None and id(s) in v.defining:
            form = self.affine(s.value, v)
            if form is not None:
                v.forms[id(s.var)] = form

    # ------------------------------------------------------------ affine indices
    def affine(self, e: N.Expr, v: Version) -> dict | None:
        """e as {key: coefficient} (None: the constant, COUNTER: the loop variable, a name:
        an int variable fixed in the loop), or None when e is not affine in the counter."""
        if isinstance(e, N.Const) and isinstance(e.value, int) and not isinstance(e.value, bool):
            return {None: e.value}
        if isinstance(e, N.Load) and e.var.type.base == "int" and e.var.type.rank == 0:
            if e.var is v.counter:
                return {COUNTER: 1}
            if id(e.var) in v.forms:
                return v.forms[id(e.var)]
            return {self.name(e.var): 1} if id(e.var) not in v.touched else None
        if isinstance(e, N.Call) and e.type.base == "int" and e.type.rank == 0:
            name = e.fn.name
            args = [self.affine(a, v) for a in e.args]
            if any(a is None for a in args):
                return None
            if name == "u+" and len(args) == 1:
                return args[0]
            if name == "u-" and len(args) == 1:
                return _scaled(args[0], -1)
            if name in ("+", "-") and len(args) == 2:
                return _sum(args[0], _scaled(args[1], 1 if name == "+" else -1))
            if name == "*" and len(args) == 2:
                for k in (0, 1):
                    if set(args[k]) <= {None}:
                        return _scaled(args[1 - k], args[k].get(None, 0))
        return None

    def checked_once(self, spec: N.IndexSpec, base_var, axis: int) -> str | None:
        """The plain 0-based index of a single index into an axis of ``base_var`` when the
        loop's entry can check it for every iteration (the check is noted), else None."""
        v = self.version
        if v is None or spec.kind != "single" or base_var is None or id(base_var) in v.rebound:
            return None
        form = self.affine(spec.lo, v)
        if form is None:
            return None
        first, last = (v.lo, v.hi) if form.get(COUNTER, 0) >= 0 else (v.hi, v.lo)
        v.checks.append(f"1 <= {_code(form, first)} and {_code(form, last)} <= "
                        f"{self.name(base_var)}.shape[{axis}]")
        return f"{self.operand(spec.lo)} - 1"

    # ------------------------------------------------------------ hoisted tables
    def table_read(self, site: int, flat: str, last_flat: str) -> str | None:
        """A hoisted call's entry read from its table when the loop's entry can check that
        every entry it reads is recorded (the check is noted), else None."""
        v = self.version
        if v is None:
            return None
        view, _ = v.views.setdefault(site, (f"_h{next(self.counter)}", last_flat))
        return f"{view}[{flat}]"


def _code(form: dict, counter: str) -> str:
    terms = [repr(c) if key is None else f"{c} * {counter if key == COUNTER else key}"
             for key, c in form.items() if c != 0]
    return "(" + (" + ".join(terms) or "0") + ")"


def _scaled(form: dict, c: int) -> dict:
    return {k: c * x for k, x in form.items()}


def _sum(a: dict, b: dict) -> dict:
    out = dict(a)
    for k, x in b.items():
        out[k] = out.get(k, 0) + x
    return out
