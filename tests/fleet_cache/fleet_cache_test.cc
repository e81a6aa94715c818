// The fleet cache: the answer codec, the value seal, and RedisCache with HubCaches over it, each
// HubCache standing for one server of a fleet, against a real redis-server the tests start
// (RedisTestServer) and in-memory Hubs counting requests.
#include <atomic>
#include <csignal>
#include <memory>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "server/fleet_cache/redis_cache.h"
#include "server/fleet_cache/value_seal.h"
#include "server/hub/answer_codec.h"
#include "server/hub/hub_cache.h"
#include "tests/fleet_cache/redis_test_server.h"
#include "tests/hub/in_memory_hub_client.h"

namespace tasks::fleet_cache {
namespace {

using ::tasks::hub::AnswerSource;
using ::tasks::hub::Credentials;
using ::tasks::hub::DecodeAnswer;
using ::tasks::hub::EncodeAnswer;
using ::tasks::hub::HubAnswer;
using ::tasks::hub::HubCache;
using ::tasks::hub::HubCall;
using ::tasks::hub::ModelInfo;
using ::tasks::hub::Visibility;
using ::tasks::testing::InMemoryHubClient;
using ::tasks::testing::RedisTestServer;

constexpr char kSecret[] = "a fleet secret of 32 bytes......";
constexpr char kSha[] = "0123456789abcdef0123456789abcdef01234567";

ModelInfo Info(const std::string& id, bool is_public = true) {
  ModelInfo info;
  info.id = id;
  info.sha = kSha;
  info.pipeline_tag = "fill-mask";
  info.visibility = is_public ? Visibility::kPublic : Visibility::kRestricted;
  info.siblings = {"config.json", "model.safetensors"};
  info.config = {{"model_type", "bert"}};
  return info;
}

absl::StatusOr<nlohmann::json> Parse(const std::string& text) {
  nlohmann::json parsed = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded()) return absl::FailedPreconditionError("not JSON");
  return parsed;
}

absl::Time Deadline() { return absl::Now() + absl::Seconds(10); }

// --- The codec and the seal: no Redis ------------------------------------------------------------

TEST(AnswerCodecTest, ModelInfoRoundTripsWithItsFetchTime) {
  const absl::Time fetched = absl::FromUnixSeconds(1'700'000'000);
  const std::string bytes =
      EncodeAnswer(HubAnswer(std::make_shared<const ModelInfo>(Info("org/a"))), fetched);
  auto decoded = DecodeAnswer(bytes, HubCall::kModelInfo);
  ASSERT_TRUE(decoded.has_value());
  EXPECT_EQ(decoded->fetched, fetched);
  ASSERT_TRUE(decoded->answer.ok());
  const ModelInfo& info = *std::get<std::shared_ptr<const ModelInfo>>(*decoded->answer);
  EXPECT_EQ(info.id, "org/a");
  EXPECT_EQ(info.sha, kSha);
  EXPECT_EQ(info.pipeline_tag, "fill-mask");
  EXPECT_FALSE(info.library_name.has_value());
  EXPECT_TRUE(hub::IsPublic(info));
  EXPECT_EQ(info.siblings, Info("org/a").siblings);
  EXPECT_EQ(info.config, Info("org/a").config);
  EXPECT_TRUE(info.transformers_info.is_null());
  // Asked as another kind of answer, it is none.
  EXPECT_FALSE(DecodeAnswer(bytes, HubCall::kTree).has_value());
}

TEST(AnswerCodecTest, NotFoundKeepsItsPayloads) {
  absl::Status missing = absl::NotFoundError("RepoNotFound");
  missing.SetPayload("type.googleapis.com/google.rpc.ErrorInfo", absl::Cord("details"));
  auto decoded = DecodeAnswer(EncodeAnswer(missing, absl::Now()), HubCall::kModelInfo);
  ASSERT_TRUE(decoded.has_value());
  EXPECT_EQ(decoded->answer.status(), missing);
}

TEST(AnswerCodecTest, AnotherFormatVersionOrGarbageIsAMiss) {
  std::string bytes = EncodeAnswer(
      HubAnswer(std::make_shared<const std::vector<std::string>>(std::vector<std::string>{"a"})),
      absl::Now());
  ASSERT_TRUE(DecodeAnswer(bytes, HubCall::kTree).has_value());
  bytes[0] = hub::kAnswerFormatVersion + 1;
  EXPECT_FALSE(DecodeAnswer(bytes, HubCall::kTree).has_value());
  EXPECT_FALSE(DecodeAnswer("", HubCall::kTree).has_value());
  EXPECT_FALSE(DecodeAnswer(std::string(1, hub::kAnswerFormatVersion) + "\xff\xff\xff",
                            HubCall::kTree)
                   .has_value());
}

TEST(AnswerCodecTest, ModelInfoWithABadShaIsNotAnAnswer) {
  ModelInfo info = Info("org/a");
  info.sha = "../../etc";
  EXPECT_FALSE(DecodeAnswer(EncodeAnswer(HubAnswer(std::make_shared<const ModelInfo>(info)),
                                         absl::Now()),
                            HubCall::kModelInfo)
                   .has_value());
}

TEST(ValueSealTest, OnlyAnUntouchedValueUnderItsOwnKeyOpens) {
  const ValueSeal seal(kSecret, kSecret);
  const std::string sealed = seal.Seal("k1", "value");
  EXPECT_EQ(seal.Open("k1", sealed), "value");
  std::string flipped = sealed;
  flipped[1] ^= 1;
  EXPECT_FALSE(seal.Open("k1", flipped).has_value());
  EXPECT_FALSE(seal.Open("k1", sealed.substr(0, sealed.size() - 1)).has_value());
  EXPECT_FALSE(seal.Open("k1", sealed.substr(1)).has_value());
  EXPECT_FALSE(seal.Open("k1", "").has_value());
  EXPECT_FALSE(seal.Open("k2", sealed).has_value());  // moved to another key
  EXPECT_FALSE(ValueSeal("another secret of 32 bytes......", "").Open("k1", sealed).has_value());
}

TEST(ValueSealTest, TokenPartitionsAreDistinctAndHoldNoToken) {
  const ValueSeal seal(kSecret, kSecret);
  const std::optional<std::string> a = seal.TokenPartition("hf_token_a");
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(seal.TokenPartition("hf_token_a"), a);
  EXPECT_NE(seal.TokenPartition("hf_token_b"), a);
  EXPECT_FALSE(absl::StrContains(*a, "token"));
  // Named by the partition secret: another fleet's names differ.
  EXPECT_NE(ValueSeal(kSecret, "another secret of 32 bytes......").TokenPartition("hf_token_a"),
            a);
  EXPECT_FALSE(ValueSeal(kSecret, "").TokenPartition("hf_token_a").has_value());
}

// --- RedisCache and HubCaches over a real Redis ------------------------------------------------

class FleetCacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::signal(SIGPIPE, SIG_IGN);  // as tasks-server does: a killed Redis is a failed write
    ASSERT_TRUE(redis_.Start().ok());
  }

  std::shared_ptr<RedisCache> MakeRedisCache(std::string partition_secret = kSecret) {
    RedisCacheOptions options;
    options.address = redis_.address();
    options.value_secret = kSecret;
    options.partition_secret = std::move(partition_secret);
    options.breaker_open = absl::Milliseconds(100);
    absl::StatusOr<std::unique_ptr<RedisCache>> cache = RedisCache::Create(std::move(options));
    EXPECT_TRUE(cache.ok()) << cache.status();
    return cache.ok() ? std::shared_ptr<RedisCache>(*std::move(cache)) : nullptr;
  }

  // One server of the fleet: its own Hub client (counting its requests) and in-memory cache.
  struct Replica {
    InMemoryHubClient hub;
    std::shared_ptr<RedisCache> redis;
    std::unique_ptr<HubCache> cache;
  };
  std::unique_ptr<Replica> MakeReplica(std::string partition_secret = kSecret) {
    auto replica = std::make_unique<Replica>();
    replica->hub.AddRepo({Info("org/public"), {{"config.json", R"({"model_type": "bert"})"}}, ""});
    replica->hub.AddRepo({Info("org/private", false), {{"config.json", "{}"}}, "token-a"});
    replica->redis = MakeRedisCache(std::move(partition_secret));
    hub::HubCacheOptions options;
    options.shared = replica->redis;
    options.lease_ttl = absl::Seconds(5);
    replica->cache = std::make_unique<HubCache>(&replica->hub, options);
    return replica;
  }

  RedisTestServer redis_;
};

TEST_F(FleetCacheTest, ValuesRoundTripAndTamperedOnesAreRejected) {
  std::shared_ptr<RedisCache> cache = MakeRedisCache();
  ASSERT_TRUE(cache->Put("k", "value", absl::Minutes(1)));
  EXPECT_EQ(cache->Get({"k", "absent"}),
            (std::vector<std::optional<std::string>>{"value", std::nullopt}));
  absl::StatusOr<std::optional<std::string>> sealed = redis_.Command({"GET", "tasks:k"});
  ASSERT_TRUE(sealed.ok() && sealed->has_value());
  std::string tampered = **sealed;
  tampered[0] = 'V';
  ASSERT_TRUE(redis_.Command({"SET", "tasks:k", tampered}).ok());
  EXPECT_EQ(cache->Get({"k"})[0], std::nullopt);
  ASSERT_TRUE(redis_.Command({"SET", "tasks:k", "value"}).ok());  // unsealed: shorter than a MAC
  EXPECT_EQ(cache->Get({"k"})[0], std::nullopt);
  EXPECT_EQ(cache->Stats().rejected, 2);
  EXPECT_EQ(cache->Stats().errors, 0);
}

TEST_F(FleetCacheTest, OversizedValuesAreNotWritten) {
  std::shared_ptr<RedisCache> cache = MakeRedisCache();
  EXPECT_FALSE(cache->Put("big", std::string(2 << 20, 'x'), absl::Minutes(1)));
  EXPECT_EQ(*redis_.Command({"EXISTS", "tasks:big"}), "0");
}

TEST_F(FleetCacheTest, ASecondReplicaAnswersFromRedisWithoutTheHub) {
  std::unique_ptr<Replica> first = MakeReplica();
  std::unique_ptr<Replica> second = MakeReplica();
  for (Replica* replica : {first.get(), second.get()}) {
    auto info = replica->cache->GetModelInfo("org/public", "main", {}, Deadline());
    ASSERT_TRUE(info.ok()) << info.status();
    EXPECT_EQ(info->value->config, Info("org/public").config);
    auto files = replica->cache->ListRepoFiles("org/public", *info->value, {}, Deadline());
    ASSERT_TRUE(files.ok()) << files.status();
    auto config =
        replica->cache->GetJsonFile("org/public", *info->value, "config.json", {}, Deadline(), Parse);
    ASSERT_TRUE(config.ok()) << config.status();
    EXPECT_EQ((*config->value)["model_type"], "bert");
    // Not found, kept for the anonymous partition.
    EXPECT_TRUE(absl::IsNotFound(
        replica->cache->GetModelInfo("org/missing", "main", {}, Deadline()).status()));
  }
  EXPECT_EQ(first->hub.calls(), 4);
  EXPECT_EQ(second->hub.calls(), 0);
  EXPECT_EQ(second->cache->Stats().shared_hits, 4);
  EXPECT_EQ(first->cache->Stats().shared_misses, 4);
  // And in its memory now: no second look at Redis.
  auto again = second->cache->GetModelInfo("org/public", "main", {}, Deadline());
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(second->cache->Stats().shared_hits, 4);
}

TEST_F(FleetCacheTest, ConcurrentColdCallsAcrossReplicasCostOneHubRequest) {
  std::vector<std::unique_ptr<Replica>> replicas;
  for (int i = 0; i < 3; ++i) {
    replicas.push_back(MakeReplica());
    replicas.back()->hub.Hold();  // so that every call is in before the first answer
  }
  std::atomic<int> failures{0};
  std::vector<std::thread> callers;
  for (auto& replica : replicas) {
    for (int i = 0; i < 32; ++i) {
      callers.emplace_back([&replica, &failures] {
        if (!replica->cache->GetModelInfo("org/public", "main", {}, Deadline()).ok()) ++failures;
      });
    }
  }
  // Until one replica asks the Hub and the other two wait for its lease (bounded).
  auto lined_up = [&] {
    int asking = 0, waiting = 0;
    for (auto& replica : replicas) {
      asking += replica->hub.waiting();
      waiting += replica->cache->Stats().lease_waits > 0 ? 1 : 0;
    }
    return asking == 1 && waiting == 2;
  };
  for (const absl::Time end = absl::Now() + absl::Seconds(5); !lined_up() && absl::Now() < end;) {
    absl::SleepFor(absl::Milliseconds(5));
  }
  EXPECT_TRUE(lined_up());
  for (auto& replica : replicas) replica->hub.Release();
  for (std::thread& caller : callers) caller.join();
  EXPECT_EQ(failures, 0);
  int hub_calls = 0;
  for (auto& replica : replicas) hub_calls += replica->hub.calls();
  EXPECT_EQ(hub_calls, 1);
}

TEST_F(FleetCacheTest, APrivateAnswerIsServedOnlyToItsToken) {
  std::unique_ptr<Replica> first = MakeReplica();
  std::unique_ptr<Replica> second = MakeReplica();
  ASSERT_TRUE(
      first->cache->GetModelInfo("org/private", "main", {"token-a"}, Deadline()).ok());
  // Another token and anonymous callers ask the Hub themselves, and are refused.
  EXPECT_TRUE(absl::IsNotFound(
      second->cache->GetModelInfo("org/private", "main", {"token-b"}, Deadline()).status()));
  EXPECT_TRUE(absl::IsNotFound(
      second->cache->GetModelInfo("org/private", "main", {}, Deadline()).status()));
  EXPECT_EQ(second->hub.calls(), 2);
  // Token A's own answer comes from Redis.
  auto own = second->cache->GetModelInfo("org/private", "main", {"token-a"}, Deadline());
  ASSERT_TRUE(own.ok()) << own.status();
  EXPECT_EQ(second->hub.calls(), 2);
  // Nothing about it under the public key; no token anywhere in Redis.
  EXPECT_EQ(*redis_.Command({"EXISTS", "tasks:public|info|org/private@main"}), "0");
  EXPECT_EQ(*redis_.Command({"EVAL",
                             "for _, k in ipairs(redis.call('keys', '*')) do "
                             "if string.find(k, 'token', 1, true) or "
                             "string.find(redis.call('get', k), 'token-', 1, true) then "
                             "return 1 end end return 0",
                             "0"}),
            "0");
}

TEST_F(FleetCacheTest, WithoutAPartitionSecretPrivateAnswersStayInMemory) {
  std::unique_ptr<Replica> first = MakeReplica(/*partition_secret=*/"");
  std::unique_ptr<Replica> second = MakeReplica(/*partition_secret=*/"");
  ASSERT_TRUE(
      first->cache->GetModelInfo("org/private", "main", {"token-a"}, Deadline()).ok());
  EXPECT_EQ(*redis_.Command({"DBSIZE"}), "0");  // no value, no lease
  ASSERT_TRUE(
      second->cache->GetModelInfo("org/private", "main", {"token-a"}, Deadline()).ok());
  EXPECT_EQ(second->hub.calls(), 1);
  // Public answers are still shared.
  ASSERT_TRUE(first->cache->GetModelInfo("org/public", "main", {"token-a"}, Deadline()).ok());
  ASSERT_TRUE(second->cache->GetModelInfo("org/public", "main", {}, Deadline()).ok());
  EXPECT_EQ(second->hub.calls(), 1);
}

TEST_F(FleetCacheTest, TamperedMovedOrOtherVersionValuesAreNeverServed) {
  std::unique_ptr<Replica> writer = MakeReplica();
  ASSERT_TRUE(writer->cache->GetModelInfo("org/public", "main", {}, Deadline()).ok());
  ASSERT_TRUE(writer->cache->GetModelInfo("org/private", "main", {"token-a"}, Deadline()).ok());
  const std::string public_key = "tasks:public|info|org/public@main";
  const std::string sealed = **redis_.Command({"GET", public_key});

  // Each forgery in turn, read by a cold replica: a Hub request, never the forged value.
  ModelInfo forged_info = Info("org/public");
  forged_info.pipeline_tag = "forged";
  const std::string forged_payload = EncodeAnswer(
      HubAnswer(std::make_shared<const ModelInfo>(forged_info)), absl::Now());
  std::string flipped = sealed;
  flipped[5] ^= 1;
  std::string other_version = forged_payload;
  other_version[0] = hub::kAnswerFormatVersion + 1;
  const ValueSeal seal(kSecret, kSecret);
  const std::vector<std::string> forgeries = {
      flipped,
      sealed.substr(0, sealed.size() / 2),
      forged_payload + std::string(ValueSeal::kMacBytes, '\0'),
      ValueSeal("another secret of 32 bytes......", "").Seal(public_key, forged_payload),
      seal.Seal(public_key, other_version),  // authentic, but of another format version
  };
  for (const std::string& forgery : forgeries) {
    ASSERT_TRUE(redis_.Command({"SET", public_key, forgery}).ok());
    std::unique_ptr<Replica> reader = MakeReplica();
    auto info = reader->cache->GetModelInfo("org/public", "main", {}, Deadline());
    ASSERT_TRUE(info.ok()) << info.status();
    EXPECT_EQ(info->source, AnswerSource::kHub);
    EXPECT_EQ(info->value->pipeline_tag, "fill-mask");
    EXPECT_EQ(reader->hub.calls(), 1);
  }

  // A private answer copied under the public key does not open there.
  absl::StatusOr<std::optional<std::string>> private_key = redis_.Command(
      {"EVAL", "return redis.call('keys', '*info|org/private@main')[1]", "0"});
  ASSERT_TRUE(private_key.ok() && private_key->has_value()) << private_key.status();
  const std::string copied = **redis_.Command({"GET", **private_key});
  const std::string stolen_key = "tasks:public|info|org/private@main";
  ASSERT_TRUE(redis_.Command({"SET", stolen_key, copied}).ok());
  std::unique_ptr<Replica> anonymous = MakeReplica();
  EXPECT_TRUE(absl::IsNotFound(
      anonymous->cache->GetModelInfo("org/private", "main", {}, Deadline()).status()));
  EXPECT_GE(anonymous->redis->Stats().rejected, 1);
}

TEST_F(FleetCacheTest, ADeadRedisCostsATimeoutThenIsSkippedAndUsedAgainOnceBack) {
  std::unique_ptr<Replica> replica = MakeReplica();
  redis_.Kill();
  const absl::Time start = absl::Now();
  for (const char* repo : {"org/public", "org/missing"}) {
    auto info = replica->cache->GetModelInfo(repo, "main", {}, Deadline());
    EXPECT_EQ(info.ok(), std::string(repo) == "org/public") << info.status();
  }
  EXPECT_LT(absl::Now() - start, absl::Seconds(1));
  const hub::SharedCacheStats down = replica->redis->Stats();
  EXPECT_GE(down.errors, 1);
  EXPECT_GE(down.skipped, 1);  // the breaker: later commands not even tried

  ASSERT_TRUE(redis_.Start().ok());
  absl::SleepFor(absl::Milliseconds(150));  // the breaker's 100 ms
  auto files = replica->cache->ListRepoFiles("org/public", Info("org/public"), {}, Deadline());
  ASSERT_TRUE(files.ok()) << files.status();
  EXPECT_EQ(*redis_.Command({"EXISTS", absl::StrCat("tasks:public|tree|org/public@", kSha)}), "1");
}

TEST_F(FleetCacheTest, WaitersTakeOverALeaseWhoseHolderDied) {
  std::unique_ptr<Replica> replica = MakeReplica();
  // A server took the lease and died before answering.
  ASSERT_TRUE(redis_.Command({"SET", "tasks:lease|anonymous|info|org/public@main", "dead", "PX",
                              "300"})
                  .ok());
  const absl::Time start = absl::Now();
  auto info = replica->cache->GetModelInfo("org/public", "main", {}, Deadline());
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(250));
  EXPECT_EQ(replica->hub.calls(), 1);
  EXPECT_EQ(replica->cache->Stats().lease_waits, 1);
  EXPECT_EQ(replica->cache->Stats().lease_takeovers, 1);
}

TEST_F(FleetCacheTest, AWaiterPastItsDeadlineGivesUpWithoutAskingTheHub) {
  std::unique_ptr<Replica> replica = MakeReplica();
  ASSERT_TRUE(redis_.Command({"SET", "tasks:lease|anonymous|info|org/public@main", "busy", "PX",
                              "10000"})
                  .ok());
  auto info = replica->cache->GetModelInfo("org/public", "main", {},
                                           absl::Now() + absl::Milliseconds(200));
  EXPECT_TRUE(absl::IsDeadlineExceeded(info.status())) << info.status();
  EXPECT_EQ(replica->hub.calls(), 0);
}

}  // namespace
}  // namespace tasks::fleet_cache
