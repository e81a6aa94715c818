#include "server/registry/registry_loader.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <optional>

#include "absl/algorithm/container.h"
#include "absl/cleanup/cleanup.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "google/protobuf/io/tokenizer.h"
#include "google/protobuf/text_format.h"
#include "openssl/sha.h"
#include "optimum/tasks/registry/v1/registry.pb.h"
#include "server/common/suggest.h"
#include "server/registry/embedded_registry.h"
#include "server/registry/environment.h"

namespace tasks::registry {
namespace {

namespace fs = std::filesystem;
namespace pb = optimum::tasks::registry::v1;
using google::protobuf::TextFormat;

constexpr absl::string_view kTablesFileName = "tables.txtpb";
constexpr absl::string_view kWithPast = "-with-past";

// Keeps the first text-format error with its (1-based) line and column.
class FirstErrorCollector : public google::protobuf::io::ErrorCollector {
 public:
  void AddError(int line, google::protobuf::io::ColumnNumber column,
                const std::string& message) override {
    if (error_.empty()) error_ = absl::StrCat(line + 1, ":", column + 1, ": ", message);
  }
  const std::string& error() const { return error_; }

 private:
  std::string error_;
};

// A parsed data file with the parser's record of where each field was.
template <typename Message>
struct ParsedFile {
  Message message;
  TextFormat::ParseInfoTree locations;
};

template <typename Message>
absl::Status Parse(const RegistrySource& source, ParsedFile<Message>& parsed) {
  FirstErrorCollector errors;
  TextFormat::Parser parser;
  parser.RecordErrorsTo(&errors);
  parser.WriteLocationsTo(&parsed.locations);
  if (!parser.ParseFromString(source.contents, &parsed.message)) {
    return absl::InvalidArgumentError(absl::StrCat(source.name, ":", errors.error()));
  }
  return absl::OkStatus();
}

template <typename Message>
const google::protobuf::FieldDescriptor* Field(absl::string_view name) {
  return Message::descriptor()->FindFieldByName(std::string(name));
}

// "<source>:<line>" of `field` in the parser's location tree, or `fallback` when the parser
// recorded none. The parser records one location per occurrence of a field name, so a list
// (`task: ["a", "b"]`) has one location, that of its first element.
std::string Where(const RegistrySource& source, const TextFormat::ParseInfoTree* tree,
                  const google::protobuf::FieldDescriptor* field, int index,
                  absl::string_view fallback) {
  const int line = tree == nullptr ? -1 : tree->GetLocation(field, index).line;
  return line < 0 ? std::string(fallback) : absl::StrCat(source.name, ":", line + 1);
}

absl::Status LoadError(absl::string_view where, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat(where, ": ", what));
}

// A registry key is a task, or a task followed by "-with-past": "-with-past" anywhere else stays,
// so that the task is unknown and the key refused.
std::string RemoveWithPast(absl::string_view task) {
  absl::ConsumeSuffix(&task, kWithPast);
  return std::string(task);
}

Provenance ToProvenance(const pb::Provenance& from, absl::string_view registry_file) {
  return Provenance{from.package(), from.version(),     from.repository(),
                    from.commit(),  from.source_file(), std::string(registry_file)};
}

// The task vocabulary: every task a registration may name, each listed once.
absl::Status ApplyTaskVocabulary(const RegistrySource& source, const pb::TaskTables& tables,
                                 RegistrySnapshot& snapshot) {
  for (const std::string& task : tables.task()) {
    if (!snapshot.task_vocabulary_set.insert(task).second) {
      return LoadError(source.name, absl::StrCat("task '", task, "' is listed twice"));
    }
  }
  snapshot.task_vocabulary.assign(tables.task().begin(), tables.task().end());
  std::sort(snapshot.task_vocabulary.begin(), snapshot.task_vocabulary.end());
  return absl::OkStatus();
}

absl::Status ApplySynonyms(const RegistrySource& source, const ParsedFile<pb::TaskTables>& parsed,
                           RegistrySnapshot& snapshot) {
  const pb::TaskTables& tables = parsed.message;
  for (int i = 0; i < tables.synonym_size(); ++i) {
    const pb::Synonym& synonym = tables.synonym(i);
    if (!snapshot.synonym_to_task.emplace(synonym.name(), synonym.task()).second) {
      return LoadError(
          Where(source, &parsed.locations, Field<pb::TaskTables>("synonym"), i, source.name),
          absl::StrCat("synonym '", synonym.name(), "' is defined twice"));
    }
    snapshot.synonyms.emplace_back(synonym.name(), synonym.task());
  }
  return absl::OkStatus();
}

// The generation's rules: checked here, so that a data file with a value this server does not
// implement stops the load instead of being read as some other behaviour.
absl::Status ApplyRules(const RegistrySource& source, const pb::GenerationRules& rules,
                        RegistrySnapshot& snapshot) {
  const std::string where = absl::StrCat(source.name, ": rules");
  if (rules.generation().empty()) return LoadError(where, "generation is empty");
  snapshot.generation = rules.generation();
  if (rules.model_type_keys() != "lower_dash" && rules.model_type_keys() != "exact") {
    return LoadError(where, absl::StrCat("model_type_keys must be lower_dash or exact, not '",
                                         rules.model_type_keys(), "'"));
  }
  snapshot.exact_model_type_keys = rules.model_type_keys() == "exact";
  if (rules.framework().empty()) return LoadError(where, "no framework is listed");
  for (const std::string& framework : rules.framework()) {
    if (!IsFramework(framework)) {
      return LoadError(where, absl::StrCat("framework must be ", absl::StrJoin(kFrameworks, " or "),
                                           ", not '", framework, "'"));
    }
    snapshot.frameworks.push_back(framework);
  }
  const std::string& custom = rules.get_all_tasks_custom_class_tasks();
  if (custom != "none" && custom != "active_framework" && custom != "all") {
    return LoadError(where, absl::StrCat("get_all_tasks_custom_class_tasks must be none, "
                                         "active_framework or all, not '",
                                         custom, "'"));
  }
  snapshot.core_exporters.assign(rules.core_exporter().begin(), rules.core_exporter().end());
  return absl::OkStatus();
}

// The model loader tables of get_model_class_for_task, one per framework and library.
absl::Status ApplyLoaderTables(const RegistrySource& source,
                               const ParsedFile<pb::TaskTables>& parsed,
                               RegistrySnapshot& snapshot) {
  const pb::TaskTables& tables = parsed.message;
  for (int i = 0; i < tables.loader_table_size(); ++i) {
    const pb::LoaderTable& from = tables.loader_table(i);
    const std::string where =
        Where(source, &parsed.locations, Field<pb::TaskTables>("loader_table"), i, source.name);
    if (!absl::c_linear_search(snapshot.frameworks, from.framework())) {
      return LoadError(
          where, absl::StrCat("framework must be ", absl::StrJoin(snapshot.frameworks, " or "),
                              ", not '", from.framework(), "' (the generation's rules)"));
    }
    LoaderTable& table = snapshot.loader_tables.emplace_back();
    table.framework = from.framework();
    table.library = from.library();
    table.python_module = from.python_module();
    for (const pb::TaskLoader& loader : from.task()) {
      if (loader.loader().empty()) {
        return LoadError(where, absl::StrCat("task '", loader.task(), "' has no loader"));
      }
      table.index.emplace(loader.task(), table.tasks.size());
      table.tasks.push_back(TaskLoaders{loader.task(),
                                        {loader.loader().begin(), loader.loader().end()},
                                        loader.missing_from_module()});
    }
  }
  return absl::OkStatus();
}

// The tables that name classes: custom classes, auto classes' model types, config classes'
// past support, diffusers pipelines and the auto-class tables of task inference.
void ApplyClassTables(const pb::TaskTables& tables, RegistrySnapshot& snapshot) {
  for (const pb::CustomClass& custom : tables.custom_class()) {
    snapshot.custom_classes.emplace(
        CustomClassKey(custom.framework(), custom.model_type(), custom.task()),
        CustomClass{custom.library(), custom.class_name()});
  }
  for (const pb::AutoClassModelTypes& auto_class : tables.auto_class_model_types()) {
    snapshot.auto_class_model_types[auto_class.auto_class()].insert(auto_class.model_type().begin(),
                                                                    auto_class.model_type().end());
  }
  for (const pb::ConfigClass& config_class : tables.config_class()) {
    snapshot.config_class_supports_past[config_class.name()] = config_class.supports_past();
  }
  for (const pb::DiffusersPipeline& pipeline : tables.diffusers_pipeline()) {
    snapshot.diffusers_pipelines.push_back(
        DiffusersPipeline{pipeline.task(), pipeline.model_type(), pipeline.class_name()});
  }
  for (const pb::TaskModelClasses& classes : tables.task_model_classes()) {
    snapshot.task_model_classes.push_back(
        TaskModelClasses{classes.framework(),
                         classes.task(),
                         {classes.class_name().begin(), classes.class_name().end()}});
  }
}

// get_all_tasks(): the keys of the PyTorch loader tables (torch is installed), and, by the
// generation's rule, the tasks of the custom classes (of PyTorch, or all), sorted.
std::vector<std::string> AllTasks(const pb::TaskTables& tables, const RegistrySnapshot& snapshot) {
  absl::flat_hash_set<std::string> all_tasks;
  for (const LoaderTable& table : snapshot.loader_tables) {
    if (table.framework != kAllTasksFramework) continue;
    for (const TaskLoaders& loader : table.tasks) all_tasks.insert(loader.task);
  }
  const std::string& custom = tables.rules().get_all_tasks_custom_class_tasks();
  for (const pb::CustomClass& entry : tables.custom_class()) {
    if (custom == "all" ||
        (custom == "active_framework" && entry.framework() == kAllTasksFramework)) {
      all_tasks.insert(entry.task());
    }
  }
  std::vector<std::string> sorted(all_tasks.begin(), all_tasks.end());
  std::sort(sorted.begin(), sorted.end());
  return sorted;
}

absl::Status ApplyTables(const RegistrySource& source, RegistrySnapshot& snapshot) {
  ParsedFile<pb::TaskTables> parsed;
  if (absl::Status status = Parse(source, parsed); !status.ok()) return status;
  const pb::TaskTables& tables = parsed.message;
  if (absl::Status status = ApplyRules(source, tables.rules(), snapshot); !status.ok()) {
    return status;
  }

  if (absl::Status status = ApplyTaskVocabulary(source, tables, snapshot); !status.ok()) {
    return status;
  }
  if (absl::Status status = ApplySynonyms(source, parsed, snapshot); !status.ok()) return status;
  for (const pb::Library& library : tables.library()) {
    snapshot.libraries.push_back(LibraryRegistry{library.name(), library.default_model_type(), {}});
  }
  if (snapshot.libraries.empty()) return LoadError(source.name, "no library is declared");
  if (absl::Status status = ApplyLoaderTables(source, parsed, snapshot); !status.ok()) {
    return status;
  }
  ApplyClassTables(tables, snapshot);
  snapshot.all_tasks = AllTasks(tables, snapshot);
  snapshot.table_packages.push_back(ToProvenance(tables.provenance(), source.name));
  for (const pb::Provenance& paired : tables.paired_package()) {
    snapshot.table_packages.push_back(ToProvenance(paired, source.name));
  }
  return absl::OkStatus();
}

// optimum-intel's seeding: every entry of `from` becomes an entry of `to` as well.
absl::Status CopyEntries(absl::string_view from, absl::string_view to, absl::string_view where,
                         RegistrySnapshot& snapshot) {
  bool found = false;
  for (LibraryRegistry& library : snapshot.libraries) {
    for (ModelTypeEntry& entry : library.model_types.mutable_entries()) {
      const ExporterTasks* source = entry.FindExporter(from);
      if (source == nullptr) continue;
      found = true;
      std::vector<TaskEntry> copy = source->tasks;
      entry.FindOrAddExporter(to).tasks = std::move(copy);
    }
  }
  if (!found) {
    return LoadError(where, absl::StrCat("copy_entries_from: no registry has exporter '", from,
                                         "' (exporter files load in name order)"));
  }
  return absl::OkStatus();
}

// One `register(model_type, *tasks, library_name=...)` applied to `exporter`'s registry.
absl::Status ApplyRegistration(const pb::Registration& registration, absl::string_view exporter,
                               bool overwrite_existing, const RegistrySource& source,
                               const TextFormat::ParseInfoTree* tree, absl::string_view where,
                               RegistrySnapshot& snapshot, std::vector<std::string>& warnings) {
  LibraryRegistry* library = snapshot.FindMutableLibrary(registration.library());
  if (library == nullptr) {
    return LoadError(where,
                     absl::StrCat("unknown library '", registration.library(),
                                  "'; libraries: ", absl::StrJoin(snapshot.LibraryNames(), ", ")));
  }
  const std::string& model_type = registration.model_type();
  if (model_type.empty()) return LoadError(where, "model_type is empty");
  if (registration.config_class().empty()) return LoadError(where, "config_class is empty");
  if (registration.task().empty()) return LoadError(where, "no task is registered");
  if (!snapshot.exact_model_type_keys &&
      (model_type != absl::AsciiStrToLower(model_type) || absl::StrContains(model_type, "_"))) {
    warnings.push_back(absl::StrCat(where, ": model type '", model_type,
                                    "' can never be found: queries are lower-cased and spell "
                                    "'_' as '-'"));
  }

  ExporterTasks& tasks = library->model_types.FindOrAdd(model_type).FindOrAddExporter(exporter);
  const std::string task_where = Where(source, tree, Field<pb::Registration>("task"), 0, where);
  for (const std::string& key : registration.task()) {
    const std::string bound_task = RemoveWithPast(key);
    if (!snapshot.task_vocabulary_set.contains(bound_task)) {
      std::optional<std::string> suggestion = ClosestMatch(bound_task, snapshot.task_vocabulary);
      return LoadError(
          task_where,
          absl::StrCat("unknown task '", bound_task, "' for model type '", model_type, "'",
                       suggestion ? absl::StrCat(" (did you mean '", *suggestion, "'?)") : "",
                       "; known tasks: ", absl::StrJoin(snapshot.task_vocabulary, ", ")));
    }
    const bool use_past = bound_task != key;
    if (use_past) {
      auto known = snapshot.config_class_supports_past.find(registration.config_class());
      if (known != snapshot.config_class_supports_past.end() && !known->second) {
        return LoadError(task_where,
                         absl::StrCat("'", key, "' needs past key values, which ",
                                      registration.config_class(), " does not support"));
      }
    }
    TaskEntry entry{key, registration.config_class(), bound_task, use_past};
    auto existing = std::find_if(tasks.tasks.begin(), tasks.tasks.end(),
                                 [&](const TaskEntry& e) { return e.key == key; });
    if (existing == tasks.tasks.end()) {
      tasks.tasks.push_back(std::move(entry));
    } else if (overwrite_existing) {
      *existing = std::move(entry);
    } else {
      warnings.push_back(absl::StrCat(task_where, ": ignored ", registration.library(), "/",
                                      model_type, "/", exporter, "/", key, " -> ",
                                      registration.config_class(), ": already registered to ",
                                      existing->config_class));
    }
  }
  return absl::OkStatus();
}

absl::Status ApplyExporterFile(const RegistrySource& source, RegistrySnapshot& snapshot,
                               std::vector<std::string>& warnings) {
  ParsedFile<pb::ExporterRegistry> parsed;
  if (absl::Status status = Parse(source, parsed); !status.ok()) return status;
  const pb::ExporterRegistry& file = parsed.message;
  const std::string& exporter = file.exporter();
  if (exporter.empty()) return LoadError(source.name, "exporter is empty");

  if (!file.copy_entries_from().empty()) {
    const std::string where =
        Where(source, &parsed.locations, Field<pb::ExporterRegistry>("copy_entries_from"), -1,
              source.name);
    if (absl::Status status = CopyEntries(file.copy_entries_from(), exporter, where, snapshot);
        !status.ok()) {
      return status;
    }
  }
  const auto* registration_field = Field<pb::ExporterRegistry>("registration");
  for (int i = 0; i < file.registration_size(); ++i) {
    const std::string where = Where(source, &parsed.locations, registration_field, i, source.name);
    const auto* tree = parsed.locations.GetTreeForNested(registration_field, i);
    if (absl::Status status =
            ApplyRegistration(file.registration(i), exporter, file.overwrite_existing(), source,
                              tree, where, snapshot, warnings);
        !status.ok()) {
      return status;
    }
  }

  auto info = std::find_if(snapshot.exporters.begin(), snapshot.exporters.end(),
                           [&](const ExporterInfo& e) { return e.name == exporter; });
  if (info == snapshot.exporters.end()) {
    info = snapshot.exporters.insert(snapshot.exporters.end(), ExporterInfo{exporter, {}});
  }
  info->provenance.push_back(ToProvenance(file.provenance(), source.name));
  return absl::OkStatus();
}

// The registries restricted to the entries of `exporters`, as Optimum would hold them with only
// the packages registering those installed (insertion orders are kept).
RegistryView BuildView(const RegistrySnapshot& snapshot, absl::Span<const std::string> exporters) {
  RegistryView view;
  for (const LibraryRegistry& library : snapshot.libraries) {
    ModelTypeMap& model_types = view.libraries.emplace_back();
    for (const ModelTypeEntry& entry : library.model_types.entries()) {
      ModelTypeEntry kept{entry.model_type, {}};
      for (const ExporterTasks& tasks : entry.exporters) {
        if (std::find(exporters.begin(), exporters.end(), tasks.exporter) != exporters.end()) {
          kept.exporters.push_back(tasks);
        }
      }
      if (!kept.exporters.empty()) model_types.Assign(kept);
    }
    for (const ModelTypeEntry& entry : model_types.entries()) view.merged.Assign(entry);
  }
  return view;
}

// The contents of the regular file at `path`. Anything else (a FIFO, a socket, a device, a
// folder) is FailedPrecondition without being read: opening a FIFO for reading would wait for a
// writer, and with it the reload and the thread taking signals. The type is checked on the
// opened file, so a file swapped for a FIFO after the listing is caught too.
absl::StatusOr<std::string> ReadRegularFile(const fs::path& path) {
  const int fd = open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) {
    return absl::NotFoundError(absl::StrCat(path.string(), ": cannot be read: ", strerror(errno)));
  }
  const absl::Cleanup close_fd = [fd] { close(fd); };
  struct stat info {};
  if (fstat(fd, &info) != 0 || !S_ISREG(info.st_mode)) {
    return absl::FailedPreconditionError(
        absl::StrCat(path.string(), ": skipped, not a regular file"));
  }
  std::string contents;
  char buffer[1 << 16];
  ssize_t got = 0;
  while ((got = read(fd, buffer, sizeof(buffer))) != 0) {
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) {
      return absl::NotFoundError(
          absl::StrCat(path.string(), ": cannot be read: ", strerror(errno)));
    }
    contents.append(buffer, static_cast<size_t>(got));
  }
  return contents;
}

}  // namespace

std::vector<std::string> EmbeddedGenerationFolders() {
  std::vector<std::string> folders;
  for (const EmbeddedFile& file : EmbeddedRegistryFiles()) {
    if (folders.empty() || folders.back() != file.folder) folders.emplace_back(file.folder);
  }
  return folders;
}

absl::StatusOr<RegistrySources> CollectRegistrySources(absl::Span<const std::string> extra_dirs,
                                                       absl::string_view embedded_folder) {
  RegistrySources sources;
  for (const EmbeddedFile& file : EmbeddedRegistryFiles()) {
    if (file.folder != embedded_folder) continue;
    RegistrySource source{absl::StrCat("embedded:", file.folder, "/", file.name),
                          std::string(file.contents.data(), file.contents.size())};
    if (file.name == kTablesFileName) {
      sources.tables = std::move(source);
    } else {
      sources.exporter_files.push_back(std::move(source));
    }
  }
  if (sources.tables.name.empty()) {
    return absl::NotFoundError(
        absl::StrCat("no embedded registry folder '", embedded_folder, "' with a ", kTablesFileName,
                     "; embedded: ", absl::StrJoin(EmbeddedGenerationFolders(), ", ")));
  }
  if (absl::Status status = AppendExtraDirs(extra_dirs, sources); !status.ok()) return status;
  return sources;
}

absl::Status AppendExtraDirs(absl::Span<const std::string> extra_dirs, RegistrySources& sources) {
  for (const std::string& dir : extra_dirs) {
    std::error_code error;
    std::vector<fs::path> files;
    for (const fs::directory_entry& entry : fs::directory_iterator(dir, error)) {
      if (entry.path().extension() == ".txtpb") files.push_back(entry.path());
    }
    if (error) {
      return absl::NotFoundError(
          absl::StrCat("--registry_dir ", dir, ": cannot be listed: ", error.message()));
    }
    std::sort(files.begin(), files.end());
    for (const fs::path& path : files) {
      if (path.filename().string() == kTablesFileName) {
        return absl::InvalidArgumentError(
            absl::StrCat(path.string(),
                         ": only the embedded registry has a tables file; --registry_dir "
                         "holds exporter registry files"));
      }
      absl::StatusOr<std::string> contents = ReadRegularFile(path);
      if (absl::IsFailedPrecondition(contents.status())) {
        sources.skipped.push_back(std::string(contents.status().message()));
        continue;
      }
      if (!contents.ok()) return contents.status();
      sources.exporter_files.push_back(RegistrySource{path.string(), *std::move(contents)});
    }
  }
  return absl::OkStatus();
}

namespace {

constexpr size_t kFingerprintBytes = 8;

// RegistrySnapshot::fingerprint. Names are length-prefixed so that no two file lists hash alike.
std::string Fingerprint(const RegistrySources& sources) {
  std::string input;
  const auto add = [&input](const RegistrySource& source) {
    const absl::string_view name =
        absl::string_view(source.name).substr(source.name.find_last_of("/:") + 1);
    absl::StrAppend(&input, name.size(), ":", name, source.contents.size(), ":", source.contents);
  };
  add(sources.tables);
  for (const RegistrySource& source : sources.exporter_files) add(source);
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(input.data()), input.size(), digest);
  return absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(digest), kFingerprintBytes));
}

}  // namespace

absl::StatusOr<LoadedRegistry> LoadRegistry(const RegistrySources& sources) {
  auto snapshot = std::make_shared<RegistrySnapshot>();
  LoadedRegistry loaded;
  if (absl::Status status = ApplyTables(sources.tables, *snapshot); !status.ok()) return status;
  for (const RegistrySource& source : sources.exporter_files) {
    if (absl::Status status = ApplyExporterFile(source, *snapshot, loaded.warnings); !status.ok()) {
      return status;
    }
  }
  // The rules name the core exporters; a view holds those some file registers.
  std::erase_if(snapshot->core_exporters, [&](const std::string& exporter) {
    return !absl::c_linear_search(snapshot->ExporterNames(), exporter);
  });
  snapshot->core_view = BuildView(*snapshot, snapshot->core_exporters);
  for (const ExporterInfo& exporter : snapshot->exporters) {
    std::vector<std::string> exporters = snapshot->core_exporters;
    exporters.push_back(exporter.name);
    snapshot->views.emplace(exporter.name, BuildView(*snapshot, exporters));
  }
  snapshot->fingerprint = Fingerprint(sources);
  loaded.snapshot = std::move(snapshot);
  loaded.files = 1 + sources.exporter_files.size();
  loaded.skipped = sources.skipped;
  return loaded;
}

std::string DescribeRegistry(const LoadedRegistry& loaded) {
  const RegistrySnapshot& snapshot = *loaded.snapshot;
  size_t model_types = 0;
  for (const LibraryRegistry& library : snapshot.libraries) {
    model_types += library.model_types.entries().size();
  }
  return absl::StrCat("exporters: ", absl::StrJoin(snapshot.ExporterNames(), ", "), "; ",
                      model_types, " model types, ", snapshot.all_tasks.size(), " tasks from ",
                      loaded.files, " registry files (fingerprint ", snapshot.fingerprint, ")");
}

}  // namespace tasks::registry
