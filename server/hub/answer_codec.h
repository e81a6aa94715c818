// The Hub cache's answers as bytes, for the fleet cache (shared_cache.h): model info, a parsed
// JSON file, a commit's listing, or a not-found error, with the time it was fetched from the Hub
// (freshness counts from there in every process). Compact (protobuf, fleet_cache.proto) and led
// by a format-version byte: a value of another version, or one that does not parse, decodes to
// nothing, a miss. Authentication is not done here (the SharedCache does it).
#ifndef TASKS_SERVER_HUB_ANSWER_CODEC_H_
#define TASKS_SERVER_HUB_ANSWER_CODEC_H_

#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "nlohmann/json.hpp"
#include "server/hub/hub_client.h"

namespace tasks::hub {

// One answer of the Hub cache: model info, a parsed JSON file, or a commit's sorted listing.
using HubAnswer =
    std::variant<std::shared_ptr<const ModelInfo>, std::shared_ptr<const nlohmann::json>,
                 std::shared_ptr<const std::vector<std::string>>>;

// The version byte every encoded answer starts with.
inline constexpr char kAnswerFormatVersion = 1;

struct DecodedAnswer {
  absl::StatusOr<HubAnswer> answer;
  absl::Time fetched;
};

// `answer` (a value, or an error to keep) fetched at `fetched`.
std::string EncodeAnswer(const absl::StatusOr<HubAnswer>& answer, absl::Time fetched);

// The answer `bytes` encode if it is one `call` gives (model info for kModelInfo, and so on) and
// of this format version; nullopt otherwise.
std::optional<DecodedAnswer> DecodeAnswer(absl::string_view bytes, HubCall call);

}  // namespace tasks::hub

#endif  // TASKS_SERVER_HUB_ANSWER_CODEC_H_
