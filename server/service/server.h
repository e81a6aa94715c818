// TasksServer: the whole service assembled and listening: registry snapshot, Hub client and
// cache, model locator, inference, the worker pool, and on one address the TasksManager service,
// grpc.health.v1.Health and server reflection (v1alpha, what grpcurl uses); optionally, on a
// second plaintext address, grpc.health.v1.Health alone, for probes that cannot speak TLS.
#ifndef TASKS_SERVER_SERVICE_SERVER_H_
#define TASKS_SERVER_SERVICE_SERVER_H_

#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "grpcpp/generic/async_generic_service.h"
#include "grpcpp/server.h"
#include "grpcpp/server_builder.h"
#include "server/common/worker_pool.h"
#include "server/hub/hub_cache.h"
#include "server/hub/hub_client.h"
#include "server/inference/model_inference.h"
#include "server/inference/model_source.h"
#include "server/registry/generations.h"
#include "server/registry/tasks_manager.h"
#include "server/service/answer_memo.h"
#include "server/service/call_log.h"
#include "server/service/heap_trimmer.h"
#include "server/service/http2_limits.h"
#include "server/service/metrics.h"
#include "server/service/metrics_endpoint.h"
#include "server/service/tasks_manager_service.h"
#include "server/service/tls.h"

namespace tasks::service {

struct ServerOptions {
  // host:port (port 0 picks a free one), unix:/path/to/socket, or any address grpc accepts.
  std::string listen_address = "127.0.0.1:50051";
  // Folders of exporter registry files that ReloadRegistry reads after each embedded
  // generation's registry, as start-up did (--registry_dir).
  std::vector<std::string> registry_dirs;
  // The generation answering calls that name none (--default_optimum_version; see
  // registry::Generations::Select), for main's loading: Start takes the generations loaded, and
  // a reload keeps their default.
  std::string default_optimum_version = std::string(registry::kLatestGeneration);
  inference::ModelLocatorOptions locator;
  hub::HubCacheOptions cache;
  ServiceOptions service;
  int hub_threads = 16;                                  // calls waiting on the Hub at once
  absl::Duration stats_log_interval = absl::Minutes(5);  // cache statistics log line; 0: never
  size_t max_queued_calls = 1024;                        // beyond: RESOURCE_EXHAUSTED

  // Connection management. Behind a headless Service, clients balance round-robin over the
  // addresses they resolved when connecting: a maximum connection age makes them reconnect and
  // re-resolve, so replicas added by a scale-up receive traffic; the grace lets calls in flight
  // on an aged connection finish. Keepalive pings find connections a NAT or a dead peer dropped.
  absl::Duration keepalive_time = absl::Seconds(60);            // ping an idle connection; 0: never
  absl::Duration keepalive_timeout = absl::Seconds(20);         // no ping ack within: close it
  absl::Duration max_connection_age = absl::Minutes(5);         // then GOAWAY; 0: unlimited
  absl::Duration max_connection_age_grace = absl::Seconds(30);  // 0: unlimited
  // The shortest interval between a client's pings the server tolerates (gRPC's default, 5 min,
  // would answer clients keeping alive every minute with GOAWAY "too_many_pings").
  absl::Duration min_client_ping_interval = absl::Seconds(10);
  int max_receive_message_bytes = 4 << 20;
  int max_send_message_bytes = 4 << 20;
  // Streams, gRPC's memory and pings per connection (http2_limits.h): HTTP/2 abuse.
  Http2Limits http2;

  // TLS (and mutual TLS) on listen_address; a unix: address refuses it (see Start). The metrics
  // endpoint stays plain HTTP: it has its own address, scraped from inside the cluster.
  TlsOptions tls;
  // Permission bits set on listen_address's socket file once bound (a unix: path only), e.g.
  // 0660 so a client of another uid sharing the socket's group may connect; -1: as the umask
  // left them.
  int unix_socket_mode = -1;
  // host:port (or unix:) of a plaintext listener serving grpc.health.v1.Health and nothing else,
  // with the main server's statuses (NOT_SERVING while draining): Kubernetes' gRPC probes and
  // container health checks speak no TLS. Empty: none.
  std::string health_listen_address;

  // host:port of the Prometheus /metrics endpoint (port 0: any free one); empty: none.
  std::string metrics_address;

  // Which calls get a log line with their request id (call_log.h), and where the lines go:
  // null, logging.h's CallLogger in the process's log format; else this logger, in JSON when
  // `call_log_json`.
  CallLogLevel call_log = CallLogLevel::kHub;
  std::shared_ptr<spdlog::logger> call_logger;
  bool call_log_json = false;
};

// Applies the connection settings of `options` (keepalive, connection age, message sizes, HTTP/2
// limits) to `builder`; shared with the benchmark's baseline server so both run with the same
// settings.
void ApplyConnectionOptions(const ServerOptions& options, grpc::ServerBuilder& builder);

// Logs what loading found without failing: files skipped (errors) and registrations ignored
// (warnings, each naming its generation).
void LogLoaderFindings(const registry::LoadedGenerations& loaded);

class TasksServer {
 public:
  // Starts serving `generations`; health reports SERVING for "" and the TasksManager service. `hub`
  // is the Hub client (null: no Hub, as when offline). TLS on a unix: socket is refused: the
  // socket's file permissions already decide who may connect, and gRPC clients of a socket expect
  // none.
  static absl::StatusOr<std::unique_ptr<TasksServer>> Start(
      const ServerOptions& options, std::shared_ptr<const registry::Generations> generations,
      std::unique_ptr<hub::HubClient> hub);
  ~TasksServer();

  // The port actually bound (useful with port 0); 0 for a unix: address.
  int port() const { return port_; }
  // The health-only listener's port; 0 without one (or on a unix: address).
  int health_port() const { return health_port_; }
  // The metrics endpoint's port; 0 without one.
  int metrics_port() const { return metrics_endpoint_ ? metrics_endpoint_->port() : 0; }
  const hub::HubCache* cache() const { return cache_.get(); }

  // Loads every embedded generation and the registry_dirs again and, when they load and validate,
  // answers every call starting afterwards from the new registry (calls in flight finish on the
  // one they started with); otherwise keeps the current one and returns the loader's error
  // ("<file>:<line>: <what>"). Logs either outcome. Reloads run one at a time.
  absl::Status ReloadRegistry();

  // Health turns NOT_SERVING first, so load balancers stop sending; then new calls are refused
  // and in-flight ones may finish until `deadline`, after which they are cancelled. The
  // health-only listener answers NOT_SERVING throughout, and closes last.
  void Shutdown(std::chrono::system_clock::time_point deadline);

  // Blocks until Shutdown has completed.
  void Wait();

 private:
  TasksServer() = default;

  // The steps of Start, in order. Builds the Hub cache, the locator, the registry holder, the
  // call log, the memo, the worker pool and the service over them.
  void BuildService(const ServerOptions& options,
                    std::shared_ptr<const registry::Generations> generations,
                    std::unique_ptr<hub::HubClient> hub);
  // Creates the per-method call counts, and serves them at options.metrics_address if given.
  absl::Status StartMetrics(const ServerOptions& options);
  // Builds and starts the gRPC server on options.listen_address (SetServing follows).
  absl::Status Listen(const ServerOptions& options,
                      std::shared_ptr<grpc::ServerCredentials> credentials);
  // Starts the health-only server on options.health_listen_address, if any.
  absl::Status ListenHealth(const ServerOptions& options);
  // Sets "" and the TasksManager service SERVING or NOT_SERVING on every listener.
  void SetServing(bool serving);
  // One log line of the Hub cache's and the answer memo's statistics (needs a Hub cache).
  void LogCacheStats() const;

  // Declared in dependency order: destroyed in reverse, the pool (draining calls that still
  // use the service) first, the Hub client last.
  std::unique_ptr<hub::HubClient> hub_;
  std::unique_ptr<hub::HubCache> cache_;
  std::unique_ptr<inference::ModelLocator> locator_;
  std::unique_ptr<registry::GenerationsHolder> generations_;
  std::unique_ptr<AnswerMemo> memo_;
  std::unique_ptr<CallLog> call_log_;
  std::unique_ptr<TasksManagerService> service_;
  std::unique_ptr<ServerTlsCredentials> tls_;  // null for plaintext; outlives the server
  std::unique_ptr<RpcMetrics> metrics_;  // outlives the server, whose interceptors record here
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<grpc::CallbackGenericService> health_unimplemented_;  // of health_server_
  std::unique_ptr<grpc::Server> health_server_;  // null without a health_listen_address
  std::unique_ptr<MetricsEndpoint> metrics_endpoint_;
  std::unique_ptr<WorkerPool> pool_;
  int port_ = 0;
  int health_port_ = 0;
  std::vector<std::string> registry_dirs_;
  absl::Mutex reload_mutex_;  // one reload at a time, so the last one started is the one kept
  // Gives memory freed after a burst back to the OS (heap_trimmer.h).
  std::unique_ptr<HeapTrimmer> trimmer_;
  // Logs the cache statistics every interval until notified.
  absl::Notification stop_stats_;
  std::thread stats_logger_;
};

}  // namespace tasks::service

#endif  // TASKS_SERVER_SERVICE_SERVER_H_
