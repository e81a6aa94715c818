#include "server/service/bounded_http_server.h"

#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <functional>
#include <memory>
#include <string>
#include <utility>

#include "absl/time/clock.h"
#include "server/common/worker_pool.h"

namespace tasks::service {
namespace {

// Set while the accepting thread runs a connection it refuses (see ConnectionQueue::enqueue):
// httplib hands a connection over only as an opaque closure, so this is how
// process_and_close_socket learns to close it unread.
thread_local bool refusing_connection = false;

// httplib's task queue over a WorkerPool with a thread per allowed connection: a connection
// beyond the bound is run at once on the accepting thread, refused, instead of waiting its turn
// behind connections that may never finish.
class ConnectionQueue final : public httplib::TaskQueue {
 public:
  explicit ConnectionQueue(size_t max_connections)
      : max_connections_(max_connections),
        pool_(std::make_unique<WorkerPool>(static_cast<int>(max_connections), max_connections)) {}

  void enqueue(std::function<void()> connection) override {
    if (open_.fetch_add(1) < max_connections_) {
      // open_ <= max_connections_ = the pool's queue bound: Submit cannot refuse.
      pool_->Submit([this, connection = std::move(connection)] {
        connection();
        open_.fetch_sub(1);
      });
      return;
    }
    open_.fetch_sub(1);
    refusing_connection = true;
    connection();
    refusing_connection = false;
  }

  // The accept loop has ended: let the connections in progress finish (each within its
  // deadlines), then join the threads.
  void shutdown() override { pool_.reset(); }

 private:
  const size_t max_connections_;
  std::atomic<size_t> open_{0};
  std::unique_ptr<WorkerPool> pool_;
};

// "ip", port of a socket address, as httplib's own stream reports them.
void NumericAddress(const sockaddr_storage& address, socklen_t length, std::string& ip, int& port) {
  char host[NI_MAXHOST] = "";
  char service[NI_MAXSERV] = "";
  if (getnameinfo(reinterpret_cast<const sockaddr*>(&address), length, host, sizeof(host), service,
                  sizeof(service), NI_NUMERICHOST | NI_NUMERICSERV) == 0) {
    ip = host;
    port = std::atoi(service);
  }
}

// A connection's socket whose reads must all complete by one deadline and writes by another:
// each read or write waits only for the time left, so a client cannot stretch a request by
// sending it a byte at a time.
class DeadlineStream final : public httplib::Stream {
 public:
  DeadlineStream(int sock, absl::Time read_deadline, absl::Time write_deadline)
      : sock_(sock), read_deadline_(read_deadline), write_deadline_(write_deadline) {}

  bool is_readable() const override { return Ready(POLLIN, read_deadline_); }
  bool is_writable() const override { return Ready(POLLOUT, write_deadline_); }

  ssize_t read(char* ptr, size_t size) override {
    if (!Ready(POLLIN, read_deadline_)) return -1;
    return Retry([&] { return recv(sock_, ptr, size, 0); });
  }
  ssize_t write(const char* ptr, size_t size) override {
    if (!Ready(POLLOUT, write_deadline_)) return -1;
    return Retry([&] { return send(sock_, ptr, size, MSG_NOSIGNAL); });
  }

  void get_remote_ip_and_port(std::string& ip, int& port) const override {
    sockaddr_storage address{};
    socklen_t length = sizeof(address);
    if (getpeername(sock_, reinterpret_cast<sockaddr*>(&address), &length) == 0) {
      NumericAddress(address, length, ip, port);
    }
  }
  void get_local_ip_and_port(std::string& ip, int& port) const override {
    sockaddr_storage address{};
    socklen_t length = sizeof(address);
    if (getsockname(sock_, reinterpret_cast<sockaddr*>(&address), &length) == 0) {
      NumericAddress(address, length, ip, port);
    }
  }
  socket_t socket() const override { return sock_; }

 private:
  // Whether the socket is ready for `events` before `deadline`.
  bool Ready(short events, absl::Time deadline) const {
    while (true) {
      const int64_t millis = absl::ToInt64Milliseconds(deadline - absl::Now());
      if (millis <= 0) return false;
      pollfd fd{sock_, events, 0};
      const int ready = poll(&fd, 1, static_cast<int>(std::min<int64_t>(millis, 60'000)));
      if (ready > 0) return true;
      if (ready < 0 && errno != EINTR) return false;
    }
  }
  template <typename Io>
  static ssize_t Retry(Io io) {
    ssize_t result;
    do {
      result = io();
    } while (result < 0 && errno == EINTR);
    return result;
  }

  const int sock_;
  const absl::Time read_deadline_;
  const absl::Time write_deadline_;
};

// Only SO_REUSEADDR (a restarted server may bind while old connections linger), not httplib's
// default SO_REUSEPORT, with which a second server on the same port would start and take a
// share of the scrapes.
void ListenerOptions(socket_t sock) {
  const int yes = 1;
  setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
}

}  // namespace

BoundedHttpServer::BoundedHttpServer(const BoundedHttpOptions& options) : options_(options) {
  new_task_queue = [max = options_.max_connections] { return new ConnectionQueue(max); };
  set_socket_options(ListenerOptions);
}

int BoundedHttpServer::Bind(const std::string& host, int port) {
  const int bound = port == 0 ? bind_to_any_port(host) : (bind_to_port(host, port) ? port : -1);
  // Listening again on a listening socket only changes its backlog.
  if (bound >= 0) ::listen(svr_sock_, 128);
  return bound;
}

bool BoundedHttpServer::process_and_close_socket(socket_t sock) {
  bool processed = false;
  if (!refusing_connection) {
    const absl::Time request_deadline = absl::Now() + options_.request_timeout;
    DeadlineStream stream(sock, request_deadline, request_deadline + options_.response_timeout);
    bool connection_closed = false;
    processed = process_request(stream, /*close_connection=*/true, connection_closed, nullptr);
  }
  ::shutdown(sock, SHUT_RDWR);
  ::close(sock);
  return processed;
}

}  // namespace tasks::service
