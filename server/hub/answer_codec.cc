#include "server/hub/answer_codec.h"

#include <utility>

#include "absl/strings/cord.h"
#include "optimum/tasks/fleet/v1/fleet_cache.pb.h"

namespace tasks::hub {
namespace {

namespace fleet = ::optimum::tasks::fleet::v1;

// null for "", else the parsed text; nullopt when it is not JSON.
std::optional<nlohmann::json> ParseJson(const std::string& text) {
  if (text.empty()) return nlohmann::json();
  nlohmann::json parsed = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded()) return std::nullopt;
  return parsed;
}

std::string DumpJson(const nlohmann::json& value) { return value.is_null() ? "" : value.dump(); }

void EncodeModelInfo(const ModelInfo& info, fleet::ModelInfo& out) {
  out.set_id(info.id);
  out.set_sha(info.sha);
  if (info.pipeline_tag) out.set_pipeline_tag(*info.pipeline_tag);
  if (info.library_name) out.set_library_name(*info.library_name);
  out.set_is_public(IsPublic(info));
  out.mutable_siblings()->Add(info.siblings.begin(), info.siblings.end());
  out.set_config_json(DumpJson(info.config));
  out.set_transformers_info_json(DumpJson(info.transformers_info));
}

std::optional<ModelInfo> DecodeModelInfo(const fleet::ModelInfo& in) {
  // The invariant every HubClient answer keeps (hub_client.h): the sha may go into URLs and keys.
  if (!IsCommitSha(in.sha())) return std::nullopt;
  ModelInfo info;
  info.id = in.id();
  info.sha = in.sha();
  if (in.has_pipeline_tag()) info.pipeline_tag = in.pipeline_tag();
  if (in.has_library_name()) info.library_name = in.library_name();
  info.visibility = in.is_public() ? Visibility::kPublic : Visibility::kRestricted;
  info.siblings.assign(in.siblings().begin(), in.siblings().end());
  std::optional<nlohmann::json> config = ParseJson(in.config_json());
  std::optional<nlohmann::json> transformers_info = ParseJson(in.transformers_info_json());
  if (!config || !transformers_info) return std::nullopt;
  info.config = *std::move(config);
  info.transformers_info = *std::move(transformers_info);
  return info;
}

void EncodeError(const absl::Status& status, fleet::Error& out) {
  out.set_code(static_cast<int32_t>(status.code()));
  out.set_message(std::string(status.message()));
  status.ForEachPayload([&out](absl::string_view type_url, const absl::Cord& payload) {
    (*out.mutable_payloads())[std::string(type_url)] = std::string(payload);
  });
}

absl::Status DecodeError(const fleet::Error& in) {
  // Only not-found answers are kept; anything else in a value is not one this code wrote.
  if (in.code() != static_cast<int32_t>(absl::StatusCode::kNotFound)) return absl::OkStatus();
  absl::Status status(absl::StatusCode::kNotFound, in.message());
  for (const auto& [type_url, payload] : in.payloads()) {
    status.SetPayload(type_url, absl::Cord(payload));
  }
  return status;
}

}  // namespace

std::string EncodeAnswer(const absl::StatusOr<HubAnswer>& answer, absl::Time fetched) {
  fleet::CachedAnswer message;
  message.set_fetched_unix_micros(absl::ToUnixMicros(fetched));
  if (!answer.ok()) {
    EncodeError(answer.status(), *message.mutable_error());
  } else if (const auto* info = std::get_if<std::shared_ptr<const ModelInfo>>(&*answer)) {
    EncodeModelInfo(**info, *message.mutable_model_info());
  } else if (const auto* json = std::get_if<std::shared_ptr<const nlohmann::json>>(&*answer)) {
    message.set_json_file((*json)->dump());
  } else {
    const auto& files = *std::get<std::shared_ptr<const std::vector<std::string>>>(*answer);
    message.mutable_listing()->mutable_files()->Add(files.begin(), files.end());
  }
  std::string bytes(1, kAnswerFormatVersion);
  message.AppendToString(&bytes);
  return bytes;
}

std::optional<DecodedAnswer> DecodeAnswer(absl::string_view bytes, HubCall call) {
  if (bytes.empty() || bytes[0] != kAnswerFormatVersion) return std::nullopt;
  bytes.remove_prefix(1);
  fleet::CachedAnswer message;
  if (!message.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) return std::nullopt;
  const absl::Time fetched = absl::FromUnixMicros(message.fetched_unix_micros());
  switch (message.answer_case()) {
    case fleet::CachedAnswer::kError: {
      absl::Status status = DecodeError(message.error());
      if (status.ok()) return std::nullopt;
      return DecodedAnswer{std::move(status), fetched};
    }
    case fleet::CachedAnswer::kModelInfo: {
      if (call != HubCall::kModelInfo) return std::nullopt;
      std::optional<ModelInfo> info = DecodeModelInfo(message.model_info());
      if (!info) return std::nullopt;
      return DecodedAnswer{HubAnswer(std::make_shared<const ModelInfo>(*std::move(info))),
                           fetched};
    }
    case fleet::CachedAnswer::kJsonFile: {
      if (call != HubCall::kResolve) return std::nullopt;
      std::optional<nlohmann::json> json = ParseJson(message.json_file());
      if (!json || json->is_null()) return std::nullopt;
      return DecodedAnswer{HubAnswer(std::make_shared<const nlohmann::json>(*std::move(json))),
                           fetched};
    }
    case fleet::CachedAnswer::kListing: {
      if (call != HubCall::kTree) return std::nullopt;
      const auto& files = message.listing().files();
      return DecodedAnswer{
          HubAnswer(std::make_shared<const std::vector<std::string>>(files.begin(), files.end())),
          fetched};
    }
    case fleet::CachedAnswer::ANSWER_NOT_SET:
      break;
  }
  return std::nullopt;
}

}  // namespace tasks::hub
