#include "server/service/grpc_status.h"

#include <string>

namespace tasks::service {

grpc::Status ToGrpcStatus(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  google::rpc::Status details;
  // absl::StatusCode and grpc::StatusCode share the canonical code numbers.
  details.set_code(static_cast<int>(status.code()));
  details.set_message(std::string(status.message()));
  status.ForEachPayload([&details](absl::string_view type_url, const absl::Cord& payload) {
    google::protobuf::Any* any = details.add_details();
    any->set_type_url(std::string(type_url));
    any->set_value(std::string(payload));
  });
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()), std::string(status.message()),
                      details.SerializeAsString());
}

google::rpc::Status ToRpcStatus(const grpc::Status& status) {
  google::rpc::Status rpc_status;
  if (!status.error_details().empty() && rpc_status.ParseFromString(status.error_details())) {
    return rpc_status;
  }
  rpc_status.Clear();
  rpc_status.set_code(status.error_code());
  rpc_status.set_message(status.error_message());
  return rpc_status;
}

}  // namespace tasks::service
