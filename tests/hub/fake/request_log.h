// What the fake Hub received: one entry per request, and the Authorization headers sent.
#ifndef TASKS_TESTS_HUB_FAKE_REQUEST_LOG_H_
#define TASKS_TESTS_HUB_FAKE_REQUEST_LOG_H_

#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "tests/hub/fake_hub.h"

namespace tasks::testing::fake_hub {

class RequestLog {
 public:
  void Record(HubEndpoint endpoint, std::string path, std::optional<std::string> authorization);
  // Requests to `endpoint` whose (decoded) path contains `path_part`.
  int Count(HubEndpoint endpoint, const std::string& path_part) const;
  int Total() const;
  std::vector<std::string> AuthorizationHeaders() const;
  void Clear();

 private:
  struct Entry {
    HubEndpoint endpoint;
    std::string path;
  };

  // std::mutex rather than absl::Mutex: Debian builds Abseil without ThreadSanitizer
  // annotations, so TSan could not see the ordering an absl::Mutex gives these fields.
  mutable std::mutex mutex_;
  std::vector<Entry> entries_;                      // guarded by mutex_
  std::vector<std::string> authorization_headers_;  // guarded by mutex_
};

}  // namespace tasks::testing::fake_hub

#endif  // TASKS_TESTS_HUB_FAKE_REQUEST_LOG_H_
