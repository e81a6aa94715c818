// The errors of CurlHubClient, per the table in hub_client.h: huggingface_hub's exception names
// as ErrorInfo reasons, messages that say what to do, and the metadata "repo_id", "revision",
// "path" (and "http_status", "retry_after_seconds", "max_response_bytes" where they apply).
//
// Messages may quote the Hub's own words (X-Error-Message, the body's "error"), which a proxy or
// a misbehaving server could fill with the request's Authorization header: every message and
// metadata value is scrubbed of the caller's token here, in one place.
#ifndef TASKS_SERVER_HUB_HUB_ERRORS_H_
#define TASKS_SERVER_HUB_HUB_ERRORS_H_

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "server/hub/hub_client.h"

namespace tasks::hub {

// What a call is about. Views into the caller's arguments; revision as sent ("main" when the
// caller named none for a tree or file call, empty for model info at the default branch).
struct HubTarget {
  absl::string_view repo_id;
  absl::string_view revision;
  absl::string_view path;  // GetFile only
};

// The parts of an HTTP answer that errors and pagination read.
struct HttpResponse {
  int status = 0;
  std::string effective_url;  // after redirects; never shown (a CDN URL may carry a signature)
  std::string body;           // error answers: only the first kMaxErrorBodyBytes
  std::string error_code;     // X-Error-Code
  std::string error_message;  // X-Error-Message
  std::string request_id;     // X-Request-Id, else X-Amzn-Trace-Id
  std::string content_type;
  std::vector<std::string> links;             // Link header values
  std::optional<absl::Duration> retry_after;  // what a 429 or 503 asked for
};

// How much of an error answer's body is kept: enough for the Hub's JSON {"error": ...}.
inline constexpr size_t kMaxErrorBodyBytes = 16 << 10;

class HubErrors {
 public:
  // `token` (may be empty) is scrubbed from everything these errors say.
  HubErrors(HubTarget target, absl::string_view token) : target_(target), token_(token) {}

  // OK, or HFValidationError (INVALID_ARGUMENT) for a repo id outside the grammar of repo_id.h
  // (huggingface_hub's validate_repo_id, held to ids that need no quoting in a URL), or a
  // revision or path that is empty where required or has a "." or ".." segment, which URL
  // normalisation would turn into a request outside the repo. InvalidHeader (INVALID_ARGUMENT)
  // for a token with control characters.
  absl::Status Validate(HubCall call) const;

  // A non-2xx answer to `url`, after `attempts` attempts.
  absl::Status Http(HubCall call, absl::string_view url, const HttpResponse& response,
                    int attempts) const;
  // ConnectionError: libcurl's `detail` (DNS, connect, reset, TLS).
  absl::Status Connection(absl::string_view url, absl::string_view detail, int attempts) const;
  // Timeout: the deadline passed.
  absl::Status Timeout(absl::string_view url, int attempts) const;
  // Cancelled: every call waiting for the answer was cancelled or timed out (cancellation.h).
  absl::Status Abandoned(absl::string_view url) const;
  // ResponseTooLarge: a body over `limit` bytes, or a listing over `max_pages` pages.
  absl::Status TooLarge(absl::string_view url, size_t limit) const;
  absl::Status TooManyPages(absl::string_view url, int max_pages) const;
  // TooManyRedirects (UNAVAILABLE): more redirects than the client follows, most often a loop.
  absl::Status TooManyRedirects(absl::string_view url) const;
  // JSONDecodeError: a 2xx body that is not the JSON the Hub documents.
  absl::Status BadJson(absl::string_view url, absl::string_view detail) const;
  // HfHubHTTPError: a next-page link the client will not follow.
  absl::Status BadNextLink(absl::string_view url, absl::string_view link) const;

 private:
  using Metadata = std::vector<std::pair<std::string, std::string>>;

  // What a non-2xx answer is: its code, huggingface_hub's exception as the reason, the message
  // before the HTTP status and the Hub's own words, and metadata beyond "http_status".
  struct HttpError {
    absl::StatusCode code;
    absl::string_view reason;
    std::string message;
    Metadata extra = {};
  };
  // In the order of huggingface_hub's hf_raise_for_status.
  HttpError ClassifyHttp(HubCall call, absl::string_view url, const HttpResponse& response,
                         int attempts) const;
  HttpError EntryNotFound(absl::string_view url) const;
  // A 429, with the wait the Hub asked for when it said.
  HttpError RateLimited(absl::string_view url, const HttpResponse& response) const;
  // " The Hub says: ..." with what the Hub said about the error (ServerMessages), scrubbed and
  // cut to a bound; empty when it said nothing.
  std::string HubSays(const HttpResponse& response) const;

  absl::Status CheckToken() const;
  absl::Status Make(absl::StatusCode code, absl::string_view reason, absl::string_view message,
                    Metadata extra = {}) const;
  std::string Scrub(absl::string_view text) const;
  // "repo 'x'", "repo 'x' at revision 'y'" or "file 'p' of repo 'x' at revision 'y'".
  std::string Subject() const;

  HubTarget target_;
  absl::string_view token_;
};

}  // namespace tasks::hub

#endif  // TASKS_SERVER_HUB_HUB_ERRORS_H_
