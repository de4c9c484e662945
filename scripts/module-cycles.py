#!/usr/bin/env python3
"""Finds import cycles between the modules of each crate (a module = one source file).

A module "uses" another when it names it in a `use crate::…`, `use super::…` or inline `crate::…`
path. Test code (`#[cfg(test)] mod tests { … }` at the end of a file) is ignored. Prints each
cycle (a strongly connected component of more than one module) and exits 1 if there is one.

Usage: scripts/module-cycles.py [CRATE_SRC_DIR …]   (default: every crate's src/)
"""
import os
import re
import sys

CRATES = ["common/src", "report/src", "gateway/src", "cli/src", "tests/src", "bench/src"]


def modules(src):
    """Module path (tuple) -> file, for every .rs file under src."""
    out = {}
    for root, _, files in os.walk(src):
        for f in files:
            if not f.endswith(".rs"):
                continue
            path = os.path.join(root, f)
            rel = os.path.relpath(path, src)[:-3].split(os.sep)
            if rel[-1] in ("mod", "lib", "main"):
                rel = rel[:-1]
            if rel and rel[0] == "bin":
                continue
            out[tuple(rel)] = path
    return out


def strip_tests(text):
    """The file without its test module and without comments (doc links are not imports)."""
    i = text.find("#[cfg(test)]")
    text = text if i < 0 else text[:i]
    return re.sub(r"//.*", "", text)


PATH = re.compile(r"\b(crate|super)((?:::\w+)+)")
USE_GROUP = re.compile(r"\buse\s+(crate|super)((?:::\w+)*)::\{([^;]*)\};", re.S)


def resolve(mods, here, root, parts):
    """The longest known module that a path from module `here` names."""
    base = [] if root == "crate" else list(here[:-1]) if here else []
    # `super` inside a mod.rs file refers to the parent of its directory module.
    while parts and parts[0] == "super":
        base = base[:-1]
        parts = parts[1:]
    full = base + parts
    for n in range(len(full), 0, -1):
        if tuple(full[:n]) in mods:
            return tuple(full[:n])
    return None


def edges(mods):
    graph = {m: set() for m in mods}
    for m, path in mods.items():
        text = strip_tests(open(path, encoding="utf-8").read())
        is_mod_rs = os.path.basename(path) in ("mod.rs", "lib.rs", "main.rs")
        here = m + ("_",) if is_mod_rs else m
        found = []
        for g in USE_GROUP.finditer(text):
            prefix = [p for p in g.group(2).split("::") if p]
            for item in re.split(r",", g.group(3)):
                item = item.strip().split(" as ")[0].strip()
                if not item or item == "self":
                    found.append((g.group(1), prefix))
                elif re.match(r"^\w+(::\w+)*$", item):
                    found.append((g.group(1), prefix + item.split("::")))
        for p in PATH.finditer(text):
            found.append((p.group(1), [x for x in p.group(2).split("::") if x]))
        # Paths relative to this module: `child::item` (in `use` or inline), not after `::`.
        for child in {c[len(m)] for c in mods if len(c) == len(m) + 1 and c[: len(m)] == m}:
            if re.search(r"(?<![\w:])" + child + r"::", text):
                found.append(("crate", list(m) + [child]))
        for root, parts in found:
            target = resolve(mods, here, root, parts)
            # A module naming its own ancestor is an edge too (e.g. `super::Route`).
            if target is not None and target != m:
                graph[m].add(target)
    return graph


def cycles(graph):
    index, low, stack, on, out = {}, {}, [], set(), []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(comp)

    sys.setrecursionlimit(10000)
    for v in graph:
        if v not in index:
            visit(v)
    return out


def main():
    os.chdir(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
    crates = sys.argv[1:] or [c for c in CRATES if os.path.isdir(c)]
    bad = 0
    for src in crates:
        mods = modules(src)
        for comp in cycles(edges(mods)):
            bad += 1
            names = sorted("::".join(m) or "(crate root)" for m in comp)
            print(f"{src}: a cycle among {len(comp)} modules: {', '.join(names)}")
    if bad:
        sys.exit(1)
    print("no module import cycles in " + ", ".join(crates))


if __name__ == "__main__":
    main()
