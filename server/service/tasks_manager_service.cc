#include "server/service/tasks_manager_service.h"

#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "server/common/cancellation.h"
#include "server/service/arena_messages.h"
#include "server/service/batch_resolve.h"
#include "server/service/grpc_status.h"
#include "server/service/registry_handlers.h"
#include "server/service/request_limits.h"

namespace tasks::service {
namespace {

namespace v1 = optimum::tasks::v1;

// Logs and finishes a call answered on the callback thread; `source` is the answer's, if any.
grpc::ServerUnaryReactor* Finish(grpc::CallbackServerContext* context, CallLog::Call& call,
                                 const absl::Status& status, absl::string_view source = "") {
  grpc::Status answer = ToGrpcStatus(status);
  call.End(answer, source);
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  reactor->Finish(std::move(answer));
  return reactor;
}

// The token of `authorization: Bearer <token>`, as grpcurl -H and huggingface_hub send it.
std::string BearerToken(const grpc::CallbackServerContext& context) {
  const auto& metadata = context.client_metadata();
  auto it = metadata.find("authorization");
  if (it == metadata.end()) return "";
  const absl::string_view value(it->second.data(), it->second.size());
  constexpr absl::string_view kBearer = "bearer ";
  if (value.size() <= kBearer.size() ||
      !absl::EqualsIgnoreCase(value.substr(0, kBearer.size()), kBearer)) {
    return "";
  }
  return std::string(absl::StripAsciiWhitespace(value.substr(kBearer.size())));
}

// The metadata key that names a call's generation, in requests and in answers.
constexpr char kOptimumVersionKey[] = "optimum-version";

// A stream refused before its first read (an unknown `optimum-version`).
class RefusedStreamReactor final : public grpc::ServerBidiReactor<v1::BatchResolveExportRequest,
                                                                  v1::BatchResolveExportResponse> {
 public:
  RefusedStreamReactor(CallLog::Call call, const absl::Status& status) {
    grpc::Status answer = ToGrpcStatus(status);
    call.End(answer);
    Finish(std::move(answer));
  }
  void OnDone() override { delete this; }
};

// A unary call answered on the worker pool. It learns when its caller has gone, so that the work
// is skipped if it has not started, and a Hub request nobody else waits for is abandoned.
class PooledCallReactor final : public grpc::ServerUnaryReactor {
 public:
  explicit PooledCallReactor(CallLog::Call call) : call_(std::move(call)) {}

  const Cancellation* caller_gone() const { return &caller_gone_; }
  void OnCancel() override { caller_gone_.Cancel(); }
  void OnDone() override { delete this; }

  // Logs and finishes the call; the line says CANCELLED when the caller has gone meanwhile.
  void Answer(const absl::Status& status, absl::string_view source = "") {
    grpc::Status answer = ToGrpcStatus(status);
    if (caller_gone_.cancelled()) {
      call_.End(grpc::Status(grpc::StatusCode::CANCELLED,
                             "cancelled by the caller, or its deadline passed"));
    } else {
      call_.End(answer, source);
    }
    Finish(std::move(answer));
  }

 private:
  CallLog::Call call_;
  CancellationFlag caller_gone_;
};

}  // namespace

TasksManagerService::TasksManagerService(const registry::GenerationsHolder* generations,
                                         InferenceHandlers inference, WorkerPool* pool,
                                         const CallLog* call_log, ServiceOptions options)
    : generations_(generations),
      inference_(std::move(inference)),
      pool_(pool),
      call_log_(call_log),
      options_(std::move(options)) {
  // Requests and responses on a per-call arena: one allocation instead of one per field.
  SetMessageAllocatorFor_GetAllTasks(
      ArenaMessageAllocator<v1::GetAllTasksRequest, v1::GetAllTasksResponse>::Get());
  SetMessageAllocatorFor_MapFromSynonym(
      ArenaMessageAllocator<v1::MapFromSynonymRequest, v1::MapFromSynonymResponse>::Get());
  SetMessageAllocatorFor_GetSupportedTasksForModelType(
      ArenaMessageAllocator<v1::GetSupportedTasksForModelTypeRequest,
                            v1::GetSupportedTasksForModelTypeResponse>::Get());
  SetMessageAllocatorFor_GetSupportedModelTypeForTask(
      ArenaMessageAllocator<v1::GetSupportedModelTypeForTaskRequest,
                            v1::GetSupportedModelTypeForTaskResponse>::Get());
  SetMessageAllocatorFor_GetExporterConfigConstructor(
      ArenaMessageAllocator<v1::GetExporterConfigConstructorRequest,
                            v1::GetExporterConfigConstructorResponse>::Get());
  SetMessageAllocatorFor_GetModelClassForTask(
      ArenaMessageAllocator<v1::GetModelClassForTaskRequest,
                            v1::GetModelClassForTaskResponse>::Get());
  SetMessageAllocatorFor_ListExporters(
      ArenaMessageAllocator<v1::ListExportersRequest, v1::ListExportersResponse>::Get());
  SetMessageAllocatorFor_DetermineFramework(
      ArenaMessageAllocator<v1::DetermineFrameworkRequest, v1::DetermineFrameworkResponse>::Get());
  SetMessageAllocatorFor_InferLibraryFromModel(
      ArenaMessageAllocator<v1::InferLibraryFromModelRequest,
                            v1::InferLibraryFromModelResponse>::Get());
  SetMessageAllocatorFor_InferTaskFromModel(
      ArenaMessageAllocator<v1::InferTaskFromModelRequest, v1::InferTaskFromModelResponse>::Get());
  SetMessageAllocatorFor_StandardizeModelAttributes(
      ArenaMessageAllocator<v1::StandardizeModelAttributesRequest,
                            v1::StandardizeModelAttributesResponse>::Get());
  SetMessageAllocatorFor_ResolveExport(
      ArenaMessageAllocator<v1::ResolveExportRequest, v1::ResolveExportResponse>::Get());
  SetMessageAllocatorFor_GetCacheStats(
      ArenaMessageAllocator<v1::GetCacheStatsRequest, v1::GetCacheStatsResponse>::Get());
  SetMessageAllocatorFor_GetSupportMatrix(
      ArenaMessageAllocator<v1::GetSupportMatrixRequest, v1::GetSupportMatrixResponse>::Get());
  SetMessageAllocatorFor_DiffSupportMatrix(
      ArenaMessageAllocator<v1::DiffSupportMatrixRequest, v1::DiffSupportMatrixResponse>::Get());
  SetMessageAllocatorFor_ListGenerations(
      ArenaMessageAllocator<v1::ListGenerationsRequest, v1::ListGenerationsResponse>::Get());
}

hub::Credentials TasksManagerService::CallerCredentials(
    const grpc::CallbackServerContext& context) const {
  hub::Credentials credentials{BearerToken(context)};
  if (credentials.token.empty() && options_.anonymous_token) {
    credentials.token = options_.anonymous_token();
  }
  return credentials;
}

absl::StatusOr<std::shared_ptr<const registry::TasksManager>> TasksManagerService::CallGeneration(
    grpc::CallbackServerContext& context) const {
  const auto& metadata = context.client_metadata();
  auto it = metadata.find(kOptimumVersionKey);
  const absl::string_view version = it == metadata.end()
                                        ? absl::string_view()
                                        : absl::string_view(it->second.data(), it->second.size());
  absl::StatusOr<std::shared_ptr<const registry::TasksManager>> tasks =
      generations_->Get()->Select(version);
  if (tasks.ok()) context.AddInitialMetadata(kOptimumVersionKey, (*tasks)->snapshot().generation);
  return tasks;
}

template <typename Request, typename Answer>
grpc::ServerUnaryReactor* TasksManagerService::AnswerFromGeneration(
    grpc::CallbackServerContext* context, absl::string_view method_path, const Request& request,
    Answer answer) {
  return AnswerNow(context, method_path, request, [&]() -> absl::Status {
    absl::StatusOr<std::shared_ptr<const registry::TasksManager>> tasks = CallGeneration(*context);
    if (!tasks.ok()) return tasks.status();
    return answer(**tasks);
  });
}

template <typename Request, typename Answer>
grpc::ServerUnaryReactor* TasksManagerService::AnswerNow(grpc::CallbackServerContext* context,
                                                         absl::string_view method_path,
                                                         const Request& request, Answer answer) {
  CallLog::Call call = call_log_->Begin(*context, method_path, /*hub_method=*/false);
  if (absl::Status checked = CheckRequestFields(request); !checked.ok()) {
    return Finish(context, call, checked);
  }
  return Finish(context, call, answer());
}

template <typename Request, typename Response, typename Begin>
grpc::ServerUnaryReactor* TasksManagerService::AnswerInference(grpc::CallbackServerContext* context,
                                                               absl::string_view method_path,
                                                               const Request& request,
                                                               const Response* response,
                                                               Begin begin) {
  CallLog::Call call = call_log_->Begin(*context, method_path, /*hub_method=*/true);
  if (absl::Status checked = CheckRequestFields(request); !checked.ok()) {
    return Finish(context, call, checked);
  }
  absl::StatusOr<std::shared_ptr<const registry::TasksManager>> tasks = CallGeneration(*context);
  if (!tasks.ok()) return Finish(context, call, tasks.status());
  InferenceStep step = begin(CallerCredentials(*context), *std::move(tasks));
  if (step.answered()) return Finish(context, call, step.status(), response->source().source());
  const absl::Time deadline =
      std::min(absl::FromChrono(context->deadline()), absl::Now() + options_.max_hub_wait);
  // Deletes itself when gRPC is done with it.
  auto* pooled = new PooledCallReactor(std::move(call));
  const bool queued = pool_->Submit([pooled, response, deadline, step = std::move(step)]() mutable {
    if (pooled->caller_gone()->cancelled()) {
      pooled->Answer(absl::CancelledError("The call was cancelled before it started."));
      return;
    }
    const absl::Status status = std::move(step).Finish(WaitLimits(deadline, pooled->caller_gone()));
    pooled->Answer(status, response->source().source());
  });
  if (!queued) {
    pooled->Answer(
        absl::ResourceExhaustedError("The server is busy with Hub requests; retry with backoff."));
  }
  return pooled;
}

// Registry RPCs: answered at once on the callback thread.

grpc::ServerUnaryReactor* TasksManagerService::GetAllTasks(grpc::CallbackServerContext* context,
                                                           const v1::GetAllTasksRequest* request,
                                                           v1::GetAllTasksResponse* response) {
  return AnswerFromGeneration(context, "/optimum.tasks.v1.TasksManager/GetAllTasks", *request,
                              [&](const registry::TasksManager& core) {
                                return service::GetAllTasks(core, *request, *response);
                              });
}

grpc::ServerUnaryReactor* TasksManagerService::MapFromSynonym(
    grpc::CallbackServerContext* context, const v1::MapFromSynonymRequest* request,
    v1::MapFromSynonymResponse* response) {
  return AnswerFromGeneration(context, "/optimum.tasks.v1.TasksManager/MapFromSynonym", *request,
                              [&](const registry::TasksManager& core) {
                                return service::MapFromSynonym(core, *request, *response);
                              });
}

grpc::ServerUnaryReactor* TasksManagerService::GetSupportedTasksForModelType(
    grpc::CallbackServerContext* context, const v1::GetSupportedTasksForModelTypeRequest* request,
    v1::GetSupportedTasksForModelTypeResponse* response) {
  return AnswerFromGeneration(
      context, "/optimum.tasks.v1.TasksManager/GetSupportedTasksForModelType", *request,
      [&](const registry::TasksManager& core) {
        return service::GetSupportedTasksForModelType(core, *request, *response);
      });
}

grpc::ServerUnaryReactor* TasksManagerService::GetSupportedModelTypeForTask(
    grpc::CallbackServerContext* context, const v1::GetSupportedModelTypeForTaskRequest* request,
    v1::GetSupportedModelTypeForTaskResponse* response) {
  return AnswerFromGeneration(
      context, "/optimum.tasks.v1.TasksManager/GetSupportedModelTypeForTask", *request,
      [&](const registry::TasksManager& core) {
        return service::GetSupportedModelTypeForTask(core, *request, *response);
      });
}

grpc::ServerUnaryReactor* TasksManagerService::GetExporterConfigConstructor(
    grpc::CallbackServerContext* context, const v1::GetExporterConfigConstructorRequest* request,
    v1::GetExporterConfigConstructorResponse* response) {
  return AnswerFromGeneration(
      context, "/optimum.tasks.v1.TasksManager/GetExporterConfigConstructor", *request,
      [&](const registry::TasksManager& core) {
        return service::GetExporterConfigConstructor(core, *request, *response);
      });
}

grpc::ServerUnaryReactor* TasksManagerService::GetModelClassForTask(
    grpc::CallbackServerContext* context, const v1::GetModelClassForTaskRequest* request,
    v1::GetModelClassForTaskResponse* response) {
  return AnswerFromGeneration(context, "/optimum.tasks.v1.TasksManager/GetModelClassForTask",
                              *request, [&](const registry::TasksManager& core) {
                                return service::GetModelClassForTask(core, *request, *response);
                              });
}

grpc::ServerUnaryReactor* TasksManagerService::ListExporters(
    grpc::CallbackServerContext* context, const v1::ListExportersRequest* request,
    v1::ListExportersResponse* response) {
  return AnswerFromGeneration(context, "/optimum.tasks.v1.TasksManager/ListExporters", *request,
                              [&](const registry::TasksManager& core) {
                                return service::ListExporters(core, *request, *response);
                              });
}

grpc::ServerUnaryReactor* TasksManagerService::GetSupportMatrix(
    grpc::CallbackServerContext* context, const v1::GetSupportMatrixRequest* request,
    v1::GetSupportMatrixResponse* response) {
  return AnswerFromGeneration(context, "/optimum.tasks.v1.TasksManager/GetSupportMatrix", *request,
                              [&](const registry::TasksManager& core) {
                                return service::GetSupportMatrix(core, *request, *response);
                              });
}

grpc::ServerUnaryReactor* TasksManagerService::DiffSupportMatrix(
    grpc::CallbackServerContext* context, const v1::DiffSupportMatrixRequest* request,
    v1::DiffSupportMatrixResponse* response) {
  return AnswerNow(context, "/optimum.tasks.v1.TasksManager/DiffSupportMatrix", *request, [&] {
    return service::DiffSupportMatrix(*generations_->Get(), *request, *response);
  });
}

grpc::ServerUnaryReactor* TasksManagerService::ListGenerations(
    grpc::CallbackServerContext* context, const v1::ListGenerationsRequest* request,
    v1::ListGenerationsResponse* response) {
  return AnswerNow(context, "/optimum.tasks.v1.TasksManager/ListGenerations", *request, [&] {
    return service::ListGenerations(*generations_->Get(), *request, *response);
  });
}

grpc::ServerUnaryReactor* TasksManagerService::GetCacheStats(
    grpc::CallbackServerContext* context, const v1::GetCacheStatsRequest* request,
    v1::GetCacheStatsResponse* response) {
  return AnswerNow(context, "/optimum.tasks.v1.TasksManager/GetCacheStats", *request,
                   [&] { return inference_.GetCacheStats(*request, *response); });
}

// Inference RPCs: from memory on the callback thread when they can, else on the worker pool.

grpc::ServerUnaryReactor* TasksManagerService::DetermineFramework(
    grpc::CallbackServerContext* context, const v1::DetermineFrameworkRequest* request,
    v1::DetermineFrameworkResponse* response) {
  return AnswerInference(
      context, "/optimum.tasks.v1.TasksManager/DetermineFramework", *request, response,
      [&](const hub::Credentials& credentials,
          std::shared_ptr<const registry::TasksManager> tasks) {
        return inference_.DetermineFramework(std::move(tasks), *request, *response, credentials);
      });
}

grpc::ServerUnaryReactor* TasksManagerService::InferLibraryFromModel(
    grpc::CallbackServerContext* context, const v1::InferLibraryFromModelRequest* request,
    v1::InferLibraryFromModelResponse* response) {
  return AnswerInference(
      context, "/optimum.tasks.v1.TasksManager/InferLibraryFromModel", *request, response,
      [&](const hub::Credentials& credentials,
          std::shared_ptr<const registry::TasksManager> tasks) {
        return inference_.InferLibraryFromModel(std::move(tasks), *request, *response, credentials);
      });
}

grpc::ServerUnaryReactor* TasksManagerService::InferTaskFromModel(
    grpc::CallbackServerContext* context, const v1::InferTaskFromModelRequest* request,
    v1::InferTaskFromModelResponse* response) {
  return AnswerInference(
      context, "/optimum.tasks.v1.TasksManager/InferTaskFromModel", *request, response,
      [&](const hub::Credentials& credentials,
          std::shared_ptr<const registry::TasksManager> tasks) {
        return inference_.InferTaskFromModel(std::move(tasks), *request, *response, credentials);
      });
}

grpc::ServerUnaryReactor* TasksManagerService::StandardizeModelAttributes(
    grpc::CallbackServerContext* context, const v1::StandardizeModelAttributesRequest* request,
    v1::StandardizeModelAttributesResponse* response) {
  return AnswerInference(context, "/optimum.tasks.v1.TasksManager/StandardizeModelAttributes",
                         *request, response,
                         [&](const hub::Credentials& credentials,
                             std::shared_ptr<const registry::TasksManager> tasks) {
                           return inference_.StandardizeModelAttributes(std::move(tasks), *request,
                                                                        *response, credentials);
                         });
}

grpc::ServerUnaryReactor* TasksManagerService::ResolveExport(
    grpc::CallbackServerContext* context, const v1::ResolveExportRequest* request,
    v1::ResolveExportResponse* response) {
  return AnswerInference(
      context, "/optimum.tasks.v1.TasksManager/ResolveExport", *request, response,
      [&](const hub::Credentials& credentials,
          std::shared_ptr<const registry::TasksManager> tasks) {
        return inference_.ResolveExport(std::move(tasks), *request, *response, credentials);
      });
}

grpc::ServerBidiReactor<v1::BatchResolveExportRequest, v1::BatchResolveExportResponse>*
TasksManagerService::BatchResolveExport(grpc::CallbackServerContext* context) {
  CallLog::Call call = call_log_->Begin(
      *context, "/optimum.tasks.v1.TasksManager/BatchResolveExport", /*hub_method=*/true);
  absl::StatusOr<std::shared_ptr<const registry::TasksManager>> tasks = CallGeneration(*context);
  if (!tasks.ok()) return new RefusedStreamReactor(std::move(call), tasks.status());
  return new BatchResolveReactor(&inference_, *std::move(tasks), pool_, std::move(call),
                                 CallerCredentials(*context), absl::FromChrono(context->deadline()),
                                 options_.max_hub_wait, options_.batch_max_in_flight);
}

}  // namespace tasks::service
