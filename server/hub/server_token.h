// ServerToken: the server's own Hub token, from HF_TOKEN or a token file that is re-read when
// it changes (a rotated Kubernetes Secret), so a rotation needs no restart. Thread-safe.
#ifndef TASKS_SERVER_HUB_SERVER_TOKEN_H_
#define TASKS_SERVER_HUB_SERVER_TOKEN_H_

#include <filesystem>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

namespace tasks::hub {

class ServerToken {
 public:
  // `token` wins when non-empty; otherwise `token_file` (may be empty or missing) is read.
  ServerToken(std::string token, std::string token_file);

  // The current token, "" when there is none.
  std::string Get();

 private:
  const std::string fixed_token_;
  const std::filesystem::path token_file_;
  absl::Mutex mutex_;
  std::filesystem::file_time_type read_at_ ABSL_GUARDED_BY(mutex_);
  std::string file_token_ ABSL_GUARDED_BY(mutex_);
};

}  // namespace tasks::hub

#endif  // TASKS_SERVER_HUB_SERVER_TOKEN_H_
