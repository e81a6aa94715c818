// Generations over gRPC: the `optimum-version` metadata chooses the generation answering a call,
// the answer names it, an unknown version is refused as Optimum refuses a bad value, a batch
// stream takes it from the stream's metadata, and ListGenerations describes them. The server is
// in-process on the fake Hub, with 1.23 as its default (tests/test_support.h); expected facts
// come from the reference tables (tests/reference*/), never from the data files.
#include <map>
#include <memory>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/service/service_harness.h"

namespace tasks::testing {
namespace {

namespace v1 = optimum::tasks::v1;
using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

constexpr char kVersionKey[] = "optimum-version";
constexpr char kQwen3Repo[] = "Qwen/Qwen3-0.6B";

// A call with `version` as its `optimum-version` ("" sends none); `generation` receives the
// generation the answer names.
template <typename Request, typename Response, typename Method>
grpc::Status CallAs(Harness& harness, const std::string& version, Method method,
                    const Request& request, Response& response, std::string* generation = nullptr) {
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  if (!version.empty()) context.AddMetadata(kVersionKey, version);
  grpc::Status status = (harness.stub().*method)(&context, request, &response);
  if (generation != nullptr) {
    auto it = context.GetServerInitialMetadata().find(kVersionKey);
    *generation = it == context.GetServerInitialMetadata().end()
                      ? ""
                      : std::string(it->second.data(), it->second.size());
  }
  return status;
}

v1::GetSupportedTasksForModelTypeRequest TasksOf(const std::string& model_type) {
  v1::GetSupportedTasksForModelTypeRequest request;
  request.set_model_type(model_type);
  request.set_exporter("onnx");
  return request;
}

// qwen3's ONNX task keys in the 2.1 reference (optimum-onnx's registrations), in order.
std::vector<std::string> Qwen3OnnxTasks21() {
  std::vector<std::string> keys;
  for (const auto& [task, config_class] :
       GenerationReference(
           "2.1", "backends/onnx.json")["registered_by_decorators"]["transformers"]["qwen3"]
           .items()) {
    keys.push_back(task);
  }
  return keys;
}

bool KnownTo123(const std::string& model_type) {
  return Reference("supported_model_types.json")["libraries"]["transformers"]["model_types"]
      .contains(model_type);
}

TEST(GenerationsService, TheMetadataChoosesTheGenerationAndTheAnswerNamesIt) {
  Harness harness;
  v1::GetSupportedTasksForModelTypeResponse response;
  std::string generation;
  // qwen3 is an ONNX model type of optimum-onnx 0.1.0 (Optimum 2.1), unknown to Optimum 1.23.3.
  ASSERT_THAT(Qwen3OnnxTasks21(), Not(IsEmpty()));
  ASSERT_FALSE(KnownTo123("qwen3"));

  grpc::Status status =
      CallAs(harness, "2.1", &v1::TasksManager::Stub::GetSupportedTasksForModelType,
             TasksOf("qwen3"), response, &generation);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(generation, "2.1");
  std::vector<std::string> keys;
  for (const v1::SupportedTask& task : response.tasks()) keys.push_back(task.task());
  EXPECT_EQ(keys, Qwen3OnnxTasks21());

  for (const std::string& older : {std::string(""), std::string("1.23"), std::string("1.23.3")}) {
    response.Clear();
    status = CallAs(harness, older, &v1::TasksManager::Stub::GetSupportedTasksForModelType,
                    TasksOf("qwen3"), response, &generation);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND) << older;
    EXPECT_EQ(Reason(status), "KeyError");
  }
  // A failed call answered by a generation names it too: it says whose KeyError this is.
  EXPECT_EQ(generation, "1.23");

  v1::GetAllTasksResponse all;
  ASSERT_TRUE(CallAs(harness, "latest", &v1::TasksManager::Stub::GetAllTasks,
                     v1::GetAllTasksRequest(), all, &generation)
                  .ok());
  EXPECT_EQ(generation, "2.1");
  EXPECT_EQ(all.generation(), "2.1");
  EXPECT_THAT(all.environment().frameworks(), ::testing::ElementsAre("pt"));
  EXPECT_THAT(all.exporters(), Not(Contains("tflite")));
}

TEST(GenerationsService, AnUnknownVersionIsAValueErrorWithTheChoices) {
  Harness harness;
  v1::GetSupportedTasksForModelTypeResponse response;
  grpc::Status status =
      CallAs(harness, "2.2.0", &v1::TasksManager::Stub::GetSupportedTasksForModelType,
             TasksOf("bert"), response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(Reason(status), "ValueError");
  EXPECT_THAT(status.error_message(), HasSubstr("1.23, 1.27, 2.1, latest"));

  // Inference calls are refused before anything reaches the Hub.
  v1::ResolveExportRequest resolve;
  resolve.set_model("google-bert/bert-base-uncased");
  resolve.set_exporter("onnx");
  v1::ResolveExportResponse plan;
  status = CallAs(harness, "2.0", &v1::TasksManager::Stub::ResolveExport, resolve, plan);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("Did you mean '2.1'?"));
  EXPECT_EQ(harness.HubRequests(), 0);
}

TEST(GenerationsService, InferenceUsesTheCallsGenerationOverOneSharedHubCache) {
  Harness harness;
  v1::ResolveExportRequest request;
  request.set_model(kQwen3Repo);
  request.set_exporter("onnx");
  v1::ResolveExportResponse plan;
  std::string generation;
  grpc::Status status =
      CallAs(harness, "2.1", &v1::TasksManager::Stub::ResolveExport, request, plan, &generation);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(generation, "2.1");
  EXPECT_EQ(plan.model_type(), "qwen3");
  EXPECT_EQ(plan.exporter_config().config_class(), "Qwen3OnnxConfig");
  const int hub_requests = harness.HubRequests();

  // The same model asked of 1.23: its own answer (qwen3 is no ONNX model type there), and no
  // further Hub request: Hub facts do not depend on the generation.
  plan.Clear();
  status = CallAs(harness, "1.23", &v1::TasksManager::Stub::ResolveExport, request, plan);
  EXPECT_FALSE(status.ok());
  EXPECT_THAT(status.error_message(), HasSubstr("qwen3"));
  EXPECT_EQ(harness.HubRequests(), hub_requests);
}

// config.json's model_type `gpt_neo`: Optimum 1.23 exports it under its key `gpt-neo`, from 1.27
// the key is transformers' own spelling (huggingface/optimum#2279).
TEST(GenerationsService, ResolveExportSpellsTheModelTypeAsTheGenerationKeysIt) {
  Harness harness;
  v1::ResolveExportRequest request;
  request.set_model(HubDir("local_models/gpt-neo-pt"));
  request.set_exporter("onnx");
  const std::map<std::string, std::string> export_model_types = {
      {"1.23", "gpt-neo"}, {"1.27", "gpt_neo"}, {"2.1", "gpt_neo"}};
  for (const auto& [generation, export_model_type] : export_model_types) {
    v1::ResolveExportResponse plan;
    grpc::Status status =
        CallAs(harness, generation, &v1::TasksManager::Stub::ResolveExport, request, plan);
    ASSERT_TRUE(status.ok()) << generation << ": " << status.error_message();
    EXPECT_EQ(plan.model_type(), "gpt_neo") << generation;
    EXPECT_EQ(plan.export_model_type(), export_model_type) << generation;
    EXPECT_EQ(plan.task(), "text-generation") << generation;
    EXPECT_EQ(plan.exporter_config().config_class(), "GPTNeoOnnxConfig") << generation;
  }
}

// Optimum 2.x's determine_framework has no TensorFlow rule: a TensorFlow-only repo is "tf" for
// 1.23 and a FileNotFoundError for 2.1.
TEST(GenerationsService, DetermineFrameworkFollowsTheGenerationsFrameworks) {
  Harness harness;
  v1::DetermineFrameworkRequest request;
  request.set_model_name_or_path("Rocketknight1/distilbert-base-uncased-finetuned-sst2");
  v1::DetermineFrameworkResponse response;
  grpc::Status status =
      CallAs(harness, "1.23", &v1::TasksManager::Stub::DetermineFramework, request, response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response.framework(), "tf");
  status = CallAs(harness, "2.1", &v1::TasksManager::Stub::DetermineFramework, request, response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(Reason(status), "FileNotFoundError");
}

TEST(GenerationsService, KeptAnswersAreKeyedByGeneration) {
  Harness harness;
  // framework "tf": Optimum 1.23 exports from TensorFlow, 2.1 refuses it. An answer kept from
  // 1.23's calls must not answer 2.1's.
  v1::ResolveExportRequest request;
  request.set_model("google-bert/bert-base-uncased");
  request.set_exporter("onnx");
  request.set_framework("tf");
  for (int call = 0; call < 3; ++call) {  // the answer is kept once the model info is cached
    v1::ResolveExportResponse plan;
    grpc::Status status =
        CallAs(harness, "1.23", &v1::TasksManager::Stub::ResolveExport, request, plan);
    ASSERT_TRUE(status.ok()) << status.error_message();
    EXPECT_EQ(plan.framework(), "tf");
  }
  v1::GetCacheStatsResponse stats;
  ASSERT_TRUE(
      harness.Call(&v1::TasksManager::Stub::GetCacheStats, v1::GetCacheStatsRequest(), stats).ok());
  ASSERT_GT(stats.derived_hits(), 0);  // 1.23's answer is kept and reused

  v1::ResolveExportResponse plan;
  grpc::Status status =
      CallAs(harness, "2.1", &v1::TasksManager::Stub::ResolveExport, request, plan);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << status.error_message();
}

TEST(GenerationsService, ABatchStreamTakesItsGenerationFromTheStreamsMetadata) {
  Harness harness;
  const auto run = [&](const std::string& version,
                       std::vector<v1::BatchResolveExportResponse>& answers) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    context.AddMetadata(kVersionKey, version);
    auto stream = harness.stub().BatchResolveExport(&context);
    v1::BatchResolveExportRequest item;
    item.set_id("qwen3");
    item.mutable_request()->set_model(kQwen3Repo);
    item.mutable_request()->set_exporter("onnx");
    stream->Write(item);
    stream->WritesDone();
    v1::BatchResolveExportResponse answer;
    while (stream->Read(&answer)) answers.push_back(answer);
    return stream->Finish();
  };
  std::vector<v1::BatchResolveExportResponse> answers;
  grpc::Status status = run("2.1.0", answers);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_EQ(answers.size(), 1u);
  EXPECT_TRUE(answers[0].has_answer()) << answers[0].error().message();
  EXPECT_EQ(answers[0].answer().model_type(), "qwen3");

  answers.clear();
  ASSERT_TRUE(run("1.23", answers).ok());
  ASSERT_EQ(answers.size(), 1u);
  EXPECT_TRUE(answers[0].has_error());  // 1.23 has no qwen3

  answers.clear();
  status = run("nine", answers);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(Reason(status), "ValueError");
  EXPECT_THAT(answers, IsEmpty());
}

// The upgrade diff over gRPC: qwen3's ONNX rows are added from 1.23 to 2.1, tflite's removed; a
// version no generation covers is refused as on every call.
TEST(GenerationsService, DiffSupportMatrixAnswersTheUpgradeQuestion) {
  Harness harness;
  v1::DiffSupportMatrixRequest request;
  request.set_from_version("1.23.3");
  request.set_to_version("latest");
  request.set_model_type("qwen3");
  v1::DiffSupportMatrixResponse response;
  grpc::Status status = harness.Call(&v1::TasksManager::Stub::DiffSupportMatrix, request, response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response.from_generation(), "1.23");
  EXPECT_EQ(response.to_generation(), "2.1");
  std::vector<std::string> added_onnx;
  for (const v1::SupportMatrixChange& change : response.changes()) {
    EXPECT_EQ(change.kind(), v1::SupportMatrixChange::ADDED);
    if (change.after().exporter() == "onnx") {
      added_onnx.push_back(change.after().task() + (change.after().use_past() ? "-with-past" : ""));
    }
  }
  EXPECT_THAT(added_onnx, ::testing::UnorderedElementsAreArray(Qwen3OnnxTasks21()));

  request.clear_model_type();
  request.set_exporter("tflite");
  response.Clear();
  ASSERT_TRUE(harness.Call(&v1::TasksManager::Stub::DiffSupportMatrix, request, response).ok());
  ASSERT_GT(response.changes_size(), 0);
  for (const v1::SupportMatrixChange& change : response.changes()) {
    EXPECT_EQ(change.kind(), v1::SupportMatrixChange::REMOVED);
    EXPECT_EQ(change.before().exporter(), "tflite");
  }

  request.set_to_version("2.2");
  status = harness.Call(&v1::TasksManager::Stub::DiffSupportMatrix, request, response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(Reason(status), "ValueError");
}

TEST(GenerationsService, ListGenerationsDescribesEachWithItsPackages) {
  Harness harness;
  v1::ListGenerationsResponse response;
  ASSERT_TRUE(
      harness.Call(&v1::TasksManager::Stub::ListGenerations, v1::ListGenerationsRequest(), response)
          .ok());
  ASSERT_EQ(response.generations_size(), 3);
  std::map<std::string, v1::Generation> by_name;
  for (const v1::Generation& generation : response.generations()) {
    by_name[generation.name()] = generation;
  }
  EXPECT_EQ(response.generations(0).name(), "1.23");  // oldest first
  EXPECT_EQ(response.generations(1).name(), "1.27");
  const v1::Generation& old = by_name["1.23"];
  const v1::Generation& bridge = by_name["1.27"];
  const v1::Generation& now = by_name["2.1"];
  EXPECT_EQ(old.optimum_version(), "1.23.3");
  EXPECT_EQ(bridge.optimum_version(), "1.27.0");
  EXPECT_THAT(bridge.frameworks(), ::testing::ElementsAre("pt", "tf"));
  EXPECT_EQ(now.optimum_version(), "2.1.0");
  EXPECT_TRUE(old.is_default());  // this harness's default
  EXPECT_FALSE(now.is_default());
  EXPECT_TRUE(now.is_latest());
  EXPECT_THAT(old.frameworks(), ::testing::ElementsAre("pt", "tf"));
  EXPECT_THAT(now.frameworks(), ::testing::ElementsAre("pt"));
  EXPECT_EQ(now.tasks(),
            static_cast<int>(
                GenerationReference(
                    "2.1", "tasks.json")["all_tasks"]["by_environment"]["torch_and_diffusers"]
                    .size()));

  std::map<std::string, std::string> packages;
  for (const v1::Provenance& package : now.packages())
    packages[package.package()] = package.version();
  EXPECT_EQ(packages["optimum"], "2.1.0");
  EXPECT_EQ(packages["optimum-onnx"], "0.1.0");
  std::vector<std::string> exporters;
  for (const v1::Exporter& exporter : now.exporters()) exporters.push_back(exporter.name());
  EXPECT_EQ(exporters, GenerationReference("2.1", "rules.json")["rules"]["exporters"]["value"]
                           .get<std::vector<std::string>>());

  // Each generation's fingerprint is what ListExporters says when that generation answers.
  for (const v1::Generation& generation : response.generations()) {
    v1::ListExportersResponse listed;
    ASSERT_TRUE(CallAs(harness, generation.name(), &v1::TasksManager::Stub::ListExporters,
                       v1::ListExportersRequest(), listed)
                    .ok());
    EXPECT_EQ(listed.registry_fingerprint(), generation.registry_fingerprint());
  }
  EXPECT_NE(old.registry_fingerprint(), now.registry_fingerprint());
}

}  // namespace
}  // namespace tasks::testing
