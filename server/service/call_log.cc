#include "server/service/call_log.h"

#include <cstdio>
#include <string_view>
#include <utility>

#include "absl/random/random.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"
#include "nlohmann/json.hpp"

namespace tasks::service {
namespace {

using grpc::experimental::InterceptionHookPoints;

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
  char id[17];
  std::snprintf(id, sizeof(id), "%016llx",
                static_cast<unsigned long long>(absl::Uniform<uint64_t>(random)));
  return id;
}

// The answer's ModelSource.source ("hub", "cache", ...), or "" when it has none.
std::string SourceOf(const google::protobuf::Message& response) {
  const google::protobuf::FieldDescriptor* field =
      response.GetDescriptor()->FindFieldByName("source");
  if (field == nullptr || field->message_type() == nullptr) return "";
  const google::protobuf::Message& source = response.GetReflection()->GetMessage(response, field);
  const google::protobuf::FieldDescriptor* name = source.GetDescriptor()->FindFieldByName("source");
  if (name == nullptr || name->type() != google::protobuf::FieldDescriptor::TYPE_STRING) return "";
  return source.GetReflection()->GetString(source, name);
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

// One per call: created when the call starts, it logs when gRPC is done with the call.
class CallLog::Interceptor final : public grpc::experimental::Interceptor {
 public:
  Interceptor(const CallLog* log, std::string method, bool hub_method)
      : log_(log), method_(std::move(method)), hub_method_(hub_method), start_(absl::Now()) {}

  ~Interceptor() override {
    const bool failed = code_ != grpc::StatusCode::OK;
    if (request_id_.empty()) request_id_ = NewRequestId();
    const double latency_ms = absl::ToDoubleMilliseconds(absl::Now() - start_);
    const std::string code = absl::StatusCodeToString(static_cast<absl::StatusCode>(code_));
    if (log_->json_) {
      nlohmann::ordered_json fields = {{"method", method_},
                                       {"code", code},
                                       {"latency_ms", latency_ms},
                                       {"request_id", request_id_}};
      if (!source_.empty()) fields["source"] = source_;
      if (failed) fields["error"] = message_;
      const std::string object =
          fields.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
      log_->logger_->info("{}", std::string_view(object).substr(1, object.size() - 2));
    } else {
      std::string line = absl::StrCat("method=", method_, " code=", code,
                                      " latency_ms=", absl::StrFormat("%.3f", latency_ms),
                                      " request_id=", request_id_);
      if (!source_.empty()) absl::StrAppend(&line, " source=", source_);
      if (failed) absl::StrAppend(&line, " error=", LogfmtValue(message_));
      log_->logger_->info("{}", line);
    }
  }

  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::POST_RECV_INITIAL_METADATA)) {
      const auto* metadata = methods->GetRecvInitialMetadata();
      auto it = metadata->find(kRequestIdKey);
      if (it != metadata->end()) {
        const absl::string_view id(it->second.data(), it->second.size());
        if (UsableRequestId(id)) request_id_ = std::string(id);
      }
    }
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::PRE_SEND_INITIAL_METADATA)) {
      if (request_id_.empty()) request_id_ = NewRequestId();
      methods->GetSendInitialMetadata()->emplace(kRequestIdKey, request_id_);
    }
    if (hub_method_ &&
        methods->QueryInterceptionHookPoint(InterceptionHookPoints::PRE_SEND_MESSAGE)) {
      // Every answer is a generated protobuf message (a google::protobuf::Message).
      const void* message = methods->GetSendMessage();
      if (message != nullptr) {
        source_ = SourceOf(*static_cast<const google::protobuf::Message*>(message));
      }
    }
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::PRE_SEND_STATUS)) {
      const grpc::Status status = methods->GetSendStatus();
      code_ = status.error_code();
      message_ = status.error_message();
    }
    methods->Proceed();
  }

 private:
  const CallLog* const log_;
  const std::string method_;
  const bool hub_method_;
  const absl::Time start_;
  std::string request_id_;
  std::string source_;
  // A call that ends without sending a status was cancelled (by the client or its deadline).
  grpc::StatusCode code_ = grpc::StatusCode::CANCELLED;
  std::string message_ = "cancelled by the caller, or its deadline passed";
};

class CallLog::Factory final : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  explicit Factory(const CallLog* log) : log_(log) {}
  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override {
    const absl::string_view method = info->method();
    const bool hub_method = log_->hub_methods_.contains(method);
    if (!hub_method && log_->level_ != CallLogLevel::kAll) return nullptr;  // no interceptor
    return new Interceptor(log_, std::string(method), hub_method);
  }

 private:
  const CallLog* const log_;
};

CallLog::CallLog(CallLogLevel level, absl::flat_hash_set<std::string> hub_methods, bool json,
                 std::shared_ptr<spdlog::logger> logger)
    : level_(level),
      hub_methods_(std::move(hub_methods)),
      json_(json),
      logger_(std::move(logger)) {}

std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>
CallLog::InterceptorFactory() {
  return std::make_unique<Factory>(this);
}

}  // namespace tasks::service
