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
    c_int,
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
weft_buffer_p = c_void_p
weft_exec_p = c_void_p
c_uint8_p = POINTER(c_uint8)

# ---------------------------------------------------------------------------- status

# const char *weft_status_name(weft_status status);
weft_status_name = _fn("weft_status_name", c_char_p, [weft_status])

# const char *weft_last_error(void);
weft_last_error = _fn("weft_last_error", c_char_p, [])

# const char *weft_version_string(void);
weft_version_string = _fn("weft_version_string", c_char_p, [])

# weft_status weft_version(int *major, int *minor, int *patch);
weft_version = _fn("weft_version", weft_status, [POINTER(c_int), POINTER(c_int), POINTER(c_int)])

# ---------------------------------------------------------------------------- devices

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
