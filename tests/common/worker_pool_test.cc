// WorkerPool: runs work on its own threads, refuses work past its queue bound, and runs what is
// queued before its destructor returns.
#include "server/common/worker_pool.h"

#include <atomic>
#include <memory>
#include <set>
#include <thread>

#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"

namespace tasks {
namespace {

TEST(WorkerPoolTest, RunsWorkOnItsThreadsAtOnce) {
  absl::Mutex mutex;
  std::set<std::thread::id> threads;                 // guarded by mutex
  int started = 0;                                   // guarded by mutex
  WorkerPool pool(/*threads=*/2, /*max_queued=*/8);  // joined before the state above goes
  // Each item waits until both have started: only two threads running at once can finish them.
  auto item = [&] {
    absl::MutexLock lock(&mutex);
    threads.insert(std::this_thread::get_id());
    ++started;
    auto both = [&started] { return started == 2; };
    EXPECT_TRUE(mutex.AwaitWithTimeout(absl::Condition(&both), absl::Seconds(10)));
  };
  ASSERT_TRUE(pool.Submit(item));
  ASSERT_TRUE(pool.Submit(item));
  absl::MutexLock lock(&mutex);
  auto both_started = [&started] { return started == 2; };
  ASSERT_TRUE(mutex.AwaitWithTimeout(absl::Condition(&both_started), absl::Seconds(10)));
  EXPECT_EQ(threads.size(), 2u);
  EXPECT_FALSE(threads.contains(std::this_thread::get_id()));
}

TEST(WorkerPoolTest, RefusesWorkBeyondMaxQueued) {
  absl::Notification running, release;
  std::atomic<int> ran{0};
  {
    WorkerPool pool(/*threads=*/1, /*max_queued=*/2);
    // The one thread is busy, so that what follows stays queued.
    ASSERT_TRUE(pool.Submit([&] {
      running.Notify();
      release.WaitForNotification();
    }));
    running.WaitForNotification();  // taken off the queue: the queue is empty again
    EXPECT_TRUE(pool.Submit([&] { ++ran; }));
    EXPECT_TRUE(pool.Submit([&] { ++ran; }));
    EXPECT_FALSE(pool.Submit([&] { ran += 100; }));  // dropped, never run
    release.Notify();
  }
  EXPECT_EQ(ran.load(), 2);
}

TEST(WorkerPoolTest, ItsLoadCountsQueuedWorkAndBusyThreads) {
  absl::Notification running, release;
  absl::Notification done;
  WorkerPool pool(/*threads=*/1, /*max_queued=*/4);
  EXPECT_EQ(pool.CurrentLoad().threads, 1);
  ASSERT_TRUE(pool.Submit([&] {
    running.Notify();
    release.WaitForNotification();
  }));
  running.WaitForNotification();
  ASSERT_TRUE(pool.Submit([&] { done.Notify(); }));
  WorkerPool::Load load = pool.CurrentLoad();
  EXPECT_EQ(load.busy, 1);
  EXPECT_EQ(load.queued, 1u);
  release.Notify();
  done.WaitForNotification();
  // The thread counts itself idle when it next takes the lock: wait for that, bounded.
  for (int i = 0; i < 1000 && pool.CurrentLoad().busy != 0; ++i) absl::SleepFor(absl::Milliseconds(1));
  load = pool.CurrentLoad();
  EXPECT_EQ(load.busy, 0);
  EXPECT_EQ(load.queued, 0u);
}

TEST(WorkerPoolTest, TheDestructorRunsWhatIsQueuedBeforeJoining) {
  constexpr int kQueued = 5;
  absl::Notification running, release;
  std::atomic<int> ran{0};
  auto pool = std::make_unique<WorkerPool>(/*threads=*/1, /*max_queued=*/1'000'000);
  WorkerPool* const raw = pool.get();
  ASSERT_TRUE(raw->Submit([&] {
    running.Notify();
    release.WaitForNotification();
  }));
  running.WaitForNotification();
  for (int i = 0; i < kQueued; ++i) ASSERT_TRUE(raw->Submit([&] { ++ran; }));

  // Destroyed on another thread while the blocker still holds the only worker, so that the
  // destructor certainly begins with items queued. It refuses new work from its start: the
  // blocker is released once a Submit says so (the pool lives until its threads are joined, and
  // they cannot be before the release).
  std::thread destroyer([&pool] { pool.reset(); });
  int extra = 0;  // no-ops accepted before the destructor began; they run too
  for (const absl::Time end = absl::Now() + absl::Seconds(10);
       absl::Now() < end && raw->Submit([&ran] { ++ran; }); ++extra) {
    std::this_thread::yield();
  }
  release.Notify();
  destroyer.join();
  EXPECT_EQ(ran.load(), kQueued + extra);
}

}  // namespace
}  // namespace tasks
