#include "server/service/server.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "grpc/health/v1/health.pb.h"
#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "grpcpp/health_check_service_interface.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server_builder.h"

namespace tasks::service {

absl::StatusOr<std::unique_ptr<TasksServer>> TasksServer::Start(
    const ServerOptions& options, std::shared_ptr<const registry::TasksManager> core) {
  // gRPC's built-in health service registers no descriptor; touching the compiled-in
  // health.proto links it, so reflection can describe grpc.health.v1.Health for grpcurl.
  grpc::health::v1::HealthCheckRequest::descriptor();
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();

  auto service = std::make_unique<TasksManagerService>(std::move(core));
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort(options.listen_address, grpc::InsecureServerCredentials(), &port);
  builder.RegisterService(service.get());
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || port == 0) {
    return absl::UnavailableError(absl::StrCat("cannot listen on ", options.listen_address,
                                               " (address in use, malformed, or not permitted)"));
  }
  // Per-service status for probes that name the service; "" (the whole server) follows it.
  server->GetHealthCheckService()->SetServingStatus(
      optimum::tasks::v1::TasksManager::service_full_name(), true);
  server->GetHealthCheckService()->SetServingStatus(true);
  return std::unique_ptr<TasksServer>(new TasksServer(std::move(service), std::move(server), port));
}

TasksServer::TasksServer(std::unique_ptr<TasksManagerService> service,
                         std::unique_ptr<grpc::Server> server, int port)
    : service_(std::move(service)), server_(std::move(server)), port_(port) {}

void TasksServer::Shutdown(std::chrono::system_clock::time_point deadline) {
  server_->GetHealthCheckService()->SetServingStatus(false);
  server_->Shutdown(deadline);
}

void TasksServer::Wait() { server_->Wait(); }

}  // namespace tasks::service
