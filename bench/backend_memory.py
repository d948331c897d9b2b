#!/usr/bin/env python3
"""What opening weft's backends costs in memory: VmRSS and VmHWM after `import weft` and
after weft.backends() (which opens OpenCL and CUDA), and the resident memory of each shared
library mapped since, from /proc/self/smaps.

    WEFT_LIBRARY=build/rel/lib PYTHONPATH=python python3 bench/backend_memory.py [--top 12]

WEFT_BACKEND_PATH=<dir holding one libweft_*.so> measures one backend alone.
"""

import argparse
import collections
import os
import sys

from common import status


def rss_by_file():
    """Resident MiB of each mapped file (all its mappings together)."""
    out = collections.Counter()
    path = None  # the file of the mapping whose fields follow
    with open("/proc/self/smaps") as f:
        for line in f:
            head = line.split()
            if not head:
                continue
            if "-" in head[0] and len(head) >= 5 and ":" not in head[0]:
                named = len(head) > 5 and head[5].startswith("/")
                path = os.path.basename(head[5]) if named else "(anonymous: heap, stacks)"
            elif head[0] == "Rss:" and path:
                out[path] += int(head[1]) / 1024
    return out


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--top", type=int, default=12, help="libraries to list")
    a = p.parse_args()
    rows = [("start", status())]
    import weft

    rows.append(("import weft", status()))
    files_before = rss_by_file()
    backends = weft.backends()
    rows.append(("weft.backends() (opens opencl, cuda)", status()))
    files_after = rss_by_file()
    for b in backends:
        print(f"backend {b.name}: loaded={b.loaded} devices={b.device_count} {b.reason}")
    base = rows[1][1]["VmRSS"]
    print(f"{'step':40s} {'VmRSS':>8s} {'VmHWM':>8s} {'+RSS':>8s}  (MiB, + over 'import weft')")
    for what, s in rows:
        print(f"{what:40s} {s['VmRSS']:8.1f} {s['VmHWM']:8.1f} {s['VmRSS'] - base:+8.1f}")
    grown = {f: files_after[f] - files_before.get(f, 0) for f in files_after}
    print("resident MiB of the libraries mapped or grown since 'import weft':")
    for f, mib in sorted(grown.items(), key=lambda kv: -kv[1])[: a.top]:
        if mib >= 0.05:
            print(f"  {mib:8.1f}  {f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
