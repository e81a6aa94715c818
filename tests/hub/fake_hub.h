// FakeHub: an HTTP server on 127.0.0.1 (port 0) that answers like the Hugging Face Hub for the
// fixture repos under tests/hub/fixtures/, counts requests, and injects faults. Used in-process
// by the tests, and by the `fake-hub` binary for end-to-end scripts.
#ifndef TASKS_TESTS_HUB_FAKE_HUB_H_
#define TASKS_TESTS_HUB_FAKE_HUB_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/time/time.h"

namespace tasks::testing {

// Which Hub endpoint a request hit.
enum class HubEndpoint { kModelInfo, kTree, kResolve, kOther };

struct Fault {
  enum class Kind {
    kDelay,          // sleep `delay`, then answer normally
    kStatus,         // answer `status` with a JSON error body (e.g. 500, 503)
    kTooManyRequests,  // 429 with Retry-After: `retry_after_seconds` and a RateLimit header
    kReset,          // close the connection without answering
    kMalformedBody,  // 200 with a body that is not valid JSON
    kOversizedBody,  // 200 with a body of `body_bytes` bytes
    kSlowDrip,       // 200, the body sent one byte every `delay`
  };
  Kind kind;
  // Requests it applies to: an endpoint and a substring of the request path ("" = any).
  HubEndpoint endpoint = HubEndpoint::kOther;  // kOther here means any endpoint
  std::string path_contains;
  int times = 1;               // how many matching requests it hits (then it is spent); -1: all
  absl::Duration delay = absl::ZeroDuration();
  int status = 500;
  int retry_after_seconds = 1;
  size_t body_bytes = 0;
};

class FakeHub {
 public:
  // Serves the fixtures in `fixtures_dir` (one folder per repo: <org>/<name>/).
  explicit FakeHub(std::string fixtures_dir);
  ~FakeHub();  // stops the server

  // Starts listening on 127.0.0.1:<free port>; returns false if it could not.
  bool Start();
  int port() const;
  std::string endpoint() const;  // "http://127.0.0.1:<port>"

  void InjectFault(Fault fault);
  void ClearFaults();

  // Requests received (every attempt, including faulted ones), by endpoint, optionally only
  // those whose path contains `repo_id`.
  int RequestCount(HubEndpoint endpoint, const std::string& repo_id = "") const;
  int TotalRequests() const;
  void ResetCounts();
  // Values of the Authorization headers received, in order (to check what callers send).
  std::vector<std::string> AuthorizationHeaders() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace tasks::testing

#endif  // TASKS_TESTS_HUB_FAKE_HUB_H_
