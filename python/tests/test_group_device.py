"""group_by and unique on OpenCL (and CUDA when present), eager and lazy, checked against
Polars on fresh random data with nulls, NaN, -0.0 and short strings; the report and explain
name the device."""

import numpy as np
import pytest

import weft

import polars as pl
import polars.testing as plt
import weft.expr as expr

from polars_view import from_polars, to_polars
from test_group_sort import random_frame, both_aggs

col = expr.col

GPU_LIKE = [d.id for d in weft.devices() if d.id.split(":")[0] in ("opencl", "cuda")]
NUMERIC = ["sum", "mean", "min", "max", "count", "n_unique", "std", "var", "first", "last"]
NOT_MINMAX = ["count", "n_unique", "first", "last"]


def device_or_skip(kind):
    for d in GPU_LIKE:
        if d.startswith(kind):
            return d
    pytest.skip(f"no {kind} device: {[b for b in weft.backends() if not b.loaded]}")


@pytest.fixture(params=["opencl", "cuda"])
def device(request):
    return device_or_skip(request.param)


def with_zeros(frame, rng):
    # -0.0 next to 0.0 and NaN in a float key
    z = rng.choice([0.0, -0.0, 1.5, np.nan], len(frame))
    return frame.with_columns(pl.Series("z", z.tolist(), dtype=pl.Float64))


@pytest.mark.parametrize("n", [0, 1, 1023, 1025, 20011])
@pytest.mark.parametrize("keys", [["k"], ["s"], ["s", "b"], ["d", "k"], ["b"], ["z"], ["w"]])
def test_group_by_on_device_matches_polars(rng, tmp_path, device, n, keys):
    frame = with_zeros(random_frame(rng, n, groups=7 if n < 5000 else 3000), rng)
    df = from_polars(frame, tmp_path)
    ours, theirs = [], []
    for c, kinds in [("v", NUMERIC), ("i", NUMERIC), ("s", NOT_MINMAX), ("b", NUMERIC[2:]),
                     ("d", ["min", "max"] + NOT_MINMAX)]:
        o, t = both_aggs(c, kinds)
        ours += o
        theirs += t
    got = to_polars(df.group_by(keys).agg(ours, expr.len(), device=device, strict=True))
    report = weft.last_report()
    want = frame.group_by(keys, maintain_order=True).agg(theirs + [pl.len()])
    want = want.with_columns(pl.col("i_sum").cast(pl.Int64))
    plt.assert_frame_equal(got, want, check_exact=False, rel_tol=1e-12)
    if n > 0:
        assert f"{device} grouped" in report, report
        assert f"on {device}, 0 on cpu:0" in report, report


def test_utf8_min_max_and_long_keys_fall_back(rng, tmp_path, device):
    frame = random_frame(rng, 2000)
    df = from_polars(frame, tmp_path)
    got = to_polars(df.group_by("k").agg(col("s").max(), device=device))
    assert "fell back to cpu: utf8 max" in weft.last_report()
    plt.assert_frame_equal(got, frame.group_by("k", maintain_order=True).agg(pl.col("s").max()))
    with pytest.raises(weft.UnsupportedError, match="utf8 max"):
        df.group_by("k").agg(col("s").max(), device=device, strict=True)
    lazy = df.lazy().group_by("k").agg(col("s").max())
    assert "fell back to cpu: utf8 max" in lazy.explain(device=device).splitlines()[0]
    with pytest.raises(weft.UnsupportedError, match="utf8 max"):
        lazy.collect(device=device, strict=True)
    longer = frame.with_columns((pl.col("s") + "_longer").alias("s"))
    df = from_polars(longer, tmp_path)
    got = to_polars(df.group_by("s").agg(expr.len(), device=device))
    assert "fell back to cpu: utf8 key longer than 7 bytes" in weft.last_report()
    plt.assert_frame_equal(got, longer.group_by("s", maintain_order=True).agg(pl.len()),
                           check_dtypes=False)


@pytest.mark.parametrize("n", [0, 1, 3000, 100003])
def test_unique_on_device_matches_polars(rng, tmp_path, device, n):
    frame = with_zeros(random_frame(rng, n, groups=3 if n < 5000 else 50000), rng)
    df = from_polars(frame, tmp_path)
    for subset in [None, "k", ["s", "b"], ["d", "k", "b"], "z", "w"]:
        got = to_polars(df.unique(subset, device=device, strict=True))
        want = frame.unique(subset=subset, keep="first", maintain_order=True)
        plt.assert_frame_equal(got, want)
        if n > 0:
            assert f"{device} grouped" in weft.last_report()


def test_lazy_group_by_and_unique_on_device(rng, tmp_path, device):
    frame = random_frame(rng, 50_000, groups=500)
    df = from_polars(frame, tmp_path)
    q = df.lazy().filter(col("i") > -500).group_by(["k", "b"]).agg(
        col("v").sum().alias("vs"), col("i").max().alias("im"), col("v").std().alias("vsd"))
    plan = q.explain(device=device, strict=True)
    first = plan.splitlines()[0]
    assert first.startswith("GROUP_BY") and f"[{device}: requested]" in first, plan
    got = to_polars(q.collect(device=device, strict=True))
    assert f"{device} grouped" in weft.last_report() and f"on {device}, 0 on cpu:0" in weft.last_report()
    want = frame.filter(pl.col("i") > -500).group_by(["k", "b"], maintain_order=True).agg(
        pl.col("v").sum().alias("vs"), pl.col("i").max().alias("im"),
        pl.col("v").std().alias("vsd"))
    plt.assert_frame_equal(got, want, check_exact=False, rel_tol=1e-12)
    u = df.lazy().unique(["s", "d"])
    first = u.explain(device=device, strict=True).splitlines()[0]
    assert first.startswith("UNIQUE") and f"[{device}: requested]" in first, first
    got = to_polars(u.collect(device=device, strict=True))
    assert f"{device} grouped" in weft.last_report()
    plt.assert_frame_equal(got, frame.unique(subset=["s", "d"], keep="first", maintain_order=True))


def test_auto_keeps_small_inputs_on_the_cpu(rng, tmp_path):
    df = from_polars(random_frame(rng, 1000), tmp_path)
    df.group_by("k").agg(col("v").sum())
    report = weft.last_report()
    assert "cpu:0" in report and " grouped 1000 rows" not in report, report
