// Generations: the Optimum generations the server answers for, side by side. Each generation is a
// TasksManager over its own snapshot (data/registry/ for 1.23, data/registry-1.27/ for 1.27, ...);
// a call picks one by the version its caller names, and calls that name none get the default.
//
// Versions a caller may name: a generation's name ("2.1"), a full Optimum version of it ("2.1.0",
// "2.1.0.dev0": the generation named by its major.minor), "latest" (the newest generation), or ""
// (the default). Anything else is refused with the shipped names, never mapped to the nearest one:
// answers of another generation would look right and be wrong.
//
// GenerationsHolder swaps the whole set at a registry reload. Both are thread-safe; a Generations
// object is immutable.
#ifndef TASKS_SERVER_REGISTRY_GENERATIONS_H_
#define TASKS_SERVER_REGISTRY_GENERATIONS_H_

#include <atomic>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "server/registry/registry_loader.h"
#include "server/registry/tasks_manager.h"

namespace tasks::registry {

// What `optimum-version` may say instead of a version: the newest generation.
inline constexpr absl::string_view kLatestGeneration = "latest";

class Generations {
 public:
  // `managers` in any order (kept oldest first). Fails when there is none, when two have the
  // same generation name, or when `default_version` selects none of them.
  static absl::StatusOr<std::shared_ptr<const Generations>> Create(
      std::vector<std::shared_ptr<const TasksManager>> managers, absl::string_view default_version);

  // The generation `version` names (see the file comment). An unknown version is an
  // INVALID_ARGUMENT whose ErrorInfo reason is ValueError, argument "optimum-version", with the
  // valid choices and a "did you mean".
  absl::StatusOr<std::shared_ptr<const TasksManager>> Select(absl::string_view version) const;

  // Oldest first.
  const std::vector<std::shared_ptr<const TasksManager>>& all() const { return managers_; }
  const TasksManager& default_generation() const { return *managers_[default_index_]; }
  const TasksManager& latest() const { return *managers_.back(); }

 private:
  Generations(std::vector<std::shared_ptr<const TasksManager>> managers, size_t default_index,
              std::vector<std::string> choices)
      : managers_(std::move(managers)),
        default_index_(default_index),
        choices_(std::move(choices)) {}

  // Index into managers_ of the generation `version` names; -1 when none.
  int Find(absl::string_view version) const;

  std::vector<std::shared_ptr<const TasksManager>> managers_;
  size_t default_index_;
  std::vector<std::string> choices_;  // the names, oldest first, then "latest"
};

// Every embedded generation loaded, and how loading each went, for log lines.
struct LoadedGenerations {
  std::shared_ptr<const Generations> generations;
  std::vector<LoadedRegistry> registries;  // embedding order
  std::vector<std::string> skipped;        // RegistrySources::skipped of the extra dirs
};

// Loads every embedded generation, each followed by the exporter files of `extra_dirs` (an
// exporter file from --registry_dir registers in every generation), and selects
// `default_version` as Generations::Create does. A failure names the generation's folder.
absl::StatusOr<LoadedGenerations> LoadGenerations(absl::Span<const std::string> extra_dirs,
                                                  absl::string_view default_version);

// "generations 1.23 (exporters: ...), 2.1 (...); default 2.1", for log lines.
std::string DescribeGenerations(const LoadedGenerations& loaded);

// The generations calls answer from, replaced whole when the registry is reloaded. A call takes
// the current set once (Get) and answers from it to the end, so a reload never changes the
// registry under a call; a replaced set lives on until the last call holding it ends.
class GenerationsHolder {
 public:
  explicit GenerationsHolder(std::shared_ptr<const Generations> initial)
      : current_(std::move(initial)) {}

  // An atomic shared_ptr: each load touches only the holder's own word.
  std::shared_ptr<const Generations> Get() const { return current_.load(); }
  void Set(std::shared_ptr<const Generations> next) { current_.store(std::move(next)); }

 private:
  std::atomic<std::shared_ptr<const Generations>> current_;
};

}  // namespace tasks::registry

#endif  // TASKS_SERVER_REGISTRY_GENERATIONS_H_
