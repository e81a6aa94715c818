#include "server/hub/curl_hub_client.h"

#include <curl/curl.h>

#include <algorithm>
#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "server/common/cancellation.h"
#include "server/common/version.h"
#include "server/hub/curl_handles.h"
#include "server/hub/hub_json.h"
#include "spdlog/spdlog.h"

namespace tasks::hub {
namespace {

constexpr long kMaxRedirects = 5;  // libcurl takes `long` options
// Idle handles kept (with their connections); about the number of threads that call at once.
constexpr size_t kMaxIdleHandles = 32;
// libcurl's timers fire within a few milliseconds of the time they were given: a timeout that
// close to the deadline is the deadline's.
constexpr absl::Duration kTimerSlack = absl::Milliseconds(10);

// Collects an answer's body, within limits. Returning less than it was given makes libcurl stop
// the transfer (CURLE_WRITE_ERROR), so an oversized body is never read to its end.
struct BodySink {
  CURL* handle;
  size_t limit;  // for a 2xx body
  std::string body;
  bool too_large = false;  // a 2xx body went past `limit`
  bool error_cut = false;  // an error body went past kMaxErrorBodyBytes; its start is kept
};

size_t WriteBody(char* data, size_t size, size_t count, void* user) {
  auto* sink = static_cast<BodySink*>(user);
  const size_t bytes = size * count;
  long status = 0;
  curl_easy_getinfo(sink->handle, CURLINFO_RESPONSE_CODE, &status);
  if (status >= 300 && status < 400) return bytes;  // a redirect's own body is not the answer
  const size_t limit = status >= 400 ? kMaxErrorBodyBytes : sink->limit;
  if (sink->body.size() + bytes <= limit) {
    sink->body.append(data, bytes);
    return bytes;
  }
  if (status >= 400) {
    sink->body.append(data, limit - sink->body.size());
    sink->error_cut = true;
  } else {
    sink->too_large = true;
  }
  return 0;
}

// The (first) value of header `name` in the final answer, after redirects; "" if it has none.
std::string Header(CURL* handle, const char* name) {
  curl_header* header = nullptr;
  if (curl_easy_header(handle, name, 0, CURLH_HEADER, -1, &header) != CURLHE_OK) return "";
  return header->value;
}

// Every value of header `name` in the final answer, in order.
std::vector<std::string> AllHeaders(CURL* handle, const char* name) {
  curl_header* header = nullptr;
  if (curl_easy_header(handle, name, 0, CURLH_HEADER, -1, &header) != CURLHE_OK) return {};
  const size_t amount = header->amount;
  std::vector<std::string> values = {header->value};
  for (size_t i = 1;
       i < amount && curl_easy_header(handle, name, i, CURLH_HEADER, -1, &header) == CURLHE_OK;
       ++i) {
    values.push_back(header->value);
  }
  return values;
}

HttpResponse ReadResponse(CURL* handle, std::string body, absl::Time now) {
  HttpResponse response;
  long status = 0;
  curl_easy_getinfo(handle, CURLINFO_RESPONSE_CODE, &status);
  response.status = static_cast<int>(status);
  char* effective_url = nullptr;
  curl_easy_getinfo(handle, CURLINFO_EFFECTIVE_URL, &effective_url);
  if (effective_url != nullptr) response.effective_url = effective_url;
  response.body = std::move(body);
  response.error_code = Header(handle, "X-Error-Code");
  response.error_message = Header(handle, "X-Error-Message");
  response.request_id = Header(handle, "X-Request-Id");
  if (response.request_id.empty()) response.request_id = Header(handle, "X-Amzn-Trace-Id");
  response.content_type = Header(handle, "Content-Type");
  response.links = AllHeaders(handle, "Link");
  if (status == 429 || status == 503) {
    response.retry_after =
        RequestedDelay(Header(handle, "Retry-After"), Header(handle, "RateLimit"), now);
  }
  return response;
}

// Failures that another attempt may well not meet: no answer came, because of the network or of
// a server going away. Certificate and protocol errors are not among them.
bool IsTransient(CURLcode code) {
  switch (code) {
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_CONNECT:
    case CURLE_OPERATION_TIMEDOUT:  // the connect timeout, the deadline being checked first
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_PARTIAL_FILE:
    case CURLE_GOT_NOTHING:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
      return true;
    default:
      return false;
  }
}

// libcurl's progress callback: a non-zero answer aborts the transfer. libcurl calls it at least
// once a second, also while it waits for an answer, so an abandoned request stops within one.
int AbortIfCancelled(void* cancellation, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  return static_cast<const Cancellation*>(cancellation)->cancelled() ? 1 : 0;
}

// A timeout for libcurl: whole milliseconds, rounded up so that it never ends before the
// deadline, at least 1 (0 means none); 0 for an infinite duration.
long TimeoutMillis(absl::Duration duration) {
  if (duration == absl::InfiniteDuration()) return 0;
  return std::max<long>(1, absl::ToInt64Milliseconds(absl::Ceil(duration, absl::Milliseconds(1))));
}

CurlHubClientOptions Normalized(CurlHubClientOptions options) {
  options.endpoint.erase(options.endpoint.find_last_not_of('/') + 1);
  options.max_attempts = std::max(1, options.max_attempts);
  return options;
}

}  // namespace

struct CurlHubClient::Attempt {
  bool answered = false;  // an HTTP answer came: `response` is set
  HttpResponse response;
  bool too_large = false;  // a 2xx body went past max_response_bytes
  CURLcode code = CURLE_OK;
  std::string detail;  // libcurl's words for `code`
};

std::string DefaultUserAgent() { return absl::StrCat("tasks-manager/", Version()); }

CurlHubClient::CurlHubClient(CurlHubClientOptions options)
    : options_(Normalized(std::move(options))),
      retry_policy_{options_.max_attempts, options_.initial_backoff, options_.max_backoff},
      handles_(std::make_unique<CurlHandlePool>(kMaxIdleHandles)) {}

CurlHubClient::~CurlHubClient() = default;

absl::StatusOr<ModelInfo> CurlHubClient::GetModelInfo(absl::string_view repo_id,
                                                      absl::string_view revision,
                                                      const Credentials& credentials,
                                                      const WaitLimits& limits) {
  const HubErrors errors({repo_id, revision, ""}, credentials.token);
  if (absl::Status valid = errors.Validate(HubCall::kModelInfo); !valid.ok()) return valid;
  const std::string url = ModelInfoUrl(options_.endpoint, repo_id, revision);
  absl::StatusOr<HttpResponse> response =
      Fetch(HubCall::kModelInfo, url, errors, credentials, limits);
  if (!response.ok()) return response.status();
  absl::StatusOr<ModelInfo> info = ParseModelInfo(response->body);
  if (!info.ok()) return errors.BadJson(url, info.status().message());
  if (info->id.empty()) info->id = std::string(repo_id);
  return info;
}

absl::StatusOr<std::vector<std::string>> CurlHubClient::ListRepoFiles(
    absl::string_view repo_id, absl::string_view revision, const Credentials& credentials,
    const WaitLimits& limits) {
  if (revision.empty()) revision = kDefaultRevision;
  const HubErrors errors({repo_id, revision, ""}, credentials.token);
  if (absl::Status valid = errors.Validate(HubCall::kTree); !valid.ok()) return valid;
  std::string url = TreeUrl(options_.endpoint, repo_id, revision);
  std::vector<std::string> files;
  for (int page = 1;; ++page) {
    if (page > kMaxTreePages) return errors.TooManyPages(url, kMaxTreePages);
    absl::StatusOr<HttpResponse> response = Fetch(HubCall::kTree, url, errors, credentials, limits);
    if (!response.ok()) return response.status();
    absl::StatusOr<std::vector<std::string>> paths = ParseTreePage(response->body);
    if (!paths.ok()) return errors.BadJson(url, paths.status().message());
    files.insert(files.end(), std::make_move_iterator(paths->begin()),
                 std::make_move_iterator(paths->end()));

    const std::optional<std::string> next = FindNextLink(response->links);
    if (!next) return files;
    // The token goes with every page: only to pages of the endpoint the caller configured.
    std::optional<std::string> next_url = ResolveReference(response->effective_url, *next);
    if (!next_url || !SameOrigin(*next_url, options_.endpoint)) {
      return errors.BadNextLink(url, *next);
    }
    url = *std::move(next_url);
  }
}

absl::StatusOr<std::string> CurlHubClient::GetFile(absl::string_view repo_id,
                                                   absl::string_view revision,
                                                   absl::string_view path,
                                                   const Credentials& credentials,
                                                   const WaitLimits& limits) {
  if (revision.empty()) revision = kDefaultRevision;
  const HubErrors errors({repo_id, revision, path}, credentials.token);
  if (absl::Status valid = errors.Validate(HubCall::kResolve); !valid.ok()) return valid;
  const std::string url = ResolveUrl(options_.endpoint, repo_id, revision, path);
  absl::StatusOr<HttpResponse> response =
      Fetch(HubCall::kResolve, url, errors, credentials, limits);
  if (!response.ok()) return response.status();
  return std::move(response->body);
}

absl::StatusOr<HttpResponse> CurlHubClient::Fetch(HubCall call, const std::string& url,
                                                  const HubErrors& errors,
                                                  const Credentials& credentials,
                                                  const WaitLimits& limits) {
  for (int number = 1;; ++number) {
    if (options_.now() >= limits.deadline) return errors.Timeout(url, number - 1);
    if (limits.cancelled()) return errors.Abandoned(url);
    const absl::Time start = absl::Now();  // for the log: real time, whatever the options' clock
    Attempt attempt = PerformOnce(url, credentials, limits);
    spdlog::debug("hub GET {} -> {} (attempt {}/{}, {} ms)", url,
                  attempt.answered ? absl::StrCat(attempt.response.status) : attempt.detail, number,
                  retry_policy_.max_attempts, absl::ToInt64Milliseconds(absl::Now() - start));

    absl::Status failure;
    std::optional<absl::Duration> wait;  // before another attempt; none: not worth one
    if (attempt.answered) {
      const int status = attempt.response.status;
      if (status >= 200 && status < 300) return std::move(attempt.response);
      failure = errors.Http(call, url, attempt.response, number);
      if (status == 429 || status >= 500) {
        wait = attempt.response.retry_after.value_or(Backoff(number));
      }
    } else if (attempt.too_large) {
      return errors.TooLarge(url, options_.max_response_bytes);
    } else if (attempt.code == CURLE_OPERATION_TIMEDOUT &&
               options_.now() >= limits.deadline - kTimerSlack) {
      return errors.Timeout(url, number);
    } else if (attempt.code == CURLE_ABORTED_BY_CALLBACK) {
      // Waiters past their deadline count as gone: the owner's own deadline may be the reason.
      return options_.now() >= limits.deadline - kTimerSlack ? errors.Timeout(url, number)
                                                             : errors.Abandoned(url);
    } else if (attempt.code == CURLE_TOO_MANY_REDIRECTS) {
      return errors.TooManyRedirects(url);
    } else {
      failure = errors.Connection(url, attempt.detail, number);
      if (IsTransient(attempt.code)) wait = Backoff(number);
    }
    if (!wait || number >= retry_policy_.max_attempts ||
        options_.now() + *wait >= limits.deadline) {
      return failure;
    }
    if (!SleepUnlessCancelled(*wait, limits)) return errors.Abandoned(url);
  }
}

CurlHubClient::Attempt CurlHubClient::PerformOnce(const std::string& url,
                                                  const Credentials& credentials,
                                                  const WaitLimits& limits) {
  Attempt attempt;
  // Declared before the lease, so that they outlive the handle's last use of them.
  std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)> headers(nullptr,
                                                                      &curl_slist_free_all);
  if (!credentials.token.empty()) {
    headers.reset(curl_slist_append(
        nullptr, absl::StrCat("Authorization: Bearer ", credentials.token).c_str()));
  }
  char error[CURL_ERROR_SIZE] = "";
  const CurlHandlePool::Lease lease = handles_->Acquire();
  CURL* const handle = lease.get();
  if (handle == nullptr) {
    attempt.code = CURLE_OUT_OF_MEMORY;
    attempt.detail = "libcurl could not create a handle";
    return attempt;
  }
  BodySink sink{handle, options_.max_response_bytes};
  const absl::Duration remaining = limits.deadline - options_.now();

  curl_easy_setopt(handle, CURLOPT_URL, url.c_str());
  curl_easy_setopt(handle, CURLOPT_HTTPGET, 1L);
  curl_easy_setopt(handle, CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(handle, CURLOPT_USERAGENT, options_.user_agent.c_str());
  curl_easy_setopt(handle, CURLOPT_ACCEPT_ENCODING, "");  // whatever this libcurl decodes
  curl_easy_setopt(handle, CURLOPT_FOLLOWLOCATION, 1L);
  curl_easy_setopt(handle, CURLOPT_MAXREDIRS, kMaxRedirects);
  curl_easy_setopt(handle, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(handle, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  // Signals (for DNS timeouts) are not safe with several threads; the resolver is threaded.
  curl_easy_setopt(handle, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(handle, CURLOPT_TIMEOUT_MS, TimeoutMillis(remaining));
  curl_easy_setopt(handle, CURLOPT_CONNECTTIMEOUT_MS,
                   TimeoutMillis(std::min(options_.connect_timeout, remaining)));
  if (!options_.ca_bundle.empty()) {
    curl_easy_setopt(handle, CURLOPT_CAINFO, options_.ca_bundle.c_str());
  }
  const Cancellation* const cancellation = limits.cancellation;
  curl_easy_setopt(handle, CURLOPT_NOPROGRESS, cancellation == nullptr ? 1L : 0L);
  curl_easy_setopt(handle, CURLOPT_XFERINFOFUNCTION, &AbortIfCancelled);
  curl_easy_setopt(handle, CURLOPT_XFERINFODATA, cancellation);
  curl_easy_setopt(handle, CURLOPT_WRITEFUNCTION, &WriteBody);
  curl_easy_setopt(handle, CURLOPT_WRITEDATA, &sink);
  curl_easy_setopt(handle, CURLOPT_ERRORBUFFER, error);

  attempt.code = curl_easy_perform(handle);
  attempt.answered =
      attempt.code == CURLE_OK || (attempt.code == CURLE_WRITE_ERROR && sink.error_cut);
  attempt.too_large = sink.too_large;
  attempt.detail = error[0] != '\0' ? error : curl_easy_strerror(attempt.code);
  if (attempt.answered) {
    attempt.response = ReadResponse(handle, std::move(sink.body), options_.now());
  }
  return attempt;
}

bool CurlHubClient::SleepUnlessCancelled(absl::Duration duration, const WaitLimits& limits) const {
  constexpr absl::Duration kPoll = absl::Milliseconds(100);
  for (const absl::Time end = options_.now() + duration;;) {
    if (limits.cancelled()) return false;
    const absl::Duration left = end - options_.now();
    if (left <= absl::ZeroDuration()) return true;
    options_.sleep(std::min(kPoll, left));
  }
}

absl::Duration CurlHubClient::Backoff(int retry) {
  absl::MutexLock lock(&rng_mu_);
  return BackoffDelay(retry_policy_, retry, rng_);
}

}  // namespace tasks::hub
