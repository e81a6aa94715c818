// InMemoryHubClient: a HubClient answering from maps, for tests of the layers above the HTTP
// client (cache, sources, service) without sockets. Counts calls, can hold answers until
// released (to line up concurrent callers), and fails on demand. A held call gives up when the
// limits' Cancellation says nobody waits any more, as the HTTP client does.
#ifndef TASKS_TESTS_HUB_IN_MEMORY_HUB_CLIENT_H_
#define TASKS_TESTS_HUB_IN_MEMORY_HUB_CLIENT_H_

#include <algorithm>
#include <map>
#include <string>

#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "server/common/cancellation.h"
#include "server/hub/hub_client.h"

namespace tasks::testing {

class InMemoryHubClient final : public hub::HubClient {
 public:
  struct Repo {
    hub::ModelInfo info;
    std::map<std::string, std::string> files;  // path -> contents
    std::string token;                         // required unless info is public
  };

  void AddRepo(Repo repo) {
    absl::MutexLock lock(&mutex_);
    repos_[repo.info.id] = std::move(repo);
  }
  // Every call fails with `status` until cleared with OkStatus().
  void FailWith(absl::Status status) {
    absl::MutexLock lock(&mutex_);
    failure_ = std::move(status);
  }
  // Calls block until Release() (or their deadline).
  void Hold() {
    absl::MutexLock lock(&mutex_);
    held_ = true;
  }
  void Release() {
    absl::MutexLock lock(&mutex_);
    held_ = false;
  }
  int calls() const {
    absl::MutexLock lock(&mutex_);
    return calls_;
  }
  // Number of held calls given up because nobody waited for them any more.
  int abandoned() const {
    absl::MutexLock lock(&mutex_);
    return abandoned_;
  }
  // Number of calls currently blocked by Hold().
  int waiting() const {
    absl::MutexLock lock(&mutex_);
    return waiting_;
  }

  absl::StatusOr<hub::ModelInfo> GetModelInfo(absl::string_view repo_id, absl::string_view,
                                              const hub::Credentials& credentials,
                                              const WaitLimits& limits) override {
    absl::StatusOr<const Repo*> repo = Enter(repo_id, credentials, limits);
    if (!repo.ok()) return repo.status();
    return (*repo)->info;
  }

  absl::StatusOr<std::vector<std::string>> ListRepoFiles(absl::string_view repo_id,
                                                         absl::string_view,
                                                         const hub::Credentials& credentials,
                                                         const WaitLimits& limits) override {
    absl::StatusOr<const Repo*> repo = Enter(repo_id, credentials, limits);
    if (!repo.ok()) return repo.status();
    std::vector<std::string> paths;
    for (const auto& [path, contents] : (*repo)->files) paths.push_back(path);
    return paths;
  }

  absl::StatusOr<std::string> GetFile(absl::string_view repo_id, absl::string_view,
                                      absl::string_view path, const hub::Credentials& credentials,
                                      const WaitLimits& limits) override {
    absl::StatusOr<const Repo*> repo = Enter(repo_id, credentials, limits);
    if (!repo.ok()) return repo.status();
    auto it = (*repo)->files.find(std::string(path));
    if (it == (*repo)->files.end()) return absl::NotFoundError("EntryNotFound");
    return it->second;
  }

 private:
  absl::StatusOr<const Repo*> Enter(absl::string_view repo_id, const hub::Credentials& credentials,
                                    const WaitLimits& limits) {
    absl::MutexLock lock(&mutex_);
    ++calls_;
    ++waiting_;
    auto released = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_) { return !held_; };
    constexpr absl::Duration kCancellationPoll = absl::Milliseconds(5);
    while (!mutex_.AwaitWithDeadline(absl::Condition(&released),
                                     std::min(limits.deadline, absl::Now() + kCancellationPoll))) {
      if (absl::Now() >= limits.deadline) {
        --waiting_;
        return absl::DeadlineExceededError("held past the deadline");
      }
      if (limits.cancelled()) {
        --waiting_;
        ++abandoned_;
        return absl::CancelledError("abandoned while held");
      }
    }
    --waiting_;
    if (!failure_.ok()) return failure_;
    auto it = repos_.find(std::string(repo_id));
    const bool restricted = it != repos_.end() && !hub::IsPublic(it->second.info);
    if (it == repos_.end() || (restricted && credentials.token != it->second.token)) {
      return absl::NotFoundError("RepoNotFound");
    }
    return &it->second;
  }

  mutable absl::Mutex mutex_;
  std::map<std::string, Repo> repos_ ABSL_GUARDED_BY(mutex_);
  absl::Status failure_ ABSL_GUARDED_BY(mutex_);
  bool held_ ABSL_GUARDED_BY(mutex_) = false;
  int calls_ ABSL_GUARDED_BY(mutex_) = 0;
  int waiting_ ABSL_GUARDED_BY(mutex_) = 0;
  int abandoned_ ABSL_GUARDED_BY(mutex_) = 0;
};

}  // namespace tasks::testing

#endif  // TASKS_TESTS_HUB_IN_MEMORY_HUB_CLIENT_H_
