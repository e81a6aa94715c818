// Local path confinement: whatever model, subfolder and revision a caller sends, ModelLocator
// opens only folders under its model root or in its Hugging Face cache folder, and reads no file
// that resolves outside them.
//
// Input: "<model>\n<subfolder>\n<revision>"; "@TMP@" in the model or revision stands for the
// folder holding the tree below, so that absolute paths can reach it.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "fuzz/check.h"
#include "server/inference/model_source.h"

namespace {

namespace fs = std::filesystem;

constexpr char kCachedSha[] = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
// A snapshot only a ref outside the cache folder names.
constexpr char kHiddenSha[] = "cccccccccccccccccccccccccccccccccccccccc";

fs::path& Base() {
  static fs::path base;
  return base;
}

void Write(const fs::path& path, const std::string& contents) {
  fs::create_directories(path.parent_path());
  std::ofstream(path) << contents;
}

// models/ is the model root and hf/ the cache folder; everything under outside/ and modelsx/
// (a sibling whose name starts like the root's) holds a secret no answer may show.
void MakeTree(const fs::path& base) {
  fs::remove_all(base);
  const fs::path root = base / "models";
  Write(root / "bert" / "config.json", R"({"model_type": "bert"})");
  Write(root / "bert" / "unet" / "config.json", R"({"_class_name": "UNet2DConditionModel"})");
  Write(base / "outside" / "secret.json", R"({"secret": true})");
  Write(base / "outside" / "config.json", R"({"secret": true})");
  Write(base / "outside" / "ref", kHiddenSha);
  Write(base / "modelsx" / "secret.json", R"({"secret": true})");
  fs::create_symlink(base / "outside" / "secret.json", root / "bert" / "linked.json");
  fs::create_directory_symlink(base / "outside", root / "escape");
  fs::create_directory_symlink(root / "loop", root / "loop");
  const fs::path repo = base / "hf" / "models--org--cached";
  Write(repo / "refs" / "main", kCachedSha);
  Write(repo / "snapshots" / kCachedSha / "config.json", R"({"model_type": "gpt2"})");
  Write(repo / "snapshots" / kHiddenSha / "config.json", R"({"model_type": "gpt2"})");
  fs::create_directory_symlink(base / "outside", repo / "snapshots" / kCachedSha / "escape");
}

// One locator per way of resolving paths beneath a root: the kernel's and the step-by-step walk
// must both keep every input inside.
const tasks::inference::ModelLocator& Locator(tasks::BeneathResolution resolution) {
  static const auto make = [](tasks::BeneathResolution resolution) {
    tasks::inference::ModelLocatorOptions options;
    options.model_roots = {(Base() / "models").string()};
    options.hf_cache_dir = (Base() / "hf").string();
    options.offline = true;
    options.local_files = &tasks::SystemFiles(resolution);
    return new tasks::inference::ModelLocator(options, /*cache=*/nullptr);
  };
  static const auto* kernel = make(tasks::BeneathResolution::kKernelIfAvailable);
  static const auto* step_by_step = make(tasks::BeneathResolution::kComponentByComponent);
  return resolution == tasks::BeneathResolution::kKernelIfAvailable ? *kernel : *step_by_step;
}

void CheckOpened(tasks::inference::ModelFiles& files, absl::string_view input) {
  FUZZ_CHECK(files.is_local() || files.source() == tasks::inference::ModelSource::kHfCacheDir,
             input);
  FUZZ_CHECK(files.commit_sha() != kHiddenSha, input);
  for (const std::string& file : files.files()) {
    FUZZ_CHECK(fs::path(file).filename() != "secret.json", input);
    const absl::StatusOr<tasks::inference::JsonFile> json = files.ReadJson(file);
    FUZZ_CHECK(!json.ok() || !(*json)->contains("secret"), input);
  }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  Base() = fs::temp_directory_path() / ("model_path_fuzzer_" + std::to_string(getpid()));
  MakeTree(Base());
  Locator(tasks::BeneathResolution::kKernelIfAvailable);
  Locator(tasks::BeneathResolution::kComponentByComponent);
  std::atexit([] { fs::remove_all(Base()); });
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view input(reinterpret_cast<const char*>(data), size);
  const std::vector<std::string> fields = absl::StrSplit(input, absl::MaxSplits('\n', 2));
  auto field = [&](size_t i) {
    return i < fields.size() ? absl::StrReplaceAll(fields[i], {{"@TMP@", Base().string()}}) : "";
  };
  const tasks::inference::ModelRef ref{field(0), field(1), field(2)};
  for (const auto resolution : {tasks::BeneathResolution::kKernelIfAvailable,
                                tasks::BeneathResolution::kComponentByComponent}) {
    absl::StatusOr<std::unique_ptr<tasks::inference::ModelFiles>> files =
        Locator(resolution).Open(ref, tasks::hub::Credentials{}, absl::InfiniteFuture());
    if (files.ok()) CheckOpened(**files, input);
  }
  return 0;
}
