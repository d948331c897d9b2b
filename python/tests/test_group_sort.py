"""group_by / sort / unique checked against Polars (group_by(maintain_order=True),
sort(nulls_last=True, maintain_order=True), unique(keep="first", maintain_order=True)) on
fresh random data with nulls, NaN and strings; empty and one-row tables."""

import datetime

import numpy as np
import pytest

import weft

import polars as pl
import polars.testing as plt
import weft.expr as expr

from polars_view import from_polars, to_polars

col = expr.col


WORDS = ["a", "b", "ab", "", "zz", "日本", "b "]


def random_frame(rng, n, groups=5, null_rate=0.15):
    def nulls(values):
        return [None if m else v for v, m in zip(values, rng.random(n) < null_rate)]

    floats = rng.standard_normal(n) * 100
    floats[rng.random(n) < 0.05] = np.nan
    return pl.DataFrame({
        "k": pl.Series(nulls(rng.integers(-groups, groups, n).tolist()), dtype=pl.Int64),
        "s": pl.Series(nulls([WORDS[i] for i in rng.integers(0, len(WORDS), n)]), dtype=pl.String),
        "b": pl.Series(nulls((rng.random(n) < 0.5).tolist()), dtype=pl.Boolean),
        "d": pl.Series(nulls([datetime.date(2020, 1, 1) + datetime.timedelta(days=int(x))
                              for x in rng.integers(0, groups, n)]), dtype=pl.Date),
        "v": pl.Series(nulls(floats.tolist()), dtype=pl.Float64),
        "i": pl.Series(nulls(rng.integers(-1000, 1000, n).tolist()), dtype=pl.Int64),
        "w": pl.Series(nulls(rng.integers(-(2**40), 2**40, n).tolist()), dtype=pl.Int64),
    })


def both_aggs(c, kinds):
    """The same aggregations for weft and for Polars, named alike."""
    ours, theirs = [], []
    for k in kinds:
        name = f"{c}_{k}"
        ours.append(getattr(col(c), k)().alias(name))
        theirs.append(getattr(pl.col(c), k)().alias(name))
    return ours, theirs


NUMERIC = ["sum", "mean", "min", "max", "count", "n_unique", "std", "var", "first", "last"]
ANY = ["min", "max", "count", "n_unique", "first", "last"]


@pytest.mark.parametrize("n", [0, 1, 17, 5000])
@pytest.mark.parametrize("keys", [["k"], ["s"], ["s", "b"], ["d", "k"], ["b"]])
def test_group_by_matches_polars(rng, tmp_path, n, keys):
    frame = random_frame(rng, n)
    df = from_polars(frame, tmp_path)
    ours, theirs = [], []
    for c, kinds in [("v", NUMERIC), ("i", NUMERIC), ("s", ANY), ("b", ANY), ("d", ANY)]:
        o, t = both_aggs(c, kinds)
        ours += o
        theirs += t
    got = to_polars(df.group_by(keys).agg(ours, expr.len()))
    want = frame.group_by(keys, maintain_order=True).agg(theirs + [pl.len()])
    want = want.with_columns(pl.col("i_sum").cast(pl.Int64))
    plt.assert_frame_equal(got, want, check_exact=False)
    assert "cpu:0" in weft.last_report()


@pytest.mark.parametrize("keys", [["k"], ["s"], ["s", "b"], ["k", "s"]])
def test_group_by_across_partitions_matches_polars(rng, tmp_path, keys):
    # enough rows for several row ranges per key path (direct index, one utf8 key, hashing),
    # many groups, sum and mean of one column side by side, and an expression input
    frame = random_frame(rng, 300_001, groups=2000)
    df = from_polars(frame, tmp_path)
    ours = [col("v").sum().alias("vs"), col("v").mean().alias("vm"), col("i").mean().alias("im"),
            col("i").sum().alias("is"), (col("v") * 2.0).sum().alias("v2"), expr.len()]
    theirs = [pl.col("v").sum().alias("vs"), pl.col("v").mean().alias("vm"),
              pl.col("i").mean().alias("im"), pl.col("i").sum().alias("is"),
              (pl.col("v") * 2.0).sum().alias("v2"), pl.len()]
    got = to_polars(df.group_by(keys).agg(ours))
    want = frame.group_by(keys, maintain_order=True).agg(theirs)
    plt.assert_frame_equal(got, want, check_exact=False, check_dtypes=False)


def test_group_by_no_keys_and_wide_ints(rng, tmp_path):
    frame = random_frame(rng, 3001, groups=1000)
    df = from_polars(frame, tmp_path)
    o, t = both_aggs("v", ["sum", "mean", "std"])
    got = to_polars(df.group_by([]).agg(o))
    plt.assert_frame_equal(got, frame.select(t), check_exact=False)
    o, t = both_aggs("v", ["sum", "max"])
    got = to_polars(df.group_by("w").agg(o))  # wide int64 keys: the hash path
    plt.assert_frame_equal(got, frame.group_by("w", maintain_order=True).agg(t), check_exact=False)


def test_group_by_errors(rng, tmp_path):
    df = from_polars(random_frame(rng, 10), tmp_path)
    with pytest.raises(weft.InvalidArgumentError, match="column name, not an aggregation"):
        df.group_by("k").agg("v")
    with pytest.raises(weft.NotFoundError, match="nope"):
        df.group_by("nope").agg(col("v").sum())
    with pytest.raises(weft.InvalidArgumentError, match="sum"):
        df.group_by("k").agg(col("s").sum())
    with pytest.raises(weft.InvalidArgumentError, match="twice"):
        df.group_by("k").agg(col("v").sum().alias("k"))


@pytest.mark.parametrize("n", [0, 1, 2, 999, 20001])
def test_sort_matches_polars(rng, tmp_path, n):
    frame = random_frame(rng, n, groups=50).with_row_index("row")
    df = from_polars(frame, tmp_path)
    cases = [("v", False), ("v", True), ("k", True), ("s", False), ("b", True), ("d", False),
             (["s", "v"], [False, True]), (["b", "k", "i"], [True, False, True]), (["d", "s"], False)]
    for by, desc in cases:
        got = to_polars(df.sort(by, descending=desc))
        want = frame.sort(by, descending=desc, maintain_order=True)  # Polars' default: nulls first
        plt.assert_frame_equal(got, want)


def test_sort_errors(rng, tmp_path):
    df = from_polars(random_frame(rng, 10), tmp_path)
    with pytest.raises(weft.NotFoundError, match="nope"):
        df.sort("nope")
    with pytest.raises(weft.InvalidArgumentError, match="descending"):
        df.sort(["k", "v"], descending=[True])


@pytest.mark.parametrize("n", [0, 1, 3000])
def test_unique_matches_polars(rng, tmp_path, n):
    frame = random_frame(rng, n, groups=3)
    df = from_polars(frame, tmp_path)
    for subset in [None, "k", ["s", "b"], ["d", "k", "b"]]:
        got = to_polars(df.unique(subset))
        want = frame.unique(subset=subset, keep="first", maintain_order=True)
        plt.assert_frame_equal(got, want)


def test_dataframe_methods(rng, tmp_path):
    """The DataFrame methods delegate here with the same results."""
    frame = random_frame(rng, 500, groups=4)
    df = from_polars(frame, tmp_path)
    got = to_polars(df.group_by("s", "b").agg(col("v").mean().alias("m"), expr.len()))
    want = frame.group_by(["s", "b"], maintain_order=True).agg(pl.col("v").mean().alias("m"), pl.len())
    plt.assert_frame_equal(got, want, check_exact=False)
    plt.assert_frame_equal(to_polars(df.sort(["k", "v"], descending=[True, False])),
                           frame.sort(["k", "v"], descending=[True, False],
                                      maintain_order=True))
    plt.assert_frame_equal(to_polars(df.unique(["d"])),
                           frame.unique(subset=["d"], keep="first", maintain_order=True))


@pytest.mark.parametrize("n", [0, 3])
def test_report_of_a_keyless_group_by_is_its_own(n):
    # a group_by without keys (or of no rows) once left the previous operation's report
    df = weft.DataFrame({"v": np.arange(n, dtype=np.float64)})
    df.sort("v")
    out = df.group_by([]).agg(col("v").sum().alias("s"))
    assert out.height == 1
    report = weft.last_report()
    assert "sort" not in report, report
    assert weft.last_device() == "cpu:0"


_THREADS_SCRIPT = """
import numpy as np, weft
from weft import col
rng = np.random.default_rng(5)
n = 300_000
df = weft.DataFrame({"k": rng.integers(0, 10, n), "v": rng.normal(size=n) * 1e3})
g = df.group_by("k").agg(col("v").sum().alias("s"), col("v").mean().alias("m"), device="cpu")
f = (df.lazy().filter(col("v") > -500).group_by("k")
     .agg(col("v").sum().alias("s"), col("v").mean().alias("m")).collect(device="cpu"))
s = df.lazy().select(col("v").sum().alias("s")).collect(device="cpu")
out = [x.hex() for t in (g, f, s) for name in ("s", "m") if name in t.columns
       for x in t[name].to_numpy().tolist()]
print(" ".join(out))
"""


def test_float_sums_do_not_depend_on_the_thread_count():
    """group_by, the fused filter + group_by and a whole-column sum add in fixed ranges, not
    one slice per thread: the same bits with 1, 2 and 5 pool threads."""
    import os
    import subprocess
    import sys

    runs = []
    for threads in ("1", "2", "5"):
        # the child imports the weft this process imported (the installed package under CI)
        path = os.pathsep.join([os.path.dirname(os.path.dirname(weft.__file__))] + sys.path)
        env = dict(os.environ, WEFT_NUM_THREADS=threads, PYTHONPATH=path)
        r = subprocess.run([sys.executable, "-c", _THREADS_SCRIPT], env=env, capture_output=True,
                           text=True, timeout=120)
        assert r.returncode == 0, r.stderr
        runs.append(r.stdout.split())
    assert len(runs[0]) == 20 + 20 + 1, runs[0]
    assert runs[0] == runs[1] == runs[2]
