// BoundedHttpServer: a cpp-httplib server that slow or idle clients cannot tie up, for the
// metrics endpoint. httplib's own server gives each connection a thread of a fixed pool (8 here)
// and waits up to 5 s on every read, so twenty connections that never finish their headers kept
// scrapes waiting for seconds, and a client trickling a byte every few seconds held its thread
// for as long as it liked.
//
// Here at most `max_connections` connections are open at once, each on its own thread; a
// connection accepted beyond that is closed at once. Each connection carries one request
// (answered with "Connection: close"), which must arrive in full within `request_timeout` of the
// connection's acceptance; writing the answer may take `response_timeout` more. A connection
// missing either deadline is closed.
//
// Configure routes as for httplib::Server, then Bind and listen_after_bind. Thread-safety as
// httplib::Server.
#ifndef TASKS_SERVER_SERVICE_BOUNDED_HTTP_SERVER_H_
#define TASKS_SERVER_SERVICE_BOUNDED_HTTP_SERVER_H_

#include <cstddef>
#include <string>

#include "absl/time/time.h"
#include "httplib.h"

namespace tasks::service {

struct BoundedHttpOptions {
  size_t max_connections = 32;
  absl::Duration request_timeout = absl::Seconds(2);
  absl::Duration response_timeout = absl::Seconds(5);
};

class BoundedHttpServer final : public httplib::Server {
 public:
  explicit BoundedHttpServer(const BoundedHttpOptions& options);

  // Binds `host`:`port` (0: any free port) and returns the port, or -1. Unlike httplib's
  // bind_to_port, listens with a backlog of 128 rather than 5, so that a burst of connections
  // is accepted at once rather than some waiting a second to retransmit their SYN.
  int Bind(const std::string& host, int port);

 private:
  // Called by httplib on a pool thread for each accepted connection (or, for one refused, on the
  // accepting thread); owns and closes `sock`.
  bool process_and_close_socket(socket_t sock) override;

  const BoundedHttpOptions options_;
};

}  // namespace tasks::service

#endif  // TASKS_SERVER_SERVICE_BOUNDED_HTTP_SERVER_H_
