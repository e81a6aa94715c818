#include "server/hub/repo_id.h"

#include <algorithm>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace tasks::hub {
namespace {

bool IsWordChar(char c) { return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '_'; }

// One side of "namespace/name" as REPO_ID_REGEX reads it: word characters, '-' and '.', starting
// and ending with a word character (its \b anchors).
bool IsValidIdPart(absl::string_view part) {
  if (part.empty() || !IsWordChar(part.front()) || !IsWordChar(part.back())) return false;
  return std::all_of(part.begin(), part.end(),
                     [](char c) { return IsWordChar(c) || c == '-' || c == '.'; });
}

}  // namespace

std::string RepoIdProblem(absl::string_view repo_id) {
  const std::vector<absl::string_view> parts = absl::StrSplit(repo_id, '/');
  if (parts.size() > 2) {
    return absl::StrCat("Repo id must be in the form 'repo_name' or 'namespace/repo_name': '",
                        repo_id, "'. Use `repo_type` argument if needed.");
  }
  if (repo_id.size() > kMaxRepoIdChars || !std::all_of(parts.begin(), parts.end(), IsValidIdPart)) {
    return absl::StrCat(
        "Repo id must use alphanumeric chars or '-', '_', '.', '--' and '..' are forbidden, '-' "
        "and '.' cannot start or end the name, max length is ",
        kMaxRepoIdChars, ": '", repo_id, "'.");
  }
  if (absl::StrContains(repo_id, "--") || absl::StrContains(repo_id, "..")) {
    return absl::StrCat("Cannot have -- or .. in repo_id: '", repo_id, "'.");
  }
  if (absl::EndsWith(repo_id, ".git")) {
    return absl::StrCat("Repo_id cannot end by '.git': '", repo_id, "'.");
  }
  return "";
}

}  // namespace tasks::hub
