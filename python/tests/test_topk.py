"""top_k / bottom_k (eager and lazy) and the lazy sort(...).head(k) / slice that the
optimizer turns into a top-k: against Polars (a stable sort's first k rows, so ties keep
row order) on random frames with nulls, NaN, many ties, utf8 keys sharing 8-byte prefixes;
k of 0, 1, past the end; the report proving the candidates are few; errors."""

import numpy as np
import polars as pl
import polars.testing as plt
import pytest

import weft
from weft import col

SIZES = [0, 1, 7, 4099]


def _frame(rng, n):
    def nulls(values, rate=0.15):
        mask = rng.random(n) < rate
        return [None if m else x for x, m in zip(values, mask)]

    f = np.round(rng.normal(size=n), 2)
    f[rng.random(n) < 0.05] = np.nan
    return pl.DataFrame({
        "i": pl.Series(nulls(rng.integers(-50, 50, n).tolist()), dtype=pl.Int64),
        "f": pl.Series(nulls(f.tolist()), dtype=pl.Float64),
        "s": pl.Series(nulls([f"prefix__{x:03d}" for x in rng.integers(0, 40, n)]), dtype=pl.String),
        "u": pl.Series(rng.integers(0, 5, n), dtype=pl.UInt32),
        "row": pl.Series(np.arange(n), dtype=pl.Int64),
    })


def _want_top(pdf, k, by, reverse, bottom):
    by = [by] if isinstance(by, str) else by
    rev = [reverse] * len(by) if isinstance(reverse, bool) else reverse
    desc = [r == bottom for r in rev]
    return pdf.sort(by, descending=desc, nulls_last=True, maintain_order=True).head(k)


KEYS = [("i", False), ("f", False), ("f", True), ("s", False), (["u", "f"], [False, True]),
        (["s", "i"], [True, False])]


@pytest.mark.parametrize("n", SIZES)
@pytest.mark.parametrize("k", [0, 1, 5, 100, 10_000])
def test_top_k_and_bottom_k_like_polars(rng, n, k):
    pdf = _frame(rng, n)
    df = weft.DataFrame(pdf)
    for by, reverse in KEYS:
        for bottom in (False, True):
            want = _want_top(pdf, k, by, reverse, bottom)
            name = "bottom_k" if bottom else "top_k"
            got = getattr(df, name)(k, by=by, reverse=reverse)
            plt.assert_frame_equal(got.to_polars(), want)
            lazy = getattr(df.lazy(), name)(k, by=by, reverse=reverse).collect()
            plt.assert_frame_equal(lazy.to_polars(), want)
            # the values Polars' own top_k picks (its ties may come in another order)
            pol = getattr(pdf, name)(k, by=by, reverse=reverse)
            assert sorted(map(str, got[by if isinstance(by, str) else by[0]].to_list())) == \
                sorted(map(str, pol[by if isinstance(by, str) else by[0]].to_list()))


@pytest.mark.parametrize("n", SIZES)
def test_sort_head_and_slice_become_top_k(rng, n):
    pdf = _frame(rng, n)
    lf = weft.DataFrame(pdf).lazy()
    cases = [(("i",), dict()), (("f",), dict(descending=True)), (("s", "i"), dict(nulls_last=[True, False])),
             (("f", "row"), dict(descending=[True, False], nulls_last=True))]
    for by, kw in cases:
        want = pdf.sort(list(by), maintain_order=True, **kw)
        for offset, length in [(0, 3), (2, 5), (0, 0), (n, 4), (1, None)]:
            q = lf.sort(list(by), **kw).slice(offset, length)
            if length is not None:  # to the end: the whole sort
                assert "TOP_K" in q.explain() and "SORT" not in q.explain()
            plt.assert_frame_equal(q.collect().to_polars(), want.slice(offset, length))
        plt.assert_frame_equal(lf.sort(list(by), **kw).head(4).collect().to_polars(), want.head(4))
        # a negative offset needs the end of the sort: no top-k
        q = lf.sort(list(by), **kw).slice(-3, 2)
        assert "TOP_K" not in q.explain()
        plt.assert_frame_equal(q.collect().to_polars(), want.slice(-3, 2))


def test_top_k_reads_few_candidates(rng):
    n = 200_000
    pdf = pl.DataFrame({"v": rng.permutation(n).astype(np.int64), "w": rng.random(n)})
    df = weft.DataFrame(pdf)
    got = df.lazy().sort("v", descending=True).head(10).collect()
    assert got["v"].to_list() == list(range(n - 1, n - 11, -1))
    assert "top-k: 10 of 200000 rows are candidates for the first 10 (by v)" in weft.last_report()
    got = df.top_k(3, by="w")
    assert got["w"].to_list() == sorted(pdf["w"].to_list(), reverse=True)[:3]


def test_filter_is_not_moved_below_top_k(rng):
    pdf = _frame(rng, 500)
    lf = weft.DataFrame(pdf).lazy().top_k(20, by="i").filter(col("u") == 1)
    want = _want_top(pdf, 20, "i", False, False).filter(pl.col("u") == 1)
    plt.assert_frame_equal(lf.collect().to_polars(), want)


def test_top_k_errors(rng):
    df = weft.DataFrame(_frame(rng, 10))
    with pytest.raises(weft.InvalidArgumentError, match=r"DataFrame.top_k: k must be an integer >= 0"):
        df.top_k(-1, by="i")
    with pytest.raises(weft.InvalidArgumentError, match=r"LazyFrame.bottom_k: reverse has 1 values"):
        df.lazy().bottom_k(2, by=["i", "f"], reverse=[True])
    with pytest.raises(weft.NotFoundError):
        df.top_k(2, by="nope")
    with pytest.raises(weft.NotFoundError):
        df.lazy().top_k(2, by="nope")


def test_top_k_of_decimals_wider_than_64_bits_matches_polars():
    """A 16-byte decimal key sorts in full (the 64-bit candidate cut would be undefined)."""
    import decimal
    import numpy as np
    import polars as pl
    D = decimal.Decimal
    rng = np.random.default_rng(1)
    vals = [None if n else D(int(v)).scaleb(-2) * (10 ** 22 if b else 1)
            for v, b, n in zip(rng.integers(-10**6, 10**6, 5000), rng.random(5000) < 0.2,
                               rng.random(5000) < 0.05)]
    pdf = pl.DataFrame({"v": pl.Series(vals, dtype=pl.Decimal(38, 2)), "i": np.arange(5000)})
    df = weft.DataFrame(pdf)
    for desc in (False, True):
        got = df.lazy().sort("v", "i", descending=desc).head(7).collect().to_polars()
        want = pdf.sort("v", "i", descending=desc).head(7)
        assert got.equals(want), desc
        assert df.top_k(7, by="v").to_polars()["v"].to_list() == pdf.top_k(7, by="v")["v"].to_list()
