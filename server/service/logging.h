// Process-wide logging set-up (spdlog's default logger, to stderr).
#ifndef TASKS_SERVER_SERVICE_LOGGING_H_
#define TASKS_SERVER_SERVICE_LOGGING_H_

#include <memory>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "spdlog/logger.h"

namespace tasks::service {

// `level`: trace, debug, info, warn, error, critical or off. `format`: "text" for people, "json"
// for log collectors (one object per line: time, level, logger, msg).
absl::Status ConfigureLogging(absl::string_view level, absl::string_view format);

// The logger of per-call lines (call_log.h), named "rpc", as ConfigureLogging set it up: with
// "json" each line is an object whose fields the payload supplies as JSON members; with "text"
// the payload follows the time and level. Before ConfigureLogging: text, to stderr.
std::shared_ptr<spdlog::logger> CallLogger();
bool JsonLogs();

}  // namespace tasks::service

#endif  // TASKS_SERVER_SERVICE_LOGGING_H_
