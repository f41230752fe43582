"""Statements and expressions of the IR (and of the AD program) as Python source
for Numba, one draw per call: :class:`FunctionGen` writes a function body (the
AD program's tape and adjoints: codegen_adjoint.py),
:mod:`backends.numba.module` assembles the module around it.

Values are what Numba knows: float64/int64 scalars and C-contiguous arrays,
one axis per array dimension and per vector/matrix axis (the batch axis of
the reference backend is gone: each call is one lane).  Elementwise work is
written as numpy array expressions, which Numba fuses into single loops, and
vector sums as explicit loops without temporaries.  The tape is one list per
pushed variable (values are restored in LIFO order per variable, which is all
the reverse sweep needs) and one list of branch decisions.

Anything the generator does not handle raises :class:`Unsupported` with the
construct and its source span; the caller then keeps the model on the numpy
backend.  Run-time trouble (an index out of range, a rejection, a non-finite
value) is left to the reference backend, which re-evaluates those draws and
reports them with their source lines.
"""
from __future__ import annotations

import itertools

from ppl.ad import nodes as D
from ppl.frontend.types import REAL
from ppl.ir import nodes as N
from ppl.stdlib import native_templates as templates

from .guard_tables import MAX_LOOP_DEPTH
from .aliasing import loaded_variables
from .changepoint_series import ChangepointSeries
from .codegen_adjoint import AdjointGen
from .hoisting import HoistedCalls, loop
from .loop_versions import LoopVersions
from .source import Unsupported, Writer, rank


class FunctionGen(AdjointGen, ChangepointSeries, HoistedCalls, LoopVersions):
    """Generates one function body; ``names`` maps IR variables to identifiers."""

    def __init__(self, module, w: Writer, mutated: set[int], differentiating: bool = False,
                 forcing: bool = False, checking_once: bool = False):
        self.m = module  # backends.numba.module.ModuleGen
        self.w = w
        # innermost loops checked once at their entry (loop_versions.py)
        self.checking_once = checking_once
        # in a gradient function the forward sweep keeps what its reverse sweep needs
        self.differentiating = differentiating
        # a density function takes a table of forced guard instances (runtime_guards.py)
        self.forcing = forcing
        # the enclosing for loops (hoisting.Loop: the guards' loop keys, the hoisted calls'
        # table indices); None for a changepoint series (its body runs per step and segment)
        self.loop_counters: list = []
        # data-only calls already evaluated in this straight-line run of statements: id(node)
        # -> (temporary, ids of the variables it reads); the reverse sweep recomputes the
        # forward sweep's expressions, often several copies of one node per statement
        self.evaluated: dict[int, tuple[str, set]] = {}
        self.conditional = 0        # > 0 inside a branch of ?: (evaluated only when taken)
        self.buffers: dict[str, str] = {}   # arguments the batch function makes: name -> shape
        self.counter = itertools.count()
        self.stacks: dict[tuple, str] = {}
        self.mutated = mutated      # ids of the variables the function updates in place
        # parameters' elements at constant indices, read once into scalars (param_element):
        # (id(variable), indices) -> name, and the line where the next such read goes
        self.param_elements: dict[tuple, str] = {}
        self.param_elements_at = None

    def shares_safely(self, target: N.Variable, value: N.Expr) -> bool:
        """Can ``target`` share the array ``value`` evaluates to (no copy)?"""
        return id(target) not in self.mutated and not (loaded_variables(value) & self.mutated)

    # ---------------------------------------------------------------- names
    def name(self, v: N.Variable) -> str:
        return self.m.name(v)

    def tmp(self, code: str) -> str:
        t = f"_e{next(self.counter)}"
        self.w(f"{t} = {code}")
        return t

    def operand(self, e: N.Expr) -> str:
        """The expression evaluated into a plain name (templates repeat operands)."""
        code = self.expr(e)
        if code.isidentifier():
            return code
        return self.tmp(code)

    # ------------------------------------------------------------ statements
    def stmts(self, body):
        for s in body:
            method = getattr(self, "s_" + type(s).__name__, None)
            if method is None:
                raise Unsupported(f"statement {type(s).__name__}", s.span)
            method(s)
            self.forget_evaluated(s)
            self.statement_written(s)

    def forget_evaluated(self, s):
        """Drop the evaluated calls that statement s may have changed: those reading the
        variable it assigns; all of them after a statement with a body (what ran inside
        it, and how often, is not known here)."""
        if any(isinstance(getattr(s, b, None), list) for b in ("body", "then", "other")):
            self.evaluated.clear()
            return
        var = getattr(s, "var", None)
        if var is not None:
            self.evaluated = {k: v for k, v in self.evaluated.items() if id(var) not in v[1]}

    def s_Declare(self, s: N.Declare):
        v = s.var
        if self.w.depth > 1:    # defined before the block too, for Numba's typing
            self.m.local_inits[self.name(v)] = (rank(v.type), v.type.base)
        dims = [self.operand(e) for e in [*v.array_sizes, *v.sizes]]
        r = rank(v.type)
        if len(dims) != r:
            raise Unsupported(f"declaration of {v.name} with {len(dims)} sizes for rank {r}", s.span)
        if r == 0:
            self.w(f"{self.name(v)} = {'0' if v.type.base == 'int' else 'np.nan'}")
        else:
            dtype = "np.int64" if v.type.base == "int" else "np.float64"
            fill = "0" if v.type.base == "int" else "np.nan"
            self.w(f"{self.name(v)} = np.full(({', '.join(dims)},), {fill}, dtype={dtype})")

    def s_Assign(self, s: N.Assign):
        v = s.var
        value = self.expr(s.value)
        tgt = self.name(v)
        if not s.indices:
            if rank(v.type) == 0:
                if v.type.base == "real":
                    value = f"float({value})"
                self.w(f"{tgt} = {value}")
            else:
                # a fresh array is taken as it is; a name or a view is copied when the
                # target or what it shares is updated in place anywhere in the function
                fresh = not value.isidentifier() and \
                    not isinstance(s.value, (N.Index, N.Select, D.BuildAdjoint, D.SelectAdjoint)) and \
                    not (isinstance(s.value, N.Call) and s.value.fn.name == "u+")
                if fresh:
                    self.w(f"{tgt} = {value}")
                elif self.shares_safely(v, s.value):
                    self.w(f"{tgt} = np.ascontiguousarray({value})")
                else:
                    self.w(f"{tgt} = np.ascontiguousarray({value}).copy()")
            return
        self.w(f"{tgt}[{self.target_index(s.indices, v, s.span)}] = {value}")

    def s_TargetAdd(self, s: N.TargetAdd):
        self.w(f"target += {self.scalar_sum(s.value)}")

    def scalar_sum(self, e: N.Expr) -> str:
        code = self.expr(e)
        return code if rank(e.type) == 0 else f"np.sum({code})"

    def block(self, head: str, body: list, tail=None):
        """``head:`` followed by the statements of body (``pass`` keeps an empty body valid),
        then what ``tail()`` writes."""
        self.w(head + ":")
        self.w.indent()
        self.w("pass")
        self.evaluated.clear()      # a loop body runs again after what it assigns
        self.stmts(body)
        self.evaluated.clear()      # temporaries of a body that may not have run
        if tail is not None:
            tail()
        self.w.dedent()

    def branches(self, cond: str, then: list, other: list):
        self.block(f"if {cond}", then)
        if other:
            self.block("else", other)

    def s_For(self, s: N.For):
        lo, hi = self.operand(s.lo), self.operand(s.hi)
        if s.changepoint is not None:
            self.loop_counters.append(None)
            self.changepoint_series(s, lo, hi)
            self.loop_counters.pop()
            return
        self.loop_counters.append(loop(self.name(s.var), lo, hi, [s.lo, s.hi]))
        self.loop_block(f"for {self.name(s.var)} in range({lo}, {hi} + 1)", s, lo, hi)
        self.loop_counters.pop()

    def s_If(self, s: N.If):
        self.branches(self.truth(s.cond), s.then, s.other)

    def s_Print(self, s):
        raise Unsupported("print()", s.span)

    def s_Reject(self, s):
        self.w("raise ValueError('reject')")

    # ----------------------------------------------------------- expressions
    def truth(self, e: N.Expr) -> str:
        return f"({self.expr(e)}) != 0"

    def expr(self, e: N.Expr) -> str:
        method = getattr(self, "e_" + type(e).__name__, None)
        if method is None:
            raise Unsupported(f"expression {type(e).__name__}", e.span)
        if not self._reusable(e):
            return method(e)
        known = self.evaluated.get(id(e))
        if known is not None:
            return known[0]
        name = (self.hoisted_call(id(e), lambda: method(e)) if e.type.base == "real" else None) \
            or self.tmp(method(e))
        self.evaluated[id(e)] = (name, loaded_variables(e))
        return name

    def _reusable(self, e: N.Expr) -> bool:
        """A data-only scalar call that is evaluated wherever it appears (not in a branch of
        ?:) and cannot raise: its value is kept in a temporary for later copies of the node."""
        return (isinstance(e, N.Call) and e.dep == N.DATA and not self.conditional and rank(e.type) == 0
                and e.fn.name in _REUSABLE)

    def e_Const(self, e: N.Const):
        v = e.value
        if isinstance(v, bool):
            return "1" if v else "0"
        if isinstance(v, int):
            return repr(v)
        if isinstance(v, float):
            return repr(v) if v == v and abs(v) != float("inf") else f"np.float64({str(v)!r})"
        raise Unsupported(f"constant {v!r}", e.span)

    def e_Load(self, e: N.Load):
        return self.name(e.var)

    def e_TargetSeed(self, e):
        return "seed"

    def e_Index(self, e: N.Index):
        element = self.param_element(e)
        if element is not None:
            return element
        base = self.operand(e.base)
        base_var = e.base.var if isinstance(e.base, N.Load) else None
        return f"{base}[{self.index_code([e.indices], e.base.type, e.span, base, base_var)}]"

    def param_element(self, e: N.Index) -> str | None:
        """A parameter's element at constant indices within its shape (``sigma[1]``), read once
        right after the parameters are constrained, into a scalar.  Read in a loop that also
        writes arrays (the reverse sweep's adjoints), the element would be loaded again in
        every iteration, and what is computed from it (``log(sigma[1])`` in a normal_lpdf)
        with it: LLVM cannot tell the arrays apart."""
        shape = self.m.param_shapes.get(id(e.base.var)) if isinstance(e.base, N.Load) else None
        if self.param_elements_at is None or shape is None or rank(e.type) != 0 \
                or len(e.indices) != len(shape):
            return None
        at = []
        for spec, n in zip(e.indices, shape):
            if spec.kind != "single" or not isinstance(spec.lo, N.Const) or not isinstance(spec.lo.value, int) \
                    or not 1 <= spec.lo.value <= n:
                return None
            at.append(spec.lo.value - 1)
        key = (id(e.base.var), tuple(at))
        name = self.param_elements.get(key)
        if name is None:
            name = self.param_elements[key] = f"_p{len(self.param_elements)}"
            line = f"{name} = {self.name(e.base.var)}[{', '.join(str(i) for i in at)}]"
            self.w.lines.insert(self.param_elements_at, "    " + line)
            self.param_elements_at += 1
        return name

    def e_Select(self, e: N.Select):
        c = self.truth(e.cond)
        # the sides of a lifted choice read only what was read unconditionally before
        # (ppl.ir.invariant_choices): their data-only parts may be evaluated, and hoisted, as such
        unconditional = 1 if e.lifted else 0
        self.conditional += 1 - unconditional
        a, b = self.expr(e.then), self.expr(e.other)
        self.conditional -= 1 - unconditional
        if e.type.base == "real" and rank(e.type) == 0:
            return f"(float({a}) if {c} else float({b}))"
        return f"({a} if {c} else {b})"

    def e_Build(self, e: N.Build):
        if all(rank(i.type) == 0 for i in e.items) and e.kind in ("array", "row_vector"):
            dtype = "np.int64" if e.type.base == "int" else "np.float64"
            return f"np.array([{', '.join(self.expr(i) for i in e.items)}], dtype={dtype})"
        raise Unsupported("a literal of containers", e.span)

    def e_Call(self, e: N.Call):
        name = e.fn.name
        if name in ("*", "/") and not (e.args[0].type.is_scalar or e.args[1].type.is_scalar):
            if name == "*":
                return self.matmul(e)
            raise Unsupported("matrix division", e.span)
        if name in ("*", "/"):
            name = {"*": ".*", "/": "./"}[name]
            if all(a.type.base == "int" for a in e.args) and name == "./":
                raise Unsupported("integer division with /", e.span)
        container = _CONTAINERS.get(name)
        if container is not None:
            return container(self, e)
        key = f"{name}#{len(e.args)}"
        entry = templates.FUNCTIONS.get(key) or templates.FUNCTIONS.get(name)
        if entry is None:
            raise Unsupported(f"function {name}", e.span)
        template = entry[0]
        # an array operand the template uses once is written inline, so that Numba
        # fuses the elementwise chain into one loop instead of one array per step
        args = [f"({self.expr(a)})" if rank(a.type) and rank(e.type) and template.count(f"{{{i}}}") == 1
                else self.operand(a) for i, a in enumerate(e.args)]
        code = template.format(*args)
        if name in ("<", ">", "<=", ">=", "==", "!=", "!", "&&", "||"):
            code = f"int({code})"
        if e.guard is not None and self.forcing:
            return self.forceable(e, code)
        return code

    def forceable(self, e: N.Call, natural: str) -> str:
        """A guard instance's value: its condition, or what the density's table of forced
        instances says (runtime_guards.py)."""
        keys = self.guard_keys()
        if rank(e.type) or keys is None:
            self.m.forcing_complete = False      # forced evaluations go to the reference
            return natural
        kind = "guard_int" if e.type.base == "int" else "guard_real"
        return f"G.{kind}({self.force_table()}, {e.guard}, {natural}, {keys})"

    def guard_keys(self) -> str | None:
        """A guard instance's loop keys here, as the arguments of runtime_guards' lookups;
        None inside a changepoint series or deeper than the tables hold."""
        counters = self.loop_counters
        if None in counters or len(counters) > MAX_LOOP_DEPTH:
            return None
        return ", ".join([*(lp.counter for lp in counters), *["0"] * (MAX_LOOP_DEPTH - len(counters))])

    def force_table(self) -> str:
        """The name of the table of forced instances the guards read."""
        return "force"

    def matmul(self, e: N.Call):
        row = self.m.batched.product(e)
        if row is not None:
            return row
        a, b = (self.operand(x) for x in e.args)
        return f"np.dot({a}, {b})"

    def e_Lpdf(self, e: N.Lpdf):
        entry = templates.DISTRIBUTIONS.get(e.dist.name)
        if entry is None:
            raise Unsupported(f"distribution {e.dist.name}", e.span)
        normalising = self.hoisted_normalising(e)
        if normalising is not None:
            return f"({self.log_density_sum(templates.NORMALISED[e.dist.name][0], e.args)} + {normalising})"
        return self.log_density_sum(entry[0], e.args)

    def log_density_sum(self, template: str, args: list) -> str:
        """The sum over the elements of a log density template on args."""
        if all(rank(a.type) <= 1 for a in args) and any(rank(a.type) == 1 for a in args):
            return self.fused_sum(template, args)
        ops = [self.operand(a) for a in args]
        code = template.format(*ops)
        return code if all(rank(a.type) == 0 for a in args) else f"np.sum({code})"

    def hoisted_normalising(self, e: N.Lpdf) -> str | None:
        """The normalising term of e (stdlib.templates.NORMALISED) from its table, when it reads
        only data that also fix the number of terms (every other argument is a scalar)."""
        split = templates.NORMALISED.get(e.dist.name)
        if split is None or self.conditional:
            return None
        template, reads = split[1]
        if any(e.args[i].dep != N.DATA for i in reads) or \
                any(rank(a.type) for i, a in enumerate(e.args) if i not in reads):
            return None
        used = [e.args[i] if i in reads else N.Const(e.span, REAL, 0.0) for i in range(len(e.args))]
        return self.hoisted_call(("normalising", id(e)), lambda: self.log_density_sum(template, used))

    # -- elementwise work over vectors as one loop, without temporaries
    def elem(self, e: N.Expr, i: str, leaves: list) -> str:
        """Element ``i`` of a rank-1 elementwise expression (scalars are evaluated once,
        outside the loop); the arrays read are appended to ``leaves``."""
        if rank(e.type) == 0:
            return self.operand(e)
        if isinstance(e, N.Call) and e.fn.name in _ELEMENTWISE and all(rank(a.type) <= 1 for a in e.args):
            name = {"*": ".*", "/": "./"}.get(e.fn.name, e.fn.name)
            entry = templates.FUNCTIONS.get(name)
            if entry is not None:
                return "(" + entry[0].format(*[self.elem(a, i, leaves) for a in e.args]) + ")"
        arr = self.operand(e)
        leaves.append(arr)
        return f"{arr}[{i}]"

    def fused_sum(self, template: str, args: list) -> str:
        """sum_i template(args[i]) over rank-1 arguments (scalars broadcast), as a loop."""
        i = f"_i{next(self.counter)}"
        acc = f"_acc{next(self.counter)}"
        leaves: list[str] = []
        ops = [self.elem(a, i, leaves) for a in args]   # scalar operands are evaluated here, once
        n = self.tmp(f"{leaves[0]}.shape[0]")
        for leaf in leaves[1:]:
            self.w(f"if {leaf}.shape[0] != {n}:")
            self.w("    raise ValueError('size mismatch')")
        self.w(f"{acc} = 0.0")
        self.w(f"for {i} in range({n}):")
        self.w(f"    {acc} += {template.format(*ops)}")
        return acc

    def sum_of(self, e: N.Expr) -> str:
        """The sum of the elements of e; one loop without temporaries when e is elementwise."""
        if rank(e.type) == 0:
            return self.expr(e)
        if rank(e.type) == 1:
            return self.fused_sum("{0}", [e])
        return f"np.sum({self.expr(e)})"

    # --------------------------------------------------------------- indices
    def index_code(self, brackets, base_type, span, base_name, base_var=None) -> str:
        parts = []
        for bi, items in enumerate(brackets):
            if bi > 0 and any(p[1] != "single" for p in parts):
                raise Unsupported("indexing after a slice", span)
            for spec in items:
                parts.append((self.one_index(spec, span, base_name, len(parts), base_var), spec.kind))
        return ", ".join(p for p, _ in parts)

    def target_index(self, brackets, v, span) -> str:
        return self.index_code(brackets, v.type, span, self.name(v), v)

    def one_index(self, spec: N.IndexSpec, span, base: str, axis: int, base_var=None) -> str:
        n = f"{base}.shape[{axis}]"
        if spec.kind == "single":
            plain = self.checked_once(spec, base_var, axis)
            if plain is not None:
                return plain
            i = self.operand(spec.lo)
            return f"K_ix({i}, {n})"
        if spec.kind == "all":
            return ":"
        if spec.kind == "slice":
            lo, hi = self.operand(spec.lo), self.operand(spec.hi)
            return f"K_ix({lo}, {n}):{hi}"
        if spec.kind == "lower":
            return f"K_ix({self.operand(spec.lo)}, {n}):"
        if spec.kind == "upper":
            return f":{self.operand(spec.hi)}"
        raise Unsupported(f"a {spec.kind} index", span)


# ----------------------------------------------------- container functions
def _sum(g: FunctionGen, e):
    return g.sum_of(e.args[0])


def _mean(g: FunctionGen, e):
    return f"np.mean({g.expr(e.args[0])})"


def _dot(g: FunctionGen, e):
    a, b = (g.operand(x) for x in e.args)
    return f"np.sum({a} * {b})"


def _rep(g: FunctionGen, e):
    x, n = (g.operand(a) for a in e.args)
    return f"np.full({n}, float({x}))"


def _size(g: FunctionGen, e):
    a = g.operand(e.args[0])
    return f"{a}.shape[0]"


_ELEMENTWISE = {"+", "-", "*", "/", ".*", "./", "u-", "exp", "log", "log1p", "expm1", "sqrt",
                "square", "inv", "inv_logit", "log_inv_logit", "fabs"}

# the library's functions (not the operators, which cost less than a temporary saves, nor
# integer division, which raises)
_REUSABLE = {key.split("#")[0] for key in templates.FUNCTIONS if key.split("#")[0].isidentifier()}

_CONTAINERS = {"sum": _sum, "mean": _mean, "dot_product": _dot, "rep_vector": _rep,
               "rep_row_vector": _rep, "rep_array": _rep, "num_elements": _size, "size": _size}
