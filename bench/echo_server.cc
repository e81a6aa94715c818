// bench-echo-server: the benchmark's baseline. It serves optimum.tasks.v1.TasksManager with the
// same gRPC, the same callback API and the same connection settings as tasks-server, but every
// unary method answers an empty message at once: the cost of gRPC alone, which the service's
// figures are divided by.
//
//   bench-echo-server [--listen_address 127.0.0.1:0]   prints "listening on <host>:<port>"
#include <signal.h>

#include <iostream>
#include <memory>
#include <string>

#include "CLI/CLI.hpp"
#include "absl/synchronization/mutex.h"
#include "grpcpp/grpcpp.h"
#include "grpcpp/health_check_service_interface.h"
#include "optimum/tasks/v1/tasks_manager.grpc.pb.h"
#include "server/common/stop_signals.h"
#include "server/service/server.h"

namespace {

namespace v1 = optimum::tasks::v1;

class EchoService final : public v1::TasksManager::CallbackService {
 public:
#define TASKS_ECHO(Method)                                                                       \
  grpc::ServerUnaryReactor* Method(grpc::CallbackServerContext* context,                         \
                                   const v1::Method##Request*, v1::Method##Response*) override { \
    grpc::ServerUnaryReactor* reactor = context->DefaultReactor();                               \
    reactor->Finish(grpc::Status::OK);                                                           \
    return reactor;                                                                              \
  }
  TASKS_ECHO(GetAllTasks)
  TASKS_ECHO(MapFromSynonym)
  TASKS_ECHO(GetSupportedTasksForModelType)
  TASKS_ECHO(GetSupportedModelTypeForTask)
  TASKS_ECHO(GetExporterConfigConstructor)
  TASKS_ECHO(GetModelClassForTask)
  TASKS_ECHO(ListExporters)
  TASKS_ECHO(DetermineFramework)
  TASKS_ECHO(InferLibraryFromModel)
  TASKS_ECHO(InferTaskFromModel)
  TASKS_ECHO(StandardizeModelAttributes)
  TASKS_ECHO(ResolveExport)
  TASKS_ECHO(GetCacheStats)
  TASKS_ECHO(GetSupportMatrix)
#undef TASKS_ECHO
};

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"The benchmark's baseline: TasksManager answering empty messages"};
  tasks::service::ServerOptions options;
  options.listen_address = "127.0.0.1:0";
  app.add_option("--listen_address", options.listen_address, "host:port (port 0: any)");
  CLI11_PARSE(app, argc, argv);

  // Before gRPC starts its threads (stop_signals.h).
  const tasks::StopSignals stop_signals({SIGINT, SIGTERM});

  // As tasks-server does (see server/main.cc): the baseline must not pay for a lock graph that
  // the service does not keep.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  grpc::EnableDefaultHealthCheckService(true);
  EchoService service;
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort(options.listen_address, grpc::InsecureServerCredentials(), &port);
  builder.RegisterService(&service);
  tasks::service::ApplyConnectionOptions(options, builder);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || port == 0) {
    std::cerr << "cannot listen on " << options.listen_address << "\n";
    return 1;
  }
  const std::string host = options.listen_address.substr(0, options.listen_address.rfind(':'));
  std::cout << "listening on " << host << ":" << port << std::endl;
  stop_signals.Wait();
  server->Shutdown();
  return 0;
}
