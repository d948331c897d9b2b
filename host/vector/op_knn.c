/* weft_index_search: exact k-NN through the scheduler. Query rows are the partitioned
 * dimension; each partition scans the whole base, on the CPU in place, on a device in
 * shards streamed through fixed buffers, so a base larger than device memory still works.
 * Lists of 64-bit keys (backend_impl.h) carry the running top-k. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/alloc.h"
#include "vector/index_flat.h"
#include "core/device_choice.h"
#include "vector/knn_keys.h"
#include "core/scheduler.h"
#include "core/exec.h"
#include "core/placement.h"
#include "vector/knn_certified.h"
#include "vector/knn_bf16_base.h"
#include "vector/knn_bf16_bound.h"
#include "vector/knn_int8_base.h"
#include "vector/knn_int8_bound.h"
#include "vector/cpu_dot_bf16.h"
#include "vector/cpu_dot_int8.h"
#include "vector/knn_precision.h"
#include "vector/knn_slots.h"

enum { SLOT_QUERIES = WEFT__KNN_SLOT_QUERIES, SLOT_LIST_A = WEFT__KNN_SLOT_LIST_A,
       SLOT_LIST_B = WEFT__KNN_SLOT_LIST_B, SLOT_SCRATCH = WEFT__KNN_SLOT_SCRATCH,
       SLOT_BASE = WEFT__KNN_SLOT_BASE, SLOT_NORMS = WEFT__KNN_SLOT_NORMS,
       SLOT_ALLOWED = WEFT__KNN_SLOT_ALLOWED, SLOT_QUERY_NORMS = WEFT__KNN_SLOT_QUERY_NORMS };
_Static_assert(WEFT__KNN_SLOTS <= WEFT_STAGE_SLOTS, "a stage has a slot for each k-NN buffer");

#define WEFT_KNN_MAX_K ((size_t)1 << 20)
#define DEVICE_SHARD_ROWS ((size_t)65536)
/* Rows of a CPU partition: a few GEMM query blocks, many partitions per core to balance. */
#define CPU_QUERY_ROWS 256

typedef struct knn_ctx {
  const weft_index *ix;
  const float *queries;     /* the caller's, checked; normalized per partition under cosine */
  size_t k, shard_rows;
  const uint8_t *allowed;   /* bitset over positions, or NULL */
  float *distances;
  int64_t *labels;
  int pass;                 /* the CPU's partitions run a certified pass (knn_certified.h) */
  int scalar;               /* int8: its portable kernel (a test switch) */
  double bound_scale;
  int device_pass;          /* devices run the pass too: asked for by name, not by auto (the
                             * device kernels are the simple version, slower than the device's
                             * fp32 path on PoCL: bench/RESULTS.md, session 25) */
  size_t survivors, fallbacks, pass_queries; /* summed over partitions (atomics) */
  size_t device_queries;    /* of pass_queries, those a device's pass ran */
  size_t device_fp32;       /* queries a device ran in fp32, lacking the pass's kernels */
  size_t device_auto_fp32;  /* queries a device ran in fp32 under auto (device_pass 0) */
} knn_ctx;

/* The keys' distances are the ones reported (l2: with |q|^2 added and clamped at 0, knn_tile's
 * query_norms), and keys sorted by (distance, position) are in (reported distance, id) order,
 * positions ordering like ids: the lists come out as the caller sees them. */
static void decode(const knn_ctx *c, const uint64_t *lists, size_t row0, size_t rows) {
  const size_t k = c->k;
  weft_metric m = c->ix->metric;
  for (size_t r = 0; r < rows; r++) {
    float *d = c->distances + (row0 + r) * k;
    int64_t *l = c->labels + (row0 + r) * k;
    for (size_t j = 0; j < k; j++) {
      uint64_t key = lists[r * k + j];
      if (key == WEFT_KNN_EMPTY) {
        l[j] = -1;
        d[j] = m == WEFT_METRIC_L2 ? INFINITY : -INFINITY;
        continue;
      }
      float f = weft__from_orderable((uint32_t)(key >> 32));
      l[j] = c->ix->ids[(uint32_t)key];
      d[j] = m == WEFT_METRIC_L2 ? f : -f;
    }
  }
}

/* The contract of weft__knn_tile as the device kernels need it, checked once here for every
 * backend (a backend may add its own limits, as cuBLAS's int sizes). */
static weft_status check_tile(const weft__device *d, const weft__knn_tile *t) {
  const char *bad = NULL;
  if (t->metric != WEFT__KNN_L2 && t->metric != WEFT__KNN_IP) bad = "unknown metric";
  else if (t->k > UINT32_MAX || t->nb > UINT32_MAX || t->position0 > ((uint64_t)1 << 32) - t->nb)
    bad = "k, nb and the positions must fit 32 bits";
  else if (!t->list_in || !t->list_out) bad = "NULL list handle";
  else if (t->list_in == t->list_out) bad = "list_in and list_out must differ on a device";
  else if (t->nb > 0 && (!t->queries || !t->base || !t->scratch))
    bad = "NULL queries, base or scratch handle";
  else if (t->nb > 0 && t->metric == WEFT__KNN_L2 && !t->base_norms) bad = "L2 needs base_norms";
  if (!bad) return WEFT_OK;
  return weft__error(WEFT_ERR_INTERNAL, "knn search on %s: a tile breaks the backend contract: %s",
                     d->id, bad);
}

static weft_status run_on_device(const knn_ctx *c, weft__stage *st, const float *queries_host,
                                 const float *query_norms_host, size_t rows, uint64_t *lists) {
  const weft_index *ix = c->ix;
  const weft__backend *be = st->dev->backend;
  const int dev = st->dev->backend_device;
  const size_t k = c->k, dim = ix->dim;
  const void *queries, *allowed = NULL, *list_init, *query_norms = NULL;
  WEFT_RETURN_NOT_OK(weft__stage_input(st, SLOT_QUERIES, queries_host, rows * dim * sizeof(float),
                                       &queries));
  if (query_norms_host)
    WEFT_RETURN_NOT_OK(weft__stage_input(st, SLOT_QUERY_NORMS, query_norms_host,
                                         rows * sizeof(float), &query_norms));
  WEFT_RETURN_NOT_OK(weft__stage_input(st, SLOT_LIST_A, lists, rows * k * sizeof(uint64_t), &list_init));
  if (c->allowed)
    WEFT_RETURN_NOT_OK(weft__stage_input(st, SLOT_ALLOWED, c->allowed, (ix->count + 7) / 8, &allowed));
  void *in = st->slot[SLOT_LIST_A], *out = st->slot[SLOT_LIST_B];
  for (size_t s0 = 0; s0 < ix->count; s0 += c->shard_rows) {
    size_t ns = ix->count - s0 < c->shard_rows ? ix->count - s0 : c->shard_rows;
    const void *base, *norms;
    WEFT_RETURN_NOT_OK(weft__stage_input(st, SLOT_BASE, ix->vectors + s0 * dim,
                                         ns * dim * sizeof(float), &base));
    WEFT_RETURN_NOT_OK(weft__stage_input(st, SLOT_NORMS, ix->norms + s0, ns * sizeof(float), &norms));
    weft__knn_tile t = {rows, ns, dim, k,
                        ix->metric == WEFT_METRIC_L2 ? WEFT__KNN_L2 : WEFT__KNN_IP,
                        queries, base, norms, allowed, s0, st->slot[SLOT_SCRATCH], in, out,
                        query_norms};
    WEFT_RETURN_NOT_OK(check_tile(st->dev, &t));
    WEFT_RETURN_NOT_OK(be->knn_tile(dev, &t));
    void *swap = in;
    in = out;
    out = swap;
  }
  WEFT_RETURN_NOT_OK(be->knn_sort(dev, rows, k, in));
  return be->buffer_read(dev, in, 0, lists, rows * k * sizeof(uint64_t), 1);
}

/* The partition's queries as the kernels take them, made per partition so that a search
 * holds no copy of all its queries: under cosine normalized (a copy of these rows), under
 * l2 with |q|^2, which the kernels add to make each key the distance reported. */
static weft_status partition_queries(const knn_ctx *c, size_t row0, size_t rows,
                                     const float **queries, float **copy, float **norms) {
  const size_t dim = c->ix->dim;
  const float *q = c->queries + row0 * dim;
  *queries = q;
  if (c->ix->metric == WEFT_METRIC_COSINE) {
    if (!(*copy = weft__malloc(rows * dim * sizeof(float))))
      return weft__error(WEFT_ERR_OUT_OF_MEMORY, "search: no host memory for %zu queries", rows);
    memcpy(*copy, q, rows * dim * sizeof(float));
    weft__normalize_rows(*copy, rows, dim);
    *queries = *copy;
  } else if (c->ix->metric == WEFT_METRIC_L2) {
    if (!(*norms = weft__malloc(rows * sizeof(float))))
      return weft__error(WEFT_ERR_OUT_OF_MEMORY, "search: no host memory for %zu query norms", rows);
    for (size_t i = 0; i < rows; i++) (*norms)[i] = weft__row_norm(q + i * dim, dim);
  }
  return WEFT_OK;
}

static weft_status knn_run(void *ctx, weft__stage *st, size_t row0, size_t rows) {
  const knn_ctx *c = ctx;
  const weft_index *ix = c->ix;
  const weft__backend *be = st->dev->backend;
  const int dev = st->dev->backend_device;
  const float *queries = NULL;
  float *copy = NULL, *norms = NULL;
  uint64_t *lists = NULL;
  weft_status st_run = partition_queries(c, row0, rows, &queries, &copy, &norms);
  if (st_run == WEFT_OK && !(lists = weft__malloc(rows * c->k * sizeof *lists)))
    st_run = weft__error(WEFT_ERR_OUT_OF_MEMORY, "search: no host memory for %zu x %zu results",
                         rows, c->k);
  if (st_run == WEFT_OK) {
    memset(lists, 0xFF, rows * c->k * sizeof *lists); /* all WEFT_KNN_EMPTY */
    if (be->host_memory && c->pass) {
      weft__knn_certified_job job = {ix, c->pass, c->scalar, queries, norms, rows, c->k,
                                     c->allowed, c->bound_scale, lists, 0, 0};
      st_run = weft__knn_certified_run(&job);
      if (st_run == WEFT_OK) st_run = be->knn_sort(dev, rows, c->k, lists);
      knn_ctx *sums = ctx;
      __atomic_fetch_add(&sums->survivors, job.survivors, __ATOMIC_RELAXED);
      __atomic_fetch_add(&sums->fallbacks, job.fallbacks, __ATOMIC_RELAXED);
      __atomic_fetch_add(&sums->pass_queries, rows, __ATOMIC_RELAXED);
    } else if (be->host_memory) {
      weft__knn_tile t = {rows, ix->count, ix->dim, c->k,
                          ix->metric == WEFT_METRIC_L2 ? WEFT__KNN_L2 : WEFT__KNN_IP,
                          queries, ix->vectors, ix->norms, c->allowed, 0, NULL, lists, lists,
                          norms};
      st_run = be->knn_tile(dev, &t);
      if (st_run == WEFT_OK) st_run = be->knn_sort(dev, rows, c->k, lists);
    } else {
      st_run = WEFT_ERR_UNSUPPORTED;
      if (c->pass && c->device_pass) {
        weft__knn_certified_device_job job = {{ix, c->pass, 0, queries, norms, rows, c->k,
                                               c->allowed, c->bound_scale, lists, 0, 0},
                                              c->shard_rows};
        st_run = weft__knn_certified_device(&job, st);
        knn_ctx *sums = ctx;
        if (st_run == WEFT_OK) {
          __atomic_fetch_add(&sums->survivors, job.cpu.survivors, __ATOMIC_RELAXED);
          __atomic_fetch_add(&sums->pass_queries, rows, __ATOMIC_RELAXED);
          __atomic_fetch_add(&sums->device_queries, rows, __ATOMIC_RELAXED);
        } else if (st_run == WEFT_ERR_UNSUPPORTED) {
          /* the same device's fp32 scan (not the CPU: strict or not), the same answer */
          __atomic_fetch_add(&sums->device_fp32, rows, __ATOMIC_RELAXED);
        }
      }
      if (c->pass && !c->device_pass)
        __atomic_fetch_add(&((knn_ctx *)ctx)->device_auto_fp32, rows, __ATOMIC_RELAXED);
      if (st_run == WEFT_ERR_UNSUPPORTED) st_run = run_on_device(c, st, queries, norms, rows, lists);
      if (st_run != WEFT_OK) {
        /* Copies from `queries` and `lists` may still be queued: they must end before those
         * are freed. The failure's message is the one to keep. */
        char why[1024];
        snprintf(why, sizeof why, "%s", weft_last_error());
        be->synchronize(dev);
        weft__error(st_run, "%s", why);
      }
    }
  }
  if (st_run == WEFT_OK) decode(c, lists, row0, rows);
  free(lists);
  free(copy);
  free(norms);
  return st_run;
}

static int knn_supported(const weft__device *dev) {
  return dev->backend->knn_tile && dev->backend->knn_sort;
}

/* Which GEMM a device's backend ran (the CUDA backend: cuBLAS or the portable kernel). */
static const char *knn_device_note(const weft__device *dev) {
  return dev->backend->knn_note ? dev->backend->knn_note(dev->backend_device) : NULL;
}

/* Rows of a device shard: at most a quarter of the smallest device memory available. */
static size_t device_shard_rows(size_t count, size_t dim) {
  size_t shard = count < DEVICE_SHARD_ROWS ? count : DEVICE_SHARD_ROWS;
  for (size_t i = 1; i < weft__device_loaded_total(); i++) {
    uint64_t fit = weft__device_available(weft__device_at(i)) / 4 / ((dim + 1) * sizeof(float));
    if (fit < shard) shard = fit;
  }
  return shard ? shard : 1;
}

/* The user's bitset is over ids; the kernels test positions. */
static uint8_t *allowed_positions(const weft_index *ix, const uint8_t *allowed, size_t bits) {
  uint8_t *pos = weft__calloc((ix->count + 7) / 8 + 1, 1);
  if (!pos) return NULL;
  for (size_t p = 0; p < ix->count; p++) {
    uint64_t id = (uint64_t)ix->ids[p];
    if (id < bits && ((allowed[id >> 3] >> (id & 7)) & 1)) pos[p >> 3] |= (uint8_t)(1u << (p & 7));
  }
  return pos;
}

/* 1 when no partition can run on the CPU: a strict exec whose list names no cpu (nor a
 * placement from above, which may be the CPU). */
static int devices_only(const weft_exec *exec) {
  if (!exec || !exec->strict || exec->placed.set) return 0;
  weft__device_spec spec;
  const char *source;
  weft__exec_spec(exec, &spec, &source);
  if (spec.is_auto || spec.count == 0) return 0;
  for (int i = 0; i < spec.count; i++)
    if (strncmp(spec.ids[i], "cpu", 3) == 0) return 0;
  return 1;
}

/* Which arithmetic the CPU's partitions ran, and what the certified pass cost. */
static void report_precision(weft_exec *exec, const knn_ctx *c, const weft__knn_precision *prec) {
  if (!c->pass) {
    weft__report(exec, "  precision fp32 (%s)", prec->why);
    return;
  }
  const weft_index *ix = c->ix;
  const int int8 = c->pass == WEFT__KNN_PASS_INT8;
  const char *operands;
  if (c->pass_queries && c->device_queries == c->pass_queries) /* all on devices */
    operands = int8 ? "int8 codes (the device's kernel, exact int32 sums)"
                    : "bf16 operands (the device's kernel, fp32 FMA of the bf16 values)";
  else if (int8)
    operands = c->scalar ? "int8 codes (portable kernel)"
                         : "int8 codes (VPDPBUSD, exact int32 sums)";
  else
    operands = "bf16 operands (VDPBF16PS)";
  weft__report(exec, "  precision %s (%s): a candidate pass with %s, certified by an error "
               "bound, then the fp32 scan's arithmetic on the survivors", int8 ? "int8" : "bf16",
               prec->why, operands);
  if (c->pass_queries)
    weft__report(exec, "    %zu candidates ranked again in fp32 (%.1f a query, %.4f%% of the "
                 "rows); %zu queries scanned in fp32 (too many candidates)", c->survivors,
                 (double)c->survivors / (double)c->pass_queries,
                 ix->count ? 100.0 * (double)c->survivors / (double)c->pass_queries /
                             (double)ix->count : 0.0,
                 c->fallbacks);
  if (c->device_queries)
    weft__report(exec, "    %zu of those queries by the device's pass (kernels/knn_certified.kern: "
                 "the same operands and bound, the survivors ranked again on the device)",
                 c->device_queries);
  if (c->device_fp32)
    weft__report(exec, "    %zu queries scanned in fp32 on a device that cannot run the pass "
                 "(its kernels missing, or an fp32 scan the re-rank cannot match, as cuBLAS)",
                 c->device_fp32);
  if (c->device_auto_fp32)
    weft__report(exec, "    %zu queries scanned in fp32 on devices (auto takes a device's pass "
                 "only when asked for by name)", c->device_auto_fp32);
  double kib = (double)(int8 ? weft__int8_base_bytes(ix->int8, ix->dim)
                              : weft__bf16_base_bytes(ix->bf16, ix->dim)) / 1024;
  weft__report(exec, "    %s copy of the rows: %.1f %s (%zu rows of dim %zu)",
               int8 ? "int8" : "bf16", kib < 1024 ? kib : kib / 1024, kib < 1024 ? "KiB" : "MiB",
               ix->count, ix->dim);
}

weft_status weft_index_search(weft_exec *exec, weft_index *index, size_t nq, const float *queries,
                              size_t k, const uint8_t *allowed, size_t allowed_bits,
                              float *distances, int64_t *labels) {
  WEFT_CHECK_ARG(index, "weft_index_search: index is NULL");
  WEFT_CHECK_ARG(k >= 1 && k <= WEFT_KNN_MAX_K, "weft_index_search: k must be in 1..%zu (got %zu)",
                 WEFT_KNN_MAX_K, k);
  if (nq == 0) return WEFT_OK;
  WEFT_CHECK_ARG(queries, "weft_index_search: queries is NULL with nq = %zu", nq);
  WEFT_CHECK_ARG(distances && labels, "weft_index_search: distances and labels must not be NULL");
  WEFT_CHECK_ARG(allowed || allowed_bits == 0,
                 "weft_index_search: allowed is NULL but allowed_bits = %zu", allowed_bits);

  uint8_t *pos_bits = NULL;
  weft_status st = weft__check_vectors("weft_index_search: queries", nq, index->dim, queries,
                                       index->metric);
  pthread_rwlock_rdlock(&index->lock);
  if (st == WEFT_OK && allowed && !(pos_bits = allowed_positions(index, allowed, allowed_bits)))
    st = weft__error(WEFT_ERR_OUT_OF_MEMORY, "search: no host memory for the allowed bitset");
  knn_ctx c = {index, queries, k, 0, pos_bits, distances, labels, 0, 0, 1.0,
               exec && (exec->precision == WEFT_PRECISION_BF16 ||
                        exec->precision == WEFT_PRECISION_INT8),
               0, 0, 0, 0, 0, 0};
  weft__knn_precision prec;
  if (st == WEFT_OK) {
    weft__knn_precision_choose(exec ? exec->precision : WEFT_PRECISION_AUTO, index, nq, k,
                               devices_only(exec), &prec);
    if (prec.pass == WEFT__KNN_PASS_BF16) {
      st = weft__bf16_base_sync(&index->bf16, &index->bf16_lock, index->vectors, index->count,
                                index->dim);
      c.bound_scale = weft__bf16_bound_scale();
    } else if (prec.pass == WEFT__KNN_PASS_INT8) {
      st = weft__int8_base_sync(&index->int8, &index->int8_lock, index->vectors, index->count,
                                index->dim);
      c.bound_scale = weft__int8_bound_scale();
      c.scalar = prec.scalar;
    }
    if (st == WEFT_OK) c.pass = prec.pass;
  }
  if (st == WEFT_OK) {
    size_t dim = index->dim;
    weft__op op = {.name = "knn search",
                   .rows = nq,
                   .flops_per_row = 2.0 * (double)index->count * (double)dim,
                   .ctx = &c,
                   .run = knn_run,
                   .supports = knn_supported,
                   .device_note = knn_device_note,
                   .align_rows = 1,
                   .cpu_partition_rows = CPU_QUERY_ROWS};
    op.slot_row_bits[SLOT_QUERIES] = dim * 32;
    op.slot_row_bits[SLOT_LIST_A] = op.slot_row_bits[SLOT_LIST_B] = k * 64;
    if (index->metric == WEFT_METRIC_L2) op.slot_row_bits[SLOT_QUERY_NORMS] = 32;
    if (pos_bits) op.slot_fixed_bytes[SLOT_ALLOWED] = (index->count + 7) / 8;
    struct weft_exec local;
    if (!exec) weft__exec_defaults(&local);
    /* The shards are sized by the devices' memory, and which devices exist is known only
     * once the choice has opened their backends (if it needs them): sized again after. */
    int opened;
    do {
      opened = weft__backends_loaded();
      c.shard_rows = device_shard_rows(index->count, dim);
      if (c.pass && c.device_pass && c.shard_rows < index->count && c.shard_rows >= 16)
        c.shard_rows -= c.shard_rows % 16; /* shards start on the copy's panels */
      if (c.pass && c.device_pass) {
        size_t words = c.pass == WEFT__KNN_PASS_INT8 ? weft__int8_groups(dim)
                                                     : weft__bf16_pairs(dim);
        size_t panel_rows = (c.shard_rows + 15) / 16 * 16;
        op.slot_row_bits[WEFT__KNN_SLOT_QWORDS] = words * 32;
        op.slot_row_bits[WEFT__KNN_SLOT_COEF] = 5 * 32;
        op.slot_row_bits[WEFT__KNN_SLOT_BAR] = op.slot_row_bits[WEFT__KNN_SLOT_COUNT] = 32;
        op.slot_fixed_bytes[WEFT__KNN_SLOT_PANELS] = panel_rows * words * sizeof(uint32_t);
        op.slot_fixed_bytes[WEFT__KNN_SLOT_NORM_UP] = c.shard_rows * sizeof(float);
        op.slot_fixed_bytes[WEFT__KNN_SLOT_RESID_UP] = c.shard_rows * sizeof(float);
        if (c.pass == WEFT__KNN_PASS_INT8)
          op.slot_fixed_bytes[WEFT__KNN_SLOT_ROW_SCALE] = c.shard_rows * sizeof(float);
      }
      op.slot_row_bits[SLOT_SCRATCH] = c.shard_rows * 32;
      op.slot_fixed_bytes[SLOT_BASE] = c.shard_rows * dim * sizeof(float);
      op.slot_fixed_bytes[SLOT_NORMS] = c.shard_rows * sizeof(float);
      weft__choice_prepare(exec ? exec : &local, &op);
    } while (!opened && weft__backends_loaded());
    st = weft__schedule(exec ? exec : &local, &op);
    if (exec) report_precision(exec, &c, &prec);
    if (!exec) weft__exec_release(&local);
  }
  pthread_rwlock_unlock(&index->lock);
  free(pos_bits);
  return st;
}
