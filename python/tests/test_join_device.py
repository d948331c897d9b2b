"""DataFrame.join and LazyFrame.join on OpenCL and CUDA: equal to Polars' join (rows in left
order, each left row's matches in right order: maintain_order="left") on random data with
null keys, and, for float keys (NaN, -0.0), equal to weft's CPU join row for row. explain()
names the device for the join. A device weft did not find is skipped with the backend's
reason."""

import numpy as np
import polars as pl
import polars.testing as plt
import pytest

import weft
from device_skip import require

DEVICE_IDS = ["opencl:0", "cuda:0"]
HOWS = ["inner", "left", "semi", "anti"]
WORDS = ["", "a", "β", "abcdefg", "abcdefgh", "日本語", "a-key-longer-than-sixteen-bytes"]


def with_nulls(rng, values, rate=0.1):
    return [None if m else v for v, m in zip(values, rng.random(len(values)) < rate)]


def sides(rng, nl, nr, key_range):
    """Left: k (int64), s (utf8), f (float64 with NaN and -0.0), v; right: the same keys, w."""
    def side(n, payload):
        k = rng.integers(0, key_range, n)
        f = rng.integers(-3, 4, n).astype(np.float64)
        f[rng.random(n) < 0.1] = np.nan
        f[f == 0] = np.where(rng.random(int((f == 0).sum())) < 0.5, -0.0, 0.0)
        return pl.DataFrame({
            "k": pl.Series(with_nulls(rng, k.tolist()), dtype=pl.Int64),
            "s": pl.Series(with_nulls(rng, [WORDS[i % len(WORDS)] + str(i // len(WORDS)) for i in k]),
                           dtype=pl.String),
            "f": pl.Series(with_nulls(rng, f.tolist()), dtype=pl.Float64),
            payload: pl.Series(rng.standard_normal(n), dtype=pl.Float64),
        })
    return side(nl, "v"), side(nr, "w")


def to_weft(frame):
    return weft.from_arrow(frame.to_arrow())


@pytest.mark.parametrize("device", DEVICE_IDS)
@pytest.mark.parametrize("how", HOWS)
@pytest.mark.parametrize("sizes", [(0, 5), (5, 0), (1, 1), (1023, 1025), (100003, 20011)])
def test_join_matches_polars(device, how, sizes, rng):
    require(device)
    nl, nr = sizes
    left, right = sides(rng, nl, nr, max(nr // 2, 3))
    wl, wr = to_weft(left), to_weft(right.drop("f"))
    for on in (["k"], ["s"], ["k", "s"]):
        want = left.join(right.drop("f"), on=on, how=how, maintain_order="left")
        got = wl.join(wr, on=on, how=how, device=device, strict=True)
        if nl and nr:
            assert str(weft.last_device()) == device, weft.last_report()
        plt.assert_frame_equal(got.to_polars(), want)


@pytest.mark.parametrize("device", DEVICE_IDS)
@pytest.mark.parametrize("how", HOWS)
def test_float_keys_equal_the_cpu(device, how, rng):
    require(device)
    left, right = sides(rng, 5003, 2001, 50)
    wl, wr = to_weft(left), to_weft(right)
    for on in (["f"], ["f", "k"]):
        cpu = wl.join(wr, on=on, how=how, device="cpu")
        got = wl.join(wr, on=on, how=how, device=device, strict=True)
        plt.assert_frame_equal(got.to_polars(), cpu.to_polars())
        # -0.0 matches 0.0 and NaN matches NaN, as on the CPU (hash_keys.c)
        if how == "semi" and on == ["f"]:
            kept = got.to_polars()["f"]
            assert kept.is_nan().any() and (kept == 0).any()


@pytest.mark.parametrize("device", DEVICE_IDS)
@pytest.mark.parametrize("how", HOWS)
def test_lazy_join_on_the_device(device, how, rng):
    require(device)
    left, right = sides(rng, 30011, 4099, 3000)
    lazy = to_weft(left).lazy().filter(weft.col("v") > -1.0).join(
        to_weft(right.drop("f")).lazy(), on=["k", "s"], how=how)
    text = lazy.explain(device=device, strict=True)
    join_line = next(line for line in text.splitlines() if "JOIN" in line)
    assert f"[{device}: requested]" in join_line, text
    got = lazy.collect(device=device, strict=True)
    assert f"{device} (" in weft.last_report(), weft.last_report()
    want = (left.filter(pl.col("v") > -1.0)
            .join(right.drop("f"), on=["k", "s"], how=how, maintain_order="left"))
    plt.assert_frame_equal(got.to_polars(), want)
