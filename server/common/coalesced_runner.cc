#include "server/common/coalesced_runner.h"

#include <utility>

namespace tasks {

CoalescedRunner::CoalescedRunner(absl::AnyInvocable<void()> run)
    : run_(std::move(run)), thread_([this] { Loop(); }) {}

CoalescedRunner::~CoalescedRunner() {
  {
    absl::MutexLock lock(&mutex_);
    stopping_ = true;
  }
  thread_.join();
}

void CoalescedRunner::Request() {
  absl::MutexLock lock(&mutex_);
  pending_ = true;
}

void CoalescedRunner::Loop() {
  while (true) {
    {
      absl::MutexLock lock(&mutex_);
      auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_) { return pending_ || stopping_; };
      mutex_.Await(absl::Condition(&ready));
      if (stopping_) return;
      pending_ = false;
    }
    run_();
  }
}

}  // namespace tasks
