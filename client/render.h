// Rendering for tasks-cli: turns the TasksManager and health responses, and failed call statuses,
// into what the command prints, either plain text for people or JSON for programs. Kept apart
// from argument parsing so that the output formats can be read, and changed, in one place.
#ifndef TASKS_CLIENT_RENDER_H_
#define TASKS_CLIENT_RENDER_H_

#include <string>

#include "google/protobuf/message.h"
#include "grpc/health/v1/health.pb.h"
#include "grpcpp/support/status.h"
#include "optimum/tasks/v1/tasks_manager.pb.h"

namespace tasks::cli {

// Plain text, one overload per response; every line ends with a newline.
std::string RenderText(const optimum::tasks::v1::GetAllTasksResponse& response);
std::string RenderText(const optimum::tasks::v1::MapFromSynonymResponse& response);
std::string RenderText(const optimum::tasks::v1::GetSupportedTasksForModelTypeResponse& response);
std::string RenderText(const optimum::tasks::v1::GetSupportedModelTypeForTaskResponse& response);
std::string RenderText(const optimum::tasks::v1::GetExporterConfigConstructorResponse& response);
std::string RenderText(const optimum::tasks::v1::GetModelClassForTaskResponse& response);
std::string RenderText(const optimum::tasks::v1::ListExportersResponse& response);
// Inferences from a model: the answer on the first line, then where the model's files came from
// and why the answer is what it is.
std::string RenderText(const optimum::tasks::v1::DetermineFrameworkResponse& response);
std::string RenderText(const optimum::tasks::v1::InferLibraryFromModelResponse& response);
std::string RenderText(const optimum::tasks::v1::InferTaskFromModelResponse& response);
std::string RenderText(const optimum::tasks::v1::StandardizeModelAttributesResponse& response);
// An export plan: the inferred answers, what to load and export with, the exporter's tasks for
// the model type (or a diffusers pipeline's components), then the evidence of each step.
std::string RenderText(const optimum::tasks::v1::ResolveExportResponse& response);
std::string RenderText(const optimum::tasks::v1::GetCacheStatsResponse& response);
std::string RenderText(const grpc::health::v1::HealthCheckResponse& response);

// The support matrix as a table of its rows.
std::string RenderText(const optimum::tasks::v1::GetSupportMatrixResponse& response);
// The support matrix as Markdown: where each exporter's registrations come from, then one table
// per (exporter, library) with model types as rows and tasks as columns, both sorted. A cell is
// "✓", "✓ past" (the task's "-with-past" variant too) or "past" (only that variant).
std::string RenderMarkdown(const optimum::tasks::v1::GetSupportMatrixResponse& response);
// The support matrix's rows as CSV with a header line (RFC 4180 quoting).
std::string RenderCsv(const optimum::tasks::v1::GetSupportMatrixResponse& response);

// A support matrix diff (DiffSupportMatrix): as a table of its changes, one per row.
std::string RenderText(const optimum::tasks::v1::DiffSupportMatrixResponse& response);
// As Markdown: the counts per exporter, then per (exporter, library) one line per model type with
// the registry keys (task, or task-with-past) it gains, loses and changes. A model type whose key
// spelling changed reads "gpt-neo → gpt_neo"; a changed config class "task (Old → New)".
std::string RenderMarkdown(const optimum::tasks::v1::DiffSupportMatrixResponse& response);
// One CSV line per change, with a header line (RFC 4180 quoting).
std::string RenderCsv(const optimum::tasks::v1::DiffSupportMatrixResponse& response);

// The shipped generations as a table: name, Optimum version, default/latest, exporters,
// frameworks, get_all_tasks() count and the packages the answers were read from.
std::string RenderText(const optimum::tasks::v1::ListGenerationsResponse& response);

// One BatchResolveExport answer as one line of JSON: {"id", "answer"} as RenderJson prints it,
// or {"id", "error"} with the error as RenderErrorJson prints it.
std::string RenderBatchAnswerJson(const optimum::tasks::v1::BatchResolveExportResponse& response);

// One line of JSON, field names as in the .proto and default values included, so that scripts
// see every field whatever its value.
std::string RenderJson(const google::protobuf::Message& message);

// A failed call: "error: CODE: message", then the server's google.rpc.ErrorInfo, if it sent one,
// as "reason: ..." and one "key: value" line per metadata entry.
std::string RenderErrorText(const grpc::Status& status);

// The same as one line of JSON: {"code", "message"} and, with an ErrorInfo, "reason" and
// "metadata".
std::string RenderErrorJson(const grpc::Status& status);

}  // namespace tasks::cli

#endif  // TASKS_CLIENT_RENDER_H_
