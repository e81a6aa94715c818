// A --registry_dir holding things that are not regular files (issue 19, item 6): a FIFO named
// like a registry file made the reload wait in open() for a writer, forever, on the thread that
// takes signals. Such entries are now skipped unread, each reported, and the reload goes on.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <future>
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/registry/registry_loader.h"
#include "server/service/server.h"
#include "tests/test_support.h"

namespace tasks::service {
namespace {

namespace fs = std::filesystem;
using ::testing::ElementsAre;

constexpr char kMineRegistry[] = R"(
exporter: "mine"
registration { library: "transformers" model_type: "brand-new" config_class: "NewConfig"
               task: ["text-generation"] }
)";

class SpecialFilesReloadTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / absl::StrCat("tasks-special-files-test-", getpid());
    fs::create_directories(dir_);
    std::ofstream(dir_ / "10-mine.txtpb") << kMineRegistry;
  }
  void TearDown() override { fs::remove_all(dir_); }

  // Runs `load` with a bound: if it is stuck on the FIFO, a writer is let in (and gone at once)
  // so that it can end, and the test fails instead of hanging.
  template <typename Load>
  auto Bounded(Load load) {
    auto result = std::async(std::launch::async, load);
    if (result.wait_for(std::chrono::seconds(10)) != std::future_status::ready) {
      ADD_FAILURE() << "the load is stuck on the FIFO";
      while (result.wait_for(std::chrono::milliseconds(100)) != std::future_status::ready) {
        close(open(fifo().c_str(), O_WRONLY | O_NONBLOCK));
      }
    }
    return result.get();
  }

  fs::path fifo() const { return dir_ / "20-pipe.txtpb"; }
  fs::path dir_;
};

TEST_F(SpecialFilesReloadTest, FifoFolderAndSymlinkToAFifoAreSkippedAndReported) {
  ASSERT_EQ(mkfifo(fifo().c_str(), 0600), 0);
  fs::create_directory(dir_ / "30-folder.txtpb");
  fs::create_symlink(fifo(), dir_ / "40-link.txtpb");

  auto sources = Bounded([&] { return registry::CollectRegistrySources({dir_.string()}); });
  ASSERT_TRUE(sources.ok()) << sources.status();
  EXPECT_EQ(sources->exporter_files.back().name, (dir_ / "10-mine.txtpb").string());
  EXPECT_THAT(sources->skipped,
              ElementsAre(fifo().string() + ": skipped, not a regular file",
                          (dir_ / "30-folder.txtpb").string() + ": skipped, not a regular file",
                          (dir_ / "40-link.txtpb").string() + ": skipped, not a regular file"));
}

TEST_F(SpecialFilesReloadTest, AReloadWithAFifoInTheDirEndsAndSucceeds) {
  ServerOptions options;
  options.listen_address = "127.0.0.1:0";
  options.registry_dirs = {dir_.string()};
  auto server = TasksServer::Start(options, testing::SharedEmbeddedGenerations(), nullptr);
  ASSERT_TRUE(server.ok()) << server.status();

  ASSERT_EQ(mkfifo(fifo().c_str(), 0600), 0);
  const absl::Status reload = Bounded([&] { return (*server)->ReloadRegistry(); });
  EXPECT_TRUE(reload.ok()) << reload;

  (*server)->Shutdown(std::chrono::system_clock::now());
  (*server)->Wait();
}

}  // namespace
}  // namespace tasks::service
