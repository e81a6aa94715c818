#include "server/common/memory_only.h"

namespace tasks {
namespace {

struct ScopeState {
  bool active = false;
  bool refused = false;
};

thread_local ScopeState scope_state;

}  // namespace

MemoryOnlyScope::MemoryOnlyScope() { scope_state = {true, false}; }

MemoryOnlyScope::~MemoryOnlyScope() { scope_state = {}; }

bool MemoryOnlyScope::refused() const { return scope_state.refused; }

bool MemoryOnlyScope::RefuseToBlock() {
  if (!scope_state.active) return false;
  scope_state.refused = true;
  return true;
}

bool MemoryOnlyScope::AnswerMayBeIncomplete() { return scope_state.refused; }

absl::Status WouldBlockError() {
  return absl::UnavailableError("answering from memory only, and this needs to wait");
}

}  // namespace tasks
