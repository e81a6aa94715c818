// CoalescedRunner: runs one function on its own thread whenever asked, never making the asker
// wait. Requests made while a run is in progress make one more run after it, however many
// arrive: a registry reload reads what the files hold when it starts, so one run covers them all.
// tasks-server's SIGHUP reloads run on one, so the thread taking signals never waits on a file.
//
// Thread-safe. The destructor waits for the run in progress, drops a pending one, and joins.
#ifndef TASKS_SERVER_COMMON_COALESCED_RUNNER_H_
#define TASKS_SERVER_COMMON_COALESCED_RUNNER_H_

#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/functional/any_invocable.h"
#include "absl/synchronization/mutex.h"

namespace tasks {

class CoalescedRunner {
 public:
  explicit CoalescedRunner(absl::AnyInvocable<void()> run);
  ~CoalescedRunner();

  CoalescedRunner(const CoalescedRunner&) = delete;
  CoalescedRunner& operator=(const CoalescedRunner&) = delete;

  // Asks for a run; returns at once.
  void Request();

 private:
  void Loop();

  absl::AnyInvocable<void()> run_;  // called on thread_ only
  absl::Mutex mutex_;
  bool pending_ ABSL_GUARDED_BY(mutex_) = false;
  bool stopping_ ABSL_GUARDED_BY(mutex_) = false;
  std::thread thread_;  // last: starts once the rest is initialised
};

}  // namespace tasks

#endif  // TASKS_SERVER_COMMON_COALESCED_RUNNER_H_
