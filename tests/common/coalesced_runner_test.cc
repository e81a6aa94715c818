#include "server/common/coalesced_runner.h"

#include <atomic>

#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"

namespace tasks {
namespace {

// Waits (at most 10 s) until `runs` reaches `count`.
bool WaitForRuns(const std::atomic<int>& runs, int count) {
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (runs.load() < count && absl::Now() < deadline) absl::SleepFor(absl::Milliseconds(1));
  return runs.load() >= count;
}

TEST(CoalescedRunnerTest, RequestsDuringARunMakeOneMoreRunAndNeverWait) {
  std::atomic<int> started{0};
  std::atomic<int> finished{0};
  absl::Notification release_first;
  {
    CoalescedRunner runner([&] {
      if (started.fetch_add(1) == 0) release_first.WaitForNotification();
      finished.fetch_add(1);
    });
    runner.Request();
    ASSERT_TRUE(WaitForRuns(started, 1));
    // The first run is stuck: requests still return at once, and pile up as one.
    for (int i = 0; i < 5; ++i) runner.Request();
    EXPECT_EQ(finished.load(), 0);
    release_first.Notify();
    ASSERT_TRUE(WaitForRuns(finished, 2));
  }
  EXPECT_EQ(started.load(), 2);
}

TEST(CoalescedRunnerTest, NothingRunsUnasked) {
  std::atomic<int> runs{0};
  {
    CoalescedRunner runner([&] { runs.fetch_add(1); });
  }
  EXPECT_EQ(runs.load(), 0);
}

}  // namespace
}  // namespace tasks
