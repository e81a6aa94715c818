#include "server/service/library_logs.h"

#include <algorithm>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "google/protobuf/stubs/logging.h"
#include "grpc/support/log.h"
#include "spdlog/spdlog.h"

namespace tasks::service {
namespace {

constexpr int kBurst = 10;
constexpr double kLinesPerSecond = 1;

// Never destroyed: gRPC's threads may log while the process exits.
LineRateLimiter& ProtobufLimiter() {
  static auto* limiter = new LineRateLimiter(kBurst, kLinesPerSecond);
  return *limiter;
}
LineRateLimiter& GrpcLimiter() {
  static auto* limiter = new LineRateLimiter(kBurst, kLinesPerSecond);
  return *limiter;
}

void Write(LineRateLimiter& limiter, spdlog::level::level_enum level, absl::string_view source,
           absl::string_view message, bool always) {
  int64_t dropped = 0;
  if (!limiter.Admit(absl::Now(), &dropped) && !always) return;
  std::shared_ptr<spdlog::logger> logger = spdlog::default_logger();
  if (logger == nullptr || !logger->should_log(level)) return;
  std::string line = absl::StrCat(source, ": ", message);
  if (dropped > 0) absl::StrAppend(&line, " (", dropped, " earlier ", source, " lines dropped)");
  logger->log(level, std::string_view(line));
}

void ProtobufHandler(google::protobuf::LogLevel level, const char* /*file*/, int /*line*/,
                     const std::string& message) {
  spdlog::level::level_enum spd = spdlog::level::critical;
  switch (level) {
    case google::protobuf::LOGLEVEL_INFO:
      spd = spdlog::level::info;
      break;
    case google::protobuf::LOGLEVEL_WARNING:
      spd = spdlog::level::warn;
      break;
    case google::protobuf::LOGLEVEL_ERROR:
      spd = spdlog::level::err;
      break;
    default:  // FATAL: protobuf aborts next; the reason must reach the log
      break;
  }
  Write(ProtobufLimiter(), spd, "protobuf", message,
        /*always=*/level == google::protobuf::LOGLEVEL_FATAL);
}

void GrpcHandler(gpr_log_func_args* args) {
  const spdlog::level::level_enum level =
      args->severity == GPR_LOG_SEVERITY_ERROR  ? spdlog::level::err
      : args->severity == GPR_LOG_SEVERITY_INFO ? spdlog::level::info
                                                : spdlog::level::debug;
  absl::string_view file = args->file != nullptr ? args->file : "";
  if (size_t slash = file.rfind('/'); slash != absl::string_view::npos) {
    file = file.substr(slash + 1);
  }
  Write(
      GrpcLimiter(), level, "grpc",
      absl::StrCat(args->message != nullptr ? args->message : "", " (", file, ":", args->line, ")"),
      /*always=*/false);
}

}  // namespace

bool LineRateLimiter::Admit(absl::Time now, int64_t* dropped) {
  absl::MutexLock lock(&mutex_);
  if (tokens_ < 0) {
    tokens_ = burst_;
  } else {
    tokens_ = std::min<double>(burst_, tokens_ + absl::ToDoubleSeconds(now - last_) * per_second_);
  }
  last_ = now;
  if (tokens_ < 1) {
    ++dropped_;
    return false;
  }
  tokens_ -= 1;
  *dropped = dropped_;
  dropped_ = 0;
  return true;
}

void RouteLibraryLogs() {
  google::protobuf::SetLogHandler(&ProtobufHandler);
  gpr_set_log_function(&GrpcHandler);
}

}  // namespace tasks::service
