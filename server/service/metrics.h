// RpcMetrics: what operators scrape. Calls by method and status code, their latency as a
// histogram, and calls in flight, recorded by a gRPC server interceptor (so every RPC, unary or
// streaming, registry or inference, health or reflection, is counted the same way), plus the Hub
// cache's counters, the worker queue, the registry's fingerprint, the build and the process;
// rendered in the Prometheus text format for a /metrics endpoint.
//
// The call path takes no lock: methods are fixed at start and counters are atomics. Labels are
// method paths and status code names only: nothing a caller sends (tokens, repo ids) can appear.
#ifndef TASKS_SERVER_SERVICE_METRICS_H_
#define TASKS_SERVER_SERVICE_METRICS_H_

#include <array>
#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "grpcpp/support/server_interceptor.h"
#include "grpcpp/support/status.h"
#include "server/common/worker_pool.h"
#include "server/hub/hub_cache.h"
#include "server/service/answer_memo.h"

namespace tasks::service {

class RpcMetrics {
 public:
  // `methods`: the full paths ("/package.Service/Method") counted by name; any other path is
  // counted as "other".
  explicit RpcMetrics(const std::vector<std::string>& methods);

  // For grpc::ServerBuilder::experimental().SetInterceptorCreators.
  std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface> InterceptorFactory();

  // What a scrape shows besides the calls, read from the server's parts when it is scraped.
  struct ServerFigures {
    // (generation, fingerprint of its registry data), one per generation loaded.
    std::vector<std::pair<std::string, std::string>> registry_fingerprints;
    WorkerPool::Load workers;
    const hub::HubCacheStats* hub_cache = nullptr;  // null: no Hub
    const AnswerMemoStats* answers = nullptr;       // null: no kept answers
  };

  // The Prometheus text exposition (format 0.0.4): the calls, `figures`, the build, and the
  // process (memory, CPU, descriptors, as Prometheus clients' process_* metrics).
  std::string Render(const ServerFigures& figures) const;

 private:
  class Interceptor;
  class Factory;

  // Upper bounds, in seconds, of the latency histogram's buckets (+Inf is implicit).
  static constexpr std::array<double, 16> kBuckets = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005,
                                                      0.01,   0.025,   0.05,   0.1,   0.25,   0.5,
                                                      1,      2.5,     10,     30};
  static constexpr int kCodes = 17;  // grpc::StatusCode values 0..16

  struct Method {
    std::string name;
    std::array<std::atomic<int64_t>, kCodes> calls{};
    std::array<std::atomic<int64_t>, kBuckets.size() + 1> buckets{};  // non-cumulative
    std::atomic<int64_t> latency_micros{0};
  };

  int MethodIndex(absl::string_view path) const;
  void Record(int method, grpc::StatusCode code, absl::Duration latency);

  std::vector<std::unique_ptr<Method>> methods_;  // the last one is "other"
  absl::flat_hash_map<std::string, int> index_;
  std::atomic<int64_t> in_flight_{0};
};

}  // namespace tasks::service

#endif  // TASKS_SERVER_SERVICE_METRICS_H_
