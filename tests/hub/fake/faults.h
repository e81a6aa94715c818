// Faults injected into the fake Hub's answers (Fault in fake_hub.h says what each kind does).
#ifndef TASKS_TESTS_HUB_FAKE_FAULTS_H_
#define TASKS_TESTS_HUB_FAKE_FAULTS_H_

#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "absl/synchronization/notification.h"
#include "httplib.h"
#include "tests/hub/fake_hub.h"

namespace tasks::testing::fake_hub {

class FaultList {
 public:
  void Add(Fault fault);
  void Clear();
  // The first fault (in the order added) that applies to a request to `endpoint` whose decoded
  // path is `path`; each one returned uses up one of its `times`.
  std::optional<Fault> Take(HubEndpoint endpoint, const std::string& path);

 private:
  // std::mutex rather than absl::Mutex: Debian builds Abseil without ThreadSanitizer
  // annotations, so TSan could not see the ordering an absl::Mutex gives these fields.
  std::mutex mutex_;
  std::vector<Fault> faults_;  // guarded by mutex_
};

// Answers `request` as `fault` says. `answer` writes the normal answer into `response`, which
// kDelay delays and kSlowDrip sends slowly; both stop waiting once `stopping` is notified.
void AnswerWithFault(const Fault& fault, const absl::Notification& stopping,
                     const std::function<void()>& answer, const httplib::Request& request,
                     httplib::Response& response);

}  // namespace tasks::testing::fake_hub

#endif  // TASKS_TESTS_HUB_FAKE_FAULTS_H_
