"""Sort on OpenCL and CUDA: df.sort(..., device=) and lazy .sort().collect(device=) equal
Polars' stable sort on random data with nulls, NaN, inf and strings sharing 8-byte prefixes,
and the device's permutation equals the CPU's (-0.0 included); explain names the device for
the sort and the report says it sorted there. A device weft did not find is skipped with
the backend's reason."""

import datetime

import numpy as np
import polars as pl
import polars.testing as plt
import pyarrow as pa
import pytest

import weft
from device_skip import require

DEVICE_IDS = ["opencl:0", "cuda:0"]
WORDS = ["", "a", "abcdefgh", "abcdefgha", "abcdefghb", "abcdefgh ", "zzzzzzzzzz", "zzzzzzzz", "日本語"]


def table(rng, n, zeros=False):
    def nulls(values, type=None, rate=0.1):
        return pa.array(values, mask=rng.random(n) < rate, type=type)

    f = rng.normal(0, 10, n).round(1)
    special = np.array([np.nan, np.inf, -np.inf] + ([-0.0, 0.0] if zeros else []))
    pick = rng.random(n) < 0.1
    f[pick] = rng.choice(special, size=int(pick.sum()))
    days = rng.integers(0, 50, n)
    return pa.table({
        "i": nulls(rng.integers(-20, 20, n)),
        "w": nulls(rng.integers(-(2**62), 2**62, n)),
        "u": nulls(rng.integers(0, 200, n).astype(np.uint8)),
        "f": nulls(f),
        "g": nulls(f.astype(np.float32)),
        "s": nulls([WORDS[k] for k in rng.integers(0, len(WORDS), n)], type=pa.string()),
        "b": nulls(rng.random(n) < 0.5),
        "d": nulls([datetime.date(2020, 1, 1) + datetime.timedelta(days=int(x)) for x in days], pa.date32()),
        "row": pa.array(np.arange(n)),
    })


KEYS = [(["i"], [False]), (["f"], [True]), (["s", "w"], [False, True]),
        (["b", "d", "g"], [True, False, True]), (["u", "s", "f"], [False, True, False])]


@pytest.mark.parametrize("device", DEVICE_IDS)
@pytest.mark.parametrize("n", [0, 1, 1025, 100003])
def test_sort_matches_polars(device, n, rng):
    require(device)
    t = table(rng, n)
    df, want_df = weft.from_arrow(t), pl.from_arrow(t)
    for by, desc in KEYS:
        got = df.sort(by, descending=desc, device=device, strict=True)
        if n > 1:
            report = weft.last_report()
            assert f"{device}: radix sort of " in report, report
            assert str(weft.last_device()) == device, report
        want = want_df.sort(by, descending=desc, maintain_order=True)  # nulls first, as Polars
        plt.assert_frame_equal(got.to_polars(), want)


@pytest.mark.parametrize("device", DEVICE_IDS)
def test_permutation_equals_the_cpu(device, rng):
    require(device)
    df = weft.from_arrow(table(rng, 5003, zeros=True))
    for by, desc in KEYS + [(["f", "g"], [False, True])]:
        cpu = df.sort(by, descending=desc, device="cpu").to_arrow().column("row").to_pylist()
        dev = df.sort(by, descending=desc, device=device, strict=True).to_arrow().column("row").to_pylist()
        assert cpu == dev, by


@pytest.mark.parametrize("device", DEVICE_IDS)
@pytest.mark.parametrize("nulls_last", [False, True])
def test_lazy_sort_on_the_device(device, nulls_last, rng):
    require(device)
    t = table(rng, 20011)
    lf = weft.from_arrow(t).lazy().sort("s", "f", descending=[True, False], nulls_last=nulls_last)
    text = lf.explain(device=device, strict=True)
    line = next(x for x in text.splitlines() if x.startswith("SORT"))
    assert f"[{device}: requested]" in line, text
    got = lf.collect(device=device, strict=True)
    assert f"{device}: radix sort of " in weft.last_report(), weft.last_report()
    want = pl.from_arrow(t).sort("s", "f", descending=[True, False], nulls_last=nulls_last,
                                 maintain_order=True)
    plt.assert_frame_equal(got.to_polars(), want)


@pytest.mark.parametrize("device", DEVICE_IDS)
def test_over_the_memory_cap_falls_back(device, rng):
    require(device)
    t = table(rng, 30000)
    df = weft.from_arrow(t)
    with weft.memory_limit(device, 1 << 16):
        got = df.sort(["w"], device=device)
        report = weft.last_report()
        with pytest.raises(weft.DeviceMemoryError) as err:
            df.sort(["w"], device=device, strict=True)
    assert f"{device}: fell back to cpu: " in report and "cpu:0: radix sort" in report, report
    assert "limit" in str(err.value)
    plt.assert_frame_equal(got.to_polars(), pl.from_arrow(t).sort("w", maintain_order=True))


def test_small_sort_stays_on_the_cpu_under_auto(rng):
    df = weft.from_arrow(table(rng, 1000))
    df.sort(["i"])
    assert "small input (1000 rows" in weft.last_report(), weft.last_report()
    assert str(weft.last_device()) == "cpu:0"
