"""Sort's null placement: eager DataFrame.sort and LazyFrame.sort against Polars' sort
(maintain_order=True: weft's sort is stable) for nulls_last as one bool or one per key, with
descending lists, on random frames with nulls and NaN, of sizes that are not multiples of
anything; and the arguments' errors."""

import numpy as np
import polars as pl
import polars.testing as plt
import pytest

import weft

SIZES = [0, 1, 2, 37, 5003]


def _frame(rng, n):
    def nulls(values, rate=0.2):
        mask = rng.random(n) < rate
        return [None if m else x for x, m in zip(values, mask)]

    f = np.round(rng.normal(size=n), 1)
    f[rng.random(n) < 0.05] = np.nan
    return pl.DataFrame({
        "a": pl.Series(nulls(rng.integers(0, 4, n).tolist()), dtype=pl.Int64),
        "s": pl.Series(nulls([f"s{x}" for x in rng.integers(0, 3, n)]), dtype=pl.String),
        "f": pl.Series(nulls(f.tolist()), dtype=pl.Float64),
        "b": pl.Series(nulls((rng.random(n) < 0.5).tolist()), dtype=pl.Boolean),
        "row": pl.Series(np.arange(n), dtype=pl.Int64),
    })


CASES = [
    (["a"], False, False),
    (["a"], True, False),
    (["a"], False, True),
    (["f"], True, True),
    (["s", "a"], [False, True], [True, False]),
    (["b", "f", "s"], [True, False, True], [False, True, False]),
    (["a", "f"], False, [True, True]),
]


@pytest.mark.parametrize("n", SIZES)
@pytest.mark.parametrize("case", range(len(CASES)))
def test_sort_nulls_like_polars(rng, n, case):
    by, desc, last = CASES[case]
    pdf = _frame(rng, n)
    want = pdf.sort(by, descending=desc, nulls_last=last, maintain_order=True)
    df = weft.DataFrame(pdf)
    got = df.sort(by, descending=desc, nulls_last=last)
    plt.assert_frame_equal(got.to_polars(), want)
    lazy = df.lazy().sort(by, descending=desc, nulls_last=last, maintain_order=True).collect()
    plt.assert_frame_equal(lazy.to_polars(), want)


def test_default_is_nulls_first_in_both(rng):
    pdf = _frame(rng, 200)
    df = weft.DataFrame(pdf)
    want = pdf.sort("a", maintain_order=True)
    plt.assert_frame_equal(df.sort("a").to_polars(), want)
    plt.assert_frame_equal(df.lazy().sort("a").collect().to_polars(), want)
    assert df.sort("a")["a"].to_list()[0] is None
    # more_by, as Polars' sort("a", "s")
    plt.assert_frame_equal(df.sort("a", "s").to_polars(), pdf.sort("a", "s", maintain_order=True))


def test_explain_names_each_keys_nulls(rng):
    lf = weft.DataFrame(_frame(rng, 10)).lazy().sort(["a", "s"], nulls_last=[True, False])
    assert "by [a nulls last, s nulls first]" in lf.explain()


def test_bad_arguments_name_the_call(rng):
    df = weft.DataFrame(_frame(rng, 10))
    with pytest.raises(weft.InvalidArgumentError, match=r"DataFrame.sort: nulls_last has 1 values but by has 2"):
        df.sort(["a", "s"], nulls_last=[True])
    with pytest.raises(weft.InvalidArgumentError, match=r"LazyFrame.sort: nulls_last must be a bool"):
        df.lazy().sort("a", nulls_last="yes")
    with pytest.raises(weft.InvalidArgumentError, match=r"DataFrame.sort: descending has 3 values"):
        df.sort(["a", "s"], descending=[True, False, True])
    with pytest.raises(weft.InvalidArgumentError, match="maintain_order"):
        df.sort("a", maintain_order=1)
    with pytest.raises(weft.NotFoundError):
        df.sort("nope")
    with pytest.raises(weft.NotFoundError):
        df.lazy().sort("nope")
