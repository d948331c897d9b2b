/* The device side of weft_table_describe (see describe_device.h). The column goes up in
 * slices of whole blocks sized to the memory left under the device's cap; each slice's block
 * statistics come back and are folded into the CPU's parts in row order. */
#include "frame/describe/describe_device.h"
#include "core/alloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "frame/families.h"
#include "core/device_choice.h"
#include "core/exec.h"
#include "frame/sort/sort_device.h"

static int can_describe(const weft__device *dev) {
  return dev->backend->host_memory ||
         (dev->backend->describe_blocks != NULL && dev->backend->sort_pairs != NULL);
}

const weft__family weft__family_describe = {.name = "describe", .verb = "describe",
                                            .min_rows_auto = WEFT__AUTO_MIN_ROWS,
                                            .has_kernels = can_describe};

weft_status weft__describe_choose(weft_exec *exec, const weft_table *t, size_t npercentiles,
                                  weft__device **dev) {
  *dev = NULL;
  if (!exec) return WEFT_OK;
  size_t rows = (size_t)t->rows;
  weft__report_clear(exec);
  weft__report(exec, "weft_table_describe: %zu rows, %zu columns", rows, t->ncols);
  exec->last_device = 0;
  /* Per column and row: its value and validity up; a block's statistics are ~20 operations a
   * value; the CPU's percentiles, a few selection passes over the kept values (~600), which
   * the device replaces by its radix sort. */
  size_t ncols = t->ncols ? t->ncols : 1;
  weft__op op = {.name = "weft_table_describe", .rows = rows, .family = &weft__family_describe,
                 .needs_fp64 = 1,
                 .flops_per_row = (double)ncols * (20.0 + (npercentiles ? 600.0 : 0.0))};
  op.slot_row_bits[0] = 65 * ncols;
  weft__choice choice;
  WEFT_RETURN_NOT_OK(weft__choose_devices(exec, &op, &choice));
  *dev = weft__choice_one_device(exec, &choice, "describe");
  return WEFT_OK;
}

static int desc_type(weft_type t, size_t *elem) {
  switch (t) {
    case WEFT_TYPE_BOOL: *elem = 0; return WK_DESC_BOOL;
    case WEFT_TYPE_INT8: *elem = 1; return WK_DESC_I8;
    case WEFT_TYPE_INT16: *elem = 2; return WK_DESC_I16;
    case WEFT_TYPE_INT32: *elem = 4; return WK_DESC_I32;
    case WEFT_TYPE_INT64: *elem = 8; return WK_DESC_I64;
    case WEFT_TYPE_UINT8: *elem = 1; return WK_DESC_U8;
    case WEFT_TYPE_UINT16: *elem = 2; return WK_DESC_U16;
    case WEFT_TYPE_UINT32: *elem = 4; return WK_DESC_U32;
    case WEFT_TYPE_UINT64: *elem = 8; return WK_DESC_U64;
    case WEFT_TYPE_FLOAT32: *elem = 4; return WK_DESC_F32;
    case WEFT_TYPE_FLOAT64: *elem = 8; return WK_DESC_F64;
    case WEFT_TYPE_DATE32: *elem = 4; return WK_DESC_DATE32;
    case WEFT_TYPE_TIMESTAMP_US: *elem = 8; return WK_DESC_TS;
    default: *elem = 0; return -1;
  }
}

/* Device buffers of one column's block statistics. */
typedef struct blocks_job {
  weft__device *dev;
  void *h[3];
  size_t bytes[3];
} blocks_job;

static weft_status job_alloc(blocks_job *j, int i, size_t bytes) {
  j->bytes[i] = bytes ? bytes : 8;
  return weft__device_alloc(j->dev, j->bytes[i], &j->h[i]);
}

static void job_release(blocks_job *j) {
  j->dev->backend->synchronize(j->dev->backend_device);
  for (int i = 0; i < 3; i++)
    if (j->h[i]) weft__device_free(j->dev, j->h[i], j->bytes[i]);
}

/* Rows a slice may have: whole blocks whose values, validity and statistics fit the memory
 * left under the cap (0: not one block fits). */
static int64_t slice_rows(weft__device *dev, int64_t rows, size_t elem) {
  uint64_t limit = atomic_load(&dev->limit_bytes), used = atomic_load(&dev->used_bytes);
  uint64_t free_bytes = used < limit ? limit - used : 0;
  /* per block: its values (a bool block: a bitmap), its validity, its statistics, and a
   * byte of slack for a bitmap that starts mid-byte */
  uint64_t per_block = (elem ? elem : 1) * WK_DESC_BLOCK / (elem ? 1 : 8) + WK_DESC_BLOCK / 8 +
                       WK_DESC_WORDS * 8 + 2;
  uint64_t blocks = free_bytes / per_block, need = ((uint64_t)rows + WK_DESC_BLOCK - 1) / WK_DESC_BLOCK;
  if (blocks > need) blocks = need;
  return (int64_t)blocks * WK_DESC_BLOCK;
}

/* Each block's WK_DESC_WORDS words into `words`, slice by slice. */
static weft_status run_blocks(blocks_job *j, const weft_column_view *v, int type, size_t elem,
                              uint64_t *words) {
  const weft__backend *be = j->dev->backend;
  int d = j->dev->backend_device;
  int64_t rows = v->length, slice = slice_rows(j->dev, rows, elem);
  if (slice == 0)
    return weft__error(WEFT_ERR_DEVICE_MEMORY, "device %s: describing a column needs %d bytes "
                       "of device memory a block of %d rows; its memory limit leaves less",
                       j->dev->id, (int)(WK_DESC_BLOCK * (elem ? elem : 1)), WK_DESC_BLOCK);
  unsigned bit0 = (unsigned)(v->offset & 7);
  size_t bitmap_bytes = ((size_t)slice + 7) / 8 + 1;
  size_t value_bytes = elem ? (size_t)slice * elem : bitmap_bytes;
  size_t out_bytes = (size_t)(slice / WK_DESC_BLOCK) * WK_DESC_WORDS * 8;
  WEFT_RETURN_NOT_OK(job_alloc(j, 0, value_bytes));
  if (v->validity) WEFT_RETURN_NOT_OK(job_alloc(j, 1, bitmap_bytes));
  WEFT_RETURN_NOT_OK(job_alloc(j, 2, out_bytes));
  for (int64_t r0 = 0; r0 < rows; r0 += slice) {
    int64_t n = rows - r0 < slice ? rows - r0 : slice;
    int64_t at = v->offset + r0; /* r0 is a multiple of 8: every slice starts at bit bit0 */
    size_t nbits = ((size_t)n + bit0 + 7) / 8;
    const void *src = elem ? (const void *)((const char *)v->values + (size_t)at * elem)
                           : (const void *)((const uint8_t *)v->values + (at >> 3));
    WEFT_RETURN_NOT_OK(be->buffer_write(d, j->h[0], 0, src, elem ? (size_t)n * elem : nbits, 0));
    if (v->validity)
      WEFT_RETURN_NOT_OK(be->buffer_write(d, j->h[1], 0, v->validity + (at >> 3), nbits, 0));
    weft__describe_launch l = {(size_t)n, type, bit0, j->h[0], v->validity ? j->h[1] : NULL, j->h[2]};
    WEFT_RETURN_NOT_OK(be->describe_blocks(d, &l));
    size_t nblocks = ((size_t)n + WK_DESC_BLOCK - 1) / WK_DESC_BLOCK;
    WEFT_RETURN_NOT_OK(be->buffer_read(d, j->h[2], 0, words + (size_t)(r0 / WK_DESC_BLOCK) * WK_DESC_WORDS,
                                       nblocks * WK_DESC_WORDS * 8, 1));
  }
  return WEFT_OK;
}

static double as_double(uint64_t w) {
  double x;
  memcpy(&x, &w, 8);
  return x;
}

/* The blocks folded into the CPU's parts, the parts merged in row order (op_describe.c's
 * column_stats, with the same code). */
static void fold_blocks(const uint64_t *words, const weft_column_view *v, int lane,
                        weft__dstats *out) {
  int64_t chunk;
  int nparts = weft__desc_parts(v->length, &chunk);
  int64_t per = chunk / WK_DESC_BLOCK, nblocks = (v->length + WK_DESC_BLOCK - 1) / WK_DESC_BLOCK;
  for (int p = 0; p < nparts; p++) {
    weft__dstats part;
    weft__dstats_init(&part);
    for (int64_t b = p * per; b < (p + 1) * per && b < nblocks; b++) {
      const uint64_t *w = words + b * WK_DESC_WORDS;
      weft__dstats s = {0};
      s.valid = (int64_t)w[WK_DESC_VALID], s.nan = (int64_t)w[WK_DESC_NAN];
      s.kept = (int64_t)w[WK_DESC_KEPT];
      s.sum = as_double(w[WK_DESC_SUM]), s.mean = as_double(w[WK_DESC_MEAN]);
      s.m2 = as_double(w[WK_DESC_M2]);
      if (lane == WEFT__DESC_LANE_I) s.imin = (int64_t)w[WK_DESC_MIN], s.imax = (int64_t)w[WK_DESC_MAX];
      else s.fmin = as_double(w[WK_DESC_MIN]), s.fmax = as_double(w[WK_DESC_MAX]);
      weft__dstats_merge(&part, &s, lane, v);
    }
    if (p == 0) *out = part;
    else weft__dstats_merge(out, &part, lane, v);
  }
}

#define SIGN ((uint64_t)1 << 63)

/* The kept values of v as order-preserving keys (a double's bits with the sign flipped, all
 * bits of a negative one flipped; an int64 with the sign bit flipped), in row order. */
static int64_t order_keys(const weft_column_view *v, int lane, uint64_t *keys) {
  int64_t m = 0;
  for (int64_t r = 0; r < v->length; r++) {
    int64_t i = v->offset + r;
    if (v->validity && !((v->validity[i >> 3] >> (i & 7)) & 1)) continue;
    if (lane == WEFT__DESC_LANE_I) {
      int64_t x = v->type == WEFT_TYPE_DATE32 ? ((const int32_t *)v->values)[i]
                                              : ((const int64_t *)v->values)[i];
      keys[m++] = (uint64_t)x ^ SIGN;
      continue;
    }
    double x;
    switch (v->type) {
      case WEFT_TYPE_INT8: x = ((const int8_t *)v->values)[i]; break;
      case WEFT_TYPE_INT16: x = ((const int16_t *)v->values)[i]; break;
      case WEFT_TYPE_INT32: x = ((const int32_t *)v->values)[i]; break;
      case WEFT_TYPE_INT64: x = (double)((const int64_t *)v->values)[i]; break;
      case WEFT_TYPE_UINT8: x = ((const uint8_t *)v->values)[i]; break;
      case WEFT_TYPE_UINT16: x = ((const uint16_t *)v->values)[i]; break;
      case WEFT_TYPE_UINT32: x = ((const uint32_t *)v->values)[i]; break;
      case WEFT_TYPE_UINT64: x = (double)((const uint64_t *)v->values)[i]; break;
      case WEFT_TYPE_FLOAT32: x = ((const float *)v->values)[i]; break;
      default: x = ((const double *)v->values)[i]; break;
    }
    if (x != x) continue;
    uint64_t u;
    memcpy(&u, &x, 8);
    keys[m++] = u >> 63 ? ~u : u | SIGN;
  }
  return m;
}

static weft_status sort_kept(weft__device *dev, const weft_column_view *v, int lane, int64_t kept,
                             void *sorted) {
  uint64_t *keys = sorted;
  if (order_keys(v, lane, keys) != kept)
    return weft__error(WEFT_ERR_INTERNAL, "weft_table_describe: the device counted %lld kept "
                       "values, the host another number", (long long)kept);
  int64_t *rows = weft__malloc((size_t)(kept ? kept : 1) * sizeof *rows);
  if (!rows)
    return weft__error(WEFT_ERR_OUT_OF_MEMORY, "weft_table_describe: no host memory for %lld "
                       "row numbers", (long long)kept);
  for (int64_t i = 0; i < kept; i++) rows[i] = i;
  weft_status st = weft__sort_device_pairs(dev, keys, rows, kept, 8, 1);
  free(rows);
  WEFT_RETURN_NOT_OK(st);
  for (int64_t i = 0; i < kept; i++) {
    uint64_t k = keys[i];
    if (lane == WEFT__DESC_LANE_I) {
      ((int64_t *)sorted)[i] = (int64_t)(k ^ SIGN);
    } else {
      uint64_t u = k >> 63 ? k ^ SIGN : ~k;
      memcpy((double *)sorted + i, &u, 8);
    }
  }
  return WEFT_OK;
}

weft_status weft__describe_column_device(weft__device *dev, const weft_column_view *v, int lane,
                                         void *sorted, weft__dstats *out) {
  weft__dstats_init(out);
  size_t elem;
  int type = desc_type(v->type, &elem);
  if (type < 0 || !dev->backend->describe_blocks)
    return weft__error(WEFT_ERR_UNSUPPORTED, "device %s: no describe kernel for %s columns",
                       dev->id, weft_type_name(v->type));
  if (v->length == 0) return WEFT_OK;
  size_t nblocks = ((size_t)v->length + WK_DESC_BLOCK - 1) / WK_DESC_BLOCK;
  uint64_t *words = weft__malloc(nblocks * WK_DESC_WORDS * 8);
  if (!words)
    return weft__error(WEFT_ERR_OUT_OF_MEMORY, "weft_table_describe: no host memory for the "
                       "statistics of %zu blocks", nblocks);
  blocks_job j = {dev, {NULL, NULL, NULL}, {0, 0, 0}};
  weft_status st = run_blocks(&j, v, type, elem, words);
  char why[WEFT_REASON_MAX] = "";
  if (st != WEFT_OK) snprintf(why, sizeof why, "%s", weft_last_error());
  job_release(&j); /* waits for the queue: a failed call may leave copies of the column queued */
  if (st != WEFT_OK) st = weft__error(st, "%s", why);
  if (st == WEFT_OK) fold_blocks(words, v, lane, out);
  free(words);
  if (st == WEFT_OK && sorted) st = sort_kept(dev, v, lane, out->kept, sorted);
  if (st != WEFT_OK) weft__dstats_init(out);
  return st;
}
