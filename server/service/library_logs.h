// Protobuf's and gRPC core's own log lines, through the server's logger.
//
// Left alone, both libraries write raw lines to stderr ("[libprotobuf ERROR ...]", gRPC's
// "E1203 ... ssl_transport_security.cc ... Handshake failed"), whatever --log_format says, and
// one per event: a client sending requests that fail to parse (invalid UTF-8 in a string field)
// or failing TLS handshakes wrote a line per attempt, as fast as it could send. Routed here, they
// become lines of spdlog's default logger (JSON under --log_format json), each source at most
// LineRateLimiter's rate, with the count of lines dropped meanwhile.
#ifndef TASKS_SERVER_SERVICE_LIBRARY_LOGS_H_
#define TASKS_SERVER_SERVICE_LIBRARY_LOGS_H_

#include <cstdint>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace tasks::service {

// A token bucket over log lines: up to `burst` lines at once, then `per_second`. Thread-safe.
class LineRateLimiter {
 public:
  LineRateLimiter(int burst, double per_second) : burst_(burst), per_second_(per_second) {}

  // Whether a line may be written at `now`. When it may, `*dropped` is the number of lines
  // refused since the last one admitted (to be reported with it).
  bool Admit(absl::Time now, int64_t* dropped);

 private:
  const int burst_;
  const double per_second_;
  absl::Mutex mutex_;
  double tokens_ ABSL_GUARDED_BY(mutex_) = -1;  // < 0: not started, a full bucket
  absl::Time last_ ABSL_GUARDED_BY(mutex_);
  int64_t dropped_ ABSL_GUARDED_BY(mutex_) = 0;
};

// Installs protobuf's log handler and gRPC's log function: each line goes to spdlog's default
// logger at the time it is written, as "protobuf: <message>" or "grpc: <message> (<file>:<line>)",
// at most 10 at once and one a second per library. Protobuf's FATAL lines are never dropped.
// Call once at start-up (protobuf's SetLogHandler is not thread-safe), before serving.
void RouteLibraryLogs();

}  // namespace tasks::service

#endif  // TASKS_SERVER_SERVICE_LIBRARY_LOGS_H_
