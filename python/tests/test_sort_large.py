"""Sorts large enough for the CPU radix sort's MSD split (frame/sort/sort_radix.c: 2^18 pairs and
more, buckets split again while larger than the cache): the order and its stability
against numpy's stable argsort, on keys whose digits are skewed (floats crowd a few
exponents), all equal, few distinct, spread over every bit, negative, and two keys."""

import numpy as np
import pytest

import weft

N = 300_001


def _keys(rng, kind):
    if kind == "uniform floats":
        return rng.random(N)
    if kind == "normal floats":
        return rng.normal(size=N) * 1e3
    if kind == "few distinct":
        return rng.integers(0, 5, N)
    if kind == "all equal":
        return np.full(N, 7, dtype=np.int64)
    if kind == "full range ints":
        return rng.integers(-(2**63), 2**63 - 1, N, dtype=np.int64)
    if kind == "skewed ints":  # 90% of the keys below 1000, the rest spread up to 2^40
        k = rng.integers(0, 1000, N)
        wide = rng.random(N) < 0.1
        k[wide] = rng.integers(0, 2**40, int(wide.sum()))
        return k
    if kind == "int32":
        return rng.integers(-(2**31), 2**31 - 1, N).astype(np.int32)
    if kind == "floats with -0.0 and NaN":  # their words do not decode: the column is gathered
        k = rng.normal(size=N)
        k[rng.random(N) < 0.01] = -0.0
        k[rng.random(N) < 0.01] = np.nan
        return k
    raise ValueError(kind)


@pytest.mark.parametrize("kind", ["uniform floats", "normal floats", "few distinct", "all equal",
                                  "full range ints", "skewed ints", "int32", "floats with -0.0 and NaN"])
@pytest.mark.parametrize("descending", [False, True])
def test_large_sort_is_numpys_stable_order(rng, kind, descending):
    k = _keys(rng, kind)
    df = weft.DataFrame({"k": k, "row": np.arange(N, dtype=np.int64)})
    out = df.sort("k", descending=descending, device="cpu")
    got = out["row"].to_numpy()
    if descending:  # stable descending: equal keys keep their order
        want = np.lexsort((np.arange(N), -_rank(k)))
    else:
        want = np.argsort(k, kind="stable")
    if kind == "floats with -0.0 and NaN":  # weft puts NaN last ascending, first descending
        want = _nan_order(k, descending)
    np.testing.assert_array_equal(got, want)
    # the key column itself (decoded from the sorted words, or gathered): bit for bit
    np.testing.assert_array_equal(out["k"].to_numpy().view(np.uint8), k[want].view(np.uint8))


def _rank(k):
    """Dense rank of each key (so descending order is ascending order of the negated rank)."""
    _, inv = np.unique(k, return_inverse=True)
    return inv.astype(np.int64)


def test_large_two_key_sort(rng):
    a = rng.integers(0, 1000, N)
    b = rng.random(N)
    df = weft.DataFrame({"a": a, "b": b, "row": np.arange(N, dtype=np.int64)})
    out = df.sort(["a", "b"], descending=[False, True], device="cpu")
    want = np.lexsort((np.arange(N), -_rank(b), a))
    np.testing.assert_array_equal(out["row"].to_numpy(), want)
    np.testing.assert_array_equal(out["a"].to_numpy(), a[want])
    np.testing.assert_array_equal(out["b"].to_numpy(), b[want])


def _nan_order(k, descending):
    """Stable order with NaN above every number and -0.0 equal to 0.0."""
    rank = _rank(np.where(np.isnan(k), np.inf, k + 0.0))
    rank = np.where(np.isnan(k), rank.max(initial=0) + 1, rank)
    return np.lexsort((np.arange(N), -rank if descending else rank))


def test_one_key_sort_moves_every_column_type_with_the_keys(rng):
    """One key on the CPU: fixed-width columns move with the keys (frame/sort/sort_carry.c), the
    others (bool, utf8, with nulls) are gathered by row numbers carried the same way; every
    column must come out as pyarrow's own take of the stable order, nulls included."""
    pa = pytest.importorskip("pyarrow")
    k = rng.random(N)
    i32 = rng.integers(-1000, 1000, N).astype(np.int32)
    tbl = pa.table({
        "i8": pa.array(rng.integers(-100, 100, N).astype(np.int8)),
        "k": pa.array(k),
        "u16": pa.array(rng.integers(0, 60000, N).astype(np.uint16)),
        "f32": pa.array(rng.random(N).astype(np.float32)),
        "i32_nulls": pa.array(i32, mask=rng.random(N) < 0.1),
        "flag": pa.array(rng.random(N) < 0.5),
        "day": pa.array(rng.integers(0, 20000, N).astype(np.int32)).view(pa.date32()),
        "ts": pa.array(rng.integers(0, 2**50, N), type=pa.timestamp("us")),
        "name": pa.array([f"s{x}" for x in rng.integers(0, 5000, N)], mask=rng.random(N) < 0.05),
    })  # fmt: skip
    want = np.argsort(k, kind="stable")
    for sliced in (False, True):
        t, w = (tbl.slice(3, N - 10), np.argsort(k[3:N - 7], kind="stable")) if sliced else (tbl, want)
        out = weft.from_arrow(t).sort("k", device="cpu")
        assert "moved with the keys" in weft.last_report()
        assert out.to_arrow().equals(t.take(pa.array(w))), f"sliced={sliced}"


def test_crowded_key_takes_the_permutation_and_agrees(rng):
    """Nine in ten keys share their top 16 bits: one thread would sort most of the carried
    split, so the sort goes by a permutation; both ways give the same table."""
    k = rng.integers(0, 256, N) + (5 << 40)
    k = np.where(rng.random(N) < 0.1, rng.integers(0, 2**62, N), k)
    v = rng.random(N)
    out = weft.DataFrame({"k": k, "v": v}).sort("k", device="cpu")
    assert "moved with the keys" not in weft.last_report()
    want = np.argsort(k, kind="stable")
    np.testing.assert_array_equal(out["v"].to_numpy(), v[want])
    np.testing.assert_array_equal(out["k"].to_numpy(), k[want])
