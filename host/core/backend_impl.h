/* The contract between the host core and a backend (cpu built in; opencl and cuda loaded
 * with dlopen). A backend is one table of function pointers, returned by the exported
 * function `weft_backend_entry` of its shared library. The host never includes CUDA or
 * OpenCL headers; a backend never prints: it reports through host->set_error.
 *
 * Buffers are opaque handles (void *). For a backend with `host_memory` = 1 a handle is a
 * plain host pointer, so the scheduler hands it host data directly with no copy.
 * Kernels always see buffers from offset 0: the scheduler stages each partition into its
 * own buffers (or, on host-memory backends, passes pointers at the partition start). */
#ifndef WEFT_BACKEND_IMPL_H
#define WEFT_BACKEND_IMPL_H

#include <stddef.h>
#include <stdint.h>

#include "weft.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Bump on any change to the structs below: the host refuses a backend of another version.
 * Adding a weft__kernel id with its own args struct is not such a change (ABI 6). */
#define WEFT_BACKEND_ABI_VERSION 6

/* What the host offers a backend. */
typedef struct weft__host_api {
  uint32_t abi_version;
  /* Records `status` with a printf-style message as the calling thread's last error and
   * returns `status`, so a backend writes `return host->set_error(WEFT_ERR_DEVICE, ...)`. */
  weft_status (*set_error)(weft_status status, const char *fmt, ...)
#if defined(__GNUC__)
      __attribute__((format(printf, 2, 3)))
#endif
      ;
} weft__host_api;

typedef struct weft__device_desc {
  char name[WEFT_NAME_MAX];
  uint64_t memory_bytes;      /* physical memory the device can allocate */
  uint64_t max_alloc_bytes;   /* largest single buffer (CL_DEVICE_MAX_MEM_ALLOC_SIZE) */
  int compute_units;
  int has_fp64;
  int is_gpu;                 /* a discrete/integrated GPU, as opposed to a CPU OpenCL device */
  /* Added last, with no version bump: the host zeroes the struct before device_desc, so a
   * backend built before these fields reads as "PCI address unknown". The card's PCI
   * address, so the host lists a GPU that both OpenCL (NVIDIA's ICD) and CUDA see once
   * (host/core/device_dedup.c). pci_known: 0 unknown, 1 bus and device, 2 domain too. */
  int pci_known;
  uint32_t pci_domain, pci_bus, pci_device;
} weft__device_desc;

/* Partial result of a reduction over one partition; the host merges them in row order. */
typedef struct weft__reduce_partial {
  double sum;
  double min;                 /* NaN when no non-NaN valid value */
  double max;
  uint64_t count;             /* valid values */
} weft__reduce_partial;

/* Exact k-NN works on running top-k lists of 64-bit keys, one list of k per query:
 *   key = (orderable_bits(dist) << 32) | position
 * where dist is "smaller is better" (squared L2 without the query norm, or minus the inner
 * product), orderable_bits maps a float's bits so unsigned order is float order
 * (u ^ (u >> 31 ? 0xFFFFFFFF : 0x80000000)), and position is the row in the index, whose
 * rows are kept in id order: comparing keys breaks distance ties by the smaller id on
 * every device. An empty slot is WEFT_KNN_EMPTY (all ones). Lists are unordered sets until
 * knn_sort. */
#define WEFT_KNN_EMPTY UINT64_MAX

typedef enum weft__knn_metric {
  WEFT__KNN_L2 = 0, /* dist = |x|^2 - 2 q.x, or max(0, that + |q|^2) with query_norms */
  WEFT__KNN_IP = 1  /* dist = -q.x (cosine: vectors normalized beforehand) */
} weft__knn_metric;

typedef struct weft__knn_tile {
  size_t nq, nb, dim, k;
  weft__knn_metric metric;
  const void *queries;     /* nq x dim float32, row-major */
  const void *base;        /* nb x dim float32, row-major */
  const void *base_norms;  /* nb float32 |x|^2 (used by L2) */
  const void *allowed;     /* bitset over positions (bit p of byte p/8), or NULL: all allowed */
  uint64_t position0;      /* position of base row 0: keys and `allowed` use position0 + j */
  void *scratch;           /* nq x nb float32 for the distance tile (NULL on host-memory backends) */
  const void *list_in;     /* nq x k uint64 keys */
  void *list_out;          /* nq x k uint64 keys: the k smallest of list_in and this tile */
  /* nq float32 |q|^2, or NULL. With it (L2 only) dist is the distance reported,
   * max(0, (|x|^2 - 2 q.x) + |q|^2), so the ranking and the report agree exactly. */
  const void *query_norms;
} weft__knn_tile;

/* One launch of the expression interpreter (kernels/expr_eval.kern) over a partition. The
 * program (kernels/expr_program.h, WK_EXPR_PROGRAM_BYTES) and the inputs (each column's
 * values and validity in regions laid out by WK_EXPR_REGION_BYTES for `stride` rows) are
 * device buffers the host filled. */
typedef struct weft__expr_launch {
  size_t rows;             /* rows of this partition, <= stride */
  size_t stride;           /* rows the input regions are sized for */
  int mode;                /* WK_EXPR_MODE_VALUES or WK_EXPR_MODE_MASK (a filter) */
  const void *program;
  const void *inputs;
  void *out;               /* values of the output type (bool: a bitmap), or the mask bitmap */
  void *out_valid;         /* validity bitmap, or NULL: not written */
  void *err;               /* one uint32, set to 1 when a checked cast fails */
} weft__expr_launch;

/* Grouping and per-group aggregation (kernels/group_hash.kern, group_agg.kern). Every one of
 * these kernels takes the same arguments: a count `n` (the grid-stride bound: rows, tiles or
 * groups), three scalars and six buffers, whose meaning each kernel's comment in the .kern
 * file gives; unused ones are 0 / NULL. Row indices are 32-bit (rows < 2^31). Only 32-bit
 * integer atomics are used (core OpenCL 1.2), so results do not depend on timing. */
typedef enum weft__group_kernel {
  WEFT__GK_FILL32 = 0,   /* b0[i] = a for i < n */
  WEFT__GK_INSERT,       /* rows into the open-addressing table of key tuples */
  WEFT__GK_MARK,         /* 1 for the first row of each slot */
  WEFT__GK_SCAN_SUM,     /* per-tile sums of a u32 array (exclusive scan, step 1) */
  WEFT__GK_SCAN_APPLY,   /* in-tile exclusive scan from the tile's base (step 2) */
  WEFT__GK_NUMBER,       /* group id of each row, first row of each group */
  WEFT__GK_COUNT,        /* rows per group (32-bit atomic increments) */
  WEFT__GK_RADIX_HIST,   /* per-tile digit counts of group ids (stable LSD radix) */
  WEFT__GK_RADIX_SCATTER,/* stable placement by digit */
  WEFT__GK_AGG,          /* one work-item per chunk of a group's rows, in row order (fp64) */
  WEFT__GK_CHUNK_COUNT,  /* chunks of each group's rows */
  WEFT__GK_CHUNK_MAP,    /* first sorted row of each chunk */
  WEFT__GK_AGG_MERGE,    /* one work-item per group: its chunks' partials in order (fp64) */
  WEFT__GK_KERNEL_COUNT
} weft__group_kernel;

/* Rows (or array entries) one work-item of SCAN_* and RADIX_* walks in order. */
#define WEFT_GROUP_TILE 256

typedef struct weft__group_launch {
  weft__group_kernel kernel;
  uint64_t n;
  uint64_t a, b, c;
  void *buf[6];
} weft__group_launch;
/* The probe side of a device join (kernels/join_hash.kern, host/frame/join/join_device.c): the
 * left rows' key words against the table built over the right rows. */
typedef struct weft__join_probe {
  size_t rows;             /* left rows */
  size_t words;            /* key words per row, both sides */
  size_t slots;            /* hash table slots, a power of two */
  int kind;                /* weft_join_kind */
  const void *keys;        /* rows x words uint64, row-major */
  const void *valid;       /* rows uint8: 0 when a key is null */
  const void *right_keys;  /* the right rows' words, as `keys` */
  const void *owner;       /* slots uint32: the right row holding each slot's key, or all ones */
  const void *seg_start;   /* slots uint32: each slot's rows in `right_rows` */
  const void *seg_end;
  const void *right_rows;  /* uint32 right rows, grouped by slot, each group in right order */
  void *match;             /* rows uint32: each left row's slot, or all ones */
  void *count;             /* rows uint64: its output rows (probe_count); their scan (emit) */
  void *out_left;          /* int64 output rows: left row */
  void *out_right;         /* int64 output rows: right row or -1; NULL for semi / anti */
  /* emit only: left rows [emit_row0, emit_row0 + emit_rows), whose output rows from
   * emit_base on are written from out_left[0] / out_right[0] on */
  size_t emit_row0, emit_rows;
  uint64_t emit_base;
} weft__join_probe;

/* The kernels queued through the table's one `launch` entry (ABI 6): an id, and a pointer
 * to that kernel's own args struct, declared beside its id. Ids are grouped by family, a
 * block of 0x100 each, and never reused or renumbered: a new operation adds ids here (and a
 * case to each backend's switch), not an entry to weft__backend. A backend answers
 * WEFT_ERR_UNSUPPORTED, naming the id, for an id it does not have. */
typedef enum weft__kernel {
  /* The hash join's steps (kernels/join_hash.kern says what each does), queued in order;
   * host/frame/join/join_device.c drives them. `hist` of a radix pass holds
   * 16 x ceil(n / 64) uint64. */
  WEFT__K_JOIN_CLEAR = 0x100,         /* weft__join_clear_args */
  WEFT__K_JOIN_INSERT = 0x101,        /* weft__join_insert_args */
  WEFT__K_JOIN_RADIX_COUNT = 0x102,   /* weft__join_radix_count_args */
  WEFT__K_JOIN_RADIX_SCATTER = 0x103, /* weft__join_radix_scatter_args */
  WEFT__K_JOIN_BOUNDS = 0x104,        /* weft__join_bounds_args */
  WEFT__K_JOIN_PROBE_COUNT = 0x105,   /* weft__join_probe */
  WEFT__K_JOIN_EMIT = 0x106,          /* weft__join_probe */
  /* Exclusive scan of n uint64 in place, per chunk of 2048; sums[c] = chunk c's total. Then
   * SCAN_ADD adds the scanned sums back: data[i] += sums[i / 2048]. */
  WEFT__K_SCAN_CHUNKS = 0x200,        /* weft__scan_chunks_args */
  WEFT__K_SCAN_ADD = 0x201,           /* weft__scan_add_args */
  /* The certified reduced-precision k-NN pass (kernels/knn_certified.kern, docs/knn_bound.md
   * section 10); host/vector/knn_certified_device.c drives them. KNN_MERGE folds the values a
   * tile's scratch already holds into the lists (knn_tile without its inner products). */
  WEFT__K_KNN_CERT_BOUND = 0x300,     /* weft__knn_cert_args */
  WEFT__K_KNN_CERT_RERANK = 0x301,    /* weft__knn_cert_args */
  WEFT__K_KNN_MERGE = 0x302,          /* weft__knn_tile */
  WEFT__K_MAX_ENUM = 0x7fffffff       /* not a kernel: keeps any 31-bit id a valid value */
} weft__kernel;

typedef struct weft__launch {
  weft__kernel kernel;
  const void *args;        /* the kernel's args struct, never NULL */
} weft__launch;

typedef struct weft__join_clear_args {
  size_t slots;
  void *owner, *seg_start, *seg_end;
} weft__join_clear_args;

typedef struct weft__join_insert_args {
  size_t rows, words;
  const void *keys, *valid;
  size_t slots;
  void *owner, *slot_of, *row_of;
} weft__join_insert_args;

typedef struct weft__join_radix_count_args {
  size_t n;
  unsigned shift;
  const void *slot_in;
  void *hist;
} weft__join_radix_count_args;

typedef struct weft__join_radix_scatter_args {
  size_t n;
  unsigned shift;
  const void *slot_in, *row_in, *hist;
  void *slot_out, *row_out;
} weft__join_radix_scatter_args;

typedef struct weft__join_bounds_args {
  size_t n, slots;
  const void *slot_sorted;
  void *seg_start, *seg_end;
} weft__join_bounds_args;

typedef struct weft__scan_chunks_args {
  size_t n;
  void *data, *sums;
} weft__scan_chunks_args;

/* One shard of the certified pass: nq queries x nb rows (positions position0 + j). */
typedef struct weft__knn_cert_args {
  size_t nq, nb, dim;
  size_t words;            /* a query's and a row's packed words: bf16 pairs or int8 groups */
  int int8, l2;            /* the operands; l2 keys (with query_norms) or -ip */
  uint64_t position0;      /* a multiple of 16: the shard starts on a panel */
  const void *qwords;      /* nq x words packed as the CPU pass packs them */
  const void *coef;        /* nq x 5 float: alpha, beta, tau, s_q, m_q (int8) */
  const void *panels;      /* ceil(nb / 16) panels of words x 16 lanes, the shard's */
  const void *norm_up, *resid_up, *row_scale; /* nb float each (row_scale: int8's s_x) */
  const void *norms;       /* nb float |x|^2 (l2) */
  const void *query_norms; /* nq float |q|^2 (l2) */
  /* RERANK only */
  const void *bar;         /* nq float: T, the k-th smallest U of each query */
  const void *queries;     /* nq x dim float, as the fp32 scan takes them */
  const void *base;        /* nb x dim float */
  const void *allowed;     /* bitset over positions, or NULL */
  void *count;             /* nq uint32: survivors added */
  void *out;               /* nq x nb float: BOUND -U; RERANK the fp32 ip or NaN */
} weft__knn_cert_args;

typedef struct weft__scan_add_args {
  size_t n;
  void *data;
  const void *sums;
} weft__scan_add_args;

/* The kernel's name ("join_clear"), or NULL for an id not listed above. */
static inline const char *weft__kernel_name(weft__kernel kernel) {
  switch (kernel) {
    case WEFT__K_JOIN_CLEAR: return "join_clear";
    case WEFT__K_JOIN_INSERT: return "join_insert";
    case WEFT__K_JOIN_RADIX_COUNT: return "join_radix_count";
    case WEFT__K_JOIN_RADIX_SCATTER: return "join_radix_scatter";
    case WEFT__K_JOIN_BOUNDS: return "join_bounds";
    case WEFT__K_JOIN_PROBE_COUNT: return "join_probe_count";
    case WEFT__K_JOIN_EMIT: return "join_emit";
    case WEFT__K_SCAN_CHUNKS: return "scan_chunks";
    case WEFT__K_SCAN_ADD: return "scan_add";
    case WEFT__K_KNN_CERT_BOUND: return "knn_cert_bound";
    case WEFT__K_KNN_CERT_RERANK: return "knn_cert_rerank";
    case WEFT__K_KNN_MERGE: return "knn_merge";
    default: return NULL;
  }
}

/* One launch of describe's block statistics (kernels/describe_blocks.kern) over a column:
 * its values and validity staged from the byte holding row 0's bit, so bit `bit0` is row 0
 * (bool values too); other types from row 0. */
typedef struct weft__describe_launch {
  size_t rows;
  int type;                /* WK_DESC_* of kernels/describe_blocks.h */
  unsigned bit0;           /* 0..7 */
  const void *values;
  const void *valid;       /* NULL: every row valid */
  void *out;               /* WK_DESC_WORDS uint64 per block of WK_DESC_BLOCK rows */
} weft__describe_launch;

/* read_csv's device parse (kernels/csv_parse.kern) over one slice of the file: its bytes
 * (starting with a record), its records and the columns' types (WK_CSV_* of
 * kernels/csv_parse.h). Offsets are from the slice's first byte. */
typedef struct weft__csv_launch {
  size_t rows, bytes;
  unsigned delim, ncols, nnulls;
  const void *data;        /* `bytes` bytes */
  void *scratch;           /* WK_CSV_SCRATCH_BYTES(bytes) bytes for csv_records */
  void *starts;            /* rows uint64: where each record starts */
  const void *types;       /* ncols uint32 */
  const void *col_off;     /* ncols uint64: column c's values at out + col_off[c] */
  void *out;
  void *valid;             /* ncols x rows bytes, column after column */
  void *flags;             /* rows bytes: WK_CSV_REDO for the host to parse the record */
  const void *null_off;    /* nnulls + 1 uint32 into null_text */
  const void *null_text;
} weft__csv_launch;

typedef struct weft__backend {
  uint32_t abi_version;       /* WEFT_BACKEND_ABI_VERSION */
  const char *name;           /* "cpu", "opencl", "cuda" */
  int host_memory;            /* 1: buffer handles are host pointers (cpu) */

  /* Finds the devices. Failing here (no driver, no platform) skips the backend and the
   * message becomes its recorded reason. Called once, before anything else. */
  weft_status (*init)(const weft__host_api *host);
  void (*shutdown)(void);
  int (*device_count)(void);
  weft_status (*device_desc)(int dev, weft__device_desc *out);

  /* Memory. Accounting and caps live in the host, not here. */
  weft_status (*buffer_alloc)(int dev, size_t bytes, void **handle);
  void (*buffer_free)(int dev, void *handle);
  /* blocking = 0 may return before the copy ends; the host keeps `src`/`dst` alive until
   * synchronize(dev). Work on one device runs in submission order. */
  weft_status (*buffer_write)(int dev, void *dst, size_t dst_offset, const void *src, size_t bytes,
                              int blocking);
  weft_status (*buffer_read)(int dev, const void *src, size_t src_offset, void *dst, size_t bytes,
                             int blocking);
  weft_status (*buffer_copy)(int dev, void *dst, size_t dst_offset, const void *src,
                             size_t src_offset, size_t bytes);
  weft_status (*synchronize)(int dev);

  /* Kernels; `n` rows from offset 0 of each buffer, queued in order after earlier work.
   * out = a*x + y */
  weft_status (*axpy)(int dev, weft_dtype dtype, size_t n, double a, const void *x, const void *y,
                      void *out);
  /* out[i] = a[i] & b[i] over nbytes bytes of validity bitmaps. */
  weft_status (*bitmap_and)(int dev, size_t nbytes, const void *a, const void *b, void *out);
  /* Zeroes out[i] where bit i of `valid` is 0 (null slots hold 0, so results do not depend
   * on the device). */
  weft_status (*zero_nulls)(int dev, weft_dtype dtype, size_t n, const void *valid, void *out);
  /* Reduces n rows; `valid` may be NULL (all valid). Blocks until `out` is filled. */
  weft_status (*reduce)(int dev, weft_dtype dtype, size_t n, const void *x, const void *valid,
                        weft__reduce_partial *out);

  /* Folds the distances of queries x base into the running lists. list_in may equal
   * list_out only on host-memory backends. */
  weft_status (*knn_tile)(int dev, const weft__knn_tile *tile);
  /* Sorts each of the nq lists of k keys ascending (best first, empties last). */
  weft_status (*knn_sort)(int dev, size_t nq, size_t k, void *lists);

  /* Column expressions (select / with_columns values, or a filter's mask), queued like the
   * kernels above. NULL on the CPU backend, which evaluates host/frame/expr/expr_eval.c in place. */
  weft_status (*expr_eval)(int dev, const weft__expr_launch *launch);

  /* Table sort (ABI 4): a stable ascending LSD radix sort of n uint64 keys carrying int64
   * row numbers, both device buffers of n entries, in place. Only the low key_bytes (1..8)
   * bytes of a key count, and a 4-bit digit d is sorted on only when bits 4d..4d+3 of
   * `varies` (keys OR'ed XOR keys AND'ed) are not all 0. The backend allocates its
   * temporaries (at most WEFT_SORT_PAIRS_TEMP_BYTES(n), which the host reserves under the
   * device's cap), frees them, and returns once sorted; no memory for them is
   * WEFT_ERR_DEVICE_MEMORY. NULL on the CPU backend, which sorts with host/frame/sort/sort_radix.c. */
  weft_status (*sort_pairs)(int dev, size_t n, int key_bytes, uint64_t varies, void *keys,
                            void *rows);
  /* ABI 4. Queues one grouping kernel (weft__group_launch). NULL on the CPU backend, which
   * groups with host hash tables (host/frame/group/group_rows.c). WEFT_ERR_UNSUPPORTED for
   * WEFT__GK_AGG and WEFT__GK_AGG_MERGE on a device without fp64. */
  weft_status (*group_kernel)(int dev, const weft__group_launch *launch);
  /* ABI 6. Queues one kernel of weft__kernel (above) with its own args struct, in order
   * after earlier work. An id the backend does not have is WEFT_ERR_UNSUPPORTED with a
   * message naming the id, so a new operation adds kernel ids, not entries here. NULL on
   * the CPU backend, which runs those operations on the host. */
  weft_status (*launch)(int dev, const weft__launch *launch);
  /* ABI 4. Queues describe's statistics of each block of one column (weft__describe_launch);
   * WEFT_ERR_UNSUPPORTED on a device without fp64. NULL on the CPU backend, which runs
   * host/frame/describe/op_describe.c's blocks. */
  weft_status (*describe_blocks)(int dev, const weft__describe_launch *launch);
  /* ABI 4. read_csv's device parse (weft__csv_launch), queued in order: csv_records writes
   * each record's start (blocks of bytes in parallel), csv_fields parses each record into
   * the columns and flags (one work-item a record). WEFT_ERR_UNSUPPORTED on a device without
   * fp64. NULL on the CPU backend, which parses in host/frame/io/csv_read.c. */
  weft_status (*csv_records)(int dev, const weft__csv_launch *launch);
  weft_status (*csv_fields)(int dev, const weft__csv_launch *launch);
  /* ABI 5. Optional (NULL on cpu and opencl): how knn_tile computes the inner products on
   * `dev`, for the exec report, e.g. "k-NN inner products: cuBLAS SGEMM" or, where cuBLAS
   * is off, the portable kernel and why. NULL: nothing to say. The text stays valid until
   * shutdown. */
  const char *(*knn_note)(int dev);
} weft__backend;

/* Device bytes sort_pairs may allocate besides its n keys and rows: one more copy of each
 * (16 n) and the per-block digit counts (16 x 8 bytes a block of 1024 keys). */
#define WEFT_SORT_PAIRS_TEMP_BYTES(n) ((size_t)(n) * 17u + 4096u)

/* The one symbol a backend library exports. Returns NULL when `abi_version` differs. */
typedef const weft__backend *(*weft__backend_entry_fn)(uint32_t abi_version);
#define WEFT_BACKEND_ENTRY_SYMBOL "weft_backend_entry"

#ifdef __cplusplus
}
#endif
#endif /* WEFT_BACKEND_IMPL_H */
