"""Standardize and MinMax: per-column affine maps learned from the data, as scikit-learn's
StandardScaler and MinMaxScaler (the same statistics and the same guard for constant
columns), learned through weft's describe and applied as weft expressions."""

from __future__ import annotations

import ctypes
from typing import Any, Sequence

from .. import _lib
from ..errors import InvalidArgumentError, _check
from ..expr import col, lit
from ..frame import DataFrame
from ._base import NUMERIC_TYPES, Encoder, Frame, collect, register

_EPS = 2.220446049250313e-16  # numpy.finfo(float64).eps


def describe(frame: Frame, columns: list) -> dict:
    """{column: {"count", "mean", "std", "min", "max"}} from weft's describe (one read of each
    column in C, or block statistics on a device; much faster than the equivalent
    aggregations). A LazyFrame's columns are collected first."""
    df = collect(frame.select(*[col(c) for c in columns]))
    out = df.describe(percentiles=None)
    names = out["statistic"].to_list()
    return {c: dict(zip(names, out[c].to_list())) for c in columns}


@register
class Standardize(Encoder):
    """``(x - mean) / std`` per column, as scikit-learn's StandardScaler: the population
    std (ddof=0), and a std of 1 for a constant column (scikit-learn's test: variance at most
    n * eps * var + (n * mean * eps)**2, or std under 10 * eps). Nulls are left out of fit and
    stay null in transform. NaN is a value, as in Polars (a column with NaN learns mean NaN);
    make NaN null first to have it ignored. The output is float64 (float32 for a float32
    column).

        >>> enc = weft.Standardize(["a", "b"]).fit(train)
        >>> enc.transform(test)           # with_columns((col("a") - mean_a) / std_a, ...)
    """

    def __init__(self, columns: Any, with_mean: bool = True, with_std: bool = True) -> None:
        super().__init__(columns)
        for name, v in (("with_mean", with_mean), ("with_std", with_std)):
            if not isinstance(v, bool):
                raise InvalidArgumentError(f"{self._call('__init__')}: {name} must be a bool, got {v!r}")
        self.with_mean, self.with_std = with_mean, with_std

    def params(self) -> dict:
        return {"columns": list(self.columns), "with_mean": self.with_mean, "with_std": self.with_std}

    def _types(self):
        return NUMERIC_TYPES

    def _fit(self, frame: Frame, schema: dict, where: str) -> dict:
        stats = describe(frame, self.columns)
        mean, std = {}, {}
        for c in self.columns:
            n, m, sd = int(stats[c]["count"]), stats[c]["mean"], stats[c]["std"]
            if n == 0:  # nothing to learn from: transform gives nulls
                mean[c], std[c] = None, 1.0
                continue
            var = sd * sd * (n - 1) / n if n > 1 else 0.0  # describe's std is the sample one (ddof=1)
            constant = var <= n * _EPS * var + (n * m * _EPS) ** 2
            s = var ** 0.5
            mean[c], std[c] = m, 1.0 if (constant or s < 10 * _EPS) else s
        return {"mean": mean, "std": std}

    def _transform(self, frame: Frame, schema: dict, where: str) -> Frame:
        offsets = [self.state["mean"][c] if self.with_mean else 0.0 for c in self.columns]
        factors = [self.state["std"][c] if self.with_std else 1.0 for c in self.columns]
        if (isinstance(frame, DataFrame) and None not in offsets
                and all(schema[c] != "float32" for c in self.columns)):
            return _standardized(frame, self.columns, offsets, factors, where)
        exprs = []
        for c in self.columns:
            m, s = self.state["mean"][c], self.state["std"][c]
            offset = lit(None) if m is None else (m if self.with_mean else 0.0)
            factor = s if self.with_std else 1.0
            # float64, or float32 for a float32 column (a Python float next to float32 stays
            # float32 in weft, as scikit-learn keeps float32)
            exprs.append(((col(c) - offset) / factor).alias(c))
        return frame.with_columns(*exprs)

    @property
    def mean_(self) -> list:
        """The learned means, in the order of `columns` (None: the column had no values)."""
        return [self.state["mean"][c] for c in self.columns]

    @property
    def scale_(self) -> list:
        """The learned std per column (1 for a constant column)."""
        return [self.state["std"][c] for c in self.columns]


def _standardized(df: DataFrame, columns: list, offsets: list, factors: list,
                  where: str) -> DataFrame:
    """df with each column c replaced by (c - offset) / factor in float64 (the expression's
    values), every value read and written once on the CPU pool (weft_table_standardize);
    for integer and float64 columns."""
    n = len(columns)
    idx = (ctypes.c_size_t * n)(*[df._index(c, where) for c in columns])
    off = (ctypes.c_double * n)(*[float(o) for o in offsets])
    div = (ctypes.c_double * n)(*[float(f) for f in factors])
    out = _lib.weft_table_p()
    _check(_lib.weft_table_standardize(df._handle, n, idx, off, div, ctypes.byref(out)), where)
    return df._keeping_indexes(DataFrame._from_handle(out))


@register
class MinMax(Encoder):
    """``x * scale + min_`` with ``scale = (hi - lo) / (max - min)`` and ``min_ = lo - min *
    scale``, as scikit-learn's MinMaxScaler (a constant column gets range 1); ``(lo, hi)`` is
    `feature_range`. Nulls are left out of fit and stay null; min and max skip NaN (weft's
    and Polars' min / max). Output float64 (float32 for a float32 column)."""

    def __init__(self, columns: Any, feature_range: Sequence[float] = (0, 1)) -> None:
        super().__init__(columns)
        ok = isinstance(feature_range, (tuple, list)) and len(feature_range) == 2 and all(
            isinstance(v, (int, float)) and not isinstance(v, bool) for v in feature_range)
        if not ok or not feature_range[0] < feature_range[1]:
            raise InvalidArgumentError(f"{self._call('__init__')}: feature_range must be two numbers "
                                       f"(lo, hi) with lo < hi, got {feature_range!r}")
        self.feature_range = (float(feature_range[0]), float(feature_range[1]))

    def params(self) -> dict:
        return {"columns": list(self.columns), "feature_range": list(self.feature_range)}

    def _types(self):
        return NUMERIC_TYPES

    def _fit(self, frame: Frame, schema: dict, where: str) -> dict:
        stats = describe(frame, self.columns)
        lo_r, hi_r = self.feature_range
        data_min, data_max, scale, offset = {}, {}, {}, {}
        for c in self.columns:
            lo, hi = stats[c]["min"], stats[c]["max"]
            data_min[c], data_max[c] = lo, hi
            if lo is None:
                scale[c], offset[c] = 1.0, None
                continue
            rng = hi - lo
            scale[c] = (hi_r - lo_r) / (1.0 if rng < 10 * _EPS else rng)
            offset[c] = lo_r - lo * scale[c]
        return {"data_min": data_min, "data_max": data_max, "scale": scale, "min": offset}

    def _transform(self, frame: Frame, schema: dict, where: str) -> Frame:
        exprs = []
        for c in self.columns:
            s, o = self.state["scale"][c], self.state["min"][c]
            exprs.append((col(c) * s + (lit(None) if o is None else o)).alias(c))
        return frame.with_columns(*exprs)
