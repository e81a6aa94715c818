// Reading the Hub's JSON answers. Unknown fields are ignored, and a field the rules only read
// (pipeline_tag, config, ...) reads as absent when of an unexpected type: the Hub adds and
// changes fields over time (see /work/shared/reference/hub-samples for real answers). The fields
// the cache's correctness hangs on are checked instead (see ParseModelInfo).
#ifndef TASKS_SERVER_HUB_HUB_JSON_H_
#define TASKS_SERVER_HUB_HUB_JSON_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "server/hub/hub_client.h"

namespace tasks::hub {

// A GET /api/models/... body. Refused unless it has the Hub's shape: an object with a "sha" of 40
// lowercase hex digits, a boolean "private" and a boolean or string "gated" when present, and
// "siblings", when present, a list of objects with a string "rfilename". A 200 answer of another
// shape (a proxy's or mirror's {"error": ...}) would otherwise be cached as a repo without files.
// Errors are plain statuses whose message says what is wrong; the caller turns them into a
// JSONDecodeError with its context. The visibility is kPublic only for "private": false and
// "gated": false. `id` is empty when the body has neither "id" nor "modelId".
absl::StatusOr<ModelInfo> ParseModelInfo(absl::string_view body);

// The file paths of one page of GET /api/models/.../tree/...: entries of type "file" (folders
// are skipped, as huggingface_hub's list_repo_files skips RepoFolder entries).
absl::StatusOr<std::vector<std::string>> ParseTreePage(absl::string_view body);

}  // namespace tasks::hub

#endif  // TASKS_SERVER_HUB_HUB_JSON_H_
