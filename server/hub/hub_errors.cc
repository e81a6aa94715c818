#include "server/hub/hub_errors.h"

#include <algorithm>
#include <cstdint>
#include <iterator>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "nlohmann/json.hpp"
#include "server/common/errors.h"
#include "server/common/json_members.h"
#include "server/hub/hub_urls.h"
#include "server/hub/repo_id.h"

namespace tasks::hub {
namespace {

constexpr absl::string_view kDisabled = "Access to this resource is disabled";
// huggingface_hub's reason for an HTTP error no more specific exception describes.
constexpr absl::string_view kHttpErrorReason = "HfHubHTTPError";
constexpr size_t kMaxServerMessageChars = 500;

bool HasDotSegment(absl::string_view path) {
  for (absl::string_view segment : absl::StrSplit(path, '/')) {
    if (segment == "." || segment == "..") return true;
  }
  return false;
}

// What the Hub said about the error, as huggingface_hub's _format collects it: X-Error-Message,
// then the JSON body's "error" (a string or a list) and "errors"[].message, or else a non-HTML
// body as text. Deduplicated, on one line.
std::vector<std::string> ServerMessages(const HttpResponse& response) {
  std::vector<std::string> messages = {response.error_message};
  const nlohmann::json body = nlohmann::json::parse(response.body, nullptr,
                                                    /*allow_exceptions=*/false);
  if (body.is_object()) {
    if (auto error = body.find("error"); error != body.end()) {
      if (error->is_string()) messages.push_back(error->get<std::string>());
      if (error->is_array()) {
        for (const auto& item : *error) {
          if (item.is_string()) messages.push_back(item.get<std::string>());
        }
      }
    }
    if (auto errors = body.find("errors"); errors != body.end() && errors->is_array()) {
      for (const auto& item : *errors) {
        if (std::optional<std::string> message = StringMember(item, "message")) {
          messages.push_back(*std::move(message));
        }
      }
    }
  } else if (body.is_discarded() &&
             !absl::StrContains(absl::AsciiStrToLower(response.content_type), "html")) {
    messages.push_back(response.body);
  }
  std::vector<std::string> unique;
  for (std::string& message : messages) {
    absl::StrReplaceAll({{"\r", " "}, {"\n", " "}}, &message);
    absl::StripAsciiWhitespace(&message);
    if (!message.empty() && std::find(unique.begin(), unique.end(), message) == unique.end()) {
      unique.push_back(std::move(message));
    }
  }
  return unique;
}

}  // namespace

absl::Status HubErrors::Validate(HubCall call) const {
  std::string problem = RepoIdProblem(target_.repo_id);
  absl::string_view argument = "repo_id";
  if (problem.empty() && (target_.revision == "." || target_.revision == "..")) {
    problem = absl::StrCat("Invalid revision: '", target_.revision, "'.");
    argument = "revision";
  }
  if (problem.empty() && call == HubCall::kResolve &&
      (target_.path.empty() || HasDotSegment(target_.path))) {
    problem = absl::StrCat("Invalid file path (empty, or with a '.' or '..' segment): '",
                           target_.path, "'.");
    argument = "path";
  }
  if (problem.empty()) return CheckToken();
  return Make(absl::StatusCode::kInvalidArgument, "HFValidationError", problem,
              {{"argument", std::string(argument)}});
}

absl::Status HubErrors::CheckToken() const {
  // A line break would end the Authorization header and start another of the caller's making.
  const bool header_safe = std::none_of(token_.begin(), token_.end(), [](char c) {
    return absl::ascii_iscntrl(static_cast<unsigned char>(c));
  });
  if (header_safe) return absl::OkStatus();
  // requests raises InvalidHeader; the message must not quote the token.
  return Make(absl::StatusCode::kInvalidArgument, "InvalidHeader",
              "The token has control characters, which an HTTP header cannot carry.",
              {{"argument", "token"}});
}

absl::Status HubErrors::Http(HubCall call, absl::string_view url, const HttpResponse& response,
                             int attempts) const {
  HttpError error = ClassifyHttp(call, url, response, attempts);
  absl::StrAppend(&error.message, " (HTTP ", response.status);
  if (!response.request_id.empty()) {
    absl::StrAppend(&error.message, ", request id ", response.request_id);
  }
  absl::StrAppend(&error.message, ")", HubSays(response));
  Metadata extra = {{"http_status", absl::StrCat(response.status)}};
  std::move(error.extra.begin(), error.extra.end(), std::back_inserter(extra));
  return Make(error.code, error.reason, error.message, std::move(extra));
}

HubErrors::HttpError HubErrors::ClassifyHttp(HubCall call, absl::string_view url,
                                             const HttpResponse& response, int attempts) const {
  const bool disabled = absl::StrContains(response.error_message, kDisabled) ||
                        (response.status == 403 && absl::StrContains(response.body, kDisabled));
  // The order of huggingface_hub's hf_raise_for_status.
  if (response.error_code == "RevisionNotFound") {
    return {absl::StatusCode::kNotFound, "RevisionNotFoundError",
            absl::StrCat("Revision '", target_.revision, "' not found in repo '", target_.repo_id,
                         "' (", url, "): check the branch, tag or commit sha.")};
  }
  if (response.error_code == "EntryNotFound") return EntryNotFound(url);
  if (response.error_code == "GatedRepo") {
    return {absl::StatusCode::kPermissionDenied, "GatedRepoError",
            absl::StrCat("Repo '", target_.repo_id, "' is gated (", url,
                         "): accept its conditions on the Hub, then pass a token of an account "
                         "with access in the authorization metadata.")};
  }
  if (disabled) {
    return {absl::StatusCode::kFailedPrecondition, "DisabledRepoError",
            absl::StrCat("Repo '", target_.repo_id, "' is disabled on the Hub (", url,
                         "): access to this resource is disabled.")};
  }
  if (response.error_code == "RepoNotFound" ||
      (response.status == 401 && IsRepoUrl(response.effective_url))) {
    // The Hub answers 401 alike for a missing repo and for a private or gated one the caller
    // may not see; huggingface_hub calls both RepositoryNotFoundError.
    return {absl::StatusCode::kNotFound, "RepositoryNotFoundError",
            absl::StrCat("Repo '", target_.repo_id, "' not found (", url,
                         "): check the repo id; if it is private or gated, pass a token with "
                         "access to it in the authorization metadata.")};
  }
  // The repo and revision exist (the Hub would have said otherwise): the file does not.
  if (response.status == 404 && call == HubCall::kResolve) return EntryNotFound(url);
  if (response.status == 401) {
    return {absl::StatusCode::kUnauthenticated, kHttpErrorReason,
            absl::StrCat("The Hub did not accept the credentials for ", Subject(), " (", url,
                         "): pass a valid token in the authorization metadata.")};
  }
  if (response.status == 403) {
    return {absl::StatusCode::kPermissionDenied, kHttpErrorReason,
            absl::StrCat("Forbidden: cannot access ", Subject(), " (", url,
                         "): make sure the token has read access to it.")};
  }
  if (response.status == 429) return RateLimited(url, response);
  if (response.status >= 500) {
    return {absl::StatusCode::kUnavailable, kHttpErrorReason,
            absl::StrCat("The Hub failed to answer for ", Subject(), " (", url, ") after ",
                         attempts, attempts == 1 ? " attempt" : " attempts", ": retry later.")};
  }
  return {absl::StatusCode::kInternal, kHttpErrorReason,
          absl::StrCat("Unexpected answer from the Hub for ", Subject(), " (", url, ").")};
}

HubErrors::HttpError HubErrors::EntryNotFound(absl::string_view url) const {
  return {absl::StatusCode::kNotFound, "EntryNotFoundError",
          absl::StrCat("Not found: ", Subject(), " (", url, "); check the file path.")};
}

HubErrors::HttpError HubErrors::RateLimited(absl::string_view url,
                                            const HttpResponse& response) const {
  HttpError error{
      absl::StatusCode::kResourceExhausted, kHttpErrorReason,
      absl::StrCat("The Hub is rate limiting requests for ", Subject(), " (", url, ")")};
  if (!response.retry_after) {
    absl::StrAppend(&error.message, ": retry later.");
    return error;
  }
  const int64_t seconds = absl::ToInt64Seconds(absl::Ceil(*response.retry_after, absl::Seconds(1)));
  error.extra.emplace_back("retry_after_seconds", absl::StrCat(seconds));
  absl::StrAppend(&error.message, ": retry after ", seconds, " s.");
  return error;
}

std::string HubErrors::HubSays(const HttpResponse& response) const {
  // Scrubbed before it is cut, so that no prefix of the token survives the cut.
  std::string said = Scrub(absl::StrJoin(ServerMessages(response), "; "));
  if (said.empty()) return "";
  if (said.size() > kMaxServerMessageChars) {
    size_t cut = kMaxServerMessageChars;
    while (cut > 0 && (static_cast<unsigned char>(said[cut]) & 0xC0) == 0x80) --cut;  // UTF-8
    said = absl::StrCat(said.substr(0, cut), "...");
  }
  return absl::StrCat(" The Hub says: ", said);
}

absl::Status HubErrors::Connection(absl::string_view url, absl::string_view detail,
                                   int attempts) const {
  return Make(absl::StatusCode::kUnavailable, "ConnectionError",
              absl::StrCat("Could not reach the Hub for ", Subject(), " (", url, ") after ",
                           attempts, attempts == 1 ? " attempt: " : " attempts: ", detail,
                           ". Check the network, and the https_proxy/no_proxy settings."));
}

absl::Status HubErrors::Timeout(absl::string_view url, int attempts) const {
  return Make(
      absl::StatusCode::kDeadlineExceeded, "Timeout",
      absl::StrCat("The Hub did not answer for ", Subject(), " (", url, ") before the deadline (",
                   attempts, attempts == 1 ? " attempt" : " attempts",
                   "); retry with a longer deadline."));
}

absl::Status HubErrors::Abandoned(absl::string_view url) const {
  return Make(
      absl::StatusCode::kCancelled, "Cancelled",
      absl::StrCat("The Hub request for ", Subject(), " (", url,
                   ") was abandoned: every call waiting for it was cancelled or timed out."));
}

absl::Status HubErrors::TooLarge(absl::string_view url, size_t limit) const {
  return Make(absl::StatusCode::kResourceExhausted, "ResponseTooLarge",
              absl::StrCat("The Hub's answer for ", Subject(), " (", url, ") is over the ", limit,
                           "-byte limit of this server."),
              {{"max_response_bytes", absl::StrCat(limit)}});
}

absl::Status HubErrors::TooManyPages(absl::string_view url, int max_pages) const {
  return Make(absl::StatusCode::kResourceExhausted, "ResponseTooLarge",
              absl::StrCat("The file listing of ", Subject(), " (", url, ") has more than ",
                           max_pages, " pages, the limit of this server."));
}

absl::Status HubErrors::TooManyRedirects(absl::string_view url) const {
  // A redirect loop is the Hub's (or a proxy's) passing trouble, not ours: a stale answer fits.
  return Make(absl::StatusCode::kUnavailable, "TooManyRedirects",
              absl::StrCat("Too many redirects for ", Subject(), " (", url,
                           "): the Hub or a proxy is redirecting in a loop; retry later."));
}

absl::Status HubErrors::BadJson(absl::string_view url, absl::string_view detail) const {
  return Make(absl::StatusCode::kUnavailable, "JSONDecodeError",
              absl::StrCat("The Hub's answer for ", Subject(), " (", url,
                           ") is not the JSON expected: ", detail,
                           ". A proxy may have answered instead of the Hub; retry later."));
}

absl::Status HubErrors::BadNextLink(absl::string_view url, absl::string_view link) const {
  return Make(
      absl::StatusCode::kInternal, "HfHubHTTPError",
      absl::StrCat("The file listing of ", Subject(), " (", url, ") links its next page to '", link,
                   "', which is not a URL of the same endpoint; not following it."));
}

absl::Status HubErrors::Make(absl::StatusCode code, absl::string_view reason,
                             absl::string_view message, Metadata extra) const {
  ErrorContext context;
  context.metadata.emplace_back("repo_id", Scrub(target_.repo_id));
  if (!target_.revision.empty()) context.metadata.emplace_back("revision", Scrub(target_.revision));
  if (!target_.path.empty()) context.metadata.emplace_back("path", Scrub(target_.path));
  for (auto& [key, value] : extra) context.metadata.emplace_back(key, Scrub(value));
  return MakeError(code, reason, Scrub(message), context);
}

std::string HubErrors::Scrub(absl::string_view text) const {
  if (token_.empty()) return std::string(text);
  return absl::StrReplaceAll(text, {{token_, "<token>"}});
}

std::string HubErrors::Subject() const {
  std::string subject = target_.path.empty() ? absl::StrCat("repo '", target_.repo_id, "'")
                                             : absl::StrCat("file '", target_.path, "' of repo '",
                                                            target_.repo_id, "'");
  if (!target_.revision.empty()) absl::StrAppend(&subject, " at revision '", target_.revision, "'");
  return subject;
}

}  // namespace tasks::hub
