"""Drawing rows: DataFrame.sample and shuffle, and weft.train_test_split.

Rows are drawn in the order of weft's own seeded permutation (weft.batches.shuffled_rows,
computed in C on the CPU pool; the same on every run, machine and thread count, though not
numpy's or Polars' rows for the same seed) and gathered in C (weft_table_take). So
df.shuffle(seed=s) is the order of df.iter_batches(shuffle=True, seed=s), and
df.sample(k, shuffle=True, seed=s) its first k rows. Only sampling with replacement draws
from numpy's Generator(seed).

    >>> train, test = weft.train_test_split(df, test_size=0.2, seed=0, stratify="label")

train_test_split follows scikit-learn: a float test_size takes ceil(test_size * rows) rows
for the test set, an int that many. Stratified, each class (a distinct value of the column,
null one class) gets floor(test_size' * its rows) test rows, test_size' being the test
share actually taken, and the rows still missing from the total go one each to the classes
with the largest remainders, ties to the smaller class value (the largest-remainder method;
scikit-learn breaks such ties at random). So every class's test count is the floor or the
ceiling of its exact share and the total is scikit-learn's. Each class is shuffled by the
seed's one permutation of all rows: its rows in that permutation's order (a uniform order
of the class), the first ones to the test set; then train and test keep that order too.
"""

from __future__ import annotations

import math
from typing import Any, Optional, Union

import numpy as np

from .batches import check_seed, shuffled_rows, take
from .errors import InvalidArgumentError
from .frame import DataFrame

__all__ = ["sample", "shuffle", "train_test_split"]


def _is_int(x: Any) -> bool:
    return isinstance(x, (int, np.integer)) and not isinstance(x, (bool, np.bool_))


def sample(df: DataFrame, n: Optional[int] = None, fraction: Optional[float] = None,
           with_replacement: bool = False, shuffle: bool = False,
           seed: Optional[int] = None) -> DataFrame:
    """DataFrame.sample: see there."""
    where = "DataFrame.sample"
    seed = check_seed(seed, where)
    h = df.height
    if n is not None and fraction is not None:
        raise InvalidArgumentError(f"{where}: give n or fraction, not both (n={n!r}, fraction={fraction!r})")
    if fraction is not None:
        if isinstance(fraction, (bool, np.bool_)) or not isinstance(fraction, (int, float, np.integer, np.floating)) \
                or not math.isfinite(fraction) or fraction < 0 or (fraction > 1 and not with_replacement):
            raise InvalidArgumentError(
                f"{where}: fraction must be in [0, 1] (above 1 only with with_replacement=True), "
                f"got {fraction!r}")
        n = int(fraction * h)  # truncated, as Polars
    elif n is None:
        n = 1  # Polars' default
    if not _is_int(n) or n < 0:
        raise InvalidArgumentError(f"{where}: n must be an integer >= 0, got {n!r}")
    if n > h and not with_replacement:
        raise InvalidArgumentError(f"{where}: n={n} is more than the {h} rows; sampling without "
                                   "replacement cannot (pass with_replacement=True)")
    if with_replacement:
        if h == 0 and n > 0:
            raise InvalidArgumentError(f"{where}: n={n} rows from an empty DataFrame")
        rows = np.random.default_rng(seed).integers(0, h, size=n, dtype=np.int64)
        if not shuffle:
            rows = np.sort(rows)
        return take(df, rows, where)
    rows = shuffled_rows(h, _fresh(seed), 0, n)
    if not shuffle:  # the rows keep the DataFrame's order: marked, then listed (no sort)
        keep = np.zeros(h, dtype=bool)
        keep[rows] = True
        rows = np.flatnonzero(keep)
    return take(df, rows, where)


def _fresh(seed: Optional[int]) -> int:
    """The seed, or a random one for None."""
    return int(np.random.default_rng().integers(0, 2**63)) if seed is None else seed


def shuffle(df: DataFrame, seed: Optional[int] = None) -> DataFrame:
    """DataFrame.shuffle: see there."""
    seed = _fresh(check_seed(seed, "DataFrame.shuffle"))
    return take(df, shuffled_rows(df.height, seed), "DataFrame.shuffle")


def _test_count(test_size: Any, n: int, where: str) -> int:
    if _is_int(test_size):
        if not 0 <= test_size <= n:
            raise InvalidArgumentError(f"{where}: test_size as a row count must be in [0, {n}] "
                                       f"(the rows), got {test_size!r}")
        return int(test_size)
    if isinstance(test_size, (float, np.floating)) and 0.0 < test_size < 1.0:
        return math.ceil(test_size * n)
    raise InvalidArgumentError(f"{where}: test_size must be a float in (0, 1) or a row count, "
                               f"got {test_size!r}")


def _class_ids(df: DataFrame, column: str, order: np.ndarray, where: str):
    """(the rows in `order` sorted by the column, stably, so each class's rows keep their
    order in `order`; and each sorted row's class number)."""
    idx = "__weft_row__"
    while idx in df.columns:
        idx += "_"
    df._index(column, where)  # an unknown column: NotFoundError naming the call
    keyed = take(df.select(column).with_row_index(idx, 0), order, where)
    ordered = keyed.sort(column)  # C radix sort; stable, nulls first
    rows = ordered[idx].to_numpy().astype(np.int64, copy=False)
    key = ordered[column]
    values, valid = key.to_numpy(), key._valid_mask()
    if len(rows) < 2:
        return rows, np.zeros(len(rows), dtype=np.int64)
    change = values[1:] != values[:-1]
    if values.dtype.kind == "f":
        change &= ~(np.isnan(values[1:]) & np.isnan(values[:-1]))  # NaN is one class
    if valid is not None:
        both = valid[1:] & valid[:-1]
        change = np.where(both, change, valid[1:] != valid[:-1])
    cid = np.empty(len(rows), dtype=np.int64)
    cid[0] = 0
    np.cumsum(change, out=cid[1:])
    return rows, cid


def _stratified_test(cid: np.ndarray, n_test: int) -> np.ndarray:
    """A bool mask over the class-sorted rows: the test rows, n_test in all, per class by
    the largest-remainder rule (module docstring), each class's first rows (the rows are in
    the seed's order within a class)."""
    counts = np.bincount(cid)
    exact = counts * (n_test / len(cid))
    quota = np.floor(exact).astype(np.int64)
    missing = n_test - int(quota.sum())
    order = np.argsort(-(exact - quota), kind="stable")  # largest remainder first
    quota[order[:missing]] += 1
    starts = np.cumsum(counts) - counts
    rank = np.arange(len(cid), dtype=np.int64)
    rank -= starts[cid]  # each row's place within its class
    return rank < quota[cid]


def train_test_split(df: DataFrame, test_size: Union[float, int] = 0.25,
                     seed: Optional[int] = None, stratify: Optional[str] = None,
                     shuffle: bool = True) -> tuple[DataFrame, DataFrame]:
    """(train, test): the rows split as scikit-learn's train_test_split does (test_size a
    float in (0, 1): ceil(test_size * rows) test rows; an int: that many). shuffle=False
    takes the last rows as the test set, without copying. stratify: a column whose every
    class keeps its share in the test set (see weft.splits for the rule; needs shuffle).
    seed: an int for the same split every time."""
    where = "weft.train_test_split"
    if not isinstance(df, DataFrame):
        raise InvalidArgumentError(f"{where}: expected a weft DataFrame, got {type(df).__name__}")
    seed = check_seed(seed, where)
    n = df.height
    n_test = _test_count(test_size, n, where)
    if stratify is not None and not isinstance(stratify, str):
        raise InvalidArgumentError(f"{where}: stratify must be a column name or None, got {stratify!r}")
    if not shuffle:
        if stratify is not None:
            raise InvalidArgumentError(f"{where}: stratify={stratify!r} needs shuffle=True "
                                       "(as scikit-learn)")
        return df.slice(0, n - n_test), df.slice(n - n_test, n_test)
    perm = shuffled_rows(n, _fresh(seed))
    if stratify is None:
        test_rows, train_rows = perm[:n_test], perm[n_test:]
    else:
        rows, cid = _class_ids(df, stratify, perm, where)
        in_test = np.zeros(n, dtype=bool)  # by row number
        if n:
            in_test[rows] = _stratified_test(cid, n_test)
        chosen = in_test[perm]  # both sets in the permutation's order
        test_rows, train_rows = perm[chosen], perm[~chosen]
    return take(df, train_rows, where), take(df, test_rows, where)
