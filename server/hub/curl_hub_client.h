// CurlHubClient: HubClient over HTTP(S) with libcurl.
//
// - Every call follows redirects (at most 5; the Hub 307-redirects renamed repos, and file
//   downloads to its CDN). libcurl sends the Authorization header only to the host the call
//   started on, so the token never reaches a CDN or any other host a redirect names.
// - `deadline` bounds the whole call: every attempt, the pauses between them, every page of a
//   listing. An attempt gets the time left as its timeout; no pause runs past the deadline.
// - Each request is tried up to `max_attempts` times, again only for answers that may change:
//   5xx and connection failures (DNS, refused, reset, truncated; not TLS certificate failures)
//   after an exponential backoff with full jitter, and 429 after the wait its Retry-After (or
//   RateLimit reset) asks for, if that wait ends before the deadline.
// - When the limits' Cancellation (cancellation.h) says nobody wants the answer any more, the
//   transfer and any pause are abandoned within a second: CANCELLED.
// - Bodies are read up to `max_response_bytes` (after decompression) and the transfer is
//   abandoned past it: nothing is ever buffered without bound.
// - Proxies come from the environment as libcurl reads them: https_proxy / HTTPS_PROXY,
//   http_proxy (lower case only), all_proxy, no_proxy / NO_PROXY.
// - Connections, DNS lookups and TLS sessions are reused across calls and threads
//   (curl_handles.h). Calls may run on any number of threads at once.
// - Logs (spdlog, debug) one line per request: method, URL, status, attempt, elapsed time. Never
//   headers, so never the token; errors are scrubbed of it too (hub_errors.h).
//
// A 2xx body that is not the JSON the Hub documents fails with UNAVAILABLE, reason
// JSONDecodeError (what Python's requests raises), without a retry within the call: it is most
// often a proxy's or a maintenance page, which a later call may not get.
#ifndef TASKS_SERVER_HUB_CURL_HUB_CLIENT_H_
#define TASKS_SERVER_HUB_CURL_HUB_CLIENT_H_

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/random/random.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "server/hub/hub_client.h"
#include "server/hub/hub_errors.h"
#include "server/hub/hub_urls.h"  // UrlQuote and the URL builders, for callers too
#include "server/hub/retry_policy.h"

namespace tasks::hub {

class CurlHandlePool;

// "tasks-manager/<version of this build>".
std::string DefaultUserAgent();

struct CurlHubClientOptions {
  std::string endpoint = "https://huggingface.co";  // HF_ENDPOINT; a trailing '/' is ignored
  std::string ca_bundle;                            // CA certificates file; empty: system default
  size_t max_response_bytes = 8 << 20;              // model info, one tree page, one small file
  int max_attempts = 4;                             // per request, for 5xx, connection errors, 429
  absl::Duration initial_backoff = absl::Milliseconds(200);
  absl::Duration max_backoff = absl::Seconds(5);
  absl::Duration connect_timeout = absl::Seconds(5);  // per connection, within the deadline
  std::string user_agent = DefaultUserAgent();
  // The clock deadlines are checked against and Retry-After dates read with, and the sleep of
  // the pauses between attempts (taken in slices of at most 100 ms, so that a cancellation is
  // noticed): injected in tests. libcurl's own transfer timeouts stay on the real clock.
  std::function<absl::Time()> now = absl::Now;
  std::function<void(absl::Duration)> sleep = absl::SleepFor;
};

class CurlHubClient final : public HubClient {
 public:
  // Pages of a tree listing followed at most; a longer listing fails with RESOURCE_EXHAUSTED.
  static constexpr int kMaxTreePages = 1000;

  explicit CurlHubClient(CurlHubClientOptions options = {});
  CurlHubClient(const CurlHubClient&) = delete;
  CurlHubClient& operator=(const CurlHubClient&) = delete;
  ~CurlHubClient() override;

  absl::StatusOr<ModelInfo> GetModelInfo(absl::string_view repo_id, absl::string_view revision,
                                         const Credentials& credentials,
                                         const WaitLimits& limits) override;
  absl::StatusOr<std::vector<std::string>> ListRepoFiles(absl::string_view repo_id,
                                                         absl::string_view revision,
                                                         const Credentials& credentials,
                                                         const WaitLimits& limits) override;
  absl::StatusOr<std::string> GetFile(absl::string_view repo_id, absl::string_view revision,
                                      absl::string_view path, const Credentials& credentials,
                                      const WaitLimits& limits) override;

 private:
  struct Attempt;

  // GET `url` with retries until a 2xx answer (returned), an answer or failure not worth
  // retrying, no attempts left, or the end of `limits`.
  absl::StatusOr<HttpResponse> Fetch(HubCall call, const std::string& url, const HubErrors& errors,
                                     const Credentials& credentials, const WaitLimits& limits);
  // One transfer, bounded by `limits`.
  Attempt PerformOnce(const std::string& url, const Credentials& credentials,
                      const WaitLimits& limits);
  absl::Duration Backoff(int retry);
  // Pauses for `duration` (options_.sleep, in slices) unless `limits` are cancelled first; false
  // if they were.
  bool SleepUnlessCancelled(absl::Duration duration, const WaitLimits& limits) const;

  const CurlHubClientOptions options_;
  const RetryPolicy retry_policy_;
  const std::unique_ptr<CurlHandlePool> handles_;
  absl::Mutex rng_mu_;
  absl::BitGen rng_ ABSL_GUARDED_BY(rng_mu_);
};

}  // namespace tasks::hub

#endif  // TASKS_SERVER_HUB_CURL_HUB_CLIENT_H_
