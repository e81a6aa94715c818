// The fake Hub's access rules: tokens, missing, private, gated and disabled repos, renames.
#include <string>

#include "gtest/gtest.h"
#include "tests/hub/fake_hub.h"
#include "tests/hub/fake_hub_test_util.h"

namespace tasks::testing {
namespace {

constexpr char kInvalidCredentials[] = "Invalid credentials in Authorization header";

TEST_F(FakeHubTest, MissingRepoIs401WhenAnonymousAnd404ForAUser) {
  for (const std::string path :
       {"/api/models/nobody/nothing", "/api/models/nobody/nothing/tree/main",
        "/nobody/nothing/resolve/main/config.json"}) {
    SCOPED_TRACE(path);
    ExpectHubError(Get(path), 401, "RepoNotFound", "Invalid username or password.");
    ExpectHubError(Get(path, Bearer(kAcmeToken)), 404, "RepoNotFound", "Repository not found");
  }
}

TEST_F(FakeHubTest, UnknownTokenIsRefusedEvenForPublicRepos) {
  ExpectHubError(Get("/api/models/google-bert/bert-base-uncased", Bearer("hf_not_a_real_token")),
                 401, "", kInvalidCredentials);
  ExpectHubError(Get("/google-bert/bert-base-uncased/resolve/main/config.json",
                     {{"Authorization", "token-without-scheme"}}),
                 401, "", kInvalidCredentials);
}

TEST_F(FakeHubTest, PublicReposIgnoreAKnownTokenOfAnotherRepo) {
  EXPECT_EQ(GetJson("/api/models/google-bert/bert-base-uncased", Bearer(kAcmeToken))["id"],
            "google-bert/bert-base-uncased");
}

TEST_F(FakeHubTest, PrivateRepoLooksMissingWithoutItsToken) {
  const std::string repo = "acme-corp/internal-bert-classifier";
  for (const std::string& path : {"/api/models/" + repo, "/api/models/" + repo + "/tree/main",
                                  "/" + repo + "/resolve/main/config.json"}) {
    SCOPED_TRACE(path);
    ExpectHubError(Get(path), 401, "RepoNotFound", "Invalid username or password.");
    ExpectHubError(Get(path, Bearer(kLlamaToken)), 404, "RepoNotFound", "Repository not found");
    httplib::Result allowed = Get(path, Bearer(kAcmeToken));
    ASSERT_TRUE(allowed);
    EXPECT_EQ(allowed->status, 200);
  }
  EXPECT_EQ(GetJson("/api/models/" + repo, Bearer(kAcmeToken))["private"], true);
}

TEST_F(FakeHubTest, GatedRepoShowsItsInfoAndTreeButNotItsFiles) {
  const std::string repo = "meta-llama/Llama-2-7b-hf";
  EXPECT_EQ(GetJson("/api/models/" + repo)["gated"], "manual");
  EXPECT_TRUE(GetJson("/api/models/" + repo + "/tree/main?recursive=True").is_array());

  const std::string file = "/" + repo + "/resolve/main/config.json";
  ExpectHubError(Get(file), 401, "GatedRepo",
                 "Access to model meta-llama/Llama-2-7b-hf is restricted. You must have access "
                 "to it and be authenticated to access it. Please log in.");
  ExpectHubError(Get(file, Bearer(kGemmaToken)), 403, "GatedRepo",
                 "Access to model meta-llama/Llama-2-7b-hf is restricted and you are not in the "
                 "authorized list. Visit https://huggingface.co/meta-llama/Llama-2-7b-hf to ask "
                 "for access.");
  httplib::Result allowed = Get(file, Bearer(kLlamaToken));
  ASSERT_TRUE(allowed);
  EXPECT_EQ(allowed->status, 200);
  EXPECT_EQ(allowed->body, FixtureFile(repo, "config.json"));
}

TEST_F(FakeHubTest, AutoGatedRepoNeedsItsTokenToo) {
  EXPECT_EQ(GetJson("/api/models/google/gemma-2b")["gated"], "auto");
  httplib::Result anonymous = Get("/google/gemma-2b/resolve/main/config.json");
  ASSERT_TRUE(anonymous);
  EXPECT_EQ(anonymous->status, 401);
  EXPECT_EQ(anonymous->get_header_value("X-Error-Code"), "GatedRepo");
  httplib::Result allowed = Get("/google/gemma-2b/resolve/main/config.json", Bearer(kGemmaToken));
  ASSERT_TRUE(allowed);
  EXPECT_EQ(allowed->status, 200);
}

TEST_F(FakeHubTest, DisabledRepoIsForbiddenEverywhere) {
  const std::string repo = "example-org/disabled-gpt2-finetune";
  for (const std::string& path : {"/api/models/" + repo, "/api/models/" + repo + "/tree/main",
                                  "/" + repo + "/resolve/main/config.json"}) {
    SCOPED_TRACE(path);
    ExpectHubError(Get(path), 403, "", "Access to this resource is disabled.");
  }
}

TEST_F(FakeHubTest, RenamedRepoRedirectsToTheSamePathUnderItsNewId) {
  struct Case {
    std::string path;
    std::string location;
  };
  for (const Case& c : {
           Case{"/api/models/gpt2", "/api/models/openai-community/gpt2"},
           Case{"/api/models/gpt2/revision/main",
                "/api/models/openai-community/gpt2/revision/main"},
           Case{"/api/models/bert-base-uncased/tree/main?recursive=True&expand=False",
                "/api/models/google-bert/bert-base-uncased/tree/main?recursive=True&expand=False"},
           Case{"/gpt2/resolve/main/config.json",
                "/openai-community/gpt2/resolve/main/config.json"},
       }) {
    SCOPED_TRACE(c.path);
    httplib::Result result = Get(c.path);
    ASSERT_TRUE(result);
    EXPECT_EQ(result->status, 307);
    EXPECT_EQ(result->get_header_value("Location"), c.location);
  }
}

TEST_F(FakeHubTest, FollowingTheRenameRedirectGivesTheCurrentRepo) {
  httplib::Client client(hub_.endpoint());
  client.set_follow_location(true);
  httplib::Result result = client.Get("/api/models/bert-base-uncased");
  ASSERT_TRUE(result);
  EXPECT_EQ(result->status, 200);
  EXPECT_EQ(nlohmann::json::parse(result->body)["id"], "google-bert/bert-base-uncased");
}

}  // namespace
}  // namespace tasks::testing
