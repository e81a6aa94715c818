// HubCache over an in-memory Hub with an injected clock: hits, TTLs, singleflight, stale-if-error,
// the byte bound and the credential partitions.
#include "server/hub/hub_cache.h"

#include <atomic>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "server/common/cancellation.h"
#include "tests/hub/in_memory_hub_client.h"

namespace tasks::hub {
namespace {

using ::tasks::testing::InMemoryHubClient;

absl::StatusOr<nlohmann::json> Parse(const std::string& text) {
  nlohmann::json parsed = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded()) return absl::FailedPreconditionError("not JSON");
  return parsed;
}

ModelInfo Info(const std::string& id, bool is_private = false) {
  ModelInfo info;
  info.id = id;
  info.sha = "0123456789abcdef0123456789abcdef01234567";
  info.visibility = is_private ? Visibility::kRestricted : Visibility::kPublic;
  info.siblings = {"config.json", "model.safetensors"};
  return info;
}

class HubCacheTest : public ::testing::Test {
 protected:
  HubCacheTest() {
    hub_.AddRepo({Info("org/public"), {{"config.json", R"({"model_type": "bert"})"}}, ""});
    hub_.AddRepo({Info("org/private", true), {{"config.json", "{}"}}, "token-a"});
  }

  HubCache MakeCache(size_t max_bytes = 1 << 20) {
    return HubCache(&hub_, {.max_bytes = max_bytes,
                            .model_info_ttl = absl::Minutes(5),
                            .negative_ttl = absl::Seconds(30),
                            .max_stale = absl::Hours(1),
                            .now = [this] { return now_; }});
  }

  absl::Time Deadline() const { return absl::Now() + absl::Seconds(10); }

  InMemoryHubClient hub_;
  absl::Time now_ = absl::FromUnixSeconds(1'700'000'000);
};

TEST_F(HubCacheTest, SecondCallIsAHit) {
  HubCache cache = MakeCache();
  auto first = cache.GetModelInfo("org/public", "main", {}, Deadline());
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->source, AnswerSource::kHub);
  auto second = cache.GetModelInfo("org/public", "main", {}, Deadline());
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->source, AnswerSource::kCache);
  EXPECT_EQ(hub_.calls(), 1);
  EXPECT_EQ(cache.Stats().hits, 1);
  EXPECT_EQ(cache.Stats().upstream.at({HubCall::kModelInfo, absl::StatusCode::kOk}), 1);
}

TEST_F(HubCacheTest, PeekAnswersFreshEntriesAndNeverAsks) {
  HubCache cache = MakeCache();
  EXPECT_FALSE(cache.PeekModelInfo("org/public", "main", {}).has_value());
  EXPECT_EQ(hub_.calls(), 0);  // a look, not a request
  ASSERT_TRUE(cache.GetModelInfo("org/public", "main", {}, Deadline()).ok());
  auto warm = cache.PeekModelInfo("org/public", "main", {});
  ASSERT_TRUE(warm.has_value());
  ASSERT_TRUE(warm->ok());
  EXPECT_EQ((*warm)->source, AnswerSource::kCache);
  // A kept not-found answer is an answer too.
  EXPECT_FALSE(cache.GetModelInfo("org/missing", "main", {}, Deadline()).ok());
  auto missing = cache.PeekModelInfo("org/missing", "main", {});
  ASSERT_TRUE(missing.has_value());
  EXPECT_TRUE(absl::IsNotFound(missing->status()));
  now_ += absl::Minutes(6);  // expired: refreshing it would wait on the Hub
  EXPECT_FALSE(cache.PeekModelInfo("org/public", "main", {}).has_value());
  EXPECT_EQ(hub_.calls(), 2);
}

TEST_F(HubCacheTest, ModelInfoExpiresFilesDoNot) {
  HubCache cache = MakeCache();
  ASSERT_TRUE(cache.GetModelInfo("org/public", "main", {}, Deadline()).ok());
  ASSERT_TRUE(cache
                  .GetJsonFile("org/public", Info("org/public", false), "config.json", {},
                               Deadline(), Parse)
                  .ok());
  now_ += absl::Minutes(6);
  EXPECT_EQ(cache.GetModelInfo("org/public", "main", {}, Deadline())->source, AnswerSource::kHub);
  EXPECT_EQ(cache
                .GetJsonFile("org/public", Info("org/public", false), "config.json", {}, Deadline(),
                             Parse)
                ->source,
            AnswerSource::kCache);
  EXPECT_EQ(hub_.calls(), 3);
}

TEST_F(HubCacheTest, FilesAreKeptParsedAndParseErrorsAreNot) {
  hub_.AddRepo({Info("org/odd"), {{"config.json", R"({"a": 1})"}, {"bad.json", "{"}}, ""});
  HubCache cache = MakeCache();
  int parses = 0;
  auto counting = [&parses](const std::string& text) {
    ++parses;
    return Parse(text);
  };
  for (int i = 0; i < 3; ++i) {
    auto file = cache.GetJsonFile("org/odd", Info("org/odd", false), "config.json", {}, Deadline(),
                                  counting);
    ASSERT_TRUE(file.ok());
    EXPECT_EQ((*file->value)["a"], 1);
  }
  EXPECT_EQ(parses, 1);
  EXPECT_EQ(cache.GetJsonFile("org/odd", Info("org/odd", false), "bad.json", {}, Deadline(), Parse)
                .status()
                .message(),
            "not JSON");
  EXPECT_FALSE(
      cache.GetJsonFile("org/odd", Info("org/odd", false), "bad.json", {}, Deadline(), Parse).ok());
  EXPECT_EQ(cache.Stats().upstream.at({HubCall::kResolve, absl::StatusCode::kFailedPrecondition}),
            2);
}

TEST_F(HubCacheTest, NotFoundIsCachedBriefly) {
  HubCache cache = MakeCache();
  EXPECT_TRUE(absl::IsNotFound(cache.GetModelInfo("org/missing", "main", {}, Deadline()).status()));
  EXPECT_TRUE(absl::IsNotFound(cache.GetModelInfo("org/missing", "main", {}, Deadline()).status()));
  EXPECT_EQ(hub_.calls(), 1);
  now_ += absl::Seconds(31);
  EXPECT_TRUE(absl::IsNotFound(cache.GetModelInfo("org/missing", "main", {}, Deadline()).status()));
  EXPECT_EQ(hub_.calls(), 2);
}

TEST_F(HubCacheTest, ConcurrentMissesMakeOneRequest) {
  HubCache cache = MakeCache();
  hub_.Hold();
  std::vector<std::thread> callers;
  std::atomic<int> ok{0};
  for (int i = 0; i < 64; ++i) {
    callers.emplace_back(
        [&] { ok += cache.GetModelInfo("org/public", "main", {}, Deadline()).ok(); });
  }
  // Wait until the one request is at the Hub and everyone else waits on it.
  while (hub_.waiting() < 1 || cache.Stats().coalesced < 63) std::this_thread::yield();
  hub_.Release();
  for (std::thread& caller : callers) caller.join();
  EXPECT_EQ(ok, 64);
  EXPECT_EQ(hub_.calls(), 1);
  EXPECT_EQ(cache.Stats().misses, 1);
  EXPECT_EQ(cache.Stats().coalesced, 63);
}

TEST_F(HubCacheTest, StaleAnswerWhenTheHubFails) {
  HubCache cache = MakeCache();
  ASSERT_TRUE(cache.GetModelInfo("org/public", "main", {}, Deadline()).ok());
  now_ += absl::Minutes(10);
  hub_.FailWith(absl::UnavailableError("connection refused"));
  auto stale = cache.GetModelInfo("org/public", "main", {}, Deadline());
  ASSERT_TRUE(stale.ok()) << stale.status();
  EXPECT_EQ(stale->source, AnswerSource::kStaleCache);
  EXPECT_EQ(cache.Stats().stale_served, 1);
  // Too old to serve: the error comes through.
  now_ += absl::Hours(2);
  EXPECT_TRUE(
      absl::IsUnavailable(cache.GetModelInfo("org/public", "main", {}, Deadline()).status()));
  // The Hub recovers: fresh answers again, without a restart.
  hub_.FailWith(absl::OkStatus());
  EXPECT_EQ(cache.GetModelInfo("org/public", "main", {}, Deadline())->source, AnswerSource::kHub);
}

TEST_F(HubCacheTest, PrivateAnswersStayWithTheirToken) {
  HubCache cache = MakeCache();
  auto with_a = cache.GetModelInfo("org/private", "main", {"token-a"}, Deadline());
  ASSERT_TRUE(with_a.ok()) << with_a.status();
  // Nobody else gets the cached private answer.
  EXPECT_TRUE(absl::IsNotFound(cache.GetModelInfo("org/private", "main", {}, Deadline()).status()));
  EXPECT_TRUE(absl::IsNotFound(
      cache.GetModelInfo("org/private", "main", {"token-b"}, Deadline()).status()));
  EXPECT_EQ(cache.GetModelInfo("org/private", "main", {"token-a"}, Deadline())->source,
            AnswerSource::kCache);
  // A public answer fetched with a token is shared.
  ASSERT_TRUE(cache.GetModelInfo("org/public", "main", {"token-a"}, Deadline()).ok());
  EXPECT_EQ(cache.GetModelInfo("org/public", "main", {}, Deadline())->source, AnswerSource::kCache);
  // Private files too.
  ASSERT_TRUE(cache
                  .GetJsonFile("org/private", Info("org/private", true), "config.json", {"token-a"},
                               Deadline(), Parse)
                  .ok());
  EXPECT_TRUE(absl::IsNotFound(cache
                                   .GetJsonFile("org/private", Info("org/private", true),
                                                "config.json", {}, Deadline(), Parse)
                                   .status()));
}

TEST_F(HubCacheTest, PrivateAnswersStayWithTheirTokenUnderConcurrency) {
  HubCache cache = MakeCache();
  // Callers with the right token, a wrong one and none ask for a private repo at once, many
  // times: only the right token ever gets an answer, whoever fetched or cached first.
  constexpr int kRounds = 200;
  std::atomic<int> leaks = 0, refused_owner = 0;
  std::vector<std::thread> callers;
  for (const std::string token : {"token-a", "token-b", ""}) {
    for (int thread = 0; thread < 3; ++thread) {
      callers.emplace_back([&, token] {
        for (int i = 0; i < kRounds; ++i) {
          auto info = cache.GetModelInfo("org/private", "main", {token}, Deadline());
          if (token == "token-a") {
            refused_owner += !info.ok();
          } else {
            leaks += info.ok();
          }
        }
      });
    }
  }
  for (std::thread& caller : callers) caller.join();
  EXPECT_EQ(leaks, 0);
  EXPECT_EQ(refused_owner, 0);
}

TEST_F(HubCacheTest, StaysUnderTheByteBound) {
  const size_t bound = 64 << 10;
  HubCache cache = MakeCache(bound);
  std::map<std::string, std::string> files;
  for (int i = 0; i < 100; ++i)
    files["file" + std::to_string(i)] = '"' + std::string(4 << 10, 'x') + '"';
  hub_.AddRepo({Info("org/big"), files, ""});
  for (const auto& [path, contents] : files) {
    ASSERT_TRUE(
        cache.GetJsonFile("org/big", Info("org/big", false), path, {}, Deadline(), Parse).ok());
    EXPECT_LE(cache.Stats().bytes, static_cast<int64_t>(bound));
  }
  EXPECT_GT(cache.Stats().evictions, 80);
  // The most recent ones are still there.
  EXPECT_EQ(
      cache.GetJsonFile("org/big", Info("org/big", false), "file99", {}, Deadline(), Parse)->source,
      AnswerSource::kCache);
}

TEST_F(HubCacheTest, EvictionsHandFreedMemoryBackAtMostOnceAnInterval) {
  int releases = 0;
  HubCache cache(&hub_, {.max_bytes = 16 << 10,
                         .now = [this] { return now_; },
                         .release_freed_memory = [&releases] { ++releases; },
                         .release_interval = absl::Seconds(1)});
  std::map<std::string, std::string> files;
  for (int i = 0; i < 20; ++i)
    files["file" + std::to_string(i)] = '"' + std::string(4 << 10, 'x') + '"';
  hub_.AddRepo({Info("org/big"), files, ""});
  auto fetch = [&](int i) {
    ASSERT_TRUE(cache
                    .GetJsonFile("org/big", Info("org/big", false), "file" + std::to_string(i), {},
                                 Deadline(), Parse)
                    .ok());
  };
  for (int i = 0; i < 3; ++i) fetch(i);
  ASSERT_EQ(cache.Stats().evictions, 0);
  EXPECT_EQ(releases, 0);  // nothing evicted, nothing to hand back
  for (int i = 3; i < 10; ++i) fetch(i);
  ASSERT_GT(cache.Stats().evictions, 1);
  EXPECT_EQ(releases, 1);  // several evictions within the interval: one release
  now_ += absl::Seconds(1);
  fetch(10);
  EXPECT_EQ(releases, 2);
}

// The Hub lists a tree directory by directory, not sorted.
class UnsortedTreeHub final : public HubClient {
 public:
  absl::StatusOr<ModelInfo> GetModelInfo(absl::string_view, absl::string_view, const Credentials&,
                                         const WaitLimits&) override {
    return absl::NotFoundError("no model info");
  }
  absl::StatusOr<std::vector<std::string>> ListRepoFiles(absl::string_view, absl::string_view,
                                                         const Credentials&,
                                                         const WaitLimits&) override {
    return std::vector<std::string>{"vocab.txt", "onnx/model.onnx", "config.json"};
  }
  absl::StatusOr<std::string> GetFile(absl::string_view, absl::string_view, absl::string_view,
                                      const Credentials&, const WaitLimits&) override {
    return absl::NotFoundError("no files");
  }
};

TEST(HubCacheTreeTest, TreeListingsAreKeptSorted) {
  UnsortedTreeHub hub;
  HubCache cache(&hub, {});
  auto files =
      cache.ListRepoFiles("org/repo", Info("org/repo"), {}, absl::Now() + absl::Seconds(10));
  ASSERT_TRUE(files.ok()) << files.status();
  EXPECT_EQ(*files->value,
            (std::vector<std::string>{"config.json", "onnx/model.onnx", "vocab.txt"}));
}

TEST_F(HubCacheTest, WaitersGiveUpAtTheirDeadline) {
  HubCache cache = MakeCache();
  hub_.Hold();
  std::thread owner([&] { (void)cache.GetModelInfo("org/public", "main", {}, Deadline()); });
  while (hub_.waiting() < 1) std::this_thread::yield();
  auto waiter = cache.GetModelInfo("org/public", "main", {}, absl::Now() + absl::Milliseconds(50));
  EXPECT_TRUE(absl::IsDeadlineExceeded(waiter.status()));
  hub_.Release();
  owner.join();
}

// The request is bounded by its owner's deadline; a waiter with more time makes it again rather
// than inherit a timeout that was not its own.
TEST_F(HubCacheTest, AWaiterOutlivesItsOwnersDeadline) {
  HubCache cache = MakeCache();
  hub_.Hold();
  absl::Status owner_status;
  std::thread owner([&] {
    owner_status =
        cache.GetModelInfo("org/public", "main", {}, absl::Now() + absl::Milliseconds(300))
            .status();
  });
  while (hub_.waiting() < 1) std::this_thread::yield();
  absl::StatusOr<CachedAnswer<ModelInfo>> waiter = absl::UnknownError("not run");
  std::thread patient([&] { waiter = cache.GetModelInfo("org/public", "main", {}, Deadline()); });
  owner.join();
  EXPECT_TRUE(absl::IsDeadlineExceeded(owner_status)) << owner_status;
  while (hub_.calls() < 2 || hub_.waiting() < 1) std::this_thread::yield();  // its own request
  hub_.Release();
  patient.join();
  ASSERT_TRUE(waiter.ok()) << waiter.status();
  EXPECT_EQ(waiter->source, AnswerSource::kHub);
  EXPECT_EQ(cache.Stats().coalesced, 1);
}

// Two callers share one held request; `cancel` says which of them go away.
class HubCacheCancellationTest : public HubCacheTest {
 protected:
  void Run(bool cancel_first, bool cancel_second) {
    HubCache cache = MakeCache();
    hub_.Hold();
    CancellationFlag first_gone, second_gone;
    auto call = [&](CancellationFlag* gone, absl::Status* status) {
      *status = cache.GetModelInfo("org/public", "main", {}, WaitLimits(Deadline(), gone)).status();
    };
    std::thread first(call, &first_gone, &first_status_);
    while (hub_.waiting() < 1) std::this_thread::yield();
    std::thread second(call, &second_gone, &second_status_);
    while (cache.Stats().coalesced < 1) std::this_thread::yield();
    if (cancel_first) first_gone.Cancel();
    if (cancel_second) second_gone.Cancel();
    if (!(cancel_first && cancel_second)) {
      // Whoever still waits keeps the request alive: it ends only by being answered.
      absl::SleepFor(absl::Milliseconds(200));
      hub_.Release();
    }
    first.join();
    second.join();
    stats_ = cache.Stats();
  }

  absl::Status first_status_, second_status_;
  HubCacheStats stats_;
};

TEST_F(HubCacheCancellationTest, TheRequestIsAbandonedWhenEveryCallerHasGone) {
  Run(/*cancel_first=*/true, /*cancel_second=*/true);
  EXPECT_TRUE(absl::IsCancelled(first_status_)) << first_status_;
  EXPECT_TRUE(absl::IsCancelled(second_status_)) << second_status_;
  EXPECT_EQ(hub_.abandoned(), 1);
  EXPECT_EQ(hub_.calls(), 1);
  EXPECT_EQ(stats_.upstream.at({HubCall::kModelInfo, absl::StatusCode::kCancelled}), 1);
}

TEST_F(HubCacheCancellationTest, TheRequestGoesOnWhileTheOwnersWaiterRemains) {
  Run(/*cancel_first=*/true, /*cancel_second=*/false);
  EXPECT_TRUE(second_status_.ok()) << second_status_;
  EXPECT_EQ(hub_.abandoned(), 0);
  EXPECT_EQ(hub_.calls(), 1);
}

TEST_F(HubCacheCancellationTest, ACancelledWaiterLeavesTheOwnerItsAnswer) {
  Run(/*cancel_first=*/false, /*cancel_second=*/true);
  EXPECT_TRUE(first_status_.ok()) << first_status_;
  EXPECT_TRUE(absl::IsCancelled(second_status_)) << second_status_;
  EXPECT_EQ(hub_.abandoned(), 0);
  EXPECT_EQ(hub_.calls(), 1);
}

}  // namespace
}  // namespace tasks::hub
