/* The device side of weft_read_csv (see csv_device.h). Per slice of whole chunks: the bytes,
 * the column kinds and the null strings go up; csv_records writes each record's start
 * (checked against the host's chunk starts), csv_fields each record's values, validity and
 * flag; all comes back and is applied chunk by chunk (chunks in parallel, rows in order):
 * fixed-width values and validity in bulk, text fields appended to the chunk's text with the
 * CPU's store(), flagged records parsed by the CPU's code. */
#include "frame/io/csv_device.h"
#include "core/alloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../../kernels/csv_parse.h"
#include "frame/families.h"
#include "core/device_choice.h"
#include "core/exec.h"
#include "core/scheduler.h"

_Static_assert(WK_CSV_CHUNK_ROWS == WEFT__CSV_CHUNK_ROWS, "a device chunk is csv_read.c's chunk");

static int can_parse(const weft__device *dev) {
  return dev->backend->host_memory ||
         (dev->backend->csv_records != NULL && dev->backend->csv_fields != NULL);
}

const weft__family weft__family_read_csv = {.name = "read_csv", .verb = "parse",
                                            .min_rows_auto = WEFT__AUTO_MIN_ROWS,
                                            .has_kernels = can_parse};

weft_status weft__csv_choose(weft_exec *exec, size_t rows, size_t bytes, size_t ncols,
                             weft__device **dev) {
  *dev = NULL;
  if (!exec) return WEFT_OK;
  weft__report_clear(exec);
  weft__report(exec, "read_csv parse: %zu rows, %zu columns, %zu bytes", rows, ncols, bytes);
  exec->last_device = 0;
  /* Per record: its bytes up and its values (about 9 bytes a column) back. Splitting and
   * parsing is branchy byte work: the CPU path parsed 0.31 GB/s on one core (AMD EPYC, a
   * 117 MB file of int64, float64, utf8, date and bool columns; 0.46 GB/s on two), which the
   * cost model's 40 G operations a core reads as about 130 operations a byte. */
  double per_row = rows ? (double)bytes / (double)rows : 1.0;
  weft__op op = {.name = "read_csv parse", .rows = rows, .family = &weft__family_read_csv, .needs_fp64 = 1,
                 .flops_per_row = 130.0 * per_row};
  op.slot_row_bits[0] = (size_t)(8 * per_row) + 8 + 72 * ncols;
  weft__choice choice;
  WEFT_RETURN_NOT_OK(weft__choose_devices(exec, &op, &choice));
  *dev = weft__choice_one_device(exec, &choice, "read_csv");
  return WEFT_OK;
}

/* The kernel's kind of a column type and its bytes a row on the device. */
static unsigned kind_of(weft_type t, size_t *width) {
  switch (t) {
    case WEFT_TYPE_BOOL: *width = 1; return WK_CSV_BOOL;
    case WEFT_TYPE_INT8: *width = 1; return WK_CSV_I8;
    case WEFT_TYPE_INT16: *width = 2; return WK_CSV_I16;
    case WEFT_TYPE_INT32: *width = 4; return WK_CSV_I32;
    case WEFT_TYPE_INT64: *width = 8; return WK_CSV_I64;
    case WEFT_TYPE_UINT8: *width = 1; return WK_CSV_U8;
    case WEFT_TYPE_UINT16: *width = 2; return WK_CSV_U16;
    case WEFT_TYPE_UINT32: *width = 4; return WK_CSV_U32;
    case WEFT_TYPE_UINT64: *width = 8; return WK_CSV_U64;
    case WEFT_TYPE_FLOAT32: *width = 4; return WK_CSV_F32;
    case WEFT_TYPE_FLOAT64: *width = 8; return WK_CSV_F64;
    case WEFT_TYPE_DATE32: *width = 4; return WK_CSV_DATE32;
    case WEFT_TYPE_TIMESTAMP_US: *width = 8; return WK_CSV_TS;
    default: *width = 16; return WK_CSV_TEXT;
  }
}

enum { B_DATA, B_SCRATCH, B_STARTS, B_TYPES, B_COLOFF, B_OUT, B_VALID, B_FLAGS, B_NULLOFF,
       B_NULLTEXT, B_COUNT };

/* One parse: the host copies of the constant inputs and the device buffers of a slice. */
typedef struct job {
  weft__device *dev;
  weft__csv_reader *c;
  size_t rows, nchunks;
  uint32_t *types;
  size_t *widths;       /* a row's bytes in each column on the device */
  uint64_t *col_off;    /* of the current slice: where each column's values start */
  size_t out_row_bytes; /* sum of the widths */
  uint32_t *null_off;
  char *null_text;
  size_t null_bytes;
  void *h[B_COUNT];
  size_t bytes[B_COUNT];
  /* host copies of a slice's results */
  uint64_t *starts, *chunk_start;
  uint8_t *out, *valid, *flags;
  size_t k0, srows;     /* the slice: its first chunk, its records */
  const char *base;     /* its first byte */
} job;

static weft_status job_alloc(job *j, int i, size_t bytes) {
  j->bytes[i] = bytes ? bytes : 8;
  return weft__device_alloc(j->dev, j->bytes[i], &j->h[i]);
}

static void job_free_device(job *j) {
  j->dev->backend->synchronize(j->dev->backend_device);
  for (int i = 0; i < B_COUNT; i++)
    if (j->h[i]) weft__device_free(j->dev, j->h[i], j->bytes[i]), j->h[i] = NULL;
}

static weft_status job_setup(job *j) {
  weft__csv_reader *c = j->c;
  j->types = weft__calloc(c->ncols, sizeof *j->types);
  j->col_off = weft__calloc(c->ncols, sizeof *j->col_off);
  j->widths = weft__calloc(c->ncols, sizeof *j->widths);
  const weft__csv_nulls *nl = c->nulls;
  j->null_off = weft__calloc(nl->count + 1, sizeof *j->null_off);
  for (size_t i = 0; i < nl->count; i++) j->null_bytes += strlen(nl->items[i]);
  j->null_text = weft__malloc(j->null_bytes + 1);
  if (!j->types || !j->col_off || !j->widths || !j->null_off || !j->null_text)
    return weft__error(WEFT_ERR_OUT_OF_MEMORY, "read_csv: no host memory");
  size_t at = 0;
  for (size_t i = 0; i < nl->count; i++) {
    size_t n = strlen(nl->items[i]);
    memcpy(j->null_text + at, nl->items[i], n);
    j->null_off[i] = (uint32_t)at;
    at += n;
  }
  j->null_off[nl->count] = (uint32_t)at;
  j->null_text[at] = 0;
  for (size_t col = 0; col < c->ncols; col++) {
    j->types[col] = kind_of(c->types[col], &j->widths[col]);
    j->out_row_bytes += j->widths[col];
  }
  return WEFT_OK;
}

/* Device bytes of a slice of `rows` records and `bytes` bytes, besides the constant inputs. */
static size_t slice_need(const job *j, size_t rows, size_t bytes) {
  return bytes + WK_CSV_SCRATCH_BYTES(bytes) + rows * (8 + 1 + j->c->ncols + j->out_row_bytes) +
         8 * j->c->ncols + 64;
}

static const char *chunk_end(const job *j, size_t k) {
  return k < j->nchunks ? j->c->chunks[k].start : j->c->end;
}

static size_t rows_of(const job *j, size_t k0, size_t k1) {
  size_t r1 = k1 * WEFT__CSV_CHUNK_ROWS;
  return (r1 < j->rows ? r1 : j->rows) - k0 * WEFT__CSV_CHUNK_ROWS;
}

/* Chunks k0..*k1 that fit under the device's cap (0 when not even chunk k0 does). */
static weft_status plan_slice(job *j, size_t k0, size_t *k1) {
  uint64_t limit = atomic_load(&j->dev->limit_bytes), used = atomic_load(&j->dev->used_bytes);
  size_t fixed = 12 * j->c->ncols + 4 * (j->c->nulls->count + 1) + j->null_bytes + 64;
  uint64_t free_bytes = used + fixed < limit ? limit - used - fixed : 0;
  size_t k = k0;
  while (k < j->nchunks) {
    size_t bytes = (size_t)(chunk_end(j, k + 1) - j->c->chunks[k0].start);
    if (slice_need(j, rows_of(j, k0, k + 1), bytes) > free_bytes) break;
    k++;
  }
  *k1 = k;
  if (k > k0) return WEFT_OK;
  size_t bytes = (size_t)(chunk_end(j, k0 + 1) - j->c->chunks[k0].start);
  return weft__error(WEFT_ERR_DEVICE_MEMORY, "device %s: parsing a chunk of %zu records (%zu "
                     "bytes) needs %zu bytes of device memory; its %llu-byte limit leaves %llu",
                     j->dev->id, rows_of(j, k0, k0 + 1), bytes,
                     slice_need(j, rows_of(j, k0, k0 + 1), bytes) + fixed,
                     (unsigned long long)limit, (unsigned long long)(used < limit ? limit - used : 0));
}

/* Runs the kernels on chunks k0..k1 and reads the results into the job's host copies. */
static weft_status run_slice(job *j, size_t k0, size_t k1, size_t rows, size_t bytes) {
  const weft__backend *be = j->dev->backend;
  int d = j->dev->backend_device;
  weft__csv_reader *c = j->c;
  size_t ncols = c->ncols, nch = k1 - k0;
  const char *base = c->chunks[k0].start;
  for (size_t k = k0; k < k1; k++) j->chunk_start[k - k0] = (uint64_t)(c->chunks[k].start - base);
  size_t out_bytes = 0;
  for (size_t col = 0; col < ncols; col++) { /* each column's rows, 8-byte aligned */
    j->col_off[col] = out_bytes;
    out_bytes += (j->widths[col] * rows + 7) & ~(size_t)7;
  }
  weft_status st = WEFT_OK;
  const size_t sizes[B_COUNT] = {
      [B_DATA] = bytes, [B_SCRATCH] = WK_CSV_SCRATCH_BYTES(bytes), [B_STARTS] = 8 * rows, [B_TYPES] = 4 * ncols,
      [B_COLOFF] = 8 * ncols, [B_OUT] = out_bytes, [B_VALID] = ncols * rows, [B_FLAGS] = rows,
      [B_NULLOFF] = 4 * (c->nulls->count + 1), [B_NULLTEXT] = j->null_bytes + 1};
  for (int i = 0; i < B_COUNT && st == WEFT_OK; i++) st = job_alloc(j, i, sizes[i]);
  if (st == WEFT_OK) st = be->buffer_write(d, j->h[B_DATA], 0, base, bytes, 0);
  if (st == WEFT_OK) st = be->buffer_write(d, j->h[B_TYPES], 0, j->types, 4 * ncols, 0);
  if (st == WEFT_OK) st = be->buffer_write(d, j->h[B_COLOFF], 0, j->col_off, 8 * ncols, 0);
  if (st == WEFT_OK) st = be->buffer_write(d, j->h[B_NULLOFF], 0, j->null_off, sizes[B_NULLOFF], 0);
  if (st == WEFT_OK) st = be->buffer_write(d, j->h[B_NULLTEXT], 0, j->null_text, sizes[B_NULLTEXT], 0);
  weft__csv_launch l = {rows, bytes, (unsigned char)c->delim, (unsigned)ncols,
                        (unsigned)c->nulls->count, j->h[B_DATA], j->h[B_SCRATCH], j->h[B_STARTS],
                        j->h[B_TYPES], j->h[B_COLOFF], j->h[B_OUT], j->h[B_VALID], j->h[B_FLAGS],
                        j->h[B_NULLOFF], j->h[B_NULLTEXT]};
  if (st == WEFT_OK) st = be->csv_records(d, &l);
  if (st == WEFT_OK) st = be->csv_fields(d, &l);
  if (st == WEFT_OK) st = be->buffer_read(d, j->h[B_STARTS], 0, j->starts, 8 * rows, 0);
  if (st == WEFT_OK) st = be->buffer_read(d, j->h[B_FLAGS], 0, j->flags, rows, 0);
  if (st == WEFT_OK) st = be->buffer_read(d, j->h[B_VALID], 0, j->valid, ncols * rows, 0);
  if (st == WEFT_OK) st = be->buffer_read(d, j->h[B_OUT], 0, j->out, out_bytes, 1);
  /* the device's record starts must meet the host's chunk starts (same quoting rules) */
  for (size_t k = 0; st == WEFT_OK && k < nch; k++)
    if (j->starts[k * WEFT__CSV_CHUNK_ROWS] != j->chunk_start[k])
      st = weft__error(WEFT_ERR_INTERNAL, "chunk %zu starts at byte %llu of its slice, but the "
                       "device's records put it at %llu", k0 + k, (unsigned long long)j->chunk_start[k],
                       (unsigned long long)j->starts[k * WEFT__CSV_CHUNK_ROWS]);
  char why[WEFT_REASON_MAX] = "";
  if (st != WEFT_OK) snprintf(why, sizeof why, "%s", weft_last_error());
  job_free_device(j); /* waits for the queue: a failed call may leave copies queued */
  return st == WEFT_OK ? WEFT_OK : weft__error(st, "device %s: %s", j->dev->id, why);
}

static void put_bit(uint8_t *bits, int64_t i, int on) {
  if (on) bits[i >> 3] |= (uint8_t)(1u << (i & 7));
  else bits[i >> 3] &= (uint8_t)~(1u << (i & 7));
}

/* Column col of chunk k (its records i0.. of the slice) from the slice's results: values in
 * bulk, validity and nulls of the records the device parsed (a flagged record starts valid:
 * the CPU's store clears the bit of a null). */
static void apply_column(job *j, size_t col, size_t k, size_t i0, size_t n) {
  weft__csv_reader *c = j->c;
  weft__column *dst = &c->cols[col];
  weft_type t = dst->view.type;
  const uint8_t *vals = j->out + j->col_off[col], *ok = j->valid + col * j->srows;
  uint8_t *validity = (uint8_t *)dst->view.validity;
  int64_t r0 = (int64_t)(k * WEFT__CSV_CHUNK_ROWS);
  if (t != WEFT_TYPE_BOOL) {
    size_t w = weft__type_width(t);
    memcpy((char *)dst->view.values + (size_t)r0 * w, vals + i0 * w, n * w);
  }
  int64_t nulls = 0;
  for (size_t i = i0; i < i0 + n; i++) {
    int64_t row = r0 + (int64_t)(i - i0);
    int redo = j->flags[i] != 0;
    if (t == WEFT_TYPE_BOOL) put_bit((uint8_t *)dst->view.values, row, !redo && vals[i]);
    put_bit(validity, row, redo || ok[i]);
    nulls += !redo && !ok[i];
  }
  c->chunks[k].nulls[col] += nulls;
}

/* Chunk k of the slice, row after row (a chunk's text is in row order): the fixed-width
 * columns in bulk, text fields appended with the CPU's store(), flagged records parsed by
 * the CPU's code up to the chunk's first error. */
static void apply_chunk(job *j, size_t k) {
  weft__csv_reader *c = j->c;
  weft__csv_chunk *ch = &c->chunks[k];
  int64_t r0 = (int64_t)(k * WEFT__CSV_CHUNK_ROWS);
  size_t first = (k - j->k0) * WEFT__CSV_CHUNK_ROWS, n = rows_of(j, k, k + 1);
  for (size_t col = 0; col < c->ncols; col++)
    if (c->types[col] != WEFT_TYPE_UTF8) apply_column(j, col, k, first, n);
  for (size_t i = first; i < first + n && ch->status == WEFT_OK; i++) {
    int64_t row = r0 + (int64_t)(i - first);
    if (j->flags[i]) {
      weft__csv_parse_records(c, ch, row, j->base + j->starts[i], 1);
      continue;
    }
    for (size_t col = 0; col < c->ncols; col++) {
      if (c->types[col] != WEFT_TYPE_UTF8) continue;
      const uint64_t *e = (const uint64_t *)(j->out + j->col_off[col]) + 2 * i;
      weft__csv_field f = {j->base + e[0], (size_t)(e[1] >> 2), (int)(e[1] >> 1) & 1, (int)e[1] & 1};
      int ok = weft__csv_store(c, ch, col, row, &f);
      if (ok == 1) continue;
      ch->status = ok == -1 ? WEFT_ERR_OUT_OF_MEMORY : WEFT_ERR_UNSUPPORTED;
      if (ok == -1)
        snprintf(ch->message, sizeof ch->message, "read_csv: no host memory for column \"%s\"",
                 c->names[col]);
      else
        snprintf(ch->message, sizeof ch->message, "read_csv: column \"%s\" holds more than 2 "
                 "GiB of text in one chunk", c->names[col]);
      break;
    }
  }
}

/* The chunks of a slice are applied in parallel on the CPU pool, one task a chunk: each
 * writes only its own rows, bitmap bytes (a chunk is a multiple of 8 rows), text and error. */
static weft_status apply_run(void *ctx, weft__stage *stage, size_t row0, size_t rows) {
  (void)stage;
  job *j = ctx;
  for (size_t i = row0; i < row0 + rows; i += WEFT__CSV_CHUNK_ROWS)
    apply_chunk(j, j->k0 + i / WEFT__CSV_CHUNK_ROWS);
  return WEFT_OK;
}

static weft_status apply_slice(job *j) {
  weft__op op = {.name = "read_csv apply",
                 .rows = j->srows,
                 .cpu_partition_rows = WEFT__CSV_CHUNK_ROWS,
                 .align_rows = WEFT__CSV_CHUNK_ROWS,
                 .flops_per_row = 10.0 * (double)j->c->ncols,
                 .ctx = j,
                 .run = apply_run};
  return weft__schedule_on_cpu(&op);
}

static weft_status host_copies(job *j, size_t rows, size_t nch) {
  free(j->starts), free(j->chunk_start), free(j->out), free(j->valid), free(j->flags);
  j->starts = weft__malloc(8 * rows + 8);
  j->chunk_start = weft__malloc(8 * nch + 8);
  j->out = weft__malloc(j->out_row_bytes * rows + 8 * j->c->ncols + 8);
  j->valid = weft__malloc(j->c->ncols * rows + 8);
  j->flags = weft__malloc(rows + 8);
  if (!j->starts || !j->chunk_start || !j->out || !j->valid || !j->flags)
    return weft__error(WEFT_ERR_OUT_OF_MEMORY, "read_csv: no host memory for the device's "
                       "results of %zu records", rows);
  return WEFT_OK;
}

weft_status weft__csv_parse_device(weft__device *dev, weft__csv_reader *c, size_t nchunks,
                                   size_t rows, size_t *slices, size_t *redone) {
  *slices = 0, *redone = 0;
  if (!dev->backend->csv_records || !dev->backend->csv_fields)
    return weft__error(WEFT_ERR_UNSUPPORTED, "the %s backend of %s has no read_csv kernels",
                       dev->backend->name, dev->id);
  job j = {.dev = dev, .c = c, .rows = rows, .nchunks = nchunks};
  weft_status st = job_setup(&j);
  int stop = 0;
  for (size_t k0 = 0, k1; k0 < nchunks && st == WEFT_OK && !stop; k0 = k1) {
    st = plan_slice(&j, k0, &k1);
    if (st != WEFT_OK) break;
    j.k0 = k0, j.srows = rows_of(&j, k0, k1), j.base = c->chunks[k0].start;
    st = host_copies(&j, j.srows, k1 - k0);
    if (st == WEFT_OK) st = run_slice(&j, k0, k1, j.srows, (size_t)(chunk_end(&j, k1) - j.base));
    if (st == WEFT_OK) st = apply_slice(&j);
    if (st != WEFT_OK) break;
    (*slices)++;
    for (size_t i = 0; i < j.srows; i++) *redone += j.flags[i] != 0;
    for (size_t k = k0; k < k1; k++) /* the first error in file order is the one reported */
      stop |= c->chunks[k].status != WEFT_OK;
  }
  free(j.types), free(j.col_off), free(j.widths), free(j.null_off), free(j.null_text);
  free(j.starts), free(j.chunk_start), free(j.out), free(j.valid), free(j.flags);
  return st;
}
