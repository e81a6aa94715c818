// The fake Hub's answers to the calls huggingface_hub makes (model info, tree listing, file
// resolve), from the fixtures, with the Hub's redirects and access rules.
#ifndef TASKS_TESTS_HUB_FAKE_HUB_API_H_
#define TASKS_TESTS_HUB_FAKE_HUB_API_H_

#include "httplib.h"
#include "tests/hub/fake/fixture_store.h"
#include "tests/hub/fake/hub_request.h"

namespace tasks::testing::fake_hub {

// Answers `request` (parsed from `http_request`) into `response`, in this order:
//   - a renamed repo's old id: 307 to the same URL under the current id;
//   - credentials: a Bearer token no fixture has is refused (401), as the Hub refuses them;
//   - missing or private repo: RepoNotFound, 401 when anonymous, 404 for a known user;
//   - disabled repo: 403 "Access to this resource is disabled.";
//   - gated repo, file download without the repo's token: GatedRepo, 401 anonymous, else 403;
//   - unknown revision: 404 RevisionNotFound; missing file or folder: 404 EntryNotFound;
//   - then the model info, the tree page, or the file.
void AnswerHubRequest(const FixtureStore& store, const HubRequest& request,
                      const httplib::Request& http_request, httplib::Response& response);

}  // namespace tasks::testing::fake_hub

#endif  // TASKS_TESTS_HUB_FAKE_HUB_API_H_
