"""The jump of the log density across a guard surface, in one pass (DESIGN §6).

The boundary term needs, at a point theta on a surface, Delta = log p(theta;
the surface's guard instances forced true) - log p(theta; forced false).  Two
forced evaluations compute every term twice, though most terms do not depend
on the forced instances and cancel.  ``jump_one(theta, force, force_false,
<data>, hoist)`` runs the model once in two *worlds*, T (instances forced by
``force``) and F (by ``force_false``), sharing what is the same in both:

* Statically, the *tainted* variables are those whose value may depend on a
  guard's outcome (assigned from an expression holding a guard or a tainted
  variable, or under a condition or loop bound that does); each has a second
  copy for world F (``x__F``) and a flag ``x__D``: may the copies differ now.
* Dynamically, a statement reading tainted values runs in both worlds only
  when one of its flags is set or one of its guard instances is forced (else
  once, world F sharing the result); a scalar's flag is cleared again when both
  worlds computed the same value, so a jump's effect is followed only as far
  as it reaches.  ``target +=`` adds the difference of the two worlds' terms
  when they may differ and nothing otherwise: terms that do not depend on the
  forced instances cancel exactly, also when they are not finite.
* A branch whose condition differs between the worlds runs once per world
  (each world's copies only), and everything it assigns is flagged.
* After each iteration of a top-level loop, the jump is complete when no flag
  is set and no forced instance lies ahead (a later iteration's, or a later
  statement's): everything left would run in one world and cancel.  A jump at
  step t of a time series stops as soon as its effect has died out.  A loop
  whose iterations are independent (ppl.ir.loops) entered with no flag set
  starts at its first iteration holding a forced instance: the ones before it
  compute nothing the rest reads, and their terms cancel.

Arrays share storage between the worlds until they diverge (then world F gets
a copy).  Changepoint series, and guards the native code cannot force, raise
Unsupported: the model then has no jump function and the two forced
evaluations are used.
"""
from __future__ import annotations

from ppl.ir import nodes as N
from ppl.ir.loops import independent_iterations

from .codegen import FunctionGen
from .hoisting import loop
from .source import Unsupported, rank


def _nodes(exprs):
    """Every expression node under an expression or a list of them."""
    for e in (exprs if isinstance(exprs, list) else [exprs]):
        yield from N.walk_expr(e)


def _sites(stmts) -> set[int]:
    """The guard sites in a list of statements."""
    return {x.guard for st in N.walk_stmts(stmts) for x in _nodes(list(N.stmt_exprs(st)))
            if isinstance(x, N.Call) and x.guard is not None}


def _site_range(sites: set[int]) -> tuple[int, int]:
    return (min(sites), max(sites)) if sites else (1, 0)


def tainted_variables(body) -> set[int]:
    """ids of the variables whose value may depend on a guard's outcome."""
    tainted: set[int] = set()

    def depends(e) -> bool:
        return any((isinstance(x, N.Call) and x.guard is not None)
                   or (isinstance(x, N.Load) and id(x.var) in tainted) for x in _nodes(e))

    def walk(stmts, control: bool) -> bool:
        grew = False
        for s in stmts:
            if isinstance(s, N.Assign):
                if id(s.var) not in tainted and (control or depends(list(N.stmt_exprs(s)))):
                    tainted.add(id(s.var))
                    grew = True
            elif isinstance(s, N.If):
                grew |= walk(s.then, control or depends(s.cond)) | walk(s.other, control or depends(s.cond))
            elif isinstance(s, N.For):
                inner = control or depends([s.lo, s.hi])
                if inner and id(s.var) not in tainted:
                    tainted.add(id(s.var))
                    grew = True
                grew |= walk(s.body, inner)
            elif isinstance(s, N.Declare) and control and id(s.var) not in tainted:
                tainted.add(id(s.var))
                grew = True
        return grew

    while walk(body, False):
        pass
    return tainted


class JumpGen(FunctionGen):
    """Writes ``jump_one``'s body (see the module docstring)."""

    def __init__(self, module, w, mutated, body, checking_once=False):
        super().__init__(module, w, mutated, forcing=True, checking_once=checking_once)
        self.tainted = tainted_variables(body)
        self.world = "T"        # whose copies names refer to
        self.single = False     # one world only (inside a branch the worlds take differently)
        self.natural = False    # the statement's guard instances are not forced: no lookups
        self.flags: list[str] = []
        # each top-level statement's guard sites, those of the statements after it, and
        # whether its iterations are independent (a loop)
        self.top_level = {id(st): (_sites([st]), _sites(body[k + 1:]), independent_iterations(st, body[k + 1:]))
                          for k, st in enumerate(body)}

    # ---------------------------------------------------------------- names
    def name(self, v: N.Variable) -> str:
        n = self.m.name(v)
        return n + "__F" if self.world == "F" and id(v) in self.tainted else n

    def flag(self, v: N.Variable) -> str:
        return self.m.name(v) + "__D"

    def in_world(self, world: str, emit):
        saved, self.world = self.world, world
        try:
            emit()
        finally:
            self.world = saved

    def forceable(self, e: N.Call, natural: str) -> str:
        code = super().forceable(e, natural)
        if code is natural:
            raise Unsupported("a guard that native code cannot force", e.span)
        return natural if self.natural else code

    def force_table(self) -> str:
        return "force_false" if self.world == "F" else "force"

    def naturally(self, emit):
        """emit() where none of the guard instances met is forced."""
        saved, self.natural = self.natural, True
        try:
            emit()
        finally:
            self.natural = saved

    def differs(self, exprs) -> str:
        """Code: may these expressions have different values in the two worlds?"""
        terms = []
        for x in _nodes(exprs):
            if isinstance(x, N.Load) and id(x.var) in self.tainted:
                terms.append(self.flag(x.var))
            elif isinstance(x, N.Call) and x.guard is not None:
                keys = self.guard_keys()
                if keys is None:
                    raise Unsupported("a guard that native code cannot force", x.span)
                terms.append(f"G.forced_here(force, {x.guard}, {keys})")
        return " or ".join(dict.fromkeys(terms)) or "False"

    def declare_copies(self, v: N.Variable):
        self.m.local_inits[self.m.name(v) + "__F"] = (rank(v.type), v.type.base)
        self.m.local_inits[self.flag(v)] = (0, "int")
        if self.flag(v) not in self.flags:
            self.flags.append(self.flag(v))

    def share(self, v: N.Variable):
        """World F's copy of v is world T's (no divergence)."""
        self.w(f"{self.m.name(v)}__F = {self.m.name(v)}")
        self.w(f"{self.flag(v)} = 0")

    def both_worlds(self, emit):
        self.in_world("T", emit)
        self.in_world("F", emit)
        self.evaluated.clear()

    def when(self, cond: str, then, other=None):
        """``if cond:`` then() ``else:`` other(); the temporaries made inside are forgotten."""
        self.w(f"if {cond}:")
        self.w.indent()
        self.w("pass")
        then()
        self.w.dedent()
        if other is not None:
            self.w("else:")
            self.w.indent()
            self.w("pass")
            other()
            self.w.dedent()
        self.evaluated.clear()

    # ----------------------------------------------------------- statements
    def s_Declare(self, s: N.Declare):
        super().s_Declare(s)
        if id(s.var) in self.tainted:
            self.declare_copies(s.var)
            if not self.single:
                self.share(s.var)

    def s_Assign(self, s: N.Assign):
        v = s.var
        if self.single or id(v) not in self.tainted:
            return super().s_Assign(s)
        self.declare_copies(v)
        d = self.differs(list(N.stmt_exprs(s))) + (f" or {self.flag(v)}" if s.indices else "")
        T, F = self.m.name(v), self.m.name(v) + "__F"

        def diverge():
            if s.indices:
                self.w(f"if not {self.flag(v)}:")
                self.w(f"    {F} = {T}.copy()")
            self.both_worlds(lambda: super(JumpGen, self).s_Assign(s))
            same = f"{T} == {F}" if rank(v.type) == 0 and not s.indices else "False"
            self.w(f"{self.flag(v)} = 0 if {same} else 1")

        def shared():
            self.naturally(lambda: super(JumpGen, self).s_Assign(s))
            if not s.indices:
                self.share(v)
        self.when(self.tmp(f"bool({d})"), diverge, shared)

    def s_TargetAdd(self, s: N.TargetAdd):
        if self.single:
            sign = "+" if self.world == "T" else "-"
            self.w(f"jump {sign}= {self.scalar_sum(s.value)}")
            return
        d = self.differs(s.value)
        if d == "False":
            return          # the same term in both worlds: it cancels

        def add():
            self.in_world("T", lambda: self.w(f"jump += {self.scalar_sum(s.value)}"))
            self.in_world("F", lambda: self.w(f"jump -= {self.scalar_sum(s.value)}"))
        self.when(self.tmp(f"bool({d})"), add)

    def s_If(self, s: N.If):
        d = self.differs(s.cond)
        if self.single or d == "False":
            return super().s_If(s)
        self.when(self.tmp(f"bool({d})"), lambda: self.each_world(s, lambda: super(JumpGen, self).s_If(s)),
                  lambda: self.shared_branch(s))

    def shared_branch(self, s: N.If):
        """An if whose condition is the same in both worlds: the condition evaluated
        naturally, the branches in step."""
        c = []
        self.naturally(lambda: c.append(self.truth(s.cond)))
        self.branches(c[0], s.then, s.other)

    def s_For(self, s: N.For):
        if s.changepoint is not None:
            raise Unsupported("a changepoint series", s.span)
        d = self.differs([s.lo, s.hi])
        if not self.single and d == "False" and id(s) in self.top_level:
            return self.top_level_loop(s)
        if self.single or d == "False":
            return super().s_For(s)

        def shared_loop():
            # the loop variable is tainted (its bounds are): world F reads its own copy
            self.declare_copies(s.var)
            lo, hi = self.operand(s.lo), self.operand(s.hi)
            self.loop_counters.append(loop(self.name(s.var), lo, hi, [s.lo, s.hi]))
            self.w(f"for {self.name(s.var)} in range({lo}, {hi} + 1):")
            self.w.indent()
            self.share(s.var)
            self.evaluated.clear()
            self.stmts(s.body)
            self.evaluated.clear()
            self.w.dedent()
            self.loop_counters.pop()
        self.when(self.tmp(f"bool({d})"), lambda: self.each_world(s, lambda: super(JumpGen, self).s_For(s)),
                  shared_loop)

    def top_level_loop(self, s: N.For):
        """A loop at the top level whose bounds are the same in both worlds, ending the jump
        after an iteration once nothing can differ any more."""
        inside, after, independent = self.top_level[id(s)]
        ranges = ", ".join(str(x) for x in (*_site_range(inside), *_site_range(after)))
        last = self.tmp(f"G.last_forced_key(force, {ranges})")
        lo, hi = self.operand(s.lo), self.operand(s.hi)
        start = lo
        if independent:
            first = f"G.first_forced_key(force, {', '.join(str(x) for x in _site_range(inside))})"
            start = self.tmp(f"{lo} + ({'0 if (' + ' or '.join(self.flags) + ') else ' if self.flags else ''}{first})")
        counter = loop(self.name(s.var), lo, hi, [s.lo, s.hi])
        self.loop_counters.append(counter)

        def end_when_done():
            # (the flags of variables first assigned after this loop are still 0 here)
            self.w(f"if {counter.counter} >= {last} and not ({' or '.join(self.flags) or 'False'}):")
            self.w("    return jump")
        self.loop_block(f"for {self.name(s.var)} in range({start}, {hi} + 1)", s, lo, hi, end_when_done)
        self.loop_counters.pop()

    def each_world(self, s, emit):
        """Statement s once per world, each on its own copies; what it assigns is flagged."""
        assigned = [v for k, v in N.assigned_variables([s]).items() if k in self.tainted]
        for v in assigned:
            self.declare_copies(v)
            if rank(v.type):        # shared storage: world F writes its own copy
                self.w(f"if not {self.flag(v)}:")
                self.w(f"    {self.m.name(v)}__F = {self.m.name(v)}.copy()")
        self.single = True
        try:
            self.both_worlds(emit)
        finally:
            self.single = False
        for v in assigned:
            self.w(f"{self.flag(v)} = 1")
