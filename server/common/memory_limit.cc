#include "server/common/memory_limit.h"

#include <algorithm>
#include <fstream>
#include <sstream>
#include <vector>

#include "absl/algorithm/container.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace tasks {
namespace {

constexpr uint64_t kMiB = 1 << 20;
constexpr size_t kDefaultCacheBytes = 256 * kMiB;
constexpr size_t kMinCacheBytes = 4 * kMiB;
constexpr uint64_t kProcessReserve = 64 * kMiB;
// cgroup v1 writes "no limit" as the largest page-aligned 64-bit value.
constexpr uint64_t kUnlimited = uint64_t{1} << 62;

std::optional<std::string> ReadSmallFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::optional<uint64_t> LimitIn(const std::string& path) {
  const std::optional<std::string> text = ReadSmallFile(path);
  uint64_t limit = 0;
  if (!text || !absl::SimpleAtoi(absl::StripAsciiWhitespace(*text), &limit)) return std::nullopt;
  if (limit >= kUnlimited) return std::nullopt;
  return limit;
}

// This process's cgroup path for `controllers` ("" for the unified v2 hierarchy, "memory" for
// v1's), from /proc/self/cgroup lines "<id>:<controllers>:<path>"; nullopt when none.
std::optional<std::string> CgroupPath(const std::string& proc_self_cgroup,
                                      absl::string_view controller) {
  const std::optional<std::string> text = ReadSmallFile(proc_self_cgroup);
  if (!text) return std::nullopt;
  for (absl::string_view line : absl::StrSplit(*text, '\n', absl::SkipEmpty())) {
    const std::vector<absl::string_view> fields = absl::StrSplit(line, absl::MaxSplits(':', 2));
    if (fields.size() != 3 || absl::StrContains(fields[2], "..")) continue;
    const bool wanted =
        controller.empty()
            ? fields[1].empty()
            : absl::c_linear_search(std::vector<absl::string_view>(absl::StrSplit(fields[1], ',')),
                                    controller);
    if (wanted) return std::string(fields[2] == "/" ? "" : fields[2]);
  }
  return std::nullopt;
}

// The limit in `file` of this process's cgroup under `hierarchy`, else of the hierarchy's root
// (what a container sees under a cgroup namespace).
std::optional<uint64_t> LimitOf(const std::string& hierarchy, std::optional<std::string> path,
                                absl::string_view file) {
  if (path && !path->empty()) {
    if (std::optional<uint64_t> limit = LimitIn(absl::StrCat(hierarchy, *path, "/", file))) {
      return limit;
    }
  }
  return LimitIn(absl::StrCat(hierarchy, "/", file));
}

}  // namespace

std::optional<uint64_t> CgroupMemoryLimit(const std::string& cgroup_root,
                                          const std::string& proc_self_cgroup) {
  if (std::optional<uint64_t> limit =
          LimitOf(cgroup_root, CgroupPath(proc_self_cgroup, ""), "memory.max")) {
    return limit;
  }
  return LimitOf(cgroup_root + "/memory", CgroupPath(proc_self_cgroup, "memory"),
                 "memory.limit_in_bytes");
}

CacheBound DefaultCacheBound(std::optional<uint64_t> memory_limit) {
  if (!memory_limit) return {kDefaultCacheBytes, "no cgroup memory limit"};
  const uint64_t spare = *memory_limit > kProcessReserve ? *memory_limit - kProcessReserve : 0;
  const size_t bytes = std::clamp<uint64_t>(spare / 2, kMinCacheBytes, kDefaultCacheBytes);
  return {bytes, absl::StrCat("half of the cgroup memory limit (", *memory_limit / kMiB,
                              " MiB) less 64 MiB for the rest of the process")};
}

}  // namespace tasks
