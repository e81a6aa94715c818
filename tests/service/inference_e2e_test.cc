// The inference RPCs end to end: an in-process server with the libcurl Hub client against the
// fake Hub (tests/hub/fixtures), a model root (tests/hub/local_models) and an HF cache folder
// (tests/hub/hf_cache). Expected answers are Optimum's for each fixture
// (optimum/exporters/tasks.py: TasksManager.get_model_files, determine_framework,
// infer_library_from_model, infer_task_from_model and standardize_model_attributes).
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "grpcpp/create_channel.h"
#include "gtest/gtest.h"
#include "optimum/tasks/v1/tasks_manager.grpc.pb.h"
#include "server/hub/curl_hub_client.h"
#include "server/service/server.h"
#include "spdlog/sinks/ostream_sink.h"
#include "spdlog/spdlog.h"
#include "tests/hub/fake_hub.h"
#include "tests/service/service_harness.h"
#include "tests/test_support.h"

namespace tasks::service {
namespace {

namespace v1 = optimum::tasks::v1;
using ::tasks::testing::FakeHub;
using ::tasks::testing::Fault;
using ::tasks::testing::Harness;
using ::tasks::testing::HubDir;
using ::tasks::testing::HubEndpoint;
using ::tasks::testing::kAcmeToken;
using ::tasks::testing::kLlamaToken;
using ::tasks::testing::Reason;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

// "value" or "CODE Reason" for an answer.
template <typename Response>
std::string Outcome(const grpc::Status& status, const Response& response,
                    const std::string& (Response::*field)() const) {
  if (status.ok()) return (response.*field)();
  return std::to_string(status.error_code()) + " " + Reason(status);
}

class InferenceE2eTest : public ::testing::Test {
 protected:
  // The answer field of `method`'s response, or "CODE Reason".
  template <typename Request, typename Response, typename Method>
  std::string Ask(Method method, const Request& request,
                  const std::string& (Response::*answer)() const) {
    Response response;
    grpc::Status status = harness_.Call(method, request, response);
    return Outcome(status, response, answer);
  }

  std::string Framework(const std::string& model, const std::string& subfolder = "",
                        const std::string& revision = "") {
    v1::DetermineFrameworkRequest request;
    request.set_model_name_or_path(model);
    request.set_subfolder(subfolder);
    request.set_revision(revision);
    return Ask(&v1::TasksManager::Stub::DetermineFramework, request,
               &v1::DetermineFrameworkResponse::framework);
  }
  std::string Library(const std::string& model, const std::string& subfolder = "") {
    v1::InferLibraryFromModelRequest request;
    request.set_model(model);
    request.set_subfolder(subfolder);
    return Ask(&v1::TasksManager::Stub::InferLibraryFromModel, request,
               &v1::InferLibraryFromModelResponse::library_name);
  }
  std::string Task(const std::string& model) {
    v1::InferTaskFromModelRequest request;
    request.set_model(model);
    return Ask(&v1::TasksManager::Stub::InferTaskFromModel, request,
               &v1::InferTaskFromModelResponse::task);
  }
  std::string ExportModelType(const std::string& model) {
    v1::StandardizeModelAttributesRequest request;
    request.set_model(model);
    return Ask(&v1::TasksManager::Stub::StandardizeModelAttributes, request,
               &v1::StandardizeModelAttributesResponse::export_model_type);
  }

  Harness harness_;
};

std::string Error(int code, const std::string& reason) {
  return std::to_string(code) + " " + reason;
}

TEST_F(InferenceE2eTest, DetermineFramework) {
  EXPECT_EQ(Framework("google-bert/bert-base-uncased"), "pt");
  EXPECT_EQ(Framework("bert-base-uncased"), "pt");  // renamed repo
  EXPECT_EQ(Framework("distilbert/distilbert-base-uncased", "", "v1.0"), "tf");
  EXPECT_EQ(Framework("Rocketknight1/distilgpt2-finetuned-wikitext2"), "tf");
  EXPECT_EQ(Framework("Qwen/Qwen2.5-3B"), "pt");
  EXPECT_EQ(Framework("stabilityai/stable-diffusion-2-1"), "pt");
  EXPECT_EQ(Framework("sentence-transformers/clip-ViT-B-32"), "pt");
  EXPECT_EQ(Framework("hf-internal-testing/tiny-random-bert-subfolder", "bert"), "pt");
  for (const std::string model :
       {"optimum/distilbert-base-uncased-finetuned-sst-2-english",
        "Qwen/Qwen2.5-0.5B-Instruct-GGUF", "hf-internal-testing/tiny-random-bert-subfolder",
        "facebook/fasttext-language-identification", "madebyollin/sdxl-vae-fp16-fix"}) {
    EXPECT_EQ(Framework(model), Error(5, "FileNotFoundError")) << model;
  }
  EXPECT_EQ(Framework(HubDir("local_models/distilbert-pt")), "pt");
}

TEST_F(InferenceE2eTest, InferLibraryFromModel) {
  EXPECT_EQ(Library("google-bert/bert-base-uncased"), "transformers");
  EXPECT_EQ(Library("hf-internal-testing/test-two-configs"), "transformers");
  EXPECT_EQ(Library("stabilityai/stable-diffusion-2-1"), "diffusers");
  EXPECT_EQ(Library("madebyollin/sdxl-vae-fp16-fix"), "diffusers");
  EXPECT_EQ(Library("timm/resnet50.a1_in1k"), "timm");
  EXPECT_EQ(Library("nateraw/timm-resnet50-beans"), "timm");
  EXPECT_EQ(Library("sentence-transformers/all-MiniLM-L6-v2"), "sentence_transformers");
  EXPECT_EQ(Library("sentence-transformers/clip-ViT-B-32"), "sentence_transformers");
  EXPECT_EQ(Library("hf-internal-testing/tiny-random-bert-subfolder", "bert"), "transformers");
  EXPECT_EQ(Library("Qwen/Qwen2.5-0.5B-Instruct-GGUF"), Error(3, "ValueError"));
  EXPECT_EQ(Library("facebook/fasttext-language-identification"), Error(3, "ValueError"));
  EXPECT_EQ(Library(HubDir("local_models/resnet50-timm")), "timm");
}

TEST_F(InferenceE2eTest, InferTaskFromModel) {
  EXPECT_EQ(Task("google-bert/bert-base-uncased"), "fill-mask");
  EXPECT_EQ(Task("microsoft/codebert-base"), "feature-extraction");
  EXPECT_EQ(Task("Rocketknight1/distilbert-base-uncased-finetuned-sst2"), "text-classification");
  EXPECT_EQ(Task("Helsinki-NLP/opus-mt-en-de"), "text2text-generation");
  EXPECT_EQ(Task("facebook/bart-large-cnn"), "text2text-generation");
  EXPECT_EQ(Task("microsoft/speecht5_tts"), "text-to-audio");
  EXPECT_EQ(Task("llava-hf/llava-1.5-7b-hf"), "image-text-to-text");
  EXPECT_EQ(Task("openai/whisper-tiny"), "automatic-speech-recognition");
  EXPECT_EQ(Task("stabilityai/stable-diffusion-2-1"), "text-to-image");
  EXPECT_EQ(Task("segmind/SSD-1B"), "text-to-image");
  EXPECT_EQ(Task("timm/resnet50.a1_in1k"), "image-classification");
  EXPECT_EQ(Task("sentence-transformers/all-MiniLM-L6-v2"), "feature-extraction");
  EXPECT_EQ(Task("THUDM/chatglm3-6b"), Error(5, "KeyError"));
  EXPECT_EQ(Task("stabilityai/stable-video-diffusion-img2vid-xt"), Error(5, "KeyError"));
  EXPECT_EQ(Task("madebyollin/sdxl-vae-fp16-fix"), Error(5, "KeyError"));
  // Local folders: from their config files (a deliberate improvement).
  EXPECT_EQ(Task(HubDir("local_models/distilbert-pt")), "fill-mask");
  EXPECT_EQ(Task(HubDir("local_models/tiny-sd-pipeline")), "text-to-image");
}

TEST_F(InferenceE2eTest, StandardizeModelAttributes) {
  EXPECT_EQ(ExportModelType("stabilityai/stable-diffusion-2-1"), "stable-diffusion");
  EXPECT_EQ(ExportModelType("segmind/SSD-1B"), "stable-diffusion-xl");
  EXPECT_EQ(ExportModelType("timm/resnet50.a1_in1k"), "resnet50");
  EXPECT_EQ(ExportModelType("sentence-transformers/all-MiniLM-L6-v2"), "transformer");
  EXPECT_EQ(ExportModelType("sentence-transformers/clip-ViT-B-32"), "clip");
  EXPECT_EQ(ExportModelType("google-bert/bert-base-uncased"), "bert");
}

TEST_F(InferenceE2eTest, ResolveExportForATransformersModel) {
  grpc::Status status;
  v1::ResolveExportResponse plan = harness_.Resolve("openai-community/gpt2", "onnx", &status);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(plan.source().source(), "hub");
  EXPECT_EQ(plan.source().commit_sha().size(), 40u);
  EXPECT_EQ(plan.library_name(), "transformers");
  EXPECT_EQ(plan.framework(), "pt");
  EXPECT_EQ(plan.task(), "text-generation");
  EXPECT_EQ(plan.task_with_past(), "text-generation-with-past");
  EXPECT_EQ(plan.export_model_type(), "gpt2");
  EXPECT_EQ(plan.model_class().class_name(), "AutoModelForCausalLM");
  EXPECT_EQ(plan.exporter_config().config_class(), "GPT2OnnxConfig");
  EXPECT_EQ(plan.supported_tasks_size(), 6);
  EXPECT_EQ(plan.evidence_size(), 4);
  // An inferred ASR task loads the model's own architecture, as get_model_from_task does.
  plan = harness_.Resolve("openai/whisper-tiny", "onnx", &status);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(plan.model_class().class_name(), "WhisperForConditionalGeneration");
  EXPECT_EQ(plan.exporter_config().config_class(), "WhisperOnnxConfig");
}

TEST_F(InferenceE2eTest, ResolveExportForOtherLibraries) {
  grpc::Status status;
  v1::ResolveExportResponse plan =
      harness_.Resolve("stabilityai/stable-diffusion-2-1", "onnx", &status);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(plan.model_class().class_name(), "AutoPipelineForText2Image");
  EXPECT_FALSE(plan.has_exporter_config());
  std::vector<std::string> parts;
  for (const v1::PipelineComponent& component : plan.components()) {
    parts.push_back(component.name() + "=" + component.config_class());
  }
  EXPECT_THAT(parts,
              ElementsAre("text_encoder=CLIPTextOnnxConfig", "unet=UNetOnnxConfig",
                          "vae_encoder=VaeEncoderOnnxConfig", "vae_decoder=VaeDecoderOnnxConfig"));

  plan = harness_.Resolve("sentence-transformers/all-MiniLM-L6-v2", "onnx", &status);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(plan.model_class().class_name(), "SentenceTransformer");
  EXPECT_EQ(plan.exporter_config().config_class(), "SentenceTransformersTransformerOnnxConfig");

  plan = harness_.Resolve("timm/resnet50.a1_in1k", "onnx", &status);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(plan.model_class().class_name(), "create_model");
  EXPECT_EQ(plan.exporter_config().config_class(), "TimmDefaultOnnxConfig");
  EXPECT_EQ(plan.exporter_config().model_type(), "default-timm-config");
}

TEST_F(InferenceE2eTest, ResolveExportErrorsNameTheirStep) {
  grpc::Status status;
  harness_.Resolve("THUDM/chatglm3-6b", "onnx", &status);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_THAT(status.error_message(), HasSubstr("task: "));
  harness_.Resolve("google-bert/bert-base-uncased", "onnxx", &status);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("supported_tasks: "));
  EXPECT_THAT(status.error_message(), HasSubstr("Did you mean 'onnx'?"));
  harness_.Resolve("nobody/nothing", "onnx", &status);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(Reason(status), "RepositoryNotFoundError");
  harness_.Resolve("example-org/disabled-gpt2-finetune", "onnx", &status);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  harness_.Resolve("/etc", "onnx", &status);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  harness_.Resolve("not a repo", "onnx", &status);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  // An inferred speech model loads with architectures[0]: a number there is an error, not a
  // crash of the server (the next call is answered).
  harness_.Resolve("example-org/whisper-bad-architectures", "onnx", &status);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(Reason(status), "TypeError");
  EXPECT_THAT(status.error_message(), HasSubstr("model_class: "));
  harness_.Resolve("openai/whisper-tiny", "onnx", &status);
  EXPECT_TRUE(status.ok()) << status.error_message();
}

TEST_F(InferenceE2eTest, ColdResolveCostsAtMostTwoHubRequestsAndWarmNone) {
  grpc::Status status;
  for (const std::string model :
       {"google-bert/bert-base-uncased", "timm/resnet50.a1_in1k",
        "sentence-transformers/all-MiniLM-L6-v2", "stabilityai/stable-diffusion-2-1"}) {
    const int before = harness_.HubRequests();
    harness_.Resolve(model, "onnx", &status);
    ASSERT_TRUE(status.ok()) << model << ": " << status.error_message();
    EXPECT_LE(harness_.HubRequests() - before, 2) << model;
    const int warm = harness_.HubRequests();
    harness_.Resolve(model, "onnx", &status);
    EXPECT_EQ(harness_.HubRequests(), warm) << model;
  }
}

TEST_F(InferenceE2eTest, ConcurrentColdCallsForOneModelCostOneColdCall) {
  std::vector<std::thread> callers;
  std::atomic<int> ok{0};
  for (int i = 0; i < 64; ++i) {
    callers.emplace_back([&] {
      grpc::Status status;
      harness_.Resolve("Qwen/Qwen2.5-3B", "onnx", &status);
      ok += status.ok();
    });
  }
  for (std::thread& caller : callers) caller.join();
  EXPECT_EQ(ok, 64);
  EXPECT_EQ(harness_.hub().RequestCount(HubEndpoint::kModelInfo), 1);
  EXPECT_EQ(harness_.hub().RequestCount(HubEndpoint::kResolve), 1);
}

TEST_F(InferenceE2eTest, AWarmCallGetsTheAnswerComputedFromTheSameModelInfo) {
  auto derived_hits = [this] {
    v1::GetCacheStatsResponse stats;
    EXPECT_TRUE(
        harness_.Call(&v1::TasksManager::Stub::GetCacheStats, v1::GetCacheStatsRequest(), stats)
            .ok());
    return stats.derived_hits();
  };
  // Computed (and kept once the model info is warm), then copied: the same answer but for where
  // the model info came from.
  auto expect_reused = [&](auto method, const auto& request, auto computed) {
    auto copied = computed;
    ASSERT_TRUE(harness_.Call(method, request, computed).ok()) << request.GetTypeName();
    ASSERT_TRUE(harness_.Call(method, request, computed).ok()) << request.GetTypeName();
    const int64_t before = derived_hits();
    ASSERT_TRUE(harness_.Call(method, request, copied).ok()) << request.GetTypeName();
    EXPECT_EQ(derived_hits(), before + 1) << request.GetTypeName();
    EXPECT_EQ(copied.source().source(), "cache");
    EXPECT_EQ(copied.SerializeAsString(), computed.SerializeAsString()) << request.GetTypeName();
  };
  const std::string model = "google-bert/bert-base-uncased";
  v1::DetermineFrameworkRequest framework;
  framework.set_model_name_or_path(model);
  expect_reused(&v1::TasksManager::Stub::DetermineFramework, framework,
                v1::DetermineFrameworkResponse());
  v1::InferLibraryFromModelRequest library;
  library.set_model(model);
  expect_reused(&v1::TasksManager::Stub::InferLibraryFromModel, library,
                v1::InferLibraryFromModelResponse());
  v1::InferTaskFromModelRequest task;
  task.set_model(model);
  expect_reused(&v1::TasksManager::Stub::InferTaskFromModel, task,
                v1::InferTaskFromModelResponse());
  v1::StandardizeModelAttributesRequest attributes;
  attributes.set_model(model);
  expect_reused(&v1::TasksManager::Stub::StandardizeModelAttributes, attributes,
                v1::StandardizeModelAttributesResponse());
  v1::ResolveExportRequest resolve;
  resolve.set_model(model);
  resolve.set_exporter("onnx");
  expect_reused(&v1::TasksManager::Stub::ResolveExport, resolve, v1::ResolveExportResponse());

  // A model asked about once keeps only its Hub answers: model info and config.json.
  v1::GetCacheStatsResponse stats;
  ASSERT_TRUE(
      harness_.Call(&v1::TasksManager::Stub::GetCacheStats, v1::GetCacheStatsRequest(), stats)
          .ok());
  const int64_t entries = stats.entries();
  resolve.set_model("openai-community/gpt2");
  v1::ResolveExportResponse gpt2;
  ASSERT_TRUE(harness_.Call(&v1::TasksManager::Stub::ResolveExport, resolve, gpt2).ok());
  EXPECT_EQ(gpt2.source().source(), "hub");
  ASSERT_TRUE(
      harness_.Call(&v1::TasksManager::Stub::GetCacheStats, v1::GetCacheStatsRequest(), stats)
          .ok());
  EXPECT_EQ(stats.entries(), entries + 2);

  // Another question about the same model is answered for itself.
  resolve.set_model(model);
  resolve.set_task("text-classification");
  v1::ResolveExportResponse classification;
  ASSERT_TRUE(harness_.Call(&v1::TasksManager::Stub::ResolveExport, resolve, classification).ok());
  EXPECT_EQ(classification.task(), "text-classification");
  EXPECT_EQ(classification.model_class().class_name(), "AutoModelForSequenceClassification");
}

TEST_F(InferenceE2eTest, PrivateAnswersAreServedOnlyWithTheirToken) {
  grpc::Status status;
  harness_.Resolve("meta-llama/Llama-2-7b-hf", "onnx", &status, kLlamaToken);
  ASSERT_TRUE(status.ok()) << status.error_message();
  // Gated: model info is public, its files are not.
  harness_.Resolve("meta-llama/Llama-2-7b-hf", "onnx", &status);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(Reason(status), "GatedRepoError");
  EXPECT_THAT(status.error_message(), Not(HasSubstr(kLlamaToken)));
}

TEST_F(InferenceE2eTest, APrivateModelInfoIsNeverServedToAnotherCaller) {
  grpc::Status status;
  v1::ResolveExportResponse plan =
      harness_.Resolve("acme-corp/internal-bert-classifier", "onnx", &status, kAcmeToken);
  ASSERT_TRUE(status.ok()) << status.error_message();
  const int requests = harness_.HubRequests();
  // Cached for the token that fetched it...
  harness_.Resolve("acme-corp/internal-bert-classifier", "onnx", &status, kAcmeToken);
  EXPECT_TRUE(status.ok());
  EXPECT_EQ(harness_.HubRequests(), requests);
  // ... and never for anyone else: they ask the Hub, which refuses them.
  for (const std::string token : {"", kLlamaToken}) {
    harness_.Resolve("acme-corp/internal-bert-classifier", "onnx", &status, token);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND) << token;
  }
  EXPECT_GT(harness_.HubRequests(), requests);
}

TEST_F(InferenceE2eTest, TokensNeverReachTheLogs) {
  std::ostringstream captured;
  auto previous = spdlog::default_logger();
  auto logger = std::make_shared<spdlog::logger>(
      "capture", std::make_shared<spdlog::sinks::ostream_sink_mt>(captured));
  logger->set_level(spdlog::level::trace);
  spdlog::set_default_logger(logger);
  grpc::Status status;
  harness_.Resolve("meta-llama/Llama-2-7b-hf", "onnx", &status, kLlamaToken);
  harness_.Resolve("acme-corp/internal-bert-classifier", "onnx", &status, kLlamaToken);
  spdlog::set_default_logger(previous);
  EXPECT_THAT(captured.str(), HasSubstr("meta-llama/Llama-2-7b-hf"));  // it did log the calls
  EXPECT_THAT(captured.str(), Not(HasSubstr(kLlamaToken)));
}

TEST(InferenceE2eFaults, StaleAnswersWhileTheHubFailsAndFreshOnesAfter) {
  ServerOptions options;
  options.cache.model_info_ttl = absl::ZeroDuration();  // every call revalidates
  Harness harness(options);
  grpc::Status status;
  harness.Resolve("google-bert/bert-base-uncased", "onnx", &status);
  ASSERT_TRUE(status.ok());
  harness.hub().InjectFault({.kind = testing::Fault::Kind::kStatus, .times = -1, .status = 503});
  v1::ResolveExportResponse plan =
      harness.Resolve("google-bert/bert-base-uncased", "onnx", &status);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(plan.source().source(), "stale-cache");
  // Never seen before: no stale answer, the Hub's failure comes through.
  harness.Resolve("openai-community/gpt2", "onnx", &status);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE);
  harness.hub().ClearFaults();
  plan = harness.Resolve("google-bert/bert-base-uncased", "onnx", &status);
  ASSERT_TRUE(status.ok());
  EXPECT_EQ(plan.source().source(), "hub");
}

TEST(InferenceE2eFaults, EachFaultEndsWithAClearCodeAndTheServerStaysUp) {
  using Kind = testing::Fault::Kind;
  struct Case {
    testing::Fault fault;
    grpc::StatusCode expected;
  };
  const std::vector<Case> cases = {
      {{.kind = Kind::kStatus, .times = -1, .status = 500}, grpc::StatusCode::UNAVAILABLE},
      {{.kind = Kind::kTooManyRequests, .times = -1, .retry_after_seconds = 60},
       grpc::StatusCode::RESOURCE_EXHAUSTED},
      {{.kind = Kind::kReset, .times = -1}, grpc::StatusCode::UNAVAILABLE},
      {{.kind = Kind::kMalformedBody, .times = -1}, grpc::StatusCode::UNAVAILABLE},
      {{.kind = Kind::kOversizedBody, .times = -1, .body_bytes = 64 << 20},
       grpc::StatusCode::RESOURCE_EXHAUSTED},
      // A single reset is retried away.
      {{.kind = Kind::kReset, .times = 1}, grpc::StatusCode::OK},
  };
  Harness harness;
  int model = 0;
  for (const Case& c : cases) {
    harness.hub().ClearFaults();
    harness.hub().InjectFault(c.fault);
    grpc::Status status;
    // A model neither cache has (the HF cache folder would answer for the Hub), so the fault
    // is met.
    const std::vector<std::string> models = {
        "openai-community/gpt2",   "HuggingFaceTB/SmolLM-135M",   "Qwen/Qwen2.5-3B",
        "microsoft/codebert-base", "deepset/roberta-base-squad2", "openai/whisper-tiny"};
    SCOPED_TRACE(models.at(model));
    harness.Resolve(models.at(model++), "onnx", &status);
    EXPECT_EQ(status.error_code(), c.expected)
        << static_cast<int>(c.fault.kind) << ": " << status.error_message();
  }
  harness.hub().ClearFaults();
  grpc::Status status;
  harness.Resolve("google-bert/bert-base-uncased", "onnx", &status);
  EXPECT_TRUE(status.ok()) << status.error_message();
}

TEST(InferenceE2eFaults, EveryCallEndsWithinItsDeadline) {
  Harness harness;
  harness.hub().InjectFault(
      {.kind = testing::Fault::Kind::kDelay, .times = -1, .delay = absl::Seconds(5)});
  v1::DetermineFrameworkRequest request;
  request.set_model_name_or_path("google-bert/bert-base-uncased");
  v1::DetermineFrameworkResponse response;
  const absl::Time start = absl::Now();
  grpc::Status status =
      harness.Call(&v1::TasksManager::Stub::DetermineFramework, request, response, "", 500);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);
  EXPECT_LT(absl::Now() - start, absl::Seconds(2));
}

TEST(InferenceE2eServerToken, AnonymousCallersUseItOnlyWhenAllowed) {
  ServerOptions options;
  options.service.anonymous_token = [] { return std::string(kLlamaToken); };
  Harness allowed(options);
  grpc::Status status;
  allowed.Resolve("meta-llama/Llama-2-7b-hf", "onnx", &status);
  EXPECT_TRUE(status.ok()) << status.error_message();
  // A caller's own token still wins over the server's.
  allowed.Resolve("acme-corp/internal-bert-classifier", "onnx", &status, kAcmeToken);
  EXPECT_TRUE(status.ok()) << status.error_message();
  Harness refused;  // the default: anonymous callers stay anonymous
  refused.Resolve("meta-llama/Llama-2-7b-hf", "onnx", &status);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
}

TEST(InferenceE2eStats, CacheStatisticsAreLoggedPeriodically) {
  std::ostringstream captured;
  auto previous = spdlog::default_logger();
  spdlog::set_default_logger(std::make_shared<spdlog::logger>(
      "capture", std::make_shared<spdlog::sinks::ostream_sink_mt>(captured)));
  {
    ServerOptions options;
    options.stats_log_interval = absl::Milliseconds(20);
    Harness harness(options);
    grpc::Status status;
    harness.Resolve("google-bert/bert-base-uncased", "onnx", &status);
    v1::GetCacheStatsResponse stats;
    ASSERT_TRUE(
        harness.Call(&v1::TasksManager::Stub::GetCacheStats, v1::GetCacheStatsRequest(), stats)
            .ok());
    EXPECT_EQ(stats.misses(), 2);  // model info and config.json
    EXPECT_EQ(stats.upstream_requests().at("model_info OK"), 1);
    for (int i = 0; i < 200 && captured.str().find("hub cache:") == std::string::npos; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }
  spdlog::set_default_logger(previous);
  EXPECT_THAT(captured.str(), HasSubstr("hub cache:"));
  EXPECT_THAT(captured.str(), HasSubstr("model_info OK x1"));
}

TEST(InferenceE2eReload, AnswersOfThePreviousRegistryAreNotReused) {
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("tasks-e2e-reload-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  auto write_registry = [&dir](const std::string& config_class) {
    std::ofstream(dir / "mine.txtpb")
        << "exporter: \"mine\"\nregistration { library: \"transformers\" model_type: \"bert\" "
        << "config_class: \"" << config_class << "\" task: [\"fill-mask\"] }\n";
  };
  ServerOptions options;
  options.registry_dirs = {dir.string()};
  Harness harness(options);
  auto config_class = [&harness] {
    grpc::Status status;
    v1::ResolveExportResponse plan =
        harness.Resolve("google-bert/bert-base-uncased", "mine", &status);
    return status.ok() ? plan.exporter_config().config_class() : status.error_message();
  };
  write_registry("MineBertConfig");
  ASSERT_TRUE(harness.server().ReloadRegistry().ok());
  EXPECT_EQ(config_class(), "MineBertConfig");
  EXPECT_EQ(config_class(), "MineBertConfig");  // computed from the cached model info, and kept
  write_registry("MineBertConfigV2");
  ASSERT_TRUE(harness.server().ReloadRegistry().ok());
  EXPECT_EQ(config_class(), "MineBertConfigV2");
  std::filesystem::remove_all(dir);
}

TEST(InferenceE2eOffline, AnswersFromTheHfCacheFolderOnly) {
  ServerOptions options;
  options.locator.offline = true;
  Harness harness(options);
  grpc::Status status;
  v1::ResolveExportResponse plan =
      harness.Resolve("google-bert/bert-base-uncased", "onnx", &status);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(plan.source().source(), "hf-cache-dir");
  EXPECT_EQ(plan.source().commit_sha(), "86b5e0934494bd15c9632b12f734a8a67f723594");
  EXPECT_EQ(plan.task(), "fill-mask");
  harness.Resolve("openai-community/gpt2", "onnx", &status);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(harness.HubRequests(), 0);
}

// Beyond the worker pool's bound, calls are refused at once rather than queued without limit,
// and the calls that were accepted still succeed.
TEST(InferenceE2eOverload, BeyondTheQueueCallsAreRefusedWithResourceExhausted) {
  ServerOptions options;
  options.hub_threads = 1;
  options.max_queued_calls = 2;
  Harness harness(options);
  harness.hub().InjectFault(
      {.kind = Fault::Kind::kDelay, .times = -1, .delay = absl::Milliseconds(300)});
  const std::vector<std::string>& repos = testing::kPublicRepos;
  std::vector<grpc::Status> statuses(repos.size());
  std::vector<std::thread> callers;
  for (size_t i = 0; i < repos.size(); ++i) {
    callers.emplace_back([&, i] { harness.Resolve(repos[i], "onnx", &statuses[i]); });
  }
  for (std::thread& caller : callers) caller.join();
  int ok = 0, refused = 0;
  for (const grpc::Status& status : statuses) {
    ok += status.ok();
    if (status.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED) {
      ++refused;
      EXPECT_THAT(status.error_message(), HasSubstr("retry with backoff"));
    }
  }
  EXPECT_EQ(ok + refused, static_cast<int>(repos.size()));
  EXPECT_GE(refused, static_cast<int>(repos.size()) - 3);  // 1 running + 2 queued at most
  EXPECT_GE(ok, 1);
}

}  // namespace
}  // namespace tasks::service
