// When CurlHubClient retries (retry_policy.h): jittered, capped backoff and the delay a 429 or
// 503 asks for.
#include "server/hub/retry_policy.h"

#include <optional>

#include "absl/random/random.h"
#include "gtest/gtest.h"

namespace tasks::hub {
namespace {

TEST(RetryPolicy, BackoffIsJitteredAndCapped) {
  const RetryPolicy policy{4, absl::Milliseconds(100), absl::Milliseconds(300)};
  absl::BitGen gen;
  for (int i = 0; i < 200; ++i) {
    const absl::Duration first = BackoffDelay(policy, 1, gen);
    EXPECT_GE(first, absl::ZeroDuration());
    EXPECT_LT(first, absl::Milliseconds(100));
    EXPECT_LT(BackoffDelay(policy, 2, gen), absl::Milliseconds(200));
    EXPECT_LT(BackoffDelay(policy, 30, gen), absl::Milliseconds(300));
  }
}

TEST(RetryPolicy, ReadsTheRequestedDelay) {
  const absl::Time now = absl::FromUnixSeconds(1700000000);  // Tue, 14 Nov 2023 22:13:20 GMT
  EXPECT_EQ(RequestedDelay("12", "", now), absl::Seconds(12));
  EXPECT_EQ(RequestedDelay("Tue, 14 Nov 2023 22:13:50 GMT", "", now), absl::Seconds(30));
  EXPECT_EQ(RequestedDelay("", "\"api\";r=0;t=45", now), absl::Seconds(45));
  EXPECT_EQ(RequestedDelay("", "\"a\";r=5;t=9, \"b\";r=0;t=60", now), absl::Seconds(60));
  EXPECT_EQ(RequestedDelay("soon", "", now), std::nullopt);
  EXPECT_EQ(RequestedDelay("", "", now), std::nullopt);
}

}  // namespace
}  // namespace tasks::hub
