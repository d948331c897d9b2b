"""weft.load_index(path, mmap=True): an IVF file mapped instead of read. Against the same
file loaded into memory: the same answers bit for bit (every codec, refine, misaligned
lists), the same file when saved again, the same index after add and remove (which copy the
lists into memory); memory that grows with what searches touch; corrupt files."""

import os
import threading

import numpy as np
import pytest

import weft

DIM = 16


def clustered(n, dim, seed):
    rng = np.random.default_rng(seed)
    c = np.random.default_rng(99).random((40, dim), dtype=np.float32)
    return (c[rng.integers(0, 40, n)] + 0.05 * rng.standard_normal((n, dim), dtype=np.float32)).astype(np.float32)


def rss_bytes():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


CASES = [  # (dim, codec, options): odd dims put lists' ids and rows off their alignment
    (DIM, "flat", {}),
    (7, "flat", {}),
    (7, "sq8", {"refine": 3}),
    (DIM, "pq", {"m": 8}),
    (DIM, "pq", {"m": 4, "nbits": 4, "refine": 4}),
    (12, "pq", {"m": 3, "refine": 2}),
]


def build(dim, codec, opts, n=3000, nlist=24):
    xb = clustered(n, dim, 1)
    ix = weft.IVFIndex(dim, nlist, metric="l2", codec=codec, **opts)
    ix.train(xb)
    ix.add(xb, ids=np.arange(n, dtype=np.int64) * 3 + 1)
    return ix, xb


@pytest.mark.parametrize("dim,codec,opts", CASES)
def test_mapped_answers_equal_the_loaded_file_bit_for_bit(tmp_path, dim, codec, opts):
    ix, xb = build(dim, codec, opts)
    path = tmp_path / "v.ivf"
    ix.save(path)
    plain, mapped = weft.load_index(path), weft.load_index(path, mmap=True)
    assert (len(mapped), mapped.codec, mapped.nlist, mapped.refine) == (len(plain), plain.codec, plain.nlist, plain.refine)
    np.testing.assert_array_equal(mapped.centroids, plain.centroids)
    xq = clustered(50, dim, 2)
    for nprobe in (1, 3, 24):
        for k in (1, 10):
            for a, b in zip(mapped.search(xq, k, nprobe=nprobe), plain.search(xq, k, nprobe=nprobe)):
                np.testing.assert_array_equal(a, b)
    allowed = np.arange(1, 3 * 3000, 6, dtype=np.int64)  # every other id
    for a, b in zip(mapped.search(xq, 5, nprobe=2, allowed=allowed),
                    plain.search(xq, 5, nprobe=2, allowed=allowed)):
        np.testing.assert_array_equal(a, b)
    # saved again without a change: the same bytes
    again = tmp_path / "again.ivf"
    mapped.save(again)
    assert again.read_bytes() == path.read_bytes()


@pytest.mark.parametrize("dim,codec,opts", CASES[::2])
def test_add_and_remove_copy_the_lists_into_memory(tmp_path, dim, codec, opts):
    ix, xb = build(dim, codec, opts)
    path = tmp_path / "v.ivf"
    ix.save(path)
    plain, mapped = weft.load_index(path), weft.load_index(path, mmap=True)
    xq = clustered(30, dim, 3)
    mapped.search(xq, 4, nprobe=2)  # some lists prepared, others not, before the copy
    more = clustered(500, dim, 4)
    for index in (plain, mapped):
        index.add(more)  # ids after the file's largest
        index.remove(np.arange(1, 600, 3, dtype=np.int64))
    assert len(mapped) == len(plain) == 3000 + 500 - 200
    for a, b in zip(mapped.search(xq, 8, nprobe=24), plain.search(xq, 8, nprobe=24)):
        np.testing.assert_array_equal(a, b)
    p1, p2 = tmp_path / "p.ivf", tmp_path / "m.ivf"
    plain.save(p1)
    mapped.save(p2)
    assert p1.read_bytes() == p2.read_bytes()
    os.unlink(path)  # the mapping is gone: the index holds its own lists now
    for a, b in zip(mapped.search(xq, 8, nprobe=24), plain.search(xq, 8, nprobe=24)):
        np.testing.assert_array_equal(a, b)


def test_opening_reads_only_tables_and_memory_follows_the_lists_searched(tmp_path):
    n, dim = 40000, 256  # refine keeps the float32 rows: 41 MB of the file's 42
    xb = clustered(n, dim, 5)
    ix = weft.IVFIndex(dim, 64, codec="pq", m=16, refine=2)
    ix.train(xb[:8000])
    ix.add(xb)
    path = tmp_path / "big.ivf"
    ix.save(path)
    del ix
    size = os.path.getsize(path)
    before = rss_bytes()
    plain = weft.load_index(path)
    grew_plain = rss_bytes() - before
    del plain
    before = rss_bytes()
    mapped = weft.load_index(path, mmap=True)
    grew_open = rss_bytes() - before
    mapped.search(xb[:1], 10, nprobe=1)  # one list of 64
    grew_search = rss_bytes() - before
    assert grew_plain > 0.8 * size, (grew_plain, size)  # the measure sees a real load
    assert grew_open < 0.05 * size, (grew_open, size)
    assert grew_search < 0.2 * size, (grew_search, size)


def test_a_bad_pq_code_is_found_by_the_search_that_reaches_its_list(tmp_path):
    ix, xb = build(DIM, "pq", {"m": 4, "nbits": 4})
    path = tmp_path / "v.ivf"
    ix.save(path)
    raw = bytearray(path.read_bytes())
    # header 72 | centroids 24 x 16 | codebooks 16 x 16 | 24 list sizes | list 0's codes
    lists = 72 + 24 * DIM * 4 + 16 * DIM * 4
    sizes = np.frombuffer(bytes(raw[lists:lists + 24 * 8]), dtype="<u8")
    assert sizes.sum() == 3000 and sizes[0] > 0
    raw[lists + 24 * 8 + 5] = 0xFF  # a code of list 0: past 2^4
    path.write_bytes(bytes(raw))
    with pytest.raises(weft.CorruptError):  # the plain load checks every byte
        weft.load_index(path)
    mapped = weft.load_index(path, mmap=True)  # the mapped one does not read the lists
    with pytest.raises(weft.CorruptError, match="mapped file .* pq code past 2.nbits"):
        mapped.search(xb[:20], 5, nprobe=24)
    with pytest.raises(weft.CorruptError, match="mapped file .* pq code past 2.nbits"):
        mapped.search(xb[:20], 5, nprobe=24)  # and every time after
    with pytest.raises(weft.CorruptError, match="pq code past 2.nbits"):
        mapped.add(xb[:5])  # the copy into memory checks as a load


def test_truncated_and_wrong_files(tmp_path):
    ix, _ = build(DIM, "pq", {"m": 8})
    path = tmp_path / "v.ivf"
    ix.save(path)
    raw = path.read_bytes()
    for cut in (0, 50, 100, len(raw) // 2, len(raw) - 1):
        path.write_bytes(raw[:cut])
        with pytest.raises(weft.CorruptError):
            weft.load_index(path, mmap=True)
    flat = weft.FlatIndex(DIM)
    flat.add(clustered(10, DIM, 1))
    flat.save(path)
    with pytest.raises(weft.InvalidArgumentError, match="weft.load_index: mmap=True maps IVF"):
        weft.load_index(path, mmap=True)
    with pytest.raises(weft.InvalidArgumentError, match="mmap must be True or False"):
        weft.load_index(path, mmap="yes")
    with pytest.raises(weft.WeftIOError):
        weft.load_index(tmp_path / "missing.ivf", mmap=True)


def test_threads_preparing_the_same_lists_agree(tmp_path):
    ix, xb = build(DIM, "sq8", {"refine": 2})
    path = tmp_path / "v.ivf"
    ix.save(path)
    want = weft.load_index(path).search(xb[:200], 7, nprobe=24)
    mapped = weft.load_index(path, mmap=True)
    got, errors = [None] * 8, []

    def run(i):
        try:
            got[i] = mapped.search(xb[:200], 7, nprobe=24)
        except BaseException as e:  # noqa: BLE001 (reported below)
            errors.append(e)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    for g in got:
        for a, b in zip(g, want):
            np.testing.assert_array_equal(a, b)
