/* weft_index_load and weft_ivf_load of arbitrary bytes. The first byte: bit 0 picks the
 * loader (flat or IVF), bit 1 whether the last 8 bytes are replaced by the file's correct
 * checksum (so the fuzzer gets past it to the checks behind it), bit 2 an IVF file mapped
 * (weft_ivf_load_mapped) rather than read. The rest is the file. A
 * loaded index is searched once, so every row it claims is read. */
#include "fuzz_common.h"
#include "weft.h"

/* The files' checksum (index_io.c): FNV-1a over each written piece's 64-bit words, then its
 * tail bytes, so the pieces' boundaries matter. */
typedef struct piecewise {
  uint64_t h;
  const uint8_t *p;
  size_t left; /* bytes before the checksum not hashed yet */
} piecewise;

static void hash_piece(piecewise *c, uint64_t n) {
  if (n > c->left) n = c->left;
  size_t words = (size_t)n / 8;
  for (size_t i = 0; i < words; i++) {
    uint64_t w;
    memcpy(&w, c->p + 8 * i, 8);
    c->h = (c->h ^ w) * 0x100000001b3ULL;
  }
  for (size_t i = words * 8; i < n; i++) c->h = (c->h ^ c->p[i]) * 0x100000001b3ULL;
  c->p += n, c->left -= (size_t)n;
}

static uint64_t field(const uint8_t *file, size_t n, size_t at, int bytes) {
  uint64_t v = 0;
  if (at + (size_t)bytes <= n) memcpy(&v, file + at, (size_t)bytes);
  return v;
}

/* Replaces the last 8 bytes by the checksum the loader computes over the pieces the header
 * describes (as far as the file holds them). */
static void fix_checksum(uint8_t *file, size_t n, int ivf) {
  if (n < 8) return;
  piecewise c = {0xcbf29ce484222325ULL, file, n - 8};
  if (!ivf) { /* header (64) | vectors | ids */
    uint64_t dim = field(file, n, 16, 8), count = field(file, n, 24, 8);
    hash_piece(&c, 64);
    if (dim <= (1u << 20) && count <= UINT32_MAX) hash_piece(&c, count * dim * 4);
    hash_piece(&c, c.left);
  } else { /* header (72) | centroids | sq8 min, step | pq codebooks | list sizes | per list
            * codes, ids, kept rows (v2: pq m, nbits at 56, 60; keep_rows at 68) */
    uint32_t codec = (uint32_t)field(file, n, 16, 4), trained = (uint32_t)field(file, n, 20, 4);
    uint64_t dim = field(file, n, 24, 8), nlist = field(file, n, 32, 8);
    uint64_t m = field(file, n, 56, 4), nbits = field(file, n, 60, 4), keep = field(file, n, 68, 4);
    hash_piece(&c, 72);
    if (trained == 1 && dim && dim <= (1u << 20) && nlist && nlist <= (1u << 24) && nbits <= 8) {
      hash_piece(&c, nlist * dim * 4);
      if (codec == 1) hash_piece(&c, dim * 4), hash_piece(&c, dim * 4);
      if (codec == 2) hash_piece(&c, ((uint64_t)1 << nbits) * dim * 4);
      const uint8_t *sizes = c.p;
      for (uint64_t l = 0; l < nlist && c.left; l++) hash_piece(&c, 8);
      uint64_t cs = codec == 1 ? dim : codec == 2 ? m : dim * 4;
      for (uint64_t l = 0; l < nlist && c.left; l++) {
        uint64_t rows = field(sizes, (size_t)(file + n - sizes), (size_t)(8 * l), 8);
        if (rows > UINT32_MAX) break;
        hash_piece(&c, rows * cs);
        hash_piece(&c, rows * 8);
        if (keep) hash_piece(&c, rows * dim * 4);
      }
    }
    hash_piece(&c, c.left);
  }
  memcpy(file + n - 8, &c.h, 8);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static fuzz_file file;
  if (!size) return 0;
  uint8_t how = data[0];
  size_t n = size - 1;
  uint8_t *bytes = malloc(n ? n : 1);
  memcpy(bytes, data + 1, n);
  if (how & 2) fix_checksum(bytes, n, how & 1);
  fuzz_file_write(&file, bytes, n);
  free(bytes);
  enum { K = 3 };
  float dist[K];
  int64_t labels[K];
  if (!(how & 1)) {
    weft_index *index = NULL;
    weft_status st = weft_index_load(file.path, &index);
    if (getenv("WEFT_FUZZ_VERBOSE")) fprintf(stderr, "index_load: %d %s\n", (int)st, st ? weft_last_error() : "");
    FUZZ_CHECK((st == WEFT_OK) == (index != NULL), "status %d, index %p", (int)st, (void *)index);
    if (st != WEFT_OK) return 0;
    size_t dim = 0;
    FUZZ_CHECK(weft_index_dim(index, &dim) == WEFT_OK && dim > 0, "dim %zu", dim);
    float *q = calloc(dim, sizeof *q);
    q[0] = 1.0f;
    st = weft_index_search(NULL, index, 1, q, K, NULL, 0, dist, labels);
    FUZZ_CHECK(st == WEFT_OK, "search of a loaded index failed: %s", weft_last_error());
    free(q);
    weft_index_free(index);
  } else {
    weft_ivf *ivf = NULL;
    /* bit 2: mapped, so no checksum stands between the fuzzer and the lists' bytes */
    weft_status st = how & 4 ? weft_ivf_load_mapped(file.path, &ivf) : weft_ivf_load(file.path, &ivf);
    if (getenv("WEFT_FUZZ_VERBOSE")) fprintf(stderr, "ivf_load: %d %s\n", (int)st, st ? weft_last_error() : "");
    FUZZ_CHECK((st == WEFT_OK) == (ivf != NULL), "status %d, ivf %p", (int)st, (void *)ivf);
    if (st != WEFT_OK) return 0;
    size_t dim = 0, nlist = 0;
    weft_metric metric;
    weft_ivf_codec codec;
    int trained = 0;
    FUZZ_CHECK(weft_ivf_info(ivf, &dim, &nlist, &metric, &codec) == WEFT_OK, "%s", weft_last_error());
    FUZZ_CHECK(weft_ivf_is_trained(ivf, &trained) == WEFT_OK, "%s", weft_last_error());
    if (trained) {
      float *q = calloc(dim, sizeof *q);
      q[0] = 1.0f;
      st = weft_ivf_search(NULL, ivf, 1, q, K, nlist, NULL, 0, dist, labels);
      /* mapped: a bad pq code is found by the search (the lists were never checked) */
      FUZZ_CHECK(st == WEFT_OK || (how & 4 && st == WEFT_ERR_CORRUPT),
                 "search of a loaded IVF index failed: %s", weft_last_error());
      if (how & 4 && st == WEFT_OK) { /* the copy into memory checks what the map skipped */
        st = weft_ivf_add(ivf, 1, q, NULL);
        FUZZ_CHECK(st == WEFT_OK || st == WEFT_ERR_CORRUPT || st == WEFT_ERR_INVALID_ARGUMENT,
                   "add to a mapped IVF index: %d %s", (int)st, weft_last_error());
      }
      free(q);
    }
    weft_ivf_free(ivf);
  }
  return 0;
}
