#include "server/service/metrics_endpoint.h"

#include <thread>
#include <utility>

#include "absl/strings/str_cat.h"
#include "server/service/bounded_http_server.h"
#include "server/service/host_port.h"

namespace tasks::service {

struct MetricsEndpoint::Impl {
  BoundedHttpServer http{BoundedHttpOptions()};
  std::thread thread;
  int port = 0;
};

MetricsEndpoint::MetricsEndpoint(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

MetricsEndpoint::~MetricsEndpoint() {
  impl_->http.stop();
  if (impl_->thread.joinable()) impl_->thread.join();
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
  impl->port = port == 0 ? impl->http.bind_to_any_port(host)
                         : (impl->http.bind_to_port(host, port) ? port : -1);
  if (impl->port < 0) {
    return absl::UnavailableError(absl::StrCat("cannot listen on ", address,
                                               " for metrics (address in use, or not permitted)"));
  }
  Impl* raw = impl.get();
  impl->thread = std::thread([raw] { raw->http.listen_after_bind(); });
  return std::unique_ptr<MetricsEndpoint>(new MetricsEndpoint(std::move(impl)));
}

}  // namespace tasks::service
