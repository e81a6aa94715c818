// Singleflight alone: one run per key, waiters that leave at their own deadline or cancellation,
// and a run told to stop only once every caller has gone.
#include "server/hub/singleflight.h"

#include <atomic>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/notification.h"
#include "gtest/gtest.h"
#include "server/common/cancellation.h"

namespace tasks::hub {
namespace {

using Flights = Singleflight<int>;

absl::Time Far() { return absl::Now() + absl::Seconds(30); }

// Waits (yielding, at most 10 s) until `condition` holds; false if it never did.
template <typename Condition>
bool Eventually(Condition condition) {
  for (const absl::Time end = absl::Now() + absl::Seconds(10); absl::Now() < end;) {
    if (condition()) return true;
    std::this_thread::yield();
  }
  return condition();
}

// A run of the work that reports when it starts, notes whether its limits ever say that nobody
// wants it any more, and runs until released (so that its owner, and the flight, stay until then).
class HeldWork {
 public:
  absl::StatusOr<int> operator()(const WaitLimits& limits) {
    runs_.fetch_add(1);
    cancellation_.store(limits.cancellation);
    started_.Notify();
    while (!released_.WaitForNotificationWithTimeout(absl::Milliseconds(1))) {
      if (limits.cancelled()) saw_cancelled_.store(true);
    }
    return 42;
  }

  void WaitStarted() { started_.WaitForNotification(); }
  void Release() { released_.Notify(); }
  int runs() const { return runs_.load(); }
  // The run's own Cancellation: valid while the run is under way.
  const Cancellation* cancellation() const { return cancellation_.load(); }
  bool saw_cancelled() const { return saw_cancelled_.load(); }

 private:
  absl::Notification started_, released_;
  std::atomic<int> runs_{0};
  std::atomic<const Cancellation*> cancellation_{nullptr};
  std::atomic<bool> saw_cancelled_{false};
};

TEST(SingleflightTest, ConcurrentCallersShareOneRun) {
  Flights flights;
  HeldWork work;
  constexpr int kWaiters = 4;
  std::vector<Flights::Outcome> outcomes(kWaiters + 1, {absl::UnknownError("unset"), false});
  std::vector<std::thread> callers;
  callers.emplace_back([&] { outcomes[0] = flights.Do("repo", Far(), std::ref(work)); });
  work.WaitStarted();
  for (int i = 1; i <= kWaiters; ++i) {
    callers.emplace_back([&, i] {
      outcomes[i] = flights.Do("repo", Far(), [](const WaitLimits&) -> absl::StatusOr<int> {
        ADD_FAILURE() << "a waiter ran the work";
        return 0;
      });
    });
  }
  ASSERT_TRUE(Eventually([&] { return flights.joined() == kWaiters; }));
  work.Release();
  for (std::thread& caller : callers) caller.join();

  EXPECT_EQ(work.runs(), 1);
  EXPECT_EQ(flights.joined(), kWaiters);
  for (int i = 0; i <= kWaiters; ++i) {
    ASSERT_TRUE(outcomes[i].result.ok()) << i << ": " << outcomes[i].result.status();
    EXPECT_EQ(*outcomes[i].result, 42);
    EXPECT_EQ(outcomes[i].waited, i != 0) << i;
  }
}

TEST(SingleflightTest, DifferentKeysRunSeparately) {
  Flights flights;
  HeldWork held;
  std::thread owner([&] { EXPECT_EQ(*flights.Do("a", Far(), std::ref(held)).result, 42); });
  held.WaitStarted();
  // While "a" is under way, "b" runs its own work at once rather than waiting for it.
  int runs = 0;
  const Flights::Outcome b = flights.Do("b", Far(), [&runs](const WaitLimits&) {
    ++runs;
    return absl::StatusOr<int>(7);
  });
  EXPECT_EQ(*b.result, 7);
  EXPECT_FALSE(b.waited);
  EXPECT_EQ(runs, 1);
  EXPECT_EQ(flights.joined(), 0);
  held.Release();
  owner.join();
  EXPECT_EQ(held.runs(), 1);

  // A key is free again once its run is over: the next call runs anew.
  const Flights::Outcome again =
      flights.Do("a", Far(), [](const WaitLimits&) { return absl::StatusOr<int>(8); });
  EXPECT_EQ(*again.result, 8);
  EXPECT_FALSE(again.waited);
}

TEST(SingleflightTest, AWaiterGivesUpAtItsOwnDeadlineAndTheOwnerGoesOn) {
  Flights flights;
  HeldWork work;
  Flights::Outcome owned{absl::UnknownError("unset"), true};
  std::thread owner([&] { owned = flights.Do("repo", Far(), std::ref(work)); });
  work.WaitStarted();

  const Flights::Outcome waited =
      flights.Do("repo", absl::Now() + absl::Milliseconds(20),
                 [](const WaitLimits&) { return absl::StatusOr<int>(0); });
  EXPECT_TRUE(waited.waited);
  EXPECT_EQ(waited.result.status().code(), absl::StatusCode::kDeadlineExceeded)
      << waited.result.status();
  // The owner still wants the answer: its run is not called off.
  ASSERT_NE(work.cancellation(), nullptr);
  EXPECT_FALSE(work.cancellation()->cancelled());

  work.Release();
  owner.join();
  ASSERT_TRUE(owned.result.ok()) << owned.result.status();
  EXPECT_EQ(*owned.result, 42);
  EXPECT_FALSE(owned.waited);
  EXPECT_FALSE(work.saw_cancelled());
  EXPECT_EQ(work.runs(), 1);
}

TEST(SingleflightTest, ACancelledWaiterReturnsCancelled) {
  Flights flights;
  HeldWork work;
  Flights::Outcome owned{absl::UnknownError("unset"), true};
  std::thread owner([&] { owned = flights.Do("repo", Far(), std::ref(work)); });
  work.WaitStarted();

  CancellationFlag gone;
  Flights::Outcome waited{absl::UnknownError("unset"), false};
  std::thread waiter([&] {
    waited = flights.Do("repo", WaitLimits(Far(), &gone),
                        [](const WaitLimits&) { return absl::StatusOr<int>(0); });
  });
  ASSERT_TRUE(Eventually([&] { return flights.joined() == 1; }));
  gone.Cancel();
  waiter.join();  // well before its deadline: it notices its cancellation
  EXPECT_TRUE(waited.waited);
  EXPECT_EQ(waited.result.status().code(), absl::StatusCode::kCancelled) << waited.result.status();
  EXPECT_FALSE(work.cancellation()->cancelled());  // the owner still waits

  work.Release();
  owner.join();
  EXPECT_EQ(*owned.result, 42);
}

TEST(SingleflightTest, TheRunIsCancelledOnlyOnceEveryCallerHasGone) {
  Flights flights;
  HeldWork work;
  CancellationFlag owner_gone, waiter_gone;
  Flights::Outcome owned{absl::UnknownError("unset"), true};
  std::thread owner(
      [&] { owned = flights.Do("repo", WaitLimits(Far(), &owner_gone), std::ref(work)); });
  work.WaitStarted();
  Flights::Outcome waited{absl::UnknownError("unset"), false};
  std::thread waiter([&] {
    waited = flights.Do("repo", WaitLimits(Far(), &waiter_gone),
                        [](const WaitLimits&) { return absl::StatusOr<int>(0); });
  });
  ASSERT_TRUE(Eventually([&] { return flights.joined() == 1; }));
  const Cancellation* run = work.cancellation();
  ASSERT_NE(run, nullptr);
  EXPECT_FALSE(run->cancelled());

  owner_gone.Cancel();
  EXPECT_FALSE(run->cancelled());  // the waiter still wants the answer

  waiter_gone.Cancel();
  EXPECT_TRUE(run->cancelled());  // nobody does: the run is told to stop
  waiter.join();
  EXPECT_EQ(waited.result.status().code(), absl::StatusCode::kCancelled);
  EXPECT_TRUE(Eventually([&] { return work.saw_cancelled(); }));  // the run sees it too
  work.Release();
  owner.join();
  EXPECT_EQ(work.runs(), 1);
}

}  // namespace
}  // namespace tasks::hub
