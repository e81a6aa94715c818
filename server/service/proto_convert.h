// Core answers as API messages, shared by the registry and inference handlers.
#ifndef TASKS_SERVER_SERVICE_PROTO_CONVERT_H_
#define TASKS_SERVER_SERVICE_PROTO_CONVERT_H_

#include "absl/strings/string_view.h"
#include "optimum/tasks/v1/tasks_manager.pb.h"
#include "server/registry/support_matrix.h"
#include "server/registry/tasks_manager.h"

namespace tasks::service {

void ToProto(const registry::TaskEntry& entry, optimum::tasks::v1::SupportedTask& out);
void ToProto(const registry::ModelClass& model_class,
             optimum::tasks::v1::GetModelClassForTaskResponse& out);
// The constructor stored under `entry`, found under registry key `model_type`.
void ToProto(const registry::TaskEntry& entry, absl::string_view model_type,
             optimum::tasks::v1::GetExporterConfigConstructorResponse& out);
void ToProto(const registry::Provenance& from, optimum::tasks::v1::Provenance& out);
void ToProto(const registry::SupportMatrixRow& from, optimum::tasks::v1::SupportMatrixRow& row);
optimum::tasks::v1::SupportMatrixChange::Kind ToProto(registry::SupportMatrixChange::Kind kind);

}  // namespace tasks::service

#endif  // TASKS_SERVER_SERVICE_PROTO_CONVERT_H_
