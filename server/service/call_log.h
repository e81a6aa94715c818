// CallLog: one structured log line per call, with a request id that the caller also gets back,
// so that an export job's log and the server's can be matched.
//
// The request id is the caller's `x-request-id` metadata when it sends a usable one (printable
// ASCII, at most 128 characters), else a fresh random one; either way the call's initial
// metadata carries it back as `x-request-id`. A line holds the method, the status code, the
// latency (from when the service took the call until its answer was ready), the request id, for
// inference calls where the answer's facts came from (hub, cache, stale-cache, local,
// hf-cache-dir), and for failures the error message, which never holds a token (errors are
// scrubbed where they are made). Never the request's fields or metadata.
//
// Which calls are logged (info level, logger "rpc"): kAll, every TasksManager call; kHub (the
// default), the calls that may reach the Hub (the inference RPCs), which are what an export job
// waits on; kOff, none. The service logs its calls itself, from where it answers them, rather
// than through a gRPC interceptor: interception adds gRPC's per-call interception machinery to
// every call, far more work than writing the line.
// With --log_format json the line is a JSON object with these as fields.
#ifndef TASKS_SERVER_SERVICE_CALL_LOG_H_
#define TASKS_SERVER_SERVICE_CALL_LOG_H_

#include <memory>
#include <string>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "grpcpp/server_context.h"
#include "grpcpp/support/status.h"
#include "spdlog/logger.h"

namespace tasks::service {

enum class CallLogLevel { kAll, kHub, kOff };

// "all", "hub" or "off".
absl::StatusOr<CallLogLevel> ParseCallLogLevel(absl::string_view name);

// The longest caller-chosen request id kept; a longer or unprintable one is replaced.
inline constexpr size_t kMaxRequestIdBytes = 128;

class CallLog {
 public:
  // `json`: each line's payload as JSON members, for a logger whose pattern wraps them in an
  // object (logging.h's CallLogger), rather than key=value text.
  CallLog(CallLogLevel level, bool json, std::shared_ptr<spdlog::logger> logger);

  // One call's line, to be written by End. Inert (End does nothing) when the level leaves the
  // call unlogged. Movable, so that it can follow the call to the thread that answers it.
  class Call {
   public:
    Call() = default;  // inert
    Call(Call&& other) noexcept { *this = std::move(other); }
    Call& operator=(Call&& other) noexcept;  // `other` is left inert: one line per call

    // Logs the line for the call's answer: its status and, for an inference answer, its source.
    // Once; later calls do nothing.
    void End(const grpc::Status& status, absl::string_view source = "");

   private:
    friend class CallLog;
    const CallLog* log_ = nullptr;
    absl::string_view method_;
    absl::Time start_;
    std::string request_id_;
  };

  // Starts `context`'s line when the level logs it: `method` is the call's full path
  // ("/package.Service/Method", static storage) and `hub_method` whether it may reach the Hub.
  // Sends the request id back in the initial metadata, so call before the call's first write.
  Call Begin(grpc::CallbackServerContext& context, absl::string_view method, bool hub_method) const;

 private:
  void Write(const Call& call, const grpc::Status& status, absl::string_view source) const;

  const CallLogLevel level_;
  const bool json_;
  const std::shared_ptr<spdlog::logger> logger_;
};

}  // namespace tasks::service

#endif  // TASKS_SERVER_SERVICE_CALL_LOG_H_
