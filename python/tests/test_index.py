"""weft.FlatIndex against float64 numpy brute force, on every device (strict: a device test
never falls back to the CPU), and against faiss when it imports."""

import gc
import os
import sys
import threading

import numpy as np
import pytest

import weft
from conftest import DEVICES, device_params

METRICS = ["l2", "ip", "cosine"]
KS = [1, 10, 100, 1024, 4096]
REL = 1e-5  # float32 distances against float64 ones, relative to the scale of the terms


def _pad(metric):
    return np.inf if metric == "l2" else -np.inf


class Ref:
    """float64 brute force over a database (vectors, ids), optionally under an allowed
    mask over ids: distances computed in float64, ids ordered by np.lexsort on
    (id, distance) so that ties go to the smaller id."""

    def __init__(self, xb, ids, metric, allowed=None):
        xb = np.asarray(xb, dtype=np.float64).reshape(len(ids), -1)
        ids = np.asarray(ids, dtype=np.int64)
        if allowed is not None:
            mask = allowed.to_mask() if isinstance(allowed, weft.Bitset) else np.asarray(allowed)
            ok = ids < mask.size
            ok[ok] = mask[ids[ok]]
            xb, ids = xb[ok], ids[ok]
        if metric == "cosine":
            xb = xb / np.linalg.norm(xb, axis=1, keepdims=True)
        self.xb, self.ids, self.metric = xb, ids, metric
        self.bnorm = float(np.max(np.sum(xb * xb, axis=1))) if len(xb) else 0.0

    def scores(self, xq):
        """(nq, nb) float64: squared L2 distance, or inner product / cosine similarity."""
        xq = np.atleast_2d(np.asarray(xq, dtype=np.float64))
        if self.metric == "cosine":
            xq = xq / np.linalg.norm(xq, axis=1, keepdims=True)
        ip = xq @ self.xb.T
        if self.metric == "l2":
            qn, bn = np.sum(xq * xq, axis=1), np.sum(self.xb * self.xb, axis=1)
            return qn[:, None] + bn[None, :] - 2 * ip
        return ip

    def tol(self, xq):
        """Per query: the absolute error float32 arithmetic may make, with margin."""
        xq = np.asarray(xq, dtype=np.float64)
        qn = np.sum(xq * xq, axis=1)
        if self.metric == "l2":
            scale = qn + self.bnorm
        elif self.metric == "ip":
            scale = np.sqrt(qn * self.bnorm)
        else:
            scale = np.ones_like(qn)
        return REL * np.maximum(scale, 1e-30)

    def search(self, xq, k):
        xq = np.asarray(xq, dtype=np.float64)
        nq = xq.shape[0]
        D = np.full((nq, k), _pad(self.metric))
        I = np.full((nq, k), -1, dtype=np.int64)
        if len(self.ids) == 0 or nq == 0:
            return D, I
        s = self.scores(xq)
        key = s if self.metric == "l2" else -s
        order = np.lexsort((np.broadcast_to(self.ids, key.shape), key), axis=-1)[:, :k]
        m = order.shape[1]
        I[:, :m] = self.ids[order]
        D[:, :m] = np.take_along_axis(s, order, axis=1)
        return D, I

    def check(self, xq, k, D, I, exact=False):
        """Asserts (D, I) from weft is the k-NN of xq: shapes and dtypes, padding, D close
        to the reference rank by rank, each id's own distance close to its D, ids equal
        to the reference where not tied (all of them when exact), distinct and sorted."""
        xq = np.atleast_2d(np.asarray(xq, dtype=np.float64))
        rD, rI = self.search(xq, k)
        nq = xq.shape[0]
        assert D.shape == (nq, k) and I.shape == (nq, k), (D.shape, I.shape)
        assert D.dtype == np.float32 and I.dtype == np.int64
        assert D.flags.c_contiguous and I.flags.c_contiguous
        pad = rI == -1
        np.testing.assert_array_equal(I == -1, pad, err_msg="padding ids differ")
        assert np.all(D[pad] == _pad(self.metric)), "padding distances"
        tol = self.tol(xq)[:, None] * np.ones((1, k))
        with np.errstate(invalid="ignore"):  # inf - inf in the padding
            err = np.abs(D.astype(np.float64) - rD)
        err[pad] = 0
        assert np.all(err <= tol), f"distance off by {err.max()} (tol {tol.max()})"
        if exact:
            np.testing.assert_array_equal(I, rI)
        hit = ~pad
        if hit.any():
            # each returned id exists, is allowed, and its true distance is its D
            sorter = np.argsort(self.ids)
            qi, col = np.nonzero(hit)
            where = np.searchsorted(self.ids, I[hit], sorter=sorter)
            where = np.minimum(where, len(self.ids) - 1)
            pos = sorter[where]
            assert np.all(self.ids[pos] == I[hit]), "an id not in the (allowed) database"
            s = self.scores(xq)
            true = s[qi, pos]
            assert np.all(np.abs(true - D[hit]) <= tol[hit]), "an id's distance is not its D"
            # where ids differ from the reference, the distances tie (within tol)
            assert np.all(np.abs(true - rD[hit]) <= tol[hit]), "ids differ beyond ties"
        for r in range(nq):
            row = I[r][I[r] >= 0]
            assert len(np.unique(row)) == len(row), f"query {r}: an id twice"
        d = D.astype(np.float64)
        with np.errstate(invalid="ignore"):
            step = np.diff(d, axis=1) if self.metric == "l2" else -np.diff(d, axis=1)
        step[np.isnan(step)] = 0  # inf - inf in the padding
        assert np.all(step >= 0), "not sorted best first"
        return rD, rI


def _data(rng, n, dim, kind="normal"):
    if kind == "normal":
        return rng.standard_normal((n, dim)).astype(np.float32)
    if kind == "int":  # small integers: every distance exact in float32
        return rng.integers(-3, 4, size=(n, dim)).astype(np.float32)
    raise ValueError(kind)


def _index(xb, metric, ids=None):
    index = weft.FlatIndex(dim=xb.shape[1], metric=metric)
    index.add(xb, ids=ids)
    return index


def _search(index, xq, k, dev, **kw):
    D, I = index.search(xq, k, device=dev.id, strict=True, **kw)
    assert weft.last_device() == dev.id, weft.last_report()
    return D, I


# ---------------------------------------------------------------------------- against numpy


@pytest.mark.parametrize("k", KS)
@pytest.mark.parametrize("metric", METRICS)
@pytest.mark.parametrize("dev", device_params())
def test_search_matches_numpy(dev, metric, k, rng):
    nb, nq, dim = (5000, 20, 32) if k >= 1024 else (3000, 40, 48)
    xb, xq = _data(rng, nb, dim), _data(rng, nq, dim)
    xb0, xq0 = xb.copy(), xq.copy()
    index = _index(xb, metric)
    D, I = _search(index, xq, k, dev)
    Ref(xb, np.arange(nb), metric).check(xq, k, D, I)
    assert np.array_equal(xb, xb0) and np.array_equal(xq, xq0), "inputs changed"


@pytest.mark.parametrize("metric", METRICS)
@pytest.mark.parametrize("dev", device_params())
def test_fewer_rows_than_k_pads(dev, metric, rng):
    nb, dim, k = 37, 16, 100
    xb, xq = _data(rng, nb, dim), _data(rng, 5, dim)
    index = _index(xb, metric)
    D, I = _search(index, xq, k, dev)
    Ref(xb, np.arange(nb), metric).check(xq, k, D, I)
    assert np.all(I[:, nb:] == -1) and np.all(D[:, nb:] == _pad(metric))
    assert np.all(I[:, :nb] >= 0)
    assert sorted(I[0, :nb]) == list(range(nb))


@pytest.mark.parametrize("metric", METRICS)
@pytest.mark.parametrize("dev", device_params())
def test_user_ids(dev, metric, rng):
    dim, n1, n2 = 24, 700, 500
    ids = np.unique(rng.integers(0, 2**40, size=4 * (n1 + n2)))[: n1 + n2]
    ids = rng.permutation(ids)  # shuffled; the second batch interleaves the first
    ids[0] = 2**40  # the largest allowed in this test
    x1, x2 = _data(rng, n1, dim), _data(rng, n2, dim)
    index = weft.FlatIndex(dim, metric)
    index.add(x1, ids=ids[:n1])
    index.add(x2, ids=list(ids[n1:]))  # a Python list works too
    assert len(index) == n1 + n2
    xq = _data(rng, 30, dim)
    D, I = _search(index, xq, 50, dev)
    ref = Ref(np.concatenate([x1, x2]), ids, metric)
    ref.check(xq, 50, D, I)
    assert set(I.ravel()) <= set(ids.tolist())
    # nearest of a database vector under l2 is itself
    if metric == "l2":
        D, I = _search(index, x2[:10], 1, dev)
        np.testing.assert_array_equal(I[:, 0], ids[n1 : n1 + 10])
        assert np.all(D[:, 0] <= 1e-3)


@pytest.mark.parametrize("dev", device_params())
def test_sequential_ids_follow_order_of_addition(dev, rng):
    dim = 8
    x1, x2 = _data(rng, 100, dim), _data(rng, 60, dim)
    index = weft.FlatIndex(dim)
    index.add(x1)
    index.add(x2)
    xs = np.concatenate([x1, x2])
    D, I = _search(index, xs, 1, dev)
    np.testing.assert_array_equal(I[:, 0], np.arange(160))
    assert np.all(D[:, 0] <= 1e-4)
    # after user ids, the sequence goes on past the largest id (as the C API says)
    index.add(_data(rng, 2, dim), ids=[1000, 500])
    index.add(x1[:3] + 100)
    D, I = _search(index, x1[:3] + 100, 1, dev)
    np.testing.assert_array_equal(I[:, 0], [1001, 1002, 1003])


@pytest.mark.parametrize("metric", METRICS)
@pytest.mark.parametrize("dev", device_params())
def test_remove_then_search(dev, metric, rng):
    nb, dim, k = 2000, 16, 20
    xb, xq = _data(rng, nb, dim), _data(rng, 25, dim)
    ids = rng.permutation(nb).astype(np.int64) * 3 + 7
    index = _index(xb, metric, ids=ids)
    D0, I0 = _search(index, xq, k, dev)
    # remove every id of the first result row, and a random third of the others
    gone = np.union1d(I0[0], rng.choice(ids, nb // 3, replace=False))
    assert index.remove(gone) == len(gone)
    assert len(index) == nb - len(gone)
    keep = ~np.isin(ids, gone)
    D, I = _search(index, xq, k, dev)
    Ref(xb[keep], ids[keep], metric).check(xq, k, D, I)
    assert not np.isin(I, gone).any()
    # absent ids are ignored, duplicates count once; scalars and lists work
    assert index.remove(gone[:5]) == 0
    left = ids[keep]
    assert index.remove([left[0], left[0], 10**12]) == 1
    assert index.remove(int(left[1])) == 1
    assert index.remove(np.array([], dtype=np.int64)) == 0
    assert index.remove([]) == 0
    assert len(index) == keep.sum() - 2
    # remove everything: only padding
    before = len(index)
    assert index.remove(ids) == before
    assert len(index) == 0
    D, I = _search(index, xq, k, dev)
    assert np.all(I == -1) and np.all(D == _pad(metric))
    # and add again
    index.add(xb[:5], ids=[1, 2, 3, 4, 5])
    D, I = _search(index, xq, 10, dev)
    Ref(xb[:5], [1, 2, 3, 4, 5], metric).check(xq, 10, D, I)


@pytest.mark.parametrize("metric", METRICS)
@pytest.mark.parametrize("dev", device_params())
def test_allowed(dev, metric, rng):
    nb, dim, k = 3000, 16, 30
    xb, xq = _data(rng, nb, dim), _data(rng, 20, dim)
    ids = rng.permutation(nb).astype(np.int64)
    index = _index(xb, metric, ids=ids)
    mask = rng.random(nb) < 0.3
    cases = {
        "bool": mask,
        "bitset": weft.Bitset(mask),
        "from_ids": weft.Bitset.from_ids(np.flatnonzero(mask)),
        "short mask": mask[: nb // 2],  # ids past its end are excluded
        "few allowed": weft.Bitset.from_ids([5, 17, 2999, 1000], size=nb),  # fewer than k
        "list": mask.tolist(),
    }
    for name, allowed in cases.items():
        D, I = _search(index, xq, k, dev, allowed=allowed)
        ref = Ref(xb, ids, metric, allowed=np.asarray(allowed) if name == "list" else allowed)
        ref.check(xq, k, D, I)
        m = allowed.to_mask() if isinstance(allowed, weft.Bitset) else np.asarray(allowed)
        got = I[I >= 0]
        assert np.all(got < m.size) and np.all(m[got]), name
        if name == "few allowed":
            assert np.all((I >= 0).sum(axis=1) == 4)
    # allows nothing: all padding
    for nothing in (np.zeros(nb, dtype=bool), np.zeros(0, dtype=bool), weft.Bitset(),
                    weft.Bitset.from_ids([]), weft.Bitset.from_ids([], size=10**6)):  # fmt: skip
        D, I = _search(index, xq, k, dev, allowed=nothing)
        assert np.all(I == -1) and np.all(D == _pad(metric))


@pytest.mark.parametrize("metric", METRICS)
@pytest.mark.parametrize("dev", device_params())
def test_exact_ties_go_to_the_smaller_id(dev, metric, rng):
    # integer-valued vectors, each repeated 4 times under shuffled ids: distances tie
    # exactly (l2, ip) or between identical rows (cosine), and order is by id
    dim, distinct, k = 8, 150, 64
    base = _data(rng, distinct, dim, "int")
    base[np.all(base == 0, axis=1), 0] = 1  # no zero row (cosine)
    xb = np.concatenate([base] * 4)
    ids = rng.permutation(len(xb)).astype(np.int64) * 5
    index = _index(xb, metric, ids=ids)
    xq = _data(rng, 40, dim, "int")
    xq[np.all(xq == 0, axis=1), 1] = 2
    xq[:5] = base[:5]  # queries sitting on database vectors
    D, I = _search(index, xq, k, dev)
    Ref(xb, ids, metric).check(xq, k, D, I, exact=metric != "cosine")
    # duplicates are adjacent, by id
    by_id = dict(zip(ids.tolist(), range(len(ids))))
    for r in range(len(xq)):
        rows = [by_id[i] % distinct for i in I[r]]
        for j in range(1, k):
            if rows[j] == rows[j - 1]:
                assert D[r, j] == D[r, j - 1] and I[r, j] > I[r, j - 1], (r, j)
    # the same answer on the CPU (cosine: v and 2v tie only up to rounding)
    D0, I0 = index.search(xq, k, device="cpu", strict=True)
    if metric != "cosine":
        np.testing.assert_array_equal(I, I0)
        np.testing.assert_array_equal(D, D0)


def _assert_distance_then_id_order(D, I, metric, what=""):
    """Every query's results in (reported distance, id) order: D non-decreasing (l2) or
    non-increasing (ip, cosine), ids increasing where D is equal, padding last. Returns the
    number of adjacent equal-D pairs (ties the order settled)."""
    ties = 0
    for r in range(D.shape[0]):
        n = int((I[r] >= 0).sum())
        assert np.all(I[r, n:] == -1), f"{what} query {r}: padding before a result"
        d, i = D[r, :n].astype(np.float64), I[r, :n]
        step = np.diff(d) if metric == "l2" else -np.diff(d)
        assert np.all(step >= 0), f"{what} query {r}: D out of order {d}"
        eq = step == 0
        assert np.all(np.diff(i)[eq] > 0), f"{what} query {r}: equal D, ids out of order"
        ties += int(eq.sum())
    return ties


@pytest.mark.parametrize("copy", [True, False], ids=["owned", "borrowed"])
@pytest.mark.parametrize("dev", device_params())
def test_equal_reported_l2_distances_are_in_id_order(dev, copy):
    # issue 13 item 5: the l2 ranking key is |x|^2 - 2 q.x, the reported distance |q|^2 +
    # that; the two keys (2e-8 apart) round to one D = 1.0355 and the larger id came first
    xb = np.array([[0, np.sqrt(0.0355 + 2e-8)], [0, np.sqrt(0.0355)]], dtype=np.float32)
    index = weft.FlatIndex(dim=2, metric="l2")
    index.add(xb, copy=copy)
    for allowed in (None, np.ones(2, dtype=bool)):
        D, I = _search(index, np.array([[1, 0]], dtype=np.float32), 2, dev, allowed=allowed)
        assert D[0, 0] == D[0, 1], D  # the example needs the two to round together
        np.testing.assert_array_equal(I, [[0, 1]], err_msg=f"D = {D}")
        # the top 1 is decided by the reported distance too: the smaller id is kept
        D1, I1 = _search(index, np.array([[1, 0]], dtype=np.float32), 1, dev, allowed=allowed)
        assert I1.tolist() == [[0]] and D1[0, 0] == D[0, 0], (D1, I1)


@pytest.mark.parametrize("metric", METRICS)
@pytest.mark.parametrize("dev", device_params())
def test_near_ties_are_in_distance_then_id_order(dev, metric, rng):
    # each vector stored 6 times, perturbed by a few ulps, under shuffled ids; queries with a
    # large |q|^2 round neighbouring l2 keys to one reported distance
    dim, distinct, copies = 16, 250, 6
    proto = _data(rng, distinct, dim)
    xb = np.concatenate([proto] * copies)
    steps = rng.integers(-4, 5, size=xb.shape)
    steps[:distinct] = 0
    xb = xb.view(np.int32)
    xb = (xb + np.where(xb >= 0, steps, -steps)).astype(np.int32).view(np.float32)
    ids = rng.permutation(len(xb)).astype(np.int64)
    xq = _data(rng, 30, dim) + np.float32(40)
    xq[0] = proto[0]
    mask = rng.random(len(xb)) < 0.7
    cases = [("owned", True, ids, None), ("owned masked", True, ids, mask)]
    if metric != "cosine":  # cosine does not borrow; the borrowed rows are those of ids 0, 1, ..
        cases += [("borrowed", False, None, None), ("borrowed masked", False, None, mask)]
    for k in (10, 100):
        for name, copy, add_ids, allowed in cases:
            index = weft.FlatIndex(dim=dim, metric=metric)
            index.add(xb[np.argsort(ids)] if not copy else xb, ids=add_ids, copy=copy)
            D, I = _search(index, xq, k, dev, allowed=allowed)
            ties = _assert_distance_then_id_order(D, I, metric, f"{name} k={k}")
            if metric == "l2":
                assert ties > len(xq), f"{name} k={k}: only {ties} ties"
            if allowed is not None:
                assert np.all(allowed[I[I >= 0]]), name


@pytest.mark.parametrize("metric", METRICS)
@pytest.mark.parametrize("dev", device_params())
def test_identical_float_rows_tie(dev, metric, rng):
    # random float vectors, each stored 3 times far apart (different GEMM blocks and
    # edge tiles): identical rows must get identical distances, so the smaller id first
    dim, distinct = 37, 700
    base = _data(rng, distinct, dim)
    xb = np.concatenate([base, base, base])
    index = _index(xb, metric)
    xq = _data(rng, 33, dim)
    k = 3 * 20
    D, I = _search(index, xq, k, dev)
    Ref(xb, np.arange(len(xb)), metric).check(xq, k, D, I)
    for r in range(len(xq)):
        groups = {}
        for j, i in enumerate(I[r]):
            groups.setdefault(int(i) % distinct, []).append((j, int(i), float(D[r, j])))
        for members in groups.values():
            dists = {d for _, _, d in members}
            assert len(dists) == 1, f"query {r}: copies of a vector at different distances {members}"
            assert [i for _, i, _ in members] == sorted(i for _, i, _ in members), members


@pytest.mark.parametrize("metric", METRICS)
@pytest.mark.parametrize("dev", device_params())
def test_empty_and_one_row(dev, metric, rng):
    dim = 12
    index = weft.FlatIndex(dim, metric)
    assert len(index) == 0 and index.ntotal == 0
    xq = _data(rng, 3, dim)
    D, I = _search(index, xq, 5, dev)
    assert D.shape == I.shape == (3, 5)
    assert np.all(I == -1) and np.all(D == _pad(metric))
    D, I = index.search(np.empty((0, dim), np.float32), 5, device=dev.id, strict=True)
    assert D.shape == I.shape == (0, 5)
    index.add(np.empty((0, dim), np.float32))
    assert len(index) == 0
    one = _data(rng, 1, dim)
    index.add(one[0])  # one vector of length dim is one row
    assert len(index) == 1
    D, I = _search(index, xq, 3, dev)
    Ref(one, [0], metric).check(xq, 3, D, I)
    assert np.all(I[:, 0] == 0) and np.all(I[:, 1:] == -1)
    D1, I1 = _search(index, xq[0], 1, dev)  # a 1-D query: (1, k)
    assert D1.shape == I1.shape == (1, 1)
    assert I1[0, 0] == 0 and D1[0, 0] == D[0, 0]


@pytest.mark.parametrize("metric", METRICS)
@pytest.mark.parametrize("dev", device_params())
def test_database_larger_than_device_memory(dev, metric, rng):
    nb, dim, nq, k = 20000, 64, 200, 10
    xb, xq = _data(rng, nb, dim), _data(rng, nq, dim)
    index = _index(xb, metric)
    D0, I0 = index.search(xq, k, device="cpu", strict=True)
    limit = xb.nbytes // 5  # the database is streamed in shards
    used = weft.device(dev.id).memory_used_bytes
    with weft.memory_limit(dev.id, limit):
        D, I = _search(index, xq, k, dev)
        report = weft.last_report()
        assert weft.device(dev.id).memory_used_bytes <= limit
    assert weft.device(dev.id).memory_used_bytes == used, "device memory leaked"
    assert report
    Ref(xb, np.arange(nb), metric).check(xq, k, D, I)
    np.testing.assert_array_equal(I, I0)


@pytest.mark.parametrize("dev", [p for p in device_params() if p.id != "cpu:0"])
def test_memory_limit_too_small(dev, rng):
    xb, xq = _data(rng, 1000, 64), _data(rng, 10, 64)
    index = _index(xb, "l2")
    D0, I0 = index.search(xq, 5, device="cpu")
    with weft.memory_limit(dev.id, 64):  # not even one row fits: strict refuses
        with pytest.raises(weft.DeviceMemoryError) as e:
            index.search(xq, 5, device=dev.id, strict=True)
        assert dev.id in str(e.value)
        D, I = index.search(xq, 5, device=dev.id)  # not strict: the CPU answers
        assert weft.last_device() == "cpu:0"
        np.testing.assert_array_equal(I, I0)
    with weft.memory_limit(dev.id, 2048):  # a few rows at a time, but it works
        D, I = _search(index, xq, 5, dev)
    np.testing.assert_array_equal(I, I0)
    np.testing.assert_allclose(D, D0, rtol=1e-5)


@pytest.mark.parametrize("metric", METRICS)
def test_identical_across_devices(metric, rng):
    if len(DEVICES) < 2:
        pytest.skip("one device")
    nb, dim, nq, k = 4000, 40, 64, 100
    xb, xq = _data(rng, nb, dim), _data(rng, nq, dim)
    index = _index(xb, metric, ids=rng.permutation(nb) * 2)
    D0, I0 = index.search(xq, k, device="cpu", strict=True)
    atol = 1e-5 * float(np.abs(D0).max())
    for dev in DEVICES[1:]:
        D, I = index.search(xq, k, device=dev.id, strict=True)
        np.testing.assert_array_equal(I, I0, err_msg=f"{dev.id} ids differ from cpu:0")
        if dev.kind == "cuda":  # cuBLAS sums in its own order
            np.testing.assert_allclose(D, D0, rtol=1e-5, atol=atol)
        else:  # the portable kernel sums like the CPU: fma in order of dim, the same bits
            np.testing.assert_array_equal(D, D0, err_msg=f"{dev.id} distances differ from cpu:0")
    # auto, and the queries split over every device
    for device in ("auto", [d.id for d in DEVICES], ",".join(d.id for d in DEVICES)):
        D, I = index.search(xq, k, device=device)
        np.testing.assert_array_equal(I, I0, err_msg=str(device))
        np.testing.assert_allclose(D, D0, rtol=1e-5, atol=atol)


def test_backend_not_loaded(rng):
    xb = _data(rng, 100, 8)
    index = _index(xb, "l2")
    D0, I0 = index.search(xb[:5], 3, device="cpu")
    missing = [b for b in weft.backends() if not b.loaded]
    if not missing:
        pytest.skip("every backend loaded")
    for b in missing:
        with pytest.raises(weft.BackendUnavailableError):
            index.search(xb[:5], 3, device=f"{b.name}:0", strict=True)
        D, I = index.search(xb[:5], 3, device=f"{b.name}:0")  # falls back to the CPU
        assert weft.last_device() == "cpu:0"
        np.testing.assert_array_equal(I, I0)
        np.testing.assert_array_equal(D, D0)


# ---------------------------------------------------------------------------- files


@pytest.mark.parametrize("metric", METRICS)
def test_save_load_round_trip(metric, tmp_path, rng):
    dim, nb = 20, 1500
    xb = _data(rng, nb, dim)
    ids = rng.permutation(nb).astype(np.int64) * 11 + 3
    index = _index(xb, metric, ids=ids)
    index.remove(ids[:100])
    xq = _data(rng, 30, dim)
    D0, I0 = index.search(xq, 25, device="cpu")
    for path in (tmp_path / "a.weft", str(tmp_path / "b.weft"), os.fsencode(tmp_path / "c.weft")):
        index.save(path)
        loaded = weft.load_index(path)
        assert isinstance(loaded, weft.FlatIndex)
        assert (loaded.dim, loaded.metric, len(loaded)) == (dim, metric, nb - 100)
        assert repr(loaded) == repr(index)
        D, I = loaded.search(xq, 25, device="cpu")
        np.testing.assert_array_equal(I, I0)
        np.testing.assert_array_equal(D, D0)
    # saving over an existing file replaces it; no temporary file is left behind
    small = _index(xb[:3], metric)
    small.save(tmp_path / "a.weft")
    assert len(weft.load_index(tmp_path / "a.weft")) == 3
    assert sorted(os.listdir(tmp_path)) == ["a.weft", "b.weft", "c.weft"]
    # the id sequence goes on after a load
    loaded = weft.load_index(tmp_path / "b.weft")
    loaded.add(xb[:1] + 50)
    _, I = loaded.search(xb[:1] + 50, 1, device="cpu")
    assert I[0, 0] == ids.max() + 1
    # an empty index
    weft.FlatIndex(7, metric).save(tmp_path / "empty.weft")
    empty = weft.load_index(tmp_path / "empty.weft")
    assert (empty.dim, empty.metric, len(empty)) == (7, metric, 0)


def _saved(tmp_path, rng, nb=200, dim=16):
    path = tmp_path / "index.weft"
    _index(_data(rng, nb, dim), "l2").save(path)
    return path, path.read_bytes()


@pytest.mark.parametrize("cut", [1, 8, "half", "header", "all"])
def test_truncated_file_is_corrupt(cut, tmp_path, rng):
    path, data = _saved(tmp_path, rng)
    keep = {"half": len(data) // 2, "header": 16, "all": 0}.get(cut)
    keep = len(data) - cut if keep is None else keep
    path.write_bytes(data[:keep])
    with pytest.raises(weft.CorruptError) as e:
        weft.load_index(path)
    assert str(path) in str(e.value)
    assert not isinstance(e.value, OSError)


@pytest.mark.parametrize("where", ["magic", "header", "vectors", "ids", "checksum"])
def test_corrupted_byte_is_corrupt(where, tmp_path, rng):
    nb, dim = 200, 16
    path, data = _saved(tmp_path, rng, nb, dim)
    vec_bytes, id_bytes = nb * dim * 4, nb * 8
    header = len(data) - vec_bytes - id_bytes - 8
    at = {"magic": 0, "header": 9, "vectors": header + vec_bytes // 2,
          "ids": header + vec_bytes + id_bytes // 2, "checksum": len(data) - 3}[where]  # fmt: skip
    bad = bytearray(data)
    bad[at] ^= 0x5A
    path.write_bytes(bytes(bad))
    with pytest.raises(weft.CorruptError) as e:
        weft.load_index(path)
    assert str(path) in str(e.value)


def test_other_files_are_corrupt(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("not an index at all, just some text long enough to fill a header\n" * 4)
    with pytest.raises(weft.CorruptError):
        weft.load_index(path)


@pytest.mark.parametrize("text", ["a,b\n1,2\n", "x", "WEFTIDX"])
def test_short_file_of_another_kind_is_not_an_index(text, tmp_path):
    # the magic is checked first: a small CSV is "not a weft index file", never "truncated"
    path = tmp_path / "some.csv"
    path.write_text(text)
    with pytest.raises(weft.CorruptError) as e:
        weft.load_index(path)
    assert "not a weft index file" in str(e.value), str(e.value)
    assert "truncated" not in str(e.value)
    assert str(path) in str(e.value)


def test_header_cut_short_is_truncated(tmp_path, rng):
    path, data = _saved(tmp_path, rng)
    path.write_bytes(data[:16])  # the magic, then less than a header
    with pytest.raises(weft.CorruptError, match="truncated"):
        weft.load_index(path)


def test_missing_file_is_an_io_error(tmp_path):
    missing = tmp_path / "nope.weft"
    with pytest.raises(weft.WeftIOError) as e:
        weft.load_index(missing)
    assert isinstance(e.value, OSError)
    assert str(missing) in str(e.value)
    with pytest.raises(OSError):
        weft.FlatIndex(4).save(tmp_path / "no" / "such" / "dir.weft")


def test_directory_is_not_an_index(tmp_path):
    with pytest.raises(weft.WeftIOError) as e:
        weft.load_index(tmp_path)
    assert isinstance(e.value, OSError)
    assert f"'{tmp_path}' is a directory" in str(e.value)


def test_concurrent_saves_to_one_path(tmp_path, rng):
    path = tmp_path / "index.weft"
    indexes = [_index(_data(rng, 300 * (t + 1), 8), "l2") for t in range(6)]
    errors = []

    def saver(index):
        try:
            for _ in range(10):
                index.save(path)
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=saver, args=(ix,)) for ix in indexes]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    assert len(weft.load_index(path)) % 300 == 0  # one whole file of the six
    assert os.listdir(tmp_path) == ["index.weft"]


def test_failed_save_keeps_the_old_file(tmp_path, rng):
    import resource
    import signal

    path = tmp_path / "index.weft"
    small, big = _index(_data(rng, 3, 8), "l2"), _index(_data(rng, 2000, 8), "l2")
    small.save(path)
    before = path.read_bytes()
    # a write that fails half way: the file size limit (EFBIG), which binds root too
    old_limit = resource.getrlimit(resource.RLIMIT_FSIZE)
    old_handler = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (4096, old_limit[1]))
    try:
        with pytest.raises(weft.WeftIOError) as e:
            big.save(path)
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, old_limit)
        signal.signal(signal.SIGXFSZ, old_handler)
    assert str(path) in str(e.value)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["index.weft"]
    if os.geteuid() != 0:  # root writes into read-only directories
        tmp_path.chmod(0o500)
        try:
            with pytest.raises(weft.WeftIOError):
                big.save(path)
        finally:
            tmp_path.chmod(0o700)
        assert path.read_bytes() == before
        assert os.listdir(tmp_path) == ["index.weft"]
    with pytest.raises(weft.WeftIOError) as e:
        big.save(tmp_path / "missing" / "index.weft")
    assert "missing" in str(e.value)
    assert len(weft.load_index(path)) == 3


# ---------------------------------------------------------------------------- threads


def test_concurrent_searches(rng):
    nb, dim, nq, k = 6000, 32, 50, 20
    xb = _data(rng, nb, dim)
    index = _index(xb, "l2")
    queries = [_data(rng, nq, dim) for _ in range(8)]
    devs = [d.id for d in DEVICES]
    expected = [[index.search(q, k, device=d) for d in devs] for q in queries]
    errors, results = [], {}
    barrier = threading.Barrier(8)

    def worker(t):
        try:
            barrier.wait()
            for rep in range(3):
                for j, d in enumerate(devs):
                    results[t, rep, j] = index.search(queries[t], k, device=d)
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(t,)) for t in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    for (t, rep, j), (D, I) in results.items():
        np.testing.assert_array_equal(I, expected[t][j][1])
        np.testing.assert_array_equal(D, expected[t][j][0])
    assert len(results) == 8 * 3 * len(devs)


def test_search_releases_the_gil(rng):
    xb = _data(rng, 100_000, 64)
    index = _index(xb, "l2")
    xq = _data(rng, 400, 64)
    done = threading.Event()

    def search():
        index.search(xq, 10, device="cpu")
        done.set()

    t = threading.Thread(target=search)
    ticks = 0
    t.start()
    while not done.is_set():
        ticks += 1
    t.join()
    assert ticks > 1000, "the main thread did not run while the search did"


def test_add_and_remove_during_searches(rng):
    dim = 16
    xb = _data(rng, 4000, dim)
    index = _index(xb, "l2")
    xq = _data(rng, 20, dim)
    stop = threading.Event()
    errors = []

    def searcher():
        try:
            while not stop.is_set():
                D, I = index.search(xq, 10)
                assert np.all(I >= 0)
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=searcher) for _ in range(4)]
    for t in threads:
        t.start()
    try:
        for i in range(20):
            index.add(_data(rng, 50, dim), ids=np.arange(50) + 10_000 + 50 * i)
            index.remove(np.arange(25) + 10_000 + 50 * i)
    finally:
        stop.set()
        for t in threads:
            t.join()
    assert not errors, errors
    assert len(index) == 4000 + 20 * 25


# ---------------------------------------------------------------------------- faiss


@pytest.mark.parametrize("k", [1, 10, 100])
@pytest.mark.parametrize("metric", ["l2", "ip"])
def test_agrees_with_faiss(metric, k, rng):
    import faiss
    nb, dim, nq = 5000, 64, 100
    xb, xq = _data(rng, nb, dim), _data(rng, nq, dim)
    fi = faiss.IndexFlatL2(dim) if metric == "l2" else faiss.IndexFlatIP(dim)
    fi.add(xb)
    fD, fI = fi.search(xq, k)
    index = _index(xb, metric)
    ref = Ref(xb, np.arange(nb), metric)
    tol = ref.tol(xq)[:, None]
    for dev in DEVICES:
        D, I = index.search(xq, k, device=dev.id, strict=True)
        differ = I != fI
        # equal up to ties: where the ids differ, the distances do not
        assert np.all(np.abs(D - fD)[differ] <= np.broadcast_to(tol, D.shape)[differ]), dev.id
        assert differ.mean() < 0.01, f"{dev.id}: {differ.sum()} ids differ from faiss"
        np.testing.assert_allclose(D, fD, rtol=1e-5, atol=float(tol.max()))


# ---------------------------------------------------------------------------- the object


def test_properties_and_repr(rng):
    index = weft.FlatIndex(dim=128, metric="l2")
    assert repr(index) == "FlatIndex(dim=128, metric='l2', ntotal=0)"
    index.add(_data(rng, 1000, 128))
    assert repr(index) == "FlatIndex(dim=128, metric='l2', ntotal=1000)"
    assert (index.dim, index.metric, len(index), index.ntotal) == (128, "l2", 1000, 1000)
    assert weft.FlatIndex(3, "IP").metric == "ip"
    assert weft.FlatIndex(np.int64(3), metric="cosine").metric == "cosine"
    assert weft.FlatIndex(5).metric == "l2"


def test_conversions(rng):
    dim = 10
    xb64 = rng.standard_normal((300, dim))
    xq64 = rng.standard_normal((7, dim))
    index = weft.FlatIndex(dim)
    index.add(xb64)  # float64: converted
    ref = weft.FlatIndex(dim)
    ref.add(xb64.astype(np.float32))
    D0, I0 = ref.search(xq64.astype(np.float32), 5)
    for q in (xq64, np.asfortranarray(xq64), xq64.astype(np.float32)[:, ::1],
              np.repeat(xq64.astype(np.float32), 2, axis=1)[:, ::2], xq64.tolist()):  # fmt: skip
        D, I = index.search(q, 5)
        np.testing.assert_array_equal(I, I0)
        np.testing.assert_array_equal(D, D0)
    ints = weft.FlatIndex(3)
    ints.add(np.array([[0, 0, 0], [1, 1, 1], [5, 5, 5]], dtype=np.int16))
    ints.add(np.array([[True, False, True]]))
    D, I = ints.search(np.array([1, 1, 1], dtype=np.int64), 4)
    assert I.tolist() == [[1, 3, 0, 2]]
    assert D.tolist() == [[0.0, 1.0, 3.0, 48.0]]
    D, I = ints.search([[5, 5, 5]], np.int32(1))  # numpy integer k
    assert I.tolist() == [[2]]


def _raises(exc, fn, *names):
    with pytest.raises(exc) as e:
        fn()
    msg = str(e.value)
    assert isinstance(e.value, weft.WeftError)
    for name in names:
        assert name in msg, f"{name!r} not in {msg!r}"
    return msg


def test_bad_arguments(rng):
    IA = weft.InvalidArgumentError
    for dim in (0, -1, 1.5, "8", True, None):
        _raises(IA, lambda: weft.FlatIndex(dim), "dim")
    for metric in ("l1", "", None, 0):
        _raises(IA, lambda: weft.FlatIndex(4, metric), "metric")
    index = weft.FlatIndex(4)
    good = _data(rng, 10, 4)
    index.add(good)
    # vectors
    _raises(IA, lambda: index.add(np.zeros((2, 3, 4), np.float32)), "vectors", "(2, 3, 4)")
    _raises(IA, lambda: index.add(np.zeros((5, 3), np.float32)), "vectors", "3", "dim 4")
    _raises(IA, lambda: index.add(np.zeros(5, np.float32)), "vectors")
    _raises(IA, lambda: index.add(np.array([["a", "b", "c", "d"]])), "vectors", "dtype")
    _raises(IA, lambda: index.add(np.zeros((2, 4), np.complex64)), "vectors", "dtype")
    _raises(IA, lambda: index.add([[1, 2], [3]]), "vectors")
    for bad in (np.nan, np.inf, -np.inf, 1e39):
        x = good.astype(np.float64)
        x[7, 2] = bad
        _raises(IA, lambda: index.add(x), "vectors", "row 7")
    # ids
    _raises(IA, lambda: index.add(good, ids=np.arange(9)), "ids", "9", "10")
    _raises(IA, lambda: index.add(good, ids=np.arange(10) - 1), "ids", "-1")
    _raises(IA, lambda: index.add(good, ids=np.arange(10.0)), "ids", "dtype")
    _raises(IA, lambda: index.add(good, ids=np.arange(10).reshape(2, 5)), "ids")
    _raises(IA, lambda: index.add(good, ids=np.full(10, 2**63, np.uint64)), "ids")
    _raises(IA, lambda: index.add(good[:2], ids=[100, 100]), "100")  # twice (C side)
    _raises(IA, lambda: index.add(good[:1], ids=[3]), "3")  # already there (C side)
    _raises(IA, lambda: index.remove([-5]), "ids", "-5")
    _raises(IA, lambda: index.remove(["a"]), "ids")
    assert len(index) == 10  # nothing was added by the failed calls
    # queries and k
    _raises(IA, lambda: index.search(good, 0), "k")
    _raises(IA, lambda: index.search(good, -3), "k")
    for k in (2.0, "10", True, None, [3]):
        _raises(IA, lambda: index.search(good, k), "k")
    _raises(IA, lambda: index.search(good[:, :3], 2), "queries", "dim 4")
    _raises(IA, lambda: index.search(good[None], 2), "queries")
    _raises(IA, lambda: index.search(np.array(["abcd"]), 2), "queries")
    for bad in (np.nan, np.inf):
        q = good.copy()
        q[4, 0] = bad
        _raises(IA, lambda: index.search(q, 2), "queries", "row 4")
    _raises(IA, lambda: index.search(good, 2, allowed=np.ones(10, np.uint8)), "allowed")
    _raises(IA, lambda: index.search(good, 2, allowed=np.ones((2, 5), bool)), "allowed")
    _raises(IA, lambda: index.search(good, 2, allowed=[1, 2, 3]), "allowed")
    _raises(IA, lambda: index.search(good, 2 ** 40), "k")  # C limit, checked before allocating
    _raises(weft.NotFoundError, lambda: index.search(good, 2, device="tpu:0"), "tpu")
    # cosine: a zero vector has no direction
    cos = weft.FlatIndex(4, "cosine")
    _raises(IA, lambda: cos.add(np.zeros((3, 4))), "vectors", "row 0")
    cos.add(good)
    _raises(IA, lambda: cos.search(np.zeros(4), 1), "queries", "row 0")
    # paths
    _raises(IA, lambda: index.save(12), "path")
    _raises(IA, lambda: index.save("a\0b"), "NUL")
    _raises(IA, lambda: index.save(""), "path")
    _raises(IA, lambda: weft.load_index(None), "path")


def test_sequential_ids_stop_before_int64_max(rng):
    top = np.iinfo(np.int64).max
    index = weft.FlatIndex(2)
    index.add(np.array([[0, 0]], np.float32), ids=[top - 3])
    with pytest.raises(weft.InvalidArgumentError) as e:  # would reach INT64_MAX: nothing added
        index.add(_data(rng, 3, 2))
    assert "ids" in str(e.value) and str(top - 2) in str(e.value)
    assert len(index) == 1
    index.add(np.array([[10, 0], [20, 0]], np.float32))  # top - 2 and top - 1, the largest id
    with pytest.raises(weft.InvalidArgumentError, match=str(top - 1)):
        index.add(_data(rng, 1, 2))
    D, I = index.search(np.array([21, 0], np.float32), 4)
    assert I.tolist() == [[top - 1, top - 2, top - 3, -1]]
    # INT64_MAX itself would leave no next sequential id; negative ids clash with the -1 pad
    for bad, shown in (([1, top], f"ids[1] = {top}"), ([top, 1], f"ids[0] = {top}")):
        with pytest.raises(weft.InvalidArgumentError) as e:
            weft.FlatIndex(2).add(_data(rng, 2, 2), ids=bad)
        assert shown in str(e.value)
    for bad in (-1, np.iinfo(np.int64).min):
        with pytest.raises(weft.InvalidArgumentError, match=str(bad)):
            weft.FlatIndex(2).add(_data(rng, 2, 2), ids=[0, bad])


def test_norms_outside_float32_are_refused():
    IA = weft.InvalidArgumentError
    cos = weft.FlatIndex(4, "cosine")
    good = np.array([[1, 2, 3, 4]], np.float32)
    for scale in (1e-40, 3e-39, 1e30):  # 1/|x| overflows, or |x|^2 does
        x = np.vstack([good, np.array([[1, 1, 0, 0]], np.float32) * np.float32(scale)])
        _raises(IA, lambda: cos.add(x), "vectors", "row 1", "squared norm")
        _raises(IA, lambda: cos.search(x[1:], 1), "queries", "row 0", "squared norm")
    assert len(cos) == 0
    cos.add(np.array([[1e-15, 2e-15, 0, 0], [1e15, 0, 3e15, 0]], np.float32))
    D, I = cos.search(np.array([1e-15, 2e-15, 0, 0], np.float32), 2)
    assert I[0, 0] == 0 and abs(D[0, 0] - 1) < 1e-6
    for metric in ("l2", "ip"):
        index = weft.FlatIndex(4, metric)
        x = np.vstack([good, np.array([[1e19, 1e19, 0, 0]], np.float32)])
        _raises(IA, lambda: index.add(x), "vectors", "row 1", "squared norm 2e+38")
        assert len(index) == 0
        index.add(np.array([[1, 2, 3, 4], [1e18, -1e18, 0, 0]], np.float32))
        D, I = index.search(np.array([-1e18, 1e18, 0, 0], np.float32), 2)
        assert np.isfinite(D).all() and sorted(I[0].tolist()) == [0, 1]
        _raises(IA, lambda: index.search(np.array([0, 0, 2e19, 0], np.float32), 1), "queries",
                "row 0", "squared norm 4e+38")


def test_len_while_another_thread_adds():
    index = weft.FlatIndex(4)
    x = np.ones((10, 4), np.float32)
    done = threading.Event()

    def adder():
        for _ in range(200):
            index.add(x)
        done.set()

    t = threading.Thread(target=adder)
    t.start()
    seen = []
    while not done.is_set():
        seen.append(len(index))
        assert index.dim == 4
    t.join()
    assert all(n % 10 == 0 for n in seen) and seen == sorted(seen)
    assert len(index) == 2000


def test_float32_input_is_not_copied(rng):
    import tracemalloc

    x = _data(rng, 20_000, 64)  # 5 MB
    index = weft.FlatIndex(64)
    for arg, copied in ((x, False), (x.astype(np.float64), True)):
        tracemalloc.start()  # numpy reports its buffers to tracemalloc
        try:
            index.add(arg)
            index.search(arg[:3000], 5)
            peak = tracemalloc.get_traced_memory()[1] - 3000 * 5 * 12
        finally:
            tracemalloc.stop()
        assert (peak > x.nbytes) == copied, (arg.dtype, peak)


_MEMORY_CHILD = r"""
import json, sys
import numpy as np
import weft
weft.config.progress = False  # a search over 1 s would import tqdm for its bar: not the index's memory

def status(key):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1]) / 1024

def reset():  # the peak RSS back to the current RSS
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")
    return status("VmRSS")

rng = np.random.default_rng(0)
nb, nq, dim = 100_000, 100_000, 128  # 49 MiB each
xb = rng.random((nb, dim), dtype=np.float32)
xq = rng.random((nq, dim), dtype=np.float32)
warm = weft.FlatIndex(dim, "cosine")
warm.add(xb[:100])
warm.search(xq[:300], 1)
out = {"mib": xb.nbytes / 2**20}
for metric in ("l2", "cosine"):
    base = reset()
    index = weft.FlatIndex(dim, metric)
    index.add(xb, ids=rng.permutation(nb))
    out["add " + metric] = status("VmHWM") - base
    del index
    base = reset()
    index = weft.FlatIndex(dim, metric)
    index.add(xb)
    D, I = index.search(xq[:2000], 10, precision="fp32")
    out["add+search " + metric] = status("VmHWM") - base - (D.nbytes + I.nbytes) / 2**20
    D, I = index.search(xq[:2000], 10, precision="int8")  # adds the index's int8 copy
    out["add+search int8 " + metric] = status("VmHWM") - base - (D.nbytes + I.nbytes) / 2**20
    del index, D, I
    base = reset()
    D, I = warm.search(xq, 1) if metric == "cosine" else (None, None)
    out["many queries " + metric] = status("VmHWM") - base
print(json.dumps(out))
"""


def test_peak_memory_is_the_index_copy():
    # in a child: its peak RSS is its own
    import json
    import subprocess

    if not os.access("/proc/self/clear_refs", os.W_OK):
        pytest.skip("cannot reset the peak RSS (/proc/self/clear_refs)")
    run = subprocess.run([sys.executable, "-c", _MEMORY_CHILD], capture_output=True, text=True,
                         env=os.environ.copy(), timeout=300)  # fmt: skip
    assert run.returncode == 0, run.stderr
    got = json.loads(run.stdout)
    mib = got["mib"]
    for metric in ("l2", "cosine"):
        # the index's rows, ids and norms; no temporary copy to sort the rows by id
        assert got["add " + metric] < 1.1 * mib, got
        assert got["add+search " + metric] < 1.1 * mib, got
        # precision="int8" (or "auto" where it picks int8) keeps an int8 copy beside the
        # rows: a quarter of their bytes and 16 bytes a row, nothing more
        copy = 0.25 * mib + 16 * 100_000 / 2**20
        assert got["add+search int8 " + metric] < 1.1 * mib + copy, got
    # cosine queries are normalized a partition at a time, not copied whole
    assert got["many queries cosine"] < 0.1 * mib, got


def test_free_is_safe(rng):
    for _ in range(50):
        index = weft.FlatIndex(8)
        index.add(_data(rng, 100, 8))
        del index
    gc.collect()
    seen = []
    old = sys.unraisablehook
    sys.unraisablehook = lambda u: seen.append(u)
    try:
        with pytest.raises(weft.InvalidArgumentError):
            weft.FlatIndex(0)  # __del__ of a half-made index must not complain
        gc.collect()
    finally:
        sys.unraisablehook = old
    assert not seen


# ---------------------------------------------------------------------------- Bitset


def test_bitset():
    mask = np.zeros(21, dtype=bool)
    mask[[0, 3, 8, 20]] = True
    b = weft.Bitset(mask)
    assert b.nbits == 21 and len(b) == 21
    assert b.bits.dtype == np.uint8 and b.bits.tolist() == [0b1001, 0b1, 0b10000]
    assert b.count() == 4 and b.ids().tolist() == [0, 3, 8, 20]
    np.testing.assert_array_equal(b.to_mask(), mask)
    assert 3 in b and 4 not in b and 21 not in b and -1 not in b and "x" not in b
    assert repr(b) == "Bitset(nbits=21, count=4)"
    assert weft.Bitset.from_ids([20, 8, 3, 0]) == b
    assert weft.Bitset.from_ids(np.array([3, 0, 8, 20, 3], dtype=np.uint32)) == b
    c = weft.Bitset.from_ids([0, 3], size=100)
    assert c.nbits == 100 and c.count() == 2 and c != b
    assert weft.Bitset.from_packed(b.bits, 21) == b
    assert weft.Bitset.from_packed(np.array([0xFF, 0xFF], np.uint8), 10).count() == 10
    assert weft.Bitset().nbits == 0 and weft.Bitset([]).count() == 0
    assert weft.Bitset.from_ids([]).nbits == 0
    with pytest.raises(weft.InvalidArgumentError, match="size"):
        weft.Bitset.from_ids([5], size=5)
    with pytest.raises(weft.InvalidArgumentError, match="-1"):
        weft.Bitset.from_ids([1, -1])
    with pytest.raises(weft.InvalidArgumentError, match="bool"):
        weft.Bitset(np.array([1, 0, 1]))
    with pytest.raises(weft.InvalidArgumentError):
        weft.Bitset.from_packed(np.zeros(1, np.uint8), 9)
