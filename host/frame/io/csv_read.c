/* weft_read_csv: the file is read into memory, one sequential pass finds where every 64k-th record
 * starts (with the parser's own quoting rules, so a newline inside quotes never splits a
 * chunk), the first rows give the column types, then the chunks are parsed in parallel on
 * the CPU pool straight into the columns. Text columns are gathered per chunk and joined at
 * the end. Each chunk keeps its own error, and the first one in file order is reported.
 *
 * The parse runs where the exec asks (csv_device.c chooses): on the CPU pool here, or on an
 * OpenCL or CUDA device, which splits and parses the records and leaves the ones it cannot
 * do exactly to this file's code, so the table and any error are the same on every device.
 * A device that fails falls back to the CPU (strict mode: the error). */
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <errno.h>

#include "core/error.h"
#include "core/progress.h"
#include "core/alloc.h"
#include "core/scheduler.h"
#include "core/exec.h"
#include "frame/io/csv.h"
#include "frame/io/csv_device.h"

#define CHUNK_ROWS WEFT__CSV_CHUNK_ROWS

typedef weft__csv_text text_buf;
typedef weft__csv_chunk chunk;
typedef weft__csv_reader read_ctx;


static weft_status parse_run(void *ctx, weft__stage *stage, size_t row0, size_t rows) {
  (void)stage;
  read_ctx *c = ctx;
  chunk *ch = &c->chunks[row0 / CHUNK_ROWS];
  weft__csv_parse_records(c, ch, (int64_t)row0, ch->start, rows);
  return WEFT_OK;
}

static int host_only(const weft__device *dev) { return dev->backend->host_memory; }

/* Column names from the first record (header) or column_1, column_2, ... A name seen before
 * becomes name_duplicated_0, _1, ..., as Polars. */
static weft_status make_names(const weft__csv_fields *f, int header, char ***out) {
  char **names = weft__calloc(f->count, sizeof *names);
  if (!names) return weft__error(WEFT_ERR_OUT_OF_MEMORY, "read_csv: no host memory");
  *out = names;
  size_t dups = 0;
  for (size_t c = 0; c < f->count; c++) {
    text_buf t = {0};
    char tmp[32];
    if (header) {
      if (!weft__csv_text_append(&t, &f->items[c]) && f->items[c].len)
        return weft__error(WEFT_ERR_OUT_OF_MEMORY, "read_csv: no host memory");
    } else {
      weft__csv_field g = {tmp, (size_t)snprintf(tmp, sizeof tmp, "column_%zu", c + 1), 0, 0};
      weft__csv_text_append(&t, &g);
    }
    char *name = weft__malloc(t.len + 40);
    if (!name) return free(t.data), weft__error(WEFT_ERR_OUT_OF_MEMORY, "read_csv: no host memory");
    memcpy(name, t.data ? t.data : "", t.len);
    name[t.len] = 0;
    free(t.data);
    for (size_t j = 0; j < c; j++)
      if (!strcmp(names[j], name)) {
        snprintf(name + t.len, 40, "_duplicated_%zu", dups++);
        break;
      }
    names[c] = name;
  }
  return WEFT_OK;
}

static weft_status parse_nulls(const char *spec, weft__csv_nulls *out) {
  memset(out, 0, sizeof *out);
  if (!spec) return WEFT_OK;
  size_t n = 1;
  for (const char *s = spec; *s; s++) n += *s == ',';
  out->items = weft__calloc(n, sizeof *out->items);
  if (!out->items) return weft__error(WEFT_ERR_OUT_OF_MEMORY, "read_csv: no host memory");
  for (const char *s = spec;; ) {
    const char *comma = strchr(s, ',');
    size_t len = comma ? (size_t)(comma - s) : strlen(s);
    if (len) {
      char *item = weft__malloc(len + 1);
      if (!item) return weft__error(WEFT_ERR_OUT_OF_MEMORY, "read_csv: no host memory");
      memcpy(item, s, len);
      item[len] = 0;
      out->items[out->count++] = item;
    }
    if (!comma) break;
    s = comma + 1;
  }
  return WEFT_OK;
}

/* The file is read into memory rather than mapped: a mapped file that another process
 * truncates while we parse would kill this process with SIGBUS. */
typedef struct mapped {
  const char *data;
  size_t size;
} mapped;

static weft_status map_file(const char *path, mapped *m) {
  memset(m, 0, sizeof *m);
  int fd = open(path, O_RDONLY);
  if (fd < 0) return weft__error(WEFT_ERR_IO, "read_csv: cannot open \"%s\": %s", path, strerror(errno));
  struct stat sb;
  if (fstat(fd, &sb) != 0 || S_ISDIR(sb.st_mode)) {
    close(fd);
    return weft__error(WEFT_ERR_IO, "read_csv: \"%s\" is not a readable file", path);
  }
  size_t cap = (size_t)sb.st_size + 1, size = 0; /* +1: EOF is seen without a regrow */
  char *buf = weft__malloc(cap);
  for (;;) {
    if (!buf) {
      close(fd);
      return weft__error(WEFT_ERR_OUT_OF_MEMORY, "read_csv: no host memory for \"%s\"", path);
    }
    ssize_t got = read(fd, buf + size, cap - size);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) {
      int e = errno;
      free(buf), close(fd);
      return weft__error(WEFT_ERR_IO, "read_csv: cannot read \"%s\": %s", path, strerror(e));
    }
    if (got == 0) break;
    size += (size_t)got;
    if (size == cap) { /* the file grew while we read it */
      char *grown = weft__realloc(buf, cap * 2);
      if (!grown) free(buf);
      buf = grown, cap *= 2;
    }
  }
  close(fd);
  m->data = buf, m->size = size;
  return WEFT_OK;
}

/* Chunk starts: every CHUNK_ROWS-th record from `p`. */
static weft_status split(const char *p, const char *end, char delim, chunk **out, size_t *nchunks,
                         size_t *rows) {
  size_t cap = 16, n = 0, count = 0;
  chunk *chunks = weft__calloc(cap, sizeof *chunks);
  if (!chunks) return weft__error(WEFT_ERR_OUT_OF_MEMORY, "read_csv: no host memory");
  const char *counted = p; /* the bytes split so far count as progress, a chunk at a time */
  while (p < end) {
    if (count % CHUNK_ROWS == 0) {
      if (weft__progress_tick((uint64_t)(p - counted))) {
        free(chunks);
        return weft__error(WEFT_ERR_CANCELLED, "read_csv: cancelled by the progress callback");
      }
      counted = p;
      if (n == cap) {
        chunk *grown = weft__realloc(chunks, cap * 2 * sizeof *grown);
        if (!grown) return free(chunks), weft__error(WEFT_ERR_OUT_OF_MEMORY, "read_csv: no host memory");
        memset(grown + cap, 0, cap * sizeof *grown);
        chunks = grown, cap *= 2;
      }
      chunks[n++].start = p;
    }
    p = weft__csv_skip_record(p, end, delim);
    count++;
  }
  weft__progress_tick((uint64_t)(p - counted));
  *out = chunks, *nchunks = n, *rows = count;
  return WEFT_OK;
}

static weft_status apply_overrides(const weft_csv_options *o, read_ctx *c) {
  for (size_t i = 0; o && i < o->n_overrides; i++) {
    const char *name = o->override_names ? o->override_names[i] : NULL;
    WEFT_CHECK_ARG(name && o->override_types, "read_csv: override %zu has no name or type", i);
    weft_type t = o->override_types[i];
    WEFT_CHECK_ARG((unsigned)t <= WEFT_TYPE_TIMESTAMP_US, "read_csv: override of column \"%s\" has "
                   "unknown type %d", name, (int)t);
    size_t k = 0;
    while (k < c->ncols && strcmp(c->names[k], name)) k++;
    if (k == c->ncols)
      return weft__error(WEFT_ERR_NOT_FOUND, "read_csv: the type override names column \"%s\", "
                         "which the file does not have", name);
    c->types[k] = t;
    c->overridden[k] = 1;
  }
  return WEFT_OK;
}

/* Joins the chunks' text of utf8 column `col`: offsets were chunk-relative. */
static weft_status finish_text(read_ctx *c, size_t col, size_t nchunks, int64_t nrows) {
  weft__column *dst = &c->cols[col];
  size_t total = 0;
  for (size_t k = 0; k < nchunks; k++) total += c->chunks[k].text[col].len;
  if (total > INT32_MAX)
    return weft__error(WEFT_ERR_UNSUPPORTED, "read_csv: column \"%s\" holds %zu bytes of text, "
                       "more than the 2 GiB a utf8 column can", c->names[col], total);
  WEFT_RETURN_NOT_OK(weft__column_grow_utf8(dst, total));
  int32_t *o = (int32_t *)dst->view.values;
  char *data = (char *)dst->view.data;
  size_t base = 0;
  o[0] = 0;
  for (size_t k = 0; k < nchunks; k++) {
    int64_t r0 = (int64_t)(k * CHUNK_ROWS), r1 = r0 + (int64_t)CHUNK_ROWS;
    if (r1 > nrows) r1 = nrows;
    for (int64_t r = r0; r < r1; r++) o[r + 1] += (int32_t)base;
    const text_buf *t = &c->chunks[k].text[col];
    if (t->len) memcpy(data + base, t->data, t->len);
    base += t->len;
  }
  return WEFT_OK;
}

/* The parse on the CPU pool (the exec's device choice was made by weft__csv_choose). */
static weft_status schedule_parse(read_ctx *c, size_t rows, size_t bytes) {
  weft__op op = {.name = "read_csv parse",
                 .rows = rows,
                 .cpu_partition_rows = CHUNK_ROWS,
                 .align_rows = CHUNK_ROWS,
                 .flops_per_row = 10.0 * (double)c->ncols,
                 .supports = host_only,
                 .ctx = c,
                 .run = parse_run};
  op.slot_row_bits[0] = rows ? 8 * (bytes / rows + 1) : 8;
  return weft__schedule_on_cpu(&op);
}

/* Back to the state before a parse: a device that failed half way may have written some. */
static void reset_chunks(read_ctx *c, size_t nchunks, size_t rows) {
  for (size_t k = 0; k < nchunks; k++) {
    chunk *ch = &c->chunks[k];
    ch->status = WEFT_OK;
    ch->message[0] = 0;
    for (size_t col = 0; col < c->ncols; col++) ch->text[col].len = 0, ch->nulls[col] = 0;
  }
  for (size_t col = 0; col < c->ncols; col++)
    if (c->cols[col].view.validity) memset((void *)c->cols[col].view.validity, 0xFF, (rows + 7) / 8);
}

/* The parse where the exec asks: a device (csv_device.c), or the CPU pool, which is also
 * where a failed device falls back to (strict mode: the error). */
static weft_status parse(weft_exec *exec, read_ctx *c, size_t nchunks, size_t rows, size_t bytes) {
  weft__device *dev = NULL;
  WEFT_RETURN_NOT_OK(weft__csv_choose(exec, rows, bytes, c->ncols, &dev));
  if (dev) {
    size_t slices = 0, redone = 0;
    weft_status st = weft__csv_parse_device(dev, c, nchunks, rows, &slices, &redone);
    if (st == WEFT_OK) {
      weft__report(exec, "  %s: records split and parsed on the device (%zu slice%s); %zu "
                   "records parsed again on the CPU (malformed, or floats strtod gives)", dev->id,
                   slices, slices == 1 ? "" : "s", redone);
      exec->last_device = weft__device_index(dev);
      return WEFT_OK;
    }
    if (exec->strict)
      return weft__error_context(st, "read_csv on %s (strict mode)", dev->id);
    weft__report(exec, "  %s: fell back to cpu: %s", dev->id, weft_last_error());
    weft__error_clear();
    reset_chunks(c, nchunks, rows);
  }
  if (exec) {
    weft__report(exec, "  cpu:0: %zu chunks parsed on the CPU pool", nchunks);
    exec->last_device = 0;
  }
  return schedule_parse(c, rows, bytes);
}

/* Everything after the header is known: types, columns, parallel parse, the table. */
static weft_status read_body(weft_exec *exec, read_ctx *c, const char *data, weft_table **out) {
  size_t nchunks = 0, rows = 0;
  WEFT_RETURN_NOT_OK(split(data, c->end, c->delim, &c->chunks, &nchunks, &rows));
  weft_status st = WEFT_OK;
  for (size_t k = 0; k < nchunks && st == WEFT_OK; k++) {
    c->chunks[k].text = weft__calloc(c->ncols, sizeof(text_buf));
    c->chunks[k].nulls = weft__calloc(c->ncols, sizeof(int64_t));
    if (!c->chunks[k].text || !c->chunks[k].nulls)
      st = weft__error(WEFT_ERR_OUT_OF_MEMORY, "read_csv: no host memory");
  }
  for (size_t col = 0; col < c->ncols && st == WEFT_OK; col++)
    st = weft__column_alloc(c->types[col], (int64_t)rows, 1, 0, &c->cols[col]);
  if (st == WEFT_OK) st = parse(exec, c, nchunks, rows, (size_t)(c->end - data));
  for (size_t k = 0; k < nchunks && st == WEFT_OK; k++)
    if (c->chunks[k].status != WEFT_OK)
      st = weft__error(c->chunks[k].status, "read_csv: %s", c->chunks[k].message);
  for (size_t col = 0; col < c->ncols && st == WEFT_OK; col++) {
    if (c->types[col] == WEFT_TYPE_UTF8) st = finish_text(c, col, nchunks, (int64_t)rows);
    int64_t nulls = 0;
    for (size_t k = 0; k < nchunks; k++) nulls += c->chunks[k].nulls[col];
    c->cols[col].view.null_count = nulls;
    if (!nulls) c->cols[col].view.validity = NULL; /* the bitmap stays in the block, unused */
  }
  weft_table *t = NULL;
  if (st == WEFT_OK) st = weft__table_new(c->ncols, (int64_t)rows, &t);
  for (size_t col = 0; col < c->ncols && st == WEFT_OK; col++) {
    st = weft__table_set_column(t, col, c->names[col], c->cols[col]);
    memset(&c->cols[col], 0, sizeof c->cols[col]); /* the table holds it now */
  }
  if (st == WEFT_OK) {
    if (exec)
      weft__report(exec, "  read_csv: %zu rows, %zu columns, %zu chunks of %zu rows", rows,
                   c->ncols, nchunks, CHUNK_ROWS);
    *out = t;
  } else {
    weft_table_free(t);
  }
  for (size_t k = 0; k < nchunks; k++) {
    for (size_t col = 0; c->chunks[k].text && col < c->ncols; col++) free(c->chunks[k].text[col].data);
    free(c->chunks[k].text);
    free(c->chunks[k].nulls);
  }
  return st;
}

weft_status weft_csv_options_init(weft_csv_options *options) {
  WEFT_CHECK_ARG(options, "weft_csv_options_init: options is NULL");
  memset(options, 0, sizeof *options);
  options->struct_size = sizeof *options;
  options->delimiter = ',';
  options->has_header = 1;
  options->infer_rows = 10000;
  return WEFT_OK;
}

/* The first weft_csv_options with a struct_size ended with infer_rows. */
#define CSV_OPTIONS_FIRST_SIZE (offsetof(weft_csv_options, infer_rows) + sizeof(size_t))

weft_status weft_read_csv(weft_exec *exec, const char *path, const weft_csv_options *options,
                          weft_table **out) {
  WEFT_CHECK_ARG(out, "read_csv: out is NULL");
  *out = NULL;
  WEFT_CHECK_ARG(path, "read_csv: path is NULL");
  WEFT_CHECK_ARG(!options || (options->struct_size >= CSV_OPTIONS_FIRST_SIZE &&
                              options->struct_size <= sizeof *options),
                 "read_csv: options->struct_size is %zu, this library takes %zu to %zu: set it to "
                 "sizeof(weft_csv_options), or fill the options with weft_csv_options_init",
                 options ? options->struct_size : (size_t)0, (size_t)CSV_OPTIONS_FIRST_SIZE,
                 sizeof *options);
  char delim = options && options->delimiter ? options->delimiter : ',';
  WEFT_CHECK_ARG(delim != '"' && delim != '\n' && delim != '\r',
                 "read_csv: delimiter %d cannot be a quote or a line break", (int)delim);
  int header = options ? options->has_header != 0 : 1;
  size_t infer_rows = options && options->infer_rows ? options->infer_rows : 10000;
  mapped m;
  WEFT_RETURN_NOT_OK(map_file(path, &m));
  /* Progress: the bytes split into records, then the rows parsed (the schedule adds them). */
  weft__progress *progress = weft__progress_begin("read_csv", m.size);
  const char *p = m.data, *end = m.data + m.size;
  if (m.size >= 3 && !memcmp(p, "\xEF\xBB\xBF", 3)) p += 3; /* a UTF-8 byte order mark */
  weft__csv_nulls nulls = {0};
  weft__csv_fields first = {0};
  read_ctx c = {.buf = m.data, .end = end, .delim = delim, .infer_rows = infer_rows,
                .has_header = header, .nulls = &nulls};
  weft_status st = p < end ? WEFT_OK
                 : weft__error(WEFT_ERR_CORRUPT, "read_csv: \"%s\" is empty (no header, no rows)", path);
  if (st == WEFT_OK) st = parse_nulls(options ? options->null_values : NULL, &nulls);
  const char *data = p;
  if (st == WEFT_OK) {
    int error;
    const char *at;
    data = weft__csv_record(p, end, delim, &first, &error, &at);
    if (error)
      st = weft__error(error == WEFT_CSV_NO_MEMORY ? WEFT_ERR_OUT_OF_MEMORY : WEFT_ERR_CORRUPT,
                       "read_csv: line %lld: the first record is malformed (%s)",
                       (long long)weft__csv_line_of(m.data, at),
                       error == WEFT_CSV_UNCLOSED_QUOTE ? "a quoted field is never closed"
                                                        : "text after a closing quote");
    if (!header) data = p;
  }
  if (st == WEFT_OK) {
    c.ncols = first.count;
    st = make_names(&first, header, &c.names);
  }
  if (st == WEFT_OK) {
    c.types = weft__calloc(c.ncols, sizeof *c.types);
    c.overridden = weft__calloc(c.ncols, 1);
    c.cols = weft__calloc(c.ncols, sizeof *c.cols);
    if (!c.types || !c.overridden || !c.cols)
      st = weft__error(WEFT_ERR_OUT_OF_MEMORY, "read_csv: no host memory");
  }
  if (st == WEFT_OK) {
    if (!weft__csv_infer(data, end, delim, c.ncols, infer_rows, &nulls, c.types))
      st = weft__error(WEFT_ERR_OUT_OF_MEMORY, "read_csv: no host memory to infer the types");
    else
      st = apply_overrides(options, &c);
  }
  if (st == WEFT_OK) st = read_body(exec, &c, data, out);
  if (st == WEFT_OK && weft__progress_check("read_csv") != WEFT_OK) {
    weft_table_free(*out);
    *out = NULL;
    st = WEFT_ERR_CANCELLED;
  }
  if (st != WEFT_OK && st != WEFT_ERR_OUT_OF_MEMORY && st != WEFT_ERR_CANCELLED && strstr(weft_last_error(), path) == NULL)
    weft__error_context(st, "\"%s\"", path);
  for (size_t i = 0; c.cols && i < c.ncols; i++) weft__column_release(&c.cols[i]);
  for (size_t i = 0; c.names && i < c.ncols; i++) free(c.names[i]);
  for (size_t i = 0; i < nulls.count; i++) free(nulls.items[i]);
  free(nulls.items), free(first.items), free(c.names), free(c.types), free(c.overridden);
  free(c.cols), free(c.chunks);
  free((void *)m.data);
  return weft__progress_end(progress, st);
}
