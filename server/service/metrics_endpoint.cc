#include "server/service/metrics_endpoint.h"

#include <thread>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "server/service/bounded_http_server.h"
#include "server/service/host_port.h"

namespace tasks::service {

struct MetricsEndpoint::Impl {
  BoundedHttpServer http{BoundedHttpOptions()};
  absl::Notification listening_ended;
  std::thread thread;
  int port = 0;
};

MetricsEndpoint::MetricsEndpoint(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

MetricsEndpoint::~MetricsEndpoint() {
  // httplib's stop() does nothing until the listening thread has marked the server running, so
  // a stop right after Start would be lost and the join would wait forever: repeat it.
  do {
    impl_->http.stop();
  } while (!impl_->listening_ended.WaitForNotificationWithTimeout(absl::Milliseconds(10)));
  impl_->thread.join();
}

int MetricsEndpoint::port() const { return impl_->port; }

absl::StatusOr<std::unique_ptr<MetricsEndpoint>> MetricsEndpoint::Start(
    const std::string& address, std::function<std::string()> render) {
  absl::StatusOr<HostPort> host_port = ParseHostPort(address);
  if (!host_port.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("metrics address ", host_port.status().message()));
  }
  const auto& [host, port] = *host_port;
  auto impl = std::make_unique<Impl>();
  impl->http.Get("/metrics", [render = std::move(render)](const httplib::Request&,
                                                          httplib::Response& response) {
    response.set_content(render(), "text/plain; version=0.0.4; charset=utf-8");
  });
  impl->port = impl->http.Bind(host, port);
  if (impl->port < 0) {
    return absl::UnavailableError(absl::StrCat("cannot listen on ", address,
                                               " for metrics (address in use, or not permitted)"));
  }
  Impl* raw = impl.get();
  impl->thread = std::thread([raw] {
    raw->http.listen_after_bind();
    raw->listening_ended.Notify();
  });
  return std::unique_ptr<MetricsEndpoint>(new MetricsEndpoint(std::move(impl)));
}

}  // namespace tasks::service
