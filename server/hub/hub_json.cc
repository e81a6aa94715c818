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

json ObjectField(const json& object, const char* key) {
  const auto it = object.find(key);
  return it != object.end() && it->is_object() ? *it : json(nullptr);
}

absl::Status Malformed(absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat("the model info ", what));
}

// What the answer proves about who may see the repo. "private" is a boolean and "gated" is
// false, "auto" or "manual" (any other string still counts as a gate); either may be missing
// (restricted then), but a value of another type means the body is not the Hub's.
absl::StatusOr<Visibility> ReadVisibility(const json& object) {
  const auto is_private = object.find("private");
  if (is_private != object.end() && !is_private->is_boolean()) {
    return Malformed("has a \"private\" that is not a boolean");
  }
  const auto gated = object.find("gated");
  if (gated != object.end() && !gated->is_boolean() && !gated->is_string()) {
    return Malformed("has a \"gated\" that is neither a boolean nor a string");
  }
  const auto is_false = [&object](json::const_iterator it) {
    return it != object.end() && it->is_boolean() && !it->get<bool>();
  };
  const bool proven_public = is_false(is_private) && is_false(gated);
  return proven_public ? Visibility::kPublic : Visibility::kRestricted;
}

// "siblings", sorted; empty when the body has none (some mirrors omit them). An entry without a
// string "rfilename" would make a file that exists look missing: the body is refused instead.
absl::StatusOr<std::vector<std::string>> ReadSiblings(const json& object) {
  std::vector<std::string> names;
  const auto siblings = object.find("siblings");
  if (siblings == object.end()) return names;
  if (!siblings->is_array()) return Malformed("has \"siblings\" that are not a list");
  for (const json& sibling : *siblings) {
    std::optional<std::string> name = StringMember(sibling, "rfilename");
    if (!name) return Malformed("has a sibling without a string \"rfilename\"");
    names.push_back(*std::move(name));
  }
  // Sorted once here, so that every warm call can use the listing as is.
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace

absl::StatusOr<ModelInfo> ParseModelInfo(absl::string_view body) {
  absl::StatusOr<json> parsed = Parse(body);
  if (!parsed.ok()) return parsed.status();
  if (!parsed->is_object()) return Malformed("is not an object");
  const json& object = *parsed;

  ModelInfo info;
  info.sha = StringMember(object, "sha").value_or("");
  // An error body answered with 200 ({"error": ...}) has none: it is not a model info.
  if (!IsCommitSha(info.sha)) return Malformed("has no \"sha\" of 40 lowercase hex digits");
  absl::StatusOr<Visibility> visibility = ReadVisibility(object);
  if (!visibility.ok()) return visibility.status();
  info.visibility = *visibility;
  absl::StatusOr<std::vector<std::string>> siblings = ReadSiblings(object);
  if (!siblings.ok()) return siblings.status();
  info.siblings = *std::move(siblings);
  info.id = StringMember(object, "id").value_or(StringMember(object, "modelId").value_or(""));
  info.pipeline_tag = StringMember(object, "pipeline_tag");
  info.library_name = StringMember(object, "library_name");
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
