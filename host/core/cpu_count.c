#define _GNU_SOURCE /* sched_getaffinity, CPU_COUNT */
#include "core/cpu_count.h"

#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A quota of `quota` microseconds of CPU time every `period` as CPUs, rounded up (1.5 CPUs
 * keep 2 threads busy part of the time); 0 for no quota. */
static int quota_cpus(long long quota, long long period) {
  if (quota <= 0 || period <= 0) return 0;
  long long n = (quota + period - 1) / period;
  return n > 1 << 20 ? 1 << 20 : (int)n;
}

/* cgroup v2: "max 100000" (no quota) or "200000 100000". */
static int read_v2(const char *dir) {
  char path[4200];
  snprintf(path, sizeof path, "%s/cpu.max", dir);
  FILE *f = fopen(path, "r");
  if (!f) return 0;
  char quota[32] = "";
  long long period = 0;
  int ok = fscanf(f, "%31s %lld", quota, &period) == 2;
  fclose(f);
  return ok && strcmp(quota, "max") ? quota_cpus(atoll(quota), period) : 0;
}

static long long read_number(const char *dir, const char *name) {
  char path[4200];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  FILE *f = fopen(path, "r");
  long long v = 0;
  if (f && fscanf(f, "%lld", &v) != 1) v = 0;
  if (f) fclose(f);
  return v;
}

/* cgroup v1: a quota of -1 is none. */
static int read_v1(const char *dir) {
  return quota_cpus(read_number(dir, "cpu.cfs_quota_us"), read_number(dir, "cpu.cfs_period_us"));
}

/* The smallest quota of the cgroup at base + rel and of each one above it, up to base: a
 * limit set on a parent (a pod, a slice) binds every cgroup below it. */
static int smallest_up_to(const char *base, const char *rel, int (*read)(const char *dir)) {
  char dir[4096];
  if (snprintf(dir, sizeof dir, "%s%s", base, rel) >= (int)sizeof dir) return 0;
  size_t floor = strlen(base);
  int best = 0;
  for (;;) {
    int n = read(dir);
    if (n > 0 && (best == 0 || n < best)) best = n;
    char *slash = strrchr(dir + floor, '/');
    if (!slash) return best;
    *slash = '\0';
  }
}

/* Whether the comma-separated `list` names `want`. */
static int has_controller(const char *list, const char *want) {
  size_t n = strlen(want);
  for (const char *p = list; *p;) {
    const char *comma = strchr(p, ',');
    size_t len = comma ? (size_t)(comma - p) : strlen(p);
    if (len == n && !strncmp(p, want, n)) return 1;
    if (!comma) return 0;
    p = comma + 1;
  }
  return 0;
}

/* One line of /proc/self/cgroup, "id:controllers:path" (v2: "0::path"); its quota. */
static int line_limit(const char *root, char *line) {
  char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
  if (!c2) return 0;
  *c2 = '\0';
  const char *controllers = c1 + 1, *rel = c2 + 1;
  if (*rel != '/') return 0;
  char base[4096];
  if (!*controllers) return smallest_up_to(root, rel, read_v2);
  if (!has_controller(controllers, "cpu")) return 0;
  /* v1 mounts the cpu controller as cpu,cpuacct (Debian, Docker) or cpu */
  snprintf(base, sizeof base, "%s/%s", root, controllers);
  int n = smallest_up_to(base, rel, read_v1);
  if (n) return n;
  snprintf(base, sizeof base, "%s/cpu", root);
  return smallest_up_to(base, rel, read_v1);
}

int weft__cgroup_cpu_limit(const char *root, const char *cgroup_list) {
  int best = 0;
  for (const char *line = cgroup_list; line && *line;) {
    const char *end = strchr(line, '\n');
    size_t len = end ? (size_t)(end - line) : strlen(line);
    char buf[4096];
    if (len < sizeof buf) {
      memcpy(buf, line, len);
      buf[len] = '\0';
      int n = line_limit(root, buf);
      if (n > 0 && (best == 0 || n < best)) best = n;
    }
    line = end ? end + 1 : NULL;
  }
  return best;
}

static int counted;

static void count_cpus(void) {
  long n = 0;
#ifdef __linux__
  cpu_set_t set; /* 1,024 CPUs; past that the call fails and the online count stands */
  if (sched_getaffinity(0, sizeof set, &set) == 0) n = CPU_COUNT(&set);
#endif
  if (n <= 0) n = sysconf(_SC_NPROCESSORS_ONLN);
  if (n <= 0) n = 1;
#ifdef __linux__
  FILE *f = fopen("/proc/self/cgroup", "r");
  if (f) {
    char text[8192];
    size_t got = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[got] = '\0';
    int limit = weft__cgroup_cpu_limit("/sys/fs/cgroup", text);
    if (limit > 0 && limit < n) n = limit;
  }
#endif
  counted = n > 1 << 20 ? 1 << 20 : (int)n;
}

int weft__cpu_count(void) {
  static pthread_once_t once = PTHREAD_ONCE_INIT;
  pthread_once(&once, count_cpus);
  return counted;
}
