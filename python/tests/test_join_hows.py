"""DataFrame.join and LazyFrame.join for every how ("inner", "left", "right", "full", "semi",
"anti", "cross") against Polars 2.1 on random data: null keys, repeated keys, empty sides, one
row, several keys, integer keys of different widths and signedness, utf8 keys, left_on /
right_on with different names, suffix and coalesce, eager and lazy, on the CPU and on
OpenCL (strict, so a device row never silently runs on the CPU; right and full joins run
the device's left join steps, a cross join has no device kernels and must say so).

Row order is compared exactly, with the Polars order weft promises: maintain_order
"left_right" for inner, left and full joins, "right_left" for right joins, left order for
semi and anti, left row by left row for cross. The hash table must be on the smaller side
(the report says which) whatever the user's order."""

import numpy as np
import polars as pl
import polars.testing as plt
import pytest

import weft
from device_skip import require
from weft.errors import InvalidArgumentError, WeftError

DEVICES = ["cpu:0", "opencl:0"]
KEYED = ["inner", "left", "right", "full", "semi", "anti"]
ORDER = {"inner": "left_right", "left": "left_right", "full": "left_right", "right": "right_left"}
SIZES = [(0, 0), (0, 5), (5, 0), (1, 1), (1, 40), (40, 1), (1023, 1025), (3000, 211), (211, 3000)]


def with_nulls(rng, values, rate=0.1):
    return [None if m else v for v, m in zip(values, rng.random(len(values)) < rate)]


def side(rng, n, key_range, payload, key_dtype=pl.Int64, kname="k"):
    """Keys k (key_dtype), s (utf8, some longer than 8 bytes), a payload column and x, which
    both sides have (so it takes the suffix)."""
    k = rng.integers(0, max(key_range, 1), n)
    return pl.DataFrame({
        kname: pl.Series(with_nulls(rng, k.tolist()), dtype=key_dtype),
        "s": pl.Series(with_nulls(rng, [("key-" * (int(i) % 3)) + str(int(i) % 7) for i in k]),
                       dtype=pl.String),
        payload: pl.Series(rng.standard_normal(n), dtype=pl.Float64),
        "x": pl.Series(with_nulls(rng, rng.integers(-5, 5, n).tolist()), dtype=pl.Int32),
    })


def to_weft(frame):
    return weft.from_arrow(frame.to_arrow())


def polars_join(left, right, how, **kw):
    if how in ORDER:
        kw["maintain_order"] = ORDER[how]
    return left.join(right, how=how, **kw)


def check(left, right, how, device="cpu:0", lazy=False, **kw):
    want = polars_join(left, right, how, **kw)
    wl, wr = to_weft(left), to_weft(right)
    if lazy:
        got = wl.lazy().join(wr.lazy(), how=how, **kw).collect(device=device, strict=True)
    else:
        got = wl.join(wr, how=how, device=device, strict=True, **kw)
    plt.assert_frame_equal(got.to_polars(), want)
    return got


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("how", KEYED)
@pytest.mark.parametrize("sizes", SIZES)
def test_keyed_hows_match_polars(device, how, sizes, rng):
    require(device)
    nl, nr = sizes
    key_range = max(min(nl, nr) // 2, 3)
    left, right = side(rng, nl, key_range, "v"), side(rng, nr, key_range, "w")
    for on in (["k"], ["s"], ["k", "s"]):
        check(left, right, how, device, on=on)
        if device != "cpu:0" and nl and nr:
            assert str(weft.last_device()) == device, weft.last_report()


@pytest.mark.parametrize("how", KEYED)
@pytest.mark.parametrize("coalesce", [None, True, False])
def test_coalesce_and_key_names(how, coalesce, rng):
    left = side(rng, 300, 40, "v", kname="ka")
    right = side(rng, 200, 40, "w", kname="kb").with_columns(pl.col("w").alias("ka"))
    check(left, right, how, left_on="ka", right_on="kb", coalesce=coalesce)
    check(left, right, how, left_on=["ka", "s"], right_on=["kb", "s"], coalesce=coalesce,
          suffix="_r")
    check(left, right, how, on="x", coalesce=coalesce, suffix="::")


@pytest.mark.parametrize("lazy", [False, True])
@pytest.mark.parametrize("how", KEYED)
@pytest.mark.parametrize("widths", [(pl.Int32, pl.Int64), (pl.UInt32, pl.Int64), (pl.Int8, pl.UInt16),
                                    (pl.UInt8, pl.Int64), (pl.Int16, pl.UInt32)])
def test_mixed_integer_widths(lazy, how, widths, rng):
    lt, rt = widths
    def keys(n, dtype):
        lo = -60 if dtype.is_signed_integer() else 0
        return pl.Series(with_nulls(rng, rng.integers(lo, 120, n).tolist()), dtype=dtype)
    left = pl.DataFrame({"k": keys(500, lt), "j": keys(500, pl.Int64) , "v": np.arange(500)})
    right = pl.DataFrame({"k": keys(300, rt), "j": keys(300, pl.UInt8), "w": np.arange(300)})
    check(left, right, how, lazy=lazy, on="k")
    check(left, right, how, lazy=lazy, on=["k", "j"])
    check(left, right, how, lazy=lazy, on="k", coalesce=True)


@pytest.mark.parametrize("how", KEYED)
def test_uint64_against_int64_match_by_value(how):
    """2**63 as uint64 and -2**63 as int64 have the same bits and must not match."""
    big = [2**63, 2**64 - 1, 5, 7, None, 0]
    neg = [-(2**63), -1, 5, 7, None, 3]
    left = pl.DataFrame({"k": pl.Series(big, dtype=pl.UInt64), "v": range(6)})
    right = pl.DataFrame({"k": pl.Series(neg, dtype=pl.Int64), "w": range(6)})
    wl, wr = to_weft(left), to_weft(right)
    big = pl.concat([right] * 3)  # the larger side: the table (or key set) on the left
    pairs = ((left, right, wl, wr), (right, left, wr, wl), (left, big, wl, to_weft(big)))
    for l, r, wlft, wrgt in pairs:
        got = wlft.join(wrgt, on="k", how=how).to_polars()
        want = l.join(r, on="k", how=how, **({"maintain_order": ORDER[how]} if how in ORDER else {}))
        if how != "full":  # Polars' full join key is int128 here; weft keeps both keys
            plt.assert_frame_equal(got, want, check_dtypes=False)
        else:
            plt.assert_frame_equal(got.select(pl.all().cast(pl.Float64)), want.select(pl.all().cast(pl.Float64)))
    with pytest.raises(InvalidArgumentError, match="int128"):
        wl.join(wr, on="k", how="full", coalesce=True)


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("sizes", [(0, 3), (3, 0), (1, 1), (7, 13), (40, 25)])
def test_cross(device, sizes, rng):
    require(device)
    left, right = side(rng, sizes[0], 5, "v"), side(rng, sizes[1], 5, "w")
    want = left.join(right, how="cross")
    plt.assert_frame_equal(to_weft(left).join(to_weft(right), how="cross").to_polars(), want)
    lazy = to_weft(left).lazy().join(to_weft(right).lazy(), how="cross", suffix="_r")
    plt.assert_frame_equal(lazy.collect().to_polars(), left.join(right, how="cross", suffix="_r"))
    if device != "cpu:0":
        got = to_weft(left).join(to_weft(right), how="cross", device=device)
        plt.assert_frame_equal(got.to_polars(), want)
        assert "cross join has no device kernels" in weft.last_report(), weft.last_report()
        with pytest.raises(WeftError, match="cross join has no device kernels"):
            to_weft(left).join(to_weft(right), how="cross", device=device, strict=True)


@pytest.mark.parametrize("how", ["inner", "left", "semi", "anti", "right", "full"])
@pytest.mark.parametrize("bigger", ["left", "right"])
def test_table_on_the_smaller_side(how, bigger, rng):
    """Either order of a big and a small side builds on the small one, with Polars' rows."""
    big, small = side(rng, 20000, 3000, "v"), side(rng, 700, 3000, "w")
    left, right = (big, small) if bigger == "left" else (small, big)
    for on in ("k", ["k", "s"]):
        check(left, right, how, on=on)
        report = weft.last_report()
        built = "right" if bigger == "left" else "left"
        if how == "right":  # a left join of the swapped sides: the names swap too
            built = "left" if built == "right" else "right"
        assert f" on 700 {built} rows" in report, report  # a hash table, or a key set


@pytest.mark.parametrize("how", KEYED + ["cross"])
def test_lazy_filters_and_projections(how, rng):
    left, right = side(rng, 400, 60, "v"), side(rng, 300, 60, "w")
    kw = {} if how == "cross" else {"on": "k"}
    wl, wr = to_weft(left).lazy(), to_weft(right).lazy()
    got = wl.join(wr, how=how, **kw)
    # Polars' eager join (its lazy one may change the build side, and so a semi join's order)
    want = polars_join(left, right, how, **kw)
    cols = want.columns
    # a filter on each output column in turn, then the last two columns only
    for c in cols:
        pred = pl.col(c).is_null() if c in ("s",) else pl.col(c).is_not_null()
        wpred = weft.col(c).is_null() if c in ("s",) else weft.col(c).is_not_null()
        plt.assert_frame_equal(got.filter(wpred).select([weft.col(x) for x in cols[-2:]]).collect().to_polars(),
                               want.filter(pred).select(cols[-2:]))


def test_errors(rng):
    left, right = to_weft(side(rng, 5, 3, "v")), to_weft(side(rng, 5, 3, "w"))
    with pytest.raises(InvalidArgumentError, match="how must be one of"):
        left.join(right, on="k", how="outer")
    with pytest.raises(InvalidArgumentError, match="takes no keys"):
        left.join(right, on="k", how="cross")
    with pytest.raises(InvalidArgumentError, match="coalesce must be"):
        left.join(right, on="k", how="full", coalesce="yes")
    with pytest.raises(InvalidArgumentError, match="needs on="):
        left.join(right, how="full")
    with pytest.raises(InvalidArgumentError, match="appears twice"):
        left.join(right.rename({"w": "x_right"}), on="k", how="full")


@pytest.mark.parametrize("how", ["inner", "left", "right", "full"])
def test_many_pairs_put_in_left_order(how, rng):
    """Over 65536 pairs found by the right rows (a table on the smaller left side): the
    counting sort that restores left order runs in two halves on two threads."""
    left, right = side(rng, 3000, 1500, "v"), side(rng, 90_001, 1500, "w")
    got = check(left, right, how, on="k")
    assert got.height > 65536
    assert "table on 3000 left rows" in weft.last_report() or how == "right", weft.last_report()


def test_explain_pushes_filters_only_into_kept_sides(rng):
    left, right = to_weft(side(rng, 50, 9, "v")).lazy(), to_weft(side(rng, 40, 9, "w")).lazy()
    def below_join(how, pred):
        lines = left.join(right, on="k", how=how).filter(pred).explain().splitlines()
        join_at = next(i for i, l in enumerate(lines) if "JOIN" in l)
        return any("FILTER" in l for l in lines[join_at + 1:])
    assert below_join("inner", weft.col("v") > 0) and below_join("inner", weft.col("w") > 0)
    assert below_join("left", weft.col("v") > 0) and not below_join("left", weft.col("w") > 0)
    assert below_join("right", weft.col("w") > 0) and not below_join("right", weft.col("v") > 0)
    assert not below_join("full", weft.col("v") > 0) and not below_join("full", weft.col("w") > 0)


@pytest.mark.parametrize("how", ["semi", "anti"])
@pytest.mark.parametrize("spread", [1, 10**12])
@pytest.mark.parametrize("key_types", [(pl.Int64, pl.Int64), (pl.Int32, pl.Int64)])
def test_key_set_as_a_bitmap_or_a_hash_set(how, spread, key_types, rng):
    """A semi or anti join of the smaller left side keeps its keys as a bitmap of their
    range when the range is narrow (negative keys and nulls included), else as a hash set;
    the same rows as Polars either way, and the report says which."""
    if key_types[0] == pl.Int32 and spread > 1:
        spread = 10**6  # still spread: 10**9 apart from end to end
    def keys(n, lo, hi, dtype):
        return pl.Series(with_nulls(rng, (rng.integers(lo, hi, n) * spread).tolist()), dtype=dtype)
    left = pl.DataFrame({"k": keys(300, -500, 500, key_types[0]), "v": np.arange(300)})
    right = pl.DataFrame({"k": keys(5000, -700, 700, key_types[1]), "w": np.arange(5000)})
    check(left, right, how, on="k")
    report = weft.last_report()
    assert "key set on 300 left rows" in report, report
    assert ("a bitmap of the left keys' range" in report) == (spread == 1), report
    check(left.head(1), right, how, on="k")  # one left row: a range of one key
    check(left.filter(pl.col("k").is_null()), right, how, on="k")  # no valid left key


@pytest.mark.parametrize("how", KEYED)
@pytest.mark.parametrize("n_left", [0, 1, 700, 20_001])
def test_a_larger_right_side_of_unique_dense_keys_is_a_direct_table(how, n_left, rng):
    """Right keys unique and dense (a shuffled range, some null) on a right side up to 8 times
    the left one: an inner or left join builds the direct table on the right (one load a left
    row) rather than a hash table on the smaller left side, with the same rows in the same
    order (TPC-H Q14's filtered lineitems against part)."""
    n_right = 5 * n_left + 3
    keys = rng.permutation(int(n_right * 1.3))[:n_right]
    right = pl.DataFrame({
        "k": pl.Series(with_nulls(rng, keys.tolist()), dtype=pl.Int32),
        "s": pl.Series([f"r{int(i) % 11}" for i in keys], dtype=pl.String),
        "w": pl.Series(rng.standard_normal(n_right), dtype=pl.Float64),
        "x": pl.Series(with_nulls(rng, rng.integers(-5, 5, n_right).tolist()), dtype=pl.Int32),
    })
    left = side(rng, n_left, int(n_right * 1.5), "v")
    check(left, right, how, on="k")
    if how in ("inner", "left") and n_left >= 700:
        assert f"direct table on {n_right} right rows" in weft.last_report(), weft.last_report()
