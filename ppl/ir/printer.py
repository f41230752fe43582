"""Text form of the IR (``pplc compile --emit ir``) and of the AST (``--emit ast``)."""
from __future__ import annotations

import dataclasses

from ppl.frontend import ast as A
from ppl.frontend.errors import Span

from . import nodes as N

_DEP = {N.DATA: "data", N.STEP: "step", N.SMOOTH: "param"}


def expr_text(e: N.Expr) -> str:
    if isinstance(e, N.Const):
        return repr(e.value)
    if isinstance(e, N.Load):
        return e.var.name
    if isinstance(e, N.TargetValue):
        return "target()"
    if isinstance(e, N.Index):
        return f"{expr_text(e.base)}[{', '.join(_spec(s) for s in e.indices)}]"
    if isinstance(e, N.Call):
        g = f"@g{e.guard}" if e.guard is not None else ""
        name = e.fn.name
        if name in ("u-", "u+", "!"):
            return f"{name[-1]}({expr_text(e.args[0])}){g}"
        if name == "'":
            return f"({expr_text(e.args[0])})'"
        if not name[0].isalpha():
            return f"({expr_text(e.args[0])} {name} {expr_text(e.args[1])}){g}"
        return f"{name}({', '.join(expr_text(a) for a in e.args)}){g}"
    if isinstance(e, N.Lpdf):
        rest = ", ".join(expr_text(a) for a in e.args[1:])
        return f"{e.dist.call_name}({expr_text(e.args[0])} | {rest})"
    if isinstance(e, N.Rng):
        return f"{e.dist.name}_rng({', '.join(expr_text(a) for a in e.args)})"
    if isinstance(e, N.Select):
        return f"({expr_text(e.cond)} ? {expr_text(e.then)} : {expr_text(e.other)})"
    if isinstance(e, N.Build):
        inner = ", ".join(expr_text(x) for x in e.items)
        return "{" + inner + "}" if e.kind == "array" else "[" + inner + "]"
    if isinstance(e, N.Segment):
        return f"segment({e.var.name}, {expr_text(e.t)})"
    return type(e).__name__


def _spec(s: N.IndexSpec) -> str:
    lo = expr_text(s.lo) if s.lo is not None else ""
    hi = expr_text(s.hi) if s.hi is not None else ""
    return {"single": lo, "multi": lo, "slice": f"{lo}:{hi}", "lower": f"{lo}:",
            "upper": f":{hi}", "all": ":"}[s.kind]


def _var_decl(v: N.Variable) -> str:
    sizes = [expr_text(e) for e in [*v.array_sizes, *v.sizes]]
    shape = f"[{', '.join(sizes)}]" if sizes else ""
    c = ""
    if v.constraint is not None:
        c = " " + v.constraint.kind
        args = [f"{k}={expr_text(getattr(v.constraint, k))}" for k in ("lower", "upper", "offset", "multiplier")
                if getattr(v.constraint, k) is not None]
        if args:
            c += "<" + ", ".join(args) + ">"
    return f"{v.keyword}{shape} {v.name}{c}  :: {v.type} {_DEP[v.dep]}"


def stmts_text(stmts, indent=1) -> list[str]:
    pad = "  " * indent
    out = []
    for s in stmts:
        loc = f"  // {s.span.line}:{s.span.col}" if s.span.line else ""
        if isinstance(s, N.Declare):
            out.append(f"{pad}declare {_var_decl(s.var)}{loc}")
        elif isinstance(s, N.Assign):
            idx = "".join(f"[{', '.join(_spec(x) for x in items)}]" for items in s.indices)
            out.append(f"{pad}{s.var.name}{idx} = {expr_text(s.value)}{loc}")
        elif isinstance(s, N.TargetAdd):
            out.append(f"{pad}target += {expr_text(s.value)}{loc}")
        elif isinstance(s, N.For):
            out.append(f"{pad}for {s.var.name} in {expr_text(s.lo)}:{expr_text(s.hi)} {{{loc}")
            out += stmts_text(s.body, indent + 1) + [pad + "}"]
        elif isinstance(s, N.ForEach):
            out.append(f"{pad}for {s.var.name} in {expr_text(s.collection)} {{{loc}")
            out += stmts_text(s.body, indent + 1) + [pad + "}"]
        elif isinstance(s, N.While):
            out.append(f"{pad}while {expr_text(s.cond)} {{{loc}")
            out += stmts_text(s.body, indent + 1) + [pad + "}"]
        elif isinstance(s, N.If):
            out.append(f"{pad}if {expr_text(s.cond)} {{{loc}")
            out += stmts_text(s.then, indent + 1)
            if s.other:
                out.append(pad + "} else {")
                out += stmts_text(s.other, indent + 1)
            out.append(pad + "}")
        elif isinstance(s, (N.Print, N.Reject)):
            items = ", ".join(repr(i) if isinstance(i, str) else expr_text(i) for i in s.items)
            out.append(f"{pad}{type(s).__name__.lower()}({items}){loc}")
        else:
            out.append(f"{pad}{type(s).__name__.lower()}{loc}")
    return out


def program_text(p: N.Program) -> str:
    out = [f"// IR of {p.path}"]

    def section(name, lines):
        out.append(f"{name} {{")
        out.extend(lines)
        out.append("}")

    section("data", [f"  {_var_decl(v)}" for v in p.data])
    section("transformed data", stmts_text(p.transformed_data))
    section("parameters", [f"  {_var_decl(v)}" for v in p.parameters])
    section("transformed parameters", stmts_text(p.transformed_parameters))
    section("model", stmts_text(p.model))
    section("generated quantities", stmts_text(p.generated_quantities))
    if p.guards:
        out.append("guards {")
        for g in p.guards:
            mz = " (measure zero)" if g.measure_zero else ""
            out.append(f"  g{g.id} {g.line}:{g.col} {g.kind}{mz}: {g.text}")
        out.append("}")
    return "\n".join(out)


def ast_text(node, indent=0) -> str:
    """An indented dump of the AST (fields, without spans and checker annotations)."""
    pad = "  " * indent
    if isinstance(node, list):
        return "\n".join(ast_text(x, indent) for x in node) if node else pad + "[]"
    if isinstance(node, (A.Node,)):
        lines = [f"{pad}{type(node).__name__}"
                 + (f" @{node.span.line}:{node.span.col}" if isinstance(node.span, Span) and node.span.line else "")]
        for f in dataclasses.fields(node):
            if f.name in ("span", "type", "decl", "fn", "name_span", "var_span", "dist_span", "lhs_type",
                          "block_spans", "path"):
                continue
            val = getattr(node, f.name)
            if isinstance(val, (A.Node, list)) and val:
                lines.append(f"{pad}  {f.name}:")
                lines.append(ast_text(val, indent + 2))
            elif isinstance(val, dict):
                for k, v in val.items():
                    lines.append(f"{pad}  {k}:")
                    lines.append(ast_text(v, indent + 2))
            elif val not in (None, [], "", False):
                lines.append(f"{pad}  {f.name}: {val!r}")
        return "\n".join(lines)
    return pad + repr(node)
