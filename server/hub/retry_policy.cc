#include "server/hub/retry_policy.h"

#include <curl/curl.h>

#include <algorithm>
#include <cstdint>
#include <string>

#include "absl/random/distributions.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace tasks::hub {
namespace {

std::optional<absl::Duration> ParseSeconds(absl::string_view text) {
  int64_t seconds = 0;
  if (!absl::SimpleAtoi(text, &seconds) || seconds < 0) return std::nullopt;
  return absl::Seconds(seconds);
}

std::optional<absl::Duration> ParseRetryAfter(absl::string_view value, absl::Time now) {
  value = absl::StripAsciiWhitespace(value);
  if (value.empty()) return std::nullopt;
  if (absl::ascii_isdigit(static_cast<unsigned char>(value.front()))) return ParseSeconds(value);
  const time_t date = curl_getdate(std::string(value).c_str(), nullptr);
  if (date == -1) return std::nullopt;
  return std::max(absl::FromTimeT(date) - now, absl::ZeroDuration());
}

std::optional<absl::Duration> ParseRateLimitReset(absl::string_view value) {
  std::optional<absl::Duration> first_reset;
  for (absl::string_view policy : absl::StrSplit(value, ',')) {
    std::optional<absl::Duration> reset;
    bool exhausted = false;
    for (absl::string_view param : absl::StrSplit(policy, ';')) {
      param = absl::StripAsciiWhitespace(param);
      if (absl::ConsumePrefix(&param, "t=")) reset = ParseSeconds(param);
      if (param == "r=0") exhausted = true;
    }
    if (reset && exhausted) return reset;
    if (!first_reset) first_reset = reset;
  }
  return first_reset;
}

}  // namespace

absl::Duration BackoffDelay(const RetryPolicy& policy, int retry, absl::BitGenRef gen) {
  absl::Duration cap = policy.initial_backoff;
  for (int i = 1; i < retry && cap < policy.max_backoff; ++i) cap *= 2;
  cap = std::min(cap, policy.max_backoff);
  return absl::Uniform(gen, 0.0, 1.0) * cap;
}

std::optional<absl::Duration> RequestedDelay(absl::string_view retry_after,
                                             absl::string_view rate_limit, absl::Time now) {
  if (std::optional<absl::Duration> delay = ParseRetryAfter(retry_after, now)) return delay;
  return ParseRateLimitReset(rate_limit);
}

}  // namespace tasks::hub
