// WorkerPool: a fixed set of threads for work that waits (Hub requests, file reads), so gRPC's
// callback threads never block. The queue is bounded: when it is full, Submit refuses at once
// and the caller answers RESOURCE_EXHAUSTED instead of queueing without limit.
//
// Thread-safe. The destructor runs what is queued, then joins the threads.
#ifndef TASKS_SERVER_COMMON_WORKER_POOL_H_
#define TASKS_SERVER_COMMON_WORKER_POOL_H_

#include <deque>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/functional/any_invocable.h"
#include "absl/synchronization/mutex.h"

namespace tasks {

class WorkerPool {
 public:
  WorkerPool(int threads, size_t max_queued);
  ~WorkerPool();

  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // Queues `work`; false (and `work` dropped) when `max_queued` items already wait.
  bool Submit(absl::AnyInvocable<void()> work);

 private:
  void Run();

  const size_t max_queued_;
  absl::Mutex mutex_;
  std::deque<absl::AnyInvocable<void()>> queue_ ABSL_GUARDED_BY(mutex_);
  bool stopping_ ABSL_GUARDED_BY(mutex_) = false;
  std::vector<std::thread> threads_;
};

}  // namespace tasks

#endif  // TASKS_SERVER_COMMON_WORKER_POOL_H_
