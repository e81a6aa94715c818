// The memory this process may use, as its cgroup says, and the cache bound that fits in it.
//
// A container's memory limit is the cgroup's memory.max (cgroup v2) or memory.limit_in_bytes
// (v1). Without --cache_max_bytes the server sizes its cache from it, so that a pod's limit and
// its cache bound cannot drift apart: the default 256 MiB cache plus the idle process exceeds a
// small limit, and a warm pod would be OOM-killed.
#ifndef TASKS_SERVER_COMMON_MEMORY_LIMIT_H_
#define TASKS_SERVER_COMMON_MEMORY_LIMIT_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

namespace tasks {

// The limit of the cgroup this process is in, read under `cgroup_root` (the cgroup file system)
// with the process's cgroup path from `proc_self_cgroup`; nullopt when there is none ("max", or
// v1's "unlimited" value) or it cannot be read.
std::optional<uint64_t> CgroupMemoryLimit(
    const std::string& cgroup_root = "/sys/fs/cgroup",
    const std::string& proc_self_cgroup = "/proc/self/cgroup");

// The default cache bound, and why, for the start-up log.
struct CacheBound {
  size_t bytes;
  std::string reason;
};

// 256 MiB without a limit; under one, half of what the limit leaves after 64 MiB for the rest of
// the process (its code, threads, calls in flight), at least 4 MiB and at most 256 MiB.
CacheBound DefaultCacheBound(std::optional<uint64_t> memory_limit);

}  // namespace tasks

#endif  // TASKS_SERVER_COMMON_MEMORY_LIMIT_H_
