// The Hub repo id grammar, the one every check of a repo id uses: the request's model name
// (inference::ValidateRepoId) and the Hub client's arguments (HubErrors::Validate).
//
// It is huggingface_hub's validate_repo_id (huggingface_hub/utils/_validators.py) made stricter
// in two ways that keep an id safe to put in a URL path and a cache folder name as it is: ASCII
// word characters only (Python's \w also takes other letters), and at most 96 characters for the
// whole id, not the name alone.
#ifndef TASKS_SERVER_HUB_REPO_ID_H_
#define TASKS_SERVER_HUB_REPO_ID_H_

#include <cstddef>
#include <string>

#include "absl/strings/string_view.h"

namespace tasks::hub {

inline constexpr size_t kMaxRepoIdChars = 96;

// Why `repo_id` is not a Hub repo id, in validate_repo_id's words; empty when it is one. A repo
// id is 'name' or 'namespace/name', each part made of ASCII letters, digits, '_', '-' and '.',
// starting and ending with a letter, digit or '_'; it has no "--" or "..", does not end in
// ".git", and has at most kMaxRepoIdChars characters.
std::string RepoIdProblem(absl::string_view repo_id);

}  // namespace tasks::hub

#endif  // TASKS_SERVER_HUB_REPO_ID_H_
