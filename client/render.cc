// Text and JSON rendering of tasks-cli's responses and errors (see render.h). Text output is for
// people: lists one item per line, repeated records as aligned tables, the rest as "key: value"
// lines. Keys are the .proto field names, as in the JSON output, so that
// what one learns reading either applies to the other.
#include "client/render.h"

#include <algorithm>
#include <cstddef>
#include <map>
#include <optional>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"

namespace tasks::cli {
namespace {

using optimum::tasks::v1::GetModelClassForTaskResponse_Resolution_Name;

using Row = std::vector<std::string>;

std::string YesNo(bool value) { return value ? "yes" : "no"; }

std::string KeyValue(const std::string& key, const std::string& value) {
  return absl::StrCat(key, ": ", value, "\n");
}

template <typename Strings>
std::string JoinOrNone(const Strings& strings) {
  return strings.empty() ? "(none)" : absl::StrJoin(strings, ", ");
}

// Columns are padded to their widest cell, so the first row reads as a header over them.
std::string Table(const std::vector<Row>& rows) {
  std::vector<std::size_t> widths;
  for (const Row& row : rows) {
    widths.resize(std::max(widths.size(), row.size()));
    for (std::size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], row[i].size());
  }
  std::string out;
  for (const Row& row : rows) {
    std::string line;
    for (std::size_t i = 0; i < row.size(); ++i) {
      absl::StrAppend(&line, row[i]);
      // No padding after the last cell: trailing blanks would only get in the way of grep.
      if (i + 1 < row.size()) line.append(widths[i] - row[i].size() + 2, ' ');
    }
    absl::StrAppend(&out, line, "\n");
  }
  return out;
}

std::string Lines(const google::protobuf::RepeatedPtrField<std::string>& items) {
  std::string out;
  for (const std::string& item : items) absl::StrAppend(&out, item, "\n");
  return out;
}

std::string Json(const google::protobuf::Message& message) {
  google::protobuf::util::JsonPrintOptions options;
  options.always_print_primitive_fields = true;
  options.preserve_proto_field_names = true;
  std::string json;
  // Only fails for messages that have no JSON form (e.g. a Struct holding a NaN), which this
  // client never has: it renders what it parsed from the wire or built itself.
  google::protobuf::util::MessageToJsonString(message, &json, options);
  return json;
}

std::string CodeName(grpc::StatusCode code) {
  // grpc::StatusCode and absl::StatusCode share the canonical code numbers.
  return absl::StatusCodeToString(static_cast<absl::StatusCode>(code));
}

// The server's google.rpc.ErrorInfo travels in the serialized google.rpc.Status of the
// grpc-status-details-bin trailer; errors made by gRPC itself (e.g. UNAVAILABLE) have none.
std::optional<google::rpc::ErrorInfo> FindErrorInfo(const grpc::Status& status) {
  google::rpc::Status details;
  if (status.error_details().empty() || !details.ParseFromString(status.error_details())) {
    return std::nullopt;
  }
  for (const google::protobuf::Any& detail : details.details()) {
    if (google::rpc::ErrorInfo info; detail.UnpackTo(&info)) return info;
  }
  return std::nullopt;
}

// Sorted, as the wire order of a map is arbitrary.
std::map<std::string, std::string> SortedMetadata(const google::rpc::ErrorInfo& info) {
  return {info.metadata().begin(), info.metadata().end()};
}

// A JSON string literal, escaped by protobuf's own JSON printer.
std::string JsonString(const std::string& text) {
  google::protobuf::Value value;
  value.set_string_value(text);
  return Json(value);
}

}  // namespace

std::string RenderText(const optimum::tasks::v1::GetAllTasksResponse& response) {
  const optimum::tasks::v1::Environment& environment = response.environment();
  return absl::StrCat(Lines(response.tasks()), "\n",
                      KeyValue("all_tasks_framework", environment.all_tasks_framework()),
                      KeyValue("frameworks", JoinOrNone(environment.frameworks())),
                      KeyValue("libraries", JoinOrNone(environment.libraries())),
                      KeyValue("installed_packages", JoinOrNone(environment.installed_packages())),
                      KeyValue("exporters", JoinOrNone(response.exporters())));
}

std::string RenderText(const optimum::tasks::v1::MapFromSynonymResponse& response) {
  return absl::StrCat(KeyValue("task", response.task()),
                      KeyValue("synonyms_for_task", JoinOrNone(response.synonyms_for_task())),
                      KeyValue("is_synonym", YesNo(response.is_synonym())),
                      KeyValue("is_with_past", YesNo(response.is_with_past())));
}

std::string RenderText(const optimum::tasks::v1::GetSupportedTasksForModelTypeResponse& response) {
  std::vector<Row> rows = {{"TASK", "CONFIG CLASS", "USE_PAST"}};
  for (const optimum::tasks::v1::SupportedTask& task : response.tasks()) {
    rows.push_back({task.task(), task.config_class(), YesNo(task.use_past())});
  }
  const std::string library =
      response.library_name().empty() ? "(all, merged)" : response.library_name();
  return absl::StrCat(KeyValue("model_type", response.model_type()),
                      KeyValue("library_name", library), "\n", Table(rows));
}

std::string RenderText(const optimum::tasks::v1::GetSupportedModelTypeForTaskResponse& response) {
  return Lines(response.model_types());
}

std::string RenderText(const optimum::tasks::v1::GetExporterConfigConstructorResponse& response) {
  std::string out = absl::StrCat(
      KeyValue("config_class", response.config_class()), KeyValue("task", response.task()),
      KeyValue("use_past", YesNo(response.use_past())), KeyValue("task_key", response.task_key()),
      KeyValue("model_type", response.model_type()));
  if (!response.exporter_config_kwargs().fields().empty()) {
    absl::StrAppend(&out,
                    KeyValue("exporter_config_kwargs", Json(response.exporter_config_kwargs())));
  }
  return out;
}

// The class comes first, as Python spells it, for it is what the caller is after.
std::string RenderText(const optimum::tasks::v1::GetModelClassForTaskResponse& response) {
  std::string out = absl::StrCat(
      response.module(), ".", response.class_name(), "\n", KeyValue("task", response.task()),
      KeyValue("resolution", GetModelClassForTaskResponse_Resolution_Name(response.resolution())));
  if (!response.candidates().empty()) {
    absl::StrAppend(&out, KeyValue("candidates", absl::StrJoin(response.candidates(), ", ")));
  }
  return out;
}

std::string RenderText(const optimum::tasks::v1::ListExportersResponse& response) {
  std::vector<Row> rows = {{"NAME", "MODEL TYPES", "TASKS", "SOURCE"}};
  for (const optimum::tasks::v1::Exporter& exporter : response.exporters()) {
    std::vector<std::string> sources;
    for (const optimum::tasks::v1::Provenance& provenance : exporter.provenance()) {
      sources.push_back(absl::StrCat(provenance.package(), " ", provenance.version()));
    }
    rows.push_back({exporter.name(), absl::StrCat(exporter.model_types()),
                    absl::StrCat(exporter.tasks()), absl::StrJoin(sources, ", ")});
  }
  return Table(rows);
}

std::string RenderText(const grpc::health::v1::HealthCheckResponse& response) {
  return absl::StrCat(grpc::health::v1::HealthCheckResponse_ServingStatus_Name(response.status()),
                      "\n");
}

std::string RenderJson(const google::protobuf::Message& message) { return Json(message) + "\n"; }

std::string RenderErrorText(const grpc::Status& status) {
  std::string out =
      absl::StrCat("error: ", CodeName(status.error_code()), ": ", status.error_message(), "\n");
  if (std::optional<google::rpc::ErrorInfo> info = FindErrorInfo(status)) {
    absl::StrAppend(&out, KeyValue("reason", info->reason()));
    for (const auto& [key, value] : SortedMetadata(*info)) {
      absl::StrAppend(&out, KeyValue(key, value));
    }
  }
  return out;
}

std::string RenderErrorJson(const grpc::Status& status) {
  // Written by hand, not as a google.protobuf.Struct, whose keys would come out in hash order.
  std::string out = absl::StrCat("{\"code\":", JsonString(CodeName(status.error_code())),
                                 ",\"message\":", JsonString(status.error_message()));
  if (std::optional<google::rpc::ErrorInfo> info = FindErrorInfo(status)) {
    absl::StrAppend(&out, ",\"reason\":", JsonString(info->reason()), ",\"metadata\":{",
                    absl::StrJoin(SortedMetadata(*info), ",",
                                  [](std::string* out, const auto& entry) {
                                    absl::StrAppend(out, JsonString(entry.first), ":",
                                                    JsonString(entry.second));
                                  }),
                    "}");
  }
  return out + "}\n";
}

}  // namespace tasks::cli
