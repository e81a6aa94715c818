// Request validation and normalisation: what a caller's model, revision, subfolder, model type
// and task strings become. One input is tried as each of them.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "fuzz/check.h"
#include "server/inference/model_source.h"
#include "server/registry/registry_loader.h"
#include "server/registry/tasks_manager.h"

namespace {

namespace fs = std::filesystem;
using tasks::inference::ValidateRepoId;
using tasks::inference::ValidateRevision;
using tasks::inference::ValidateSubfolder;

// Revisions and subfolders are joined to folders of the Hugging Face cache: a valid one must
// stay below the folder it is joined to.
bool StaysBelow(absl::string_view relative) {
  const fs::path base = "/base";
  const std::string joined = (base / std::string(relative)).lexically_normal().string();
  return absl::StartsWith(joined, "/base/") || joined == "/base";
}

void CheckRepoId(const std::string& input) {
  if (!ValidateRepoId(input).ok()) return;
  FUZZ_CHECK(!input.empty() && input.size() <= 96, input);
  FUZZ_CHECK(!absl::StrContains(input, "..") && !absl::StartsWith(input, "/"), input);
  FUZZ_CHECK(!absl::StartsWith(input, ".") && !absl::StrContains(input, "//"), input);
  FUZZ_CHECK(StaysBelow(input), input);
  // The Hugging Face cache folder name spells '/' as "--": a valid id must map back to itself.
  const std::string folder = absl::StrReplaceAll(input, {{"/", "--"}});
  FUZZ_CHECK(absl::StrReplaceAll(folder, {{"--", "/"}}) == input, input);
}

void CheckRevision(const std::string& input) {
  if (input.empty() || !ValidateRevision(input).ok()) return;
  FUZZ_CHECK(!absl::StrContains(input, ".."), input);
  FUZZ_CHECK(StaysBelow(input), input);
}

void CheckSubfolder(const std::string& input) {
  if (!ValidateSubfolder(input).ok()) return;
  FUZZ_CHECK(!absl::StrContains(input, "\\"), input);
  FUZZ_CHECK(StaysBelow(input), input);
}

const tasks::registry::TasksManager& Manager();

// The embedded generation (1.23) lower-cases model types and spells '_' as '-'.
void CheckModelType(const std::string& input) {
  const tasks::registry::RegistrySnapshot& snapshot = Manager().snapshot();
  const std::string normal = snapshot.NormalizeModelType(input);
  FUZZ_CHECK(normal.size() == input.size(), input);
  FUZZ_CHECK(!absl::StrContains(normal, "_"), input);
  FUZZ_CHECK(normal == absl::AsciiStrToLower(normal), input);
  FUZZ_CHECK(snapshot.NormalizeModelType(normal) == normal, input);
}

const tasks::registry::TasksManager& Manager() {
  static const auto* manager = [] {
    auto sources = tasks::registry::CollectRegistrySources({});
    auto loaded = tasks::registry::LoadRegistry(*sources);
    return new tasks::registry::TasksManager(loaded->snapshot);
  }();
  return *manager;
}

void CheckTask(const std::string& input) {
  const tasks::registry::TasksManager& manager = Manager();
  const std::string task(manager.MapFromSynonym(input));
  // Synonyms name canonical tasks, so one step is enough (Optimum maps once).
  FUZZ_CHECK(manager.MapFromSynonym(task) == task, input);
  const tasks::registry::SynonymAnswer answer = manager.DescribeTask(input);
  FUZZ_CHECK(answer.task == task, input);
  FUZZ_CHECK(answer.is_synonym == (task != input), input);
  FUZZ_CHECK(std::is_sorted(answer.synonyms_for_task.begin(), answer.synonyms_for_task.end()),
             input);
  for (const std::string& synonym : answer.synonyms_for_task) {
    FUZZ_CHECK(synonym != input && manager.MapFromSynonym(synonym) == task, input);
  }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  Manager();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string input(reinterpret_cast<const char*>(data), size);
  CheckRepoId(input);
  CheckRevision(input);
  CheckSubfolder(input);
  CheckModelType(input);
  CheckTask(input);
  return 0;
}
