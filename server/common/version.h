// What a binary was built from, for --version, the Hub client's User-Agent and the build_info
// metric: a running pod can be traced to its source.
#ifndef TASKS_SERVER_COMMON_VERSION_H_
#define TASKS_SERVER_COMMON_VERSION_H_

#include <string>

#include "absl/strings/string_view.h"

namespace tasks {

// The release, e.g. "0.1.0".
const char* Version();

// The source commit: 12 hex digits, with "-dirty" when built from changed tracked files;
// "unknown" when built outside a git checkout without -DTASKS_COMMIT.
const char* Commit();

// "<program> <version> (commit <commit>)", as --version prints it.
std::string VersionLine(absl::string_view program);

}  // namespace tasks

#endif  // TASKS_SERVER_COMMON_VERSION_H_
