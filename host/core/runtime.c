#define _GNU_SOURCE
#include "core/runtime.h"

#include <ctype.h>
#include <dlfcn.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/device_dedup.h"
#include "core/error.h"

#define WEFT_MAX_DEVICES 64

/* Two stages, each run once: the CPU (always there, device 0) at the first call into the
 * library, the OpenCL and CUDA backends only when something needs a device beyond the CPU
 * (see runtime.h). Opening them maps their drivers (PoCL + LLVM: about 67 MiB resident;
 * the CUDA backend opens cuBLAS only at its first k-NN tile), which a CPU-only process must
 * not pay. Entries are written before
 * the counts that publish them (release / acquire), so a reader of the CPU never waits on
 * nor races the backend stage. */
static pthread_once_t cpu_once = PTHREAD_ONCE_INIT, backends_once = PTHREAD_ONCE_INIT;
static weft__backend_slot backends[WEFT_MAX_BACKENDS];
static _Atomic size_t backend_count;
static weft__device devices[WEFT_MAX_DEVICES];
static _Atomic size_t device_count;
static atomic_int backends_loaded;

static weft_status host_set_error(weft_status status, const char *fmt, ...) WEFT_PRINTF(2, 3);
static weft_status host_set_error(weft_status status, const char *fmt, ...) {
  char msg[1536];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  return weft__error(status, "%s", msg);
}

const weft__host_api weft__host_api_table = {WEFT_BACKEND_ABI_VERSION, host_set_error};

/* Directory holding libweft.so itself: backends are looked for there first. */
static void library_dir(char *out, size_t cap) {
  Dl_info info;
  out[0] = '\0';
  if (dladdr((void *)&weft__runtime_init, &info) && info.dli_fname) {
    const char *slash = strrchr(info.dli_fname, '/');
    if (slash) {
      size_t len = (size_t)(slash - info.dli_fname);
      if (len >= cap) len = cap - 1;
      memcpy(out, info.dli_fname, len);
      out[len] = '\0';
    }
  }
}

/* `skip`: NULL, or one flag a backend device: not listed (the same GPU as a CUDA device). */
static void add_devices(const weft__backend *be, weft_device_kind kind, const int *skip) {
  int n = be->device_count();
  for (int i = 0; i < n && atomic_load(&device_count) < WEFT_MAX_DEVICES; i++) {
    if (skip && i < WEFT_MAX_DEVICES && skip[i]) continue;
    size_t count = atomic_load(&device_count);
    weft__device *d = &devices[count];
    memset(d, 0, sizeof *d);
    if (be->device_desc(i, &d->desc) != WEFT_OK) continue;
    d->kind = kind;
    d->backend = be;
    d->backend_device = i;
    int ordinal = 0;
    for (size_t j = 0; j < count; j++) ordinal += devices[j].kind == kind;
    d->ordinal = ordinal;
    snprintf(d->id, sizeof d->id, "%s:%d", be->name, ordinal);
    atomic_store(&d->limit_bytes, d->desc.memory_bytes);
    atomic_store_explicit(&device_count, count + 1, memory_order_release);
  }
}

static void publish_backend(void) {
  atomic_store_explicit(&backend_count, atomic_load(&backend_count) + 1, memory_order_release);
}

static void open_backend(weft__backend_slot *slot, const char *name, weft_device_kind kind);

static void load_backend(const char *name, weft_device_kind kind) {
  weft__backend_slot *slot = &backends[atomic_load(&backend_count)];
  memset(slot, 0, sizeof *slot);
  snprintf(slot->info.name, sizeof slot->info.name, "%s", name);
  open_backend(slot, name, kind);
  publish_backend();
}

/* The CUDA runtime reports a machine without an NVIDIA driver as "CUDA driver version is
 * insufficient for CUDA runtime version (35)" (no libcuda.so at all), a stub driver as
 * error 34 and a driver without a GPU as error 100: the reason says it plainly. */
static void plain_cuda_reason(char *reason, size_t size) {
  static const char *const codes[] = {"(34)", "(35)", "(100)"};
  size_t n = strlen(reason);
  for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++) {
    size_t k = strlen(codes[i]);
    if (n >= k && !strcmp(reason + n - k, codes[i])) {
      char code[8];
      snprintf(code, sizeof code, "%.*s", (int)(k - 2), codes[i] + 1);
      snprintf(reason, size, "no NVIDIA driver / GPU found (CUDA error %s)", code);
      return;
    }
  }
}

static void open_backend(weft__backend_slot *slot, const char *name, weft_device_kind kind) {

  char dir[1024], path[1200];
  /* WEFT_BACKEND_PATH replaces the default (the directory of libweft.so); tests point it at
   * an empty directory to prove a missing backend is skipped with its reason. */
  const char *override = getenv("WEFT_BACKEND_PATH");
  if (override && *override) snprintf(dir, sizeof dir, "%s", override);
  else library_dir(dir, sizeof dir);
  void *dl = NULL;
  const char *first_error = NULL;
  char first_error_copy[400] = "";
  if (dir[0]) {
    snprintf(path, sizeof path, "%s/libweft_%s.so", dir, name);
    dl = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!dl) {
      first_error = dlerror();
      if (first_error) snprintf(first_error_copy, sizeof first_error_copy, "%s", first_error);
    }
  }
  if (!dl && !(override && *override)) { /* then the loader's path (LD_LIBRARY_PATH, rpath) */
    snprintf(path, sizeof path, "libweft_%s.so", name);
    dl = dlopen(path, RTLD_NOW | RTLD_LOCAL);
  }
  snprintf(slot->info.library, sizeof slot->info.library, "%s", path);
  if (!dl) {
    const char *err = dlerror();
    snprintf(slot->info.reason, sizeof slot->info.reason, "cannot load %s: %s",
             name, first_error_copy[0] ? first_error_copy : (err ? err : "not found"));
    return;
  }
  weft__backend_entry_fn entry = (weft__backend_entry_fn)dlsym(dl, WEFT_BACKEND_ENTRY_SYMBOL);
  const weft__backend *be = entry ? entry(WEFT_BACKEND_ABI_VERSION) : NULL;
  if (!be) {
    snprintf(slot->info.reason, sizeof slot->info.reason,
             "%s has no %s for backend interface version %d", path, WEFT_BACKEND_ENTRY_SYMBOL,
             WEFT_BACKEND_ABI_VERSION);
    dlclose(dl);
    return;
  }
  weft__error_clear();
  if (be->init(&weft__host_api_table) != WEFT_OK) {
    snprintf(slot->info.reason, sizeof slot->info.reason, "%s", weft_last_error());
    if (kind == WEFT_DEVICE_CUDA) plain_cuda_reason(slot->info.reason, sizeof slot->info.reason);
    weft__error_clear();
    /* Kept loaded: CUDA runtimes do not like being unloaded after a failed init. */
    slot->dl = dl;
    return;
  }
  slot->backend = be;
  slot->dl = dl;
  slot->info.loaded = 1;
  slot->info.device_count = be->device_count();
  if (slot->info.device_count == 0)
    snprintf(slot->info.reason, sizeof slot->info.reason, "%s found no device", name);
  (void)kind; /* devices are listed by backends_init_once, once both backends are open */
}

/* Lists the OpenCL devices but those that are a CUDA device's card (NVIDIA's OpenCL ICD
 * shows every CUDA GPU again): such a GPU is listed once, as cuda:N, so auto does not see
 * two equal GPUs and its memory is not booked twice. The OpenCL backend's reason says which
 * were left out. Then the CUDA devices. */
static void add_gpu_devices(weft__backend_slot *ocl, weft__backend_slot *cuda) {
  enum { MAX = WEFT_MAX_DEVICES };
  weft__device_desc od[MAX], cd[MAX];
  int same_as[MAX], skip[MAX] = {0};
  size_t no = 0, nc = 0;
  if (ocl->backend)
    for (int i = 0; i < ocl->backend->device_count() && no < MAX; i++, no++) {
      memset(&od[no], 0, sizeof od[no]);
      if (ocl->backend->device_desc(i, &od[no]) != WEFT_OK) memset(&od[no], 0, sizeof od[no]);
    }
  if (cuda->backend)
    for (int i = 0; i < cuda->backend->device_count() && nc < MAX; i++, nc++) {
      memset(&cd[nc], 0, sizeof cd[nc]);
      if (cuda->backend->device_desc(i, &cd[nc]) != WEFT_OK) memset(&cd[nc], 0, sizeof cd[nc]);
    }
  weft__error_clear();
  size_t dropped = weft__match_same_gpu(od, no, cd, nc, same_as);
  for (size_t i = 0; i < no; i++) skip[i] = same_as[i] >= 0;
  if (dropped) {
    char *r = ocl->info.reason;
    size_t cap = sizeof ocl->info.reason, len = 0;
    for (size_t i = 0; i < no; i++) {
      if (same_as[i] < 0 || len >= cap) continue;
      int w = snprintf(r + len, cap - len, "%sdevice %zu (%s) not listed: the same GPU as cuda:%d",
                       len ? "; " : "", i, od[i].name, same_as[i]);
      if (w > 0) len += (size_t)w;
    }
    ocl->info.device_count -= (int)dropped;
  }
  if (ocl->backend) add_devices(ocl->backend, WEFT_DEVICE_OPENCL, skip);
  if (cuda->backend) add_devices(cuda->backend, WEFT_DEVICE_CUDA, NULL);
}

static weft_status find_device(const char *id, size_t *index);

/* "256M", "1.5G", "1048576" -> bytes; 0 on a malformed size. */
static uint64_t parse_size(const char *s, const char *end) {
  char buf[64];
  size_t len = (size_t)(end - s);
  if (len == 0 || len >= sizeof buf) return 0;
  memcpy(buf, s, len);
  buf[len] = '\0';
  char *unit;
  double v = strtod(buf, &unit);
  if (unit == buf || v <= 0) return 0;
  while (*unit == ' ') unit++;
  double mult = 1;
  switch (toupper((unsigned char)*unit)) {
    case 'K': mult = 1024.0; break;
    case 'M': mult = 1024.0 * 1024; break;
    case 'G': mult = 1024.0 * 1024 * 1024; break;
    case 'T': mult = 1024.0 * 1024 * 1024 * 1024; break;
    case '\0': break;
    default: return 0;
  }
  return (uint64_t)(v * mult);
}

/* WEFT_DEVICE_MEMORY_LIMIT: "512M" (every device) and/or "opencl:0=64M,cuda=1G". A malformed
 * entry is ignored: the library has no way to report errors at load time, and a cap that
 * does not parse must not stop it from working. */
/* Applied to the devices from index `first` on (each stage its own). */
static void apply_memory_limits(size_t first) {
  const char *env = getenv("WEFT_DEVICE_MEMORY_LIMIT");
  if (!env || !*env) return;
  const char *p = env;
  while (*p) {
    const char *end = strchr(p, ',');
    if (!end) end = p + strlen(p);
    const char *eq = memchr(p, '=', (size_t)(end - p));
    if (eq) {
      char id[32];
      size_t len = (size_t)(eq - p);
      if (len < sizeof id) {
        memcpy(id, p, len);
        id[len] = '\0';
        uint64_t bytes = parse_size(eq + 1, end);
        size_t idx;
        if (bytes && find_device(id, &idx) == WEFT_OK) {
          /* a bare kind ("cuda") caps every device of that kind */
          int whole_kind = strchr(id, ':') == NULL;
          for (size_t i = first; i < atomic_load(&device_count); i++)
            if (i == idx || (whole_kind && devices[i].kind == devices[idx].kind))
              atomic_store(&devices[i].limit_bytes, bytes);
        }
      }
    } else {
      uint64_t bytes = parse_size(p, end);
      if (bytes)
        for (size_t i = first; i < atomic_load(&device_count); i++)
          atomic_store(&devices[i].limit_bytes, bytes);
    }
    p = *end ? end + 1 : end;
  }
  weft__error_clear();
}

static void cpu_init_once(void) {
  /* The CPU is always there and always device 0. */
  weft__backend_slot *cpu = &backends[0];
  memset(cpu, 0, sizeof *cpu);
  snprintf(cpu->info.name, sizeof cpu->info.name, "cpu");
  cpu->backend = weft__cpu_backend();
  cpu->backend->init(&weft__host_api_table);
  cpu->info.loaded = 1;
  cpu->info.device_count = 1;
  publish_backend();
  add_devices(cpu->backend, WEFT_DEVICE_CPU, NULL);
  apply_memory_limits(0);
}

static void backends_init_once(void) {
  size_t first = atomic_load(&device_count);
  size_t slot = atomic_load(&backend_count);
  load_backend("opencl", WEFT_DEVICE_OPENCL);
  load_backend("cuda", WEFT_DEVICE_CUDA);
  add_gpu_devices(&backends[slot], &backends[slot + 1]);
  /* the new devices only: a cap set on the CPU since (weft_device_set_memory_limit) stays */
  apply_memory_limits(first);
  atomic_store(&backends_loaded, 1);
}

void weft__runtime_init(void) { pthread_once(&cpu_once, cpu_init_once); }

void weft__runtime_load_backends(void) {
  weft__runtime_init();
  pthread_once(&backends_once, backends_init_once);
}

int weft__backends_loaded(void) { return atomic_load(&backends_loaded); }

size_t weft__device_total(void) {
  weft__runtime_load_backends();
  return atomic_load_explicit(&device_count, memory_order_acquire);
}

size_t weft__device_loaded_total(void) {
  weft__runtime_init();
  return atomic_load_explicit(&device_count, memory_order_acquire);
}

weft__device *weft__device_at(size_t index) {
  weft__runtime_init();
  return index < atomic_load_explicit(&device_count, memory_order_acquire) ? &devices[index] : NULL;
}

weft_status weft__device_get(size_t index, weft__device **out) {
  /* Index 0 is the CPU whatever else exists; any other index means the full list. */
  if (index != 0) weft__runtime_load_backends();
  else weft__runtime_init();
  size_t count = atomic_load_explicit(&device_count, memory_order_acquire);
  if (index >= count)
    return weft__error(WEFT_ERR_NOT_FOUND, "device index %zu does not exist (%zu devices found)",
                       index, count);
  *out = &devices[index];
  return WEFT_OK;
}

size_t weft__device_index(const weft__device *dev) { return (size_t)(dev - devices); }

/* weft__device_parse over the devices loaded so far (no loading: apply_memory_limits runs
 * inside the stages). */
static weft_status find_device(const char *id, size_t *index) {
  if (!id) return weft__error(WEFT_ERR_INVALID_ARGUMENT, "device id is NULL");
  char kind[16];
  size_t klen = strcspn(id, ":");
  if (klen == 0 || klen >= sizeof kind)
    return weft__error(WEFT_ERR_NOT_FOUND, "unknown device '%s' (expected cpu, opencl or cuda, "
                       "optionally with :N)", id);
  memcpy(kind, id, klen);
  kind[klen] = '\0';
  long ordinal = 0;
  if (id[klen] == ':') {
    char *end;
    ordinal = strtol(id + klen + 1, &end, 10);
    if (end == id + klen + 1 || *end != '\0' || ordinal < 0)
      return weft__error(WEFT_ERR_NOT_FOUND, "device '%s': '%s' is not a device number", id,
                         id + klen + 1);
  }
  int known = !strcmp(kind, "cpu") || !strcmp(kind, "opencl") || !strcmp(kind, "cuda");
  if (!known)
    return weft__error(WEFT_ERR_NOT_FOUND,
                       "unknown device '%s': kind '%s' is not one of cpu, opencl, cuda", id, kind);
  size_t ndev = atomic_load_explicit(&device_count, memory_order_acquire);
  size_t nbe = atomic_load_explicit(&backend_count, memory_order_acquire);
  for (size_t i = 0; i < ndev; i++)
    if (!strcmp(devices[i].backend->name, kind) && devices[i].ordinal == ordinal) {
      *index = i;
      return WEFT_OK;
    }
  for (const weft__backend_slot *b = backends; b < backends + nbe; b++)
    if (!b->info.loaded && !strcmp(b->info.name, kind))
      return weft__error(WEFT_ERR_BACKEND_UNAVAILABLE, "device '%s' is not available: %s", id,
                         b->info.reason);
  return weft__error(WEFT_ERR_NOT_FOUND, "device '%s' not found", id);
}

int weft__device_id_is_cpu(const char *id) {
  return id && !strncmp(id, "cpu", 3) && (id[3] == '\0' || id[3] == ':');
}

weft_status weft__device_parse(const char *id, size_t *index) {
  /* "cpu" and "cpu:N" are answered without the other backends; any other id may name one. */
  if (!id || weft__device_id_is_cpu(id)) weft__runtime_init();
  else weft__runtime_load_backends();
  return find_device(id, index);
}

size_t weft__backend_total(void) {
  weft__runtime_load_backends();
  return atomic_load_explicit(&backend_count, memory_order_acquire);
}

const weft__backend_slot *weft__backend_at(size_t index) {
  weft__runtime_load_backends();
  return index < atomic_load_explicit(&backend_count, memory_order_acquire) ? &backends[index]
                                                                             : NULL;
}

uint64_t weft__device_available(const weft__device *dev) {
  uint64_t limit = atomic_load(&dev->limit_bytes), used = atomic_load(&dev->used_bytes);
  return used >= limit ? 0 : limit - used;
}

weft_status weft__device_alloc(weft__device *dev, size_t bytes, void **handle) {
  if (weft__alloc_fault_hit())
    return weft__error(WEFT_ERR_DEVICE_MEMORY, "device %s: allocating %zu bytes failed (injected "
                       "fault, WEFT_FAULT_ALLOC)", dev->id, bytes);
  uint64_t limit = atomic_load(&dev->limit_bytes);
  uint64_t used = atomic_fetch_add(&dev->used_bytes, bytes);
  if (used + bytes > limit) {
    atomic_fetch_sub(&dev->used_bytes, bytes);
    return weft__error(WEFT_ERR_DEVICE_MEMORY,
                       "device %s: allocating %zu bytes exceeds its memory limit (%llu of %llu "
                       "bytes in use)", dev->id, bytes, (unsigned long long)used,
                       (unsigned long long)limit);
  }
  weft_status st = dev->backend->buffer_alloc(dev->backend_device, bytes, handle);
  if (st != WEFT_OK) {
    atomic_fetch_sub(&dev->used_bytes, bytes);
    return weft__error_context(st, "device %s", dev->id);
  }
  return WEFT_OK;
}

void weft__device_free(weft__device *dev, void *handle, size_t bytes) {
  if (!handle) return;
  dev->backend->buffer_free(dev->backend_device, handle);
  atomic_fetch_sub(&dev->used_bytes, bytes);
}
