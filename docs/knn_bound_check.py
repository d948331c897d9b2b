#!/usr/bin/env python3
"""Numerical check of docs/knn_bound.md: the bf16 inner-product bound holds, how tight it
is, and how many rows survive the certification on the benchmark's data.

    python3 docs/knn_bound_check.py [--nb 200000] [--nq 100] [--k 10,100]

numpy only (no weft). bf16 is emulated: float32 bits rounded to nearest even at bit 16,
subnormals flushed to zero (as AVX-512-BF16's conversion does). The bf16-path inner
product s_hat is float32 BLAS sgemm of the rounded operands: its products are exact and its
accumulation is *some* fp32 order, which bound (3) covers whatever the order. The exact
inner product s is float64 (error ~1e-16 relative, far inside the bounds checked).
Exit status 1 if any pair exceeds its bound.
"""

import argparse
import sys

import numpy as np

U_B = 2.0**-8
U = 2.0**-24
ETA = 2.0**-126


def gamma(n, u):
    return n * u / (1 - n * u)


def bf16(x):
    """float32 -> bf16 (round to nearest even, subnormals flushed), as float32."""
    b = np.ascontiguousarray(x, dtype=np.float32).view(np.uint32).astype(np.uint64)
    b = (b + 0x7FFF + ((b >> 16) & 1)) & 0xFFFF0000
    out = b.astype(np.uint32).view(np.float32).copy()
    out[np.abs(out) < np.float32(2.0**-126)] = 0
    return out


def bound(q, x, d):
    """E of (5) without the fp32-reference term: |s_hat - s| for every (query, row) pair,
    (nq, nb) float64, with the Cauchy-Schwarz step (||q|| ||x||)."""
    eps = 2 * U_B + U_B**2 + gamma(d, U) * (1 + U_B) ** 2
    qn = np.linalg.norm(q.astype(np.float64), axis=1)
    xn = np.linalg.norm(x.astype(np.float64), axis=1)
    q1 = np.abs(q.astype(np.float64)).sum(axis=1)
    x1 = np.abs(x.astype(np.float64)).sum(axis=1)
    tau1 = ETA * (1 + U_B) * (q1[:, None] + x1[None, :]) + d * ETA**2
    tau = tau1 + gamma(d, U) * tau1 + 2 * d * ETA
    return eps * np.outer(qn, xn) + tau, eps


def bound_residual(q, x, d):
    """The residual form (2'): ||q|| ||c|| + ||a|| ||x|| + ||a|| ||c|| with the actual
    rounding residuals a = q~ - q, c = x~ - x (exact in fp32, flushes included), plus the
    accumulation term gamma_d ||q~|| ||x~|| + 2 d eta (Cauchy-Schwarz on sum |q~_i x~_i|)."""
    q64, x64 = q.astype(np.float64), x.astype(np.float64)
    qt, xt = bf16(q).astype(np.float64), bf16(x).astype(np.float64)
    qn, xn = np.linalg.norm(q64, axis=1), np.linalg.norm(x64, axis=1)
    an, cn = np.linalg.norm(qt - q64, axis=1), np.linalg.norm(xt - x64, axis=1)
    acc = gamma(d, U) * np.outer(np.linalg.norm(qt, axis=1), np.linalg.norm(xt, axis=1))
    return np.outer(qn, cn) + np.outer(an, xn) + np.outer(an, cn) + acc + 2 * d * ETA


def check_pairs(name, q, x):
    d = q.shape[1]
    s = q.astype(np.float64) @ x.astype(np.float64).T
    s_hat = (bf16(q) @ bf16(x).T).astype(np.float64)
    E, eps = bound(q, x, d)
    ratio = np.abs(s_hat - s) / E
    cs = np.abs(q.astype(np.float64)) @ np.abs(x.astype(np.float64)).T
    tight = np.abs(s_hat - s) / cs.clip(1e-300)
    Er = bound_residual(q, x, d)
    ratio_r = np.abs(s_hat - s) / Er
    print(f"{name}: d={d}, {s.size} pairs: max |s_hat - s| / E = {ratio.max():.3f} "
          f"(eps_d = {eps:.6f}); residual bound (2'): max ratio {ratio_r.max():.3f}, median "
          f"E_res / E {np.median(Er / E):.3f}; max |s_hat - s| / sum|q||x| = {tight.max():.5f}")
    return ratio.max() <= 1 and ratio_r.max() <= 1


def survivors(xb, xq, k, residual=False):
    """Rows certified by section 4 under l2, per query: (count, exact top-k all inside)."""
    d = xb.shape[1]
    n_x = np.einsum("ij,ij->i", xb, xb, dtype=np.float32).astype(np.float64)
    s_hat = (bf16(xq) @ bf16(xb).T).astype(np.float64)
    E = bound_residual(xq, xb, d) if residual else bound(xq, xb, d)[0]
    E += gamma(d, U) * np.outer(np.linalg.norm(xq, axis=1), np.linalg.norm(xb, axis=1))  # (4)
    lo, hi = n_x - 2 * (s_hat + E), n_x - 2 * (s_hat - E)
    key = n_x - 2 * (xq.astype(np.float64) @ xb.astype(np.float64).T)
    T = np.partition(hi, k - 1, axis=1)[:, k - 1 : k]
    keep = lo <= T
    top = np.argsort(key, axis=1, kind="stable")[:, :k]
    inside = np.take_along_axis(keep, top, axis=1).all()
    return keep.sum(axis=1), inside


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--nb", type=int, default=200000)
    p.add_argument("--nq", type=int, default=100)
    p.add_argument("--k", default="10,100")
    a = p.parse_args()
    rng = np.random.default_rng(0)
    ok = True
    # the bound on random and adversarial data
    ok &= check_pairs("normal", rng.standard_normal((50, 128), dtype=np.float32),
                      rng.standard_normal((2000, 128), dtype=np.float32))
    ok &= check_pairs("uniform [0,1)", rng.random((50, 128), dtype=np.float32),
                      rng.random((2000, 128), dtype=np.float32))
    # every element just below a bf16 rounding midpoint: all errors align (near-tight case)
    mid = np.float32(1 + 2.0**-8 - 2.0**-20)
    ok &= check_pairs("aligned errors", np.full((4, 128), mid, np.float32),
                      np.full((4, 128), mid, np.float32))
    ok &= check_pairs("d=1", rng.standard_normal((200, 1), dtype=np.float32),
                      rng.standard_normal((200, 1), dtype=np.float32))
    ok &= check_pairs("tiny values", (rng.standard_normal((20, 64)) * 1e-37).astype(np.float32),
                      (rng.standard_normal((500, 64)) * 1e-37).astype(np.float32))
    # survivors on the benchmark's data (bench/knn.py "uniform": [0, 1)^128)
    xb = rng.random((a.nb, 128), dtype=np.float32)
    xq = rng.random((a.nq, 128), dtype=np.float32)
    for k, residual in ((int(v), r) for v in a.k.split(",") for r in (False, True)):
        inside = True
        counts = []
        for q0 in range(0, a.nq, 20):
            c, ins = survivors(xb, xq[q0 : q0 + 20], k, residual)
            counts.append(c)
            inside &= ins
        c = np.concatenate(counts)
        which = "(2')" if residual else "(2)"
        print(f"survivors, {a.nb} x 128 uniform, k={k}, bound {which}: "
              f"median {np.median(c):.0f}, "
              f"max {c.max()}, mean {c.mean():.1f} rows a query ({100 * c.mean() / a.nb:.3f}% "
              f"of the base); exact top-k always among them: {bool(inside)}")
        ok &= bool(inside)
    print("OK" if ok else "FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
