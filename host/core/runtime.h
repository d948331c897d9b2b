/* The process-wide runtime: backends loaded once, the device list, per-device memory
 * accounting. Built lazily on the first call into the library. */
#ifndef WEFT_HOST_RUNTIME_H
#define WEFT_HOST_RUNTIME_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "core/backend_impl.h"
#include "weft.h"

typedef struct weft__device {
  weft_device_kind kind;
  int ordinal;                 /* among devices of this kind */
  const weft__backend *backend;
  int backend_device;          /* the backend's own index */
  weft__device_desc desc;
  char id[32];
  _Atomic uint64_t used_bytes;
  _Atomic uint64_t limit_bytes;
} weft__device;

#define WEFT_MAX_BACKENDS 3

typedef struct weft__backend_slot {
  weft_backend_info info;
  const weft__backend *backend; /* NULL when skipped */
  void *dl;
} weft__backend_slot;

/* The CPU (device 0) is set up at the first call into the library; the OpenCL and CUDA
 * backends are opened once, on the first call that needs a device beyond the CPU: the
 * listing calls (weft__device_total, weft__backend_total / _at), a device index other than
 * 0, an id other than "cpu[:N]", or the device choice when a GPU could be picked
 * (device_choice.c). Neither stage fails: a backend that fails is skipped with a reason.
 * Device indices and ids are the same whenever the backends are opened. */
void weft__runtime_init(void);
void weft__runtime_load_backends(void);
int weft__backends_loaded(void);
/* Every device (opens the backends). */
size_t weft__device_total(void);
/* The devices opened so far, without opening any: the CPU alone until the backends are. */
size_t weft__device_loaded_total(void);
weft__device *weft__device_at(size_t index);
/* The device at `index`, or WEFT_ERR_NOT_FOUND naming the index and the count. */
weft_status weft__device_get(size_t index, weft__device **out);
size_t weft__device_index(const weft__device *dev);
weft_status weft__device_parse(const char *id, size_t *index);
/* "cpu" or "cpu:..." (answered without opening the other backends). */
int weft__device_id_is_cpu(const char *id);
size_t weft__backend_total(void);
const weft__backend_slot *weft__backend_at(size_t index);

/* Device memory through the accounting: fails with WEFT_ERR_DEVICE_MEMORY past the cap. */
weft_status weft__device_alloc(weft__device *dev, size_t bytes, void **handle);
void weft__device_free(weft__device *dev, void *handle, size_t bytes);
uint64_t weft__device_available(const weft__device *dev);

/* The built-in CPU backend. */
const weft__backend *weft__cpu_backend(void);
extern const weft__host_api weft__host_api_table;

#endif
