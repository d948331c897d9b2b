"""Shared by test_expr_when / _str / _dates: weft against Polars on the same frame, eager
(select, with_columns, filter) and lazy."""
import polars as pl
import polars.testing as plt

import weft

SIZES = [0, 1, 17, 4097, 10001]  # the CPU evaluator works in chunks of 4096 rows


def nulls(rng, values, rate=0.15):
    mask = rng.random(len(values)) < rate
    return [None if m else v for v, m in zip(values, mask)]


def same(p, wexprs, pexprs, filter_by=None, pfilter_by=None):
    """select and with_columns of the expressions (and filter by a bool one), eager and lazy."""
    w = weft.from_arrow(p)
    plt.assert_frame_equal(w.select(wexprs).to_polars(), p.select(pexprs))
    plt.assert_frame_equal(w.with_columns(wexprs).to_polars(), p.with_columns(pexprs))
    plt.assert_frame_equal(w.lazy().select(wexprs).collect().to_polars(), p.lazy().select(pexprs).collect())
    plt.assert_frame_equal(w.lazy().with_columns(wexprs).collect().to_polars(),
                           p.lazy().with_columns(pexprs).collect())
    if filter_by is not None:
        plt.assert_frame_equal(w.filter(filter_by).to_polars(), p.filter(pfilter_by))
        plt.assert_frame_equal(w.lazy().filter(filter_by).collect().to_polars(),
                               p.lazy().filter(pfilter_by).collect())
