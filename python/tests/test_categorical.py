"""Categorical columns (dictionary-encoded utf8): round trips with pyarrow (every index
width, utf8 and large_utf8 dictionaries, slices, null and duplicate entries), Polars
(Categorical and Enum) and pandas (category); carrying them through filter, slice, head,
sort, select, concat and joins; group_by, unique, n_unique, sort, ==/!=/is_in and joins
through the codes, against Polars over the same strings, on random data with nulls,
unused dictionary entries, different dictionaries on the two sides, empty tables and one
row; bad input (codes outside the dictionary) named in the error."""

import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import pytest

import weft
from weft import col

WORDS = ["pear", "apple", "fig", "", "kiwi", "Apple", "äpfel", "banana", "date", "cherry"]
SIZES = [0, 1, 7, 1000, 5003]


def strings(rng, n, words=WORDS, null_rate=0.2):
    """n random strings from `words` with nulls."""
    picks = rng.integers(0, len(words), n)
    nulls = rng.random(n) < null_rate
    return [None if z else words[i] for i, z in zip(picks.tolist(), nulls.tolist())]


def dict_array(values, order, index=pa.int32(), value_type=pa.string()):
    """A pyarrow DictionaryArray of `values` over the dictionary `order` (a permutation of a
    superset of the values: unused entries stay)."""
    pos = {s: i for i, s in enumerate(order)}
    idx = pa.array([None if v is None else pos[v] for v in values], type=index)
    return pa.DictionaryArray.from_arrays(idx, pa.array(order, type=value_type))


def frame(rng, n, order=None):
    """A weft frame with a categorical "c" (dictionary `order`, unused entries included) and
    an int "v"; and the Polars frame of the same strings."""
    order = order or list(rng.permutation(WORDS))
    values = strings(rng, n, order[:max(1, len(order) - 2)])  # the last two unused
    t = pa.table({"c": dict_array(values, order), "v": pa.array(np.arange(n, dtype=np.int64))})
    return weft.from_arrow(t), pl.DataFrame({"c": pl.Series(values, dtype=pl.String),
                                             "v": np.arange(n, dtype=np.int64)})


def as_strings(df):
    """A Polars frame of a weft frame with its categorical columns as strings."""
    out = pl.from_arrow(pa.table(df))
    return out.with_columns(pl.col(c).cast(pl.String) for c, t in out.schema.items()
                            if t == pl.Categorical)


# ---------------------------------------------------------------------------- round trips

@pytest.mark.parametrize("index", [pa.int8(), pa.int16(), pa.int32(), pa.int64(), pa.uint8(),
                                   pa.uint16(), pa.uint32(), pa.uint64()])
@pytest.mark.parametrize("value_type", [pa.string(), pa.large_string()])
def test_pyarrow_round_trip(rng, index, value_type):
    values = strings(rng, 300)
    arr = dict_array(values, list(rng.permutation(WORDS)), index, value_type)
    df = weft.from_arrow(pa.table({"c": arr}))
    assert df.schema == {"c": "categorical"}
    assert df["c"].to_list() == values
    back = pa.table(df).column("c").combine_chunks()
    assert pa.types.is_dictionary(back.type) and back.type.index_type == pa.int32()
    assert back.to_pylist() == values
    assert df["c"].null_count() == sum(v is None for v in values)


def test_pyarrow_slice_and_shared_codes(rng):
    values = strings(rng, 500)
    arr = dict_array(values, WORDS).slice(37, 400)
    df = weft.from_arrow(pa.table({"c": arr}))
    assert df["c"].to_list() == values[37:437]
    assert pa.table(df).column("c").to_pylist() == values[37:437]


def test_dictionary_with_duplicates_and_null_entries():
    # entries 0 and 2 are both "a"; entry 3 is null: rows pointing there are null
    d = pa.array(["a", "b", "a", None])
    arr = pa.DictionaryArray.from_arrays(pa.array([0, 2, 1, 3, None, 2], pa.int32()), d)
    df = weft.from_arrow(pa.table({"c": arr, "v": [1, 2, 3, 4, 5, 6]}))
    assert df["c"].to_list() == ["a", "a", "b", None, None, "a"]
    assert df["c"].null_count() == 2
    g = df.group_by("c").agg(col("v").sum()).sort("c")
    assert g["c"].to_list() == [None, "a", "b"] and g["v"].to_list() == [9, 9, 3]
    assert df.select(col("c").n_unique())["c"].to_list() == [3]


def test_polars_categorical_and_enum(rng):
    values = strings(rng, 200, WORDS[:5])
    p = pl.DataFrame({"c": pl.Series(values, dtype=pl.Categorical),
                      "e": pl.Series(values, dtype=pl.Enum(WORDS[:5][::-1]))})
    df = weft.from_arrow(p)
    assert df.schema == {"c": "categorical", "e": "categorical"}
    assert df["c"].to_list() == values and df["e"].to_list() == values
    back = pl.from_arrow(pa.table(df))
    assert back.schema["c"] == pl.Categorical
    assert back["c"].cast(pl.String).to_list() == values
    assert back["e"].cast(pl.String).to_list() == values


def test_pandas_category(rng):
    values = strings(rng, 100)
    pdf = pd.DataFrame({"k": pd.Categorical(values, categories=WORDS[::-1])})
    df = weft.from_pandas(pdf)
    assert df.schema == {"k": "categorical"}
    assert df["k"].to_list() == values
    out = df.to_pandas()
    assert isinstance(out["k"].dtype, pd.CategoricalDtype)
    assert [None if isinstance(x, float) else x for x in out["k"].tolist()] == values


def test_repr_and_empty_stream():
    df = weft.from_arrow(pa.table({"c": dict_array(["b", None, "a"], ["a", "b", "z"])}))
    assert "categorical" in repr(df)
    empty = weft.from_arrow(pa.table({"c": pa.array([], pa.dictionary(pa.int32(), pa.string()))}))
    assert empty.schema == {"c": "categorical"} and empty.height == 0
    assert pa.table(empty).column("c").to_pylist() == []


@pytest.mark.parametrize("bad", [5, -1, 300])
def test_codes_outside_the_dictionary(bad):
    idx = pa.array([0, 1, bad, 0], type=pa.int16())
    arr = pa.DictionaryArray.from_arrays(idx, pa.array(["a", "b", "c"]), safe=False)
    with pytest.raises(weft.InvalidArgumentError, match=rf'"code".*row 2.*index {bad}.*3 entries'):
        weft.from_arrow(pa.table({"code": arr}))


def test_code_under_a_null_is_not_checked():
    codes = pa.py_buffer(np.array([0, 99, 1], dtype=np.int32).tobytes())
    valid = pa.py_buffer(np.packbits([1, 0, 1], bitorder="little").tobytes())
    idx = pa.Array.from_buffers(pa.int32(), 3, [valid, codes], null_count=1)
    arr = pa.DictionaryArray.from_arrays(idx, pa.array(["a", "b"]), safe=False)
    df = weft.from_arrow(pa.table({"c": arr}))
    assert df["c"].to_list() == ["a", None, "b"]
    assert df.filter(col("c") != "a")["c"].to_list() == ["b"]
    assert df.sort("c")["c"].to_list() == [None, "a", "b"]


# ---------------------------------------------------------------------------- carrying

@pytest.mark.parametrize("n", SIZES)
def test_carried_through_filter_slice_sort_select(rng, n):
    df, p = frame(rng, n)
    keep = col("v") % 3 != 1
    assert df.filter(keep)["c"].to_list() == p.filter(pl.col("v") % 3 != 1)["c"].to_list()
    assert df.head(5)["c"].to_list() == p.head(5)["c"].to_list()
    assert df.slice(n // 3, n // 2)["c"].to_list() == p.slice(n // 3, n // 2)["c"].to_list()
    by_v = df.sort("v", descending=True)
    assert by_v.schema["c"] == "categorical"
    assert by_v["c"].to_list() == p.sort("v", descending=True)["c"].to_list()
    sel = df.select(col("c"), col("c").alias("d"))
    assert sel.schema == {"c": "categorical", "d": "categorical"}
    assert sel["d"].to_list() == p["c"].to_list()


@pytest.mark.parametrize("n", SIZES)
def test_concat_unifies_dictionaries(rng, n):
    a, pa_ = frame(rng, n, order=WORDS[:6])
    b, pb = frame(rng, n // 2 + 1, order=list(reversed(WORDS)))
    out = weft.concat([a, b])
    assert out.schema["c"] == "categorical"
    assert out["c"].to_list() == pa_["c"].to_list() + pb["c"].to_list()
    g = out.group_by("c").agg(col("v").count().alias("k"))
    want = pl.concat([pa_, pb]).group_by("c").agg(pl.col("v").count().alias("k"))
    assert sorted(zip(g["c"].to_list(), g["k"].to_list()), key=str) == \
        sorted(zip(want["c"].to_list(), want["k"].to_list()), key=str)


def test_cast_both_ways(rng):
    df, p = frame(rng, 500)
    out = df.with_columns(col("c").cast("utf8").alias("s"))
    assert out.schema["s"] == "utf8" and out["s"].to_list() == p["c"].to_list()
    back = out.select(col("s").cast(weft.Categorical).alias("k"), col("s").cast(pl.Categorical).alias("k2"))
    assert back.schema == {"k": "categorical", "k2": "categorical"}
    assert back["k"].to_list() == p["c"].to_list() and back["k2"].to_list() == p["c"].to_list()
    # first-seen order, as Polars builds a Categorical
    seen = list(dict.fromkeys(x for x in p["c"].to_list() if x is not None))
    assert pa.table(back).column("k").chunk(0).dictionary.to_pylist() == seen
    with pytest.raises(weft.InvalidArgumentError, match="cannot cast"):
        df.select(col("v").cast(weft.Categorical))


def test_string_expressions_read_the_strings(rng):
    df, p = frame(rng, 300)
    got = df.select(col("c").str.starts_with("a").alias("u"), col("c").str.contains("an").alias("k"))
    want = p.select(pl.col("c").str.starts_with("a").alias("u"), pl.col("c").str.contains("an").alias("k"))
    assert got["u"].to_list() == want["u"].to_list() and got["k"].to_list() == want["k"].to_list()


# ---------------------------------------------------------------------------- through the codes

@pytest.mark.parametrize("n", SIZES)
def test_group_by_and_unique(rng, n):
    df, p = frame(rng, n)
    got = df.group_by("c").agg(col("v").sum().alias("t"), col("v").count().alias("k"),
                               col("c").first().alias("f"), col("c").n_unique().alias("u"))
    assert got.schema["c"] == "categorical" and got.schema["f"] == "categorical"
    want = p.group_by("c").agg(pl.col("v").sum().alias("t"), pl.col("v").count().alias("k"),
                               pl.col("c").first().alias("f"), pl.col("c").n_unique().alias("u"))
    g = as_strings(got).sort("c", nulls_last=True)
    w = want.sort("c", nulls_last=True)
    assert g.to_dict(as_series=False) == w.with_columns(pl.col("u").cast(pl.UInt32),
                                                        pl.col("k").cast(pl.UInt32)).to_dict(as_series=False)
    assert sorted(df.unique("c")["c"].to_list(), key=str) == sorted(p.unique("c")["c"].to_list(), key=str)
    assert df.select(col("c").n_unique())["c"].to_list() == [p["c"].n_unique()]


def test_group_by_two_keys_with_a_categorical(rng):
    df, p = frame(rng, 2000)
    df = df.with_columns((col("v") % 3).alias("m"))
    p = p.with_columns((pl.col("v") % 3).alias("m"))
    got = as_strings(df.group_by("c", "m").agg(col("v").max().alias("x"))).sort("c", "m", nulls_last=True)
    want = p.group_by("c", "m").agg(pl.col("v").max().alias("x")).sort("c", "m", nulls_last=True)
    assert got.to_dict(as_series=False) == want.to_dict(as_series=False)


@pytest.mark.parametrize("n", SIZES)
@pytest.mark.parametrize("descending", [False, True])
@pytest.mark.parametrize("nulls_last", [False, True])
def test_sort_by_the_strings(rng, n, descending, nulls_last):
    df, p = frame(rng, n)
    got = df.sort("c", descending=descending, nulls_last=nulls_last)
    want = p.with_columns(pl.col("c").cast(pl.Categorical)).sort("c", descending=descending,
                                                                  nulls_last=nulls_last)
    assert got["c"].to_list() == want["c"].cast(pl.String).to_list()
    assert got["v"].to_list() == want["v"].to_list()  # ties in row order, as Polars
    two = df.sort("c", "v", descending=[descending, True])
    assert two["v"].to_list() == p.sort("c", "v", descending=[descending, True],
                                         nulls_last=False)["v"].to_list()


def test_enum_sorts_by_its_order(rng):
    values = strings(rng, 300, WORDS[:5])
    order = ["kiwi", "pear", "", "fig", "apple"]
    p = pl.DataFrame({"e": pl.Series(values, dtype=pl.Enum(order)), "v": range(300)})
    got = weft.from_arrow(p).sort("e")
    assert got["v"].to_list() == p.sort("e")["v"].to_list()


@pytest.mark.parametrize("n", SIZES)
def test_equality_and_is_in(rng, n):
    df, p = frame(rng, n)
    for pred, ref in [
        (col("c") == "fig", pl.col("c") == "fig"),
        (col("c") != "fig", pl.col("c") != "fig"),
        (col("c") == "absent", pl.col("c") == "absent"),
        (col("c") != "absent", pl.col("c") != "absent"),
        (col("c") == "", pl.col("c") == ""),
        (col("c").is_in(["kiwi"]), pl.col("c").is_in(["kiwi"])),
        (col("c").is_in(["kiwi", "date", "nope"]), pl.col("c").is_in(["kiwi", "date", "nope"])),
        (col("c").is_in(["nope"]), pl.col("c").is_in(["nope"])),
        ((col("c") == "pear") & (col("v") > 3), (pl.col("c") == "pear") & (pl.col("v") > 3)),
        ((col("c") == "pear") | (col("c") == "fig"), (pl.col("c") == "pear") | (pl.col("c") == "fig")),
    ]:
        assert df.filter(pred)["v"].to_list() == p.filter(ref)["v"].to_list(), str(pred)
        assert df.select(pred.alias("b"))["b"].to_list() == p.select(ref.alias("b"))["b"].to_list()


@pytest.mark.parametrize("how", ["inner", "left", "full", "semi", "anti"])
@pytest.mark.parametrize("same_dictionary", [True, False])
def test_join_on_categorical_keys(rng, how, same_dictionary):
    left, pl_left = frame(rng, 400, order=WORDS)
    right_order = WORDS if same_dictionary else ["zebra"] + WORDS[::-1][:7]
    rvalues = strings(rng, 60, right_order)
    right = weft.from_arrow(pa.table({"c": dict_array(rvalues, right_order), "x": list(range(60))}))
    pl_right = pl.DataFrame({"c": pl.Series(rvalues, dtype=pl.String), "x": list(range(60))})
    got = left.join(right, on="c", how=how)
    want = pl_left.join(pl_right, on="c", how=how)
    assert got.schema["c"] == "categorical"
    cols = want.columns
    key = [c for c in cols]
    g = as_strings(got).select(cols).sort(key, nulls_last=True)
    w = want.sort(key, nulls_last=True)
    assert g.to_dict(as_series=False) == w.to_dict(as_series=False)


def test_join_categorical_with_utf8_key_is_refused(rng):
    left, _ = frame(rng, 10)
    right = weft.DataFrame({"c": ["a"], "x": [1]})
    with pytest.raises(weft.InvalidArgumentError, match="categorical.*utf8|cast one"):
        left.join(right, on="c")


def test_lazy_plan(rng):
    df, p = frame(rng, 1000)
    got = (df.lazy().filter(col("c") != "pear").group_by("c").agg(col("v").sum().alias("t"))
           .sort("c").collect())
    want = p.filter(pl.col("c") != "pear").group_by("c").agg(pl.col("v").sum().alias("t"))
    want = want.with_columns(pl.col("c").cast(pl.Categorical)).sort("c")
    assert got["c"].to_list() == want["c"].cast(pl.String).to_list()
    assert got["t"].to_list() == want["t"].to_list()


def test_aggregations_that_need_numbers_are_refused(rng):
    df, _ = frame(rng, 10)
    with pytest.raises(weft.InvalidArgumentError, match=r'sum of "c" \(categorical\)'):
        df.group_by("v").agg(col("c").sum())


def test_one_row_and_all_null():
    one = weft.from_arrow(pa.table({"c": dict_array(["fig"], ["apple", "fig"]), "v": [1]}))
    assert one.sort("c")["c"].to_list() == ["fig"]
    assert one.group_by("c").agg(col("v").sum())["c"].to_list() == ["fig"]
    nulls = weft.from_arrow(pa.table({"c": dict_array([None, None], ["a"]), "v": [1, 2]}))
    assert nulls.group_by("c").agg(col("v").sum())["v"].to_list() == [3]
    assert nulls.filter(col("c") == "a").height == 0


# ---------------------------------------------------------------------------- devices

GPU_LIKE = [d.id for d in weft.devices() if d.id.split(":")[0] in ("opencl", "cuda")]


@pytest.mark.parametrize("device", GPU_LIKE or [pytest.param("opencl:0", marks=pytest.mark.skip(
    reason="no OpenCL or CUDA device: " + "; ".join(f"{b.name}: {b.reason}" for b in weft.backends()
                                                      if not b.loaded)))])
def test_on_a_device_codes_run_there_strings_fall_back(rng, device):
    df, p = frame(rng, 5003)
    right = weft.from_arrow(pa.table({"c": dict_array(["fig", "kiwi", "zebra"], ["zebra", "kiwi", "fig"]),
                                      "x": [1, 2, 3]}))
    cpu = [df.sort("c", "v"), df.group_by("c").agg(col("v").sum()).sort("c"),
           df.join(right, on="c", how="left").sort("v"), df.filter(col("c") == "fig")]
    dev = [df.sort("c", "v", device=device), df.group_by("c").agg(col("v").sum(), device=device).sort("c"),
           df.join(right, on="c", how="left", device=device).sort("v"),
           df.filter(col("c") == "fig", device=device)]
    for a, b in zip(cpu, dev):
        assert b.schema["c"] == "categorical"
        assert a.to_dict(as_series=False) == b.to_dict(as_series=False)
    df.select(col("c").str.contains("an"), device=device)
    assert f"{device}: fell back to cpu: string operation in col(\"c\")" in weft.last_report()
    with pytest.raises(weft.WeftError, match="strict"):
        df.select(col("c").str.contains("an"), device=device, strict=True)


# ---------------------------------------------------------------------------- frames and encoders

def test_column_selection_rename_drop_and_masks_keep_the_dictionary(rng):
    df, p = frame(rng, 300)
    want = p["c"].to_list()
    assert df[["c"]].schema == {"c": "categorical"} and df[["c"]]["c"].to_list() == want
    assert df.drop("v")["c"].to_list() == want
    assert df.rename({"c": "k"})["k"].to_list() == want
    mask = np.arange(300) % 2 == 0
    assert df[mask]["c"].to_list() == want[::2]
    assert df[df["v"] > 100]["c"].to_list() == want[101:]
    both = weft.DataFrame({"k": df["c"], "n": np.arange(300)})
    assert both.schema == {"k": "categorical", "n": "int64"} and both["k"].to_list() == want


@pytest.mark.parametrize("lazy", [False, True])
def test_categorify_as_categorical(lazy, tmp_path):
    train = weft.DataFrame({"city": ["b", "a", "b", "c", "b", "a", None], "n": [1, 2, 3, 4, 5, 6, 7]})
    test = weft.DataFrame({"city": ["a", "zz", None, "b", "c"]})
    enc = weft.Categorify("city", as_categorical=True).fit(train)
    out = enc.transform(test.lazy() if lazy else test)
    out = out.collect() if lazy else out
    assert out.schema == {"city": "categorical"}
    assert out["city"].to_list() == ["a", None, None, "b", "c"]  # unseen and null: null
    arr = pa.table(out).column("city").combine_chunks()
    assert arr.dictionary.to_pylist() == enc.vocabulary_["city"] == ["b", "a", "c"]
    codes = weft.Categorify("city").fit(train).transform(test)["city"].to_list()
    assert [None if i is None else i + 3 for i in arr.indices.to_pylist()] == \
        [c if c >= 3 else None for c in codes]  # NVTabular's code - 3
    enc.save(tmp_path / "enc.json")
    again = weft.load_encoder(tmp_path / "enc.json")
    assert again.as_categorical and again.transform(test)["city"].to_list() == out["city"].to_list()
    with pytest.raises(weft.InvalidArgumentError, match="as_categorical=True takes string"):
        weft.Categorify("n", as_categorical=True).fit(train).transform(train)


def test_encoders_take_categorical_columns(rng):
    df, p = frame(rng, 200)
    codes = weft.Categorify("c").fit(df).transform(df)["c"].to_list()
    plain = weft.DataFrame({"c": p["c"].to_list(), "v": p["v"].to_numpy()})
    assert codes == weft.Categorify("c").fit(plain).transform(plain)["c"].to_list()
    assert weft.OneHot("c").fit(df).transform(df).to_dict(as_series=False) == \
        weft.OneHot("c").fit(plain).transform(plain).to_dict(as_series=False)


def test_csv_describe_and_top_k(rng, tmp_path):
    df, p = frame(rng, 500)
    df.write_csv(tmp_path / "c.csv")
    back = pl.read_csv(tmp_path / "c.csv", schema_overrides={"c": pl.String})
    # the strings written; "" and null may read back alike (an empty field)
    assert back["c"].fill_null("").to_list() == p["c"].fill_null("").to_list()
    d = df.describe()
    assert d["c"].to_list()[:2] == [p["c"].len() - p["c"].null_count(), p["c"].null_count()]
    want = p.with_columns(pl.col("c").cast(pl.Categorical)).top_k(7, by="c")["c"].cast(pl.String)
    assert sorted(df.top_k(7, by="c")["c"].to_list(), key=str) == sorted(want.to_list(), key=str)
    assert df.lazy().sort("c").head(5).collect()["c"].to_list() == \
        p.with_columns(pl.col("c").cast(pl.Categorical)).sort("c").head(5)["c"].cast(pl.String).to_list()
