"""The certified reduced-precision search on every device: precision="bf16" and "int8" on
device="opencl" (kernels/knn_certified.kern) return the device fp32 scan's answer bit for bit
(ids and distance bits), and the CPU's, on random, near-tie, huge/tiny-norm data, every
metric, k = 1 to k > n, allowed masks, sizes off every tile, a base in several shards; the
report says the device's pass ran and how many candidates it ranked again; a bound loosened
on purpose (the test-only switches) is caught on the device too."""

import os
import re
import subprocess
import sys

import numpy as np
import pytest

import weft
from device_skip import require

METRICS = ("l2", "ip", "cosine")
DEVICES = ["cpu:0", "opencl:0", "cuda:0"]
MID = np.float32(1 + 2.0**-8 - 2.0**-20)  # just below a bf16 rounding midpoint


def _cpu_has(precision):
    ix = weft.FlatIndex(4, metric="l2")
    ix.add(np.ones((2, 4), np.float32))
    ix.search(np.ones(4, np.float32), 1, precision=precision, device="cpu")
    return f"precision {precision} (asked)" in weft.last_report()


# The pass is chosen where every partition could run it, the CPU included (a device's
# failure is re-run there): int8 runs on any CPU with its portable kernel (a test switch,
# set below where the CPU has no VNNI); bf16 needs AVX512_BF16.
HAS_VNNI = _cpu_has("int8")
PRECISIONS = [p for p in ("bf16",) if _cpu_has(p)] + ["int8"]


@pytest.fixture(autouse=True)
def _portable_int8_without_vnni(monkeypatch):
    if not HAS_VNNI:
        monkeypatch.setenv("WEFT_TEST_KNN_INT8_SCALAR", "1")


def same(ix, xq, k, device, precision, allowed=None):
    """fp32 and `precision` on `device`, and fp32 on the CPU: equal ids and distance bits.
    Returns the report of the reduced-precision search."""
    d0, i0 = ix.search(xq, k, precision="fp32", device=device, strict=True, allowed=allowed)
    dc, ic = ix.search(xq, k, precision="fp32", device="cpu", allowed=allowed)
    d1, i1 = ix.search(xq, k, precision=precision, device=device, strict=True, allowed=allowed)
    rep = weft.last_report()
    assert f"precision {precision} (asked" in rep, rep
    if device.startswith("opencl"):
        assert "by the device's pass" in rep, rep
    if device.startswith("cuda"):  # beside cuBLAS: the device's fp32 scan, said so
        assert "by the device's pass" in rep or "cannot run the pass" in rep, rep
    np.testing.assert_array_equal(i1, i0)
    np.testing.assert_array_equal(d1.view(np.uint32), d0.view(np.uint32))
    np.testing.assert_array_equal(i0, ic)
    np.testing.assert_array_equal(d0.view(np.uint32), dc.view(np.uint32))
    return rep


def index_of(xb, metric, ids=None):
    ix = weft.FlatIndex(xb.shape[1], metric=metric)
    ix.add(xb, ids)
    return ix


@pytest.mark.parametrize("precision", PRECISIONS)
@pytest.mark.parametrize("metric", METRICS)
@pytest.mark.parametrize("device", DEVICES)
def test_random_data_every_k(device, metric, precision):
    require(device)
    rng = np.random.default_rng(abs(hash((device, metric, precision))) % 2**32)
    n, dim = 3001, 45  # neither a multiple of a tile (16, 64, 256) nor even
    xb = rng.standard_normal((n, dim), dtype=np.float32)
    xq = rng.standard_normal((67, dim), dtype=np.float32)
    ix = index_of(xb, metric)
    for k in (1, 10, 100, 300):  # 300 > the merge's 256-wide group
        rep = same(ix, xq, k, device, precision)
        m = re.search(r"(\d+) candidates ranked again", rep)
        assert m and 67 * k <= int(m.group(1)) < 67 * n, rep
    d, i = ix.search(xq[:3], 4096, precision=precision, device=device, strict=True)
    assert (i[:, n:] == -1).all()
    same(ix, xq[:3], 4096, device, precision)  # k > n: every row survives
    one = index_of(xb[:1], metric)
    same(one, xq[:5], 1, device, precision)
    same(one, xq[:5], 3, device, precision)


@pytest.mark.parametrize("precision", PRECISIONS)
@pytest.mark.parametrize("metric", METRICS)
@pytest.mark.parametrize("device", DEVICES)
def test_allowed_masks(device, metric, precision):
    require(device)
    rng = np.random.default_rng(7)
    xb = rng.standard_normal((2503, 32), dtype=np.float32)
    xq = rng.standard_normal((19, 32), dtype=np.float32)
    ix = index_of(xb, metric, ids=np.arange(2503, dtype=np.int64) * 3)
    for density in (0.5, 0.01, 0.0):
        mask = np.zeros(3 * 2503, bool)
        mask[::3] = rng.random(2503) < density
        for k in (1, 10, 100):
            same(ix, xq, k, device, precision, allowed=mask)
    mask = np.zeros(3 * 2503, bool)
    mask[:30] = True  # 10 allowed ids, fewer than k
    d, i = ix.search(xq, 100, precision=precision, device=device, allowed=mask)
    assert (i[:, 10:] == -1).all()
    same(ix, xq, 100, device, precision, allowed=mask)


@pytest.mark.parametrize("precision", PRECISIONS)
@pytest.mark.parametrize("metric", METRICS)
@pytest.mark.parametrize("device", DEVICES)
def test_near_ties_and_duplicates(device, metric, precision):
    require(device)
    rng = np.random.default_rng(3)
    dim = 64
    v = rng.standard_normal(dim).astype(np.float32)
    rows = []
    for i in range(1500):
        r = v.copy()
        j = rng.integers(0, dim, 3)
        r[j] = np.nextafter(r[j], np.float32(np.inf) if i % 2 else np.float32(-np.inf))
        rows.append(r)
    rows += [v] * 40  # exact duplicates: ties broken by the smaller id
    xb = np.array(rows, np.float32)
    perm = rng.permutation(len(xb))
    ix = index_of(xb[perm], metric, ids=perm.astype(np.int64))
    xq = np.vstack([v, v + np.float32(1e-3) * rng.standard_normal((4, dim)).astype(np.float32)])
    for k in (1, 10, 100, 2000):
        same(ix, xq, k, device, precision)


@pytest.mark.parametrize("precision", PRECISIONS)
@pytest.mark.parametrize("metric", METRICS)
@pytest.mark.parametrize("device", DEVICES)
def test_huge_tiny_and_midpoint_values(device, metric, precision):
    require(device)
    rng = np.random.default_rng(11)
    dim = 128
    base = rng.random((1200, dim), dtype=np.float32) + 1
    scales = np.float32(10.0) ** rng.integers(-18, 17, 1200).astype(np.float32)
    if metric == "l2":  # |x|^2 <= FLT_MAX / 4
        scales = np.minimum(scales, np.float32(1e16))
    xb = (base * scales[:, None]).astype(np.float32)
    xb[:200] = MID * (1 + np.float32(2.0**-18) * rng.integers(0, 8, (200, dim)))
    tiny = 1e-17 if metric == "cosine" else 1e-20
    if metric != "cosine":
        xb[200:210] = np.float32(1e-38)  # subnormal squares and products
        xb[210:220] = rng.random((10, dim), dtype=np.float32) * np.float32(1e-30)
    xq = np.vstack([np.full((3, dim), MID, np.float32),
                    rng.random((4, dim), dtype=np.float32) * np.float32(tiny),
                    rng.random((4, dim), dtype=np.float32) * np.float32(1e8),
                    xb[rng.integers(0, 1200, 4)]])
    ix = index_of(xb, metric)
    for k in (1, 10, 100, 4096):
        same(ix, xq, k, device, precision)


def int8_edges(rng, n, dim, metric):
    """Rows at the int8 quantizer's edges (tests/test_knn_int8.cc's adversarial rows): codes
    of 0 to 126 plus just under a rounding midpoint, the largest code 127 in every row,
    scales of 1e12 and 1e-25 (cosine: 1e-12), normal rows, duplicates and rows a few ulps
    off: a kernel that decodes a code off by one breaks the bound on these."""
    kind = rng.integers(0, 5, n)
    scale = np.where(kind == 3, 1e-12 if metric == "cosine" else 1e-25,
                     np.where(kind == 2, 1e12, 1.0)).astype(np.float32)
    rows = (rng.integers(0, 127, (n, dim)).astype(np.float32) + np.float32(0.4999)) * scale[:, None]
    rows[:, 0] = np.float32(127.0) * scale
    normal = kind == 4
    rows[normal] = rng.standard_normal((int(normal.sum()), dim)).astype(np.float32)
    for r in range(11, n, 11):
        rows[r] = rows[r - 1]
    for r in range(0, n, 13):  # an ulp up or down, or left
        steps = rng.integers(-1, 2, dim)
        off = np.nextafter(rows[r], np.where(steps > 0, np.inf, -np.inf).astype(np.float32))
        rows[r] = np.where(steps == 0, rows[r], off)
    return rows.astype(np.float32)


def ranked_again(report):
    return int(re.search(r"(\d+) candidates ranked again", report).group(1))


@pytest.mark.parametrize("metric", METRICS)
@pytest.mark.parametrize("device", DEVICES)
def test_int8_quantizer_edges_and_the_cpus_candidates(device, metric):
    """The device's int8 estimates are the CPU pass's bits (the same codes, an exact int32
    sum, the same expression), so it keeps the same candidates: a code decoded off by one
    (an offset of 127) changes their count long before it changes an answer."""
    require(device)
    rng = np.random.default_rng(17)
    xb = int8_edges(rng, 2011, 45, metric)
    xq = np.vstack([xb[:3], int8_edges(rng, 16, 45, metric)])
    ix = index_of(xb, metric)
    for k in (1, 10, 300):
        rep = same(ix, xq, k, device, "int8")
        if "by the device's pass" in rep:
            ix.search(xq, k, precision="int8", device="cpu", strict=True)
            assert ranked_again(rep) == ranked_again(weft.last_report()), (k, rep)


def test_auto_and_fp32_on_the_device():
    """auto's rule is the CPU's: where it picks a pass, device partitions still scan in fp32
    (the device kernels are slower than its fp32 path on PoCL), and say so."""
    require("opencl:0")
    rng = np.random.default_rng(5)
    ix = index_of(rng.random((33000, 32), dtype=np.float32), "l2")  # auto's minimum shape
    xq = rng.random((40, 32), dtype=np.float32)
    d0, i0 = ix.search(xq, 5, precision="fp32", device="opencl", strict=True)
    assert "precision fp32 (asked)" in weft.last_report()
    d1, i1 = ix.search(xq, 5, precision="auto", device="opencl", strict=True)
    rep = weft.last_report()
    m = re.search(r"precision (fp32|bf16|int8) \(auto", rep)
    assert m, rep
    if m.group(1) != "fp32":
        assert "40 queries scanned in fp32 on devices (auto" in rep, rep
    assert "by the device's pass" not in rep
    np.testing.assert_array_equal(i1, i0)
    np.testing.assert_array_equal(d1.view(np.uint32), d0.view(np.uint32))
    with pytest.raises(ValueError, match="precision"):
        ix.search(xq, 5, precision="fp16", device="opencl")


_SHARDS = r"""
import sys, numpy as np, weft
rng = np.random.default_rng(9)
for metric in ("l2", "ip", "cosine"):
    xb = rng.standard_normal((9001, 32), dtype=np.float32)
    xq = rng.standard_normal((21, 32), dtype=np.float32)
    ix = weft.FlatIndex(32, metric=metric)
    ix.add(xb)
    mask = rng.random(9001) < 0.7
    for precision in sys.argv[1:]:
        for k in (1, 10, 300):
            d0, i0 = ix.search(xq, k, precision="fp32", device="opencl", strict=True, allowed=mask)
            d1, i1 = ix.search(xq, k, precision=precision, device="opencl", strict=True,
                               allowed=mask)
            rep = weft.last_report()
            assert "by the device's pass" in rep, rep
            assert np.array_equal(i0, i1), (metric, precision, k)
            assert np.array_equal(d0.view(np.uint32), d1.view(np.uint32)), (metric, precision, k)
print(rep)
"""


def test_a_base_in_several_device_shards():
    """A device memory cap (read when the library loads, so in a new process) splits the
    base into shards that start mid-copy: the shards' panels, norms and positions line up."""
    require("opencl:0")
    env = dict(os.environ, WEFT_DEVICE_MEMORY_LIMIT="opencl:0=1M")
    out = subprocess.run([sys.executable, "-c", _SHARDS, *PRECISIONS], env=env,
                         capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr + out.stdout
    parts = re.search(r"(\d+) partitions?", out.stdout)
    assert parts, out.stdout


@pytest.mark.parametrize("precision", PRECISIONS)
def test_a_loosened_bound_is_caught_on_the_device(monkeypatch, precision):
    """The equality checks can fail: with the bound divided by 1000 (a test-only switch),
    rows of the fp32 top-k are pruned on the device and the answers differ."""
    require("opencl:0")
    rng = np.random.default_rng(6)
    dim = 128
    xb = (1 + rng.integers(0, 64, (3000, dim)) * np.float32(2.0**-12)).astype(np.float32)
    xq = (1 + rng.integers(0, 64, (20, dim)) * np.float32(2.0**-12)).astype(np.float32)
    switch = f"WEFT_TEST_KNN_{precision.upper()}_BOUND_SCALE"
    caught = 0
    for metric in METRICS:
        ix = index_of(xb, metric)
        same(ix, xq, 10, "opencl:0", precision)  # the real bound: equal
        monkeypatch.setenv(switch, "0.001")
        d0, i0 = ix.search(xq, 10, precision="fp32", device="opencl", strict=True)
        d1, i1 = ix.search(xq, 10, precision=precision, device="opencl", strict=True)
        monkeypatch.delenv(switch)
        caught += not np.array_equal(i1, i0)
    assert caught >= 2, caught


@pytest.mark.parametrize("precision", ["bf16", "int8"])
def test_a_cpu_without_the_instructions_still_runs_the_devices_pass(monkeypatch, precision):
    """strict with devices only: no partition can fall back to the CPU, so the device runs its
    pass whatever the CPU has; without strict the CPU may have to run it, so fp32 runs."""
    require("opencl:0")
    rng = np.random.default_rng(8)
    ix = index_of(rng.standard_normal((1500, 24), dtype=np.float32), "l2")
    xq = rng.standard_normal((9, 24), dtype=np.float32)
    d0, i0 = ix.search(xq, 10, precision="fp32", device="opencl", strict=True)
    monkeypatch.setenv("WEFT_TEST_KNN_NO_BF16", "1")
    monkeypatch.setenv("WEFT_TEST_KNN_NO_INT8", "1")
    monkeypatch.delenv("WEFT_TEST_KNN_INT8_SCALAR", raising=False)
    d1, i1 = ix.search(xq, 10, precision=precision, device="opencl", strict=True)
    rep = weft.last_report()
    assert f"precision {precision} (asked; devices only (strict)" in rep, rep
    assert "by the device's pass" in rep, rep
    np.testing.assert_array_equal(i1, i0)
    np.testing.assert_array_equal(d1.view(np.uint32), d0.view(np.uint32))
    d2, i2 = ix.search(xq, 10, precision=precision, device="opencl")
    assert f"precision fp32 ({precision} asked, but this CPU has no" in weft.last_report()
    np.testing.assert_array_equal(i2, i0)
