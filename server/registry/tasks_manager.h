// TasksManager: Optimum 1.23.3's `TasksManager` registry questions over a RegistrySnapshot.
//
// Each method answers exactly what the Optimum static method of the same name answers for the
// fixed environment in environment.h, and fails where Optimum raises: the returned status carries
// an ErrorInfo whose reason is the Python exception (see server/common/errors.h). Each comment
// names the Python method it mirrors (class TasksManager in optimum/exporters/tasks.py); where
// Optimum's answer is a plain bug, the method says so and gives the correct answer (README,
// "Differences from Optimum").
// Questions about an exporter read RegistrySnapshot::ViewFor(exporter): the core registrations
// plus that exporter's own, so backends never change a core answer.
//
// Thread-safe: the snapshot is immutable, so any number of threads may call concurrently.
// Answers point into the snapshot, which the TasksManager keeps alive.
#ifndef TASKS_SERVER_REGISTRY_TASKS_MANAGER_H_
#define TASKS_SERVER_REGISTRY_TASKS_MANAGER_H_

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "server/registry/registry_snapshot.h"

namespace tasks::registry {

// get_supported_tasks_for_model_type's answer.
struct SupportedTasks {
  const ExporterTasks* tasks;      // registry order
  absl::string_view model_type;    // registry key answered (may be the library's default)
  absl::string_view library_name;  // empty when the registries were merged
};

// get_exporter_config_constructor's answer: the constructor, described.
struct ExporterConfig {
  const TaskEntry* entry;        // config class, bound task, use_past, registry key
  absl::string_view model_type;  // registry key used
};

// get_model_class_for_task's answer.
struct ModelClass {
  enum class Resolution { kCustomClass, kModelClassName, kLoader, kNamesTable, kFirstCandidate };
  std::string class_name;
  std::string module;                   // Python module the class is an attribute of
  std::string task;                     // after removing -with-past and mapping synonyms
  std::vector<std::string> candidates;  // when the task has several loaders
  Resolution resolution;
};

// map_from_synonym and synonyms_for_task together.
struct SynonymAnswer {
  std::string task;
  std::vector<std::string> synonyms_for_task;  // sorted
  bool is_synonym = false;
  bool is_with_past = false;
};

// Optimum's defaults for arguments a caller leaves out: get_exporter_config_constructor's task,
// get_model_class_for_task's framework and library.
inline constexpr absl::string_view kDefaultExporterConfigTask = "feature-extraction";
inline constexpr absl::string_view kDefaultFramework = "pt";
inline constexpr absl::string_view kDefaultLibrary = "transformers";

class TasksManager {
 public:
  explicit TasksManager(std::shared_ptr<const RegistrySnapshot> snapshot);

  const RegistrySnapshot& snapshot() const { return *snapshot_; }

  // get_all_tasks(), sorted.
  const std::vector<std::string>& GetAllTasks() const { return snapshot_->all_tasks; }

  // map_from_synonym(task): one step, exact match.
  absl::string_view MapFromSynonym(absl::string_view task) const;
  // synonyms_for_task(task), sorted.
  std::vector<std::string> SynonymsForTask(absl::string_view task) const;
  SynonymAnswer DescribeTask(absl::string_view task) const;

  // get_supported_tasks_for_model_type. `library_name` unset merges every registry.
  absl::StatusOr<SupportedTasks> GetSupportedTasksForModelType(
      absl::string_view model_type, absl::string_view exporter,
      std::optional<absl::string_view> model_name,
      std::optional<absl::string_view> library_name) const;

  // get_supported_model_type_for_task. Optimum indexes every transformers model type
  // by `exporter` and raises KeyError at the first one without it (so `tflite` always fails);
  // this skips such model types instead, and fails only for an exporter nothing registers.
  // Answered from an index built at construction (the rule scans every model type).
  absl::StatusOr<absl::Span<const std::string>> GetSupportedModelTypeForTask(
      absl::string_view task, absl::string_view exporter) const;

  // get_exporter_config_constructor for a model type given by name.
  absl::StatusOr<ExporterConfig> GetExporterConfigConstructor(
      absl::string_view exporter, absl::string_view task,
      std::optional<absl::string_view> model_type, std::optional<absl::string_view> model_name,
      std::optional<absl::string_view> library_name) const;

  // get_model_class_for_task. The module is not imported, so a `model_class_name`
  // the module lacks is returned as given (Optimum: AttributeError).
  absl::StatusOr<ModelClass> GetModelClassForTask(absl::string_view task,
                                                  absl::string_view framework,
                                                  std::optional<absl::string_view> model_type,
                                                  std::optional<absl::string_view> model_class_name,
                                                  absl::string_view library) const;

 private:
  // The registry Optimum reads for `library_name` (merged when unset) in `exporter`'s view, and
  // the library whose default model type applies ("transformers" when unset).
  struct RegistryChoice {
    const ModelTypeMap* model_types;
    const LibraryRegistry* library;
  };
  absl::StatusOr<RegistryChoice> ChooseRegistry(std::optional<absl::string_view> library_name,
                                                absl::string_view exporter) const;
  // get_model_class_for_task for a task with several loaders: `answer` completed with the
  // candidates and the one whose auto class lists `model_type` (the first without one).
  absl::StatusOr<ModelClass> ChooseAmongLoaders(const TaskLoaders& loaders,
                                                std::optional<absl::string_view> model_type,
                                                absl::string_view library, ModelClass answer) const;

  std::shared_ptr<const RegistrySnapshot> snapshot_;
  // Exporter -> registry key -> the transformers model types with that key for that exporter,
  // '_'-spelled, in registry order; every loaded exporter has an entry.
  absl::flat_hash_map<std::string, absl::flat_hash_map<std::string, std::vector<std::string>>>
      model_types_for_task_;
};

}  // namespace tasks::registry

#endif  // TASKS_SERVER_REGISTRY_TASKS_MANAGER_H_
