"""PoCL/OpenCL speed of the certified pass against the device fp32 path (and the CPU), one
shape: python3 bench/knn_certified_device.py (bench/RESULTS.md, session 25)."""
import time, re, numpy as np, weft
rng = np.random.default_rng(0)
n, dim, nq, k = 50000, 128, 500, 10
xb = rng.random((n, dim), dtype=np.float32); xq = rng.random((nq, dim), dtype=np.float32)
for metric in ("l2", "ip"):
    ix = weft.FlatIndex(dim, metric=metric); ix.add(xb)
    for dev in ("opencl", "cpu"):
        for prec in ("fp32", "bf16", "int8"):
            ix.search(xq[:50], k, precision=prec, device=dev, strict=True)  # warm: copy, program
            ts = []
            for _ in range(3):
                t = time.perf_counter(); ix.search(xq, k, precision=prec, device=dev, strict=True); ts.append(time.perf_counter() - t)
            m = re.search(r"\(([\d.]+) a query", weft.last_report())
            print(f"{metric} {dev:6s} {prec}: best {min(ts)*1e3:7.1f} ms  all {[round(x*1e3) for x in ts]}  {nq/min(ts):8.0f} QPS  survivors/query {m.group(1) if m else '-'}")
