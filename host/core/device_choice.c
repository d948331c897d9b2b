/* Which devices an operation runs on: the user's list, WEFT_DEVICE, or the cost model. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/device_choice.h"
#include "core/error.h"
#include "core/placement.h"
#include "core/exec.h"
#include "core/gpu_probe.h"

/* Rough throughputs for the cost model. They need only order the devices right: a
 * memory-bound scan of host data never pays the PCIe trip, a GEMM-heavy one does. */
#define CPU_BYTES_PER_S_PER_CORE 8e9
#define CPU_FLOPS_PER_CORE 40e9
#define PCIE_BYTES_PER_S 20e9
#define GPU_FLOPS 20e12
#define GPU_LAUNCH_S 50e-6

static double cpu_seconds(const weft__device *cpu, double bytes, double flops) {
  double cores = cpu->desc.compute_units > 0 ? cpu->desc.compute_units : 1;
  double t_mem = bytes / (CPU_BYTES_PER_S_PER_CORE * cores);
  double t_flop = flops / (CPU_FLOPS_PER_CORE * cores);
  return t_mem > t_flop ? t_mem : t_flop;
}

static double gpu_seconds(double bytes, double flops) {
  return GPU_LAUNCH_S + bytes / PCIE_BYTES_PER_S + flops / GPU_FLOPS;
}

static int can_run(struct weft_exec *exec, const weft__op *op, weft__device *d) {
  if (op->device_unsupported && !d->backend->host_memory) {
    weft__report(exec, "  %s: fell back to cpu: %s", d->id, op->device_unsupported);
    return 0;
  }
  if (op->needs_fp64 && !d->desc.has_fp64) {
    weft__report(exec, "  %s skipped: %s needs float64 and %s has no fp64 support", d->id, op->name,
                 d->desc.name);
    return 0;
  }
  int (*supports)(const weft__device *) =
      op->supports ? op->supports : op->family ? op->family->has_kernels : NULL;
  if (supports && !supports(d)) {
    weft__report(exec, "  %s skipped: the %s backend has no kernels for %s", d->id,
                 d->backend->name, op->name);
    return 0;
  }
  return 1;
}

static void op_cost(const weft__op *op, double *bytes, double *flops) {
  double bits = 0;
  for (int i = 0; i < WEFT_STAGE_SLOTS; i++) bits += (double)op->slot_row_bits[i];
  *bytes = bits / 8 * (double)op->rows;
  *flops = op->flops_per_row * (double)op->rows;
}

/* gpu_seconds does not depend on the device: when it does not beat the CPU, auto picks
 * the CPU whatever devices exist, and their backends need not be opened. */
static int gpu_could_win(const weft__op *op) {
  double bytes, flops;
  op_cost(op, &bytes, &flops);
  return gpu_seconds(bytes, flops) < cpu_seconds(weft__device_at(0), bytes, flops);
}

void weft__choice_prepare(const struct weft_exec *exec, const weft__op *op) {
  weft__runtime_init();
  if (weft__backends_loaded()) return;
  if (exec && exec->placed.set) {
    if (exec->placed.device != 0) weft__runtime_load_backends();
    return;
  }
  weft__device_spec spec;
  const char *source;
  weft__exec_spec(exec, &spec, &source);
  if (spec.is_auto) {
    char why[256];
    if (weft__family_small_input(exec, op->family, op->rows, why, sizeof why)) return;
    /* with no GPU driver, auto would discard every device the backends could open (PoCL's
     * CPU device included): opening them would only map their drivers */
    if (gpu_could_win(op) && weft__gpu_possible(NULL)) weft__runtime_load_backends();
    return;
  }
  for (int i = 0; i < spec.count; i++)
    if (!weft__device_id_is_cpu(spec.ids[i])) {
      weft__runtime_load_backends();
      return;
    }
}

static weft_status choose_auto(struct weft_exec *exec, const weft__op *op, weft__choice *out) {
  weft__device *cpu = weft__device_at(0);
  double bytes, flops;
  op_cost(op, &bytes, &flops);
  double best = cpu_seconds(cpu, bytes, flops);
  weft__device *pick = cpu;
  const char *why = "no GPU device";
  const char *no_gpu;
  if (!weft__backends_loaded() && !gpu_could_win(op)) {
    weft__report(exec, "  opencl and cuda not opened: a GPU's estimated %.3g s cannot beat %.3g s "
                 "on cpu:0 (cost model)", gpu_seconds(bytes, flops), best);
    why = "cheaper than moving the data to a GPU (cost model)";
  } else if (!weft__backends_loaded() && !weft__gpu_possible(&no_gpu)) {
    weft__report(exec, "  opencl and cuda not opened: %s", no_gpu);
  }
  for (size_t i = 1; i < weft__device_loaded_total(); i++) {
    weft__device *d = weft__device_at(i);
    if (!d->desc.is_gpu) {
      weft__report(exec, "  %s not chosen: a CPU device; the built-in CPU path runs on the same "
                   "cores", d->id);
      continue;
    }
    if (!can_run(exec, op, d)) continue;
    double t = gpu_seconds(bytes, flops);
    weft__report(exec, "  %s estimated %.3g s against %.3g s on cpu:0", d->id, t,
                 cpu_seconds(cpu, bytes, flops));
    /* on a tie (the model gives every GPU the same estimate) CUDA wins over OpenCL: its
     * kernels use cuBLAS and its driver is the card's own */
    if (t < best || (t == best && pick != cpu && pick->kind == WEFT_DEVICE_OPENCL &&
                     d->kind == WEFT_DEVICE_CUDA))
      best = t, pick = d, why = "fastest by the cost model";
    else if (pick == cpu) why = "cheaper than moving the data to a GPU (cost model)";
  }
  out->devices[0] = pick;
  out->count = 1;
  weft__report(exec, "  device %s: auto, %s", pick->id, why);
  return WEFT_OK;
}

/* A placement resolved above the operation: its device when it can run the op, else the
 * CPU (strict: the error). */
static weft_status choose_placed(struct weft_exec *exec, const weft__op *op, weft__choice *out) {
  weft__device *d = exec->placed.device < weft__device_loaded_total()
                        ? weft__device_at(exec->placed.device) : NULL;
  if (d && !d->backend->host_memory && !can_run(exec, op, d)) {
    if (exec->strict)
      return weft__error(WEFT_ERR_UNSUPPORTED, "%s cannot run on %s (%s) (strict mode)", op->name,
                         d->id, d->desc.name);
    d = NULL;
  }
  if (!d) d = weft__device_at(0);
  out->devices[0] = d;
  out->count = 1;
  weft__report(exec, "  device %s: %s", d->id, exec->placed.why);
  return WEFT_OK;
}

weft_status weft__choose_devices(struct weft_exec *exec, const weft__op *op, weft__choice *out) {
  memset(out, 0, sizeof *out);
  weft__choice_prepare(exec, op);
  if (exec->placed.set) return choose_placed(exec, op, out);
  char small[256];
  if (weft__family_small_input(exec, op->family, op->rows, small, sizeof small)) {
    out->devices[out->count++] = weft__device_at(0);
    weft__report(exec, "  device cpu:0: %s", small);
    return WEFT_OK;
  }
  weft__device_spec spec;
  const char *source;
  weft__exec_spec(exec, &spec, &source);
  if (spec.is_auto) return choose_auto(exec, op, out);
  for (int t = 0; t < spec.count; t++) {
    const char *tok = spec.ids[t];
    size_t idx;
    weft_status st = weft__device_parse(tok, &idx);
    if (st == WEFT_ERR_BACKEND_UNAVAILABLE) {
      /* A known kind whose backend is missing: fall back (or fail when strict). */
      if (exec->strict)
        return weft__error_context(st, "%s (strict mode, %s)", op->name, source);
      weft__report(exec, "  %s unavailable, fell back to cpu: %s", tok, weft_last_error());
      weft__error_clear();
      continue;
    }
    if (st != WEFT_OK)
      return weft__error_context(st, "%s: device list '%s' (%s)", op->name,
                                 exec->spec.is_auto ? getenv("WEFT_DEVICE") : exec->devices, source);
    weft__device *d = weft__device_at(idx);
    if (!can_run(exec, op, d)) {
      if (exec->strict)
        return weft__error(WEFT_ERR_UNSUPPORTED, "%s cannot run on %s (%s): %s (strict mode)",
                           op->name, d->id, d->desc.name,
                           op->device_unsupported && !d->backend->host_memory
                               ? op->device_unsupported
                           : op->needs_fp64 && !d->desc.has_fp64 ? "the device has no fp64 support"
                                                                 : "its backend lacks the kernels");
      continue;
    }
    int dup = 0;
    for (int i = 0; i < out->count; i++) dup |= out->devices[i] == d;
    if (!dup && out->count < WEFT_MAX_CHOSEN) out->devices[out->count++] = d;
  }
  if (out->count == 0) {
    out->devices[out->count++] = weft__device_at(0);
    weft__report(exec, "  device cpu:0: fallback, no requested device can run %s", op->name);
  } else {
    for (int i = 0; i < out->count; i++)
      weft__report(exec, "  device %s (%s): %s", out->devices[i]->id, out->devices[i]->desc.name,
                   source);
  }
  return WEFT_OK;
}

weft__device *weft__choice_one_device(struct weft_exec *exec, const weft__choice *choice,
                                      const char *name) {
  for (int i = 0; i < choice->count; i++)
    if (!choice->devices[i]->backend->host_memory) {
      if (choice->count > 1)
        weft__report(exec, "  %s runs the %s: it runs on one device", choice->devices[i]->id, name);
      return choice->devices[i];
    }
  return NULL;
}
