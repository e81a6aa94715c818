// The inference rules on hand-made facts: each rule's branch, in Optimum's order.
#include "server/inference/rules.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/test_support.h"

namespace tasks::inference {
namespace {

using ::tasks::testing::EmbeddedTasksManager;
using ::tasks::testing::Reason;
using json = nlohmann::json;

const registry::RegistrySnapshot& Snapshot() { return EmbeddedTasksManager().snapshot(); }

// determine_framework for a generation exporting from `frameworks` (1.23's by default).
std::string Framework(std::vector<std::string> files,
                      std::vector<std::string> frameworks = Snapshot().frameworks) {
  auto answer = DetermineFramework(files, frameworks);
  return answer.ok() ? answer->value : Reason(answer.status());
}

TEST(DetermineFramework, FollowsOptimumsOrder) {
  EXPECT_EQ(Framework({"config.json", "pytorch_model.bin"}), "pt");
  EXPECT_EQ(Framework({"model-00001-of-00002.safetensors", "model.safetensors.index.json"}), "pt");
  EXPECT_EQ(Framework({"pytorch_model-00001-of-00003.bin"}), "pt");
  EXPECT_EQ(Framework({"tf_model.h5", "config.json"}), "tf");
  EXPECT_EQ(Framework({"tf_model.h5", "model.safetensors"}), "pt");  // PyTorch wins
  EXPECT_EQ(Framework({"model_index.json", "unet/diffusion_pytorch_model.safetensors"}), "pt");
  EXPECT_EQ(Framework({"config_sentence_transformers.json", "modules.json"}), "pt");
  EXPECT_EQ(Framework({"model.onnx", "config.json"}), "FileNotFoundError");
  EXPECT_EQ(Framework({"model.bin", "config.json"}), "FileNotFoundError");
  EXPECT_EQ(Framework({"model.safetensors.index.json"}), "FileNotFoundError");
  EXPECT_EQ(Framework({"sub/pytorch_model.bin", "config.json"}), "FileNotFoundError");
  EXPECT_EQ(Framework({"flax_model.msgpack"}), "FileNotFoundError");
}

// Optimum 2.x's determine_framework has no TensorFlow rule (optimum/exporters/tasks.py:630 at
// v2.1.0): TensorFlow weights alone are a FileNotFoundError that asks for PyTorch weights only.
TEST(DetermineFramework, WithoutTensorFlowTensorFlowWeightsMatchNothing) {
  EXPECT_EQ(Framework({"tf_model.h5", "config.json"}, {"pt"}), "FileNotFoundError");
  EXPECT_EQ(Framework({"tf_model.h5", "model.safetensors"}, {"pt"}), "pt");
  auto answer = DetermineFramework({"tf_model.h5"}, std::vector<std::string>{"pt"});
  EXPECT_THAT(answer.status().message(), ::testing::Not(::testing::HasSubstr("TensorFlow")));
}

TEST(DetermineFramework, EvidenceNamesTheFile) {
  auto answer = DetermineFramework({"README.md", "model.safetensors"}, Snapshot().frameworks);
  ASSERT_TRUE(answer.ok());
  EXPECT_THAT(answer->evidence.facts, ::testing::ElementsAre("model.safetensors at top level"));
}

TEST(InferLibrary, FileNamesFirstThenConfigKeys) {
  auto library = [](std::vector<std::string> files) -> std::string {
    auto answer = InferLibraryFromFiles(files);
    if (!answer.ok()) return Reason(answer.status());
    return *answer ? (*answer)->value : "needs config.json";
  };
  EXPECT_EQ(library({"model_index.json", "config.json", "sentence_bert_config.json"}), "diffusers");
  EXPECT_EQ(library({"sentence_bert_config.json", "config.json"}), "sentence_transformers");
  EXPECT_EQ(library({"config_sentence_transformers.json"}), "sentence_transformers");
  EXPECT_EQ(library({"sentence_xyz/readme.md", "config.json"}), "sentence_transformers");
  EXPECT_EQ(library({"config.json", "model.safetensors"}), "needs config.json");
  EXPECT_EQ(library({"model.safetensors"}), "ValueError");

  EXPECT_EQ(InferLibraryFromConfig(json{{"architecture", "resnet50"}}).value, "timm");
  EXPECT_EQ(InferLibraryFromConfig(json{{"pretrained_cfg", nullptr}}).value, "timm");
  EXPECT_EQ(InferLibraryFromConfig(json{{"_diffusers_version", "0.31.0"}}).value, "diffusers");
  EXPECT_EQ(InferLibraryFromConfig(json{{"architectures", {"BertModel"}}}).value, "transformers");
}

std::string HubTask(absl::string_view library, HubTaskFacts facts) {
  auto answer = InferTaskFromHub(Snapshot(), "org/model", library, facts);
  return answer.ok() ? answer->value : Reason(answer.status());
}

TEST(InferTaskFromHub, TransformersPrefersPipelineTagThenTransformersInfo) {
  EXPECT_EQ(HubTask("transformers", {"fill-mask", nullptr, nullptr}), "fill-mask");
  EXPECT_EQ(HubTask("transformers", {"summarization", nullptr, nullptr}), "text2text-generation");
  // Not validated: unknown tags pass through.
  EXPECT_EQ(HubTask("transformers", {"image-text-to-text", nullptr, nullptr}),
            "image-text-to-text");
  EXPECT_EQ(HubTask("transformers", {std::nullopt, nullptr, json{{"pipeline_tag", "translation"}}}),
            "text2text-generation");
  EXPECT_EQ(HubTask("transformers", {std::nullopt, nullptr,
                                     json{{"auto_model", "TFAutoModelForSequenceClassification"}}}),
            "text-classification");
  EXPECT_EQ(HubTask("transformers", {std::nullopt, nullptr, json{{"auto_model", "AutoModel"}}}),
            "feature-extraction");
  EXPECT_EQ(
      HubTask("transformers", {std::nullopt, nullptr, json{{"auto_model", "AutoModelForCTC"}}}),
      "automatic-speech-recognition");
  EXPECT_EQ(HubTask("transformers", {std::nullopt, nullptr, nullptr}), "KeyError");
}

TEST(InferTaskFromHub, DiffusersTimmAndSentenceTransformers) {
  EXPECT_EQ(HubTask("diffusers",
                    {std::nullopt,
                     json{{"diffusers", {{"_class_name", "StableDiffusionXLPipeline"}}}}, nullptr}),
            "text-to-image");
  EXPECT_EQ(
      HubTask("diffusers",
              {std::nullopt,
               json{{"diffusers", {{"_class_name", "StableDiffusionInpaintPipeline"}}}}, nullptr}),
      "inpainting");
  EXPECT_EQ(
      HubTask("diffusers",
              {std::nullopt, json{{"diffusers", {{"_class_name", "UnknownPipeline"}}}}, nullptr}),
      "KeyError");
  EXPECT_EQ(HubTask("diffusers", {"stable-diffusion-xl", nullptr, nullptr}), "text-to-image");
  EXPECT_EQ(HubTask("timm", {std::nullopt, nullptr, nullptr}), "image-classification");
  EXPECT_EQ(HubTask("sentence_transformers", {"sentence-similarity", nullptr, nullptr}),
            "feature-extraction");
}

TEST(InferTaskFromFolder, ArchitecturesThroughTheAutoClassTables) {
  auto task = [](absl::string_view library, const json& config, const json& index) {
    auto answer = InferTaskFromFolder(Snapshot(), "/models/x", library, {&config, &index});
    return answer.ok() ? answer->value : Reason(answer.status());
  };
  const json none;
  EXPECT_EQ(task("transformers", json{{"architectures", {"BertForMaskedLM"}}}, none), "fill-mask");
  EXPECT_EQ(
      task("transformers", json{{"architectures", {"TFBertForSequenceClassification"}}}, none),
      "text-classification");
  EXPECT_EQ(
      task("transformers", json{{"architectures", {"WhisperForConditionalGeneration"}}}, none),
      "automatic-speech-recognition");
  EXPECT_EQ(task("transformers", json{{"model_type", "bert"}}, none), "KeyError");
  EXPECT_EQ(task("diffusers", none, json{{"_class_name", "StableDiffusionPipeline"}}),
            "text-to-image");
  EXPECT_EQ(task("sentence_transformers", none, none), "feature-extraction");
  EXPECT_EQ(task("timm", none, none), "image-classification");
}

TEST(ExportModelType, PerLibrary) {
  auto type = [](absl::string_view library, absl::string_view name) {
    auto answer = ExportModelType(Snapshot(), library, name);
    return answer.ok() ? answer->value : Reason(answer.status());
  };
  EXPECT_EQ(type("diffusers", "StableDiffusionPipeline"), "stable-diffusion");
  EXPECT_EQ(type("diffusers", "StableDiffusionXLImg2ImgPipeline"), "stable-diffusion-xl");
  EXPECT_EQ(type("diffusers", "NoSuchPipeline"), "KeyError");
  EXPECT_EQ(type("timm", "resnet50"), "resnet50");
  EXPECT_EQ(type("sentence_transformers", "sentence_transformers.models.Transformer"),
            "transformer");
  EXPECT_EQ(type("sentence_transformers", "CLIPModel"), "clip");
  EXPECT_EQ(type("sentence_transformers", "StaticEmbedding"), "ValueError");
  EXPECT_EQ(type("transformers", "bert"), "bert");
}

}  // namespace
}  // namespace tasks::inference
