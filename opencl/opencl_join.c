/* The hash join's steps on OpenCL (kernels/join_hash.kern; cuda/cuda_join.cu launches the
 * same kernels the same way). Each is one launch queued in order; host/frame/join/join_device.c
 * drives them. Grid-stride kernels get ceil(items / local) groups, at most
 * WEFT_OCL_MAX_GROUPS. The kernels need 32-bit global atomics only (core OpenCL 1.1). */
#include "opencl_internal.h"

#include "../kernels/join_hash.h"

#define SCAN_CHUNK ((size_t)WK_JOIN_SCAN_CHUNK)
#define RADIX_CHUNK ((size_t)WK_JOIN_RADIX_CHUNK)

#define WEFT_RETURN_NOT_OK_OCL(expr)       \
  do {                                     \
    weft_status st_ = (expr);              \
    if (st_ != WEFT_OK) return st_;        \
  } while (0)

static size_t groups_for(const weft_ocl_device *d, int k, size_t items) {
  size_t local = d->local[k], groups = items / local + (items % local != 0);
  if (groups == 0) groups = 1;
  return groups > WEFT_OCL_MAX_GROUPS ? WEFT_OCL_MAX_GROUPS : groups;
}

/* One launch of kernel k over `items` work-items (grid-stride). */
static weft_status launch(int dev, int k, const char *name, const weft_ocl_arg *args,
                          cl_uint nargs, size_t items, int exact_group) {
  weft_ocl_device *d = weft_ocl_device_get(dev);
  if (!d) return weft_ocl_device_status(dev);
  if (items == 0) return WEFT_OK;
  weft_status st = weft_ocl_lock_ready(d);
  if (st != WEFT_OK) return st;
  if (exact_group && d->local[k] != WEFT_OCL_GROUP) {
    pthread_mutex_unlock(&d->lock);
    return weft_ocl_error(WEFT_ERR_UNSUPPORTED, "opencl: %s needs work-groups of %d on '%s', "
                          "which allows %zu", name, WEFT_OCL_GROUP, d->desc.name, d->local[k]);
  }
  st = weft_ocl_launch_locked(d, k, args, nargs, groups_for(d, k, items));
  pthread_mutex_unlock(&d->lock);
  return st;
}

static weft_status need(const char *op, int ok) {
  return ok ? WEFT_OK
            : weft_ocl_error(WEFT_ERR_INVALID_ARGUMENT, "opencl: %s: a buffer handle is NULL", op);
}

weft_status weft_ocl_join_clear(int dev, size_t slots, void *owner, void *seg_start, void *seg_end) {
  WEFT_RETURN_NOT_OK_OCL(need("join_clear", owner && seg_start && seg_end));
  cl_mem o = owner, s = seg_start, e = seg_end;
  cl_ulong n = slots;
  weft_ocl_arg args[] = {WEFT_OCL_ARG(o), WEFT_OCL_ARG(s), WEFT_OCL_ARG(e), WEFT_OCL_ARG(n)};
  return launch(dev, WEFT_OCL_JOIN_CLEAR, "join_clear", args, 4, slots, 0);
}

weft_status weft_ocl_join_insert(int dev, size_t rows, size_t words, const void *keys,
                                 const void *valid, size_t slots, void *owner, void *slot_of,
                                 void *row_of) {
  if (rows == 0) return WEFT_OK;
  WEFT_RETURN_NOT_OK_OCL(need("join_insert", keys && valid && owner && slot_of && row_of));
  cl_mem k = (cl_mem)keys, v = (cl_mem)valid, o = owner, s = slot_of, r = row_of;
  cl_ulong n = rows, ns = slots;
  cl_uint w = (cl_uint)words;
  weft_ocl_arg args[] = {WEFT_OCL_ARG(k), WEFT_OCL_ARG(v), WEFT_OCL_ARG(n), WEFT_OCL_ARG(w),
                         WEFT_OCL_ARG(o), WEFT_OCL_ARG(ns), WEFT_OCL_ARG(s), WEFT_OCL_ARG(r)};
  return launch(dev, WEFT_OCL_JOIN_INSERT, "join_insert", args, 8, rows, 0);
}

weft_status weft_ocl_join_radix_count(int dev, size_t n, unsigned shift, const void *slot_in,
                                      void *hist) {
  if (n == 0) return WEFT_OK;
  WEFT_RETURN_NOT_OK_OCL(need("join_radix_count", slot_in && hist));
  cl_mem s = (cl_mem)slot_in, h = hist;
  cl_ulong rows = n, chunks = (n + RADIX_CHUNK - 1) / RADIX_CHUNK;
  cl_uint sh = shift;
  weft_ocl_arg args[] = {WEFT_OCL_ARG(s), WEFT_OCL_ARG(rows), WEFT_OCL_ARG(sh),
                         WEFT_OCL_ARG(chunks), WEFT_OCL_ARG(h)};
  return launch(dev, WEFT_OCL_JOIN_RADIX_COUNT, "join_radix_count", args, 5, (size_t)chunks, 0);
}

weft_status weft_ocl_join_radix_scatter(int dev, size_t n, unsigned shift, const void *slot_in,
                                        const void *row_in, const void *hist, void *slot_out,
                                        void *row_out) {
  if (n == 0) return WEFT_OK;
  WEFT_RETURN_NOT_OK_OCL(need("join_radix_scatter", slot_in && row_in && hist && slot_out && row_out));
  cl_mem si = (cl_mem)slot_in, ri = (cl_mem)row_in, h = (cl_mem)hist, so = slot_out, ro = row_out;
  cl_ulong rows = n, chunks = (n + RADIX_CHUNK - 1) / RADIX_CHUNK;
  cl_uint sh = shift;
  weft_ocl_arg args[] = {WEFT_OCL_ARG(si), WEFT_OCL_ARG(ri),     WEFT_OCL_ARG(rows),
                         WEFT_OCL_ARG(sh), WEFT_OCL_ARG(chunks), WEFT_OCL_ARG(h),
                         WEFT_OCL_ARG(so), WEFT_OCL_ARG(ro)};
  return launch(dev, WEFT_OCL_JOIN_RADIX_SCATTER, "join_radix_scatter", args, 8, (size_t)chunks, 0);
}

weft_status weft_ocl_join_bounds(int dev, size_t n, size_t slots, const void *slot_sorted,
                                 void *seg_start, void *seg_end) {
  if (n == 0) return WEFT_OK;
  WEFT_RETURN_NOT_OK_OCL(need("join_bounds", slot_sorted && seg_start && seg_end));
  cl_mem s = (cl_mem)slot_sorted, a = seg_start, b = seg_end;
  cl_ulong rows = n, ns = slots;
  weft_ocl_arg args[] = {WEFT_OCL_ARG(s), WEFT_OCL_ARG(rows), WEFT_OCL_ARG(ns), WEFT_OCL_ARG(a),
                         WEFT_OCL_ARG(b)};
  return launch(dev, WEFT_OCL_JOIN_BOUNDS, "join_bounds", args, 5, n, 0);
}

weft_status weft_ocl_join_probe_count(int dev, const weft__join_probe *p) {
  if (!p) return need("join_probe_count", 0);
  if (p->rows == 0) return WEFT_OK;
  WEFT_RETURN_NOT_OK_OCL(need("join_probe_count", p->keys && p->valid && p->right_keys &&
                                                      p->owner && p->seg_start && p->seg_end &&
                                                      p->match && p->count));
  cl_mem k = (cl_mem)p->keys, v = (cl_mem)p->valid, rk = (cl_mem)p->right_keys;
  cl_mem o = (cl_mem)p->owner, a = (cl_mem)p->seg_start, b = (cl_mem)p->seg_end;
  cl_mem m = p->match, c = p->count;
  cl_ulong rows = p->rows, slots = p->slots;
  cl_uint w = (cl_uint)p->words;
  cl_int kind = p->kind;
  weft_ocl_arg args[] = {WEFT_OCL_ARG(k), WEFT_OCL_ARG(v),     WEFT_OCL_ARG(rows),
                         WEFT_OCL_ARG(w), WEFT_OCL_ARG(rk),    WEFT_OCL_ARG(o),
                         WEFT_OCL_ARG(slots), WEFT_OCL_ARG(a), WEFT_OCL_ARG(b),
                         WEFT_OCL_ARG(kind), WEFT_OCL_ARG(m),  WEFT_OCL_ARG(c)};
  return launch(dev, WEFT_OCL_JOIN_PROBE_COUNT, "join_probe_count", args, 12, p->rows, 0);
}

weft_status weft_ocl_join_emit(int dev, const weft__join_probe *p) {
  if (!p) return need("join_emit", 0);
  if (p->rows == 0) return WEFT_OK;
  int pairs = p->kind == WEFT_JOIN_INNER || p->kind == WEFT_JOIN_LEFT;
  WEFT_RETURN_NOT_OK_OCL(need("join_emit", p->match && p->count && p->seg_start && p->seg_end &&
                                               p->right_rows && p->out_left &&
                                               (!pairs || p->out_right)));
  if (p->emit_row0 + p->emit_rows > p->rows)
    return weft_ocl_error(WEFT_ERR_INVALID_ARGUMENT, "opencl: join_emit: rows %zu..%zu of %zu",
                          p->emit_row0, p->emit_row0 + p->emit_rows, p->rows);
  if (p->emit_rows == 0) return WEFT_OK;
  cl_mem m = p->match, c = p->count, a = (cl_mem)p->seg_start, b = (cl_mem)p->seg_end;
  cl_mem rr = (cl_mem)p->right_rows, ol = p->out_left, orr = p->out_right;
  cl_ulong row0 = p->emit_row0, rows = p->emit_rows, base = p->emit_base;
  cl_int kind = p->kind;
  weft_ocl_arg args[] = {WEFT_OCL_ARG(m),    WEFT_OCL_ARG(row0), WEFT_OCL_ARG(rows),
                         WEFT_OCL_ARG(c),    WEFT_OCL_ARG(base), WEFT_OCL_ARG(a),
                         WEFT_OCL_ARG(b),    WEFT_OCL_ARG(rr),   WEFT_OCL_ARG(kind),
                         WEFT_OCL_ARG(ol),   WEFT_OCL_ARG(orr)};
  return launch(dev, WEFT_OCL_JOIN_EMIT, "join_emit", args, 11, p->emit_rows, 0);
}

weft_status weft_ocl_scan_chunks(int dev, size_t n, void *data, void *sums) {
  if (n == 0) return WEFT_OK;
  WEFT_RETURN_NOT_OK_OCL(need("scan_chunks", data && sums));
  cl_mem dt = data, s = sums;
  cl_ulong rows = n;
  weft_ocl_arg args[] = {WEFT_OCL_ARG(dt), WEFT_OCL_ARG(rows), WEFT_OCL_ARG(s)};
  size_t chunks = (n + SCAN_CHUNK - 1) / SCAN_CHUNK;
  /* one work-group of WEFT_OCL_GROUP (= WK_JOIN_SCAN_CHUNK / 8) per chunk */
  return launch(dev, WEFT_OCL_JOIN_SCAN_BLOCKS, "scan_chunks", args, 3, chunks * WEFT_OCL_GROUP, 1);
}

weft_status weft_ocl_scan_add(int dev, size_t n, void *data, const void *sums) {
  if (n == 0) return WEFT_OK;
  WEFT_RETURN_NOT_OK_OCL(need("scan_add", data && sums));
  cl_mem dt = data, s = (cl_mem)sums;
  cl_ulong rows = n;
  weft_ocl_arg args[] = {WEFT_OCL_ARG(dt), WEFT_OCL_ARG(rows), WEFT_OCL_ARG(s)};
  return launch(dev, WEFT_OCL_JOIN_SCAN_ADD, "scan_add", args, 3, n, 0);
}
