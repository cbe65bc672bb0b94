#!/usr/bin/env python3
"""Include discipline of core/, run as the ctest core_include_layers (so CI runs it): no include
cycle between modules (a module is x.c with x.h, so agent.c -> model.h and model.c -> agent.h is a
cycle) and, when core/LAYERS exists (one folder per line, lowest first), no include from a folder
to one above it. Exits 1 naming each cycle with the includes that close it, and each upward
include. Usage: check_layers.py [CORE_DIR]"""
import os, re, sys

core = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "core"))
INC = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)

files = {}
for d, _, names in os.walk(core):
    for n in names:
        if n.endswith((".c", ".h")):
            p = os.path.relpath(os.path.join(d, n), core)
            if not p.startswith("include" + os.sep):
                files[p] = INC.findall(open(os.path.join(d, n), encoding="utf-8", errors="replace").read())

by_base = {}
for p in files:
    by_base.setdefault(os.path.basename(p), []).append(p)

def resolve(src, inc):
    for cand in (os.path.normpath(os.path.join(os.path.dirname(src), inc)), os.path.normpath(inc)):
        if cand in files:
            return cand
    hits = by_base.get(os.path.basename(inc), [])
    return hits[0] if len(hits) == 1 else None

def module(p):
    return os.path.splitext(p)[0]

edges = {}
for p, incs in files.items():
    for inc in incs:
        t = resolve(p, inc)
        if t and module(t) != module(p):
            edges.setdefault(module(p), set()).add((module(t), p, inc))

graph = {m: {t for t, _, _ in e} for m, e in edges.items()}
nodes = {module(p) for p in files}

# Tarjan's strongly connected components, iteratively.
index, low, stack, on, sccs, counter = {}, {}, [], set(), [], [0]
for root in sorted(nodes):
    if root in index:
        continue
    work = [(root, iter(sorted(graph.get(root, ()))))]
    index[root] = low[root] = counter[0]; counter[0] += 1; stack.append(root); on.add(root)
    while work:
        v, it = work[-1]
        nxt = next(it, None)
        if nxt is not None:
            if nxt not in index:
                index[nxt] = low[nxt] = counter[0]; counter[0] += 1; stack.append(nxt); on.add(nxt)
                work.append((nxt, iter(sorted(graph.get(nxt, ())))))
            elif nxt in on:
                low[v] = min(low[v], index[nxt])
            continue
        work.pop()
        if work:
            low[work[-1][0]] = min(low[work[-1][0]], low[v])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop(); on.discard(w); comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                sccs.append(sorted(comp))

problems = 0
for comp in sccs:
    problems += 1
    print("include cycle between modules: " + ", ".join(comp))
    for m in comp:
        for t, p, inc in sorted(edges.get(m, ())):
            if t in comp:
                print(f"  core/{p} includes \"{inc}\"")

layers_file = os.path.join(core, "LAYERS")
if os.path.exists(layers_file):
    order = [l.split("#")[0].strip() for l in open(layers_file)]
    order = [l for l in order if l]
    rank = {f: i for i, f in enumerate(order)}
    for p, incs in sorted(files.items()):
        top = p.split(os.sep)[0] if os.sep in p else ""
        if top not in rank:
            problems += 1
            print(f"core/{p}: its folder '{top or '.'}' is not listed in core/LAYERS")
            continue
        for inc in incs:
            t = resolve(p, inc)
            if not t:
                continue
            ttop = t.split(os.sep)[0] if os.sep in t else ""
            if ttop in rank and rank[ttop] > rank[top]:
                problems += 1
                print(f"core/{p} includes \"{inc}\": '{top}' may not use '{ttop}', which is above it in core/LAYERS")
if problems:
    print(f"check_layers: {problems} problem(s)")
    sys.exit(1)
print(f"check_layers: {len(files)} files, no include cycle" + (", no upward include" if os.path.exists(layers_file) else ""))
