// Reading the Hub's JSON answers. Unknown fields are ignored, and a field of an unexpected type
// reads as absent: the Hub adds and changes fields over time (see
// /work/shared/reference/hub-samples for real answers).
#ifndef TASKS_SERVER_HUB_HUB_JSON_H_
#define TASKS_SERVER_HUB_HUB_JSON_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "server/hub/hub_client.h"

namespace tasks::hub {

// A GET /api/models/... body. Errors (not JSON, not an object) are plain statuses whose message
// says what is wrong; the caller turns them into a JSONDecodeError with its context. `id` is
// empty when the body has neither "id" nor "modelId".
absl::StatusOr<ModelInfo> ParseModelInfo(absl::string_view body);

// The file paths of one page of GET /api/models/.../tree/...: entries of type "file" (folders
// are skipped, as huggingface_hub's list_repo_files skips RepoFolder entries).
absl::StatusOr<std::vector<std::string>> ParseTreePage(absl::string_view body);

}  // namespace tasks::hub

#endif  // TASKS_SERVER_HUB_HUB_JSON_H_
