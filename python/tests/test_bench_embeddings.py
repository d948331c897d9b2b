"""bench/embeddings.py and bench/minilm.py without the 83 MB model: the GELU and LayerNorm
against float64 references, the WordNet gloss parser and the row order on a small data file
in WordNet's format, and the cached set's loading and query split (and bench/knn.py's
`--data real` rows) on a small set written in the cache's layout. The model's forward pass
is checked where the model is: `python3 bench/embeddings.py` reproduces
sentence-transformers' published similarity matrix before it embeds anything
(minilm.check_reference)."""

import math
import os
import sys

import numpy as np
import pytest

BENCH = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "bench")
sys.path.insert(0, BENCH)

import embeddings  # noqa: E402
import minilm  # noqa: E402


def test_gelu_matches_erf_in_float64():
    rng = np.random.default_rng(1)
    x = np.concatenate([rng.standard_normal(1001) * 4, [0.0, -0.0, 1e-8, -1e-8, 9.0, -9.0, 40.0, -40.0]])
    x = x.astype(np.float32)
    ref = np.array([0.5 * v * (1 + math.erf(v / math.sqrt(2))) for v in x.astype(np.float64)])
    for block in (7, 1 << 15):  # a block size that does not divide the input, and the default
        got = minilm.gelu_(x.copy(), block=block)
        assert got.dtype == np.float32
        err = np.abs(got - ref) / np.maximum(1, np.abs(ref))  # float32's resolution: ~6e-8
        assert err.max() <= 5e-7, (x[err.argmax()], got[err.argmax()], ref[err.argmax()])
    assert minilm.gelu_(np.zeros((0, 3), np.float32)).shape == (0, 3)


def test_gelu_is_in_place_on_a_2d_array():
    x = np.array([[-1.0, 0.5], [2.0, -3.0]], np.float32)
    out = minilm.gelu_(x)
    assert out is x
    ref = [[0.5 * v * (1 + math.erf(v / math.sqrt(2))) for v in row] for row in [[-1.0, 0.5], [2.0, -3.0]]]
    np.testing.assert_allclose(x, ref, atol=5e-7)


def test_layer_norm_matches_float64():
    rng = np.random.default_rng(2)
    x = rng.standard_normal((5, 3, 37)).astype(np.float32) * 3 + 1
    w, b = rng.standard_normal(37).astype(np.float32), rng.standard_normal(37).astype(np.float32)
    x64 = x.astype(np.float64)
    ref = (x64 - x64.mean(-1, keepdims=True)) / np.sqrt(x64.var(-1, keepdims=True) + 1e-12) * w + b
    np.testing.assert_allclose(minilm.layer_norm(x, w, b, 1e-12), ref, atol=2e-5)


HEADER = "  1 This software and database is being provided to you, the LICENSEE, by  \n"


def _wordnet(tmp_path, glosses_by_file):
    for name in embeddings.WORDNET_FILES:
        lines = [HEADER, "  2 Princeton University under the following license. | not a gloss  \n"]
        for i, gloss in enumerate(glosses_by_file.get(name, [])):
            lines.append(f"{i:08d} 03 n 01 word{i} 0 000 | {gloss}  \n")
        (tmp_path / name).write_text("".join(lines))
    return str(tmp_path)


def test_glosses_skip_the_license_and_keep_definition_and_examples(tmp_path):
    folder = _wordnet(tmp_path, {
        "data.noun": ['a domestic cat; "the cat sat"', "a   spaced\tgloss"],
        "data.adv": ["quickly"],
    })  # fmt: skip
    glosses, synsets = embeddings.wordnet_glosses(folder)
    assert glosses == ['a domestic cat; "the cat sat"', "a spaced gloss", "quickly"]
    assert synsets == 3


def test_corpus_dedupes_and_its_order_is_fixed(tmp_path):
    texts = [f"gloss number {i}" for i in range(50)]
    folder = _wordnet(tmp_path, {"data.noun": texts, "data.verb": texts[:10] + ["a verb"]})
    rows, synsets = embeddings.corpus(folder)
    assert synsets == 61
    assert sorted(rows) == sorted(set(texts) | {"a verb"})
    assert rows == embeddings.corpus(folder)[0]  # deterministic
    assert rows != texts + ["a verb"]  # shuffled: any prefix is a sample, not the nouns


@pytest.fixture
def cached_set(tmp_path, monkeypatch):
    """A 10_050 x 384 set written where the module looks for it."""
    monkeypatch.setattr(embeddings, "DATA_DIR", str(tmp_path))
    rng = np.random.default_rng(3)
    emb = rng.standard_normal((embeddings.QUERY_ROWS + 50, 384)).astype(np.float32)
    emb /= np.linalg.norm(emb, axis=1, keepdims=True)
    np.save(embeddings.paths()[0], emb)
    return emb


def test_load_and_split(cached_set):
    emb = cached_set
    got = embeddings.load_real_embeddings()
    assert got.dtype == np.float32 and got.flags.c_contiguous
    np.testing.assert_array_equal(got, emb)
    np.testing.assert_array_equal(embeddings.load_real_embeddings(7), emb[:7])
    base, queries = embeddings.query_split()
    np.testing.assert_array_equal(queries, emb[: embeddings.QUERY_ROWS])
    np.testing.assert_array_equal(base, emb[embeddings.QUERY_ROWS :])
    base, queries = embeddings.query_split(nb=1, nq=3)
    np.testing.assert_array_equal(base, emb[embeddings.QUERY_ROWS : embeddings.QUERY_ROWS + 1])
    np.testing.assert_array_equal(queries, emb[:3])


def test_load_and_split_refuse_more_rows_than_built(cached_set):
    with pytest.raises(ValueError, match=r"load_real_embeddings\(n=10051\).*10,050 rows"):
        embeddings.load_real_embeddings(10_051)
    with pytest.raises(ValueError, match=r"load_real_embeddings\(n=0\)"):
        embeddings.load_real_embeddings(0)
    with pytest.raises(ValueError, match=r"query_split\(nb=51\).*50 base rows"):
        embeddings.query_split(nb=51)
    with pytest.raises(ValueError, match=r"query_split\(nq=10001\)"):
        embeddings.query_split(nq=10_001)


def test_missing_set_names_the_build_command(tmp_path, monkeypatch):
    monkeypatch.setattr(embeddings, "DATA_DIR", str(tmp_path))
    with pytest.raises(FileNotFoundError, match="python3 bench/embeddings.py"):
        embeddings.load_real_embeddings()
    assert embeddings.info() is None


def test_knn_real_data_is_the_split(cached_set):
    import knn

    emb = cached_set
    np.testing.assert_array_equal(knn.make_data("real", 20, 384, 5), emb[embeddings.QUERY_ROWS :][:20])
    np.testing.assert_array_equal(knn.make_data("real-ip", 9, 384, 6, "queries"), emb[:9])
    with pytest.raises(SystemExit, match="384-d, not --dim 128"):
        knn.make_data("real", 20, 128, 5)
    assert knn.parse_args(["--data", "real-ip"]).dim == 384
    assert knn.parse_args(["--data", "uniform"]).dim == knn.DIM
