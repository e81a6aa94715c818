// The Hub's JSON answers (hub_json.h) read leniently where the Hub's types vary.
#include "server/hub/hub_json.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace tasks::hub {
namespace {

using ::testing::ElementsAre;

TEST(HubJson, ReadsGatedPrivateAndOddTypes) {
  absl::StatusOr<ModelInfo> info = ParseModelInfo(
      R"({"id": "o/n", "private": true, "gated": "manual", "siblings": [{"rfilename": "a"}, 3],
          "config": [1], "pipeline_tag": 7, "unknown": {}})");
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_TRUE(info->is_private);
  EXPECT_TRUE(info->gated);
  EXPECT_THAT(info->siblings, ElementsAre("a"));
  EXPECT_TRUE(info->config.is_null());
  EXPECT_FALSE(info->pipeline_tag.has_value());
  EXPECT_TRUE(ParseModelInfo(R"({"gated": "auto"})")->gated);
  EXPECT_TRUE(ParseModelInfo(R"({"gated": true})")->gated);
  EXPECT_FALSE(ParseModelInfo(R"({"gated": false})")->gated);
  EXPECT_FALSE(ParseModelInfo("[]").ok());
  EXPECT_FALSE(ParseModelInfo("{\"id\": ").ok());
}

}  // namespace
}  // namespace tasks::hub
