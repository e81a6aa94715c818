// The registry RPCs, proto in, core call, proto out. Every answer comes from an immutable
// snapshot at once, so the service runs these on the gRPC callback thread. The per-generation
// ones answer from the generation the service chose for the call (its `optimum-version`); the
// others read every generation of the set the call began with. Thread-safe: pure functions of
// immutable data.
#ifndef TASKS_SERVER_SERVICE_REGISTRY_HANDLERS_H_
#define TASKS_SERVER_SERVICE_REGISTRY_HANDLERS_H_

#include "absl/status/status.h"
#include "optimum/tasks/v1/tasks_manager.pb.h"
#include "server/registry/generations.h"
#include "server/registry/tasks_manager.h"

namespace tasks::service {

// One generation's answers.
absl::Status GetAllTasks(const registry::TasksManager& core,
                         const optimum::tasks::v1::GetAllTasksRequest& request,
                         optimum::tasks::v1::GetAllTasksResponse& response);
absl::Status MapFromSynonym(const registry::TasksManager& core,
                            const optimum::tasks::v1::MapFromSynonymRequest& request,
                            optimum::tasks::v1::MapFromSynonymResponse& response);
absl::Status GetSupportedTasksForModelType(
    const registry::TasksManager& core,
    const optimum::tasks::v1::GetSupportedTasksForModelTypeRequest& request,
    optimum::tasks::v1::GetSupportedTasksForModelTypeResponse& response);
absl::Status GetSupportedModelTypeForTask(
    const registry::TasksManager& core,
    const optimum::tasks::v1::GetSupportedModelTypeForTaskRequest& request,
    optimum::tasks::v1::GetSupportedModelTypeForTaskResponse& response);
absl::Status GetExporterConfigConstructor(
    const registry::TasksManager& core,
    const optimum::tasks::v1::GetExporterConfigConstructorRequest& request,
    optimum::tasks::v1::GetExporterConfigConstructorResponse& response);
absl::Status GetModelClassForTask(const registry::TasksManager& core,
                                  const optimum::tasks::v1::GetModelClassForTaskRequest& request,
                                  optimum::tasks::v1::GetModelClassForTaskResponse& response);
absl::Status ListExporters(const registry::TasksManager& core,
                           const optimum::tasks::v1::ListExportersRequest& request,
                           optimum::tasks::v1::ListExportersResponse& response);
absl::Status GetSupportMatrix(const registry::TasksManager& core,
                              const optimum::tasks::v1::GetSupportMatrixRequest& request,
                              optimum::tasks::v1::GetSupportMatrixResponse& response);

// About the generations side by side.
absl::Status ListGenerations(const registry::Generations& generations,
                             const optimum::tasks::v1::ListGenerationsRequest& request,
                             optimum::tasks::v1::ListGenerationsResponse& response);
absl::Status DiffSupportMatrix(const registry::Generations& generations,
                               const optimum::tasks::v1::DiffSupportMatrixRequest& request,
                               optimum::tasks::v1::DiffSupportMatrixResponse& response);

}  // namespace tasks::service

#endif  // TASKS_SERVER_SERVICE_REGISTRY_HANDLERS_H_
