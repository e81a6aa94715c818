// The Prometheus endpoint end to end: calls through an in-process server (service_harness.h),
// then what GET /metrics shows.
#include <chrono>
#include <future>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "grpc/health/v1/health.pb.h"
#include "grpcpp/generic/generic_stub.h"
#include "gtest/gtest.h"
#include "httplib.h"
#include "server/common/version.h"
#include "server/service/metrics_endpoint.h"
#include "tests/service/service_harness.h"

namespace tasks::service {
namespace {

namespace v1 = optimum::tasks::v1;
using ::tasks::testing::Harness;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kMethod[] = "/optimum.tasks.v1.TasksManager/";

std::string Scrape(int port) {
  httplib::Client client("127.0.0.1", port);
  httplib::Result result = client.Get("/metrics");
  if (!result || result->status != 200) return "";
  EXPECT_THAT(result->get_header_value("Content-Type"), HasSubstr("text/plain; version=0.0.4"));
  return result->body;
}

// Scrapes until `line` shows (interceptors record as gRPC finishes with each call, which may be
// just after the client has its answer); at most 2 s.
std::string ScrapeUntil(int port, const std::string& line) {
  std::string text;
  for (int i = 0; i < 200; ++i) {
    text = Scrape(port);
    if (text.find(line) != std::string::npos) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return text;
}

TEST(MetricsTest, CountsCallsByMethodAndCodeWithLatencyAndCacheFigures) {
  ServerOptions options;
  options.metrics_address = "127.0.0.1:0";
  Harness harness(options);
  const int port = harness.server().metrics_port();
  ASSERT_GT(port, 0);

  v1::GetAllTasksResponse tasks;
  for (int i = 0; i < 2; ++i) {
    ASSERT_TRUE(
        harness.Call(&v1::TasksManager::Stub::GetAllTasks, v1::GetAllTasksRequest(), tasks).ok());
  }
  v1::GetSupportedTasksForModelTypeRequest bad;
  bad.set_model_type("bert");
  bad.set_exporter("onxx");
  v1::GetSupportedTasksForModelTypeResponse unused;
  EXPECT_FALSE(
      harness.Call(&v1::TasksManager::Stub::GetSupportedTasksForModelType, bad, unused).ok());
  // A caller's token must never reach the metrics, whatever happens to its call.
  const std::string planted = "hf_plantedTokenForTheMetricsTest00000";
  grpc::Status status;
  harness.Resolve("google-bert/bert-base-uncased", "onnx", &status, planted);
  harness.Resolve("google-bert/bert-base-uncased", "onnx", &status);
  ASSERT_TRUE(status.ok()) << status.error_message();

  const std::string text = ScrapeUntil(port, std::string("tasks_rpc_calls_total{method=\"") +
                                                 kMethod + "ResolveExport\",code=\"OK\"} 1");
  EXPECT_THAT(text, HasSubstr(std::string("tasks_rpc_calls_total{method=\"") + kMethod +
                              "GetAllTasks\",code=\"OK\"} 2\n"));
  EXPECT_THAT(text, HasSubstr(std::string("tasks_rpc_calls_total{method=\"") + kMethod +
                              "GetSupportedTasksForModelType\",code=\"INVALID_ARGUMENT\"} 1\n"));
  EXPECT_THAT(text, HasSubstr(std::string("tasks_rpc_latency_seconds_count{method=\"") + kMethod +
                              "GetAllTasks\"} 2\n"));
  EXPECT_THAT(text, HasSubstr(std::string("tasks_rpc_latency_seconds_bucket{method=\"") + kMethod +
                              "GetAllTasks\",le=\"+Inf\"} 2\n"));
  EXPECT_THAT(text, HasSubstr("# TYPE tasks_rpc_latency_seconds histogram\n"));
  EXPECT_THAT(text, HasSubstr("tasks_hub_upstream_requests_total{endpoint=\"model_info\","
                              "status=\"OK\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("tasks_hub_cache_misses_total "));
  EXPECT_THAT(text, HasSubstr("tasks_hub_cache_bytes "));
  EXPECT_THAT(text, HasSubstr("tasks_fleet_cache_hits_total 0\n"));  // no Redis: all 0
  EXPECT_THAT(text, Not(HasSubstr(planted)));
  EXPECT_THAT(text, Not(HasSubstr("hf_")));
  EXPECT_THAT(ScrapeUntil(port, "tasks_rpc_in_flight 0\n"), HasSubstr("tasks_rpc_in_flight 0\n"));
}

// A running pod can be traced to its source.
TEST(MetricsTest, BuildInfoNamesTheVersionAndCommit) {
  ServerOptions options;
  options.metrics_address = "127.0.0.1:0";
  Harness harness(options);
  const std::string line = absl::StrCat("tasks_build_info{version=\"", Version(), "\",commit=\"",
                                        Commit(), "\"} 1\n");
  EXPECT_THAT(ScrapeUntil(harness.server().metrics_port(), line), HasSubstr(line));
  EXPECT_THAT(Commit(), ::testing::MatchesRegex("[0-9a-f]{12}(-dirty)?|unknown"));
}

// What an operator scales and alerts on: the registry in use, the queue of work waiting on the
// Hub, and the process's own figures.
TEST(MetricsTest, ShowsTheRegistryTheWorkersAndTheProcess) {
  ServerOptions options;
  options.metrics_address = "127.0.0.1:0";
  options.hub_threads = 3;
  Harness harness(options);
  v1::ListExportersResponse exporters;
  ASSERT_TRUE(harness
                  .Call(&v1::TasksManager::Stub::ListExporters, v1::ListExportersRequest(),
                        exporters)
                  .ok());
  ASSERT_EQ(exporters.registry_fingerprint().size(), 16u);
  const std::string text = ScrapeUntil(harness.server().metrics_port(), "process_open_fds ");
  // One series per generation; ListExporters answered from the harness's default, 1.23.
  EXPECT_THAT(text, HasSubstr("tasks_registry_info{generation=\"1.23\",fingerprint=\"" +
                              exporters.registry_fingerprint() + "\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("tasks_registry_info{generation=\"2.1\",fingerprint=\""));
  EXPECT_THAT(text, HasSubstr("tasks_worker_threads 3\n"));
  EXPECT_THAT(text, HasSubstr("tasks_worker_queued 0\n"));
  EXPECT_THAT(text, HasSubstr("# TYPE process_cpu_seconds_total counter\n"));
  EXPECT_THAT(text, ::testing::ContainsRegex("process_resident_memory_bytes [1-9][0-9]{5,}\n"));
  EXPECT_THAT(text, ::testing::ContainsRegex("process_start_time_seconds [1-9][0-9]{9}"));
}

TEST(MetricsTest, OtherServicesAreCountedByName) {
  ServerOptions options;
  options.metrics_address = "127.0.0.1:0";
  Harness harness(options);
  // grpc-proto ships health.proto's messages but no generated stub, hence the generic one.
  grpc::TemplatedGenericStub<grpc::health::v1::HealthCheckRequest,
                             grpc::health::v1::HealthCheckResponse>
      stub(grpc::CreateChannel(harness.address(), grpc::InsecureChannelCredentials()));
  grpc::ClientContext context;
  grpc::health::v1::HealthCheckRequest request;
  grpc::health::v1::HealthCheckResponse response;
  std::promise<grpc::Status> done;
  stub.UnaryCall(&context, "/grpc.health.v1.Health/Check", grpc::StubOptions(), &request,
                 &response, [&done](grpc::Status s) { done.set_value(std::move(s)); });
  ASSERT_TRUE(done.get_future().get().ok());
  const std::string line =
      "tasks_rpc_calls_total{method=\"/grpc.health.v1.Health/Check\",code=\"OK\"} 1\n";
  EXPECT_THAT(ScrapeUntil(harness.server().metrics_port(), line), HasSubstr(line));
}

TEST(MetricsTest, ABadAddressIsRefused) {
  EXPECT_EQ(MetricsEndpoint::Start("no-port", [] { return std::string(); }).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(MetricsEndpoint::Start("127.0.0.1:99999", [] { return std::string(); }).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace tasks::service
