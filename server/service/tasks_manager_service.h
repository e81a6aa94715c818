// The optimum.tasks.v1.TasksManager gRPC service: a thin adapter from protos to the core
// TasksManager (server/registry/tasks_manager.h) and back. Stateless besides the core it wraps;
// thread-safe.
#ifndef TASKS_SERVER_SERVICE_TASKS_MANAGER_SERVICE_H_
#define TASKS_SERVER_SERVICE_TASKS_MANAGER_SERVICE_H_

#include <memory>

#include "optimum/tasks/v1/tasks_manager.grpc.pb.h"
#include "server/registry/tasks_manager.h"

namespace tasks::service {

class TasksManagerService final : public optimum::tasks::v1::TasksManager::Service {
 public:
  explicit TasksManagerService(std::shared_ptr<const registry::TasksManager> core);

  grpc::Status GetAllTasks(grpc::ServerContext* context,
                           const optimum::tasks::v1::GetAllTasksRequest* request,
                           optimum::tasks::v1::GetAllTasksResponse* response) override;
  grpc::Status MapFromSynonym(grpc::ServerContext* context,
                              const optimum::tasks::v1::MapFromSynonymRequest* request,
                              optimum::tasks::v1::MapFromSynonymResponse* response) override;
  grpc::Status GetSupportedTasksForModelType(
      grpc::ServerContext* context,
      const optimum::tasks::v1::GetSupportedTasksForModelTypeRequest* request,
      optimum::tasks::v1::GetSupportedTasksForModelTypeResponse* response) override;
  grpc::Status GetSupportedModelTypeForTask(
      grpc::ServerContext* context,
      const optimum::tasks::v1::GetSupportedModelTypeForTaskRequest* request,
      optimum::tasks::v1::GetSupportedModelTypeForTaskResponse* response) override;
  grpc::Status GetExporterConfigConstructor(
      grpc::ServerContext* context,
      const optimum::tasks::v1::GetExporterConfigConstructorRequest* request,
      optimum::tasks::v1::GetExporterConfigConstructorResponse* response) override;
  grpc::Status GetModelClassForTask(
      grpc::ServerContext* context, const optimum::tasks::v1::GetModelClassForTaskRequest* request,
      optimum::tasks::v1::GetModelClassForTaskResponse* response) override;
  grpc::Status ListExporters(grpc::ServerContext* context,
                             const optimum::tasks::v1::ListExportersRequest* request,
                             optimum::tasks::v1::ListExportersResponse* response) override;

 private:
  std::shared_ptr<const registry::TasksManager> core_;
};

}  // namespace tasks::service

#endif  // TASKS_SERVER_SERVICE_TASKS_MANAGER_SERVICE_H_
