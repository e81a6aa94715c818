// Singleflight: concurrent calls for one key share one run of their work. The first caller (the
// owner) runs it; the others wait for its result, each until its own limits. The work is told to
// stop (its limits' Cancellation) once every caller has gone, cancelled or past its deadline, so
// that nobody's abandoned request runs on.
//
// Thread-safe. Do() blocks: call it on threads made for waiting.
#ifndef TASKS_SERVER_HUB_SINGLEFLIGHT_H_
#define TASKS_SERVER_HUB_SINGLEFLIGHT_H_

#include <algorithm>
#include <cstdint>
#include <list>
#include <memory>
#include <string>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "server/common/cancellation.h"

namespace tasks::hub {

template <typename T>
class Singleflight {
 public:
  struct Outcome {
    absl::StatusOr<T> result;
    bool waited;  // the result of another caller's run
  };

  // The work's limits are the owner's deadline and a Cancellation for all of its callers.
  using Work = absl::FunctionRef<absl::StatusOr<T>(const WaitLimits& limits)>;

  Outcome Do(const std::string& key, const WaitLimits& caller, Work work)
      ABSL_LOCKS_EXCLUDED(mutex_);

  // Calls that found a run under way and waited for it (counted as they join).
  int64_t joined() const ABSL_LOCKS_EXCLUDED(mutex_) {
    absl::MutexLock lock(&mutex_);
    return joined_;
  }

 private:
  // One run of the work and the callers waiting for it, its owner among them.
  struct Flight final : Cancellation {
    struct Waiter {
      const Cancellation* cancellation;
      absl::Time deadline;
    };
    using Waiters = std::list<Waiter>;

    typename Waiters::iterator Join(const WaitLimits& limits) {
      absl::MutexLock lock(&waiters_mutex);
      return waiters.insert(waiters.end(), {limits.cancellation, limits.deadline});
    }
    void Leave(typename Waiters::iterator waiter) {
      absl::MutexLock lock(&waiters_mutex);
      waiters.erase(waiter);
    }
    bool cancelled() const override {
      const absl::Time now = absl::Now();
      absl::MutexLock lock(&waiters_mutex);
      return std::all_of(waiters.begin(), waiters.end(), [now](const Waiter& waiter) {
        return now >= waiter.deadline ||
               (waiter.cancellation != nullptr && waiter.cancellation->cancelled());
      });
    }

    // Guarded by Singleflight::mutex_ (set once, by the owner).
    bool done = false;
    absl::StatusOr<T> result = absl::UnknownError("in flight");

    // Apart from Singleflight::mutex_: the work asks cancelled() often.
    mutable absl::Mutex waiters_mutex;
    Waiters waiters ABSL_GUARDED_BY(waiters_mutex);
  };

  // Until the flight is done, the caller's deadline or its cancellation.
  absl::StatusOr<T> Await(const Flight& flight, const WaitLimits& caller)
      ABSL_LOCKS_EXCLUDED(mutex_);

  mutable absl::Mutex mutex_;
  absl::flat_hash_map<std::string, std::shared_ptr<Flight>> flights_ ABSL_GUARDED_BY(mutex_);
  int64_t joined_ ABSL_GUARDED_BY(mutex_) = 0;
};

template <typename T>
typename Singleflight<T>::Outcome Singleflight<T>::Do(const std::string& key,
                                                      const WaitLimits& caller, Work work) {
  std::shared_ptr<Flight> flight;
  bool owner;
  typename Flight::Waiters::iterator waiter;
  {
    absl::MutexLock lock(&mutex_);
    auto [it, inserted] = flights_.try_emplace(key);
    if (inserted) it->second = std::make_shared<Flight>();
    owner = inserted;
    if (!owner) ++joined_;
    flight = it->second;
    waiter = flight->Join(caller);  // before the work starts: it is wanted
  }
  if (!owner) {
    absl::StatusOr<T> result = Await(*flight, caller);
    flight->Leave(waiter);
    return {std::move(result), /*waited=*/true};
  }
  absl::StatusOr<T> result = work(WaitLimits(caller.deadline, flight.get()));
  {
    absl::MutexLock lock(&mutex_);
    flight->result = result;
    flight->done = true;
    flights_.erase(key);
  }
  flight->Leave(waiter);
  return {std::move(result), /*waited=*/false};
}

template <typename T>
absl::StatusOr<T> Singleflight<T>::Await(const Flight& flight, const WaitLimits& caller) {
  // A caller that may cancel wakes now and then to see whether it has: a Cancellation does not
  // signal, and an abandoned call would otherwise hold its thread until the work ends.
  constexpr absl::Duration kCancellationPoll = absl::Milliseconds(100);
  absl::MutexLock lock(&mutex_);
  auto done = [&flight]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_) { return flight.done; };
  for (;;) {
    const absl::Time wake = caller.cancellation == nullptr
                                ? caller.deadline
                                : std::min(caller.deadline, absl::Now() + kCancellationPoll);
    if (mutex_.AwaitWithDeadline(absl::Condition(&done), wake)) return flight.result;
    if (absl::Now() >= caller.deadline) {
      return absl::DeadlineExceededError(
          "deadline exceeded while waiting for another caller's Hub request");
    }
    if (caller.cancelled()) {
      return absl::CancelledError("the call was cancelled while waiting for a Hub request");
    }
  }
}

}  // namespace tasks::hub

#endif  // TASKS_SERVER_HUB_SINGLEFLIGHT_H_
