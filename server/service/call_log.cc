#include "server/service/call_log.h"

#include <string_view>
#include <utility>

#include "absl/random/random.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "nlohmann/json.hpp"

namespace tasks::service {
namespace {

constexpr char kRequestIdKey[] = "x-request-id";

bool UsableRequestId(absl::string_view id) {
  if (id.empty() || id.size() > kMaxRequestIdBytes) return false;
  for (char c : id) {
    if (c < 0x21 || c > 0x7e) return false;  // printable ASCII, no spaces: safe in any log line
  }
  return true;
}

std::string NewRequestId() {
  thread_local absl::InsecureBitGen random;
  return absl::StrCat(absl::Hex(absl::Uniform<uint64_t>(random), absl::kZeroPad16));
}

// A logfmt value: bare when it needs no quoting, else quoted with \" and \\ escaped.
std::string LogfmtValue(absl::string_view value) {
  bool bare = !value.empty();
  for (char c : value) bare = bare && c > 0x20 && c != '"' && c != '=' && c != '\\';
  if (bare) return std::string(value);
  std::string quoted = "\"";
  for (char c : value) {
    if (c == '"' || c == '\\') quoted += '\\';
    quoted += static_cast<unsigned char>(c) < 0x20 ? ' ' : c;
  }
  return quoted + "\"";
}

}  // namespace

absl::StatusOr<CallLogLevel> ParseCallLogLevel(absl::string_view name) {
  if (name == "all") return CallLogLevel::kAll;
  if (name == "hub") return CallLogLevel::kHub;
  if (name == "off") return CallLogLevel::kOff;
  return absl::InvalidArgumentError(
      absl::StrCat("--call_log: '", name, "' is not one of all, hub, off"));
}

CallLog::CallLog(CallLogLevel level, bool json, std::shared_ptr<spdlog::logger> logger)
    : level_(level), json_(json), logger_(std::move(logger)) {}

CallLog::Call CallLog::Begin(grpc::CallbackServerContext& context, absl::string_view method,
                             bool hub_method) const {
  Call call;
  if (level_ == CallLogLevel::kOff || (level_ == CallLogLevel::kHub && !hub_method)) return call;
  call.log_ = this;
  call.method_ = method;
  call.start_ = absl::Now();
  const auto& metadata = context.client_metadata();
  auto it = metadata.find(kRequestIdKey);
  if (it != metadata.end()) {
    const absl::string_view id(it->second.data(), it->second.size());
    if (UsableRequestId(id)) call.request_id_ = std::string(id);
  }
  if (call.request_id_.empty()) call.request_id_ = NewRequestId();
  context.AddInitialMetadata(kRequestIdKey, call.request_id_);
  return call;
}

CallLog::Call& CallLog::Call::operator=(Call&& other) noexcept {
  log_ = std::exchange(other.log_, nullptr);
  method_ = other.method_;
  start_ = other.start_;
  request_id_ = std::move(other.request_id_);
  return *this;
}

void CallLog::Call::End(const grpc::Status& status, absl::string_view source) {
  if (log_ == nullptr) return;
  log_->Write(*this, status, source);
  log_ = nullptr;
}

void CallLog::Write(const Call& call, const grpc::Status& status, absl::string_view source) const {
  const int64_t latency_us = absl::ToInt64Microseconds(absl::Now() - call.start_);
  const std::string code =
      absl::StatusCodeToString(static_cast<absl::StatusCode>(status.error_code()));
  if (json_) {
    nlohmann::ordered_json fields = {{"method", std::string(call.method_)},
                                     {"code", code},
                                     {"latency_ms", static_cast<double>(latency_us) / 1000},
                                     {"request_id", call.request_id_}};
    if (!source.empty()) fields["source"] = std::string(source);
    if (!status.ok()) fields["error"] = status.error_message();
    const std::string object =
        fields.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    logger_->info("{}", std::string_view(object).substr(1, object.size() - 2));
    return;
  }
  // Built in a buffer the thread keeps, and handed to spdlog as a finished message, so that fmt
  // never parses a format string of nine fields per call.
  thread_local std::string line;
  line.clear();
  absl::StrAppend(&line, "method=", call.method_, " code=", code, " latency_ms=", latency_us / 1000,
                  ".", absl::Dec(latency_us % 1000, absl::kZeroPad3),
                  " request_id=", call.request_id_);
  if (!source.empty()) absl::StrAppend(&line, " source=", source);
  if (!status.ok()) absl::StrAppend(&line, " error=", LogfmtValue(status.error_message()));
  logger_->info(std::string_view(line));
}

}  // namespace tasks::service
