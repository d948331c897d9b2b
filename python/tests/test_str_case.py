"""str.to_uppercase / str.to_lowercase against Polars (Rust's full Unicode case mappings):
special casings that change a string's length ("ß" -> "SS", "ﬁ" -> "FI", "ΐ" -> 3 code
points), the final sigma, dotted I, titlecase digraphs, scripts with and without case, and
ASCII, with nulls, empty strings, one row and sizes past the evaluator's chunks."""

import numpy as np
import polars as pl
import pytest

import weft
from weft import col

TRICKY = ["straße", "ﬁx ﬂow", "ΐ", "ΰ", "ŉ", "ǰ", "ẞ", "İstanbul", "ı", "ΣΑΣ", "ΌΣΟΣ ΣΑ", "Σ",
          "aΣ b", "ǅungla", "ǈ", "Ǳ", "ﬀ", "ﬃ", "Ⅻ", "ⓐⓑ", "ǆ", "ᾳ", "ᾼ", "Ꭰꭰ", "𐐨𐐀", "ǉ",
          "Ǆ", "Åström", "ÇA", "ÿ", "Ÿ", "ϐ", "ϑ", "ẛ", "K", "Å", "Ω", "µ", "ſ", "ǅ", "ß",
          "日本語", "한국어", "עברית", "", "ASCII only", "MiXeD ÉtÉ", "éé\u0301", "a\u0307", "\u0345"]
# Letters of scripts with case (Latin-1/Extended, Greek, Cyrillic, Armenian, Georgian,
# Cherokee, Deseret) and some without, to build random strings from.
RANGES = [(0x41, 0x7A), (0xC0, 0x24F), (0x370, 0x3FF), (0x400, 0x4FF), (0x531, 0x587),
          (0x10A0, 0x10FF), (0x13A0, 0x13F5), (0x1E00, 0x1FFF), (0x2160, 0x2188), (0xFB00, 0xFB06),
          (0x10400, 0x1044F), (0x4E00, 0x4E20), (0x30, 0x39)]


def stable_pool():
    """The letters whose mappings Python's Unicode (14.0 for 3.11) and Polars' (Rust's, 16.0)
    agree on: ICU 72 (Unicode 15.0) lies between, so they are the same in it. Unicode added
    case pairs since (U+019B 'ƛ' upper-cases to U+A7DC in 16.0 only), where weft follows the
    ICU it is built with."""
    pool = [chr(c) for lo, hi in RANGES for c in range(lo, hi + 1) if chr(c).isprintable()]
    s = pl.Series(pool)
    up, low = s.str.to_uppercase().to_list(), s.str.to_lowercase().to_list()
    return [c for c, u, w in zip(pool, up, low) if c.upper() == u and c.lower() == w]


POOL = stable_pool()


def random_strings(n, rng):
    pool = POOL
    out = []
    for _ in range(n):
        r = rng.random()
        if r < 0.08:
            out.append(None)
        elif r < 0.3:
            out.append(TRICKY[rng.integers(len(TRICKY))])
        elif r < 0.45:
            out.append("".join(chr(c) for c in rng.integers(32, 127, rng.integers(0, 12))))
        else:
            k = rng.integers(0, 9)
            out.append("".join(pool[i] for i in rng.integers(0, len(pool), k)) +
                       (" Σ" if rng.random() < 0.2 else ""))
    return out


@pytest.mark.parametrize("n", [0, 1, 7, 1000, 70001])
def test_case_mappings_equal_polars(n):
    rng = np.random.default_rng(n + 5)
    s = random_strings(n, rng)
    df = weft.DataFrame({"s": pl.Series("s", s, dtype=pl.String)})  # 0 rows too: not falsy
    got = df.select(col("s").str.to_uppercase().alias("u"), col("s").str.to_lowercase().alias("l"),
                    col("s").str.to_uppercase().str.len_bytes().alias("ub"))
    want = pl.DataFrame({"s": s}, schema={"s": pl.String}).select(
        pl.col("s").str.to_uppercase().alias("u"), pl.col("s").str.to_lowercase().alias("l"),
        pl.col("s").str.to_uppercase().str.len_bytes().alias("ub"))
    assert got["u"].to_list() == want["u"].to_list()
    assert got["l"].to_list() == want["l"].to_list()
    assert got["ub"].to_list() == want["ub"].to_list()


def test_every_tricky_string_alone_and_in_lazy_plans():
    want_u = pl.Series(TRICKY).str.to_uppercase().to_list()
    want_l = pl.Series(TRICKY).str.to_lowercase().to_list()
    assert want_u[0] == "STRASSE" and want_l[TRICKY.index("ΣΑΣ")] == "σας"  # what Polars does
    df = weft.DataFrame({"s": TRICKY, "i": np.arange(len(TRICKY))})
    lf = df.lazy().with_columns(col("s").str.to_uppercase().alias("u"),
                                col("s").str.to_lowercase().alias("l"))
    out = lf.filter(col("u") != col("s")).collect()
    keep = [i for i, (a, b) in enumerate(zip(TRICKY, want_u)) if a != b]
    assert out["i"].to_list() == keep
    assert out["u"].to_list() == [want_u[i] for i in keep]
    assert out["l"].to_list() == [want_l[i] for i in keep]


def test_ascii_stays_on_the_byte_path_and_invalid_rows_do_not_matter():
    s = ["abc", None, "", "Z9_-", None]
    df = weft.DataFrame({"s": s})
    assert df.select(col("s").str.to_uppercase())["s"].to_list() == ["ABC", None, "", "Z9_-", None]
    assert df.select(col("s").str.to_lowercase())["s"].to_list() == ["abc", None, "", "z9_-", None]
