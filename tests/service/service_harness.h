// An in-process tasks server wired to the fake Hub (tests/hub/fixtures), a model root
// (tests/hub/local_models) and an HF cache folder (tests/hub/hf_cache), with a client stub: the
// setting of the end-to-end service tests.
#ifndef TASKS_TESTS_SERVICE_SERVICE_HARNESS_H_
#define TASKS_TESTS_SERVICE_SERVICE_HARNESS_H_

#include <chrono>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "grpcpp/create_channel.h"
#include "gtest/gtest.h"
#include "optimum/tasks/v1/tasks_manager.grpc.pb.h"
#include "server/hub/curl_hub_client.h"
#include "server/service/server.h"
#include "tests/hub/fake_hub.h"
#include "tests/test_support.h"

namespace tasks::testing {

// Tokens the fake Hub grants: the gated Llama 2 repo, and acme's private repos.
inline constexpr char kLlamaToken[] = "hf_fakeHubLlama2GatedAccess0000000000";
inline constexpr char kAcmeToken[] = "hf_fakeHubAcmePrivateRead000000000000";

// Public fixture repos of different model types, each resolvable for onnx.
inline const std::vector<std::string> kPublicRepos = {"google-bert/bert-base-uncased",
                                                      "openai-community/gpt2",
                                                      "distilbert/distilbert-base-uncased",
                                                      "deepset/roberta-base-squad2",
                                                      "facebook/bart-large-cnn",
                                                      "microsoft/codebert-base",
                                                      "Helsinki-NLP/opus-mt-en-de",
                                                      "bigscience/bloom"};

inline std::string HubDir(const std::string& name) {
  return std::string(TASKS_TEST_DATA_DIR "/hub/") + name;
}

class Harness {
 public:
  explicit Harness(service::ServerOptions options = {}) : hub_(HubDir("fixtures")) {
    EXPECT_TRUE(hub_.Start());
    options.listen_address = "127.0.0.1:0";
    options.locator.model_roots = {HubDir("local_models")};
    options.locator.hf_cache_dir = HubDir("hf_cache");
    hub::CurlHubClientOptions client;
    client.endpoint = hub_.endpoint();
    client.initial_backoff = absl::Milliseconds(10);
    client.max_backoff = absl::Milliseconds(50);
    auto server = service::TasksServer::Start(
        options, SharedEmbeddedGenerations(),
        options.locator.offline ? nullptr : std::make_unique<hub::CurlHubClient>(client));
    EXPECT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    stub_ = optimum::tasks::v1::TasksManager::NewStub(
        grpc::CreateChannel(address(), grpc::InsecureChannelCredentials()));
  }
  ~Harness() {
    server_->Shutdown(std::chrono::system_clock::now());
    server_->Wait();
  }

  // Calls `method`; the answer lands in `response`.
  template <typename Request, typename Response, typename Method>
  grpc::Status Call(Method method, const Request& request, Response& response,
                    const std::string& token = "", int timeout_ms = 10'000) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(timeout_ms));
    if (!token.empty()) context.AddMetadata("authorization", "Bearer " + token);
    return ((*stub_).*method)(&context, request, &response);
  }

  optimum::tasks::v1::ResolveExportResponse Resolve(const std::string& model,
                                                    const std::string& exporter,
                                                    grpc::Status* status,
                                                    const std::string& token = "") {
    optimum::tasks::v1::ResolveExportRequest request;
    request.set_model(model);
    request.set_exporter(exporter);
    optimum::tasks::v1::ResolveExportResponse response;
    *status =
        Call(&optimum::tasks::v1::TasksManager::Stub::ResolveExport, request, response, token);
    return response;
  }

  optimum::tasks::v1::TasksManager::Stub& stub() { return *stub_; }
  service::TasksServer& server() { return *server_; }
  std::string address() const { return "127.0.0.1:" + std::to_string(server_->port()); }
  FakeHub& hub() { return hub_; }
  int HubRequests() const { return hub_.TotalRequests(); }

 private:
  FakeHub hub_;
  std::unique_ptr<service::TasksServer> server_;
  std::unique_ptr<optimum::tasks::v1::TasksManager::Stub> stub_;
};

// The ErrorInfo reason (Optimum's exception) of a google.rpc.Status, or "".
inline std::string Reason(const google::rpc::Status& details) {
  google::rpc::ErrorInfo info;
  if (details.details_size() == 0 || !details.details(0).UnpackTo(&info)) return "";
  return info.reason();
}

// The ErrorInfo reason of a failed call, or "".
inline std::string Reason(const grpc::Status& status) {
  google::rpc::Status details;
  if (!details.ParseFromString(status.error_details())) return "";
  return Reason(details);
}

}  // namespace tasks::testing

#endif  // TASKS_TESTS_SERVICE_SERVICE_HARNESS_H_
