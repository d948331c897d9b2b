"""weft demo: the devices found, then an elementwise map (a*x + y) and a reduction
(sum / min / max with nulls skipped) on the best device and on each device, with timings,
checked against numpy."""
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


if __name__ == "__main__":
    main()
