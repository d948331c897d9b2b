#!/usr/bin/env python3
"""Fails when host/ has a circle: a unit (a .c and its .h) that includes another unit's header
while that unit includes its own, directly or through others. A unit's calls go through the
headers it includes, so the include graph between units is its call graph. Run by ctest."""
import os
import re
import sys

root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "host")
inc = re.compile(r'#include\s+"([^"]+)"')
units = {}  # unit name (path under host/ without the extension) -> units it includes
for dirpath, _, files in os.walk(root):
    for f in files:
        if not f.endswith((".c", ".h")):
            continue
        path = os.path.join(dirpath, f)
        unit = os.path.relpath(path, root)[:-2]
        deps = units.setdefault(unit, set())
        for name in inc.findall(open(path).read()):
            if os.path.exists(os.path.join(root, name)):
                dep = name[:-2]
                if dep != unit:
                    deps.add(dep)

cycles, state = [], {}


def visit(u, stack):
    state[u] = 1
    stack.append(u)
    for d in sorted(units.get(u, ())):
        if state.get(d) == 1:
            cycles.append(stack[stack.index(d):] + [d])
        elif d not in state:
            visit(d, stack)
    stack.pop()
    state[u] = 2


for u in sorted(units):
    if u not in state:
        visit(u, [])
for c in cycles:
    print("circle: " + " -> ".join(c))
print(f"{len(units)} units, {len(cycles)} circles")
sys.exit(1 if cycles else 0)
