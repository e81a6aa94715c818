// LocalFiles: reads beneath a folder, never led out of it, with the kernel's openat2 and with
// the component-by-component walk alike.
#include "server/common/local_files.h"

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace tasks {
namespace {

namespace fs = std::filesystem;
using ::testing::ElementsAre;

void Write(const fs::path& path, const std::string& contents) {
  fs::create_directories(path.parent_path());
  std::ofstream(path) << contents;
}

class LocalFilesTest : public ::testing::TestWithParam<BeneathResolution> {
 protected:
  // base/root is the tree; base/outside holds what no answer may show.
  LocalFilesTest()
      : base_(fs::path(::testing::TempDir()) /
              ("local_files_test_" + std::to_string(getpid()) + "_" +
               std::to_string(static_cast<int>(GetParam())))) {
    fs::remove_all(base_);
    root_ = base_ / "root";
    Write(root_ / "model" / "config.json", "{}");
    Write(root_ / "blobs" / "abc", "blob");
    Write(base_ / "outside" / "secret", "secret");
    // Inside: relative links, as a Hugging Face cache has them.
    fs::create_symlink("../blobs/abc", root_ / "model" / "weights");
    fs::create_directory_symlink("../model", root_ / "blobs" / "model_link");
    // Out: absolute, relative, through a folder, and to nothing.
    fs::create_symlink(base_ / "outside" / "secret", root_ / "model" / "absolute");
    fs::create_symlink("../../outside/secret", root_ / "model" / "relative");
    fs::create_symlink("../../outside/missing", root_ / "model" / "relative_missing");
    fs::create_directory_symlink(base_ / "outside", root_ / "escape");
    fs::create_symlink("nothing_here", root_ / "model" / "dangling");
  }
  ~LocalFilesTest() override { fs::remove_all(base_); }

  std::unique_ptr<FileTree> Tree() {
    absl::StatusOr<std::unique_ptr<FileTree>> tree = SystemFiles(GetParam()).OpenTree(root_);
    EXPECT_TRUE(tree.ok()) << tree.status();
    return tree.ok() ? *std::move(tree) : nullptr;
  }

  fs::path base_, root_;
};

TEST_P(LocalFilesTest, ReadsAndFollowsSymlinksThatStayInside) {
  std::unique_ptr<FileTree> tree = Tree();
  EXPECT_EQ(tree->ReadFile("model/config.json", 100).value_or("?"), "{}");
  EXPECT_EQ(tree->ReadFile("model/weights", 100).value_or("?"), "blob");
  EXPECT_EQ(tree->ReadFile("blobs/model_link/config.json", 100).value_or("?"), "{}");
  EXPECT_EQ(tree->ReadFile("model/../blobs/./abc", 100).value_or("?"), "blob");
  EXPECT_EQ(tree->KindOf("").value_or(FileTree::Kind::kOther), FileTree::Kind::kFolder);
  EXPECT_EQ(tree->KindOf("blobs/model_link").value_or(FileTree::Kind::kOther),
            FileTree::Kind::kFolder);
  EXPECT_EQ(tree->KindOf("model/weights").value_or(FileTree::Kind::kOther), FileTree::Kind::kFile);
}

TEST_P(LocalFilesTest, WhatLiesOutsideIsDeniedWhetherOrNotItExists) {
  std::unique_ptr<FileTree> tree = Tree();
  for (const char* path :
       {"model/absolute", "model/relative", "model/relative_missing", "escape/secret",
        "escape/missing", "../outside/secret", "../outside/missing", "model/../../outside/secret",
        "/etc/passwd", "escape"}) {
    EXPECT_TRUE(absl::IsPermissionDenied(tree->ReadFile(path, 100).status())) << path;
    EXPECT_TRUE(absl::IsPermissionDenied(tree->KindOf(path).status())) << path;
  }
  // Even a name the OS would refuse as too long: leaving comes first.
  EXPECT_TRUE(absl::IsPermissionDenied(tree->KindOf("escape/" + std::string(300, 'a')).status()));
}

TEST_P(LocalFilesTest, MissingNamesAreNotFound) {
  std::unique_ptr<FileTree> tree = Tree();
  for (const std::string& path :
       {std::string("model/absent.json"), std::string("model/dangling"),
        std::string("model/config.json/x"), std::string("model/") + std::string(300, 'a')}) {
    EXPECT_TRUE(absl::IsNotFound(tree->KindOf(path).status())) << path;
  }
  EXPECT_TRUE(absl::IsNotFound(SystemFiles(GetParam()).OpenTree(base_ / "absent").status()));
}

TEST_P(LocalFilesTest, ListsLikeOsWalkWithoutLookingOutside) {
  EXPECT_THAT(Tree()->ListFiles("model", 100),
              ElementsAre("absolute", "config.json", "relative", "relative_missing", "weights"));
  // Folders reached through symlinks are not descended; a symlink leading out is listed as a
  // file, whatever it leads to.
  EXPECT_THAT(Tree()->ListFiles("", 100),
              ElementsAre("blobs/abc", "escape", "model/absolute", "model/config.json",
                          "model/relative", "model/relative_missing", "model/weights"));
  EXPECT_EQ(Tree()->ListFiles("", 2).size(), 2);
  EXPECT_TRUE(Tree()->ListFiles("escape", 100).empty());
}

TEST_P(LocalFilesTest, RefusesWhatIsNotARegularFileOrTooLarge) {
  ASSERT_EQ(mkfifo((root_ / "model" / "fifo").c_str(), 0600), 0);
  std::unique_ptr<FileTree> tree = Tree();
  // Never waits for a writer.
  EXPECT_TRUE(absl::IsFailedPrecondition(tree->ReadFile("model/fifo", 100).status()));
  EXPECT_TRUE(absl::IsFailedPrecondition(tree->ReadFile("model", 100).status()));
  EXPECT_TRUE(absl::IsResourceExhausted(tree->ReadFile("blobs/abc", 3).status()));
  EXPECT_TRUE(absl::IsInvalidArgument(tree->ReadFile(std::string("model\0/x", 8), 100).status()));
}

INSTANTIATE_TEST_SUITE_P(Resolutions, LocalFilesTest,
                         ::testing::Values(BeneathResolution::kKernelIfAvailable,
                                           BeneathResolution::kComponentByComponent),
                         [](const auto& info) {
                           return info.param == BeneathResolution::kKernelIfAvailable
                                      ? std::string("Kernel")
                                      : std::string("ComponentByComponent");
                         });

}  // namespace
}  // namespace tasks
