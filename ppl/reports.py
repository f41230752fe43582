"""Plain-text reports for the command line (``pplc check``)."""
from __future__ import annotations


def table(headers: list[str], rows: list[list], indent: str = "  ") -> str:
    cells = [[str(h) for h in headers]] + [[str(c) for c in r] for r in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    lines = []
    for k, r in enumerate(cells):
        lines.append(indent + "  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip())
        if k == 0:
            lines.append(indent + "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def check_report(model, bound=None) -> str:
    out = [f"model {model.path}: ok"]
    decls = {d["name"]: d for d in model.parameter_decls()}
    rows = []
    total = 0
    if bound is not None:
        for slot in bound.parameter_slots:
            d = decls[slot.name]
            shape = "scalar" if not slot.shape else "[" + ", ".join(map(str, slot.shape)) + "]"
            rows.append([slot.name, d["keyword"], shape, d["constraint"], slot.size])
            total += slot.size
    else:
        for d in decls.values():
            if d["keyword"] == "changepoints":
                continue
            shape = "scalar" if not d["sizes"] else "[" + ", ".join(d["sizes"]) + "]"
            rows.append([d["name"], d["keyword"], shape, d["constraint"], "(needs data)"])
    head = f"parameters ({total} unconstrained)" if bound is not None else "parameters"
    out.append(f"{head}:" if rows else "parameters: none")
    if rows:
        out.append(table(["name", "type", "shape", "constraint", "unconstrained"], rows))

    guards = model.guards
    counts = bound.guard_instance_counts() if bound is not None and guards else {}
    if guards:
        n_inst = sum(counts.values()) if counts else None
        extra = f", {n_inst} instances" if n_inst is not None else " (instance counts need --data)"
        out.append(f"guards ({len(guards)} sites{extra}):")
        grows = []
        for g in guards:
            kind = g.kind + (" (measure zero)" if g.measure_zero else "")
            grows.append([f"g{g.id}", f"{g.line}:{g.col}", counts.get(g.id, "-"), kind, g.text])
        out.append(table(["id", "line:col", "instances", "kind", "condition"], grows))
    else:
        out.append("guards: none (the density is differentiable in the parameters)")

    from ppl.ad import gradient_program
    out.append(f"gradient: reverse-mode, {gradient_program(model.program).n_ops} ops")

    cps = model.changepoints
    if cps:
        out.append("changepoints:")
        crows = []
        for v in cps:
            d = decls[v.name]
            crows.append([v.name, d["sizes"][0], d["sizes"][1], f"{v.span.line}:{v.span.col}"])
        out.append(table(["name", "M", "T", "line:col"], crows))
    else:
        out.append("changepoints: none")
    return "\n".join(out)
