// CallLog: one structured log line per call, with a request id that the caller also gets back,
// so that an export job's log and the server's can be matched.
//
// The request id is the caller's `x-request-id` metadata when it sends a usable one (printable
// ASCII, at most 128 characters), else a fresh random one; either way the call's initial
// metadata carries it back as `x-request-id`. A line holds the method, the status code, the
// latency, the request id, for inference calls where the answer's facts came from (hub, cache,
// stale-cache, local, hf-cache-dir), and for failures the error message, which never holds a
// token (errors are scrubbed where they are made). Never the request's fields or metadata.
//
// Which calls are logged (info level, logger "rpc"): kAll, every call; kHub (the default), the
// calls that may reach the Hub (the inference RPCs), which are what an export job waits on; kOff,
// none. Registry lookups are microseconds of work, which a gRPC interceptor adds 15% to (measured
// with callgrind): under kHub they have none, so neither a log line nor an x-request-id.
// With --log_format json the line is a JSON object with these as fields.
#ifndef TASKS_SERVER_SERVICE_CALL_LOG_H_
#define TASKS_SERVER_SERVICE_CALL_LOG_H_

#include <memory>
#include <string>

#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "grpcpp/support/server_interceptor.h"
#include "spdlog/logger.h"

namespace tasks::service {

enum class CallLogLevel { kAll, kHub, kOff };

// "all", "hub" or "off".
absl::StatusOr<CallLogLevel> ParseCallLogLevel(absl::string_view name);

// The longest caller-chosen request id kept; a longer or unprintable one is replaced.
inline constexpr size_t kMaxRequestIdBytes = 128;

class CallLog {
 public:
  // `hub_methods`: full paths ("/package.Service/Method") of the calls that may reach the Hub.
  // `json`: each line's payload as JSON members, for a logger whose pattern wraps them in an
  // object (logging.h's CallLogger), rather than key=value text.
  CallLog(CallLogLevel level, absl::flat_hash_set<std::string> hub_methods, bool json,
          std::shared_ptr<spdlog::logger> logger);

  // For grpc::ServerBuilder::experimental().SetInterceptorCreators.
  std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface> InterceptorFactory();

 private:
  class Interceptor;
  class Factory;

  const CallLogLevel level_;
  const absl::flat_hash_set<std::string> hub_methods_;
  const bool json_;
  const std::shared_ptr<spdlog::logger> logger_;
};

}  // namespace tasks::service

#endif  // TASKS_SERVER_SERVICE_CALL_LOG_H_
