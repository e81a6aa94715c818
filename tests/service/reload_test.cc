// Registry reload end to end: an in-process server on 127.0.0.1:0 whose --registry_dir is a temp
// folder the tests write exporter registry files into before calling ReloadRegistry.
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "gtest/gtest.h"
#include "optimum/tasks/v1/tasks_manager.grpc.pb.h"
#include "server/service/server.h"
#include "tests/test_support.h"

namespace tasks::service {
namespace {

namespace fs = std::filesystem;
namespace v1 = optimum::tasks::v1;
using ::testing::HasSubstr;

constexpr char kMineRegistry[] = R"(
exporter: "mine"
registration { library: "transformers" model_type: "brand-new" config_class: "NewConfig"
               task: ["text-generation", "text-generation-with-past"] }
)";

class ReloadTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("tasks-reload-test-" + std::to_string(::getpid()));
    fs::create_directories(dir_);
    ServerOptions options;
    options.listen_address = "127.0.0.1:0";
    options.registry_dirs = {dir_.string()};
    auto server = TasksServer::Start(options, testing::SharedEmbeddedGenerations(), nullptr);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    stub_ = v1::TasksManager::NewStub(grpc::CreateChannel(
        "127.0.0.1:" + std::to_string(server_->port()), grpc::InsecureChannelCredentials()));
  }
  void TearDown() override {
    if (server_ != nullptr) {
      server_->Shutdown(std::chrono::system_clock::now());
      server_->Wait();
    }
    fs::remove_all(dir_);
  }

  void Write(const std::string& name, const std::string& contents) {
    std::ofstream(dir_ / name) << contents;
  }

  // GetSupportedTasksForModelType(brand-new, mine): answered only once "mine" is loaded.
  grpc::Status BrandNewTasks(v1::GetSupportedTasksForModelTypeResponse& response) {
    v1::GetSupportedTasksForModelTypeRequest request;
    request.set_model_type("brand-new");
    request.set_exporter("mine");
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    return stub_->GetSupportedTasksForModelType(&context, request, &response);
  }

  fs::path dir_;
  std::unique_ptr<TasksServer> server_;
  std::unique_ptr<v1::TasksManager::Stub> stub_;
};

TEST_F(ReloadTest, AReloadAnswersWithWhatTheRegistryDirNowHolds) {
  v1::GetSupportedTasksForModelTypeResponse response;
  EXPECT_FALSE(BrandNewTasks(response).ok());

  Write("mine.txtpb", kMineRegistry);
  const absl::Time start = absl::Now();
  ASSERT_TRUE(server_->ReloadRegistry().ok());
  std::cout << "reload took " << absl::FormatDuration(absl::Now() - start) << "\n";

  ASSERT_TRUE(BrandNewTasks(response).ok());
  ASSERT_EQ(response.tasks_size(), 2);
  EXPECT_EQ(response.tasks(0).task(), "text-generation");
  EXPECT_EQ(response.tasks(0).config_class(), "NewConfig");
}

TEST_F(ReloadTest, AFailedReloadKeepsAnsweringFromThePreviousRegistry) {
  Write("mine.txtpb", kMineRegistry);
  ASSERT_TRUE(server_->ReloadRegistry().ok());

  Write("zz-broken.txtpb", "exporter: \"x\"\nregistration { library: \"nope\" }\n");
  const absl::Status reload = server_->ReloadRegistry();
  ASSERT_FALSE(reload.ok());
  EXPECT_THAT(reload.message(), HasSubstr((dir_ / "zz-broken.txtpb").string() + ":2"));

  v1::GetSupportedTasksForModelTypeResponse response;
  ASSERT_TRUE(BrandNewTasks(response).ok());
  EXPECT_EQ(response.tasks_size(), 2);
}

TEST_F(ReloadTest, CallsInFlightDuringRepeatedReloadsAllSucceed) {
  constexpr int kClients = 4;
  constexpr int kCallsPerClient = 200;
  constexpr int kReloads = 50;
  std::atomic<int> calls{0};
  std::atomic<int> failures{0};
  std::atomic<int> odd_answers{0};
  absl::Notification go;
  absl::Notification reloads_done;
  std::vector<std::thread> clients;
  for (int i = 0; i < kClients; ++i) {
    clients.emplace_back([&] {
      go.WaitForNotification();
      // At least kCallsPerClient calls, and calls for as long as the reloads go on.
      for (int call = 0; call < kCallsPerClient || !reloads_done.HasBeenNotified(); ++call) {
        ++calls;
        grpc::ClientContext context;
        context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
        v1::ListExportersResponse response;
        if (!stub_->ListExporters(&context, v1::ListExportersRequest(), &response).ok()) {
          ++failures;
        } else if (response.exporters_size() != 4 && response.exporters_size() != 5) {
          ++odd_answers;  // the embedded four, with or without "mine"
        }
      }
    });
  }
  go.Notify();
  // Alternately with and without the extra exporter, so consecutive snapshots differ.
  for (int reload = 0; reload < kReloads; ++reload) {
    if (reload % 2 == 0) {
      Write("mine.txtpb", kMineRegistry);
    } else {
      fs::remove(dir_ / "mine.txtpb");
    }
    EXPECT_TRUE(server_->ReloadRegistry().ok());
  }
  reloads_done.Notify();
  for (std::thread& client : clients) client.join();
  std::cout << calls.load() << " calls during " << kReloads << " reloads\n";
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(odd_answers.load(), 0);
}

}  // namespace
}  // namespace tasks::service
