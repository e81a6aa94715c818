#include "server/service/inference_handlers.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "server/common/errors.h"
#include "server/common/memory_only.h"
#include "server/inference/rules.h"
#include "server/service/grpc_status.h"
#include "server/service/message_bytes.h"
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

void SetPlan(const inference::ExportPlan& plan, v1::ResolveExportResponse& response) {
  response.mutable_source()->set_source(plan.source);
  response.mutable_source()->set_commit_sha(plan.commit_sha);
  response.set_library_name(plan.library);
  response.set_framework(plan.framework);
  response.set_task(plan.task);
  response.set_task_with_past(plan.task_with_past);
  response.set_model_type(plan.model_type);
  response.set_export_model_type(plan.export_model_type);
  ToProto(plan.model_class, *response.mutable_model_class());
  if (plan.exporter_config) {
    ToProto(*plan.exporter_config, plan.exporter_config_model_type,
            *response.mutable_exporter_config());
  }
  for (const registry::TaskEntry& entry : plan.supported_tasks) {
    ToProto(entry, *response.add_supported_tasks());
  }
  for (const inference::PipelineComponent& component : plan.components) {
    v1::PipelineComponent& out = *response.add_components();
    out.set_name(component.name);
    out.set_model_type(component.model_type);
    out.set_task(component.task);
    out.set_config_class(component.config_class);
  }
  for (const inference::Evidence& evidence : plan.evidence) {
    SetEvidence(evidence, *response.add_evidence());
  }
}

// A response kept in the Hub cache beside the model info it was computed from
// (HubCache::StoreDerived), with the registry it was computed over: a reload makes it stale.
// Kept as a message: copying one costs less than half of parsing it again.
template <typename Response>
struct ReusableResponse {
  std::weak_ptr<const registry::TasksManager> registry;
  Response response;
};

// Whether `weak` was made from the object `shared` owns (even if that object is gone now).
template <typename T, typename U>
bool SameObject(const std::weak_ptr<T>& weak, const std::shared_ptr<U>& shared) {
  return !weak.owner_before(shared) && !shared.owner_before(weak);
}

}  // namespace

InferenceHandlers::InferenceHandlers(const registry::TasksManagerHolder* registry,
                                     const inference::ModelLocator* locator, hub::HubCache* cache,
                                     size_t cache_max_bytes)
    : registry_(registry), locator_(locator), cache_(cache), cache_max_bytes_(cache_max_bytes) {}

template <typename Request, typename Response, typename Compute>
grpc::Status InferenceHandlers::Answer(const Request& request, const inference::ModelRef& ref,
                                       const hub::Credentials& credentials, absl::Time deadline,
                                       Response& response, Compute compute) const {
  const std::shared_ptr<const registry::TasksManager> tasks = registry_->Get();
  const inference::ModelInference inference(tasks, locator_);
  absl::StatusOr<std::unique_ptr<inference::ModelFiles>> files =
      inference.Open(ref, credentials, deadline);
  if (!files.ok()) return ToGrpcStatus(files.status());
  const std::shared_ptr<const hub::ModelInfo>& info = (*files)->model_info();
  if (info == nullptr || cache_ == nullptr) return compute(inference, **files, response);

  // The same request about the same model info, over the same registry, has the same answer
  // but for where the model info came from this time.
  std::string what = absl::StrCat(Request::descriptor()->name(), " ");
  request.AppendToString(&what);
  if (auto reused = cache_->FindDerived<ReusableResponse<Response>>(info, what);
      reused && SameObject(reused->registry, tasks)) {
    response.CopyFrom(reused->response);
    response.mutable_source()->set_source((*files)->source());
    return grpc::Status::OK;
  }
  grpc::Status status = compute(inference, **files, response);
  // Kept only once the model is asked about again (its model info came from the cache): answers
  // to one-off questions would take the room of Hub answers.
  if (status.ok() && (*files)->source() != "hub" && !MemoryOnlyScope::AnswerMayBeIncomplete()) {
    auto kept = std::make_shared<ReusableResponse<Response>>();
    kept->registry = tasks;
    kept->response.CopyFrom(response);
    const size_t heap_bytes = MessageBytes(kept->response) - sizeof(Response);
    cache_->StoreDerived<ReusableResponse<Response>>(info, what, std::move(kept), heap_bytes);
  }
  return status;
}

grpc::Status InferenceHandlers::DetermineFramework(const v1::DetermineFrameworkRequest& request,
                                                   v1::DetermineFrameworkResponse& response,
                                                   const hub::Credentials& credentials,
                                                   absl::Time deadline) const {
  if (request.model_name_or_path().empty()) {
    return ToGrpcStatus(MissingArgument("model_name_or_path"));
  }
  return Answer(request, {request.model_name_or_path(), request.subfolder(), request.revision()},
                credentials, deadline, response,
                [](const inference::ModelInference&, inference::ModelFiles& files,
                   v1::DetermineFrameworkResponse& response) {
                  auto answer = inference::ModelInference::DetermineFramework(files);
                  if (!answer.ok()) return ToGrpcStatus(answer.status());
                  response.set_framework(answer->value);
                  SetProvenance(*answer, response);
                  return grpc::Status::OK;
                });
}

grpc::Status InferenceHandlers::InferLibraryFromModel(
    const v1::InferLibraryFromModelRequest& request, v1::InferLibraryFromModelResponse& response,
    const hub::Credentials& credentials, absl::Time deadline) const {
  if (request.model().empty()) return ToGrpcStatus(MissingArgument("model"));
  return Answer(request, {request.model(), request.subfolder(), request.revision()}, credentials,
                deadline, response,
                [](const inference::ModelInference&, inference::ModelFiles& files,
                   v1::InferLibraryFromModelResponse& response) {
                  auto answer = inference::ModelInference::InferLibrary(files);
                  if (!answer.ok()) return ToGrpcStatus(answer.status());
                  response.set_library_name(answer->value);
                  SetProvenance(*answer, response);
                  return grpc::Status::OK;
                });
}

grpc::Status InferenceHandlers::InferTaskFromModel(const v1::InferTaskFromModelRequest& request,
                                                   v1::InferTaskFromModelResponse& response,
                                                   const hub::Credentials& credentials,
                                                   absl::Time deadline) const {
  if (request.model().empty()) return ToGrpcStatus(MissingArgument("model"));
  const inference::ModelRef ref{request.model(), request.subfolder(), request.revision()};
  return Answer(request, ref, credentials, deadline, response,
                [&ref](const inference::ModelInference& inference, inference::ModelFiles& files,
                       v1::InferTaskFromModelResponse& response) {
                  auto answer = inference.InferTask(files, ref);
                  if (!answer.ok()) return ToGrpcStatus(answer.status());
                  response.set_task(answer->value);
                  response.set_library_name(answer->library);
                  SetProvenance(*answer, response);
                  return grpc::Status::OK;
                });
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
  return Answer(request, {request.model(), request.subfolder(), request.revision()}, credentials,
                deadline, response,
                [](const inference::ModelInference& inference, inference::ModelFiles& files,
                   v1::StandardizeModelAttributesResponse& response) {
                  auto answer = inference.StandardizeModelAttributes(files);
                  if (!answer.ok()) return ToGrpcStatus(answer.status());
                  response.set_library_name(answer->library);
                  response.set_export_model_type(answer->value);
                  SetProvenance(*answer, response);
                  return grpc::Status::OK;
                });
}

grpc::Status InferenceHandlers::ResolveExport(const v1::ResolveExportRequest& request,
                                              v1::ResolveExportResponse& response,
                                              const hub::Credentials& credentials,
                                              absl::Time deadline) const {
  if (request.model().empty()) return ToGrpcStatus(MissingArgument("model"));
  if (request.exporter().empty()) return ToGrpcStatus(MissingArgument("exporter"));
  inference::ExportRequest export_request{
      {request.model(), request.subfolder(), request.revision()}, request.exporter()};
  if (request.has_task()) export_request.task = request.task();
  if (request.has_framework()) export_request.framework = request.framework();
  if (request.has_library_name()) export_request.library_name = request.library_name();
  return Answer(
      request, export_request.model, credentials, deadline, response,
      [&export_request](const inference::ModelInference& inference, inference::ModelFiles& files,
                        v1::ResolveExportResponse& response) {
        absl::StatusOr<inference::ExportPlan> plan =
            inference::ExportPlanner(&inference).Resolve(export_request, files);
        if (!plan.ok()) return ToGrpcStatus(plan.status());
        SetPlan(*plan, response);
        return grpc::Status::OK;
      });
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
  response.set_derived_hits(stats.derived_hits);
  response.set_evictions(stats.evictions);
  response.set_entries(stats.entries);
  response.set_bytes(stats.bytes);
  for (const auto& [what, count] : stats.upstream) {
    (*response.mutable_upstream_requests())[what] = count;
  }
  return grpc::Status::OK;
}

}  // namespace tasks::service
