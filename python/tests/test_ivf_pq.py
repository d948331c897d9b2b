"""weft.IVFIndex(codec="pq") and refine=: against faiss's IndexIVFPQ given weft's own trained
quantizers (the same codes, so the same distances and, but for ties, the same ids), against
a faiss IndexIVFPQ trained on its own (recall within 0.03 of it at each nprobe), the exact
FlatIndex (refine with every list probed is its answer), thread-count reproducibility,
filters, memory, files and bad input."""

import os
import struct
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import weft

faiss = pytest.importorskip("faiss")

DIM, NLIST, M = 32, 64, 8
FAISS_METRIC = {"l2": faiss.METRIC_L2, "ip": faiss.METRIC_INNER_PRODUCT,
                "cosine": faiss.METRIC_INNER_PRODUCT}  # fmt: skip


def clustered(n, seed, centers=100, sigma=0.05, dim=DIM):
    c = np.random.default_rng(1234).random((centers, dim), dtype=np.float32)
    rng = np.random.default_rng(seed)
    lab = rng.integers(0, centers, n)
    return (c[lab] + sigma * rng.standard_normal((n, dim), dtype=np.float32)).astype(np.float32)


def unit(x):
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


@pytest.fixture(scope="module")
def data():
    return clustered(20000, 1), clustered(300, 2)


@pytest.fixture(scope="module")
def indexes(data):
    """One trained and filled pq index per metric (m = 8, nbits = 8)."""
    xb, _ = data
    out = {}
    for metric in ("l2", "ip", "cosine"):
        ix = weft.IVFIndex(DIM, NLIST, metric, codec="pq", m=M)
        ix.train(xb[:5000])
        ix.add(xb)
        out[metric] = ix
    return out


def recall(got, truth):
    k = truth.shape[1]
    return float(np.mean([len(set(g) & set(t)) / k for g, t in zip(got, truth)]))


def exact(xb, xq, k, metric="l2", allowed=None):
    flat = weft.FlatIndex(xb.shape[1], metric)
    flat.add(xb)
    return flat.search(xq, k, allowed=allowed, device="cpu")


def faiss_with_weft_quantizers(ix, xb, metric):
    """faiss's IndexIVFPQ holding weft's centroids and codebooks, its vectors encoded by faiss."""
    # weft lists cosine rows by L2 on the unit vectors, ip by inner product (as faiss)
    quantizer = faiss.IndexFlatIP(DIM) if metric == "ip" else faiss.IndexFlatL2(DIM)
    quantizer.add(ix.centroids)
    ref = faiss.IndexIVFPQ(quantizer, DIM, NLIST, ix.m, ix.nbits, FAISS_METRIC[metric])
    faiss.copy_array_to_vector(ix.pq_codebooks.ravel(), ref.pq.centroids)
    ref.is_trained = True
    ref.add(unit(xb) if metric == "cosine" else xb)
    ref.make_direct_map()
    return ref


@pytest.mark.parametrize("metric", ["l2", "ip", "cosine"])
def test_same_quantizers_give_faiss_distances_and_ids_but_for_ties(data, indexes, metric):
    xb, xq = data
    ix = indexes[metric]
    ref = faiss_with_weft_quantizers(ix, xb, metric)
    for nprobe in (1, 4, NLIST):
        ref.nprobe = nprobe
        q = unit(xq) if metric == "cosine" else xq
        Dr, _ = ref.search(q, 10)
        D, I = ix.search(xq, 10, nprobe=nprobe)
        # the same k best distances; ids may differ only among ties (rows with equal codes),
        # so each id weft returns is checked by faiss's decoding of that row
        np.testing.assert_allclose(D, Dr, rtol=1e-4, atol=1e-5)
        R = ref.reconstruct_batch(I.ravel()).reshape(I.shape + (DIM,))
        if metric == "l2":
            want = ((q[:, None, :] - R) ** 2).sum(-1)
        else:
            want = (q[:, None, :] * R).sum(-1)
        np.testing.assert_allclose(D, want, rtol=1e-4, atol=1e-5)
        step = np.diff(D, axis=1)
        assert np.all(step >= 0) if metric == "l2" else np.all(step <= 0)
        same = np.diff(D, axis=1) == 0
        assert np.all(np.diff(I, axis=1)[same] > 0)  # ties to the smaller id


@pytest.mark.parametrize("metric", ["l2", "ip", "cosine"])
def test_recall_within_003_of_faiss_ivfpq_trained_on_its_own(data, metric):
    xb, xq = data
    ix = weft.IVFIndex(DIM, NLIST, metric, codec="pq", m=16)
    ix.train(xb[:5000])
    ix.add(xb)
    xbf, xqf = (unit(xb), unit(xq)) if metric == "cosine" else (xb, xq)
    _, truth = exact(xb, xq, 10, metric)
    quantizer = faiss.IndexFlatIP(DIM) if metric == "ip" else faiss.IndexFlatL2(DIM)
    if metric == "ip":
        # faiss's ip lists come from spherical k-means (unit centroids), weft's from plain
        # k-means by inner product: given weft's lists, faiss trains only its pq codec
        quantizer.add(ix.centroids)
    ref = faiss.IndexIVFPQ(quantizer, DIM, NLIST, 16, 8, FAISS_METRIC[metric])
    faiss.omp_set_num_threads(1)  # faiss's k-means is slow with threads on a shared machine
    ref.train(xbf[:5000])
    ref.add(xbf)
    floors = {"l2": (0.65, 0.65, 0.65), "ip": (0.45, 0.5, 0.55), "cosine": (0.15, 0.15, 0.15)}
    for nprobe, floor in zip((1, 4, 16), floors[metric]):
        _, I = ix.search(xq, 10, nprobe=nprobe)
        ref.nprobe = nprobe
        _, Iref = ref.search(xqf, 10)
        mine, theirs = recall(I, truth), recall(Iref, truth)
        assert mine >= floor, (nprobe, mine)
        assert mine >= theirs - 0.03, (nprobe, mine, theirs)


@pytest.mark.parametrize("metric", ["l2", "ip", "cosine"])
def test_refine_raises_recall_and_with_every_list_is_the_exact_answer(data, indexes, metric):
    xb, xq = data
    ix = weft.IVFIndex(DIM, NLIST, metric, codec="pq", m=M, refine=4)
    assert ix.refine == 4
    ix.train(xb[:5000])
    ix.add(xb)
    D0, I0 = exact(xb, xq, 10, metric)
    plain = indexes[metric]  # trained alike: the same codes
    for nprobe in (4, 16):
        r_plain = recall(plain.search(xq, 10, nprobe=nprobe)[1], I0)
        r_refined = recall(ix.search(xq, 10, nprobe=nprobe)[1], I0)
        assert r_refined >= r_plain + 0.15, (nprobe, r_plain, r_refined)
        assert "re-ranked by exact distance" in weft.last_report()
    ix.refine = 200  # 2000 candidates of 20000 hold the exact 10
    D, I = ix.search(xq, 10, nprobe=NLIST)
    np.testing.assert_array_equal(I, I0)
    np.testing.assert_array_equal(D, D0)
    ix.refine = None  # the codes alone again: plain's answer (same seed, same codes)
    for a, b in zip(ix.search(xq, 10, nprobe=4), plain.search(xq, 10, nprobe=4)):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("metric", ["l2", "ip"])
def test_refine_reranks_exactly_the_k_times_refine_best_codes(data, metric):
    """refine = the exact index over the k * refine best rows by pq distance (ties to the
    smaller id), checked per query: those candidates from the unrefined index's search for
    k * refine, then the exact index allowed only them. Every seventh row duplicates the one
    before (ties in both distances); about 1250 rows in 4 lists against 30 candidates, so the
    candidate set is cut back many times (ivf_merge.c's selection)."""
    xb, xq = data
    xb = xb[:20000].copy()
    xb[1::7] = xb[0::7][: len(xb[1::7])]
    xq = xq[:25]
    ix = weft.IVFIndex(DIM, NLIST, metric, codec="pq", m=M, refine=3)
    ix.train(xb[:5000])
    ix.add(xb)
    flat = weft.FlatIndex(DIM, metric)
    flat.add(xb)
    for nprobe in (1, 4, NLIST):
        ix.refine = None
        _, cand = ix.search(xq, 30, nprobe=nprobe)
        ix.refine = 3
        D, I = ix.search(xq, 10, nprobe=nprobe)
        for q in range(len(xq)):
            allowed = np.zeros(len(xb), dtype=bool)
            allowed[cand[q]] = True
            D0, I0 = flat.search(xq[q : q + 1], 10, allowed=allowed, device="cpu")
            np.testing.assert_array_equal(I[q], I0[0], err_msg=f"nprobe {nprobe} query {q}")
            np.testing.assert_array_equal(D[q], D0[0], err_msg=f"nprobe {nprobe} query {q}")


def test_refine_on_the_sq8_and_flat_codecs(data):
    xb, xq = data
    D0, I0 = exact(xb, xq, 10)
    for codec in ("sq8", "flat"):
        ix = weft.IVFIndex(DIM, NLIST, codec=codec, refine=8)
        ix.train(xb[:5000])
        ix.add(xb)
        D, I = ix.search(xq, 10, nprobe=NLIST)
        np.testing.assert_array_equal(I, I0)
        np.testing.assert_array_equal(D, D0)


_REPRO = textwrap.dedent(
    """
    import hashlib, numpy as np, weft
    rng = np.random.default_rng(0)
    x = rng.standard_normal((20000, 24)).astype(np.float32)
    out = []
    for metric, refine in (("l2", None), ("ip", 3), ("cosine", None)):
        ix = weft.IVFIndex(24, 50, metric, codec="pq", m=6, nbits=7, refine=refine)
        ix.train(x, niter=8, seed=4)
        ix.add(x)
        out += [ix.centroids, ix.pq_codebooks]
        out += list(ix.search(x[:2000], 10, nprobe=5))
        out += list(ix.search(x[:300], 10, nprobe=1, allowed=rng.random(20000) < 0.01))
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


@pytest.mark.parametrize("refine", [None, 2])
def test_filter_keeps_k_results_and_equals_filtered_exact_when_refined(data, refine):
    xb, xq = data
    ix = weft.IVFIndex(DIM, NLIST, codec="pq", m=M, refine=refine)
    ix.train(xb[:5000])
    ix.add(xb)
    rng = np.random.default_rng(5)
    mask = np.zeros(xb.shape[0], dtype=bool)
    mask[rng.choice(xb.shape[0], xb.shape[0] // 100, replace=False)] = True
    D, I = ix.search(xq, 10, nprobe=1, allowed=mask)
    assert (I >= 0).all() and mask[I].all()
    assert np.all(np.diff(D, axis=1) >= 0)
    if refine:  # 200 allowed rows, all candidates with every list probed: the exact answer
        ix.refine = 20
        D, I = ix.search(xq, 10, nprobe=NLIST, allowed=mask)
        D0, I0 = exact(xb, xq, 10, allowed=mask)
        np.testing.assert_array_equal(I, I0)
        np.testing.assert_array_equal(D, D0)


def test_nbytes_is_codes_and_ids_plus_codebooks_and_terms(data):
    xb, _ = data
    n = xb.shape[0]
    for m, refine in ((8, None), (16, None), (4, 2)):
        ix = weft.IVFIndex(DIM, NLIST, codec="pq", m=m, refine=refine)
        ix.train(xb[:5000], niter=4)
        for part in np.array_split(np.arange(n), 7):  # several adds: capacity stays near n
            ix.add(xb[part], ids=part)
        codebooks = NLIST * DIM * 4 + 256 * DIM * 4
        # derived at train: the codebooks transposed, l2's terms of every list (faiss's
        # precomputed table) and a byte of state a list
        derived = 256 * DIM * 4 + NLIST * (m * 256 * 4 + 1)
        want = n * (m + 8) + codebooks + derived + (n * DIM * 4 if refine else 0)
        assert abs(ix.nbytes - want) <= 0.05 * want, (m, ix.nbytes, want)
        assert ix.nbytes == ix.memory_bytes()


def test_nbits_below_8_and_remove(data):
    xb, xq = data
    ix = weft.IVFIndex(DIM, 16, codec="pq", m=16, nbits=4)
    ix.train(xb[:3000])
    ix.add(xb[:3000])
    assert (ix.m, ix.nbits) == (16, 4) and ix.pq_codebooks.shape == (16, 16, 2)
    _, truth = exact(xb[:3000], xq, 10)
    assert recall(ix.search(xq, 10, nprobe=4)[1], truth) >= 0.3
    assert ix.remove(np.arange(0, 3000, 2)) == 1500
    D, I = ix.search(xq, 10, nprobe=16)
    assert (I % 2 == 1).all()
    assert "m=16, nbits=4" in repr(ix)


@pytest.mark.parametrize("refine", [None, 3])
def test_files_round_trip_bit_identical_and_corruption(tmp_path, data, refine):
    xb, xq = data
    path = tmp_path / "v.ivf"
    ix = weft.IVFIndex(DIM, 32, metric="ip", codec="pq", m=M, nbits=6, refine=refine)
    ix.train(xb[:4000])
    ix.add(xb[:4000])
    ix.save(path)
    back = weft.load_index(path)
    assert (back.codec, back.m, back.nbits, back.refine, len(back)) == ("pq", M, 6, refine, 4000)
    np.testing.assert_array_equal(back.pq_codebooks, ix.pq_codebooks)
    for a, b in zip(back.search(xq, 7, nprobe=3), ix.search(xq, 7, nprobe=3)):
        np.testing.assert_array_equal(a, b)
    raw = path.read_bytes()
    for cut in (0, 5, 50, 100, len(raw) // 2, len(raw) - 1):
        path.write_bytes(raw[:cut])
        with pytest.raises(weft.CorruptError, match="weft.load_index"):
            weft.load_index(path)
    rng = np.random.default_rng(2)
    for at in list(range(0, 96, 8)) + list(rng.integers(0, len(raw), 20)):
        flipped = bytearray(raw)
        flipped[at] ^= 1 << int(rng.integers(0, 8))
        path.write_bytes(bytes(flipped))
        with pytest.raises(weft.CorruptError):
            weft.load_index(path)
    # format version 2; a version past it is refused by name
    assert struct.unpack_from("<I", raw, 8)[0] == 2
    newer = bytearray(raw)
    newer[8:12] = struct.pack("<I", 3)
    path.write_bytes(bytes(newer))
    with pytest.raises(weft.CorruptError, match="format version 3"):
        weft.load_index(path)


def test_bad_input_names_the_call_argument_and_value(data):
    xb, _ = data
    err = weft.InvalidArgumentError
    with pytest.raises(err, match=r"weft.IVFIndex: m = 5 sub-quantizers must divide dim = 32"):
        weft.IVFIndex(DIM, 4, codec="pq", m=5)
    with pytest.raises(err, match=r"weft.IVFIndex: codec='pq' needs m="):
        weft.IVFIndex(DIM, 4, codec="pq")
    with pytest.raises(err, match=r"weft.IVFIndex: nbits must be in 4..8, got 9"):
        weft.IVFIndex(DIM, 4, codec="pq", m=8, nbits=9)
    with pytest.raises(err, match=r"weft.IVFIndex: nbits must be in 4..8, got 3"):
        weft.IVFIndex(DIM, 4, codec="pq", m=8, nbits=3)
    with pytest.raises(err, match=r"weft.IVFIndex: m = 8 is for codec='pq' \(codec is 'sq8'\)"):
        weft.IVFIndex(DIM, 4, codec="sq8", m=8)
    with pytest.raises(err, match=r"weft.IVFIndex: refine must be a positive integer, got 0"):
        weft.IVFIndex(DIM, 4, codec="pq", m=8, refine=0)
    with pytest.raises(err, match=r"weft.IVFIndex: codec must be 'flat', 'sq8' or 'pq', got 'opq'"):
        weft.IVFIndex(DIM, 4, codec="opq")
    ix = weft.IVFIndex(DIM, 4, codec="pq", m=8)
    with pytest.raises(err, match=r"IVFIndex.train: vectors: 100 training vectors for nbits = 8 "
                                  r"\(256 centroids a sub-quantizer\)"):  # fmt: skip
        ix.train(xb[:100])
    with pytest.raises(err, match=r"IVFIndex.train: vectors: 3 training vectors for nlist = 4"):
        ix.train(xb[:3])
    with pytest.raises(err, match=r"IVFIndex.pq_codebooks: the index is not trained"):
        ix.pq_codebooks
    ix.train(xb[:1000])
    ix.add(xb[:10])
    with pytest.raises(err, match=r"IVFIndex.refine: refine = 2 needs the float32 rows.* holds "
                                  r"10 vectors"):  # fmt: skip
        ix.refine = 2
    with pytest.raises(err, match=r"IVFIndex.pq_codebooks: the index's codec is 'flat'"):
        weft.IVFIndex(DIM, 4).pq_codebooks


def test_pq_niter_reaches_the_sub_quantizers_kmeans_and_niter_the_coarse_one(data):
    """train(niter=, pq_niter=) as faiss (10 and 25 by default): each sub-quantizer is
    weft.kmeans of its slice of the residuals with pq_niter iterations, bit for bit, and the
    coarse centroids depend on niter alone."""
    xb, _ = data
    x = xb[:3000]  # below 256 * 256: every row trains the sub-quantizers
    books = {}
    for niter, pq_niter in ((3, 7), (3, 2), (7, 7)):
        ix = weft.IVFIndex(DIM, NLIST, codec="pq", m=M)
        ix.train(x, niter=niter, seed=5, pq_niter=pq_niter)
        books[niter, pq_niter] = ix.pq_codebooks
        coarse = weft.FlatIndex(DIM)
        coarse.add(ix.centroids)
        residual = x - ix.centroids[coarse.search(x, 1, device="cpu")[1][:, 0]]
        dsub = DIM // M
        for j in range(M):
            want, _ = weft.kmeans(np.ascontiguousarray(residual[:, j * dsub:(j + 1) * dsub]), 256,
                                  niter=pq_niter, seed=5 + 1 + j, max_points_per_centroid=0)
            np.testing.assert_array_equal(books[niter, pq_niter][j], want)
        if niter == 3:
            np.testing.assert_array_equal(ix.centroids, books.setdefault("c3", ix.centroids))
    assert not np.array_equal(books[3, 7], books[3, 2])
    flat = weft.IVFIndex(DIM, NLIST)  # no sub-quantizers: pq_niter is checked, then unused
    flat.train(x, pq_niter=0)
    assert flat.is_trained


@pytest.mark.parametrize("name", ["niter", "pq_niter"])
def test_train_iteration_counts_out_of_range_name_the_argument(data, name):
    xb, _ = data
    ix = weft.IVFIndex(DIM, NLIST, codec="pq", m=M)
    err = weft.InvalidArgumentError
    with pytest.raises(err, match=rf"IVFIndex.train: {name} must be in 0..1000000, got 1000001"):
        ix.train(xb[:3000], **{name: 1_000_001})
    with pytest.raises(err, match=rf"IVFIndex.train: {name}"):
        ix.train(xb[:3000], **{name: -1})
