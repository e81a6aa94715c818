// End to end over gRPC: an in-process server on 127.0.0.1:0 with the embedded registry, every
// RPC, the error details trailer, health and reflection.
#include <memory>
#include <string>

#include "gmock/gmock.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "gtest/gtest.h"
#include "optimum/tasks/v1/tasks_manager.grpc.pb.h"
#include "server/service/server.h"
#include "src/proto/grpc/reflection/v1alpha/reflection.grpc.pb.h"
#include "tests/test_support.h"

namespace tasks::service {
namespace {

namespace v1 = optimum::tasks::v1;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

class ServiceTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    ServerOptions options;
    options.listen_address = "127.0.0.1:0";
    auto server = TasksServer::Start(options, testing::SharedEmbeddedGenerations(), nullptr);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = server->release();
    channel_ = new std::shared_ptr<grpc::Channel>(grpc::CreateChannel(
        "127.0.0.1:" + std::to_string(server_->port()), grpc::InsecureChannelCredentials()));
  }
  static void TearDownTestSuite() {
    server_->Shutdown(std::chrono::system_clock::now());
    server_->Wait();
    delete server_;
    delete channel_;
  }

  std::unique_ptr<v1::TasksManager::Stub> Stub() { return v1::TasksManager::NewStub(*channel_); }

  // Calls `method` and returns its status; the response lands in `response`.
  template <typename Request, typename Response, typename Method>
  grpc::Status Call(Method method, const Request& request, Response& response) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    auto stub = Stub();
    return ((*stub).*method)(&context, request, &response);
  }

  static google::rpc::ErrorInfo ErrorInfoOf(const grpc::Status& status) {
    google::rpc::Status details;
    EXPECT_TRUE(details.ParseFromString(status.error_details()));
    EXPECT_EQ(details.code(), status.error_code());
    EXPECT_EQ(details.message(), status.error_message());
    google::rpc::ErrorInfo info;
    EXPECT_EQ(details.details_size(), 1);
    if (details.details_size() == 1) {
      EXPECT_EQ(details.details(0).type_url(), "type.googleapis.com/google.rpc.ErrorInfo");
      EXPECT_TRUE(details.details(0).UnpackTo(&info));
    }
    return info;
  }

  static inline TasksServer* server_ = nullptr;
  static inline std::shared_ptr<grpc::Channel>* channel_ = nullptr;
};

TEST_F(ServiceTest, GetAllTasksReportsTheEnvironmentAndExporters) {
  v1::GetAllTasksResponse response;
  ASSERT_TRUE(Call(&v1::TasksManager::Stub::GetAllTasks, v1::GetAllTasksRequest(), response).ok());
  EXPECT_EQ(response.tasks_size(), 27);
  EXPECT_EQ(response.tasks(0), "audio-classification");
  EXPECT_THAT(response.exporters(), ElementsAre("onnx", "tflite", "openvino", "neuron"));
  EXPECT_EQ(response.environment().all_tasks_framework(), "pt");
  EXPECT_THAT(response.environment().installed_packages(), Contains("diffusers"));
  EXPECT_THAT(response.environment().libraries(), Contains("sentence_transformers"));
}

TEST_F(ServiceTest, MapFromSynonym) {
  v1::MapFromSynonymRequest request;
  request.set_task("causal-lm-with-past");
  v1::MapFromSynonymResponse response;
  ASSERT_TRUE(Call(&v1::TasksManager::Stub::MapFromSynonym, request, response).ok());
  EXPECT_EQ(response.task(), "text-generation-with-past");
  EXPECT_TRUE(response.is_synonym());
  EXPECT_TRUE(response.is_with_past());
  request.set_task("feature-extraction");
  ASSERT_TRUE(Call(&v1::TasksManager::Stub::MapFromSynonym, request, response).ok());
  EXPECT_THAT(response.synonyms_for_task(), ElementsAre("default", "image-feature-extraction",
                                                        "mask-generation", "sentence-similarity"));
}

TEST_F(ServiceTest, RequiredFieldsLeftEmptyAreATypeError) {
  v1::MapFromSynonymResponse response;
  grpc::Status status =
      Call(&v1::TasksManager::Stub::MapFromSynonym, v1::MapFromSynonymRequest(), response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ErrorInfoOf(status).reason(), "TypeError");
}

TEST_F(ServiceTest, GetSupportedTasksForModelType) {
  v1::GetSupportedTasksForModelTypeRequest request;
  request.set_model_type("gpt2");
  request.set_exporter("onnx");
  request.set_library_name("transformers");
  v1::GetSupportedTasksForModelTypeResponse response;
  ASSERT_TRUE(Call(&v1::TasksManager::Stub::GetSupportedTasksForModelType, request, response).ok());
  ASSERT_EQ(response.tasks_size(), 6);
  EXPECT_EQ(response.tasks(1).task(), "feature-extraction-with-past");
  EXPECT_EQ(response.tasks(1).config_class(), "GPT2OnnxConfig");
  EXPECT_TRUE(response.tasks(1).use_past());
  EXPECT_EQ(response.tasks(1).bound_task(), "feature-extraction");
  EXPECT_EQ(response.library_name(), "transformers");
}

TEST_F(ServiceTest, ErrorsCarryTheExceptionAndChoicesInTheStatusDetails) {
  v1::GetSupportedTasksForModelTypeRequest request;
  request.set_model_type("bert");
  request.set_exporter("onxx");
  v1::GetSupportedTasksForModelTypeResponse response;
  grpc::Status status =
      Call(&v1::TasksManager::Stub::GetSupportedTasksForModelType, request, response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("Did you mean 'onnx'?"));
  google::rpc::ErrorInfo info = ErrorInfoOf(status);
  EXPECT_EQ(info.reason(), "KeyError");
  EXPECT_EQ(info.domain(), "optimum.tasks.v1");
  EXPECT_EQ(info.metadata().at("did_you_mean"), "onnx");
  EXPECT_EQ(info.metadata().at("argument"), "exporter");
}

TEST_F(ServiceTest, UnsetLibraryMergesButAnEmptyOneIsAKeyError) {
  v1::GetSupportedTasksForModelTypeRequest request;
  request.set_model_type("unet");
  request.set_exporter("onnx");
  v1::GetSupportedTasksForModelTypeResponse response;
  ASSERT_TRUE(Call(&v1::TasksManager::Stub::GetSupportedTasksForModelType, request, response).ok());
  EXPECT_EQ(response.tasks(0).config_class(), "UNetOnnxConfig");
  request.set_library_name("");
  grpc::Status status =
      Call(&v1::TasksManager::Stub::GetSupportedTasksForModelType, request, response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ErrorInfoOf(status).reason(), "KeyError");
}

TEST_F(ServiceTest, GetSupportedModelTypeForTaskWorksForTflite) {
  v1::GetSupportedModelTypeForTaskRequest request;
  request.set_task("multiple-choice");
  request.set_exporter("tflite");
  v1::GetSupportedModelTypeForTaskResponse response;
  ASSERT_TRUE(Call(&v1::TasksManager::Stub::GetSupportedModelTypeForTask, request, response).ok());
  EXPECT_THAT(response.model_types(), Contains("distilbert"));
  EXPECT_THAT(response.model_types(), Contains("xlm_roberta"));
}

TEST_F(ServiceTest, GetExporterConfigConstructorDefaultsAndEchoesKwargs) {
  v1::GetExporterConfigConstructorRequest request;
  request.set_exporter("onnx");
  request.set_model_type("bert");
  request.set_library_name("transformers");
  (*request.mutable_exporter_config_kwargs()->mutable_fields())["int_dtype"].set_string_value(
      "int32");
  v1::GetExporterConfigConstructorResponse response;
  ASSERT_TRUE(Call(&v1::TasksManager::Stub::GetExporterConfigConstructor, request, response).ok());
  EXPECT_EQ(response.config_class(), "BertOnnxConfig");
  EXPECT_EQ(response.task(), "feature-extraction");  // Optimum's default task
  EXPECT_FALSE(response.use_past());
  EXPECT_EQ(response.exporter_config_kwargs().fields().at("int_dtype").string_value(), "int32");
}

TEST_F(ServiceTest, GetModelClassForTaskDefaultsToPtAndTransformers) {
  v1::GetModelClassForTaskRequest request;
  request.set_task("automatic-speech-recognition");
  request.set_model_type("wav2vec2");
  v1::GetModelClassForTaskResponse response;
  ASSERT_TRUE(Call(&v1::TasksManager::Stub::GetModelClassForTask, request, response).ok());
  EXPECT_EQ(response.class_name(), "AutoModelForCTC");
  EXPECT_EQ(response.module(), "transformers");
  EXPECT_THAT(response.candidates(), ElementsAre("AutoModelForSpeechSeq2Seq", "AutoModelForCTC"));
  EXPECT_EQ(response.resolution(), v1::GetModelClassForTaskResponse::NAMES_TABLE);
}

TEST_F(ServiceTest, ListExportersCountsAndProvenance) {
  v1::ListExportersResponse response;
  ASSERT_TRUE(
      Call(&v1::TasksManager::Stub::ListExporters, v1::ListExportersRequest(), response).ok());
  ASSERT_EQ(response.exporters_size(), 4);
  const v1::Exporter& onnx = response.exporters(0);
  EXPECT_EQ(onnx.name(), "onnx");
  EXPECT_EQ(onnx.model_types(), 110);
  EXPECT_EQ(onnx.tasks(), 421);
  EXPECT_EQ(onnx.provenance(0).package(), "optimum");
  EXPECT_EQ(onnx.provenance(0).version(), "1.23.3");
  const v1::Exporter& tflite = response.exporters(1);
  EXPECT_EQ(tflite.model_types(), 16);
  EXPECT_EQ(tflite.tasks(), 90);
  EXPECT_EQ(response.exporters(3).provenance(0).package(), "optimum-neuron");
}

TEST_F(ServiceTest, HealthIsServing) {
  auto health = grpc::health::v1::Health::NewStub(*channel_);
  for (const std::string service : {"", "optimum.tasks.v1.TasksManager"}) {
    grpc::ClientContext context;
    grpc::health::v1::HealthCheckRequest request;
    request.set_service(service);
    grpc::health::v1::HealthCheckResponse response;
    ASSERT_TRUE(health->Check(&context, request, &response).ok()) << service;
    EXPECT_EQ(response.status(), grpc::health::v1::HealthCheckResponse::SERVING);
  }
}

TEST_F(ServiceTest, ReflectionListsAndDescribesTheServices) {
  namespace reflection = grpc::reflection::v1alpha;
  auto stub = reflection::ServerReflection::NewStub(*channel_);
  grpc::ClientContext context;
  auto stream = stub->ServerReflectionInfo(&context);

  reflection::ServerReflectionRequest request;
  request.set_list_services("");
  reflection::ServerReflectionResponse response;
  ASSERT_TRUE(stream->Write(request));
  ASSERT_TRUE(stream->Read(&response));
  std::vector<std::string> services;
  for (const auto& service : response.list_services_response().service()) {
    services.push_back(service.name());
  }
  EXPECT_THAT(services, Contains("optimum.tasks.v1.TasksManager"));
  EXPECT_THAT(services, Contains("grpc.health.v1.Health"));
  // channelz, for live inspection of channels and sockets with standard tools.
  EXPECT_THAT(services, Contains("grpc.channelz.v1.Channelz"));

  // grpcurl describes a service by asking for the file that defines it.
  for (const std::string symbol : {"optimum.tasks.v1.TasksManager", "grpc.health.v1.Health"}) {
    request.set_file_containing_symbol(symbol);
    ASSERT_TRUE(stream->Write(request));
    ASSERT_TRUE(stream->Read(&response));
    EXPECT_FALSE(response.has_error_response())
        << symbol << ": " << response.error_response().error_message();
    EXPECT_GT(response.file_descriptor_response().file_descriptor_proto_size(), 0) << symbol;
  }
  stream->WritesDone();
  EXPECT_TRUE(stream->Finish().ok());
}

}  // namespace
}  // namespace tasks::service
