#include "server/service/inference_handlers.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "server/common/errors.h"
#include "server/inference/export_plan.h"
#include "server/inference/model_inference.h"
#include "server/inference/rules.h"
#include "server/service/proto_convert.h"

namespace tasks::service {
namespace {

namespace v1 = optimum::tasks::v1;
using inference::ModelFiles;
using inference::ModelInference;

void SetEvidence(const inference::Evidence& evidence, v1::Evidence& out) {
  out.set_rule(evidence.rule);
  for (const std::string& fact : evidence.facts) out.add_facts(fact);
}

template <typename Response>
void SetSource(inference::ModelSource source, const std::string& commit_sha, Response& response) {
  response.mutable_source()->set_source(inference::ModelSourceName(source));
  response.mutable_source()->set_commit_sha(commit_sha);
}

// Fills the evidence and source of any inference response.
template <typename Response>
void SetProvenance(const inference::InferenceAnswer& answer, Response& response) {
  SetEvidence(answer.evidence, *response.mutable_evidence());
  SetSource(answer.source, answer.commit_sha, response);
}

void SetPlan(const inference::ExportPlan& plan, v1::ResolveExportResponse& response) {
  SetSource(plan.source, plan.commit_sha, response);
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

}  // namespace

InferenceHandlers::InferenceHandlers(const inference::ModelLocator* locator, hub::HubCache* cache,
                                     AnswerMemo* memo, size_t cache_max_bytes)
    : locator_(locator),
      cache_(cache),
      memo_(memo),
      cache_max_bytes_(cache_max_bytes) {}

template <typename Response>
bool InferenceHandlers::Reuse(const google::protobuf::Message& request, const ModelFiles& files,
                              const std::shared_ptr<const registry::TasksManager>& tasks,
                              Response& response) const {
  // The same request about the same model info, over the same registry, has the same answer
  // but for where the model info came from this time.
  const std::shared_ptr<const hub::ModelInfo>& info = files.model_info();
  if (info == nullptr || !memo_->Find(info, tasks, request, response)) return false;
  response.mutable_source()->set_source(inference::ModelSourceName(files.source()));
  return true;
}

template <typename Request, typename Response, typename Fn>
absl::Status InferenceHandlers::ComputeAndKeep(
    const Request& request, ModelFiles& files,
    const std::shared_ptr<const registry::TasksManager>& tasks, Response& response,
    Fn& compute) const {
  absl::Status status = compute(ModelInference(tasks), files, response);
  // Kept only once the model is asked about again (its model info came from the cache): answers
  // to one-off questions would take the room of Hub answers.
  if (status.ok() && files.model_info() != nullptr &&
      files.source() != inference::ModelSource::kHub) {
    memo_->Keep(files.model_info(), tasks, request, response);
  }
  return status;
}

template <typename Request, typename Response, typename Fn>
InferenceStep InferenceHandlers::Begin(std::shared_ptr<const registry::TasksManager> tasks,
                                       const Request& request, inference::ModelRef ref,
                                       const hub::Credentials& credentials, Response& response,
                                       Fn compute) const {
  std::optional<absl::StatusOr<std::unique_ptr<ModelFiles>>> opened =
      locator_->TryOpen(ref, credentials);
  std::unique_ptr<ModelFiles> files;
  if (opened) {
    if (!opened->ok()) return InferenceStep::Answered(opened->status());
    files = *std::move(*opened);
    if (Reuse(request, *files, tasks, response)) return InferenceStep::Answered(absl::OkStatus());
  }
  return InferenceStep::Later([this, &request, &response, ref = std::move(ref), credentials,
                               tasks = std::move(tasks), files = std::move(files),
                               compute](const WaitLimits& limits) mutable -> absl::Status {
    if (files != nullptr) {
      files->AllowWaiting(limits);  // opened from memory, and no answer kept for it
    } else {
      absl::StatusOr<std::unique_ptr<ModelFiles>> opening =
          locator_->Open(ref, credentials, limits);
      if (!opening.ok()) return opening.status();
      files = *std::move(opening);
      if (Reuse(request, *files, tasks, response)) return absl::OkStatus();
    }
    return ComputeAndKeep(request, *files, tasks, response, compute);
  });
}

InferenceStep InferenceHandlers::DetermineFramework(std::shared_ptr<const registry::TasksManager> tasks, const v1::DetermineFrameworkRequest& request,
                                                    v1::DetermineFrameworkResponse& response,
                                                    const hub::Credentials& credentials) const {
  if (request.model_name_or_path().empty()) {
    return InferenceStep::Answered(MissingArgument("model_name_or_path"));
  }
  return Begin(std::move(tasks), request, {request.model_name_or_path(), request.subfolder(), request.revision()},
               credentials, response,
               [](const ModelInference& inference, ModelFiles& files,
                  v1::DetermineFrameworkResponse& response) -> absl::Status {
                 auto answer = inference.DetermineFramework(files);
                 if (!answer.ok()) return answer.status();
                 response.set_framework(answer->value);
                 SetProvenance(*answer, response);
                 return absl::OkStatus();
               });
}

InferenceStep InferenceHandlers::InferLibraryFromModel(
    std::shared_ptr<const registry::TasksManager> tasks, const v1::InferLibraryFromModelRequest& request, v1::InferLibraryFromModelResponse& response,
    const hub::Credentials& credentials) const {
  if (request.model().empty()) return InferenceStep::Answered(MissingArgument("model"));
  return Begin(std::move(tasks), request, {request.model(), request.subfolder(), request.revision()}, credentials,
               response,
               [](const ModelInference&, ModelFiles& files,
                  v1::InferLibraryFromModelResponse& response) -> absl::Status {
                 auto answer = ModelInference::InferLibrary(files);
                 if (!answer.ok()) return answer.status();
                 response.set_library_name(answer->value);
                 SetProvenance(*answer, response);
                 return absl::OkStatus();
               });
}

InferenceStep InferenceHandlers::InferTaskFromModel(std::shared_ptr<const registry::TasksManager> tasks, const v1::InferTaskFromModelRequest& request,
                                                    v1::InferTaskFromModelResponse& response,
                                                    const hub::Credentials& credentials) const {
  if (request.model().empty()) return InferenceStep::Answered(MissingArgument("model"));
  const inference::ModelRef ref{request.model(), request.subfolder(), request.revision()};
  return Begin(std::move(tasks), request, ref, credentials, response,
               [ref](const ModelInference& inference, ModelFiles& files,
                     v1::InferTaskFromModelResponse& response) -> absl::Status {
                 auto answer = inference.InferTask(files, ref);
                 if (!answer.ok()) return answer.status();
                 response.set_task(answer->value);
                 response.set_library_name(answer->library);
                 SetProvenance(*answer, response);
                 return absl::OkStatus();
               });
}

InferenceStep InferenceHandlers::StandardizeModelAttributes(
    std::shared_ptr<const registry::TasksManager> tasks, const v1::StandardizeModelAttributesRequest& request,
    v1::StandardizeModelAttributesResponse& response, const hub::Credentials& credentials) const {
  if (request.model().empty()) {
    // From (library, class name) alone: the registry answers, nothing to open.
    if (request.library_name().empty()) {
      return InferenceStep::Answered(MissingArgument("library_name"));
    }
    if (request.class_name().empty()) return InferenceStep::Answered(MissingArgument("class_name"));
    absl::StatusOr<inference::Inferred> type = inference::ExportModelType(
        tasks->snapshot(), request.library_name(), request.class_name());
    if (!type.ok()) return InferenceStep::Answered(type.status());
    response.set_library_name(request.library_name());
    response.set_export_model_type(type->value);
    SetEvidence(type->evidence, *response.mutable_evidence());
    return InferenceStep::Answered(absl::OkStatus());
  }
  return Begin(std::move(tasks), request, {request.model(), request.subfolder(), request.revision()}, credentials,
               response,
               [](const ModelInference& inference, ModelFiles& files,
                  v1::StandardizeModelAttributesResponse& response) -> absl::Status {
                 auto answer = inference.StandardizeModelAttributes(files);
                 if (!answer.ok()) return answer.status();
                 response.set_library_name(answer->library);
                 response.set_export_model_type(answer->value);
                 SetProvenance(*answer, response);
                 return absl::OkStatus();
               });
}

InferenceStep InferenceHandlers::ResolveExport(std::shared_ptr<const registry::TasksManager> tasks, const v1::ResolveExportRequest& request,
                                               v1::ResolveExportResponse& response,
                                               const hub::Credentials& credentials) const {
  if (request.model().empty()) return InferenceStep::Answered(MissingArgument("model"));
  if (request.exporter().empty()) return InferenceStep::Answered(MissingArgument("exporter"));
  inference::ExportRequest export_request{
      {request.model(), request.subfolder(), request.revision()}, request.exporter()};
  if (request.has_task()) export_request.task = request.task();
  if (request.has_framework()) export_request.framework = request.framework();
  if (request.has_library_name()) export_request.library_name = request.library_name();
  inference::ModelRef ref = export_request.model;
  return Begin(std::move(tasks), request, std::move(ref), credentials, response,
               [export_request = std::move(export_request)](
                   const ModelInference& inference, ModelFiles& files,
                   v1::ResolveExportResponse& response) -> absl::Status {
                 absl::StatusOr<inference::ExportPlan> plan =
                     inference::ExportPlanner(&inference).Resolve(export_request, files);
                 if (!plan.ok()) return plan.status();
                 SetPlan(*plan, response);
                 return absl::OkStatus();
               });
}

absl::Status InferenceHandlers::GetCacheStats(const v1::GetCacheStatsRequest&,
                                              v1::GetCacheStatsResponse& response) const {
  if (cache_ == nullptr) return absl::OkStatus();  // offline: no Hub, no cache
  response.set_max_bytes(static_cast<int64_t>(cache_max_bytes_));
  hub::HubCacheStats stats = cache_->Stats();
  const AnswerMemoStats memo = memo_->Stats();
  AddTo(memo, stats);
  response.set_hits(stats.hits);
  response.set_misses(stats.misses);
  response.set_coalesced(stats.coalesced);
  response.set_stale_served(stats.stale_served);
  response.set_derived_hits(memo.hits);
  response.set_evictions(stats.evictions);
  response.set_entries(stats.entries);
  response.set_bytes(stats.bytes);
  response.set_shared_hits(stats.shared_hits);
  response.set_shared_misses(stats.shared_misses);
  response.set_shared_errors(stats.shared.errors);
  response.set_shared_skipped(stats.shared.skipped);
  response.set_shared_rejected(stats.shared.rejected);
  response.set_lease_waits(stats.lease_waits);
  response.set_lease_takeovers(stats.lease_takeovers);
  for (const auto& [key, count] : stats.upstream) {
    const auto& [call, code] = key;
    (*response.mutable_upstream_requests())[absl::StrCat(hub::HubCallName(call), " ",
                                                         absl::StatusCodeToString(code))] = count;
  }
  return absl::OkStatus();
}

}  // namespace tasks::service
