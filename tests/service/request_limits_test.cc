// Every request's strings are bounded and free of control characters before any of it is used.
#include "server/service/request_limits.h"

#include <string>

#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/service/service_harness.h"

namespace tasks::testing {
namespace {

namespace v1 = optimum::tasks::v1;
using ::testing::HasSubstr;

TEST(RequestLimits, AMegabyteNameIsRefusedAtOnce) {
  Harness harness;
  v1::GetSupportedTasksForModelTypeRequest request;
  request.set_model_type(std::string(1 << 20, 'b'));  // a "did you mean" over it took seconds
  request.set_exporter("onnx");
  v1::GetSupportedTasksForModelTypeResponse response;
  const grpc::Status status =
      harness.Call(&v1::TasksManager::Stub::GetSupportedTasksForModelType, request, response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("model_type is 1048576 bytes long; at most 4096"));
  EXPECT_EQ(Reason(status), "ValueError");
}

TEST(RequestLimits, ControlCharactersAreRefusedInEveryRpc) {
  Harness harness;
  v1::ResolveExportRequest resolve;
  resolve.set_model("google-bert/bert-base-uncased\r\nX-Injected: 1");
  resolve.set_exporter("onnx");
  v1::ResolveExportResponse answer;
  grpc::Status status = harness.Call(&v1::TasksManager::Stub::ResolveExport, resolve, answer);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("model holds a control character (byte 0x0d"));
  EXPECT_EQ(harness.HubRequests(), 0);

  v1::MapFromSynonymRequest synonym;
  synonym.set_task("text\x7f");
  v1::MapFromSynonymResponse mapped;
  status = harness.Call(&v1::TasksManager::Stub::MapFromSynonym, synonym, mapped);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("task holds a control character (byte 0x7f"));
}

TEST(RequestLimits, ABatchItemOverTheLimitIsAnErrorAnswer) {
  Harness harness;
  grpc::ClientContext context;
  auto stream = harness.stub().BatchResolveExport(&context);
  v1::BatchResolveExportRequest item;
  item.set_id("long");
  item.mutable_request()->set_model("org/name");
  item.mutable_request()->set_exporter("onnx");
  item.mutable_request()->set_subfolder(std::string(service::kMaxFieldBytes + 1, 'a'));
  ASSERT_TRUE(stream->Write(item));
  stream->WritesDone();
  v1::BatchResolveExportResponse answer;
  ASSERT_TRUE(stream->Read(&answer));
  EXPECT_EQ(answer.id(), "long");
  EXPECT_EQ(answer.error().code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(answer.error().message(), HasSubstr("subfolder is 4097 bytes long"));
  EXPECT_TRUE(stream->Finish().ok());
}

TEST(RequestLimits, NamesAtTheLimitPass) {
  v1::ResolveExportRequest request;
  request.set_model(std::string(service::kMaxFieldBytes, 'm'));
  EXPECT_TRUE(service::CheckRequestFields(request).ok());
  request.set_task("");  // an optional field set empty is still checked, and fine
  EXPECT_TRUE(service::CheckRequestFields(request).ok());
  request.set_task("\t");
  EXPECT_FALSE(service::CheckRequestFields(request).ok());
}

}  // namespace
}  // namespace tasks::testing
