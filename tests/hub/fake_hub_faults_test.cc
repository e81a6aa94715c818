// The fake Hub's injected faults, request counts and recorded Authorization headers.
#include <string>
#include <thread>
#include <vector>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/hub/fake_hub.h"
#include "tests/hub/fake_hub_test_util.h"

namespace tasks::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::StartsWith;

constexpr char kModelInfo[] = "/api/models/google-bert/bert-base-uncased";
constexpr char kConfig[] = "/google-bert/bert-base-uncased/resolve/main/config.json";

int StatusOf(const httplib::Result& result) { return result ? result->status : -1; }

TEST_F(FakeHubTest, StatusFaultHitsItsTimesThenTheHubAnswers) {
  hub_.InjectFault({.kind = Fault::Kind::kStatus, .times = 2, .status = 503});
  ExpectHubError(Get(kModelInfo), 503, "", "Injected fault: HTTP 503");
  EXPECT_EQ(StatusOf(Get(kModelInfo)), 503);
  EXPECT_EQ(StatusOf(Get(kModelInfo)), 200);
}

TEST_F(FakeHubTest, FaultsMatchTheirEndpointAndPath) {
  hub_.InjectFault({.kind = Fault::Kind::kStatus,
                    .endpoint = HubEndpoint::kResolve,
                    .path_contains = "tokenizer",
                    .times = -1,
                    .status = 500});
  EXPECT_EQ(StatusOf(Get(kModelInfo)), 200);
  EXPECT_EQ(StatusOf(Get(kConfig)), 200);
  EXPECT_EQ(StatusOf(Get("/google-bert/bert-base-uncased/resolve/main/tokenizer.json")), 500);
  EXPECT_EQ(StatusOf(Get("/google-bert/bert-base-uncased/resolve/main/tokenizer_config.json")),
            500);
  hub_.ClearFaults();
  EXPECT_EQ(StatusOf(Get("/google-bert/bert-base-uncased/resolve/main/tokenizer.json")), 200);
}

TEST_F(FakeHubTest, TheFirstMatchingFaultWins) {
  hub_.InjectFault({.kind = Fault::Kind::kStatus, .status = 502});
  hub_.InjectFault({.kind = Fault::Kind::kStatus, .status = 504});
  EXPECT_EQ(StatusOf(Get(kModelInfo)), 502);
  EXPECT_EQ(StatusOf(Get(kModelInfo)), 504);
  EXPECT_EQ(StatusOf(Get(kModelInfo)), 200);
}

TEST_F(FakeHubTest, TooManyRequestsSaysWhenToRetry) {
  hub_.InjectFault({.kind = Fault::Kind::kTooManyRequests, .retry_after_seconds = 7});
  httplib::Result result = Get(kModelInfo);
  ASSERT_TRUE(result);
  EXPECT_EQ(result->status, 429);
  EXPECT_EQ(result->get_header_value("Retry-After"), "7");
  EXPECT_EQ(result->get_header_value("RateLimit"), "\"api\";r=0;t=7");
  EXPECT_THAT(result->get_header_value("X-Error-Message"), StartsWith("Too many requests"));
}

TEST_F(FakeHubTest, ResetClosesTheConnectionWithoutAnAnswer) {
  hub_.InjectFault({.kind = Fault::Kind::kReset, .endpoint = HubEndpoint::kResolve});
  const absl::Time start = absl::Now();
  httplib::Result result = Get(kConfig);
  EXPECT_FALSE(result);                              // no status line at all
  EXPECT_LT(absl::Now() - start, absl::Seconds(2));  // at once, not a client timeout
  EXPECT_EQ(StatusOf(Get(kConfig)), 200);
  EXPECT_EQ(hub_.RequestCount(HubEndpoint::kResolve), 2);
}

TEST_F(FakeHubTest, MalformedBodyIsNotJson) {
  hub_.InjectFault({.kind = Fault::Kind::kMalformedBody});
  httplib::Result result = Get(kModelInfo);
  ASSERT_TRUE(result);
  EXPECT_EQ(result->status, 200);
  EXPECT_FALSE(nlohmann::json::accept(result->body));
}

TEST_F(FakeHubTest, OversizedBodyHasTheAskedSize) {
  constexpr size_t kBytes = 3 << 20;
  hub_.InjectFault({.kind = Fault::Kind::kOversizedBody, .body_bytes = kBytes});
  httplib::Result result = Get(kModelInfo);
  ASSERT_TRUE(result);
  EXPECT_EQ(result->status, 200);
  EXPECT_EQ(result->body.size(), kBytes);
  EXPECT_THAT(result->body, StartsWith(R"({"siblings": [{"rfilename": "xxx)"));
}

TEST_F(FakeHubTest, DelayAnswersNormallyLater) {
  hub_.InjectFault({.kind = Fault::Kind::kDelay, .delay = absl::Milliseconds(300)});
  const absl::Time start = absl::Now();
  EXPECT_EQ(GetJson(kModelInfo)["id"], "google-bert/bert-base-uncased");
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(300));
}

TEST_F(FakeHubTest, SlowDripSendsTheRealBodyByteByByte) {
  const std::string path = "/Qwen/Qwen2.5-3B/resolve/main/LICENSE";
  const std::string license = FixtureFile("Qwen/Qwen2.5-3B", "LICENSE");
  hub_.InjectFault({.kind = Fault::Kind::kSlowDrip, .delay = absl::Milliseconds(10)});
  const absl::Time start = absl::Now();
  httplib::Result result = Get(path);
  ASSERT_TRUE(result) << result.error();
  EXPECT_EQ(result->body, license);
  EXPECT_EQ(result->get_header_value("X-Repo-Commit").size(), 40);
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(10) * license.size());
}

TEST_F(FakeHubTest, CountsEveryRequestByEndpointAndRepo) {
  hub_.InjectFault({.kind = Fault::Kind::kStatus, .endpoint = HubEndpoint::kModelInfo});
  Get(kModelInfo);  // faulted: still counted
  Get(kModelInfo);
  Get("/api/models/google-bert/bert-base-uncased/tree/main?recursive=True");
  Get(kConfig);
  Get("/gpt2/resolve/main/config.json");  // a redirect, counted under the path asked
  Get("/api/whoami-v2");
  EXPECT_EQ(hub_.RequestCount(HubEndpoint::kModelInfo), 2);
  EXPECT_EQ(hub_.RequestCount(HubEndpoint::kModelInfo, "google-bert/bert-base-uncased"), 2);
  EXPECT_EQ(hub_.RequestCount(HubEndpoint::kTree, "google-bert/bert-base-uncased"), 1);
  EXPECT_EQ(hub_.RequestCount(HubEndpoint::kResolve), 2);
  EXPECT_EQ(hub_.RequestCount(HubEndpoint::kResolve, "google-bert/bert-base-uncased"), 1);
  EXPECT_EQ(hub_.RequestCount(HubEndpoint::kResolve, "gpt2"), 1);
  EXPECT_EQ(hub_.RequestCount(HubEndpoint::kResolve, "openai-community/gpt2"), 0);
  EXPECT_EQ(hub_.RequestCount(HubEndpoint::kOther), 1);
  EXPECT_EQ(hub_.TotalRequests(), 6);
  hub_.ResetCounts();
  EXPECT_EQ(hub_.TotalRequests(), 0);
}

TEST_F(FakeHubTest, RecordsTheAuthorizationHeadersSent) {
  Get(kModelInfo);
  Get(kModelInfo, Bearer(kAcmeToken));
  Get(kConfig, Bearer("hf_unknown"));
  EXPECT_THAT(hub_.AuthorizationHeaders(),
              ElementsAre(std::string("Bearer ") + kAcmeToken, "Bearer hf_unknown"));
  hub_.ResetCounts();
  EXPECT_TRUE(hub_.AuthorizationHeaders().empty());
}

TEST_F(FakeHubTest, CountsConcurrentRequests) {
  constexpr int kThreads = 8;
  constexpr int kRequestsEach = 10;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([this] {
      httplib::Client client(hub_.endpoint());
      for (int i = 0; i < kRequestsEach; ++i) EXPECT_EQ(StatusOf(client.Get(kConfig)), 200);
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(hub_.RequestCount(HubEndpoint::kResolve, "bert-base-uncased"),
            kThreads * kRequestsEach);
}

}  // namespace
}  // namespace tasks::testing
