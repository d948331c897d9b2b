"""torch through DLPack: torch.from_dlpack(Series), DataFrame.to_torch, iter_batches(format=
"torch"), weft.from_dlpack(tensor) and weft.TorchDataset under a DataLoader with workers
(issue 16). Skipped only where torch cannot be imported (CI requires it: torch_skip.py);
tensors are compared through np.from_dlpack, so a torch built against numpy 1 (Debian's
python3-torch) works too."""

import numpy as np
import pytest

import weft

from torch_skip import import_torch

torch = import_torch()


def _np(t):
    if t.dtype == torch.bool:  # torch before 2.0 exports no DLPack bool
        return np.from_dlpack(t.to(torch.uint8).contiguous()).astype(bool)
    return np.from_dlpack(t.contiguous())


def _frame(rng, n):
    return weft.DataFrame({
        "row": np.arange(n, dtype=np.int64),
        "x": rng.normal(size=n).astype(np.float32),
        "i": np.ma.masked_array(rng.integers(0, 9, size=n).astype(np.int32), mask=rng.random(n) < 0.2),
        "b": rng.random(n) < 0.5,
    })


@pytest.mark.parametrize("n", [0, 1, 513])
def test_from_dlpack_shares_the_buffer(rng, n):
    df = _frame(rng, n)
    t = torch.from_dlpack(df["x"])
    assert t.dtype == torch.float32 and tuple(t.shape) == (n,)
    np.testing.assert_array_equal(_np(t), df["x"].to_numpy())
    if n:
        assert t.data_ptr() == df["x"].to_numpy().__array_interface__["data"][0]
    nulls = weft.DataFrame({"i": np.ma.masked_array([1, 2], mask=[0, 1])})
    with pytest.raises(weft.InvalidArgumentError, match="nulls.*fill_null"):
        torch.from_dlpack(nulls["i"])


@pytest.mark.parametrize("n", [0, 1, 300])
def test_to_torch_tensor_and_dict(rng, n):
    df = _frame(rng, n)
    t = df.to_torch()
    want = df.to_numpy(order="c")
    assert tuple(t.shape) == (n, 4) and _np(t).dtype == want.dtype
    np.testing.assert_array_equal(_np(t), want)
    d = df.to_torch("dict")
    assert list(d) == df.columns
    for name in df.columns:
        np.testing.assert_array_equal(_np(d[name]), df[name].to_numpy())
    if n:
        assert d["x"].data_ptr() == df["x"].to_numpy().__array_interface__["data"][0]
    assert df.to_torch(dtype=torch.float32).dtype == torch.float32
    with pytest.raises(weft.InvalidArgumentError, match="return_type"):
        df.to_torch("dataset")
    with pytest.raises(weft.UnsupportedError, match="'s' is utf8"):
        weft.DataFrame({"s": ["a"]}).to_torch()


def test_weft_from_dlpack_of_tensors():
    t = torch.arange(10, dtype=torch.int64)
    s = weft.from_dlpack(t)
    assert s.to_list() == list(range(10))
    assert s.to_numpy().__array_interface__["data"][0] == t.data_ptr()  # no copy
    m = torch.arange(12, dtype=torch.float32).reshape(4, 3)
    np.testing.assert_array_equal(weft.from_dlpack(m).to_numpy(), _np(m))


def test_iter_batches_torch(rng):
    df = _frame(rng, 1000)
    batches = list(df.iter_batches(128, shuffle=True, seed=3, format="torch"))
    from weft.batches import shuffled_rows

    order = shuffled_rows(1000, 3)  # weft's own permutation
    rows = np.concatenate([_np(b["row"]) for b in batches])
    assert rows.tolist() == order.tolist()
    x = np.concatenate([_np(b["x"]) for b in batches])
    np.testing.assert_array_equal(x, df["x"].to_numpy()[order])
    assert batches[0]["i"].dtype == torch.float64  # nulls as NaN
    with pytest.raises(weft.InvalidArgumentError, match="'s' is utf8"):
        weft.DataFrame({"s": ["a"]}).iter_batches(1, format="torch")


def test_iter_batches_torch_numbers_held_through_buffer_reuse(rng, monkeypatch):
    import weft.batches as batches
    from weft.batches import shuffled_rows

    monkeypatch.setattr(batches, "_GROUP_BYTES", 64 << 10)  # many groups: buffers reused
    x = rng.normal(size=40_000).astype(np.float32)
    df = weft.DataFrame({"row": np.arange(40_000), "x": x})
    held, order = [], shuffled_rows(40_000, 6)
    for k, b in enumerate(df.iter_batches(700, shuffle=True, seed=6, format="torch")):
        assert b["x"].dtype == torch.float32 and b["row"].dtype == torch.int64
        if k % 3 == 0:
            held.append((k, b))  # tensors only: their numpy buffer must not be handed out again
    assert len(held) > 10
    for k, b in held:
        want = order[k * 700:(k + 1) * 700]
        assert _np(b["row"]).tolist() == want.tolist()
        np.testing.assert_array_equal(_np(b["x"]), x[want])


@pytest.mark.parametrize("workers", [0, 2, 3])
@pytest.mark.parametrize("n", [0, 1, 10_001, 60_000])
def test_torch_dataset_workers_see_each_row_once(rng, workers, n):
    df = _frame(rng, n)
    weft.DataFrame({"a": np.arange(200_000)}).shuffle(seed=0)  # the parent's thread pool runs
    ds = weft.TorchDataset(df, batch_size=1000, shuffle=True, seed=4)
    # Forked workers gather groups past one thread's block: the pool must not wait for the
    # parent's threads (a hang would fail at the timeout).
    loader = torch.utils.data.DataLoader(ds, batch_size=None, num_workers=workers,
                                         timeout=60 if workers else 0)
    batches = list(loader)
    assert len(batches) == len(ds) == -(-n // 1000)
    rows = np.concatenate([_np(b["row"]) for b in batches]) if batches else np.array([])
    assert sorted(rows.tolist()) == list(range(n))
    ds.set_epoch(1)
    again = np.concatenate([_np(b["row"]) for b in loader]) if n else np.array([])
    assert sorted(again.tolist()) == list(range(n))
    if n > 1000 and workers == 0:
        assert not np.array_equal(rows, again)  # a new order each epoch


def test_torch_dataset_bad_input():
    df = weft.DataFrame({"a": [1.0, 2.0]})
    with pytest.raises(weft.InvalidArgumentError, match="batch_size .* 0"):
        weft.TorchDataset(df, batch_size=0)
    with pytest.raises(weft.NotFoundError, match="TorchDataset.*nope"):
        weft.TorchDataset(df, batch_size=1, columns=["nope"])
    with pytest.raises(weft.InvalidArgumentError, match="TorchDataset: expected a weft DataFrame"):
        weft.TorchDataset([1, 2], batch_size=1)
