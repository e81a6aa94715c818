#include "server/registry/tasks_manager.h"

#include <algorithm>
#include <utility>

#include "absl/algorithm/container.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "server/common/errors.h"
#include "server/registry/environment.h"

namespace tasks::registry {
namespace {

using absl::StatusCode;

constexpr absl::string_view kWithPast = "-with-past";
constexpr absl::string_view kFallbackLibrary = "transformers";

// A name in quotes; a caller's value is cut and escaped (EchoInput), as any may be one.
std::string Quoted(absl::string_view s) { return absl::StrCat("'", EchoInput(s), "'"); }

// How a loader entry reads in Optimum's messages: a name, or a tuple of names.
std::string LoaderRepr(const TaskLoaders& loaders) {
  if (loaders.loaders.size() == 1) return loaders.loaders.front();
  return absl::StrCat(
      "(",
      absl::StrJoin(loaders.loaders, ", ",
                    [](std::string* out, auto& s) { absl::StrAppend(out, Quoted(s)); }),
      ")");
}

// KeyError for a task `table` has no loader for, listing the loaders it has.
absl::Status UnknownTask(const LoaderTable& table, absl::string_view task) {
  const std::vector<std::string> tasks = table.TaskNames();
  std::vector<std::string> described;
  for (const TaskLoaders& entry : table.tasks) {
    described.push_back(absl::StrCat("`", entry.task, "` for ", LoaderRepr(entry)));
  }
  return MakeError(StatusCode::kInvalidArgument, "KeyError",
                   absl::StrCat("Unknown task: ", EchoInput(task),
                                ". Loaders: ", absl::StrJoin(described, ", "), "."),
                   {"task", task, tasks});
}

// A task with a single loader: that loader, unless the pinned module does not define it.
absl::StatusOr<ModelClass> OnlyLoader(const LoaderTable& table, const TaskLoaders& loaders,
                                      absl::string_view framework, ModelClass answer) {
  if (loaders.missing_from_module) {
    return MakeError(
        StatusCode::kNotFound, "AttributeError",
        absl::StrCat("Optimum loads ", answer.task, " ", framework, " models with ",
                     table.python_module, ".", loaders.loaders.front(), ", which the pinned ",
                     table.python_module, " release does not define."),
        {"task"});
  }
  answer.class_name = loaders.loaders.front();
  answer.resolution = ModelClass::Resolution::kLoader;
  return answer;
}

}  // namespace

TasksManager::TasksManager(std::shared_ptr<const RegistrySnapshot> snapshot)
    : snapshot_(std::move(snapshot)) {
  for (const std::string& exporter : snapshot_->ExporterNames()) model_types_for_task_[exporter];
  const LibraryRegistry* transformers = snapshot_->FindLibrary(kFallbackLibrary);
  if (transformers == nullptr) return;
  for (const ModelTypeEntry& entry : transformers->model_types.entries()) {
    const std::string spelled = snapshot_->ListedModelType(entry.model_type);
    for (const ExporterTasks& tasks : entry.exporters) {
      for (const TaskEntry& key : tasks.tasks) {
        model_types_for_task_[tasks.exporter][key.key].push_back(spelled);
      }
    }
  }
}

absl::string_view TasksManager::MapFromSynonym(absl::string_view task) const {
  auto it = snapshot_->synonym_to_task.find(task);
  return it == snapshot_->synonym_to_task.end() ? task : absl::string_view(it->second);
}

std::vector<std::string> TasksManager::SynonymsForTask(absl::string_view task) const {
  const absl::string_view canonical = MapFromSynonym(task);
  std::vector<std::string> synonyms;
  for (const auto& [name, target] : snapshot_->synonyms) {
    if ((target == task || target == canonical) && name != task) synonyms.push_back(name);
  }
  std::sort(synonyms.begin(), synonyms.end());
  return synonyms;
}

SynonymAnswer TasksManager::DescribeTask(absl::string_view task) const {
  SynonymAnswer answer;
  answer.task = std::string(MapFromSynonym(task));
  answer.synonyms_for_task = SynonymsForTask(task);
  answer.is_synonym = snapshot_->synonym_to_task.contains(task);
  answer.is_with_past = absl::StrContains(task, kWithPast);
  return answer;
}

absl::StatusOr<TasksManager::RegistryChoice> TasksManager::ChooseRegistry(
    std::optional<absl::string_view> library_name, absl::string_view exporter) const {
  const RegistryView& view = snapshot_->ViewFor(exporter);
  if (!library_name) {
    return RegistryChoice{&view.merged, snapshot_->FindLibrary(kFallbackLibrary)};
  }
  const int index = snapshot_->LibraryIndex(*library_name);
  if (index < 0) {
    const std::vector<std::string> libraries = snapshot_->LibraryNames();
    return MakeError(
        StatusCode::kInvalidArgument, "KeyError",
        absl::StrCat("library_name ", Quoted(*library_name), " has no model-type registry."),
        {"library_name", *library_name, libraries});
  }
  return RegistryChoice{&view.libraries[index], &snapshot_->libraries[index]};
}

absl::StatusOr<SupportedTasks> TasksManager::GetSupportedTasksForModelType(
    absl::string_view model_type, absl::string_view exporter,
    std::optional<absl::string_view> model_name,
    std::optional<absl::string_view> library_name) const {
  absl::StatusOr<RegistryChoice> choice = ChooseRegistry(library_name, exporter);
  if (!choice.ok()) return choice.status();
  const absl::string_view library = library_name.value_or(kFallbackLibrary);

  const std::string normalized = snapshot_->NormalizeModelType(model_type);
  const std::string display =
      model_name && !model_name->empty()
          ? absl::StrCat(EchoInput(normalized), " (", EchoInput(*model_name), ")")
          : EchoInput(normalized);
  const ModelTypeEntry* entry = choice->model_types->Find(normalized);
  if (entry == nullptr) {
    const std::string* fallback =
        choice->library != nullptr ? &choice->library->default_model_type : nullptr;
    if (fallback != nullptr && !fallback->empty()) entry = choice->model_types->Find(*fallback);
  }
  if (entry == nullptr) {
    const std::vector<std::string> model_types = choice->model_types->Keys();
    return MakeError(StatusCode::kNotFound, "KeyError",
                     absl::StrCat(display, " is not supported yet for ", library, "."),
                     {"model_type", normalized, model_types});
  }
  const ExporterTasks* tasks = entry->FindExporter(exporter);
  if (tasks == nullptr) {
    const std::vector<std::string> exporters = entry->ExporterNames();
    return MakeError(
        StatusCode::kInvalidArgument, "KeyError",
        absl::StrCat(display, " is not supported yet with the ", Quoted(exporter), " exporter."),
        {"exporter", exporter, exporters});
  }
  return SupportedTasks{tasks, entry->model_type,
                        library_name ? choice->library->name : absl::string_view()};
}

absl::StatusOr<absl::Span<const std::string>> TasksManager::GetSupportedModelTypeForTask(
    absl::string_view task, absl::string_view exporter) const {
  auto by_task = model_types_for_task_.find(exporter);
  if (by_task == model_types_for_task_.end()) {
    const std::vector<std::string> exporters = snapshot_->ExporterNames();
    return MakeError(StatusCode::kInvalidArgument, "KeyError",
                     absl::StrCat("No exporter ", Quoted(exporter), " is loaded."),
                     {"exporter", exporter, exporters});
  }
  auto model_types = by_task->second.find(task);
  if (model_types == by_task->second.end()) return absl::Span<const std::string>();
  return absl::Span<const std::string>(model_types->second);
}

absl::StatusOr<ExporterConfig> TasksManager::GetExporterConfigConstructor(
    absl::string_view exporter, absl::string_view task, std::optional<absl::string_view> model_type,
    std::optional<absl::string_view> model_name,
    std::optional<absl::string_view> library_name) const {
  absl::StatusOr<RegistryChoice> choice = ChooseRegistry(library_name, exporter);
  if (!choice.ok()) return choice.status();
  if (!model_type) {
    return MakeError(StatusCode::kInvalidArgument, "ValueError",
                     "model_type is required: Optimum reads it from a model object, which a "
                     "remote call cannot send.",
                     {"model_type"});
  }
  // Optimum has already replaced an unset library_name by "transformers" here, so the task map
  // comes from the transformers registry while the final lookup below uses the merged one.
  const absl::string_view library = library_name.value_or(kFallbackLibrary);
  absl::StatusOr<SupportedTasks> supported =
      GetSupportedTasksForModelType(*model_type, exporter, model_name, library);
  if (!supported.ok()) return supported.status();

  std::string task_key(task);
  if (supported->tasks->FindTask(task) == nullptr) {
    for (std::string& synonym : SynonymsForTask(task)) {
      if (supported->tasks->FindTask(synonym) != nullptr) {
        task_key = std::move(synonym);
        break;
      }
    }
    if (supported->tasks->FindTask(task_key) == nullptr) {
      const std::vector<std::string> keys = supported->tasks->TaskKeys();
      return MakeError(StatusCode::kInvalidArgument, "ValueError",
                       absl::StrCat(EchoInput(*model_type), " doesn't support task ", Quoted(task),
                                    " for the ", Quoted(exporter), " exporter."),
                       {"task", task, keys});
    }
  }

  // The final lookup uses model_type verbatim (get_supported_tasks_for_model_type normalised its
  // own copy), falling back to the library's default model type.
  absl::string_view key = *model_type;
  if (choice->model_types->Find(key) == nullptr) {
    const std::string* fallback =
        choice->library != nullptr ? &choice->library->default_model_type : nullptr;
    if (fallback == nullptr || fallback->empty()) {
      const std::vector<std::string> model_types = choice->model_types->Keys();
      return MakeError(
          StatusCode::kNotFound, "KeyError",
          absl::StrCat("model_type ", Quoted(key), " is not a key of the ", library, " registry",
                       snapshot_->exact_model_type_keys
                           ? "."
                           : ": get_exporter_config_constructor uses it verbatim, without the "
                             "lower-casing and '_' to '-' of get_supported_tasks_for_model_type."),
          {"model_type", key, model_types});
    }
    key = *fallback;
  }
  const ModelTypeEntry* entry = choice->model_types->Find(key);
  const ExporterTasks* tasks = entry != nullptr ? entry->FindExporter(exporter) : nullptr;
  const TaskEntry* found = tasks != nullptr ? tasks->FindTask(task_key) : nullptr;
  if (found == nullptr) {
    return MakeError(StatusCode::kNotFound, "KeyError",
                     absl::StrCat("The ", library, " registry has no ", Quoted(task_key),
                                  " entry for model type ", Quoted(key), " and exporter ",
                                  Quoted(exporter), "."),
                     {"model_type"});
  }
  return ExporterConfig{found, entry->model_type};
}

absl::StatusOr<ModelClass> TasksManager::GetModelClassForTask(
    absl::string_view task, absl::string_view framework,
    std::optional<absl::string_view> model_type, std::optional<absl::string_view> model_class_name,
    absl::string_view library) const {
  ModelClass answer;
  answer.task = std::string(MapFromSynonym(absl::StrReplaceAll(task, {{kWithPast, ""}})));

  const std::vector<std::string>& frameworks = snapshot_->frameworks;
  if (!absl::c_linear_search(frameworks, framework)) {
    // _validate_framework_choice's words: 1.x accepts pt or tf, 2.x pt only.
    const std::string message =
        frameworks.size() == 1
            ? absl::StrCat("Only one framework is supported for export: ", frameworks[0], ", but ",
                           EchoInput(framework), " was provided.")
            : absl::StrCat("Only two frameworks are supported for export: ",
                           absl::StrJoin(frameworks, " or "), ", not ", Quoted(framework), ".");
    return MakeError(StatusCode::kInvalidArgument, "ValueError", message,
                     {"framework", framework, frameworks});
  }

  if (model_type) {
    auto custom =
        snapshot_->custom_classes.find(CustomClassKey(framework, *model_type, answer.task));
    if (custom != snapshot_->custom_classes.end()) {
      answer.class_name = custom->second.class_name;
      answer.module = custom->second.library;
      answer.resolution = ModelClass::Resolution::kCustomClass;
      return answer;
    }
  }

  const LoaderTable* table = snapshot_->FindLoaderTable(framework, library);
  if (table == nullptr) {
    const std::vector<std::string> libraries = snapshot_->LoaderLibraries(framework);
    return MakeError(
        StatusCode::kInvalidArgument, "KeyError",
        absl::StrCat("library ", Quoted(library), " has no ", framework, " model loaders."),
        {"library", library, libraries});
  }
  answer.module = table->python_module;

  if (model_class_name) {
    answer.class_name = std::string(*model_class_name);
    answer.resolution = ModelClass::Resolution::kModelClassName;
    return answer;
  }

  const TaskLoaders* loaders = table->Find(answer.task);
  if (loaders == nullptr) return UnknownTask(*table, answer.task);
  if (loaders->loaders.size() == 1) {
    return OnlyLoader(*table, *loaders, framework, std::move(answer));
  }
  return ChooseAmongLoaders(*loaders, model_type, library, std::move(answer));
}

absl::StatusOr<ModelClass> TasksManager::ChooseAmongLoaders(
    const TaskLoaders& loaders, std::optional<absl::string_view> model_type,
    absl::string_view library, ModelClass answer) const {
  answer.candidates = loaders.loaders;
  if (library != kFallbackLibrary) {
    return MakeError(StatusCode::kUnimplemented, "NotImplementedError",
                     absl::StrCat("library ", Quoted(library), " maps task ", Quoted(answer.task),
                                  " to several loaders; only transformers may."),
                     {"library"});
  }
  if (!model_type) {
    answer.class_name = answer.candidates.front();
    answer.resolution = ModelClass::Resolution::kFirstCandidate;
    return answer;
  }
  for (const std::string& candidate : answer.candidates) {
    auto listed = snapshot_->auto_class_model_types.find(candidate);
    if (listed == snapshot_->auto_class_model_types.end()) continue;
    if (snapshot_->NamesTableLists(listed->second, *model_type)) {
      answer.class_name = candidate;
      answer.resolution = ModelClass::Resolution::kNamesTable;
      return answer;
    }
  }
  return MakeError(
      StatusCode::kInvalidArgument, "ValueError",
      absl::StrCat("None of the loaders ", LoaderRepr(loaders), " of task ", Quoted(answer.task),
                   " knows model type ", Quoted(*model_type), "."),
      {"model_type"});
}

}  // namespace tasks::registry
