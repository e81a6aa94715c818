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

  // What the pool is doing now, for the metrics.
  struct Load {
    size_t queued = 0;  // waiting for a thread
    int busy = 0;       // threads running work
    int threads = 0;
  };
  Load CurrentLoad() const;

 private:
  void Run();

  const size_t max_queued_;
  mutable absl::Mutex mutex_;
  std::deque<absl::AnyInvocable<void()>> queue_ ABSL_GUARDED_BY(mutex_);
  int busy_ ABSL_GUARDED_BY(mutex_) = 0;
  bool stopping_ ABSL_GUARDED_BY(mutex_) = false;
  std::vector<std::thread> threads_;
};

}  // namespace tasks

#endif  // TASKS_SERVER_COMMON_WORKER_POOL_H_
