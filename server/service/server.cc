#include "server/service/server.h"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdint>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "grpc/grpc.h"
#include "grpc/health/v1/health.pb.h"
#include "grpcpp/ext/channelz_service_plugin.h"
#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "grpcpp/generic/async_generic_service.h"
#include "grpcpp/health_check_service_interface.h"
#include "grpcpp/impl/server_builder_option.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server_builder.h"
#include "grpcpp/support/server_interceptor.h"
#include "server/registry/registry_loader.h"
#include "server/service/host_port.h"
#include "server/service/logging.h"
#include "spdlog/spdlog.h"

namespace tasks::service {
namespace {

// gRPC channel arguments take milliseconds as int; longer durations saturate.
int Millis(absl::Duration duration) {
  return static_cast<int>(std::clamp<int64_t>(absl::ToInt64Milliseconds(duration), 0, INT_MAX));
}

// Every method the server serves, for the metrics' labels.
std::vector<std::string> CountedMethods() {
  std::vector<std::string> methods;
  const google::protobuf::ServiceDescriptor* service =
      optimum::tasks::v1::GetAllTasksRequest::descriptor()->file()->FindServiceByName(
          "TasksManager");
  for (int i = 0; i < service->method_count(); ++i) {
    methods.push_back(absl::StrCat("/", service->full_name(), "/", service->method(i)->name()));
  }
  methods.push_back("/grpc.health.v1.Health/Check");
  methods.push_back("/grpc.health.v1.Health/Watch");
  methods.push_back("/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo");
  return methods;
}

// The gRPC services every server offers beside TasksManager: health, reflection, channelz.
void InitGrpcPlugins() {
  // gRPC's built-in health service registers no descriptor; touching the compiled-in
  // health.proto links it, so reflection can describe grpc.health.v1.Health for grpcurl.
  grpc::health::v1::HealthCheckRequest::descriptor();
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::channelz::experimental::InitChannelzService();
}

// Drops the plugins every ServerBuilder otherwise gets from InitGrpcPlugins (reflection,
// channelz): the health-only listener serves grpc.health.v1 and nothing else.
class WithoutPlugins final : public grpc::ServerBuilderOption {
 public:
  void UpdateArguments(grpc::ChannelArguments* /*args*/) override {}
  void UpdatePlugins(std::vector<std::unique_ptr<grpc::ServerBuilderPlugin>>* plugins) override {
    plugins->clear();
  }
};

// "cannot listen" for a server that did not start or bound no port.
absl::Status CannotListen(const std::string& address) {
  return absl::UnavailableError(
      absl::StrCat("cannot listen on ", address, " (address in use, malformed, or not permitted)"));
}

}  // namespace

void ApplyConnectionOptions(const ServerOptions& options, grpc::ServerBuilder& builder) {
  // INT_MAX is gRPC's "never" for keepalive time.
  builder.AddChannelArgument(
      GRPC_ARG_KEEPALIVE_TIME_MS,
      options.keepalive_time > absl::ZeroDuration() ? Millis(options.keepalive_time) : INT_MAX);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, Millis(options.keepalive_timeout));
  // Clients may keep idle connections alive too (their pings would otherwise count as strikes).
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS,
                             Millis(options.min_client_ping_interval));
  // Left unset, both are unlimited, which is what 0 means here.
  if (options.max_connection_age > absl::ZeroDuration()) {
    builder.AddChannelArgument(GRPC_ARG_MAX_CONNECTION_AGE_MS, Millis(options.max_connection_age));
  }
  if (options.max_connection_age_grace > absl::ZeroDuration()) {
    builder.AddChannelArgument(GRPC_ARG_MAX_CONNECTION_AGE_GRACE_MS,
                               Millis(options.max_connection_age_grace));
  }
  builder.SetMaxReceiveMessageSize(options.max_receive_message_bytes);
  builder.SetMaxSendMessageSize(options.max_send_message_bytes);
  ApplyHttp2Limits(options.http2, builder);
}

absl::StatusOr<std::unique_ptr<TasksServer>> TasksServer::Start(
    const ServerOptions& options, std::shared_ptr<const registry::Generations> generations,
    std::unique_ptr<hub::HubClient> hub) {
  InitGrpcPlugins();
  // gRPC would resolve a port past 65535 to another port rather than refuse it.
  if (absl::Status address = CheckListenAddress(options.listen_address); !address.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot listen on ", options.listen_address, ": ", address.message()));
  }
  if (IsUnixAddress(options.listen_address) && options.tls.enabled()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "TLS is for host:port addresses, not the unix socket ", options.listen_address));
  }
  absl::StatusOr<std::unique_ptr<ServerTlsCredentials>> tls =
      ServerTlsCredentials::Start(options.tls);
  if (!tls.ok()) return tls.status();

  std::unique_ptr<TasksServer> server(new TasksServer());
  server->tls_ = *std::move(tls);
  server->BuildService(options, std::move(generations), std::move(hub));
  if (absl::Status status = server->StartMetrics(options); !status.ok()) return status;
  std::shared_ptr<grpc::ServerCredentials> credentials =
      server->tls_ != nullptr ? server->tls_->credentials() : grpc::InsecureServerCredentials();
  if (absl::Status status = server->Listen(options, std::move(credentials)); !status.ok()) {
    return status;
  }
  if (absl::Status status = server->ListenHealth(options); !status.ok()) return status;
  server->SetServing(true);
  server->trimmer_ = std::make_unique<HeapTrimmer>(absl::Seconds(1), size_t{16} << 20);
  if (server->cache_ != nullptr && options.stats_log_interval > absl::ZeroDuration()) {
    server->stats_logger_ =
        std::thread([raw = server.get(), interval = options.stats_log_interval] {
          while (!raw->stop_stats_.WaitForNotificationWithTimeout(interval)) raw->LogCacheStats();
        });
  }
  return server;
}

void TasksServer::BuildService(const ServerOptions& options,
                               std::shared_ptr<const registry::Generations> generations,
                               std::unique_ptr<hub::HubClient> hub) {
  hub_ = std::move(hub);
  if (hub_ != nullptr) {
    // One bound for Hub answers and the answers computed from them: most of it for the first.
    hub::HubCacheOptions cache_options = options.cache;
    cache_options.max_bytes = options.cache.max_bytes - options.cache.max_bytes / 4;
    cache_ = std::make_unique<hub::HubCache>(hub_.get(), cache_options);
  }
  locator_ = std::make_unique<inference::ModelLocator>(options.locator, cache_.get());
  generations_ = std::make_unique<registry::GenerationsHolder>(std::move(generations));
  registry_dirs_ = options.registry_dirs;
  const bool own_logger = options.call_logger != nullptr;
  call_log_ =
      std::make_unique<CallLog>(options.call_log, own_logger ? options.call_log_json : JsonLogs(),
                                own_logger ? options.call_logger : CallLogger());
  memo_ = std::make_unique<AnswerMemo>(options.cache.max_bytes / 4);
  pool_ = std::make_unique<WorkerPool>(options.hub_threads, options.max_queued_calls);
  service_ = std::make_unique<TasksManagerService>(
      generations_.get(),
      InferenceHandlers(locator_.get(), cache_.get(), memo_.get(), options.cache.max_bytes),
      pool_.get(), call_log_.get(), options.service);
}

absl::Status TasksServer::StartMetrics(const ServerOptions& options) {
  metrics_ = std::make_unique<RpcMetrics>(CountedMethods());
  if (options.metrics_address.empty()) return absl::OkStatus();
  absl::StatusOr<std::unique_ptr<MetricsEndpoint>> endpoint =
      MetricsEndpoint::Start(options.metrics_address, [this] {
        RpcMetrics::ServerFigures figures;
        for (const auto& generation : generations_->Get()->all()) {
          figures.registry_fingerprints.emplace_back(generation->snapshot().generation,
                                                     generation->snapshot().fingerprint);
        }
        figures.workers = pool_->CurrentLoad();
        if (cache_ == nullptr) return metrics_->Render(figures);
        const hub::HubCacheStats stats = cache_->Stats();
        const AnswerMemoStats answers = memo_->Stats();
        figures.hub_cache = &stats;
        figures.answers = &answers;
        return metrics_->Render(figures);
      });
  if (!endpoint.ok()) return endpoint.status();
  metrics_endpoint_ = *std::move(endpoint);
  return absl::OkStatus();
}

absl::Status TasksServer::Listen(const ServerOptions& options,
                                 std::shared_ptr<grpc::ServerCredentials> credentials) {
  const bool unix_socket = IsUnixAddress(options.listen_address);
  grpc::ServerBuilder builder;
  builder.AddListeningPort(options.listen_address, std::move(credentials), &port_);
  builder.RegisterService(service_.get());
  // An interceptor costs every call gRPC's interception: counting only when someone can scrape.
  if (metrics_endpoint_ != nullptr) {
    std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> counting;
    counting.push_back(metrics_->InterceptorFactory());
    builder.experimental().SetInterceptorCreators(std::move(counting));
  }
  ApplyConnectionOptions(options, builder);
  // gRPC sets SO_REUSEPORT on its listeners by default: a second server on the same port would
  // start and share the connections with the first. Without it, the second one fails to bind.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  server_ = builder.BuildAndStart();
  if (server_ == nullptr || (!unix_socket && port_ == 0)) {
    return CannotListen(options.listen_address);
  }
  // A unix socket has no port to report (and its absence is no failure, checked above).
  if (unix_socket) port_ = 0;
  if (options.unix_socket_mode >= 0) {
    // gRPC binds with the process's umask; a client connecting needs write permission.
    const std::string path = UnixSocketPath(options.listen_address);
    if (path.empty() || chmod(path.c_str(), static_cast<mode_t>(options.unix_socket_mode)) != 0) {
      return absl::FailedPreconditionError(
          absl::StrCat("cannot set the mode of the socket ", options.listen_address, ": ",
                       path.empty() ? "not a unix: socket file" : std::strerror(errno)));
    }
  }
  return absl::OkStatus();
}

absl::Status TasksServer::ListenHealth(const ServerOptions& options) {
  if (options.health_listen_address.empty()) return absl::OkStatus();
  const bool unix_socket = IsUnixAddress(options.health_listen_address);
  grpc::ServerBuilder builder;
  // The default health service (InitGrpcPlugins) is all it serves; the generic service answers
  // every other method UNIMPLEMENTED, as gRPC would, and gives gRPC's builder the callback
  // service it needs to start a server without services of its own.
  builder.AddListeningPort(options.health_listen_address, grpc::InsecureServerCredentials(),
                           &health_port_);
  builder.SetOption(std::make_unique<WithoutPlugins>());
  health_unimplemented_ = std::make_unique<grpc::CallbackGenericService>();
  builder.RegisterCallbackGenericService(health_unimplemented_.get());
  health_server_ = builder.BuildAndStart();
  if (health_server_ == nullptr || (!unix_socket && health_port_ == 0)) {
    return CannotListen(options.health_listen_address);
  }
  if (unix_socket) health_port_ = 0;
  return absl::OkStatus();
}

void TasksServer::SetServing(bool serving) {
  for (grpc::Server* server : {server_.get(), health_server_.get()}) {
    if (server == nullptr) continue;
    // Per-service status for probes that name the service; "" (the whole server) follows it.
    auto* health = server->GetHealthCheckService();
    health->SetServingStatus(optimum::tasks::v1::TasksManager::service_full_name(), serving);
    health->SetServingStatus(serving);
  }
}

void TasksServer::LogCacheStats() const {
  hub::HubCacheStats stats = cache_->Stats();
  const AnswerMemoStats answers = memo_->Stats();
  AddTo(answers, stats);
  std::string upstream;
  for (const auto& [key, count] : stats.upstream) {
    absl::StrAppend(&upstream, upstream.empty() ? "" : ", ", hub::HubCallName(key.first), " ",
                    absl::StatusCodeToString(key.second), " x", count);
  }
  spdlog::info(
      "hub cache: {} hits, {} misses, {} coalesced, {} stale, {} derived hits, {} evictions, {} "
      "entries, {} bytes; upstream: {}",
      stats.hits, stats.misses, stats.coalesced, stats.stale_served, answers.hits, stats.evictions,
      stats.entries, stats.bytes, upstream);
  if (cache_->has_shared_cache()) {
    spdlog::info(
        "fleet cache: {} hits, {} misses, {} errors, {} skipped, {} rejected, {} lease waits, {} "
        "lease takeovers",
        stats.shared_hits, stats.shared_misses, stats.shared.errors, stats.shared.skipped,
        stats.shared.rejected, stats.lease_waits, stats.lease_takeovers);
  }
}

TasksServer::~TasksServer() {
  metrics_endpoint_.reset();
  stop_stats_.Notify();
  if (stats_logger_.joinable()) stats_logger_.join();
  // Calls still queued on the pool finish (as cancelled, once the server shut down) before the
  // server they answer goes away.
  pool_.reset();
}

void LogLoaderFindings(const registry::LoadedGenerations& loaded) {
  for (const std::string& skipped : loaded.skipped) spdlog::error("registry: {}", skipped);
  for (const registry::LoadedRegistry& registry : loaded.registries) {
    const std::string& generation = registry.snapshot->generation;
    for (const std::string& warning : registry.warnings) {
      spdlog::warn("registry {}: {}", generation, warning);
    }
  }
}

absl::Status TasksServer::ReloadRegistry() {
  absl::MutexLock lock(&reload_mutex_);
  const absl::Time start = absl::Now();
  // The embedded generations never change, so the default stays the one Start was given.
  absl::StatusOr<registry::LoadedGenerations> loaded = registry::LoadGenerations(
      registry_dirs_, generations_->Get()->default_generation().snapshot().generation);
  if (!loaded.ok()) {
    spdlog::error("registry reload failed, still serving the previous registry: {}",
                  std::string(loaded.status().message()));
    return loaded.status();
  }
  LogLoaderFindings(*loaded);
  generations_->Set(loaded->generations);
  spdlog::info("registry reloaded in {}: {}", absl::FormatDuration(absl::Now() - start),
               registry::DescribeGenerations(*loaded));
  return absl::OkStatus();
}

void TasksServer::Shutdown(std::chrono::system_clock::time_point deadline) {
  SetServing(false);
  server_->Shutdown(deadline);  // returns once the drain is over
  if (health_server_ != nullptr) health_server_->Shutdown(std::chrono::system_clock::now());
}

void TasksServer::Wait() {
  server_->Wait();
  if (health_server_ != nullptr) health_server_->Wait();
}

}  // namespace tasks::service
