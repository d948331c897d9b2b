/* The hash join's steps on CUDA: the kernels of kernels/join_hash.kern, launched one by one
 * on the device's stream exactly as opencl/opencl_join.c launches them (same grid-stride
 * sizing, same scan chunks), so the PoCL run checks the logic a GPU runs. */
#include "cuda_internal.h"

#include "dialect.h"
#include "join_hash.h"
#include "join_hash.kern"

/* Blocks for a grid-stride kernel over `items` work-items (> 0). */
static unsigned wc_join_grid(size_t items) {
  size_t g = (items + WK_GROUP_SIZE - 1) / WK_GROUP_SIZE;
  if (g == 0) g = 1;
  return g > WC_MAX_GRID ? WC_MAX_GRID : (unsigned)g;
}

static weft_status wc_join_need(const char *op, bool ok) {
  return ok ? WEFT_OK
            : wc_error(WEFT_ERR_INVALID_ARGUMENT, "cuda: %s: a buffer handle is NULL", op);
}

static size_t wc_radix_chunks(size_t n) { return (n + WK_JOIN_RADIX_CHUNK - 1) / WK_JOIN_RADIX_CHUNK; }

weft_status wc_join_clear(int dev, size_t slots, void *owner, void *seg_start, void *seg_end) {
  WC_TRY(wc_join_need("join_clear", owner && seg_start && seg_end));
  if (slots == 0) return WEFT_OK;
  WC_ENTER(dev);
  WC_LAUNCH(dev, weft_join_clear, wc_join_grid(slots), (wk_u32 *)owner, (wk_u32 *)seg_start,
            (wk_u32 *)seg_end, (wk_u64)slots);
  return WEFT_OK;
}

weft_status wc_join_insert(int dev, size_t rows, size_t words, const void *keys, const void *valid,
                           size_t slots, void *owner, void *slot_of, void *row_of) {
  if (rows == 0) return WEFT_OK;
  WC_TRY(wc_join_need("join_insert", keys && valid && owner && slot_of && row_of));
  WC_ENTER(dev);
  WC_LAUNCH(dev, weft_join_insert, wc_join_grid(rows), (const wk_u64 *)keys, (const wk_u8 *)valid,
            (wk_u64)rows, (wk_u32)words, (wk_u32 *)owner, (wk_u64)slots, (wk_u32 *)slot_of,
            (wk_u32 *)row_of);
  return WEFT_OK;
}

weft_status wc_join_radix_count(int dev, size_t n, unsigned shift, const void *slot_in, void *hist) {
  if (n == 0) return WEFT_OK;
  WC_TRY(wc_join_need("join_radix_count", slot_in && hist));
  WC_ENTER(dev);
  size_t chunks = wc_radix_chunks(n);
  WC_LAUNCH(dev, weft_join_radix_count, wc_join_grid(chunks), (const wk_u32 *)slot_in, (wk_u64)n,
            (wk_u32)shift, (wk_u64)chunks, (wk_u64 *)hist);
  return WEFT_OK;
}

weft_status wc_join_radix_scatter(int dev, size_t n, unsigned shift, const void *slot_in,
                                  const void *row_in, const void *hist, void *slot_out,
                                  void *row_out) {
  if (n == 0) return WEFT_OK;
  WC_TRY(wc_join_need("join_radix_scatter", slot_in && row_in && hist && slot_out && row_out));
  WC_ENTER(dev);
  size_t chunks = wc_radix_chunks(n);
  WC_LAUNCH(dev, weft_join_radix_scatter, wc_join_grid(chunks), (const wk_u32 *)slot_in,
            (const wk_u32 *)row_in, (wk_u64)n, (wk_u32)shift, (wk_u64)chunks,
            (const wk_u64 *)hist, (wk_u32 *)slot_out, (wk_u32 *)row_out);
  return WEFT_OK;
}

weft_status wc_join_bounds(int dev, size_t n, size_t slots, const void *slot_sorted,
                           void *seg_start, void *seg_end) {
  if (n == 0) return WEFT_OK;
  WC_TRY(wc_join_need("join_bounds", slot_sorted && seg_start && seg_end));
  WC_ENTER(dev);
  WC_LAUNCH(dev, weft_join_bounds, wc_join_grid(n), (const wk_u32 *)slot_sorted, (wk_u64)n,
            (wk_u64)slots, (wk_u32 *)seg_start, (wk_u32 *)seg_end);
  return WEFT_OK;
}

weft_status wc_join_probe_count(int dev, const weft__join_probe *p) {
  if (!p) return wc_join_need("join_probe_count", false);
  if (p->rows == 0) return WEFT_OK;
  WC_TRY(wc_join_need("join_probe_count", p->keys && p->valid && p->right_keys && p->owner &&
                                              p->seg_start && p->seg_end && p->match && p->count));
  WC_ENTER(dev);
  WC_LAUNCH(dev, weft_join_probe_count, wc_join_grid(p->rows), (const wk_u64 *)p->keys,
            (const wk_u8 *)p->valid, (wk_u64)p->rows, (wk_u32)p->words,
            (const wk_u64 *)p->right_keys, (const wk_u32 *)p->owner, (wk_u64)p->slots,
            (const wk_u32 *)p->seg_start, (const wk_u32 *)p->seg_end, (wk_i32)p->kind,
            (wk_u32 *)p->match, (wk_u64 *)p->count);
  return WEFT_OK;
}

weft_status wc_join_emit(int dev, const weft__join_probe *p) {
  if (!p) return wc_join_need("join_emit", false);
  if (p->rows == 0) return WEFT_OK;
  bool pairs = p->kind == WEFT_JOIN_INNER || p->kind == WEFT_JOIN_LEFT;
  WC_TRY(wc_join_need("join_emit", p->match && p->count && p->seg_start && p->seg_end &&
                                       p->right_rows && p->out_left && (!pairs || p->out_right)));
  if (p->emit_row0 + p->emit_rows > p->rows)
    return wc_error(WEFT_ERR_INVALID_ARGUMENT, "cuda: join_emit: rows %zu..%zu of %zu",
                    p->emit_row0, p->emit_row0 + p->emit_rows, p->rows);
  if (p->emit_rows == 0) return WEFT_OK;
  WC_ENTER(dev);
  WC_LAUNCH(dev, weft_join_emit, wc_join_grid(p->emit_rows), (const wk_u32 *)p->match,
            (wk_u64)p->emit_row0, (wk_u64)p->emit_rows, (const wk_u64 *)p->count,
            (wk_u64)p->emit_base, (const wk_u32 *)p->seg_start, (const wk_u32 *)p->seg_end,
            (const wk_u32 *)p->right_rows, (wk_i32)p->kind, (wk_i64 *)p->out_left,
            (wk_i64 *)p->out_right);
  return WEFT_OK;
}

weft_status wc_scan_chunks(int dev, size_t n, void *data, void *sums) {
  if (n == 0) return WEFT_OK;
  WC_TRY(wc_join_need("scan_chunks", data && sums));
  WC_ENTER(dev);
  size_t chunks = (n + WK_JOIN_SCAN_CHUNK - 1) / WK_JOIN_SCAN_CHUNK;
  /* one block per chunk, as OpenCL launches one work-group per chunk */
  WC_LAUNCH(dev, weft_join_scan_blocks, chunks > WC_MAX_GRID ? WC_MAX_GRID : (unsigned)chunks,
            (wk_u64 *)data, (wk_u64)n, (wk_u64 *)sums);
  return WEFT_OK;
}

weft_status wc_scan_add(int dev, size_t n, void *data, const void *sums) {
  if (n == 0) return WEFT_OK;
  WC_TRY(wc_join_need("scan_add", data && sums));
  WC_ENTER(dev);
  WC_LAUNCH(dev, weft_join_scan_add, wc_join_grid(n), (wk_u64 *)data, (wk_u64)n,
            (const wk_u64 *)sums);
  return WEFT_OK;
}
