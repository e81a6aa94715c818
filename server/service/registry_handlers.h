// RegistryHandlers: the registry RPCs, proto in, core call, proto out. Every answer comes from
// an immutable snapshot at once, so the service runs these on the gRPC callback thread. Each call
// takes the holder's current TasksManager once and answers from it whole, whatever a reload
// does meanwhile. Thread-safe.
#ifndef TASKS_SERVER_SERVICE_REGISTRY_HANDLERS_H_
#define TASKS_SERVER_SERVICE_REGISTRY_HANDLERS_H_

#include <memory>

#include "absl/status/status.h"
#include "optimum/tasks/v1/tasks_manager.pb.h"
#include "server/registry/tasks_manager_holder.h"

namespace tasks::service {

class RegistryHandlers {
 public:
  // `registry` outlives the handlers.
  explicit RegistryHandlers(const registry::TasksManagerHolder* registry);

  absl::Status GetAllTasks(const optimum::tasks::v1::GetAllTasksRequest& request,
                           optimum::tasks::v1::GetAllTasksResponse& response) const;
  absl::Status MapFromSynonym(const optimum::tasks::v1::MapFromSynonymRequest& request,
                              optimum::tasks::v1::MapFromSynonymResponse& response) const;
  absl::Status GetSupportedTasksForModelType(
      const optimum::tasks::v1::GetSupportedTasksForModelTypeRequest& request,
      optimum::tasks::v1::GetSupportedTasksForModelTypeResponse& response) const;
  absl::Status GetSupportedModelTypeForTask(
      const optimum::tasks::v1::GetSupportedModelTypeForTaskRequest& request,
      optimum::tasks::v1::GetSupportedModelTypeForTaskResponse& response) const;
  absl::Status GetExporterConfigConstructor(
      const optimum::tasks::v1::GetExporterConfigConstructorRequest& request,
      optimum::tasks::v1::GetExporterConfigConstructorResponse& response) const;
  absl::Status GetModelClassForTask(
      const optimum::tasks::v1::GetModelClassForTaskRequest& request,
      optimum::tasks::v1::GetModelClassForTaskResponse& response) const;
  absl::Status ListExporters(const optimum::tasks::v1::ListExportersRequest& request,
                             optimum::tasks::v1::ListExportersResponse& response) const;
  absl::Status GetSupportMatrix(const optimum::tasks::v1::GetSupportMatrixRequest& request,
                                optimum::tasks::v1::GetSupportMatrixResponse& response) const;

 private:
  const registry::TasksManagerHolder* const registry_;
};

}  // namespace tasks::service

#endif  // TASKS_SERVER_SERVICE_REGISTRY_HANDLERS_H_
