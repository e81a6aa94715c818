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

// Whether `member` of `object` is the JSON boolean false.
bool IsFalse(const json& object, const char* member) {
  const auto it = object.find(member);
  return it != object.end() && it->is_boolean() && !it->get<bool>();
}

void CheckModelInfo(absl::string_view body) {
  const absl::StatusOr<tasks::hub::ModelInfo> info = tasks::hub::ParseModelInfo(body);
  const json parsed = json::parse(body.begin(), body.end(), nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded() || !parsed.is_object()) FUZZ_CHECK(!info.ok(), body);
  if (!info.ok()) return;
  // Only a commit id becomes a commit in answers, URLs and cache keys.
  FUZZ_CHECK(tasks::hub::IsCommitSha(info->sha), body);
  FUZZ_CHECK(std::is_sorted(info->siblings.begin(), info->siblings.end()), body);
  FUZZ_CHECK(info->config.is_null() || info->config.is_object(), body);
  FUZZ_CHECK(info->transformers_info.is_null() || info->transformers_info.is_object(), body);
  // Only a body proving the repo open may make its answers shared.
  FUZZ_CHECK(
      tasks::hub::IsPublic(*info) == (IsFalse(parsed, "private") && IsFalse(parsed, "gated")),
      body);
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
