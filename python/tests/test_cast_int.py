"""Strict casts between integer types and from bool (expr_cast.c's one-pass integer path)
against Polars' strict cast: values that fit are copied, the first that does not is an
error naming it, a null never is (whatever its slot holds), bool gives 0 / 1."""

import numpy as np
import pyarrow as pa
import pytest

import weft

pl = pytest.importorskip("polars")

INTS = ["int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64"]


@pytest.mark.parametrize("src", INTS + ["bool"])
@pytest.mark.parametrize("dst", INTS)
@pytest.mark.parametrize("n", [1, 5, 1000, 70_001])
def test_int_casts_match_polars(src, dst, n):
    rng = np.random.default_rng(n + len(src) * 7 + len(dst))
    if src == "bool":
        values = rng.integers(0, 2, n).astype(bool)
    else:
        info = np.iinfo(src)
        # mostly small values (they fit), a few extremes
        values = rng.integers(-100 if info.min < 0 else 0, 100, n).astype(src)
        pick = rng.random(n) < (0.0 if n > 5 and rng.random() < 0.5 else 0.01)
        values[pick] = np.array([info.min, info.max], dtype=src)[rng.integers(0, 2, int(pick.sum()))]
    mask = rng.random(n) < 0.2
    t = pa.table({"x": pa.array(values, mask=mask)})
    ref = pl.from_arrow(t)["x"]
    try:
        want = ref.cast(getattr(pl, dst.capitalize().replace("Uint", "UInt")), strict=True).to_list()
    except Exception:  # noqa: BLE001 - Polars raises InvalidOperationError
        want = None
    df = weft.from_arrow(t)
    if want is None:
        with pytest.raises(weft.InvalidArgumentError, match="out of range"):
            df.select(weft.col("x").cast(dst))
    else:
        out = df.select(weft.col("x").cast(dst))
        assert out.schema["x"] == dst
        assert out["x"].to_list() == want


def test_null_slots_never_fail_a_cast():
    # the null's slot holds 1000, which int8 cannot: not an error, the row stays null
    t = pa.table({"x": pa.array(np.array([1, 1000, -3], dtype=np.int64), mask=np.array([0, 1, 0], bool))})
    assert weft.from_arrow(t).select(weft.col("x").cast("int8"))["x"].to_list() == [1, None, -3]
    with pytest.raises(weft.InvalidArgumentError, match="1000"):
        weft.DataFrame({"x": [1, 1000]}).select(weft.col("x").cast("int8"))
