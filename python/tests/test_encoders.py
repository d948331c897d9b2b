"""weft's encoders (python/weft/encoders) against scikit-learn (StandardScaler, MinMaxScaler,
SimpleImputer, OneHotEncoder), Polars' to_dummies and plain Python references, on random
data with nulls, empty, one-row and odd-sized frames; DataFrame and LazyFrame inputs.
Pipelines, files, pickle and errors: test_encoders_pipeline.py."""

import collections

import numpy as np
import pyarrow as pa
import pytest

import weft
from weft.encoders import hash_bucket

pl = pytest.importorskip("polars")
sklearn_pre = pytest.importorskip("sklearn.preprocessing")
sklearn_impute = pytest.importorskip("sklearn.impute")

SIZES = [1, 7, 1000, 4099]


def masked(rng, values, rate=0.2):
    return pa.array(values, mask=rng.random(len(values)) < rate)


def numeric_table(rng, n):
    """Floats, int32, float32, a constant column; every column with nulls."""
    return pa.table({
        "f64": masked(rng, rng.normal(3.0, 2.0, n)),
        "i32": masked(rng, rng.integers(-50, 50, n).astype(np.int32)),
        "f32": masked(rng, rng.normal(-1.0, 5.0, n).astype(np.float32)),
        "const": masked(rng, np.full(n, 0.1)),
        "u8": masked(rng, rng.integers(0, 255, n).astype(np.uint8)),
    })


NUMERIC = ["f64", "i32", "f32", "const", "u8"]


def as_nan(table, c):
    """A column as float64 with NaN for nulls: scikit-learn's missing value."""
    return np.asarray(table[c].to_numpy(zero_copy_only=False), dtype=np.float64)


def frame_of(table, lazy):
    df = weft.from_arrow(table)
    return df.lazy() if lazy else df


def result(out):
    assert isinstance(out, (weft.DataFrame, weft.LazyFrame))
    return out.collect() if isinstance(out, weft.LazyFrame) else out


def weft_nan(df, c):
    return np.asarray(df[c].to_numpy(), dtype=np.float64)


# ---------------------------------------------------------------------- Standardize


@pytest.mark.parametrize("n", SIZES)
@pytest.mark.parametrize("lazy", [False, True])
def test_standardize_matches_standard_scaler(n, lazy):
    rng = np.random.default_rng(n)
    train, test = numeric_table(rng, n), numeric_table(rng, n + 3)
    enc = weft.Standardize(NUMERIC)
    assert enc.fit(frame_of(train, lazy)) is enc
    out = enc.transform(frame_of(test, lazy))
    assert isinstance(out, weft.LazyFrame if lazy else weft.DataFrame)
    out = result(out)
    assert out.columns == test.column_names
    for c in NUMERIC:
        ref = sklearn_pre.StandardScaler().fit(as_nan(train, c)[:, None])
        got = weft_nan(out, c)
        want = ref.transform(as_nan(test, c)[:, None])[:, 0]
        if np.isnan(as_nan(train, c)).all():  # nothing learned: scikit-learn gives NaN, weft null
            assert out[c].null_count() == n + 3
            continue
        tol = 1e-5 if c == "f32" else 1e-9
        np.testing.assert_allclose(got, want, rtol=tol, atol=tol, equal_nan=True, err_msg=c)
        assert out[c].null_count() == test[c].null_count  # nulls stay null, nothing else is
        assert out.schema[c] == ("float32" if c == "f32" else "float64")
    assert enc.scale_[NUMERIC.index("const")] == 1.0  # constant column: std taken as 1


def test_standardize_empty_and_all_null():
    df = weft.DataFrame({"x": np.array([], dtype=np.float64)})
    enc = weft.Standardize("x").fit(df)
    assert enc.mean_ == [None]
    assert enc.transform(weft.DataFrame({"x": [1.0, None]}))["x"].null_count() == 2


def test_standardize_nan_is_a_value_as_in_polars():
    df = weft.DataFrame({"x": [1.0, float("nan"), 3.0]})
    enc = weft.Standardize("x").fit(df)
    assert np.isnan(enc.mean_[0])
    ref = pl.DataFrame({"x": [1.0, float("nan"), 3.0]}).select(pl.col("x").mean())["x"][0]
    assert np.isnan(ref)


def test_standardize_with_mean_false_and_with_std_false():
    rng = np.random.default_rng(3)
    t = numeric_table(rng, 500)
    for wm, ws in [(False, True), (True, False)]:
        out = weft.Standardize("f64", with_mean=wm, with_std=ws).fit_transform(weft.from_arrow(t))
        ref = sklearn_pre.StandardScaler(with_mean=wm, with_std=ws).fit_transform(as_nan(t, "f64")[:, None])
        np.testing.assert_allclose(weft_nan(out, "f64"), ref[:, 0], rtol=1e-9, equal_nan=True)


# ---------------------------------------------------------------------- MinMax


@pytest.mark.parametrize("n", SIZES)
@pytest.mark.parametrize("feature_range", [(0, 1), (-3, 2.5)])
def test_minmax_matches_minmax_scaler(n, feature_range):
    rng = np.random.default_rng(n + 7)
    train, test = numeric_table(rng, n), numeric_table(rng, 33)
    enc = weft.MinMax(NUMERIC, feature_range=feature_range).fit(weft.from_arrow(train))
    out = enc.transform(weft.from_arrow(test))
    for c in NUMERIC:
        if np.isnan(as_nan(train, c)).all():
            assert out[c].null_count() == 33
            continue
        ref = sklearn_pre.MinMaxScaler(feature_range=feature_range).fit(as_nan(train, c)[:, None])
        want = ref.transform(as_nan(test, c)[:, None])[:, 0]
        tol = 1e-5 if c == "f32" else 1e-9
        np.testing.assert_allclose(weft_nan(out, c), want, rtol=tol, atol=tol, equal_nan=True, err_msg=c)


def test_minmax_skips_nan_as_polars_min_max():
    df = weft.DataFrame({"x": [1.0, float("nan"), 3.0]})
    enc = weft.MinMax("x").fit(df)
    assert (enc.state["data_min"]["x"], enc.state["data_max"]["x"]) == (1.0, 3.0)
    ref = sklearn_pre.MinMaxScaler().fit(np.array([[1.0], [np.nan], [3.0]]))
    assert (ref.data_min_[0], ref.data_max_[0]) == (1.0, 3.0)


# ---------------------------------------------------------------------- FillNull


@pytest.mark.parametrize("n", SIZES)
@pytest.mark.parametrize("strategy", ["mean", "median", "zero"])
def test_fill_null_matches_simple_imputer(n, strategy):
    rng = np.random.default_rng(n + 11)
    train, test = numeric_table(rng, n), numeric_table(rng, 50)
    cols = ["f64", "i32", "f32"]
    enc = weft.FillNull(cols, strategy=strategy).fit(weft.from_arrow(train).lazy())
    out = result(enc.transform(weft.from_arrow(test).lazy()))
    for c in cols:
        x = as_nan(train, c)
        if np.isnan(x).all() and strategy != "zero":
            assert out[c].null_count() == test[c].null_count
            continue
        imp = (sklearn_impute.SimpleImputer(strategy="constant", fill_value=0, keep_empty_features=True) if strategy == "zero"
               else sklearn_impute.SimpleImputer(strategy=strategy))
        want = imp.fit(x[:, None]).transform(as_nan(test, c)[:, None])[:, 0]
        np.testing.assert_allclose(weft_nan(out, c), want, rtol=1e-6, err_msg=c)
        assert out[c].null_count() == 0


@pytest.mark.parametrize("strategy, fn", [("min", min), ("max", max)])
def test_fill_null_min_max_of_numbers_and_strings(strategy, fn):
    rng = np.random.default_rng(5)
    vals = [None if rng.random() < 0.3 else str(rng.integers(0, 1000)) for _ in range(301)]
    nums = [None if rng.random() < 0.3 else int(rng.integers(-9, 9)) for _ in range(301)]
    df = weft.DataFrame({"s": vals, "i": nums})
    out = weft.FillNull(["s", "i"], strategy).fit_transform(df)
    for c, v in (("s", vals), ("i", nums)):
        fill = fn(x for x in v if x is not None)
        assert out[c].to_list() == [fill if x is None else x for x in v]
    assert out.schema["i"] == "int64"  # min / max keep the column's type


def test_fill_null_value():
    df = weft.DataFrame({"s": ["a", None], "x": [None, 2.5]})
    out = weft.FillNull("s", value="?").fit_transform(df)
    assert out["s"].to_list() == ["a", "?"]
    assert weft.FillNull("x", value=-1.0).fit_transform(df)["x"].to_list() == [-1.0, 2.5]


# ---------------------------------------------------------------------- OneHot


def cat_table(rng, n, seen=True):
    """A string and an int column with nulls; seen=False adds values no fit saw."""
    words = ["b", "a", "zz", "nz", "B", "é"] + ([] if seen else ["new"])
    ints = [10, 9, 2, -1] + ([] if seen else [77])
    s = [None if rng.random() < 0.1 else words[rng.integers(len(words))] for _ in range(n)]
    i = [None if rng.random() < 0.1 else ints[rng.integers(len(ints))] for _ in range(n)]
    return pl.DataFrame({"s": s, "v": rng.normal(size=n), "i": i}, schema={"s": pl.Utf8, "v": pl.Float64, "i": pl.Int64})


@pytest.mark.parametrize("n", SIZES)
def test_one_hot_matches_polars_to_dummies(n):
    rng = np.random.default_rng(n + 13)
    train = cat_table(rng, n)
    out = weft.OneHot(["s", "i"]).fit_transform(weft.from_arrow(train))
    want = train.to_dummies(["s", "i"])
    assert out.columns == want.columns
    from polars.testing import assert_frame_equal
    assert_frame_equal(out.to_polars(), want)


@pytest.mark.parametrize("lazy", [False, True])
def test_one_hot_unknown_ignored_as_scikit_learn(lazy):
    rng = np.random.default_rng(17)
    train, test = cat_table(rng, 400), cat_table(rng, 257, seen=False)
    enc = weft.OneHot(["s", "i"]).fit(frame_of(train.to_arrow(), lazy))
    out = result(enc.transform(frame_of(test.to_arrow(), lazy)))
    for c in ["s", "i"]:
        ref = sklearn_pre.OneHotEncoder(handle_unknown="ignore", sparse_output=False)
        ref.fit(np.array(train[c].to_list(), dtype=object)[:, None])
        want = ref.transform(np.array(test[c].to_list(), dtype=object)[:, None])
        names = [f"{c}_{'null' if v is None else v}" for v in ref.categories_[0]]
        for k, name in enumerate(names):
            assert out[name].to_list() == want[:, k].astype(int).tolist(), name


def test_one_hot_error_names_the_value():
    enc = weft.OneHot("s", handle_unknown="error").fit(weft.DataFrame({"s": ["a", "b"]}))
    for data in (weft.DataFrame({"s": ["a", "c"]}), weft.DataFrame({"s": ["a", "c"]}).lazy()):
        with pytest.raises(weft.InvalidArgumentError, match=r"weft\.OneHot\(\['s'\]\)\.transform.*'c'"):
            enc.transform(data)
    with pytest.raises(weft.InvalidArgumentError, match="None"):  # a null fit never saw
        enc.transform(weft.DataFrame({"s": ["a", None]}))
    assert enc.transform(weft.DataFrame({"s": ["b", "a"]}))["s_b"].to_list() == [1, 0]


def test_one_hot_drop_and_bools():
    df = weft.DataFrame({"t": [True, None, False], "s": ["x", "y", "x"]})
    out = weft.OneHot(["t", "s"], drop="first").fit_transform(df)
    assert out.columns == ["t_null", "t_true", "s_y"]
    out = weft.OneHot(["t", "s"], drop="if_binary").fit_transform(df)
    assert out.columns == ["t_false", "t_null", "t_true", "s_y"]
    from polars.testing import assert_frame_equal
    assert_frame_equal(weft.OneHot("t").fit_transform(df).to_polars(), df.to_polars().to_dummies("t"))


# ---------------------------------------------------------------------- Categorify


def categorify_reference(train, test, threshold):
    counts = collections.Counter(v for v in train if v is not None)
    kept = sorted(((v, k) for v, k in counts.items() if k >= threshold), key=lambda p: (-p[1], p[0]))
    code = {v: 3 + i for i, (v, _) in enumerate(kept)}
    return [1 if v is None else code.get(v, 2) for v in test]


@pytest.mark.parametrize("n", SIZES)
@pytest.mark.parametrize("threshold", [0, 3])
@pytest.mark.parametrize("lazy", [False, True])
def test_categorify_matches_reference(n, threshold, lazy):
    rng = np.random.default_rng(n + threshold)
    train, test = cat_table(rng, n), cat_table(rng, 301, seen=False)
    enc = weft.Categorify(["s", "i"], freq_threshold=threshold).fit(frame_of(train.to_arrow(), lazy))
    out = result(enc.transform(frame_of(test.to_arrow(), lazy)))
    assert out.columns == test.columns and out.schema["s"] == "int32" and out.schema["i"] == "int32"
    for c in ["s", "i"]:
        assert out[c].to_list() == categorify_reference(train[c].to_list(), test[c].to_list(), threshold), c
    assert out["v"].to_list() == test["v"].to_list()  # the rows keep their order


def test_categorify_bool_and_empty():
    df = weft.DataFrame({"t": [True, True, None, False], "s": [None, None, None, None]})
    df = df.with_columns(weft.col("s").cast("utf8"))
    out = weft.Categorify(["t", "s"]).fit_transform(df)
    assert out["t"].to_list() == [3, 3, 1, 4]
    assert out["s"].to_list() == [1, 1, 1, 1]


# ---------------------------------------------------------------------- HashBucket


def test_fnv1a_published_vectors():
    # FNV-1a 64 test vectors (Fowler, Noll, Vo's reference list)
    assert hash_bucket.fnv1a_64(b"") == 0xCBF29CE484222325
    assert hash_bucket.fnv1a_64(b"a") == 0xAF63DC4C8601EC8C
    assert hash_bucket.fnv1a_64(b"foobar") == 0x85944171F73967E8


def reference_bucket(v, m):
    p = 2**31 - 1
    if isinstance(v, str):
        h = 0xCBF29CE484222325
        for byte in v.encode("utf-8"):
            h = ((h ^ byte) * 0x100000001B3) % 2**64
        k = h % p
    else:
        k = int(v) % p
    return (k * 1_500_450_271 + 1_234_567_891) % p % m


@pytest.mark.parametrize("m", [1, 7, 1000, 2**31 - 1])
@pytest.mark.parametrize("lazy", [False, True])
def test_hash_bucket_matches_reference(m, lazy):
    rng = np.random.default_rng(m % 1000)
    n = 1031
    i64 = rng.integers(-(2**63), 2**63 - 1, n, dtype=np.int64)
    u64 = rng.integers(0, 2**64 - 1, n, dtype=np.uint64)
    i8 = rng.integers(-128, 127, n).astype(np.int8)
    s = [None if rng.random() < 0.1 else f"w{rng.integers(0, 300)}é" for _ in range(n)]
    t = pa.table({"i64": masked(rng, i64), "u64": u64, "i8": i8, "s": pa.array(s)})
    out = result(weft.HashBucket(["i64", "u64", "i8", "s"], m).fit_transform(frame_of(t, lazy)))
    for c in ["i64", "u64", "i8", "s"]:
        vals = t[c].to_pylist()
        want = [None if v is None else reference_bucket(v, m) for v in vals]
        assert out[c].to_list() == want, c
        assert out.schema[c] == "int32"


def test_hash_bucket_num_buckets_checked():
    for bad in (0, -3, 2**31, 1.5, True):
        with pytest.raises(weft.InvalidArgumentError, match=rf"weft\.HashBucket\(\['a'\]\).*num_buckets.*{bad!r}"):
            weft.HashBucket("a", bad)


def test_empty_inputs():
    empty = weft.from_arrow(pa.table({"s": pa.array([], pa.string()), "i": pa.array([], pa.int64()),
                                      "x": pa.array([], pa.float64())}))
    one = weft.DataFrame({"s": ["q"], "i": [4], "x": [2.0]})
    # learned from nothing: no one-hot columns, unseen codes, nulls for the scalers
    assert weft.OneHot(["s", "i"]).fit(empty).transform(one).columns == ["x"]
    assert weft.Categorify(["s", "i"]).fit(empty).transform(one).to_polars().row(0) == (2, 2, 2.0)
    assert weft.MinMax("x").fit(empty).transform(one)["x"].to_list() == [None]
    assert weft.FillNull("x", "median").fit(empty).transform(one)["x"].to_list() == [2.0]
    # applied to nothing: empty, with the output's columns
    for enc in (weft.OneHot(["s", "i"]), weft.Categorify(["s", "i"]), weft.HashBucket(["s", "i"], 5),
                weft.Standardize("x"), weft.FillNull("s", "min")):
        out = enc.fit(one).transform(empty)
        assert out.height == 0 and out.columns == enc.transform(one).columns
    assert weft.HashBucket(["s", "i"], 5).fit(one).transform(one).to_polars().row(0) == (
        reference_bucket("q", 5), reference_bucket(4, 5), 2.0)


def test_one_hot_output_name_clash_is_an_error():
    df = weft.DataFrame({"s": ["a"], "s_a": [1]})
    with pytest.raises(weft.InvalidArgumentError, match=r"weft\.OneHot\(\['s'\]\)\.transform: output column 's_a'"):
        weft.OneHot("s").fit_transform(df)
