"""FlatIndex.search(precision="bf16"): the certified bf16 candidate pass returns the fp32
scan's answer bit for bit (ids and distance bits), on random, clustered and adversarial data,
every metric, k = 1, 10, 100 and 4096 > n, with allowed masks, borrowed arrays, after adds
and removes; and a bound loosened on purpose (a test-only switch) is caught."""

import os
import re

import numpy as np
import pytest

import weft

METRICS = ("l2", "ip", "cosine")
MID = np.float32(1 + 2.0**-8 - 2.0**-20)  # just below a bf16 rounding midpoint


def _has_bf16():
    ix = weft.FlatIndex(4, metric="l2")
    ix.add(np.ones((2, 4), np.float32))
    ix.search(np.ones(4, np.float32), 1, precision="bf16")
    return "precision bf16" in weft.last_report()


HAS_BF16 = _has_bf16()
needs_bf16 = pytest.mark.skipif(not HAS_BF16, reason="this CPU has no AVX512_BF16")


def same(ix, xq, k, allowed=None):
    """Searches with fp32 and bf16; asserts equal ids and distance bits; returns the bf16
    report."""
    d0, i0 = ix.search(xq, k, precision="fp32", allowed=allowed)
    assert "precision fp32 (asked)" in weft.last_report()
    d1, i1 = ix.search(xq, k, precision="bf16", allowed=allowed)
    rep = weft.last_report()
    np.testing.assert_array_equal(i1, i0)
    np.testing.assert_array_equal(d1.view(np.uint32), d0.view(np.uint32))
    return rep


def index_of(xb, metric, ids=None):
    ix = weft.FlatIndex(xb.shape[1], metric=metric)
    ix.add(xb, ids)
    return ix


def clustered(rng, n, dim, centers=20, sigma=0.05):
    c = rng.random((centers, dim), dtype=np.float32)
    return (c[rng.integers(0, centers, n)] + sigma * rng.standard_normal((n, dim))).astype(np.float32)


@pytest.mark.parametrize("metric", METRICS)
@pytest.mark.parametrize("data", ["uniform", "normal", "clustered"])
def test_random_and_clustered_data_every_k(metric, data):
    rng = np.random.default_rng(hash((metric, data)) % 2**32)
    n, dim = 6007, 45  # neither a multiple of a tile nor even
    if data == "uniform":
        xb, xq = rng.random((n, dim), dtype=np.float32), rng.random((70, dim), dtype=np.float32)
    elif data == "normal":
        xb = rng.standard_normal((n, dim), dtype=np.float32)
        xq = rng.standard_normal((70, dim), dtype=np.float32)
    else:
        xb, xq = clustered(rng, n, dim), clustered(rng, 70, dim)
    ix = index_of(xb, metric)
    for k in (1, 10, 100):
        rep = same(ix, xq, k)
        if HAS_BF16:
            assert "precision bf16 (asked)" in rep
            m = re.search(r"(\d+) candidates ranked again", rep)
            assert m and int(m.group(1)) >= 70 * k
    small = index_of(xb[:3001], metric)
    d, i = small.search(xq, 4096, precision="bf16")
    assert (i[:, 3001:] == -1).all()
    same(small, xq, 4096)


@pytest.mark.parametrize("metric", METRICS)
def test_allowed_masks(metric):
    rng = np.random.default_rng(7)
    xb = rng.standard_normal((5000, 32), dtype=np.float32)
    xq = rng.standard_normal((40, 32), dtype=np.float32)
    ix = index_of(xb, metric, ids=np.arange(5000, dtype=np.int64) * 3)
    for density in (0.5, 0.01, 0.0):
        mask = np.zeros(15000, bool)
        mask[::3] = rng.random(5000) < density
        for k in (1, 10, 100):
            same(ix, xq, k, allowed=mask)
    mask = np.zeros(15000, bool)
    mask[:30] = True  # 10 allowed ids, fewer than k
    d, i = ix.search(xq, 100, precision="bf16", allowed=mask)
    assert (i[:, 10:] == -1).all()
    same(ix, xq, 100, allowed=mask)


@pytest.mark.parametrize("metric", METRICS)
def test_near_ties_and_duplicates_go_to_the_smaller_id(metric):
    rng = np.random.default_rng(3)
    dim = 64
    v = rng.standard_normal(dim).astype(np.float32)
    rows = []
    for i in range(3000):
        r = v.copy()
        j = rng.integers(0, dim, 3)
        r[j] = np.nextafter(r[j], np.float32(np.inf) if i % 2 else np.float32(-np.inf))
        rows.append(r)
    rows += [v] * 50  # exact duplicates
    xb = np.array(rows, np.float32)
    perm = rng.permutation(len(xb))
    ix = index_of(xb[perm], metric, ids=perm.astype(np.int64))
    xq = np.vstack([v, v + np.float32(1e-3) * rng.standard_normal((5, dim)).astype(np.float32)])
    for k in (1, 10, 100, 4096):
        same(ix, xq, k)


@pytest.mark.parametrize("metric", METRICS)
def test_huge_tiny_and_midpoint_values(metric):
    rng = np.random.default_rng(11)
    dim = 128
    base = rng.random((2000, dim), dtype=np.float32) + 1
    scales = np.float32(10.0) ** rng.integers(-18, 17, 2000).astype(np.float32)
    if metric == "l2":  # |x|^2 <= FLT_MAX / 4
        scales = np.minimum(scales, np.float32(1e16))
    xb = (base * scales[:, None]).astype(np.float32)
    xb[:300] = MID * (1 + np.float32(2.0**-18) * rng.integers(0, 8, (300, dim)))  # errors aligned
    tiny = 1e-17 if metric == "cosine" else 1e-20  # cosine needs |x|^2 >= FLT_MIN
    if metric != "cosine":
        xb[300:310] = np.float32(1e-38)  # subnormal squares, flushed bf16 products
        xb[310:320] = rng.random((10, dim), dtype=np.float32) * np.float32(1e-30)
    xq = np.vstack([np.full((3, dim), MID, np.float32),
                    rng.random((5, dim), dtype=np.float32) * np.float32(tiny),
                    rng.random((5, dim), dtype=np.float32) * np.float32(1e8),
                    xb[rng.integers(0, 2000, 5)]])
    ix = index_of(xb, metric)
    for k in (1, 10, 100, 4096):
        same(ix, xq, k)


def test_empty_and_emptied_index():
    ix = weft.FlatIndex(8, metric="l2")
    d, i = ix.search(np.ones(8, np.float32), 3, precision="bf16")
    assert (i == -1).all() and np.isinf(d).all()
    ix.add(np.ones((3, 8), np.float32))
    ix.remove(np.arange(3))
    d, i = ix.search(np.ones(8, np.float32), 3, precision="bf16")
    assert (i == -1).all()
    ix.add(np.arange(16, dtype=np.float32).reshape(2, 8))
    same(ix, np.ones((1, 8), np.float32), 3)


def test_d1_and_odd_dims():
    rng = np.random.default_rng(5)
    for dim in (1, 2, 3, 17):
        xb = rng.standard_normal((700, dim), dtype=np.float32)
        xq = rng.standard_normal((9, dim), dtype=np.float32)
        for metric in METRICS:
            same(index_of(xb, metric), xq, 10)


@pytest.mark.parametrize("metric", METRICS)
def test_adds_removes_and_borrowed_rows_keep_the_copy_in_step(metric):
    rng = np.random.default_rng(13)
    dim = 24
    xq = rng.standard_normal((30, dim), dtype=np.float32)
    ix = weft.FlatIndex(dim, metric=metric)
    ix.add(rng.standard_normal((2000, dim), dtype=np.float32), np.arange(0, 4000, 2))
    same(ix, xq, 10)  # the copy is made here
    ix.add(rng.standard_normal((500, dim), dtype=np.float32), np.arange(1, 1000, 2))  # interleaved
    same(ix, xq, 10)
    ix.add(rng.standard_normal((300, dim), dtype=np.float32), np.arange(5000, 5300))  # appended
    same(ix, xq, 10)
    ix.remove(np.arange(0, 600, 3))
    same(ix, xq, 10)
    ix.remove(np.arange(5200, 5300))  # a tail
    same(ix, xq, 100)
    if metric != "cosine":  # cosine copies (it normalizes)
        xb = rng.standard_normal((3000, dim), dtype=np.float32)
        b = weft.FlatIndex(dim, metric=metric)
        b.add(xb, copy=False)
        same(b, xq, 10)
        b.remove(np.arange(100))  # copies the borrowed rows, moves them
        same(b, xq, 10)


@needs_bf16
def test_report_says_which_ran_and_how_many_candidates():
    rng = np.random.default_rng(1)
    ix = index_of(rng.random((3000, 64), dtype=np.float32), "l2")
    xq = rng.random((20, 64), dtype=np.float32)
    ix.search(xq, 10, precision="bf16")
    rep = weft.last_report()
    assert "precision bf16 (asked)" in rep
    m = re.search(r"(\d+) candidates ranked again in fp32 \(([\d.]+) a query", rep)
    assert m and 200 <= int(m.group(1)) < 3000 * 20
    assert "0 queries scanned in fp32" in rep
    assert re.search(r"bf16 copy of the rows: [\d.]+ (KiB|MiB) \(3000 rows of dim 64\)", rep)
    ix.search(xq, 10, precision="auto")
    assert re.search(r"precision (fp32|bf16) \(auto", weft.last_report())
    ix.search(xq, 10)  # auto again
    assert re.search(r"precision (fp32|bf16) \(auto", weft.last_report())


def test_without_avx512_bf16_the_fp32_scan_runs(monkeypatch):
    rng = np.random.default_rng(2)
    ix = index_of(rng.random((1000, 16), dtype=np.float32), "l2")
    xq = rng.random((5, 16), dtype=np.float32)
    d0, i0 = ix.search(xq, 10, precision="fp32")
    monkeypatch.setenv("WEFT_TEST_KNN_NO_BF16", "1")
    d1, i1 = ix.search(xq, 10, precision="bf16")
    assert "precision fp32 (bf16 asked, but this CPU has no AVX512_BF16)" in weft.last_report()
    np.testing.assert_array_equal(i1, i0)
    np.testing.assert_array_equal(d1.view(np.uint32), d0.view(np.uint32))


@needs_bf16
def test_too_many_candidates_fall_back_to_the_fp32_scan():
    # 20000 rows within the bound of each other: every one survives, past the buffer
    rng = np.random.default_rng(4)
    v = rng.standard_normal(32).astype(np.float32)
    xb = np.repeat(v[None], 20000, 0)
    xb += np.float32(1e-6) * rng.standard_normal(xb.shape).astype(np.float32)
    ix = index_of(xb, "l2")
    xq = np.vstack([v, v + 1e-6])
    rep = same(ix, xq, 10)
    assert "2 queries scanned in fp32 (too many candidates)" in rep


@needs_bf16
def test_a_loosened_bound_is_caught(monkeypatch):
    """The equality checks can fail: with the bound divided by 1000 (a test-only switch),
    candidates of the fp32 top-k are pruned and the answers differ."""
    rng = np.random.default_rng(6)
    dim = 128
    # near-ties inside the bf16 error: many rows one bf16 rounding apart
    xb = (1 + rng.integers(0, 64, (4000, dim)) * np.float32(2.0**-12)).astype(np.float32)
    xq = (1 + rng.integers(0, 64, (30, dim)) * np.float32(2.0**-12)).astype(np.float32)
    for metric in METRICS:
        ix = index_of(xb, metric)
        same(ix, xq, 10)  # the real bound: equal
        monkeypatch.setenv("WEFT_TEST_KNN_BF16_BOUND_SCALE", "0.001")
        d0, i0 = ix.search(xq, 10, precision="fp32")
        d1, i1 = ix.search(xq, 10, precision="bf16")
        monkeypatch.delenv("WEFT_TEST_KNN_BF16_BOUND_SCALE")
        assert not np.array_equal(i1, i0), metric


def test_bad_precision_names_the_call():
    ix = index_of(np.ones((3, 4), np.float32), "l2")
    with pytest.raises(weft.InvalidArgumentError, match=r"FlatIndex.search\(precision=...\).*'bf32'"):
        ix.search(np.ones(4, np.float32), 1, precision="bf32")
    with pytest.raises(weft.InvalidArgumentError, match="precision"):
        ix.search(np.ones(4, np.float32), 1, precision=None)


def test_concurrent_bf16_searches_make_one_copy():
    import threading

    rng = np.random.default_rng(8)
    ix = index_of(rng.random((8000, 32), dtype=np.float32), "ip")
    xq = rng.random((16, 32), dtype=np.float32)
    d0, i0 = ix.search(xq, 10, precision="fp32")
    out, errs = [], []

    def run():
        try:
            out.append(ix.search(xq, 10, precision="bf16"))
        except Exception as e:  # pragma: no cover - reported below
            errs.append(e)

    ts = [threading.Thread(target=run) for _ in range(4)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    assert not errs
    for d, i in out:
        np.testing.assert_array_equal(i, i0)
        np.testing.assert_array_equal(d.view(np.uint32), d0.view(np.uint32))
