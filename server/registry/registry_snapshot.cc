#include "server/registry/registry_snapshot.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"

namespace tasks::registry {
namespace {

// Collects `field` of each element, for error messages that list the valid choices.
template <typename Container, typename Field>
std::vector<std::string> Names(const Container& items, Field field) {
  std::vector<std::string> names;
  names.reserve(items.size());
  for (const auto& item : items) names.push_back(item.*field);
  return names;
}

}  // namespace

const TaskEntry* ExporterTasks::FindTask(absl::string_view key) const {
  for (const TaskEntry& entry : tasks) {
    if (entry.key == key) return &entry;
  }
  return nullptr;
}

std::vector<std::string> ExporterTasks::TaskKeys() const { return Names(tasks, &TaskEntry::key); }

const ExporterTasks* ModelTypeEntry::FindExporter(absl::string_view exporter) const {
  for (const ExporterTasks& entry : exporters) {
    if (entry.exporter == exporter) return &entry;
  }
  return nullptr;
}

ExporterTasks& ModelTypeEntry::FindOrAddExporter(absl::string_view exporter) {
  for (ExporterTasks& entry : exporters) {
    if (entry.exporter == exporter) return entry;
  }
  exporters.push_back(ExporterTasks{std::string(exporter), {}});
  return exporters.back();
}

std::vector<std::string> ModelTypeEntry::ExporterNames() const {
  return Names(exporters, &ExporterTasks::exporter);
}

const ModelTypeEntry* ModelTypeMap::Find(absl::string_view model_type) const {
  auto it = index_.find(model_type);
  return it == index_.end() ? nullptr : &entries_[it->second];
}

ModelTypeEntry& ModelTypeMap::FindOrAdd(absl::string_view model_type) {
  auto [it, inserted] = index_.try_emplace(model_type, entries_.size());
  if (inserted) entries_.push_back(ModelTypeEntry{std::string(model_type), {}});
  return entries_[it->second];
}

void ModelTypeMap::Assign(const ModelTypeEntry& entry) { FindOrAdd(entry.model_type) = entry; }

std::vector<std::string> ModelTypeMap::Keys() const {
  return Names(entries_, &ModelTypeEntry::model_type);
}

const TaskLoaders* LoaderTable::Find(absl::string_view task) const {
  auto it = index.find(task);
  return it == index.end() ? nullptr : &tasks[it->second];
}

std::vector<std::string> LoaderTable::TaskNames() const { return Names(tasks, &TaskLoaders::task); }

const RegistryView& RegistrySnapshot::ViewFor(absl::string_view exporter) const {
  auto it = views.find(exporter);
  return it == views.end() ? core_view : it->second;
}

int RegistrySnapshot::LibraryIndex(absl::string_view name) const {
  for (size_t i = 0; i < libraries.size(); ++i) {
    if (libraries[i].name == name) return static_cast<int>(i);
  }
  return -1;
}

const LibraryRegistry* RegistrySnapshot::FindLibrary(absl::string_view name) const {
  const int index = LibraryIndex(name);
  return index < 0 ? nullptr : &libraries[index];
}

LibraryRegistry* RegistrySnapshot::FindMutableLibrary(absl::string_view name) {
  return const_cast<LibraryRegistry*>(std::as_const(*this).FindLibrary(name));
}

std::vector<std::string> RegistrySnapshot::LibraryNames() const {
  return Names(libraries, &LibraryRegistry::name);
}

const LoaderTable* RegistrySnapshot::FindLoaderTable(absl::string_view framework,
                                                     absl::string_view library) const {
  for (const LoaderTable& table : loader_tables) {
    if (table.framework == framework && table.library == library) return &table;
  }
  return nullptr;
}

std::vector<std::string> RegistrySnapshot::LoaderLibraries(absl::string_view framework) const {
  std::vector<std::string> names;
  for (const LoaderTable& table : loader_tables) {
    if (table.framework == framework) names.push_back(table.library);
  }
  return names;
}

std::vector<std::string> RegistrySnapshot::ExporterNames() const {
  return Names(exporters, &ExporterInfo::name);
}

std::string RegistrySnapshot::NormalizeModelType(absl::string_view model_type) const {
  if (exact_model_type_keys) return std::string(model_type);
  return absl::StrReplaceAll(absl::AsciiStrToLower(model_type), {{"_", "-"}});
}

std::string RegistrySnapshot::ListedModelType(absl::string_view key) const {
  if (exact_model_type_keys) return std::string(key);
  return absl::StrReplaceAll(key, {{"-", "_"}});
}

std::string RegistrySnapshot::ExportModelType(absl::string_view config_model_type) const {
  if (exact_model_type_keys) return std::string(config_model_type);
  return absl::StrReplaceAll(config_model_type, {{"_", "-"}});
}

bool RegistrySnapshot::NamesTableLists(const absl::flat_hash_set<std::string>& names_table,
                                       absl::string_view model_type) const {
  if (names_table.contains(model_type)) return true;
  return !exact_model_type_keys &&
         names_table.contains(absl::StrReplaceAll(model_type, {{"-", "_"}}));
}

std::string CustomClassKey(absl::string_view framework, absl::string_view model_type,
                           absl::string_view task) {
  return absl::StrCat(framework, "\x1f", model_type, "\x1f", task);
}

}  // namespace tasks::registry
