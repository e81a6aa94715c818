// Bounds on what a caller may send, checked on every request before any of it is used, so that no
// field can make a call costly (a "did you mean" over a megabyte-long name), reach a log or an
// error message unbounded, or carry control characters into a URL, a path or a log line.
// Field-specific grammars (repo ids, revisions, subfolders) are checked where they are used
// (server/inference/model_source.h).
#ifndef TASKS_SERVER_SERVICE_REQUEST_LIMITS_H_
#define TASKS_SERVER_SERVICE_REQUEST_LIMITS_H_

#include <cstddef>

#include "absl/status/status.h"
#include "google/protobuf/message.h"

namespace tasks::service {

// Longest string field accepted: a local path's PATH_MAX; Hub repo ids are at most 96.
inline constexpr size_t kMaxFieldBytes = 4096;

// OK, or INVALID_ARGUMENT (reason ValueError, metadata "argument": the field) for the first string
// field, at any depth, longer than kMaxFieldBytes or holding a control character (below 0x20, or
// 0x7f). google.protobuf.Struct values (exporter config kwargs) are data, not names: not checked.
absl::Status CheckRequestFields(const google::protobuf::Message& request);

}  // namespace tasks::service

#endif  // TASKS_SERVER_SERVICE_REQUEST_LIMITS_H_
