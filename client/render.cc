// Text and JSON rendering of tasks-cli's responses and errors (see render.h). Text output is for
// people: lists one item per line, repeated records as aligned tables, the rest as "key: value"
// lines. Keys are the .proto field names, as in the JSON output, so that what one learns reading
// either applies to the other; only lines that sum up several fields ("source: hub (commit ...)",
// resolve-export's "load" and "exporter config") are named otherwise.
#include "client/render.h"

#include <algorithm>
#include <cstddef>
#include <map>
#include <optional>
#include <set>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"

namespace tasks::cli {
namespace {

using optimum::tasks::v1::Evidence;
using optimum::tasks::v1::GetExporterConfigConstructorResponse;
using optimum::tasks::v1::GetModelClassForTaskResponse;
using optimum::tasks::v1::GetModelClassForTaskResponse_Resolution_Name;
using optimum::tasks::v1::ModelSource;

using Row = std::vector<std::string>;

std::string YesNo(bool value) { return value ? "yes" : "no"; }

std::string KeyValue(const std::string& key, const std::string& value) {
  return absl::StrCat(key, ": ", value, "\n");
}

template <typename Strings>
std::string JoinOrNone(const Strings& strings) {
  return strings.empty() ? "(none)" : absl::StrJoin(strings, ", ");
}

// Characters, not bytes: cells are UTF-8 ("gpt-neo → gpt_neo").
std::size_t DisplayWidth(const std::string& cell) {
  return std::count_if(cell.begin(), cell.end(), [](char c) { return (c & 0xC0) != 0x80; });
}

// Columns are padded to their widest cell, so the first row reads as a header over them.
std::string Table(const std::vector<Row>& rows) {
  std::vector<std::size_t> widths;
  for (const Row& row : rows) {
    widths.resize(std::max(widths.size(), row.size()));
    for (std::size_t i = 0; i < row.size(); ++i) {
      widths[i] = std::max(widths[i], DisplayWidth(row[i]));
    }
  }
  std::string out;
  for (const Row& row : rows) {
    std::string line;
    for (std::size_t i = 0; i < row.size(); ++i) {
      absl::StrAppend(&line, row[i]);
      // No padding after the last cell: trailing blanks would only get in the way of grep.
      if (i + 1 < row.size()) line.append(widths[i] - DisplayWidth(row[i]) + 2, ' ');
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
template <typename Key, typename Value>
std::map<Key, Value> Sorted(const google::protobuf::Map<Key, Value>& map) {
  return {map.begin(), map.end()};
}

// A CSV field, quoted as RFC 4180 says when it holds a separator, quote or line break.
std::string CsvField(const std::string& value) {
  if (value.find_first_of(",\"\r\n") == std::string::npos) return value;
  return absl::StrCat("\"", absl::StrReplaceAll(value, {{"\"", "\"\""}}), "\"");
}

// A JSON string literal, escaped by protobuf's own JSON printer.
std::string JsonString(const std::string& text) {
  google::protobuf::Value value;
  value.set_string_value(text);
  return Json(value);
}

std::string SupportedTasksTable(
    const google::protobuf::RepeatedPtrField<optimum::tasks::v1::SupportedTask>& tasks) {
  std::vector<Row> rows = {{"TASK", "CONFIG CLASS", "USE_PAST"}};
  for (const optimum::tasks::v1::SupportedTask& task : tasks) {
    rows.push_back({task.task(), task.config_class(), YesNo(task.use_past())});
  }
  return Table(rows);
}

// The class as Python spells it: module.Class.
std::string QualifiedName(const GetModelClassForTaskResponse& model_class) {
  return absl::StrCat(model_class.module(), ".", model_class.class_name());
}

std::string ResolutionName(const GetModelClassForTaskResponse& model_class) {
  return GetModelClassForTaskResponse_Resolution_Name(model_class.resolution());
}

std::string Candidates(const GetModelClassForTaskResponse& model_class) {
  return KeyValue("candidates", absl::StrJoin(model_class.candidates(), ", "));
}

// "source: hub (commit <sha>)"; nothing for an answer that read no model files.
std::string SourceLine(const ModelSource& source) {
  if (source.source().empty()) return "";
  if (source.commit_sha().empty()) return KeyValue("source", source.source());
  return KeyValue("source", absl::StrCat(source.source(), " (commit ", source.commit_sha(), ")"));
}

// Facts are free text that may hold commas, hence the semicolons.
std::string EvidenceLines(const Evidence& evidence) {
  return absl::StrCat(
      KeyValue("rule", evidence.rule()),
      KeyValue("facts",
               evidence.facts().empty() ? "(none)" : absl::StrJoin(evidence.facts(), "; ")));
}

// What every inference from a model prints: its answer, the lines only some answers have (e.g.
// the library a task was inferred with), then where the files came from and why.
template <typename Response>
std::string Inference(const std::string& answer, const std::string& details,
                      const Response& response) {
  return absl::StrCat(answer, "\n", details, SourceLine(response.source()),
                      EvidenceLines(response.evidence()));
}

// The "load" part of an export plan: the class, then how it was chosen when Optimum had several
// to choose from.
std::string LoadLines(const GetModelClassForTaskResponse& model_class) {
  std::string out = KeyValue("load", QualifiedName(model_class));
  if (model_class.candidates_size() > 1) {
    absl::StrAppend(&out, Candidates(model_class),
                    KeyValue("resolution", ResolutionName(model_class)));
  }
  return out;
}

// "exporter config: Class (task=..., use_past=...)", with the registry key when it is not the
// export model type (e.g. default-timm-config).
std::string ExporterConfigLine(const optimum::tasks::v1::ResolveExportResponse& response) {
  if (!response.has_exporter_config()) return "";
  const GetExporterConfigConstructorResponse& config = response.exporter_config();
  std::string bound = absl::StrCat("task=", config.task(), ", use_past=", YesNo(config.use_past()));
  if (!config.model_type().empty() && config.model_type() != response.export_model_type()) {
    absl::StrAppend(&bound, ", model_type=", config.model_type());
  }
  return KeyValue("exporter config", absl::StrCat(config.config_class(), " (", bound, ")"));
}

std::string ComponentsTable(
    const google::protobuf::RepeatedPtrField<optimum::tasks::v1::PipelineComponent>& components) {
  std::vector<Row> rows = {{"NAME", "MODEL TYPE", "TASK", "CONFIG CLASS"}};
  for (const optimum::tasks::v1::PipelineComponent& component : components) {
    rows.push_back(
        {component.name(), component.model_type(), component.task(), component.config_class()});
  }
  return Table(rows);
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
  const std::string library =
      response.library_name().empty() ? "(all, merged)" : response.library_name();
  return absl::StrCat(KeyValue("model_type", response.model_type()),
                      KeyValue("library_name", library), "\n",
                      SupportedTasksTable(response.tasks()));
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
  std::string out = absl::StrCat(QualifiedName(response), "\n", KeyValue("task", response.task()),
                                 KeyValue("resolution", ResolutionName(response)));
  if (!response.candidates().empty()) absl::StrAppend(&out, Candidates(response));
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

std::string RenderText(const optimum::tasks::v1::DetermineFrameworkResponse& response) {
  return Inference(response.framework(), "", response);
}

std::string RenderText(const optimum::tasks::v1::InferLibraryFromModelResponse& response) {
  return Inference(response.library_name(), "", response);
}

std::string RenderText(const optimum::tasks::v1::InferTaskFromModelResponse& response) {
  return Inference(response.task(), KeyValue("library_name", response.library_name()), response);
}

std::string RenderText(const optimum::tasks::v1::StandardizeModelAttributesResponse& response) {
  return Inference(response.export_model_type(), KeyValue("library_name", response.library_name()),
                   response);
}

// The plan reads top-down in Optimum's order: what the model is, what to load it with, what to
// export it with, then what else the exporter could do with it and why each step answered so.
std::string RenderText(const optimum::tasks::v1::ResolveExportResponse& response) {
  std::string out =
      absl::StrCat(SourceLine(response.source()), KeyValue("library_name", response.library_name()),
                   KeyValue("framework", response.framework()), KeyValue("task", response.task()));
  if (!response.task_with_past().empty()) {
    absl::StrAppend(&out, KeyValue("task_with_past", response.task_with_past()));
  }
  absl::StrAppend(&out, KeyValue("model_type", response.model_type()),
                  KeyValue("export_model_type", response.export_model_type()),
                  LoadLines(response.model_class()), ExporterConfigLine(response), "\n");
  // A diffusers pipeline is exported per component; anything else by the model type's tasks.
  absl::StrAppend(&out, response.components().empty()
                            ? SupportedTasksTable(response.supported_tasks())
                            : ComponentsTable(response.components()));
  if (!response.evidence().empty()) absl::StrAppend(&out, "\n");
  for (const Evidence& evidence : response.evidence()) {
    absl::StrAppend(&out, EvidenceLines(evidence));
  }
  return out;
}

// One table, so that the upstream requests, indented under their key, align with the counters.
std::string RenderText(const optimum::tasks::v1::GetCacheStatsResponse& response) {
  std::vector<Row> rows = {{"hits:", absl::StrCat(response.hits())},
                           {"misses:", absl::StrCat(response.misses())},
                           {"coalesced:", absl::StrCat(response.coalesced())},
                           {"stale_served:", absl::StrCat(response.stale_served())},
                           {"derived_hits:", absl::StrCat(response.derived_hits())},
                           {"evictions:", absl::StrCat(response.evictions())},
                           {"entries:", absl::StrCat(response.entries())},
                           {"bytes:", absl::StrCat(response.bytes())},
                           {"max_bytes:", absl::StrCat(response.max_bytes())}};
  // The fleet cache's counters, from a server using one (all 0 otherwise).
  const std::pair<const char*, int64_t> fleet[] = {
      {"shared_hits:", response.shared_hits()},
      {"shared_misses:", response.shared_misses()},
      {"shared_errors:", response.shared_errors()},
      {"shared_skipped:", response.shared_skipped()},
      {"shared_rejected:", response.shared_rejected()},
      {"lease_waits:", response.lease_waits()},
      {"lease_takeovers:", response.lease_takeovers()}};
  if (std::any_of(std::begin(fleet), std::end(fleet), [](const auto& row) { return row.second; })) {
    for (const auto& [name, value] : fleet) rows.push_back({name, absl::StrCat(value)});
  }
  if (response.upstream_requests().empty()) {
    rows.push_back({"upstream_requests:", "(none)"});
  } else {
    rows.push_back({"upstream_requests:"});
    for (const auto& [request, count] : Sorted(response.upstream_requests())) {
      rows.push_back({absl::StrCat("  ", request), absl::StrCat(count)});
    }
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
    for (const auto& [key, value] : Sorted(info->metadata())) {
      absl::StrAppend(&out, KeyValue(key, value));
    }
  }
  return out;
}

std::string RenderText(const optimum::tasks::v1::GetSupportMatrixResponse& response) {
  std::vector<Row> rows = {
      {"EXPORTER", "LIBRARY", "MODEL TYPE", "TASK", "CONFIG CLASS", "USE PAST"}};
  for (const optimum::tasks::v1::SupportMatrixRow& row : response.rows()) {
    rows.push_back({row.exporter(), row.library_name(), row.model_type(), row.task(),
                    row.config_class(), YesNo(row.use_past())});
  }
  return Table(rows);
}

std::string RenderMarkdown(const optimum::tasks::v1::GetSupportMatrixResponse& response) {
  std::string out =
      "# Supported architectures\n\n"
      "Generated by `tasks-cli matrix` from the registries the server loaded; do not edit.\n"
      "A cell is ✓ when the exporter supports the task for the model type, ✓ past when it also\n"
      "supports the task's `-with-past` variant (exported with past key values), and past when it\n"
      "supports only that variant.\n\n";
  for (const optimum::tasks::v1::Exporter& exporter : response.exporters()) {
    std::vector<std::string> sources;
    for (const optimum::tasks::v1::Provenance& from : exporter.provenance()) {
      sources.push_back(absl::StrCat(from.package(), " ", from.version(), " (", from.repository(),
                                     " ", from.commit().substr(0, 12), ", ", from.source_file(),
                                     ")"));
    }
    absl::StrAppend(&out, "- **", exporter.name(), "**: ", absl::StrJoin(sources, "; "), "\n");
  }
  // (exporter, library) -> model type -> task -> (plain key, "-with-past" key), in row order of
  // the groups and sorted inside them.
  using Cells = std::map<std::string, std::map<std::string, std::pair<bool, bool>>>;
  std::vector<std::pair<std::string, Cells>> groups;
  for (const optimum::tasks::v1::SupportMatrixRow& row : response.rows()) {
    const std::string group = absl::StrCat(row.exporter(), " · ", row.library_name());
    if (groups.empty() || groups.back().first != group) groups.push_back({group, {}});
    auto& cell = groups.back().second[row.model_type()][row.task()];
    (row.use_past() ? cell.second : cell.first) = true;
  }
  for (const auto& [group, model_types] : groups) {
    std::set<std::string> tasks;
    for (const auto& [model_type, cells] : model_types) {
      for (const auto& [task, cell] : cells) tasks.insert(task);
    }
    absl::StrAppend(&out, "\n## ", group, "\n\n| model type | ", absl::StrJoin(tasks, " | "),
                    " |\n|---|");
    for (std::size_t i = 0; i < tasks.size(); ++i) out += "---|";
    out += "\n";
    for (const auto& [model_type, cells] : model_types) {
      absl::StrAppend(&out, "| ", model_type, " |");
      for (const std::string& task : tasks) {
        auto it = cells.find(task);
        const char* mark = "";
        if (it != cells.end()) {
          const auto [plain, past] = it->second;
          mark = plain && past ? "✓ past" : plain ? "✓" : "past";
        }
        absl::StrAppend(&out, " ", mark, " |");
      }
      out += "\n";
    }
  }
  return out;
}

std::string RenderCsv(const optimum::tasks::v1::GetSupportMatrixResponse& response) {
  std::string out = "exporter,library_name,model_type,task,config_class,use_past\r\n";
  for (const optimum::tasks::v1::SupportMatrixRow& row : response.rows()) {
    absl::StrAppend(&out, CsvField(row.exporter()), ",", CsvField(row.library_name()), ",",
                    CsvField(row.model_type()), ",", CsvField(row.task()), ",",
                    CsvField(row.config_class()), ",", row.use_past() ? "true" : "false", "\r\n");
  }
  return out;
}

namespace {

using optimum::tasks::v1::DiffSupportMatrixResponse;
using optimum::tasks::v1::SupportMatrixChange;
using optimum::tasks::v1::SupportMatrixRow;

std::string KindName(SupportMatrixChange::Kind kind) {
  return absl::AsciiStrToLower(optimum::tasks::v1::SupportMatrixChange_Kind_Name(kind));
}

// The row a change is about: the new one, or the removed one.
const SupportMatrixRow& RowOf(const SupportMatrixChange& change) {
  return change.has_after() ? change.after() : change.before();
}

// The registry key of a row: its task, with "-with-past" for the past variant.
std::string RegistryKey(const SupportMatrixRow& row) {
  return absl::StrCat(row.task(), row.use_past() ? "-with-past" : "");
}

// "before → after" where a changed row's value differs, else the value.
std::string BeforeAfter(const SupportMatrixChange& change,
                        const std::string& (SupportMatrixRow::*field)() const) {
  const std::string& after = (RowOf(change).*field)();
  if (!change.has_before() || !change.has_after() || (change.before().*field)() == after) {
    return after;
  }
  return absl::StrCat((change.before().*field)(), " → ", after);
}

// A model type as transformers spells it, which is how the server matches rows across
// generations (Optimum 1.x keys "gpt-neo", 2.x "gpt_neo").
std::string TransformersSpelling(const std::string& model_type) {
  return absl::StrReplaceAll(absl::AsciiStrToLower(model_type), {{"-", "_"}});
}

}  // namespace

std::string RenderText(const DiffSupportMatrixResponse& response) {
  std::vector<Row> rows = {
      {"CHANGE", "EXPORTER", "LIBRARY", "MODEL TYPE", "TASK", "USE PAST", "CONFIG CLASS"}};
  for (const SupportMatrixChange& change : response.changes()) {
    const SupportMatrixRow& row = RowOf(change);
    rows.push_back({KindName(change.kind()), row.exporter(), row.library_name(),
                    BeforeAfter(change, &SupportMatrixRow::model_type), row.task(),
                    YesNo(row.use_past()), BeforeAfter(change, &SupportMatrixRow::config_class)});
  }
  return Table(rows);
}

std::string RenderMarkdown(const DiffSupportMatrixResponse& response) {
  std::string out = absl::StrCat(
      "# Support matrix changes from Optimum generation ", response.from_generation(), " to ",
      response.to_generation(),
      "\n\n"
      "Generated by `tasks-cli matrix --diff ",
      response.from_generation(), " ", response.to_generation(),
      "` from the registries the server loaded; do not edit.\n"
      "Rows of the support matrix are matched on exporter, library, model type (compared as\n"
      "transformers spells it, so `gpt-neo` and `gpt_neo` are one model type), task and\n"
      "`-with-past`. A key is *added* or *removed* when only one generation registers it, and\n"
      "*changed* when both do with a different config class or model-type spelling.\n\n"
      "| exporter | added | removed | changed |\n|---|---|---|---|\n");
  // exporter -> counts per kind, in the order of the changes.
  std::vector<std::pair<std::string, std::map<SupportMatrixChange::Kind, int>>> counts;
  for (const SupportMatrixChange& change : response.changes()) {
    const std::string& exporter = RowOf(change).exporter();
    if (counts.empty() || counts.back().first != exporter) counts.push_back({exporter, {}});
    ++counts.back().second[change.kind()];
  }
  for (auto& [exporter, by_kind] : counts) {
    absl::StrAppend(&out, "| ", exporter, " | ", by_kind[SupportMatrixChange::ADDED], " | ",
                    by_kind[SupportMatrixChange::REMOVED], " | ",
                    by_kind[SupportMatrixChange::CHANGED], " |\n");
  }
  if (response.changes().empty()) return out + "\nNo changes.\n";

  // Changes come by exporter, library and model type, so each (exporter, library) section and
  // each model type line gathers consecutive changes.
  std::string section, model_type;
  std::vector<std::string> cells[3];  // added, removed, changed
  std::set<std::string> spellings_before, spellings_after;
  auto flush_line = [&] {
    if (model_type.empty()) return;
    std::string name =
        absl::StrJoin(spellings_after.empty() ? spellings_before : spellings_after, ", ");
    if (!spellings_before.empty() && !spellings_after.empty() &&
        spellings_before != spellings_after) {
      name = absl::StrCat(absl::StrJoin(spellings_before, ", "), " → ", name);
    }
    absl::StrAppend(&out, "| ", name, " | ", absl::StrJoin(cells[0], ", "), " | ",
                    absl::StrJoin(cells[1], ", "), " | ", absl::StrJoin(cells[2], ", "), " |\n");
    for (auto& cell : cells) cell.clear();
    spellings_before.clear();
    spellings_after.clear();
  };
  for (const SupportMatrixChange& change : response.changes()) {
    const SupportMatrixRow& row = RowOf(change);
    const std::string row_section = absl::StrCat(row.exporter(), " · ", row.library_name());
    const std::string row_model_type = TransformersSpelling(row.model_type());
    if (row_section != section || row_model_type != model_type) flush_line();
    if (row_section != section) {
      section = row_section;
      absl::StrAppend(&out, "\n## ", section,
                      "\n\n| model type | added | removed | changed |\n|---|---|---|---|\n");
    }
    model_type = row_model_type;
    if (change.has_before()) spellings_before.insert(change.before().model_type());
    if (change.has_after()) spellings_after.insert(change.after().model_type());
    std::string key = RegistryKey(row);
    switch (change.kind()) {
      case SupportMatrixChange::ADDED:
        cells[0].push_back(std::move(key));
        break;
      case SupportMatrixChange::REMOVED:
        cells[1].push_back(std::move(key));
        break;
      default:
        if (change.before().config_class() != change.after().config_class()) {
          absl::StrAppend(&key, " (", BeforeAfter(change, &SupportMatrixRow::config_class), ")");
        }
        cells[2].push_back(std::move(key));
    }
  }
  flush_line();
  return out;
}

std::string RenderCsv(const DiffSupportMatrixResponse& response) {
  std::string out =
      "change,exporter,library_name,task,use_past,model_type_before,config_class_before,"
      "model_type_after,config_class_after\r\n";
  for (const SupportMatrixChange& change : response.changes()) {
    const SupportMatrixRow& row = RowOf(change);
    absl::StrAppend(&out, KindName(change.kind()), ",", CsvField(row.exporter()), ",",
                    CsvField(row.library_name()), ",", CsvField(row.task()), ",",
                    row.use_past() ? "true" : "false", ",", CsvField(change.before().model_type()),
                    ",", CsvField(change.before().config_class()), ",",
                    CsvField(change.after().model_type()), ",",
                    CsvField(change.after().config_class()), "\r\n");
  }
  return out;
}

std::string RenderText(const optimum::tasks::v1::ListGenerationsResponse& response) {
  std::vector<Row> rows = {
      {"NAME", "OPTIMUM", "SELECTED BY", "EXPORTERS", "FRAMEWORKS", "TASKS", "PACKAGES"}};
  for (const optimum::tasks::v1::Generation& generation : response.generations()) {
    std::vector<std::string> selected_by;
    if (generation.is_default()) selected_by.push_back("default");
    if (generation.is_latest()) selected_by.push_back("latest");
    std::vector<std::string> exporters, packages;
    for (const optimum::tasks::v1::Exporter& exporter : generation.exporters()) {
      exporters.push_back(exporter.name());
    }
    for (const optimum::tasks::v1::Provenance& package : generation.packages()) {
      packages.push_back(absl::StrCat(package.package(), " ", package.version()));
    }
    rows.push_back({generation.name(), generation.optimum_version(),
                    selected_by.empty() ? "-" : absl::StrJoin(selected_by, ", "),
                    JoinOrNone(exporters), JoinOrNone(generation.frameworks()),
                    absl::StrCat(generation.tasks()), JoinOrNone(packages)});
  }
  return Table(rows);
}

std::string RenderBatchAnswerJson(const optimum::tasks::v1::BatchResolveExportResponse& response) {
  if (!response.has_error()) return RenderJson(response);
  const grpc::Status status(static_cast<grpc::StatusCode>(response.error().code()),
                            response.error().message(), response.error().SerializeAsString());
  std::string error = RenderErrorJson(status);
  error.pop_back();  // its newline
  return absl::StrCat("{\"id\":", JsonString(response.id()), ",\"error\":", error, "}\n");
}

std::string RenderErrorJson(const grpc::Status& status) {
  // Written by hand, not as a google.protobuf.Struct, whose keys would come out in hash order.
  std::string out = absl::StrCat("{\"code\":", JsonString(CodeName(status.error_code())),
                                 ",\"message\":", JsonString(status.error_message()));
  if (std::optional<google::rpc::ErrorInfo> info = FindErrorInfo(status)) {
    absl::StrAppend(&out, ",\"reason\":", JsonString(info->reason()), ",\"metadata\":{",
                    absl::StrJoin(Sorted(info->metadata()), ",",
                                  [](std::string* out, const auto& entry) {
                                    absl::StrAppend(out, JsonString(entry.first), ":",
                                                    JsonString(entry.second));
                                  }),
                    "}");
  }
  return out + "}\n";
}

}  // namespace tasks::cli
