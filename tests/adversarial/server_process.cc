#include "tests/adversarial/server_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <stdexcept>

#include "absl/time/clock.h"

extern char** environ;

namespace tasks::testing {
namespace {

// This process's environment with `extra` ("NAME=value") added or overriding.
std::vector<std::string> Environment(const std::vector<std::string>& extra) {
  std::vector<std::string> env;
  for (char** entry = environ; *entry != nullptr; ++entry) {
    const std::string name = std::string(*entry).substr(0, std::string(*entry).find('='));
    const bool overridden = std::any_of(extra.begin(), extra.end(), [&](const std::string& e) {
      return e.substr(0, e.find('=')) == name;
    });
    if (!overridden) env.emplace_back(*entry);
  }
  env.insert(env.end(), extra.begin(), extra.end());
  return env;
}

std::vector<char*> Pointers(std::vector<std::string>& strings) {
  std::vector<char*> pointers;
  for (std::string& s : strings) pointers.push_back(s.data());
  pointers.push_back(nullptr);
  return pointers;
}

}  // namespace

ServerProcess::ServerProcess(const std::vector<std::string>& args,
                             const std::vector<std::string>& env) {
  int pipe_fds[2];
  if (pipe2(pipe_fds, O_CLOEXEC) != 0) throw std::runtime_error("pipe2 failed");
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], STDERR_FILENO);
  posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], STDOUT_FILENO);
  std::vector<std::string> argv_strings = {TASKS_SERVER_BIN};
  argv_strings.insert(argv_strings.end(), args.begin(), args.end());
  std::vector<std::string> env_strings = Environment(env);
  std::vector<char*> argv = Pointers(argv_strings);
  std::vector<char*> envp = Pointers(env_strings);
  const int spawned =
      posix_spawn(&pid_, TASKS_SERVER_BIN, &actions, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  close(pipe_fds[1]);
  output_fd_ = pipe_fds[0];
  if (spawned != 0) throw std::runtime_error("cannot start " TASKS_SERVER_BIN);
}

ServerProcess::~ServerProcess() {
  if (!exit_code_) {
    kill(pid_, SIGKILL);
    Reap(0);
  }
  close(output_fd_);
}

bool ServerProcess::ReadSome(absl::Time deadline) {
  pollfd fd{output_fd_, POLLIN, 0};
  const int64_t millis = std::max<int64_t>(0, absl::ToInt64Milliseconds(deadline - absl::Now()));
  if (poll(&fd, 1, static_cast<int>(std::min<int64_t>(millis, 100))) <= 0) return true;
  char buffer[4096];
  const ssize_t got = read(output_fd_, buffer, sizeof(buffer));
  if (got > 0) output_.append(buffer, static_cast<size_t>(got));
  return got > 0 || (got < 0 && errno == EINTR);
}

bool ServerProcess::Reap(int options) {
  int status = 0;
  if (waitpid(pid_, &status, options) != pid_) return false;
  exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return true;
}

bool ServerProcess::WaitForOutput(const std::string& text, absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  while (output_.find(text) == std::string::npos) {
    if (absl::Now() >= deadline || !ReadSome(deadline))
      return output_.find(text) != std::string::npos;
  }
  return true;
}

std::optional<int> ServerProcess::WaitForExit(absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  // End of file on stderr: the process (and any child holding the pipe) has gone.
  while (absl::Now() < deadline && ReadSome(deadline)) {
  }
  while (!exit_code_ && absl::Now() < deadline && !Reap(WNOHANG)) {
    absl::SleepFor(absl::Milliseconds(1));  // stderr closed: the exit is a moment away
  }
  return exit_code_;
}

std::optional<int> ServerProcess::WaitForFailedStart(absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  while (output_.find("serving") == std::string::npos && absl::Now() < deadline) {
    if (!ReadSome(deadline)) return WaitForExit(deadline - absl::Now());
  }
  return std::nullopt;
}

void ServerProcess::Signal(int signal) { kill(pid_, signal); }

int ServerProcess::NumberAfter(const std::string& prefix) const {
  const size_t at = output_.find(prefix);
  return at == std::string::npos ? 0 : std::atoi(output_.c_str() + at + prefix.size());
}

}  // namespace tasks::testing
