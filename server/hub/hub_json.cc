#include "server/hub/hub_json.h"

#include <algorithm>
#include <optional>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "server/common/json_members.h"

namespace tasks::hub {
namespace {

using nlohmann::json;

absl::StatusOr<json> Parse(absl::string_view body) {
  try {
    return json::parse(body.begin(), body.end());
  } catch (const json::exception& e) {
    return absl::InvalidArgumentError(e.what());
  }
}

bool BoolField(const json& object, const char* key) {
  const auto it = object.find(key);
  return it != object.end() && it->is_boolean() && it->get<bool>();
}

json ObjectField(const json& object, const char* key) {
  const auto it = object.find(key);
  return it != object.end() && it->is_object() ? *it : json(nullptr);
}

// "gated" is false, "auto" or "manual". Any other string still counts as a gate: treating an
// unknown gating mode as open would be the unsafe mistake.
bool IsGated(const json& object) {
  const auto it = object.find("gated");
  if (it == object.end()) return false;
  if (it->is_boolean()) return it->get<bool>();
  return it->is_string() && !it->get<std::string>().empty() && it->get<std::string>() != "false";
}

}  // namespace

absl::StatusOr<ModelInfo> ParseModelInfo(absl::string_view body) {
  absl::StatusOr<json> parsed = Parse(body);
  if (!parsed.ok()) return parsed.status();
  if (!parsed->is_object()) return absl::InvalidArgumentError("the model info is not an object");
  const json& object = *parsed;

  ModelInfo info;
  info.id = StringMember(object, "id").value_or(StringMember(object, "modelId").value_or(""));
  info.sha = StringMember(object, "sha").value_or("");
  info.pipeline_tag = StringMember(object, "pipeline_tag");
  info.library_name = StringMember(object, "library_name");
  info.is_private = BoolField(object, "private");
  info.gated = IsGated(object);
  if (const auto siblings = object.find("siblings");
      siblings != object.end() && siblings->is_array()) {
    for (const json& sibling : *siblings) {
      if (std::optional<std::string> name = StringMember(sibling, "rfilename")) {
        info.siblings.push_back(*std::move(name));
      }
    }
    // Sorted once here, so that every warm call can use the listing as is.
    std::sort(info.siblings.begin(), info.siblings.end());
  }
  info.config = ObjectField(object, "config");
  info.transformers_info = ObjectField(object, "transformersInfo");
  return info;
}

absl::StatusOr<std::vector<std::string>> ParseTreePage(absl::string_view body) {
  absl::StatusOr<json> parsed = Parse(body);
  if (!parsed.ok()) return parsed.status();
  if (!parsed->is_array()) return absl::InvalidArgumentError("the tree page is not an array");
  std::vector<std::string> paths;
  for (const json& entry : *parsed) {
    if (StringMember(entry, "type") != "file") continue;
    if (std::optional<std::string> path = StringMember(entry, "path")) {
      paths.push_back(*std::move(path));
    }
  }
  return paths;
}

}  // namespace tasks::hub
