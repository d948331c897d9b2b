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
  WEFT_ERR_INTERNAL = 10
} weft_status;

/* Static name of a status, e.g. "WEFT_ERR_INVALID_ARGUMENT". */
WEFT_API const char *weft_status_name(weft_status status);
/* Message of the last failure on the calling thread ("" if none). Valid until the next call
 * into weft on this thread. */
WEFT_API const char *weft_last_error(void);
/* "MAJOR.MINOR.PATCH" */
WEFT_API const char *weft_version_string(void);
WEFT_API weft_status weft_version(int *major, int *minor, int *patch);

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
 * backends are loaded on the first call into the library. */
WEFT_API weft_status weft_device_count(size_t *count);
WEFT_API weft_status weft_device_get_info(size_t device, weft_device_info *info);
/* Finds a device by id ("cpu", "cpu:0", "opencl", "opencl:1", "cuda:0"). */
WEFT_API weft_status weft_device_find(const char *id, size_t *device);
/* Caps the bytes weft may hold on a device (0 restores the physical size). */
WEFT_API weft_status weft_device_set_memory_limit(size_t device, uint64_t bytes);

typedef struct weft_backend_info {
  char name[16];                 /* "cpu", "opencl", "cuda" */
  int loaded;                    /* 1 when its library loaded and its driver answered */
  int device_count;
  char library[256];             /* the shared library tried ("" for cpu, which is built in) */
  char reason[WEFT_REASON_MAX];  /* why it was skipped, when loaded == 0 */
} weft_backend_info;

WEFT_API weft_status weft_backend_count(size_t *count);
WEFT_API weft_status weft_backend_get_info(size_t backend, weft_backend_info *info);

/* ------------------------------------------------------------------ buffers */

typedef struct weft_buffer weft_buffer;

WEFT_API weft_status weft_buffer_alloc(size_t device, size_t bytes, weft_buffer **out);
WEFT_API weft_status weft_buffer_free(weft_buffer *buffer);
WEFT_API weft_status weft_buffer_size(const weft_buffer *buffer, size_t *bytes);
WEFT_API weft_status weft_buffer_device(const weft_buffer *buffer, size_t *device);
/* Host -> buffer. The _async form may return before the copy ends: `src` must stay valid
 * and unchanged until weft_device_synchronize(device). */
WEFT_API weft_status weft_buffer_write(weft_buffer *dst, size_t offset, const void *src, size_t bytes);
WEFT_API weft_status weft_buffer_write_async(weft_buffer *dst, size_t offset, const void *src, size_t bytes);
/* Buffer -> host. The _async form fills `dst` by weft_device_synchronize(device). */
WEFT_API weft_status weft_buffer_read(const weft_buffer *src, size_t offset, void *dst, size_t bytes);
WEFT_API weft_status weft_buffer_read_async(const weft_buffer *src, size_t offset, void *dst, size_t bytes);
/* Buffer -> buffer, on one device or across devices (staged through the host). */
WEFT_API weft_status weft_buffer_copy(weft_buffer *dst, size_t dst_offset, const weft_buffer *src,
                                      size_t src_offset, size_t bytes);
WEFT_API weft_status weft_device_synchronize(size_t device);

/* ------------------------------------------------------------------ execution */

/* Where and how an operation runs, and afterwards a report of what ran where and why.
 * Every operation takes a weft_exec (NULL: device "auto", no report kept). */
typedef struct weft_exec weft_exec;

WEFT_API weft_status weft_exec_create(weft_exec **out);
WEFT_API weft_status weft_exec_free(weft_exec *exec);
/* "auto" (default: by cost; WEFT_DEVICE overrides it), one device id ("cpu", "opencl:0",
 * "cuda"), or several separated by commas ("cpu,opencl:0") to split the rows among them. */
WEFT_API weft_status weft_exec_set_device(weft_exec *exec, const char *devices);
/* strict = 1: fail with WEFT_ERR_UNSUPPORTED instead of falling back to the CPU. */
WEFT_API weft_status weft_exec_set_strict(weft_exec *exec, int strict);
/* Text of what the last operation run with `exec` did: device per partition group, rows,
 * partition size and the reason for each choice. Valid until the next run with `exec`. */
WEFT_API weft_status weft_exec_report(const weft_exec *exec, const char **text);
/* The device the last operation ran on (the first one, when split across several). */
WEFT_API weft_status weft_exec_last_device(const weft_exec *exec, size_t *device);

/* ------------------------------------------------------------------ column operations */

typedef enum weft_dtype {
  WEFT_FLOAT32 = 0,
  WEFT_FLOAT64 = 1
} weft_dtype;

/* out[i] = a * x[i] + y[i]. Validity bitmaps are Arrow's (bit i of byte i/8, 1 = valid) and
 * may be NULL (all valid); out_valid receives x_valid AND y_valid and may be NULL only when
 * both inputs are. Null slots of `out` hold 0. */
WEFT_API weft_status weft_axpy(weft_exec *exec, weft_dtype dtype, size_t n, double a,
                               const void *x, const uint8_t *x_valid,
                               const void *y, const uint8_t *y_valid,
                               void *out, uint8_t *out_valid);

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
WEFT_API weft_status weft_reduce(weft_exec *exec, weft_dtype dtype, weft_reduce_op op, size_t n,
                                 const void *x, const uint8_t *valid, weft_reduce_result *out);

/* ------------------------------------------------------------------ vector search */

typedef enum weft_metric {
  WEFT_METRIC_L2 = 0,     /* squared Euclidean distance, smaller is closer (as faiss) */
  WEFT_METRIC_IP = 1,     /* inner product, larger is closer */
  WEFT_METRIC_COSINE = 2  /* cosine similarity, larger is closer; vectors normalized at add */
} weft_metric;

/* An exact (brute-force) index of float32 vectors with int64 ids. Searches may run from
 * many threads at once; add and remove wait for running searches. */
typedef struct weft_index weft_index;

WEFT_API weft_status weft_index_create(size_t dim, weft_metric metric, weft_index **out);
WEFT_API weft_status weft_index_free(weft_index *index);
/* Adds n vectors (n x dim, row-major). ids: n distinct non-negative ids not in the index,
 * or NULL for the next ids in sequence (0, 1, ... like faiss). NaN or inf in a vector, or a
 * zero vector under cosine, is an error naming the row. */
WEFT_API weft_status weft_index_add(weft_index *index, size_t n, const float *vectors,
                                    const int64_t *ids);
/* Removes the given ids; ids not in the index are ignored. *removed (may be NULL) counts. */
WEFT_API weft_status weft_index_remove(weft_index *index, size_t n, const int64_t *ids,
                                       size_t *removed);
WEFT_API weft_status weft_index_size(const weft_index *index, size_t *count);
WEFT_API weft_status weft_index_dim(const weft_index *index, size_t *dim);
WEFT_API weft_status weft_index_metric(const weft_index *index, weft_metric *metric);
/* The k nearest of each of nq queries (nq x dim), best first: distances (nq x k) and
 * labels (nq x k ids). Ties go to the smaller id on every device. A row with fewer than k
 * candidates is padded with id -1 and distance +inf (L2) or -inf (ip, cosine).
 * allowed: NULL, or a bitset over ids (bit i of byte i/8 set = id i may be returned) of
 * allowed_bits bits; ids >= allowed_bits are excluded. */
WEFT_API weft_status weft_index_search(weft_index *index, weft_exec *exec, size_t nq,
                                       const float *queries, size_t k, const uint8_t *allowed,
                                       size_t allowed_bits, float *distances, int64_t *labels);
/* One file: header (magic, format version, dim, metric, count), vectors, ids, checksum.
 * Written to a temporary file and renamed, so a crash never leaves half a file. */
WEFT_API weft_status weft_index_save(weft_index *index, const char *path);
/* Loads a file written by weft_index_save; a truncated or corrupted file is
 * WEFT_ERR_CORRUPT, another format or version WEFT_ERR_CORRUPT naming what was found. */
WEFT_API weft_status weft_index_load(const char *path, weft_index **out);

#ifdef __cplusplus
}
#endif
#endif /* WEFT_H */
