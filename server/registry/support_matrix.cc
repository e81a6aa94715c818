#include "server/registry/support_matrix.h"

#include <algorithm>
#include <string>

#include "absl/container/btree_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "server/common/errors.h"

namespace tasks::registry {
namespace {

constexpr absl::string_view kWithPast = "-with-past";

absl::Status UnknownFilter(absl::string_view argument, absl::string_view value,
                           absl::string_view what, const std::vector<std::string>& choices) {
  return MakeError(
      absl::StatusCode::kInvalidArgument, "ValueError",
      absl::StrCat("No ", what, " '", EchoInput(value), "' is in the loaded registries."),
      {argument, value, choices});
}

bool Contains(const std::vector<std::string>& names, absl::string_view name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

// Every model type of every library, sorted, for the model-type filter's error.
std::vector<std::string> AllModelTypes(const RegistrySnapshot& snapshot) {
  absl::btree_set<std::string> model_types;
  for (const LibraryRegistry& library : snapshot.libraries) {
    for (const ModelTypeEntry& entry : library.model_types.entries()) {
      model_types.insert(entry.model_type);
    }
  }
  return {model_types.begin(), model_types.end()};
}

// Whether `value` passes an optional filter.
bool Passes(const std::optional<absl::string_view>& filter, absl::string_view value) {
  return !filter || *filter == value;
}

}  // namespace

absl::StatusOr<SupportMatrix> BuildSupportMatrix(const RegistrySnapshot& snapshot,
                                                 const SupportMatrixFilter& filter) {
  if (filter.exporter && !Contains(snapshot.ExporterNames(), *filter.exporter)) {
    return UnknownFilter("exporter", *filter.exporter, "exporter", snapshot.ExporterNames());
  }
  if (filter.library && snapshot.FindLibrary(*filter.library) == nullptr) {
    return UnknownFilter("library_name", *filter.library, "library", snapshot.LibraryNames());
  }
  std::optional<std::string> task;
  if (filter.task) {
    const absl::string_view key = absl::StripSuffix(*filter.task, kWithPast);
    auto synonym = snapshot.synonym_to_task.find(key);
    task = synonym == snapshot.synonym_to_task.end() ? std::string(key) : synonym->second;
    if (!snapshot.task_vocabulary_set.contains(*task)) {
      return UnknownFilter("task", *filter.task, "task", snapshot.task_vocabulary);
    }
  }
  std::optional<std::string> model_type;
  if (filter.model_type) {
    model_type = snapshot.NormalizeModelType(*filter.model_type);
    const std::vector<std::string> model_types = AllModelTypes(snapshot);
    if (!Contains(model_types, *model_type)) {
      return UnknownFilter("model_type", *model_type, "model type", model_types);
    }
  }

  SupportMatrix matrix;
  for (const ExporterInfo& exporter : snapshot.exporters) {
    if (!Passes(filter.exporter, exporter.name)) continue;
    matrix.exporters.push_back(&exporter);
    for (const LibraryRegistry& library : snapshot.libraries) {
      if (!Passes(filter.library, library.name)) continue;
      for (const ModelTypeEntry& entry : library.model_types.entries()) {
        if (model_type && *model_type != entry.model_type) continue;
        const ExporterTasks* tasks = entry.FindExporter(exporter.name);
        if (tasks == nullptr) continue;
        for (const TaskEntry& key : tasks->tasks) {
          if (task && *task != key.bound_task) continue;
          matrix.rows.push_back({exporter.name, library.name, entry.model_type, key.bound_task,
                                 key.config_class, key.use_past});
        }
      }
    }
  }
  return matrix;
}

std::vector<ExporterCount> CountExporter(const RegistrySnapshot& snapshot,
                                         absl::string_view exporter) {
  std::vector<ExporterCount> counts;
  for (const LibraryRegistry& library : snapshot.libraries) {
    ExporterCount count{library.name, 0, 0};
    for (const ModelTypeEntry& entry : library.model_types.entries()) {
      if (const ExporterTasks* found = entry.FindExporter(exporter)) {
        ++count.model_types;
        count.tasks += static_cast<int>(found->tasks.size());
      }
    }
    if (count.model_types > 0) counts.push_back(count);
  }
  return counts;
}

}  // namespace tasks::registry
