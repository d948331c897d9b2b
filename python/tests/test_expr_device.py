"""select / with_columns / filter on OpenCL and CUDA against the CPU, value for value
(floats compared by their bits, NaN equal to NaN), on random data with nulls, NaN and inf.
A device weft did not find is skipped with the backend's reason."""

import math
import struct

import polars as pl

import numpy as np
import pyarrow as pa
import pytest

import weft
from device_skip import require
from weft import col, lit

DEVICE_IDS = ["opencl:0", "cuda:0"]


def frame(rng, n):
    def nulls(values, rate=0.2, type=None):
        mask = rng.random(n) < rate
        return pa.array(values, mask=mask, type=type)

    f = rng.normal(0, 100, n)
    special = np.array([np.nan, np.inf, -np.inf, -0.0, 0.0])
    pick = rng.random(n) < 0.15
    f[pick] = rng.choice(special, size=int(pick.sum()))
    return weft.from_arrow(
        pa.table(
            {
                "i32": nulls(rng.integers(-1000, 1000, n, dtype=np.int32)),
                "i64": nulls(rng.integers(-(2**62), 2**62, n, dtype=np.int64)),
                "u8": nulls(rng.integers(0, 255, n, dtype=np.uint8)),
                "k": pa.array(rng.integers(-5, 5, n, dtype=np.int16)),
                "f64": nulls(f),
                "f32": nulls(rng.normal(0, 10, n).astype(np.float32)),
                "b": nulls(rng.random(n) < 0.5),
                "s": nulls([f"v{i % 13}" for i in range(n)], type=pa.string()),
            }
        )
    )


def same(a, b):
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, float):
        return (math.isnan(a) and math.isnan(b)) or struct.pack("<d", a) == struct.pack("<d", b)
    return a == b


def assert_same(want, got):
    assert want.columns == got.columns
    wa, ga = want.to_arrow(), got.to_arrow()
    assert wa.schema == ga.schema
    for name in wa.column_names:
        w, g = wa.column(name).to_pylist(), ga.column(name).to_pylist()
        assert len(w) == len(g)
        bad = [i for i, (x, y) in enumerate(zip(w, g)) if not same(x, y)]
        assert not bad, f"{name}: row {bad[0]}: cpu {w[bad[0]]!r}, device {g[bad[0]]!r}"


EXPRS = [
    (col("f64") + col("f32") * col("i32")).alias("arith"),
    (col("i64") * col("i32") - col("u8")).alias("wrap"),
    (col("i32") / col("k")).alias("div"),
    (col("i64") % col("k")).alias("mod_null_on_zero"),
    (col("f64") % col("f32")).alias("fmod"),
    (col("f64") < col("f32")).alias("lt"),
    ((col("f64") > 0) & col("b") | ~col("b")).alias("kleene"),
    col("i32").is_null().alias("isnull"),
    col("f64").fill_null(col("f32")).alias("filled"),
    col("f64").sqrt().alias("sqrt"),
    col("i32").abs().alias("abs"),
    col("i32").cast("float32").alias("cast_f32"),
    (col("u8") % 100).cast("int8").alias("cast_i8"),
    (lit(2.5) * lit(2)).alias("lits"),
]


@pytest.mark.parametrize("device", DEVICE_IDS)
@pytest.mark.parametrize("n", [0, 1, 1000, 4099, 100003])
def test_select_filter_match_cpu(device, n, rng):
    require(device)
    df = frame(rng, n)
    for e in EXPRS:
        assert_same(df.select(e, device="cpu"), df.select(e, device=device, strict=True))
    assert_same(
        df.with_columns(EXPRS[:3], device="cpu"),
        df.with_columns(EXPRS[:3], device=device, strict=True),
    )
    if n:
        assert str(weft.last_device()) == device, weft.last_report()
    for p in [col("f64") > 0, (col("i32") % 3 == 0) | col("b"), col("f32").is_null()]:
        assert_same(df.filter(p, device="cpu"), df.filter(p, device=device, strict=True))


@pytest.mark.parametrize("device", DEVICE_IDS)
def test_over_the_memory_cap(device, rng):
    require(device)
    df = frame(rng, 300001)
    e = (col("f64") * col("i32") + col("f32")).alias("x")
    with weft.memory_limit(device, 1 << 20):
        got = df.select(e, device=device, strict=True)
        report = weft.last_report()
        kept = df.filter(col("f64") > col("f32"), device=device, strict=True)
    assert "partitions" in report and f"{device}: 1 partitions" not in report, report
    assert_same(df.select(e, device="cpu"), got)
    assert_same(df.filter(col("f64") > col("f32"), device="cpu"), kept)


@pytest.mark.parametrize("device", DEVICE_IDS)
def test_strings_stay_on_the_cpu(device, rng):
    require(device)
    df = frame(rng, 100)
    e = col("s").str.len_chars()
    with pytest.raises(weft.UnsupportedError, match="string operation"):
        df.select(e, device=device, strict=True)
    got = df.select(e, device=device)
    assert "fell back to cpu: string operation" in weft.last_report()
    assert_same(df.select(e, device="cpu"), got)
    with pytest.raises(weft.UnsupportedError, match='utf8 column "s"'):
        df.filter(col("s") == "v1", device=device, strict=True)


@pytest.mark.parametrize("device", ["cpu"] + DEVICE_IDS)
def test_float_modulo_is_polars_formula_on_every_device(device, rng):
    # Polars' a - b * floor(a / b), not fmod's exact remainder: x % inf and x % 0 are NaN,
    # -0.0 % 3 is 0.0, and a divisor such as 0.3 rounds as the formula does
    if device != "cpu":
        require(device)
    n = 5000
    x = np.concatenate([[5.0, -5.0, np.inf, 5.0, 0.0, -0.0, 5.0, np.nan, 7.0, 2.35, -2.35],
                        rng.normal(0, 1e6, n)])
    y = np.concatenate([[np.inf, np.inf, 2.0, 0.0, 3.0, 3.0, -np.inf, 1.0, 0.3, 0.3, 0.3],
                        rng.choice([0.3, -0.7, 1e-3, 7.0, -2.5], n)])
    got = weft.DataFrame({"x": x, "y": y}).lazy().select((col("x") % col("y")).alias("m")) \
        .collect(device=device)["m"].to_numpy()
    want = pl.DataFrame({"x": x, "y": y}).select((pl.col("x") % pl.col("y")).alias("m"))["m"].to_numpy()
    assert np.array_equal(got.view(np.uint64), want.view(np.uint64)), np.flatnonzero(got != want)[:5]
