#include "server/hub/repo_id.h"

#include <string>

#include "gtest/gtest.h"

namespace tasks::hub {
namespace {

TEST(RepoId, AcceptsNamesAndNamespacedNames) {
  for (const std::string repo_id : {"gpt2", "openai-community/gpt2", "org_1/name.v2", "_a/_b_"}) {
    EXPECT_EQ(RepoIdProblem(repo_id), "") << repo_id;
  }
}

TEST(RepoId, RefusesWhatValidateRepoIdRefuses) {
  for (const std::string repo_id : {"", "a/b/c", "/name", "org/", "-org/name", "org/name.",
                                    "org/na--me", "org/na..me", "org/na me", "org/name.git"}) {
    EXPECT_NE(RepoIdProblem(repo_id), "") << repo_id;
  }
}

// Stricter than validate_repo_id, which bounds the name alone and takes any Unicode letter.
TEST(RepoId, BoundsTheWholeIdAndKeepsToAscii) {
  EXPECT_EQ(RepoIdProblem(std::string(kMaxRepoIdChars, 'a')), "");
  EXPECT_NE(RepoIdProblem(std::string(kMaxRepoIdChars + 1, 'a')), "");
  EXPECT_NE(RepoIdProblem(std::string(50, 'o') + "/" + std::string(50, 'n')), "");
  EXPECT_NE(RepoIdProblem("org/caf\xc3\xa9"), "");
}

}  // namespace
}  // namespace tasks::hub
