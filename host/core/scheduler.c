#include "core/scheduler.h"
#include "core/alloc.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/device_choice.h"
#include "core/error.h"
#include "core/placement.h"
#include "core/progress.h"
#include "core/thread_pool.h"

/* A CPU partition of about this many bytes stays in L2 while a thread works on it. */
#define CPU_PARTITION_BYTES ((size_t)1 << 20)
/* A device partition is at most this big, so the host keeps queueing work while the
 * device computes, and an out-of-memory is found before it matters. */
#define DEVICE_PARTITION_BYTES ((size_t)256 << 20)

typedef struct range {
  size_t row0, rows;
} range;

typedef struct ranges {
  range *items;
  size_t count, cap;
} ranges;

typedef struct schedule schedule;

/* One device's share of a schedule. */
typedef struct runner {
  schedule *sched;
  weft__device *dev;
  size_t part_rows;
  size_t parts, rows_done;
  weft_status failure;
  char message[1024];
  ranges claimed;
} runner;

struct schedule {
  const weft__op *op;
  _Atomic size_t next_row;
  runner runners[WEFT_MAX_CHOSEN];
  int count;
  pthread_mutex_t lock;
  ranges redo;         /* claimed by a device that then failed: re-run on the CPU */
  size_t redo_next;    /* fallback: next index of `redo` to claim (under lock) */
  runner *cpu;         /* the runner the pool workers serve */
  weft__progress *progress; /* rows count into the caller's scope, from any thread */
};

static int ranges_push(ranges *r, size_t row0, size_t rows) {
  if (r->count == r->cap) {
    size_t cap = r->cap ? r->cap * 2 : 16;
    range *grown = weft__realloc(r->items, cap * sizeof *grown);
    if (!grown) return 0;
    r->items = grown;
    r->cap = cap;
  }
  r->items[r->count++] = (range){row0, rows};
  return 1;
}

static size_t round_down(size_t v, size_t m) { return v / m * m; }

static size_t op_row_bits(const weft__op *op) {
  size_t bits = 0;
  for (int i = 0; i < WEFT_STAGE_SLOTS; i++) bits += op->slot_row_bits[i];
  return bits ? bits : 8;
}

static size_t slot_bytes(size_t bits_per_row, size_t rows) { return (bits_per_row * rows + 7) / 8; }

static void record_failure(runner *r, weft_status st) {
  pthread_mutex_lock(&r->sched->lock);
  if (r->failure == WEFT_OK) {
    r->failure = st;
    snprintf(r->message, sizeof r->message, "%s", weft_last_error());
  }
  pthread_mutex_unlock(&r->sched->lock);
}

static size_t op_align(const weft__op *op) {
  return op->align_rows ? op->align_rows : WEFT_PARTITION_ALIGN;
}

static size_t op_fixed_bytes(const weft__op *op) {
  size_t bytes = 0;
  for (int i = 0; i < WEFT_STAGE_SLOTS; i++) bytes += op->slot_fixed_bytes[i] + 8;
  return bytes;
}

/* Rows per partition on `dev`; 0 when not even one aligned partition fits. */
static size_t partition_rows(const weft__op *op, weft__device *dev, char *why, size_t why_cap) {
  size_t bits = op_row_bits(op), align = op_align(op);
  if (dev->backend->host_memory) {
    size_t rows = op->cpu_partition_rows ? op->cpu_partition_rows : CPU_PARTITION_BYTES * 8 / bits;
    rows = round_down(rows, align);
    return rows < align ? align : rows;
  }
  uint64_t avail = weft__device_available(dev), fixed = op_fixed_bytes(op);
  avail = avail > fixed ? avail - fixed : 0;
  size_t rows = (size_t)(avail * 8 / (bits + 8 * WEFT_STAGE_SLOTS)); /* a few bytes slack per slot */
  size_t cap = DEVICE_PARTITION_BYTES * 8 / bits;
  if (rows > cap) rows = cap;
  for (int i = 0; i < WEFT_STAGE_SLOTS; i++)
    if (op->slot_row_bits[i] && dev->desc.max_alloc_bytes) {
      size_t most = (size_t)(dev->desc.max_alloc_bytes * 8 / op->slot_row_bits[i]);
      if (rows > most) rows = most;
    }
  if (rows >= op->rows) return op->rows; /* one partition holds everything */
  rows = round_down(rows, align);
  if (rows == 0)
    snprintf(why, why_cap, "one partition of %zu rows needs %zu bytes, %llu available under the "
             "limit of %llu bytes", align, slot_bytes(bits, align) + (size_t)fixed,
             (unsigned long long)weft__device_available(dev),
             (unsigned long long)atomic_load(&dev->limit_bytes));
  return rows;
}

static void run_claims(runner *r, weft__stage *st, size_t *parts, size_t *rows_done) {
  const weft__op *op = r->sched->op;
  for (;;) {
    size_t row0 = atomic_fetch_add(&r->sched->next_row, r->part_rows);
    if (row0 >= op->rows) break;
    size_t rows = op->rows - row0 < r->part_rows ? op->rows - row0 : r->part_rows;
    weft_status s = op->run(op->ctx, st, row0, rows);
    int host = r->dev->backend->host_memory;
    pthread_mutex_lock(&r->sched->lock);
    if (!host) ranges_push(&r->claimed, row0, rows);
    pthread_mutex_unlock(&r->sched->lock);
    if (s != WEFT_OK) {
      record_failure(r, weft__error_context(s, "%s on %s, rows %zu..%zu", op->name, r->dev->id,
                                            row0, row0 + rows));
      return;
    }
    *parts += 1;
    *rows_done += rows;
    if (weft__progress_add(r->sched->progress, rows)) {
      record_failure(r, weft__error(WEFT_ERR_CANCELLED, "%s: cancelled by the progress "
                                    "callback", op->name));
      return;
    }
  }
}

static void *device_driver(void *arg) {
  runner *r = arg;
  const weft__op *op = r->sched->op;
  weft__stage st = {.dev = r->dev, .max_rows = r->part_rows};
  weft_status s = WEFT_OK;
  for (int i = 0; i < WEFT_STAGE_SLOTS && s == WEFT_OK; i++) {
    if (!op->slot_row_bits[i] && !op->slot_fixed_bytes[i]) continue;
    st.slot_bytes[i] = slot_bytes(op->slot_row_bits[i], r->part_rows) + op->slot_fixed_bytes[i];
    s = weft__device_alloc(r->dev, st.slot_bytes[i], &st.slot[i]);
  }
  size_t parts = 0, rows_done = 0;
  if (s == WEFT_OK) {
    run_claims(r, &st, &parts, &rows_done);
    /* Outputs are read back asynchronously: only after this are they on the host. */
    weft_status sync = r->dev->backend->synchronize(r->dev->backend_device);
    if (sync != WEFT_OK) {
      record_failure(r, weft__error_context(sync, "synchronize %s", r->dev->id));
      parts = rows_done = 0;
    }
  } else {
    record_failure(r, s);
  }
  for (int i = 0; i < WEFT_STAGE_SLOTS; i++) weft__device_free(r->dev, st.slot[i], st.slot_bytes[i]);
  pthread_mutex_lock(&r->sched->lock);
  /* A failed device's claimed rows may hold garbage: all of them are redone on the CPU. */
  if (r->failure != WEFT_OK)
    for (size_t i = 0; i < r->claimed.count; i++)
      ranges_push(&r->sched->redo, r->claimed.items[i].row0, r->claimed.items[i].rows);
  else
    r->parts = parts, r->rows_done = rows_done;
  pthread_mutex_unlock(&r->sched->lock);
  return NULL;
}

static void cpu_worker(void *ctx, int worker, int workers) {
  (void)worker, (void)workers;
  schedule *s = ctx;
  runner *r = s->cpu;
  weft__stage st = {.dev = r->dev, .max_rows = r->part_rows};
  size_t parts = 0, rows_done = 0;
  run_claims(r, &st, &parts, &rows_done);
  pthread_mutex_lock(&s->lock);
  r->parts += parts;
  r->rows_done += rows_done;
  pthread_mutex_unlock(&s->lock);
}

/* Re-runs the ranges a device failed on, on the CPU pool. */
static void cpu_redo_worker(void *ctx, int worker, int workers) {
  (void)worker, (void)workers;
  schedule *s = ctx;
  runner *r = s->cpu;
  weft__stage st = {.dev = r->dev, .max_rows = r->part_rows};
  for (;;) {
    pthread_mutex_lock(&s->lock);
    size_t i = s->redo_next < s->redo.count ? s->redo_next++ : SIZE_MAX;
    range rg = i != SIZE_MAX ? s->redo.items[i] : (range){0, 0};
    pthread_mutex_unlock(&s->lock);
    if (i == SIZE_MAX) return;
    weft_status st_run = s->op->run(s->op->ctx, &st, rg.row0, rg.rows);
    if (st_run != WEFT_OK) {
      record_failure(r, st_run);
      return;
    }
    pthread_mutex_lock(&s->lock);
    r->parts++;
    r->rows_done += rg.rows;
    pthread_mutex_unlock(&s->lock);
    if (weft__progress_add(s->progress, rg.rows)) {
      record_failure(r, weft__error(WEFT_ERR_CANCELLED, "%s: cancelled by the progress "
                                    "callback", s->op->name));
      return;
    }
  }
}

static void free_schedule(schedule *s) {
  for (int i = 0; i < s->count; i++) free(s->runners[i].claimed.items);
  free(s->redo.items);
  pthread_mutex_destroy(&s->lock);
}

static weft_status execute(struct weft_exec *exec, schedule *s) {
  const weft__op *op = s->op;
  pthread_t threads[WEFT_MAX_CHOSEN];
  int started[WEFT_MAX_CHOSEN] = {0};
  int alone = s->count == 1;
  for (int i = 0; i < s->count; i++) {
    runner *r = &s->runners[i];
    if (r->dev->backend->host_memory) continue;
    if (alone) device_driver(r);
    else if (pthread_create(&threads[i], NULL, device_driver, r) == 0) started[i] = 1;
    else device_driver(r); /* no thread: run it here, in turn */
  }
  if (s->cpu) weft__pool_run(cpu_worker, s);
  for (int i = 0; i < s->count; i++)
    if (started[i]) pthread_join(threads[i], NULL);
  /* cancelled: no fallback for the rows left, whoever stopped */
  if (weft__progress_cancelled(s->progress))
    return weft__error(WEFT_ERR_CANCELLED, "%s: cancelled by the progress callback", op->name);

  if (s->cpu && s->cpu->failure != WEFT_OK)
    return weft__error(s->cpu->failure, "%s", s->cpu->message);

  /* Rows nobody claimed (every device failed before starting) join the redo list. */
  size_t next = atomic_load(&s->next_row);
  weft__device *cpu_dev = weft__device_at(0);
  size_t cpu_rows = partition_rows(op, cpu_dev, NULL, 0);
  for (size_t row0 = next; row0 < op->rows; row0 += cpu_rows)
    ranges_push(&s->redo, row0, op->rows - row0 < cpu_rows ? op->rows - row0 : cpu_rows);
  if (s->redo.count == 0) return WEFT_OK;

  runner *failed = NULL;
  for (int i = 0; i < s->count && !failed; i++)
    if (s->runners[i].failure != WEFT_OK) failed = &s->runners[i];
  if (exec->strict) {
    if (failed)
      return weft__error(failed->failure, "%s (strict mode, no fallback)", failed->message);
    return weft__error(WEFT_ERR_UNSUPPORTED, "%s could not run on any requested device (strict "
                       "mode, no fallback)", op->name);
  }
  size_t redo_rows = 0;
  for (size_t i = 0; i < s->redo.count; i++) redo_rows += s->redo.items[i].rows;
  weft__report(exec, "  fell back to cpu:0 for %zu rows: %s", redo_rows,
               failed ? failed->message : "no device could take them");
  runner fallback = {.sched = s, .dev = cpu_dev, .part_rows = cpu_rows};
  s->cpu = &fallback;
  s->redo_next = 0;
  weft__pool_run(cpu_redo_worker, s);
  if (fallback.failure != WEFT_OK) return weft__error(fallback.failure, "%s", fallback.message);
  weft__report(exec, "  cpu:0 (fallback): %zu partitions, %zu rows", fallback.parts,
               fallback.rows_done);
  return WEFT_OK;
}

weft_status weft__schedule(struct weft_exec *exec, const weft__op *op) {
  weft__report_clear(exec);
  weft__report(exec, "%s: %zu rows", op->name, op->rows);
  weft__choice choice;
  WEFT_RETURN_NOT_OK(weft__choose_devices(exec, op, &choice));
  exec->last_device = weft__device_index(choice.devices[0]);
  if (op->rows == 0) {
    weft__report(exec, "  nothing to run");
    return WEFT_OK;
  }

  schedule s;
  memset(&s, 0, sizeof s);
  s.op = op;
  pthread_mutex_init(&s.lock, NULL);
  for (int i = 0; i < choice.count; i++) {
    weft__device *d = choice.devices[i];
    char why[256] = "";
    size_t rows = partition_rows(op, d, why, sizeof why);
    if (rows == 0) {
      weft__report(exec, "  %s cannot take a partition: %s", d->id, why);
      if (exec->strict) {
        free_schedule(&s);
        return weft__error(WEFT_ERR_DEVICE_MEMORY, "%s on %s: %s (strict mode)", op->name, d->id, why);
      }
      continue;
    }
    runner *r = &s.runners[s.count++];
    r->sched = &s;
    r->dev = d;
    r->part_rows = rows;
    if (d->backend->host_memory) s.cpu = r;
  }
  s.progress = weft__progress_begin(op->name, op->rows);
  weft_status st = weft__progress_end(s.progress, execute(exec, &s));
  exec->last_device = 0; /* the CPU, unless a chosen device did the work */
  for (int i = s.count - 1; i >= 0; i--)
    if (s.runners[i].rows_done > 0) exec->last_device = weft__device_index(s.runners[i].dev);
  for (int i = 0; i < s.count; i++) {
    runner *r = &s.runners[i];
    weft__report(exec, "  %s: %zu partitions of up to %zu rows, %zu rows%s%s", r->dev->id, r->parts,
                 r->part_rows, r->rows_done, r->failure ? "; failed: " : "",
                 r->failure ? r->message : "");
    const char *note = op->device_note && r->rows_done > 0 ? op->device_note(r->dev) : NULL;
    if (note && *note) weft__report(exec, "    %s: %s", r->dev->id, note);
  }
  free_schedule(&s);
  return st;
}

weft_status weft__schedule_on_cpu(const weft__op *op) {
  struct weft_exec cpu;
  weft__exec_defaults(&cpu);
  weft__exec_place(&cpu, 0, "the host's part of the work");
  weft_status st = weft__schedule(&cpu, op);
  weft__exec_release(&cpu);
  return st;
}
