// The rate limit on protobuf's and gRPC's own log lines.
#include "server/service/library_logs.h"

#include <cstdint>

#include "gtest/gtest.h"

namespace tasks::testing {
namespace {

using service::LineRateLimiter;

TEST(LineRateLimiter, ABurstThenTheRateAndTheDroppedCount) {
  LineRateLimiter limiter(/*burst=*/3, /*per_second=*/1);
  const absl::Time start = absl::FromUnixSeconds(1000);
  int64_t dropped = -1;
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(limiter.Admit(start, &dropped));
    EXPECT_EQ(dropped, 0);
  }
  for (int i = 0; i < 5; ++i) EXPECT_FALSE(limiter.Admit(start, &dropped));
  EXPECT_FALSE(limiter.Admit(start + absl::Milliseconds(500), &dropped));
  ASSERT_TRUE(limiter.Admit(start + absl::Seconds(1), &dropped));
  EXPECT_EQ(dropped, 6);  // reported once, with the next line admitted
  EXPECT_FALSE(limiter.Admit(start + absl::Seconds(1), &dropped));
  ASSERT_TRUE(limiter.Admit(start + absl::Seconds(60), &dropped));
  EXPECT_EQ(dropped, 1);
  // A long pause refills the bucket to its burst, no more.
  for (int i = 0; i < 2; ++i) EXPECT_TRUE(limiter.Admit(start + absl::Seconds(60), &dropped));
  EXPECT_FALSE(limiter.Admit(start + absl::Seconds(60), &dropped));
}

}  // namespace
}  // namespace tasks::testing
