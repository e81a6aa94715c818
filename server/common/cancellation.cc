#include "server/common/cancellation.h"

namespace tasks {
namespace {

thread_local const Cancellation* current_cancellation = nullptr;

}  // namespace

CancellationScope::CancellationScope(const Cancellation* cancellation)
    : previous_(current_cancellation) {
  current_cancellation = cancellation;
}

CancellationScope::~CancellationScope() { current_cancellation = previous_; }

const Cancellation* CancellationScope::Current() { return current_cancellation; }

bool CancellationScope::Cancelled() {
  return current_cancellation != nullptr && current_cancellation->cancelled();
}

}  // namespace tasks
