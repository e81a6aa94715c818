#include "server/common/errors.h"

#include "absl/strings/cord.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "server/common/suggest.h"

namespace tasks {

std::string EchoInput(absl::string_view value) {
  if (value.size() <= kMaxEchoBytes) return absl::CHexEscape(value);
  return absl::StrCat(absl::CHexEscape(value.substr(0, kMaxEchoBytes)), "... (", value.size(),
                      " bytes)");
}

absl::Status MakeError(absl::StatusCode code, absl::string_view python_exception,
                       absl::string_view message, const ErrorContext& context) {
  google::rpc::ErrorInfo info;
  info.set_reason(std::string(python_exception));
  info.set_domain(std::string(kErrorDomain));
  auto& metadata = *info.mutable_metadata();
  if (!context.argument.empty()) metadata["argument"] = std::string(context.argument);
  for (const auto& [key, value] : context.metadata) metadata[key] = value;

  std::string text(message);
  if (!context.valid_choices.empty()) {
    if (auto suggestion = ClosestMatch(context.value, context.valid_choices)) {
      absl::StrAppend(&text, " Did you mean '", *suggestion, "'?");
      metadata["did_you_mean"] = *suggestion;
    }
    const std::string choices = absl::StrJoin(context.valid_choices, ", ");
    absl::StrAppend(&text, " Valid choices: ", choices, ".");
    metadata["valid_choices"] = choices;
  }
  absl::Status status(code, text);
  status.SetPayload(kErrorInfoTypeUrl, absl::Cord(info.SerializeAsString()));
  return status;
}

absl::Status MissingArgument(absl::string_view argument) {
  return MakeError(absl::StatusCode::kInvalidArgument, "TypeError",
                   absl::StrCat("missing required argument: '", argument, "'"), {argument});
}

absl::Status AnnotateStep(const absl::Status& status, absl::string_view step) {
  if (status.ok()) return status;
  google::rpc::ErrorInfo info = GetErrorInfo(status).value_or(google::rpc::ErrorInfo());
  if (info.domain().empty()) info.set_domain(std::string(kErrorDomain));
  (*info.mutable_metadata())["step"] = std::string(step);
  absl::Status annotated(status.code(), absl::StrCat(step, ": ", status.message()));
  annotated.SetPayload(kErrorInfoTypeUrl, absl::Cord(info.SerializeAsString()));
  return annotated;
}

std::optional<google::rpc::ErrorInfo> GetErrorInfo(const absl::Status& status) {
  absl::optional<absl::Cord> payload = status.GetPayload(kErrorInfoTypeUrl);
  if (!payload) return std::nullopt;
  google::rpc::ErrorInfo info;
  if (!info.ParseFromString(std::string(*payload))) return std::nullopt;
  return info;
}

}  // namespace tasks
