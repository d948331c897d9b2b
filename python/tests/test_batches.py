"""DataFrame.iter_batches, sample, shuffle and weft.train_test_split against numpy
references (issue 16): random data with nulls, empty frames, one row, sizes that are not
multiples of the batch."""

import numpy as np
import pytest

import weft
from weft.batches import shuffled_rows


def _frame(rng, n):
    ints = np.ma.masked_array(rng.integers(-50, 50, size=n), mask=rng.random(n) < 0.2)
    return weft.DataFrame({
        "row": np.arange(n, dtype=np.int64),  # identifies each row
        "x": rng.normal(size=n).astype(np.float32),
        "i": ints,
        "s": [None if k % 7 == 3 else f"v{k % 5}" for k in range(n)],
        "b": rng.random(n) < 0.5,
    })


def _column(df, name):
    return df[name].to_numpy()


def _check_rows(df, batches, order, batch_size):
    """The batches are df's rows in `order`, batch_size at a time."""
    assert all(len(b["row"]) == batch_size for b in batches[:-1])
    for name in ("row", "x", "i", "s", "b"):
        got = np.concatenate([b[name] for b in batches]) if batches else np.array([])
        want = _column(df, name)[order]
        if got.dtype.kind == "f":
            np.testing.assert_array_equal(got, want)  # NaN for null ints
        else:
            assert got.tolist() == want.tolist()


@pytest.mark.parametrize("n, batch_size", [(n, b) for n in [0, 1, 4095, 4096, 10_000, 70_001]
                                           for b in [1, 7, 4096] if b > 1 or n < 5000])
def test_iter_batches_in_order_and_shuffled(rng, n, batch_size):
    df = _frame(rng, n)
    plain = list(df.iter_batches(batch_size))
    assert len(plain) == -(-n // batch_size)
    _check_rows(df, plain, np.arange(n), batch_size)
    shuffled = list(df.iter_batches(batch_size, shuffle=True, seed=5))
    order = shuffled_rows(n, 5)  # one permutation, weft's own
    _check_rows(df, shuffled, order, batch_size)
    again = list(df.iter_batches(batch_size, shuffle=True, seed=5))
    assert all(np.array_equal(a["row"], b["row"]) for a, b in zip(shuffled, again))
    dropped = list(df.iter_batches(batch_size, shuffle=True, seed=5, drop_last=True))
    assert len(dropped) == n // batch_size
    _check_rows(df, dropped, order[:n - n % batch_size], batch_size)


def test_iter_batches_columns_views_and_seeds(rng):
    df = _frame(rng, 1000)
    batches = list(df.iter_batches(300, columns=["x", "row"]))
    assert list(batches[0]) == ["x", "row"]
    assert np.shares_memory(batches[1]["x"], df["x"].to_numpy())  # no shuffle: views
    only = list(df.iter_batches(300, columns="x"))
    assert list(only[0]) == ["x"]
    a = np.concatenate([b["row"] for b in df.iter_batches(64, shuffle=True, seed=1)])
    b = np.concatenate([b["row"] for b in df.iter_batches(64, shuffle=True, seed=2)])
    assert not np.array_equal(a, b) and sorted(a) == sorted(b) == list(range(1000))


def test_iter_batches_gathers_a_group_at_a_time(rng, monkeypatch):
    import weft.batches as batches

    sizes = []
    real_take = batches.take
    monkeypatch.setattr(batches, "_GROUP_BYTES", 64 << 10)
    monkeypatch.setattr(batches, "take", lambda df, rows, where: sizes.append(len(rows)) or real_take(df, rows, where))
    df = _frame(rng, 70_001)
    got = np.concatenate([b["row"] for b in df.iter_batches(1000, shuffle=True, seed=2)])
    assert got.tolist() == shuffled_rows(70_001, 2).tolist()
    assert len(sizes) > 10 and max(sizes) < 70_001 and sum(sizes) == 70_001
    assert all(k % 1000 == 0 for k in sizes[:-1])  # whole batches per group


_NUMBERS = ["int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64", "float32", "float64"]


def _numbers(rng, n):
    """Numbers without nulls (C gathers these straight into numpy buffers); "row" names each row."""
    cols = {"row": np.arange(n, dtype=np.int64)}
    for t in _NUMBERS:
        cols[t] = (rng.normal(size=n) * 100).astype(t)
    return weft.DataFrame(cols), cols


@pytest.mark.parametrize("n, batch_size", [(0, 3), (1, 1), (1, 4096), (4097, 4096), (70_001, 1000),
                                           (100_003, 4096)])
def test_iter_batches_numbers_are_the_rows_in_weft_order(rng, n, batch_size, monkeypatch):
    import weft.batches as batches

    monkeypatch.setattr(batches, "_GROUP_BYTES", 200 << 10)  # many groups, buffers reused
    df, cols = _numbers(rng, n)
    order = shuffled_rows(n, 11)
    assert sorted(order.tolist()) == list(range(n))
    for drop_last in (False, True):
        kept = []  # every other batch held until the end: a reused buffer must not be one of theirs
        seen = 0
        for k, b in enumerate(df.iter_batches(batch_size, shuffle=True, seed=11, drop_last=drop_last)):
            want = order[seen:seen + batch_size]
            assert len(b["row"]) == len(want) and (len(want) == batch_size or not drop_last)
            for name, a in b.items():
                assert a.dtype == cols[name].dtype and np.array_equal(a, cols[name][want]), name
            if k % 2 == 0:
                kept.append((b, want.copy()))
            seen += len(want)
        assert seen == (n - n % batch_size if drop_last else n)
        for b, want in kept:
            for name, a in b.items():
                assert np.array_equal(a, cols[name][want]), name


def test_iter_batches_reuses_a_group_buffer_no_batch_holds(rng, monkeypatch):
    import weft.batches as batches

    monkeypatch.setattr(batches, "_GROUP_BYTES", 64 << 10)
    df, _ = _numbers(rng, 50_000)
    bases = set()
    for b in df.iter_batches(500, shuffle=True, seed=1):
        bases.add(id(b["row"].base))
    assert len(bases) <= batches._POOL  # far fewer buffers than groups
    held = list(df.iter_batches(500, shuffle=True, seed=1))
    assert len({id(b["row"].base) for b in held}) > 10  # held batches: a buffer each group


def test_iter_batches_seeds_parts_and_mixed_tables_agree(rng):
    df, _ = _numbers(rng, 30_001)
    rows = lambda **kw: np.concatenate([b["row"] for b in df.iter_batches(1000, shuffle=True, **kw)])
    a, b = rows(seed=1), rows(seed=2)
    assert not np.array_equal(a, b) and sorted(a.tolist()) == sorted(b.tolist()) == list(range(30_001))
    assert not np.array_equal(rows(seed=None), rows(seed=None))  # a fresh order each time
    parts = [np.concatenate([b["row"] for b in weft.batches.iter_batches(df, 1000, shuffle=True, seed=1,
                                                                        _part=(k, 3))])
             for k in range(3)]
    assert np.array_equal(np.concatenate(parts), a)  # DataLoader workers: the same order, split
    # A table with nulls or strings takes the row numbers and weft_table_take: the same order.
    mixed = weft.DataFrame({"row": np.arange(30_001), "s": ["x"] * 30_001})
    assert np.array_equal(np.concatenate([b["row"] for b in mixed.iter_batches(1000, shuffle=True, seed=1)]), a)


def test_iter_batches_order_is_the_same_on_any_thread_count(tmp_path):
    import os
    import subprocess
    import sys

    script = ("import numpy as np, weft\n"
              "df = weft.DataFrame({'row': np.arange(200_003), 'x': np.arange(200_003) * 0.5})\n"
              "b = list(df.iter_batches(4096, shuffle=True, seed=7))\n"
              "r = np.concatenate([x['row'] for x in b]); x = np.concatenate([x['x'] for x in b])\n"
              "assert np.array_equal(x, r * 0.5)\n"
              "import hashlib; print(hashlib.sha1(r.tobytes()).hexdigest())\n")
    out = []
    for threads in ("1", "2", "3"):
        env = dict(os.environ, WEFT_NUM_THREADS=threads)
        out.append(subprocess.run([sys.executable, "-c", script], env=env, check=True,
                                  capture_output=True, text=True).stdout)
    assert out[0] == out[1] == out[2] and out[0].strip()


def test_iter_batches_bad_input_names_the_call():
    df = weft.DataFrame({"a": [1, 2, 3]})
    with pytest.raises(weft.InvalidArgumentError, match=r"iter_batches: batch_size .* got 0"):
        df.iter_batches(0)
    with pytest.raises(weft.InvalidArgumentError, match=r"iter_batches: batch_size .* got -3"):
        df.iter_batches(-3)
    with pytest.raises(weft.InvalidArgumentError, match="batch_size"):
        df.iter_batches(2.5)
    with pytest.raises(weft.NotFoundError, match=r"iter_batches.*nope"):
        df.iter_batches(2, columns=["a", "nope"])
    with pytest.raises(weft.InvalidArgumentError, match=r"format .* 'arrow'"):
        df.iter_batches(2, format="arrow")
    with pytest.raises(weft.InvalidArgumentError, match=r"seed .* -1"):
        df.iter_batches(2, shuffle=True, seed=-1)


@pytest.mark.parametrize("n", [0, 1, 37, 1024, 1025, 5000, 70_001])
def test_sample_and_shuffle_follow_weft_order(rng, n):
    """shuffle is iter_batches' shuffled order; sample(k) its first k positions (issue 16)."""
    df = _frame(rng, n)
    perm = df.shuffle(seed=11)
    order = shuffled_rows(n, 11)
    assert perm["row"].to_numpy().tolist() == order.tolist()
    batches = list(df.iter_batches(4096, shuffle=True, seed=11))
    got = np.concatenate([b["row"] for b in batches]) if batches else np.zeros(0, np.int64)
    assert got.tolist() == order.tolist()
    _check_rows(df, [{c: _column(perm, c) for c in perm.columns}], order, n)  # every column
    assert perm["i"].null_count() == df["i"].null_count()
    k = n // 3
    s = df.sample(k, seed=3)
    rows = s["row"].to_numpy()
    assert len(rows) == k and len(set(rows.tolist())) == k
    assert np.array_equal(rows, np.sort(shuffled_rows(n, 3)[:k]))  # in the frame's order
    assert s.equals(df.sample(n=k, seed=3))
    all_s = df["s"].to_list()
    assert s["s"].to_list() == [all_s[r] for r in rows]
    sh = df.sample(k, shuffle=True, seed=9)
    assert sh["row"].to_numpy().tolist() == shuffled_rows(n, 9)[:k].tolist()
    whole = df.sample(fraction=1.0, shuffle=True, seed=9)
    assert whole["row"].to_numpy().tolist() == shuffled_rows(n, 9).tolist()
    assert df.sample(fraction=0.5, seed=1).height == int(0.5 * n)
    if n:
        rep = df.sample(3 * n, with_replacement=True, seed=4)["row"].to_numpy()
        assert len(rep) == 3 * n and rep.min() >= 0 and rep.max() < n
        assert np.array_equal(rep, np.sort(np.random.default_rng(4).integers(0, n, 3 * n)))
    fresh = [df.shuffle()["row"].to_numpy().tolist() for _ in range(3)]  # seed None: random
    assert all(sorted(f) == list(range(n)) for f in fresh)
    if n > 20:
        assert fresh[0] != fresh[1] or fresh[1] != fresh[2]


def test_sample_bad_input_names_the_call():
    df = weft.DataFrame({"a": [1, 2, 3]})
    with pytest.raises(weft.InvalidArgumentError, match=r"DataFrame.sample: fraction .* 1.5"):
        df.sample(fraction=1.5)
    with pytest.raises(weft.InvalidArgumentError, match=r"fraction .* -0.1"):
        df.sample(fraction=-0.1)
    with pytest.raises(weft.InvalidArgumentError, match=r"DataFrame.sample: n=4 .* 3 rows"):
        df.sample(4)
    with pytest.raises(weft.InvalidArgumentError, match="not both"):
        df.sample(1, fraction=0.5)
    with pytest.raises(weft.InvalidArgumentError, match=r"DataFrame.shuffle: seed .* 'x'"):
        df.shuffle(seed="x")
    assert df.sample(fraction=2.0, with_replacement=True, seed=0).height == 6


@pytest.mark.parametrize("n, test_size", [(n, t) for n in [0, 1, 10, 1001]
                                          for t in [0.25, 0.1, 3] if not (t == 3 and n < 3)])
def test_train_test_split_counts_and_rows(rng, n, test_size):
    df = _frame(rng, n)
    train, test = weft.train_test_split(df, test_size=test_size, seed=7)
    want_test = test_size if isinstance(test_size, int) else int(np.ceil(test_size * n))  # sklearn
    assert test.height == want_test and train.height == n - want_test
    rows = np.concatenate([train["row"].to_numpy(), test["row"].to_numpy()])
    assert sorted(rows.tolist()) == list(range(n))
    again = weft.train_test_split(df, test_size=test_size, seed=7)
    assert again[1].equals(test) and again[0].equals(train)
    tr, te = weft.train_test_split(df, test_size=test_size, shuffle=False)
    assert tr["row"].to_list() == list(range(n - want_test))
    assert te["row"].to_list() == list(range(n - want_test, n))


@pytest.mark.parametrize("n", [1, 2, 50, 3001])
@pytest.mark.parametrize("test_size", [0.25, 0.33, 0.5])
def test_stratified_split_keeps_each_class_share(rng, n, test_size):
    labels = rng.choice(["a", "b", "c", None], size=n, p=[0.5, 0.3, 0.15, 0.05])
    df = weft.DataFrame({"row": np.arange(n), "label": list(labels)})
    train, test = weft.train_test_split(df, test_size=test_size, seed=1, stratify="label")
    n_test = int(np.ceil(test_size * n))
    assert test.height == n_test
    rows = np.concatenate([train["row"].to_numpy(), test["row"].to_numpy()])
    assert sorted(rows.tolist()) == list(range(n))
    test_labels = np.array(test["label"].to_list(), dtype=object)
    for cls in ["a", "b", "c", None]:
        size = int(sum(1 for x in labels if x == cls))
        got = int(sum(1 for x in test_labels if x == cls))
        exact = size * n_test / n
        assert np.floor(exact) <= got <= np.ceil(exact), (cls, got, exact)
    assert test["label"].to_list() == [labels[r] for r in test["row"].to_list()]


@pytest.mark.parametrize("n", [0, 1, 10, 3001, 70_001])
def test_train_test_split_follows_weft_order(rng, n):
    """Unstratified: test the first positions of weft's permutation, train the rest. Stratified:
    each class's test rows are its first rows in that order (a per-class shuffle), and both
    sets keep the order; the class counts are the largest-remainder ones (issue 16)."""
    df = _frame(rng, n)
    order = shuffled_rows(n, 5).tolist()
    train, test = weft.train_test_split(df, test_size=0.3, seed=5)
    n_test = int(np.ceil(0.3 * n))
    assert test["row"].to_list() == order[:n_test] and train["row"].to_list() == order[n_test:]
    labels = [None if v is None else v % 4 for v in df["i"].to_list()]
    lab = weft.DataFrame({"row": np.arange(n, dtype=np.int64),
                          "label": np.ma.masked_array([0 if v is None else v for v in labels],
                                                      mask=[v is None for v in labels])})
    train, test = weft.train_test_split(lab, test_size=0.3, seed=5, stratify="label")
    te, tr = test["row"].to_list(), train["row"].to_list()
    rank = {r: p for p, r in enumerate(order)}
    assert te == sorted(te, key=rank.get) and tr == sorted(tr, key=rank.get)
    assert sorted(te + tr) == list(range(n)) and len(te) == n_test
    in_test = set(te)
    for cls in set(labels):
        members = [r for r in order if labels[r] == cls]  # the class in the seed's order
        got = sum(1 for r in members if r in in_test)
        assert members[:got] == [r for r in members if r in in_test], cls
        exact = len(members) * n_test / n
        assert np.floor(exact) <= got <= np.ceil(exact), (cls, got, exact)


def test_stratified_split_matches_sklearn_counts(rng):
    sklearn = pytest.importorskip("sklearn.model_selection")
    y = rng.choice([0, 1, 2, 3], size=2000, p=[0.55, 0.25, 0.15, 0.05])
    df = weft.DataFrame({"y": y.astype(np.int64), "f": rng.normal(size=2000)})
    _, test = weft.train_test_split(df, test_size=0.3, seed=0, stratify="y")
    _, y_test = sklearn.train_test_split(y, test_size=0.3, random_state=0, stratify=y)
    ours, theirs = np.bincount(test["y"].to_numpy()), np.bincount(y_test)
    assert ours.sum() == theirs.sum() and np.abs(ours - theirs).max() <= 1, (ours, theirs)


def test_stratified_split_float_classes_nan_and_null(rng):
    v = np.ma.masked_array([1.5, np.nan, 1.5, np.nan, 2.0, 0.0, 1.5, np.nan],
                           mask=[0, 0, 0, 0, 0, 1, 0, 0])
    df = weft.DataFrame({"v": v})
    train, test = weft.train_test_split(df, test_size=0.5, seed=0, stratify="v")
    tv = test["v"].to_numpy()
    assert test.height == 4 and np.isnan(tv).sum() >= 1  # NaN is a class of 3: 1 or 2 in test
    assert np.sum(tv == 1.5) in (1, 2)


def test_train_test_split_bad_input_names_the_call():
    df = weft.DataFrame({"a": [1, 2, 3], "y": [0, 1, 0]})
    for bad in (0.0, 1.0, -0.2, 1.5, 4, -1, "x"):
        with pytest.raises(weft.InvalidArgumentError, match=r"weft.train_test_split: test_size .*" + repr(bad)[:3]):
            weft.train_test_split(df, test_size=bad)
    with pytest.raises(weft.NotFoundError, match=r"train_test_split.*nope"):
        weft.train_test_split(df, stratify="nope", seed=0)
    with pytest.raises(weft.InvalidArgumentError, match="needs shuffle=True"):
        weft.train_test_split(df, stratify="y", shuffle=False)
    with pytest.raises(weft.InvalidArgumentError, match="expected a weft DataFrame"):
        weft.train_test_split({"a": [1]})


def test_torch_dataset_without_torch_names_what_is_missing(monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "torch", None)  # as if torch were not installed
    monkeypatch.delitem(sys.modules, "weft.torch_data", raising=False)
    with pytest.raises(ImportError, match="weft.TorchDataset needs torch"):
        weft.TorchDataset
    with pytest.raises(ImportError, match=r"DataFrame.to_torch.*needs torch"):
        weft.DataFrame({"a": [1.0]}).to_torch()
    with pytest.raises(ImportError, match=r"iter_batches.*needs torch"):
        weft.DataFrame({"a": [1.0]}).iter_batches(1, format="torch")
