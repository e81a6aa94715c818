// The Hub's model info and tree listing bodies: whatever the Hub (or anything between it and us)
// sends, parsing fails cleanly or yields a model info the rules can trust.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>

#include "fuzz/check.h"
#include "nlohmann/json.hpp"
#include "server/hub/hub_json.h"

namespace {

using nlohmann::json;

// Whether `gated` reads as an open repo: absent, false, "" or "false", or of another type.
bool LooksOpen(const json& object) {
  const auto gated = object.find("gated");
  if (gated == object.end() || gated->is_boolean()) {
    return gated == object.end() || !gated->get<bool>();
  }
  return !gated->is_string() || gated->get<std::string>().empty() ||
         gated->get<std::string>() == "false";
}

void CheckModelInfo(absl::string_view body) {
  const absl::StatusOr<tasks::hub::ModelInfo> info = tasks::hub::ParseModelInfo(body);
  const json parsed = json::parse(body.begin(), body.end(), nullptr, /*allow_exceptions=*/false);
  FUZZ_CHECK(info.ok() == (!parsed.is_discarded() && parsed.is_object()), body);
  if (!info.ok()) return;
  FUZZ_CHECK(std::is_sorted(info->siblings.begin(), info->siblings.end()), body);
  FUZZ_CHECK(info->config.is_null() || info->config.is_object(), body);
  FUZZ_CHECK(info->transformers_info.is_null() || info->transformers_info.is_object(), body);
  // A gate the parser does not understand must never make a repo's answers shared.
  FUZZ_CHECK(info->gated || LooksOpen(parsed), body);
  const auto is_private = parsed.find("private");
  FUZZ_CHECK(info->is_private == (is_private != parsed.end() && *is_private == true), body);
}

void CheckTreePage(absl::string_view body) {
  const absl::StatusOr<std::vector<std::string>> paths = tasks::hub::ParseTreePage(body);
  const json parsed = json::parse(body.begin(), body.end(), nullptr, /*allow_exceptions=*/false);
  FUZZ_CHECK(paths.ok() == (!parsed.is_discarded() && parsed.is_array()), body);
  if (paths.ok()) FUZZ_CHECK(paths->size() <= parsed.size(), body);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view body(reinterpret_cast<const char*>(data), size);
  CheckModelInfo(body);
  CheckTreePage(body);
  return 0;
}
