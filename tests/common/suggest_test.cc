#include "server/common/suggest.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace tasks {
namespace {

const std::vector<std::string> kChoices = {
    "onnx", "tflite", "openvino", "neuron", "text-generation", "text-classification", "gpt2"};

TEST(ClosestMatch, CaseAndSeparatorDifferencesWinOutright) {
  EXPECT_EQ(ClosestMatch("GPT2", kChoices), "gpt2");
  EXPECT_EQ(ClosestMatch("text_generation", kChoices), "text-generation");
}

TEST(ClosestMatch, TyposWithinTheBudget) {
  EXPECT_EQ(ClosestMatch("onxx", kChoices), "onnx");
  EXPECT_EQ(ClosestMatch("openvion", kChoices), "openvino");  // transposition: one edit
  EXPECT_EQ(ClosestMatch("text-clasification", kChoices), "text-classification");
}

TEST(ClosestMatch, NothingForUnrelatedOrEmptyValues) {
  EXPECT_EQ(ClosestMatch("tensorrt", kChoices), std::nullopt);
  EXPECT_EQ(ClosestMatch("", kChoices), std::nullopt);
  EXPECT_EQ(ClosestMatch("xy", kChoices), std::nullopt);
  EXPECT_EQ(ClosestMatch("onnx", {}), std::nullopt);
}

}  // namespace
}  // namespace tasks
