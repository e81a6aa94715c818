// Cancellation and WaitLimits: how long a piece of work may wait, passed down to whatever may
// block on its behalf (the Hub cache, the HTTP client), so that a function's signature says
// whether it may wait and for how long.
//
// Work shared by several callers (one Hub request many calls wait for) gets limits of its own
// whose Cancellation says when none of them wants the answer any more, so that it stops instead
// of running to its deadline for nobody.
#ifndef TASKS_SERVER_COMMON_CANCELLATION_H_
#define TASKS_SERVER_COMMON_CANCELLATION_H_

#include <atomic>

#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace tasks {

// Whether the caller some work is done for still wants its answer. Thread-safe: cancelled() may
// be asked from any thread, often; it must be cheap.
class Cancellation {
 public:
  virtual ~Cancellation() = default;
  virtual bool cancelled() const = 0;
};

// A Cancellation set once by whoever learns that the caller has gone (a gRPC reactor's OnCancel).
class CancellationFlag final : public Cancellation {
 public:
  void Cancel() { cancelled_.store(true, std::memory_order_release); }
  bool cancelled() const override { return cancelled_.load(std::memory_order_acquire); }

 private:
  std::atomic<bool> cancelled_{false};
};

// Until when work may wait, and what may call it off earlier. A plain value, cheap to copy; the
// Cancellation (not owned) must outlive the work. Converts from a bare deadline, for callers that
// cannot be cancelled.
struct WaitLimits {
  WaitLimits(absl::Time deadline, const Cancellation* cancellation = nullptr)  // NOLINT: implicit
      : deadline(deadline), cancellation(cancellation) {}

  bool cancelled() const { return cancellation != nullptr && cancellation->cancelled(); }
  // Past the deadline, or cancelled: nobody waits for the answer any more.
  bool over() const { return absl::Now() >= deadline || cancelled(); }

  absl::Time deadline;
  const Cancellation* cancellation;  // null: nothing calls the work off before its deadline
};

}  // namespace tasks

#endif  // TASKS_SERVER_COMMON_CANCELLATION_H_
