// Cancellation: whether the caller some work is done for still wants its answer, so that work
// shared by several callers (one Hub request that many calls wait for) stops once none of them
// does, instead of running to its deadline for nobody.
//
// CancellationScope makes a Cancellation the current one of a thread while the scope lives, so
// code deep in a call (the Hub cache, the HTTP client) can ask without every layer in between
// passing it along (the same idea as MemoryOnlyScope). Scopes nest; the innermost one counts.
#ifndef TASKS_SERVER_COMMON_CANCELLATION_H_
#define TASKS_SERVER_COMMON_CANCELLATION_H_

#include <atomic>

namespace tasks {

// Thread-safe: cancelled() may be asked from any thread, often; it must be cheap.
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

class CancellationScope {
 public:
  // `cancellation` (not owned) must outlive the scope.
  explicit CancellationScope(const Cancellation* cancellation);
  ~CancellationScope();
  CancellationScope(const CancellationScope&) = delete;
  CancellationScope& operator=(const CancellationScope&) = delete;

  // The innermost scope's Cancellation on this thread; null outside any scope.
  static const Cancellation* Current();
  // Whether the current Cancellation says the work is no longer wanted (false outside a scope).
  static bool Cancelled();

 private:
  const Cancellation* const previous_;
};

}  // namespace tasks

#endif  // TASKS_SERVER_COMMON_CANCELLATION_H_
