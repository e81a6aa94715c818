// The optimum.tasks.v1.TasksManager gRPC service, on gRPC's callback API: registry RPCs answer
// on the callback thread from the immutable snapshot; inference RPCs too when memory holds their
// answer (InferenceStep answered), and otherwise finish on a bounded WorkerPool (they wait on the
// Hub), or fail fast with RESOURCE_EXHAUSTED when the pool's queue is full. BatchResolveExport
// streams run the same work item by item (see batch_resolve.h). This class only wires calls to
// the handlers and turns their absl::Status into the call's grpc::Status; thread-safe.
//
// Each call is answered by one Optimum generation: the one its `optimum-version` metadata names,
// else the default (registry/generations.h). The service chooses it once, before anything else,
// and says which in the initial metadata `optimum-version`; an unknown version fails the call.
//
// A request that fails to parse (invalid UTF-8 in a string field, a truncated length, a Struct
// nested deeper than protobuf's 100 levels) never reaches these methods: gRPC 1.51's
// CallbackUnaryHandler::RunHandler answers it itself, UNIMPLEMENTED with an empty message, before
// any reactor exists, and no hook of the callback API can change that code. Answering
// INVALID_ARGUMENT would mean taking every method's request as raw bytes and parsing it here.
// What protobuf says about it is logged (library_logs.h); README "Operating" tells clients.
#ifndef TASKS_SERVER_SERVICE_TASKS_MANAGER_SERVICE_H_
#define TASKS_SERVER_SERVICE_TASKS_MANAGER_SERVICE_H_

#include <functional>
#include <memory>
#include <string>

#include "absl/time/time.h"
#include "optimum/tasks/v1/tasks_manager.grpc.pb.h"
#include "server/common/worker_pool.h"
#include "server/registry/generations.h"
#include "server/service/call_log.h"
#include "server/service/inference_handlers.h"

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
  // `generations`, `pool` and `call_log` outlive the service.
  TasksManagerService(const registry::GenerationsHolder* generations, InferenceHandlers inference,
                      WorkerPool* pool, const CallLog* call_log, ServiceOptions options);

  grpc::ServerUnaryReactor* GetAllTasks(grpc::CallbackServerContext* context,
                                        const optimum::tasks::v1::GetAllTasksRequest* request,
                                        optimum::tasks::v1::GetAllTasksResponse* response) override;
  grpc::ServerUnaryReactor* MapFromSynonym(
      grpc::CallbackServerContext* context,
      const optimum::tasks::v1::MapFromSynonymRequest* request,
      optimum::tasks::v1::MapFromSynonymResponse* response) override;
  grpc::ServerUnaryReactor* GetSupportedTasksForModelType(
      grpc::CallbackServerContext* context,
      const optimum::tasks::v1::GetSupportedTasksForModelTypeRequest* request,
      optimum::tasks::v1::GetSupportedTasksForModelTypeResponse* response) override;
  grpc::ServerUnaryReactor* GetSupportedModelTypeForTask(
      grpc::CallbackServerContext* context,
      const optimum::tasks::v1::GetSupportedModelTypeForTaskRequest* request,
      optimum::tasks::v1::GetSupportedModelTypeForTaskResponse* response) override;
  grpc::ServerUnaryReactor* GetExporterConfigConstructor(
      grpc::CallbackServerContext* context,
      const optimum::tasks::v1::GetExporterConfigConstructorRequest* request,
      optimum::tasks::v1::GetExporterConfigConstructorResponse* response) override;
  grpc::ServerUnaryReactor* GetModelClassForTask(
      grpc::CallbackServerContext* context,
      const optimum::tasks::v1::GetModelClassForTaskRequest* request,
      optimum::tasks::v1::GetModelClassForTaskResponse* response) override;
  grpc::ServerUnaryReactor* ListExporters(
      grpc::CallbackServerContext* context, const optimum::tasks::v1::ListExportersRequest* request,
      optimum::tasks::v1::ListExportersResponse* response) override;
  grpc::ServerUnaryReactor* DetermineFramework(
      grpc::CallbackServerContext* context,
      const optimum::tasks::v1::DetermineFrameworkRequest* request,
      optimum::tasks::v1::DetermineFrameworkResponse* response) override;
  grpc::ServerUnaryReactor* InferLibraryFromModel(
      grpc::CallbackServerContext* context,
      const optimum::tasks::v1::InferLibraryFromModelRequest* request,
      optimum::tasks::v1::InferLibraryFromModelResponse* response) override;
  grpc::ServerUnaryReactor* InferTaskFromModel(
      grpc::CallbackServerContext* context,
      const optimum::tasks::v1::InferTaskFromModelRequest* request,
      optimum::tasks::v1::InferTaskFromModelResponse* response) override;
  grpc::ServerUnaryReactor* StandardizeModelAttributes(
      grpc::CallbackServerContext* context,
      const optimum::tasks::v1::StandardizeModelAttributesRequest* request,
      optimum::tasks::v1::StandardizeModelAttributesResponse* response) override;
  grpc::ServerUnaryReactor* ResolveExport(
      grpc::CallbackServerContext* context, const optimum::tasks::v1::ResolveExportRequest* request,
      optimum::tasks::v1::ResolveExportResponse* response) override;
  grpc::ServerUnaryReactor* GetCacheStats(
      grpc::CallbackServerContext* context, const optimum::tasks::v1::GetCacheStatsRequest* request,
      optimum::tasks::v1::GetCacheStatsResponse* response) override;
  grpc::ServerUnaryReactor* GetSupportMatrix(
      grpc::CallbackServerContext* context,
      const optimum::tasks::v1::GetSupportMatrixRequest* request,
      optimum::tasks::v1::GetSupportMatrixResponse* response) override;
  grpc::ServerUnaryReactor* DiffSupportMatrix(
      grpc::CallbackServerContext* context,
      const optimum::tasks::v1::DiffSupportMatrixRequest* request,
      optimum::tasks::v1::DiffSupportMatrixResponse* response) override;
  grpc::ServerUnaryReactor* ListGenerations(
      grpc::CallbackServerContext* context,
      const optimum::tasks::v1::ListGenerationsRequest* request,
      optimum::tasks::v1::ListGenerationsResponse* response) override;

  grpc::ServerBidiReactor<optimum::tasks::v1::BatchResolveExportRequest,
                          optimum::tasks::v1::BatchResolveExportResponse>*
  BatchResolveExport(grpc::CallbackServerContext* context) override;

 private:
  // Answers a call at once from `answer()`, which fills the response. `method_path`: the full
  // gRPC path, as the call log names it.
  template <typename Request, typename Answer>
  grpc::ServerUnaryReactor* AnswerNow(grpc::CallbackServerContext* context,
                                      absl::string_view method_path, const Request& request,
                                      Answer answer);
  // AnswerNow for a registry call: `answer(core)`, from the call's generation.
  template <typename Request, typename Answer>
  grpc::ServerUnaryReactor* AnswerFromGeneration(grpc::CallbackServerContext* context,
                                                 absl::string_view method_path,
                                                 const Request& request, Answer answer);
  // Begins an inference call with `begin(credentials, tasks)`, `tasks` being the call's
  // generation, and finishes it at once when that answered it, else on the pool; `response`
  // carries the answer's source for the call log.
  template <typename Request, typename Response, typename Begin>
  grpc::ServerUnaryReactor* AnswerInference(grpc::CallbackServerContext* context,
                                            absl::string_view method_path, const Request& request,
                                            const Response* response, Begin begin);
  // The caller's Hub token, or the server's when the caller sends none and that is allowed.
  hub::Credentials CallerCredentials(const grpc::CallbackServerContext& context) const;
  // The generation the call's `optimum-version` names, announced in the initial metadata.
  absl::StatusOr<std::shared_ptr<const registry::TasksManager>> CallGeneration(
      grpc::CallbackServerContext& context) const;

  const registry::GenerationsHolder* const generations_;
  const InferenceHandlers inference_;
  WorkerPool* const pool_;
  const CallLog* const call_log_;
  const ServiceOptions options_;
};

}  // namespace tasks::service

#endif  // TASKS_SERVER_SERVICE_TASKS_MANAGER_SERVICE_H_
