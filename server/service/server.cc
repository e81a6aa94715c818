#include "server/service/server.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "grpc/health/v1/health.pb.h"
#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "grpcpp/health_check_service_interface.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server_builder.h"
#include "spdlog/spdlog.h"

namespace tasks::service {

absl::StatusOr<std::unique_ptr<TasksServer>> TasksServer::Start(
    const ServerOptions& options, std::shared_ptr<const registry::TasksManager> tasks,
    std::unique_ptr<hub::HubClient> hub) {
  // gRPC's built-in health service registers no descriptor; touching the compiled-in
  // health.proto links it, so reflection can describe grpc.health.v1.Health for grpcurl.
  grpc::health::v1::HealthCheckRequest::descriptor();
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();

  std::unique_ptr<TasksServer> server(new TasksServer());
  server->hub_ = std::move(hub);
  if (server->hub_ != nullptr) {
    server->cache_ = std::make_unique<hub::HubCache>(server->hub_.get(), options.cache);
  }
  server->locator_ =
      std::make_unique<inference::ModelLocator>(options.locator, server->cache_.get());
  server->inference_ = std::make_unique<inference::ModelInference>(tasks, server->locator_.get());
  server->pool_ = std::make_unique<WorkerPool>(options.hub_threads, options.max_queued_calls);
  server->service_ = std::make_unique<TasksManagerService>(
      RegistryHandlers(tasks),
      InferenceHandlers(tasks, server->inference_.get(), server->cache_.get(),
                        options.cache.max_bytes),
      server->pool_.get(), options.service);

  grpc::ServerBuilder builder;
  builder.AddListeningPort(options.listen_address, grpc::InsecureServerCredentials(),
                           &server->port_);
  builder.RegisterService(server->service_.get());
  server->server_ = builder.BuildAndStart();
  if (server->server_ == nullptr || server->port_ == 0) {
    return absl::UnavailableError(absl::StrCat("cannot listen on ", options.listen_address,
                                               " (address in use, malformed, or not permitted)"));
  }
  // Per-service status for probes that name the service; "" (the whole server) follows it.
  auto* health = server->server_->GetHealthCheckService();
  health->SetServingStatus(optimum::tasks::v1::TasksManager::service_full_name(), true);
  health->SetServingStatus(true);
  if (server->cache_ != nullptr && options.stats_log_interval > absl::ZeroDuration()) {
    server->stats_logger_ =
        std::thread([raw = server.get(), interval = options.stats_log_interval] {
          while (!raw->stop_stats_.WaitForNotificationWithTimeout(interval)) {
            const hub::HubCacheStats stats = raw->cache_->Stats();
            spdlog::info(
                "hub cache: {} hits, {} misses, {} coalesced, {} stale, {} evictions, {} entries, "
                "{} bytes; upstream: {}",
                stats.hits, stats.misses, stats.coalesced, stats.stale_served, stats.evictions,
                stats.entries, stats.bytes,
                absl::StrJoin(stats.upstream, ", ", absl::PairFormatter(" x")));
          }
        });
  }
  return server;
}

TasksServer::~TasksServer() {
  stop_stats_.Notify();
  if (stats_logger_.joinable()) stats_logger_.join();
  // Calls still queued on the pool finish (as cancelled, once the server shut down) before the
  // server they answer goes away.
  pool_.reset();
}

void TasksServer::Shutdown(std::chrono::system_clock::time_point deadline) {
  server_->GetHealthCheckService()->SetServingStatus(false);
  server_->Shutdown(deadline);
}

void TasksServer::Wait() { server_->Wait(); }

}  // namespace tasks::service
