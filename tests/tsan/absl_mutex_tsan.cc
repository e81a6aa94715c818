// Shows ThreadSanitizer where each absl::Mutex is taken and released, for test binaries built
// with -fsanitize=thread (tests/CMakeLists.txt adds this file to them).
//
// Debian's libabsl_synchronization is not built with ThreadSanitizer, and absl::Mutex locks with
// its own atomics and futexes, which ThreadSanitizer cannot follow: every access an
// ABSL_GUARDED_BY mutex protects would be reported as a race. These definitions interpose on the
// library's (a symbol defined in the executable wins over the shared library's), call it through
// dlsym(RTLD_NEXT), and add the happens-before edges: release before unlocking, acquire after
// locking; waits (Await, CondVar::Wait) do both, since they unlock and lock again inside.
// Condition evaluations acquire and release too. Readers are treated as writers: that orders more
// than needed, never less.
#include <dlfcn.h>
#include <sanitizer/tsan_interface.h>

#include <cstdio>
#include <cstdlib>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace {

// The library's definition of `symbol` (Itanium-mangled; "debian3" is Debian's inline namespace).
template <typename Function>
Function Next(const char* symbol) {
  void* next = dlsym(RTLD_NEXT, symbol);
  if (next == nullptr) {
    std::fprintf(stderr, "absl_mutex_tsan: %s not found in libabsl_synchronization\n", symbol);
    std::abort();
  }
  return reinterpret_cast<Function>(next);
}

void Acquired(const void* mutex) { __tsan_acquire(const_cast<void*>(mutex)); }
void Releasing(const void* mutex) { __tsan_release(const_cast<void*>(mutex)); }

// The library evaluates a condition with the mutex held, inside its own code (in the waiting
// thread, or in the thread unlocking, which then hands the mutex over): the evaluation acquires
// before and releases after.
class AcquiringCondition {
 public:
  AcquiringCondition(const absl::Condition& condition, absl::Mutex* mutex)
      : condition_(&condition), mutex_(mutex), acquiring_(&Eval, this) {}
  const absl::Condition& get() const { return acquiring_; }

 private:
  static bool Eval(AcquiringCondition* self) {
    Acquired(self->mutex_);
    const bool result = self->condition_->Eval();
    Releasing(self->mutex_);
    return result;
  }

  const absl::Condition* const condition_;
  absl::Mutex* const mutex_;
  const absl::Condition acquiring_;
};

}  // namespace

#define TASKS_NEXT(symbol, ...) \
  static const auto next = Next<__VA_ARGS__>("_ZN4absl7debian3" symbol)

namespace absl {
ABSL_NAMESPACE_BEGIN

void Mutex::Lock() {
  TASKS_NEXT("5Mutex4LockEv", void (*)(Mutex*));
  next(this);
  Acquired(this);
}

void Mutex::ReaderLock() {
  TASKS_NEXT("5Mutex10ReaderLockEv", void (*)(Mutex*));
  next(this);
  Acquired(this);
}

bool Mutex::TryLock() {
  TASKS_NEXT("5Mutex7TryLockEv", bool (*)(Mutex*));
  if (!next(this)) return false;
  Acquired(this);
  return true;
}

bool Mutex::ReaderTryLock() {
  TASKS_NEXT("5Mutex13ReaderTryLockEv", bool (*)(Mutex*));
  if (!next(this)) return false;
  Acquired(this);
  return true;
}

void Mutex::Unlock() {
  TASKS_NEXT("5Mutex6UnlockEv", void (*)(Mutex*));
  Releasing(this);
  next(this);
}

void Mutex::ReaderUnlock() {
  TASKS_NEXT("5Mutex12ReaderUnlockEv", void (*)(Mutex*));
  Releasing(this);
  next(this);
}

void Mutex::LockWhen(const Condition& cond) {
  TASKS_NEXT("5Mutex8LockWhenERKNS0_9ConditionE", void (*)(Mutex*, const Condition&));
  next(this, AcquiringCondition(cond, this).get());
  Acquired(this);
}

bool Mutex::LockWhenWithDeadline(const Condition& cond, Time deadline) {
  TASKS_NEXT("5Mutex20LockWhenWithDeadlineERKNS0_9ConditionENS0_4TimeE",
             bool (*)(Mutex*, const Condition&, Time));
  const bool result = next(this, AcquiringCondition(cond, this).get(), deadline);
  Acquired(this);
  return result;
}

bool Mutex::LockWhenWithTimeout(const Condition& cond, Duration timeout) {
  TASKS_NEXT("5Mutex19LockWhenWithTimeoutERKNS0_9ConditionENS0_8DurationE",
             bool (*)(Mutex*, const Condition&, Duration));
  const bool result = next(this, AcquiringCondition(cond, this).get(), timeout);
  Acquired(this);
  return result;
}

void Mutex::Await(const Condition& cond) {
  TASKS_NEXT("5Mutex5AwaitERKNS0_9ConditionE", void (*)(Mutex*, const Condition&));
  Releasing(this);
  next(this, AcquiringCondition(cond, this).get());
  Acquired(this);
}

bool Mutex::AwaitWithDeadline(const Condition& cond, Time deadline) {
  TASKS_NEXT("5Mutex17AwaitWithDeadlineERKNS0_9ConditionENS0_4TimeE",
             bool (*)(Mutex*, const Condition&, Time));
  Releasing(this);
  const bool result = next(this, AcquiringCondition(cond, this).get(), deadline);
  Acquired(this);
  return result;
}

bool Mutex::AwaitWithTimeout(const Condition& cond, Duration timeout) {
  TASKS_NEXT("5Mutex16AwaitWithTimeoutERKNS0_9ConditionENS0_8DurationE",
             bool (*)(Mutex*, const Condition&, Duration));
  Releasing(this);
  const bool result = next(this, AcquiringCondition(cond, this).get(), timeout);
  Acquired(this);
  return result;
}

void CondVar::Wait(Mutex* mu) {
  TASKS_NEXT("7CondVar4WaitEPNS0_5MutexE", void (*)(CondVar*, Mutex*));
  Releasing(mu);
  next(this, mu);
  Acquired(mu);
}

bool CondVar::WaitWithDeadline(Mutex* mu, Time deadline) {
  TASKS_NEXT("7CondVar16WaitWithDeadlineEPNS0_5MutexENS0_4TimeE", bool (*)(CondVar*, Mutex*, Time));
  Releasing(mu);
  const bool result = next(this, mu, deadline);
  Acquired(mu);
  return result;
}

bool CondVar::WaitWithTimeout(Mutex* mu, Duration timeout) {
  TASKS_NEXT("7CondVar15WaitWithTimeoutEPNS0_5MutexENS0_8DurationE",
             bool (*)(CondVar*, Mutex*, Duration));
  Releasing(mu);
  const bool result = next(this, mu, timeout);
  Acquired(mu);
  return result;
}

ABSL_NAMESPACE_END
}  // namespace absl
