// MetricsEndpoint: serves GET /metrics (Prometheus text format) on its own HTTP address and
// thread, apart from the gRPC port, so scrapers need no gRPC and the endpoint can be exposed
// (or not) separately. Slow or idle scrapers cannot hold it up (bounded_http_server.h).
#ifndef TASKS_SERVER_SERVICE_METRICS_ENDPOINT_H_
#define TASKS_SERVER_SERVICE_METRICS_ENDPOINT_H_

#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"

namespace tasks::service {

class MetricsEndpoint {
 public:
  // Listens on `address` ("host:port"; port 0 picks a free one) and answers each scrape with
  // `render()`.
  static absl::StatusOr<std::unique_ptr<MetricsEndpoint>> Start(
      const std::string& address, std::function<std::string()> render);
  ~MetricsEndpoint();  // stops listening; waits for scrapes in progress

  int port() const;

 private:
  struct Impl;
  explicit MetricsEndpoint(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace tasks::service

#endif  // TASKS_SERVER_SERVICE_METRICS_ENDPOINT_H_
