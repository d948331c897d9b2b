/* The CUDA backend's table, its one exported symbol, device discovery and the error path. */
#include "cuda_internal.h"

#include <new>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

wc_state wc_g = {nullptr, 0, nullptr};

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

weft_status wc_enter(int dev) {
  if (dev < 0 || dev >= wc_g.count || !wc_g.devs)
    return wc_error(WEFT_ERR_NOT_FOUND, "cuda: no device %d (%d CUDA devices)", dev, wc_g.count);
  WC_CHECK(dev, cudaSetDevice(dev));
  return WEFT_OK;
}

static void wc_shutdown(void) {
  for (int dev = 0; dev < wc_g.count && wc_g.devs; ++dev) {
    wc_device *d = &wc_g.devs[dev];
    if (cudaSetDevice(dev) != cudaSuccess) continue;
    if (d->stream) cudaStreamSynchronize(d->stream);
    wc_cublas_release(d);
    wc_reduce_release(d);
    if (d->stream) cudaStreamDestroy(d->stream);
  }
  delete[] wc_g.devs;
  wc_g.devs = nullptr;
  wc_g.count = 0;
  (void)cudaGetLastError();
}

static weft_status wc_init_device(int dev) {
  wc_device *d = &wc_g.devs[dev];
  cudaDeviceProp p;
  WC_CHECK(dev, cudaGetDeviceProperties(&p, dev));
  size_t len = strnlen(p.name, sizeof p.name);
  if (len >= sizeof d->name) len = sizeof d->name - 1;
  memcpy(d->name, p.name, len);
  d->name[len] = '\0';
  d->memory_bytes = (uint64_t)p.totalGlobalMem;
  d->compute_units = p.multiProcessorCount;
  d->pci_domain = (uint32_t)p.pciDomainID, d->pci_bus = (uint32_t)p.pciBusID;
  d->pci_device = (uint32_t)p.pciDeviceID;
  WC_CHECK(dev, cudaSetDevice(dev));
  WC_CHECK(dev, cudaStreamCreateWithFlags(&d->stream, cudaStreamNonBlocking));
  return WEFT_OK;
}

static weft_status wc_init(const weft__host_api *host) {
  if (!host) return WEFT_ERR_INVALID_ARGUMENT;
  if (wc_g.devs) wc_shutdown();
  wc_g.host = host;
  if (host->abi_version != WEFT_BACKEND_ABI_VERSION)
    return wc_error(WEFT_ERR_BACKEND_UNAVAILABLE, "cuda: host ABI version %u, backend built for %d",
                    (unsigned)host->abi_version, WEFT_BACKEND_ABI_VERSION);

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
  for (int dev = 0; dev < count; ++dev) {
    weft_status s = wc_init_device(dev);
    if (s == WEFT_OK) s = wc_selftest(dev);
    if (s != WEFT_OK) {
      wc_shutdown(); /* keeps the message set by the failure */
      return s;
    }
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
  out->memory_bytes = d->memory_bytes;
  out->max_alloc_bytes = d->memory_bytes;
  out->compute_units = d->compute_units;
  out->has_fp64 = 1;
  out->is_gpu = 1;
  out->pci_known = 2;
  out->pci_domain = d->pci_domain, out->pci_bus = d->pci_bus, out->pci_device = d->pci_device;
  return WEFT_OK;
}

static const weft__backend wc_backend = {
    WEFT_BACKEND_ABI_VERSION, /* abi_version */
    "cuda",                   /* name */
    0,                        /* host_memory */
    wc_init,
    wc_shutdown,
    wc_device_count,
    wc_device_desc,
    wc_buffer_alloc,
    wc_buffer_free,
    wc_buffer_write,
    wc_buffer_read,
    wc_buffer_copy,
    wc_synchronize,
    wc_axpy,
    wc_bitmap_and,
    wc_zero_nulls,
    wc_reduce,
    wc_knn_tile,
    wc_knn_sort,
    wc_expr_eval,
    wc_sort_pairs,
    wc_group_kernel,
    wc_join_clear,
    wc_join_insert,
    wc_join_radix_count,
    wc_join_radix_scatter,
    wc_join_bounds,
    wc_join_probe_count,
    wc_join_emit,
    wc_scan_chunks,
    wc_scan_add,
    wc_describe_blocks,
    wc_csv_records,
    wc_csv_fields,
};

extern "C" WEFT_API const weft__backend *weft_backend_entry(uint32_t abi_version) {
  return abi_version == WEFT_BACKEND_ABI_VERSION ? &wc_backend : nullptr;
}
