// When CurlHubClient tries a Hub request again, and how long it waits first.
#ifndef TASKS_SERVER_HUB_RETRY_POLICY_H_
#define TASKS_SERVER_HUB_RETRY_POLICY_H_

#include <optional>

#include "absl/random/bit_gen_ref.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace tasks::hub {

struct RetryPolicy {
  int max_attempts = 4;  // per request, the first one included
  absl::Duration initial_backoff = absl::Milliseconds(200);
  absl::Duration max_backoff = absl::Seconds(5);
};

// The pause before retry number `retry` (1 before the second attempt): uniform in
// [0, min(max_backoff, initial_backoff * 2^(retry - 1))). "Full jitter" spreads out the retries
// of the many workers an outage hits at the same moment.
absl::Duration BackoffDelay(const RetryPolicy& policy, int retry, absl::BitGenRef gen);

// The wait a 429 or 503 answer asks for: its `Retry-After` (delta-seconds or an HTTP-date), else
// the reset `t=<seconds>` of its `RateLimit` header (IETF draft, which the Hub sends as
// `"api";r=0;t=12`; of several policies, the exhausted one, r=0). nullopt when neither says.
std::optional<absl::Duration> RequestedDelay(absl::string_view retry_after,
                                             absl::string_view rate_limit, absl::Time now);

}  // namespace tasks::hub

#endif  // TASKS_SERVER_HUB_RETRY_POLICY_H_
