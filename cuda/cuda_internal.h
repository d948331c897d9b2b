/* Shared state and helpers of the CUDA backend (libweft_cuda.so). Every symbol here is
 * hidden; the library exports only weft_backend_entry. Nothing prints, aborts or exits:
 * errors go to the host through wc_error. */
#ifndef WEFT_CUDA_INTERNAL_H
#define WEFT_CUDA_INTERNAL_H

#include <cuda_runtime.h>

#include <atomic>
#include <mutex>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <unordered_map>

#include "core/backend_impl.h"
#include "cuda_cublas_loader.h" /* cuBLAS types; its functions only through the table */
#include "cuda_device_state.h"

/* Entries of each of the 4 reduce partial arrays (sum, min, max, count): at most this many
 * blocks per reduce launch. */
#define WC_REDUCE_MAX_GROUPS 1024
#define WC_MAX_GRID 65535u

/* A device is found at init (its properties only: no context) and initialised on its first
 * use (wc_enter -> wc_gate_open): context, stream, memory cap and self-test, once. A device
 * never used gets no context; one that fails stays off with its reason, the others work. */
typedef struct wc_device {
  char name[WEFT_NAME_MAX] = {0};
  uint64_t memory_bytes = 0;     /* what device_desc reports: total less the headroom */
  uint64_t total_bytes = 0;      /* totalGlobalMem */
  int compute_units = 0;
  wc_gate gate;                  /* the first use's initialisation (cuda_device_state.h) */
  /* Set at the first use: cudaMemGetInfo's free memory less the headroom (wc_memory_cap);
   * wc_buffer_alloc and the sort's temporaries refuse to pass it. */
  uint64_t cap_bytes = 0;
  std::atomic<uint64_t> allocated{0}; /* bytes of live allocations counted against cap_bytes */
  std::mutex sizes_lock;
  std::unordered_map<void *, size_t> sizes; /* each live allocation's bytes (wc_free) */
  uint32_t pci_domain = 0, pci_bus = 0, pci_device = 0; /* the host's OpenCL/CUDA match */
  cudaStream_t stream = nullptr; /* non-blocking; all work of this device, in order */
  std::mutex lock;               /* guards the lazy members below and the reduce scratch */
  cublasHandle_t cublas = nullptr; /* lazy (wc_cublas), bound to `stream` */
  /* cuBLAS on this device: 0 not tried yet, 1 usable, -1 not (library or handle failed;
   * cublas_why says why): k-NN then uses the portable weft_knn_gemm. */
  int cublas_state = 0;
  char cublas_why[WEFT_REASON_MAX] = "";
  /* The exec report's k-NN line (wc_knn_note): set, once, by the device's first knn_tile. */
  char knn_note[WEFT_REASON_MAX + 128] = "";
  void *reduce_dev = nullptr;    /* lazy: 4 x WC_REDUCE_MAX_GROUPS x 8 bytes on the device */
  void *reduce_host = nullptr;   /* lazy: the same size, pinned */
  bool async_alloc = false;      /* memory pools supported: cudaMallocAsync / cudaFreeAsync */
  /* Pinned staging for copies from / to pageable host memory (cuda_memory.cu): two chunks of
   * WC_STAGING_CHUNK, lazy, each with the event of its last copy; staging_lock is held while
   * a copy uses them. */
  std::mutex staging_lock;
  void *staging[2] = {nullptr, nullptr};
  cudaEvent_t staged[2] = {nullptr, nullptr};
} wc_device;

typedef struct wc_state {
  const weft__host_api *host;
  int count;
  wc_device *devs;          /* count entries */
  /* Environment switches, read at init (cuda_device_state.h) */
  bool sync_check;          /* WEFT_CUDA_SYNC_CHECK: synchronise and check after each launch */
  const char *knn_gemm;     /* WEFT_CUDA_KNN_GEMM: "portable" forces weft_knn_gemm */
} wc_state;

extern wc_state wc_g;

/* Formats the message, keeps a copy for the calling thread (wc_last_message) and records
 * it with host->set_error. Returns `status`. */
weft_status wc_error(weft_status status, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
/* The last message wc_error formatted on this thread ("" if none). */
const char *wc_last_message(void);
/* Name of device `dev` for messages ("?" when unknown). */
const char *wc_device_name(int dev);

/* "cuda: cudaMalloc failed on device 0 (NVIDIA H100): out of memory (2)". `expr` is the
 * call's source text; the name before its '(' is used. Allocation failures give
 * WEFT_ERR_DEVICE_MEMORY, others WEFT_ERR_DEVICE. Also clears the thread's CUDA last
 * error, so a later cudaGetLastError does not report this failure again. */
weft_status wc_fail(int dev, const char *expr, cudaError_t err);
weft_status wc_fail(int dev, const char *expr, cublasStatus_t err);
/* Length of the call's name in `expr` ("cudaMalloc(&p, n)" -> 10), for wc_fail. */
static inline int wc_call_name_len(const char *expr) { return (int)strcspn(expr, "( "); }
static inline bool wc_ok(cudaError_t e) { return e == cudaSuccess; }
static inline bool wc_ok(cublasStatus_t s) { return s == CUBLAS_STATUS_SUCCESS; }

/* Returns from the enclosing function (which returns weft_status) when `call` fails. */
#define WC_CHECK(dev, call)                                   \
  do {                                                        \
    auto wc_r_ = (call);                                      \
    if (!wc_ok(wc_r_)) return wc_fail((dev), #call, wc_r_);   \
  } while (0)

/* Every entry point that works on a device holds one of these for its whole call (RAII):
 * it checks `dev`, initialises it on its first use (context, stream, memory cap, self-test;
 * a device that failed that gives its reason), makes it the calling thread's current device
 * (the host may call from any thread) and, when it leaves, gives the thread back what it
 * had, so a caller's own CUDA code is not moved to another GPU: its current context when it
 * had one (cuCtxGetCurrent / cuCtxSetCurrent, so a context the caller made itself too), else
 * its runtime device (cudaGetDevice before, cudaSetDevice after). One exception: when the
 * thread's device was never chosen (device 0 by default) and no context exists on it, it is
 * not restored, since cudaSetDevice would create a context on a GPU weft never used (see
 * wc_restore_device). */
class wc_device_guard {
 public:
  explicit wc_device_guard(int dev);
  ~wc_device_guard();
  wc_device_guard(const wc_device_guard &) = delete;
  wc_device_guard &operator=(const wc_device_guard &) = delete;
  weft_status status = WEFT_OK;

 private:
  void *prev_ctx_ = nullptr; /* the thread's CUcontext before, when it had one and it moved */
  int prev_ = -1;            /* else the thread's device before, or -1: nothing to restore */
};
/* Declares the guard in the enclosing scope and returns from the enclosing function (which
 * returns weft_status) when it fails. At most once per scope. */
#define WC_ENTER(dev)                              \
  wc_device_guard wc_guard_(dev);                  \
  if (wc_guard_.status != WEFT_OK) return wc_guard_.status
/* Gives the thread `prev` back as its current device (the guard's destructor). */
void wc_restore_device(int prev);
#define WC_TRY(expr)                               \
  do {                                             \
    weft_status wc_s_ = (expr);                    \
    if (wc_s_ != WEFT_OK) return wc_s_;            \
  } while (0)

/* Queues `kernel` (one of kernels/, so the file includes dialect.h) with WK_GROUP_SIZE
 * threads per block on the device's stream and returns from the enclosing function when the
 * launch fails. The thread's last error is cleared first, so only this launch is checked.
 * With WEFT_CUDA_SYNC_CHECK=1 the stream is also synchronised after the launch and the
 * errors checked again, so a fault in the kernel's run (an illegal address...) is reported
 * naming that kernel instead of at a later call (slow: for tracing only). */
#define WC_LAUNCH(dev, kernel, grid, ...) \
  WC_LAUNCH_BLOCK(dev, kernel, grid, WK_GROUP_SIZE, __VA_ARGS__)
/* The same with `threads` per block, for a kernel that uses no local memory or barrier. */
#define WC_LAUNCH_BLOCK(dev, kernel, grid, threads, ...)                                \
  do {                                                                                  \
    (void)cudaGetLastError();                                                           \
    kernel<<<(grid), (threads), 0, wc_g.devs[dev].stream>>>(__VA_ARGS__);               \
    cudaError_t wc_e_ = cudaGetLastError();                                             \
    if (wc_e_ != cudaSuccess) return wc_fail((dev), #kernel "<<<>>>", wc_e_);           \
    if (wc_g.sync_check) WC_TRY(wc_sync_check((dev), #kernel "<<<>>>"));               \
  } while (0)
/* WEFT_CUDA_SYNC_CHECK's check after the launch `what` ("weft_sort_scatter<<<>>>",
 * "cublasSgemm"). */
weft_status wc_sync_check(int dev, const char *what);

/* cuda_cublas.cu. The cuBLAS table, the library opened on the first call in the process;
 * when it cannot be, WEFT_ERR_BACKEND_UNAVAILABLE naming the library or symbol (and `dev`,
 * for the message). */
weft_status wc_cublas_library(int dev, const wc_cublas_api **api);
/* Whether the library opens (opening it on the first call), setting no error. */
bool wc_cublas_loadable(void);
/* The table and the device's handle, created on first use and bound to its stream. */
weft_status wc_cublas(int dev, const wc_cublas_api **api, cublasHandle_t *handle);
/* Destroys the device's handle, if any (shutdown). */
void wc_cublas_release(wc_device *d);
/* Whether cuBLAS works on `dev` (library loaded, handle made): the first call tries, and a
 * failure is kept for the device (cublas_why) and costs it only cuBLAS. Sets no error. */
bool wc_cublas_usable(int dev);

/* cuda_memory.cu. Device memory comes from the stream-ordered pool (cudaMallocAsync /
 * cudaFreeAsync on the device's stream: no device-wide synchronisation on free), counted
 * against the device's cap. */
weft_status wc_buffer_alloc(int dev, size_t bytes, void **handle);
/* The same for the backend's own temporaries (`what` names them in the message); wc_free
 * releases them (and buffers) on the stream, after the work queued before. Both with the
 * device entered (WC_ENTER). */
weft_status wc_alloc(int dev, size_t bytes, void **out, const char *what);
void wc_free(int dev, void *p);
/* Frees the device's pinned staging chunks and their events (shutdown). */
void wc_staging_release(wc_device *d);
void wc_buffer_free(int dev, void *handle);
weft_status wc_buffer_write(int dev, void *dst, size_t dst_offset, const void *src, size_t bytes,
                            int blocking);
weft_status wc_buffer_read(int dev, const void *src, size_t src_offset, void *dst, size_t bytes,
                           int blocking);
weft_status wc_buffer_copy(int dev, void *dst, size_t dst_offset, const void *src,
                           size_t src_offset, size_t bytes);
weft_status wc_synchronize(int dev);

/* cuda_kernels.cu */
weft_status wc_axpy(int dev, weft_dtype dtype, size_t n, double a, const void *x, const void *y,
                    void *out);
weft_status wc_bitmap_and(int dev, size_t nbytes, const void *a, const void *b, void *out);
weft_status wc_zero_nulls(int dev, weft_dtype dtype, size_t n, const void *valid, void *out);
weft_status wc_reduce(int dev, weft_dtype dtype, size_t n, const void *x, const void *valid,
                      weft__reduce_partial *out);
/* Frees the device's reduce scratch (shutdown). */
void wc_reduce_release(wc_device *d);

/* cuda_knn.cu. knn_tile: the inner products into tile->scratch by the device's GEMM
 * (wc_knn_gemm_kind), then the portable weft_knn_topk_merge; knn_sort: the portable
 * weft_knn_sort. */
weft_status wc_knn_tile(int dev, const weft__knn_tile *tile);
weft_status wc_knn_sort(int dev, size_t nq, size_t k, void *lists);
/* The certified k-NN pass's launches (WEFT__K_KNN_MERGE, _CERT_BOUND, _CERT_RERANK). */
weft_status wc_knn_merge(int dev, const weft__knn_tile *tile);
weft_status wc_knn_cert(int dev, const weft__knn_cert_args *args, bool rerank);
/* out (row-major nq x nb) = queries (nq x dim) * base (nb x dim)^T, queued on the device's
 * stream: by cuBLAS (what knn_tile uses) or by the portable weft_knn_gemm (what OpenCL
 * uses; the self-test compares the two). nq, nb, dim <= INT_MAX. */
weft_status wc_knn_inner_products(int dev, size_t nq, size_t nb, size_t dim, const void *queries,
                                  const void *base, void *out);
weft_status wc_knn_gemm_portable(int dev, size_t nq, size_t nb, size_t dim, const void *queries,
                                 const void *base, void *out);
/* The GEMM knn_tile uses on `dev`: weft_knn_gemm when WEFT_CUDA_KNN_GEMM=portable (the
 * CPU's and OpenCL's rounding: the same ids and distances on every device) or when cuBLAS
 * does not work on the device, else cuBLAS. */
wc_gemm_kind wc_knn_gemm_kind(int dev);
/* The backend's knn_note: which GEMM k-NN ran on `dev` and why (NULL before its first k-NN). */
const char *wc_knn_note(int dev);

/* cuda_expr.cu: the expression interpreter (kernels/expr_eval.kern). */
weft_status wc_expr_eval(int dev, const weft__expr_launch *launch);

/* cuda_sort.cu: the stable radix sort of (key, row) pairs (kernels/sort_radix.kern). */
weft_status wc_sort_pairs(int dev, size_t n, int key_bytes, uint64_t varies, void *keys,
                          void *rows);
/* cuda_join.cu: the hash join's steps (kernels/join_hash.kern), as opencl_join.c; the table
 * reaches them through its launch entry (cuda_backend.cu), cuda_sort.cu calls the scans. */
weft_status wc_join_clear(int dev, size_t slots, void *owner, void *seg_start, void *seg_end);
weft_status wc_join_insert(int dev, size_t rows, size_t words, const void *keys, const void *valid,
                           size_t slots, void *owner, void *slot_of, void *row_of);
weft_status wc_join_radix_count(int dev, size_t n, unsigned shift, const void *slot_in, void *hist);
weft_status wc_join_radix_scatter(int dev, size_t n, unsigned shift, const void *slot_in,
                                  const void *row_in, const void *hist, void *slot_out,
                                  void *row_out);
weft_status wc_join_bounds(int dev, size_t n, size_t slots, const void *slot_sorted,
                           void *seg_start, void *seg_end);
weft_status wc_join_probe_count(int dev, const weft__join_probe *probe);
weft_status wc_join_emit(int dev, const weft__join_probe *probe);
weft_status wc_scan_chunks(int dev, size_t n, void *data, void *sums);
weft_status wc_scan_add(int dev, size_t n, void *data, const void *sums);
/* cuda_describe.cu: describe's block statistics (kernels/describe_blocks.kern). */
weft_status wc_describe_blocks(int dev, const weft__describe_launch *launch);
/* cuda_csv.cu: read_csv's device parse (kernels/csv_parse.kern). */
weft_status wc_csv_records(int dev, const weft__csv_launch *launch);
weft_status wc_csv_fields(int dev, const weft__csv_launch *launch);

/* cuda_group.cu: the grouping kernels (kernels/group_hash.kern, group_agg.kern). */
weft_status wc_group_kernel(int dev, const weft__group_launch *launch);

/* cuda_selftest.cu: the smoke check each device runs at its first use (one axpy launch and
 * a copy back, no cuBLAS); the full check of every kernel is tests/test_backend_kernels.cc.
 * The message names the device. */
weft_status wc_selftest(int dev);

#endif /* WEFT_CUDA_INTERNAL_H */
