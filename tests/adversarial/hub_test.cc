// Regressions of the adversarial review (issue 19) against the Hub cache and client: a Hub or
// mirror answering 200 with something that is not a model info, model info that does not prove a
// repo public, a redirect loop, and a Hub that hangs past the callers' deadlines while a stale
// answer is at hand.
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "httplib.h"
#include "nlohmann/json.hpp"
#include "optimum/tasks/v1/tasks_manager.grpc.pb.h"
#include "server/hub/curl_hub_client.h"
#include "server/hub/hub_cache.h"
#include "tests/hub/curl_test_server.h"
#include "tests/hub/in_memory_hub_client.h"
#include "tests/service/service_harness.h"

namespace tasks::hub {
namespace {

using ::tasks::hub::testing::ExpectError;
using ::tasks::hub::testing::kSha;
using ::tasks::hub::testing::TestServer;

constexpr char kRepo[] = "org/name";
constexpr char kTokenA[] = "hf_tokenOfA";
constexpr char kTokenB[] = "hf_tokenOfB";

// A model info as the Hub sends it for a public repo.
std::string PublicBody() {
  return absl::StrCat(R"({"id": "org/name", "sha": ")", kSha,
                      R"(", "private": false, "gated": false, "siblings": [{"rfilename": )",
                      R"("config.json"}, {"rfilename": "model.safetensors"}]})");
}

// A CurlHubClient and a HubCache (on a clock the test moves) in front of a TestServer whose
// model info answers the test sets.
class HubAdversarialTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_.server().Get(".*", [this](const httplib::Request& req, httplib::Response& res) {
      Answer answer;
      {
        absl::MutexLock lock(&mutex_);
        answer = answer_;
      }
      answer(req, res);
    });
    server_.Start();
    CurlHubClientOptions options;
    options.endpoint = server_.endpoint();
    options.initial_backoff = absl::Milliseconds(1);
    options.max_backoff = absl::Milliseconds(5);
    client_ = std::make_unique<CurlHubClient>(options);
    cache_ = std::make_unique<HubCache>(client_.get(), HubCacheOptions{
                                                           .model_info_ttl = absl::Minutes(5),
                                                           .max_stale = absl::Hours(1),
                                                           .now = [this] { return Now(); },
                                                       });
  }

  using Answer = std::function<void(const httplib::Request&, httplib::Response&)>;
  void AnswerWith(Answer answer) {
    absl::MutexLock lock(&mutex_);
    answer_ = std::move(answer);
  }
  void AnswerBody(std::string body) {
    AnswerWith([body](const httplib::Request&, httplib::Response& res) {
      res.set_content(body, "application/json");
    });
  }

  absl::Time Now() const {
    absl::MutexLock lock(&mutex_);
    return now_;
  }
  void Expire() {
    absl::MutexLock lock(&mutex_);
    now_ += absl::Minutes(6);
  }

  absl::StatusOr<CachedAnswer<ModelInfo>> Info(const std::string& token = "") {
    return cache_->GetModelInfo(kRepo, "", {token}, absl::Now() + absl::Seconds(10));
  }

  // Declared first: the server's handler reads them until the server stops.
  mutable absl::Mutex mutex_;
  Answer answer_ ABSL_GUARDED_BY(mutex_);
  absl::Time now_ ABSL_GUARDED_BY(mutex_) = absl::FromUnixSeconds(1'700'000'000);
  TestServer server_;
  // Gone before the server, whose shutdown would otherwise wait out the client's keep-alive.
  std::unique_ptr<CurlHubClient> client_;
  std::unique_ptr<HubCache> cache_;
};

// Item 5 and 13: a 200 body that is not a model info (an error object, a sha that is no commit
// id) is an upstream error, so the good answer it would have replaced is served stale; nothing
// of it is kept.
TEST_F(HubAdversarialTest, AMalformedModelInfoNeverReplacesAGoodOne) {
  AnswerBody(PublicBody());
  ASSERT_TRUE(Info().ok());
  const std::string bad_bodies[] = {
      R"({"error": "upstream busy"})",
      R"({"id": "org/name", "sha": "", "private": false, "gated": false, "siblings": []})",
      R"({"id": "org/name", "sha": "../../other/main", "private": false, "gated": false})",
      R"({"id": "org/name", "sha": "ABCDEF0123456789ABCDEF0123456789ABCDEF01", "private": false,
          "gated": false})",
  };
  for (const std::string& body : bad_bodies) {
    Expire();
    AnswerBody(body);
    ExpectError(client_->GetModelInfo(kRepo, "", {}, absl::Now() + absl::Seconds(10)).status(),
                absl::StatusCode::kUnavailable, "JSONDecodeError");
    for (int call = 0; call < 2; ++call) {  // the second call finds no bad answer kept either
      absl::StatusOr<CachedAnswer<ModelInfo>> info = Info();
      ASSERT_TRUE(info.ok()) << body << ": " << info.status();
      EXPECT_EQ(info->source, AnswerSource::kStaleCache) << body;
      EXPECT_EQ(info->value->sha, kSha) << body;
      EXPECT_EQ(info->value->siblings.size(), 2u) << body;
    }
  }
}

// Item 13: a redirect loop is the Hub's passing trouble: UNAVAILABLE, and the stale answer.
TEST_F(HubAdversarialTest, ARedirectLoopIsUnavailableAndServedStale) {
  AnswerBody(PublicBody());
  ASSERT_TRUE(Info().ok());
  Expire();
  AnswerWith(
      [](const httplib::Request& req, httplib::Response& res) { res.set_redirect(req.path, 307); });
  ExpectError(client_->GetModelInfo(kRepo, "", {}, absl::Now() + absl::Seconds(10)).status(),
              absl::StatusCode::kUnavailable, "TooManyRedirects");
  absl::StatusOr<CachedAnswer<ModelInfo>> info = Info();
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(info->source, AnswerSource::kStaleCache);
}

// Item 7: the Hub answers token A only (401 to anyone else, as for a private repo). Whatever its
// answer to A says short of a proven public repo, nobody else is served it.
TEST_F(HubAdversarialTest, AnswersNotProvenPublicStayWithTheirToken) {
  const std::string members[] = {
      "",                                         // neither field
      R"(, "gated": false)",                      // no "private"
      R"(, "private": false)",                    // no "gated"
      R"(, "private": "false", "gated": false)",  // a string
      R"(, "private": false, "gated": "false")",  // a string
      R"(, "private": null, "gated": false)",
  };
  for (const std::string& extra : members) {
    const std::string body =
        absl::StrCat(R"({"id": "org/name", "sha": ")", kSha,
                     R"(", "siblings": [{"rfilename": "config.json"}])", extra, "}");
    cache_ = std::make_unique<HubCache>(client_.get(), HubCacheOptions{});
    AnswerWith([body](const httplib::Request& req, httplib::Response& res) {
      if (req.get_header_value("Authorization") == absl::StrCat("Bearer ", kTokenA)) {
        return res.set_content(body, "application/json");
      }
      res.status = 401;
      res.set_header("X-Error-Code", "RepoNotFound");
      res.set_content(R"({"error": "Repository not found"})", "application/json");
    });
    // A's own answer may be refused as malformed (a string for a boolean); never shared.
    (void)Info(kTokenA);
    for (const std::string token : {"", kTokenB}) {
      absl::StatusOr<CachedAnswer<ModelInfo>> info = Info(token);
      EXPECT_TRUE(absl::IsNotFound(info.status()))
          << "body " << body << ", token '" << token << "': " << info.status();
    }
  }
}

// The fake Hub's fixtures (shaped like real Hub answers) all pass the model info checks, and are
// public exactly when their model_info.json says "private": false and "gated": false.
TEST(HubFixtures, EveryFixtureIsAValidModelInfo) {
  const std::string fixtures = ::tasks::testing::HubDir("fixtures");
  ::tasks::testing::FakeHub hub(fixtures);
  ASSERT_TRUE(hub.Start());
  CurlHubClientOptions options;
  options.endpoint = hub.endpoint();
  CurlHubClient client(options);
  int checked = 0;
  for (const auto& org : std::filesystem::directory_iterator(fixtures)) {
    if (!org.is_directory()) continue;
    for (const auto& repo : std::filesystem::directory_iterator(org.path())) {
      std::ifstream file(repo.path() / "model_info.json");
      const nlohmann::json declared = nlohmann::json::parse(file, nullptr, false);
      // A disabled repo has no model info to read (403).
      if (declared.is_discarded() || declared.value("disabled", false)) continue;
      const std::string repo_id =
          absl::StrCat(org.path().filename().string(), "/", repo.path().filename().string());
      const nlohmann::json fixture =
          nlohmann::json::parse(std::ifstream(repo.path() / "fixture.json"), nullptr, false);
      const std::string fixture_token = fixture.is_object() ? fixture.value("token", "") : "";
      absl::StatusOr<ModelInfo> info =
          client.GetModelInfo(repo_id, "", {fixture_token}, absl::Now() + absl::Seconds(10));
      ASSERT_TRUE(info.ok()) << repo_id << ": " << info.status();
      const bool open = declared.value("private", true) == false && declared.contains("gated") &&
                        declared["gated"] == false;
      EXPECT_EQ(IsPublic(*info), open) << repo_id;
      ++checked;
    }
  }
  EXPECT_GT(checked, 30);
}

// Item 8: a caller holding a stale answer gets it before its own deadline while the Hub hangs,
// whether it makes the request or waits for another caller's, and the shared request goes on
// for a caller with more time.
class StaleBeforeTheDeadlineTest : public ::testing::Test {
 protected:
  StaleBeforeTheDeadlineTest() {
    ModelInfo info;
    info.id = kRepo;
    info.sha = kSha;
    info.visibility = Visibility::kPublic;
    hub_.AddRepo({info, {}, ""});
  }

  void WarmAndExpire() {
    ASSERT_TRUE(cache_.GetModelInfo(kRepo, "", {}, absl::Now() + absl::Seconds(10)).ok());
    absl::MutexLock lock(&mutex_);
    now_ += absl::Minutes(6);
  }

  ::tasks::testing::InMemoryHubClient hub_;
  mutable absl::Mutex mutex_;
  absl::Time now_ ABSL_GUARDED_BY(mutex_) = absl::FromUnixSeconds(1'700'000'000);
  HubCache cache_{&hub_, {.model_info_ttl = absl::Minutes(5), .now = [this] {
                            absl::MutexLock lock(&mutex_);
                            return now_;
                          }}};
};

TEST_F(StaleBeforeTheDeadlineTest, TheCallerMakingTheRequest) {
  WarmAndExpire();
  hub_.Hold();  // the Hub hangs until each request's deadline
  const absl::Time deadline = absl::Now() + absl::Seconds(1);
  absl::StatusOr<CachedAnswer<ModelInfo>> info = cache_.GetModelInfo(kRepo, "", {}, deadline);
  const absl::Time answered = absl::Now();
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(info->source, AnswerSource::kStaleCache);
  EXPECT_LT(answered, deadline);
  hub_.Release();
}

TEST_F(StaleBeforeTheDeadlineTest, ACallerWaitingForALongerRequest) {
  WarmAndExpire();
  hub_.Hold();
  absl::StatusOr<CachedAnswer<ModelInfo>> patient = absl::UnknownError("not answered");
  std::thread owner(
      [&] { patient = cache_.GetModelInfo(kRepo, "", {}, absl::Now() + absl::Seconds(30)); });
  auto finish_owner = absl::MakeCleanup([&] {
    hub_.Release();
    owner.join();
  });
  for (int i = 0; i < 2000 && hub_.waiting() == 0; ++i) absl::SleepFor(absl::Milliseconds(5));
  ASSERT_EQ(hub_.waiting(), 1);  // the patient caller's request is at the Hub

  const absl::Time deadline = absl::Now() + absl::Seconds(1);
  absl::StatusOr<CachedAnswer<ModelInfo>> hurried = cache_.GetModelInfo(kRepo, "", {}, deadline);
  const absl::Time answered = absl::Now();
  const int still_waiting = hub_.waiting();
  std::move(finish_owner).Invoke();

  ASSERT_TRUE(hurried.ok()) << hurried.status();
  EXPECT_EQ(hurried->source, AnswerSource::kStaleCache);
  EXPECT_LT(answered, deadline);
  EXPECT_EQ(still_waiting, 1);  // the shared request went on
  ASSERT_TRUE(patient.ok()) << patient.status();
  EXPECT_EQ(patient->source, AnswerSource::kHub);
  EXPECT_EQ(hub_.calls(), 2);  // the warm-up, and one request for both callers
}

// Item 8 end to end: tasks-cli's 10 s deadline is shorter than --hub_timeout's 30 s; here 2 s
// against a Hub that hangs 20 s, with a stale answer at hand: the caller gets it.
TEST(StaleBeforeTheDeadlineE2e, AHangingHubStillGivesTheStaleAnswer) {
  service::ServerOptions options;
  options.cache.model_info_ttl = absl::ZeroDuration();  // every call revalidates
  options.service.max_hub_wait = absl::Seconds(30);
  ::tasks::testing::Harness harness(options);
  grpc::Status status;
  harness.Resolve("google-bert/bert-base-uncased", "onnx", &status);
  ASSERT_TRUE(status.ok()) << status.error_message();
  harness.hub().InjectFault({.kind = ::tasks::testing::Fault::Kind::kDelay,
                             .endpoint = ::tasks::testing::HubEndpoint::kModelInfo,
                             .times = -1,
                             .delay = absl::Seconds(20)});
  optimum::tasks::v1::ResolveExportRequest request;
  request.set_model("google-bert/bert-base-uncased");
  request.set_exporter("onnx");
  optimum::tasks::v1::ResolveExportResponse plan;
  status = harness.Call(&optimum::tasks::v1::TasksManager::Stub::ResolveExport, request, plan,
                        /*token=*/"", /*timeout_ms=*/2000);
  ASSERT_TRUE(status.ok()) << status.error_code() << " " << status.error_message();
  EXPECT_EQ(plan.source().source(), "stale-cache");
  harness.hub().ClearFaults();
}

}  // namespace
}  // namespace tasks::hub
