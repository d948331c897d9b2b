"""weft demo: the devices found; an elementwise map (a*x + y) and a reduction (sum / min /
max with nulls skipped) on the best device and on each device; exact k-NN search on each
device; a table query (filter, group_by, sort, join). Timed, and checked against numpy."""
import time

import numpy as np

import weft


def timed(fn, repeat=3):
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return out, best


def main(n=20_000_000):
    print(f"weft {weft.__version__}")
    print("devices:")
    for d in weft.devices():
        print(f"  {d.id:10s} {d.name}  {d.memory_bytes / 2**30:.1f} GiB, fp64={bool(d.has_fp64)}")
    for b in weft.backends():
        if not b.loaded:
            print(f"  {b.name:10s} skipped: {b.reason}")

    rng = np.random.default_rng(0)
    x = rng.standard_normal(n)
    y = rng.standard_normal(n)
    valid = rng.random(n) > 0.1  # 10% nulls
    xm = np.ma.masked_array(x, mask=~valid)
    want_axpy = 2.5 * x + y
    want_sum = float(x[valid].sum())
    (_, t_np) = timed(lambda: 2.5 * x + y)
    print(f"\n{n:,} float64 rows, 10% nulls; numpy axpy {t_np * 1e3:.1f} ms")
    print(f"{'device':12s} {'axpy ms':>9s} {'GB/s':>7s} {'sum ms':>8s}  checks")
    for dev in ["auto"] + [d.id for d in weft.devices()]:
        out, t_axpy = timed(lambda: weft.axpy(2.5, x, y, device=dev))
        ran_on = weft.last_device()
        s, t_sum = timed(lambda: weft.sum(xm, device=dev))
        lo, hi = weft.min(xm, device=dev), weft.max(xm, device=dev)
        ok = (np.array_equal(out, want_axpy) and abs(s - want_sum) <= 1e-9 * n
              and lo == x[valid].min() and hi == x[valid].max())
        gbs = 3 * 8 * n / t_axpy / 1e9
        label = f"{dev}->{ran_on}" if dev == "auto" else dev
        print(f"{label:12s} {t_axpy * 1e3:9.1f} {gbs:7.1f} {t_sum * 1e3:8.1f}  "
              f"{'same as numpy' if ok else 'MISMATCH'}")
        if not ok:
            raise SystemExit(f"device {dev} disagrees with numpy")
    print("\nlast report:\n" + weft.last_report())


def knn(nb=100_000, nq=1_000, dim=128, k=10):
    rng = np.random.default_rng(1)
    xb = rng.random((nb, dim), dtype=np.float32)
    xq = rng.random((nq, dim), dtype=np.float32)
    index = weft.FlatIndex(dim, "l2")
    index.add(xb)
    print(f"\nk-NN: {nb:,} x {dim} float32 base, {nq:,} queries, k={k}")
    want = None
    for dev in ["auto"] + [d.id for d in weft.devices()]:
        (D, I), t = timed(lambda: index.search(xq, k, device=dev), repeat=2)
        if want is None:  # numpy check of the first: exact squared L2 in float64
            d64 = ((xq[:50, None, :].astype(np.float64) - xb[None, :, :]) ** 2).sum(-1)
            want = np.sort(d64, axis=1)[:, :k]
            if not np.allclose(D[:50], want, rtol=1e-4):
                raise SystemExit("k-NN distances disagree with numpy")
            ref = I
        same = "same ids" if np.array_equal(I, ref) else "DIFFERENT ids"
        label = f"{dev}->{weft.last_device()}" if dev == "auto" else dev
        print(f"  {label:12s} {t * 1e3:8.1f} ms  {nq / t:10,.0f} QPS  {same}")


def frames(n=2_000_000):
    from weft import col

    rng = np.random.default_rng(2)
    df = weft.DataFrame({"k": rng.integers(0, 1000, n), "v": rng.random(n),
                         "w": rng.standard_normal(n)})
    names = weft.DataFrame({"k": np.arange(1000), "name": [f"g{i:03d}" for i in range(1000)]})
    out, t = timed(lambda: (df.filter(col("v") > 0.5)
                              .group_by("k").agg(col("w").sum().alias("s"),
                                                 col("v").mean().alias("m"))
                              .sort("s", descending=True)
                              .join(names, on="k")), repeat=2)
    k, v, w = (df[c].to_numpy() for c in ("k", "v", "w"))
    keep = v > 0.5
    want = np.bincount(k[keep], weights=w[keep], minlength=1000)
    got = out["s"].to_numpy()
    ok = np.allclose(np.sort(got)[::-1], np.sort(want)[::-1]) and out.height == 1000
    print(f"\ntable: {n:,} rows; filter, group_by(k).agg(sum, mean), sort, join: "
          f"{t * 1e3:.1f} ms  {'same as numpy' if ok else 'MISMATCH'}")
    print(out.head(5))
    if not ok:
        raise SystemExit("table query disagrees with numpy")


if __name__ == "__main__":
    main()
    knn()
    frames()
