// The optimum.tasks.v1.TasksManager gRPC service, on gRPC's callback API: registry RPCs answer
// on the callback thread from the immutable snapshot; inference RPCs too when memory holds all
// they need (a MemoryOnlyScope attempt), and otherwise go to a bounded WorkerPool (they wait on
// the Hub) and finish when done, or fail fast with RESOURCE_EXHAUSTED when the pool's queue is
// full. BatchResolveExport streams run the same work item by item (see
// batch_resolve.h). This class only wires calls to the handlers; thread-safe.
#ifndef TASKS_SERVER_SERVICE_TASKS_MANAGER_SERVICE_H_
#define TASKS_SERVER_SERVICE_TASKS_MANAGER_SERVICE_H_

#include <functional>
#include <memory>
#include <string>

#include "absl/time/time.h"
#include "optimum/tasks/v1/tasks_manager.grpc.pb.h"
#include "server/common/worker_pool.h"
#include "server/service/call_log.h"
#include "server/service/inference_handlers.h"
#include "server/service/registry_handlers.h"

namespace tasks::service {

struct ServiceOptions {
  // The longest a call waits on the Hub when its own deadline is later (or unset).
  absl::Duration max_hub_wait = absl::Seconds(30);
  // The server's own token for callers that send none; unset: anonymous callers stay anonymous.
  std::function<std::string()> anonymous_token;
  // Items of one BatchResolveExport stream being worked on or waiting to be written.
  size_t batch_max_in_flight = 64;
};

class TasksManagerService final : public optimum::tasks::v1::TasksManager::CallbackService {
 public:
  // `pool` and `call_log` outlive the service.
  TasksManagerService(RegistryHandlers registry, InferenceHandlers inference, WorkerPool* pool,
                      const CallLog* call_log, ServiceOptions options);

#define TASKS_UNARY(Method)                                                            \
  grpc::ServerUnaryReactor* Method(grpc::CallbackServerContext* context,               \
                                   const optimum::tasks::v1::Method##Request* request, \
                                   optimum::tasks::v1::Method##Response* response) override
  TASKS_UNARY(GetAllTasks);
  TASKS_UNARY(MapFromSynonym);
  TASKS_UNARY(GetSupportedTasksForModelType);
  TASKS_UNARY(GetSupportedModelTypeForTask);
  TASKS_UNARY(GetExporterConfigConstructor);
  TASKS_UNARY(GetModelClassForTask);
  TASKS_UNARY(ListExporters);
  TASKS_UNARY(DetermineFramework);
  TASKS_UNARY(InferLibraryFromModel);
  TASKS_UNARY(InferTaskFromModel);
  TASKS_UNARY(StandardizeModelAttributes);
  TASKS_UNARY(ResolveExport);
  TASKS_UNARY(GetCacheStats);
  TASKS_UNARY(GetSupportMatrix);
#undef TASKS_UNARY

  grpc::ServerBidiReactor<optimum::tasks::v1::BatchResolveExportRequest,
                          optimum::tasks::v1::BatchResolveExportResponse>*
  BatchResolveExport(grpc::CallbackServerContext* context) override;

 private:
  // Runs `answer(credentials, deadline)`, which fills `response`, from memory, or else on the
  // pool, and finishes the call with its status; `call` logs it.
  template <typename Response, typename Answer>
  grpc::ServerUnaryReactor* AnswerInference(grpc::CallbackServerContext* context,
                                            CallLog::Call call, const Response* response,
                                            Answer answer);
  // The caller's Hub token, or the server's when the caller sends none and that is allowed.
  hub::Credentials CallerCredentials(const grpc::CallbackServerContext& context) const;

  const RegistryHandlers registry_;
  const InferenceHandlers inference_;
  WorkerPool* const pool_;
  const CallLog* const call_log_;
  const ServiceOptions options_;
};

}  // namespace tasks::service

#endif  // TASKS_SERVER_SERVICE_TASKS_MANAGER_SERVICE_H_
