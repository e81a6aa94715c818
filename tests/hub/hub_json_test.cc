// The Hub's JSON answers (hub_json.h): read leniently where the Hub's types vary, refused where
// the cache's correctness hangs on a field.
#include "server/hub/hub_json.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace tasks::hub {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr char kSha[] = R"("sha": "0123456789abcdef0123456789abcdef01234567")";

// A model info body with `members` (JSON object members) besides a valid sha.
std::string Body(const std::string& members) {
  return absl::StrCat("{", kSha, members.empty() ? "" : ", ", members, "}");
}

TEST(HubJson, ReadsGatedPrivateAndOddTypes) {
  absl::StatusOr<ModelInfo> info = ParseModelInfo(
      Body(R"("id": "o/n", "private": true, "gated": "manual", "siblings": [{"rfilename": "b"},
          {"rfilename": "a"}], "config": [1], "pipeline_tag": 7, "unknown": {})"));
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(info->sha, "0123456789abcdef0123456789abcdef01234567");
  EXPECT_EQ(info->visibility, Visibility::kRestricted);
  EXPECT_THAT(info->siblings, ElementsAre("a", "b"));
  EXPECT_TRUE(info->config.is_null());
  EXPECT_FALSE(info->pipeline_tag.has_value());
  EXPECT_FALSE(ParseModelInfo("[]").ok());
  EXPECT_FALSE(ParseModelInfo("{\"id\": ").ok());
}

TEST(HubJson, OnlyBooleanFalsesProveARepoPublic) {
  auto visibility = [](const std::string& members) {
    absl::StatusOr<ModelInfo> info = ParseModelInfo(Body(members));
    EXPECT_TRUE(info.ok()) << members << ": " << info.status();
    return info.ok() ? info->visibility : Visibility::kRestricted;
  };
  EXPECT_EQ(visibility(R"("private": false, "gated": false)"), Visibility::kPublic);
  EXPECT_EQ(visibility(R"("private": false, "gated": "auto")"), Visibility::kRestricted);
  EXPECT_EQ(visibility(R"("private": false, "gated": "false")"), Visibility::kRestricted);
  EXPECT_EQ(visibility(R"("private": false, "gated": true)"), Visibility::kRestricted);
  EXPECT_EQ(visibility(R"("private": true, "gated": false)"), Visibility::kRestricted);
  EXPECT_EQ(visibility(R"("gated": false)"), Visibility::kRestricted);
  EXPECT_EQ(visibility(R"("private": false)"), Visibility::kRestricted);
  EXPECT_EQ(visibility(""), Visibility::kRestricted);
}

TEST(HubJson, RefusesBodiesOfAnotherShape) {
  const std::pair<std::string, std::string> cases[] = {
      {R"({"error": "upstream busy"})", "sha"},
      {R"({"sha": "abc"})", "sha"},
      {R"({"sha": "0123456789ABCDEF0123456789ABCDEF01234567"})", "sha"},
      {R"({"sha": "../../../0123456789abcdef0123456789abcdef"})", "sha"},
      {R"({"sha": 12})", "sha"},
      {Body(R"("private": "false", "gated": false)"), "private"},
      {Body(R"("private": false, "gated": 0)"), "gated"},
      {Body(R"("siblings": {"rfilename": "a"})"), "siblings"},
      {Body(R"("siblings": [{"rfilename": "a"}, 3])"), "rfilename"},
  };
  for (const auto& [body, field] : cases) {
    absl::StatusOr<ModelInfo> info = ParseModelInfo(body);
    ASSERT_FALSE(info.ok()) << body;
    EXPECT_THAT(info.status().message(), HasSubstr(field)) << body;
  }
  // Siblings may be missing (some mirrors omit them); the tree listing stands in.
  EXPECT_TRUE(ParseModelInfo(Body("")).ok());
}

}  // namespace
}  // namespace tasks::hub
