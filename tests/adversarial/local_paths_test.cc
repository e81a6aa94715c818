// A hostile writer inside a model root (review items 1 and 2): a file swapped for a symlink while
// calls read it, and symlinks that lead out of the root used to probe what exists outside.
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <thread>

#include "absl/strings/str_replace.h"
#include "gtest/gtest.h"
#include "server/inference/model_source.h"

namespace tasks::inference {
namespace {

namespace fs = std::filesystem;

void Write(const fs::path& path, const std::string& contents) {
  fs::create_directories(path.parent_path());
  std::ofstream(path) << contents;
}

class LocalPathsTest : public ::testing::TestWithParam<BeneathResolution> {
 protected:
  LocalPathsTest()
      : base_(fs::path(::testing::TempDir()) /
              ("local_paths_test_" + std::to_string(getpid()) + "_" +
               std::to_string(static_cast<int>(GetParam())))) {
    fs::remove_all(base_);
    root_ = base_ / "models";
    Write(root_ / "bert" / "config.json", R"({"model_type": "bert"})");
    Write(base_ / "outside" / "config.json", R"({"model_type": "secret-from-outside"})");
    fs::create_directories(base_ / "outside" / "ssl");
    fs::create_directory_symlink(base_ / "outside", root_ / "link");
    fs::create_directory_symlink(base_ / "outside", root_ / "bert" / "link");
  }
  ~LocalPathsTest() override { fs::remove_all(base_); }

  ModelLocator Locator() {
    ModelLocatorOptions options;
    options.model_roots = {root_.string()};
    options.local_files = &SystemFiles(GetParam());
    return ModelLocator(options, /*cache=*/nullptr);
  }

  absl::Status OpenStatus(const ModelLocator& locator, const std::string& model,
                          const std::string& subfolder = "") {
    return locator.Open({model, subfolder, ""}, {}, absl::Now() + absl::Seconds(5)).status();
  }

  fs::path base_, root_;
};

// Item 1: config.json flips between a regular file and a symlink to a file outside the root
// while calls open and read it. A check of the name followed by an open of the name again reads
// the outside file in some calls; reads from the checked descriptor never do.
TEST_P(LocalPathsTest, AFileSwappedForASymlinkIsNeverReadFromOutside) {
  const fs::path racy = root_ / "racy";
  const fs::path stage = root_ / "stage";  // same file system: rename(2) swaps atomically
  Write(racy / "config.json", R"({"model_type": "bert"})");
  fs::create_directories(stage);
  std::atomic<bool> stop{false};
  std::thread swapper([&] {
    while (!stop.load()) {
      fs::create_symlink(base_ / "outside" / "config.json", stage / "link");
      fs::rename(stage / "link", racy / "config.json");
      Write(stage / "file", R"({"model_type": "bert"})");
      fs::rename(stage / "file", racy / "config.json");
    }
  });
  ModelLocator locator = Locator();
  int reads = 0, leaks = 0;
  for (int call = 0; call < 5000 && leaks == 0; ++call) {
    auto files = locator.Open({racy.string(), "", ""}, {}, absl::Now() + absl::Seconds(5));
    ASSERT_TRUE(files.ok()) << files.status();
    auto config = (*files)->ReadJson("config.json");
    if (config.ok()) {
      ++reads;
      leaks += (**config).dump().find("secret") != std::string::npos;
    } else {
      leaks += config.status().ToString().find("secret") != std::string::npos;
    }
  }
  stop = true;
  swapper.join();
  EXPECT_EQ(leaks, 0);
  EXPECT_GT(reads, 0);  // the race was run: some calls read the file inside
}

// Item 2: what a symlink out of the root leads to gets one answer, whether it exists or not,
// however it is named: by path, by a name under the root, through `subfolder`, or with a last
// component too long for the OS (a subfolder that long is refused for its length alone).
TEST_P(LocalPathsTest, WhatLiesOutsideLooksTheSameWhetherItExistsOrNot) {
  ModelLocator locator = Locator();
  const std::string long_name(300, 'a');
  struct Probe {
    std::string exists, missing, subfolder_exists, subfolder_missing;
  };
  for (const Probe& probe : {
           Probe{(root_ / "link" / "ssl").string(), (root_ / "link" / "missing").string(), "", ""},
           Probe{"link/ssl", "link/missing", "", ""},
           Probe{(root_ / "link" / "ssl").string(), (root_ / "link" / long_name).string(), "", ""},
           Probe{(root_ / "bert").string(), (root_ / "bert").string(), "link/ssl", "link/missing"},
       }) {
    const absl::Status exists = OpenStatus(locator, probe.exists, probe.subfolder_exists);
    const absl::Status missing = OpenStatus(locator, probe.missing, probe.subfolder_missing);
    SCOPED_TRACE(probe.missing + " " + probe.subfolder_missing);
    EXPECT_EQ(exists.code(), absl::StatusCode::kPermissionDenied) << exists;
    EXPECT_EQ(missing.code(), exists.code()) << missing;
    EXPECT_EQ(absl::StrReplaceAll(missing.message(), {{probe.missing, probe.exists}}),
              exists.message());
  }
}

INSTANTIATE_TEST_SUITE_P(Resolutions, LocalPathsTest,
                         ::testing::Values(BeneathResolution::kKernelIfAvailable,
                                           BeneathResolution::kComponentByComponent),
                         [](const auto& info) {
                           return info.param == BeneathResolution::kKernelIfAvailable
                                      ? std::string("Kernel")
                                      : std::string("ComponentByComponent");
                         });

}  // namespace
}  // namespace tasks::inference
