/* How many CPUs this process may keep busy: what sizes the thread pool and the CPU device's
 * compute units. Not sysconf's online CPUs: a container given 2 CPUs of a 64-CPU host (a
 * cpuset, or a CFS quota as `docker --cpus=2` and Kubernetes limits set) would otherwise
 * start 64 threads that take turns on 2 CPUs' time, each turn a scheduler period long. Rust's
 * available_parallelism reads the same two limits. */
#ifndef WEFT_HOST_CPU_COUNT_H
#define WEFT_HOST_CPU_COUNT_H

/* The CPUs in this thread's affinity mask, lowered to the CPU quota of its cgroup and of
 * every cgroup above it (v2 cpu.max, v1 cpu.cfs_quota_us / cpu.cfs_period_us), rounded up;
 * at least 1. */
int weft__cpu_count(void);

/* The quota part, from files under `root` (for tests: a fake /sys/fs/cgroup): `cgroup_list`
 * is /proc/self/cgroup's text. The smallest quota in CPUs (rounded up) of the process's
 * cgroup and its ancestors, or 0 where none is set or nothing could be read. */
int weft__cgroup_cpu_limit(const char *root, const char *cgroup_list);

#endif
