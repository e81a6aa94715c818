// Errors that tell a caller which exception Optimum raises for the same input.
//
// The core returns absl::Status; each error carries a google.rpc.ErrorInfo payload (under its
// standard type URL) whose reason is the Python exception class, so the service layer can put it
// in gRPC's status details without knowing what went wrong.
#ifndef TASKS_SERVER_COMMON_ERRORS_H_
#define TASKS_SERVER_COMMON_ERRORS_H_

#include <cstddef>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "google/rpc/error_details.pb.h"

namespace tasks {

inline constexpr absl::string_view kErrorDomain = "optimum.tasks.v1";
inline constexpr absl::string_view kErrorInfoTypeUrl = "type.googleapis.com/google.rpc.ErrorInfo";

// What an error is about, for the ErrorInfo metadata and the message.
struct ErrorContext {
  absl::string_view argument;                   // request field at fault, e.g. "model_type"
  absl::string_view value;                      // the caller's value, for "did you mean"
  absl::Span<const std::string> valid_choices;  // listed in the message and the metadata
  // More ErrorInfo metadata, copied as is: what a Hub error is about ("repo_id", "revision", ...).
  std::vector<std::pair<std::string, std::string>> metadata;
};

// The longest part of a caller's value an error message repeats. Messages travel twice in a
// failed call's trailers (grpc-message, and grpc-status-details-bin in base64), which clients
// cap at 8 KiB: a whole 4 KiB field echoed there turned INVALID_ARGUMENT into the client's
// RESOURCE_EXHAUSTED "received metadata size exceeds limit".
inline constexpr size_t kMaxEchoBytes = 128;

// `value`, a caller's input, as an error message may show it: C-escaped (non-ASCII and control
// bytes as \xNN, so the message stays printable ASCII) and, beyond kMaxEchoBytes of input, cut
// with "...", followed by its length ("... (4096 bytes)"). Every echo of a request field goes
// through here.
std::string EchoInput(absl::string_view value);

// Returns a status with `code` and a message made of `message`, then " Did you mean 'x'?" when a
// valid choice is close to `context.value`, then the valid choices. `python_exception` is the
// class Optimum raises ("KeyError", "ValueError", ...).
absl::Status MakeError(absl::StatusCode code, absl::string_view python_exception,
                       absl::string_view message, const ErrorContext& context = {});

// Python's TypeError for a required argument the request left empty (proto3 cannot tell an unset
// string from an empty one, and no Optimum method has a meaningful empty required string).
absl::Status MissingArgument(absl::string_view argument);

// `status` with its message prefixed by "<step>: " and the ErrorInfo metadata "step" set (an
// ErrorInfo is added when it has none), for errors of a multi-step answer.
absl::Status AnnotateStep(const absl::Status& status, absl::string_view step);

// The ErrorInfo attached by MakeError, if any.
std::optional<google::rpc::ErrorInfo> GetErrorInfo(const absl::Status& status);

}  // namespace tasks

#endif  // TASKS_SERVER_COMMON_ERRORS_H_
