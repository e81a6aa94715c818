#include "tests/hub/fake/request_log.h"

#include <algorithm>
#include <utility>

#include "absl/strings/match.h"

namespace tasks::testing::fake_hub {

void RequestLog::Record(HubEndpoint endpoint, std::string path,
                        std::optional<std::string> authorization) {
  std::lock_guard lock(mutex_);
  entries_.push_back({endpoint, std::move(path)});
  if (authorization.has_value()) authorization_headers_.push_back(*std::move(authorization));
}

int RequestLog::Count(HubEndpoint endpoint, const std::string& path_part) const {
  std::lock_guard lock(mutex_);
  return static_cast<int>(std::count_if(entries_.begin(), entries_.end(), [&](const Entry& entry) {
    return entry.endpoint == endpoint && absl::StrContains(entry.path, path_part);
  }));
}

int RequestLog::Total() const {
  std::lock_guard lock(mutex_);
  return static_cast<int>(entries_.size());
}

std::vector<std::string> RequestLog::AuthorizationHeaders() const {
  std::lock_guard lock(mutex_);
  return authorization_headers_;
}

void RequestLog::Clear() {
  std::lock_guard lock(mutex_);
  entries_.clear();
  authorization_headers_.clear();
}

}  // namespace tasks::testing::fake_hub
