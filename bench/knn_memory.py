#!/usr/bin/env python3
"""Where a weft k-NN process's memory goes: VmRSS and VmHWM (peak) after each step of
bench/knn.py's weft run (import, index, add, first search, k=10, k=100), in one process.

    WEFT_LIBRARY=build/rel/lib PYTHONPATH=python python3 bench/knn_memory.py \\
        [--nb 200000] [--nq 10000] [--device cpu] [--copy | --borrow]

The input is made before weft is imported, so every figure after "inputs" is weft's.
"""

import argparse
import sys

import numpy as np

from common import status


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--nb", type=int, default=200000)
    p.add_argument("--nq", type=int, default=10000)
    p.add_argument("--dim", type=int, default=128)
    p.add_argument("--device", default="cpu")
    p.add_argument("--borrow", action="store_true", help="index.add(xb, copy=False)")
    a = p.parse_args()
    rng = np.random.default_rng(0)
    xb = rng.random((a.nb, a.dim), dtype=np.float32)
    xq = rng.random((a.nq, a.dim), dtype=np.float32)
    base = status()
    rows = [("inputs", base)]

    def mark(what):
        rows.append((what, status()))

    import weft

    mark("import weft")
    index = weft.FlatIndex(a.dim)
    mark("FlatIndex()")
    if a.borrow:
        index.add(xb, copy=False)
    else:
        index.add(xb)
    mark("add" + (" (copy=False)" if a.borrow else ""))
    index.search(xq[:16], 100, device=a.device)
    mark(f"first search (16 queries, device={a.device})")
    for k in (10, 100):
        D, I = index.search(xq, k, device=a.device)
        del D, I
        mark(f"search k={k}")
    with open("/proc/self/maps") as f:
        maps = f.read()
    mapped = [lib for lib in ("libweft_opencl", "libweft_cuda", "libpocl", "libLLVM")
              if lib in maps]
    print(f"nb {a.nb}, nq {a.nq}, dim {a.dim}; inputs {(xb.nbytes + xq.nbytes) / 2**20:.1f} MiB")
    print(f"{'step':44s} {'VmRSS':>8s} {'VmHWM':>8s} {'+HWM':>8s}  (MiB, + over 'inputs')")
    for what, s in rows:
        print(f"{what:44s} {s['VmRSS']:8.1f} {s['VmHWM']:8.1f} {s['VmHWM'] - base['VmRSS']:+8.1f}")
    print("mapped backend libraries: " + (", ".join(mapped) or "none"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
