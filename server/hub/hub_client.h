// HubClient: the few Hugging Face Hub HTTP calls the service makes, behind an interface so that
// rules and cache are testable without sockets (leveldb's Env idea).
//
// Calls block the calling thread until an answer, an error, or the end of their WaitLimits
// (the deadline, or the Cancellation saying nobody waits any more); callers run them on threads
// built for waiting, never on a gRPC callback thread. Implementations are thread-safe.
//
// Errors are absl::Status values carrying a google.rpc.ErrorInfo (server/common/errors.h) whose
// reason is the huggingface_hub exception the same answer raises in Python:
// clang-format off
//   RepositoryNotFoundError   NOT_FOUND          X-Error-Code RepoNotFound, or 401 on a repo URL
//   RevisionNotFoundError     NOT_FOUND          X-Error-Code RevisionNotFound
//   EntryNotFoundError        NOT_FOUND          X-Error-Code EntryNotFound, or 404 on resolve
//   GatedRepoError            PERMISSION_DENIED  X-Error-Code GatedRepo
//   DisabledRepoError         FAILED_PRECONDITION 403 "Access to this resource is disabled."
//   HfHubHTTPError            PERMISSION_DENIED (other 403), UNAUTHENTICATED (other 401),
//                             RESOURCE_EXHAUSTED (429; metadata "retry_after_seconds"),
//                             UNAVAILABLE (5xx after retries), INTERNAL (other statuses)
//   ConnectionError           UNAVAILABLE        DNS, connect, reset, TLS (after retries)
//   TooManyRedirects          UNAVAILABLE        a redirect loop, or more redirects than followed
//   JSONDecodeError           UNAVAILABLE        a 2xx body that is not JSON of the Hub's shape
//   Timeout                   DEADLINE_EXCEEDED  the deadline passed
//   Cancelled                 CANCELLED          the limits' Cancellation said nobody waits
// and metadata "repo_id", "revision" (and "path" for files). Tokens never appear in errors.
// clang-format on
#ifndef TASKS_SERVER_HUB_HUB_CLIENT_H_
#define TASKS_SERVER_HUB_HUB_CLIENT_H_

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "nlohmann/json.hpp"
#include "server/common/cancellation.h"

namespace tasks::hub {

// Who is asking: the Hub token sent as `Authorization: Bearer <token>`, or none.
struct Credentials {
  std::string token;  // empty: anonymous
};

// Who may be shown what a model info says, as far as the answer proves it.
enum class Visibility {
  kRestricted,  // private, gated, or not proven public (a field missing or of another type)
  kPublic,      // the answer said "private": false and "gated": false, both JSON booleans
};

// The fields of GET /api/models/{repo_id}[/revision/{revision}] the rules read. A HubClient hands
// out only answers of the Hub's shape (hub_json.h): `sha` is a commit id (IsCommitSha).
struct ModelInfo {
  std::string id;   // canonical repo id (after a rename redirect)
  std::string sha;  // commit the revision resolved to
  std::optional<std::string> pipeline_tag;
  std::optional<std::string> library_name;
  // Restricted unless proven public: a default or half-read answer must never be shared.
  Visibility visibility = Visibility::kRestricted;
  std::vector<std::string> siblings;  // every file of the commit ("rfilename"), any depth, sorted
  nlohmann::json config;              // "config" object, or null
  nlohmann::json transformers_info;   // "transformersInfo" object, or null
};

// A repo anyone may be shown: proven neither private nor gated. Answers about anything else stay
// with the credentials that obtained them.
inline bool IsPublic(const ModelInfo& info) { return info.visibility == Visibility::kPublic; }

// A full git commit id as the Hub writes it: 40 lowercase hex digits. Only such a sha may become
// a commit in answers, URLs and cache keys.
inline bool IsCommitSha(absl::string_view sha) {
  return sha.size() == 40 && std::all_of(sha.begin(), sha.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

// The Hub endpoints the client calls, for errors and statistics.
enum class HubCall { kModelInfo, kTree, kResolve };
// "model_info", "tree" or "resolve".
inline const char* HubCallName(HubCall call) {
  switch (call) {
    case HubCall::kModelInfo:
      return "model_info";
    case HubCall::kTree:
      return "tree";
    case HubCall::kResolve:
      return "resolve";
  }
  return "unknown";
}

class HubClient {
 public:
  virtual ~HubClient() = default;

  // GET {endpoint}/api/models/{repo_id} (revision empty) or
  // .../api/models/{repo_id}/revision/{url-quoted revision}.
  virtual absl::StatusOr<ModelInfo> GetModelInfo(absl::string_view repo_id,
                                                 absl::string_view revision,
                                                 const Credentials& credentials,
                                                 const WaitLimits& limits) = 0;

  // Every file path of the repo at `revision` (a sha or a ref), following the tree listing's
  // `Link: <...>; rel="next"` pages: GET .../api/models/{repo_id}/tree/{revision}?recursive=True
  // &expand=False.
  virtual absl::StatusOr<std::vector<std::string>> ListRepoFiles(absl::string_view repo_id,
                                                                 absl::string_view revision,
                                                                 const Credentials& credentials,
                                                                 const WaitLimits& limits) = 0;

  // The bytes of one small file: GET {endpoint}/{repo_id}/resolve/{revision}/{path}, following
  // redirects. Bodies over the client's size limit fail with RESOURCE_EXHAUSTED.
  virtual absl::StatusOr<std::string> GetFile(absl::string_view repo_id, absl::string_view revision,
                                              absl::string_view path,
                                              const Credentials& credentials,
                                              const WaitLimits& limits) = 0;
};

}  // namespace tasks::hub

#endif  // TASKS_SERVER_HUB_HUB_CLIENT_H_
