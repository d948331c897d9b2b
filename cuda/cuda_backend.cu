/* The CUDA backend's table, its one exported symbol, device discovery, each device's
 * initialisation on its first use, the device guard and the error path. */
#include "cuda_internal.h"

#include <cuda.h> /* driver types; its functions through cudaGetDriverEntryPointByVersion */
#include <new>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

wc_state wc_g = {nullptr, 0, nullptr, false, nullptr};

static thread_local char wc_message[WEFT_REASON_MAX];

weft_status wc_error(weft_status status, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(wc_message, sizeof wc_message, fmt, ap);
  va_end(ap);
  if (wc_g.host && wc_g.host->set_error) wc_g.host->set_error(status, "%s", wc_message);
  return status;
}

const char *wc_last_message(void) { return wc_message; }

const char *wc_device_name(int dev) {
  if (dev < 0 || dev >= wc_g.count || !wc_g.devs || !wc_g.devs[dev].name[0]) return "?";
  return wc_g.devs[dev].name;
}

weft_status wc_fail(int dev, const char *expr, cudaError_t err) {
  (void)cudaGetLastError(); /* the failure is reported here; later checks must not see it */
  weft_status st = err == cudaErrorMemoryAllocation ? WEFT_ERR_DEVICE_MEMORY : WEFT_ERR_DEVICE;
  return wc_error(st, "cuda: %.*s failed on device %d (%s): %s (%d)", wc_call_name_len(expr), expr,
                  dev, wc_device_name(dev), cudaGetErrorString(err), (int)err);
}

weft_status wc_sync_check(int dev, const char *what) {
  cudaError_t e = cudaStreamSynchronize(wc_g.devs[dev].stream);
  if (e == cudaSuccess) e = cudaGetLastError();
  if (e == cudaSuccess) return WEFT_OK;
  (void)cudaGetLastError();
  weft_status st = e == cudaErrorMemoryAllocation ? WEFT_ERR_DEVICE_MEMORY : WEFT_ERR_DEVICE;
  return wc_error(st, "cuda: %s failed on device %d (%s) (WEFT_CUDA_SYNC_CHECK, after the "
                  "launch): %s (%d)", what, dev, wc_device_name(dev), cudaGetErrorString(e),
                  (int)e);
}

/* Context, stream, memory cap and the self-test of a device. */
static weft_status wc_setup_device(int dev) {
  wc_device *d = &wc_g.devs[dev];
  WC_CHECK(dev, cudaSetDevice(dev)); /* creates the device's primary context */
  size_t free_b = 0, total_b = 0;
  WC_CHECK(dev, cudaMemGetInfo(&free_b, &total_b));
  d->cap_bytes = wc_memory_cap(free_b, total_b);
  int pools = 0;
  WC_CHECK(dev, cudaDeviceGetAttribute(&pools, cudaDevAttrMemoryPoolsSupported, dev));
  d->async_alloc = pools != 0;
  WC_CHECK(dev, cudaStreamCreateWithFlags(&d->stream, cudaStreamNonBlocking));
  return wc_selftest(dev);
}

/* The first use of a device (wc_gate_open's init): a test-injected failure
 * (WEFT_CUDA_FAIL_DEVICE), else wc_setup_device. Nothing here is shared with the other
 * devices, so a failure costs this device only. */
static weft_status wc_init_device(int dev, void *, char *why, size_t cap) {
  weft_status st;
  if (wc_env_lists_device(getenv("WEFT_CUDA_FAIL_DEVICE"), dev))
    st = wc_error(WEFT_ERR_DEVICE, "cuda: device %d (%s) failed by WEFT_CUDA_FAIL_DEVICE (a test "
                  "switch)", dev, wc_device_name(dev));
  else
    st = wc_setup_device(dev);
  if (st != WEFT_OK) snprintf(why, cap, "%s", wc_last_message());
  return st;
}

/* The device and the calling thread's device, for wc_device_guard: the device is set up on
 * its first use, then made current. */
static weft_status wc_enter(int dev) {
  if (dev < 0 || dev >= wc_g.count || !wc_g.devs)
    return wc_error(WEFT_ERR_NOT_FOUND, "cuda: no device %d (%d CUDA devices)", dev, wc_g.count);
  const char *why = nullptr;
  weft_status st = wc_gate_open(&wc_g.devs[dev].gate, dev, wc_init_device, nullptr, &why);
  if (st != WEFT_OK) {
    if (!why) why = "?";
    if (strncmp(why, "cuda: ", 6) == 0) why += 6;
    return wc_error(st, "cuda: device %d (%s) is off since its first use failed: %s", dev,
                    wc_device_name(dev), why);
  }
  WC_CHECK(dev, cudaSetDevice(dev));
  return WEFT_OK;
}

/* Driver functions reached through the runtime's entry points (the library links no
 * libcuda), for the device guard; a function not found is nullptr. */
struct wc_driver_fns {
  decltype(&cuDevicePrimaryCtxGetState) primary_state = nullptr;
  decltype(&cuCtxGetCurrent) get_current = nullptr;
  decltype(&cuCtxSetCurrent) set_current = nullptr;
};

static void *wc_driver_fn(const char *name) {
  void *fn = nullptr;
  cudaDriverEntryPointQueryResult q = cudaDriverEntryPointSymbolNotFound;
  if (cudaGetDriverEntryPointByVersion(name, &fn, 12000, cudaEnableDefault, &q) != cudaSuccess ||
      q != cudaDriverEntryPointSuccess) {
    (void)cudaGetLastError();
    return nullptr;
  }
  return fn;
}

static const wc_driver_fns &wc_driver(void) {
  static const wc_driver_fns fns = []() {
    wc_driver_fns f;
    f.primary_state = (decltype(f.primary_state))wc_driver_fn("cuDevicePrimaryCtxGetState");
    f.get_current = (decltype(f.get_current))wc_driver_fn("cuCtxGetCurrent");
    f.set_current = (decltype(f.set_current))wc_driver_fn("cuCtxSetCurrent");
    if (!f.get_current || !f.set_current) f.get_current = nullptr, f.set_current = nullptr;
    return f;
  }();
  return fns;
}

/* Whether `dev` has its primary context, without making one. Unknown: true. */
static bool wc_has_context(int dev) {
  const wc_driver_fns &drv = wc_driver();
  if (!drv.primary_state) return true;
  unsigned flags = 0;
  int active = 0;
  if (drv.primary_state(dev, &flags, &active) != CUDA_SUCCESS) return true;
  return active != 0;
}

/* The thread's current context, or nullptr (none, or unknown). */
static CUcontext wc_current_context(void) {
  CUcontext ctx = nullptr;
  const wc_driver_fns &drv = wc_driver();
  if (drv.get_current && drv.get_current(&ctx) != CUDA_SUCCESS) ctx = nullptr;
  return ctx;
}

wc_device_guard::wc_device_guard(int dev) {
  /* The thread's context when it has one (given back exactly, even one the caller made
   * itself), else the runtime's device */
  prev_ctx_ = wc_current_context();
  int prev = -1;
  if (cudaGetDevice(&prev) != cudaSuccess) {
    (void)cudaGetLastError();
    prev = -1;
  }
  status = wc_enter(dev);
  if (prev_ctx_) {
    if (wc_current_context() == prev_ctx_) prev_ctx_ = nullptr; /* nothing moved */
  } else if (prev != dev) {
    prev_ = prev; /* also after a failed first use, which may have set it */
  }
}

wc_device_guard::~wc_device_guard() {
  if (prev_ctx_) {
    if (wc_driver().set_current((CUcontext)prev_ctx_) != CUDA_SUCCESS) (void)cudaGetLastError();
  } else if (prev_ >= 0) {
    wc_restore_device(prev_);
  }
}

void wc_restore_device(int prev) {
  /* A thread that never chose a device reads 0; restoring that on a GPU without a context
   * would create one there (cudaSetDevice initialises it), so it is left as it is. */
  if (!wc_has_context(prev)) return;
  if (cudaSetDevice(prev) != cudaSuccess) (void)cudaGetLastError(); /* nothing to report to */
}

/* Releases what the devices' first uses made; a device never used is not touched, so no
 * context is created here either. */
static void wc_shutdown(void) {
  int prev = -1;
  if (cudaGetDevice(&prev) != cudaSuccess) prev = -1;
  bool moved = false;
  for (int dev = 0; dev < wc_g.count && wc_g.devs; ++dev) {
    wc_device *d = &wc_g.devs[dev];
    if (!wc_gate_touched(&d->gate) || !d->stream) continue;
    if (cudaSetDevice(dev) != cudaSuccess) continue;
    moved = true;
    cudaStreamSynchronize(d->stream);
    wc_cublas_release(d);
    wc_reduce_release(d);
    wc_staging_release(d);
    cudaStreamDestroy(d->stream);
  }
  if (moved && prev >= 0) wc_restore_device(prev);
  delete[] wc_g.devs;
  wc_g.devs = nullptr;
  wc_g.count = 0;
  (void)cudaGetLastError();
}

/* What a device is, from its properties alone: no context is created until its first use. */
static weft_status wc_describe_device(int dev) {
  wc_device *d = &wc_g.devs[dev];
  cudaDeviceProp p;
  WC_CHECK(dev, cudaGetDeviceProperties(&p, dev));
  size_t len = strnlen(p.name, sizeof p.name);
  if (len >= sizeof d->name) len = sizeof d->name - 1;
  memcpy(d->name, p.name, len);
  d->name[len] = '\0';
  d->total_bytes = (uint64_t)p.totalGlobalMem;
  /* The host's cap until the first use measures the free memory (wc_memory_cap): total less
   * the headroom. */
  d->memory_bytes = wc_memory_cap(d->total_bytes, d->total_bytes);
  d->compute_units = p.multiProcessorCount;
  d->pci_domain = (uint32_t)p.pciDomainID, d->pci_bus = (uint32_t)p.pciBusID;
  d->pci_device = (uint32_t)p.pciDeviceID;
  return WEFT_OK;
}

static weft_status wc_init(const weft__host_api *host) {
  if (!host) return WEFT_ERR_INVALID_ARGUMENT;
  if (wc_g.devs) wc_shutdown();
  wc_g.host = host;
  if (host->abi_version != WEFT_BACKEND_ABI_VERSION)
    return wc_error(WEFT_ERR_BACKEND_UNAVAILABLE, "cuda: host ABI version %u, backend built for %d",
                    (unsigned)host->abi_version, WEFT_BACKEND_ABI_VERSION);
  wc_g.sync_check = wc_env_on(getenv("WEFT_CUDA_SYNC_CHECK"));
  wc_g.knn_gemm = getenv("WEFT_CUDA_KNN_GEMM");

  int count = 0;
  cudaError_t e = cudaGetDeviceCount(&count);
  if (e != cudaSuccess) {
    (void)cudaGetLastError();
    return wc_error(WEFT_ERR_BACKEND_UNAVAILABLE, "cuda: no usable device: %s (%d)",
                    cudaGetErrorString(e), (int)e);
  }
  if (count <= 0)
    return wc_error(WEFT_ERR_BACKEND_UNAVAILABLE, "cuda: no usable device: %s",
                    cudaGetErrorString(cudaErrorNoDevice));

  wc_g.devs = new (std::nothrow) wc_device[count];
  if (!wc_g.devs) return wc_error(WEFT_ERR_OUT_OF_MEMORY, "cuda: out of host memory");
  wc_g.count = count;
  /* A device whose properties cannot be read is listed but off, with the reason; the others
   * work. */
  for (int dev = 0; dev < count; ++dev) {
    weft_status s = wc_describe_device(dev);
    if (s != WEFT_OK) wc_gate_fail(&wc_g.devs[dev].gate, s, wc_last_message());
  }
  return WEFT_OK;
}

static int wc_device_count(void) { return wc_g.count; }

static weft_status wc_device_desc(int dev, weft__device_desc *out) {
  if (dev < 0 || dev >= wc_g.count || !wc_g.devs)
    return wc_error(WEFT_ERR_NOT_FOUND, "cuda: no device %d (%d CUDA devices)", dev, wc_g.count);
  if (!out) return wc_error(WEFT_ERR_INVALID_ARGUMENT, "cuda: device_desc: out is NULL");
  const wc_device *d = &wc_g.devs[dev];
  memset(out, 0, sizeof *out);
  snprintf(out->name, sizeof out->name, "%s", d->name);
  /* total less the headroom; once the device is in use, what its first use measured free less
   * the headroom, if smaller (the backend enforces that cap in wc_alloc) */
  uint64_t bytes = d->memory_bytes;
  if (d->gate.state.load(std::memory_order_acquire) == WC_GATE_READY && d->cap_bytes < bytes)
    bytes = d->cap_bytes;
  out->memory_bytes = bytes;
  out->max_alloc_bytes = bytes;
  out->compute_units = d->compute_units;
  out->has_fp64 = 1;
  out->is_gpu = 1;
  out->pci_known = 2;
  out->pci_domain = d->pci_domain, out->pci_bus = d->pci_bus, out->pci_device = d->pci_device;
  return WEFT_OK;
}

/* The table's `launch` entry: each kernel id to its function (cuda_join.cu for the join's
 * steps and the scans; cuda_sort.cu calls the scans directly). */
static weft_status wc_launch(int dev, const weft__launch *l) {
  if (!l) return wc_error(WEFT_ERR_INVALID_ARGUMENT, "cuda: launch: the launch is NULL");
  if (!l->args)
    return wc_error(WEFT_ERR_INVALID_ARGUMENT, "cuda: launch of kernel 0x%x: args is NULL",
                    (unsigned)l->kernel);
  switch (l->kernel) {
    case WEFT__K_JOIN_CLEAR: {
      const auto *a = static_cast<const weft__join_clear_args *>(l->args);
      return wc_join_clear(dev, a->slots, a->owner, a->seg_start, a->seg_end);
    }
    case WEFT__K_JOIN_INSERT: {
      const auto *a = static_cast<const weft__join_insert_args *>(l->args);
      return wc_join_insert(dev, a->rows, a->words, a->keys, a->valid, a->slots, a->owner,
                            a->slot_of, a->row_of);
    }
    case WEFT__K_JOIN_RADIX_COUNT: {
      const auto *a = static_cast<const weft__join_radix_count_args *>(l->args);
      return wc_join_radix_count(dev, a->n, a->shift, a->slot_in, a->hist);
    }
    case WEFT__K_JOIN_RADIX_SCATTER: {
      const auto *a = static_cast<const weft__join_radix_scatter_args *>(l->args);
      return wc_join_radix_scatter(dev, a->n, a->shift, a->slot_in, a->row_in, a->hist,
                                   a->slot_out, a->row_out);
    }
    case WEFT__K_JOIN_BOUNDS: {
      const auto *a = static_cast<const weft__join_bounds_args *>(l->args);
      return wc_join_bounds(dev, a->n, a->slots, a->slot_sorted, a->seg_start, a->seg_end);
    }
    case WEFT__K_JOIN_PROBE_COUNT:
      return wc_join_probe_count(dev, static_cast<const weft__join_probe *>(l->args));
    case WEFT__K_JOIN_EMIT:
      return wc_join_emit(dev, static_cast<const weft__join_probe *>(l->args));
    case WEFT__K_SCAN_CHUNKS: {
      const auto *a = static_cast<const weft__scan_chunks_args *>(l->args);
      return wc_scan_chunks(dev, a->n, a->data, a->sums);
    }
    case WEFT__K_SCAN_ADD: {
      const auto *a = static_cast<const weft__scan_add_args *>(l->args);
      return wc_scan_add(dev, a->n, a->data, a->sums);
    }
    case WEFT__K_KNN_CERT_BOUND:
      return wc_knn_cert(dev, static_cast<const weft__knn_cert_args *>(l->args), false);
    case WEFT__K_KNN_CERT_RERANK:
      return wc_knn_cert(dev, static_cast<const weft__knn_cert_args *>(l->args), true);
    case WEFT__K_KNN_MERGE:
      return wc_knn_merge(dev, static_cast<const weft__knn_tile *>(l->args));
    default: break;
  }
  const char *name = weft__kernel_name(l->kernel);
  return wc_error(WEFT_ERR_UNSUPPORTED, "cuda: no kernel 0x%x (%s) in this backend",
                  (unsigned)l->kernel, name ? name : "unknown id");
}

/* Filled by name, not by position (C++17 has no designated initializers): a reordered or
 * grown struct cannot misassign an entry. */
static weft__backend make_backend() {
  weft__backend b{};
  b.abi_version = WEFT_BACKEND_ABI_VERSION;
  b.name = "cuda";
  b.host_memory = 0;
  b.init = wc_init;
  b.shutdown = wc_shutdown;
  b.device_count = wc_device_count;
  b.device_desc = wc_device_desc;
  b.buffer_alloc = wc_buffer_alloc;
  b.buffer_free = wc_buffer_free;
  b.buffer_write = wc_buffer_write;
  b.buffer_read = wc_buffer_read;
  b.buffer_copy = wc_buffer_copy;
  b.synchronize = wc_synchronize;
  b.axpy = wc_axpy;
  b.bitmap_and = wc_bitmap_and;
  b.zero_nulls = wc_zero_nulls;
  b.reduce = wc_reduce;
  b.knn_tile = wc_knn_tile;
  b.knn_sort = wc_knn_sort;
  b.expr_eval = wc_expr_eval;
  b.sort_pairs = wc_sort_pairs;
  b.group_kernel = wc_group_kernel;
  b.launch = wc_launch;
  b.describe_blocks = wc_describe_blocks;
  b.csv_records = wc_csv_records;
  b.csv_fields = wc_csv_fields;
  b.knn_note = wc_knn_note;
  return b;
}

static const weft__backend wc_backend = make_backend();

extern "C" WEFT_API const weft__backend *weft_backend_entry(uint32_t abi_version) {
  return abi_version == WEFT_BACKEND_ABI_VERSION ? &wc_backend : nullptr;
}
