// Which Hub call a request is, read from its raw target the way huggingface.co routes it.
#ifndef TASKS_TESTS_HUB_FAKE_HUB_REQUEST_H_
#define TASKS_TESTS_HUB_FAKE_HUB_REQUEST_H_

#include <cstddef>
#include <string>

#include "tests/hub/fake_hub.h"

namespace tasks::testing::fake_hub {

struct HubRequest {
  HubEndpoint endpoint = HubEndpoint::kOther;
  std::string repo_id;            // "org/name", or a legacy one-part id such as "gpt2"
  std::string revision = "main";  // decoded ("refs/pr/1"); "main" when the URL names none
  std::string path;               // resolve: the file; tree: the folder listed ("" = root)

  // The target as received (still percent-encoded) and where the repo id sits in raw_path, so
  // that redirects and next-page links keep everything else byte for byte.
  std::string raw_path;
  std::string raw_query;
  size_t repo_id_begin = 0;
  size_t repo_id_end = 0;
};

// Parses a request target such as "/api/models/org/name/tree/main?recursive=True" or
// "/org/name/resolve/refs%2Fpr%2F1/unet/config.json". Path segments are percent-decoded one by
// one, so an encoded "/" stays inside its segment (revisions are sent that way).
HubRequest ParseHubRequest(const std::string& target);

}  // namespace tasks::testing::fake_hub

#endif  // TASKS_TESTS_HUB_FAKE_HUB_REQUEST_H_
