// What a hostile or careless gRPC client sends at the edge of the API: fields whose echo in an
// error would overflow the trailers, and requests that fail to parse.
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/notification.h"
#include "gmock/gmock.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"
#include "google/protobuf/struct.pb.h"
#include "grpcpp/generic/generic_stub.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "server/service/logging.h"
#include "server/service/request_limits.h"
#include "spdlog/spdlog.h"
#include "tests/service/service_harness.h"

namespace tasks::testing {
namespace {

namespace v1 = optimum::tasks::v1;
using google::protobuf::FieldDescriptor;
using google::protobuf::MethodDescriptor;
using ::testing::HasSubstr;

// Calls `method` ("/package.Service/Method") with `bytes` as the serialized request, as a
// client with another (or a broken) serializer would.
grpc::Status RawCall(const std::string& address, const std::string& method,
                     const std::string& bytes) {
  grpc::GenericStub stub(grpc::CreateChannel(address, grpc::InsecureChannelCredentials()));
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  grpc::Slice slice(bytes);
  grpc::ByteBuffer request(&slice, 1);
  grpc::ByteBuffer response;
  absl::Notification done;
  grpc::Status status;
  stub.UnaryCall(&context, method, grpc::StubOptions(), &request, &response,
                 [&](grpc::Status answer) {
                   status = std::move(answer);
                   done.Notify();
                 });
  done.WaitForNotification();
  return status;
}

std::string Path(const MethodDescriptor& method) {
  return absl::StrCat("/", method.service()->full_name(), "/", method.name());
}

// A field as long as requests may carry (request_limits.h), half of it non-ASCII: escaped, the
// echo of it alone was 10 KiB, past the 8 KiB a client accepts in trailers.
std::string LongField() {
  std::string value;
  for (int i = 0; i < 1024; ++i) value += "\xc3\xa9";  // é
  value.append(service::kMaxFieldBytes - value.size(), 'a');
  return value;
}

// Every unary TasksManager method, every string field set to LongField in turn (the others
// plausible): the caller gets the server's own code and a message of bounded size, never the
// RESOURCE_EXHAUSTED of trailers too large to receive.
TEST(EchoedInput, NoFieldOverflowsTheTrailers) {
  const std::vector<std::pair<std::string, std::string>> kPlausible = {
      {"exporter", "onnx"},
      {"task", "text-classification"},
      {"model_type", "bert"},
      {"model", "google-bert/bert-base-uncased"},
      {"framework", "pt"}};
  Harness harness;
  const google::protobuf::ServiceDescriptor* service =
      v1::GetAllTasksRequest::descriptor()->file()->FindServiceByName("TasksManager");
  int checked = 0;
  for (int m = 0; m < service->method_count(); ++m) {
    const MethodDescriptor& method = *service->method(m);
    if (method.client_streaming()) continue;
    const google::protobuf::Message* prototype =
        google::protobuf::MessageFactory::generated_factory()->GetPrototype(method.input_type());
    for (int f = 0; f < method.input_type()->field_count(); ++f) {
      const FieldDescriptor& field = *method.input_type()->field(f);
      if (field.cpp_type() != FieldDescriptor::CPPTYPE_STRING || field.is_repeated()) continue;
      std::unique_ptr<google::protobuf::Message> request(prototype->New());
      const google::protobuf::Reflection& reflection = *request->GetReflection();
      for (const auto& [name, value] : kPlausible) {
        const FieldDescriptor* other = method.input_type()->FindFieldByName(name);
        if (other != nullptr && other != &field &&
            other->cpp_type() == FieldDescriptor::CPPTYPE_STRING) {
          reflection.SetString(request.get(), other, value);
        }
      }
      reflection.SetString(request.get(), &field, LongField());
      const grpc::Status status =
          RawCall(harness.address(), Path(method), request->SerializeAsString());
      SCOPED_TRACE(absl::StrCat(method.name(), ".", field.name()));
      EXPECT_NE(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED)
          << status.error_message();
      EXPECT_LT(status.error_message().size(), 4096u) << status.error_message();
      ++checked;
    }
  }
  EXPECT_GT(checked, 20);
}

TEST(EchoedInput, TheEchoIsCutAndSaysHowLongTheValueWas) {
  Harness harness;
  v1::GetSupportedTasksForModelTypeRequest request;
  request.set_model_type(LongField());
  request.set_exporter("onnx");
  v1::GetSupportedTasksForModelTypeResponse response;
  const grpc::Status status =
      harness.Call(&v1::TasksManager::Stub::GetSupportedTasksForModelType, request, response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_THAT(status.error_message(), HasSubstr("\\xc3\\xa9... (4096 bytes) is not supported"));
  EXPECT_EQ(Reason(status), "KeyError");
}

// A request that fails to parse never reaches the service: gRPC 1.51's callback API answers it
// UNIMPLEMENTED (see README "Operating"). What the server writes about it is its own logger's
// JSON, a bounded number of lines however many such requests come, and it goes on answering.
TEST(UnparseableRequest, LogsBoundedJsonLinesAndTheServerGoesOn) {
  ASSERT_TRUE(service::ConfigureLogging("info", "json").ok());
  ::testing::internal::CaptureStderr();
  {
    Harness harness;
    const std::string path = "/optimum.tasks.v1.TasksManager/MapFromSynonym";
    // task (field 1) holding invalid UTF-8; a length running past the end; a Struct nested
    // deeper than protobuf's recursion limit.
    const std::string bad_utf8 = std::string("\x0a\x02\xff\xfe", 4);
    const std::string truncated = std::string(
        "\x0a\x10"
        "abc",
        5);
    for (int i = 0; i < 50; ++i) {
      const grpc::Status status = RawCall(harness.address(), path, bad_utf8);
      ASSERT_EQ(status.error_code(), grpc::StatusCode::UNIMPLEMENTED);
    }
    EXPECT_EQ(RawCall(harness.address(), path, truncated).error_code(),
              grpc::StatusCode::UNIMPLEMENTED);
    v1::GetExporterConfigConstructorRequest deep;
    deep.set_exporter("onnx");
    deep.set_task("text-classification");
    deep.set_model_type("bert");
    google::protobuf::Struct* level = deep.mutable_exporter_config_kwargs();
    for (int i = 0; i < 200; ++i) {
      level = (*level->mutable_fields())["k"].mutable_struct_value();
    }
    EXPECT_EQ(
        RawCall(harness.address(), "/optimum.tasks.v1.TasksManager/GetExporterConfigConstructor",
                deep.SerializeAsString())
            .error_code(),
        grpc::StatusCode::UNIMPLEMENTED);
    v1::MapFromSynonymRequest fine;
    fine.set_task("causal-lm");
    v1::MapFromSynonymResponse answer;
    EXPECT_TRUE(harness.Call(&v1::TasksManager::Stub::MapFromSynonym, fine, answer).ok());
  }
  spdlog::default_logger()->flush();
  const std::string written = ::testing::internal::GetCapturedStderr();
  int protobuf_lines = 0;
  for (absl::string_view line : absl::StrSplit(written, '\n', absl::SkipEmpty())) {
    const nlohmann::json parsed = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    ASSERT_FALSE(parsed.is_discarded()) << "not a JSON line: " << line;
    if (absl::StrContains(parsed.value("msg", ""), "invalid UTF-8")) ++protobuf_lines;
  }
  EXPECT_GE(protobuf_lines, 1) << written;
  EXPECT_LE(protobuf_lines, 12) << written;  // the burst of 10, and a second's worth
  ASSERT_TRUE(service::ConfigureLogging("info", "text").ok());
}

}  // namespace
}  // namespace tasks::testing
