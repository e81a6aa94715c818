// CgroupMemoryLimit over fake cgroup file systems (v2, v1, none), and the cache bound it gives.
#include "server/common/memory_limit.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "gtest/gtest.h"

namespace tasks {
namespace {

namespace fs = std::filesystem;

constexpr uint64_t kMiB = 1 << 20;

class MemoryLimitTest : public ::testing::Test {
 protected:
  MemoryLimitTest()
      : base_(fs::path(::testing::TempDir()) /
              ("memory_limit_test_" + std::to_string(getpid()) + "_" +
               ::testing::UnitTest::GetInstance()->current_test_info()->name())) {
    fs::remove_all(base_);
    fs::create_directories(base_ / "cgroup");
  }
  ~MemoryLimitTest() override { fs::remove_all(base_); }

  void Write(const std::string& path, const std::string& contents) {
    fs::create_directories((base_ / path).parent_path());
    std::ofstream(base_ / path) << contents;
  }
  std::optional<uint64_t> Limit() {
    return CgroupMemoryLimit((base_ / "cgroup").string(), (base_ / "proc_self_cgroup").string());
  }

  fs::path base_;
};

TEST_F(MemoryLimitTest, ReadsTheProcessCgroupV2Limit) {
  Write("proc_self_cgroup", "0::/kubepods/pod1/c1\n");
  Write("cgroup/kubepods/pod1/c1/memory.max", "301989888\n");
  EXPECT_EQ(Limit(), 288 * kMiB);
}

TEST_F(MemoryLimitTest, UnderACgroupNamespaceTheRootIsTheContainer) {
  Write("proc_self_cgroup", "0::/\n");
  Write("cgroup/memory.max", "536870912\n");
  EXPECT_EQ(Limit(), 512 * kMiB);
}

TEST_F(MemoryLimitTest, ReadsCgroupV1) {
  Write("proc_self_cgroup", "5:cpu,cpuacct:/x\n4:memory:/docker/abc\n0::/\n");
  Write("cgroup/memory/docker/abc/memory.limit_in_bytes", "268435456\n");
  EXPECT_EQ(Limit(), 256 * kMiB);
}

TEST_F(MemoryLimitTest, NoLimitIsNone) {
  Write("proc_self_cgroup", "0::/\n4:memory:/\n");
  EXPECT_EQ(Limit(), std::nullopt);  // no files at all
  Write("cgroup/memory.max", "max\n");
  EXPECT_EQ(Limit(), std::nullopt);
  Write("cgroup/memory/memory.limit_in_bytes", "9223372036854771712\n");
  EXPECT_EQ(Limit(), std::nullopt);
}

TEST_F(MemoryLimitTest, TheCacheLeavesRoomForTheProcess) {
  EXPECT_EQ(DefaultCacheBound(std::nullopt).bytes, 256 * kMiB);
  // The shipped Deployment's 288 MiB limit: (288 - 64) / 2.
  const CacheBound bound = DefaultCacheBound(288 * kMiB);
  EXPECT_EQ(bound.bytes, 112 * kMiB);
  EXPECT_NE(bound.reason.find("288 MiB"), std::string::npos);
  EXPECT_EQ(DefaultCacheBound(32 * kMiB).bytes, 4 * kMiB);
  EXPECT_EQ(DefaultCacheBound(uint64_t{64} << 30).bytes, 256 * kMiB);
}

}  // namespace
}  // namespace tasks
