"""String expressions against Polars on random strings with nulls, unicode and empty strings:
str.contains as a regex (PCRE2, Polars' Rust dialect) and as plain text, replace /
replace_all, ends_with, slice, strip_chars, len_bytes; eager and lazy."""
import polars as pl
import pytest

import weft
from weft import col
from weft.errors import InvalidArgumentError

from expr_compare import SIZES, nulls, same

def _have_pcre2():
    try:
        col("s").str.contains("a.")
    except weft.UnsupportedError:
        return False
    return True


# PCRE2 is optional at build time (the GPU check machine has no apt); test_plain_patterns_...
# below checks what a build without it does.
needs_pcre2 = pytest.mark.skipif(not _have_pcre2(), reason="weft was built without PCRE2 (libpcre2-dev)")

ALPHABET = ["a", "b", "c", "x", "1", "2", " ", "é", "ß", "日", "\n", ".", "-", "A", "B", "_", "\t", "\u00a0"]


def frame(rng, n):
    words = ["".join(rng.choice(ALPHABET, size=int(k))) for k in rng.integers(0, 9, n)]
    return pl.DataFrame({"s": pl.Series(nulls(rng, words), dtype=pl.String)})


PATTERNS = [r"\d+", r"^a", r"b$", r"[aé]x", r"\w\s", r"(ab|cd)+", r".", "ab", "é", r"\bab\b",
            r"(?i)AB", r"^$", r"x*", r"[^\w]", r"\p{Han}", r"a.c", r"\.", r"^\s*$", r"1{2}"]


@needs_pcre2
@pytest.mark.parametrize("n", SIZES)
def test_contains_regex_and_literal(rng, n):
    p = frame(rng, n)
    w = [col("s").str.contains(pat).alias(f"r{i}") for i, pat in enumerate(PATTERNS)]
    w += [col("s").str.contains(pat, literal=True).alias(f"l{i}") for i, pat in enumerate(PATTERNS)]
    q = [pl.col("s").str.contains(pat).alias(f"r{i}") for i, pat in enumerate(PATTERNS)]
    q += [pl.col("s").str.contains(pat, literal=True).alias(f"l{i}") for i, pat in enumerate(PATTERNS)]
    same(p, w, q, col("s").str.contains(r"[ab]\d"), pl.col("s").str.contains(r"[ab]\d"))


REPLACEMENTS = [(r"\d", "#"), (r"(\w)(\d)", "$2$1"), ("a", ""), (r"x*", "-"), (r"(?<w>[ab])", "<${w}>"),
                (r"\s+", " "), ("é", "e"), (r"(a)", "$1x$$"), ("", "|"), ("a", "[$0]"), ("b", "$1$$")]


@needs_pcre2
@pytest.mark.parametrize("n", SIZES)
def test_replace(rng, n):
    p = frame(rng, n)
    w, q = [], []
    for i, (pat, val) in enumerate(REPLACEMENTS):
        w += [col("s").str.replace(pat, val).alias(f"one{i}"),
              col("s").str.replace_all(pat, val).alias(f"all{i}"),
              col("s").str.replace(pat, val, n=2, literal=True).alias(f"two{i}"),
              col("s").str.replace_all(pat, val, literal=True).alias(f"lit{i}")]
        q += [pl.col("s").str.replace(pat, val).alias(f"one{i}"),
              pl.col("s").str.replace_all(pat, val).alias(f"all{i}"),
              pl.col("s").str.replace(pat, val, n=2, literal=True).alias(f"two{i}"),
              pl.col("s").str.replace_all(pat, val, literal=True).alias(f"lit{i}")]
    same(p, w, q)


@pytest.mark.parametrize("n", SIZES)
def test_ends_with_slice_strip_len_bytes(rng, n):
    p = frame(rng, n)
    slices = [(0, 2), (1, None), (-3, 2), (-10, 4), (-10, None), (5, 0), (20, 3), (2, 100)]
    w = [col("s").str.ends_with("a").alias("e1"), col("s").str.ends_with("日").alias("e2"),
         col("s").str.ends_with("").alias("e3"), col("s").str.len_bytes().alias("lb"),
         col("s").str.strip_chars().alias("ws"), col("s").str.strip_chars("ab日").alias("set"),
         col("s").str.strip_chars("").alias("none")]
    q = [pl.col("s").str.ends_with("a").alias("e1"), pl.col("s").str.ends_with("日").alias("e2"),
         pl.col("s").str.ends_with("").alias("e3"), pl.col("s").str.len_bytes().alias("lb"),
         pl.col("s").str.strip_chars().alias("ws"), pl.col("s").str.strip_chars("ab日").alias("set"),
         pl.col("s").str.strip_chars("").alias("none")]
    for i, (o, k) in enumerate(slices):
        w.append(col("s").str.slice(o, k).alias(f"sl{i}"))
        q.append(pl.col("s").str.slice(o, k).alias(f"sl{i}"))
    same(p, w, q, col("s").str.ends_with("b"), pl.col("s").str.ends_with("b"))


@needs_pcre2
def test_chained_string_ops(rng):
    p = frame(rng, 3000)
    w = [col("s").str.strip_chars().str.replace_all(r"\d", "").str.slice(1, 3).str.contains("[aé]").alias("x")]
    q = [pl.col("s").str.strip_chars().str.replace_all(r"\d", "").str.slice(1, 3).str.contains("[aé]").alias("x")]
    same(p, w, q)


@needs_pcre2
def test_regex_errors():
    with pytest.raises(InvalidArgumentError, match=r'invalid regular expression "\(a": .* at offset 2'):
        col("s").str.contains("(a")
    for pat, what in [(r"(a)\1", "backreferences"), (r"(?=a)", "lookaround"), (r"(?<!a)b", "lookaround"),
                      (r"a++", "possessive"), (r"(?>a)", "atomic")]:
        with pytest.raises(InvalidArgumentError, match=what):
            col("s").str.contains(pat)
        if what != "possessive":  # Rust reads a++ as (a+)+, PCRE2 as possessive: weft refuses
            with pytest.raises(pl.exceptions.ComputeError):  # Polars (Rust regex) rejects them too
                pl.select(pl.lit("a").str.contains(pat))
    with pytest.raises(InvalidArgumentError, match="replace_all"):
        col("s").str.replace_all("[", "x")
    # plain text never needs the regex engine; brackets are fine with literal=True
    df = weft.from_arrow(pl.DataFrame({"s": ["a(b", "ab"]}))
    assert df.select(col("s").str.contains("(", literal=True)).to_polars()["s"].to_list() == [True, False]
    with pytest.raises(InvalidArgumentError, match="str.slice"):
        col("s").str.slice(0, -1)
    with pytest.raises(InvalidArgumentError, match="cannot apply str.ends_with"):
        weft.from_arrow(pl.DataFrame({"i": [1]})).select(col("i").str.ends_with("a"))


def test_plain_patterns_work_with_or_without_pcre2():
    """Without PCRE2 (an optional build dependency) a plain pattern still matches and a regex
    raises saying so; with it, the regex matches. Either build must give one of the two."""
    df = weft.from_arrow(pl.DataFrame({"s": ["a.b", "ab", None, "", "xa-b"]}))

    def run(e):
        return df.select(e.alias("m")).to_polars()["m"].to_list()

    assert run(col("s").str.contains("ab")) == [False, True, None, False, False]
    assert run(col("s").str.contains("a.b", literal=True)) == [True, False, None, False, False]
    assert run(col("s").str.replace_all(".", "!", literal=True)) == ["a!b", "ab", None, "", "xa-b"]
    try:
        e = col("s").str.contains("a.b")
    except weft.UnsupportedError as err:
        assert 'weft was built without PCRE2: str.contains("a.b")' in str(err)
        assert "literal=True" in str(err)
    else:
        assert run(e) == [True, False, None, False, True]


@needs_pcre2
def test_long_strings_and_deep_backtracking():
    """A 100 kB string through a pattern that recurses per character (the JIT's stack may run
    out: the match is retried by the interpreter rather than failing)."""
    p = pl.DataFrame({"s": ["ab" * 50000 + "c", "ab" * 50000, "x", None]})
    w = [col("s").str.contains(r"(a|b)*c").alias("c"), col("s").str.replace_all(r"(ab)+", "-").alias("r")]
    q = [pl.col("s").str.contains(r"(a|b)*c").alias("c"), pl.col("s").str.replace_all(r"(ab)+", "-").alias("r")]
    same(p, w, q)
