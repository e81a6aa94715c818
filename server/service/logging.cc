#include "server/service/logging.h"

#include <chrono>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "spdlog/pattern_formatter.h"
#include "spdlog/sinks/stdout_sinks.h"
#include "spdlog/spdlog.h"

namespace tasks::service {
namespace {

// %j: the message as the body of a JSON string (quotes, backslashes and controls escaped).
class JsonEscapedMessage final : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& msg, const std::tm&,
              spdlog::memory_buf_t& dest) override {
    for (char c : msg.payload) {
      switch (c) {
        case '"':
          Append(dest, "\\\"");
          break;
        case '\\':
          Append(dest, "\\\\");
          break;
        case '\n':
          Append(dest, "\\n");
          break;
        case '\r':
          Append(dest, "\\r");
          break;
        case '\t':
          Append(dest, "\\t");
          break;
        default:
          if (static_cast<unsigned char>(c) < 0x20) {
            char escaped[8];
            std::snprintf(escaped, sizeof(escaped), "\\u%04x", c);
            Append(dest, escaped);
          } else {
            dest.push_back(c);
          }
      }
    }
  }
  std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<JsonEscapedMessage>();
  }

 private:
  static void Append(spdlog::memory_buf_t& dest, std::string_view s) {
    dest.append(s.data(), s.data() + s.size());
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

absl::Status ConfigureLogging(absl::string_view level, absl::string_view format) {
  const spdlog::level::level_enum parsed = spdlog::level::from_str(std::string(level));
  if (parsed == spdlog::level::off && level != "off") {
    return absl::InvalidArgumentError(absl::StrCat(
        "--log_level: '", level, "' is not one of trace, debug, info, warn, error, critical, off"));
  }
  auto formatter = std::make_unique<spdlog::pattern_formatter>(spdlog::pattern_time_type::utc);
  if (format == "json") {
    formatter->add_flag<JsonEscapedMessage>('j').set_pattern(
        R"({"time":"%Y-%m-%dT%H:%M:%S.%fZ","level":"%l","logger":"%n","msg":"%j"})");
  } else if (format == "text") {
    formatter->set_pattern("%Y-%m-%dT%H:%M:%S.%eZ %^%l%$ %v");
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
