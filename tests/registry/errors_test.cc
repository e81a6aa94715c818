// Where Optimum raises, the core fails with the matching code, the Python exception as the
// ErrorInfo reason, and a message a person can act on.
#include "server/common/errors.h"

#include <optional>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/test_support.h"

namespace tasks::registry {
namespace {

using ::tasks::testing::EmbeddedTasksManager;
using ::tasks::testing::Reason;
using ::testing::HasSubstr;
using ::testing::Not;

std::string Metadata(const absl::Status& status, const std::string& key) {
  auto info = GetErrorInfo(status);
  if (!info || !info->metadata().contains(key)) return "";
  return info->metadata().at(key);
}

TEST(GetSupportedTasksForModelTypeErrors, UnknownModelTypeIsNotFoundWithSuggestion) {
  auto answer = EmbeddedTasksManager().GetSupportedTasksForModelType("bertt", "onnx", "me/model",
                                                                     "transformers");
  EXPECT_EQ(answer.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(Reason(answer.status()), "KeyError");
  EXPECT_THAT(answer.status().message(),
              HasSubstr("bertt (me/model) is not supported yet for transformers"));
  EXPECT_THAT(answer.status().message(), HasSubstr("Did you mean 'bert'?"));
  EXPECT_EQ(Metadata(answer.status(), "did_you_mean"), "bert");
  EXPECT_EQ(Metadata(answer.status(), "argument"), "model_type");
  EXPECT_THAT(Metadata(answer.status(), "valid_choices"), HasSubstr("gpt2"));
}

TEST(GetSupportedTasksForModelTypeErrors, UnknownExporterListsTheModelTypesExporters) {
  auto answer = EmbeddedTasksManager().GetSupportedTasksForModelType("bert", "onxx", std::nullopt,
                                                                     "transformers");
  EXPECT_EQ(answer.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Reason(answer.status()), "KeyError");
  EXPECT_EQ(Metadata(answer.status(), "did_you_mean"), "onnx");
  // An exporter nothing registers is looked up among the core exporters (Optimum's own view).
  EXPECT_EQ(Metadata(answer.status(), "valid_choices"), "onnx, tflite");
}

TEST(GetSupportedTasksForModelTypeErrors, UnknownOrEmptyLibraryIsAKeyError) {
  for (const std::string library : {"transformer", ""}) {
    auto answer =
        EmbeddedTasksManager().GetSupportedTasksForModelType("bert", "onnx", std::nullopt, library);
    EXPECT_EQ(answer.status().code(), absl::StatusCode::kInvalidArgument) << library;
    EXPECT_EQ(Reason(answer.status()), "KeyError");
    EXPECT_EQ(Metadata(answer.status(), "argument"), "library_name");
  }
  auto typo = EmbeddedTasksManager().GetSupportedTasksForModelType("bert", "onnx", std::nullopt,
                                                                   "transformer");
  EXPECT_EQ(Metadata(typo.status(), "did_you_mean"), "transformers");
}

TEST(GetSupportedTasksForModelTypeErrors, MergedRegistryReportsTheTransformersLibrary) {
  auto answer = EmbeddedTasksManager().GetSupportedTasksForModelType("nope", "onnx", std::nullopt,
                                                                     std::nullopt);
  EXPECT_EQ(answer.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(answer.status().message(), HasSubstr("not supported yet for transformers"));
  // The merged registry's model types include the other libraries'.
  EXPECT_THAT(Metadata(answer.status(), "valid_choices"), HasSubstr("vae-decoder"));
}

TEST(GetSupportedModelTypeForTaskErrors, UnknownExporterIsAKeyError) {
  auto answer = EmbeddedTasksManager().GetSupportedModelTypeForTask("text-generation", "onnxx");
  EXPECT_EQ(answer.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Reason(answer.status()), "KeyError");
  EXPECT_EQ(Metadata(answer.status(), "did_you_mean"), "onnx");
}

TEST(GetExporterConfigConstructorErrors, ModelTypeIsRequired) {
  auto answer = EmbeddedTasksManager().GetExporterConfigConstructor(
      "onnx", "feature-extraction", std::nullopt, std::nullopt, "transformers");
  EXPECT_EQ(answer.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Reason(answer.status()), "ValueError");
}

TEST(GetExporterConfigConstructorErrors, ModelTypeIsUsedVerbatimInTheFinalLookup) {
  // get_supported_tasks_for_model_type normalises "GPT2", the final registry lookup does not.
  auto answer = EmbeddedTasksManager().GetExporterConfigConstructor(
      "onnx", "text-generation", "GPT2", std::nullopt, "transformers");
  EXPECT_EQ(answer.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(Reason(answer.status()), "KeyError");
  EXPECT_EQ(Metadata(answer.status(), "did_you_mean"), "gpt2");
}

TEST(GetExporterConfigConstructorErrors, LegacyTaskNamesAreNotMappedToTheCanonicalOne) {
  // synonyms_for_task("causal-lm") is empty: callers must map_from_synonym first.
  auto answer = EmbeddedTasksManager().GetExporterConfigConstructor("onnx", "causal-lm", "gpt2",
                                                                    std::nullopt, "transformers");
  EXPECT_EQ(answer.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Reason(answer.status()), "ValueError");
  EXPECT_THAT(Metadata(answer.status(), "valid_choices"), HasSubstr("text-generation-with-past"));
}

TEST(GetExporterConfigConstructor, TaskFallsBackToASynonymThatIsAKey) {
  // "default" is no key of sentence-transformers' clip; its synonym "sentence-similarity" is.
  auto answer = EmbeddedTasksManager().GetExporterConfigConstructor(
      "onnx", "default", "clip", std::nullopt, "sentence_transformers");
  ASSERT_TRUE(answer.ok()) << answer.status();
  EXPECT_EQ(answer->entry->key, "sentence-similarity");
  EXPECT_EQ(answer->entry->config_class, "SentenceTransformersCLIPOnnxConfig");
}

TEST(GetExporterConfigConstructor, WithoutLibraryTasksComeFromTransformersOnly) {
  // Optimum sets library_name to "transformers" before asking for the task map.
  auto unet = EmbeddedTasksManager().GetExporterConfigConstructor(
      "onnx", "semantic-segmentation", "unet", std::nullopt, std::nullopt);
  EXPECT_EQ(unet.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(Reason(unet.status()), "KeyError");
  auto bert = EmbeddedTasksManager().GetExporterConfigConstructor("onnx", "fill-mask", "bert",
                                                                  std::nullopt, std::nullopt);
  ASSERT_TRUE(bert.ok());
  EXPECT_EQ(bert->entry->config_class, "BertOnnxConfig");
}

TEST(GetExporterConfigConstructor, TimmUsesItsDefaultConfigForAnyArchitecture) {
  auto answer = EmbeddedTasksManager().GetExporterConfigConstructor(
      "onnx", "image-classification", "resnet50", std::nullopt, "timm");
  ASSERT_TRUE(answer.ok()) << answer.status();
  EXPECT_EQ(answer->model_type, "default-timm-config");
  EXPECT_EQ(answer->entry->config_class, "TimmDefaultOnnxConfig");
}

TEST(GetExporterConfigConstructor, WithPastKeysBindUsePastAndTheBareTask) {
  auto answer = EmbeddedTasksManager().GetExporterConfigConstructor(
      "onnx", "text-generation-with-past", "gpt2", std::nullopt, "transformers");
  ASSERT_TRUE(answer.ok());
  EXPECT_TRUE(answer->entry->use_past);
  EXPECT_EQ(answer->entry->bound_task, "text-generation");
  EXPECT_EQ(answer->entry->config_class, "GPT2OnnxConfig");
}

TEST(GetModelClassForTaskErrors, BadFrameworkIsAValueError) {
  auto answer = EmbeddedTasksManager().GetModelClassForTask("fill-mask", "jax", std::nullopt,
                                                            std::nullopt, "transformers");
  EXPECT_EQ(answer.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Reason(answer.status()), "ValueError");
  EXPECT_EQ(Metadata(answer.status(), "valid_choices"), "pt, tf");
}

TEST(GetModelClassForTaskErrors, LibraryWithoutLoadersForTheFrameworkIsAKeyError) {
  auto answer = EmbeddedTasksManager().GetModelClassForTask("image-classification", "tf",
                                                            std::nullopt, std::nullopt, "timm");
  EXPECT_EQ(answer.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Reason(answer.status()), "KeyError");
  EXPECT_EQ(Metadata(answer.status(), "valid_choices"), "transformers");
  // Even with model_class_name, the table is looked up first.
  auto named = EmbeddedTasksManager().GetModelClassForTask("image-classification", "tf",
                                                           std::nullopt, "X", "timm");
  EXPECT_EQ(Reason(named.status()), "KeyError");
}

TEST(GetModelClassForTaskErrors, UnknownTaskListsTheTablesTasksAndLoaders) {
  auto answer = EmbeddedTasksManager().GetModelClassForTask("text-generation", "pt", std::nullopt,
                                                            std::nullopt, "timm");
  EXPECT_EQ(answer.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Reason(answer.status()), "KeyError");
  EXPECT_THAT(answer.status().message(), HasSubstr("`image-classification` for create_model"));
  auto typo = EmbeddedTasksManager().GetModelClassForTask("text-generatoin", "pt", std::nullopt,
                                                          std::nullopt, "transformers");
  EXPECT_EQ(Metadata(typo.status(), "did_you_mean"), "text-generation");
  EXPECT_THAT(typo.status().message(),
              HasSubstr("`automatic-speech-recognition` for ('AutoModelForSpeechSeq2Seq', "
                        "'AutoModelForCTC')"));
}

TEST(GetModelClassForTaskErrors, NoCandidateListsTheModelType) {
  auto answer = EmbeddedTasksManager().GetModelClassForTask("automatic-speech-recognition", "pt",
                                                            "bert", std::nullopt, "transformers");
  EXPECT_EQ(answer.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Reason(answer.status()), "ValueError");
  // An empty model type is a model type, not "no model type".
  auto empty = EmbeddedTasksManager().GetModelClassForTask("automatic-speech-recognition", "pt", "",
                                                           std::nullopt, "transformers");
  EXPECT_EQ(Reason(empty.status()), "ValueError");
}

TEST(GetModelClassForTask, StripsWithPastThenMapsSynonyms) {
  auto answer = EmbeddedTasksManager().GetModelClassForTask(
      "causal-lm-with-past", "pt", std::nullopt, std::nullopt, "transformers");
  ASSERT_TRUE(answer.ok());
  EXPECT_EQ(answer->task, "text-generation");
  EXPECT_EQ(answer->class_name, "AutoModelForCausalLM");
  auto tf = EmbeddedTasksManager().GetModelClassForTask("seq2seq-lm-with-past", "tf", std::nullopt,
                                                        std::nullopt, "transformers");
  ASSERT_TRUE(tf.ok());
  EXPECT_EQ(tf->class_name, "TFAutoModelForSeq2SeqLM");
}

TEST(GetModelClassForTask, ModelClassNameIsReturnedWithoutATaskCheck) {
  auto answer = EmbeddedTasksManager().GetModelClassForTask(
      "no-such-task", "pt", "whisper", "WhisperForConditionalGeneration", "transformers");
  ASSERT_TRUE(answer.ok());
  EXPECT_EQ(answer->class_name, "WhisperForConditionalGeneration");
  EXPECT_EQ(answer->module, "transformers");
  EXPECT_EQ(answer->resolution, ModelClass::Resolution::kModelClassName);
}

TEST(GetModelClassForTask, RulesExamples) {
  struct Case {
    std::string task, model_type, expected;
  };
  for (const Case& c : std::vector<Case>{
           {"automatic-speech-recognition", "whisper", "AutoModelForSpeechSeq2Seq"},
           {"automatic-speech-recognition", "wav2vec2", "AutoModelForCTC"},
           {"automatic-speech-recognition", "speech-to-text", "AutoModelForSpeechSeq2Seq"},
           {"image-segmentation", "detr", "AutoModelForImageSegmentation"},
           {"image-segmentation", "segformer", "AutoModelForSemanticSegmentation"},
           {"text-to-audio", "speecht5", "AutoModelForTextToSpectrogram"},
           {"text-to-audio", "musicgen", "AutoModelForTextToWaveform"},
           {"image-to-text", "pix2struct", "Pix2StructForConditionalGeneration"}}) {
    auto answer = EmbeddedTasksManager().GetModelClassForTask(c.task, "pt", c.model_type,
                                                              std::nullopt, "transformers");
    ASSERT_TRUE(answer.ok()) << c.task << "/" << c.model_type << ": " << answer.status();
    EXPECT_EQ(answer->class_name, c.expected) << c.task << "/" << c.model_type;
  }
}

}  // namespace
}  // namespace tasks::registry
