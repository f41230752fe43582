"""Data-only library calls computed once per bind instead of once per draw.

A call like textmsg's ``inv_Phi(i / 75.0)`` depends on the data and the loop
iteration only, yet the per-draw functions would compute it for every draw
(and the reverse sweep again). Each such call site (a scalar real call of the
library, data-only, evaluated wherever it appears: codegen's ``_reusable``; or
the normalising term of a log density whose arguments there are data, as
lgamma(y + 1) of poisson: stdlib.native_templates.NORMALISED) inside ``for`` loops whose
bounds read only data gets a table over its loops' iterations, indexed by
their 0-based counts (row-major). The tables live in ``hoist = (mode, table,
offsets, sizes)``, the last argument of the generated functions
(runtime_hoisting.py): the bound model runs one gradient with mode 1 (each
site notes how many entries it needs), one with mode 2 (each site records its
values), and every later call reads them (mode 0).

A value is a function of its site and loop counts: the call is data-only, so
its arguments are too, and every variable they read has one value per
iteration whatever the parameters (a variable whose value depends on a
parametric branch is not data-only). An entry the recording run did not reach
(a site under a parametric branch not taken there, a run that stopped at a
rejection) stays NaN, and a NaN entry is computed in place, so the tables
change nothing but the time.
"""
from __future__ import annotations

from dataclasses import dataclass

from ppl.ir import nodes as N

from .batched import DATA_BLOCKS


@dataclass
class Loop:
    """An enclosing ``for`` loop as a hoisted call's index sees it."""
    counter: str          # the 0-based iteration count, as code
    extent: str           # the number of iterations, as code
    rectangular: bool     # its bounds read only data: the same extent at every entry
    last: str             # the last iteration's count, as code


def loop(var: str, lo: str, hi: str, bounds: list[N.Expr]) -> Loop:
    return Loop(f"{var} - {lo}", f"({hi} - {lo} + 1)", all(_reads_only_data(b) for b in bounds),
                f"({hi} - {lo})")


def flat_index(loops: list[Loop], last: bool = False) -> str:
    """The row-major position of the current iteration of ``loops`` (of the innermost's
    last iteration with ``last``) in their iteration space, as code."""
    flat = "0"
    for k, lp in enumerate(loops):
        count = lp.last if last and k == len(loops) - 1 else lp.counter
        flat = count if flat == "0" else f"({flat}) * {lp.extent} + {count}"
    return flat


def _reads_only_data(e) -> bool:
    return all(x.var.block in DATA_BLOCKS for x in N.walk_expr(e) if isinstance(x, N.Load))


class HoistedCalls:
    """FunctionGen methods: a reusable call read from its table when it can have one."""

    def hoisted_call(self, key, compute) -> str | None:
        """The temporary holding a data-only real value (identified by ``key``, ``compute()``
        its code), read from its table (computed in place when the entry is NaN), or None
        when it cannot have a table."""
        loops = self.loop_counters
        if any(lp is None or not lp.rectangular for lp in loops):
            return None
        site = self.m.hoist_sites.setdefault(key, len(self.m.hoist_sites))
        index = self.tmp(flat_index(loops))
        read = self.table_read(site, index, flat_index(loops, last=True))
        if read is not None:        # every entry this loop reads is recorded (loop_versions.py)
            return self.tmp(read)
        value = self.tmp(f"H.lookup(hoist, {site}, {index})")
        self.w(f"if {value} != {value}:")
        self.w.indent()
        known = dict(self.evaluated)        # temporaries made in here exist on this path only
        self.w(f"{value} = H.note(hoist, {site}, {index}, float({compute()}))")
        self.evaluated = known
        self.w.dedent()
        return value
