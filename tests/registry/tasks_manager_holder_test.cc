// TasksManagerHolder: a reload swaps the registry while calls read it; under ThreadSanitizer (the
// CI tsan stage runs this binary) the swap must show no race.
#include "server/registry/tasks_manager_holder.h"

#include <atomic>
#include <memory>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "tests/test_support.h"

namespace tasks::registry {
namespace {

TEST(TasksManagerHolder, ReadersSeeAWholeRegistryWhileItIsSwapped) {
  const std::shared_ptr<const TasksManager> first = testing::SharedEmbeddedTasksManager();
  // Another TasksManager over the same snapshot (an aliasing pointer keeps `first` alive).
  const auto second = std::make_shared<const TasksManager>(
      std::shared_ptr<const RegistrySnapshot>(first, &first->snapshot()));
  TasksManagerHolder holder(first);
  std::atomic<bool> done{false};
  std::atomic<int> reads{0};
  std::vector<std::thread> readers;
  for (int t = 0; t < 4; ++t) {
    readers.emplace_back([&] {
      while (!done) {
        const std::shared_ptr<const TasksManager> current = holder.Get();
        EXPECT_TRUE(current == first || current == second);
        EXPECT_FALSE(current->snapshot().all_tasks.empty());
        ++reads;
      }
    });
  }
  for (int swap = 0; swap < 2000; ++swap) holder.Set(swap % 2 == 0 ? second : first);
  while (reads < 1000) std::this_thread::yield();
  done = true;
  for (std::thread& reader : readers) reader.join();
  EXPECT_EQ(holder.Get(), first);  // the last of an even number of swaps
}

}  // namespace
}  // namespace tasks::registry
