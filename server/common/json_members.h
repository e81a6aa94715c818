// Reading members of JSON objects whose shape is not guaranteed: the Hub's answers and a model's
// own files (config.json, model_index.json, modules.json), where a field of an unexpected type
// reads as absent rather than throwing.
#ifndef TASKS_SERVER_COMMON_JSON_MEMBERS_H_
#define TASKS_SERVER_COMMON_JSON_MEMBERS_H_

#include <optional>
#include <string>

#include "nlohmann/json.hpp"

namespace tasks {

// The string member `key` of `object`, or nothing when `object` is not an object or the member
// is missing or not a string.
inline std::optional<std::string> StringMember(const nlohmann::json& object, const char* key) {
  if (!object.is_object()) return std::nullopt;
  const auto member = object.find(key);
  if (member == object.end() || !member->is_string()) return std::nullopt;
  return member->get<std::string>();
}

}  // namespace tasks

#endif  // TASKS_SERVER_COMMON_JSON_MEMBERS_H_
