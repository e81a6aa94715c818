// ModelLocator: local folders confined to the model roots, the Hugging Face cache folder, and the
// Hub through the cache (over an in-memory Hub).
#include "server/inference/model_source.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/hub/in_memory_hub_client.h"
#include "tests/test_support.h"

namespace tasks::inference {
namespace {

namespace fs = std::filesystem;
using ::tasks::testing::InMemoryHubClient;
using ::tasks::testing::Reason;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

void Write(const fs::path& path, const std::string& contents) {
  fs::create_directories(path.parent_path());
  std::ofstream(path) << contents;
}

class ModelSourceTest : public ::testing::Test {
 protected:
  // A folder of its own: ctest runs test cases as parallel processes.
  ModelSourceTest()
      : base_(fs::path(::testing::TempDir()) /
              ("model_source_test_" + std::to_string(getpid()) + "_" +
               ::testing::UnitTest::GetInstance()->current_test_info()->name())) {
    fs::remove_all(base_);
    root_ = base_ / "models";
    Write(root_ / "bert" / "config.json", R"({"model_type": "bert"})");
    Write(root_ / "bert" / "model.safetensors", "");
    Write(base_ / "outside" / "config.json", R"({"secret": true})");
    fs::create_directory_symlink(base_ / "outside", root_ / "escape");
    fs::create_symlink(base_ / "outside" / "config.json", root_ / "bert" / "linked.json");
    const std::string sha = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    Write(base_ / "hf" / "models--org--cached" / "refs" / "main", sha);
    Write(base_ / "hf" / "models--org--cached" / "snapshots" / sha / "config.json", "{}");

    hub::ModelInfo info;
    info.id = "org/pipeline";
    info.sha = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
    info.siblings = {"model_index.json", "unet/config.json", "unet_lora/x.safetensors"};
    hub_.AddRepo({info, {{"unet/config.json", R"({"_class_name": "UNet2DConditionModel"})"}}, ""});
  }

  ~ModelSourceTest() override { fs::remove_all(base_); }

  ModelLocator Locator(bool with_root = true, bool offline = false) {
    ModelLocatorOptions options;
    if (with_root) options.model_roots = {root_.string()};
    options.hf_cache_dir = (base_ / "hf").string();
    options.offline = offline;
    return ModelLocator(options, offline ? nullptr : &cache_);
  }

  absl::StatusOr<std::unique_ptr<ModelFiles>> Open(const ModelLocator& locator,
                                                   const std::string& model,
                                                   const std::string& subfolder = "") {
    return locator.Open({model, subfolder, ""}, {}, absl::Now() + absl::Seconds(5));
  }

  fs::path base_, root_;
  InMemoryHubClient hub_;
  hub::HubCache cache_{&hub_, {}};
};

TEST_F(ModelSourceTest, ReadsFoldersUnderARoot) {
  ModelLocator locator = Locator();
  auto files = Open(locator, (root_ / "bert").string());
  ASSERT_TRUE(files.ok()) << files.status();
  EXPECT_EQ((*files)->source(), ModelSource::kLocal);
  EXPECT_THAT((*files)->files(), ElementsAre("config.json", "linked.json", "model.safetensors"));
  auto config = (*files)->ReadJson("config.json");
  ASSERT_TRUE(config.ok());
  EXPECT_EQ((**config)["model_type"], "bert");
  // A name that exists under a root shadows the Hub repo of the same name.
  auto by_name = Open(locator, "bert");
  ASSERT_TRUE(by_name.ok()) << by_name.status();
  EXPECT_EQ((*by_name)->source(), ModelSource::kLocal);
  EXPECT_EQ(hub_.calls(), 0);
}

TEST_F(ModelSourceTest, AnOpeningReadsEachFileOnce) {
  ModelLocator locator = Locator();
  auto local = Open(locator, (root_ / "bert").string());
  ASSERT_TRUE(local.ok()) << local.status();
  auto first = (*local)->ReadJson("config.json");
  ASSERT_TRUE(first.ok()) << first.status();
  // Rewritten meanwhile: the call still sees the one version it read.
  Write(root_ / "bert" / "config.json", R"({"model_type": "roberta"})");
  auto again = (*local)->ReadJson("config.json");
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->get(), first->get());
  EXPECT_EQ((**again)["model_type"], "bert");
  EXPECT_EQ((*local)->ReadJson("absent.json").status().code(), absl::StatusCode::kNotFound);

  auto hub = Open(locator, "org/pipeline", "unet");
  ASSERT_TRUE(hub.ok()) << hub.status();
  ASSERT_TRUE((*hub)->ReadJson("config.json").ok());
  const int64_t hits = cache_.Stats().hits;
  ASSERT_TRUE((*hub)->ReadJson("config.json").ok());
  EXPECT_EQ(cache_.Stats().hits, hits);  // not even a cache lookup
}

TEST_F(ModelSourceTest, PathsOutsideTheRootsAreDeniedWithoutSayingIfTheyExist) {
  ModelLocator locator = Locator();
  auto existing = Open(locator, (base_ / "outside").string());
  auto missing = Open(locator, "/nonexistent/model");
  auto dotdot = Open(locator, (root_ / ".." / "outside").string());
  auto relative = Open(locator, "../outside");
  for (const auto* answer : {&existing, &missing, &dotdot, &relative}) {
    EXPECT_EQ(answer->status().code(), absl::StatusCode::kPermissionDenied);
  }
  EXPECT_EQ(existing.status().message(),
            absl::StrReplaceAll(missing.status().message(),
                                {{"/nonexistent/model", (base_ / "outside").string()}}));
}

TEST_F(ModelSourceTest, SymlinksLeavingTheRootAreDenied) {
  ModelLocator locator = Locator();
  EXPECT_EQ(Open(locator, (root_ / "escape").string()).status().code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(Open(locator, "escape").status().code(), absl::StatusCode::kPermissionDenied);
  // A symlinked file is listed, but never read from outside the root.
  auto files = Open(locator, (root_ / "bert").string());
  ASSERT_TRUE(files.ok());
  EXPECT_EQ((*files)->ReadJson("linked.json").status().code(), absl::StatusCode::kPermissionDenied);
}

// The OS stops reading a path at NUL, so "<root>/b\0/../.." is "<root>/b" to it but "<root>" after
// lexical normalisation: refused before any check, so a checked path is the path opened (the
// model_path_fuzzer found it listing the folder above the root).
TEST_F(ModelSourceTest, ControlCharactersInAPathAreRefused) {
  ModelLocator locator = Locator();
  const std::string with_nul = (root_ / "b").string() + std::string("\0s/../..\0c/.", 12);
  auto answer = Open(locator, with_nul);
  EXPECT_EQ(answer.status().code(), absl::StatusCode::kInvalidArgument) << answer.status();
  EXPECT_THAT(answer.status().message(), HasSubstr("control character"));
  EXPECT_EQ(Open(locator, (root_ / "bert").string() + "\n").status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(ModelSourceTest, WithoutRootsLocalPathsAreRefused) {
  EXPECT_EQ(Open(Locator(/*with_root=*/false), (root_ / "bert").string()).status().code(),
            absl::StatusCode::kPermissionDenied);
}

TEST_F(ModelSourceTest, BadNamesAreInvalidArguments) {
  ModelLocator locator = Locator();
  EXPECT_EQ(Reason(Open(locator, "").status()), "TypeError");
  for (const std::string& name :
       std::vector<std::string>{"a/b/c", "bad name", "org/-x", "x--y", std::string(97, 'a')}) {
    EXPECT_EQ(Open(locator, name).status().code(), absl::StatusCode::kInvalidArgument) << name;
  }
  EXPECT_EQ(Open(locator, "org/pipeline", "../x").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(locator.Open({"org/pipeline", "", "a..b"}, {}, absl::Now()).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(ModelSourceTest, HubSubfolderFiltersByPathComponent) {
  ModelLocator locator = Locator();
  auto unet = Open(locator, "org/pipeline", "unet");
  ASSERT_TRUE(unet.ok()) << unet.status();
  EXPECT_EQ((*unet)->source(), ModelSource::kHub);
  EXPECT_EQ((*unet)->commit_sha(), "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb");
  EXPECT_THAT((*unet)->files(), ElementsAre("config.json"));  // not unet_lora/x.safetensors
  auto config = (*unet)->ReadJson("config.json");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ((**config)["_class_name"], "UNet2DConditionModel");
}

TEST_F(ModelSourceTest, WithoutSiblingsTheTreeListingDecides) {
  hub::ModelInfo info;
  info.id = "org/no-siblings";
  info.sha = "cccccccccccccccccccccccccccccccccccccccc";
  hub_.AddRepo({info, {{"config.json", "{}"}, {"model.safetensors", ""}}, ""});
  ModelLocator locator = Locator();
  auto files = Open(locator, "org/no-siblings");
  ASSERT_TRUE(files.ok()) << files.status();
  EXPECT_THAT((*files)->files(), ElementsAre("config.json", "model.safetensors"));
  EXPECT_EQ(hub_.calls(), 2);  // model info, then the listing
}

TEST_F(ModelSourceTest, OfflineReadsTheHfCacheFolderOnly) {
  ModelLocator locator = Locator(true, /*offline=*/true);
  auto cached = Open(locator, "org/cached");
  ASSERT_TRUE(cached.ok()) << cached.status();
  EXPECT_EQ((*cached)->source(), ModelSource::kHfCacheDir);
  EXPECT_EQ((*cached)->commit_sha(), "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
  auto missing = Open(locator, "org/pipeline");
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(missing.status().message(), HasSubstr("models--org--pipeline/refs/main"));
  EXPECT_EQ(hub_.calls(), 0);
}

// Found by fuzz/request_fuzzer: "/x" passed as a revision, and refs/ joined with it is "/x".
TEST_F(ModelSourceTest, RevisionIsNeverAnAbsolutePathIntoTheFilesystem) {
  EXPECT_EQ(ValidateRevision("/models/my-bert").code(), absl::StatusCode::kInvalidArgument);
  const fs::path outside_ref = base_ / "outside" / "ref";
  Write(outside_ref, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
  ModelLocator locator = Locator(true, /*offline=*/true);
  EXPECT_EQ(locator.Open({"org/cached", "", outside_ref.string()}, {}, absl::Now()).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(ValidateRevision("refs/pr/1").ok());
}

// Found by fuzz/model_path_fuzzer: a symlinked snapshot subfolder was listed wherever it led.
TEST_F(ModelSourceTest, HfCacheSubfolderLeadingOutOfTheCacheIsDenied) {
  fs::create_directory_symlink(base_ / "outside",
                               base_ / "hf" / "models--org--cached" / "snapshots" /
                                   "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" / "escape");
  ModelLocator locator = Locator(true, /*offline=*/true);
  EXPECT_EQ(Open(locator, "org/cached", "escape").status().code(),
            absl::StatusCode::kPermissionDenied);
}

TEST_F(ModelSourceTest, UnreachableHubFallsBackToTheHfCacheFolder) {
  ModelLocator locator = Locator();
  hub_.FailWith(absl::UnavailableError("connection refused"));
  auto cached = Open(locator, "org/cached");
  ASSERT_TRUE(cached.ok()) << cached.status();
  EXPECT_EQ((*cached)->source(), ModelSource::kHfCacheDir);
  EXPECT_EQ(Open(locator, "org/other").status().code(), absl::StatusCode::kUnavailable);
}

// Local files in memory: what a test hands ModelLocator through its LocalFiles seam. Files are
// keyed by their path under the root; folders are the prefixes of those paths.
class MemoryFiles final : public LocalFiles {
 public:
  explicit MemoryFiles(std::map<std::string, absl::StatusOr<std::string>> files)
      : files_(std::move(files)) {}

  absl::StatusOr<std::unique_ptr<FileTree>> OpenTree(const std::string& root) const override {
    if (root != "/models") return absl::NotFoundError("no such folder");
    return std::make_unique<Tree>(files_);
  }

 private:
  class Tree final : public FileTree {
   public:
    explicit Tree(const std::map<std::string, absl::StatusOr<std::string>>& files)
        : files_(files) {}
    absl::StatusOr<Kind> KindOf(absl::string_view path) const override {
      if (files_.count(std::string(path)) > 0) return Kind::kFile;
      if (!ListFiles(path, 1).empty()) return Kind::kFolder;
      return absl::NotFoundError("not here");
    }
    std::vector<std::string> ListFiles(absl::string_view path, size_t max_files) const override {
      const std::string prefix = path.empty() ? "" : absl::StrCat(path, "/");
      std::vector<std::string> files;
      for (const auto& [name, contents] : files_) {
        if (absl::StartsWith(name, prefix) && files.size() < max_files) {
          files.push_back(name.substr(prefix.size()));
        }
      }
      return files;
    }
    absl::StatusOr<std::string> ReadFile(absl::string_view path, size_t) const override {
      auto it = files_.find(std::string(path));
      if (it == files_.end()) return absl::NotFoundError("not here");
      return it->second;
    }

   private:
    const std::map<std::string, absl::StatusOr<std::string>>& files_;
  };

  const std::map<std::string, absl::StatusOr<std::string>> files_;
};

TEST_F(ModelSourceTest, LocalFilesComeThroughItsLocalFiles) {
  const MemoryFiles files({{"bert/config.json", std::string(R"({"model_type": "bert"})")},
                           {"bert/broken.json", absl::DataLossError("disk gone")}});
  ModelLocatorOptions options;
  options.model_roots = {"/models"};
  options.local_files = &files;
  const ModelLocator locator(options, /*cache=*/nullptr);
  auto opened = Open(locator, "/models/bert");
  ASSERT_TRUE(opened.ok()) << opened.status();
  EXPECT_EQ((*opened)->source(), ModelSource::kLocal);
  EXPECT_THAT((*opened)->files(), ElementsAre("broken.json", "config.json"));
  auto config = (*opened)->ReadJson("config.json");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ((**config)["model_type"], "bert");
  auto broken = (*opened)->ReadJson("broken.json");
  EXPECT_EQ(broken.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(broken.status().message(), HasSubstr("disk gone"));
  // A name under the root shadows the Hub, as on disk.
  EXPECT_TRUE(Open(locator, "bert").ok());
}

}  // namespace
}  // namespace tasks::inference
