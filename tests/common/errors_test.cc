#include "server/common/errors.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace tasks {
namespace {

TEST(MakeError, CarriesTheExceptionChoicesAndSuggestion) {
  const std::vector<std::string> choices = {"pt", "tf"};
  absl::Status status = MakeError(absl::StatusCode::kInvalidArgument, "ValueError",
                                  "Bad framework.", {"framework", "pf", choices});
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(status.message(), "Bad framework. Did you mean 'pt'? Valid choices: pt, tf.");
  auto info = GetErrorInfo(status);
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->reason(), "ValueError");
  EXPECT_EQ(info->domain(), "optimum.tasks.v1");
  EXPECT_EQ(info->metadata().at("argument"), "framework");
  EXPECT_EQ(info->metadata().at("did_you_mean"), "pt");
  EXPECT_EQ(info->metadata().at("valid_choices"), "pt, tf");
}

TEST(MakeError, WithoutChoicesTheMessageIsUnchanged) {
  absl::Status status = MakeError(absl::StatusCode::kNotFound, "KeyError", "Nope.");
  EXPECT_EQ(status.message(), "Nope.");
  EXPECT_FALSE(GetErrorInfo(status)->metadata().contains("valid_choices"));
}

TEST(MissingArgument, IsAPythonTypeError) {
  absl::Status status = MissingArgument("task");
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(GetErrorInfo(status)->reason(), "TypeError");
  EXPECT_EQ(status.message(), "missing required argument: 'task'");
}

TEST(GetErrorInfo, NothingOnAPlainStatus) {
  EXPECT_FALSE(GetErrorInfo(absl::InternalError("x")).has_value());
}

TEST(EchoInput, ShortValuesAreEscapedWhole) {
  EXPECT_EQ(EchoInput("bert"), "bert");
  EXPECT_EQ(EchoInput("caf\xc3\xa9 'x'"), "caf\\xc3\\xa9 \\'x\\'");
}

TEST(EchoInput, LongValuesAreCutWithTheirLength) {
  const std::string echoed = EchoInput(std::string(4096, '\xff'));
  EXPECT_EQ(echoed.size(), kMaxEchoBytes * 4 + std::string("... (4096 bytes)").size());
  EXPECT_EQ(echoed.substr(echoed.size() - 16), "... (4096 bytes)");
  EXPECT_EQ(EchoInput(std::string(kMaxEchoBytes, 'a')), std::string(kMaxEchoBytes, 'a'));
}

}  // namespace
}  // namespace tasks
