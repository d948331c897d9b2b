"""FlatIndex.add(copy=False): the index borrows the array (read-only while borrowed, kept
alive by the index, copied before any change) and gives exactly the results of a copying
add; input that is not float32 is converted a block at a time (add and search)."""

import gc
import sys
import weakref

import numpy as np
import pytest

import weft
import weft.index as weft_index


def _device(id_):
    try:
        return weft.device(id_)
    except weft.WeftError as exc:
        return pytest.param(id_, marks=pytest.mark.skip(reason=f"{id_} absent: {exc}"), id=id_)


DEVICE_IDS = ["cpu:0", "opencl:0", "cuda:0"]


def _dev_params():
    out = []
    for i in DEVICE_IDS:
        d = _device(i)
        out.append(d if not isinstance(d, weft.Device) else pytest.param(i, id=i))
    return out


def _data(rng, n, dim):
    x = rng.standard_normal((n, dim), dtype=np.float32)
    if n > 310:
        x[300:310] = x[:10]  # exact duplicates at other positions: ties go to the smaller id
    return x


def _same(a, b):
    (da, ia), (db, ib) = a, b
    np.testing.assert_array_equal(ia, ib)
    assert da.tobytes() == db.tobytes()


@pytest.mark.parametrize("metric", ["l2", "ip"])
@pytest.mark.parametrize("dev", _dev_params())
def test_borrowed_equals_copied_exactly(dev, metric, rng):
    xb, xq = _data(rng, 1037, 19), _data(rng, 53, 19)
    copied, borrowed = weft.FlatIndex(19, metric), weft.FlatIndex(19, metric)
    copied.add(xb)
    borrowed.add(xb, copy=False)
    assert not xb.flags.writeable
    with pytest.raises(ValueError):
        xb[0, 0] = 1.0  # numpy refuses writes through the borrowed array
    for k in (1, 10, 100, 2000):
        _same(borrowed.search(xq, k, device=dev, strict=True),
              copied.search(xq, k, device=dev, strict=True))  # fmt: skip
    del borrowed
    gc.collect()
    assert xb.flags.writeable, "released and made writeable again when the index is freed"


@pytest.mark.parametrize("dev", _dev_params())
def test_array_kept_alive_after_the_caller_drops_it(dev, rng):
    xb, xq = _data(rng, 800, 8), _data(rng, 20, 8)
    want = weft.FlatIndex(8)
    want.add(xb)
    expected = want.search(xq, 7, device=dev, strict=True)
    index = weft.FlatIndex(8)
    borrowed = xb.copy()
    alive = weakref.ref(borrowed)
    index.add(borrowed, copy=False)
    del borrowed
    gc.collect()
    assert alive() is not None, "the index holds the array"
    np.zeros(800 * 8 * 4, dtype=np.float32)  # reuse freed memory, if any was freed
    _same(index.search(xq, 7, device=dev, strict=True), expected)
    del index
    gc.collect()
    assert alive() is None, "released when the index is freed"


@pytest.mark.parametrize("dev", _dev_params())
def test_later_add_and_remove_copy_and_still_equal(dev, rng):
    xb, extra, xq = _data(rng, 600, 6), _data(rng, 50, 6), _data(rng, 25, 6)
    copied, borrowed = weft.FlatIndex(6), weft.FlatIndex(6)
    theirs = xb.copy()
    copied.add(xb)
    borrowed.add(theirs, copy=False)
    assert borrowed.remove([599, 598]) == copied.remove([599, 598]) == 2  # a tail
    assert not theirs.flags.writeable, "removing a tail keeps borrowing"
    ids = np.arange(1000, 1050)[::-1]
    for ix in (copied, borrowed):
        ix.add(extra, ids=ids)
    assert theirs.flags.writeable, "the add copied the rows and released the array"
    theirs[:] = 1e6  # no longer read
    _same(borrowed.search(xq, 9, device=dev, strict=True),
          copied.search(xq, 9, device=dev, strict=True))  # fmt: skip
    other = xb.copy()
    again = weft.FlatIndex(6)
    again.add(other, copy=False)
    assert again.remove([5, 300]) == 2
    assert other.flags.writeable, "removing from the middle copied the rows"
    other[:] = -3
    ref = weft.FlatIndex(6)
    ref.add(xb)
    ref.remove([5, 300])
    _same(again.search(xq, 9, device=dev, strict=True), ref.search(xq, 9, device=dev, strict=True))


def test_save_load_round_trip(tmp_path, rng):
    xb, xq = _data(rng, 333, 12), _data(rng, 10, 12)
    index = weft.FlatIndex(12, "ip")
    index.add(xb, copy=False)
    want = index.search(xq, 5, device="cpu")
    index.save(tmp_path / "b.weft")
    del index
    gc.collect()
    xb[:] = 0  # writeable again, and no longer read by anything
    loaded = weft.load_index(tmp_path / "b.weft")
    _same(loaded.search(xq, 5, device="cpu"), want)
    loaded.add(xq)  # an owned index grows
    assert len(loaded) == 343


def test_bad_input_names_the_argument(rng):
    xb = _data(rng, 40, 4)
    index = weft.FlatIndex(4)
    cases = [
        (xb.astype(np.float64), "dtype float64"),
        (np.asfortranarray(xb), "not C-contiguous"),
        (xb[::2], "not C-contiguous"),
        (xb.tolist(), "numpy array"),
    ]
    for value, text in cases:
        with pytest.raises(weft.InvalidArgumentError, match=text):
            index.add(value, copy=False)
    with pytest.raises(weft.InvalidArgumentError, match="ids"):
        index.add(xb, ids=np.arange(40), copy=False)
    with pytest.raises(weft.InvalidArgumentError, match="cosine"):
        weft.FlatIndex(4, "cosine").add(xb, copy=False)
    bad = xb.copy()
    bad[7, 1] = np.nan
    with pytest.raises(weft.InvalidArgumentError, match="row 7"):
        index.add(bad, copy=False)
    assert bad.flags.writeable, "a refused borrow leaves the array as it was"
    assert len(index) == 0
    assert not weft_index._BORROWED
    index.add(xb[:1])
    with pytest.raises(weft.InvalidArgumentError, match="empty index only; this one holds 1"):
        index.add(xb, copy=False)
    assert xb.flags.writeable


def test_read_only_input_stays_read_only(rng):
    xb = _data(rng, 30, 3)
    xb.flags.writeable = False
    index = weft.FlatIndex(3)
    index.add(xb, copy=False)
    index.add(xb[:2])  # copy on write releases it
    assert not xb.flags.writeable


def test_borrow_from_many_indexes_then_free_in_any_order(rng):
    xb = _data(rng, 100, 5)
    indexes = [weft.FlatIndex(5) for _ in range(4)]
    for ix in indexes:
        ix.add(xb, copy=False)
    del ix
    # writeable again only when the last borrow ends, whichever index goes first
    del indexes[0]
    gc.collect()
    assert not xb.flags.writeable
    indexes[1].add(xb[:3])  # copy on write ends that borrow
    del indexes[2]
    gc.collect()
    assert not xb.flags.writeable
    del indexes[:]
    gc.collect()
    assert xb.flags.writeable
    assert not weft_index._BORROWED and not weft_index._READ_ONLY
    assert sys.getrefcount(xb) == 2  # no reference left behind


# ---------------------------------------------------------------- block-wise conversion


@pytest.fixture
def small_blocks(monkeypatch):
    monkeypatch.setattr(weft_index, "_CONVERT_BYTES", 4 * 7 * 10)  # 10 rows of dim 7 a block


def test_float64_add_and_search_in_blocks_equal_float32(small_blocks, rng):
    xb, xq = _data(rng, 95, 7), _data(rng, 33, 7)
    want = weft.FlatIndex(7)
    want.add(xb)
    got = weft.FlatIndex(7)
    got.add(xb.astype(np.float64))
    assert len(got) == 95
    expected = want.search(xq, 11, device="cpu")
    _same(got.search(xq, 11, device="cpu"), expected)
    _same(want.search(xq.astype(np.float64), 11, device="cpu"), expected)
    _same(want.search(np.asfortranarray(xq), 11, device="cpu"), expected)
    ids = np.arange(95)[::-1] * 2
    both = weft.FlatIndex(7)
    both.add(np.asfortranarray(xb), ids=ids)
    ref = weft.FlatIndex(7)
    ref.add(xb, ids=ids)
    _same(both.search(xq, 5, device="cpu"), ref.search(xq, 5, device="cpu"))


def test_block_wise_add_refuses_bad_input_as_a_whole(small_blocks, rng):
    xb = _data(rng, 95, 7).astype(np.float64)
    index = weft.FlatIndex(7)
    bad = xb.copy()
    bad[93, 2] = np.inf
    with pytest.raises(weft.InvalidArgumentError, match="row 93"):
        index.add(bad)
    bad = xb.copy()
    bad[71] = 1e19
    with pytest.raises(weft.InvalidArgumentError, match="row 71 has squared norm"):
        index.add(bad)
    cos = weft.FlatIndex(7, "cosine")
    bad = xb.copy()
    bad[44] = 0
    with pytest.raises(weft.InvalidArgumentError, match="row 44 is all zeros"):
        cos.add(bad)
    ids = np.arange(95)
    ids[90] = 3
    with pytest.raises(weft.InvalidArgumentError, match=r"ids\[3\] and ids\[90\]"):
        index.add(xb, ids=ids)
    assert len(index) == 0 and len(cos) == 0
    index.add(xb[:1].astype(np.float32), ids=[80])
    with pytest.raises(weft.InvalidArgumentError, match="already in the index"):
        index.add(xb, ids=np.arange(95))  # id 80 is in the block of rows 80..89
    assert len(index) == 1, "the blocks added before the failing one were removed"
    with pytest.raises(weft.InvalidArgumentError, match="row 30 holds"):
        index.search(np.vstack([xb[:30], [np.nan] * 7]), 3)


def test_borrows_from_many_threads(rng):
    import threading

    xb, xq = _data(rng, 500, 8), _data(rng, 5, 8)
    ref = weft.FlatIndex(8)
    ref.add(xb)
    want = ref.search(xq, 4, device="cpu")
    errors = []

    def work():
        try:
            for _ in range(20):
                ix = weft.FlatIndex(8)
                ix.add(xb, copy=False)
                _same(ix.search(xq, 4, device="cpu"), want)
                ix.add(xq[:1])  # copy on write: released from the C call
                del ix
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    gc.collect()
    assert xb.flags.writeable and not weft_index._BORROWED and not weft_index._READ_ONLY
