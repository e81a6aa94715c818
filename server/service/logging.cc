#include "server/service/logging.h"

#include <chrono>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "nlohmann/json.hpp"
#include "server/service/library_logs.h"
#include "spdlog/pattern_formatter.h"
#include "spdlog/sinks/stdout_sinks.h"
#include "spdlog/spdlog.h"

namespace tasks::service {
namespace {

// %j: the message as a JSON string, quotes included, escaped by nlohmann-json like every other
// JSON the server writes. Invalid UTF-8 becomes U+FFFD instead of throwing: no message is lost.
class JsonStringMessage final : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& msg, const std::tm&,
              spdlog::memory_buf_t& dest) override {
    const std::string quoted =
        nlohmann::json(std::string(msg.payload.data(), msg.payload.size()))
            .dump(-1, ' ', /*ensure_ascii=*/false, nlohmann::json::error_handler_t::replace);
    dest.append(quoted.data(), quoted.data() + quoted.size());
  }
  std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<JsonStringMessage>();
  }
};

// Per-call lines (call_log.h): their payload is key=value pairs, or the members of a JSON object.
constexpr char kTextCallPattern[] = "%Y-%m-%dT%H:%M:%S.%eZ %^%l%$ rpc %v";
constexpr char kJsonCallPattern[] =
    R"({"time":"%Y-%m-%dT%H:%M:%S.%fZ","level":"%l","logger":"%n",%v})";

absl::Mutex call_logging_mutex;
std::shared_ptr<spdlog::logger> configured_call_logger ABSL_GUARDED_BY(call_logging_mutex);
bool json_logs ABSL_GUARDED_BY(call_logging_mutex) = false;

}  // namespace

std::unique_ptr<spdlog::formatter> JsonLineFormatter() {
  auto formatter = std::make_unique<spdlog::pattern_formatter>(spdlog::pattern_time_type::utc);
  formatter->add_flag<JsonStringMessage>('j').set_pattern(
      R"({"time":"%Y-%m-%dT%H:%M:%S.%fZ","level":"%l","logger":"%n","msg":%j})");
  return formatter;
}

absl::Status ConfigureLogging(absl::string_view level, absl::string_view format) {
  const spdlog::level::level_enum parsed = spdlog::level::from_str(std::string(level));
  if (parsed == spdlog::level::off && level != "off") {
    return absl::InvalidArgumentError(absl::StrCat(
        "--log_level: '", level, "' is not one of trace, debug, info, warn, error, critical, off"));
  }
  std::unique_ptr<spdlog::formatter> formatter;
  if (format == "json") {
    formatter = JsonLineFormatter();
  } else if (format == "text") {
    formatter = std::make_unique<spdlog::pattern_formatter>("%Y-%m-%dT%H:%M:%S.%eZ %^%l%$ %v",
                                                            spdlog::pattern_time_type::utc);
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat("--log_format: '", format, "' is not one of text, json"));
  }
  // A sink per logger: in spdlog the formatter belongs to the sink. Both write whole lines to
  // stderr, which stdio's lock keeps from interleaving.
  auto logger = std::make_shared<spdlog::logger>("tasks-server",
                                                 std::make_shared<spdlog::sinks::stderr_sink_mt>());
  logger->set_formatter(std::move(formatter));
  logger->set_level(parsed);
  spdlog::set_default_logger(std::move(logger));

  auto call_logger =
      std::make_shared<spdlog::logger>("rpc", std::make_shared<BatchedLineSink>(stderr));
  call_logger->set_formatter(std::make_unique<spdlog::pattern_formatter>(
      format == "json" ? kJsonCallPattern : kTextCallPattern, spdlog::pattern_time_type::utc));
  call_logger->set_level(parsed);
  // Registered, so that spdlog's flusher writes its batch every second and shutdown() the rest.
  spdlog::drop("rpc");
  spdlog::register_logger(call_logger);
  spdlog::flush_every(std::chrono::seconds(1));
  absl::MutexLock lock(&call_logging_mutex);
  configured_call_logger = std::move(call_logger);
  json_logs = format == "json";
  RouteLibraryLogs();
  return absl::OkStatus();
}

std::shared_ptr<spdlog::logger> CallLogger() {
  absl::MutexLock lock(&call_logging_mutex);
  if (configured_call_logger == nullptr) {
    configured_call_logger =
        std::make_shared<spdlog::logger>("rpc", std::make_shared<spdlog::sinks::stderr_sink_mt>());
    configured_call_logger->set_pattern(kTextCallPattern, spdlog::pattern_time_type::utc);
  }
  return configured_call_logger;
}

void BatchedLineSink::sink_it_(const spdlog::details::log_msg& msg) {
  spdlog::memory_buf_t line;
  formatter_->format(msg, line);
  if (batch_.size() + line.size() > kBatchBytes) flush_();
  batch_.append(line.data(), line.size());
}

void BatchedLineSink::flush_() {
  if (batch_.empty()) return;
  std::fwrite(batch_.data(), 1, batch_.size(), file_);
  batch_.clear();
}

bool JsonLogs() {
  absl::MutexLock lock(&call_logging_mutex);
  return json_logs;
}

}  // namespace tasks::service
