#include "server/service/tasks_manager_service.h"

#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/time/clock.h"
#include "server/common/cancellation.h"
#include "server/common/memory_only.h"
#include "server/service/arena_messages.h"
#include "server/service/batch_resolve.h"
#include "server/service/grpc_status.h"
#include "server/service/request_limits.h"

namespace tasks::service {
namespace {

namespace v1 = optimum::tasks::v1;

// The full path of a TasksManager method, as gRPC and the call log name it.
#define TASKS_METHOD_PATH(Method) "/optimum.tasks.v1.TasksManager/" #Method

// Logs and finishes a call answered on the callback thread; `source` is the answer's, if any.
grpc::ServerUnaryReactor* Finish(grpc::CallbackServerContext* context, CallLog::Call& call,
                                 grpc::Status status, absl::string_view source = "") {
  call.End(status, source);
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  reactor->Finish(std::move(status));
  return reactor;
}

// The call finished with INVALID_ARGUMENT when `request` breaks request_limits.h; null if not.
grpc::ServerUnaryReactor* RefuseIfOutOfBounds(grpc::CallbackServerContext* context,
                                              CallLog::Call& call,
                                              const google::protobuf::Message& request) {
  const absl::Status checked = CheckRequestFields(request);
  return checked.ok() ? nullptr : Finish(context, call, ToGrpcStatus(checked));
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

// A unary call answered on the worker pool. It learns when its caller has gone, so that the work
// is skipped if it has not started, and a Hub request nobody else waits for is abandoned.
class PooledCallReactor final : public grpc::ServerUnaryReactor {
 public:
  explicit PooledCallReactor(CallLog::Call call) : call_(std::move(call)) {}

  const Cancellation* caller_gone() const { return &caller_gone_; }
  void OnCancel() override { caller_gone_.Cancel(); }
  void OnDone() override { delete this; }

  // Logs and finishes the call; the line says CANCELLED when the caller has gone meanwhile.
  void Answer(grpc::Status status, absl::string_view source = "") {
    if (caller_gone_.cancelled()) {
      call_.End(grpc::Status(grpc::StatusCode::CANCELLED,
                             "cancelled by the caller, or its deadline passed"));
    } else {
      call_.End(status, source);
    }
    Finish(std::move(status));
  }

 private:
  CallLog::Call call_;
  CancellationFlag caller_gone_;
};

}  // namespace

TasksManagerService::TasksManagerService(RegistryHandlers registry, InferenceHandlers inference,
                                         WorkerPool* pool, const CallLog* call_log,
                                         ServiceOptions options)
    : registry_(std::move(registry)),
      inference_(std::move(inference)),
      pool_(pool),
      call_log_(call_log),
      options_(std::move(options)) {
#define TASKS_ARENA_MESSAGES(Method) \
  SetMessageAllocatorFor_##Method(   \
      ArenaMessageAllocator<v1::Method##Request, v1::Method##Response>::Get())
  TASKS_ARENA_MESSAGES(GetAllTasks);
  TASKS_ARENA_MESSAGES(MapFromSynonym);
  TASKS_ARENA_MESSAGES(GetSupportedTasksForModelType);
  TASKS_ARENA_MESSAGES(GetSupportedModelTypeForTask);
  TASKS_ARENA_MESSAGES(GetExporterConfigConstructor);
  TASKS_ARENA_MESSAGES(GetModelClassForTask);
  TASKS_ARENA_MESSAGES(ListExporters);
  TASKS_ARENA_MESSAGES(DetermineFramework);
  TASKS_ARENA_MESSAGES(InferLibraryFromModel);
  TASKS_ARENA_MESSAGES(InferTaskFromModel);
  TASKS_ARENA_MESSAGES(StandardizeModelAttributes);
  TASKS_ARENA_MESSAGES(ResolveExport);
  TASKS_ARENA_MESSAGES(GetCacheStats);
  TASKS_ARENA_MESSAGES(GetSupportMatrix);
#undef TASKS_ARENA_MESSAGES
}

hub::Credentials TasksManagerService::CallerCredentials(
    const grpc::CallbackServerContext& context) const {
  hub::Credentials credentials{BearerToken(context)};
  if (credentials.token.empty() && options_.anonymous_token) {
    credentials.token = options_.anonymous_token();
  }
  return credentials;
}

template <typename Response, typename Answer>
grpc::ServerUnaryReactor* TasksManagerService::AnswerInference(grpc::CallbackServerContext* context,
                                                               CallLog::Call call,
                                                               const Response* response,
                                                               Answer answer) {
  hub::Credentials credentials = CallerCredentials(*context);
  const absl::Time deadline =
      std::min(absl::FromChrono(context->deadline()), absl::Now() + options_.max_hub_wait);
  // A warm answer needs nothing but memory: answered here, without a hop to the pool.
  {
    MemoryOnlyScope memory_only;
    grpc::Status status = answer(credentials, deadline);
    if (!memory_only.refused()) {
      return Finish(context, call, std::move(status), response->source().source());
    }
  }
  // Deletes itself when gRPC is done with it.
  auto* pooled = new PooledCallReactor(std::move(call));
  const bool queued = pool_->Submit([pooled, response, answer = std::move(answer),
                                     credentials = std::move(credentials), deadline] {
    if (pooled->caller_gone()->cancelled()) {
      pooled->Answer(
          grpc::Status(grpc::StatusCode::CANCELLED, "The call was cancelled before it started."));
      return;
    }
    CancellationScope scope(pooled->caller_gone());
    grpc::Status status = answer(credentials, deadline);
    pooled->Answer(std::move(status), response->source().source());
  });
  if (!queued) {
    pooled->Answer(grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                                "The server is busy with Hub requests; retry with backoff."));
  }
  return pooled;
}

// Registry RPCs: answered at once on the callback thread.
#define TASKS_REGISTRY_RPC(Method)                                                            \
  grpc::ServerUnaryReactor* TasksManagerService::Method(grpc::CallbackServerContext* context, \
                                                        const v1::Method##Request* request,   \
                                                        v1::Method##Response* response) {     \
    CallLog::Call call = call_log_->Begin(*context, TASKS_METHOD_PATH(Method), false);        \
    if (grpc::ServerUnaryReactor* refused = RefuseIfOutOfBounds(context, call, *request)) {   \
      return refused;                                                                         \
    }                                                                                         \
    return Finish(context, call, registry_.Method(*request, *response));                      \
  }
TASKS_REGISTRY_RPC(GetAllTasks)
TASKS_REGISTRY_RPC(MapFromSynonym)
TASKS_REGISTRY_RPC(GetSupportedTasksForModelType)
TASKS_REGISTRY_RPC(GetSupportedModelTypeForTask)
TASKS_REGISTRY_RPC(GetExporterConfigConstructor)
TASKS_REGISTRY_RPC(GetModelClassForTask)
TASKS_REGISTRY_RPC(ListExporters)
TASKS_REGISTRY_RPC(GetSupportMatrix)
#undef TASKS_REGISTRY_RPC

// Inference RPCs: from memory on the callback thread when they can, else on the worker pool
// (the response is cleared of what an attempt from memory left in it).
#define TASKS_INFERENCE_RPC(Method)                                                           \
  grpc::ServerUnaryReactor* TasksManagerService::Method(grpc::CallbackServerContext* context, \
                                                        const v1::Method##Request* request,   \
                                                        v1::Method##Response* response) {     \
    CallLog::Call call = call_log_->Begin(*context, TASKS_METHOD_PATH(Method), true);         \
    if (grpc::ServerUnaryReactor* refused = RefuseIfOutOfBounds(context, call, *request)) {   \
      return refused;                                                                         \
    }                                                                                         \
    return AnswerInference(                                                                   \
        context, std::move(call), response,                                                   \
        [this, request, response](const hub::Credentials& credentials, absl::Time deadline) { \
          response->Clear();                                                                  \
          return inference_.Method(*request, *response, credentials, deadline);               \
        });                                                                                   \
  }
TASKS_INFERENCE_RPC(DetermineFramework)
TASKS_INFERENCE_RPC(InferLibraryFromModel)
TASKS_INFERENCE_RPC(InferTaskFromModel)
TASKS_INFERENCE_RPC(StandardizeModelAttributes)
TASKS_INFERENCE_RPC(ResolveExport)
#undef TASKS_INFERENCE_RPC

grpc::ServerUnaryReactor* TasksManagerService::GetCacheStats(
    grpc::CallbackServerContext* context, const v1::GetCacheStatsRequest* request,
    v1::GetCacheStatsResponse* response) {
  CallLog::Call call = call_log_->Begin(*context, TASKS_METHOD_PATH(GetCacheStats), false);
  return Finish(context, call, inference_.GetCacheStats(*request, *response));
}

grpc::ServerBidiReactor<v1::BatchResolveExportRequest, v1::BatchResolveExportResponse>*
TasksManagerService::BatchResolveExport(grpc::CallbackServerContext* context) {
  return new BatchResolveReactor(&inference_, pool_,
                                 call_log_->Begin(*context, TASKS_METHOD_PATH(BatchResolveExport),
                                                  /*hub_method=*/true),
                                 CallerCredentials(*context), absl::FromChrono(context->deadline()),
                                 options_.max_hub_wait, options_.batch_max_in_flight);
}

}  // namespace tasks::service
