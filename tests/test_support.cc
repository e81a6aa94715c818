#include "tests/test_support.h"

#include <fstream>
#include <map>
#include <mutex>
#include <sstream>
#include <stdexcept>

#include "server/common/errors.h"

namespace tasks::testing {

namespace {

std::shared_ptr<const registry::TasksManager> LoadEmbedded(absl::string_view folder) {
  absl::StatusOr<registry::RegistrySources> sources = registry::CollectRegistrySources({}, folder);
  if (!sources.ok()) throw std::runtime_error(std::string(sources.status().message()));
  absl::StatusOr<registry::LoadedRegistry> loaded = registry::LoadRegistry(*sources);
  if (!loaded.ok()) throw std::runtime_error(std::string(loaded.status().message()));
  return std::make_shared<const registry::TasksManager>(loaded->snapshot);
}

}  // namespace

std::shared_ptr<const registry::TasksManager> SharedEmbeddedTasksManager() {
  static const auto* const manager = new std::shared_ptr<const registry::TasksManager>(
      LoadEmbedded(registry::kFirstGenerationFolder));
  return *manager;
}

std::shared_ptr<const registry::Generations> SharedEmbeddedGenerations() {
  static const auto* const generations = [] {
    std::vector<std::shared_ptr<const registry::TasksManager>> managers;
    for (const std::string& folder : registry::EmbeddedGenerationFolders()) {
      managers.push_back(folder == registry::kFirstGenerationFolder ? SharedEmbeddedTasksManager()
                                                                    : LoadEmbedded(folder));
    }
    absl::StatusOr<std::shared_ptr<const registry::Generations>> created =
        registry::Generations::Create(std::move(managers), "1.23");
    if (!created.ok()) throw std::runtime_error(std::string(created.status().message()));
    return new std::shared_ptr<const registry::Generations>(*std::move(created));
  }();
  return *generations;
}

const registry::TasksManager& EmbeddedTasksManager() { return *SharedEmbeddedTasksManager(); }

std::string ReadTestFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot read " + path);
  std::ostringstream contents;
  contents << in.rdbuf();
  return contents.str();
}

const nlohmann::ordered_json& Reference(const std::string& relative_path) {
  static std::mutex mutex;
  static std::map<std::string, nlohmann::ordered_json> cache;
  std::lock_guard<std::mutex> lock(mutex);
  auto it = cache.find(relative_path);
  if (it == cache.end()) {
    it = cache
             .emplace(relative_path,
                      nlohmann::ordered_json::parse(
                          ReadTestFile(std::string(TASKS_TEST_REFERENCE_DIR "/") + relative_path)))
             .first;
  }
  return it->second;
}

std::string Reason(const absl::Status& status) {
  auto info = GetErrorInfo(status);
  return info ? info->reason() : "";
}

}  // namespace tasks::testing
