#include "server/hub/server_token.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "gtest/gtest.h"

namespace tasks::hub {
namespace {

namespace fs = std::filesystem;

TEST(ServerToken, TheEnvironmentTokenWins) {
  EXPECT_EQ(ServerToken("hf_env", "/nonexistent").Get(), "hf_env");
  EXPECT_EQ(ServerToken("", "").Get(), "");
  EXPECT_EQ(ServerToken("", "/nonexistent/token").Get(), "");
}

TEST(ServerToken, TheFileIsReReadWhenItChanges) {
  const fs::path file =
      fs::path(::testing::TempDir()) / ("server_token_" + std::to_string(getpid()));
  std::ofstream(file) << "hf_first\n";
  ServerToken token("", file.string());
  EXPECT_EQ(token.Get(), "hf_first");
  std::ofstream(file) << "hf_rotated";
  // Make the change visible even on file systems with coarse timestamps.
  fs::last_write_time(file, fs::last_write_time(file) + std::chrono::seconds(1));
  EXPECT_EQ(token.Get(), "hf_rotated");
  fs::remove(file);
  EXPECT_EQ(token.Get(), "");
}

}  // namespace
}  // namespace tasks::hub
