// The one place where absl::Status becomes grpc::Status.
#ifndef TASKS_SERVER_SERVICE_GRPC_STATUS_H_
#define TASKS_SERVER_SERVICE_GRPC_STATUS_H_

#include "absl/status/status.h"
#include "google/rpc/status.pb.h"
#include "grpcpp/support/status.h"

namespace tasks::service {

// Same code and message; the status's payloads (the ErrorInfo of server/common/errors.h) go into
// a google.rpc.Status in the `grpc-status-details-bin` trailer.
grpc::Status ToGrpcStatus(const absl::Status& status);

// The google.rpc.Status a call failing with `status` sends in its trailer, for errors that travel
// inside a message (one item of a stream) rather than as the call's status.
google::rpc::Status ToRpcStatus(const absl::Status& status);

}  // namespace tasks::service

#endif  // TASKS_SERVER_SERVICE_GRPC_STATUS_H_
