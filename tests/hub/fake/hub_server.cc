#include "tests/hub/fake/hub_server.h"

#include <sys/socket.h>

#include <iostream>
#include <optional>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "tests/hub/fake/hub_api.h"
#include "tests/hub/fake/hub_request.h"

namespace tasks::testing::fake_hub {
namespace {

constexpr char kHost[] = "127.0.0.1";

std::optional<std::string> AuthorizationOf(const httplib::Request& request) {
  if (!request.has_header("Authorization")) return std::nullopt;
  return request.get_header_value("Authorization");
}

}  // namespace

// More than any client here keeps connections open at once (tasks-server: --hub_threads, 16).
constexpr size_t kWorkerThreads = 64;

bool HubServer::HttpServer::RaiseListenBacklog() {
  return ::listen(svr_sock_, SOMAXCONN) == 0;  // listening again only changes the backlog
}

HubServer::HubServer(std::string fixtures_dir, int copies)
    : fixtures_dir_(std::move(fixtures_dir)), copies_(copies) {}

HubServer::~HubServer() {
  stopping_.Notify();
  server_.stop();
  if (thread_.joinable()) thread_.join();
}

bool HubServer::Start(int port) {
  absl::StatusOr<FixtureStore> store = FixtureStore::Load(fixtures_dir_);
  if (!store.ok()) {
    std::cerr << "fake hub: " << store.status() << "\n";
    return false;
  }
  store_ = *std::move(store);
  if (copies_ > 0) {
    if (absl::Status status = store_.AddCopies("google-bert/bert-base-uncased", copies_);
        !status.ok()) {
      std::cerr << "fake hub: " << status << "\n";
      return false;
    }
  }
  // httplib sends HEAD requests to the GET handlers (and leaves the body out).
  server_.Get(".*", [this](const httplib::Request& request, httplib::Response& response) {
    Handle(request, response);
  });
  // An idle keep-alive connection holds a worker thread this long, also when stopping; and the
  // server's pooled Hub connections (one per --hub_threads) all stay open, so the pool must be
  // larger than httplib's default (8 on 2 cores), or requests wait for a thread to free up.
  server_.set_keep_alive_timeout(1);
  server_.new_task_queue = [] { return new httplib::ThreadPool(kWorkerThreads); };
  port_ =
      port == 0 ? server_.bind_to_any_port(kHost) : (server_.bind_to_port(kHost, port) ? port : -1);
  if (port_ < 0 || !server_.RaiseListenBacklog()) {
    std::cerr << "fake hub: cannot listen on " << kHost << ":" << port << "\n";
    return false;
  }
  thread_ = std::thread([this] { server_.listen_after_bind(); });
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (!server_.is_running()) {
    if (absl::Now() > deadline) return false;
    absl::SleepFor(absl::Milliseconds(1));
  }
  return true;
}

void HubServer::Handle(const httplib::Request& request, httplib::Response& response) {
  const HubRequest hub_request = ParseHubRequest(request.target);
  requests_.Record(hub_request.endpoint, request.path, AuthorizationOf(request));
  const auto answer = [&] { AnswerHubRequest(store_, hub_request, request, response); };
  if (std::optional<Fault> fault = faults_.Take(hub_request.endpoint, request.path)) {
    AnswerWithFault(*fault, stopping_, answer, request, response);
  } else {
    answer();
  }
}

}  // namespace tasks::testing::fake_hub
