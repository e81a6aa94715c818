#include "server/service/inference_handlers.h"

#include <utility>

#include "server/common/errors.h"
#include "server/inference/rules.h"
#include "server/service/grpc_status.h"
#include "server/service/proto_convert.h"

namespace tasks::service {
namespace {

namespace v1 = optimum::tasks::v1;

void SetEvidence(const inference::Evidence& evidence, v1::Evidence& out) {
  out.set_rule(evidence.rule);
  for (const std::string& fact : evidence.facts) out.add_facts(fact);
}

// Fills the evidence and source of any inference response.
template <typename Response>
void SetProvenance(const inference::InferenceAnswer& answer, Response& response) {
  SetEvidence(answer.evidence, *response.mutable_evidence());
  response.mutable_source()->set_source(answer.source);
  response.mutable_source()->set_commit_sha(answer.commit_sha);
}

}  // namespace

InferenceHandlers::InferenceHandlers(const registry::TasksManagerHolder* registry,
                                     const inference::ModelLocator* locator,
                                     const hub::HubCache* cache, size_t cache_max_bytes)
    : registry_(registry), locator_(locator), cache_(cache), cache_max_bytes_(cache_max_bytes) {}

inference::ModelInference InferenceHandlers::Inference() const {
  return inference::ModelInference(registry_->Get(), locator_);
}

grpc::Status InferenceHandlers::DetermineFramework(const v1::DetermineFrameworkRequest& request,
                                                   v1::DetermineFrameworkResponse& response,
                                                   const hub::Credentials& credentials,
                                                   absl::Time deadline) const {
  if (request.model_name_or_path().empty()) {
    return ToGrpcStatus(MissingArgument("model_name_or_path"));
  }
  auto answer = Inference().DetermineFramework(
      {request.model_name_or_path(), request.subfolder(), request.revision()}, credentials,
      deadline);
  if (!answer.ok()) return ToGrpcStatus(answer.status());
  response.set_framework(answer->value);
  SetProvenance(*answer, response);
  return grpc::Status::OK;
}

grpc::Status InferenceHandlers::InferLibraryFromModel(
    const v1::InferLibraryFromModelRequest& request, v1::InferLibraryFromModelResponse& response,
    const hub::Credentials& credentials, absl::Time deadline) const {
  if (request.model().empty()) return ToGrpcStatus(MissingArgument("model"));
  auto answer = Inference().InferLibrary({request.model(), request.subfolder(), request.revision()},
                                         credentials, deadline);
  if (!answer.ok()) return ToGrpcStatus(answer.status());
  response.set_library_name(answer->value);
  SetProvenance(*answer, response);
  return grpc::Status::OK;
}

grpc::Status InferenceHandlers::InferTaskFromModel(const v1::InferTaskFromModelRequest& request,
                                                   v1::InferTaskFromModelResponse& response,
                                                   const hub::Credentials& credentials,
                                                   absl::Time deadline) const {
  if (request.model().empty()) return ToGrpcStatus(MissingArgument("model"));
  auto answer = Inference().InferTask({request.model(), request.subfolder(), request.revision()},
                                      credentials, deadline);
  if (!answer.ok()) return ToGrpcStatus(answer.status());
  response.set_task(answer->value);
  response.set_library_name(answer->library);
  SetProvenance(*answer, response);
  return grpc::Status::OK;
}

grpc::Status InferenceHandlers::StandardizeModelAttributes(
    const v1::StandardizeModelAttributesRequest& request,
    v1::StandardizeModelAttributesResponse& response, const hub::Credentials& credentials,
    absl::Time deadline) const {
  if (request.model().empty()) {
    if (request.library_name().empty()) return ToGrpcStatus(MissingArgument("library_name"));
    if (request.class_name().empty()) return ToGrpcStatus(MissingArgument("class_name"));
    absl::StatusOr<inference::Inferred> type = inference::ExportModelType(
        registry_->Get()->snapshot(), request.library_name(), request.class_name());
    if (!type.ok()) return ToGrpcStatus(type.status());
    response.set_library_name(request.library_name());
    response.set_export_model_type(type->value);
    SetEvidence(type->evidence, *response.mutable_evidence());
    return grpc::Status::OK;
  }
  auto answer = Inference().StandardizeModelAttributes(
      {request.model(), request.subfolder(), request.revision()}, credentials, deadline);
  if (!answer.ok()) return ToGrpcStatus(answer.status());
  response.set_library_name(answer->library);
  response.set_export_model_type(answer->value);
  SetProvenance(*answer, response);
  return grpc::Status::OK;
}

grpc::Status InferenceHandlers::ResolveExport(const v1::ResolveExportRequest& request,
                                              v1::ResolveExportResponse& response,
                                              const hub::Credentials& credentials,
                                              absl::Time deadline) const {
  if (request.model().empty()) return ToGrpcStatus(MissingArgument("model"));
  inference::ExportRequest export_request{
      {request.model(), request.subfolder(), request.revision()}, request.exporter()};
  if (request.has_task()) export_request.task = request.task();
  if (request.has_framework()) export_request.framework = request.framework();
  if (request.has_library_name()) export_request.library_name = request.library_name();
  const inference::ModelInference model_inference = Inference();
  absl::StatusOr<inference::ExportPlan> plan =
      inference::ExportPlanner(&model_inference).Resolve(export_request, credentials, deadline);
  if (!plan.ok()) return ToGrpcStatus(plan.status());
  response.mutable_source()->set_source(plan->source);
  response.mutable_source()->set_commit_sha(plan->commit_sha);
  response.set_library_name(plan->library);
  response.set_framework(plan->framework);
  response.set_task(plan->task);
  response.set_task_with_past(plan->task_with_past);
  response.set_model_type(plan->model_type);
  response.set_export_model_type(plan->export_model_type);
  ToProto(plan->model_class, *response.mutable_model_class());
  if (plan->exporter_config) {
    ToProto(*plan->exporter_config, plan->exporter_config_model_type,
            *response.mutable_exporter_config());
  }
  for (const registry::TaskEntry& entry : plan->supported_tasks) {
    ToProto(entry, *response.add_supported_tasks());
  }
  for (const inference::PipelineComponent& component : plan->components) {
    v1::PipelineComponent& out = *response.add_components();
    out.set_name(component.name);
    out.set_model_type(component.model_type);
    out.set_task(component.task);
    out.set_config_class(component.config_class);
  }
  for (const inference::Evidence& evidence : plan->evidence) {
    SetEvidence(evidence, *response.add_evidence());
  }
  return grpc::Status::OK;
}

grpc::Status InferenceHandlers::GetCacheStats(const v1::GetCacheStatsRequest&,
                                              v1::GetCacheStatsResponse& response) const {
  if (cache_ == nullptr) return grpc::Status::OK;  // offline: no Hub, no cache
  response.set_max_bytes(static_cast<int64_t>(cache_max_bytes_));
  const hub::HubCacheStats stats = cache_->Stats();
  response.set_hits(stats.hits);
  response.set_misses(stats.misses);
  response.set_coalesced(stats.coalesced);
  response.set_stale_served(stats.stale_served);
  response.set_evictions(stats.evictions);
  response.set_entries(stats.entries);
  response.set_bytes(stats.bytes);
  for (const auto& [what, count] : stats.upstream) {
    (*response.mutable_upstream_requests())[what] = count;
  }
  return grpc::Status::OK;
}

}  // namespace tasks::service
