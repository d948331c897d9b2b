"""weft.kmeans and weft.IVFIndex: against weft.FlatIndex (nprobe = nlist is its answer,
bit for bit, with the flat codec), against faiss's IndexIVFFlat and
IndexIVFScalarQuantizer on the same data and nlist (recall within a margin of theirs),
thread-count reproducibility (separate processes with WEFT_NUM_THREADS 1 and 2), filters,
files and bad input."""

import hashlib
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import weft
from device_skip import require

faiss = pytest.importorskip("faiss")

DIM = 32


def clustered(n, seed, centers=100, sigma=0.05, dim=DIM):
    c = np.random.default_rng(1234).random((centers, dim), dtype=np.float32)
    rng = np.random.default_rng(seed)
    lab = rng.integers(0, centers, n)
    return (c[lab] + sigma * rng.standard_normal((n, dim), dtype=np.float32)).astype(np.float32)


@pytest.fixture(scope="module")
def data():
    return clustered(20000, 1), clustered(300, 2)


def recall(got, truth):
    k = truth.shape[1]
    return float(np.mean([len(set(g) & set(t)) / k for g, t in zip(got, truth)]))


def exact(xb, xq, k, metric="l2"):
    flat = weft.FlatIndex(xb.shape[1], metric)
    flat.add(xb)
    return flat.search(xq, k, device="cpu")


@pytest.mark.parametrize("metric", ["l2", "ip", "cosine"])
def test_all_lists_probed_is_the_flat_index_bit_for_bit(data, metric):
    xb, xq = data
    ix = weft.IVFIndex(DIM, 50, metric=metric, codec="flat")
    ix.train(xb[:5000])
    ix.add(xb)
    D0, I0 = exact(xb, xq, 10, metric)
    D, I = ix.search(xq, 10, nprobe=50)
    np.testing.assert_array_equal(I, I0)
    np.testing.assert_array_equal(D, D0)


@pytest.mark.parametrize("codec", ["flat", "sq8"])
def test_recall_floor_and_faiss_comparison(data, codec):
    xb, xq = data
    nlist, k = 64, 10
    _, truth = exact(xb, xq, k)
    ix = weft.IVFIndex(DIM, nlist, codec=codec)
    ix.train(xb)
    ix.add(xb)
    assert len(ix) == ix.ntotal == xb.shape[0] and ix.is_trained
    quantizer = faiss.IndexFlatL2(DIM)
    if codec == "flat":
        ref = faiss.IndexIVFFlat(quantizer, DIM, nlist)
    else:
        ref = faiss.IndexIVFScalarQuantizer(quantizer, DIM, nlist, faiss.ScalarQuantizer.QT_8bit)
    ref.train(xb)
    ref.add(xb)
    floors = {1: 0.5, 4: 0.85, 16: 0.95}
    for nprobe, floor in floors.items():
        _, I = ix.search(xq, k, nprobe=nprobe)
        ref.nprobe = nprobe
        _, Iref = ref.search(xq, k)
        mine, theirs = recall(I, truth), recall(Iref, truth)
        assert mine >= floor, (nprobe, mine)
        assert mine >= theirs - 0.03, (nprobe, mine, theirs)
    _, I = ix.search(xq, k, nprobe=nlist)
    assert recall(I, truth) >= (1.0 if codec == "flat" else 0.93)


def test_sq8_cosine_matches_faiss_scalar_quantizer_recall(data):
    # a full probe isolates the codec: faiss's IndexScalarQuantizer on the unit vectors
    xb, xq = data
    _, truth = exact(xb, xq, 10, "cosine")
    ix = weft.IVFIndex(DIM, 16, metric="cosine", codec="sq8")
    ix.train(xb)
    ix.add(xb)
    _, I = ix.search(xq, 10, nprobe=16)
    unit = xb / np.linalg.norm(xb, axis=1, keepdims=True)
    uq = xq / np.linalg.norm(xq, axis=1, keepdims=True)
    ref = faiss.IndexScalarQuantizer(DIM, faiss.ScalarQuantizer.QT_8bit, faiss.METRIC_INNER_PRODUCT)
    ref.train(unit)
    ref.add(unit)
    _, Iref = ref.search(uq, 10)
    assert recall(I, truth) >= recall(Iref, truth) - 0.03


def test_kmeans_finds_the_clusters_and_matches_faiss_objective():
    x = clustered(8000, 3, centers=40, sigma=0.02)
    c, a = weft.kmeans(x, 40, niter=20, seed=1)
    assert c.shape == (40, DIM) and c.dtype == np.float32 and a.shape == (8000,)
    d = ((x - c[a]) ** 2).sum(1).mean()
    km = faiss.Kmeans(DIM, 40, niter=20, seed=1)
    km.train(x)
    _, fa = km.index.search(x, 1)
    dref = ((x - km.centroids[fa[:, 0]]) ** 2).sum(1).mean()
    assert d <= dref * 1.5, (d, dref)
    # each assignment is the nearest centroid
    full = ((x[:, None, :] - c[None, :, :]) ** 2).sum(-1)
    np.testing.assert_allclose(full[np.arange(8000), a], full.min(1), rtol=1e-5, atol=1e-6)
    c2, a2 = weft.kmeans(x, 40, niter=20, seed=1)
    np.testing.assert_array_equal(c, c2)
    np.testing.assert_array_equal(a, a2)


_REPRO = textwrap.dedent(
    """
    import hashlib, numpy as np, weft
    rng = np.random.default_rng(0)
    x = rng.standard_normal((30000, 24)).astype(np.float32)
    c, a = weft.kmeans(x, 100, niter=8, seed=3, max_points_per_centroid=100)
    out = [c, a]
    for codec in ("flat", "sq8"):
        ix = weft.IVFIndex(24, 100, "l2", codec)
        ix.train(x, niter=8)
        ix.add(x)
        out += list(ix.search(x[:3000], 10, nprobe=5))
        out += list(ix.search(x[:500], 10, nprobe=1, allowed=rng.random(30000) < 0.01))
    print(hashlib.sha1(b"".join(o.tobytes() for o in out)).hexdigest())
    """
)


def test_same_bits_whatever_the_thread_count():
    digests = set()
    for threads in ("1", "2"):
        env = dict(os.environ, WEFT_NUM_THREADS=threads)
        out = subprocess.run([sys.executable, "-c", _REPRO], env=env, capture_output=True,
                             text=True, timeout=600, check=True)  # fmt: skip
        digests.add(out.stdout.strip())
    assert len(digests) == 1, digests


@pytest.mark.parametrize("form", ["mask", "ids", "bitset"])
def test_one_percent_filter_still_returns_k(data, form):
    xb, xq = data
    ix = weft.IVFIndex(DIM, 100, codec="sq8")
    ix.train(xb)
    ix.add(xb)
    rng = np.random.default_rng(5)
    keep = np.sort(rng.choice(xb.shape[0], xb.shape[0] // 100, replace=False))
    mask = np.zeros(xb.shape[0], dtype=bool)
    mask[keep] = True
    allowed = {"mask": mask, "ids": keep, "bitset": weft.Bitset(mask)}[form]
    D, I = ix.search(xq, 10, nprobe=1, allowed=allowed)
    assert (I >= 0).all()
    assert mask[I].all()
    assert np.all(np.diff(D, axis=1) >= 0)
    assert "probed more lists in centroid order" in weft.last_report()
    # the answer equals the filtered exact search's where every list is probed
    flat = weft.FlatIndex(DIM)
    flat.add(xb)
    ixf = weft.IVFIndex(DIM, 100, codec="flat")
    ixf.train(xb)
    ixf.add(xb)
    np.testing.assert_array_equal(ixf.search(xq, 10, nprobe=100, allowed=allowed)[1],
                                  flat.search(xq, 10, allowed=mask, device="cpu")[1])  # fmt: skip


def test_too_few_allowed_rows_pad_after_probing_every_list(data):
    xb, xq = data
    ix = weft.IVFIndex(DIM, 20)
    ix.train(xb)
    ix.add(xb)
    D, I = ix.search(xq[:5], 10, nprobe=2, allowed=[3, 30, 300])
    assert (np.sort(I[:, :3], axis=1) == [3, 30, 300]).all()
    assert (I[:, 3:] == -1).all() and np.isinf(D[:, 3:]).all()
    assert "padded with id -1" in weft.last_report()


def test_add_ids_remove_and_len(data):
    xb, _ = data
    ix = weft.IVFIndex(DIM, 16)
    ix.train(xb[:2000])
    ids = np.arange(2000, dtype=np.int64)[::-1] * 5
    ix.add(xb[:2000], ids=ids)
    assert ix.remove(ids[:500]) == 500 and len(ix) == 1500
    _, I = ix.search(xb[:50], 5, nprobe=16)
    assert not np.isin(I, ids[:500]).any()
    flat = weft.FlatIndex(DIM)
    flat.add(xb[500:2000], ids=ids[500:])
    np.testing.assert_array_equal(I, flat.search(xb[:50], 5, device="cpu")[1])
    ix.add(xb[:1])  # the next id in sequence follows the largest added
    _, I = ix.search(xb[:1], 1, nprobe=16)
    assert I[0, 0] == ids.max() + 1


def test_files_round_trip_and_corruption(tmp_path, data):
    xb, xq = data
    path = tmp_path / "v.ivf"
    for codec in ("flat", "sq8"):
        ix = weft.IVFIndex(DIM, 32, metric="ip", codec=codec)
        ix.train(xb[:4000])
        ix.add(xb[:4000])
        ix.save(path)
        back = weft.load_index(path)
        assert isinstance(back, weft.IVFIndex)
        assert (back.dim, back.nlist, back.metric, back.codec, len(back)) == (DIM, 32, "ip", codec, 4000)
        np.testing.assert_array_equal(back.centroids, ix.centroids)
        for a, b in zip(back.search(xq, 7, nprobe=3), ix.search(xq, 7, nprobe=3)):
            np.testing.assert_array_equal(a, b)
        raw = path.read_bytes()
        for cut in (0, 5, 50, 100, len(raw) // 2, len(raw) - 1):
            path.write_bytes(raw[:cut])
            with pytest.raises(weft.CorruptError, match="weft.load_index"):
                weft.load_index(path)
        rng = np.random.default_rng(2)
        for at in list(range(0, 80, 8)) + list(rng.integers(0, len(raw), 20)):
            flipped = bytearray(raw)
            flipped[at] ^= 1 << int(rng.integers(0, 8))
            path.write_bytes(bytes(flipped))
            with pytest.raises(weft.CorruptError):
                weft.load_index(path)
    # flat files still load as FlatIndex
    flat = weft.FlatIndex(DIM)
    flat.add(xb[:10])
    flat.save(path)
    assert isinstance(weft.load_index(path), weft.FlatIndex)
    with pytest.raises(weft.WeftIOError):
        weft.load_index(tmp_path / "missing.ivf")


def test_untrained_index_saves_and_loads(tmp_path):
    ix = weft.IVFIndex(8, 4, codec="sq8")
    ix.save(tmp_path / "u.ivf")
    back = weft.load_index(tmp_path / "u.ivf")
    assert not back.is_trained and len(back) == 0 and back.codec == "sq8"


def test_bad_input_names_the_call_argument_and_value(data):
    xb, xq = data
    with pytest.raises(weft.InvalidArgumentError, match=r"weft.IVFIndex: nlist must be a positive integer, got 0"):
        weft.IVFIndex(DIM, 0)
    with pytest.raises(weft.InvalidArgumentError, match=r"weft.IVFIndex: codec must be 'flat', 'sq8' or 'pq', got 'pq4'"):
        weft.IVFIndex(DIM, 4, codec="pq4")
    ix = weft.IVFIndex(DIM, 64)
    with pytest.raises(weft.InvalidArgumentError, match=r"IVFIndex.search: the index is not trained"):
        ix.search(xq, 5)
    with pytest.raises(weft.InvalidArgumentError, match=r"IVFIndex.add: the index is not trained"):
        ix.add(xb[:10])
    with pytest.raises(weft.InvalidArgumentError, match=r"IVFIndex.train: vectors: 10 training vectors for nlist = 64"):
        ix.train(xb[:10])
    ix.train(xb[:3000])
    with pytest.raises(weft.InvalidArgumentError, match=r"IVFIndex.search: nprobe must be a positive integer, got 0"):
        ix.search(xq, 5, nprobe=0)
    with pytest.raises(weft.InvalidArgumentError, match=r"IVFIndex.search: nprobe must be in 1..nlist = 64, got 65"):
        ix.search(xq, 5, nprobe=65)
    bad = xq.copy()
    bad[3, 4] = np.nan
    with pytest.raises(weft.InvalidArgumentError, match=r"IVFIndex.search: queries row 3 holds nan at column 4"):
        ix.search(bad, 5)
    with pytest.raises(weft.InvalidArgumentError, match=r"IVFIndex.search: queries has 31 columns"):
        ix.search(xq[:, :31], 5)
    with pytest.raises(weft.InvalidArgumentError, match=r"IVFIndex.add: vectors has dtype <U1"):
        ix.add(np.array([["a"] * DIM]))
    with pytest.raises(weft.InvalidArgumentError, match=r"IVFIndex.search: allowed must be"):
        ix.search(xq, 5, allowed=np.zeros(10, dtype=np.float32))
    with pytest.raises(weft.InvalidArgumentError, match=r"weft.kmeans: k = 50 clusters need at least as many rows, x has 10"):
        weft.kmeans(xb[:10], 50)
    with pytest.raises(weft.InvalidArgumentError, match=r"weft.kmeans: x row 2 holds inf"):
        weft.kmeans(np.array([[0.0], [1.0], [np.inf]]), 2)
    # float64 and int input is converted
    ix.add(xb[:100].astype(np.float64))
    assert len(ix) == 100


def test_device_request_runs_on_the_cpu_and_says_so(data):
    xb, xq = data
    ix = weft.IVFIndex(DIM, 16)
    ix.train(xb[:2000])
    ix.add(xb[:2000])
    want = ix.search(xq, 5, nprobe=4)
    require("opencl:0")  # absent in the sanitizer build (OpenCL off): skipped with the reason
    got = ix.search(xq, 5, nprobe=4, device="opencl")
    np.testing.assert_array_equal(got[1], want[1])
    assert "no device kernels yet: ran on cpu:0" in weft.last_report()
    with pytest.raises(weft.UnsupportedError, match="IVFIndex.search"):
        ix.search(xq, 5, nprobe=4, device="opencl", strict=True)


def _fnv_pieces(raw, pieces):
    """The files' checksum (index_io.c): FNV-1a over each piece's 64-bit words, then its
    tail bytes. Lets a test write a file that is well-formed but holds values on purpose."""
    h, at, mask = 0xCBF29CE484222325, 0, (1 << 64) - 1
    for n in pieces + [len(raw) - 8 - sum(pieces)]:
        piece = raw[at:at + n]
        words = n // 8
        for w in np.frombuffer(piece[:words * 8], dtype="<u8").tolist():
            h = ((h ^ w) * 0x100000001B3) & mask
        for b in piece[words * 8:]:
            h = ((h ^ b) * 0x100000001B3) & mask
        at += n
    return raw[:-8] + h.to_bytes(8, "little")


@pytest.mark.parametrize("value", [3e38, float("nan")])
def test_files_holding_vectors_add_refuses_are_corrupt(tmp_path, value):
    # Found by fuzz_index in CI: a file whose checksum was right but whose centroid's
    # squared norm was inf. |c|^2 - 2q.c was then NaN, the probe slot empty, and the search
    # read list 0xFFFFFFFF. A loader holds files to add()'s checks.
    xb = clustered(60, 5, dim=4)
    ix = weft.IVFIndex(4, 3, codec="flat")
    ix.train(xb)
    ix.add(xb)
    path = tmp_path / "v.ivf"
    ix.save(path)
    raw = bytearray(path.read_bytes())
    sizes = [int.from_bytes(raw[72 + 48 + 8 * i:72 + 56 + 8 * i], "little") for i in range(3)]
    pieces = [72, 48] + [8] * 3 + [p for r in sizes for p in (r * 16, r * 8)]
    good = _fnv_pieces(bytes(raw), pieces)
    assert good == bytes(raw)  # the test's checksum is the loader's
    for at in (72, 72 + 48 + 24):  # centroid 0; the first stored vector
        bad = bytearray(raw)
        bad[at:at + 16] = np.full(4, value, dtype="<f4").tobytes()
        path.write_bytes(_fnv_pieces(bytes(bad), pieces))
        with pytest.raises(weft.CorruptError, match="NaN or inf, or .*past float32 max"):
            weft.load_index(path)
    flat = weft.FlatIndex(4)
    flat.add(xb)
    flat.save(path)
    raw = path.read_bytes()
    assert _fnv_pieces(raw, [64, 60 * 16]) == raw
    bad = bytearray(raw)
    bad[64 + 16 * 7:64 + 16 * 8] = np.full(4, value, dtype="<f4").tobytes()
    path.write_bytes(_fnv_pieces(bytes(bad), [64, 60 * 16]))
    with pytest.raises(weft.CorruptError, match="holds a vector add.. refuses: a stored vector: row 7"):
        weft.load_index(path)


@pytest.mark.parametrize("codec,refine", [("flat", None), ("sq8", 64), ("pq", 64)])
def test_ties_go_to_the_smaller_id_as_in_the_flat_index(codec, refine):
    # Integer-valued rows, each one repeated several times, so most distances tie: the
    # pairs' lists and the merge across lists (a heap on (distance, id)) must keep the
    # smaller ids, as the exact index does, whatever list a duplicate lies in.
    rng = np.random.default_rng(5)
    base = rng.integers(-3, 4, (150, 8)).astype(np.float32)
    xb = base[rng.integers(0, 150, 1500)]
    xq = rng.integers(-3, 4, (40, 8)).astype(np.float32)
    kw = {"m": 4} if codec == "pq" else {}
    ix = weft.IVFIndex(8, 16, codec=codec, refine=refine, **kw)
    ix.train(xb)
    ix.add(xb)
    for k in (1, 7, 40):
        D0, I0 = exact(xb, xq, k)
        D, I = ix.search(xq, k, nprobe=16)
        np.testing.assert_array_equal(D, D0)
        np.testing.assert_array_equal(I, I0)


@pytest.mark.parametrize("tied", [(3, 20), (18, 34), (20, 36), (5, 17, 33, 49), (47, 48), (0, 63)])
@pytest.mark.parametrize("rows", [64, 70, 300])
def test_top1_ties_across_lanes_go_to_the_smaller_row(tied, rows):
    """k = 1 (the top-1 scan: 16 lanes in two sets, merged at the end): rows at the same
    smallest distance in different lanes and sets come back as the smallest row."""
    xb = np.full((rows, 2), 2.0, dtype=np.float32)  # distance 8 from the query
    for i, r in enumerate(tied):
        xb[r] = (1.0, 0.0) if i % 2 else (0.0, -1.0)  # distance 1, exactly, either way
    index = weft.FlatIndex(2)
    index.add(xb)
    D, I = index.search(np.zeros((3, 2), np.float32), 1, device="cpu")
    assert I.ravel().tolist() == [min(tied)] * 3
    assert D.ravel().tolist() == [1.0] * 3


def test_kmeans_assignment_ties_go_to_the_smaller_centroid():
    """Identical rows make identical centroids: every distance ties, and each row's nearest
    centroid (the top-1 scan, tiled 16 and 512 centroids at a time) must be centroid 0."""
    x = np.full((3000, 24), 0.5, dtype=np.float32)
    for k in (1, 17, 40, 600):
        c, a = weft.kmeans(x, k, niter=0, seed=2)
        np.testing.assert_array_equal(c, x[:k])
        np.testing.assert_array_equal(a, np.zeros(len(x), dtype=np.int64))
