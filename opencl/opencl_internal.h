/* Shared state of the OpenCL backend. Everything here has hidden visibility: the library
 * exports only weft_backend_entry. */
#ifndef WEFT_OPENCL_INTERNAL_H
#define WEFT_OPENCL_INTERNAL_H

#ifndef CL_TARGET_OPENCL_VERSION
#define CL_TARGET_OPENCL_VERSION 120
#endif
#include <CL/cl.h>
#include <pthread.h>
#include <stdatomic.h>

#include "core/backend_impl.h"

/* Work-group size of every launch (WK_GROUP_SIZE in kernels/dialect.h). */
#define WEFT_OCL_GROUP 256
/* Most work-groups of an elementwise launch (the kernels are grid-stride). */
#define WEFT_OCL_MAX_GROUPS 65536
/* Most work-groups of a reduction: the size of the per-device partial arrays. */
#define WEFT_OCL_REDUCE_GROUPS 1024

enum weft_ocl_kernel {
  WEFT_OCL_AXPY_F32,
  WEFT_OCL_AXPY_F64,
  WEFT_OCL_ZERO_NULLS_F32,
  WEFT_OCL_ZERO_NULLS_F64,
  WEFT_OCL_BITMAP_AND,
  WEFT_OCL_REDUCE_F32,
  WEFT_OCL_REDUCE_F64,
  WEFT_OCL_KNN_GEMM,
  WEFT_OCL_KNN_TOPK_MERGE,
  WEFT_OCL_KNN_SORT,
  WEFT_OCL_KNN_CERT_BOUND,
  WEFT_OCL_KNN_CERT_RERANK,
  WEFT_OCL_EXPR_EVAL,
  WEFT_OCL_SORT_HISTOGRAM,
  WEFT_OCL_SORT_SCAN,
  WEFT_OCL_SORT_SCATTER,
  WEFT_OCL_JOIN_CLEAR,
  WEFT_OCL_JOIN_INSERT,
  WEFT_OCL_JOIN_RADIX_COUNT,
  WEFT_OCL_JOIN_RADIX_SCATTER,
  WEFT_OCL_JOIN_BOUNDS,
  WEFT_OCL_JOIN_PROBE_COUNT,
  WEFT_OCL_JOIN_EMIT,
  WEFT_OCL_JOIN_SCAN_BLOCKS,
  WEFT_OCL_JOIN_SCAN_ADD,
  WEFT_OCL_DESCRIBE_BLOCKS,
  WEFT_OCL_CSV_BLOCK_SCAN,
  WEFT_OCL_CSV_GROUP_SCAN,
  WEFT_OCL_CSV_BLOCK_CHAIN,
  WEFT_OCL_CSV_GROUP_FIRST,
  WEFT_OCL_CSV_BLOCK_STARTS,
  WEFT_OCL_CSV_FIELDS,
  WEFT_OCL_GROUP_FIRST, /* the WEFT__GK_KERNEL_COUNT grouping kernels (last: names from
                         * opencl_group.c), in weft__group_kernel order */
  WEFT_OCL_GROUP_LAST = WEFT_OCL_GROUP_FIRST + WEFT__GK_KERNEL_COUNT - 1,
  WEFT_OCL_KERNEL_COUNT
};

typedef struct weft_ocl_device {
  cl_device_id id;
  cl_platform_id platform;
  /* context and queue are made on the device's first use (weft_ocl_device_get), not when it
   * is listed: a device the host leaves out (NVIDIA's OpenCL view of a GPU that CUDA lists)
   * never gets a context, which would take its memory and start its driver for nothing */
  pthread_mutex_t open_lock;
  _Atomic int opened;              /* 1: context and queue made; -1: making them failed */
  weft_status open_status;         /* the failure's status when opened is -1 */
  char open_error[256];            /* and its message, repeated to later callers */
  cl_context context;
  cl_command_queue queue;          /* in order: work on a device runs in submission order */
  weft__device_desc desc;
  /* Guards everything below: the lazy program build, clSetKernelArg + enqueue of a
   * launch (cl_kernel objects are not thread-safe) and the reduction scratch buffers. */
  pthread_mutex_t lock;
  cl_program program;              /* NULL until first built */
  cl_kernel kernels[WEFT_OCL_KERNEL_COUNT]; /* fp64 ones stay NULL without fp64 */
  size_t local[WEFT_OCL_KERNEL_COUNT];      /* work-group size usable with each kernel */
  cl_mem part_sum, part_min, part_max, part_count; /* WEFT_OCL_REDUCE_GROUPS each */
} weft_ocl_device;

typedef struct weft_ocl_state {
  const weft__host_api *host;
  int count;
  weft_ocl_device *devices;
} weft_ocl_state;

extern weft_ocl_state weft_ocl__state;
extern const char weft__opencl_kernel_source[];

/* "CL_OUT_OF_RESOURCES" for -5, "CL_UNKNOWN_ERROR" for codes it does not know. */
const char *weft_ocl_error_name(cl_int err);
/* Records "opencl: <call> failed on device '<name>': <NAME> (<code>)" and returns
 * WEFT_ERR_DEVICE (WEFT_ERR_DEVICE_MEMORY for CL_MEM_OBJECT_ALLOCATION_FAILURE). */
weft_status weft_ocl_fail(const weft_ocl_device *d, const char *call, cl_int err);
/* host->set_error, or just `status` before init. */
weft_status weft_ocl_error(weft_status status, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
/* The device `dev` with its context and queue (made on its first use), or NULL after
 * recording why: WEFT_ERR_INVALID_ARGUMENT for no such device, the OpenCL failure otherwise;
 * weft_ocl_device_status(dev) returns that status for the caller to return. */
weft_ocl_device *weft_ocl_device_get(int dev);
weft_status weft_ocl_device_status(int dev);

/* opencl_program.c. With d->lock held: builds the program, kernels and scratch buffers on
 * first use. */
weft_status weft_ocl_program_ready(weft_ocl_device *d);
void weft_ocl_program_release(weft_ocl_device *d);

/* opencl_memory.c */
weft_status weft_ocl_buffer_alloc(int dev, size_t bytes, void **handle);
void weft_ocl_buffer_free(int dev, void *handle);
weft_status weft_ocl_buffer_write(int dev, void *dst, size_t dst_offset, const void *src,
                                  size_t bytes, int blocking);
weft_status weft_ocl_buffer_read(int dev, const void *src, size_t src_offset, void *dst,
                                 size_t bytes, int blocking);
weft_status weft_ocl_buffer_copy(int dev, void *dst, size_t dst_offset, const void *src,
                                 size_t src_offset, size_t bytes);
weft_status weft_ocl_synchronize(int dev);

/* opencl_kernels.c */
typedef struct weft_ocl_arg {
  size_t size;
  const void *value;
} weft_ocl_arg;
#define WEFT_OCL_ARG(v) {sizeof(v), &(v)}
/* Locks the device and builds its program on first use. Unlocks again on failure. */
weft_status weft_ocl_lock_ready(weft_ocl_device *d);
/* With the lock held: sets the arguments and enqueues `groups` groups of d->local[k]. */
weft_status weft_ocl_launch_locked(weft_ocl_device *d, int k, const weft_ocl_arg *args,
                                   cl_uint nargs, size_t groups);
weft_status weft_ocl_axpy(int dev, weft_dtype dtype, size_t n, double a, const void *x,
                          const void *y, void *out);
weft_status weft_ocl_bitmap_and(int dev, size_t nbytes, const void *a, const void *b, void *out);
weft_status weft_ocl_zero_nulls(int dev, weft_dtype dtype, size_t n, const void *valid, void *out);
weft_status weft_ocl_reduce(int dev, weft_dtype dtype, size_t n, const void *x, const void *valid,
                            weft__reduce_partial *out);

/* opencl_knn.c */
weft_status weft_ocl_knn_tile(int dev, const weft__knn_tile *tile);
weft_status weft_ocl_knn_sort(int dev, size_t nq, size_t k, void *lists);
weft_status weft_ocl_knn_merge(int dev, const weft__knn_tile *tile);
weft_status weft_ocl_knn_cert(int dev, const weft__knn_cert_args *args, int rerank);

/* opencl_expr.c */
weft_status weft_ocl_expr_eval(int dev, const weft__expr_launch *launch);

/* opencl_sort.c */
weft_status weft_ocl_sort_pairs(int dev, size_t n, int key_bytes, uint64_t varies, void *keys,
                                void *rows);
/* opencl_group.c: the grouping kernels (kernels/group_hash.kern, group_agg.kern). */
extern const char *const weft_ocl_group_kernel_names[WEFT__GK_KERNEL_COUNT];
weft_status weft_ocl_group_kernel(int dev, const weft__group_launch *launch);
/* opencl_join.c: the hash join's steps (kernels/join_hash.kern), reached through the
 * table's launch entry (opencl_backend.c). */
weft_status weft_ocl_join_clear(int dev, size_t slots, void *owner, void *seg_start, void *seg_end);
weft_status weft_ocl_join_insert(int dev, size_t rows, size_t words, const void *keys,
                                 const void *valid, size_t slots, void *owner, void *slot_of,
                                 void *row_of);
weft_status weft_ocl_join_radix_count(int dev, size_t n, unsigned shift, const void *slot_in,
                                      void *hist);
weft_status weft_ocl_join_radix_scatter(int dev, size_t n, unsigned shift, const void *slot_in,
                                        const void *row_in, const void *hist, void *slot_out,
                                        void *row_out);
weft_status weft_ocl_join_bounds(int dev, size_t n, size_t slots, const void *slot_sorted,
                                 void *seg_start, void *seg_end);
weft_status weft_ocl_join_probe_count(int dev, const weft__join_probe *probe);
weft_status weft_ocl_join_emit(int dev, const weft__join_probe *probe);
weft_status weft_ocl_scan_chunks(int dev, size_t n, void *data, void *sums);
weft_status weft_ocl_scan_add(int dev, size_t n, void *data, const void *sums);
/* opencl_describe.c: describe's block statistics (kernels/describe_blocks.kern). */
weft_status weft_ocl_describe_blocks(int dev, const weft__describe_launch *launch);
/* opencl_csv.c: read_csv's device parse (kernels/csv_parse.kern). */
weft_status weft_ocl_csv_records(int dev, const weft__csv_launch *launch);
weft_status weft_ocl_csv_fields(int dev, const weft__csv_launch *launch);

#endif /* WEFT_OPENCL_INTERNAL_H */
