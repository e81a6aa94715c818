#include "server/common/worker_pool.h"

#include <utility>

namespace tasks {

WorkerPool::WorkerPool(int threads, size_t max_queued) : max_queued_(max_queued) {
  threads_.reserve(threads);
  for (int i = 0; i < threads; ++i) threads_.emplace_back([this] { Run(); });
}

WorkerPool::~WorkerPool() {
  {
    absl::MutexLock lock(&mutex_);
    stopping_ = true;
  }
  for (std::thread& thread : threads_) thread.join();
}

bool WorkerPool::Submit(absl::AnyInvocable<void()> work) {
  absl::MutexLock lock(&mutex_);
  if (stopping_ || queue_.size() >= max_queued_) return false;
  queue_.push_back(std::move(work));
  return true;
}

WorkerPool::Load WorkerPool::CurrentLoad() const {
  absl::MutexLock lock(&mutex_);
  return Load{queue_.size(), busy_, static_cast<int>(threads_.size())};
}

void WorkerPool::Run() {
  for (bool ran = false;; ran = true) {
    absl::AnyInvocable<void()> work;
    {
      absl::MutexLock lock(&mutex_);
      if (ran) --busy_;
      auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_) {
        return stopping_ || !queue_.empty();
      };
      mutex_.Await(absl::Condition(&ready));
      if (queue_.empty()) return;  // stopping, and nothing left to run
      work = std::move(queue_.front());
      queue_.pop_front();
      ++busy_;
    }
    work();
    work = nullptr;  // what it holds is released before the thread counts as idle
  }
}

}  // namespace tasks
