// Per-call log lines: request ids in and out, which calls are logged, JSON fields, no token.
#include "server/service/call_log.h"

#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "spdlog/sinks/ostream_sink.h"
#include "tests/service/service_harness.h"

namespace tasks::testing {
namespace {

namespace v1 = optimum::tasks::v1;
using service::CallLogLevel;
using ::testing::AllOf;
using ::testing::Contains;
using ::testing::ContainsRegex;
using ::testing::ElementsAre;
using ::testing::EndsWith;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::SizeIs;
using ::testing::UnorderedElementsAre;

constexpr char kJsonPattern[] = R"({"level":"%l",%v})";

class CallLogTest : public ::testing::Test {
 protected:
  // A server logging `level` into `captured_`, as text or as JSON objects.
  void Start(CallLogLevel level, bool json = false) {
    auto logger = std::make_shared<spdlog::logger>(
        "rpc", std::make_shared<spdlog::sinks::ostream_sink_mt>(captured_));
    logger->set_pattern(json ? kJsonPattern : "%v");
    service::ServerOptions options;
    options.call_log = level;
    options.call_logger = logger;
    options.call_log_json = json;
    harness_ = std::make_unique<Harness>(options);
  }

  // GetAllTasks with `request_id` (none when empty); returns the x-request-id that came back.
  std::string CallRegistry(const std::string& request_id = "") {
    grpc::ClientContext context;
    if (!request_id.empty()) context.AddMetadata("x-request-id", request_id);
    v1::GetAllTasksRequest request;
    v1::GetAllTasksResponse response;
    EXPECT_TRUE(harness_->stub().GetAllTasks(&context, request, &response).ok());
    auto it = context.GetServerInitialMetadata().find("x-request-id");
    return it == context.GetServerInitialMetadata().end()
               ? ""
               : std::string(it->second.data(), it->second.size());
  }

  std::vector<std::string> Lines() {
    harness_.reset();  // every call has ended, and been logged
    std::vector<std::string> lines = absl::StrSplit(captured_.str(), '\n', absl::SkipEmpty());
    return lines;
  }

  std::ostringstream captured_;
  std::unique_ptr<Harness> harness_;
};

TEST_F(CallLogTest, TheCallersRequestIdComesBackAndIsLogged) {
  Start(CallLogLevel::kAll);
  EXPECT_EQ(CallRegistry("export-job-42"), "export-job-42");
  const std::vector<std::string> lines = Lines();
  ASSERT_THAT(lines, SizeIs(1));
  EXPECT_THAT(lines[0], ContainsRegex("^method=/optimum.tasks.v1.TasksManager/GetAllTasks code=OK "
                                      "latency_ms=[0-9.]+ request_id=export-job-42$"));
}

TEST_F(CallLogTest, WithoutAUsableIdTheServerMakesOne) {
  Start(CallLogLevel::kAll);
  const std::string made = CallRegistry();
  EXPECT_THAT(made, ContainsRegex("^[0-9a-f]{16}$"));
  const std::string replaced = CallRegistry("has a space");
  EXPECT_THAT(replaced, ContainsRegex("^[0-9a-f]{16}$"));
  EXPECT_NE(made, replaced);
  EXPECT_THAT(CallRegistry(std::string(service::kMaxRequestIdBytes + 1, 'x')),
              ContainsRegex("^[0-9a-f]{16}$"));
  const std::vector<std::string> lines = Lines();
  ASSERT_THAT(lines, SizeIs(3));
  EXPECT_THAT(lines, Contains(HasSubstr("request_id=" + made)));
  EXPECT_THAT(lines, Contains(HasSubstr("request_id=" + replaced)));
}

TEST_F(CallLogTest, HubLevelLogsTheInferenceCallsOnly) {
  Start(CallLogLevel::kHub);
  EXPECT_EQ(CallRegistry("job-7"), "");  // a registry lookup: neither a line nor an id
  grpc::Status status;
  harness_->Resolve("google-bert/bert-base-uncased", "onnx", &status);
  ASSERT_TRUE(status.ok()) << status.error_message();
  harness_->Resolve("google-bert/bert-base-uncased", "onnx", &status);
  harness_->Resolve("no-such-org/no-such-model", "onnx", &status);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
  // Lines come when gRPC releases a call, which need not be in the order the answers came.
  EXPECT_THAT(Lines(), UnorderedElementsAre(
                           AllOf(HasSubstr("ResolveExport code=OK"), EndsWith("source=hub")),
                           AllOf(HasSubstr("ResolveExport code=OK"), EndsWith("source=cache")),
                           AllOf(HasSubstr("ResolveExport code=NOT_FOUND"),
                                 HasSubstr("error=\"Repo 'no-such-org/no-such-model' not found"))));
}

TEST_F(CallLogTest, AllLevelLogsFailedRegistryCallsWithTheirError) {
  Start(CallLogLevel::kAll);
  v1::GetSupportedTasksForModelTypeRequest unknown;
  unknown.set_model_type("no-such-model");
  unknown.set_exporter("onnx");
  v1::GetSupportedTasksForModelTypeResponse tasks;
  EXPECT_FALSE(
      harness_->Call(&v1::TasksManager::Stub::GetSupportedTasksForModelType, unknown, tasks).ok());
  EXPECT_THAT(Lines(), ElementsAre(AllOf(HasSubstr("GetSupportedTasksForModelType code=NOT_FOUND"),
                                         HasSubstr("error=\"no-such-model is not supported"))));
}

TEST_F(CallLogTest, JsonLinesHaveTheFieldsAndNeverTheToken) {
  Start(CallLogLevel::kAll, /*json=*/true);
  grpc::Status status;
  harness_->Resolve("acme-corp/internal-bert-classifier", "onnx", &status, kAcmeToken);
  ASSERT_TRUE(status.ok()) << status.error_message();
  harness_->Resolve("acme-corp/internal-bert-classifier", "onnx", &status, kLlamaToken);
  ASSERT_FALSE(status.ok());
  const std::vector<std::string> lines = Lines();
  ASSERT_THAT(lines, SizeIs(2));
  for (const std::string& line : lines) {
    EXPECT_THAT(line, Not(HasSubstr(kAcmeToken)));
    EXPECT_THAT(line, Not(HasSubstr(kLlamaToken)));
  }
  nlohmann::json ok = nlohmann::json::parse(lines[0]);
  nlohmann::json failed = nlohmann::json::parse(lines[1]);
  if (ok["code"] != "OK") std::swap(ok, failed);  // lines come in the order calls are released
  EXPECT_EQ(ok["level"], "info");
  EXPECT_EQ(ok["method"], "/optimum.tasks.v1.TasksManager/ResolveExport");
  EXPECT_EQ(ok["code"], "OK");
  EXPECT_EQ(ok["source"], "hub");
  EXPECT_TRUE(ok["latency_ms"].is_number());
  EXPECT_THAT(ok["request_id"].get<std::string>(), ContainsRegex("^[0-9a-f]{16}$"));
  EXPECT_FALSE(ok.contains("error"));
  EXPECT_EQ(failed["code"], "NOT_FOUND");
  EXPECT_THAT(failed["error"].get<std::string>(), Not(IsEmpty()));
}

TEST_F(CallLogTest, ACallWhoseCallerLeftWhileItWaitedOnTheHubIsLoggedCancelled) {
  Start(CallLogLevel::kHub);
  harness_->hub().InjectFault({.kind = Fault::Kind::kDelay,
                               .path_contains = "google-bert/bert-base-uncased",
                               .times = -1,
                               .delay = absl::Milliseconds(600)});
  v1::ResolveExportRequest request;
  request.set_model("google-bert/bert-base-uncased");
  request.set_exporter("onnx");
  v1::ResolveExportResponse response;
  grpc::ClientContext context;
  std::thread leave([&context] {
    absl::SleepFor(absl::Milliseconds(150));
    context.TryCancel();
  });
  const grpc::Status status = harness_->stub().ResolveExport(&context, request, &response);
  leave.join();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::CANCELLED);
  EXPECT_THAT(Lines(), ElementsAre(AllOf(HasSubstr("ResolveExport code=CANCELLED"),
                                         HasSubstr("error=\"cancelled by the caller"))));
}

TEST_F(CallLogTest, ABatchStreamIsOneLine) {
  Start(CallLogLevel::kHub);
  grpc::ClientContext context;
  context.AddMetadata("x-request-id", "batch-3");
  auto stream = harness_->stub().BatchResolveExport(&context);
  v1::BatchResolveExportRequest item;
  item.set_id("a");
  item.mutable_request()->set_model("google-bert/bert-base-uncased");
  item.mutable_request()->set_exporter("onnx");
  ASSERT_TRUE(stream->Write(item));
  item.set_id("b");
  ASSERT_TRUE(stream->Write(item));
  stream->WritesDone();
  v1::BatchResolveExportResponse answer;
  int answers = 0;
  while (stream->Read(&answer)) ++answers;
  ASSERT_TRUE(stream->Finish().ok());
  EXPECT_EQ(answers, 2);
  auto id = context.GetServerInitialMetadata().find("x-request-id");
  ASSERT_NE(id, context.GetServerInitialMetadata().end());
  EXPECT_EQ(std::string(id->second.data(), id->second.size()), "batch-3");
  EXPECT_THAT(Lines(), ElementsAre(ContainsRegex(
                           "^method=/optimum.tasks.v1.TasksManager/BatchResolveExport code=OK "
                           "latency_ms=[0-9.]+ request_id=batch-3$")));
}

TEST_F(CallLogTest, OffLogsNothingAndSendsNoId) {
  Start(CallLogLevel::kOff);
  EXPECT_EQ(CallRegistry("job-1"), "");  // not even the id comes back
  EXPECT_THAT(Lines(), IsEmpty());
}

TEST(CallLogLevels, ParseTheFlagsWords) {
  EXPECT_EQ(*service::ParseCallLogLevel("hub"), CallLogLevel::kHub);
  EXPECT_THAT(service::ParseCallLogLevel("verbose").status().message(),
              HasSubstr("not one of all, hub, off"));
}

}  // namespace
}  // namespace tasks::testing
