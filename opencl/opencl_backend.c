/* The backend table, its exported entry point, and device discovery (init / shutdown). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "opencl_internal.h"

weft_ocl_state weft_ocl__state;

/* The device `dev` as listed, without opening it. */
static weft_ocl_device *device_at(int dev) {
  if (dev < 0 || dev >= weft_ocl__state.count) {
    weft_ocl_error(WEFT_ERR_INVALID_ARGUMENT, "opencl: no device %d (%d device(s))", dev,
                   weft_ocl__state.count);
    return NULL;
  }
  return &weft_ocl__state.devices[dev];
}

static const char *open_context(weft_ocl_device *d, cl_int *err);

weft_ocl_device *weft_ocl_device_get(int dev) {
  weft_ocl_device *d = device_at(dev);
  if (!d || atomic_load(&d->opened) == 1) return d;
  pthread_mutex_lock(&d->open_lock);
  if (atomic_load(&d->opened) == 0) {
    cl_int err = CL_SUCCESS;
    const char *call = open_context(d, &err);
    if (call) {
      d->open_status = err == CL_OUT_OF_HOST_MEMORY ? WEFT_ERR_OUT_OF_MEMORY : WEFT_ERR_DEVICE;
      snprintf(d->open_error, sizeof d->open_error, "opencl: %s failed on device '%s': %s (%d)",
               call, d->desc.name, weft_ocl_error_name(err), (int)err);
    }
    atomic_store(&d->opened, call ? -1 : 1);
  }
  pthread_mutex_unlock(&d->open_lock);
  if (atomic_load(&d->opened) == 1) return d;
  weft_ocl_error(d->open_status, "%s", d->open_error);
  return NULL;
}

weft_status weft_ocl_device_status(int dev) {
  if (dev < 0 || dev >= weft_ocl__state.count) return WEFT_ERR_INVALID_ARGUMENT;
  weft_ocl_device *d = &weft_ocl__state.devices[dev];
  return atomic_load(&d->opened) == -1 ? d->open_status : WEFT_ERR_INVALID_ARGUMENT;
}

/* A string property, truncated to `size` - 1 characters and right-trimmed. */
static cl_int device_string(cl_device_id id, cl_device_info param, char *out, size_t size) {
  size_t needed = 0;
  out[0] = '\0';
  cl_int err = clGetDeviceInfo(id, param, 0, NULL, &needed);
  if (err != CL_SUCCESS) return err;
  char *text = malloc(needed + 1);
  if (!text) return CL_OUT_OF_HOST_MEMORY;
  err = clGetDeviceInfo(id, param, needed, text, NULL);
  if (err == CL_SUCCESS) {
    text[needed] = '\0';
    snprintf(out, size, "%s", text);
    size_t len = strlen(out);
    while (len > 0 && (out[len - 1] == ' ' || out[len - 1] == '\n')) out[--len] = '\0';
  }
  free(text);
  return err;
}

static int has_extension(cl_device_id id, const char *name) {
  size_t needed = 0;
  if (clGetDeviceInfo(id, CL_DEVICE_EXTENSIONS, 0, NULL, &needed) != CL_SUCCESS) return 0;
  char *text = malloc(needed + 1);
  if (!text) return 0;
  int found = 0;
  if (clGetDeviceInfo(id, CL_DEVICE_EXTENSIONS, needed, text, NULL) == CL_SUCCESS) {
    text[needed] = '\0';
    size_t len = strlen(name);
    for (const char *p = strstr(text, name); p && !found; p = strstr(p + 1, name))
      found = (p == text || p[-1] == ' ') && (p[len] == '\0' || p[len] == ' ');
  }
  free(text);
  return found;
}

/* The PCI address of a GPU, when the driver tells it: cl_khr_pci_bus_info, else NVIDIA's
 * cl_nv_device_attribute_query (bus, and slot = device << 3 | function), else AMD's
 * topology. Left unknown (pci_known 0) otherwise. */
#ifndef CL_DEVICE_PCI_BUS_INFO_KHR
#define CL_DEVICE_PCI_BUS_INFO_KHR 0x410F
typedef struct {
  cl_uint pci_domain, pci_bus, pci_device, pci_function;
} cl_device_pci_bus_info_khr;
#endif
#define WEFT_CL_DEVICE_PCI_BUS_ID_NV 0x4008
#define WEFT_CL_DEVICE_PCI_SLOT_ID_NV 0x4009
#define WEFT_CL_DEVICE_PCI_DOMAIN_ID_NV 0x400A
#define WEFT_CL_DEVICE_TOPOLOGY_AMD 0x4037

static void pci_address(cl_device_id id, weft__device_desc *desc) {
  if (has_extension(id, "cl_khr_pci_bus_info")) {
    cl_device_pci_bus_info_khr info;
    if (clGetDeviceInfo(id, CL_DEVICE_PCI_BUS_INFO_KHR, sizeof info, &info, NULL) == CL_SUCCESS) {
      desc->pci_known = 2;
      desc->pci_domain = info.pci_domain, desc->pci_bus = info.pci_bus;
      desc->pci_device = info.pci_device;
      return;
    }
  }
  if (has_extension(id, "cl_nv_device_attribute_query")) {
    cl_uint bus = 0, slot = 0, domain = 0;
    if (clGetDeviceInfo(id, WEFT_CL_DEVICE_PCI_BUS_ID_NV, sizeof bus, &bus, NULL) == CL_SUCCESS &&
        clGetDeviceInfo(id, WEFT_CL_DEVICE_PCI_SLOT_ID_NV, sizeof slot, &slot, NULL) == CL_SUCCESS) {
      desc->pci_known = 1;
      desc->pci_bus = bus, desc->pci_device = slot >> 3;
      if (clGetDeviceInfo(id, WEFT_CL_DEVICE_PCI_DOMAIN_ID_NV, sizeof domain, &domain, NULL) ==
          CL_SUCCESS)
        desc->pci_known = 2, desc->pci_domain = domain;
    }
    return;
  }
  if (has_extension(id, "cl_amd_device_attribute_query")) {
    union {
      struct { cl_uint type, data[5]; } raw;
      struct { cl_uint type; cl_char unused[17]; cl_char bus, device, function; } pcie;
    } topo;
    if (clGetDeviceInfo(id, WEFT_CL_DEVICE_TOPOLOGY_AMD, sizeof topo, &topo, NULL) == CL_SUCCESS &&
        topo.raw.type == 1 /* CL_DEVICE_TOPOLOGY_TYPE_PCIE_AMD */) {
      desc->pci_known = 1;
      desc->pci_bus = (cl_uchar)topo.pcie.bus, desc->pci_device = (cl_uchar)topo.pcie.device;
    }
  }
}

/* Fills d->desc. On failure returns the name of the failing call. */
static const char *describe(weft_ocl_device *d, cl_int *err) {
  weft__device_desc *desc = &d->desc;
  cl_ulong global_mem = 0, max_alloc = 0;
  cl_uint units = 0;
  cl_device_type type = 0;
  cl_device_fp_config fp64 = 0;
  if ((*err = device_string(d->id, CL_DEVICE_NAME, desc->name, sizeof desc->name)) != CL_SUCCESS)
    return "clGetDeviceInfo(CL_DEVICE_NAME)";
  if ((*err = clGetDeviceInfo(d->id, CL_DEVICE_GLOBAL_MEM_SIZE, sizeof global_mem, &global_mem,
                              NULL)) != CL_SUCCESS)
    return "clGetDeviceInfo(CL_DEVICE_GLOBAL_MEM_SIZE)";
  if ((*err = clGetDeviceInfo(d->id, CL_DEVICE_MAX_MEM_ALLOC_SIZE, sizeof max_alloc, &max_alloc,
                              NULL)) != CL_SUCCESS)
    return "clGetDeviceInfo(CL_DEVICE_MAX_MEM_ALLOC_SIZE)";
  if ((*err = clGetDeviceInfo(d->id, CL_DEVICE_MAX_COMPUTE_UNITS, sizeof units, &units, NULL)) !=
      CL_SUCCESS)
    return "clGetDeviceInfo(CL_DEVICE_MAX_COMPUTE_UNITS)";
  if ((*err = clGetDeviceInfo(d->id, CL_DEVICE_TYPE, sizeof type, &type, NULL)) != CL_SUCCESS)
    return "clGetDeviceInfo(CL_DEVICE_TYPE)";
  /* Optional before OpenCL 1.2: an error here only means no fp64. */
  if (clGetDeviceInfo(d->id, CL_DEVICE_DOUBLE_FP_CONFIG, sizeof fp64, &fp64, NULL) != CL_SUCCESS)
    fp64 = 0;
  desc->memory_bytes = global_mem;
  desc->max_alloc_bytes = max_alloc;
  desc->compute_units = (int)units;
  desc->has_fp64 = fp64 != 0 || has_extension(d->id, "cl_khr_fp64");
  desc->is_gpu = (type & (CL_DEVICE_TYPE_GPU | CL_DEVICE_TYPE_ACCELERATOR)) != 0;
  if (desc->is_gpu) pci_address(d->id, desc);
  return NULL;
}

/* Context + queue for one device, on its first use. On failure returns the name of the
 * failing call and leaves nothing allocated. */
static const char *open_context(weft_ocl_device *d, cl_int *err) {
  cl_context_properties props[] = {CL_CONTEXT_PLATFORM, (cl_context_properties)d->platform, 0};
  d->context = clCreateContext(props, 1, &d->id, NULL, NULL, err);
  if (*err != CL_SUCCESS) return "clCreateContext";
  d->queue = clCreateCommandQueue(d->context, d->id, 0, err);
  if (*err != CL_SUCCESS) {
    clReleaseContext(d->context);
    d->context = NULL;
    return "clCreateCommandQueue";
  }
  return NULL;
}

/* What the device is, and its locks; no context yet. On failure returns the name of the
 * failing call and leaves nothing allocated. */
static const char *open_device(weft_ocl_device *d, cl_platform_id platform, cl_int *err) {
  const char *call = describe(d, err);
  if (call) return call;
  d->platform = platform;
  if (pthread_mutex_init(&d->lock, NULL) != 0) {
    *err = CL_OUT_OF_HOST_MEMORY;
    return "pthread_mutex_init";
  }
  if (pthread_mutex_init(&d->open_lock, NULL) != 0) {
    pthread_mutex_destroy(&d->lock);
    *err = CL_OUT_OF_HOST_MEMORY;
    return "pthread_mutex_init";
  }
  atomic_init(&d->opened, 0);
  return NULL;
}

static void ocl_shutdown(void) {
  weft_ocl_state *s = &weft_ocl__state;
  for (int i = 0; i < s->count; i++) {
    weft_ocl_device *d = &s->devices[i];
    if (atomic_load(&d->opened) == 1) {
      clFinish(d->queue);
      weft_ocl_program_release(d);
      clReleaseCommandQueue(d->queue);
      clReleaseContext(d->context);
    }
    pthread_mutex_destroy(&d->lock);
    pthread_mutex_destroy(&d->open_lock);
  }
  free(s->devices);
  s->devices = NULL;
  s->count = 0;
  s->host = NULL;
}

/* Adds the usable devices of one platform; a device that fails is skipped and `reason`
 * says why. */
static weft_status add_platform(cl_platform_id platform, char *reason, size_t reason_size) {
  weft_ocl_state *s = &weft_ocl__state;
  cl_uint n = 0;
  cl_int err = clGetDeviceIDs(platform, CL_DEVICE_TYPE_ALL, 0, NULL, &n);
  if (err == CL_DEVICE_NOT_FOUND || (err == CL_SUCCESS && n == 0)) return WEFT_OK;
  if (err != CL_SUCCESS) {
    snprintf(reason, reason_size, "clGetDeviceIDs failed: %s (%d)", weft_ocl_error_name(err), err);
    return WEFT_OK;
  }
  cl_device_id *ids = malloc(n * sizeof *ids);
  weft_ocl_device *grown = realloc(s->devices, (s->count + n) * sizeof *grown);
  if (!ids || !grown) {
    free(ids);
    if (grown) s->devices = grown;
    return weft_ocl_error(WEFT_ERR_OUT_OF_MEMORY, "opencl: out of host memory listing devices");
  }
  s->devices = grown;
  if ((err = clGetDeviceIDs(platform, CL_DEVICE_TYPE_ALL, n, ids, NULL)) != CL_SUCCESS) {
    snprintf(reason, reason_size, "clGetDeviceIDs failed: %s (%d)", weft_ocl_error_name(err), err);
    n = 0;
  }
  for (cl_uint i = 0; i < n; i++) {
    weft_ocl_device *d = &s->devices[s->count];
    memset(d, 0, sizeof *d);
    d->id = ids[i];
    const char *call = open_device(d, platform, &err);
    if (call) {
      snprintf(reason, reason_size, "%s failed on device '%s': %s (%d)", call,
               d->desc.name[0] ? d->desc.name : "?", weft_ocl_error_name(err), err);
      continue;
    }
    s->count++;
  }
  free(ids);
  return WEFT_OK;
}

static weft_status ocl_init(const weft__host_api *host) {
  if (!host || !host->set_error) return WEFT_ERR_INVALID_ARGUMENT;
  if (weft_ocl__state.host) ocl_shutdown();
  weft_ocl__state.host = host;
  if (host->abi_version != WEFT_BACKEND_ABI_VERSION)
    return host->set_error(WEFT_ERR_BACKEND_UNAVAILABLE,
                           "opencl: host ABI version %u, backend built for %u",
                           (unsigned)host->abi_version, (unsigned)WEFT_BACKEND_ABI_VERSION);
  cl_uint np = 0;
  cl_int err = clGetPlatformIDs(0, NULL, &np);
  if (err == -1001 /* CL_PLATFORM_NOT_FOUND_KHR */ || (err == CL_SUCCESS && np == 0))
    return host->set_error(WEFT_ERR_BACKEND_UNAVAILABLE,
                           "opencl: no OpenCL platform found (no ICD in /etc/OpenCL/vendors?)");
  if (err != CL_SUCCESS)
    return host->set_error(WEFT_ERR_BACKEND_UNAVAILABLE, "opencl: clGetPlatformIDs failed: %s (%d)",
                           weft_ocl_error_name(err), err);
  cl_platform_id *platforms = malloc(np * sizeof *platforms);
  if (!platforms) return host->set_error(WEFT_ERR_OUT_OF_MEMORY, "opencl: out of host memory");
  if ((err = clGetPlatformIDs(np, platforms, NULL)) != CL_SUCCESS) {
    free(platforms);
    return host->set_error(WEFT_ERR_BACKEND_UNAVAILABLE, "opencl: clGetPlatformIDs failed: %s (%d)",
                           weft_ocl_error_name(err), err);
  }
  char reason[256] = "no devices";
  weft_status status = WEFT_OK;
  for (cl_uint p = 0; p < np && status == WEFT_OK; p++)
    status = add_platform(platforms[p], reason, sizeof reason);
  free(platforms);
  if (status == WEFT_OK && weft_ocl__state.count == 0)
    status = host->set_error(WEFT_ERR_BACKEND_UNAVAILABLE,
                             "opencl: %u platform(s) but no usable device (%s)", (unsigned)np,
                             reason);
  if (status != WEFT_OK) {
    ocl_shutdown();
    weft_ocl__state.host = host; /* keep reporting through the host after a failed init */
  }
  return status;
}

static int ocl_device_count(void) { return weft_ocl__state.count; }

static weft_status ocl_device_desc(int dev, weft__device_desc *out) {
  weft_ocl_device *d = device_at(dev); /* listing a device does not open it */
  if (!d) return WEFT_ERR_INVALID_ARGUMENT;
  if (!out) return weft_ocl_error(WEFT_ERR_INVALID_ARGUMENT, "opencl: device_desc: out is NULL");
  *out = d->desc;
  return WEFT_OK;
}

/* The table's `launch` entry: each kernel id to its function (opencl_join.c for the join's
 * steps and the scans, opencl_knn.c for the certified k-NN pass). */
static weft_status ocl_launch(int dev, const weft__launch *l) {
  if (!l) return weft_ocl_error(WEFT_ERR_INVALID_ARGUMENT, "opencl: launch: the launch is NULL");
  if (!l->args)
    return weft_ocl_error(WEFT_ERR_INVALID_ARGUMENT, "opencl: launch of kernel 0x%x: args is NULL",
                          (unsigned)l->kernel);
  switch (l->kernel) {
    case WEFT__K_JOIN_CLEAR: {
      const weft__join_clear_args *a = l->args;
      return weft_ocl_join_clear(dev, a->slots, a->owner, a->seg_start, a->seg_end);
    }
    case WEFT__K_JOIN_INSERT: {
      const weft__join_insert_args *a = l->args;
      return weft_ocl_join_insert(dev, a->rows, a->words, a->keys, a->valid, a->slots, a->owner,
                                  a->slot_of, a->row_of);
    }
    case WEFT__K_JOIN_RADIX_COUNT: {
      const weft__join_radix_count_args *a = l->args;
      return weft_ocl_join_radix_count(dev, a->n, a->shift, a->slot_in, a->hist);
    }
    case WEFT__K_JOIN_RADIX_SCATTER: {
      const weft__join_radix_scatter_args *a = l->args;
      return weft_ocl_join_radix_scatter(dev, a->n, a->shift, a->slot_in, a->row_in, a->hist,
                                         a->slot_out, a->row_out);
    }
    case WEFT__K_JOIN_BOUNDS: {
      const weft__join_bounds_args *a = l->args;
      return weft_ocl_join_bounds(dev, a->n, a->slots, a->slot_sorted, a->seg_start, a->seg_end);
    }
    case WEFT__K_JOIN_PROBE_COUNT: return weft_ocl_join_probe_count(dev, l->args);
    case WEFT__K_JOIN_EMIT: return weft_ocl_join_emit(dev, l->args);
    case WEFT__K_SCAN_CHUNKS: {
      const weft__scan_chunks_args *a = l->args;
      return weft_ocl_scan_chunks(dev, a->n, a->data, a->sums);
    }
    case WEFT__K_SCAN_ADD: {
      const weft__scan_add_args *a = l->args;
      return weft_ocl_scan_add(dev, a->n, a->data, a->sums);
    }
    case WEFT__K_KNN_CERT_BOUND: return weft_ocl_knn_cert(dev, l->args, 0);
    case WEFT__K_KNN_CERT_RERANK: return weft_ocl_knn_cert(dev, l->args, 1);
    case WEFT__K_KNN_MERGE: return weft_ocl_knn_merge(dev, l->args);
    default: break;
  }
  const char *name = weft__kernel_name(l->kernel);
  return weft_ocl_error(WEFT_ERR_UNSUPPORTED, "opencl: no kernel 0x%x (%s) in this backend",
                        (unsigned)l->kernel, name ? name : "unknown id");
}

static const weft__backend weft_ocl_backend = {
    .abi_version = WEFT_BACKEND_ABI_VERSION,
    .name = "opencl",
    .host_memory = 0,
    .init = ocl_init,
    .shutdown = ocl_shutdown,
    .device_count = ocl_device_count,
    .device_desc = ocl_device_desc,
    .buffer_alloc = weft_ocl_buffer_alloc,
    .buffer_free = weft_ocl_buffer_free,
    .buffer_write = weft_ocl_buffer_write,
    .buffer_read = weft_ocl_buffer_read,
    .buffer_copy = weft_ocl_buffer_copy,
    .synchronize = weft_ocl_synchronize,
    .axpy = weft_ocl_axpy,
    .bitmap_and = weft_ocl_bitmap_and,
    .zero_nulls = weft_ocl_zero_nulls,
    .reduce = weft_ocl_reduce,
    .knn_tile = weft_ocl_knn_tile,
    .knn_sort = weft_ocl_knn_sort,
    .expr_eval = weft_ocl_expr_eval,
    .sort_pairs = weft_ocl_sort_pairs,
    .group_kernel = weft_ocl_group_kernel,
    .launch = ocl_launch,
    .describe_blocks = weft_ocl_describe_blocks,
    .csv_records = weft_ocl_csv_records,
    .csv_fields = weft_ocl_csv_fields,
};

WEFT_API const weft__backend *weft_backend_entry(uint32_t abi_version);

WEFT_API const weft__backend *weft_backend_entry(uint32_t abi_version) {
  return abi_version == WEFT_BACKEND_ABI_VERSION ? &weft_ocl_backend : NULL;
}
