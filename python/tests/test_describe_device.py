"""DataFrame.describe on OpenCL and CUDA: describe(device=, strict=True) equals the CPU's
describe bit for bit (mean and std included: the device computes the CPU's blocks and the
host merges them with the CPU's code) and Polars' describe as test_describe.py compares it,
on random numbers of every type with nulls and NaN, bool, dates, timestamps, empty, one-row
and sliced frames; the report and last_device name the device; a utf8 column falls back to
the CPU (strict: an error); a memory cap below one block falls back (strict: an error). A
device weft did not find is skipped with the backend's reason."""

import datetime

import numpy as np
import pyarrow as pa
import pytest

import weft
from device_skip import require
from test_describe import assert_same, random_numbers

pl = pytest.importorskip("polars")

DEVICE_IDS = ["opencl:0", "cuda:0"]
PCT = [0.0, 0.1, 0.25, 0.5, 0.75, 0.99, 1.0]


def frame(rng, n):
    """Numbers of every type (nulls, NaN, +-inf, -0.0 in the floats), bool, date, timestamp."""
    p = random_numbers(rng, n)
    special = np.array([np.nan, np.inf, -np.inf, -0.0, 0.0])
    f = p["float64"].to_numpy().copy()
    pick = rng.random(n) < 0.05
    f[pick] = rng.choice(special, size=int(pick.sum()))
    nulls = pl.Series(p["float64"].is_null().to_numpy())
    f = pl.select(pl.when(nulls).then(None).otherwise(pl.Series(f))).to_series().alias("float64")
    mask = rng.random(n) < 0.2
    days = rng.integers(-20000, 20000, n)
    micros = rng.integers(-(2**40), 2**40, n)
    return p.with_columns(
        f,
        pl.Series("b", [None if m else bool(k) for k, m in zip(rng.integers(0, 2, n), mask)],
                  dtype=pl.Boolean),
        pl.Series("d", [None if m else datetime.date(1970, 1, 1) + datetime.timedelta(days=int(k))
                        for k, m in zip(days, mask[::-1])], dtype=pl.Date),
        pl.Series("t", [None if m else datetime.datetime(1970, 1, 1) + datetime.timedelta(microseconds=int(k))
                        for k, m in zip(micros, mask)], dtype=pl.Datetime("us")),
    )


def assert_identical(got, want):
    """Same names, types, nulls, text; float64 cells by their bits."""
    a, b = got.to_arrow(), want.to_arrow()
    assert a.schema == b.schema
    for name in b.column_names:
        x, y = a.column(name).combine_chunks(), b.column(name).combine_chunks()
        assert x.is_null().to_pylist() == y.is_null().to_pylist(), name
        if pa.types.is_floating(y.type):
            xb = x.fill_null(0).to_numpy(zero_copy_only=False).view(np.uint64)
            yb = y.fill_null(0).to_numpy(zero_copy_only=False).view(np.uint64)
            assert xb.tolist() == yb.tolist(), (name, x.to_pylist(), y.to_pylist())
        else:
            assert x.to_pylist() == y.to_pylist(), name


@pytest.mark.parametrize("device", DEVICE_IDS)
@pytest.mark.parametrize("n", [0, 1, 2049, 70001])
def test_device_equals_cpu_and_polars(device, n, rng):
    require(device)
    p = frame(rng, n)
    df = weft.DataFrame(p)
    got = df.describe(PCT, device=device, strict=True)
    report = weft.last_report()
    assert f"{device}: {p.width} columns (block statistics on the device" in report, report
    assert str(weft.last_device()) == device, report
    assert_identical(got, df.describe(PCT, device="cpu"))
    if n:
        assert_same(got, p.describe(percentiles=PCT), rel=1e-9)


@pytest.mark.parametrize("device", DEVICE_IDS)
def test_sliced_frame_on_the_device(device, rng):
    require(device)
    df = weft.DataFrame(frame(rng, 6001)).slice(13, 4001)
    assert_identical(df.describe(device=device, strict=True), df.describe(device="cpu"))


@pytest.mark.parametrize("device", DEVICE_IDS)
def test_utf8_column_falls_back(device, rng):
    require(device)
    p = frame(rng, 3001).with_columns(pl.Series("s", [f"w{k}" for k in rng.integers(0, 50, 3001)]))
    df = weft.DataFrame(p)
    got = df.describe(device=device)
    report = weft.last_report()
    assert "column 's': fell back to cpu: utf8 min and max" in report, report
    assert f"{device}: {p.width - 1} columns" in report, report
    assert_identical(got, df.describe(device="cpu"))
    with pytest.raises(weft.UnsupportedError, match="column 's'"):
        df.describe(device=device, strict=True)


@pytest.mark.parametrize("device", DEVICE_IDS)
def test_memory_cap_falls_back(device, rng):
    require(device)
    df = weft.DataFrame(frame(rng, 5000))
    with weft.memory_limit(device, 1024):
        got = df.describe(device=device)
        report = weft.last_report()
        with pytest.raises(weft.DeviceMemoryError, match="limit"):
            df.describe(device=device, strict=True)
    assert f"fell back to cpu: device {device}" in report, report
    assert_identical(got, df.describe(device="cpu"))


def test_small_describe_stays_on_the_cpu_under_auto(rng):
    weft.DataFrame(frame(rng, 1000)).describe()
    assert "small input (1000 rows" in weft.last_report(), weft.last_report()
    assert str(weft.last_device()) == "cpu:0"
