#include "server/registry/support_matrix.h"

#include <algorithm>
#include <map>
#include <string>
#include <tuple>

#include "absl/container/btree_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
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

// A filter checked against one snapshot, its task and model type as the registries key them.
struct ResolvedFilter {
  std::optional<absl::string_view> exporter;
  std::optional<absl::string_view> library;
  std::optional<std::string> task;
  std::optional<std::string> model_type;
};

absl::StatusOr<ResolvedFilter> Resolve(const RegistrySnapshot& snapshot,
                                       const SupportMatrixFilter& filter) {
  if (filter.exporter && !Contains(snapshot.ExporterNames(), *filter.exporter)) {
    return UnknownFilter("exporter", *filter.exporter, "exporter", snapshot.ExporterNames());
  }
  if (filter.library && snapshot.FindLibrary(*filter.library) == nullptr) {
    return UnknownFilter("library_name", *filter.library, "library", snapshot.LibraryNames());
  }
  ResolvedFilter resolved{filter.exporter, filter.library, std::nullopt, std::nullopt};
  if (filter.task) {
    const absl::string_view key = absl::StripSuffix(*filter.task, kWithPast);
    auto synonym = snapshot.synonym_to_task.find(key);
    resolved.task = synonym == snapshot.synonym_to_task.end() ? std::string(key) : synonym->second;
    if (!snapshot.task_vocabulary_set.contains(*resolved.task)) {
      return UnknownFilter("task", *filter.task, "task", snapshot.task_vocabulary);
    }
  }
  if (filter.model_type) {
    resolved.model_type = snapshot.NormalizeModelType(*filter.model_type);
    const std::vector<std::string> model_types = AllModelTypes(snapshot);
    if (!Contains(model_types, *resolved.model_type)) {
      return UnknownFilter("model_type", *resolved.model_type, "model type", model_types);
    }
  }
  return resolved;
}

SupportMatrix Collect(const RegistrySnapshot& snapshot, const ResolvedFilter& filter) {
  SupportMatrix matrix;
  for (const ExporterInfo& exporter : snapshot.exporters) {
    if (!Passes(filter.exporter, exporter.name)) continue;
    matrix.exporters.push_back(&exporter);
    for (const LibraryRegistry& library : snapshot.libraries) {
      if (!Passes(filter.library, library.name)) continue;
      for (const ModelTypeEntry& entry : library.model_types.entries()) {
        if (filter.model_type && *filter.model_type != entry.model_type) continue;
        const ExporterTasks* tasks = entry.FindExporter(exporter.name);
        if (tasks == nullptr) continue;
        for (const TaskEntry& key : tasks->tasks) {
          if (filter.task && *filter.task != key.bound_task) continue;
          matrix.rows.push_back({exporter.name, library.name, entry.model_type, key.bound_task,
                                 key.config_class, key.use_past});
        }
      }
    }
  }
  return matrix;
}

// A model type as transformers spells it, whichever key spelling a generation uses.
std::string TransformersSpelling(absl::string_view model_type) {
  return absl::StrReplaceAll(absl::AsciiStrToLower(model_type), {{"-", "_"}});
}

// One filter per value `filter` sets, holding only that value: each is checked on its own.
std::vector<SupportMatrixFilter> SingleValueFilters(const SupportMatrixFilter& filter) {
  std::vector<SupportMatrixFilter> singles;
  if (filter.exporter) singles.push_back({.exporter = filter.exporter});
  if (filter.library) singles.push_back({.library = filter.library});
  if (filter.task) singles.push_back({.task = filter.task});
  if (filter.model_type) singles.push_back({.model_type = filter.model_type});
  return singles;
}

// The rows of one generation the diff compares: none when a filter value is unknown to it (a
// generation without the tflite exporter has no tflite rows).
std::vector<SupportMatrixRow> DiffRows(const RegistrySnapshot& snapshot,
                                       const SupportMatrixFilter& filter) {
  SupportMatrixFilter others = filter;
  others.model_type.reset();  // compared in transformers spelling below, not as this one keys it
  absl::StatusOr<ResolvedFilter> resolved = Resolve(snapshot, others);
  if (!resolved.ok()) return {};
  std::vector<SupportMatrixRow> rows = Collect(snapshot, *resolved).rows;
  if (filter.model_type) {
    const std::string wanted = TransformersSpelling(*filter.model_type);
    std::erase_if(rows, [&](const SupportMatrixRow& row) {
      return TransformersSpelling(row.model_type) != wanted;
    });
  }
  return rows;
}

// Where a name stands in the diff's order: its index in `to`'s list, then in `from`'s.
int Rank(const std::vector<std::string>& to, const std::vector<std::string>& from,
         absl::string_view name) {
  auto it = std::find(to.begin(), to.end(), name);
  if (it != to.end()) return static_cast<int>(it - to.begin());
  return static_cast<int>(to.size() + (std::find(from.begin(), from.end(), name) - from.begin()));
}

}  // namespace

absl::StatusOr<SupportMatrix> BuildSupportMatrix(const RegistrySnapshot& snapshot,
                                                 const SupportMatrixFilter& filter) {
  absl::StatusOr<ResolvedFilter> resolved = Resolve(snapshot, filter);
  if (!resolved.ok()) return resolved.status();
  return Collect(snapshot, *resolved);
}

absl::StatusOr<std::vector<SupportMatrixChange>> DiffSupportMatrix(
    const RegistrySnapshot& from, const RegistrySnapshot& to, const SupportMatrixFilter& filter) {
  for (const SupportMatrixFilter& single : SingleValueFilters(filter)) {
    absl::StatusOr<ResolvedFilter> in_to = Resolve(to, single);
    if (!in_to.ok() && !Resolve(from, single).ok()) return in_to.status();
  }

  // Matching key, in output order: exporter rank, library rank, model type (transformers
  // spelling), task, use_past.
  using Key = std::tuple<int, int, std::string, absl::string_view, bool>;
  struct Pair {
    std::optional<SupportMatrixRow> before, after;
  };
  const std::vector<std::string> to_exporters = to.ExporterNames(),
                                 from_exporters = from.ExporterNames();
  const std::vector<std::string> to_libraries = to.LibraryNames(),
                                 from_libraries = from.LibraryNames();
  std::map<Key, Pair> pairs;
  auto key = [&](const SupportMatrixRow& row) {
    return Key{Rank(to_exporters, from_exporters, row.exporter),
               Rank(to_libraries, from_libraries, row.library),
               TransformersSpelling(row.model_type), row.task, row.use_past};
  };
  for (const SupportMatrixRow& row : DiffRows(from, filter)) pairs[key(row)].before = row;
  for (const SupportMatrixRow& row : DiffRows(to, filter)) pairs[key(row)].after = row;

  std::vector<SupportMatrixChange> changes;
  for (const auto& [unused_key, pair] : pairs) {
    if (!pair.before) {
      changes.push_back({SupportMatrixChange::Kind::kAdded, std::nullopt, pair.after});
    } else if (!pair.after) {
      changes.push_back({SupportMatrixChange::Kind::kRemoved, pair.before, std::nullopt});
    } else if (pair.before->config_class != pair.after->config_class ||
               pair.before->model_type != pair.after->model_type) {
      changes.push_back({SupportMatrixChange::Kind::kChanged, pair.before, pair.after});
    }
  }
  return changes;
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
