// RegistrySnapshot: every table TasksManager answers from, loaded once and then immutable.
//
// A snapshot is built by LoadRegistry (registry_loader.h) and published as
// std::shared_ptr<const RegistrySnapshot>; being immutable it is safe to read from any number of
// threads without locking. Orders that Optimum exposes (Python dict insertion order) are kept in
// vectors; hash indexes sit beside them for lookups.
#ifndef TASKS_SERVER_REGISTRY_REGISTRY_SNAPSHOT_H_
#define TASKS_SERVER_REGISTRY_REGISTRY_SNAPSHOT_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/string_view.h"

namespace tasks::registry {

// One task key of a model type's entry for an exporter: what the constructor Optimum stores
// there is bound to.
struct TaskEntry {
  std::string key;           // registry key, e.g. "text-generation-with-past"
  std::string config_class;  // e.g. "GPT2OnnxConfig"
  std::string bound_task;    // `task` the constructor is bound with: key without "-with-past"
  bool use_past = false;     // the key contains "-with-past"
};

// A model type's tasks for one exporter, in registration order.
struct ExporterTasks {
  std::string exporter;
  std::vector<TaskEntry> tasks;

  const TaskEntry* FindTask(absl::string_view key) const;
  std::vector<std::string> TaskKeys() const;
};

// A model type's registry entry: exporter -> tasks, in the order exporters first registered.
struct ModelTypeEntry {
  std::string model_type;
  std::vector<ExporterTasks> exporters;

  const ExporterTasks* FindExporter(absl::string_view exporter) const;
  ExporterTasks& FindOrAddExporter(absl::string_view exporter);
  std::vector<std::string> ExporterNames() const;
};

// Model type -> entry with Python dict semantics: insertion order, and assigning an existing key
// replaces its value in place.
class ModelTypeMap {
 public:
  const ModelTypeEntry* Find(absl::string_view model_type) const;
  ModelTypeEntry& FindOrAdd(absl::string_view model_type);
  // `dict[entry.model_type] = entry`.
  void Assign(const ModelTypeEntry& entry);

  const std::vector<ModelTypeEntry>& entries() const { return entries_; }
  std::vector<ModelTypeEntry>& mutable_entries() { return entries_; }
  std::vector<std::string> Keys() const;

 private:
  std::vector<ModelTypeEntry> entries_;
  absl::flat_hash_map<std::string, size_t> index_;
};

// One library's model-type registry (`_LIBRARY_TO_SUPPORTED_MODEL_TYPES[name]`).
struct LibraryRegistry {
  std::string name;
  std::string default_model_type;  // empty when the library has none
  ModelTypeMap model_types;
};

// The loader(s) of one task: one class, or candidates tried in order.
struct TaskLoaders {
  std::string task;
  std::vector<std::string> loaders;
  bool missing_from_module = false;  // Optimum names a class the module does not define
};

// Task -> model loader(s) for one (framework, library).
struct LoaderTable {
  std::string framework;
  std::string library;
  std::string python_module;
  std::vector<TaskLoaders> tasks;  // source order
  absl::flat_hash_map<std::string, size_t> index;

  const TaskLoaders* Find(absl::string_view task) const;
  std::vector<std::string> TaskNames() const;
};

struct CustomClass {
  std::string library;
  std::string class_name;
};

// One entry of diffusers' AutoPipeline tables.
struct DiffusersPipeline {
  std::string task;
  std::string model_type;  // the table key, e.g. "stable-diffusion"
  std::string class_name;
};

// The transformers model classes of one task's auto classes.
struct TaskModelClasses {
  std::string framework;
  std::string task;
  absl::flat_hash_set<std::string> class_names;
};

// Where an exporter's registrations come from (one per data file that registered it).
struct Provenance {
  std::string package;
  std::string version;
  std::string repository;
  std::string commit;
  std::string source_file;
  std::string registry_file;
};

struct ExporterInfo {
  std::string name;
  std::vector<Provenance> provenance;
};

// The registries as Optimum holds them with its core and one backend installed: every entry of
// the core exporters plus those of one exporter. Queries about an exporter read its view, so a
// backend's registrations (model types only openvino knows, say) never change a core answer.
struct RegistryView {
  std::vector<ModelTypeMap> libraries;  // parallel to RegistrySnapshot::libraries
  ModelTypeMap merged;                  // no library given: `libraries` merged in order
};

struct RegistrySnapshot {
  // Tasks a registration may use (sorted), and get_all_tasks()'s answer (sorted).
  std::vector<std::string> task_vocabulary;
  absl::flat_hash_set<std::string> task_vocabulary_set;
  std::vector<std::string> all_tasks;

  // synonym -> canonical task, in source order, and its index.
  std::vector<std::pair<std::string, std::string>> synonyms;
  absl::flat_hash_map<std::string, std::string> synonym_to_task;

  // Library registries in merge order, every exporter's entries together.
  std::vector<LibraryRegistry> libraries;

  // The generation's rules (GenerationRules of registry.proto).
  std::string generation;  // e.g. "1.23"
  // Model types are transformers' own spellings, never rewritten (from Optimum 1.27,
  // huggingface/optimum#2279); before, Optimum 1.x rewrote them at each step (the *ModelType*
  // methods below).
  bool exact_model_type_keys = false;
  std::vector<std::string> frameworks;  // the frameworks export accepts, e.g. {"pt", "tf"}
  // Exporters every environment with a backend has (1.x: onnx, tflite; 2.x: onnx), loaded ones.
  std::vector<std::string> core_exporters;
  // One view per exporter, and the core alone for exporters nothing registers.
  absl::flat_hash_map<std::string, RegistryView> views;
  RegistryView core_view;

  std::vector<LoaderTable> loader_tables;
  // Key: CustomClassKey(framework, model_type, task).
  absl::flat_hash_map<std::string, CustomClass> custom_classes;
  // transformers auto class -> the model types its names table lists.
  absl::flat_hash_map<std::string, absl::flat_hash_set<std::string>> auto_class_model_types;
  // Core exporter config class -> whether it supports past key values.
  absl::flat_hash_map<std::string, bool> config_class_supports_past;

  std::vector<ExporterInfo> exporters;  // load order
  // The packages the tables were read from: optimum, then the paired transformers and diffusers.
  std::vector<Provenance> table_packages;

  // What was loaded, in 16 hex digits: the SHA-256 of every file's name (without its folder)
  // and contents in load order. Replicas whose fingerprints differ answer from different data.
  std::string fingerprint;

  std::vector<DiffusersPipeline> diffusers_pipelines;  // table order
  std::vector<TaskModelClasses> task_model_classes;    // PyTorch then TensorFlow, table order

  const RegistryView& ViewFor(absl::string_view exporter) const;
  const LibraryRegistry* FindLibrary(absl::string_view name) const;
  // Position of library `name` in `libraries` (and in every view), or -1.
  int LibraryIndex(absl::string_view name) const;
  LibraryRegistry* FindMutableLibrary(absl::string_view name);
  std::vector<std::string> LibraryNames() const;
  const LoaderTable* FindLoaderTable(absl::string_view framework, absl::string_view library) const;
  std::vector<std::string> LoaderLibraries(absl::string_view framework) const;
  std::vector<std::string> ExporterNames() const;
  // The spellings of a model type at each step, by the generation's rule (exact_model_type_keys);
  // each is the identity with exact keys. Before 1.27:
  // A queried model type as the registries spell it: lower case with '-' for '_'.
  std::string NormalizeModelType(absl::string_view model_type) const;
  // A registry key as get_supported_model_type_for_task lists it: '_' for '-'.
  std::string ListedModelType(absl::string_view key) const;
  // config.json's model_type as export passes it on: '-' for '_'.
  std::string ExportModelType(absl::string_view config_model_type) const;
  // Whether a transformers names table lists `model_type` (get_model_class_for_task's
  // multi-loader choice): as given, or with '_' for '-'.
  bool NamesTableLists(const absl::flat_hash_set<std::string>& names_table,
                       absl::string_view model_type) const;
};

std::string CustomClassKey(absl::string_view framework, absl::string_view model_type,
                           absl::string_view task);

}  // namespace tasks::registry

#endif  // TASKS_SERVER_REGISTRY_REGISTRY_SNAPSHOT_H_
