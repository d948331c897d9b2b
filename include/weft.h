/* weft: columnar data and vectors on every device a machine has (CUDA, OpenCL, CPU).
 *
 * The one public C API (C11). Every function returns a weft_status except the few that
 * only describe (weft_status_name, weft_last_error, weft_version_string). After a failure,
 * weft_last_error() gives the message of the calling thread: which argument, which value,
 * which device. Nothing in the library prints, aborts or exits. */
#ifndef WEFT_H
#define WEFT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(_WIN32)
#define WEFT_API __declspec(dllexport)
#else
#define WEFT_API __attribute__((visibility("default")))
#endif

/* A weft_status must be looked at: ignoring one hides an error. The *_free functions, which
 * fail only on a bad handle, are left out so cleanup code stays short. */
#if defined(__GNUC__) || defined(__clang__)
#define WEFT_NODISCARD __attribute__((warn_unused_result))
#else
#define WEFT_NODISCARD
#endif

#define WEFT_VERSION_MAJOR 0
#define WEFT_VERSION_MINOR 1
#define WEFT_VERSION_PATCH 0

typedef enum weft_status {
  WEFT_OK = 0,
  WEFT_ERR_INVALID_ARGUMENT = 1,  /* a bad argument: the message names it and its value */
  WEFT_ERR_OUT_OF_MEMORY = 2,     /* host allocation failed */
  WEFT_ERR_DEVICE_MEMORY = 3,     /* device memory (or its WEFT_DEVICE_MEMORY_LIMIT cap) exhausted */
  WEFT_ERR_DEVICE = 4,            /* a CUDA / OpenCL / BLAS call failed */
  WEFT_ERR_UNSUPPORTED = 5,       /* the device cannot run this (strict mode, missing feature) */
  WEFT_ERR_NOT_FOUND = 6,         /* unknown device, id or name */
  WEFT_ERR_BACKEND_UNAVAILABLE = 7, /* backend library or driver missing */
  WEFT_ERR_IO = 8,                /* file could not be read or written */
  WEFT_ERR_CORRUPT = 9,           /* file is truncated, corrupted or of another format */
  WEFT_ERR_INTERNAL = 10,
  WEFT_ERR_CANCELLED = 11         /* the progress callback asked to stop (weft_set_progress) */
} weft_status;

/* Static name of a status, e.g. "WEFT_ERR_INVALID_ARGUMENT". */
WEFT_API const char *weft_status_name(weft_status status);
/* Message of the last failure on the calling thread ("" if none). Valid until the next call
 * into weft on this thread. */
WEFT_API const char *weft_last_error(void);
/* "MAJOR.MINOR.PATCH" */
WEFT_API const char *weft_version_string(void);
/* The library's version numbers (any pointer may be NULL). */
WEFT_API WEFT_NODISCARD weft_status weft_version(int *major, int *minor, int *patch);

/* ------------------------------------------------------------------ progress */

/* Called during long work (read_csv, sort, group_by, join, the indexes' add, train and
 * search, k-means, plan collect) with what runs ("sort", "read_csv", ...) and how much of it
 * is done, in units of its own (rows, bytes, iterations): done <= total, done never goes back,
 * total may grow as the work finds more to do (a collect's operators). Each call of weft
 * gives zero or more calls with done < total, then, when it made any, exactly one with
 * done == total at its end (also when it fails or is cancelled): a bar shown can close then.
 * It runs on the thread that called weft, never on two threads at once for one call, and
 * at most once per min_interval_s (the first time min_interval_s after the work began), so
 * a short call never calls it. Returning nonzero cancels the work: the call returns
 * WEFT_ERR_CANCELLED soon after (at its next partition or pass) and its inputs are left
 * unchanged (an index being added to, trained or removed from keeps its former contents).
 * Work started from inside other work (a collect's sort) reports as part of the outer one.
 * The callback must not call weft: it may run while the call holds an index's lock. */
typedef int (*weft_progress_fn)(void *user, const char *what, uint64_t done, uint64_t total);
/* Sets the progress callback of the calling thread's later calls (fn NULL: none, the
 * default). min_interval_s >= 0 (0: at every step, for tests). */
WEFT_API WEFT_NODISCARD weft_status weft_set_progress(weft_progress_fn fn, void *user,
                                                      double min_interval_s);

/* ------------------------------------------------------------------ devices */

typedef enum weft_device_kind {
  WEFT_DEVICE_CPU = 0,
  WEFT_DEVICE_OPENCL = 1,
  WEFT_DEVICE_CUDA = 2
} weft_device_kind;

#define WEFT_NAME_MAX 128
#define WEFT_REASON_MAX 512

typedef struct weft_device_info {
  weft_device_kind kind;
  int ordinal;                   /* index among devices of the same kind */
  char id[32];                   /* "cpu:0", "opencl:0", "cuda:1": accepted by weft_exec_set_device */
  char name[WEFT_NAME_MAX];      /* e.g. "NVIDIA H100", "pthread-skylake-avx512" */
  uint64_t memory_bytes;         /* physical memory of the device */
  uint64_t memory_limit_bytes;   /* cap in force (WEFT_DEVICE_MEMORY_LIMIT or set_memory_limit) */
  uint64_t memory_used_bytes;    /* bytes held by weft buffers on this device now */
  int compute_units;
  int has_fp64;
} weft_device_info;

/* Devices found: index 0 is always the CPU, then OpenCL devices, then CUDA devices. The
 * OpenCL and CUDA backends are opened (once) by the first call that needs a device beyond
 * the CPU: this one, weft_backend_count, or an operation whose device list or auto choice
 * could use one. */
WEFT_API WEFT_NODISCARD weft_status weft_device_count(size_t *count);
/* What device `device` (0 .. count - 1) is, its memory and its cap. */
WEFT_API WEFT_NODISCARD weft_status weft_device_get_info(size_t device, weft_device_info *info);
/* Finds a device by id ("cpu", "cpu:0", "opencl", "opencl:1", "cuda:0"). */
WEFT_API WEFT_NODISCARD weft_status weft_device_find(const char *id, size_t *device);
/* Caps the bytes weft may hold on a device (0 restores the physical size). */
WEFT_API WEFT_NODISCARD weft_status weft_device_set_memory_limit(size_t device, uint64_t bytes);
/* Returns to the system the freed host blocks weft keeps for reuse (WEFT_SCRATCH_CACHE_MB;
 * they also go by themselves once idle for 2 s, at weft's next large allocation); *bytes
 * (may be NULL) is what was returned. */
WEFT_API WEFT_NODISCARD weft_status weft_release_cached_memory(uint64_t *bytes);

typedef struct weft_backend_info {
  char name[16];                 /* "cpu", "opencl", "cuda" */
  int loaded;                    /* 1 when its library loaded and its driver answered */
  int device_count;
  char library[256];             /* the shared library tried ("" for cpu, which is built in) */
  char reason[WEFT_REASON_MAX];  /* why it was skipped, when loaded == 0 */
} weft_backend_info;

/* Backends known (cpu, opencl, cuda), loaded or not. */
WEFT_API WEFT_NODISCARD weft_status weft_backend_count(size_t *count);
/* Whether backend `backend` loaded, its devices, and why not when it did not. */
WEFT_API WEFT_NODISCARD weft_status weft_backend_get_info(size_t backend, weft_backend_info *info);

/* ------------------------------------------------------------------ buffers */

typedef struct weft_buffer weft_buffer;

/* Allocates `bytes` on device `device`, within its memory cap (WEFT_ERR_DEVICE_MEMORY past it). */
WEFT_API WEFT_NODISCARD weft_status weft_buffer_alloc(size_t device, size_t bytes,
                                                      weft_buffer **out);
/* Frees a buffer (NULL is a no-op). */
WEFT_API weft_status weft_buffer_free(weft_buffer *buffer);
/* The buffer's size in bytes. */
WEFT_API WEFT_NODISCARD weft_status weft_buffer_size(const weft_buffer *buffer, size_t *bytes);
/* The device index the buffer lives on. */
WEFT_API WEFT_NODISCARD weft_status weft_buffer_device(const weft_buffer *buffer, size_t *device);
/* Host -> buffer. The _async form may return before the copy ends: `src` must stay valid
 * and unchanged until weft_device_synchronize(device). */
WEFT_API WEFT_NODISCARD weft_status weft_buffer_write(weft_buffer *dst, size_t offset,
                                                      const void *src, size_t bytes);
WEFT_API WEFT_NODISCARD weft_status weft_buffer_write_async(weft_buffer *dst, size_t offset,
                                                            const void *src, size_t bytes);
/* Buffer -> host. The _async form fills `dst` by weft_device_synchronize(device). */
WEFT_API WEFT_NODISCARD weft_status weft_buffer_read(const weft_buffer *src, size_t offset,
                                                     void *dst, size_t bytes);
WEFT_API WEFT_NODISCARD weft_status weft_buffer_read_async(const weft_buffer *src, size_t offset,
                                                           void *dst, size_t bytes);
/* Buffer -> buffer, on one device or across devices (staged through the host). */
WEFT_API WEFT_NODISCARD weft_status weft_buffer_copy(weft_buffer *dst, size_t dst_offset,
                                                     const weft_buffer *src, size_t src_offset,
                                                     size_t bytes);
/* Waits until every queued copy and kernel on the device has finished. */
WEFT_API WEFT_NODISCARD weft_status weft_device_synchronize(size_t device);

/* ------------------------------------------------------------------ execution */

/* Where and how an operation runs, and afterwards a report of what ran where and why.
 * Every operation takes a weft_exec (NULL: device "auto", no report kept). */
typedef struct weft_exec weft_exec;

/* A new exec: device "auto", not strict, an empty report. Free it with weft_exec_free. */
WEFT_API WEFT_NODISCARD weft_status weft_exec_create(weft_exec **out);
/* Frees an exec and its report (NULL is a no-op). */
WEFT_API weft_status weft_exec_free(weft_exec *exec);
/* "auto" (default: by cost; WEFT_DEVICE overrides it), one device id ("cpu", "opencl:0",
 * "cuda"), or several separated by commas ("cpu,opencl:0") to split the rows among them. */
WEFT_API WEFT_NODISCARD weft_status weft_exec_set_device(weft_exec *exec, const char *devices);
/* strict = 1: fail with WEFT_ERR_UNSUPPORTED instead of falling back to the CPU. */
WEFT_API WEFT_NODISCARD weft_status weft_exec_set_strict(weft_exec *exec, int strict);
/* Arithmetic of an exact k-NN search's scan (weft_index_search). Every choice returns the
 * same ids and distances, bit for bit: a reduced precision only selects candidates, which a
 * rigorous error bound certifies, and the fp32 scan's own arithmetic ranks them. */
typedef enum weft_precision {
  WEFT_PRECISION_AUTO = 0, /* int8 or bf16 where the CPU has it, runs its multiply-adds faster
                            * than fp32 FMA (measured once) and the shape pays, else fp32 */
  WEFT_PRECISION_FP32 = 1, /* the fp32 scan alone */
  WEFT_PRECISION_BF16 = 2, /* a bf16 candidate pass (AVX512_BF16) and an fp32 re-rank; the
                            * fp32 scan where the CPU lacks AVX512_BF16 (the report says so) */
  WEFT_PRECISION_INT8 = 3  /* an int8 candidate pass (per-row scaled codes, exact int32 sums
                            * with AVX512_VNNI) and an fp32 re-rank; the fp32 scan where the
                            * CPU lacks AVX512_VNNI or dim > 131072 (the report says so) */
} weft_precision;
/* Sets the precision of the searches run with `exec` (default WEFT_PRECISION_AUTO). */
WEFT_API WEFT_NODISCARD weft_status weft_exec_set_precision(weft_exec *exec, weft_precision precision);
/* Text of what the last operation run with `exec` did: device per partition group, rows,
 * partition size and the reason for each choice. Valid until the next run with `exec`. */
WEFT_API WEFT_NODISCARD weft_status weft_exec_report(const weft_exec *exec, const char **text);
/* The device the last operation ran on (the first one, when split across several). */
WEFT_API WEFT_NODISCARD weft_status weft_exec_last_device(const weft_exec *exec, size_t *device);

/* ------------------------------------------------------------------ column operations */

typedef enum weft_dtype {
  WEFT_FLOAT32 = 0,
  WEFT_FLOAT64 = 1
} weft_dtype;

/* out[i] = a * x[i] + y[i]. Validity bitmaps are Arrow's (bit i of byte i/8, 1 = valid) and
 * may be NULL (all valid); out_valid receives x_valid AND y_valid and may be NULL only when
 * both inputs are. Null slots of `out` hold 0. */
WEFT_API WEFT_NODISCARD weft_status weft_axpy(weft_exec *exec, weft_dtype dtype, size_t n, double a,
                                              const void *x, const uint8_t *x_valid, const void *y,
                                              const uint8_t *y_valid, void *out,
                                              uint8_t *out_valid);

typedef enum weft_reduce_op {
  WEFT_REDUCE_SUM = 0,
  WEFT_REDUCE_MIN = 1,
  WEFT_REDUCE_MAX = 2
} weft_reduce_op;

typedef struct weft_reduce_result {
  double value;    /* sum (0 when no valid value); min/max ignore NaN like Polars */
  uint64_t count;  /* valid (non-null) values seen */
  int is_null;     /* min/max of no valid value */
} weft_reduce_result;

/* Reduces x (nulls in `valid` skipped; float sums accumulate in float64). */
WEFT_API WEFT_NODISCARD weft_status weft_reduce(weft_exec *exec, weft_dtype dtype,
                                                weft_reduce_op op, size_t n, const void *x,
                                                const uint8_t *valid, weft_reduce_result *out);

/* ------------------------------------------------------------------ vector search */

typedef enum weft_metric {
  WEFT_METRIC_L2 = 0,     /* squared Euclidean distance, smaller is closer (as faiss) */
  WEFT_METRIC_IP = 1,     /* inner product, larger is closer */
  WEFT_METRIC_COSINE = 2  /* cosine similarity, larger is closer; vectors normalized at add */
} weft_metric;

/* An exact (brute-force) index of float32 vectors with int64 ids. Searches may run from
 * many threads at once; add and remove wait for running searches. */
typedef struct weft_index weft_index;

/* An empty exact index of `dim`-dimensional float32 vectors under `metric`. */
WEFT_API WEFT_NODISCARD weft_status weft_index_create(size_t dim, weft_metric metric,
                                                      weft_index **out);
/* Frees an index; a borrowed array's release is called (NULL is a no-op). */
WEFT_API weft_status weft_index_free(weft_index *index);
/* Adds n vectors (n x dim, row-major). ids: n distinct ids in 0..INT64_MAX - 1 not in the
 * index (-1 pads search results), or NULL for the next ids in sequence (0, 1, ... like
 * faiss; an add that would pass INT64_MAX - 1 is refused). NaN or inf in a vector is an
 * error naming the row, and so is a squared norm outside float32: under cosine below
 * FLT_MIN (zero or subnormal scale) or above FLT_MAX, under l2 and ip above FLT_MAX / 4,
 * past which distances overflow. Queries are checked alike. */
WEFT_API WEFT_NODISCARD weft_status weft_index_add(weft_index *index, size_t n,
                                                   const float *vectors, const int64_t *ids);
/* Called once when an index stops reading memory it borrowed (weft_index_add_borrowed). */
typedef void (*weft_release_fn)(void *release_ctx);
/* Adds n vectors with the next ids in sequence to an EMPTY index WITHOUT copying them: the
 * index reads `vectors` (n x dim, row-major, float-aligned) in place until it is freed or
 * changed. The first add, or a remove that moves rows, copies the rows into the index's own
 * memory first (copy on write); from then on, and when the index is freed, the memory is
 * no longer read and release(release_ctx) is called, once (release may be NULL). The
 * caller keeps `vectors` alive and unchanged until then: the norms are computed here, so
 * changing a row gives wrong distances (never a crash). Checked like weft_index_add. The
 * cosine metric normalizes rows in the index, so it cannot borrow them (an error). On an
 * error the index is unchanged and release is not called. Save writes the rows; load gives
 * an index owning its copy. */
WEFT_API WEFT_NODISCARD weft_status weft_index_add_borrowed(weft_index *index, size_t n,
                                                            const float *vectors,
                                                            weft_release_fn release,
                                                            void *release_ctx);
/* Removes the given ids; ids not in the index are ignored. *removed (may be NULL) counts. */
WEFT_API WEFT_NODISCARD weft_status weft_index_remove(weft_index *index, size_t n,
                                                      const int64_t *ids, size_t *removed);
/* Vectors in the index. */
WEFT_API WEFT_NODISCARD weft_status weft_index_size(const weft_index *index, size_t *count);
/* The index's vector dimension. */
WEFT_API WEFT_NODISCARD weft_status weft_index_dim(const weft_index *index, size_t *dim);
/* The index's metric. */
WEFT_API WEFT_NODISCARD weft_status weft_index_metric(const weft_index *index, weft_metric *metric);
/* The k nearest of each of nq queries (nq x dim), best first: distances (nq x k) and
 * labels (nq x k ids). Ties go to the smaller id on every device. A row with fewer than k
 * candidates is padded with id -1 and distance +inf (L2) or -inf (ip, cosine).
 * allowed: NULL, or a bitset over ids (bit i of byte i/8 set = id i may be returned) of
 * allowed_bits bits; ids >= allowed_bits are excluded. */
WEFT_API WEFT_NODISCARD weft_status weft_index_search(weft_exec *exec, weft_index *index, size_t nq,
                                                      const float *queries, size_t k,
                                                      const uint8_t *allowed, size_t allowed_bits,
                                                      float *distances, int64_t *labels);
/* One file: header (magic, format version, dim, metric, count), vectors, ids, checksum.
 * Written to a uniquely named temporary file beside it, synced, then renamed, so a crash
 * never leaves half a file and a failed save (WEFT_ERR_IO) leaves the old file as it was. */
WEFT_API WEFT_NODISCARD weft_status weft_index_save(weft_index *index, const char *path);
/* Loads a file written by weft_index_save; a truncated or corrupted file is
 * WEFT_ERR_CORRUPT, another format or version WEFT_ERR_CORRUPT naming what was found; a
 * missing file, a directory or another non-regular file WEFT_ERR_IO. */
WEFT_API WEFT_NODISCARD weft_status weft_index_load(const char *path, weft_index **out);

/* ------------------------------------------------------------------ approximate vector search */

/* k-means (Lloyd) of n points (n x dim float32, row-major) into k centroids, squared L2.
 * Trains on a sample of at most max_points_per_centroid * k points (0: all points) drawn
 * with `seed`, starts from k distinct sample points drawn with `seed`, runs niter
 * iterations (a point's nearest centroid by the exact index's inner-product kernel, ties to
 * the smaller centroid), and refills an empty cluster by splitting the largest (as faiss).
 * The same seed gives the same bits whatever the thread count. centroids: k x dim out;
 * assignments: n out (each point's nearest final centroid), or NULL. n >= k >= 1. */
WEFT_API WEFT_NODISCARD weft_status weft_kmeans(size_t n, size_t dim, const float *x, size_t k,
                                                size_t niter, uint64_t seed,
                                                size_t max_points_per_centroid,
                                                float *centroids, int64_t *assignments);

/* How an IVF index stores its vectors. */
typedef enum weft_ivf_codec {
  WEFT_IVF_FLAT = 0, /* float32 as added (cosine: normalized) */
  WEFT_IVF_SQ8 = 1,  /* one byte a dimension: min/max per dimension trained (faiss QT_8bit) */
  WEFT_IVF_PQ = 2    /* product quantizer of the residual to the list's centroid (faiss
                        IndexIVFPQ, by_residual): m bytes a vector (weft_ivf_create_pq) */
} weft_ivf_codec;

/* The bits of a pq sub-quantizer's code (2^nbits centroids each; one byte a code stored). */
#define WEFT_IVF_PQ_MIN_NBITS 4
#define WEFT_IVF_PQ_MAX_NBITS 8
/* The largest refine factor (candidates re-ranked: k * factor). */
#define WEFT_IVF_MAX_REFINE 1024

/* An inverted-file index: nlist k-means centroids, each vector kept in the list of its
 * nearest centroid; a search scans the lists of the nprobe centroids nearest each query.
 * Searches may run from many threads at once; train, add and remove wait for them. */
typedef struct weft_ivf weft_ivf;

/* An empty, untrained IVF index of dim-dimensional float32 vectors. */
WEFT_API WEFT_NODISCARD weft_status weft_ivf_create(size_t dim, size_t nlist, weft_metric metric,
                                                    weft_ivf_codec codec, weft_ivf **out);
/* An empty, untrained IVF-PQ index: each vector stored as the codes of its residual to its
 * list's centroid under m sub-quantizers (m divides dim) of 2^nbits centroids (nbits in
 * WEFT_IVF_PQ_MIN_NBITS..WEFT_IVF_PQ_MAX_NBITS), one byte a code: m bytes and an 8-byte id a
 * vector. A search sums per-(query, list) tables of m x 2^nbits distances (asymmetric
 * distance: the query itself against the decoded residuals); cosine normalizes as the flat
 * codec does and ranks by inner product with the decoded vector. */
WEFT_API WEFT_NODISCARD weft_status weft_ivf_create_pq(size_t dim, size_t nlist, weft_metric metric,
                                                       size_t m, size_t nbits, weft_ivf **out);
/* m and nbits of a pq index (0 and 0 under flat and sq8); either pointer may be NULL. */
WEFT_API WEFT_NODISCARD weft_status weft_ivf_pq_info(const weft_ivf *ivf, size_t *m, size_t *nbits);
/* The trained pq codebooks, m x 2^nbits x (dim / m) (faiss's ProductQuantizer layout), into
 * the caller's buffer; an error unless the index is a trained pq index. */
WEFT_API WEFT_NODISCARD weft_status weft_ivf_pq_codebooks(const weft_ivf *ivf, float *codebooks);
/* Re-ranking (faiss IndexRefineFlat): with k_factor >= 1 a search takes the k * k_factor best
 * candidates of the codes and returns the k best of them by exact distance to the float32
 * rows, which the index then keeps beside the codes (dim * 4 bytes a vector, saved in its
 * file). Rows are kept from the first add on, so turning refine on needs an index without
 * vectors; later calls may change the factor, and 0 stops the re-ranking (the rows stay). */
WEFT_API WEFT_NODISCARD weft_status weft_ivf_set_refine(weft_ivf *ivf, size_t k_factor);
/* The refine factor (0: none) and whether the index keeps its rows; either may be NULL. */
WEFT_API WEFT_NODISCARD weft_status weft_ivf_refine(const weft_ivf *ivf, size_t *k_factor,
                                                    int *keeps_rows);
/* Frees an IVF index (NULL is a no-op). */
WEFT_API weft_status weft_ivf_free(weft_ivf *ivf);
/* Trains the centroids (weft_kmeans, under ip by inner product) and the codec on n >= nlist
 * vectors (pq: also n >= 2^nbits; each sub-quantizer a weft_kmeans of the residuals' slice,
 * seed + 1 + its index); an index that holds vectors cannot be trained again (an error). */
WEFT_API WEFT_NODISCARD weft_status weft_ivf_train(weft_ivf *ivf, size_t n, const float *vectors,
                                                   size_t niter, uint64_t seed);
/* The k-means iterations of a pq index's sub-quantizers at its next weft_ivf_train, in
 * 0..1000000 (until set: train's niter; faiss trains its coarse quantizer with 10 and its
 * codebooks with 25); an error under flat and sq8. Not saved in files. */
WEFT_API WEFT_NODISCARD weft_status weft_ivf_set_pq_niter(weft_ivf *ivf, size_t niter);
/* *trained = 1 once weft_ivf_train succeeded. */
WEFT_API WEFT_NODISCARD weft_status weft_ivf_is_trained(const weft_ivf *ivf, int *trained);
/* Adds n vectors to a trained index; ids as weft_index_add (NULL: the next in sequence). */
WEFT_API WEFT_NODISCARD weft_status weft_ivf_add(weft_ivf *ivf, size_t n, const float *vectors,
                                                 const int64_t *ids);
/* Removes the given ids; ids not in the index are ignored. *removed (may be NULL) counts. */
WEFT_API WEFT_NODISCARD weft_status weft_ivf_remove(weft_ivf *ivf, size_t n, const int64_t *ids,
                                                    size_t *removed);
/* Vectors in the index. */
WEFT_API WEFT_NODISCARD weft_status weft_ivf_size(const weft_ivf *ivf, size_t *count);
/* Dimension, list count, metric and codec of the index. */
WEFT_API WEFT_NODISCARD weft_status weft_ivf_info(const weft_ivf *ivf, size_t *dim, size_t *nlist,
                                                  weft_metric *metric, weft_ivf_codec *codec);
/* Bytes the index holds in memory: centroids, codec tables, codes, ids, norms (flat, sq8)
 * and rows kept for refine. */
WEFT_API WEFT_NODISCARD weft_status weft_ivf_memory_bytes(const weft_ivf *ivf, size_t *bytes);
/* The trained centroids, nlist x dim (the caller's buffer). */
WEFT_API WEFT_NODISCARD weft_status weft_ivf_centroids(const weft_ivf *ivf, float *centroids);
/* The k nearest of each query among the lists of its nprobe nearest centroids (1..nlist),
 * results as weft_index_search (best first, ties to the smaller id, -1 / inf padding).
 * A batch is grouped by list: each probed list is read once for all the queries probing it,
 * the lists scanned in parallel, so results do not depend on the thread count. allowed: as
 * weft_index_search, tested inside the scans; a query that finds fewer than k rows in its
 * nprobe lists probes the next lists in centroid order until it has k or has probed them
 * all (the report says how many did). Runs on the CPU: a device in `exec` is reported (strict:
 * WEFT_ERR_UNSUPPORTED). */
WEFT_API WEFT_NODISCARD weft_status weft_ivf_search(weft_exec *exec, weft_ivf *ivf, size_t nq,
                                                    const float *queries, size_t k, size_t nprobe,
                                                    const uint8_t *allowed, size_t allowed_bits,
                                                    float *distances, int64_t *labels);
/* One file (header, centroids, codec tables, lists, checksum), saved atomically as
 * weft_index_save does. */
WEFT_API WEFT_NODISCARD weft_status weft_ivf_save(weft_ivf *ivf, const char *path);
/* Loads a file of weft_ivf_save; errors as weft_index_load. */
WEFT_API WEFT_NODISCARD weft_status weft_ivf_load(const char *path, weft_ivf **out);
/* Opens a file of weft_ivf_save by mapping it read-only instead of reading it: the load reads
 * the header, the centroids and codec tables and the list sizes (checked against the file's
 * length), and the lists' codes, ids and kept rows stay in the file's pages, read as searches
 * touch them. A list's derived data (norms) is computed at its first scan. Not checked until
 * a change: the checksum and the rows (which would read the whole file); an invalid pq code
 * is found at its list's first scan (WEFT_ERR_CORRUPT from that search). The first add or
 * remove copies the lists into memory, checks them as weft_ivf_load does (WEFT_ERR_CORRUPT)
 * and unmaps the file. The file must not change while mapped. */
WEFT_API WEFT_NODISCARD weft_status weft_ivf_load_mapped(const char *path, weft_ivf **out);

/* ------------------------------------------------------------------ tables */

/* The Arrow C Data Interface, as the Arrow project defines it: tables move in and out of
 * weft through these structs without copying buffers. */
#ifndef ARROW_C_DATA_INTERFACE
#define ARROW_C_DATA_INTERFACE
#define ARROW_FLAG_DICTIONARY_ORDERED 1
#define ARROW_FLAG_NULLABLE 2
#define ARROW_FLAG_MAP_KEYS_SORTED 4
struct ArrowSchema {
  const char *format;
  const char *name;
  const char *metadata;
  int64_t flags;
  int64_t n_children;
  struct ArrowSchema **children;
  struct ArrowSchema *dictionary;
  void (*release)(struct ArrowSchema *);
  void *private_data;
};
struct ArrowArray {
  int64_t length;
  int64_t null_count;
  int64_t offset;
  int64_t n_buffers;
  int64_t n_children;
  const void **buffers;
  struct ArrowArray **children;
  struct ArrowArray *dictionary;
  void (*release)(struct ArrowArray *);
  void *private_data;
};
#endif
#ifndef ARROW_C_STREAM_INTERFACE
#define ARROW_C_STREAM_INTERFACE
struct ArrowArrayStream {
  int (*get_schema)(struct ArrowArrayStream *, struct ArrowSchema *out);
  int (*get_next)(struct ArrowArrayStream *, struct ArrowArray *out);
  const char *(*get_last_error)(struct ArrowArrayStream *);
  void (*release)(struct ArrowArrayStream *);
  void *private_data;
};
#endif

typedef enum weft_type {
  WEFT_TYPE_BOOL = 0,
  WEFT_TYPE_INT8 = 1,
  WEFT_TYPE_INT16 = 2,
  WEFT_TYPE_INT32 = 3,
  WEFT_TYPE_INT64 = 4,
  WEFT_TYPE_UINT8 = 5,
  WEFT_TYPE_UINT16 = 6,
  WEFT_TYPE_UINT32 = 7,
  WEFT_TYPE_UINT64 = 8,
  WEFT_TYPE_FLOAT32 = 9,
  WEFT_TYPE_FLOAT64 = 10,
  WEFT_TYPE_UTF8 = 11,         /* int32 offsets + bytes */
  WEFT_TYPE_DATE32 = 12,       /* days since 1970-01-01, int32 */
  WEFT_TYPE_TIMESTAMP_US = 13, /* microseconds since the epoch, int64, no time zone */
  /* decimal128(precision, scale): a 16-byte little-endian two's-complement integer per row,
   * the value being integer / 10^scale (Arrow's layout). The type value carries precision
   * (1..38) and scale (0..precision): build it with WEFT_TYPE_DECIMAL(p, s) or
   * weft_type_decimal; WEFT_TYPE_DECIMAL128 alone is only the tag in the low byte. */
  WEFT_TYPE_DECIMAL128 = 14,
  /* A vector of `dim` float32 values per row (Arrow's fixed_size_list<float32, dim>, Polars'
   * Array(Float32, dim)): row i is the dim floats at values + (offset + i) * dim * 4, a null
   * row a null vector. The type value carries dim (1..WEFT_VECTOR_MAX_DIM): build it with
   * WEFT_TYPE_VECTOR(dim) or weft_type_vector; WEFT_TYPE_VECTOR_F32 alone is only the tag. */
  WEFT_TYPE_VECTOR_F32 = 15,
  /* Dictionary-encoded utf8 (Arrow's dictionary<int32, utf8>, Polars' Categorical / Enum,
   * pandas' category): `values` holds a uint32 code per row, an index into the column's
   * dictionary, a utf8 column without nulls holding each string once (read it with
   * weft_table_column_dictionary). Build one by Arrow import or weft_expr_cast to this type.
   * group_by, join, unique and n_unique work on the codes; sort orders by the strings
   * (Polars' Categorical), or by the codes when the dictionary is ordered (Polars' Enum). */
  WEFT_TYPE_CATEGORICAL = 16,
  /* Not a type: widens the enum's range to 31 bits so a decimal's packed value is a valid
   * weft_type in C++ too (UBSan's enum check), the Vulkan *_MAX_ENUM idiom. */
  WEFT_TYPE_MAX_ENUM_ = 0x7fffffff
} weft_type;

#define WEFT_TYPE_DECIMAL(precision, scale) \
  ((weft_type)(WEFT_TYPE_DECIMAL128 | ((precision) << 8) | ((scale) << 16)))
#define WEFT_VECTOR_MAX_DIM (1 << 20)
#define WEFT_TYPE_VECTOR(dim) ((weft_type)(WEFT_TYPE_VECTOR_F32 | ((dim) << 8)))

/* The type's name as Arrow/Polars print it ("int64", "utf8", "decimal[15,2]",
 * "array[f32, 3]", ...);
 * "unknown" when it is not a weft type. */
WEFT_API const char *weft_type_name(weft_type type);
/* decimal128(precision, scale) as a weft_type; precision 1..38, scale 0..precision, else
 * WEFT_ERR_INVALID_ARGUMENT naming them. */
WEFT_API WEFT_NODISCARD weft_status weft_type_decimal(int precision, int scale, weft_type *out);
/* Whether `type` is a decimal128 type, with its precision and scale (either may be NULL). */
WEFT_API int weft_type_is_decimal(weft_type type, int *precision, int *scale);
/* A vector of `dim` float32 values as a weft_type; dim 1..WEFT_VECTOR_MAX_DIM, else
 * WEFT_ERR_INVALID_ARGUMENT naming it. */
WEFT_API WEFT_NODISCARD weft_status weft_type_vector(int dim, weft_type *out);
/* Whether `type` is a float32 vector type, with its dim (dim may be NULL). */
WEFT_API int weft_type_is_vector(weft_type type, int *dim);

/* A column's memory, Arrow's layout: `validity` (bit i of byte i/8, NULL = no nulls),
 * `values` (fixed-width values; for BOOL a bitmap; for UTF8 the int32 offsets, length + 1
 * of them) and `data` (UTF8 bytes). Row i is at index offset + i of every buffer. */
typedef struct weft_column_view {
  weft_type type;
  int64_t length;
  int64_t offset;
  int64_t null_count;          /* -1: not computed yet */
  const uint8_t *validity;
  const void *values;
  const char *data;
} weft_column_view;

/* A table: named columns of equal length. Immutable: every operation returns a new table,
 * sharing the buffers it did not change. */
typedef struct weft_table weft_table;

/* Builds a table over caller memory without copying. weft calls release(release_ctx) once
 * no table or exported Arrow array uses that memory any more (release may be NULL when the
 * memory outlives every table). */
WEFT_API WEFT_NODISCARD weft_status weft_table_from_columns(size_t ncols, const char *const *names,
                                                            const weft_column_view *columns,
                                                            void (*release)(void *),
                                                            void *release_ctx, weft_table **out);
/* Takes a struct array (a record batch) and its schema; moves both (their release callbacks
 * are called by weft when the last table using them is freed). The buffers are taken to be
 * as long as Arrow's layout says; what could point outside them (offset and length sums,
 * utf8 offsets, string views, NULL children or buffers) is checked, and a malformed array is
 * WEFT_ERR_INVALID_ARGUMENT naming the column. On failure nothing is moved: the caller
 * still owns (and releases) both. Null counts are counted from the validity bitmaps, not
 * taken from null_count. */
WEFT_API WEFT_NODISCARD weft_status weft_table_from_arrow(struct ArrowSchema *schema,
                                                          struct ArrowArray *array,
                                                          weft_table **out);
/* Reads every batch of a stream; one batch is taken without copying, several are
 * concatenated. The stream is released. */
WEFT_API WEFT_NODISCARD weft_status weft_table_from_stream(struct ArrowArrayStream *stream,
                                                           weft_table **out);
/* Exports without copying; the exported array keeps the table's buffers alive. */
WEFT_API WEFT_NODISCARD weft_status weft_table_to_arrow(const weft_table *table,
                                                        struct ArrowSchema *schema,
                                                        struct ArrowArray *array);
/* Exports the table as a one-batch Arrow stream, without copying. */
WEFT_API WEFT_NODISCARD weft_status weft_table_to_stream(const weft_table *table,
                                                         struct ArrowArrayStream *stream);
/* Releases the caller's reference (buffers live while other tables share them; NULL is a no-op). */
WEFT_API weft_status weft_table_free(weft_table *table);
/* Rows of the table. */
WEFT_API WEFT_NODISCARD weft_status weft_table_num_rows(const weft_table *table, int64_t *rows);
/* Columns of the table. */
WEFT_API WEFT_NODISCARD weft_status weft_table_num_columns(const weft_table *table,
                                                           size_t *columns);
/* The name of column `column`, valid while the table lives. */
WEFT_API WEFT_NODISCARD weft_status weft_table_column_name(const weft_table *table, size_t column,
                                                           const char **name);
/* Index of a column by name, or WEFT_ERR_NOT_FOUND naming it and listing the columns. */
WEFT_API WEFT_NODISCARD weft_status weft_table_column_index(const weft_table *table,
                                                            const char *name, size_t *column);
/* The column's buffers (valid while the table lives); null_count is computed if unknown. */
WEFT_API WEFT_NODISCARD weft_status weft_table_column(const weft_table *table, size_t column,
                                                      weft_column_view *view);
/* The dictionary of a categorical column (a utf8 view, no nulls, each string once; valid
 * while the table lives) and whether it is ordered (sorts by code, Polars' Enum); ordered
 * may be NULL. WEFT_ERR_INVALID_ARGUMENT naming the column when it is not categorical. */
WEFT_API WEFT_NODISCARD weft_status weft_table_column_dictionary(const weft_table *table,
                                                                 size_t column,
                                                                 weft_column_view *dictionary,
                                                                 int *ordered);
/* A table of n columns, column columns[i] of tables[i] named names[i], sharing their buffers
 * (and dictionaries); every table must have the same rows and the names must differ. */
WEFT_API WEFT_NODISCARD weft_status weft_table_pick(size_t n, const weft_table *const *tables,
                                                    const size_t *columns,
                                                    const char *const *names, weft_table **out);
/* Rows [offset, offset + length) (clipped to the table), without copying. */
WEFT_API WEFT_NODISCARD weft_status weft_table_slice(const weft_table *table, int64_t offset,
                                                     int64_t length, weft_table **out);
/* Rows of every table one after another; the schemas must match (names and types). */
WEFT_API WEFT_NODISCARD weft_status weft_table_concat(size_t n, const weft_table *const *tables,
                                                      weft_table **out);
/* The rows listed in `rows` (n of them, each in [0, rows of the table), repeats allowed), in
 * that order, every column copied (Polars' gather); nulls stay null. */
WEFT_API WEFT_NODISCARD weft_status weft_table_take(const weft_table *table, const int64_t *rows,
                                                    int64_t n, weft_table **out);
/* Positions [start, start + count) of a seeded permutation of 0..n-1, written to rows. Each
 * position's row depends on (n, seed, position) alone (a keyed Feistel network, cycle-walked
 * into [0, n); no memory beyond rows), so any split of the positions gives the same order;
 * every row comes once. Not numpy's permutation. */
WEFT_API WEFT_NODISCARD weft_status weft_shuffled_rows(int64_t n, uint64_t seed, int64_t start,
                                                       int64_t count, int64_t *rows);
/* The table's rows at positions [start, start + count) of weft_shuffled_rows(rows of the
 * table, seed), copied into out[c] (count values of column c's width each), on the CPU
 * pool. Every column must be fixed-width (not bool or utf8) and without nulls. */
WEFT_API WEFT_NODISCARD weft_status weft_table_take_shuffled(const weft_table *table, uint64_t seed,
                                                             int64_t start, int64_t count,
                                                             void *const *out);

/* A table with columns[k] replaced by (x - offset[k]) / divisor[k] as float64, computed in
 * float64 (the expression (col - offset) / divisor's values), nulls kept; the other columns
 * shared. Each listed column must be an integer or float64 column, listed once. On the CPU
 * pool, each value read and written once (scikit-learn's StandardScaler.transform). */
WEFT_API WEFT_NODISCARD weft_status weft_table_standardize(const weft_table *table, size_t n,
                                                           const size_t *columns,
                                                           const double *offset,
                                                           const double *divisor,
                                                           weft_table **out);

/* ------------------------------------------------------------------ expressions */

/* An expression over a table's columns, evaluated chunk by chunk so one pass over memory
 * computes the whole tree. Null semantics follow Arrow / Polars: nulls propagate, and/or use
 * Kleene logic. Expressions are immutable and reference-counted: constructors take new
 * references to their children, so the caller frees what it created. */
typedef struct weft_expr weft_expr;

typedef enum weft_binary_op {
  WEFT_OP_ADD = 0, WEFT_OP_SUB, WEFT_OP_MUL,
  WEFT_OP_DIV,     /* true division: float64 result for integers, like Polars */
  WEFT_OP_MOD,     /* sign of the divisor, like Python and Polars; floats a - b * floor(a / b)
                      as Polars (x % 0 and x % inf are NaN); decimals exact, decimal(38, s) */
  WEFT_OP_EQ, WEFT_OP_NE, WEFT_OP_LT, WEFT_OP_LE, WEFT_OP_GT, WEFT_OP_GE,
  WEFT_OP_AND, WEFT_OP_OR,
  WEFT_OP_FLOORDIV /* floor division (Polars' //): integers round toward -inf and x // 0 is
                      null; floats give floor(a / b); decimals decimal(38, s), a zero
                      divisor an error */
} weft_binary_op;

typedef enum weft_unary_op {
  WEFT_OP_NOT = 0, WEFT_OP_NEG, WEFT_OP_IS_NULL, WEFT_OP_IS_NOT_NULL,
  WEFT_OP_ABS, WEFT_OP_SQRT, WEFT_OP_LOG, WEFT_OP_EXP,
  WEFT_OP_STR_LEN,  /* length in characters (UTF-8 code points), as Polars' len_chars */
  WEFT_OP_STR_LOWER, WEFT_OP_STR_UPPER,
  WEFT_OP_STR_LEN_BYTES, /* length in bytes, uint32 */
  WEFT_OP_FLOOR, WEFT_OP_CEIL, /* floats; integers unchanged; decimal(p, s) gives
                                  decimal(p + 1, s), as Polars */
  WEFT_OP_DT_YEAR,       /* date or timestamp: int32 */
  WEFT_OP_DT_MONTH, WEFT_OP_DT_DAY, /* 1-based, int8 */
  WEFT_OP_DT_WEEKDAY,    /* ISO: Monday 1 .. Sunday 7, int8, as Polars */
  WEFT_OP_DT_TOTAL_DAYS  /* a duration (date - date, timestamp - timestamp, a duration
                            literal) in whole days, truncated toward zero, int64 */
} weft_unary_op;

/* The column named `name`, resolved when the expression meets a table. */
WEFT_API WEFT_NODISCARD weft_status weft_expr_column(const char *name, weft_expr **out);
/* An int64 constant, broadcast to every row. */
WEFT_API WEFT_NODISCARD weft_status weft_expr_literal_int64(int64_t value, weft_expr **out);
/* A float64 constant, broadcast to every row. */
WEFT_API WEFT_NODISCARD weft_status weft_expr_literal_float64(double value, weft_expr **out);
/* A bool constant (0 false, else true), broadcast to every row. */
WEFT_API WEFT_NODISCARD weft_status weft_expr_literal_bool(int value, weft_expr **out);
/* A utf8 constant (copied), broadcast to every row. */
WEFT_API WEFT_NODISCARD weft_status weft_expr_literal_utf8(const char *value, weft_expr **out);
/* A null of `type` in every row. */
WEFT_API WEFT_NODISCARD weft_status weft_expr_literal_null(weft_type type, weft_expr **out);
/* left `op` right, with the Polars type promotion and null rules of weft_binary_op. */
WEFT_API WEFT_NODISCARD weft_status weft_expr_binary(weft_binary_op op, const weft_expr *left,
                                                     const weft_expr *right, weft_expr **out);
/* `op` of input (weft_unary_op). */
WEFT_API WEFT_NODISCARD weft_status weft_expr_unary(weft_unary_op op, const weft_expr *input,
                                                    weft_expr **out);
/* Impossible casts (utf8 -> int of "abc", out-of-range values) are errors naming the column
 * and the value, like Polars' strict cast. */
WEFT_API WEFT_NODISCARD weft_status weft_expr_cast(const weft_expr *input, weft_type type,
                                                   weft_expr **out);
/* input with its nulls replaced by fill's values (as Polars' fill_null). */
WEFT_API WEFT_NODISCARD weft_status weft_expr_fill_null(const weft_expr *input,
                                                        const weft_expr *fill, weft_expr **out);
/* Whether a utf8 input contains `literal` as plain text (no pattern). */
WEFT_API WEFT_NODISCARD weft_status weft_expr_str_contains(const weft_expr *input,
                                                           const char *literal, weft_expr **out);
/* Whether a utf8 input starts with `prefix`. */
WEFT_API WEFT_NODISCARD weft_status weft_expr_str_starts_with(const weft_expr *input,
                                                              const char *prefix, weft_expr **out);
/* Whether a utf8 input contains `pattern`: a regular expression (PCRE2, restricted to what
 * Polars' Rust regex means the same way: backreferences, lookaround and possessive or atomic
 * groups are errors) unless `literal` is nonzero. The pattern is compiled here, once; an
 * invalid one is an error naming it, PCRE2's message and the offset. A pattern with no
 * regex metacharacters is matched as plain text. Built without PCRE2, a real regex is an
 * error saying so. */
WEFT_API WEFT_NODISCARD weft_status weft_expr_str_contains_pattern(const weft_expr *input,
                                                                   const char *pattern,
                                                                   int literal, weft_expr **out);
/* Whether a utf8 input ends with `suffix`. */
WEFT_API WEFT_NODISCARD weft_status weft_expr_str_ends_with(const weft_expr *input,
                                                            const char *suffix, weft_expr **out);
/* The substring of `length` characters (negative: to the end) from character `offset`
 * (negative: from the end), as Polars' str.slice. */
WEFT_API WEFT_NODISCARD weft_status weft_expr_str_slice(const weft_expr *input, int64_t offset,
                                                        int64_t length, weft_expr **out);
/* The first `n` matches (n < 0: all) of `pattern` (a regex unless `literal`, as
 * weft_expr_str_contains_pattern) replaced by `value` ($1, ${1}, $name: a group's text; $$:
 * a dollar, unless `literal`). As Polars' str.replace (n = 1) and str.replace_all. */
WEFT_API WEFT_NODISCARD weft_status weft_expr_str_replace(const weft_expr *input,
                                                          const char *pattern, const char *value,
                                                          int literal, int64_t n, weft_expr **out);
/* The input without leading and trailing characters of `chars` (UTF-8; NULL: Unicode white
 * space), as Polars' str.strip_chars. */
WEFT_API WEFT_NODISCARD weft_status weft_expr_str_strip_chars(const weft_expr *input,
                                                              const char *chars, weft_expr **out);
/* when(cond).then(then).otherwise(otherwise): `then` where cond is true, else `otherwise`
 * (a null cond counts as false; otherwise NULL: null). Chains nest in `otherwise`. */
WEFT_API WEFT_NODISCARD weft_status weft_expr_when(const weft_expr *cond, const weft_expr *then,
                                                   const weft_expr *otherwise, weft_expr **out);
/* Whether input is one of `n` values of `type`: int64_t values for integer, bool, date32 (days)
 * and timestamp (microseconds) types, double for floats, const char * (UTF-8) for utf8,
 * 16-byte little-endian integers at the type's scale for WEFT_TYPE_DECIMAL(p, s) (a decimal
 * input of any scale is compared exactly).
 * A null input gives null. The values are copied. */
WEFT_API WEFT_NODISCARD weft_status weft_expr_is_in(const weft_expr *input, weft_type type,
                                                    const void *values, int64_t n,
                                                    weft_expr **out);
/* A duration of `microseconds` (weft has no duration type: added to or subtracted from a date
 * or timestamp it shifts it, as Polars' timedelta; on its own it is an int64). */
WEFT_API WEFT_NODISCARD weft_status weft_expr_literal_duration(int64_t microseconds,
                                                               weft_expr **out);
/* Floats rounded to `decimals` (>= 0) places, ties to even (Polars' default round mode);
 * integers unchanged; decimals rounded exactly, ties to even, typed decimal(p + 1, s) when
 * `decimals` < s (Polars' type). */
WEFT_API WEFT_NODISCARD weft_status weft_expr_round(const weft_expr *input, int decimals,
                                                    weft_expr **out);
/* The distance of each vector of `input` (a vector column, array[f32, dim], or an alias of
 * one) to `query` (dim floats), as float32, null where the vector is null:
 * WEFT_METRIC_L2 the squared Euclidean distance (as FlatIndex and Lance; no square root),
 * WEFT_METRIC_COSINE 1 - cosine similarity (NaN for a zero vector, as numpy), WEFT_METRIC_IP
 * the inner product. Sums run in float64 and round once. The query is copied; a dim that is
 * not the column's is an error where the expression is bound. */
WEFT_API WEFT_NODISCARD weft_status weft_expr_vector_distance(const weft_expr *input,
                                                              weft_metric metric, size_t dim,
                                                              const float *query,
                                                              weft_expr **out);
/* Names the output column (otherwise: the leftmost column name in the tree, or "literal"). */
WEFT_API WEFT_NODISCARD weft_status weft_expr_alias(const weft_expr *input, const char *name,
                                                    weft_expr **out);
/* Releases the caller's reference (NULL is a no-op). */
WEFT_API weft_status weft_expr_free(weft_expr *expr);
/* The expression as text, e.g. `(col("v") > 0.5)`. Valid until the expression is freed. */
WEFT_API WEFT_NODISCARD weft_status weft_expr_to_string(const weft_expr *expr, const char **text);
/* What an expression node is, for callers that translate expressions (weft's Python
 * scan_parquet turns a pushed-down predicate into a pyarrow filter). Kinds a newer weft adds
 * are WEFT_EXPR_OTHER to an older caller. */
typedef enum weft_expr_kind {
  WEFT_EXPR_COLUMN = 0, WEFT_EXPR_LITERAL, WEFT_EXPR_BINARY, WEFT_EXPR_UNARY, WEFT_EXPR_CAST,
  WEFT_EXPR_FILL_NULL, WEFT_EXPR_STR_CONTAINS, WEFT_EXPR_STR_STARTS_WITH, WEFT_EXPR_ALIAS,
  WEFT_EXPR_OTHER = 255
} weft_expr_kind;
typedef struct weft_expr_info {
  weft_expr_kind kind;
  int op;               /* BINARY: a weft_binary_op; UNARY: a weft_unary_op */
  weft_type type;       /* LITERAL: its type; CAST: the target */
  int is_null;          /* LITERAL: a null literal */
  int64_t int_value;    /* LITERAL of int64 or bool */
  double float_value;   /* LITERAL of float64 */
  const char *text;     /* COLUMN: the name; LITERAL utf8: the value; ALIAS: the name;
                         * STR_*: the pattern (valid while the expression lives) */
  const weft_expr *a, *b; /* children (NULL: none), borrowed */
} weft_expr_info;
/* Fills `info` with the node `expr` (its children by borrowed pointers). */
WEFT_API WEFT_NODISCARD weft_status weft_expr_inspect(const weft_expr *expr, weft_expr_info *info);
/* Output name and type against a table's schema; type errors name the columns and types. */
WEFT_API WEFT_NODISCARD weft_status weft_expr_output(const weft_expr *expr, const weft_table *table,
                                                     const char **name, weft_type *type);

/* ------------------------------------------------------------------ table operations */

/* Columns computed from expressions, in order. */
WEFT_API WEFT_NODISCARD weft_status weft_table_select(weft_exec *exec, const weft_table *table,
                                                      size_t n, const weft_expr *const *exprs,
                                                      weft_table **out);
/* The table plus computed columns (a name already present is replaced in place). */
WEFT_API WEFT_NODISCARD weft_status weft_table_with_columns(weft_exec *exec,
                                                            const weft_table *table, size_t n,
                                                            const weft_expr *const *exprs,
                                                            weft_table **out);
/* Rows where the boolean predicate is true (null counts as false). */
WEFT_API WEFT_NODISCARD weft_status weft_table_filter(weft_exec *exec, const weft_table *table,
                                                      const weft_expr *predicate, weft_table **out);

typedef enum weft_agg_kind {
  WEFT_AGG_SUM = 0, WEFT_AGG_MEAN, WEFT_AGG_MIN, WEFT_AGG_MAX,
  WEFT_AGG_COUNT,     /* non-null values */
  WEFT_AGG_N_UNIQUE,  /* distinct values, null counted as one value (as Polars) */
  WEFT_AGG_STD, WEFT_AGG_VAR, /* sample (ddof = 1), as Polars */
  WEFT_AGG_FIRST, WEFT_AGG_LAST, /* in row order, nulls included */
  WEFT_AGG_LEN        /* rows in the group, nulls included (Polars' len) */
} weft_agg_kind;

typedef struct weft_agg {
  weft_agg_kind kind;
  const weft_expr *input;  /* may be NULL for WEFT_AGG_LEN */
  const char *name;        /* output column name (NULL: the input's name) */
} weft_agg;

/* One row per distinct key tuple (nulls form their own group), in order of first
 * appearance, the key columns first, then one column per aggregation. nkeys = 0 aggregates
 * the whole table into one row. */
WEFT_API WEFT_NODISCARD weft_status weft_table_group_by(weft_exec *exec, const weft_table *table,
                                                        size_t nkeys, const char *const *keys,
                                                        size_t naggs, const weft_agg *aggs,
                                                        weft_table **out);
/* Aggregations inside expressions (Polars' `col("v").sum() * 2`, `col("v") - col("v").mean()`,
 * `col("v").sum().over("g")`). An aggregation of `input` (NULL only for WEFT_AGG_LEN), with
 * the types of weft_table_group_by. In weft_table_agg it gives one value per group; in
 * select, with_columns and filter one value for the whole table, broadcast to every row
 * beside per-row columns (a select of aggregations only gives one row); elsewhere it is an
 * error naming it. */
WEFT_API WEFT_NODISCARD weft_status weft_expr_agg(weft_agg_kind kind, const weft_expr *input,
                                                  weft_expr **out);
/* `input` per window: its aggregations are computed over the groups of the `nkeys` key
 * expressions (nulls form a group) and broadcast to each group's rows; its per-row parts stay
 * per row (Polars' over). For select, with_columns and filter. */
WEFT_API WEFT_NODISCARD weft_status weft_expr_over(const weft_expr *input, size_t nkeys,
                                                   const weft_expr *const *keys, weft_expr **out);
/* group_by(keys).agg(exprs): one row per distinct key tuple (as weft_table_group_by), the
 * keys, then one column per expression, whose aggregations (weft_expr_agg) are per group;
 * a column read outside an aggregation is an error naming it. */
WEFT_API WEFT_NODISCARD weft_status weft_table_agg(weft_exec *exec, const weft_table *table,
                                                   size_t nkeys, const char *const *keys,
                                                   size_t n, const weft_expr *const *exprs,
                                                   weft_table **out);
/* Stable sort by several keys; descending may be NULL (all ascending); nulls last. NaN
 * sorts after every number and before null, as Polars. */
WEFT_API WEFT_NODISCARD weft_status weft_table_sort(weft_exec *exec, const weft_table *table,
                                                    size_t nkeys, const char *const *keys,
                                                    const int *descending, weft_table **out);
/* As weft_table_sort, with where each key's nulls go: nulls_last[k] = 0 puts them first
 * whatever the direction (Polars' default), 1 last; nulls_last NULL: all last. */
WEFT_API WEFT_NODISCARD weft_status weft_table_sort_nulls(weft_exec *exec, const weft_table *table,
                                                          size_t nkeys, const char *const *keys,
                                                          const int *descending,
                                                          const int *nulls_last, weft_table **out);
/* The k rows of `table` whose vectors in `column` (array[f32, dim]) are nearest each of the
 * nq queries (nq x dim floats, row-major), by the exact k-NN engine (weft_index_search's,
 * on the devices `exec` allows): every column of those rows, then a float32 "_distance",
 * smaller is nearer under every metric (WEFT_METRIC_L2: squared Euclidean; COSINE:
 * 1 - cosine similarity; IP: minus the inner product), and with batch = 1 a uint32
 * "_query" (the query's index). k rows a query, in order of distance, ties to the smaller
 * row. Candidates are the rows where `prefilter` (NULL: none) is true and the vector is not
 * null, so a query gets k rows whenever k rows pass, fewer when fewer pass. A candidate
 * vector with NaN or inf (or all zeros, for cosine) is an error naming its row; queries are
 * checked alike. batch = 0 takes exactly one query. */
WEFT_API WEFT_NODISCARD weft_status weft_table_nearest(weft_exec *exec, const weft_table *table,
                                                       const char *column, size_t nq,
                                                       const float *queries, size_t dim, size_t k,
                                                       weft_metric metric,
                                                       const weft_expr *prefilter, int batch,
                                                       weft_table **out);
/* The table with a first uint32 column `name` numbering the rows from `offset` (Polars'
 * with_row_index); the other columns are shared. */
WEFT_API WEFT_NODISCARD weft_status weft_table_with_row_index(const weft_table *table,
                                                              const char *name, int64_t offset,
                                                              weft_table **out);
/* The first k rows of weft_table_sort_nulls, without sorting every row: the k-th smallest
 * value of the first key is selected (O(rows)), only the rows up to it are sorted. */
WEFT_API WEFT_NODISCARD weft_status weft_table_top_k(weft_exec *exec, const weft_table *table,
                                                     int64_t k, size_t nkeys,
                                                     const char *const *keys,
                                                     const int *descending, const int *nulls_last,
                                                     weft_table **out);
/* The first row of each distinct key tuple (all columns when nkeys = 0), in order. */
WEFT_API WEFT_NODISCARD weft_status weft_table_unique(weft_exec *exec, const weft_table *table,
                                                      size_t nkeys, const char *const *keys,
                                                      weft_table **out);

/* Summary statistics of every column, as Polars' DataFrame.describe(): a first column
 * "statistic" (utf8) naming the rows "count", "null_count", "mean", "std", "min", one row per
 * percentile ("25%", ...), "max"; then one column per input column, of the same name.
 * Numbers and bool give float64 (bool: no std and no percentiles); utf8, date32 and
 * timestamp[us] give utf8 text (counts; utf8 min and max; dates and timestamps as Python's
 * str(), their mean a timestamp truncated to the microsecond). std is the sample one
 * (ddof = 1), null under two values. NaN makes mean and std NaN; min and max skip it (NaN
 * when every value is NaN); percentiles rank it above every number. Percentiles are Polars'
 * "nearest" quantiles, in [0, 1], shown in ascending order (Polars' default: 0.25, 0.5,
 * 0.75; percentiles may be NULL when npercentiles is 0). A column named "statistic" is an
 * error. Runs on the CPU pool (one read of each column, percentiles by selection) or on an
 * OpenCL / CUDA device the exec chooses, with the CPU's bits (utf8 columns on the CPU). */
WEFT_API WEFT_NODISCARD weft_status weft_table_describe(weft_exec *exec, const weft_table *table,
                                                        size_t npercentiles,
                                                        const double *percentiles,
                                                        weft_table **out);

typedef enum weft_join_kind {
  WEFT_JOIN_INNER = 0, WEFT_JOIN_LEFT, WEFT_JOIN_SEMI, WEFT_JOIN_ANTI, WEFT_JOIN_RIGHT,
  WEFT_JOIN_FULL, WEFT_JOIN_CROSS,
  /* Flags OR'ed into a kind, Polars' coalesce=: by default the key columns are merged into
   * one (the left's; a right join's: the right's) except in a full join, which keeps both,
   * the right's renamed with the suffix on a clash. WEFT_JOIN_COALESCE merges them in a full
   * join too (the left key where the row has a left side, else the right key, of the two
   * keys' common type); WEFT_JOIN_NO_COALESCE keeps both in every join but semi and anti. */
  WEFT_JOIN_COALESCE = 0x100, WEFT_JOIN_NO_COALESCE = 0x200
} weft_join_kind;

/* Hash join on equal keys (null never equals null, as Polars); keys of any integer widths
 * and signedness compare by value. The hash table is built on the smaller side, whatever the
 * kind. Output columns as Polars': the left's, then the right's non-key columns (a name
 * already taken gets `suffix`, default "_right"); a right join gives the left's non-key
 * columns, then the right's; see the flags above for the keys. A cross join takes no keys
 * (nkeys = 0) and gives every (left row, right row), left row by left row.
 * Row order (Polars' maintain_order): inner, left, semi and anti joins keep the left order,
 * each left row followed by its matches in right order ("left_right"); a right join keeps
 * the right order, each right row's matches in left order ("right_left"); a full join gives
 * the left join's rows, then the right rows that matched nothing, in right order
 * ("left_right"). */
WEFT_API WEFT_NODISCARD weft_status weft_table_join(weft_exec *exec, const weft_table *left,
                                                    const weft_table *right, size_t nkeys,
                                                    const char *const *left_on,
                                                    const char *const *right_on,
                                                    weft_join_kind kind, const char *suffix,
                                                    weft_table **out);

/* ------------------------------------------------------------------ lazy plans */

/* A query built from operators over tables and run at once by weft_plan_collect, after an
 * optimizer has moved filters down (below select / with_columns that pass their columns
 * through unchanged, below sorts, into the side of a join that holds their columns: either
 * side of an inner join, the left of a left / semi / anti join; consecutive filters merge
 * with AND) and trimmed each scan to the columns used above it (a view, no copy).
 *
 * Each constructor takes its arguments the way the eager operation of the same name does,
 * copies them (expressions by a new reference, names by value, so the caller frees what it
 * made at once) and checks them against its input's schema: a bad column or type fails
 * there, with the eager operation's message. A node holds a reference to its inputs, so
 * freeing a plan leaves the plans built on it valid. Handles are immutable except for the
 * texts of explain and collect: do not explain or collect one handle from two threads at
 * once. Free every plan with weft_plan_free. */
typedef struct weft_plan weft_plan;

/* Scans an in-memory table. The plan shares the table's buffers (no copy) and keeps them
 * alive: the caller may free `table` right away. */
WEFT_API WEFT_NODISCARD weft_status weft_plan_scan(const weft_table *table, weft_plan **out);
/* What a scan of a source calls at collect time: the rows of the columns named (in that
 * order) as a new table in *out. `predicate`, when not NULL, is the filter above the scan:
 * the source may skip rows it proves cannot match (Parquet row groups by their statistics),
 * since the filter still runs on what it returns. It may write one line for the report into
 * `note` (note_cap bytes). A status other than WEFT_OK fails the collect. */
typedef weft_status (*weft_scan_read_fn)(void *ctx, size_t ncols, const char *const *columns,
                                         const weft_expr *predicate, weft_table **out,
                                         char *note, size_t note_cap);
typedef void (*weft_scan_release_fn)(void *ctx);
/* Scans rows that `read` gives at collect time (a lazy file scan). `schema`: the source's
 * columns (0 rows are enough); `rows`: its row count (for the planner; an estimate is
 * fine); `name`: what explain shows. The optimizer asks `read` for only the columns used
 * above the scan and hands it the filter directly above. `release(ctx)` is called once
 * when the last plan holding the scan is freed, or at once when this call fails. */
WEFT_API WEFT_NODISCARD weft_status weft_plan_scan_source(const weft_table *schema, int64_t rows,
                                                          const char *name, weft_scan_read_fn read,
                                                          weft_scan_release_fn release, void *ctx,
                                                          weft_plan **out);
/* Keeps the rows where `predicate` is true (as weft_table_filter). */
WEFT_API WEFT_NODISCARD weft_status weft_plan_filter(const weft_plan *input,
                                                     const weft_expr *predicate, weft_plan **out);
/* The columns computed by `exprs` (as weft_table_select). */
WEFT_API WEFT_NODISCARD weft_status weft_plan_select(const weft_plan *input, size_t n,
                                                     const weft_expr *const *exprs,
                                                     weft_plan **out);
/* The input's columns plus, or replaced by, those of `exprs` (as weft_table_with_columns). */
WEFT_API WEFT_NODISCARD weft_status weft_plan_with_columns(const weft_plan *input, size_t n,
                                                           const weft_expr *const *exprs,
                                                           weft_plan **out);
/* One row per distinct key tuple with its aggregations (as weft_table_group_by). */
WEFT_API WEFT_NODISCARD weft_status weft_plan_group_by(const weft_plan *input, size_t nkeys,
                                                       const char *const *keys, size_t naggs,
                                                       const weft_agg *aggs, weft_plan **out);
/* group_by(keys).agg(exprs) as weft_table_agg: a group_by node of the plain aggregations
 * (so it fuses as any group_by) under a select of the expressions. */
WEFT_API WEFT_NODISCARD weft_status weft_plan_agg(const weft_plan *input, size_t nkeys,
                                                  const char *const *keys, size_t n,
                                                  const weft_expr *const *exprs, weft_plan **out);
/* As weft_table_sort; nulls_last = 0 puts the nulls of each key first (Polars' default),
 * whatever its direction. */
WEFT_API WEFT_NODISCARD weft_status weft_plan_sort(const weft_plan *input, size_t nkeys,
                                                   const char *const *keys, const int *descending,
                                                   int nulls_last, weft_plan **out);
/* As weft_table_sort_nulls: where each key's nulls go (nulls_last NULL: all last). */
WEFT_API WEFT_NODISCARD weft_status weft_plan_sort_nulls(const weft_plan *input, size_t nkeys,
                                                         const char *const *keys,
                                                         const int *descending,
                                                         const int *nulls_last, weft_plan **out);
/* The first k rows of that sort (as weft_table_top_k). The optimizer also makes one of a
 * slice from row >= 0 directly over a sort. */
WEFT_API WEFT_NODISCARD weft_status weft_plan_top_k(const weft_plan *input, int64_t k,
                                                    size_t nkeys, const char *const *keys,
                                                    const int *descending, const int *nulls_last,
                                                    weft_plan **out);
/* The input with a first column numbering its rows (as weft_table_with_row_index); filters
 * above it stay above it. */
WEFT_API WEFT_NODISCARD weft_status weft_plan_with_row_index(const weft_plan *input,
                                                             const char *name, int64_t offset,
                                                             weft_plan **out);
/* The k rows nearest each query by vector column `column` (as weft_table_nearest). A filter
 * directly below it, or above it on its input's columns (not "_distance" / "_query"), is
 * its pre-filter: those rows are the search's candidates, so k rows come back whenever k
 * rows pass; explain shows "prefilter: <predicate> (n of N rows)". */
WEFT_API WEFT_NODISCARD weft_status weft_plan_nearest(const weft_plan *input, const char *column,
                                                      size_t nq, const float *queries, size_t dim,
                                                      size_t k, weft_metric metric, int batch,
                                                      weft_plan **out);
/* An index over a table's vector column, searched by the caller's callback: its ids are the
 * table's row numbers. `search(ctx, exec, nq, queries, k, allowed, nbits, distances, rows)`
 * writes, for each query, up to k rows (row-major nq x k, best first, -1 for none) and their
 * distances as weft_table_nearest gives them (smaller is nearer); `allowed` (NULL: every row)
 * is a bitset over row numbers (bit r of byte r / 8, nbits bits) of the rows a pre-filter keeps
 * with a non-null vector. `exec` is the one the nearest runs with (NULL or an exec whose device
 * the plan chose for the nearest): the index's own search takes it, so the search runs on that
 * device and its report lines join the nearest's. It returns 0, or a nonzero weft_status that
 * fails the query. The index is tied to the column's memory: a nearest uses it only where its
 * input's column is that very buffer with the same row count (the same rows: a filter, sort or
 * join makes a new one), else it runs the exact search and says why. `describe` is what explain
 * and the report show. `scan_fraction` (0, 1]: the share of the rows one search reads (an IVF
 * index: nprobe / nlist; a flat one: 1): where a pre-filter leaves fewer candidates than that
 * many rows, the exact search over the candidates reads less and is exact, and runs instead
 * (the report says so). `release(ctx)` is called once when the last holder frees it, or at once
 * when this call fails. */
typedef int (*weft_vector_search_fn)(void *ctx, weft_exec *exec, size_t nq,
                                     const float *queries, size_t k, const uint8_t *allowed,
                                     int64_t nbits, float *distances, int64_t *rows);
typedef void (*weft_vector_release_fn)(void *ctx);
typedef struct weft_vector_index weft_vector_index;
WEFT_API WEFT_NODISCARD weft_status weft_vector_index_new(const weft_table *table,
                                                          const char *column, weft_metric metric,
                                                          const char *describe,
                                                          double scan_fraction,
                                                          weft_vector_search_fn search,
                                                          weft_vector_release_fn release,
                                                          void *ctx, weft_vector_index **out);
/* Drops the caller's reference (plans holding the index keep theirs); WEFT_OK. NULL is a
 * no-op. */
WEFT_API weft_status weft_vector_index_free(weft_vector_index *index);
/* 1 when `table`'s `column` is the buffer and row count `index` was made on, else 0. */
WEFT_API int weft_vector_index_matches(const weft_vector_index *index, const weft_table *table,
                                       const char *column);
/* weft_plan_nearest with an index (NULL: none) searched instead of the exact engine where
 * it applies (see weft_vector_index_new), and strict = 1: the optimized plan must not
 * filter the nearest's rows after the search (a filter left above it, on "_distance" or a
 * column computed above it): explain and collect fail instead, naming the filter. */
WEFT_API WEFT_NODISCARD weft_status weft_plan_nearest_indexed(const weft_plan *input,
                                                              const char *column, size_t nq,
                                                              const float *queries, size_t dim,
                                                              size_t k, weft_metric metric,
                                                              int batch,
                                                              const weft_vector_index *index,
                                                              int strict, weft_plan **out);
/* Joins `left` and `right` on equal keys (as weft_table_join). */
WEFT_API WEFT_NODISCARD weft_status weft_plan_join(const weft_plan *left, const weft_plan *right,
                                                   size_t nkeys, const char *const *left_on,
                                                   const char *const *right_on, weft_join_kind kind,
                                                   const char *suffix, weft_plan **out);
/* Rows [offset, offset + length), clipped to the table; a negative offset counts from the
 * end (a window starting before row 0 is cut there, as Polars' slice). */
WEFT_API WEFT_NODISCARD weft_status weft_plan_slice(const weft_plan *input, int64_t offset,
                                                    int64_t length, weft_plan **out);
/* The first `n` rows (a slice from 0). */
WEFT_API WEFT_NODISCARD weft_status weft_plan_head(const weft_plan *input, int64_t n,
                                                   weft_plan **out);
/* The first row of each distinct key tuple (as weft_table_unique). */
WEFT_API WEFT_NODISCARD weft_status weft_plan_unique(const weft_plan *input, size_t nkeys,
                                                     const char *const *keys, weft_plan **out);
/* Releases the caller's reference; plans built on it stay valid (NULL is a no-op). */
WEFT_API weft_status weft_plan_free(weft_plan *plan);
/* The output schema: a table of 0 rows with the plan's column names and types. */
WEFT_API WEFT_NODISCARD weft_status weft_plan_schema(const weft_plan *plan, weft_table **out);
/* The optimized plan as an indented tree, the root first, one operator a line with the
 * device it will run on under `exec` (NULL: "auto") and why:
 *   "cpu: auto, small input (N rows, devices <verb> from 100000)"
 *                                 under "auto", an input under 100000 rows stays on the CPU;
 *   "cpu: no GPU driver: ..."     under "auto", no GPU can answer (the only OpenCL driver is
 *                                 PoCL on the CPU, no CUDA device node): nothing is opened;
 *   "cpu: only on the CPU ..."    the operation has no device kernels;
 *   "fell back to cpu: <reason>"  the device asked for lacks the operation or its backend
 *                                 is not loaded ("fails in strict mode: ..." when strict);
 *   "cpu: a view of host memory, no copy"   scans and slices.
 * A chain of inner joins whose row order nothing above shows (an aggregate, or groups
 * sorted by all their keys) may be joined in another order, smaller inputs first; each
 * of its joins then ends in "(join order by estimated rows: ~N)". The rows are the same.
 * After a weft_plan_collect of this handle, the text ends with that run's report. `text`
 * is valid until the next explain or collect of this handle, or its free. */
WEFT_API WEFT_NODISCARD weft_status weft_plan_explain(const weft_exec *exec, weft_plan *plan,
                                                      const char **text);
/* Runs the optimized plan with the eager table operations, bottom-up. Where the group_by
 * would run on the CPU, three shapes run as one pass that never builds the rows between
 * (explain shows them): a filter directly under a group_by, "filter + aggregate (fused)",
 * when each aggregation is one the pass computes as group_by does and the keys (if any)
 * fit its words; a group_by directly over a join, without keys or by left columns, over the
 * join's rows; and any other group_by without keys. With keys, the pass gives up at run
 * time on many groups, and over a join when an inner or left join's right keys repeat;
 * the operators then run one after the other. Integer results equal the unfused ones; float
 * sums and means add in fixed ranges of rows merged in order (the same bits whatever the
 * thread count), equal to the unfused ones to rounding. The exec's report lists each
 * operator with the eager operation's own report under it. Strict: a plan with an operator
 * that cannot run on the devices asked for fails (WEFT_ERR_UNSUPPORTED, or
 * WEFT_ERR_BACKEND_UNAVAILABLE) before anything runs. */
WEFT_API WEFT_NODISCARD weft_status weft_plan_collect(weft_exec *exec, weft_plan *plan,
                                                      weft_table **out);

/* ------------------------------------------------------------------ CSV */

/* Options of weft_read_csv. struct_size lets the struct grow without breaking callers built
 * against an older weft.h: set it to sizeof(weft_csv_options) (weft_csv_options_init does,
 * with every default). Fields past a caller's struct_size take their defaults; a struct_size
 * larger than this library's struct, or smaller than its first version, is refused. */
typedef struct weft_csv_options {
  size_t struct_size;        /* sizeof(weft_csv_options) as the caller was built */
  char delimiter;            /* 0: ',' */
  int has_header;            /* 1: the first line names the columns */
  const char *null_values;   /* comma-separated strings read as null; NULL: "" only */
  size_t n_overrides;        /* types given by the caller, by column name */
  const char *const *override_names;
  const weft_type *override_types;
  size_t infer_rows;         /* rows sampled for type inference (0: 10000) */
} weft_csv_options;

/* Fills *options with the defaults (',' delimiter, a header line, "" as null, no
 * overrides, 10000 rows for inference) and its struct_size. */
WEFT_API WEFT_NODISCARD weft_status weft_csv_options_init(weft_csv_options *options);
/* Parallel read with type inference (bool, int64, float64, date32, timestamp_us, utf8);
 * quoted fields ("a,b", "say ""hi"""), CRLF. A malformed file is WEFT_ERR_CORRUPT with
 * the line and column. options may be NULL. */
WEFT_API WEFT_NODISCARD weft_status weft_read_csv(weft_exec *exec, const char *path,
                                                  const weft_csv_options *options,
                                                  weft_table **out);
/* Written atomically (temporary file + rename); nulls as empty fields. */
WEFT_API WEFT_NODISCARD weft_status weft_write_csv(const weft_table *table, const char *path);

#ifdef __cplusplus
}
#endif
#endif /* WEFT_H */
