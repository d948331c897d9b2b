"""Low-level ctypes binding of include/weft.h.

This module only finds and loads libweft and declares every C function of the public API
with its argtypes and restype. The pleasant API lives in the other modules of the package.

Library lookup order (the first that loads wins):

1. ``libweft.so`` next to the package: the directory of this file, then the other entries of
   the package's ``__path__`` (an editable install keeps the libraries in the install tree);
2. the environment variable ``WEFT_LIBRARY``: the library file itself, or its directory;
3. ``build/lib`` of the source checkout this file lives in;
4. ``ctypes.util.find_library("weft")``.
"""

import ctypes
import ctypes.util
import os
import sys
from ctypes import (
    POINTER,
    Structure,
    c_char,
    c_char_p,
    c_double,
    c_float,
    c_int,
    c_int64,
    c_size_t,
    c_uint8,
    c_uint64,
    c_void_p,
)

__all__ = ["lib", "path"]

# ---------------------------------------------------------------------------- loading

if sys.platform.startswith("win"):
    _LIB_NAMES = ("weft.dll", "libweft.dll")
elif sys.platform == "darwin":
    _LIB_NAMES = ("libweft.dylib", "libweft.so")
else:
    _LIB_NAMES = ("libweft.so",)

_HERE = os.path.dirname(os.path.abspath(__file__))


def _package_dirs():
    dirs = [_HERE]
    pkg = sys.modules.get(__package__ or "")
    for entry in getattr(pkg, "__path__", None) or ():
        entry = os.path.abspath(os.fspath(entry))
        if entry not in dirs:
            dirs.append(entry)
    return dirs


def _candidates():
    """Yields (where, path-or-name) in lookup order."""
    for d in _package_dirs():
        for name in _LIB_NAMES:
            yield "package", os.path.join(d, name)
    env = os.environ.get("WEFT_LIBRARY")
    if env:
        env = os.path.expanduser(env)
        if os.path.isdir(env):
            for name in _LIB_NAMES:
                yield "WEFT_LIBRARY", os.path.join(env, name)
        else:
            yield "WEFT_LIBRARY", env
    repo = os.path.dirname(os.path.dirname(_HERE))  # python/weft -> repository root
    for name in _LIB_NAMES:
        yield "source checkout", os.path.join(repo, "build", "lib", name)
    found = ctypes.util.find_library("weft")
    if found:
        yield "find_library", found
    else:
        yield "find_library", None


def _load():
    tried = []
    for where, cand in _candidates():
        if cand is None:
            tried.append("  find_library('weft'): not found")
            continue
        is_path = os.sep in cand
        if is_path and not os.path.exists(cand):
            tried.append(f"  {cand} ({where}): no such file")
            continue
        try:
            handle = ctypes.CDLL(cand)
        except OSError as exc:
            tried.append(f"  {cand} ({where}): {exc}")
            continue
        return handle, (os.path.abspath(cand) if is_path else cand)
    raise ImportError(
        "weft: could not load the weft C library (libweft). Paths tried, in order:\n"
        + "\n".join(tried)
        + "\nBuild it (cmake -S . -B build -G Ninja && cmake --build build) or install the "
        "package with pip, or point WEFT_LIBRARY at libweft.so or its directory."
    )


lib, path = _load()
"""The loaded CDLL and the path (or name) it was loaded from."""


def _fn(name, restype, argtypes):
    try:
        f = getattr(lib, name)
    except AttributeError:
        raise ImportError(
            f"weft: {path} does not export {name}(): the library does not match this "
            "Python package (rebuild it, or point WEFT_LIBRARY at a matching build)"
        ) from None
    f.restype = restype
    f.argtypes = argtypes
    return f


# ---------------------------------------------------------------------------- constants

WEFT_VERSION_MAJOR = 0
WEFT_VERSION_MINOR = 1
WEFT_VERSION_PATCH = 0

WEFT_NAME_MAX = 128
WEFT_REASON_MAX = 512

# enum weft_status
weft_status = c_int
WEFT_OK = 0
WEFT_ERR_INVALID_ARGUMENT = 1
WEFT_ERR_OUT_OF_MEMORY = 2
WEFT_ERR_DEVICE_MEMORY = 3
WEFT_ERR_DEVICE = 4
WEFT_ERR_UNSUPPORTED = 5
WEFT_ERR_NOT_FOUND = 6
WEFT_ERR_BACKEND_UNAVAILABLE = 7
WEFT_ERR_IO = 8
WEFT_ERR_CORRUPT = 9
WEFT_ERR_INTERNAL = 10
WEFT_ERR_CANCELLED = 11

# enum weft_device_kind
weft_device_kind = c_int
WEFT_DEVICE_CPU = 0
WEFT_DEVICE_OPENCL = 1
WEFT_DEVICE_CUDA = 2

# enum weft_dtype
weft_dtype = c_int
WEFT_FLOAT32 = 0
WEFT_FLOAT64 = 1

# enum weft_reduce_op
weft_reduce_op = c_int
WEFT_REDUCE_SUM = 0
WEFT_REDUCE_MIN = 1
WEFT_REDUCE_MAX = 2

# enum weft_metric
weft_metric = c_int
WEFT_METRIC_L2 = 0
WEFT_METRIC_IP = 1
WEFT_METRIC_COSINE = 2

# enum weft_ivf_codec
weft_ivf_codec = c_int
WEFT_IVF_FLAT = 0
WEFT_IVF_SQ8 = 1
WEFT_IVF_PQ = 2
WEFT_IVF_PQ_MIN_NBITS = 4
WEFT_IVF_PQ_MAX_NBITS = 8
WEFT_IVF_MAX_REFINE = 1024

# ---------------------------------------------------------------------------- structs


# typedef struct weft_device_info {
#   weft_device_kind kind;
#   int ordinal;
#   char id[32];
#   char name[WEFT_NAME_MAX];
#   uint64_t memory_bytes;
#   uint64_t memory_limit_bytes;
#   uint64_t memory_used_bytes;
#   int compute_units;
#   int has_fp64;
# } weft_device_info;
class weft_device_info(Structure):
    _fields_ = [
        ("kind", weft_device_kind),
        ("ordinal", c_int),
        ("id", c_char * 32),
        ("name", c_char * WEFT_NAME_MAX),
        ("memory_bytes", c_uint64),
        ("memory_limit_bytes", c_uint64),
        ("memory_used_bytes", c_uint64),
        ("compute_units", c_int),
        ("has_fp64", c_int),
    ]


# typedef struct weft_backend_info {
#   char name[16];
#   int loaded;
#   int device_count;
#   char library[256];
#   char reason[WEFT_REASON_MAX];
# } weft_backend_info;
class weft_backend_info(Structure):
    _fields_ = [
        ("name", c_char * 16),
        ("loaded", c_int),
        ("device_count", c_int),
        ("library", c_char * 256),
        ("reason", c_char * WEFT_REASON_MAX),
    ]


# typedef struct weft_reduce_result {
#   double value;
#   uint64_t count;
#   int is_null;
# } weft_reduce_result;
class weft_reduce_result(Structure):
    _fields_ = [
        ("value", c_double),
        ("count", c_uint64),
        ("is_null", c_int),
    ]


# Opaque handles: typedef struct weft_buffer weft_buffer; typedef struct weft_exec weft_exec;
# typedef struct weft_index weft_index;
weft_buffer_p = c_void_p
weft_exec_p = c_void_p
weft_index_p = c_void_p
c_uint8_p = POINTER(c_uint8)
c_float_p = POINTER(c_float)
c_int64_p = POINTER(c_int64)

# ---------------------------------------------------------------------------- status

# const char *weft_status_name(weft_status status);
weft_status_name = _fn("weft_status_name", c_char_p, [weft_status])

# const char *weft_last_error(void);
weft_last_error = _fn("weft_last_error", c_char_p, [])

# const char *weft_version_string(void);
weft_version_string = _fn("weft_version_string", c_char_p, [])

# weft_status weft_version(int *major, int *minor, int *patch);
weft_version = _fn("weft_version", weft_status, [POINTER(c_int), POINTER(c_int), POINTER(c_int)])

# ---------------------------------------------------------------------------- progress

# typedef int (*weft_progress_fn)(void *user, const char *what, uint64_t done, uint64_t total);
weft_progress_fn = ctypes.CFUNCTYPE(c_int, c_void_p, c_char_p, c_uint64, c_uint64)

# weft_status weft_set_progress(weft_progress_fn fn, void *user, double min_interval_s);
weft_set_progress = _fn("weft_set_progress", weft_status, [weft_progress_fn, c_void_p, c_double])

# ---------------------------------------------------------------------------- devices

# weft_status weft_release_cached_memory(uint64_t *bytes);
weft_release_cached_memory = _fn("weft_release_cached_memory", weft_status, [POINTER(c_uint64)])

# weft_status weft_device_count(size_t *count);
weft_device_count = _fn("weft_device_count", weft_status, [POINTER(c_size_t)])

# weft_status weft_device_get_info(size_t device, weft_device_info *info);
weft_device_get_info = _fn(
    "weft_device_get_info", weft_status, [c_size_t, POINTER(weft_device_info)]
)

# weft_status weft_device_find(const char *id, size_t *device);
weft_device_find = _fn("weft_device_find", weft_status, [c_char_p, POINTER(c_size_t)])

# weft_status weft_device_set_memory_limit(size_t device, uint64_t bytes);
weft_device_set_memory_limit = _fn(
    "weft_device_set_memory_limit", weft_status, [c_size_t, c_uint64]
)

# weft_status weft_backend_count(size_t *count);
weft_backend_count = _fn("weft_backend_count", weft_status, [POINTER(c_size_t)])

# weft_status weft_backend_get_info(size_t backend, weft_backend_info *info);
weft_backend_get_info = _fn(
    "weft_backend_get_info", weft_status, [c_size_t, POINTER(weft_backend_info)]
)

# ---------------------------------------------------------------------------- buffers

# weft_status weft_buffer_alloc(size_t device, size_t bytes, weft_buffer **out);
weft_buffer_alloc = _fn(
    "weft_buffer_alloc", weft_status, [c_size_t, c_size_t, POINTER(weft_buffer_p)]
)

# weft_status weft_buffer_free(weft_buffer *buffer);
weft_buffer_free = _fn("weft_buffer_free", weft_status, [weft_buffer_p])

# weft_status weft_buffer_size(const weft_buffer *buffer, size_t *bytes);
weft_buffer_size = _fn("weft_buffer_size", weft_status, [weft_buffer_p, POINTER(c_size_t)])

# weft_status weft_buffer_device(const weft_buffer *buffer, size_t *device);
weft_buffer_device = _fn("weft_buffer_device", weft_status, [weft_buffer_p, POINTER(c_size_t)])

# weft_status weft_buffer_write(weft_buffer *dst, size_t offset, const void *src, size_t bytes);
weft_buffer_write = _fn(
    "weft_buffer_write", weft_status, [weft_buffer_p, c_size_t, c_void_p, c_size_t]
)

# weft_status weft_buffer_write_async(weft_buffer *dst, size_t offset, const void *src,
#                                     size_t bytes);
weft_buffer_write_async = _fn(
    "weft_buffer_write_async", weft_status, [weft_buffer_p, c_size_t, c_void_p, c_size_t]
)

# weft_status weft_buffer_read(const weft_buffer *src, size_t offset, void *dst, size_t bytes);
weft_buffer_read = _fn(
    "weft_buffer_read", weft_status, [weft_buffer_p, c_size_t, c_void_p, c_size_t]
)

# weft_status weft_buffer_read_async(const weft_buffer *src, size_t offset, void *dst,
#                                    size_t bytes);
weft_buffer_read_async = _fn(
    "weft_buffer_read_async", weft_status, [weft_buffer_p, c_size_t, c_void_p, c_size_t]
)

# weft_status weft_buffer_copy(weft_buffer *dst, size_t dst_offset, const weft_buffer *src,
#                              size_t src_offset, size_t bytes);
weft_buffer_copy = _fn(
    "weft_buffer_copy",
    weft_status,
    [weft_buffer_p, c_size_t, weft_buffer_p, c_size_t, c_size_t],
)

# weft_status weft_device_synchronize(size_t device);
weft_device_synchronize = _fn("weft_device_synchronize", weft_status, [c_size_t])

# ---------------------------------------------------------------------------- execution

# weft_status weft_exec_create(weft_exec **out);
weft_exec_create = _fn("weft_exec_create", weft_status, [POINTER(weft_exec_p)])

# weft_status weft_exec_free(weft_exec *exec);
weft_exec_free = _fn("weft_exec_free", weft_status, [weft_exec_p])

# weft_status weft_exec_set_device(weft_exec *exec, const char *devices);
weft_exec_set_device = _fn("weft_exec_set_device", weft_status, [weft_exec_p, c_char_p])

# weft_status weft_exec_set_strict(weft_exec *exec, int strict);
weft_exec_set_strict = _fn("weft_exec_set_strict", weft_status, [weft_exec_p, c_int])

# weft_status weft_exec_set_precision(weft_exec *exec, weft_precision precision);
weft_exec_set_precision = _fn("weft_exec_set_precision", weft_status, [weft_exec_p, c_int])

# weft_status weft_exec_report(const weft_exec *exec, const char **text);
weft_exec_report = _fn("weft_exec_report", weft_status, [weft_exec_p, POINTER(c_char_p)])

# weft_status weft_exec_last_device(const weft_exec *exec, size_t *device);
weft_exec_last_device = _fn(
    "weft_exec_last_device", weft_status, [weft_exec_p, POINTER(c_size_t)]
)

# ---------------------------------------------------------------------------- column operations

# weft_status weft_axpy(weft_exec *exec, weft_dtype dtype, size_t n, double a,
#                       const void *x, const uint8_t *x_valid,
#                       const void *y, const uint8_t *y_valid,
#                       void *out, uint8_t *out_valid);
weft_axpy = _fn(
    "weft_axpy",
    weft_status,
    [
        weft_exec_p,
        weft_dtype,
        c_size_t,
        c_double,
        c_void_p,
        c_uint8_p,
        c_void_p,
        c_uint8_p,
        c_void_p,
        c_uint8_p,
    ],
)

# weft_status weft_reduce(weft_exec *exec, weft_dtype dtype, weft_reduce_op op, size_t n,
#                         const void *x, const uint8_t *valid, weft_reduce_result *out);
weft_reduce = _fn(
    "weft_reduce",
    weft_status,
    [
        weft_exec_p,
        weft_dtype,
        weft_reduce_op,
        c_size_t,
        c_void_p,
        c_uint8_p,
        POINTER(weft_reduce_result),
    ],
)

# ---------------------------------------------------------------------------- vector search

# weft_status weft_index_create(size_t dim, weft_metric metric, weft_index **out);
weft_index_create = _fn(
    "weft_index_create", weft_status, [c_size_t, weft_metric, POINTER(weft_index_p)]
)

# weft_status weft_index_free(weft_index *index);
weft_index_free = _fn("weft_index_free", weft_status, [weft_index_p])

# weft_status weft_index_add(weft_index *index, size_t n, const float *vectors,
#                            const int64_t *ids);
weft_index_add = _fn(
    "weft_index_add", weft_status, [weft_index_p, c_size_t, c_float_p, c_int64_p]
)

# typedef void (*weft_release_fn)(void *release_ctx);
weft_release_fn = ctypes.CFUNCTYPE(None, c_void_p)

# weft_status weft_index_add_borrowed(weft_index *index, size_t n, const float *vectors,
#                                     weft_release_fn release, void *release_ctx);
weft_index_add_borrowed = _fn(
    "weft_index_add_borrowed",
    weft_status,
    [weft_index_p, c_size_t, c_float_p, weft_release_fn, c_void_p],
)

# weft_status weft_index_remove(weft_index *index, size_t n, const int64_t *ids,
#                               size_t *removed);
weft_index_remove = _fn(
    "weft_index_remove", weft_status, [weft_index_p, c_size_t, c_int64_p, POINTER(c_size_t)]
)

# weft_status weft_index_size(const weft_index *index, size_t *count);
weft_index_size = _fn("weft_index_size", weft_status, [weft_index_p, POINTER(c_size_t)])

# weft_status weft_index_dim(const weft_index *index, size_t *dim);
weft_index_dim = _fn("weft_index_dim", weft_status, [weft_index_p, POINTER(c_size_t)])

# weft_status weft_index_metric(const weft_index *index, weft_metric *metric);
weft_index_metric = _fn("weft_index_metric", weft_status, [weft_index_p, POINTER(weft_metric)])

# weft_status weft_index_search(weft_exec *exec, weft_index *index, size_t nq,
#                               const float *queries, size_t k, const uint8_t *allowed,
#                               size_t allowed_bits, float *distances, int64_t *labels);
weft_index_search = _fn(
    "weft_index_search",
    weft_status,
    [
        weft_exec_p,
        weft_index_p,
        c_size_t,
        c_float_p,
        c_size_t,
        c_uint8_p,
        c_size_t,
        c_float_p,
        c_int64_p,
    ],
)

# weft_status weft_index_save(weft_index *index, const char *path);
weft_index_save = _fn("weft_index_save", weft_status, [weft_index_p, c_char_p])

# weft_status weft_index_load(const char *path, weft_index **out);
weft_index_load = _fn("weft_index_load", weft_status, [c_char_p, POINTER(weft_index_p)])

# ---------------------------------------------------------------------------- approximate search

# typedef struct weft_ivf weft_ivf;
weft_ivf_p = c_void_p

# weft_status weft_kmeans(size_t n, size_t dim, const float *x, size_t k, size_t niter,
#                         uint64_t seed, size_t max_points_per_centroid, float *centroids,
#                         int64_t *assignments);
weft_kmeans = _fn(
    "weft_kmeans", weft_status,
    [c_size_t, c_size_t, c_float_p, c_size_t, c_size_t, c_uint64, c_size_t, c_float_p, c_int64_p],
)  # fmt: skip

# weft_status weft_ivf_create(size_t dim, size_t nlist, weft_metric metric, weft_ivf_codec codec,
#                             weft_ivf **out);
weft_ivf_create = _fn(
    "weft_ivf_create", weft_status,
    [c_size_t, c_size_t, weft_metric, weft_ivf_codec, POINTER(weft_ivf_p)],
)  # fmt: skip

# weft_status weft_ivf_create_pq(size_t dim, size_t nlist, weft_metric metric, size_t m,
#                                size_t nbits, weft_ivf **out);
weft_ivf_create_pq = _fn(
    "weft_ivf_create_pq", weft_status,
    [c_size_t, c_size_t, weft_metric, c_size_t, c_size_t, POINTER(weft_ivf_p)],
)

# weft_status weft_ivf_pq_info(const weft_ivf *ivf, size_t *m, size_t *nbits);
weft_ivf_pq_info = _fn(
    "weft_ivf_pq_info", weft_status, [weft_ivf_p, POINTER(c_size_t), POINTER(c_size_t)]
)

# weft_status weft_ivf_pq_codebooks(const weft_ivf *ivf, float *codebooks);
weft_ivf_pq_codebooks = _fn("weft_ivf_pq_codebooks", weft_status, [weft_ivf_p, c_float_p])

# weft_status weft_ivf_set_pq_niter(weft_ivf *ivf, size_t niter);
weft_ivf_set_pq_niter = _fn("weft_ivf_set_pq_niter", weft_status, [weft_ivf_p, c_size_t])

# weft_status weft_ivf_set_refine(weft_ivf *ivf, size_t k_factor);
weft_ivf_set_refine = _fn("weft_ivf_set_refine", weft_status, [weft_ivf_p, c_size_t])

# weft_status weft_ivf_refine(const weft_ivf *ivf, size_t *k_factor, int *keeps_rows);
weft_ivf_refine = _fn(
    "weft_ivf_refine", weft_status, [weft_ivf_p, POINTER(c_size_t), POINTER(c_int)]
)

# weft_status weft_ivf_free(weft_ivf *ivf);
weft_ivf_free = _fn("weft_ivf_free", weft_status, [weft_ivf_p])

# weft_status weft_ivf_train(weft_ivf *ivf, size_t n, const float *vectors, size_t niter,
#                            uint64_t seed);
weft_ivf_train = _fn(
    "weft_ivf_train", weft_status, [weft_ivf_p, c_size_t, c_float_p, c_size_t, c_uint64]
)

# weft_status weft_ivf_is_trained(const weft_ivf *ivf, int *trained);
weft_ivf_is_trained = _fn("weft_ivf_is_trained", weft_status, [weft_ivf_p, POINTER(c_int)])

# weft_status weft_ivf_add(weft_ivf *ivf, size_t n, const float *vectors, const int64_t *ids);
weft_ivf_add = _fn("weft_ivf_add", weft_status, [weft_ivf_p, c_size_t, c_float_p, c_int64_p])

# weft_status weft_ivf_remove(weft_ivf *ivf, size_t n, const int64_t *ids, size_t *removed);
weft_ivf_remove = _fn(
    "weft_ivf_remove", weft_status, [weft_ivf_p, c_size_t, c_int64_p, POINTER(c_size_t)]
)

# weft_status weft_ivf_size(const weft_ivf *ivf, size_t *count);
weft_ivf_size = _fn("weft_ivf_size", weft_status, [weft_ivf_p, POINTER(c_size_t)])

# weft_status weft_ivf_info(const weft_ivf *ivf, size_t *dim, size_t *nlist, weft_metric *metric,
#                           weft_ivf_codec *codec);
weft_ivf_info = _fn(
    "weft_ivf_info", weft_status,
    [weft_ivf_p, POINTER(c_size_t), POINTER(c_size_t), POINTER(weft_metric),
     POINTER(weft_ivf_codec)],
)  # fmt: skip

# weft_status weft_ivf_memory_bytes(const weft_ivf *ivf, size_t *bytes);
weft_ivf_memory_bytes = _fn(
    "weft_ivf_memory_bytes", weft_status, [weft_ivf_p, POINTER(c_size_t)]
)

# weft_status weft_ivf_centroids(const weft_ivf *ivf, float *centroids);
weft_ivf_centroids = _fn("weft_ivf_centroids", weft_status, [weft_ivf_p, c_float_p])

# weft_status weft_ivf_search(weft_exec *exec, weft_ivf *ivf, size_t nq, const float *queries,
#                             size_t k, size_t nprobe, const uint8_t *allowed,
#                             size_t allowed_bits, float *distances, int64_t *labels);
weft_ivf_search = _fn(
    "weft_ivf_search", weft_status,
    [weft_exec_p, weft_ivf_p, c_size_t, c_float_p, c_size_t, c_size_t, c_uint8_p, c_size_t,
     c_float_p, c_int64_p],
)  # fmt: skip

# weft_status weft_ivf_save(weft_ivf *ivf, const char *path);
weft_ivf_save = _fn("weft_ivf_save", weft_status, [weft_ivf_p, c_char_p])

# weft_status weft_ivf_load(const char *path, weft_ivf **out);
weft_ivf_load = _fn("weft_ivf_load", weft_status, [c_char_p, POINTER(weft_ivf_p)])
# weft_status weft_ivf_load_mapped(const char *path, weft_ivf **out);
weft_ivf_load_mapped = _fn("weft_ivf_load_mapped", weft_status, [c_char_p, POINTER(weft_ivf_p)])

# ---------------------------------------------------------------------------- tables

# typedef enum weft_type {...} weft_type;
weft_type = c_int
(WEFT_TYPE_BOOL, WEFT_TYPE_INT8, WEFT_TYPE_INT16, WEFT_TYPE_INT32, WEFT_TYPE_INT64,
 WEFT_TYPE_UINT8, WEFT_TYPE_UINT16, WEFT_TYPE_UINT32, WEFT_TYPE_UINT64, WEFT_TYPE_FLOAT32,
 WEFT_TYPE_FLOAT64, WEFT_TYPE_UTF8, WEFT_TYPE_DATE32, WEFT_TYPE_TIMESTAMP_US,
 WEFT_TYPE_DECIMAL128, WEFT_TYPE_VECTOR_F32, WEFT_TYPE_CATEGORICAL) = range(17)
WEFT_VECTOR_MAX_DIM = 1 << 20


def WEFT_TYPE_DECIMAL(precision, scale):
    """#define WEFT_TYPE_DECIMAL(precision, scale): decimal128(p, s) packed in a weft_type."""
    return WEFT_TYPE_DECIMAL128 | (precision << 8) | (scale << 16)


def WEFT_TYPE_VECTOR(dim):
    """#define WEFT_TYPE_VECTOR(dim): a vector of dim float32 values packed in a weft_type."""
    return WEFT_TYPE_VECTOR_F32 | (dim << 8)


# typedef struct weft_column_view {
#   weft_type type; int64_t length; int64_t offset; int64_t null_count;
#   const uint8_t *validity; const void *values; const char *data;
# } weft_column_view;
class weft_column_view(Structure):
    _fields_ = [
        ("type", weft_type),
        ("length", c_int64),
        ("offset", c_int64),
        ("null_count", c_int64),
        ("validity", c_void_p),
        ("values", c_void_p),
        ("data", c_void_p),
    ]


# Opaque: typedef struct weft_table weft_table; typedef struct weft_expr weft_expr;
# struct ArrowSchema / ArrowArray / ArrowArrayStream are passed as pointers (PyCapsules).
weft_table_p = c_void_p
weft_expr_p = c_void_p
# void (*release)(void *)
weft_release_fn = ctypes.CFUNCTYPE(None, c_void_p)

# const char *weft_type_name(weft_type type);
weft_type_name = _fn("weft_type_name", c_char_p, [weft_type])
# weft_status weft_type_decimal(int precision, int scale, weft_type *out);
weft_type_decimal = _fn("weft_type_decimal", weft_status, [c_int, c_int, POINTER(weft_type)])
# int weft_type_is_decimal(weft_type type, int *precision, int *scale);
weft_type_is_decimal = _fn("weft_type_is_decimal", c_int, [weft_type, POINTER(c_int), POINTER(c_int)])
# weft_status weft_type_vector(int dim, weft_type *out);
weft_type_vector = _fn("weft_type_vector", weft_status, [c_int, POINTER(weft_type)])
# int weft_type_is_vector(weft_type type, int *dim);
weft_type_is_vector = _fn("weft_type_is_vector", c_int, [weft_type, POINTER(c_int)])

# weft_status weft_table_from_columns(size_t ncols, const char *const *names,
#     const weft_column_view *columns, void (*release)(void *), void *release_ctx,
#     weft_table **out);
weft_table_from_columns = _fn(
    "weft_table_from_columns",
    weft_status,
    [c_size_t, POINTER(c_char_p), POINTER(weft_column_view), weft_release_fn, c_void_p,
     POINTER(weft_table_p)],
)

# weft_status weft_table_from_arrow(struct ArrowSchema *schema, struct ArrowArray *array,
#                                   weft_table **out);
weft_table_from_arrow = _fn(
    "weft_table_from_arrow", weft_status, [c_void_p, c_void_p, POINTER(weft_table_p)]
)

# weft_status weft_table_from_stream(struct ArrowArrayStream *stream, weft_table **out);
weft_table_from_stream = _fn(
    "weft_table_from_stream", weft_status, [c_void_p, POINTER(weft_table_p)]
)

# weft_status weft_table_to_arrow(const weft_table *table, struct ArrowSchema *schema,
#                                 struct ArrowArray *array);
weft_table_to_arrow = _fn("weft_table_to_arrow", weft_status, [weft_table_p, c_void_p, c_void_p])

# weft_status weft_table_to_stream(const weft_table *table, struct ArrowArrayStream *stream);
weft_table_to_stream = _fn("weft_table_to_stream", weft_status, [weft_table_p, c_void_p])

# weft_status weft_table_free(weft_table *table);
weft_table_free = _fn("weft_table_free", weft_status, [weft_table_p])

# weft_status weft_table_num_rows(const weft_table *table, int64_t *rows);
weft_table_num_rows = _fn("weft_table_num_rows", weft_status, [weft_table_p, POINTER(c_int64)])

# weft_status weft_table_num_columns(const weft_table *table, size_t *columns);
weft_table_num_columns = _fn(
    "weft_table_num_columns", weft_status, [weft_table_p, POINTER(c_size_t)]
)

# weft_status weft_table_column_name(const weft_table *table, size_t column, const char **name);
weft_table_column_name = _fn(
    "weft_table_column_name", weft_status, [weft_table_p, c_size_t, POINTER(c_char_p)]
)

# weft_status weft_table_column_index(const weft_table *table, const char *name, size_t *column);
weft_table_column_index = _fn(
    "weft_table_column_index", weft_status, [weft_table_p, c_char_p, POINTER(c_size_t)]
)

# weft_status weft_table_column(const weft_table *table, size_t column, weft_column_view *view);
weft_table_column = _fn(
    "weft_table_column", weft_status, [weft_table_p, c_size_t, POINTER(weft_column_view)]
)

# weft_status weft_table_column_dictionary(const weft_table *table, size_t column,
#                                          weft_column_view *dictionary, int *ordered);
weft_table_column_dictionary = _fn(
    "weft_table_column_dictionary", weft_status,
    [weft_table_p, c_size_t, POINTER(weft_column_view), POINTER(c_int)]
)

# weft_status weft_table_pick(size_t n, const weft_table *const *tables, const size_t *columns,
#                             const char *const *names, weft_table **out);
weft_table_pick = _fn(
    "weft_table_pick", weft_status,
    [c_size_t, POINTER(weft_table_p), POINTER(c_size_t), POINTER(c_char_p), POINTER(weft_table_p)]
)

# weft_status weft_table_slice(const weft_table *table, int64_t offset, int64_t length,
#                              weft_table **out);
weft_table_slice = _fn(
    "weft_table_slice", weft_status, [weft_table_p, c_int64, c_int64, POINTER(weft_table_p)]
)

# weft_status weft_table_concat(size_t n, const weft_table *const *tables, weft_table **out);
weft_table_concat = _fn(
    "weft_table_concat", weft_status, [c_size_t, POINTER(weft_table_p), POINTER(weft_table_p)]
)

# weft_status weft_table_take(const weft_table *table, const int64_t *rows, int64_t n,
#                             weft_table **out);
weft_table_take = _fn(
    "weft_table_take", weft_status, [weft_table_p, POINTER(c_int64), c_int64, POINTER(weft_table_p)]
)

# weft_status weft_shuffled_rows(int64_t n, uint64_t seed, int64_t start, int64_t count,
#                                int64_t *rows);
weft_shuffled_rows = _fn(
    "weft_shuffled_rows", weft_status, [c_int64, c_uint64, c_int64, c_int64, POINTER(c_int64)]
)

# weft_status weft_table_take_shuffled(const weft_table *table, uint64_t seed, int64_t start,
#                                      int64_t count, void *const *out);
weft_table_take_shuffled = _fn(
    "weft_table_take_shuffled", weft_status, [weft_table_p, c_uint64, c_int64, c_int64, POINTER(c_void_p)]
)

# weft_status weft_table_standardize(const weft_table *table, size_t n, const size_t *columns,
#                                    const double *offset, const double *divisor,
#                                    weft_table **out);
weft_table_standardize = _fn(
    "weft_table_standardize", weft_status,
    [weft_table_p, c_size_t, POINTER(c_size_t), POINTER(c_double), POINTER(c_double),
     POINTER(weft_table_p)]
)

# ---------------------------------------------------------------------------- expressions

weft_binary_op = c_int
(WEFT_OP_ADD, WEFT_OP_SUB, WEFT_OP_MUL, WEFT_OP_DIV, WEFT_OP_MOD, WEFT_OP_EQ, WEFT_OP_NE,
 WEFT_OP_LT, WEFT_OP_LE, WEFT_OP_GT, WEFT_OP_GE, WEFT_OP_AND, WEFT_OP_OR,
 WEFT_OP_FLOORDIV) = range(14)
weft_unary_op = c_int
(WEFT_OP_NOT, WEFT_OP_NEG, WEFT_OP_IS_NULL, WEFT_OP_IS_NOT_NULL, WEFT_OP_ABS, WEFT_OP_SQRT,
 WEFT_OP_LOG, WEFT_OP_EXP, WEFT_OP_STR_LEN, WEFT_OP_STR_LOWER, WEFT_OP_STR_UPPER,
 WEFT_OP_STR_LEN_BYTES, WEFT_OP_FLOOR, WEFT_OP_CEIL, WEFT_OP_DT_YEAR, WEFT_OP_DT_MONTH,
 WEFT_OP_DT_DAY, WEFT_OP_DT_WEEKDAY, WEFT_OP_DT_TOTAL_DAYS) = range(19)

# weft_status weft_expr_column(const char *name, weft_expr **out);
weft_expr_column = _fn("weft_expr_column", weft_status, [c_char_p, POINTER(weft_expr_p)])
# weft_status weft_expr_literal_int64(int64_t value, weft_expr **out);
weft_expr_literal_int64 = _fn(
    "weft_expr_literal_int64", weft_status, [c_int64, POINTER(weft_expr_p)]
)
# weft_status weft_expr_literal_float64(double value, weft_expr **out);
weft_expr_literal_float64 = _fn(
    "weft_expr_literal_float64", weft_status, [c_double, POINTER(weft_expr_p)]
)
# weft_status weft_expr_literal_bool(int value, weft_expr **out);
weft_expr_literal_bool = _fn("weft_expr_literal_bool", weft_status, [c_int, POINTER(weft_expr_p)])
# weft_status weft_expr_literal_utf8(const char *value, weft_expr **out);
weft_expr_literal_utf8 = _fn(
    "weft_expr_literal_utf8", weft_status, [c_char_p, POINTER(weft_expr_p)]
)
# weft_status weft_expr_literal_null(weft_type type, weft_expr **out);
weft_expr_literal_null = _fn(
    "weft_expr_literal_null", weft_status, [weft_type, POINTER(weft_expr_p)]
)
# weft_status weft_expr_binary(weft_binary_op op, const weft_expr *left,
#                              const weft_expr *right, weft_expr **out);
weft_expr_binary = _fn(
    "weft_expr_binary", weft_status, [weft_binary_op, weft_expr_p, weft_expr_p, POINTER(weft_expr_p)]
)
# weft_status weft_expr_unary(weft_unary_op op, const weft_expr *input, weft_expr **out);
weft_expr_unary = _fn(
    "weft_expr_unary", weft_status, [weft_unary_op, weft_expr_p, POINTER(weft_expr_p)]
)
# weft_status weft_expr_cast(const weft_expr *input, weft_type type, weft_expr **out);
weft_expr_cast = _fn("weft_expr_cast", weft_status, [weft_expr_p, weft_type, POINTER(weft_expr_p)])
# weft_status weft_expr_fill_null(const weft_expr *input, const weft_expr *fill, weft_expr **out);
weft_expr_fill_null = _fn(
    "weft_expr_fill_null", weft_status, [weft_expr_p, weft_expr_p, POINTER(weft_expr_p)]
)
# weft_status weft_expr_str_contains(const weft_expr *input, const char *literal, weft_expr **out);
weft_expr_str_contains = _fn(
    "weft_expr_str_contains", weft_status, [weft_expr_p, c_char_p, POINTER(weft_expr_p)]
)
# weft_status weft_expr_str_starts_with(const weft_expr *input, const char *prefix,
#                                       weft_expr **out);
weft_expr_str_starts_with = _fn(
    "weft_expr_str_starts_with", weft_status, [weft_expr_p, c_char_p, POINTER(weft_expr_p)]
)
# weft_status weft_expr_str_contains_pattern(const weft_expr *input, const char *pattern,
#                                            int literal, weft_expr **out);
weft_expr_str_contains_pattern = _fn(
    "weft_expr_str_contains_pattern", weft_status,
    [weft_expr_p, c_char_p, c_int, POINTER(weft_expr_p)],
)
# weft_status weft_expr_str_ends_with(const weft_expr *input, const char *suffix, weft_expr **out);
weft_expr_str_ends_with = _fn(
    "weft_expr_str_ends_with", weft_status, [weft_expr_p, c_char_p, POINTER(weft_expr_p)]
)
# weft_status weft_expr_str_slice(const weft_expr *input, int64_t offset, int64_t length,
#                                 weft_expr **out);
weft_expr_str_slice = _fn(
    "weft_expr_str_slice", weft_status, [weft_expr_p, c_int64, c_int64, POINTER(weft_expr_p)]
)
# weft_status weft_expr_str_replace(const weft_expr *input, const char *pattern, const char *value,
#                                   int literal, int64_t n, weft_expr **out);
weft_expr_str_replace = _fn(
    "weft_expr_str_replace", weft_status,
    [weft_expr_p, c_char_p, c_char_p, c_int, c_int64, POINTER(weft_expr_p)],
)
# weft_status weft_expr_str_strip_chars(const weft_expr *input, const char *chars, weft_expr **out);
weft_expr_str_strip_chars = _fn(
    "weft_expr_str_strip_chars", weft_status, [weft_expr_p, c_char_p, POINTER(weft_expr_p)]
)
# weft_status weft_expr_when(const weft_expr *cond, const weft_expr *then,
#                            const weft_expr *otherwise, weft_expr **out);
weft_expr_when = _fn(
    "weft_expr_when", weft_status, [weft_expr_p, weft_expr_p, weft_expr_p, POINTER(weft_expr_p)]
)
# weft_status weft_expr_is_in(const weft_expr *input, weft_type type, const void *values,
#                             int64_t n, weft_expr **out);
weft_expr_is_in = _fn(
    "weft_expr_is_in", weft_status, [weft_expr_p, c_int, c_void_p, c_int64, POINTER(weft_expr_p)]
)
# weft_status weft_expr_literal_duration(int64_t microseconds, weft_expr **out);
weft_expr_literal_duration = _fn(
    "weft_expr_literal_duration", weft_status, [c_int64, POINTER(weft_expr_p)]
)
# weft_status weft_expr_vector_distance(const weft_expr *input, weft_metric metric, size_t dim,
#     const float *query, weft_expr **out);
weft_expr_vector_distance = _fn("weft_expr_vector_distance", weft_status,
                                [weft_expr_p, c_int, c_size_t, c_void_p, POINTER(weft_expr_p)])
# weft_status weft_expr_round(const weft_expr *input, int decimals, weft_expr **out);
weft_expr_round = _fn("weft_expr_round", weft_status, [weft_expr_p, c_int, POINTER(weft_expr_p)])
# weft_status weft_expr_alias(const weft_expr *input, const char *name, weft_expr **out);
weft_expr_alias = _fn("weft_expr_alias", weft_status, [weft_expr_p, c_char_p, POINTER(weft_expr_p)])
# weft_status weft_expr_free(weft_expr *expr);
weft_expr_free = _fn("weft_expr_free", weft_status, [weft_expr_p])
# weft_status weft_expr_to_string(const weft_expr *expr, const char **text);
weft_expr_to_string = _fn(
    "weft_expr_to_string", weft_status, [weft_expr_p, POINTER(c_char_p)]
)

(WEFT_EXPR_COLUMN, WEFT_EXPR_LITERAL, WEFT_EXPR_BINARY, WEFT_EXPR_UNARY, WEFT_EXPR_CAST,
 WEFT_EXPR_FILL_NULL, WEFT_EXPR_STR_CONTAINS, WEFT_EXPR_STR_STARTS_WITH, WEFT_EXPR_ALIAS) = range(9)
WEFT_EXPR_OTHER = 255


class weft_expr_info(Structure):
    _fields_ = [
        ("kind", c_int),
        ("op", c_int),
        ("type", c_int),
        ("is_null", c_int),
        ("int_value", c_int64),
        ("float_value", c_double),
        ("text", c_char_p),
        ("a", c_void_p),
        ("b", c_void_p),
    ]


# weft_status weft_expr_inspect(const weft_expr *expr, weft_expr_info *info);
weft_expr_inspect = _fn("weft_expr_inspect", weft_status, [weft_expr_p, POINTER(weft_expr_info)])
# weft_status weft_expr_output(const weft_expr *expr, const weft_table *table,
#                              const char **name, weft_type *type);
weft_expr_output = _fn(
    "weft_expr_output", weft_status, [weft_expr_p, weft_table_p, POINTER(c_char_p), POINTER(weft_type)]
)

# ---------------------------------------------------------------------------- table operations

# weft_status weft_table_select(weft_exec *exec, const weft_table *table, size_t n,
#                               const weft_expr *const *exprs, weft_table **out);
weft_table_select = _fn(
    "weft_table_select",
    weft_status,
    [weft_exec_p, weft_table_p, c_size_t, POINTER(weft_expr_p), POINTER(weft_table_p)],
)
# weft_status weft_table_with_columns(weft_exec *exec, const weft_table *table, size_t n,
#                                     const weft_expr *const *exprs, weft_table **out);
weft_table_with_columns = _fn(
    "weft_table_with_columns",
    weft_status,
    [weft_exec_p, weft_table_p, c_size_t, POINTER(weft_expr_p), POINTER(weft_table_p)],
)
# weft_status weft_table_filter(weft_exec *exec, const weft_table *table,
#                               const weft_expr *predicate, weft_table **out);
weft_table_filter = _fn(
    "weft_table_filter", weft_status, [weft_exec_p, weft_table_p, weft_expr_p, POINTER(weft_table_p)]
)

weft_agg_kind = c_int
(WEFT_AGG_SUM, WEFT_AGG_MEAN, WEFT_AGG_MIN, WEFT_AGG_MAX, WEFT_AGG_COUNT, WEFT_AGG_N_UNIQUE,
 WEFT_AGG_STD, WEFT_AGG_VAR, WEFT_AGG_FIRST, WEFT_AGG_LAST, WEFT_AGG_LEN) = range(11)


# typedef struct weft_agg { weft_agg_kind kind; const weft_expr *input; const char *name; } weft_agg;
class weft_agg(Structure):
    _fields_ = [("kind", weft_agg_kind), ("input", weft_expr_p), ("name", c_char_p)]


# weft_status weft_table_group_by(weft_exec *exec, const weft_table *table, size_t nkeys,
#     const char *const *keys, size_t naggs, const weft_agg *aggs, weft_table **out);
weft_table_group_by = _fn(
    "weft_table_group_by",
    weft_status,
    [weft_exec_p, weft_table_p, c_size_t, POINTER(c_char_p), c_size_t, POINTER(weft_agg),
     POINTER(weft_table_p)],
)
# weft_status weft_expr_agg(weft_agg_kind kind, const weft_expr *input, weft_expr **out);
weft_expr_agg = _fn("weft_expr_agg", weft_status, [weft_agg_kind, weft_expr_p, POINTER(weft_expr_p)])
# weft_status weft_expr_over(const weft_expr *input, size_t nkeys, const weft_expr *const *keys,
#                            weft_expr **out);
weft_expr_over = _fn(
    "weft_expr_over", weft_status, [weft_expr_p, c_size_t, POINTER(weft_expr_p), POINTER(weft_expr_p)]
)
# weft_status weft_table_agg(weft_exec *exec, const weft_table *table, size_t nkeys,
#     const char *const *keys, size_t n, const weft_expr *const *exprs, weft_table **out);
weft_table_agg = _fn(
    "weft_table_agg",
    weft_status,
    [weft_exec_p, weft_table_p, c_size_t, POINTER(c_char_p), c_size_t, POINTER(weft_expr_p),
     POINTER(weft_table_p)],
)
# weft_status weft_table_sort(weft_exec *exec, const weft_table *table, size_t nkeys,
#     const char *const *keys, const int *descending, weft_table **out);
weft_table_sort = _fn(
    "weft_table_sort",
    weft_status,
    [weft_exec_p, weft_table_p, c_size_t, POINTER(c_char_p), POINTER(c_int), POINTER(weft_table_p)],
)
# weft_status weft_table_sort_nulls(weft_exec *exec, const weft_table *table, size_t nkeys,
#     const char *const *keys, const int *descending, const int *nulls_last, weft_table **out);
weft_table_sort_nulls = _fn(
    "weft_table_sort_nulls",
    weft_status,
    [weft_exec_p, weft_table_p, c_size_t, POINTER(c_char_p), POINTER(c_int), POINTER(c_int),
     POINTER(weft_table_p)],
)
# weft_status weft_table_with_row_index(const weft_table *table, const char *name,
#     int64_t offset, weft_table **out);
weft_table_with_row_index = _fn(
    "weft_table_with_row_index", weft_status, [weft_table_p, c_char_p, c_int64, POINTER(weft_table_p)]
)
# weft_status weft_table_nearest(weft_exec *exec, const weft_table *table, const char *column,
#     size_t nq, const float *queries, size_t dim, size_t k, weft_metric metric,
#     const weft_expr *prefilter, int batch, weft_table **out);
weft_table_nearest = _fn("weft_table_nearest", weft_status, [c_void_p, weft_table_p, c_char_p, c_size_t,
                                                             c_void_p, c_size_t, c_size_t, c_int,
                                                             c_void_p, c_int, POINTER(weft_table_p)])
# weft_status weft_table_top_k(weft_exec *exec, const weft_table *table, int64_t k,
#     size_t nkeys, const char *const *keys, const int *descending, const int *nulls_last,
#     weft_table **out);
weft_table_top_k = _fn(
    "weft_table_top_k",
    weft_status,
    [weft_exec_p, weft_table_p, c_int64, c_size_t, POINTER(c_char_p), POINTER(c_int),
     POINTER(c_int), POINTER(weft_table_p)],
)
# weft_status weft_table_unique(weft_exec *exec, const weft_table *table, size_t nkeys,
#     const char *const *keys, weft_table **out);
weft_table_unique = _fn(
    "weft_table_unique",
    weft_status,
    [weft_exec_p, weft_table_p, c_size_t, POINTER(c_char_p), POINTER(weft_table_p)],
)

weft_join_kind = c_int
WEFT_JOIN_INNER, WEFT_JOIN_LEFT, WEFT_JOIN_SEMI, WEFT_JOIN_ANTI, WEFT_JOIN_RIGHT, WEFT_JOIN_FULL, WEFT_JOIN_CROSS = range(7)
WEFT_JOIN_COALESCE, WEFT_JOIN_NO_COALESCE = 0x100, 0x200

# weft_status weft_table_join(weft_exec *exec, const weft_table *left, const weft_table *right,
#     size_t nkeys, const char *const *left_on, const char *const *right_on,
#     weft_join_kind kind, const char *suffix, weft_table **out);
weft_table_join = _fn(
    "weft_table_join",
    weft_status,
    [weft_exec_p, weft_table_p, weft_table_p, c_size_t, POINTER(c_char_p), POINTER(c_char_p),
     weft_join_kind, c_char_p, POINTER(weft_table_p)],
)

# ---------------------------------------------------------------------------- CSV


# typedef struct weft_csv_options {
#   size_t struct_size; char delimiter; int has_header; const char *null_values; size_t n_overrides;
#   const char *const *override_names; const weft_type *override_types; size_t infer_rows;
# } weft_csv_options;
class weft_csv_options(Structure):
    _fields_ = [
        ("struct_size", c_size_t),
        ("delimiter", c_char),
        ("has_header", c_int),
        ("null_values", c_char_p),
        ("n_overrides", c_size_t),
        ("override_names", POINTER(c_char_p)),
        ("override_types", POINTER(weft_type)),
        ("infer_rows", c_size_t),
    ]


# weft_status weft_csv_options_init(weft_csv_options *options);
weft_csv_options_init = _fn("weft_csv_options_init", weft_status, [POINTER(weft_csv_options)])
# weft_status weft_read_csv(weft_exec *exec, const char *path, const weft_csv_options *options,
#                           weft_table **out);
weft_read_csv = _fn(
    "weft_read_csv",
    weft_status,
    [weft_exec_p, c_char_p, POINTER(weft_csv_options), POINTER(weft_table_p)],
)
# weft_status weft_write_csv(const weft_table *table, const char *path);
weft_write_csv = _fn("weft_write_csv", weft_status, [weft_table_p, c_char_p])

# ---------------------------------------------------------------------------- describe

# weft_status weft_table_describe(weft_exec *exec, const weft_table *table, size_t npercentiles,
#     const double *percentiles, weft_table **out);
weft_table_describe = _fn(
    "weft_table_describe",
    weft_status,
    [weft_exec_p, weft_table_p, c_size_t, POINTER(c_double), POINTER(weft_table_p)],
)

# ---------------------------------------------------------------------------- lazy plans

weft_plan_p = c_void_p

# weft_status weft_plan_scan(const weft_table *table, weft_plan **out);
weft_plan_scan = _fn("weft_plan_scan", weft_status, [weft_table_p, POINTER(weft_plan_p)])
# weft_status (*weft_scan_read_fn)(void *ctx, size_t ncols, const char *const *columns,
#     const weft_expr *predicate, weft_table **out, char *note, size_t note_cap);
weft_scan_read_fn = ctypes.CFUNCTYPE(
    c_int, c_void_p, c_size_t, POINTER(c_char_p), c_void_p, POINTER(c_void_p), c_void_p, c_size_t
)
# void (*weft_scan_release_fn)(void *ctx);
weft_scan_release_fn = ctypes.CFUNCTYPE(None, c_void_p)
# weft_status weft_plan_scan_source(const weft_table *schema, int64_t rows, const char *name,
#     weft_scan_read_fn read, weft_scan_release_fn release, void *ctx, weft_plan **out);
weft_plan_scan_source = _fn(
    "weft_plan_scan_source", weft_status,
    [weft_table_p, c_int64, c_char_p, weft_scan_read_fn, weft_scan_release_fn, c_void_p,
     POINTER(weft_plan_p)],
)
# weft_status weft_plan_filter(const weft_plan *input, const weft_expr *predicate, weft_plan **out);
weft_plan_filter = _fn(
    "weft_plan_filter", weft_status, [weft_plan_p, weft_expr_p, POINTER(weft_plan_p)]
)
# weft_status weft_plan_select(const weft_plan *input, size_t n, const weft_expr *const *exprs,
#                              weft_plan **out);
weft_plan_select = _fn(
    "weft_plan_select", weft_status,
    [weft_plan_p, c_size_t, POINTER(weft_expr_p), POINTER(weft_plan_p)],
)
# weft_status weft_plan_with_columns(const weft_plan *input, size_t n,
#                                    const weft_expr *const *exprs, weft_plan **out);
weft_plan_with_columns = _fn(
    "weft_plan_with_columns", weft_status,
    [weft_plan_p, c_size_t, POINTER(weft_expr_p), POINTER(weft_plan_p)],
)
# weft_status weft_plan_group_by(const weft_plan *input, size_t nkeys, const char *const *keys,
#                                size_t naggs, const weft_agg *aggs, weft_plan **out);
weft_plan_group_by = _fn(
    "weft_plan_group_by", weft_status,
    [weft_plan_p, c_size_t, POINTER(c_char_p), c_size_t, POINTER(weft_agg), POINTER(weft_plan_p)],
)
# weft_status weft_plan_agg(const weft_plan *input, size_t nkeys, const char *const *keys,
#                           size_t n, const weft_expr *const *exprs, weft_plan **out);
weft_plan_agg = _fn(
    "weft_plan_agg", weft_status,
    [weft_plan_p, c_size_t, POINTER(c_char_p), c_size_t, POINTER(weft_expr_p), POINTER(weft_plan_p)],
)
# weft_status weft_plan_sort(const weft_plan *input, size_t nkeys, const char *const *keys,
#                            const int *descending, int nulls_last, weft_plan **out);
weft_plan_sort = _fn(
    "weft_plan_sort", weft_status,
    [weft_plan_p, c_size_t, POINTER(c_char_p), POINTER(c_int), c_int, POINTER(weft_plan_p)],
)
# weft_status weft_plan_sort_nulls(const weft_plan *input, size_t nkeys, const char *const *keys,
#                                  const int *descending, const int *nulls_last, weft_plan **out);
weft_plan_sort_nulls = _fn(
    "weft_plan_sort_nulls", weft_status,
    [weft_plan_p, c_size_t, POINTER(c_char_p), POINTER(c_int), POINTER(c_int), POINTER(weft_plan_p)],
)
# weft_status weft_plan_top_k(const weft_plan *input, int64_t k, size_t nkeys,
#     const char *const *keys, const int *descending, const int *nulls_last, weft_plan **out);
weft_plan_top_k = _fn(
    "weft_plan_top_k", weft_status,
    [weft_plan_p, c_int64, c_size_t, POINTER(c_char_p), POINTER(c_int), POINTER(c_int),
     POINTER(weft_plan_p)],
)
# weft_status weft_plan_with_row_index(const weft_plan *input, const char *name,
#     int64_t offset, weft_plan **out);
weft_plan_with_row_index = _fn(
    "weft_plan_with_row_index", weft_status, [weft_plan_p, c_char_p, c_int64, POINTER(weft_plan_p)]
)
# weft_status weft_plan_nearest(const weft_plan *input, const char *column, size_t nq,
#     const float *queries, size_t dim, size_t k, weft_metric metric, int batch, weft_plan **out);
weft_plan_nearest = _fn("weft_plan_nearest", weft_status, [weft_plan_p, c_char_p, c_size_t, c_void_p,
                                                           c_size_t, c_size_t, c_int, c_int,
                                                           POINTER(weft_plan_p)])
# int (*weft_vector_search_fn)(void *ctx, weft_exec *exec, size_t nq, const float *queries,
#     size_t k, const uint8_t *allowed, int64_t nbits, float *distances, int64_t *rows);
weft_vector_search_fn = ctypes.CFUNCTYPE(
    c_int, c_void_p, weft_exec_p, c_size_t, c_void_p, c_size_t, c_void_p, c_int64, c_void_p, c_void_p
)
# void (*weft_vector_release_fn)(void *ctx);
weft_vector_release_fn = ctypes.CFUNCTYPE(None, c_void_p)
weft_vector_index_p = c_void_p
# weft_status weft_vector_index_new(const weft_table *table, const char *column,
#     weft_metric metric, const char *describe, double scan_fraction,
#     weft_vector_search_fn search, weft_vector_release_fn release, void *ctx,
#     weft_vector_index **out);
weft_vector_index_new = _fn(
    "weft_vector_index_new", weft_status,
    [weft_table_p, c_char_p, c_int, c_char_p, ctypes.c_double, weft_vector_search_fn, weft_vector_release_fn,
     c_void_p, POINTER(weft_vector_index_p)],
)
# weft_status weft_vector_index_free(weft_vector_index *index);
weft_vector_index_free = _fn("weft_vector_index_free", weft_status, [weft_vector_index_p])
# int weft_vector_index_matches(const weft_vector_index *index, const weft_table *table,
#     const char *column);
weft_vector_index_matches = _fn("weft_vector_index_matches", c_int,
                                [weft_vector_index_p, weft_table_p, c_char_p])
# weft_status weft_plan_nearest_indexed(const weft_plan *input, const char *column, size_t nq,
#     const float *queries, size_t dim, size_t k, weft_metric metric, int batch,
#     const weft_vector_index *index, int strict, weft_plan **out);
weft_plan_nearest_indexed = _fn(
    "weft_plan_nearest_indexed", weft_status,
    [weft_plan_p, c_char_p, c_size_t, c_void_p, c_size_t, c_size_t, c_int, c_int,
     weft_vector_index_p, c_int, POINTER(weft_plan_p)],
)
# weft_status weft_plan_join(const weft_plan *left, const weft_plan *right, size_t nkeys,
#     const char *const *left_on, const char *const *right_on, weft_join_kind kind,
#     const char *suffix, weft_plan **out);
weft_plan_join = _fn(
    "weft_plan_join", weft_status,
    [weft_plan_p, weft_plan_p, c_size_t, POINTER(c_char_p), POINTER(c_char_p), weft_join_kind,
     c_char_p, POINTER(weft_plan_p)],
)
# weft_status weft_plan_slice(const weft_plan *input, int64_t offset, int64_t length,
#                             weft_plan **out);
weft_plan_slice = _fn(
    "weft_plan_slice", weft_status, [weft_plan_p, c_int64, c_int64, POINTER(weft_plan_p)]
)
# weft_status weft_plan_head(const weft_plan *input, int64_t n, weft_plan **out);
weft_plan_head = _fn("weft_plan_head", weft_status, [weft_plan_p, c_int64, POINTER(weft_plan_p)])
# weft_status weft_plan_unique(const weft_plan *input, size_t nkeys, const char *const *keys,
#                              weft_plan **out);
weft_plan_unique = _fn(
    "weft_plan_unique", weft_status,
    [weft_plan_p, c_size_t, POINTER(c_char_p), POINTER(weft_plan_p)],
)
# weft_status weft_plan_free(weft_plan *plan);
weft_plan_free = _fn("weft_plan_free", weft_status, [weft_plan_p])
# weft_status weft_plan_schema(const weft_plan *plan, weft_table **out);
weft_plan_schema = _fn("weft_plan_schema", weft_status, [weft_plan_p, POINTER(weft_table_p)])
# weft_status weft_plan_explain(const weft_exec *exec, weft_plan *plan, const char **text);
weft_plan_explain = _fn(
    "weft_plan_explain", weft_status, [weft_exec_p, weft_plan_p, POINTER(c_char_p)]
)
# weft_status weft_plan_collect(weft_exec *exec, weft_plan *plan, weft_table **out);
weft_plan_collect = _fn(
    "weft_plan_collect", weft_status, [weft_exec_p, weft_plan_p, POINTER(weft_table_p)]
)
