// BatchResolveExport end to end: an in-process server and the fake Hub (service_harness.h).
#include <atomic>
#include <chrono>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/service/service_harness.h"

namespace tasks::service {
namespace {

namespace v1 = optimum::tasks::v1;
using ::tasks::testing::Fault;
using ::tasks::testing::Harness;
using ::tasks::testing::HubEndpoint;
using ::tasks::testing::Reason;
using ::testing::HasSubstr;
using ::testing::SizeIs;

using Stream =
    grpc::ClientReaderWriter<v1::BatchResolveExportRequest, v1::BatchResolveExportResponse>;

constexpr char kBert[] = "google-bert/bert-base-uncased";
constexpr char kGpt2[] = "openai-community/gpt2";

v1::BatchResolveExportRequest Item(const std::string& id, const std::string& model,
                                   const std::string& exporter = "onnx") {
  v1::BatchResolveExportRequest item;
  item.set_id(id);
  item.mutable_request()->set_model(model);
  item.mutable_request()->set_exporter(exporter);
  return item;
}

// What a whole stream answered: the answers in arrival order, and the stream's status.
struct BatchOutcome {
  std::vector<v1::BatchResolveExportResponse> answers;
  grpc::Status status;

  std::map<std::string, v1::BatchResolveExportResponse> ById() const {
    std::map<std::string, v1::BatchResolveExportResponse> by_id;
    for (const auto& answer : answers) by_id[answer.id()] = answer;
    return by_id;
  }
};

// Sends `items` from a second thread (as a client that streams a file would) while reading.
BatchOutcome RunBatch(Harness& harness, const std::vector<v1::BatchResolveExportRequest>& items,
                      int deadline_seconds = 30) {
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(deadline_seconds));
  std::unique_ptr<Stream> stream = harness.stub().BatchResolveExport(&context);
  std::thread writer([&] {
    for (const auto& item : items) {
      if (!stream->Write(item)) break;
    }
    stream->WritesDone();
  });
  BatchOutcome outcome;
  v1::BatchResolveExportResponse answer;
  while (stream->Read(&answer)) outcome.answers.push_back(answer);
  writer.join();
  outcome.status = stream->Finish();
  return outcome;
}

// Waits (at most 30 s) until `condition` holds, polling; false if it never did.
template <typename Condition>
bool Eventually(Condition condition) {
  for (const absl::Time end = absl::Now() + absl::Seconds(30); absl::Now() < end;) {
    if (condition()) return true;
    absl::SleepFor(absl::Milliseconds(2));
  }
  return condition();
}

// The value `read` settles at: polled until it has not changed for `quiet` (at most 30 s).
template <typename Read>
int64_t SettledValue(Read read, absl::Duration quiet) {
  int64_t value = read();
  absl::Time changed = absl::Now();
  for (const absl::Time end = changed + absl::Seconds(30); absl::Now() < end;) {
    absl::SleepFor(absl::Milliseconds(5));
    const int64_t next = read();
    if (next != value) {
      value = next;
      changed = absl::Now();
    } else if (absl::Now() - changed >= quiet) {
      break;
    }
  }
  return value;
}

TEST(BatchResolveExportTest, AnswersEachItemByIdAndOneBadItemEndsNothing) {
  Harness harness;
  v1::BatchResolveExportRequest no_model = Item("no-model", "");
  const BatchOutcome outcome =
      RunBatch(harness, {Item("bert", kBert), Item("missing", "nobody/nothing"), no_model,
                         Item("typo", kGpt2, "onxx"), Item(std::string(300, 'x'), kBert),
                         Item("gpt2", kGpt2)});
  ASSERT_TRUE(outcome.status.ok()) << outcome.status.error_message();
  ASSERT_THAT(outcome.answers, SizeIs(6));
  auto by_id = outcome.ById();

  EXPECT_EQ(by_id["bert"].answer().task(), "fill-mask");
  EXPECT_EQ(by_id["gpt2"].answer().task(), "text-generation");
  EXPECT_EQ(by_id["gpt2"].answer().exporter_config().config_class(), "GPT2OnnxConfig");

  // Each failed item carries what the unary call's status would: code, message, ErrorInfo.
  EXPECT_EQ(by_id["missing"].error().code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(Reason(by_id["missing"].error()), "RepositoryNotFoundError");
  EXPECT_EQ(by_id["no-model"].error().code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(Reason(by_id["no-model"].error()), "TypeError");
  EXPECT_THAT(by_id["typo"].error().message(), HasSubstr("onnx"));
  const std::string truncated(256, 'x');
  ASSERT_TRUE(by_id.contains(truncated));
  EXPECT_EQ(by_id[truncated].error().code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(by_id[truncated].error().message(), HasSubstr("256 bytes"));

  // The same errors as the unary RPC, field for field.
  grpc::Status unary;
  harness.Resolve("nobody/nothing", "onnx", &unary);
  EXPECT_EQ(unary.error_message(), by_id["missing"].error().message());
}

TEST(BatchResolveExportTest, AnswersComeInCompletionOrderNotRequestOrder) {
  Harness harness;
  // gpt2's Hub answers are slow; bert, asked second, must not wait behind them.
  harness.hub().InjectFault({.kind = Fault::Kind::kDelay,
                             .path_contains = kGpt2,
                             .times = -1,
                             .delay = absl::Milliseconds(800)});
  const BatchOutcome outcome = RunBatch(harness, {Item("slow", kGpt2), Item("fast", kBert)});
  ASSERT_TRUE(outcome.status.ok()) << outcome.status.error_message();
  ASSERT_THAT(outcome.answers, SizeIs(2));
  EXPECT_EQ(outcome.answers[0].id(), "fast");
  EXPECT_EQ(outcome.answers[1].id(), "slow");
  EXPECT_TRUE(outcome.answers[1].has_answer()) << outcome.answers[1].error().message();
}

TEST(BatchResolveExportTest, ItemsForTheSameRepoShareUpstreamRequests) {
  Harness harness;
  // Slow enough that every item is in flight before the first model info arrives.
  harness.hub().InjectFault({.kind = Fault::Kind::kDelay,
                             .endpoint = HubEndpoint::kModelInfo,
                             .path_contains = kBert,
                             .delay = absl::Milliseconds(300)});
  std::vector<v1::BatchResolveExportRequest> items;
  for (int i = 0; i < 40; ++i) items.push_back(Item("bert-" + std::to_string(i), kBert));
  const BatchOutcome outcome = RunBatch(harness, items);
  ASSERT_TRUE(outcome.status.ok());
  ASSERT_THAT(outcome.answers, SizeIs(40));
  for (const auto& answer : outcome.answers) EXPECT_EQ(answer.answer().task(), "fill-mask");
  EXPECT_EQ(harness.hub().RequestCount(HubEndpoint::kModelInfo, kBert), 1);
  EXPECT_LE(harness.hub().RequestCount(HubEndpoint::kResolve, kBert), 1);
}

TEST(BatchResolveExportTest, CancellingTheStreamSkipsItemsNotYetStarted) {
  ServerOptions options;
  options.hub_threads = 1;  // one item at a time: the others wait on the pool
  Harness harness(options);
  harness.hub().InjectFault(
      {.kind = Fault::Kind::kDelay, .times = -1, .delay = absl::Milliseconds(600)});
  const std::vector<std::string> repos = {kBert, kGpt2, "distilbert/distilbert-base-uncased",
                                          "deepset/roberta-base-squad2"};
  grpc::ClientContext context;
  std::unique_ptr<Stream> stream = harness.stub().BatchResolveExport(&context);
  for (const std::string& repo : repos) ASSERT_TRUE(stream->Write(Item(repo, repo)));
  auto model_info_requests = [&] {
    int requests = 0;
    for (const std::string& repo : repos) {
      requests += harness.hub().RequestCount(HubEndpoint::kModelInfo, repo);
    }
    return requests;
  };
  // The first item is on the Hub (the fake Hub counts a request before delaying its answer).
  EXPECT_TRUE(Eventually([&] { return model_info_requests() > 0; }));
  context.TryCancel();
  v1::BatchResolveExportResponse answer;
  while (stream->Read(&answer)) {
  }
  EXPECT_EQ(stream->Finish().error_code(), grpc::StatusCode::CANCELLED);

  // The server is still well (this call waits for the one pool thread, so for the item that
  // was on the Hub), and only that item was asked for. Which item it was is not fixed: items
  // read one after another may reach the pool in either order.
  grpc::Status status;
  harness.Resolve("facebook/bart-large-cnn", "onnx", &status);
  EXPECT_TRUE(status.ok()) << status.error_message();
  int asked = 0;
  for (const std::string& repo : repos) {
    asked += harness.hub().RequestCount(HubEndpoint::kModelInfo, repo) > 0;
  }
  EXPECT_EQ(asked, 1);
}

int64_t CacheHits(Harness& harness) {
  v1::GetCacheStatsResponse stats;
  EXPECT_TRUE(
      harness.Call(&v1::TasksManager::Stub::GetCacheStats, v1::GetCacheStatsRequest(), stats).ok());
  return stats.hits();
}

TEST(BatchResolveExportTest, StopsWorkingWhileItsAnswersAreNotRead) {
  ServerOptions options;
  options.service.batch_max_in_flight = 4;
  Harness harness(options);
  // How many cache hits one warm item costs, to count the items resolved from the hits.
  grpc::Status status;
  harness.Resolve(kBert, "onnx", &status);
  ASSERT_TRUE(status.ok());
  int64_t hits = CacheHits(harness);
  harness.Resolve(kBert, "onnx", &status);
  const int64_t hits_per_item = CacheHits(harness) - hits;
  ASSERT_GT(hits_per_item, 0);

  // A client whose receive window stays at HTTP/2's initial 64 KiB (no BDP probing), so that
  // the answers it does not read fill it quickly.
  grpc::ChannelArguments arguments;
  arguments.SetInt(GRPC_ARG_HTTP2_BDP_PROBE, 0);
  auto stub = v1::TasksManager::NewStub(
      grpc::CreateCustomChannel(harness.address(), grpc::InsecureChannelCredentials(), arguments));
  grpc::ClientContext context;
  std::unique_ptr<Stream> stream = stub->BatchResolveExport(&context);
  constexpr int kItems = 10'000;
  hits = CacheHits(harness);
  std::thread writer([&] {
    for (int i = 0; i < kItems; ++i) {
      if (!stream->Write(Item(std::to_string(i), kBert))) break;
    }
    stream->WritesDone();
  });
  // Not one answer read: the server stops once its writes wait on the window, at most
  // batch_max_in_flight items later, rather than resolving all it was sent. What is asserted is
  // that it stops, so the test waits until its count stops moving (or reaches all the items, as
  // a server that never stops would), rather than for a fixed time in which a slow server could
  // have resolved few items without ever stopping.
  EXPECT_TRUE(Eventually([&] { return CacheHits(harness) > hits; }));  // it has begun
  const int64_t resolved =
      (SettledValue([&] { return CacheHits(harness); }, absl::Milliseconds(300)) - hits) /
      hits_per_item;
  EXPECT_LT(resolved, 1000);

  int answered = 0;
  v1::BatchResolveExportResponse answer;
  while (stream->Read(&answer)) answered += answer.has_answer();
  writer.join();
  EXPECT_TRUE(stream->Finish().ok());
  EXPECT_EQ(answered, kItems);
}

TEST(BatchResolveExportTest, TenThousandItemsEachAnsweredOnce) {
  Harness harness;
  const std::vector<std::string> repos = {kBert, kGpt2, "distilbert/distilbert-base-uncased",
                                          "deepset/roberta-base-squad2", "nobody/nothing"};
  std::vector<v1::BatchResolveExportRequest> items;
  for (int i = 0; i < 10'000; ++i) {
    items.push_back(Item(std::to_string(i), repos[i % repos.size()]));
  }
  const BatchOutcome outcome = RunBatch(harness, items, /*deadline_seconds=*/120);
  ASSERT_TRUE(outcome.status.ok()) << outcome.status.error_message();
  const auto by_id = outcome.ById();
  ASSERT_THAT(by_id, SizeIs(10'000));
  ASSERT_THAT(outcome.answers, SizeIs(10'000));
  for (const auto& [id, answer] : by_id) {
    const bool missing_repo = std::stoi(id) % repos.size() == repos.size() - 1;
    EXPECT_EQ(answer.has_error(), missing_repo) << id;
  }
  // Every repo's model info was fetched once; the rest came from the cache.
  for (const std::string& repo : repos) {
    EXPECT_LE(harness.hub().RequestCount(HubEndpoint::kModelInfo, repo), 1) << repo;
  }
}

}  // namespace
}  // namespace tasks::service
