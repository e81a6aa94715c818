#include "tests/hub/fake/hub_api.h"

#include <algorithm>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "nlohmann/json.hpp"
#include "tests/hub/fake/hub_error.h"

namespace tasks::testing::fake_hub {
namespace {

using Json = nlohmann::ordered_json;

// Who sent a request: nobody, a user the fixtures know (by token), or unknown credentials.
struct Caller {
  enum class Kind { kAnonymous, kUser, kInvalid };
  Kind kind;
  std::string token;
};

Caller IdentifyCaller(const FixtureStore& store, const httplib::Request& http_request) {
  if (!http_request.has_header("Authorization")) return {Caller::Kind::kAnonymous, ""};
  constexpr absl::string_view kBearer = "Bearer ";
  const std::string value = http_request.get_header_value("Authorization");
  if (absl::StartsWith(value, kBearer)) {
    std::string token = value.substr(kBearer.size());
    if (store.IsKnownToken(token)) return {Caller::Kind::kUser, std::move(token)};
  }
  return {Caller::Kind::kInvalid, ""};
}

bool HoldsRepoToken(const Caller& caller, const FixtureRepo& repo) {
  return caller.kind == Caller::Kind::kUser && caller.token == repo.token;
}

HubError RepoNotFound(const Caller& caller) {
  // The Hub will not tell an anonymous caller whether a repo exists but is private.
  if (caller.kind == Caller::Kind::kAnonymous) {
    return {401, "RepoNotFound", "Invalid username or password."};
  }
  return {404, "RepoNotFound", "Repository not found"};
}

HubError GatedRepo(const Caller& caller, const std::string& repo_id) {
  if (caller.kind == Caller::Kind::kAnonymous) {
    return {401, "GatedRepo",
            absl::StrCat("Access to model ", repo_id,
                         " is restricted. You must have access to it and be authenticated to "
                         "access it. Please log in.")};
  }
  return {403, "GatedRepo",
          absl::StrCat("Access to model ", repo_id,
                       " is restricted and you are not in the authorized list. Visit "
                       "https://huggingface.co/",
                       repo_id, " to ask for access.")};
}

HubError EntryNotFound() { return {404, "EntryNotFound", "Entry not found"}; }

std::optional<HubError> CheckAccess(const Caller& caller, const FixtureRepo* repo,
                                    const HubRequest& request) {
  if (caller.kind == Caller::Kind::kInvalid) {
    return HubError{401, "", "Invalid credentials in Authorization header"};
  }
  if (repo == nullptr || (repo->is_private && !HoldsRepoToken(caller, *repo))) {
    return RepoNotFound(caller);
  }
  if (repo->is_disabled) return HubError{403, "", "Access to this resource is disabled."};
  // Model info and listings of gated repos are public; only the files are gated.
  if (repo->is_gated && request.endpoint == HubEndpoint::kResolve &&
      !HoldsRepoToken(caller, *repo)) {
    return GatedRepo(caller, repo->id);
  }
  return std::nullopt;
}

void RedirectTo(const std::string& repo_id, const HubRequest& request,
                httplib::Response& response) {
  std::string location = absl::StrCat(request.raw_path.substr(0, request.repo_id_begin), repo_id,
                                      request.raw_path.substr(request.repo_id_end));
  if (!request.raw_query.empty()) absl::StrAppend(&location, "?", request.raw_query);
  response.set_content(absl::StrCat("Temporary Redirect. Redirecting to ", location),
                       "text/plain; charset=utf-8");
  response.set_redirect(location, 307);
}

void AnswerModelInfo(const FixtureRepo& repo, const RepoRevision& revision,
                     httplib::Response& response) {
  Json info = {{"id", repo.id}, {"modelId", repo.id}, {"sha", revision.sha}};
  info.update(revision.model_info);
  Json siblings = Json::array();
  for (const auto& [path, file] : revision.files) siblings.push_back({{"rfilename", path}});
  info["siblings"] = std::move(siblings);
  response.set_content(info.dump(), kJsonContentType);
}

bool IsListed(const std::string& path, const std::string& prefix, bool recursive) {
  return absl::StartsWith(path, prefix) &&
         (recursive || path.find('/', prefix.size()) == std::string::npos);
}

// The tree entries under `folder` ("" = the root): files, and the folders holding them as
// entries of their own, in path order.
std::vector<Json> TreeEntries(const RepoRevision& revision, const std::string& folder,
                              bool recursive) {
  const std::string prefix = folder.empty() ? "" : folder + "/";
  std::map<std::string, Json> entries;
  for (const auto& [path, file] : revision.files) {
    for (size_t slash = path.find('/'); slash != std::string::npos;
         slash = path.find('/', slash + 1)) {
      const std::string parent = path.substr(0, slash);
      if (!IsListed(parent, prefix, recursive)) continue;
      entries.try_emplace(parent, Json{{"type", "directory"},
                                       {"oid", FakeGitHash("tree " + parent)},
                                       {"size", 0},
                                       {"path", parent}});
    }
    if (!IsListed(path, prefix, recursive)) continue;
    entries.try_emplace(
        path,
        Json{{"type", "file"}, {"oid", file.oid}, {"size", file.content.size()}, {"path", path}});
  }
  std::vector<Json> listed;
  for (auto& [path, entry] : entries) listed.push_back(std::move(entry));
  return listed;
}

// Page cursors are opaque to clients, as the Hub's are; here they encode the first index.
std::string EncodeCursor(size_t offset) { return absl::WebSafeBase64Escape(absl::StrCat(offset)); }

std::optional<size_t> DecodeCursor(const httplib::Request& http_request) {
  if (!http_request.has_param("cursor")) return 0;
  std::string decoded;
  size_t offset = 0;
  if (!absl::WebSafeBase64Unescape(http_request.get_param_value("cursor"), &decoded) ||
      !absl::SimpleAtoi(decoded, &offset)) {
    return std::nullopt;
  }
  return offset;
}

// `Link: <this URL with cursor=...>; rel="next"`, the other query parameters kept as sent.
std::string NextPageLink(const HubRequest& request, const httplib::Request& http_request,
                         size_t offset) {
  std::vector<std::string> params;
  for (absl::string_view param : absl::StrSplit(request.raw_query, '&', absl::SkipEmpty())) {
    if (!absl::StartsWith(param, "cursor=")) params.emplace_back(param);
  }
  params.push_back("cursor=" + EncodeCursor(offset));
  return absl::StrCat("<http://", http_request.local_addr, ":", http_request.local_port,
                      request.raw_path, "?", absl::StrJoin(params, "&"), ">; rel=\"next\"");
}

void AnswerTree(const FixtureRepo& repo, const RepoRevision& revision, const HubRequest& request,
                const httplib::Request& http_request, httplib::Response& response) {
  const std::string recursive = http_request.get_param_value("recursive");
  const std::vector<Json> entries =
      TreeEntries(revision, request.path, recursive == "True" || recursive == "true");
  if (!request.path.empty() && entries.empty()) return SetHubError(EntryNotFound(), response);
  const std::optional<size_t> offset = DecodeCursor(http_request);
  if (!offset.has_value() || *offset > entries.size()) {
    return SetHubError({400, "", "Invalid cursor"}, response);
  }
  const size_t end = std::min(entries.size(), *offset + repo.tree_page_size);
  if (end < entries.size()) {
    response.set_header("Link", NextPageLink(request, http_request, end));
  }
  Json page = Json::array();
  for (size_t i = *offset; i < end; ++i) page.push_back(entries[i]);
  response.set_content(page.dump(), kJsonContentType);
}

void AnswerResolve(const RepoRevision& revision, const HubRequest& request,
                   httplib::Response& response) {
  // Also on EntryNotFound: huggingface_hub files the miss under that commit (.no_exist/).
  response.set_header("X-Repo-Commit", revision.sha);
  const auto file = revision.files.find(request.path);
  if (file == revision.files.end()) return SetHubError(EntryNotFound(), response);
  response.set_header("ETag", absl::StrCat("\"", file->second.oid, "\""));
  response.set_content(file->second.content, "application/octet-stream");
}

}  // namespace

void AnswerHubRequest(const FixtureStore& store, const HubRequest& request,
                      const httplib::Request& http_request, httplib::Response& response) {
  if (request.endpoint == HubEndpoint::kOther) {
    return SetHubError({404, "", "Sorry, we can't find the page you are looking for."}, response);
  }
  if (std::optional<std::string> current_id = store.RenamedTo(request.repo_id)) {
    return RedirectTo(*current_id, request, response);
  }
  const FixtureRepo* repo = store.Find(request.repo_id);
  if (std::optional<HubError> error =
          CheckAccess(IdentifyCaller(store, http_request), repo, request)) {
    return SetHubError(*error, response);
  }
  const RepoRevision* revision = repo->FindRevision(request.revision);
  if (revision == nullptr) {
    return SetHubError({404, "RevisionNotFound", "Invalid rev id: " + request.revision}, response);
  }
  switch (request.endpoint) {
    case HubEndpoint::kModelInfo:
      return AnswerModelInfo(*repo, *revision, response);
    case HubEndpoint::kTree:
      return AnswerTree(*repo, *revision, request, http_request, response);
    case HubEndpoint::kResolve:
      return AnswerResolve(*revision, request, response);
    case HubEndpoint::kOther:
      break;  // answered above
  }
}

}  // namespace tasks::testing::fake_hub
