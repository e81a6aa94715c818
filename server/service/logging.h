// Process-wide logging set-up (spdlog's default logger, to stderr).
#ifndef TASKS_SERVER_SERVICE_LOGGING_H_
#define TASKS_SERVER_SERVICE_LOGGING_H_

#include <cstdio>
#include <memory>
#include <mutex>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "spdlog/formatter.h"
#include "spdlog/logger.h"
#include "spdlog/sinks/base_sink.h"

namespace tasks::service {

// `level`: trace, debug, info, warn, error, critical or off. `format`: "text" for people, "json"
// for log collectors (one object per line: time, level, logger, msg). Per-call lines are batched
// (BatchedLineSink) and reach stderr within a second; spdlog::shutdown() writes what is left.
// Protobuf's and gRPC's own lines go through the default logger too (library_logs.h).
absl::Status ConfigureLogging(absl::string_view level, absl::string_view format);

// The logger of per-call lines (call_log.h), named "rpc", as ConfigureLogging set it up: with
// "json" each line is an object whose fields the payload supplies as JSON members; with "text"
// the payload follows the time and level. Before ConfigureLogging: text, to stderr.
std::shared_ptr<spdlog::logger> CallLogger();
bool JsonLogs();

// The formatter of the "json" log format's lines, one object per line: time, level, logger, msg.
// The message is escaped by nlohmann-json; invalid UTF-8 in it becomes U+FFFD (never a throw).
std::unique_ptr<spdlog::formatter> JsonLineFormatter();

// A sink for the per-call lines: it gathers whole lines and writes them to `file` (unbuffered,
// e.g. stderr) in one fwrite when the next line would take the batch past kBatchBytes, or on
// flush: a write(2) per line would cost a call more than formatting its line does.
// kBatchBytes is PIPE_BUF: a batch written to a pipe is never interleaved with another writer's
// output, and stdio's lock on `file` keeps it whole against the process's other loggers.
class BatchedLineSink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  static constexpr size_t kBatchBytes = 4096;

  explicit BatchedLineSink(std::FILE* file) : file_(file) {}
  ~BatchedLineSink() override { flush_(); }

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override;
  void flush_() override;

 private:
  std::FILE* const file_;
  std::string batch_;
};

}  // namespace tasks::service

#endif  // TASKS_SERVER_SERVICE_LOGGING_H_
