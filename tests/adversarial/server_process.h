// ServerProcess: the real tasks-server binary as a child process, for the start-up regressions:
// started with arguments (and extra environment), its output (stdout and stderr, one stream)
// collected, waited on with bounds.
// A process still running when the object goes is killed (SIGKILL), so a test that fails never
// leaves a server behind. Not thread-safe.
#ifndef TASKS_TESTS_ADVERSARIAL_SERVER_PROCESS_H_
#define TASKS_TESTS_ADVERSARIAL_SERVER_PROCESS_H_

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"

namespace tasks::testing {

class ServerProcess {
 public:
  // Starts TASKS_SERVER_BIN with `args`; `env` entries ("NAME=value") are added to (or override)
  // this process's environment.
  ServerProcess(const std::vector<std::string>& args, const std::vector<std::string>& env = {});
  ~ServerProcess();

  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  // Reads output until it holds `text` (true), the process exits or `timeout` passes (false).
  bool WaitForOutput(const std::string& text, absl::Duration timeout);

  // Reads output until the process exits; its exit code (128 + signal when killed by one), or
  // nullopt if it is still running after `timeout`.
  std::optional<int> WaitForExit(absl::Duration timeout);

  // Waits for exit, or for `serving` in output, whichever comes first: for a start-up that must
  // fail, so that one which wrongly succeeds is caught at once. nullopt: it started (or hung).
  std::optional<int> WaitForFailedStart(absl::Duration timeout);

  void Signal(int signal);
  const std::string& output() const { return output_; }

  // The number after `prefix` in output ("(port " -> the port), or 0 if none.
  int NumberAfter(const std::string& prefix) const;

 private:
  // Appends what output has to output_, waiting at most until `deadline`; false at end of file.
  bool ReadSome(absl::Time deadline);
  bool Reap(int options);

  pid_t pid_ = -1;
  int output_fd_ = -1;
  std::optional<int> exit_code_;
  std::string output_;
};

}  // namespace tasks::testing

#endif  // TASKS_TESTS_ADVERSARIAL_SERVER_PROCESS_H_
