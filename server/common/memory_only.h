// MemoryOnlyScope: lets a thread that must not block (a gRPC callback thread) try to answer a
// call from memory before handing it to a thread made for waiting.
//
// While a scope is alive on a thread, code that would wait (a Hub request, waiting for another
// caller's request, reading files) asks RefuseToBlock() first; when it says true, that code
// fails at once instead, and the scope records the refusal. The owner of the scope then throws
// the answer away and runs the call again where it may block. Warm answers thus skip a thread
// hop; cold ones pay one wasted in-memory attempt.
#ifndef TASKS_SERVER_COMMON_MEMORY_ONLY_H_
#define TASKS_SERVER_COMMON_MEMORY_ONLY_H_

#include "absl/status/status.h"

namespace tasks {

class MemoryOnlyScope {
 public:
  MemoryOnlyScope();
  ~MemoryOnlyScope();
  MemoryOnlyScope(const MemoryOnlyScope&) = delete;
  MemoryOnlyScope& operator=(const MemoryOnlyScope&) = delete;

  // Whether anything refused to block while this scope was alive.
  bool refused() const;

  // For code about to block: true, and the refusal recorded, when a scope forbids it on this
  // thread. Callers then return WouldBlockError().
  static bool RefuseToBlock();

  // True when a scope on this thread has refused to block: what was computed since may lack what
  // the refusal withheld (some steps read a file only if they can), so it must not be kept.
  static bool AnswerMayBeIncomplete();
};

// What code that refused to block returns (its value is never shown to a caller).
absl::Status WouldBlockError();

}  // namespace tasks

#endif  // TASKS_SERVER_COMMON_MEMORY_ONLY_H_
