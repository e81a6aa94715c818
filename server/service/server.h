// TasksServer: the gRPC server process's moving parts assembled on one listening address: the
// TasksManager service, grpc.health.v1.Health and server reflection (v1alpha, what grpcurl uses).
#ifndef TASKS_SERVER_SERVICE_SERVER_H_
#define TASKS_SERVER_SERVICE_SERVER_H_

#include <chrono>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "grpcpp/server.h"
#include "server/registry/tasks_manager.h"
#include "server/service/tasks_manager_service.h"

namespace tasks::service {

struct ServerOptions {
  // host:port (port 0 picks a free one), or any address grpc accepts.
  std::string listen_address = "127.0.0.1:50051";
};

class TasksServer {
 public:
  // Starts serving; health reports SERVING for "" and the TasksManager service.
  static absl::StatusOr<std::unique_ptr<TasksServer>> Start(
      const ServerOptions& options, std::shared_ptr<const registry::TasksManager> core);

  // The port actually bound (useful with port 0).
  int port() const { return port_; }

  // Health turns NOT_SERVING first, so load balancers stop sending; then new calls are refused
  // and in-flight ones may finish until `deadline`, after which they are cancelled.
  void Shutdown(std::chrono::system_clock::time_point deadline);

  // Blocks until Shutdown has completed.
  void Wait();

 private:
  TasksServer(std::unique_ptr<TasksManagerService> service, std::unique_ptr<grpc::Server> server,
              int port);

  std::unique_ptr<TasksManagerService> service_;
  std::unique_ptr<grpc::Server> server_;
  int port_;
};

}  // namespace tasks::service

#endif  // TASKS_SERVER_SERVICE_SERVER_H_
