// The service under concurrent load while the fake Hub misbehaves, when callers go away, and while
// it shuts down: every call ends within the server's bound with the right code or a stale answer,
// nothing waits for nobody, and nothing in flight is lost.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <limits>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "gtest/gtest.h"
#include "tests/service/service_harness.h"

namespace tasks::testing {
namespace {

namespace v1 = optimum::tasks::v1;
using service::ServerOptions;
using ::testing::Contains;
using ::testing::Gt;

// What one call of the mix ended with.
struct Outcome {
  grpc::StatusCode code;
  std::string message;
  std::string source;  // where a successful answer's facts came from
  absl::Duration elapsed;
};

// Call `number` of a mix of the inference RPCs over kPublicRepos, with a deadline of `timeout`.
Outcome CallMix(v1::TasksManager::Stub& stub, int number, absl::Duration timeout) {
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + timeout));
  const std::string& repo = kPublicRepos[number % kPublicRepos.size()];
  const absl::Time start = absl::Now();
  grpc::Status status;
  std::string source;
  switch (number % 3) {
    case 0: {
      v1::ResolveExportRequest request;
      request.set_model(repo);
      request.set_exporter("onnx");
      v1::ResolveExportResponse response;
      status = stub.ResolveExport(&context, request, &response);
      source = response.source().source();
      break;
    }
    case 1: {
      v1::DetermineFrameworkRequest request;
      request.set_model_name_or_path(repo);
      v1::DetermineFrameworkResponse response;
      status = stub.DetermineFramework(&context, request, &response);
      source = response.source().source();
      break;
    }
    default: {
      v1::InferTaskFromModelRequest request;
      request.set_model(repo);
      v1::InferTaskFromModelResponse response;
      status = stub.InferTaskFromModel(&context, request, &response);
      source = response.source().source();
      break;
    }
  }
  return {status.error_code(), status.error_message(), source, absl::Now() - start};
}

// Every kind of misbehaviour, in bursts (the fake Hub applies the first fault not yet spent).
void InjectEveryFault(FakeHub& hub) {
  using Kind = Fault::Kind;
  hub.InjectFault({.kind = Kind::kStatus, .times = 30, .status = 503});
  hub.InjectFault({.kind = Kind::kTooManyRequests, .times = 15, .retry_after_seconds = 1});
  hub.InjectFault({.kind = Kind::kReset, .times = 15});
  // Model info that is not JSON is a proxy's or maintenance page (UNAVAILABLE); a file that is
  // not JSON is the repo's content (FAILED_PRECONDITION), so files are left out here.
  hub.InjectFault({.kind = Kind::kMalformedBody, .endpoint = HubEndpoint::kModelInfo, .times = 10});
  hub.InjectFault({.kind = Kind::kOversizedBody, .times = 4, .body_bytes = 9 << 20});
  hub.InjectFault({.kind = Kind::kSlowDrip, .times = 4, .delay = absl::Milliseconds(50)});
  hub.InjectFault({.kind = Kind::kDelay, .times = 8, .delay = absl::Seconds(4)});
  hub.InjectFault({.kind = Kind::kStatus, .times = 30, .status = 500});
}

TEST(FaultLoad, EveryCallEndsInTimeWithTheRightCodeAndRecovers) {
  ServerOptions options;
  options.cache.model_info_ttl = absl::ZeroDuration();  // every call asks the Hub again
  options.service.max_hub_wait = absl::Seconds(1);      // the server's bound, under the caller's
  Harness harness(options);
  // Warm: answers the Hub can no longer give are then served stale.
  for (int i = 0; i < static_cast<int>(kPublicRepos.size()); i += 2) {
    ASSERT_EQ(CallMix(harness.stub(), i, absl::Seconds(10)).code, grpc::StatusCode::OK) << i;
  }
  InjectEveryFault(harness.hub());

  constexpr int kThreads = 16;
  constexpr int kCallsPerThread = 25;
  absl::Mutex mutex;
  std::map<grpc::StatusCode, int> codes;
  std::map<grpc::StatusCode, std::string> messages;  // the first of each code, to show
  std::map<std::string, int> sources;
  absl::Duration slowest;
  std::vector<std::thread> callers;
  for (int t = 0; t < kThreads; ++t) {
    callers.emplace_back([&, t] {
      for (int i = 0; i < kCallsPerThread; ++i) {
        // The caller would wait 5 s: ending within about 1 s is the server's doing.
        const Outcome outcome = CallMix(harness.stub(), t * kCallsPerThread + i, absl::Seconds(5));
        absl::MutexLock lock(&mutex);
        ++codes[outcome.code];
        messages.try_emplace(outcome.code, outcome.message);
        if (outcome.code == grpc::StatusCode::OK) ++sources[outcome.source];
        slowest = std::max(slowest, outcome.elapsed);
      }
    });
  }
  for (std::thread& caller : callers) caller.join();

  int calls = 0;
  for (const auto& [code, count] : codes) {
    calls += count;
    EXPECT_THAT((std::vector<grpc::StatusCode>{grpc::StatusCode::OK, grpc::StatusCode::UNAVAILABLE,
                                               grpc::StatusCode::DEADLINE_EXCEEDED,
                                               grpc::StatusCode::RESOURCE_EXHAUSTED}),
                Contains(code))
        << count << " calls ended with code " << code << ", e.g. " << messages[code];
  }
  EXPECT_EQ(calls, kThreads * kCallsPerThread);
  EXPECT_LT(slowest, absl::Seconds(2.5));  // 1 s bound + scheduling on a loaded 2-core machine
  EXPECT_THAT(sources["stale-cache"], Gt(0));
  EXPECT_THAT(codes[grpc::StatusCode::OK], Gt(0));

  // The Hub recovers: fresh answers for every repo, without a restart.
  harness.hub().ClearFaults();
  for (int i = 0; i < static_cast<int>(kPublicRepos.size()); ++i) {
    const Outcome outcome = CallMix(harness.stub(), i, absl::Seconds(10));
    EXPECT_EQ(outcome.code, grpc::StatusCode::OK) << kPublicRepos[i];
    EXPECT_EQ(outcome.source, "hub") << kPublicRepos[i];
  }
  grpc::Status status;
  harness.Resolve("google-bert/bert-base-uncased", "onnx", &status);
  EXPECT_TRUE(status.ok()) << status.error_message();
}

TEST(FaultLoad, ACancelledCallAbandonsItsHubRequestAndFreesItsThread) {
  ServerOptions options;
  options.hub_threads = 1;  // the abandoned call's thread is the only one
  Harness harness(options);
  harness.hub().InjectFault({.kind = Fault::Kind::kDelay,
                             .path_contains = "gpt2",
                             .times = -1,
                             .delay = absl::Seconds(20)});
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(30)));
  v1::DetermineFrameworkRequest request;
  request.set_model_name_or_path("openai-community/gpt2");
  v1::DetermineFrameworkResponse response;
  std::thread canceller([&] {
    while (harness.hub().RequestCount(HubEndpoint::kModelInfo) < 1) {
      absl::SleepFor(absl::Milliseconds(5));
    }
    context.TryCancel();
  });
  const grpc::Status cancelled = harness.stub().DetermineFramework(&context, request, &response);
  canceller.join();
  EXPECT_EQ(cancelled.error_code(), grpc::StatusCode::CANCELLED);

  // Within about a second the server gives the request up, which frees the one Hub thread for
  // the next call (without it, that call would queue behind a 20 s wait and time out).
  const absl::Time start = absl::Now();
  grpc::Status status;
  harness.Resolve("google-bert/bert-base-uncased", "onnx", &status);
  EXPECT_TRUE(status.ok()) << status.error_message();
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
  EXPECT_EQ(harness.server().cache()->Stats().upstream.at(
                {hub::HubCall::kModelInfo, absl::StatusCode::kCancelled}),
            1);
}

TEST(FaultLoad, ShutdownLosesNoCallInFlight) {
  ServerOptions options;
  options.cache.model_info_ttl = absl::ZeroDuration();
  Harness harness(options);
  // Every call spends 300 ms at the Hub, so calls are in flight when the shutdown starts.
  harness.hub().InjectFault(
      {.kind = Fault::Kind::kDelay, .times = -1, .delay = absl::Milliseconds(300)});
  auto health = grpc::health::v1::Health::NewStub(
      grpc::CreateChannel(harness.address(), grpc::InsecureChannelCredentials()));
  grpc::ClientContext watch_context;
  grpc::health::v1::HealthCheckRequest watch_request;
  auto watch = health->Watch(&watch_context, watch_request);
  grpc::health::v1::HealthCheckResponse serving;
  ASSERT_TRUE(watch->Read(&serving));
  EXPECT_EQ(serving.status(), grpc::health::v1::HealthCheckResponse::SERVING);

  std::atomic<bool> stop{false};
  std::atomic<int> in_flight_ok{0}, in_flight_failed{0};
  std::atomic<int64_t> shutdown_at_ns{std::numeric_limits<int64_t>::max()};
  std::vector<std::thread> callers;
  for (int t = 0; t < 8; ++t) {
    callers.emplace_back([&, t] {
      for (int i = 0; !stop && i < 100; ++i) {
        const absl::Time start = absl::Now();
        const Outcome outcome = CallMix(harness.stub(), t + 8 * i, absl::Seconds(10));
        // A call sent 100 ms before the shutdown began had reached the server and was still
        // at the Hub (300 ms) when it began: it must finish.
        if (absl::ToUnixNanos(start + absl::Milliseconds(100)) < shutdown_at_ns) {
          (outcome.code == grpc::StatusCode::OK ? in_flight_ok : in_flight_failed)++;
        }
      }
    });
  }
  while (harness.hub().RequestCount(HubEndpoint::kModelInfo) < 8) {
    absl::SleepFor(absl::Milliseconds(5));
  }
  absl::SleepFor(absl::Milliseconds(150));
  shutdown_at_ns = absl::ToUnixNanos(absl::Now());
  const absl::Time shutdown_start = absl::Now();
  absl::Duration shutdown_time;
  std::thread shutdown([&] {  // blocks until every call has ended, or the grace has passed
    harness.server().Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(5));
    shutdown_time = absl::Now() - shutdown_start;
  });
  // Health says NOT_SERVING first; then the watcher hangs up, as a load balancer would.
  grpc::health::v1::HealthCheckResponse draining;
  EXPECT_TRUE(watch->Read(&draining));
  EXPECT_EQ(draining.status(), grpc::health::v1::HealthCheckResponse::NOT_SERVING);
  watch_context.TryCancel();
  shutdown.join();
  EXPECT_LT(shutdown_time, absl::Seconds(4));  // when the calls were done, not at the grace
  stop = true;
  for (std::thread& caller : callers) caller.join();
  EXPECT_GE(in_flight_ok, 8);
  EXPECT_EQ(in_flight_failed, 0);
}

}  // namespace
}  // namespace tasks::testing
