"""OneHot on a DataFrame whose encoded columns are all strings or categoricals (the one-pass
path, weft.encoders.onehot_dense) against the expression path (the same encoder on a
LazyFrame), Polars' to_dummies and scikit-learn's OneHotEncoder: nulls, values fit never
saw, drop, sliced inputs, categorical inputs, empty and one-row frames."""

import numpy as np
import pytest

import weft
from weft.encoders import onehot_dense

pl = pytest.importorskip("polars")
sklearn_pre = pytest.importorskip("sklearn.preprocessing")


def strings(rng, n, words, null_rate=0.1):
    return [None if rng.random() < null_rate else words[rng.integers(len(words))] for _ in range(n)]


def frame(rng, n, seen=True):
    words = ["b", "a", "zz", "nz", "B", "é"] + ([] if seen else ["new", "other"])
    return pl.DataFrame({"s": strings(rng, n, words), "v": rng.normal(size=n),
                         "t": strings(rng, n, ["x", "y"] + ([] if seen else ["w"]), 0.0)},
                        schema={"s": pl.Utf8, "v": pl.Float64, "t": pl.Utf8})


def same(a, b):
    assert a.columns == b.columns
    from polars.testing import assert_frame_equal
    assert_frame_equal(a.to_polars(), b.to_polars())


@pytest.fixture
def dense_calls(monkeypatch):
    """How many times the one-pass path ran."""
    calls = []
    real = onehot_dense.transform

    def counting(*args):
        calls.append(1)
        return real(*args)
    monkeypatch.setattr(onehot_dense, "transform", counting)
    return calls


@pytest.mark.parametrize("n", [1, 7, 1000, 4099])
def test_matches_polars_to_dummies(n, dense_calls):
    rng = np.random.default_rng(n)
    train = frame(rng, n)
    out = weft.OneHot(["s", "t"]).fit_transform(weft.from_polars(train))
    assert dense_calls
    same(out, weft.from_polars(train.to_dummies(["s", "t"])))
    assert all(out.schema[c] == "uint8" for c in out.columns if c != "v")


@pytest.mark.parametrize("drop", [None, "first", "if_binary"])
@pytest.mark.parametrize("n", [1, 257, 5003])
def test_unseen_nulls_and_drop_as_the_expression_path(n, drop, dense_calls):
    rng = np.random.default_rng(n + 1)
    train, test = frame(rng, 600), frame(rng, n, seen=False)
    enc = weft.OneHot(["s", "t"], drop=drop).fit(weft.from_polars(train))
    df = weft.from_polars(test)
    dense = enc.transform(df)
    assert len(dense_calls) == 1
    same(dense, enc.transform(df.lazy()).collect())  # the expression path
    ref = sklearn_pre.OneHotEncoder(handle_unknown="ignore", sparse_output=False)
    ref.fit(np.array(train["s"].to_list(), dtype=object)[:, None])
    want = ref.transform(np.array(test["s"].to_list(), dtype=object)[:, None])
    names = [f"s_{'null' if v is None else v}" for v in ref.categories_[0]]
    for k, name in enumerate(names):
        if name in dense.columns:
            assert dense[name].to_list() == want[:, k].astype(int).tolist(), name


def test_sliced_and_categorical_inputs(dense_calls):
    rng = np.random.default_rng(5)
    train = frame(rng, 3000)
    enc = weft.OneHot(["s", "t"]).fit(weft.from_polars(train))
    df = weft.from_polars(train).slice(1234, 999)  # a view with an offset into the buffers
    same(enc.transform(df), enc.transform(df.lazy()).collect())
    cat = df.with_columns(weft.col("s").cast("categorical"), weft.col("t").cast("categorical"))
    assert cat.schema["s"] == "categorical"
    same(enc.transform(cat), enc.transform(df.lazy()).collect())
    assert len(dense_calls) == 2


def test_no_null_column_when_fit_saw_none_and_empty_frames(dense_calls):
    enc = weft.OneHot("s").fit(weft.DataFrame({"s": ["a", "b", "a"]}))
    out = enc.transform(weft.DataFrame({"s": ["b", None, "c", "a"], "k": [1, 2, 3, 4]}))
    assert out.columns == ["s_a", "s_b", "k"]
    assert out["s_a"].to_list() == [0, 0, 0, 1] and out["s_b"].to_list() == [1, 0, 0, 0]
    empty = weft.DataFrame({"s": ["a"], "k": [1]}).slice(0, 0)
    out = enc.transform(empty)
    assert out.height == 0 and out.columns == ["s_a", "s_b", "k"]
    nothing = weft.OneHot("s").fit(empty)
    assert nothing.transform(weft.DataFrame({"s": ["a"], "k": [1]})).columns == ["k"]
    assert len(dense_calls) == 3


def test_mixed_columns_take_the_expression_path(dense_calls):
    df = weft.DataFrame({"s": ["a", "b"], "i": [1, 2]})
    out = weft.OneHot(["s", "i"]).fit_transform(df)
    assert not dense_calls and out.columns == ["s_a", "s_b", "i_1", "i_2"]
