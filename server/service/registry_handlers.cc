#include "server/service/registry_handlers.h"

#include <optional>
#include <string>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "server/common/errors.h"
#include "server/registry/environment.h"
#include "server/registry/support_matrix.h"
#include "server/service/proto_convert.h"

namespace tasks::service {
namespace {

namespace v1 = optimum::tasks::v1;
using registry::ModelClass;

// A proto3 `optional string` as the core's optional argument.
std::optional<absl::string_view> Optional(bool has, const std::string& value) {
  return has ? std::optional<absl::string_view>(value) : std::nullopt;
}

// An exporter's (library, model type, task) counts and where its registrations come from.
void DescribeExporter(const registry::RegistrySnapshot& snapshot,
                      const registry::ExporterInfo& info, v1::Exporter& exporter) {
  exporter.set_name(info.name);
  for (const registry::ExporterCount& from : registry::CountExporter(snapshot, info.name)) {
    v1::LibraryCount& count = *exporter.add_libraries();
    count.set_library(std::string(from.library));
    count.set_model_types(from.model_types);
    count.set_tasks(from.tasks);
    exporter.set_model_types(exporter.model_types() + from.model_types);
    exporter.set_tasks(exporter.tasks() + from.tasks);
  }
  for (const registry::Provenance& from : info.provenance) {
    ToProto(from, *exporter.add_provenance());
  }
}

// One generation as ListGenerations describes it.
void DescribeGeneration(const registry::Generations& generations,
                        const registry::TasksManager& core, v1::Generation& generation) {
  const registry::RegistrySnapshot& snapshot = core.snapshot();
  generation.set_name(snapshot.generation);
  if (!snapshot.table_packages.empty()) {
    generation.set_optimum_version(snapshot.table_packages.front().version);
  }
  generation.set_is_default(&core == &generations.default_generation());
  generation.set_is_latest(&core == &generations.latest());
  // Each package once: several exporter files may come from one package (optimum-neuron).
  absl::flat_hash_set<std::pair<std::string, std::string>> listed;
  const auto add_package = [&](const registry::Provenance& package) {
    if (listed.insert({package.package, package.version}).second) {
      ToProto(package, *generation.add_packages());
    }
  };
  for (const registry::Provenance& package : snapshot.table_packages) add_package(package);
  for (const registry::ExporterInfo& info : snapshot.exporters) {
    for (const registry::Provenance& package : info.provenance) add_package(package);
    DescribeExporter(snapshot, info, *generation.add_exporters());
  }
  for (const std::string& framework : snapshot.frameworks) generation.add_frameworks(framework);
  generation.set_tasks(static_cast<int32_t>(core.GetAllTasks().size()));
  generation.set_registry_fingerprint(snapshot.fingerprint);
}

}  // namespace

absl::Status GetAllTasks(const registry::TasksManager& core, const v1::GetAllTasksRequest&,
                         v1::GetAllTasksResponse& response) {
  for (const std::string& task : core.GetAllTasks()) response.add_tasks(task);
  v1::Environment& environment = *response.mutable_environment();
  for (absl::string_view package : registry::kInstalledPackages) {
    environment.add_installed_packages(std::string(package));
  }
  for (const std::string& framework : core.snapshot().frameworks) {
    environment.add_frameworks(framework);
  }
  environment.set_all_tasks_framework(std::string(registry::kAllTasksFramework));
  for (const std::string& library : core.snapshot().LibraryNames()) {
    environment.add_libraries(library);
  }
  for (const std::string& exporter : core.snapshot().ExporterNames()) {
    response.add_exporters(exporter);
  }
  response.set_generation(core.snapshot().generation);
  return absl::OkStatus();
}

absl::Status MapFromSynonym(const registry::TasksManager& core,
                            const v1::MapFromSynonymRequest& request,
                            v1::MapFromSynonymResponse& response) {
  if (request.task().empty()) return MissingArgument("task");
  registry::SynonymAnswer answer = core.DescribeTask(request.task());
  response.set_task(std::move(answer.task));
  for (std::string& synonym : answer.synonyms_for_task) {
    response.add_synonyms_for_task(std::move(synonym));
  }
  response.set_is_synonym(answer.is_synonym);
  response.set_is_with_past(answer.is_with_past);
  return absl::OkStatus();
}

absl::Status GetSupportedTasksForModelType(const registry::TasksManager& core,
                                           const v1::GetSupportedTasksForModelTypeRequest& request,
                                           v1::GetSupportedTasksForModelTypeResponse& response) {
  if (request.model_type().empty()) return MissingArgument("model_type");
  if (request.exporter().empty()) return MissingArgument("exporter");
  absl::StatusOr<registry::SupportedTasks> supported = core.GetSupportedTasksForModelType(
      request.model_type(), request.exporter(),
      Optional(request.has_model_name(), request.model_name()),
      Optional(request.has_library_name(), request.library_name()));
  if (!supported.ok()) return supported.status();
  for (const registry::TaskEntry& entry : supported->tasks->tasks) {
    ToProto(entry, *response.add_tasks());
  }
  response.set_model_type(std::string(supported->model_type));
  response.set_library_name(std::string(supported->library_name));
  return absl::OkStatus();
}

absl::Status GetSupportedModelTypeForTask(const registry::TasksManager& core,
                                          const v1::GetSupportedModelTypeForTaskRequest& request,
                                          v1::GetSupportedModelTypeForTaskResponse& response) {
  if (request.task().empty()) return MissingArgument("task");
  if (request.exporter().empty()) return MissingArgument("exporter");
  absl::StatusOr<absl::Span<const std::string>> model_types =
      core.GetSupportedModelTypeForTask(request.task(), request.exporter());
  if (!model_types.ok()) return model_types.status();
  response.mutable_model_types()->Reserve(static_cast<int>(model_types->size()));
  for (const std::string& model_type : *model_types) response.add_model_types(model_type);
  return absl::OkStatus();
}

absl::Status GetExporterConfigConstructor(const registry::TasksManager& core,
                                          const v1::GetExporterConfigConstructorRequest& request,
                                          v1::GetExporterConfigConstructorResponse& response) {
  if (request.exporter().empty()) return MissingArgument("exporter");
  const absl::string_view task =
      request.has_task() ? absl::string_view(request.task()) : registry::kDefaultExporterConfigTask;
  absl::StatusOr<registry::ExporterConfig> config = core.GetExporterConfigConstructor(
      request.exporter(), task, Optional(request.has_model_type(), request.model_type()),
      Optional(request.has_model_name(), request.model_name()),
      Optional(request.has_library_name(), request.library_name()));
  if (!config.ok()) return config.status();
  ToProto(*config->entry, config->model_type, response);
  if (request.has_exporter_config_kwargs()) {
    *response.mutable_exporter_config_kwargs() = request.exporter_config_kwargs();
  }
  return absl::OkStatus();
}

absl::Status GetModelClassForTask(const registry::TasksManager& core,
                                  const v1::GetModelClassForTaskRequest& request,
                                  v1::GetModelClassForTaskResponse& response) {
  if (request.task().empty()) return MissingArgument("task");
  absl::StatusOr<ModelClass> model_class = core.GetModelClassForTask(
      request.task(),
      request.has_framework() ? absl::string_view(request.framework())
                              : registry::kDefaultFramework,
      Optional(request.has_model_type(), request.model_type()),
      Optional(request.has_model_class_name(), request.model_class_name()),
      request.has_library() ? absl::string_view(request.library()) : registry::kDefaultLibrary);
  if (!model_class.ok()) return model_class.status();
  ToProto(*model_class, response);
  return absl::OkStatus();
}

absl::Status ListExporters(const registry::TasksManager& core, const v1::ListExportersRequest&,
                           v1::ListExportersResponse& response) {
  for (const registry::ExporterInfo& info : core.snapshot().exporters) {
    DescribeExporter(core.snapshot(), info, *response.add_exporters());
  }
  response.set_registry_fingerprint(core.snapshot().fingerprint);
  return absl::OkStatus();
}

absl::Status GetSupportMatrix(const registry::TasksManager& core,
                              const v1::GetSupportMatrixRequest& request,
                              v1::GetSupportMatrixResponse& response) {
  const registry::SupportMatrixFilter filter{
      Optional(request.has_exporter(), request.exporter()),
      Optional(request.has_library_name(), request.library_name()),
      Optional(request.has_task(), request.task()),
      Optional(request.has_model_type(), request.model_type())};
  absl::StatusOr<registry::SupportMatrix> matrix =
      registry::BuildSupportMatrix(core.snapshot(), filter);
  if (!matrix.ok()) return matrix.status();
  response.mutable_rows()->Reserve(static_cast<int>(matrix->rows.size()));
  for (const registry::SupportMatrixRow& from : matrix->rows) ToProto(from, *response.add_rows());
  for (const registry::ExporterInfo* info : matrix->exporters) {
    DescribeExporter(core.snapshot(), *info, *response.add_exporters());
  }
  return absl::OkStatus();
}

absl::Status ListGenerations(const registry::Generations& generations,
                             const v1::ListGenerationsRequest&,
                             v1::ListGenerationsResponse& response) {
  for (const std::shared_ptr<const registry::TasksManager>& core : generations.all()) {
    DescribeGeneration(generations, *core, *response.add_generations());
  }
  return absl::OkStatus();
}

absl::Status DiffSupportMatrix(const registry::Generations& generations,
                               const v1::DiffSupportMatrixRequest& request,
                               v1::DiffSupportMatrixResponse& response) {
  if (request.from_version().empty()) return MissingArgument("from_version");
  if (request.to_version().empty()) return MissingArgument("to_version");
  absl::StatusOr<std::shared_ptr<const registry::TasksManager>> from =
      generations.Select(request.from_version());
  if (!from.ok()) return from.status();
  absl::StatusOr<std::shared_ptr<const registry::TasksManager>> to =
      generations.Select(request.to_version());
  if (!to.ok()) return to.status();
  const registry::SupportMatrixFilter filter{
      Optional(request.has_exporter(), request.exporter()),
      Optional(request.has_library_name(), request.library_name()),
      Optional(request.has_task(), request.task()),
      Optional(request.has_model_type(), request.model_type())};
  absl::StatusOr<std::vector<registry::SupportMatrixChange>> changes =
      registry::DiffSupportMatrix((*from)->snapshot(), (*to)->snapshot(), filter);
  if (!changes.ok()) return changes.status();
  response.set_from_generation((*from)->snapshot().generation);
  response.set_to_generation((*to)->snapshot().generation);
  for (const registry::SupportMatrixChange& change : *changes) {
    v1::SupportMatrixChange& out = *response.add_changes();
    out.set_kind(ToProto(change.kind));
    if (change.before) ToProto(*change.before, *out.mutable_before());
    if (change.after) ToProto(*change.after, *out.mutable_after());
  }
  return absl::OkStatus();
}

}  // namespace tasks::service
