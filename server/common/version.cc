#include "server/common/version.h"

#include "absl/strings/str_cat.h"
#include "tasks_commit.h"  // generated at build time by cmake/commit.cmake

namespace tasks {

const char* Version() { return TASKS_VERSION; }

const char* Commit() { return TASKS_COMMIT; }

std::string VersionLine(absl::string_view program) {
  return absl::StrCat(program, " ", Version(), " (commit ", Commit(), ")");
}

}  // namespace tasks
