// Process-wide logging set-up (spdlog's default logger, to stderr).
#ifndef TASKS_SERVER_SERVICE_LOGGING_H_
#define TASKS_SERVER_SERVICE_LOGGING_H_

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace tasks::service {

// `level`: trace, debug, info, warn, error, critical or off. `format`: "text" for people, "json"
// for log collectors (one object per line: time, level, logger, msg).
absl::Status ConfigureLogging(absl::string_view level, absl::string_view format);

}  // namespace tasks::service

#endif  // TASKS_SERVER_SERVICE_LOGGING_H_
