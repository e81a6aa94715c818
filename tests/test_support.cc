#include "tests/test_support.h"

#include <fstream>
#include <map>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <string_view>

#include "server/common/errors.h"

namespace tasks::testing {

namespace {

struct Embedded {
  std::string folder;  // under data/: "registry", "registry-2.1", ...
  std::shared_ptr<const registry::TasksManager> manager;
};

std::shared_ptr<const registry::TasksManager> LoadEmbedded(absl::string_view folder) {
  absl::StatusOr<registry::RegistrySources> sources = registry::CollectRegistrySources({}, folder);
  if (!sources.ok()) throw std::runtime_error(std::string(sources.status().message()));
  absl::StatusOr<registry::LoadedRegistry> loaded = registry::LoadRegistry(*sources);
  if (!loaded.ok()) throw std::runtime_error(std::string(loaded.status().message()));
  return std::make_shared<const registry::TasksManager>(loaded->snapshot);
}

// Every embedded generation, loaded once, in embedding order (oldest first).
const std::vector<Embedded>& AllEmbedded() {
  static const auto* const all = [] {
    auto* embedded = new std::vector<Embedded>;
    for (const std::string& folder : registry::EmbeddedGenerationFolders()) {
      embedded->push_back({folder, LoadEmbedded(folder)});
    }
    return embedded;
  }();
  return *all;
}

const Embedded& FindEmbedded(const std::string& generation) {
  for (const Embedded& embedded : AllEmbedded()) {
    if (embedded.manager->snapshot().generation == generation) return embedded;
  }
  throw std::runtime_error("no embedded generation " + generation);
}

std::string GenerationReferencePath(const std::string& generation,
                                    const std::string& relative_path) {
  std::string folder = FindEmbedded(generation).folder;
  folder.replace(0, std::string_view("registry").size(), "reference");
  return std::string(TASKS_TEST_REFERENCE_DIR "/../") + folder + "/" + relative_path;
}

}  // namespace

std::shared_ptr<const registry::TasksManager> SharedEmbeddedTasksManager() {
  for (const Embedded& embedded : AllEmbedded()) {
    if (embedded.folder == registry::kFirstGenerationFolder) return embedded.manager;
  }
  throw std::runtime_error("the first generation is not embedded");
}

std::shared_ptr<const registry::Generations> SharedEmbeddedGenerations() {
  static const auto* const generations = [] {
    std::vector<std::shared_ptr<const registry::TasksManager>> managers;
    for (const Embedded& embedded : AllEmbedded()) managers.push_back(embedded.manager);
    absl::StatusOr<std::shared_ptr<const registry::Generations>> created =
        registry::Generations::Create(std::move(managers), "1.23");
    if (!created.ok()) throw std::runtime_error(std::string(created.status().message()));
    return new std::shared_ptr<const registry::Generations>(*std::move(created));
  }();
  return *generations;
}

std::vector<std::string> EmbeddedGenerationNames() {
  std::vector<std::string> names;
  for (const Embedded& embedded : AllEmbedded()) {
    names.push_back(embedded.manager->snapshot().generation);
  }
  return names;
}

const registry::TasksManager& EmbeddedGeneration(const std::string& generation) {
  return *FindEmbedded(generation).manager;
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
  return GenerationReference(SharedEmbeddedTasksManager()->snapshot().generation, relative_path);
}

const nlohmann::ordered_json& GenerationReference(const std::string& generation,
                                                  const std::string& relative_path) {
  static std::mutex mutex;
  static std::map<std::string, nlohmann::ordered_json> cache;
  const std::string path = GenerationReferencePath(generation, relative_path);
  std::lock_guard<std::mutex> lock(mutex);
  auto it = cache.find(path);
  if (it == cache.end()) {
    it = cache.emplace(path, nlohmann::ordered_json::parse(ReadTestFile(path))).first;
  }
  return it->second;
}

bool GenerationReferenceExists(const std::string& generation, const std::string& relative_path) {
  return std::ifstream(GenerationReferencePath(generation, relative_path)).good();
}

std::string Reason(const absl::Status& status) {
  auto info = GetErrorInfo(status);
  return info ? info->reason() : "";
}

}  // namespace tasks::testing
