#include "server/service/registry_handlers.h"

#include <optional>
#include <string>
#include <utility>

#include "absl/container/flat_hash_map.h"
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
    v1::Provenance& provenance = *exporter.add_provenance();
    provenance.set_package(from.package);
    provenance.set_version(from.version);
    provenance.set_repository(from.repository);
    provenance.set_commit(from.commit);
    provenance.set_source_file(from.source_file);
    provenance.set_registry_file(from.registry_file);
  }
}

}  // namespace

RegistryHandlers::RegistryHandlers(const registry::TasksManagerHolder* registry)
    : registry_(registry) {}

absl::Status RegistryHandlers::GetAllTasks(const v1::GetAllTasksRequest&,
                                           v1::GetAllTasksResponse& response) const {
  const std::shared_ptr<const registry::TasksManager> core = registry_->Get();
  for (const std::string& task : core->GetAllTasks()) response.add_tasks(task);
  v1::Environment& environment = *response.mutable_environment();
  for (absl::string_view package : registry::kInstalledPackages) {
    environment.add_installed_packages(std::string(package));
  }
  for (absl::string_view framework : registry::kFrameworks) {
    environment.add_frameworks(std::string(framework));
  }
  environment.set_all_tasks_framework(std::string(registry::kAllTasksFramework));
  for (const std::string& library : core->snapshot().LibraryNames()) {
    environment.add_libraries(library);
  }
  for (const std::string& exporter : core->snapshot().ExporterNames()) {
    response.add_exporters(exporter);
  }
  return absl::OkStatus();
}

absl::Status RegistryHandlers::MapFromSynonym(const v1::MapFromSynonymRequest& request,
                                              v1::MapFromSynonymResponse& response) const {
  const std::shared_ptr<const registry::TasksManager> core = registry_->Get();
  if (request.task().empty()) return MissingArgument("task");
  registry::SynonymAnswer answer = core->DescribeTask(request.task());
  response.set_task(std::move(answer.task));
  for (std::string& synonym : answer.synonyms_for_task) {
    response.add_synonyms_for_task(std::move(synonym));
  }
  response.set_is_synonym(answer.is_synonym);
  response.set_is_with_past(answer.is_with_past);
  return absl::OkStatus();
}

absl::Status RegistryHandlers::GetSupportedTasksForModelType(
    const v1::GetSupportedTasksForModelTypeRequest& request,
    v1::GetSupportedTasksForModelTypeResponse& response) const {
  const std::shared_ptr<const registry::TasksManager> core = registry_->Get();
  if (request.model_type().empty()) return MissingArgument("model_type");
  if (request.exporter().empty()) return MissingArgument("exporter");
  absl::StatusOr<registry::SupportedTasks> supported = core->GetSupportedTasksForModelType(
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

absl::Status RegistryHandlers::GetSupportedModelTypeForTask(
    const v1::GetSupportedModelTypeForTaskRequest& request,
    v1::GetSupportedModelTypeForTaskResponse& response) const {
  const std::shared_ptr<const registry::TasksManager> core = registry_->Get();
  if (request.task().empty()) return MissingArgument("task");
  if (request.exporter().empty()) return MissingArgument("exporter");
  absl::StatusOr<absl::Span<const std::string>> model_types =
      core->GetSupportedModelTypeForTask(request.task(), request.exporter());
  if (!model_types.ok()) return model_types.status();
  response.mutable_model_types()->Reserve(static_cast<int>(model_types->size()));
  for (const std::string& model_type : *model_types) response.add_model_types(model_type);
  return absl::OkStatus();
}

absl::Status RegistryHandlers::GetExporterConfigConstructor(
    const v1::GetExporterConfigConstructorRequest& request,
    v1::GetExporterConfigConstructorResponse& response) const {
  const std::shared_ptr<const registry::TasksManager> core = registry_->Get();
  if (request.exporter().empty()) return MissingArgument("exporter");
  const absl::string_view task =
      request.has_task() ? absl::string_view(request.task()) : registry::kDefaultExporterConfigTask;
  absl::StatusOr<registry::ExporterConfig> config = core->GetExporterConfigConstructor(
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

absl::Status RegistryHandlers::GetModelClassForTask(
    const v1::GetModelClassForTaskRequest& request,
    v1::GetModelClassForTaskResponse& response) const {
  const std::shared_ptr<const registry::TasksManager> core = registry_->Get();
  if (request.task().empty()) return MissingArgument("task");
  absl::StatusOr<ModelClass> model_class = core->GetModelClassForTask(
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

absl::Status RegistryHandlers::ListExporters(const v1::ListExportersRequest&,
                                             v1::ListExportersResponse& response) const {
  const std::shared_ptr<const registry::TasksManager> core = registry_->Get();
  for (const registry::ExporterInfo& info : core->snapshot().exporters) {
    DescribeExporter(core->snapshot(), info, *response.add_exporters());
  }
  response.set_registry_fingerprint(core->snapshot().fingerprint);
  return absl::OkStatus();
}

absl::Status RegistryHandlers::GetSupportMatrix(const v1::GetSupportMatrixRequest& request,
                                                v1::GetSupportMatrixResponse& response) const {
  const std::shared_ptr<const registry::TasksManager> core = registry_->Get();
  const registry::SupportMatrixFilter filter{
      Optional(request.has_exporter(), request.exporter()),
      Optional(request.has_library_name(), request.library_name()),
      Optional(request.has_task(), request.task()),
      Optional(request.has_model_type(), request.model_type())};
  absl::StatusOr<registry::SupportMatrix> matrix =
      registry::BuildSupportMatrix(core->snapshot(), filter);
  if (!matrix.ok()) return matrix.status();
  response.mutable_rows()->Reserve(static_cast<int>(matrix->rows.size()));
  for (const registry::SupportMatrixRow& from : matrix->rows) {
    v1::SupportMatrixRow& row = *response.add_rows();
    row.set_exporter(std::string(from.exporter));
    row.set_library_name(std::string(from.library));
    row.set_model_type(std::string(from.model_type));
    row.set_task(std::string(from.task));
    row.set_config_class(std::string(from.config_class));
    row.set_use_past(from.use_past);
  }
  for (const registry::ExporterInfo* info : matrix->exporters) {
    DescribeExporter(core->snapshot(), *info, *response.add_exporters());
  }
  return absl::OkStatus();
}

}  // namespace tasks::service
